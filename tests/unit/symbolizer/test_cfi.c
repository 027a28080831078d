// SPDX-License-Identifier: MIT
/*
 * Unit tests of symbolizer/cfi.c, the compiler of CFI into compact unwind tables. Hand-written
 * .eh_frame bytes cover each rule the in-kernel walker knows (prologues, frames without frame
 * pointers, PLT expressions, signal trampolines, the end of the stack, realigned stacks), the
 * paged layout (empty pages, page boundaries, padding between functions) and bad programs. Then
 * whole files: every row readelf prints for a fixture built without frame pointers and for the
 * C library must give the same rule from the table.
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <inttypes.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "elf_file.h"
#include "helpers.h"

#include "symbolizer/cfi_internal.h"
#include "symbolizer/symbolizer.h"

/* --- writing .eh_frame by hand --- */

struct eh {
	uint8_t b[8192];
	size_t n;
};

static void put(struct eh *e, const void *p, size_t len)
{
	assert_true(e->n + len <= sizeof(e->b));
	if (len)
		memcpy(e->b + e->n, p, len);
	e->n += len;
}

static void put32(struct eh *e, uint32_t v)
{
	put(e, &v, 4);
}

static void patch32(struct eh *e, size_t at, uint32_t v)
{
	memcpy(e->b + at, &v, 4);
}

/* A CIE: code alignment 1, data alignment -8, return address column 16, FDE pointers as
 * absolute 4-byte values; the usual "CFA = rsp + 8, return address at CFA - 8" first. */
static size_t cie(struct eh *e, const char *aug, const uint8_t *insns, size_t len)
{
	static const uint8_t base[] = {0x0c, 7, 8, 0x90, 1}; /* def_cfa rsp 8; offset r16 1 */
	size_t at = e->n;

	put32(e, 0);
	put32(e, 0); /* CIE id */
	put(e, "\1", 1);
	put(e, aug, strlen(aug) + 1);
	put(e, "\1\x78\x10\1\3", 5); /* code 1, data -8, ra 16, aug length 1, udata4 */
	put(e, base, sizeof(base));
	put(e, insns, len);
	while ((e->n - at) % 4)
		put(e, "\0", 1);
	patch32(e, at, (uint32_t)(e->n - at - 4));
	return at;
}

static void fde(struct eh *e, size_t cie_at, uint32_t start, uint32_t range, const uint8_t *insns,
		size_t len)
{
	size_t at = e->n;

	put32(e, 0);
	put32(e, (uint32_t)(e->n - cie_at));
	put32(e, start);
	put32(e, range);
	put(e, "\0", 1); /* augmentation data length */
	put(e, insns, len);
	while ((e->n - at) % 4)
		put(e, "\0", 1);
	patch32(e, at, (uint32_t)(e->n - at - 4));
}

/* Code at link-time 0x400000.. lives at file offset 0x1000..: offsets are not addresses. */
#define VADDR 0x400000u
#define FOFF 0x1000u
static const struct sym_segment text = {
	.vaddr = VADDR, .memsz = 0x100000, .offset = FOFF, .filesz = 0x100000, .flags = PF_X | PF_R};

/* Checks the layout invariants every table must keep. */
static void check_layout(const struct sym_cfi_table *t)
{
	if (!t->nrows)
		return;
	assert_int_equal(t->pages[t->npages], t->nrows);
	for (uint32_t p = 0; p < t->npages; p++) {
		assert_true(t->pages[p] <= t->pages[p + 1]);
		for (uint32_t i = t->pages[p] + 1; i < t->pages[p + 1]; i++)
			assert_true(t->rows[i] >> SYM_CFI_RULE_BITS >
				    t->rows[i - 1] >> SYM_CFI_RULE_BITS);
	}
	for (uint32_t i = 0; i < t->nrows; i++)
		assert_true((t->rows[i] & (SYM_CFI_RULES_MAX - 1)) < t->nrules);
	assert_int_equal(sym_cfi_table__words(t), t->npages + 1 + t->nrows + 3 * t->nrules);
}

