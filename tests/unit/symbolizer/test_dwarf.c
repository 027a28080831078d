// SPDX-License-Identifier: MIT
/*
 * Unit tests of symbolizer/'s DWARF side: source lines and inline frames, and where debug info
 * is found. The workload (tests/dwarf/inline_hot.c) is compiled here by gcc and by clang at
 * -O2 -g, run, and every address of its hot function is resolved; the truth comes from outside
 * the code under test: binutils' addr2line -a -f -i on the same link-time addresses, and the
 * LINE-* markers in the source. Stripped copies find their debug files through .gnu_debuglink,
 * a build-id folder and a real debuginfod server started here; broken ones must fall back to
 * the symbol table with one warning. Libc frames are checked against Debian's libc6-dbg.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <inttypes.h>
#include <limits.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "child.h"
#include "helpers.h"

#include "common/clock.h"
#include "symbolizer/symbolizer.h"
#include "symbolizer/symbolizer_internal.h"

#define SRC_REL "tests/dwarf/inline_hot.c"
#define CFLAGS "-O2 -g -fno-omit-frame-pointer"
#define MAX_ADDRS 4096
#define TRUTH_FRAMES 16

static char dir[PATH_MAX], src[PATH_MAX + 32], cwd[PATH_MAX];
/* A compiler's fixture: a missing compiler skips its tests, a failed build fails them. */
enum fixture { FX_MISSING, FX_BROKEN, FX_BUILT };
static bool have_tools;
static enum fixture gcc_fx, clang_fx;
static int line_call;	    /* LINE-CALL: where hot() calls churn() */
static int line_churn[8];   /* LINE-CHURN: churn()'s body */
static int nline_churn;

/* --- helpers --- */

static const char *fx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static const char *fx(const char *fmt, ...)
{
	char rel[PATH_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(rel, sizeof(rel), fmt, ap);
	va_end(ap);
	return path_in(dir, rel);
}

static void nm_sym(const char *file, const char *name, bool dynamic, uint64_t *value,
		   uint64_t *size)
{
	char cmd[PATH_MAX + 64], line[1024];
	bool found = false;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "nm -S %s --defined-only '%s' 2>/dev/null", dynamic ? "-D" : "",
		 file);
	p = popen(cmd, "r");
	assert_non_null(p);
	while (fgets(line, sizeof(line), p)) {
		unsigned long long v, s;
		char type, sym[512];

		if (sscanf(line, "%llx %llx %c %511s", &v, &s, &type, sym) != 4)
			continue;
		sym[strcspn(sym, "@")] = '\0';
		if (!strcmp(sym, name) && !found) {
			*value = v;
			*size = s;
			found = true;
		}
	}
	pclose(p);
	if (!found)
		fail_msg("%s: no symbol %s", file, name);
}

/* Every process started here, killed at the end even when a test fails half-way. */
static pid_t started[64];

static void track(pid_t pid)
{
	for (size_t i = 0; i < sizeof(started) / sizeof(started[0]); i++) {
		if (!started[i]) {
			started[i] = pid;
			return;
		}
	}
}

static void stop(pid_t pid, int sig)
{
	kill(pid, sig);
	waitpid(pid, NULL, 0);
	for (size_t i = 0; i < sizeof(started) / sizeof(started[0]); i++)
		if (started[i] == pid)
			started[i] = 0;
}

static void stop_all(void)
{
	for (size_t i = 0; i < sizeof(started) / sizeof(started[0]); i++)
		if (started[i])
			stop(started[i], SIGKILL);
}

/* A fixture started with "pause", tracked so that a failed test leaves no process behind. */
static void spawn(struct child *c, const char *exe)
{
	child_spawn(c, exe, "pause");
	track(c->pid);
	assert_true(c->n > 0);
}

static void reap(struct child *c)
{
	stop(c->pid, SIGKILL);
}

static const char *base_of(const char *path)
{
	const char *s = path ? strrchr(path, '/') : NULL;

	return s ? s + 1 : path;
}

/* --- the truth: binutils addr2line --- */

struct truth_frame {
	char name[256];
	char file[256]; /* base name; "" if unknown */
	int line;	/* 0 if unknown */
};

struct truth {
	uint64_t addr;
	int n;
	struct truth_frame f[TRUTH_FRAMES];
};

static void parse_location(const char *s, struct truth_frame *f)
{
	char buf[1024];
	char *colon, *disc;

	snprintf(buf, sizeof(buf), "%s", s);
	buf[strcspn(buf, "\n")] = '\0';
	disc = strstr(buf, " (discriminator");
	if (disc)
		*disc = '\0';
	colon = strrchr(buf, ':');
	f->line = 0;
	if (colon) {
		*colon = '\0';
		f->line = atoi(colon + 1);
	}
	snprintf(f->file, sizeof(f->file), "%.255s", strcmp(buf, "??") ? base_of(buf) : "");
}

/* Runs addr2line -a -f -i on link-time addresses of file. Returns the number of records. */
static size_t addr2line(const char *file, const uint64_t *addrs, size_t n, struct truth *out)
{
	char list[PATH_MAX], cmd[3 * PATH_MAX], line[2048];
	size_t k = 0;
	bool want_name = false;
	FILE *f;

	pathf(list, "%s/addrs.txt", dir);
	f = fopen(list, "w");
	assert_non_null(f);
	for (size_t i = 0; i < n; i++)
		fprintf(f, "0x%" PRIx64 "\n", addrs[i]);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "addr2line -a -f -i -e '%s' < '%s'", file, list);
	f = popen(cmd, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		struct truth *t = k ? &out[k - 1] : NULL;

		/* -a: each address's frames follow it as "0x" and 16 hex digits; no name looks so. */
		if (strlen(line) == 19 && !strncmp(line, "0x", 2) &&
		    strspn(line + 2, "0123456789abcdef") == 16) {
			if (k == n)
				break;
			out[k++] = (struct truth){.addr = strtoull(line, NULL, 16)};
			want_name = true;
			continue;
		}
		if (!t || t->n >= TRUTH_FRAMES)
			continue;
		line[strcspn(line, "\n")] = '\0';
		if (want_name)
			snprintf(t->f[t->n].name, sizeof(t->f[t->n].name), "%s", line);
		else
			parse_location(line, &t->f[t->n++]);
		want_name = !want_name;
	}
	pclose(f);
	return k;
}

