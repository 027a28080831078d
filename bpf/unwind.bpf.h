/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The in-kernel user-stack walker: per frame, find the mapping that holds the PC, binary-search
 * its file's table for the rule at that offset, compute the CFA and read the return address
 * and saved rbp from a copy of the stack's top taken once per walk (else with
 * bpf_probe_read_user()). Code without CFI (JIT, anonymous memory, files
 * without .eh_frame) follows rbp for that frame, so mixed stacks stay whole. The frames are a
 * bpf_loop() callback: verified once, whatever the depth.
 *
 * The walk hashes the PCs as it stores them (stack_hash()), sparing the caller a second pass.
 *
 * walk_user_stack() is the entry point, for any program that has a task's user registers: the
 * sampler, and later the scheduler's switch events. Tables, files and mappings are user space's
 * to fill (profiler/cfi_tables.c) and the process hooks' to keep current. The including program
 * defines count() (enum profd_counter) and stack_bytes (the size of a stack's PCs).
 */
#ifndef PROFD_UNWIND_BPF_H
#define PROFD_UNWIND_BPF_H

#include "bpf/profile.h"

/*
 * The user registers a task entered the kernel with (bpf_task_pt_regs()): x86-64's struct
 * pt_regs, a layout the entry code and ptrace fix. Read through this copy of it rather than the
 * kernel's type: libbpf relocates a kernel type with a scan of all the kernel's types, 126,000
 * of them, 0.6 ms of every start.
 */
struct profd_regs {
	__u64 r15, r14, r13, r12, bp, bx, r11, r10, r9, r8, ax, cx, dx, si, di, orig_ax, ip, cs, flags,
		sp, ss;
};

_Static_assert(sizeof(struct profd_regs) == sizeof(struct pt_regs), "pt_regs size");
_Static_assert(__builtin_offsetof(struct profd_regs, ip) == __builtin_offsetof(struct pt_regs, ip),
	       "pt_regs layout");
_Static_assert(__builtin_offsetof(struct profd_regs, ss) == __builtin_offsetof(struct pt_regs, ss),
	       "pt_regs layout");

static __always_inline struct profd_regs *user_regs(struct task_struct *task)
{
	return (struct profd_regs *)bpf_task_pt_regs(task);
}

/*
 * Table memory, two 32-bit words per entry, in chunks user space creates as tables need room,
 * up to --unwind-memory: memory no table uses is neither taken nor zeroed at start (32 MiB at
 * once cost 6 ms of it). A table lies within one chunk. User space writes a table through a
 * mapping of the part it fills: one system call per table. The chunks' sizes differ, which
 * BPF_F_INNER_MAP allows.
 */
struct cfi_chunk {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE | BPF_F_INNER_MAP);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, PROFD_CFI_CHUNKS_MAX);
	__type(key, __u32);
	__array(values, struct cfi_chunk);
} cfi_pool SEC(".maps");

/* Where each table is in cfi_pool: key table id, value profd_cfi_table. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, PROFD_CFI_TABLES_MAX);
	__type(key, __u32);
	__type(value, struct profd_cfi_table);
} cfi_tables SEC(".maps");

/* Files by identity (profd_cfi_file_key), value profd_cfi_file; filled by user space. Only
 * user space inserts: no preallocation needed, nor its start-up cost. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, PROFD_CFI_FILES_MAX);
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

/*
 * Rules found lately, per CPU, direct-mapped by file and offset (16 KiB a CPU). A table's binary search reads
 * a dozen words spread over the table memory, each likely a cache and TLB miss after the job
 * ran for a millisecond; a profiled program's callers return to the same few addresses sample
 * after sample, and one entry holds each. A file's identity fixes its rules, so an entry never
 * goes stale.
 */
#define RULE_CACHE_SIZE 512

struct cached_rule {
	__u64 file; /* profd_cfi_file_key(); 0: empty */
	__u64 off;
	struct profd_cfi_rule rule;
};

/* One element per CPU holding the whole cache: an element per entry would be a per-CPU
 * allocation each when the map is created. */
struct rule_cache {
	struct cached_rule e[RULE_CACHE_SIZE];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct rule_cache);
} rule_cache SEC(".maps");