/* The table compiled from the .eh_frame built in e, its layout checked. */
static struct sym_cfi_table *compile(struct eh *e)
{
	struct sym_uw_section s;
	struct sym_cfi_table *t;

	put32(e, 0); /* terminator */
	assert_int_equal(sym_uw__index_eh_frame(e->b, e->n, 0x10000, &s), 0);
	assert_int_equal(sym_cfi__compile(&s, NULL, &text, 1, &t), 0);
	sym_uw_section__release(&s);
	check_layout(t);
	return t;
}

static const struct sym_cfi_rule *at(const struct sym_cfi_table *t, uint32_t vaddr)
{
	return sym_cfi_table__find(t, vaddr - VADDR + FOFF);
}

/* Each address VADDR + off[i] has the CFA rule cfa, a kind without offsets. */
static void expect_kind(const struct sym_cfi_table *t, int cfa, const uint32_t *off, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (at(t, VADDR + off[i])->cfa != cfa)
			fail_msg("at VADDR + 0x%x: CFA rule %d, want %d", off[i],
				 at(t, VADDR + off[i])->cfa, cfa);
}

#define EXPECT_KIND(t, cfa, ...)                                                                   \
	expect_kind(t, cfa, (const uint32_t[]){__VA_ARGS__},                                       \
		    sizeof((const uint32_t[]){__VA_ARGS__}) / sizeof(uint32_t))

static void expect(const struct sym_cfi_table *t, uint32_t vaddr, int cfa, int cfa_off, int rbp,
		   int rbp_off)
{
	const struct sym_cfi_rule *r = at(t, vaddr);

	if (r->cfa != cfa || r->cfa_off != cfa_off || r->rbp != rbp || r->rbp_off != rbp_off)
		fail_msg("at 0x%x: rule {%d, %d, %d, %d}, want {%d, %d, %d, %d}", vaddr, r->cfa,
			 r->cfa_off, r->rbp, r->rbp_off, cfa, cfa_off, rbp, rbp_off);
}

/* --- rules --- */

static void test_cfi_frame_pointer_prologue(void **state)
{
	static const uint8_t prog[] = {
		0x41, 0x0e, 16, 0x86, 2, /* +1: push rbp: CFA rsp+16, rbp at CFA-16 */
		0x43, 0x0d, 6,		 /* +4: mov rsp, rbp: CFA rbp+16 */
		0x6c, 0x0a, 0x0c, 7, 8,	 /* +0x30: remember; leave; CFA rsp+8 */
		0x41, 0x0b,		 /* +0x31: restore: CFA rbp+16 again */
	};
	struct eh e = {0};
	struct sym_cfi_table *t;

	fde(&e, cie(&e, "zR", NULL, 0), VADDR + 0x100, 0x40, prog, sizeof(prog));
	t = compile(&e);
	expect(t, VADDR + 0xff, SYM_CFI_NONE, 0, 0, 0);
	expect(t, VADDR + 0x100, SYM_CFI_RSP, 8, SYM_CFI_RBP_SAME, 0);
	expect(t, VADDR + 0x101, SYM_CFI_RSP, 16, SYM_CFI_RBP_CFA, -16);
	expect(t, VADDR + 0x103, SYM_CFI_RSP, 16, SYM_CFI_RBP_CFA, -16);
	expect(t, VADDR + 0x104, SYM_CFI_RBP, 16, SYM_CFI_RBP_CFA, -16);
	expect(t, VADDR + 0x12f, SYM_CFI_RBP, 16, SYM_CFI_RBP_CFA, -16);
	expect(t, VADDR + 0x130, SYM_CFI_RSP, 8, SYM_CFI_RBP_CFA, -16);
	expect(t, VADDR + 0x131, SYM_CFI_RBP, 16, SYM_CFI_RBP_CFA, -16);
	expect(t, VADDR + 0x13f, SYM_CFI_RBP, 16, SYM_CFI_RBP_CFA, -16);
	expect(t, VADDR + 0x140, SYM_CFI_NONE, 0, 0, 0);
	assert_int_equal(t->fdes, 1);
	assert_int_equal(t->unsupported, 0);
	sym_cfi_table__free(t);
}

