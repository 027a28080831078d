// SPDX-License-Identifier: MIT
/*
 * CFI -> compact unwind tables (see "cfi.c" in symbolizer.h).
 *
 * unwind_table.c finds the FDEs (of .eh_frame, and of .debug_frame for code .eh_frame does not
 * cover); here their CFA programs (DWARF 4 section 6.4.2) run row by row,
 * tracking only the CFA, rbp and the return address column. Each row is reduced to a
 * sym_cfi_rule, interned (a file has a few hundred distinct rules for tens of thousands of
 * rows), moved from link-time addresses to file offsets through the executable segments, and
 * merged with the row before when the rule repeats. The end of every FDE gets a "no CFI" row,
 * overwritten when the next FDE starts there. Every read is bounded by the FDE's bytes.
 */
#include <errno.h>
#include <gelf.h>
#include <libelf.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#include "common/hash.h"
#include "symbolizer/cfi_internal.h"
#include "symbolizer/cfi_reader_internal.h"

#define REG_RBP 6
#define REG_RSP 7
#define REG_RIP 16
#define STATES_MAX 16 /* DW_CFA_remember_state nesting */
#define EXPR_OPS_MAX 12
/* Gaps between FDEs narrower than this are alignment padding, never executed: the rule before
 * them runs on rather than a "no CFI" row (a tenth fewer rows). */
#define PAD_MAX 16
/* A big library's .eh_frame is megabytes: what the FDEs compiled so far read need not stay
 * resident while the rest are. */
#define DROP_EVERY_FDES 4096

/* The kernel's rt_sigframe on x86-64: rsp at the trampoline points at the ucontext, whose
 * uc_mcontext holds rbp at 120, rsp at 160 and rip at 168 (glibc's __restore_rt says so). */
#define SIG_RBP 120
#define SIG_RSP 160
#define SIG_RIP 168

/* How a register is recovered (DWARF register rules). */
enum how {
	H_SAME,
	H_UNDEF,
	H_OFFSET,     /* saved at CFA + off */
	H_VAL_OFFSET, /* is CFA + off */
	H_EXPR,	      /* saved at the address the expression computes */
	H_OTHER,      /* in another register, or a value expression */
};

struct reg_rule {
	uint8_t how;
	int64_t off;
	const uint8_t *expr;
	uint64_t len;
};

struct cfa_rule {
	bool expr, defined;
	uint64_t reg;
	int64_t off;
	const uint8_t *e;
	uint64_t len;
};

struct state {
	struct cfa_rule cfa;
	struct reg_rule rbp, ra;
};

struct row {
	uint32_t off, rule;
};
_Static_assert(sizeof(struct row) >= sizeof(uint32_t), "rows are packed in place (pack())");

struct builder {
	const struct sym_segment *segs;
	size_t nsegs;
	const struct sym_segment *seg; /* the segment of the last row */
	struct row *rows;
	size_t n, cap;
	struct sym_cfi_rule *rules;
	size_t nrules, cap_rules;
	uint32_t *slots; /* rule hash: index + 1, 0 empty */
	size_t nslots;
	uint32_t none; /* index of the SYM_CFI_NONE rule */
	uint32_t fdes;
	bool oom;
	/* The file's pages, mapped read-only, given back every DROP_EVERY_FDES FDEs; NULL: none. */
	void *file_pages;
	size_t file_len;
};

static const struct sym_cfi_rule no_cfi = {.cfa = SYM_CFI_NONE};

/* --- rules --- */

static uint64_t hash_rule(const struct sym_cfi_rule *r)
{
	uint64_t h = profd_hash_u64((uint64_t)r->cfa | (uint64_t)r->rbp << 8 |
				    (uint64_t)r->plt_min << 16);

	h = profd_hash_combine(h, (uint32_t)r->cfa_off);
	return profd_hash_combine(h, (uint32_t)r->rbp_off);
}