/* The stacks maps' key: a 64-bit hash of the PCs, leaf first, folded one PC at a time. */
#define STACK_HASH_SEED 0xcbf29ce484222325ULL

static __always_inline __u64 stack_hash(__u64 h, __u64 pc)
{
	h = (h ^ pc) * 0x9e3779b97f4a7c15ULL;
	return h ^ (h >> 29);
}

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

/*
 * A walk's state, per CPU, in map memory: the verifier does not track what a map holds, so the
 * frame callback starts every iteration from the same state and is verified a few times, not
 * once per combination of values the walk could carry. (A program that can interrupt another
 * walker on its CPU, in NMI, would need a slot of its own.)
 */
struct walk_state {
	__u64 pc, sp, bp;
	__u64 now;  /* for the tables' used_ns */
	__u64 hash; /* of the PCs stored so far */
	__u32 n;   /* PCs stored */
	__u32 stop;
	__u32 via;	/* WALK_VIA_*: why some frame followed rbp */
	__u32 ret_addr; /* pc is a return address: its call is at pc - 1 */
	__u32 map;	/* index of the last frame's mapping + 1; 0: none */
	__u32 table;	/* its table's id */
	__u32 has_table;
	__u32 probe;	/* profd_maps_below()'s index, through memory */
	__u32 win_len;	/* bytes of stack_window valid, from win_lo */
	__u64 win_lo;	/* user address of stack_window's first byte */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct walk_state);
} walk_scratch SEC(".maps");

/*
 * The top of the user stack, copied once per walk: a frame's reads come from the copy while they
 * fall in it. Each bpf_probe_read_user() took about 0.1 us on a VM with return-thunk and retpoline
 * mitigations, a third of a frame's step; one copy of 1 KiB holds most samples' frames.
 */
#define WINDOW_BYTES 1024
#define USER_PAGE 4096

struct stack_window {
	__u64 w[WINDOW_BYTES / 8];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct stack_window);
} stack_window SEC(".maps");

/* Copies the stack from sp: WINDOW_BYTES, or to the end of sp's page when the stack's mapping
 * ends sooner (then the reads beyond fall back to the helper, and fail as they would). */
static __always_inline void copy_window(struct walk_state *st, __u64 sp)
{
	__u32 zero = 0;
	struct stack_window *win = bpf_map_lookup_elem(&stack_window, &zero);
	__u64 lo = sp & ~7ULL, len = WINDOW_BYTES;

	st->win_len = 0;
	st->win_lo = lo;
	if (!win)
		return;
	if (bpf_probe_read_user(win->w, WINDOW_BYTES, (const void *)lo)) {
		len = USER_PAGE - (lo & (USER_PAGE - 1));
		if (len > WINDOW_BYTES)
			len = WINDOW_BYTES;
		if (bpf_probe_read_user(win->w, len, (const void *)lo))
			return;
	}
	st->win_len = len;
}

/* What the frame callback needs besides its state: pointers stay on the stack. */
struct walk {
	struct profd_proc_maps *maps;
	__u64 *pcs; /* max entries */
	__u32 max;
};

/*
 * Word w of a chunk of table memory. The index is a map key, never a pointer offset: the
 * verifier need not track its value, so the binary searches below do not multiply its states.
 */