static void test_cfi_no_frame_pointer(void **state)
{
	/* push rbx; push rbp (not as a frame pointer); sub $0x1008, rsp; ...; and back. */
	static const uint8_t prog[] = {
		0x41, 0x0e, 16, 0x83, 2,	  /* +1: CFA rsp+16, rbx at CFA-16 */
		0x41, 0x0e, 24, 0x86, 3,	  /* +2: CFA rsp+24, rbp at CFA-24 */
		0x47, 0x0e, 0xa0, 0x20,		  /* +9: CFA rsp+0x1020 (uleb) */
		0x02, 0x40, 0x0e, 24,		  /* +0x49: CFA rsp+24 */
		0x41, 0x0e, 16, 0xc6,		  /* +0x4a: CFA rsp+16, rbp restored */
		0x41, 0x0e, 8,			  /* +0x4b: CFA rsp+8 */
	};
	struct eh e = {0};
	struct sym_cfi_table *t;

	fde(&e, cie(&e, "zR", NULL, 0), VADDR + 0x200, 0x50, prog, sizeof(prog));
	t = compile(&e);
	expect(t, VADDR + 0x201, SYM_CFI_RSP, 16, SYM_CFI_RBP_SAME, 0);
	expect(t, VADDR + 0x202, SYM_CFI_RSP, 24, SYM_CFI_RBP_CFA, -24);
	expect(t, VADDR + 0x209, SYM_CFI_RSP, 0x1020, SYM_CFI_RBP_CFA, -24);
	expect(t, VADDR + 0x248, SYM_CFI_RSP, 0x1020, SYM_CFI_RBP_CFA, -24);
	expect(t, VADDR + 0x249, SYM_CFI_RSP, 24, SYM_CFI_RBP_CFA, -24);
	expect(t, VADDR + 0x24a, SYM_CFI_RSP, 16, SYM_CFI_RBP_SAME, 0);
	expect(t, VADDR + 0x24b, SYM_CFI_RSP, 8, SYM_CFI_RBP_SAME, 0);
	sym_cfi_table__free(t);
}

/* The expression GNU ld writes for .plt: CFA = rsp + 8 + ((rip & 15) >= 11 ? 8 : 0). */
static void test_cfi_plt(void **state)
{
	static const uint8_t prog[] = {
		0x0e, 16,		       /* PLT0: push */
		0x46, 0x0e, 24,		       /* +6: CFA rsp+24 */
		0x4a, 0x0f, 11,		       /* +0x10: def_cfa_expression, 11 bytes */
		0x77, 8, 0x80, 0, 0x3f, 0x1a, /* breg7 8; breg16 0; lit15; and */
		0x3b, 0x2a, 0x33, 0x24, 0x22, /* lit11; ge; lit3; shl; plus */
	};
	struct eh e = {0};
	struct sym_cfi_table *t;
	const struct sym_cfi_rule *r;

	fde(&e, cie(&e, "zR", NULL, 0), VADDR + 0x1000, 0x100, prog, sizeof(prog));
	t = compile(&e);
	expect(t, VADDR + 0x1000, SYM_CFI_RSP, 16, SYM_CFI_RBP_SAME, 0);
	expect(t, VADDR + 0x1006, SYM_CFI_RSP, 24, SYM_CFI_RBP_SAME, 0);
	r = at(t, VADDR + 0x10f0);
	assert_int_equal(r->cfa, SYM_CFI_PLT);
	assert_int_equal(r->cfa_off, 8);
	assert_int_equal(r->plt_min, 11);
	sym_cfi_table__free(t);
}

/* glibc's __restore_rt: a CIE with "S", every register an expression on the ucontext at rsp. */
static const uint8_t sigframe[] = {
	0x0f, 4, 0x77, 0xa0, 0x01, 0x06, /* CFA = *(rsp + 160) */
	0x10, 6, 3, 0x77, 0xf8, 0x00,		    /* rbp at rsp + 120 */
	0x10, 16, 3, 0x77, 0xa8, 0x01,		    /* rip at rsp + 168 */
	0x10, 7, 3, 0x77, 0xa0, 0x01,		    /* rsp at rsp + 160 */
};