static bool rehash_rules(struct builder *b)
{
	size_t ns = b->nslots ? b->nslots * 2 : 256;
	uint32_t *s = calloc(ns, sizeof(*s));

	if (!s)
		return false;
	for (size_t i = 0; i < b->nrules; i++) {
		size_t j = hash_rule(&b->rules[i]) & (ns - 1);

		while (s[j])
			j = (j + 1) & (ns - 1);
		s[j] = (uint32_t)i + 1;
	}
	free(b->slots);
	b->slots = s;
	b->nslots = ns;
	return true;
}

/* The index of rule r, added if new; UINT32_MAX when memory or the index space runs out. */
static uint32_t intern(struct builder *b, const struct sym_cfi_rule *r)
{
	size_t j;

	if ((b->nrules + 1) * 2 > b->nslots && !rehash_rules(b))
		return UINT32_MAX;
	for (j = hash_rule(r) & (b->nslots - 1); b->slots[j]; j = (j + 1) & (b->nslots - 1))
		if (!memcmp(&b->rules[b->slots[j] - 1], r, sizeof(*r)))
			return b->slots[j] - 1;
	if (b->nrules == SYM_CFI_RULES_MAX)
		return UINT32_MAX;
	if (b->nrules == b->cap_rules) {
		size_t cap = b->cap_rules ? b->cap_rules * 2 : 64;
		struct sym_cfi_rule *v = realloc(b->rules, cap * sizeof(*v));

		if (!v)
			return UINT32_MAX;
		b->rules = v;
		b->cap_rules = cap;
	}
	b->rules[b->nrules] = *r;
	b->slots[j] = (uint32_t)++b->nrules;
	return (uint32_t)b->nrules - 1;
}

/* --- DWARF expressions: the few shapes CFI for x86-64 user code uses --- */

struct op {
	uint8_t code; /* DW_OP_bregN: 0x70 + N; DW_OP_litN: 0x30 + N */
	int64_t arg;
};

static int parse_expr(const uint8_t *p, uint64_t len, struct op *ops)
{
	struct rd r = {p, p + len, false};
	int n = 0;

	while (r.p < r.end) {
		uint8_t c = *r.p++;
		int64_t arg = 0;

		if (n == EXPR_OPS_MAX)
			return -1;
		if (c >= 0x70 && c <= 0x8f) /* DW_OP_breg0..31 */
			arg = rd_sleb(&r);
		else if (c == 0x23) /* DW_OP_plus_uconst */
			arg = (int64_t)rd_uleb(&r);
		else if (!(c >= 0x30 && c <= 0x4f) && c != 0x06 && c != 0x1a && c != 0x22 &&
			 c != 0x24 && c != 0x2a)
			return -1; /* not lit, deref, and, plus, shl or ge */
		if (r.bad)
			return -1;
		ops[n++] = (struct op){c, arg};
	}
	return n;
}

static bool ops_are(const struct op *ops, int n, const uint8_t *codes, int ncodes)
{
	if (n != ncodes)
		return false;
	for (int i = 0; i < n; i++)
		if (ops[i].code != codes[i])
			return false;
	return true;
}

#define BREG(n) (0x70 + (n))
#define LIT(n) (0x30 + (n))
#define OP_DEREF 0x06

