// SPDX-License-Identifier: GPL-2.0
/*
 * stack.c - --stack: kernel symbols from /proc/kallsyms, user symbols from
 * ELF files through libelf.
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "stack.h"

/* ---- kernel ---- */

struct ksym {
	unsigned long long addr;
	unsigned int name;  /* offset in names */
	unsigned short mod; /* index in mods, 0: vmlinux */
};

#define MAX_MODS 4096

/* ---- user ---- */

struct usym {
	unsigned long long start, size;
	unsigned int name; /* offset in the file's names */
};

struct seg {
	unsigned long long off, filesz, vaddr;
};

/* The symbols of one ELF file, by device and inode. */
struct efile {
	unsigned long long dev, ino;
	char *path;
	struct usym *syms;
	size_t nsyms;
	char *names;
	struct seg *segs;
	size_t nsegs;
	unsigned long long used; /* LRU clock */
};

struct umap {
	unsigned long long start, end, off, dev, ino;
	char *path;
};

/* The executable mappings of one process. */
struct uproc {
	unsigned int pid;
	unsigned long long start_time; /* tells pid reuse apart */
	struct umap *maps;
	size_t nmaps;
	unsigned long long used;
};

#define MAX_FILES 64
#define MAX_PROCS 64

struct fr_syms {
	struct ksym *ksyms;
	size_t nksyms;
	char *knames;
	char *mods[MAX_MODS];
	size_t nmods;
	struct efile files[MAX_FILES];
	size_t nfiles;
	struct uproc procs[MAX_PROCS];
	size_t nprocs;
	unsigned long long clock;
	/* the user frames' strings of the last fr_syms_resolve(): a later
	 * frame may read the maps again and free the cached ones */
	char fsym[FR_FRAMES_MAX][256];
	char fmod[FR_FRAMES_MAX][256];
};