static void test_cfi_signal_frame(void **state)
{
	struct eh e = {0};
	struct sym_cfi_table *t;
	size_t sig = cie(&e, "zRS", NULL, 0), plain = cie(&e, "zR", NULL, 0);

	/* The FDE starts a byte early, as glibc's does: a return address there is looked up at
	 * address - 1. */
	fde(&e, sig, VADDR + 0x3000, 0xa, sigframe, sizeof(sigframe));
	/* The same program without "S" is not a signal frame: the return address is elsewhere. */
	fde(&e, plain, VADDR + 0x3100, 0xa, sigframe, sizeof(sigframe));
	t = compile(&e);
	EXPECT_KIND(t, SYM_CFI_SIGNAL, 0x3000, 0x3009);
	EXPECT_KIND(t, SYM_CFI_NONE, 0x300a);
	EXPECT_KIND(t, SYM_CFI_UNSUPPORTED, 0x3100);
	assert_int_equal(t->unsupported, 1);
	sym_cfi_table__free(t);
}

static void test_cfi_end_of_stack(void **state)
{
	static const uint8_t undefined_ra[] = {0x07, 16};
	static const uint8_t prog[] = {0x44, 0x0e, 16};
	struct eh e = {0};
	struct sym_cfi_table *t;

	/* _start: the CIE itself says the return address is undefined. */
	fde(&e, cie(&e, "zR", undefined_ra, sizeof(undefined_ra)), VADDR + 0x500, 0x20, prog,
	    sizeof(prog));
	t = compile(&e);
	EXPECT_KIND(t, SYM_CFI_END, 0x500, 0x510);
	EXPECT_KIND(t, SYM_CFI_NONE, 0x520);
	sym_cfi_table__free(t);
}

/* gcc's prologue for a stack realigned to 32 bytes: CFA from r10 for two instructions, then
 * CFA = *(rbp - 8) with rbp saved where rbp points. */
static void test_cfi_realigned_stack(void **state)
{
	static const uint8_t prog[] = {
		0x45, 0x0c, 10, 0,		     /* +5: CFA r10+0 */
		0x49, 0x10, 6, 2, 0x76, 0,	     /* +0xe: rbp at rbp+0 (expression) */
		0x0f, 3, 0x76, 0x78, 0x06,	     /* CFA = *(rbp - 8) */
	};
	struct eh e = {0};
	struct sym_cfi_table *t;

	fde(&e, cie(&e, "zR", NULL, 0), VADDR + 0x600, 0x80, prog, sizeof(prog));
	t = compile(&e);
	expect(t, VADDR + 0x600, SYM_CFI_RSP, 8, SYM_CFI_RBP_SAME, 0);
	EXPECT_KIND(t, SYM_CFI_UNSUPPORTED, 0x605);
	expect(t, VADDR + 0x60e, SYM_CFI_DEREF_RBP, -8, SYM_CFI_RBP_AT_RBP, 0);
	expect(t, VADDR + 0x67f, SYM_CFI_DEREF_RBP, -8, SYM_CFI_RBP_AT_RBP, 0);
	sym_cfi_table__free(t);
}

/* --- layout --- */