/* CFA from an expression: a PLT entry's, or a pointer loaded from the stack. */
static bool reduce_cfa_expr(const struct cfa_rule *c, struct sym_cfi_rule *out)
{
	static const uint8_t plt[] = {BREG(REG_RSP), BREG(REG_RIP), LIT(15), 0x1a, LIT(0),
				      0x2a,	     LIT(3),	    0x24,    0x22};
	static const uint8_t deref_rsp[] = {BREG(REG_RSP), OP_DEREF};
	static const uint8_t deref_rbp[] = {BREG(REG_RBP), OP_DEREF};
	struct op ops[EXPR_OPS_MAX];
	int n = parse_expr(c->e, c->len, ops);

	if (n == 9 && ops[4].code >= LIT(0) && ops[4].code <= LIT(15)) {
		struct op v[9];

		memcpy(v, ops, sizeof(v));
		v[4].code = LIT(0); /* the threshold: any literal */
		if (ops_are(v, n, plt, 9) && ops[1].arg == 0 && ops[0].arg >= 0 &&
		    ops[0].arg <= INT32_MAX) {
			out->cfa = SYM_CFI_PLT;
			out->cfa_off = (int32_t)ops[0].arg;
			out->plt_min = (uint8_t)(ops[4].code - LIT(0));
			return true;
		}
	}
	if (ops_are(ops, n, deref_rsp, 2) || ops_are(ops, n, deref_rbp, 2)) {
		if (ops[0].arg < INT32_MIN || ops[0].arg > INT32_MAX)
			return false;
		out->cfa = ops[0].code == BREG(REG_RSP) ? SYM_CFI_DEREF_RSP : SYM_CFI_DEREF_RBP;
		out->cfa_off = (int32_t)ops[0].arg;
		return true;
	}
	return false;
}

static bool reduce_cfa(const struct cfa_rule *c, struct sym_cfi_rule *out)
{
	if (!c->defined)
		return false;
	if (c->expr)
		return reduce_cfa_expr(c, out);
	if ((c->reg != REG_RSP && c->reg != REG_RBP) || c->off < INT32_MIN || c->off > INT32_MAX)
		return false; /* CFA from r10 or another register: only inside prologues */
	out->cfa = c->reg == REG_RSP ? SYM_CFI_RSP : SYM_CFI_RBP;
	out->cfa_off = (int32_t)c->off;
	return true;
}

/* Whether an expression is exactly DW_OP_bregN off (an address N + off). */
static bool is_breg(const uint8_t *e, uint64_t len, int reg, int64_t *off)
{
	struct op ops[EXPR_OPS_MAX];
	int n = parse_expr(e, len, ops);

	if (n != 1 || ops[0].code != BREG(reg))
		return false;
	*off = ops[0].arg;
	return true;
}

static void reduce_rbp(const struct reg_rule *r, struct sym_cfi_rule *out)
{
	int64_t off = r->off;

	out->rbp = SYM_CFI_RBP_LOST;
	switch (r->how) {
	case H_SAME:
	case H_UNDEF:
		out->rbp = SYM_CFI_RBP_SAME;
		return;
	case H_OFFSET:
		out->rbp = SYM_CFI_RBP_CFA;
		break;
	case H_EXPR:
		/* Realigned stacks: "rbp was saved where rbp points". */
		if (!is_breg(r->expr, r->len, REG_RBP, &off))
			return;
		out->rbp = SYM_CFI_RBP_AT_RBP;
		break;
	default:
		return;
	}
	if (off < INT32_MIN || off > INT32_MAX)
		out->rbp = SYM_CFI_RBP_LOST;
	else
		out->rbp_off = (int32_t)off;
}

/* The kernel's signal frame, as glibc describes it: every register from the ucontext at rsp. */
static bool is_signal_frame(const struct state *st)
{
	struct op ops[EXPR_OPS_MAX];
	int64_t off;

	if (!st->cfa.defined || !st->cfa.expr || parse_expr(st->cfa.e, st->cfa.len, ops) != 2 ||
	    ops[0].code != BREG(REG_RSP) || ops[0].arg != SIG_RSP || ops[1].code != OP_DEREF)
		return false;
	if (st->ra.how != H_EXPR || !is_breg(st->ra.expr, st->ra.len, REG_RSP, &off) ||
	    off != SIG_RIP)
		return false;
	return st->rbp.how == H_EXPR && is_breg(st->rbp.expr, st->rbp.len, REG_RSP, &off) &&
	       off == SIG_RBP;
}

static struct sym_cfi_rule reduce(const struct state *st, bool signal)
{
	struct sym_cfi_rule r = {.cfa = SYM_CFI_UNSUPPORTED};

