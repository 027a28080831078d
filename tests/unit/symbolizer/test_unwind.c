// SPDX-License-Identifier: MIT
/*
 * Unit tests of symbolizer/unwind*.c: DWARF unwinding of copied stacks. Fixture programs built
 * -O2 without frame pointers at run time spin in a known call chain; the test stops them with
 * ptrace at arbitrary points, copies registers and the top of the stack as the BPF sampler does,
 * and unwinds the copy. The truth is the call chain the fixture's source spells out, named by the
 * resolver. The table parsers also get random and mutated input (run `make asan` for the memory
 * errors that would not crash).
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <inttypes.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/types.h>

#include <cmocka.h>

#include "child.h"
#include "elf_file.h"
#include "capture.h"
#include "helpers.h"

#include "bpf/profile.h"
#include "symbolizer/symbolizer.h"
#include "symbolizer/symbolizer_internal.h"
#include "symbolizer/unwind_table_internal.h"

/*
 * main -> fx_a -> fx_b -> fx_c -> fx_spin, forever; or, with an argument, a loop on the vdso.
 * fx_c says "ready": a stop that lands while the write is still under way (under load) has the
 * whole chain on its stack too.
 */
static const char fx_c[] =
	"#include <stdio.h>\n"
	"#include <time.h>\n"
	"#define NOINLINE __attribute__((noinline))\n"
	"volatile unsigned long sink;\n"
	"NOINLINE void fx_spin(void)\n"
	"{ unsigned long x = sink; for (;;) { x = x * 6364136223846793005UL + 1;\n"
	"  __asm__ volatile(\"\" : \"+r\"(x) : : \"memory\"); } }\n"
	"NOINLINE void fx_clock(void)\n"
	"{ struct timespec ts; for (;;) { clock_gettime(CLOCK_MONOTONIC, &ts); sink += ts.tv_nsec; } }\n"
	"NOINLINE void fx_c(int n) { printf(\"ready\\n\"); fflush(stdout);\n"
	"  if (n) fx_clock(); else fx_spin(); __asm__ volatile(\"\"); }\n"
	"NOINLINE void fx_b(int n) { char pad[64]; __asm__ volatile(\"\" : : \"r\"(pad) : \"memory\");\n"
	"  fx_c(n); __asm__ volatile(\"\" : : \"r\"(pad) : \"memory\"); }\n"
	"NOINLINE void fx_a(int n) { fx_b(n); __asm__ volatile(\"\"); }\n"
	"int main(int argc, char **argv)\n"
	"{ fx_a(argc > 1); return 0; }\n";

static const char *const chain[] = {"fx_c", "fx_b", "fx_a", "main"};

static bool have_cc;

static const char *fx(const char *name)
{
	return path_in(test_dir, name);
}

static int group_setup(void **state)
{
	const char *nofp = "-O2 -g -fomit-frame-pointer -fno-optimize-sibling-calls";
	int ready = fixture_source("cc readelf", fx_c);

	have_cc = ready > 0;
	if (ready <= 0)
		return ready;
	/* fx_nofp: .eh_frame only; fx_fp: frame pointers; fx_debug: .debug_frame only. */
	return run("cd '%s' && cc %s fx.c -o fx_nofp && "
		   "cc -O2 -g -fno-omit-frame-pointer -fno-optimize-sibling-calls fx.c -o fx_fp && "
		   "cc %s -fno-asynchronous-unwind-tables -fno-exceptions fx.c -o fx_debug",
		   test_dir, nofp, nofp);
}

static void skip_without_cc(void)
{
	if (!have_cc)
		skip_missing("cc or readelf is not installed");
}

/* --- a stopped fixture, copied the way the sampler copies --- */

/* Nanoseconds pid has run on a CPU (/proc/PID/schedstat), or -1. */
static long long cpu_ran_ns(pid_t pid)
{
	char path[64];
	long long ns = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/schedstat", (int)pid);
	f = fopen(path, "r");
	if (f) {
		if (fscanf(f, "%lld", &ns) != 1)
			ns = -1;
		fclose(f);
	}
	return ns;
}

/*
 * Waits (10 s at most) until pid has run 5 ms of CPU since its "ready" line: on a busy machine
 * the line arrives while the fixture is still in libc's write path, and a stack taken then does
 * not hold its loop. Its loop makes no system call, so after 5 ms of CPU it is in it.
 */