static __always_inline bool pool_word(void *chunk, __u32 w, __u32 *out)
{
	__u32 key = w / 2;
	__u64 *v = bpf_map_lookup_elem(chunk, &key);

	if (!v)
		return false;
	*out = (__u32)(*v >> ((w & 1) * 32)); /* no branch: a state fewer per word read */
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
	__u32 low = off & ((1u << PROFD_CFI_PAGE_SHIFT) - 1), lo, hi, row, key, len = 0, h;
	__u32 rows, idx;
	__u64 page = off >> PROFD_CFI_PAGE_SHIFT, *half;
	void *chunk;

	if (!t || !rule)
		return -1;
	key = t->chunk;
	chunk = bpf_map_lookup_elem(&cfi_pool, &key);
	if (!chunk)
		return -1;
	rows = t->base + t->npages + 1;
	rule->cfa = PROFD_CFI_NONE;
	if (page < t->first_page)
		return 0;
	page -= t->first_page;
	if (page >= t->npages) {
		lo = t->nrows;
	} else {
		if (!pool_word(chunk, t->base + page, &lo) || !pool_word(chunk, t->base + page + 1, &hi))
			return -1;
		if (hi > lo)
			len = hi - lo;
		/*
		 * lo becomes the page's first row with an offset above low: a binary search whose
		 * steps have no branch (the row's offset at or below low is the sign of a 64-bit
		 * difference; once one row is left, a step reads it again and changes nothing), so
		 * that the verifier walks each step once: with a branch per step it walked the
		 * steps after it again for each way. Unrolled: with a loop, it tracks the counter
		 * exactly and checks each step anew for every count it reaches it with.
		 */
		if (len) {
#pragma clang loop unroll(full)
			for (int i = 0; i < ROW_SEARCH_STEPS; i++) {
				h = len / 2;
				if (!pool_word(chunk, rows + lo + h, &row))
					return -1;
				lo += h & -(__u32)((((__u64)low - (row >> PROFD_CFI_RULE_BITS)) >> 63) ^ 1);
				len -= h;
			}
			if (len != 1 || !pool_word(chunk, rows + lo, &row))
				return -1; /* len > 1: more rows in a page than it has bytes */
			lo += row >> PROFD_CFI_RULE_BITS <= low;
		}
	}
	if (!lo)
		return 0;
	if (lo > t->nrows || !pool_word(chunk, rows + lo - 1, &row))
		return -1;
	idx = row & ((1u << PROFD_CFI_RULE_BITS) - 1);
	if (idx >= t->nrules)
		return -1;
	/* A rule is four words from an even word: two entries. */
	key = (t->rules + idx * PROFD_CFI_RULE_WORDS) / 2;
	half = bpf_map_lookup_elem(chunk, &key);
	if (!half)
		return -1;
	__builtin_memcpy(rule, half, 8);
	key++;
	half = bpf_map_lookup_elem(chunk, &key);
	if (!half)
		return -1;
	__builtin_memcpy((char *)rule + 8, half, 8);
	return 0;
}

/* How many mappings of pm start at or below addr: the one holding addr, if any, is the last. */
__noinline int profd_maps_below(const struct profd_proc_maps *pm, __u64 addr)
{
	struct walk_state *st;
	__u32 lo = 0, len, mid, zero = 0;

	st = bpf_map_lookup_elem(&walk_scratch, &zero);
	if (!pm || !st)
		return 0;
	len = pm->n;
	/* Never more, as written; a clamp would give the verifier constants to branch on. */
	if (len > PROFD_PROC_MAPS_MAX || !len)
		return 0;
	/* As profd_find_rule()'s search, without branches. User addresses are below 2^63, so the
	 * sign of addr - start says start <= addr. */
#pragma clang loop unroll(full)
	for (int i = 0; i < MAP_SEARCH_STEPS; i++) {
		/*
		 * lo + len / 2 < the maximum, a power of two: the mask only shows the verifier.
		 * Read back from map memory, mid is a value it does not know, so bounding it does
		 * not make lo exact, and the steps' states stay alike instead of doubling.
		 */
		*(volatile __u32 *)&st->probe = lo + len / 2;
		mid = *(volatile __u32 *)&st->probe & (PROFD_PROC_MAPS_MAX - 1);
		lo += (len / 2) & -(__u32)(((addr - pm->m[mid].start) >> 63) ^ 1);
		len -= len / 2;
	}
	mid = lo & (PROFD_PROC_MAPS_MAX - 1);
	return (int)(lo + (pm->m[mid].start <= addr));
}

/* Notes in st the table of mapping m (if it has one: else its frames follow rbp, and that is
 * a loss unless the file has no CFI at all). */
static __always_inline void note_table(struct walk_state *st, struct profd_umap *m)
{
	struct profd_cfi_file *f;
	__u64 key = m->file;

	st->has_table = 0;
	f = bpf_map_lookup_elem(&cfi_files, &key);
	if (f && f->state == PROFD_CFI_NO_CFI)
		return;
	if (!f || f->state != PROFD_CFI_LOADED) {
		st->via |= WALK_VIA_NO_TABLE;
		return;
	}
	st->table = f->table;
	st->has_table = 1;
}