	if (st->ra.how == H_UNDEF) {
		r.cfa = SYM_CFI_END;
		return r;
	}
	if (signal) {
		if (is_signal_frame(st))
			r.cfa = SYM_CFI_SIGNAL;
		return r;
	}
	if (st->ra.how != H_OFFSET || st->ra.off != -8 || !reduce_cfa(&st->cfa, &r)) {
		r = (struct sym_cfi_rule){.cfa = SYM_CFI_UNSUPPORTED};
		return r;
	}
	reduce_rbp(&st->rbp, &r);
	return r;
}

/* --- rows --- */

/* The file offset of link-time address addr, through the executable segment holding it. */
static bool file_offset(struct builder *b, uint64_t addr, uint32_t *off)
{
	const struct sym_segment *s = b->seg;
	uint64_t v;

	if (!s || addr < s->vaddr || addr - s->vaddr > s->filesz) {
		s = NULL;
		for (size_t i = 0; i < b->nsegs; i++) {
			const struct sym_segment *c = &b->segs[i];

			/* The end of the last function is a row too: <= filesz. */
			if ((c->flags & PF_X) && addr >= c->vaddr && addr - c->vaddr <= c->filesz) {
				s = c;
				break;
			}
		}
		if (!s)
			return false;
		b->seg = s;
	}
	v = addr - s->vaddr + s->offset;
	if (v > UINT32_MAX)
		return false;
	*off = (uint32_t)v;
	return true;
}

/* Rule `rule` from link-time address addr on. Rows come in address order; a row at the offset
 * of the last one replaces it (the end of one FDE is the start of the next). */
static void emit(struct builder *b, uint64_t addr, uint32_t rule)
{
	struct row *last = b->n ? &b->rows[b->n - 1] : NULL;
	uint32_t off;

	if (b->oom || rule == UINT32_MAX || !file_offset(b, addr, &off)) {
		b->oom |= rule == UINT32_MAX;
		return;
	}
	if (last && off < last->off)
		return; /* overlapping FDEs: the first one wins */
	if (last && last->rule == b->none && rule != b->none && off - last->off < PAD_MAX &&
	    b->n >= 2) {
		b->n--;
		last--;
	}
	if (last && off == last->off) {
		last->rule = rule;
		if (b->n >= 2 && b->rows[b->n - 2].rule == rule)
			b->n--;
		return;
	}
	if (last ? last->rule == rule : rule == b->none)
		return;
	if (b->n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 1024;
		struct row *v = realloc(b->rows, cap * sizeof(*v));

		if (!v) {
			b->oom = true;
			return;
		}
		b->rows = v;
		b->cap = cap;
	}
	b->rows[b->n++] = (struct row){off, rule};
}

static void emit_state(struct builder *b, const struct sym_uw_fde *f, uint64_t addr,
		       const struct state *st)
{
	struct sym_cfi_rule r = reduce(st, f->signal);

	emit(b, addr, intern(b, &r));
}

/* --- CFA programs --- */

static struct reg_rule *column(struct state *st, const struct sym_uw_fde *f, uint64_t reg)
{
	if (reg == f->ra)
		return &st->ra;
	return reg == REG_RBP ? &st->rbp : NULL;
}

struct run {
	struct builder *b; /* NULL: a CIE's initial instructions, no rows */
	const struct sym_uw_fde *f;
	struct state *st;
	const struct state *init; /* for DW_CFA_restore; NULL in the CIE */
	uint64_t loc;
	struct state saved[STATES_MAX];
	int depth;
};

/* Moves to link-time address to; the row for [loc, to) is emitted first. */
static bool move_to(struct run *x, uint64_t to)
{
	if (to < x->loc || to > x->f->end)
		return false;
	if (x->b && to > x->loc)
		emit_state(x->b, x->f, x->loc, x->st);
	x->loc = to;
	return true;
}

static bool advance(struct run *x, uint64_t delta)
{
	uint64_t d;

	if (delta && x->f->code_align > UINT64_MAX / delta)
		return false;
	d = delta * x->f->code_align;
	return x->loc + d >= x->loc && move_to(x, x->loc + d);
}

