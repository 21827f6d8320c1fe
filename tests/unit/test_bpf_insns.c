// SPDX-License-Identifier: GPL-2.0
/*
 * The BPF object holds no instruction that finrst's oldest kernel (5.10)
 * refuses before its verifier walks any path: there, the loader's
 * read-only flags cannot prune a newer kernel's feature away, and one such
 * instruction refuses every program that inlines it. Without this check
 * only a 5.10 VM (tools/vmtest -s bullseye) would tell.
 *
 * usage: test_bpf_insns finrst.bpf.o
 */
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <unistd.h>

#include "check.h"

/*
 * NULL when 5.10 accepts insn, else why not. Atomics: 5.10 knows only
 * BPF_XADD, the non-fetching add (imm 0); the others (fetch, and, or, xor,
 * xchg, cmpxchg) came in 5.12 (commit 5ca419f2864a and its series), and
 * 5.10's resolve_pseudo_ldimm64() refuses any other imm up front: "BPF_STX
 * uses reserved fields" (seen in a 5.10.0-46 VM, 0 instructions processed).
 */
static const char *refused_by_5_10(const struct bpf_insn *insn)
{
	if (BPF_CLASS(insn->code) == BPF_STX &&
	    BPF_MODE(insn->code) == BPF_ATOMIC && insn->imm != BPF_ADD)
		return "an atomic other than a non-fetching add (5.12)";
	return NULL;
}

/* Count the refused instructions of one code section, printed to out. */
static int scan(FILE *out, const char *sec, const struct bpf_insn *insns,
		size_t n)
{
	int bad = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		const char *why = refused_by_5_10(&insns[i]);

		if (!why)
			continue;
		if (out)
			fprintf(out,
				"%s: instruction %zu (code 0x%02x imm 0x%x): %s\n",
				sec, i, insns[i].code, (unsigned)insns[i].imm,
				why);
		bad++;
	}
	return bad;
}

/* The checker itself finds what it must: known-bad and known-good insns. */
static void self_test(void)
{
	const struct bpf_insn good[] = {
		{ .code = BPF_STX | BPF_ATOMIC | BPF_DW, .imm = BPF_ADD },
		{ .code = BPF_STX | BPF_ATOMIC | BPF_W, .imm = BPF_ADD },
		{ .code = BPF_STX | BPF_MEM | BPF_DW },
	};
	const struct bpf_insn bad[] = {
		{ .code = BPF_STX | BPF_ATOMIC | BPF_DW, .imm = BPF_CMPXCHG },
		{ .code = BPF_STX | BPF_ATOMIC | BPF_DW, .imm = BPF_XCHG },
		{ .code = BPF_STX | BPF_ATOMIC | BPF_W,
		  .imm = BPF_ADD | BPF_FETCH },
		{ .code = BPF_STX | BPF_ATOMIC | BPF_DW, .imm = BPF_OR },
	};

	CHECK_INT(scan(NULL, "good", good, 3), 0);
	CHECK_INT(scan(NULL, "bad", bad, 4), 4);
}

int main(int argc, char **argv)
{
	size_t shstrndx, nsec = 0;
	Elf_Scn *scn = NULL;
	int fd, bad = 0;
	Elf *elf;

	if (argc != 2) {
		fprintf(stderr, "usage: %s BPF_OBJECT\n", argv[0]);
		return 2;
	}
	self_test();
	if (elf_version(EV_CURRENT) == EV_NONE) {
		fprintf(stderr, "libelf: %s\n", elf_errmsg(-1));
		return 1;
	}
	fd = open(argv[1], O_RDONLY);
	if (fd < 0) {
		perror(argv[1]);
		return 1;
	}
	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (!elf || elf_getshdrstrndx(elf, &shstrndx)) {
		fprintf(stderr, "%s: %s\n", argv[1], elf_errmsg(-1));
		return 1;
	}
	while ((scn = elf_nextscn(elf, scn))) {
		Elf_Data *data = NULL;
		const char *name;
		GElf_Shdr sh;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_PROGBITS ||
		    !(sh.sh_flags & SHF_EXECINSTR))
			continue;
		name = elf_strptr(elf, shstrndx, sh.sh_name);
		while ((data = elf_getdata(scn, data)))
			bad += scan(stderr, name ? name : "?", data->d_buf,
				    data->d_size / sizeof(struct bpf_insn));
		nsec++;
	}
	elf_end(elf);
	close(fd);
	/* an object without code would pass anything */
	CHECKF(nsec > 0, "%s: no code section", argv[1]);
	CHECKF(bad == 0, "%s: %d instructions Linux 5.10 refuses (above)",
	       argv[1], bad);
	printf("%zu code sections scanned\n", nsec);
	return check_exit("test_bpf_insns");
}