static void test_cfi_pages_and_gaps(void **state)
{
	/* One function over three pages whose middle page has no row of its own. */
	static const uint8_t long_fn[] = {
		0x02, 0xf0, 0x0e, 16,	    /* +0xf0: CFA rsp+16 */
		0x03, 0x00, 0x0f, 0x0e, 32, /* +0xff0: CFA rsp+32 */
		0x03, 0x20, 0x10, 0x0e, 48, /* +0x2010: CFA rsp+48 */
	};
	static const uint8_t tiny[] = {0x41, 0x0e, 16};
	struct eh e = {0};
	struct sym_cfi_table *t;
	size_t c = cie(&e, "zR", NULL, 0);

	fde(&e, c, VADDR + 0x1000, 0x2100, long_fn, sizeof(long_fn));
	/* 8 bytes of padding after it: bridged; then a gap of 0x100: no CFI there. */
	fde(&e, c, VADDR + 0x3108, 0x10, tiny, sizeof(tiny));
	fde(&e, c, VADDR + 0x3218, 0x10, tiny, sizeof(tiny));
	t = compile(&e);
	assert_int_equal(t->first_page, (VADDR + 0x1000 - VADDR + FOFF) >> SYM_CFI_PAGE_SHIFT);
	expect(t, VADDR + 0x1000, SYM_CFI_RSP, 8, 0, 0);
	expect(t, VADDR + 0x10f0, SYM_CFI_RSP, 16, 0, 0);
	expect(t, VADDR + 0x1fef, SYM_CFI_RSP, 16, 0, 0);
	expect(t, VADDR + 0x1ff0, SYM_CFI_RSP, 32, 0, 0);
	expect(t, VADDR + 0x2000, SYM_CFI_RSP, 32, 0, 0); /* a page without rows */
	expect(t, VADDR + 0x2fff, SYM_CFI_RSP, 32, 0, 0);
	expect(t, VADDR + 0x3000, SYM_CFI_RSP, 32, 0, 0);
	expect(t, VADDR + 0x3010, SYM_CFI_RSP, 48, 0, 0);
	expect(t, VADDR + 0x3100, SYM_CFI_RSP, 48, 0, 0); /* padding: the rule runs on */
	expect(t, VADDR + 0x3108, SYM_CFI_RSP, 8, 0, 0);
	expect(t, VADDR + 0x3109, SYM_CFI_RSP, 16, 0, 0);
	expect(t, VADDR + 0x3118, SYM_CFI_NONE, 0, 0, 0); /* a real gap */
	expect(t, VADDR + 0x3217, SYM_CFI_NONE, 0, 0, 0);
	expect(t, VADDR + 0x3219, SYM_CFI_RSP, 16, 0, 0);
	expect(t, VADDR + 0x3228, SYM_CFI_NONE, 0, 0, 0);
	expect(t, VADDR + 0x90000, SYM_CFI_NONE, 0, 0, 0); /* past the last page */
	expect(t, VADDR, SYM_CFI_NONE, 0, 0, 0);	     /* before the first */
	/* Two FDEs, a handful of rules: rules are shared, not one per row. */
	assert_true(t->nrules <= 5);
	sym_cfi_table__free(t);
}

/* --- bad programs: bounded, and what cannot be followed is said so --- */

static void test_cfi_bad_programs(void **state)
{
	static const uint8_t unknown_op[] = {0x41, 0x0e, 16, 0x41, 0x3f, 0x41, 0x0e, 32};
	static const uint8_t lone_restore[] = {0x42, 0x0b};
	static const uint8_t past_end[] = {0x41, 0x0e, 16, 0x04, 0xff, 0xff, 0xff, 0x7f};
	static const uint8_t cut_uleb[] = {0x41, 0x0e, 0x80};
	uint8_t deep[40];
	struct eh e = {0};
	struct sym_cfi_table *t;
	size_t c = cie(&e, "zR", NULL, 0);

	for (size_t i = 0; i < sizeof(deep); i++)
		deep[i] = 0x0a; /* remember_state, deeper than anyone nests */
	fde(&e, c, VADDR + 0x100, 0x20, unknown_op, sizeof(unknown_op));
	fde(&e, c, VADDR + 0x200, 0x20, lone_restore, sizeof(lone_restore));
	fde(&e, c, VADDR + 0x300, 0x20, past_end, sizeof(past_end));
	fde(&e, c, VADDR + 0x400, 0x20, cut_uleb, sizeof(cut_uleb));
	fde(&e, c, VADDR + 0x500, 0x20, deep, sizeof(deep));
	t = compile(&e);
	/* Rows before the bad op stand; from the row it is in on, the function is unsupported. */
	expect(t, VADDR + 0x100, SYM_CFI_RSP, 8, 0, 0);
	expect(t, VADDR + 0x101, SYM_CFI_RSP, 16, 0, 0);
	expect(t, VADDR + 0x201, SYM_CFI_RSP, 8, 0, 0);
	EXPECT_KIND(t, SYM_CFI_UNSUPPORTED, 0x102, 0x11f, 0x202, 0x301, 0x401, 0x500);
	EXPECT_KIND(t, SYM_CFI_NONE, 0x520);
	assert_int_equal(t->fdes, 5);
	sym_cfi_table__free(t);
}