/* An operand times the data alignment factor; an overflow makes the program unreadable. */
static int64_t scaled(struct rd *r, const struct sym_uw_fde *f, int64_t v)
{
	int64_t out;

	if (__builtin_mul_overflow(v, f->data_align, &out)) {
		r->bad = true;
		return 0;
	}
	return out;
}

static void set_reg(struct run *x, uint64_t reg, uint8_t how, int64_t off)
{
	struct reg_rule *c = column(x->st, x->f, reg);

	if (c)
		*c = (struct reg_rule){.how = how, .off = off};
}

static bool set_expr(struct run *x, struct rd *r, uint64_t reg, uint8_t how)
{
	uint64_t len = rd_uleb(r);
	const uint8_t *e = r->p;
	struct reg_rule *c;

	rd_skip(r, len);
	if (r->bad)
		return false;
	c = column(x->st, x->f, reg);
	if (c)
		*c = (struct reg_rule){.how = how, .expr = e, .len = len};
	return true;
}

static void restore(struct run *x, uint64_t reg)
{
	struct reg_rule *c = column(x->st, x->f, reg);

	if (!c)
		return;
	if (!x->init)
		*c = (struct reg_rule){.how = H_SAME};
	else
		*c = c == &x->st->ra ? x->init->ra : x->init->rbp;
}

/* The ops with operands in the low six bits: advance_loc, offset, restore. */
static bool step_primary(struct run *x, struct rd *r, uint8_t op)
{
	uint64_t reg = op & 0x3f;

	switch (op & 0xc0) {
	case 0x40:
		return advance(x, reg);
	case 0x80:
		set_reg(x, reg, H_OFFSET, scaled(r, x->f, (int64_t)rd_uleb(r)));
		return true;
	default: /* 0xc0: restore */
		restore(x, reg);
		return true;
	}
}

static bool step_cfa(struct run *x, struct rd *r, uint8_t op)
{
	struct cfa_rule *c = &x->st->cfa;

	switch (op) {
	case 0x0c: /* def_cfa */
	case 0x12: /* def_cfa_sf */
		c->reg = rd_uleb(r);
		c->off = op == 0x0c ? (int64_t)rd_uleb(r) : scaled(r, x->f, rd_sleb(r));
		c->expr = false;
		c->defined = true;
		return true;
	case 0x0d: /* def_cfa_register */
		c->reg = rd_uleb(r);
		c->expr = false;
		c->defined = true;
		return true;
	case 0x0e: /* def_cfa_offset */
		c->off = (int64_t)rd_uleb(r);
		return !c->expr;
	case 0x13: /* def_cfa_offset_sf */
		c->off = scaled(r, x->f, rd_sleb(r));
		return !c->expr;
	default: /* 0x0f: def_cfa_expression */
		c->len = rd_uleb(r);
		c->e = r->p;
		rd_skip(r, c->len);
		c->expr = true;
		c->defined = true;
		return true;
	}
}

static bool step_state(struct run *x, uint8_t op)
{
	if (op == 0x0a) { /* remember_state */
		if (x->depth == STATES_MAX)
			return false;
		x->saved[x->depth++] = *x->st;
		return true;
	}
	if (!x->depth) /* restore_state with nothing remembered */
		return false;
	*x->st = x->saved[--x->depth];
	return true;
}