/* The table noted in st, or NULL; stamps it used for eviction (a second is recent enough). */
static __always_inline struct profd_cfi_table *table_of(struct walk_state *st)
{
	struct profd_cfi_table *t;
	__u32 id = st->table;

	if (!st->has_table)
		return NULL;
	t = bpf_map_lookup_elem(&cfi_tables, &id);
	if (!t || !t->nrows) { /* evicted since */
		st->via |= WALK_VIA_NO_TABLE;
		return NULL;
	}
	if (st->now - t->used_ns > 1000000000ULL)
		t->used_ns = st->now;
	return t;
}

/* size bytes (a multiple of 8) of user memory at addr into dst: from the window if it holds
 * them, which it does for aligned words (every slot a frame saves), else read now. */
static __always_inline bool read_user(__u64 *dst, __u32 size, __u64 addr)
{
	__u32 zero = 0;
	struct walk_state *st = bpf_map_lookup_elem(&walk_scratch, &zero);
	struct stack_window *win;
	__u64 off;

	if (st) {
		off = addr - st->win_lo;
		if (!(off & 7) && off < WINDOW_BYTES && off + size <= st->win_len &&
		    (win = bpf_map_lookup_elem(&stack_window, &zero))) {
			off /= 8;
			/* Unknown to the compiler: it keeps the mask, which bounds it for the
			 * verifier (the checks above, folded into one, do not). */
			asm volatile("" : "+r"(off));
#pragma clang loop unroll(full)
			for (__u32 i = 0; i < size / 8; i++)
				dst[i] = win->w[(off + i) & (WINDOW_BYTES / 8 - 1)];
			return true;
		}
	}
	return bpf_probe_read_user(dst, size, (const void *)addr) == 0;
}

/* The registers a frame leaves its caller, and why the walk ends if it does. */
struct frame_regs {
	__u64 pc, sp, bp;
	__u32 ret_addr; /* pc is a return address: its call is at pc - 1 */
	__u32 stop;	/* enum walk_stop */
};

/* The caller's frame by the frame-pointer convention: [rbp] = caller's rbp, [rbp + 8] = RA. */
static __always_inline int fp_step(struct frame_regs *f)
{
	__u64 frame[2];

	if (!f->bp) { /* the end of a frame-pointer chain, by convention */
		f->stop = WALK_ZERO;
		return 1;
	}
	if (f->bp < f->sp || (f->bp & 7)) {
		f->stop = WALK_FP;
		return 1;
	}
	if (!read_user(frame, sizeof(frame), f->bp)) {
		f->stop = WALK_READ;
		return 1;
	}
	f->sp = f->bp + 16;
	f->bp = frame[0];
	f->pc = frame[1];
	f->ret_addr = 1;
	return 0;
}

/* Out of a signal handler: the interrupted registers from the ucontext at rsp. */
static __always_inline int signal_step(struct frame_regs *f)
{
	/* uc_mcontext from rbp (offset 120) to rip (168): rbp, rbx, rdx, rax, rcx, rsp, rip. */
	__u64 regs[7];

	if (!read_user(regs, sizeof(regs), f->sp + 120)) {
		f->stop = WALK_READ;
		return 1;
	}
	f->bp = regs[0];
	f->sp = regs[5];
	f->pc = regs[6];
	f->ret_addr = 0; /* the interrupted instruction itself */
	return 0;
}

