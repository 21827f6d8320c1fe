/* SPDX-License-Identifier: GPL-2.0 */
/* privs.h - least privilege once everything is attached. */
#ifndef FINRST_PRIVS_H
#define FINRST_PRIVS_H

#include <stddef.h>

/*
 * Drop every capability but CAP_BPF (effective, permitted, inheritable,
 * ambient, and the bounding set when CAP_SETPCAP allows). 0, or -1 with a
 * reason in err.
 */
int fr_drop_privileges(char *err, size_t errlen);

#endif