/* The ops that set one register's rule. */
static bool step_reg(struct run *x, struct rd *r, uint8_t op)
{
	const struct sym_uw_fde *f = x->f;
	uint64_t reg = rd_uleb(r);

	switch (op) {
	case 0x05: /* offset_extended */
		set_reg(x, reg, H_OFFSET, scaled(r, f, (int64_t)rd_uleb(r)));
		return true;
	case 0x11: /* offset_extended_sf */
		set_reg(x, reg, H_OFFSET, scaled(r, f, rd_sleb(r)));
		return true;
	case 0x2f: /* GNU_negative_offset_extended */
		set_reg(x, reg, H_OFFSET, scaled(r, f, -(int64_t)(rd_uleb(r) & INT64_MAX)));
		return true;
	case 0x06: /* restore_extended */
		restore(x, reg);
		return true;
	case 0x07: /* undefined */
		set_reg(x, reg, H_UNDEF, 0);
		return true;
	case 0x08: /* same_value */
		set_reg(x, reg, H_SAME, 0);
		return true;
	case 0x09: /* register */
		rd_uleb(r);
		set_reg(x, reg, H_OTHER, 0);
		return true;
	case 0x14: /* val_offset */
		set_reg(x, reg, H_VAL_OFFSET, scaled(r, f, (int64_t)rd_uleb(r)));
		return true;
	case 0x15: /* val_offset_sf */
		set_reg(x, reg, H_VAL_OFFSET, scaled(r, f, rd_sleb(r)));
		return true;
	case 0x10: /* expression */
		return set_expr(x, r, reg, H_EXPR);
	default: /* 0x16: val_expression */
		return set_expr(x, r, reg, H_OTHER);
	}
}

static bool step(struct run *x, struct rd *r, uint8_t op)
{
	const struct sym_uw_fde *f = x->f;

	if (op & 0xc0)
		return step_primary(x, r, op);
	switch (op) {
	case 0x00: /* nop */
		return true;
	case 0x2e: /* GNU_args_size: no bearing on the CFA */
		rd_uleb(r);
		return true;
	case 0x01: /* set_loc: absolute or data-relative (rewritten .debug_frame) only */
		if ((f->fde_enc & 0x70) != 0 && (f->fde_enc & 0x70) != SYM_PE_DATAREL)
			return false;
		return move_to(x, rd_ptr_value(r, f->fde_enc));
	case 0x02:
		return advance(x, rd_fixed(r, 1));
	case 0x03:
		return advance(x, rd_fixed(r, 2));
	case 0x04:
		return advance(x, rd_fixed(r, 4));
	case 0x05: case 0x06: case 0x07: case 0x08: case 0x09: case 0x10: case 0x11: case 0x14:
	case 0x15: case 0x16: case 0x2f:
		return step_reg(x, r, op);
	case 0x0a:
	case 0x0b:
		return step_state(x, op);
	case 0x0c: case 0x0d: case 0x0e: case 0x0f: case 0x12: case 0x13:
		return step_cfa(x, r, op);
	default:
		return false; /* an op we do not know: its operands cannot be skipped */
	}
}

/* Runs a CFA program; false when it cannot be followed to its end. */
static bool run(struct run *x, const uint8_t *p, const uint8_t *end)
{
	struct rd r = {p, end, false};

	while (r.p < r.end) {
		if (!step(x, &r, *r.p++) || r.bad)
			return false;
	}
	return true;
}

/* --- FDEs --- */

static int compile_fde(struct builder *b, const struct sym_uw_fde *f)
{
	struct state init = {.rbp = {.how = H_SAME}, .ra = {.how = H_SAME}}, st;
	struct run x = {.f = f, .st = &init, .loc = f->start};
	bool ok;

	/* The CIE's instructions set the state every row of the FDE starts from. */
	ok = run(&x, f->cie_insns, f->cie_insns_end);
	st = init;
	x = (struct run){.b = b, .f = f, .st = &st, .init = &init, .loc = f->start};
	ok = ok && run(&x, f->insns, f->insns_end);
	if (!ok) /* the rest of the function cannot be described */
		st = (struct state){.cfa = {.defined = false}, .ra = {.how = H_SAME}};
	emit_state(b, f, x.loc, &st);
	emit(b, f->end, b->none);
	b->fdes++;
	if (b->file_pages && b->fdes % DROP_EVERY_FDES == 0)
		madvise(b->file_pages, b->file_len, MADV_DONTNEED);
	return b->oom ? -ENOMEM : 0;
}

