/* SPDX-License-Identifier: GPL-2.0 */
/*
 * report.h - the exit report: the reconciliation, the exit line
 * "finrst: records=N lost=M skipped=K" (SPEC §3) and one line for each
 * kind of loss, saying why and what to do.
 */
#ifndef FINRST_REPORT_H
#define FINRST_REPORT_H

#include <stdbool.h>

#include "args.h"
#include "loader.h"
#include "output.h"

/*
 * Call while still attached: counts the records the kernel never let finrst
 * finish, drains the last records, prints the final --summary, the exit
 * line and the loss lines. swept: the sweeps' total. false if the last
 * records could not be written.
 */
bool fr_report_exit(struct fr_loader *l, const struct env *env,
		    struct fr_output *o, unsigned long long elapsed_s,
		    unsigned long long swept);

#endif
