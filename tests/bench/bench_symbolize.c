// SPDX-License-Identifier: MIT
/*
 * profd's symbolizer on a list of link-time addresses, through the path profd itself takes: the
 * program is started and left waiting, added to a resolver by pid (maps snapshot, files opened,
 * DWARF found in the file or under /usr/lib/debug), and each address is resolved at its runtime
 * address, which the resolver normalizes back to the link-time address it was given.
 *
 * Cold: a fresh resolver, sym_resolver__new() and sym_resolver__add_process() included, resolves
 * every address once. Warm: the same resolver resolves them all again, WARM_PASSES times; the
 * median pass counts. Then, untimed, the innermost function name of every address is written to
 * OUT, one per line, in input order.
 *
 * Usage: bench_symbolize EXE ADDRS OUT
 *   EXE    run as `EXE pause`: prints "ready" and waits to be killed
 *   ADDRS  lines "PATH 0xADDR": link-time addresses in files EXE maps (itself, libc)
 * Prints "addresses N cold_s X warm_s X rss_base_kib N rss_peak_kib N moved N unnamed N
 *   frames N files N cache_bytes N debug_bytes N".
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "symbolizer/symbolizer.h"

#define FILES_MAX 16
#define WARM_PASSES 5

struct file {
	char path[PATH_MAX];
	GElf_Phdr segs[64];
	int nsegs;
};

struct addr {
	uint64_t vaddr, runtime;
	int file;
};

static struct file files[FILES_MAX];
static int nfiles;

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static long status_kib(const char *field)
{
	char line[256];
	long v = -1;
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, field, strlen(field)))
			v = atol(line + strlen(field));
	fclose(f);
	return v;
}

/* PT_LOAD segments of path, read with libelf: not with the code under test. */
static int file_index(const char *name)
{
	char path[PATH_MAX];
	size_t n;
	Elf *elf;
	int fd;

	if (!realpath(name, path))
		die(name);
	for (int i = 0; i < nfiles; i++)
		if (!strcmp(files[i].path, path))
			return i;
	if (nfiles == FILES_MAX) {
		fprintf(stderr, "more than %d files\n", FILES_MAX);
		exit(1);
	}
	snprintf(files[nfiles].path, sizeof(files[nfiles].path), "%s", path);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		die(path);
	elf_version(EV_CURRENT);
	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (!elf || elf_getphdrnum(elf, &n)) {
		fprintf(stderr, "%s: not ELF\n", path);
		exit(1);
	}
	for (size_t i = 0; i < n && files[nfiles].nsegs < 64; i++) {
		GElf_Phdr ph;

		if (gelf_getphdr(elf, (int)i, &ph) && ph.p_type == PT_LOAD)
			files[nfiles].segs[files[nfiles].nsegs++] = ph;
	}
	elf_end(elf);
	close(fd);
	return nfiles++;
}