static void test_cfi_no_cfi(void **state)
{
	struct sym_cfi_table *t;
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	static const char not_elf[] = "not an ELF file at all";

	assert_true(fd >= 0);
	assert_int_equal(sym_cfi_table__build_fd(fd, &t), 0);
	close(fd);
	assert_int_equal(t->nrows, 0);
	assert_int_equal(sym_cfi_table__words(t), 0);
	assert_int_equal(sym_cfi_table__find(t, 0x1234)->cfa, SYM_CFI_NONE);
	sym_cfi_table__free(t);
	assert_int_equal(sym_cfi_table__build_mem(not_elf, sizeof(not_elf), &t), 0);
	assert_int_equal(t->nrows, 0);
	sym_cfi_table__free(t);
	sym_cfi_table__free(NULL);
}

/* --- whole files against readelf's interpretation of the same CFI --- */

struct seg_map {
	uint64_t vaddr[8], offset[8], filesz[8];
	int n;
};

static void exec_segments(const char *path, struct seg_map *m)
{
	GElf_Phdr load[16];
	size_t n = elf_load_segments(path, load, 16);

	m->n = 0;
	for (size_t i = 0; i < n && m->n < 8; i++) {
		if (load[i].p_flags & PF_X) {
			m->vaddr[m->n] = load[i].p_vaddr;
			m->offset[m->n] = load[i].p_offset;
			m->filesz[m->n++] = load[i].p_filesz;
		}
	}
}

static bool to_offset(const struct seg_map *m, uint64_t vaddr, uint64_t *off)
{
	for (int i = 0; i < m->n; i++) {
		if (vaddr >= m->vaddr[i] && vaddr - m->vaddr[i] < m->filesz[i]) {
			*off = vaddr - m->vaddr[i] + m->offset[i];
			return true;
		}
	}
	return false;
}

/* The column of name in readelf's "LOC CFA reg reg ..." header, or -1. */
static int column_of(char cols[][16], int ncols, const char *name)
{
	for (int i = 0; i < ncols; i++)
		if (!strcmp(cols[i], name))
			return i;
	return -1;
}

/*
 * Checks one row of `readelf -wF`: CFA rsp+N / rbp+N, rbp c-N or u, return address c-8 or u
 * (the end). Expressions must have become one of the expression rules. Returns false on a
 * mismatch, after printing it.
 */
static bool check_row(const struct sym_cfi_table *t, uint64_t off, const char *cfa,
		      const char *rbp, const char *ra)
{
	const struct sym_cfi_rule *r = sym_cfi_table__find(t, off);
	bool ok;
	int n;

	if (!strcmp(ra, "u"))
		ok = r->cfa == SYM_CFI_END;
	else if (!strcmp(cfa, "exp"))
		ok = r->cfa == SYM_CFI_PLT || r->cfa == SYM_CFI_DEREF_RSP ||
		     r->cfa == SYM_CFI_DEREF_RBP || r->cfa == SYM_CFI_SIGNAL ||
		     r->cfa == SYM_CFI_UNSUPPORTED;
	else if (strcmp(ra, "c-8"))
		ok = r->cfa == SYM_CFI_UNSUPPORTED;
	else if (sscanf(cfa, "rsp+%d", &n) == 1)
		ok = r->cfa == SYM_CFI_RSP && r->cfa_off == n;
	else if (sscanf(cfa, "rbp+%d", &n) == 1)
		ok = r->cfa == SYM_CFI_RBP && r->cfa_off == n;
	else
		ok = r->cfa == SYM_CFI_UNSUPPORTED;
	if (ok && (r->cfa == SYM_CFI_RSP || r->cfa == SYM_CFI_RBP)) {
		if (sscanf(rbp, "c-%d", &n) == 1)
			ok = r->rbp == SYM_CFI_RBP_CFA && r->rbp_off == -n;
		else if (!strcmp(rbp, "u"))
			ok = r->rbp == SYM_CFI_RBP_SAME;
	}
	if (!ok)
		print_message("offset 0x%" PRIx64 ": readelf says CFA %s rbp %s ra %s; table {%d, %d, "
			      "%d, %d}\n",
			      off, cfa, rbp, ra, r->cfa, r->cfa_off, r->rbp, r->rbp_off);
	return ok;
}