/* Turns the rows into the paged layout of struct sym_cfi_table. */
static int pack(struct builder *b, struct sym_cfi_table *t)
{
	uint32_t mask = (1u << SYM_CFI_PAGE_SHIFT) - 1;
	uint32_t page = 0, *packed;

	/* A table whose only row says "no CFI" has nothing to say. */
	if (b->n == 1 && b->rows[0].rule == b->none)
		b->n = 0;
	if (!b->n)
		return 0;
	t->first_page = b->rows[0].off >> SYM_CFI_PAGE_SHIFT;
	t->npages = (b->rows[b->n - 1].off >> SYM_CFI_PAGE_SHIFT) - t->first_page + 1;
	t->pages = malloc(((size_t)t->npages + 1) * sizeof(*t->pages));
	if (!t->pages)
		return -ENOMEM;
	/* Packed in place: packed row i (4 bytes at 4i) never reaches builder row i + 1. */
	packed = (uint32_t *)b->rows;
	for (size_t i = 0; i < b->n; i++) {
		struct row r = b->rows[i];
		uint32_t p = (r.off >> SYM_CFI_PAGE_SHIFT) - t->first_page;

		while (page <= p)
			t->pages[page++] = (uint32_t)i;
		packed[i] = (r.off & mask) << SYM_CFI_RULE_BITS | r.rule;
		if (b->rules[r.rule].cfa == SYM_CFI_UNSUPPORTED)
			t->unsupported++;
	}
	t->rows = realloc(packed, b->n * sizeof(*t->rows));
	if (!t->rows)
		t->rows = packed;
	b->rows = NULL;
	b->cap = 0;
	while (page <= t->npages)
		t->pages[page++] = (uint32_t)b->n;
	t->nrows = (uint32_t)b->n;
	t->rules = b->rules;
	t->nrules = (uint32_t)b->nrules;
	b->rules = NULL;
	return 0;
}

static uint64_t start_of(const struct sym_uw_section *s, size_t i)
{
	return s->anchor + (uint64_t)(int64_t)s->table[i].start;
}

/*
 * Compiles the FDEs of eh and debug in address order; a .debug_frame FDE only for code no
 * .eh_frame FDE covers (crt files bring a little .eh_frame to binaries built without it).
 */
static int compile_all(struct builder *b, const struct sym_uw_section *eh,
		       const struct sym_uw_section *debug, struct sym_cfi_table *t)
{
	uint64_t eh_end = 0;
	size_t i = 0, j = 0;
	int err = 0;

	while (!err && (i < eh->n || j < debug->n)) {
		struct sym_uw_fde f;
		bool from_eh = j == debug->n || (i < eh->n && start_of(eh, i) <= start_of(debug, j));

		if (from_eh) {
			if (sym_uw_section__fde(eh, i++, &f))
				continue;
			eh_end = f.end > eh_end ? f.end : eh_end;
		} else {
			if (sym_uw_section__fde(debug, j++, &f) || f.start < eh_end ||
			    (i < eh->n && start_of(eh, i) < f.end))
				continue;
			t->debug_fdes++;
		}
		err = compile_fde(b, &f);
	}
	return err;
}

static int compile(struct builder b, const struct sym_uw_section *eh,
		   const struct sym_uw_section *debug, struct sym_cfi_table **out)
{
	static const struct sym_uw_section none;
	struct sym_cfi_table *t = calloc(1, sizeof(*t));
	int err = -ENOMEM;

	*out = NULL;
	if (!t)
		return -ENOMEM;
	b.none = intern(&b, &no_cfi);
	if (b.none == UINT32_MAX)
		goto out;
	err = compile_all(&b, eh ? eh : &none, debug ? debug : &none, t);
	if (!err)
		err = pack(&b, t);
	t->fdes = b.fdes;
	t->cfi_bytes = (eh ? eh->len : 0) + (t->debug_fdes && debug ? debug->len : 0);
out:
	free(b.rows);
	free(b.rules);
	free(b.slots);
	if (err) {
		sym_cfi_table__free(t);
		return err;
	}
	*out = t;
	return 0;
}