static int ksym_cmp(const void *a, const void *b)
{
	const struct ksym *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static unsigned short mod_index(struct fr_syms *s, const char *mod)
{
	size_t len = strcspn(mod, "]");

	if (!len)
		return 0;
	for (size_t i = 1; i < s->nmods; i++)
		if (!strncmp(s->mods[i], mod, len) && !s->mods[i][len])
			return (unsigned short)i;
	if (s->nmods >= MAX_MODS)
		return 0;
	s->mods[s->nmods] = strndup(mod, len);
	if (!s->mods[s->nmods])
		return 0;
	return (unsigned short)s->nmods++;
}

static int load_kallsyms(struct fr_syms *s, char *err, size_t errlen)
{
	size_t cap = 0, ncap = 0, nlen = 0;
	char line[512];
	unsigned long long addr;
	bool nonzero = false;
	FILE *f;

	f = fopen("/proc/kallsyms", "re");
	if (!f) {
		snprintf(err, errlen, "--stack: cannot read /proc/kallsyms: %s",
			 strerror(errno));
		return -1;
	}
	s->nmods = 1; /* 0: vmlinux */
	while (fgets(line, sizeof(line), f)) {
		/* "ffffffff81000000 T _stext" or "... t name\t[module]" */
		char *end, *name, *mod;
		size_t len;

		errno = 0;
		addr = strtoull(line, &end, 16);
		if (errno || end == line || end[0] != ' ' ||
		    (end[1] != 't' && end[1] != 'T') || end[2] != ' ')
			continue;
		name = end + 3;
		name[strcspn(name, " \t\n")] = '\0';
		mod = name + strlen(name) + 1;
		if (mod < line + sizeof(line) && *mod == '[')
			mod[strcspn(mod, "]\n")] = '\0';
		else
			mod = NULL;
		if (!*name)
			continue;
		if (addr)
			nonzero = true;
		len = strlen(name) + 1;

		if (s->nksyms == cap) {
			size_t c = cap ? cap * 2 : 65536;
			struct ksym *k = realloc(s->ksyms, c * sizeof(*k));

			if (!k)
				goto nomem;
			s->ksyms = k;
			cap = c;
		}
		if (!s->knames || nlen + len > ncap) {
			size_t c = ncap ? ncap * 2 : 1 << 20;
			char *p;

			while (c < nlen + len)
				c *= 2;
			p = realloc(s->knames, c);
			if (!p)
				goto nomem;
			s->knames = p;
			ncap = c;
		}
		memcpy(s->knames + nlen, name, len);
		s->ksyms[s->nksyms].addr = addr;
		s->ksyms[s->nksyms].name = (unsigned int)nlen;
		s->ksyms[s->nksyms].mod = mod ? mod_index(s, &mod[1]) : 0;
		s->nksyms++;
		nlen += len;
	}
	fclose(f); /* NOLINT(cert-err33-c): read only, nothing to lose */
	if (!nonzero) {
		/* kallsyms_show_value(): kptr_restrict, or no CAP_SYSLOG */
		snprintf(err, errlen,
			 "--stack: /proc/kallsyms shows no addresses: run as "
			 "root (CAP_SYSLOG), or lower "
			 "/proc/sys/kernel/kptr_restrict");
		return -1;
	}
	qsort(s->ksyms, s->nksyms, sizeof(*s->ksyms), ksym_cmp);
	/* give back the slack of the doubling */
	if (s->nksyms) {
		struct ksym *k = realloc(s->ksyms, s->nksyms * sizeof(*k));
		char *p = realloc(s->knames, nlen);

		if (k)
			s->ksyms = k;
		if (p)
			s->knames = p;
	}
	return 0;
nomem:
	fclose(f); /* NOLINT(cert-err33-c): read only, nothing to lose */
	snprintf(err, errlen, "--stack: out of memory reading /proc/kallsyms");
	return -1;
}

struct fr_syms *fr_syms_new(char *err, size_t errlen)
{
	struct fr_syms *s = calloc(1, sizeof(*s));

	if (!s) {
		snprintf(err, errlen, "--stack: out of memory");
		return NULL;
	}
	if (elf_version(EV_CURRENT) == EV_NONE) {
		snprintf(err, errlen, "--stack: libelf: %s", elf_errmsg(-1));
		free(s);
		return NULL;
	}
	if (load_kallsyms(s, err, errlen)) {
		fr_syms_free(s);
		return NULL;
	}
	return s;
}

static void efile_clear(struct efile *e)
{
	free(e->path);
	free(e->syms);
	free(e->names);
	free(e->segs);
	memset(e, 0, sizeof(*e));
}

static void uproc_clear(struct uproc *p)
{
	for (size_t i = 0; i < p->nmaps; i++)
		free(p->maps[i].path);
	free(p->maps);
	memset(p, 0, sizeof(*p));
}

void fr_syms_free(struct fr_syms *s)
{
	if (!s)
		return;
	free(s->ksyms);
	free(s->knames);
	for (size_t i = 1; i < s->nmods; i++)
		free(s->mods[i]);
	for (size_t i = 0; i < s->nfiles; i++)
		efile_clear(&s->files[i]);
	for (size_t i = 0; i < s->nprocs; i++)
		uproc_clear(&s->procs[i]);
	free(s);
}

/* The kernel symbol at or below addr, NULL if there is none. */
static const struct ksym *ksym_at(const struct fr_syms *s,
				  unsigned long long addr)
{
	size_t lo = 0, hi = s->nksyms;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (s->ksyms[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo ? &s->ksyms[lo - 1] : NULL;
}

/* ---- user: processes ---- */

/* Field 22 of /proc/PID/stat: the start time, in clock ticks. */
static unsigned long long proc_start_time(unsigned int pid)
{
	char path[64], buf[1024], *p;
	unsigned long long t = 0;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%u/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	p = strrchr(buf, ')'); /* comm may hold anything */
	if (!p)
		return 0;
	/* ") S ppid ...": field 3 starts after ") ", starttime is 22 */
	for (int field = 3; field <= 22; field++) {
		p = strchr(p + 1, ' ');
		if (!p)
			return 0;
	}
	errno = 0;
	t = strtoull(p + 1, NULL, 10);
	return errno ? 0 : t;
}

/* One hex or decimal number at *s, then one sep byte; false if none. */
static bool take_num(char **s, int base, char sep, unsigned long long *v)
{
	char *end;

	errno = 0;
	*v = strtoull(*s, &end, base);
	if (errno || end == *s || *end != sep)
		return false;
	*s = end + 1;
	return true;
}

/* "start-end perms offset major:minor inode   /path" (proc_pid_maps) */
static bool parse_map_line(char *line, struct umap *m, char **file)
{
	unsigned long long major, minor;
	char *s = line, *perms;

	if (!take_num(&s, 16, '-', &m->start) ||
	    !take_num(&s, 16, ' ', &m->end))
		return false;
	perms = s;
	s = strchr(s, ' ');
	if (!s || s - perms < 3 || perms[2] != 'x')
		return false;
	s++;
	if (!take_num(&s, 16, ' ', &m->off) || !take_num(&s, 16, ':', &major) ||
	    !take_num(&s, 16, ' ', &minor) || !take_num(&s, 10, ' ', &m->ino))
		return false;
	s += strspn(s, " ");
	s[strcspn(s, "\n")] = '\0';
	if (*s != '/')
		return false; /* anonymous, [vdso], [stack] */
	m->dev = (major << 32) | minor;
	*file = s;
	return true;
}

static int read_maps(struct uproc *p)
{
	char path[64], line[4352];
	size_t cap = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%u/maps", p->pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		struct umap one, *m;
		char *file;

		if (!parse_map_line(line, &one, &file))
			continue;
		if (p->nmaps == cap) {
			size_t c = cap ? cap * 2 : 16;

			m = realloc(p->maps, c * sizeof(*m));
			if (!m)
				break;
			p->maps = m;
			cap = c;
		}
		m = &p->maps[p->nmaps];
		*m = one;
		m->path = strdup(file);
		if (!m->path)
			break;
		p->nmaps++;
	}
	fclose(f); /* NOLINT(cert-err33-c): read only, nothing to lose */
	return 0;
}

/* The process's cached mappings, read again when addr is in none of them
 * (a library loaded since) or the pid was reused; st is the process's
 * start time now, 0 if it is gone. */
static const struct umap *find_map(struct fr_syms *s, unsigned int pid,
				   unsigned long long st,
				   unsigned long long addr)
{
	struct uproc *p = NULL;

	for (size_t i = 0; i < s->nprocs; i++)
		if (s->procs[i].pid == pid)
			p = &s->procs[i];
	for (int pass = 0; pass < 2; pass++) {
		if (p && (!st || p->start_time == st)) {
			p->used = ++s->clock;
			for (size_t i = 0; i < p->nmaps; i++)
				if (addr >= p->maps[i].start &&
				    addr < p->maps[i].end)
					return &p->maps[i];
		}
		if (!st)
			return NULL; /* gone: the cache is all there is */
		if (pass)
			break;
		if (!p) {
			if (s->nprocs < MAX_PROCS) {
				p = &s->procs[s->nprocs++];
			} else {
				p = &s->procs[0];
				for (size_t i = 1; i < s->nprocs; i++)
					if (s->procs[i].used < p->used)
						p = &s->procs[i];
			}
		}
		uproc_clear(p);
		p->pid = pid;
		p->start_time = st;
		if (read_maps(p))
			return NULL;
	}
	return NULL;
}

/* ---- user: ELF files ---- */

static int usym_cmp(const void *a, const void *b)
{
	const struct usym *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/* Function symbols of one symbol table section into e. */
static int add_symtab(struct efile *e, Elf *elf, Elf_Scn *scn,
		      const GElf_Shdr *sh, size_t *ncap, size_t *nlen)
{
	Elf_Data *d = elf_getdata(scn, NULL);
	size_t n = sh->sh_entsize ? sh->sh_size / sh->sh_entsize : 0;

	if (!d)
		return 0;
	for (size_t i = 0; i < n; i++) {
		GElf_Sym sym;
		const char *name;
		size_t len;

		if (!gelf_getsym(d, (int)i, &sym) ||
		    GELF_ST_TYPE(sym.st_info) != STT_FUNC || !sym.st_value ||
		    sym.st_shndx == SHN_UNDEF)
			continue;
		name = elf_strptr(elf, sh->sh_link, sym.st_name);
		if (!name || !*name)
			continue;
		len = strlen(name) + 1;
		struct usym *u = realloc(e->syms, (e->nsyms + 1) * sizeof(*u));

		if (!u)
			return -1;
		e->syms = u;
		if (*nlen + len > *ncap) {
			size_t c = *ncap ? *ncap * 2 : 4096;
			char *p;

			while (c < *nlen + len)
				c *= 2;
			p = realloc(e->names, c);
			if (!p)
				return -1;
			e->names = p;
			*ncap = c;
		}
		memcpy(e->names + *nlen, name, len);
		u[e->nsyms].start = sym.st_value;
		u[e->nsyms].size = sym.st_size;
		u[e->nsyms].name = (unsigned int)*nlen;
		e->nsyms++;
		*nlen += len;
	}
	return 0;
}

static int load_elf(struct efile *e, int fd)
{
	size_t nphdr, ncap = 0, nlen = 0;
	Elf_Scn *scn = NULL, *dynsym = NULL;
	GElf_Shdr dynsh;
	bool symtab = false;
	int ret = -1;
	Elf *elf;

	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (!elf || elf_kind(elf) != ELF_K_ELF || elf_getphdrnum(elf, &nphdr))
		goto out;
	for (size_t i = 0; i < nphdr; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_LOAD)
			continue;
		struct seg *g = realloc(e->segs, (e->nsegs + 1) * sizeof(*g));

		if (!g)
			goto out;
		e->segs = g;
		g[e->nsegs].off = ph.p_offset;
		g[e->nsegs].filesz = ph.p_filesz;
		g[e->nsegs].vaddr = ph.p_vaddr;
		e->nsegs++;
	}
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;

		if (!gelf_getshdr(scn, &sh))
			continue;
		if (sh.sh_type == SHT_SYMTAB) {
			if (add_symtab(e, elf, scn, &sh, &ncap, &nlen))
				goto out;
			symtab = true;
		} else if (sh.sh_type == SHT_DYNSYM) {
			dynsym = scn;
			dynsh = sh;
		}
	}
	/* stripped (Debian's packages): the exported functions only */
	if (!symtab && dynsym &&
	    add_symtab(e, elf, dynsym, &dynsh, &ncap, &nlen))
		goto out;
	if (e->nsyms)
		qsort(e->syms, e->nsyms, sizeof(*e->syms), usym_cmp);
	ret = 0;
out:
	elf_end(elf);
	return ret;
}

static struct efile *get_file(struct fr_syms *s, unsigned int pid,
			      const struct umap *m)
{
	struct efile *e = NULL;
	char path[4200];
	struct stat st;
	int fd;

	for (size_t i = 0; i < s->nfiles; i++) {
		if (s->files[i].dev == m->dev && s->files[i].ino == m->ino &&
		    !strcmp(s->files[i].path, m->path)) {
			s->files[i].used = ++s->clock;
			return &s->files[i];
		}
	}
	/* the process's own view of its files: containers, chroots */
	snprintf(path, sizeof(path), "/proc/%u/root%s", pid, m->path);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		fd = open(m->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) || (unsigned long long)st.st_ino != m->ino) {
		close(fd); /* replaced on disk since it was mapped */
		return NULL;
	}
	if (s->nfiles < MAX_FILES) {
		e = &s->files[s->nfiles++];
	} else {
		e = &s->files[0];
		for (size_t i = 1; i < s->nfiles; i++)
			if (s->files[i].used < e->used)
				e = &s->files[i];
		efile_clear(e);
	}
	e->dev = m->dev;
	e->ino = m->ino;
	e->path = strdup(m->path);
	e->used = ++s->clock;
	if (!e->path || load_elf(e, fd)) {
		close(fd);
		efile_clear(e);
		/* keep the slot empty but reusable */
		e->used = 0;
		return NULL;
	}
	close(fd);
	return e;
}