static void wait_in_loop(pid_t pid)
{
	long long start = cpu_ran_ns(pid), now = start;

	assert_true(start >= 0);
	for (int i = 0; i < 10000 && now - start < 5000000; i++) {
		struct timespec ms = {.tv_nsec = 1000 * 1000};

		nanosleep(&ms, NULL);
		now = cpu_ran_ns(pid);
	}
	if (now - start < 5000000)
		fail_msg("pid %d ran %lld ns of CPU in 10 s after its ready line", (int)pid, now - start);
}

static void capture(pid_t pid, struct capture *c, size_t size)
{
	if (capture_thread(pid, c, size))
		fail_msg("capture pid %d: %s", (int)pid, strerror(errno));
}

static int unwind(struct sym_unwinder *u, pid_t pid, const struct capture *c, size_t len,
		  bool cut, uint64_t *pcs, size_t max, enum sym_unwind_stop *stop)
{
	struct sym_unwind_sample s = {
		.pid = pid,
		.regs = c->regs,
		.stack = c->stack,
		.stack_len = len,
		.stack_cut = cut,
	};

	return sym_unwinder__unwind(u, &s, pcs, max, stop);
}

static const char *name_of(struct sym_resolver *r, pid_t pid, uint64_t pc, bool is_return)
{
	static char names[8][256];
	static int next;
	struct sym_location loc;
	char *n = names[next++ % 8];

	assert_int_equal(sym_resolver__resolve(r, pid, pc, is_return, &loc), 0);
	snprintf(n, 256, "%s", loc.frames[loc.nframes - 1].name);
	return n;
}

/*
 * Checks that pcs hold, after the leaf frames, the fixture's chain up to main. Returns the index
 * of main.
 */
static int expect_chain(struct sym_resolver *r, pid_t pid, const uint64_t *pcs, int n)
{
	int at = -1;

	for (int i = 0; i < n && at < 0; i++)
		if (!strcmp(name_of(r, pid, pcs[i], i > 0), "fx_c"))
			at = i;
	if (at < 0) {
		for (int i = 0; i < n; i++)
			fprintf(stderr, "  #%d %s\n", i, name_of(r, pid, pcs[i], i > 0));
		fail_msg("fx_c is not on the unwound stack (%d frames)", n);
	}
	for (size_t k = 0; k < sizeof(chain) / sizeof(chain[0]); k++) {
		const char *got = at + (int)k < n ? name_of(r, pid, pcs[at + k], true) : "(end)";

		if (strcmp(got, chain[k]))
			fail_msg("frame %d: got %s, want %s", at + (int)k, got, chain[k]);
	}
	return at + 3;
}

struct env {
	struct sym_resolver *r;
	struct sym_unwinder *u;
	struct child c;
	pid_t pid;
};

static void env_start(struct env *e, const char *exe, const char *arg)
{
	child_spawn(&e->c, exe, arg);
	e->pid = e->c.pid;
	wait_in_loop(e->pid);
	e->r = sym_resolver__new(NULL);
	assert_non_null(e->r);
	e->u = sym_unwinder__new(e->r);
	assert_non_null(e->u);
	assert_int_equal(sym_resolver__add_process(e->r, e->pid), 0);
	assert_int_equal(sym_unwinder__prepare(e->u, e->pid), 0);
}

static void env_stop(struct env *e)
{
	child_reap(&e->c);
	sym_unwinder__free(e->u);
	sym_resolver__free(e->r);
}

/* Stops the fixture at many points of its loop: every copy unwinds to main, then _start. */
static void unwinds_to_main(const char *exe, const char *arg, int rounds)
{
	static struct capture c;
	uint64_t pcs[128];
	enum sym_unwind_stop stop;
	struct env e;
	int n;

	env_start(&e, exe, arg);
	for (int i = 0; i < rounds; i++) {
		struct timespec pause = {.tv_nsec = (rand() % 2000 + 100) * 1000};

		nanosleep(&pause, NULL);
		capture(e.pid, &c, PROFD_STACK_SIZE_DEFAULT);
		n = unwind(e.u, e.pid, &c, c.len, c.cut, pcs, 128, &stop);
		assert_true(n > 4);
		expect_chain(e.r, e.pid, pcs, n);
		if (stop != SYM_UNWIND_END)
			fail_msg("round %d: stopped by '%s' after %d frames, want the end of the stack",
				 i, sym_unwind_stop_name(stop), n);
	}
	env_stop(&e);
}