static __always_inline int cfi_step(struct frame_regs *f, const struct profd_cfi_rule *r)
{
	__u64 cfa, ra, bp = f->bp, pair[2];

	switch (r->cfa) {
	case PROFD_CFI_RSP:
		cfa = f->sp + r->cfa_off;
		break;
	case PROFD_CFI_RBP:
		cfa = f->bp + r->cfa_off;
		break;
	case PROFD_CFI_PLT:
		cfa = f->sp + r->cfa_off + ((f->pc & 15) >= r->plt_min ? 8 : 0);
		break;
	case PROFD_CFI_DEREF_RSP:
	case PROFD_CFI_DEREF_RBP:
		if (!read_user(&cfa, sizeof(cfa),
			       (r->cfa == PROFD_CFI_DEREF_RSP ? f->sp : f->bp) + r->cfa_off)) {
			f->stop = WALK_READ;
			return 1;
		}
		break;
	default:
		f->stop = WALK_ERROR;
		return 1;
	}
	if (cfa <= f->sp) {
		f->stop = WALK_LOOP;
		return 1;
	}
	/* Most frames that save rbp push it first: one read for both. */
	if (r->rbp == PROFD_CFI_RBP_CFA && r->rbp_off == -16) {
		if (!read_user(pair, sizeof(pair), cfa - 16)) {
			f->stop = WALK_READ;
			return 1;
		}
		bp = pair[0];
		ra = pair[1];
	} else {
		if (!read_user(&ra, sizeof(ra), cfa - 8)) {
			f->stop = WALK_READ;
			return 1;
		}
		if (r->rbp == PROFD_CFI_RBP_CFA || r->rbp == PROFD_CFI_RBP_AT_RBP) {
			if (!read_user(&bp, sizeof(bp),
				       (r->rbp == PROFD_CFI_RBP_CFA ? cfa : f->bp) + r->rbp_off)) {
				f->stop = WALK_READ;
				return 1;
			}
		} else if (r->rbp == PROFD_CFI_RBP_LOST) {
			bp = 0;
		}
	}
	f->sp = cfa;
	f->bp = bp;
	f->pc = ra;
	f->ret_addr = 1;
	return 0;
}

/*
 * Steps f to the caller's frame by rule r. Returns 0, or 1 with f->stop set when the walk ends
 * here. A global function, like the searches: verified once.
 */
__noinline int profd_unwind_step(struct frame_regs *f, const struct profd_cfi_rule *r)
{
	if (!f || !r)
		return 1;
	switch (r->cfa) {
	case PROFD_CFI_END:
		f->stop = WALK_END;
		return 1;
	case PROFD_CFI_NONE:
	case PROFD_CFI_UNSUPPORTED:
		return fp_step(f);
	case PROFD_CFI_SIGNAL:
		return signal_step(f);
	default:
		return cfi_step(f, r);
	}
}

/* The rule at offset off of file, from the cache or table t (then cached). 0, or -1 if the
 * table is inconsistent. */
static __always_inline int rule_at(struct profd_cfi_table *t, __u64 file, __u64 off,
				   struct profd_cfi_rule *rule)
{
	__u32 slot = (__u32)stack_hash(file, off) & (RULE_CACHE_SIZE - 1), zero = 0;
	struct rule_cache *rc = bpf_map_lookup_elem(&rule_cache, &zero);
	struct cached_rule *c = rc ? &rc->e[slot] : NULL;

	if (c && c->file == file && c->off == off) {
		*rule = c->rule;
		return 0;
	}
	if (profd_find_rule(t, off, rule))
		return -1;
	if (c) {
		c->file = file;
		c->off = off;
		c->rule = *rule;
	}
	return 0;
}

/* The mapping of the frame at pc: the last one's if it still holds it, else found. */
static __always_inline struct profd_umap *map_of(struct walk *w, struct walk_state *st, __u64 pc)
{
	struct profd_umap *m;
	__u32 idx = st->map - 1;

	if (idx < PROFD_PROC_MAPS_MAX) {
		m = &w->maps->m[idx];
		if (pc - m->start < m->len)
			return m;
	}
	idx = (__u32)profd_maps_below(w->maps, pc) - 1;
	st->map = 0;
	if (idx >= PROFD_PROC_MAPS_MAX)
		return NULL;
	m = &w->maps->m[idx];
	if (pc - m->start >= m->len)
		return NULL;
	st->map = idx + 1;
	note_table(st, m);
	return m;
}