static void resolve_user(struct fr_syms *s, unsigned int pid,
			 unsigned long long st, unsigned long long addr,
			 struct fr_frame *f)
{
	const struct umap *m = find_map(s, pid, st, addr);
	unsigned long long off;
	struct efile *e;

	f->kernel = false;
	f->addr = addr;
	f->sym = NULL;
	f->module = NULL;
	f->offset = 0;
	if (!m)
		return;
	f->module = m->path;
	off = addr - m->start + m->off; /* offset in the file */
	f->offset = off;
	e = get_file(s, pid, m);
	if (!e)
		return;
	f->module = e->path;
	for (size_t i = 0; i < e->nsegs; i++) {
		const struct seg *g = &e->segs[i];
		size_t lo = 0, hi = e->nsyms;
		unsigned long long va;

		if (off < g->off || off >= g->off + g->filesz)
			continue;
		va = off - g->off + g->vaddr;
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;

			if (e->syms[mid].start <= va)
				lo = mid + 1;
			else
				hi = mid;
		}
		/* inside the symbol, or (size unknown) right after it */
		if (lo && (!e->syms[lo - 1].size ||
			   va < e->syms[lo - 1].start + e->syms[lo - 1].size)) {
			f->sym = e->names + e->syms[lo - 1].name;
			f->offset = va - e->syms[lo - 1].start;
		}
		return;
	}
}