static void test_unwind_eh_frame(void **state)
{
	skip_without_cc();
	unwinds_to_main(fx("fx_nofp"), NULL, 40);
}

static void test_unwind_debug_frame(void **state)
{
	skip_without_cc();
	/* The premise: the fixture's own code has CFI only in .debug_frame. */
	assert_int_equal(run("readelf -wF '%s' | grep -q 'fx_b\\|debug_frame' ", fx("fx_debug")), 0);
	unwinds_to_main(fx("fx_debug"), NULL, 20);
}

/* Most stops land inside clock_gettime in the vdso: its CFI comes from our own vdso image. */
static void test_unwind_vdso(void **state)
{
	static struct capture c;
	struct sym_location loc;
	uint64_t pcs[128];
	enum sym_unwind_stop stop;
	int in_vdso = 0, n;
	struct env e;

	skip_without_cc();
	env_start(&e, fx("fx_nofp"), "clock");
	for (int i = 0; i < 40; i++) {
		struct timespec pause = {.tv_nsec = 300 * 1000};

		nanosleep(&pause, NULL);
		capture(e.pid, &c, PROFD_STACK_SIZE_DEFAULT);
		n = unwind(e.u, e.pid, &c, c.len, c.cut, pcs, 128, &stop);
		assert_int_equal(sym_resolver__resolve(e.r, e.pid, pcs[0], false, &loc), 0);
		if (!loc.module.path || strcmp(loc.module.path, "[vdso]"))
			continue;
		in_vdso++;
		assert_int_equal(stop, SYM_UNWIND_END);
		for (int k = 0; k < n; k++)
			if (!strcmp(name_of(e.r, e.pid, pcs[k], k > 0), "fx_clock"))
				in_vdso += 1000;
	}
	env_stop(&e);
	assert_true(in_vdso % 1000 > 0);	  /* some stops were in the vdso */
	assert_int_equal(in_vdso / 1000, in_vdso % 1000); /* each reached fx_clock */
}

/* Cut copies, depth limits and unknown processes stop cleanly and say why. */
static void test_unwind_stops(void **state)
{
	static struct capture c;
	uint64_t pcs[128], full[128];
	enum sym_unwind_stop stop;
	struct sym_unwind_stats st;
	struct env e;
	int n, nfull;

	skip_without_cc();
	env_start(&e, fx("fx_nofp"), NULL);
	capture(e.pid, &c, PROFD_STACK_SIZE_DEFAULT);
	nfull = unwind(e.u, e.pid, &c, c.len, c.cut, full, 128, &stop);
	assert_int_equal(stop, SYM_UNWIND_END);
	assert_true(nfull >= 6);

	/* A copy too short for the caller's frames: cut at the limit, or short of readable memory. */
	n = unwind(e.u, e.pid, &c, 16, true, pcs, 128, &stop);
	assert_int_equal(stop, SYM_UNWIND_TRUNCATED);
	assert_true(n >= 1 && n < nfull);
	assert_memory_equal(pcs, full, n * sizeof(uint64_t));
	n = unwind(e.u, e.pid, &c, 16, false, pcs, 128, &stop);
	assert_int_equal(stop, SYM_UNWIND_BAD_READ);

	n = unwind(e.u, e.pid, &c, c.len, c.cut, pcs, 3, &stop);
	assert_int_equal(n, 3);
	assert_int_equal(stop, SYM_UNWIND_DEPTH);
	assert_memory_equal(pcs, full, 3 * sizeof(uint64_t));

	/* Return addresses overwritten with garbage: a bounded, explained stop. */
	for (size_t off = 8; off < c.len; off += 8)
		memset(c.stack + off, 0x41, 8);
	n = unwind(e.u, e.pid, &c, c.len, c.cut, pcs, 128, &stop);
	assert_true(n >= 1 && n < 128);
	assert_true(stop >= SYM_UNWIND_NO_PROCESS);

	c.regs[PROFD_REG_IP] = 0;
	assert_int_equal(unwind(e.u, e.pid, &c, c.len, c.cut, pcs, 128, &stop), 0);

	sym_unwinder__stats(e.u, &st);
	assert_true(st.unwinds >= 5);
	assert_true(st.files >= 1);
	assert_true(st.table_bytes > 0);
	env_stop(&e);

	e.r = sym_resolver__new(NULL);
	e.u = sym_unwinder__new(e.r);
	c.regs[PROFD_REG_IP] = 0x401000;
	assert_int_equal(unwind(e.u, 999999999, &c, c.len, c.cut, pcs, 128, &stop), 1);
	assert_int_equal(stop, SYM_UNWIND_NO_PROCESS);
	sym_unwinder__free(e.u);
	sym_resolver__free(e.r);
}