/* Returns true if loc says what addr2line says; explains the first difference in why. */
static bool same_frames(const struct sym_location *loc, const struct truth *t, char *why,
			size_t len)
{
	if ((int)loc->nframes != t->n) {
		snprintf(why, len, "%zu frames, addr2line %d (innermost %s / %s)", loc->nframes,
			 t->n, loc->frames[0].name, t->f[0].name);
		return false;
	}
	for (int i = 0; i < t->n; i++) {
		const struct sym_frame *f = &loc->frames[i];
		const char *file = f->file && f->line ? base_of(f->file) : "";
		int line = f->file ? f->line : 0;
		const char *want_file = t->f[i].line ? t->f[i].file : "";

		if (strcmp(f->name, t->f[i].name) || strcmp(file, want_file) ||
		    line != t->f[i].line) {
			snprintf(why, len, "frame %d: %s (%s:%d), addr2line %s (%s:%d)", i, f->name,
				 file, line, t->f[i].name, want_file, t->f[i].line);
			return false;
		}
		if (f->inlined != (i + 1 < t->n)) {
			snprintf(why, len, "frame %d: inlined flag %d", i, f->inlined);
			return false;
		}
	}
	return true;
}

static struct sym_resolver *new_resolver(const char *debug_dirs, size_t cache_bytes,
					 unsigned int timeout_ms)
{
	struct sym_resolver_opts o = {
		.lines = true,
		.cache_bytes = cache_bytes,
		.debug_dirs = debug_dirs ? debug_dirs : fx("no-debug-root"),
		.debuginfod_timeout_ms = timeout_ms,
	};
	struct sym_resolver *r = sym_resolver__new(&o);

	assert_non_null(r);
	return r;
}

struct inline_stats {
	size_t checked, agreed, inlined;
	char first_diff[1024];
};

/* addrs[i] = value + i for n addresses, and addr2line's answers for them from file. */
static void addr2line_range(const char *file, uint64_t value, size_t n, uint64_t *addrs,
			    struct truth *truth)
{
	for (size_t i = 0; i < n; i++)
		addrs[i] = value + i;
	assert_int_equal(addr2line(file, addrs, n, truth), n);
}

/* Resolves addr of the file c maps at base, which must come back as the same address. */
static void resolve_at(struct sym_resolver *r, const struct child *c, uint64_t base, uint64_t addr,
		       struct sym_location *loc)
{
	assert_int_equal(sym_resolver__resolve(r, c->pid, base + addr, false, loc), 0);
	assert_int_equal(loc->address, addr);
}

/* Counts loc as checked against addr2line's answer t, and as agreed or the first difference. */
static void tally(struct inline_stats *st, const struct sym_location *loc, const struct truth *t,
		  uint64_t addr)
{
	char why[512];

	st->checked++;
	if (same_frames(loc, t, why, sizeof(why)))
		st->agreed++;
	else if (!st->first_diff[0])
		snprintf(st->first_diff, sizeof(st->first_diff), "0x%" PRIx64 ": %s", addr, why);
}

/*
 * Resolves every address of function `func` of the running workload c (whose unstripped twin,
 * for addr2line, is truth_exe) and compares each with addr2line.
 */
static void compare_function(struct sym_resolver *r, const struct child *c, const char *exe,
			     const char *truth_exe, const char *func, const char *anchor,
			     struct inline_stats *st)
{
	static uint64_t addrs[MAX_ADDRS];
	static struct truth truth[MAX_ADDRS];
	uint64_t fvalue, fsize, avalue, asize, base;
	size_t n;

	memset(st, 0, sizeof(*st));
	nm_sym(truth_exe, func, false, &fvalue, &fsize);
	nm_sym(truth_exe, anchor, false, &avalue, &asize);
	base = child_addr(c, anchor) - avalue;
	n = fsize < MAX_ADDRS ? fsize : MAX_ADDRS;
	addr2line_range(truth_exe, fvalue, n, addrs, truth);
	for (size_t i = 0; i < n; i++) {
		struct sym_location loc;

		resolve_at(r, c, base, addrs[i], &loc);
		assert_int_equal(loc.reason, SYM_OK);
		assert_string_equal(loc.module.path, exe);
		assert_true(loc.module.has_line_numbers && loc.module.has_inline_frames &&
			    loc.module.has_filenames);
		if (truth[i].addr != addrs[i] || !strcmp(truth[i].f[0].name, "??"))
			continue;
		tally(st, &loc, &truth[i], addrs[i]);
		if (loc.nframes == 2 && !strcmp(loc.frames[0].name, "churn") &&
		    !strcmp(loc.frames[1].name, "hot")) {
			bool churn_line = false;

			st->inlined++;
			/* The helper's line is in its body, the caller's is the call. */
			assert_string_equal(base_of(loc.frames[1].file), "inline_hot.c");
			assert_int_equal(loc.frames[1].line, line_call);
			assert_true(loc.frames[0].inlined);
			assert_false(loc.frames[1].inlined);
			/* From the loop header above the body to the closing brace below it. */
			churn_line = loc.frames[0].line >= line_churn[0] - 1 &&
				     loc.frames[0].line <= line_churn[nline_churn - 1] + 3;
			if (loc.frames[0].line && !churn_line)
				fail_msg("0x%" PRIx64 ": churn at line %d, not in its body",
					 addrs[i], loc.frames[0].line);
		}
	}
}

/* Every address of hot() of exe (running) as addr2line says for truth_exe. */
static void check_hot(struct sym_resolver *r, const char *exe, const char *truth_exe)
{
	struct inline_stats st;
	struct child c;

	spawn(&c, exe);
	assert_int_equal(sym_resolver__add_process(r, c.pid), 0);
	compare_function(r, &c, exe, truth_exe, "hot", "hot", &st);
	reap(&c);
	fprintf(stderr, "# %s: %zu of %zu addresses agree with addr2line, %zu inside churn\n",
		exe, st.agreed, st.checked, st.inlined);
	if (st.agreed != st.checked)
		fail_msg("%s: %zu of %zu addresses differ from addr2line; first: %s", exe,
			 st.checked - st.agreed, st.checked, st.first_diff);
	assert_true(st.checked > 16);
	assert_true(st.inlined > 4);
}