/* One frame: store its PC, then step to the caller. A bpf_loop() callback. */
static long walk_frame(__u32 i, void *ctx)
{
	struct walk *w = ctx;
	struct profd_cfi_rule rule = {.cfa = PROFD_CFI_NONE};
	struct profd_cfi_table *t = NULL;
	struct frame_regs f;
	struct walk_state *st;
	struct profd_umap *m;
	__u64 pc, idx = i; /* one PC per call: i == st->n */
	__u32 zero = 0;
	long stop;

	st = bpf_map_lookup_elem(&walk_scratch, &zero);
	if (!st)
		return 1;
	/* Keep the checked copy in one register: the verifier bounds that register only. */
	asm volatile("" : "+r"(idx));
	if (idx >= w->max || idx >= stack_bytes / sizeof(__u64)) {
		st->stop = WALK_DEPTH;
		return 1;
	}
	if (!st->pc) {
		st->stop = WALK_ZERO;
		return 1;
	}
	w->pcs[idx] = st->pc;
	st->hash = stack_hash(st->hash, st->pc);
	st->n++;
	pc = st->ret_addr ? st->pc - 1 : st->pc;
	m = map_of(w, st, pc);
	if (m)
		t = table_of(st);
	else
		st->via |= WALK_VIA_UNMAPPED;
	if (t && rule_at(t, m->file, pc - m->start + ((__u64)m->pgoff << PROFD_CFI_PAGE_SHIFT),
			 &rule)) {
		st->stop = WALK_ERROR;
		return 1;
	}
	if (rule.cfa == PROFD_CFI_UNSUPPORTED)
		st->via |= WALK_VIA_UNSUPPORTED;
	f = (struct frame_regs){.pc = st->pc, .sp = st->sp, .bp = st->bp, .ret_addr = st->ret_addr};
	stop = profd_unwind_step(&f, &rule);
	st->pc = f.pc;
	st->sp = f.sp;
	st->bp = f.bp;
	st->ret_addr = f.ret_addr;
	st->stop = f.stop;
	return stop ? 1 : 0;
}

/*
 * Walks the user stack of the current task from its user registers into pcs (leaf first, at
 * most max) and counts how the walk went; *hash gets stack_hash() of the PCs and *trust
 * PROFD_WALK_* bits for a stack that may be cut short or wrong. Returns the number of PCs, or
 * -ENOENT when the process's mappings are not loaded: the caller takes the stack by frame
 * pointers then.
 */
static __always_inline long walk_user_stack(struct profd_regs *regs, __u32 pid, __u64 *pcs,
					    __u32 max, __u64 *hash, __s32 *trust)
{
	struct walk w = {.pcs = pcs, .max = max};
	struct walk_state *st;
	__u32 zero = 0;

	w.maps = bpf_map_lookup_elem(&proc_maps, &pid);
	if (!w.maps) {
		count(PROFD_CNT_CFI_NO_PROCESS);
		return -ENOENT;
	}
	st = bpf_map_lookup_elem(&walk_scratch, &zero);
	if (!st)
		return -ENOENT;
	*st = (struct walk_state){
		.pc = regs->ip,
		.sp = regs->sp,
		.bp = regs->bp,
		.now = bpf_ktime_get_ns(),
		.hash = STACK_HASH_SEED,
	};
	copy_window(st, regs->sp);
	bpf_loop(max, walk_frame, &w, 0);
	count(PROFD_CNT_CFI_WALKED);
	*hash = st->hash;
	*trust = 0;
	if (st->via & WALK_VIA_NO_TABLE)
		count(PROFD_CNT_CFI_NO_TABLE);
	if (st->via & WALK_VIA_UNSUPPORTED)
		count(PROFD_CNT_CFI_UNSUPPORTED);
	if (st->via & (WALK_VIA_NO_TABLE | WALK_VIA_UNSUPPORTED))
		*trust |= PROFD_WALK_GUESSED;
	/* A frame-pointer chain that ends at 0 is whole, unless it went through code the
	 * mappings do not know: JIT stacks end in code with CFI, so that code was not JIT. */
	if (st->stop >= WALK_READ || (st->stop == WALK_ZERO && (st->via & WALK_VIA_UNMAPPED)))
		*trust |= PROFD_WALK_STOPPED;
	switch (st->stop) {
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
	return st->n;
}

#endif