/* --- the table parsers --- */

struct sections {
	uint8_t *eh, *hdr, *dbg;
	size_t eh_len, hdr_len, dbg_len;
	uint64_t eh_addr, hdr_addr;
};

static void read_sections(const char *path, struct sections *s)
{
	size_t shstrndx;
	Elf_Scn *scn = NULL;
	Elf *elf;
	int fd;

	memset(s, 0, sizeof(*s));
	elf = elf_file_open(path, &fd);
	assert_int_equal(elf_getshdrstrndx(elf, &shstrndx), 0);
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		Elf_Data *d;
		const char *name;
		uint8_t **dst = NULL;
		size_t *len = NULL;

		assert_non_null(gelf_getshdr(scn, &sh));
		name = elf_strptr(elf, shstrndx, sh.sh_name);
		if (!strcmp(name, ".eh_frame")) {
			dst = &s->eh, len = &s->eh_len, s->eh_addr = sh.sh_addr;
		} else if (!strcmp(name, ".eh_frame_hdr")) {
			dst = &s->hdr, len = &s->hdr_len, s->hdr_addr = sh.sh_addr;
		} else if (!strcmp(name, ".debug_frame")) {
			dst = &s->dbg, len = &s->dbg_len;
		}
		if (!dst)
			continue;
		d = elf_getdata(scn, NULL);
		assert_non_null(d);
		*dst = malloc(d->d_size);
		assert_non_null(*dst);
		memcpy(*dst, d->d_buf, d->d_size);
		*len = d->d_size;
	}
	elf_file_close(elf, fd);
}

static void free_sections(struct sections *s)
{
	free(s->eh);
	free(s->hdr);
	free(s->dbg);
}

/* Link-time address of a symbol, from nm. */
static uint64_t nm_addr(const char *file, const char *name)
{
	uint64_t value, size;

	nm_symbol(file, name, &value, &size);
	return value;
}

/* A function's symbol value and size from nm -S, as [start, end). */
static struct sym_uw_range nm_range(const char *file, const char *name)
{
	uint64_t value, size;

	nm_symbol(file, name, &value, &size);
	assert_true(size > 0);
	return (struct sym_uw_range){value, value + size};
}

/* The FDE ranges of s cover the chain's functions exactly as their symbols do. */
static void check_ranges(const struct sym_uw_section *s, const char *exe)
{
	struct sym_uw_range *r = calloc(s->n, sizeof(*r));

	assert_non_null(r);
	sym_uw_section__ranges(s, r);
	for (size_t k = 0; k < sizeof(chain) / sizeof(chain[0]); k++) {
		struct sym_uw_range want = nm_range(exe, chain[k]);
		const struct sym_uw_entry *en = sym_uw_section__find(s, want.start + 1);

		assert_non_null(en);
		assert_int_equal(r[en - s->table].start, want.start);
		assert_int_equal(r[en - s->table].end, want.end);
	}
	free(r);
}

/* .eh_frame_hdr's table and a walk of .eh_frame agree, and find the fixture's functions. */
static void test_tables_agree(void **state)
{
	struct sym_uw_section a, b, d;
	struct sections s;
	const char *exe;

	skip_without_cc();
	exe = fx("fx_nofp");
	read_sections(exe, &s);
	assert_non_null(s.eh);
	assert_non_null(s.hdr);
	assert_int_equal(sym_uw__index_eh_frame_hdr(s.hdr, s.hdr_len, s.hdr_addr, s.eh, s.eh_len,
						    s.eh_addr, &a),
			 0);
	assert_int_equal(sym_uw__index_eh_frame(s.eh, s.eh_len, s.eh_addr, &b), 0);
	assert_int_equal(a.n, b.n);
	assert_memory_equal(a.table, b.table, a.n * sizeof(*a.table));
	assert_int_equal(a.lo, b.lo);
	assert_int_equal(a.hi, b.hi);
	for (size_t k = 0; k < sizeof(chain) / sizeof(chain[0]); k++) {
		uint64_t addr = nm_addr(exe, chain[k]);
		const struct sym_uw_entry *en = sym_uw_section__find(&a, addr + 1);

		assert_non_null(en);
		assert_int_equal(a.anchor + (uint64_t)(int64_t)en->start, addr);
	}
	assert_null(sym_uw_section__find(&a, a.lo - 1));
	assert_null(sym_uw_section__find(&a, a.hi));
	check_ranges(&a, exe);
	sym_uw_section__release(&a);
	sym_uw_section__release(&b);
	free_sections(&s);

	/* .debug_frame rewritten: the same functions, pointers now data-relative. */
	exe = fx("fx_debug");
	read_sections(exe, &s);
	assert_non_null(s.dbg);
	assert_int_equal(sym_uw__convert_debug_frame(s.dbg, s.dbg_len, &d), 0);
	assert_true(d.datarel);
	assert_non_null(sym_uw_section__find(&d, nm_addr(exe, "fx_b") + 1));
	check_ranges(&d, exe);
	sym_uw_section__release(&d);
	free_sections(&s);
}

