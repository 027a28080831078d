/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The in-kernel user-stack walker: per frame, find the mapping that holds the PC, binary-search
 * its file's table for the rule at that offset, compute the CFA and read the return address
 * and saved rbp with bpf_probe_read_user(). Code without CFI (JIT, anonymous memory, files
 * without .eh_frame) follows rbp for that frame, so mixed stacks stay whole. The frames are a
 * bpf_loop() callback: verified once, whatever the depth.
 *
 * walk_user_stack() is the entry point, for any program that has a task's user registers: the
 * sampler, and later the scheduler's switch events. Tables, files and mappings are user space's
 * to fill (profiler/cfi_tables.c) and the process hooks' to keep current. The including program
 * defines count() (enum profd_counter) and stack_bytes (the size of a stack's PCs).
 */
#ifndef PROFD_UNWIND_BPF_H
#define PROFD_UNWIND_BPF_H

#include "bpf/profile.h"

/* Table memory: two 32-bit words per entry, sized by user space (--unwind-memory). User space
 * writes tables through a mapping of the part it fills: one system call per table. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} cfi_pool SEC(".maps");

/* Where each table is in cfi_pool: key table id, value profd_cfi_table. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, PROFD_CFI_TABLES_MAX);
	__type(key, __u32);
	__type(value, struct profd_cfi_table);
} cfi_tables SEC(".maps");

/* Files by identity (profd_cfi_file_key), value profd_cfi_file; filled by user space. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, struct profd_cfi_file);
} cfi_files SEC(".maps");

/* Code mappings per process: key pid, value profd_proc_maps. Allocated per process in use. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 32768);
	__type(key, __u32);
	__type(value, struct profd_proc_maps);
} proc_maps SEC(".maps");

/* Why a walk ended; from WALK_READ on, before the outermost frame. */
enum walk_stop {
	WALK_ON,
	WALK_END,   /* the outermost frame */
	WALK_DEPTH, /* max frames */
	WALK_ZERO,  /* return address or frame pointer 0: the end by convention */
	WALK_READ,  /* user memory unreadable */
	WALK_FP,    /* frame pointer leads nowhere */
	WALK_LOOP,  /* the stack pointer did not move up */
	WALK_ERROR, /* a table is inconsistent */
};

#define WALK_VIA_NO_TABLE 0x1
#define WALK_VIA_UNSUPPORTED 0x2
#define WALK_VIA_UNMAPPED 0x4 /* a PC in no file mapping: JIT, or code mapped behind our back */

/* The largest binary search: 4096 rows in a page, 128 mappings in a process. */
#define ROW_SEARCH_STEPS 13
#define MAP_SEARCH_STEPS 9

struct walk {
	__u64 pc, sp, bp;
	__u32 n;	 /* PCs stored */
	__u32 max;	 /* PCs wanted */
	__u32 stop;	 /* enum walk_stop */
	__u32 via;	 /* WALK_VIA_*: why some frame followed rbp */
	bool ret_addr;	 /* pc is a return address: its call is at pc - 1 */
	struct profd_proc_maps *maps;
	__u64 *pcs;		       /* max entries */
	struct profd_umap *map;	       /* the mapping of the last frame */
	struct profd_cfi_table *table; /* and its table, or NULL: follow rbp */
	__u64 now;		       /* for the tables' used_ns */
};

/*
 * Word w of the table memory. The index is a map key, never a pointer offset: the verifier
 * need not track its value, so the binary searches below do not multiply its states.
 */
static __always_inline bool pool_word(__u32 w, __u32 *out)
{
	__u32 key = w / 2;
	__u64 *v = bpf_map_lookup_elem(&cfi_pool, &key);

	if (!v)
		return false;
	*out = w & 1 ? (__u32)(*v >> 32) : (__u32)*v;
	return true;
}

/*
 * The rule at file offset off of table t: 0, or -1 if the table is inconsistent. The binary
 * searches are global functions, verified once on their own: inlined into the frame loop, their
 * branches would multiply the verifier's states beyond its limit.
 */
__noinline int profd_find_rule(const struct profd_cfi_table *t, __u64 off,
			       struct profd_cfi_rule *rule)
{
	__u32 low = off & ((1u << PROFD_CFI_PAGE_SHIFT) - 1), lo, hi, row, mid, key;
	__u32 rows, idx;
	__u64 page = off >> PROFD_CFI_PAGE_SHIFT, *half;

	if (!t || !rule)
		return -1;
	rows = t->base + t->npages + 1;
	rule->cfa = PROFD_CFI_NONE;
	if (page < t->first_page)
		return 0;
	page -= t->first_page;
	if (page >= t->npages) {
		lo = t->nrows;
	} else {
		if (!pool_word(t->base + page, &lo) || !pool_word(t->base + page + 1, &hi))
			return -1;
		for (int i = 0; i < ROW_SEARCH_STEPS && lo < hi; i++) {
			mid = lo + (hi - lo) / 2;
			if (!pool_word(rows + mid, &row))
				return -1;
			if (row >> PROFD_CFI_RULE_BITS <= low)
				lo = mid + 1;
			else
				hi = mid;
		}
	}
	if (!lo)
		return 0;
	if (lo > t->nrows || !pool_word(rows + lo - 1, &row))
		return -1;
	idx = row & ((1u << PROFD_CFI_RULE_BITS) - 1);
	if (idx >= t->nrules)
		return -1;
	/* A rule is four words from an even word: two entries. */
	key = (t->rules + idx * PROFD_CFI_RULE_WORDS) / 2;
	half = bpf_map_lookup_elem(&cfi_pool, &key);
	if (!half)
		return -1;
	__builtin_memcpy(rule, half, 8);
	key++;
	half = bpf_map_lookup_elem(&cfi_pool, &key);
	if (!half)
		return -1;
	__builtin_memcpy((char *)rule + 8, half, 8);
	return 0;
}

/* How many mappings of pm start at or below addr: the one holding addr, if any, is the last. */
__noinline int profd_maps_below(const struct profd_proc_maps *pm, __u64 addr)
{
	__u32 lo = 0, hi, mid;

	if (!pm)
		return 0;
	hi = pm->n;
	if (hi > PROFD_PROC_MAPS_MAX)
		hi = PROFD_PROC_MAPS_MAX;
	for (int i = 0; i < MAP_SEARCH_STEPS && lo < hi; i++) {
		/* mid < hi <= the maximum, a power of two: the mask only shows the verifier. */
		mid = (lo + (hi - lo) / 2) & (PROFD_PROC_MAPS_MAX - 1);
		if (pm->m[mid].start <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (int)lo;
}

/* The mapping of pm holding pc, or NULL. */
static __always_inline struct profd_umap *find_map(struct profd_proc_maps *pm, __u64 pc)
{
	__u32 idx = (__u32)profd_maps_below(pm, pc) - 1;
	struct profd_umap *m;

	if (idx >= PROFD_PROC_MAPS_MAX)
		return NULL;
	m = &pm->m[idx];
	return pc - m->start < m->len ? m : NULL;
}

/* The table for mapping m, or NULL (its frames follow rbp); notes why when that is a loss. */
static __always_inline struct profd_cfi_table *table_of(struct walk *w, struct profd_umap *m)
{
	struct profd_cfi_file *f;
	struct profd_cfi_table *t;
	__u64 key = m->file;

	f = bpf_map_lookup_elem(&cfi_files, &key);
	if (f && f->state == PROFD_CFI_NO_CFI)
		return NULL;
	if (!f || f->state != PROFD_CFI_LOADED) {
		w->via |= WALK_VIA_NO_TABLE;
		return NULL;
	}
	t = bpf_map_lookup_elem(&cfi_tables, &f->table);
	if (!t || !t->nrows) { /* evicted since */
		w->via |= WALK_VIA_NO_TABLE;
		return NULL;
	}
	/* Least recently used tables go first when memory runs out; a second is recent enough. */
	if (w->now - t->used_ns > 1000000000ULL)
		t->used_ns = w->now;
	return t;
}

static __always_inline bool read_user(void *dst, __u32 size, __u64 addr)
{
	return bpf_probe_read_user(dst, size, (const void *)addr) == 0;
}

/* The caller's frame by the frame-pointer convention: [rbp] = caller's rbp, [rbp + 8] = RA. */
static __always_inline long fp_step(struct walk *w)
{
	__u64 frame[2];

	if (!w->bp) { /* the end of a frame-pointer chain, by convention */
		w->stop = WALK_ZERO;
		return 1;
	}
	if (w->bp < w->sp || (w->bp & 7)) {
		w->stop = WALK_FP;
		return 1;
	}
	if (!read_user(frame, sizeof(frame), w->bp)) {
		w->stop = WALK_READ;
		return 1;
	}
	w->sp = w->bp + 16;
	w->bp = frame[0];
	w->pc = frame[1];
	w->ret_addr = true;
	return 0;
}

/* Out of a signal handler: the interrupted registers from the ucontext at rsp. */
static __always_inline long signal_step(struct walk *w)
{
	/* uc_mcontext from rbp (offset 120) to rip (168): rbp, rbx, rdx, rax, rcx, rsp, rip. */
	__u64 regs[7];

	if (!read_user(regs, sizeof(regs), w->sp + 120)) {
		w->stop = WALK_READ;
		return 1;
	}
	w->bp = regs[0];
	w->sp = regs[5];
	w->pc = regs[6];
	w->ret_addr = false; /* the interrupted instruction itself */
	return 0;
}

static __always_inline long cfi_step(struct walk *w, const struct profd_cfi_rule *r)
{
	__u64 cfa, ra, bp = w->bp, pair[2];

	switch (r->cfa) {
	case PROFD_CFI_RSP:
		cfa = w->sp + r->cfa_off;
		break;
	case PROFD_CFI_RBP:
		cfa = w->bp + r->cfa_off;
		break;
	case PROFD_CFI_PLT:
		cfa = w->sp + r->cfa_off + ((w->pc & 15) >= r->plt_min ? 8 : 0);
		break;
	case PROFD_CFI_DEREF_RSP:
	case PROFD_CFI_DEREF_RBP:
		if (!read_user(&cfa, sizeof(cfa),
			       (r->cfa == PROFD_CFI_DEREF_RSP ? w->sp : w->bp) + r->cfa_off)) {
			w->stop = WALK_READ;
			return 1;
		}
		break;
	default:
		w->stop = WALK_ERROR;
		return 1;
	}
	if (cfa <= w->sp) {
		w->stop = WALK_LOOP;
		return 1;
	}
	/* Most frames that save rbp push it first: one read for both. */
	if (r->rbp == PROFD_CFI_RBP_CFA && r->cfa_off && r->rbp_off == -16) {
		if (!read_user(pair, sizeof(pair), cfa - 16)) {
			w->stop = WALK_READ;
			return 1;
		}
		bp = pair[0];
		ra = pair[1];
	} else {
		if (!read_user(&ra, sizeof(ra), cfa - 8)) {
			w->stop = WALK_READ;
			return 1;
		}
		if (r->rbp == PROFD_CFI_RBP_CFA || r->rbp == PROFD_CFI_RBP_AT_RBP) {
			if (!read_user(&bp, sizeof(bp),
				       (r->rbp == PROFD_CFI_RBP_CFA ? cfa : w->bp) + r->rbp_off)) {
				w->stop = WALK_READ;
				return 1;
			}
		} else if (r->rbp == PROFD_CFI_RBP_LOST) {
			bp = 0;
		}
	}
	w->sp = cfa;
	w->bp = bp;
	w->pc = ra;
	w->ret_addr = true;
	return 0;
}

/* One frame: store its PC, then step to the caller. A bpf_loop() callback. */
static long walk_frame(__u32 i, void *ctx)
{
	struct walk *w = ctx;
	struct profd_cfi_rule rule = {.cfa = PROFD_CFI_NONE};
	struct profd_umap *m;
	__u64 pc, idx = i; /* one PC per call: i == w->n (whose value the verifier must not track) */

	/* Keep the checked copy in one register: the verifier bounds that register only. */
	asm volatile("" : "+r"(idx));
	if (idx >= w->max || idx >= stack_bytes / sizeof(__u64)) {
		w->stop = WALK_DEPTH;
		return 1;
	}
	if (!w->pc) {
		w->stop = WALK_ZERO;
		return 1;
	}
	w->pcs[idx] = w->pc;
	w->n++;
	pc = w->ret_addr ? w->pc - 1 : w->pc;
	m = w->map && pc - w->map->start < w->map->len ? w->map : find_map(w->maps, pc);
	if (m && m != w->map)
		w->table = table_of(w, m);
	if (!m)
		w->via |= WALK_VIA_UNMAPPED;
	w->map = m;
	if (m && w->table &&
	    profd_find_rule(w->table, pc - m->start + ((__u64)m->pgoff << PROFD_CFI_PAGE_SHIFT),
			    &rule)) {
		w->stop = WALK_ERROR;
		return 1;
	}
	switch (rule.cfa) {
	case PROFD_CFI_END:
		w->stop = WALK_END;
		return 1;
	case PROFD_CFI_NONE:
		return fp_step(w);
	case PROFD_CFI_UNSUPPORTED:
		w->via |= WALK_VIA_UNSUPPORTED;
		return fp_step(w);
	case PROFD_CFI_SIGNAL:
		return signal_step(w);
	default:
		return cfi_step(w, &rule);
	}
}

/*
 * Walks the user stack of the current task from its user registers into pcs (leaf first, at
 * most max) and counts how the walk went; *trust gets PROFD_WALK_* bits for a stack that may be
 * cut short or wrong. Returns the number of PCs, or -ENOENT when the process's mappings are not
 * loaded: the caller takes the stack by frame pointers then.
 */
static __always_inline long walk_user_stack(struct pt_regs *regs, __u32 pid, __u64 *pcs,
					    __u32 max, __s32 *trust)
{
	struct walk w = {.max = max, .pcs = pcs};

	w.maps = bpf_map_lookup_elem(&proc_maps, &pid);
	if (!w.maps) {
		count(PROFD_CNT_CFI_NO_PROCESS);
		return -ENOENT;
	}
	w.pc = regs->ip;
	w.sp = regs->sp;
	w.bp = regs->bp;
	w.now = bpf_ktime_get_ns();
	bpf_loop(max, walk_frame, &w, 0);
	count(PROFD_CNT_CFI_WALKED);
	*trust = 0;
	if (w.via & WALK_VIA_NO_TABLE)
		count(PROFD_CNT_CFI_NO_TABLE);
	if (w.via & WALK_VIA_UNSUPPORTED)
		count(PROFD_CNT_CFI_UNSUPPORTED);
	if (w.via & (WALK_VIA_NO_TABLE | WALK_VIA_UNSUPPORTED))
		*trust |= PROFD_WALK_GUESSED;
	/* A frame-pointer chain that ends at 0 is whole, unless it went through code the
	 * mappings do not know: JIT stacks end in code with CFI, so that code was not JIT. */
	if (w.stop >= WALK_READ || (w.stop == WALK_ZERO && (w.via & WALK_VIA_UNMAPPED)))
		*trust |= PROFD_WALK_STOPPED;
	switch (w.stop) {
	case WALK_END:
		count(PROFD_CNT_CFI_WHOLE);
		break;
	case WALK_READ:
		count(PROFD_CNT_CFI_STOP_READ);
		break;
	case WALK_FP:
		count(PROFD_CNT_CFI_STOP_FP);
		break;
	case WALK_LOOP:
		count(PROFD_CNT_CFI_STOP_LOOP);
		break;
	case WALK_ZERO:
		count(PROFD_CNT_CFI_STOP_ZERO);
		break;
	case WALK_ERROR:
		count(PROFD_CNT_CFI_STOP_ERROR);
		break;
	}
	return w.n;
}

#endif