/* Compares every row readelf prints for path; returns the rows checked. */
static size_t agree_with_readelf(const char *path, size_t *bad)
{
	char cmd[PATH_MAX + 64], line[1024], cols[24][16];
	struct sym_cfi_table *t;
	struct seg_map m;
	int ncols = 0, fd;
	size_t checked = 0;
	FILE *p;

	exec_segments(path, &m);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(sym_cfi_table__build_fd(fd, &t), 0);
	close(fd);
	check_layout(t);
	snprintf(cmd, sizeof(cmd), "readelf -wF '%s' 2>/dev/null", path);
	p = popen(cmd, "r");
	assert_non_null(p);
	*bad = 0;
	while (fgets(line, sizeof(line), p)) {
		char *tok[24], *save = NULL;
		int n = 0, icfa, irbp, ira;
		uint64_t vaddr, off;

		for (char *s = strtok_r(line, " \n", &save); s && n < 24; s = strtok_r(NULL, " \n", &save))
			tok[n++] = s;
		if (n >= 2 && !strcmp(tok[0], "LOC")) {
			ncols = 0;
			for (int i = 0; i < n && i < 24; i++)
				snprintf(cols[ncols++], sizeof(cols[0]), "%s", tok[i]);
			continue;
		}
		if (!ncols || n != ncols || strlen(tok[0]) != 16 ||
		    sscanf(tok[0], "%" SCNx64, &vaddr) != 1 || !to_offset(&m, vaddr, &off))
			continue;
		icfa = column_of(cols, ncols, "CFA");
		irbp = column_of(cols, ncols, "rbp");
		ira = column_of(cols, ncols, "ra");
		/* readelf misaligns columns when a register is kept in another register: skip. */
		if (icfa < 0 || strchr(line + 17, '(') || (irbp >= 0 && tok[irbp][0] == 'r'))
			continue;
		checked++;
		if (!check_row(t, off, tok[icfa], irbp >= 0 ? tok[irbp] : "u",
			       ira >= 0 ? tok[ira] : "u"))
			(*bad)++;
	}
	pclose(p);
	sym_cfi_table__free(t);
	return checked;
}

static bool have_tools;

static int group_setup(void **state)
{
	static const char src[] =
		"#include <stdio.h>\n#include <stdlib.h>\n#include <string.h>\n"
		"__attribute__((noinline)) static long work(long n) { long s = 0; char buf[300];\n"
		"  for (long i = 0; i < n; i++) { snprintf(buf, sizeof(buf), \"%ld\", i);\n"
		"    s += strlen(buf); } return s; }\n"
		"int main(int argc, char **argv) { printf(\"%ld\\n\", work(argc * 10)); return 0; }\n";
	int ready = fixture_source("cc readelf", src);

	have_tools = ready > 0;
	if (ready <= 0)
		return ready;
	return run("cd '%s' && cc -O2 -fomit-frame-pointer fx.c -o fx_nofp && "
		   "cc -O2 -fno-asynchronous-unwind-tables -fno-exceptions -g fx.c -o fx_debug",
		   test_dir);
}

static void test_cfi_agrees_with_readelf(void **state)
{
	const char *libc = "/lib/x86_64-linux-gnu/libc.so.6";
	char path[PATH_MAX];
	size_t n, bad;

	if (!have_tools)
		skip();
	pathf(path, "%s/fx_nofp", test_dir);
	n = agree_with_readelf(path, &bad);
	assert_true(n > 10);
	assert_int_equal(bad, 0);
	if (access(libc, R_OK) == 0) {
		n = agree_with_readelf(libc, &bad);
		assert_true(n > 1000);
		assert_int_equal(bad, 0);
	}
}