/* Resolve into out[i], its strings copied into slot i (n < FR_FRAMES_MAX). */
static void user_frame(struct fr_syms *s, unsigned int pid,
		       unsigned long long st, unsigned long long addr,
		       struct fr_frame *out, size_t i)
{
	struct fr_frame *f = &out[i];

	resolve_user(s, pid, st, addr, f);
	if (i >= FR_FRAMES_MAX)
		return;
	if (f->sym) {
		snprintf(s->fsym[i], sizeof(s->fsym[i]), "%s", f->sym);
		f->sym = s->fsym[i];
	}
	if (f->module) {
		snprintf(s->fmod[i], sizeof(s->fmod[i]), "%s", f->module);
		f->module = s->fmod[i];
	}
}

/* A frame of the BPF tracing machinery itself, above the traced code. */
static bool tracing_frame(const char *sym)
{
	static const char *const prefix[] = {
		"bpf_prog_",	   "bpf_trace_run",   "__bpf_trace_",
		"__traceiter_",	   "bpf_trampoline_", "__bpf_prog_enter",
		"__bpf_prog_exit", "kprobe_",	      "__kprobes_",
		"trace_call_bpf",  "perf_trace_",
	};

	for (size_t i = 0; i < sizeof(prefix) / sizeof(prefix[0]); i++)
		if (!strncmp(sym, prefix[i], strlen(prefix[i])))
			return true;
	return false;
}