int sym_cfi__compile(const struct sym_uw_section *eh, const struct sym_uw_section *debug,
		     const struct sym_segment *segs, size_t nsegs, struct sym_cfi_table **out)
{
	return compile((struct builder){.segs = segs, .nsegs = nsegs}, eh, debug, out);
}

/* --- ELF files --- */

enum source { FROM_MEMORY, FROM_FILE_MAPPING };

/* The whole mapping of e's file, page-aligned, when its pages can be dropped and read again. */
static void file_pages(Elf *e, enum source src, struct builder *b)
{
	uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE), lo, hi;
	size_t len;
	char *raw = src == FROM_FILE_MAPPING ? elf_rawfile(e, &len) : NULL;

	if (!raw)
		return;
	lo = ((uintptr_t)raw + page - 1) & ~(page - 1);
	hi = ((uintptr_t)raw + len) & ~(page - 1);
	if (hi > lo) {
		b->file_pages = (void *)lo;
		b->file_len = hi - lo;
	}
}

static int build(Elf *e, enum source src, struct sym_cfi_table **out)
{
	struct builder b = {0};
	struct sym_uw_table uw;
	struct sym_segment *segs;
	size_t nsegs;
	int err;

	*out = NULL;
	err = sym_elf_exec_segments(e, &segs, &nsegs);
	if (!err) /* read once, while e is open: no copy of the sections */
		err = sym_uw_table__view_elf(e, &uw);
	if (err) {
		free(segs);
		return err;
	}
	b.segs = segs;
	b.nsegs = nsegs;
	file_pages(e, src, &b);
	err = compile(b, &uw.eh, &uw.debug, out);
	sym_uw_table__release(&uw);
	free(segs);
	return err;
}

int sym_cfi_table__build_fd(int fd, struct sym_cfi_table **out)
{
	Elf *e;
	int err;

	elf_version(EV_CURRENT);
	e = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!e) {
		*out = calloc(1, sizeof(**out));
		return *out ? 0 : -ENOMEM;
	}
	err = build(e, FROM_FILE_MAPPING, out);
	elf_end(e);
	return err;
}

int sym_cfi_table__build_mem(const void *image, size_t size, struct sym_cfi_table **out)
{
	Elf *e;
	int err;

	elf_version(EV_CURRENT);
	e = elf_memory((char *)(uintptr_t)image, size);
	if (!e) {
		*out = calloc(1, sizeof(**out));
		return *out ? 0 : -ENOMEM;
	}
	err = build(e, FROM_MEMORY, out);
	elf_end(e);
	return err;
}

void sym_cfi_table__free(struct sym_cfi_table *t)
{
	if (!t)
		return;
	free(t->pages);
	free(t->rows);
	free(t->rules);
	free(t);
}

const struct sym_cfi_rule *sym_cfi_table__find(const struct sym_cfi_table *t, uint64_t off)
{
	uint64_t page = off >> SYM_CFI_PAGE_SHIFT;
	uint32_t low = (uint32_t)off & ((1u << SYM_CFI_PAGE_SHIFT) - 1), lo, hi;

	if (!t->nrows || page < t->first_page)
		return &no_cfi;
	page -= t->first_page;
	if (page >= t->npages) {
		lo = t->nrows;
	} else {
		/* The last row of the page at or before off; else the last row before the page. */
		lo = t->pages[page];
		hi = t->pages[page + 1];
		while (lo < hi) {
			uint32_t mid = lo + (hi - lo) / 2;

			if (t->rows[mid] >> SYM_CFI_RULE_BITS <= low)
				lo = mid + 1;
			else
				hi = mid;
		}
	}
	if (!lo)
		return &no_cfi;
	return &t->rules[t->rows[lo - 1] & (SYM_CFI_RULES_MAX - 1)];
}

size_t sym_cfi_table__words(const struct sym_cfi_table *t)
{
	if (!t->nrows)
		return 0;
	return (size_t)t->npages + 1 + t->nrows + (size_t)t->nrules * 3;
}