/* A binary whose only CFI is .debug_frame: the table comes from there. */
static void test_cfi_debug_frame(void **state)
{
	char path[PATH_MAX];
	struct sym_cfi_table *t;
	size_t n, bad;
	int fd;

	if (!have_tools)
		skip();
	pathf(path, "%s/fx_debug", test_dir);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(sym_cfi_table__build_fd(fd, &t), 0);
	close(fd);
	check_layout(t);
	/* crt files bring a little .eh_frame; main and work come from .debug_frame. */
	assert_true(t->debug_fdes >= 2);
	assert_true(t->nrows > 4);
	sym_cfi_table__free(t);
	/* readelf prints both sections' rows: all must agree. */
	n = agree_with_readelf(path, &bad);
	assert_true(n > 4);
	assert_int_equal(bad, 0);
}

/* glibc's __restore_rt is a signal frame, the PLT of any dynamic binary a PLT rule. */
static void test_cfi_libc_signal_and_plt(void **state)
{
	const char *libc = "/lib/x86_64-linux-gnu/libc.so.6";
	struct sym_cfi_table *t;
	bool signal = false, plt = false;
	char path[PATH_MAX];
	int fd;

	if (!have_tools || access(libc, R_OK))
		skip();
	fd = open(libc, O_RDONLY | O_CLOEXEC);
	assert_int_equal(sym_cfi_table__build_fd(fd, &t), 0);
	close(fd);
	for (uint32_t i = 0; i < t->nrules; i++)
		signal |= t->rules[i].cfa == SYM_CFI_SIGNAL;
	sym_cfi_table__free(t);
	assert_true(signal);
	pathf(path, "%s/fx_nofp", test_dir);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_int_equal(sym_cfi_table__build_fd(fd, &t), 0);
	close(fd);
	for (uint32_t i = 0; i < t->nrules; i++)
		plt |= t->rules[i].cfa == SYM_CFI_PLT && t->rules[i].plt_min == 11;
	sym_cfi_table__free(t);
	assert_true(plt);
}

static int add_name(const char *name, void *ctx)
{
	char *names = ctx;

	strcat(names, name);
	strcat(names, " ");
	return 0;
}

/* The libraries a binary needs, as readelf lists them; a file that is not ELF names none. */
static void test_elf_needed(void **state)
{
	char path[PATH_MAX], cmd[PATH_MAX + 128], want[1024] = "", got[1024] = "", line[512];
	FILE *p;
	int fd;

	if (!have_tools)
		skip();
	pathf(path, "%s/fx_nofp", test_dir);
	snprintf(cmd, sizeof(cmd), "readelf -d '%s' | sed -n 's/.*(NEEDED).*\\[\\(.*\\)\\]/\\1/p'",
		 path);
	p = popen(cmd, "r");
	assert_non_null(p);
	while (fgets(line, sizeof(line), p)) {
		line[strcspn(line, "\n")] = '\0';
		add_name(line, want);
	}
	pclose(p);
	assert_non_null(strstr(want, "libc.so.6 "));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(sym_elf_needed(fd, add_name, got), 0);
	close(fd);
	assert_string_equal(got, want);

	pathf(path, "%s/fx.c", test_dir);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	got[0] = '\0';
	assert_int_equal(sym_elf_needed(fd, add_name, got), 0);
	close(fd);
	assert_string_equal(got, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cfi_frame_pointer_prologue),
		cmocka_unit_test(test_cfi_no_frame_pointer),
		cmocka_unit_test(test_cfi_plt),
		cmocka_unit_test(test_cfi_signal_frame),
		cmocka_unit_test(test_cfi_end_of_stack),
		cmocka_unit_test(test_cfi_realigned_stack),
		cmocka_unit_test(test_cfi_pages_and_gaps),
		cmocka_unit_test(test_cfi_bad_programs),
		cmocka_unit_test(test_cfi_no_cfi),
		cmocka_unit_test(test_cfi_agrees_with_readelf),
		cmocka_unit_test(test_cfi_debug_frame),
		cmocka_unit_test(test_elf_needed),
		cmocka_unit_test(test_cfi_libc_signal_and_plt),
	};

	return cmocka_run_group_tests(tests, group_setup, test_dir_teardown);
}