/* Every FDE a parser kept reads back inside the section, covering its own start. */
static void check_fdes(const struct sym_uw_section *s)
{
	struct sym_uw_fde f;

	for (size_t i = 0; i < s->n; i++) {
		if (sym_uw_section__fde(s, i, &f))
			continue;
		assert_true(f.insns >= s->data && f.insns_end <= s->data + s->len);
		assert_true(f.insns <= f.insns_end && f.start < f.end);
	}
}

static void parse_all(const uint8_t *p, size_t len, size_t split)
{
	struct sym_uw_section s;

	if (!sym_uw__index_eh_frame(p, len, 0x1000, &s)) {
		check_fdes(&s);
		sym_uw_section__find(&s, 0x1234);
		sym_uw_section__release(&s);
	}
	if (split <= len &&
	    !sym_uw__index_eh_frame_hdr(p, split, 0x800, p + split, len - split, 0x1000, &s))
		sym_uw_section__release(&s);
	if (!sym_uw__convert_debug_frame(p, len, &s)) {
		check_fdes(&s);
		sym_uw_section__release(&s);
	}
}

/* Random bytes: the parsers stay inside their input and terminate. */
static void test_tables_random_input(void **state)
{
	unsigned int seed = 7;
	uint8_t *buf;

	buf = malloc(2048);
	assert_non_null(buf);
	for (int i = 0; i < 3000; i++) {
		size_t len = (size_t)rand_r(&seed) % 2048;

		for (size_t k = 0; k < len; k++)
			buf[k] = (uint8_t)rand_r(&seed);
		/* Plausible lengths up front make the walk go further. */
		if (len >= 8 && i % 2) {
			buf[0] = (uint8_t)(len - 4), buf[1] = buf[2] = buf[3] = 0;
			buf[4] = buf[5] = buf[6] = buf[7] = 0;
		}
		parse_all(buf, len, len / 3);
	}
	free(buf);
}

/* A real .eh_frame_hdr + .eh_frame with bits flipped, and cut at every length. */
static void test_tables_mutated_sections(void **state)
{
	unsigned int seed = 7;
	struct sections s;
	uint8_t *buf;

	skip_without_cc();
	buf = malloc(65536);
	assert_non_null(buf);
	read_sections(fx("fx_nofp"), &s);
	for (int i = 0; i < 500; i++) {
		size_t len = s.hdr_len + s.eh_len;

		assert_true(len <= 65536);
		memcpy(buf, s.hdr, s.hdr_len);
		memcpy(buf + s.hdr_len, s.eh, s.eh_len);
		for (int k = 0; k < 1 + i % 16; k++)
			buf[(size_t)rand_r(&seed) % len] ^= (uint8_t)(1u << (rand_r(&seed) % 8));
		parse_all(buf, len, s.hdr_len);
		parse_all(buf + s.hdr_len, s.eh_len, 0);
	}
	for (size_t len = 0; len <= s.eh_len; len++)
		parse_all(s.eh, len, 0);
	free_sections(&s);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unwind_eh_frame),
		cmocka_unit_test(test_unwind_debug_frame),
		cmocka_unit_test(test_unwind_vdso),
		cmocka_unit_test(test_unwind_stops),
		cmocka_unit_test(test_tables_agree),
		cmocka_unit_test(test_tables_random_input),
		cmocka_unit_test(test_tables_mutated_sections),
	};

	return cmocka_run_group_tests(tests, group_setup, test_dir_teardown);
}