static pid_t spawn(const char *exe)
{
	char line[64] = "";
	int fds[2];
	pid_t pid;
	FILE *out;

	if (pipe(fds))
		die("pipe");
	pid = fork();
	if (pid < 0)
		die("fork");
	if (!pid) {
		dup2(fds[1], 1);
		close(fds[0]);
		close(fds[1]);
		execl(exe, exe, "pause", (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	out = fdopen(fds[0], "r");
	if (!out || !fgets(line, sizeof(line), out) || strncmp(line, "ready", 5)) {
		fprintf(stderr, "%s pause: no \"ready\"\n", exe);
		kill(pid, SIGKILL);
		exit(1);
	}
	fclose(out);
	return pid;
}

/* Link-time address -> where the running process has it, through its maps. */
static void place(pid_t pid, struct addr *a, size_t n)
{
	struct {
		uint64_t start, end, pgoff;
		int file;
	} maps[512];
	char path[64], line[PATH_MAX + 128];
	size_t nmaps = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	f = fopen(path, "r");
	if (!f)
		die(path);
	while (fgets(line, sizeof(line), f) && nmaps < 512) {
		unsigned long long s, e, off;
		char perms[8];
		int pos = 0;

		if (sscanf(line, "%llx-%llx %7s %llx %*s %*s %n", &s, &e, perms, &off, &pos) < 4 ||
		    !pos || perms[2] != 'x')
			continue;
		line[strcspn(line, "\n")] = '\0';
		for (int i = 0; i < nfiles; i++)
			if (!strcmp(line + pos, files[i].path))
				maps[nmaps++] = (typeof(maps[0])){s, e, off, i};
	}
	fclose(f);
	for (size_t i = 0; i < n; i++) {
		const struct file *fl = &files[a[i].file];
		uint64_t off = UINT64_MAX;

		for (int k = 0; k < fl->nsegs; k++)
			if (a[i].vaddr - fl->segs[k].p_vaddr < fl->segs[k].p_filesz)
				off = a[i].vaddr - fl->segs[k].p_vaddr + fl->segs[k].p_offset;
		a[i].runtime = 0;
		for (size_t m = 0; m < nmaps; m++)
			if (maps[m].file == a[i].file && off - maps[m].pgoff < maps[m].end - maps[m].start)
				a[i].runtime = maps[m].start + off - maps[m].pgoff;
		if (!a[i].runtime) {
			fprintf(stderr, "%s 0x%" PRIx64 ": not in an executable mapping\n", fl->path,
				a[i].vaddr);
			kill(pid, SIGKILL);
			exit(1);
		}
	}
}

static void pass(struct sym_resolver *r, pid_t pid, const struct addr *a, size_t n, FILE *out,
		 size_t *moved, size_t *unnamed, size_t *frames)
{
	for (size_t i = 0; i < n; i++) {
		struct sym_location loc;

		if (sym_resolver__resolve(r, pid, a[i].runtime, false, &loc)) {
			fprintf(stderr, "resolve: out of memory\n");
			exit(1);
		}
		*moved += loc.address != a[i].vaddr;
		*unnamed += loc.reason != SYM_OK;
		*frames += loc.nframes;
		if (out)
			fprintf(out, "%s\n", loc.frames[0].name);
	}
}

int main(int argc, char **argv)
{
	struct sym_resolver_opts opts = {.lines = true};
	size_t n = 0, cap = 0, moved = 0, unnamed = 0, frames = 0, m2 = 0, u2 = 0, f2 = 0;
	char path[PATH_MAX], line[PATH_MAX + 64];
	struct sym_resolver *r;
	struct sym_stats st;
	struct addr *a = NULL;
	double t0, t1, warm[WARM_PASSES];
	long base;
	pid_t pid;
	FILE *f;

	if (argc != 4) {
		fprintf(stderr, "usage: %s EXE ADDRS OUT\n", argv[0]);
		return 2;
	}
	f = fopen(argv[2], "r");
	if (!f)
		die(argv[2]);
	while (fgets(line, sizeof(line), f)) {
		unsigned long long v;

		if (sscanf(line, "%4095s %llx", path, &v) != 2)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 65536;
			a = realloc(a, cap * sizeof(*a));
			if (!a)
				die("realloc");
		}
		a[n++] = (struct addr){.vaddr = v, .file = file_index(path)};
	}
	fclose(f);
	pid = spawn(argv[1]);
	place(pid, a, n);

	base = status_kib("VmRSS:");
	t0 = now();
	r = sym_resolver__new(&opts);
	if (!r || sym_resolver__add_process(r, pid))
		die("resolver");
	pass(r, pid, a, n, NULL, &moved, &unnamed, &frames);
	t1 = now();
	for (int i = 0; i < WARM_PASSES; i++) {
		double t = now();

		pass(r, pid, a, n, NULL, &m2, &u2, &f2);
		warm[i] = now() - t;
	}
	qsort(warm, WARM_PASSES, sizeof(warm[0]), cmp_double);
	sym_resolver__stats(r, &st);

	f = fopen(argv[3], "w");
	if (!f)
		die(argv[3]);
	m2 = u2 = f2 = 0;
	pass(r, pid, a, n, f, &m2, &u2, &f2);
	if (fclose(f))
		die(argv[3]);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	printf("addresses %zu cold_s %.6f warm_s %.6f rss_base_kib %ld rss_peak_kib %ld moved %zu "
	       "unnamed %zu frames %zu files %zu cache_bytes %zu debug_bytes %zu\n",
	       n, t1 - t0, warm[WARM_PASSES / 2], base, status_kib("VmHWM:"), moved, unnamed, frames,
	       st.files, st.cache_bytes, st.debug_bytes);
	sym_resolver__free(r);
	free(a);
	return 0;
}