size_t fr_syms_resolve(struct fr_syms *s, const struct fr_stack *st,
		       struct fr_frame *out, size_t max)
{
	size_t n = 0, nk = st->nr_kernel, nu = st->nr_user;
	/* once per stack: tells a live process from a gone or reused pid */
	unsigned long long start = nu ? proc_start_time(st->pid) : 0;

	if (max > FR_FRAMES_MAX)
		max = FR_FRAMES_MAX;

	if (nk > FR_STACK_DEPTH)
		nk = FR_STACK_DEPTH;
	if (nu > FR_STACK_DEPTH)
		nu = FR_STACK_DEPTH;
	for (size_t i = 0; i < nk && n < max; i++) {
		const struct ksym *k = ksym_at(s, st->ip[i]);
		const char *sym = k ? s->knames + k->name : NULL;

		/* The stack starts in finrst's program: begin at the function
		 * that fired the tracepoint (tcp_send_active_reset, ...). */
		if (!n && sym && tracing_frame(sym))
			continue;
		struct fr_frame *f = &out[n++];

		f->kernel = true;
		f->addr = 0; /* kernel addresses stay private (KASLR) */
		f->sym = sym;
		f->offset = k ? st->ip[i] - k->addr : 0;
		f->module = k && k->mod ? s->mods[k->mod] : NULL;
	}
	for (size_t i = 0; i < nu && n < max; i++) {
		unsigned long long ip = st->ip[FR_STACK_DEPTH + i];

		user_frame(s, st->pid, start, ip, out, n++);
		/* the syscall wrapper's caller, which unwinding skipped */
		if (i == 0 && st->user_ret && n < max &&
		    (nu < 2 || st->ip[FR_STACK_DEPTH + 1] != st->user_ret))
			user_frame(s, st->pid, start, st->user_ret, out, n++);
	}
	return n;
}