/* Resolves hot()'s first address and expects symbols only (no DWARF). */
static void check_no_dwarf(struct sym_resolver *r, const char *exe, const char *truth_exe,
			   const char *want)
{
	struct sym_location loc;
	uint64_t value, size;
	struct child c;

	spawn(&c, exe);
	assert_int_equal(sym_resolver__add_process(r, c.pid), 0);
	nm_sym(truth_exe, "hot", false, &value, &size);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(sym_resolver__resolve(r, c.pid, child_addr(&c, "hot") + 8, false,
						       &loc),
				 0);
		assert_int_equal(loc.nframes, 1);
		assert_null(loc.frames[0].file);
		assert_false(loc.module.has_line_numbers);
		if (want)
			assert_string_equal(loc.frames[0].name, want);
		assert_int_equal(loc.address, value + 8);
	}
	reap(&c);
}

/* stderr into a file, to count warnings. */
static int capture_begin(void)
{
	int saved, fd;

	fflush(stderr);
	saved = dup(2);
	fd = open(fx("stderr.txt"), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	assert_true(saved >= 0 && fd >= 0);
	dup2(fd, 2);
	close(fd);
	return saved;
}

/* Restores stderr; returns the number of captured lines containing needle. */
static int capture_end(int saved, const char *needle, char *first, size_t len)
{
	char line[4096];
	int n = 0;
	FILE *f;

	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	f = fopen(fx("stderr.txt"), "r");
	assert_non_null(f);
	if (first)
		first[0] = '\0';
	while (fgets(line, sizeof(line), f)) {
		fputs(line, stderr);
		if (strstr(line, needle)) {
			if (!n && first)
				snprintf(first, len, "%s", line);
			n++;
		}
	}
	fclose(f);
	return n;
}

static int find_line(const char *marker, int *lines, int max)
{
	char line[1024];
	int n = 0, no = 0;
	FILE *f = fopen(src, "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		no++;
		if (strstr(line, marker) && n < max)
			lines[n++] = no;
	}
	fclose(f);
	return n;
}

/* --- setup --- */

static int build(const char *cc, const char *sub)
{
	return run("mkdir -p '%s/%s' && %s " CFLAGS " '%s' -o '%s/%s/inline_hot'", dir, sub, cc, src,
		   dir, sub);
}

static enum fixture build_with(const char *cc)
{
	if (!have_tools || run("command -v %s >/dev/null", cc))
		return FX_MISSING;
	return build(cc, cc) ? FX_BROKEN : FX_BUILT;
}

/*
 * A stripped copy in dir/SUB with its debug info split off into dir/SUB/inline_hot.debug, and
 * with a .gnu_debuglink naming it if link.
 */
static int split(const char *from, const char *sub, bool link)
{
	const char *d = fx("%s", sub);

	if (run("mkdir -p '%s' && objcopy --only-keep-debug '%s' '%s/inline_hot.debug' && "
		"strip --strip-all -R .gnu_debuglink '%s' -o '%s/inline_hot'",
		d, from, d, from, d))
		return -1;
	/* objcopy reads the debug file for its CRC, by the name given. */
	return link ? run("cd '%s' && objcopy --add-gnu-debuglink=inline_hot.debug inline_hot "
			  "inline_hot.tmp && mv inline_hot.tmp inline_hot", d)
		    : 0;
}

/* Moves dir/SUB/inline_hot.debug to ROOT/.build-id/xx/rest.debug for EXE's build-id. */
static int to_build_id_dir(const char *sub, const char *root, const char *exe)
{
	char bid[256];

	build_id_of(exe, bid, sizeof(bid));
	if (strlen(bid) < 4)
		return -1;
	return run("mkdir -p '%s/.build-id/%.2s' && mv '%s/%s/inline_hot.debug' "
		   "'%s/.build-id/%.2s/%s.debug'",
		   root, bid, dir, sub, root, bid, bid + 2);
}

static int group_setup(void **state)
{
	snprintf(dir, sizeof(dir), "/tmp/profd-dwarf-test-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	if (!getcwd(cwd, sizeof(cwd)))
		return -1;
	snprintf(src, sizeof(src), "%s/%s", cwd, SRC_REL);
	if (access(src, R_OK)) {
		fprintf(stderr, "%s: not found; run from the top of the tree\n", src);
		return -1;
	}
	line_call = 0;
	find_line("LINE-CALL", &line_call, 1);
	nline_churn = find_line("LINE-CHURN", line_churn, 8);
	if (!line_call || nline_churn != 3)
		return -1;
	have_tools = !run("{ command -v addr2line && command -v objcopy && command -v strip && "
			  "command -v nm && command -v readelf; } >/dev/null");
	gcc_fx = build_with("gcc");
	clang_fx = build_with("clang");
	if (gcc_fx == FX_BUILT) {
		/* gcc: debuglink next to the binary, in .debug/, under a debug root; zlib, zstd. */
		if (split(fx("gcc/inline_hot"), "link_same", true) ||
		    split(fx("gcc/inline_hot"), "link_dot", true) ||
		    run("mkdir -p '%s/link_dot/.debug' && mv '%s/link_dot/inline_hot.debug' "
			"'%s/link_dot/.debug/'", dir, dir, dir) ||
		    split(fx("gcc/inline_hot"), "link_root", true) ||
		    run("mkdir -p '%s/root%s/link_root' && mv '%s/link_root/inline_hot.debug' "
			"'%s/root%s/link_root/'", dir, dir, dir, dir, dir) ||
		    run("objcopy --compress-debug-sections=zlib '%s/gcc/inline_hot' "
			"'%s/gcc/inline_hot.zlib'", dir, dir) ||
		    /* Bad: the debug file one byte longer than its CRC says. */
		    split(fx("gcc/inline_hot"), "bad_crc", true) ||
		    run("printf x >> '%s/bad_crc/inline_hot.debug'", dir) ||
		    /* Bad: another build's debug file under this build's build-id. */
		    run("mkdir -p '%s/other' && gcc " CFLAGS " -Wl,--build-id=0x0123456789abcdef "
			"'%s' -o "
			"'%s/other/inline_hot' && objcopy --only-keep-debug '%s/other/inline_hot' "
			"'%s/other/inline_hot.debug'", dir, src, dir, dir, dir) ||
		    split(fx("gcc/inline_hot"), "mismatch", false) ||
		    run("cp '%s/other/inline_hot.debug' '%s/mismatch/inline_hot.debug'", dir,
			dir) ||
		    to_build_id_dir("mismatch", fx("root_mismatch"), fx("gcc/inline_hot")) ||
		    /* Bad: truncated, and garbage. */
		    split(fx("gcc/inline_hot"), "truncated", false) ||
		    run("head -c 3000 '%s/truncated/inline_hot.debug' > '%s/t' && mv '%s/t' "
			"'%s/truncated/inline_hot.debug'", dir, dir, dir, dir) ||
		    to_build_id_dir("truncated", fx("root_truncated"), fx("gcc/inline_hot")) ||
		    split(fx("gcc/inline_hot"), "garbage", false) ||
		    run("head -c 20000 /dev/urandom > '%s/garbage/inline_hot.debug'", dir) ||
		    to_build_id_dir("garbage", fx("root_garbage"), fx("gcc/inline_hot")))
			return -1;
		/* zstd needs a binutils built with it: optional. */
		run("objcopy --compress-debug-sections=zstd '%s/gcc/inline_hot' "
		    "'%s/gcc/inline_hot.zstd' 2>/dev/null", dir, dir);
	}
	if (clang_fx == FX_BUILT) {
		/* clang: build-id folder, and debuginfod. */
		if (split(fx("clang/inline_hot"), "build_id", false) ||
		    to_build_id_dir("build_id", fx("root_bid"), fx("clang/inline_hot")) ||
		    split(fx("clang/inline_hot"), "dind", false) ||
		    run("mkdir -p '%s/srv' && mv '%s/dind/inline_hot.debug' '%s/srv/'", dir, dir,
			dir))
			return -1;
	}
	return 0;
}

static int group_teardown(void **state)
{
	stop_all();
	if (dir[0])
		rm_tree(dir);
	return 0;
}

static void need(enum fixture f, const char *cc)
{
	if (f == FX_MISSING)
		skip_missing("%s or binutils is not installed", cc);
	if (f == FX_BROKEN)
		fail_msg("the %s build of %s failed (its errors are above)", cc, SRC_REL);
}

#define need_gcc() need(gcc_fx, "gcc")
#define need_clang() need(clang_fx, "clang")

/* check_hot() with a resolver of its own that looks for debug files under roots (NULL: none). */
static void check_hot_in(const char *roots, const char *exe, const char *truth_exe)
{
	struct sym_resolver *r = new_resolver(roots, 0, 0);

	check_hot(r, exe, truth_exe);
	sym_resolver__free(r);
}

/* --- tests --- */

static void test_inline_gcc(void **state)
{
	need_gcc();
	check_hot_in(NULL, fx("gcc/inline_hot"), fx("gcc/inline_hot"));
}

static void test_inline_clang(void **state)
{
	need_clang();
	/* The elfutils 0.188 pitfall: clang 14 emits no .debug_aranges. */
	assert_int_equal(run("! readelf -S '%s' | grep -q debug_aranges", fx("clang/inline_hot")),
			 0);
	check_hot_in(NULL, fx("clang/inline_hot"), fx("clang/inline_hot"));
}

static void test_zlib_sections(void **state)
{
	need_gcc();
	assert_int_equal(run("readelf -S '%s' | grep -A1 debug_info | grep -q ' C '",
			     fx("gcc/inline_hot.zlib")),
			 0);
	check_hot_in(NULL, fx("gcc/inline_hot.zlib"), fx("gcc/inline_hot"));
}

static void test_debuglink_same_dir(void **state)
{
	need_gcc();
	check_hot_in(NULL, fx("link_same/inline_hot"), fx("gcc/inline_hot"));
}

static void test_debuglink_dot_debug(void **state)
{
	need_gcc();
	check_hot_in(NULL, fx("link_dot/inline_hot"), fx("gcc/inline_hot"));
}

static void test_debuglink_debug_root(void **state)
{
	char roots[2 * PATH_MAX];

	need_gcc();
	/* Several roots: the first has nothing. */
	snprintf(roots, sizeof(roots), "%s:%s", fx("no-such-root"), fx("root"));
	check_hot_in(roots, fx("link_root/inline_hot"), fx("gcc/inline_hot"));
}

static void test_build_id_dir(void **state)
{
	need_clang();
	check_hot_in(fx("root_bid"), fx("build_id/inline_hot"), fx("clang/inline_hot"));
}

/* A stripped binary without debug info: the symbol table (here .dynsym only) names frames. */
static void test_stripped_without_debug(void **state)
{
	struct sym_resolver *r;

	need_clang();
	r = new_resolver(NULL, 0, 0);
	check_no_dwarf(r, fx("build_id/inline_hot"), fx("clang/inline_hot"), NULL);
	sym_resolver__free(r);
}

/* A refused debug file: symbols only, exactly one warning naming the binary and the reason. */
static void check_refused(const char *roots, const char *exe, const char *want_name,
			  const char *reason)
{
	struct sym_resolver *r;
	char first[4096];
	int saved, n;

	r = new_resolver(roots, 0, 0);
	saved = capture_begin();
	check_no_dwarf(r, exe, fx("gcc/inline_hot"), want_name);
	n = capture_end(saved, exe, first, sizeof(first));
	sym_resolver__free(r);
	if (n != 1)
		fail_msg("%d warnings naming %s, want 1", n, exe);
	if (!strstr(first, reason))
		fail_msg("warning '%s' does not say '%s'", first, reason);
}

static void test_bad_crc(void **state)
{
	need_gcc();
	check_refused(NULL, fx("bad_crc/inline_hot"), NULL, "CRC");
}

static void test_build_id_mismatch(void **state)
{
	need_gcc();
	check_refused(fx("root_mismatch"), fx("mismatch/inline_hot"), NULL, "build-id");
}

static void test_truncated_debug_file(void **state)
{
	need_gcc();
	check_refused(fx("root_truncated"), fx("truncated/inline_hot"), NULL, "inline_hot");
}

static void test_garbage_debug_file(void **state)
{
	need_gcc();
	check_refused(fx("root_garbage"), fx("garbage/inline_hot"), NULL, "inline_hot");
}

static void test_zstd_sections(void **state)
{
	need_gcc();
	if (access(fx("gcc/inline_hot.zstd"), R_OK))
		skip_because("this objcopy cannot write zstd-compressed sections");
	check_refused(NULL, fx("gcc/inline_hot.zstd"), "hot", "zstd");
}

/*
 * A function name that runs to the end of .debug_info without its NUL (a DW_FORM_string libdw
 * returns unchecked): the name is dropped, never read past the section. Before the fix the name
 * came back as "f" followed by whatever bytes lay after the section.
 */
static void test_unterminated_name(void **state)
{
	struct sym_dwarf_opts opts = {.max_bytes = 64u << 20};
	struct sym_frame frames[SYM_INLINE_MAX];
	struct sym_dwarf *d = NULL;
	size_t grew, n;
	int fd;

	need_gcc();
	assert_int_equal(run("gcc -nostdlib -static -no-pie -o '%s' '%s/tests/dwarf/"
			     "unterminated_name.s'", fx("unterminated"), cwd), 0);
	fd = open(fx("unterminated"), O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(sym_dwarf__open(fd, &opts, &d), 0);
	close(fd);
	n = sym_dwarf__lookup(d, 0x401001, frames, SYM_INLINE_MAX, &grew);
	assert_int_equal(n, 1);
	assert_null(frames[0].name);
	sym_dwarf__free(d);
}

/*
 * A debug section whose header asks for 2^59-byte alignment (found by fuzz_elf_dwarf): the
 * mapped copy padded toward it 64 bytes at a time, a hang. The file is refused for the copy and
 * read into memory instead.
 */
static void test_absurd_alignment(void **state)
{
	struct sym_dwarf_opts opts = {.max_bytes = 64u << 20};
	struct sym_dwarf *d = NULL;
	Elf_Scn *scn = NULL;
	size_t shstrndx;
	GElf_Shdr sh;
	Elf *e;
	int fd;

	need_gcc();
	assert_int_equal(run("cp '%s' '%s'", fx("gcc/inline_hot"), fx("aligned")), 0);
	fd = open(fx("aligned"), O_RDWR | O_CLOEXEC);
	assert_true(fd >= 0);
	elf_version(EV_CURRENT);
	e = elf_begin(fd, ELF_C_RDWR, NULL);
	assert_non_null(e);
	elf_flagelf(e, ELF_C_SET, ELF_F_LAYOUT); /* keep every offset as it is */
	assert_int_equal(elf_getshdrstrndx(e, &shstrndx), 0);
	while ((scn = elf_nextscn(e, scn))) {
		assert_non_null(gelf_getshdr(scn, &sh));
		if (strcmp(elf_strptr(e, shstrndx, sh.sh_name), ".debug_str"))
			continue;
		sh.sh_addralign = 1ull << 59;
		assert_true(gelf_update_shdr(scn, &sh));
	}
	assert_true(elf_update(e, ELF_C_WRITE) > 0);
	elf_end(e);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	assert_int_equal(sym_dwarf__open(fd, &opts, &d), 0);
	close(fd);
	sym_dwarf__free(d);
}

/* The link-time range of path's .text into [*lo, *hi). */
static void text_range(const char *path, uint64_t *lo, uint64_t *hi)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	Elf_Scn *scn = NULL;
	size_t shstrndx;
	GElf_Shdr sh;
	Elf *e;

	assert_true(fd >= 0);
	elf_version(EV_CURRENT);
	e = elf_begin(fd, ELF_C_READ, NULL);
	assert_non_null(e);
	assert_int_equal(elf_getshdrstrndx(e, &shstrndx), 0);
	*lo = *hi = 0;
	while ((scn = elf_nextscn(e, scn)))
		if (gelf_getshdr(scn, &sh) && !strcmp(elf_strptr(e, shstrndx, sh.sh_name), ".text"))
			*lo = sh.sh_addr, *hi = sh.sh_addr + sh.sh_size;
	elf_end(e);
	close(fd);
	assert_true(*hi > *lo);
}

static struct sym_dwarf *open_dwarf(const char *path, const struct sym_dwarf_opts *opts)
{
	struct sym_dwarf *d = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(sym_dwarf__open(fd, opts, &d), 0);
	close(fd);
	return d;
}

static bool same(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

/*
 * libdw's state begun again after every unit names every address of this test binary (many
 * units, with DWARF) exactly as a state kept whole does: the indexes and line tables hold no
 * pointer into what libdw frees.
 */
static void test_libdw_begun_again(void **state)
{
	struct sym_dwarf_opts whole = {.max_bytes = 256u << 20}, again = whole;
	struct sym_frame fa[SYM_INLINE_MAX], fb[SYM_INLINE_MAX];
	struct sym_dwarf *a, *b;
	size_t with_lines = 0, grew;
	uint64_t lo, hi;

	again.libdw_bytes_max = 1;
	text_range("/proc/self/exe", &lo, &hi);
	a = open_dwarf("/proc/self/exe", &whole);
	b = open_dwarf("/proc/self/exe", &again);
	for (uint64_t addr = lo; addr < hi; addr += 7) {
		size_t na = sym_dwarf__lookup(a, addr, fa, SYM_INLINE_MAX, &grew);
		size_t nb = sym_dwarf__lookup(b, addr, fb, SYM_INLINE_MAX, &grew);

		assert_int_equal(na, nb);
		for (size_t i = 0; i < na; i++) {
			if (!same(fa[i].name, fb[i].name) || !same(fa[i].file, fb[i].file) ||
			    fa[i].line != fb[i].line || fa[i].inlined != fb[i].inlined)
				fail_msg("0x%" PRIx64 " frame %zu: %s %s:%d, begun again %s %s:%d", addr,
					 i, fa[i].name, fa[i].file, fa[i].line, fb[i].name,
					 fb[i].file, fb[i].line);
		}
		with_lines += na && fa[0].line > 0 && fa[0].file;
	}
	assert_true(with_lines > 10000);
	sym_dwarf__free(a);
	sym_dwarf__free(b);
}

#define NAME_STEP 11

/*
 * Names every NAME_STEP-th address of [lo, hi) in d as ref names them, and returns the frames
 * found. files[] holds the source file of each address's first frame: filled when fill, else
 * the very same strings are expected (d's copies of names are made once).
 */
static size_t name_all(struct sym_dwarf *d, struct sym_dwarf *ref, uint64_t lo, uint64_t hi,
		       const char **files, bool fill)
{
	struct sym_frame fa[SYM_INLINE_MAX], fb[SYM_INLINE_MAX];
	size_t frames = 0, grew;

	for (uint64_t addr = lo; addr < hi; addr += NAME_STEP) {
		size_t na = sym_dwarf__lookup(ref, addr, fa, SYM_INLINE_MAX, &grew);
		size_t nb = sym_dwarf__lookup(d, addr, fb, SYM_INLINE_MAX, &grew);
		const char **file = &files[(addr - lo) / NAME_STEP];

		assert_int_equal(na, nb);
		for (size_t i = 0; i < na; i++)
			if (!same(fa[i].name, fb[i].name) || !same(fa[i].file, fb[i].file) ||
			    fa[i].line != fb[i].line || fa[i].inlined != fb[i].inlined)
				fail_msg("0x%" PRIx64 " frame %zu: %s %s:%d, indexed again %s %s:%d",
					 addr, i, fa[i].name, fa[i].file, fa[i].line, fb[i].name,
					 fb[i].file, fb[i].line);
		if (fill)
			*file = nb ? fb[0].file : NULL;
		else if (*file != (nb ? fb[0].file : NULL))
			fail_msg("0x%" PRIx64 ": the name of %s copied again", addr, *file);
		frames += nb;
	}
	return frames;
}

/*
 * Units unused for a minute are forgotten between drains and indexed again when an address
 * needs them: the same names as an index kept whole, from the same copies of the file names,
 * and the same memory as before they were forgotten.
 */
static void test_idle_units_forgotten(void **state)
{
	struct sym_dwarf_opts opts = {.max_bytes = 256u << 20};
	struct sym_dwarf *kept, *d;
	uint64_t lo, hi, now;
	size_t indexed, opened;
	const char **files;

	text_range("/proc/self/exe", &lo, &hi);
	files = calloc((hi - lo) / NAME_STEP + 1, sizeof(*files));
	assert_non_null(files);
	kept = open_dwarf("/proc/self/exe", &opts);
	d = open_dwarf("/proc/self/exe", &opts);
	opened = sym_dwarf__bytes(d);
	assert_true(name_all(d, kept, lo, hi, files, true) > 1000);
	now = (uint64_t)profd_coarse_ns();
	sym_dwarf__drop_pages(d, now); /* used just now: nothing forgotten */
	indexed = sym_dwarf__bytes(d);
	assert_true(indexed > opened);
	for (int round = 0; round < 2; round++) {
		now += 61ull * 1000000000;
		sym_dwarf__drop_pages(d, now);
		assert_true(sym_dwarf__bytes(d) < indexed);
		assert_true(name_all(d, kept, lo, hi, files, false) > 1000);
		sym_dwarf__drop_pages(d, (uint64_t)profd_coarse_ns());
		assert_int_equal(sym_dwarf__bytes(d), indexed);
	}
	free(files);
	sym_dwarf__free(kept);
	sym_dwarf__free(d);
}

/* A debug file the cache cannot hold next to anything else: evicted, read again, still right. */
static void test_eviction(void **state)
{
	struct sym_resolver *r;
	struct sym_stats st;

	need_gcc();
	need_clang();
	r = new_resolver(NULL, 1, 0);
	for (int i = 0; i < 2; i++) {
		check_hot(r, fx("gcc/inline_hot"), fx("gcc/inline_hot"));
		check_hot(r, fx("clang/inline_hot"), fx("clang/inline_hot"));
	}
	sym_resolver__stats(r, &st);
	assert_true(st.evictions >= 3);
	assert_true(st.debug_loads >= 4);
	assert_true(st.debug_files <= 1);
	sym_resolver__free(r);
}

static void test_stats(void **state)
{
	struct sym_resolver *r;
	struct sym_stats st;

	need_gcc();
	r = new_resolver(NULL, 0, 0);
	check_hot(r, fx("gcc/inline_hot"), fx("gcc/inline_hot"));
	sym_resolver__stats(r, &st);
	assert_true(st.debug_files >= 1);
	assert_true(st.debug_bytes > 0);
	assert_true(st.debug_bytes <= st.cache_bytes);
	assert_true(st.debug_loads >= 1);
	sym_resolver__free(r);
}

/* --- debuginfod --- */

static int free_port(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), port;

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	port = ntohs(a.sin_port);
	close(fd);
	return port;
}

/* A server that takes connections and never answers. Returns the listening fd. */
static int silent_server(int *port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(fd, 16), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	*port = ntohs(a.sin_port);
	return fd;
}

static double mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void set_debuginfod(const char *url)
{
	char cache[PATH_MAX];

	pathf(cache, "%s/debuginfod-cache-%d", dir, free_port());
	setenv("DEBUGINFOD_URLS", url, 1);
	setenv("DEBUGINFOD_CACHE_PATH", cache, 1);
}

static void unset_debuginfod(void)
{
	unsetenv("DEBUGINFOD_URLS");
	unsetenv("DEBUGINFOD_CACHE_PATH");
}

/* After a debuginfod test, failed or not: no other test may see a server. */
static int debuginfod_teardown(void **state)
{
	unset_debuginfod();
	return 0;
}

static struct sym_file *file_of(struct sym_resolver *r, const char *path)
{
	for (struct sym_file *f = r->files.lru.lru_next; f != &r->files.lru; f = f->lru_next)
		if (!strcmp(f->path, path))
			return f;
	return NULL;
}

/*
 * Resolves hot()+8 until the frames have lines or `seconds` pass; every resolve must return at
 * once. Returns the seconds it took, or -1.
 */
static double wait_for_lines(struct sym_resolver *r, const struct child *c, double seconds)
{
	double start = mono();

	while (mono() - start < seconds) {
		struct sym_location loc;
		double t = mono();

		assert_int_equal(sym_resolver__resolve(r, c->pid, child_addr(c, "hot") + 8, false,
						       &loc),
				 0);
		if (mono() - t > 0.5)
			fail_msg("a resolve waited %.2f s for debuginfod", mono() - t);
		if (loc.module.has_line_numbers)
			return mono() - start;
		usleep(20000);
	}
	return -1;
}

static void test_debuginfod(void **state)
{
	char bid[256], url[128], log[PATH_MAX];
	struct sym_resolver *r;
	struct inline_stats st;
	struct sym_stats stats;
	struct child c;
	pid_t server;
	int port, up = 0;
	double took;

	need_clang();
	if (run("command -v debuginfod >/dev/null && command -v curl >/dev/null"))
		skip_missing("debuginfod or curl is not installed");
	build_id_of(fx("clang/inline_hot"), bid, sizeof(bid));
	port = free_port();
	pathf(log, "%s/debuginfod.log", dir);
	server = fork();
	assert_true(server >= 0);
	if (!server) {
		char p[16], db[PATH_MAX + 32];
		int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		snprintf(p, sizeof(p), "%d", port);
		snprintf(db, sizeof(db), "%s/debuginfod.sqlite", dir);
		dup2(fd, 1);
		dup2(fd, 2);
		execlp("debuginfod", "debuginfod", "-F", "-d", db, "-p", p, fx("srv"),
		       (char *)NULL);
		_exit(127);
	}
	track(server);
	/* Up once it has scanned the folder and serves the file. */
	for (int i = 0; i < 120 && !up; i++) {
		char cmd[512];

		usleep(250000);
		snprintf(cmd, sizeof(cmd),
			 "curl -sf -o /dev/null http://127.0.0.1:%d/buildid/%s/debuginfo", port,
			 bid);
		up = !system(cmd);
	}
	if (!up) {
		stop(server, SIGKILL);
		fail_msg("debuginfod on port %d did not serve %s; see %s", port, bid, log);
	}
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", port);
	set_debuginfod(url);
	r = new_resolver(NULL, 0, 10000);
	spawn(&c, fx("dind/inline_hot"));
	assert_int_equal(sym_resolver__add_process(r, c.pid), 0);
	took = wait_for_lines(r, &c, 20);
	if (took < 0) {
		reap(&c);
		fail_msg("no lines from debuginfod after 20 s");
	}
	fprintf(stderr, "# debuginfod: lines after %.2f s\n", took);
	compare_function(r, &c, fx("dind/inline_hot"), fx("clang/inline_hot"), "hot", "hot", &st);
	reap(&c);
	if (st.agreed != st.checked)
		fail_msg("%zu of %zu addresses differ from addr2line; first: %s",
			 st.checked - st.agreed, st.checked, st.first_diff);
	assert_true(st.inlined > 4);
	sym_resolver__stats(r, &stats);
	assert_int_equal(stats.debuginfod_fetches, 1);
	sym_resolver__free(r);
	unset_debuginfod();
	stop(server, SIGTERM);
}

/* Waits until the file's search for debug info has given up. */
static bool wait_given_up(struct sym_resolver *r, const struct child *c, const char *exe,
			  double seconds)
{
	double start = mono();

	while (mono() - start < seconds) {
		struct sym_file *f;

		assert_true(wait_for_lines(r, c, 0.05) < 0);
		f = file_of(r, exe);
		assert_non_null(f);
		if (f->dwarf_state == SYM_DW_NONE)
			return true;
	}
	return false;
}

static void test_debuginfod_down(void **state)
{
	struct sym_resolver *r;
	char url[128];
	struct child c;
	int saved, n;

	need_clang();
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", free_port());
	set_debuginfod(url);
	r = new_resolver(NULL, 0, 5000);
	spawn(&c, fx("dind/inline_hot"));
	assert_int_equal(sym_resolver__add_process(r, c.pid), 0);
	saved = capture_begin();
	if (!wait_given_up(r, &c, fx("dind/inline_hot"), 10)) {
		capture_end(saved, "", NULL, 0);
		fail_msg("still waiting for a server that is down");
	}
	check_no_dwarf(r, fx("dind/inline_hot"), fx("clang/inline_hot"), NULL);
	n = capture_end(saved, "debuginfod", NULL, 0);
	reap(&c);
	sym_resolver__free(r);
	unset_debuginfod();
	assert_int_equal(n, 1);
}

static void test_debuginfod_slow(void **state)
{
	struct sym_resolver *r;
	char url[128];
	struct child c;
	int port, fd, saved, n;
	double start;

	need_clang();
	fd = silent_server(&port);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", port);
	set_debuginfod(url);
	r = new_resolver(NULL, 0, 1500);
	spawn(&c, fx("dind/inline_hot"));
	assert_int_equal(sym_resolver__add_process(r, c.pid), 0);
	saved = capture_begin();
	start = mono();
	if (!wait_given_up(r, &c, fx("dind/inline_hot"), 10)) {
		capture_end(saved, "", NULL, 0);
		fail_msg("the fetch never timed out");
	}
	n = capture_end(saved, "timed out", NULL, 0);
	fprintf(stderr, "# slow debuginfod given up after %.2f s\n", mono() - start);
	assert_true(mono() - start >= 1.0);
	assert_int_equal(n, 1);

	/* Freeing the resolver during a fetch cancels it promptly. */
	sym_resolver__free(r);
	set_debuginfod(url);
	r = new_resolver(NULL, 0, 60000);
	assert_int_equal(sym_resolver__add_process(r, c.pid), 0);
	assert_true(wait_for_lines(r, &c, 0.3) < 0);
	start = mono();
	sym_resolver__free(r);
	fprintf(stderr, "# freed during a fetch in %.2f s\n", mono() - start);
	assert_true(mono() - start < 3);
	reap(&c);
	close(fd);
	unset_debuginfod();
}

/* --- libc with Debian's libc6-dbg --- */

static bool libc_debug(char *libc, char *debug)
{
	char line[PATH_MAX + 64], bid[256];
	FILE *f;

	libc[0] = '\0';
	f = fopen("/proc/self/maps", "r");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		char *p = strchr(line, '/');

		if (p && strstr(p, "/libc.so.6")) {
			snprintf(libc, PATH_MAX, "%.*s", (int)strcspn(p, "\n"), p);
			break;
		}
	}
	fclose(f);
	if (!libc[0])
		return false;
	build_id_of(libc, bid, sizeof(bid));
	if (strlen(bid) < 4)
		return false;
	snprintf(debug, PATH_MAX, "/usr/lib/debug/.build-id/%.2s/%s.debug", bid, bid + 2);
	return !access(debug, R_OK);
}

/* Addresses [value, value + size) of libc, through the workload's qsort pointer. */
static void compare_libc(struct sym_resolver *r, const struct child *c, const char *libc,
			 const char *debug, uint64_t value, uint64_t size, uint64_t base,
			 struct inline_stats *st, const char *want_file)
{
	static uint64_t addrs[MAX_ADDRS];
	static struct truth truth[MAX_ADDRS];
	size_t n = size < MAX_ADDRS ? size : MAX_ADDRS, with_file = 0;

	memset(st, 0, sizeof(*st));
	addr2line_range(debug, value, n, addrs, truth);
	for (size_t i = 0; i < n; i++) {
		struct sym_location loc;

		resolve_at(r, c, base, addrs[i], &loc);
		assert_string_equal(loc.module.path, libc);
		assert_true(loc.module.has_line_numbers);
		if (loc.frames[0].file && loc.frames[0].line > 0 &&
		    !strcmp(base_of(loc.frames[0].file), want_file))
			with_file++;
		st->inlined += loc.nframes > 1;
		if (!strcmp(truth[i].f[0].name, "??"))
			continue;
		tally(st, &loc, &truth[i], addrs[i]);
	}
	fprintf(stderr, "# libc %s: %zu of %zu addresses agree with addr2line, %zu in %s, %zu "
		"inlined\n", want_file, st->agreed, st->checked, with_file, want_file, st->inlined);
	if (st->agreed != st->checked)
		fail_msg("libc: %zu of %zu addresses differ from addr2line; first: %s",
			 st->checked - st->agreed, st->checked, st->first_diff);
	assert_true(with_file > n / 2);
}

static void test_libc_dbg(void **state)
{
	char libc[PATH_MAX], debug[PATH_MAX];
	uint64_t qvalue, qsize, value, size, base;
	struct sym_resolver *r;
	struct sym_location loc;
	struct inline_stats st;
	struct child c;

	need_gcc();
	if (!libc_debug(libc, debug))
		skip_missing("libc6-dbg is not installed: no debug file for this libc");
	r = new_resolver("/usr/lib/debug", 0, 0);
	spawn(&c, fx("gcc/inline_hot"));
	assert_int_equal(sym_resolver__add_process(r, c.pid), 0);

	/* qsort: msort.c, with inline frames (msort_with_tmp inlined into itself and qsort_r). */
	nm_sym(libc, "qsort", true, &qvalue, &qsize);
	base = child_addr(&c, "qsort") - qvalue;
	nm_sym(libc, "qsort_r", true, &value, &size);
	compare_libc(r, &c, libc, debug, value, size, base, &st, "msort.c");
	assert_true(st.inlined > 0);

	/* memcpy: the IFUNC's choice, assembly: the symbol names it, the .S file places it. */
	assert_int_equal(sym_resolver__resolve(r, c.pid, child_addr(&c, "memcpy"), false, &loc), 0);
	assert_non_null(loc.frames[0].file);
	fprintf(stderr, "# memcpy is %s at %s:%d\n", loc.frames[0].name, loc.frames[0].file,
		loc.frames[0].line);
	assert_true(strstr(loc.frames[0].file, ".S") != NULL);
	assert_true(loc.frames[0].line > 0);
	compare_libc(r, &c, libc, debug, loc.address, 256, base, &st,
		     base_of(loc.frames[0].file));
	reap(&c);
	sym_resolver__free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_inline_gcc),
		cmocka_unit_test(test_inline_clang),
		cmocka_unit_test(test_zlib_sections),
		cmocka_unit_test(test_debuglink_same_dir),
		cmocka_unit_test(test_debuglink_dot_debug),
		cmocka_unit_test(test_debuglink_debug_root),
		cmocka_unit_test(test_build_id_dir),
		cmocka_unit_test(test_stripped_without_debug),
		cmocka_unit_test(test_bad_crc),
		cmocka_unit_test(test_build_id_mismatch),
		cmocka_unit_test(test_truncated_debug_file),
		cmocka_unit_test(test_garbage_debug_file),
		cmocka_unit_test(test_zstd_sections),
		cmocka_unit_test(test_unterminated_name),
		cmocka_unit_test(test_libdw_begun_again),
		cmocka_unit_test(test_idle_units_forgotten),
		cmocka_unit_test(test_absurd_alignment),
		cmocka_unit_test(test_eviction),
		cmocka_unit_test(test_stats),
		cmocka_unit_test_teardown(test_debuginfod, debuginfod_teardown),
		cmocka_unit_test_teardown(test_debuginfod_down, debuginfod_teardown),
		cmocka_unit_test_teardown(test_debuginfod_slow, debuginfod_teardown),
		cmocka_unit_test(test_libc_dbg),
	};

	unsetenv("DEBUGINFOD_URLS");
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
