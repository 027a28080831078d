// SPDX-License-Identifier: GPL-2.0
/*
 * CPU sampling: runs on every perf event (cpu-clock or cycles) on every CPU, aggregates
 * (process, thread, comm, user stack, kernel stack, cgroup) counts in the kernel, and tells user
 * space about processes it must snapshot and cgroups it must resolve before they are gone.
 *
 * User stacks are walked here with tables compiled from the mapped files' CFI (--unwind cfi,
 * unwind.bpf.h; mappings.bpf.h keeps the processes' mappings), or follow frame pointers
 * (--unwind fp). With --unwind copy a sample is not counted here: its user registers and the
 * top of its user stack go to user space through the events ring buffer, which unwinds them
 * with the CFI of the mapped files (when the ring is full, it is counted here after all, by
 * frame pointers). Kernel stacks always come from the stack maps.
 *
 * Counts and stacks are double-buffered: user space bumps buf_gen, waits until no CPU is
 * still inside this program with the old buffer (the per-CPU drain_seq is odd while inside),
 * then drains and clears the old buffer while sampling goes on in the new one.
 *
 * Kernel pointers are read with BPF_CORE_READ, not dereferenced: for every pointer loaded from
 * a trusted one (task->mm, vma->vm_file) the verifier searches the kernel's BTF for a type by
 * name, one linear scan each, and that was a third of profd's start-up CPU.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "bpf/profile.h"

#define EEXIST 17
#define ENOMEM 12
#define ENOENT 2
#define EFAULT 14
#define ESRCH 3
#define EBUSY 16
#define PF_EXITING 0x00000004
#define PF_KTHREAD 0x00200000

const volatile bool filter_pids = false;  /* sample only processes in targets */
const volatile bool filter_tids = false;  /* of those, only the threads in threads (-t) */
const volatile bool kernel_stacks = true; /* take kernel stacks */
const volatile bool include_idle = false; /* sample the idle task (pid 0) */
const volatile bool filter_cgroup = false; /* sample only tasks under cgroup_filter's cgroup */
/* Its id, for tasks that are not the current one (off-CPU threads found waiting at the start). */
const volatile __u64 filter_cgroup_id = 0;
/* Bytes of PCs to take per stack: 8 * max_stack, matching the stacks maps' value size. */
const volatile __u32 stack_bytes = PROFD_DEFAULT_MAX_STACK * sizeof(__u64);
const volatile __u32 unwind = PROFD_UNWIND_FP; /* enum profd_unwind */
/* User stack copied per sample with --unwind copy, in pages. */
const volatile __u32 stack_pages = PROFD_STACK_SIZE_DEFAULT / PROFD_STACK_PAGE;

/* Room kept in the events ring for process events when stack copies fill it. */
#define EVENTS_HEADROOM (64 * 1024)

/* The drain's generation, bumped by user space at each drain; its low bit is the counts/stacks
 * pair sampling writes to. */
__u32 buf_gen = 0;
/* Bumped whenever a pid leaves seen (at exit), and by user space whenever it deletes a cgroup
 * from cgroups: an announcement a CPU remembers from before is checked again. */
__u32 seen_gen = 0;
__u32 cgroups_gen = 0;
/* Set by user space when the run's duration is over, however busy its own loop is then. */
__u32 stopped = 0;

/*
 * Processes to sample when filter_pids: key pid (tgid), value unused. Sized by user space (room for
 * the targets and their descendants; one entry without filter_pids).
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8192);
	__type(key, __u32);
	__type(value, __u8);
} targets SEC(".maps");

/* Threads to sample when filter_tids: key tid, value unused. Filled by user space (-t); one
 * entry otherwise. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, __u8);
} threads SEC(".maps");

/* --cgroup: index 0 holds the cgroup v2 whose tasks, and its descendants', are sampled. */
struct {
	__uint(type, BPF_MAP_TYPE_CGROUP_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} cgroup_filter SEC(".maps");

/*
 * cgroups already announced to user space: key cgroup id, value unused. A fixed size: user space
 * deletes those unused for a while, and a first sample that finds it full is counted
 * (PROFD_CNT_CGROUPS_FULL). Like seen, its elements are allocated as they are added: it is
 * written once per cgroup, and a preallocated one costs its whole size at every start.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, __u8);
} cgroups SEC(".maps");

/*
 * Processes already announced to user space: key pid, value unused; an entry goes at exit. Sized by
 * user space from the processes alive at the start, or like targets when filter_pids. Elements
 * are allocated as processes are announced (the kernel's allocator serves the perf event's
 * interrupt from a per-CPU cache); an element it cannot get counts as full, and the process's
 * next sample tries again.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 32768);
	__type(key, __u32);
	__type(value, __u8);
} seen SEC(".maps");

/* A sum per sample key, the shape of the sample counts and of the off-CPU times. */
struct sample_sums {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, struct profd_sample_key);
	__type(value, __u64);
};

/* Sample counts, buffer 0 and 1: key profd_sample_key, value count. Sized by user space from the
 * samples of one drain period. */
struct sample_sums counts0 SEC(".maps"), counts1 SEC(".maps");

/*
 * Stacks, buffer 0 and 1: key hash of the PCs, value profd_stack; depth and entries set by user
 * space. Preallocated, so inserting never allocates in the perf event's interrupt (or NMI).
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8192);
	__uint(key_size, sizeof(__u64));
	__uint(value_size, sizeof(struct profd_stack));
} stacks0 SEC(".maps"), stacks1 SEC(".maps");

/* One stack being read, per CPU: too big for the BPF stack. Value size set like the stacks'. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(struct profd_stack));
} stack_scratch SEC(".maps");

/*
 * What this CPU announced last. Most samples on a CPU are of the process and cgroup of the one
 * before, and their two hash lookups cost more than all of the rest of a sample but its stacks.
 */
struct announced {
	__u32 pid, pid_gen;
	__u64 cgroup;
	__u32 cgroup_gen, pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct announced);
} last_announced SEC(".maps");

/* Loss and activity counters: index profd_counter, value count, per CPU. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, PROFD_CNT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

/* Drain barrier: per CPU, odd while on_sample runs. Key 0, value sequence. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} drain_seq SEC(".maps");

/* Process events (profd_event, profd_mmap_event) and, with --unwind copy, samples
 * (profd_stack_event). Sized by user space, larger when it carries stack copies. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} events SEC(".maps");

static __always_inline void count(__u32 counter)
{
	__u64 *v = bpf_map_lookup_elem(&counters, &counter);

	if (v)
		*v += 1; /* per-CPU: no other writer */
}

/*
 * Process and cgroup events wake no reader: user space reads them at its next poll (every 100
 * ms), not once per event, and a machine that starts processes by the hundred a second would
 * otherwise wake it for nearly each. A rescan asks for the mapping scan soon: it wakes.
 */
static __always_inline void send_event(__u32 type, __u32 pid, __u32 ppid)
{
	struct task_struct *leader;
	struct profd_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);

	if (!e) {
		count(PROFD_CNT_EVENTS_LOST);
		return;
	}
	e->type = type;
	e->pid = pid;
	e->ppid = ppid;
	e->pad = 0;
	e->cgroup = bpf_get_current_cgroup_id();
	/* Every event runs in a task of the process; the leader's name is the process's name. */
	leader = BPF_CORE_READ(bpf_get_current_task_btf(), group_leader);
	if (bpf_probe_read_kernel_str(e->comm, sizeof(e->comm), &leader->comm) < 0)
		bpf_get_current_comm(e->comm, sizeof(e->comm));
	bpf_ringbuf_submit(e, type == PROFD_EV_RESCAN ? BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP);
}

#include "bpf/mappings.bpf.h"

struct hash_ctx {
	struct profd_stack *st;
	__u64 h;
	__u32 n;
};

/* One step of the stack hash; a bpf_loop callback, verified once whatever the depth. */
static long hash_pc(__u32 i, void *data)
{
	struct hash_ctx *c = data;
	__u64 idx = i;

	/* Keep the checked copy in one register: the verifier bounds that register only. */
	asm volatile("" : "+r"(idx));
	if (idx >= c->n || idx >= stack_bytes / sizeof(__u64))
		return 1;
	c->h = stack_hash(c->h, c->st->pcs[idx]);
	return 0;
}

/*
 * Stacks this CPU stored lately, direct-mapped by key: an entry says the key is in the stacks
 * map of that generation. Most samples repeat a stack of the last second, and the stacks map's
 * lookup took 0.5 us of a sample (its bucket and element, far apart in memory, cold after a
 * millisecond of the profiled job); this entry is one line. Only a stack found or stored
 * writes one, and a map is cleared only after its generation is over, so an entry is never
 * wrong, even half written by a program that interrupted the writer.
 */
#define STORED_SLOTS 256

struct stored_stacks {
	struct {
		__u64 key;
		__u64 gen;
	} e[STORED_SLOTS];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct stored_stacks);
} stored SEC(".maps");

/*
 * Stores the n PCs of st in the buffer's stacks map under h, stack_hash() of them, and returns
 * that key; 0 with *err set when the map is full.
 */
static __always_inline __u64 store_hashed(__u32 buf, struct profd_stack *st, __u32 n, __u64 h,
					  bool user, __s32 *err)
{
	void *map = buf ? (void *)&stacks1 : (void *)&stacks0;
	/* Read again: a drain may have begun since the caller chose buf; then no entry is used. */
	__u32 zero = 0, gen = *(volatile __u32 *)&buf_gen, slot;
	struct stored_stacks *memo = bpf_map_lookup_elem(&stored, &zero);
	long ret;

	h = h ? h : 1; /* 0 means "no stack" */
	*err = 0;
	slot = h & (STORED_SLOTS - 1);
	if ((gen & 1) != buf)
		memo = NULL;
	if (memo && memo->e[slot].key == h && memo->e[slot].gen == gen)
		return h;
	st->len = n;
	st->pad = 0;
	if (!bpf_map_lookup_elem(map, &h)) {
		ret = bpf_map_update_elem(map, &h, st, BPF_NOEXIST);
		if (ret && ret != -EEXIST) { /* -EEXIST: another CPU stored the same stack */
			count(user ? PROFD_CNT_USTACK_FULL : PROFD_CNT_KSTACK_FULL);
			*err = -ENOMEM;
			return 0;
		}
	}
	if (memo) {
		memo->e[slot].key = h;
		memo->e[slot].gen = gen;
	}
	return h;
}

/* The same, hashing the PCs first. */
static __always_inline __u64 store_stack(__u32 buf, struct profd_stack *st, __u32 n, bool user,
					 __s32 *err)
{
	struct hash_ctx c = {.h = STACK_HASH_SEED, .st = st, .n = n};

	bpf_loop(c.n, hash_pc, &c, 0);
	return store_hashed(buf, st, n, c.h, user, err);
}

/* The per-CPU buffer a stack is read into before it is hashed; NULL with *err set if missing. */
static __always_inline struct profd_stack *scratch_stack(__s32 *err)
{
	__u32 zero = 0;
	struct profd_stack *st = bpf_map_lookup_elem(&stack_scratch, &zero);

	if (!st)
		*err = -ENOENT;
	return st;
}

/*
 * Reads the current user or kernel stack by frame pointers and stores it (store_stack); 0 with
 * *err set when there is no stack to store.
 */
static __always_inline __u64 take_stack(void *ctx, __u32 buf, __u64 flags, __s32 *err)
{
	bool user = flags & BPF_F_USER_STACK;
	struct profd_stack *st = scratch_stack(err);
	long len;

	if (!st)
		return 0;
	len = bpf_get_stack(ctx, st->pcs, stack_bytes, flags);
	if (len <= 0) {
		/* An empty kernel stack is a sample taken in user mode, not a loss. */
		*err = len < 0 ? len : -ENOENT;
		if (user && len < 0)
			count(PROFD_CNT_USTACK_FAULT);
		return 0;
	}
	return store_stack(buf, st, len / sizeof(__u64), user, err);
}

/* The user stack walked with the CFI tables; by frame pointers if the process is not loaded. */
static __always_inline __u64 walk_stack(void *ctx, struct task_struct *task, __u32 pid, __u32 buf,
					__s32 *err)
{
	struct profd_regs *regs = user_regs(task);
	struct profd_stack *st;
	__s32 trust = 0;
	__u64 h, hash;
	long n;

	/*
	 * In exec or exit the user stack is gone, or going: kernel frames only. An exit drops
	 * the mm after it sets PF_EXITING, so mm is read (by helper, a tenth of a microsecond, as
	 * a pointer load would cost a search of the kernel's types at load) only then.
	 */
	if (BPF_CORE_READ_BITFIELD(task, in_execve) ||
	    ((task->flags & PF_EXITING) && !BPF_CORE_READ(task, mm))) {
		count(PROFD_CNT_CFI_NO_MM);
		*err = -ENOENT;
		return 0;
	}
	st = scratch_stack(err);
	if (!st)
		return 0;
	n = walk_user_stack(regs, pid, st->pcs, stack_bytes / sizeof(__u64), &hash, &trust);
	if (n < 0)
		return take_stack(ctx, buf, BPF_F_USER_STACK, err);
	if (!n) {
		*err = -EFAULT;
		return 0;
	}
	h = store_hashed(buf, st, n, hash, true, err);
	if (h)
		*err = trust;
	return h;
}

/* Adds n to map's value under key, inserting the key if missing. Returns 0 or -errno (full). */
static __always_inline long add_to(void *map, struct profd_sample_key *key, __u64 n)
{
	__u64 *val = bpf_map_lookup_elem(map, key);
	long err;

	if (val) {
		__sync_fetch_and_add(val, n);
		return 0;
	}
	err = bpf_map_update_elem(map, key, &n, BPF_NOEXIST);
	if (err == -EEXIST) {
		/* Another CPU inserted the same key between our lookup and update. */
		val = bpf_map_lookup_elem(map, key);
		if (val) {
			__sync_fetch_and_add(val, n);
			err = 0;
		}
	}
	return err;
}

static __always_inline void add_count(__u32 buf, struct profd_sample_key *key)
{
	void *map = buf ? (void *)&counts1 : (void *)&counts0;

	count(add_to(map, key, 1) ? PROFD_CNT_COUNTS_FULL : PROFD_CNT_SAMPLES);
}

enum { SET_HAD, SET_ADDED, SET_FULL };

/* Puts key into the set (a map of it to a byte): SET_HAD, SET_ADDED or, counting full_counter,
 * SET_FULL. */
static __always_inline int set_add(void *set, const void *key, __u32 full_counter)
{
	__u8 one = 1;

	if (bpf_map_lookup_elem(set, key))
		return SET_HAD;
	if (bpf_map_update_elem(set, key, &one, BPF_NOEXIST) == 0)
		return SET_ADDED;
	if (bpf_map_lookup_elem(set, key))
		return SET_HAD; /* another CPU added it meanwhile */
	count(full_counter);
	return SET_FULL;
}

/*
 * Whether task's process is announced now. Not by a thread in its exit (PF_EXITING, set before
 * on_exit() sends the process's exit when its last thread gets there): a sample later in the
 * exit (unmapping its memory, closing its files) would announce it again, and no exit would
 * follow to take it out of seen and out of user space's snapshots. The thread's own flag, not
 * the process's count of live threads: task_struct is relocated already, signal_struct would
 * be one more scan of the kernel's types at load.
 */
static __always_inline bool announce(struct task_struct *task)
{
	__u32 pid = task->tgid;
	int r;

	if (task->flags & PF_EXITING)
		return false;
	r = set_add(&seen, &pid, PROFD_CNT_SEEN_FULL);

	if (r == SET_ADDED)
		send_event(PROFD_EV_NEW_PROCESS, pid, 0);
	return r != SET_FULL;
}

/* A cgroup's first sample: user space resolves its id to a path while the cgroup exists. */
static __always_inline bool announce_cgroup(__u32 pid, __u64 cgroup)
{
	int r = set_add(&cgroups, &cgroup, PROFD_CNT_CGROUPS_FULL);

	if (r == SET_ADDED)
		send_event(PROFD_EV_NEW_CGROUP, pid, 0);
	return r != SET_FULL;
}

/*
 * announce() and announce_cgroup(), skipped for what this CPU announced last unless it may have
 * left the sets since. A generation is read before the set: one bumped meanwhile fails the next
 * check. A global function, verified once on its own: inlined, its ways through made the
 * verifier walk the rest of on_sample again for each.
 */
__noinline int profd_announce_sample(__u32 pid, __u64 cgroup)
{
	__u32 zero = 0, pid_gen = *(volatile __u32 *)&seen_gen;
	__u32 cgroup_gen = *(volatile __u32 *)&cgroups_gen;
	struct announced *a = bpf_map_lookup_elem(&last_announced, &zero);

	if (!a)
		return 0;
	if (pid && (a->pid != pid || a->pid_gen != pid_gen)) {
		a->pid = 0;
		if (announce(bpf_get_current_task_btf())) {
			a->pid = pid;
			a->pid_gen = pid_gen;
		}
	}
	if (a->cgroup != cgroup || a->cgroup_gen != cgroup_gen) {
		a->cgroup = 0;
		if (announce_cgroup(pid, cgroup)) {
			a->cgroup = cgroup;
			a->cgroup_gen = cgroup_gen;
		}
	}
	return 0;
}

/*
 * The current task's user stack as --unwind asks: walked with the CFI tables, or by frame
 * pointers (with --unwind copy too: the copies are on_sample's alone). The sampler and the
 * scheduler's switch (off CPU) both take it here.
 */
static __always_inline __u64 take_user_stack(void *ctx, struct task_struct *task, __u32 pid,
					     __u32 buf, __s32 *err)
{
	if (task->flags & PF_KTHREAD) {
		*err = -ENOENT;
		return 0;
	}
	if (unwind == PROFD_UNWIND_CFI)
		return walk_stack(ctx, task, pid, buf, err);
	return take_stack(ctx, buf, BPF_F_USER_STACK, err);
}

static __always_inline bool copies_stack(struct task_struct *task)
{
	return unwind == PROFD_UNWIND_COPY && !(task->flags & PF_KTHREAD);
}

/* Copies from sp page by page until the limit or the first unreadable page, like perf's
 * copy_from_user_nmi(): the end of the stack mapping ends the copy, not the sample. */
static __always_inline __u32 copy_stack(struct profd_stack_event *e, __u64 sp)
{
	__u64 len = PROFD_STACK_PAGE - (sp & (PROFD_STACK_PAGE - 1));

	if (bpf_probe_read_user(e->stack, len, (void *)sp))
		return 0;
#pragma clang loop unroll(full)
	for (__u32 i = 1; i < PROFD_STACK_PAGES_MAX; i++) {
		if (i >= stack_pages) {
			e->flags |= PROFD_STACK_CUT;
			break;
		}
		/* Always false; hidden from the compiler so the verifier sees the bound. */
		asm volatile("" : "+r"(len));
		if (len > (__u64)i * PROFD_STACK_PAGE)
			break;
		if (bpf_probe_read_user(e->stack + len, PROFD_STACK_PAGE, (void *)(sp + len)))
			break;
		len += PROFD_STACK_PAGE;
	}
	return len;
}

/*
 * Sends the sample with a copy of the user stack; false when the ring has no room for it. The
 * caller then counts the sample here instead: dropping it would leave under overload only the
 * samples that need no copy (kernel threads), and the profile would say they took the CPU.
 */
static __always_inline bool send_stack(void *ctx, struct task_struct *task, __u32 pid, __u32 tid,
				       __u32 buf, __u64 cgroup, bool in_kernel)
{
	__u64 size = sizeof(struct profd_stack_event) + (__u64)stack_pages * PROFD_STACK_PAGE;
	struct profd_stack_event *e;
	struct profd_regs *regs;
	__s32 kernel_err = -ENOENT;
	__u64 kernel_stack = 0;

	if (bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) + size + EVENTS_HEADROOM >
	    bpf_ringbuf_query(&events, BPF_RB_RING_SIZE))
		return false;
	/* The kernel stack before the reserve: no helper loops while the record is held. */
	if (in_kernel)
		kernel_stack = take_stack(ctx, buf, 0, &kernel_err);
	e = bpf_ringbuf_reserve(&events, size, 0);
	if (!e)
		return false;
	e->type = PROFD_EV_STACK;
	e->pid = pid;
	e->tid = tid;
	e->buf = buf;
	e->flags = 0;
	e->pad = 0;
	e->kernel_stack = kernel_stack;
	e->kernel_err = kernel_err;
	e->cgroup = cgroup;
	bpf_get_current_comm(&e->comm, sizeof(e->comm));
	/* The registers saved at the last entry from user mode, whether the sample hit user or
	 * kernel code. */
	regs = user_regs(task);
	e->regs[PROFD_REG_AX] = regs->ax;
	e->regs[PROFD_REG_DX] = regs->dx;
	e->regs[PROFD_REG_CX] = regs->cx;
	e->regs[PROFD_REG_BX] = regs->bx;
	e->regs[PROFD_REG_SI] = regs->si;
	e->regs[PROFD_REG_DI] = regs->di;
	e->regs[PROFD_REG_BP] = regs->bp;
	e->regs[PROFD_REG_SP] = regs->sp;
	e->regs[PROFD_REG_R8] = regs->r8;
	e->regs[PROFD_REG_R9] = regs->r9;
	e->regs[PROFD_REG_R10] = regs->r10;
	e->regs[PROFD_REG_R11] = regs->r11;
	e->regs[PROFD_REG_R12] = regs->r12;
	e->regs[PROFD_REG_R13] = regs->r13;
	e->regs[PROFD_REG_R14] = regs->r14;
	e->regs[PROFD_REG_R15] = regs->r15;
	e->regs[PROFD_REG_IP] = regs->ip;
	e->stack_len = copy_stack(e, regs->sp);
	/* User space reads the ring every poll period: no wakeup per sample. */
	bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
	count(PROFD_CNT_STACK_COPIES);
	count(PROFD_CNT_SAMPLES);
	return true;
}

/* The sample into the counts map, with its stacks in the stacks maps. */
static __always_inline void count_sample(void *ctx, struct task_struct *task, __u32 pid, __u32 tid,
					 __u32 buf, __u64 cgroup, bool in_kernel)
{
	struct profd_sample_key key = {};

	key.pid = pid;
	key.tid = tid;
	key.cgroup = cgroup;
	if (in_kernel)
		key.kernel_stack = take_stack(ctx, buf, 0, &key.kernel_err);
	else
		key.kernel_err = -ENOENT;
	key.user_stack = take_user_stack(ctx, task, pid, buf, &key.user_err);
	/* A copy that did not fit: the frame-pointer stack's outer frames may be wrong. */
	if (copies_stack(task)) {
		count(PROFD_CNT_COPY_FALLBACK);
		if (key.user_err == 0)
			key.user_err = PROFD_WALK_NOT_COPIED;
	}
	/* Read in place, not by helper: 0.2 us less a sample. The kernel pads comm with zeros
	 * whenever it sets it, so the bytes are the helper's. */
	__builtin_memcpy(&key.comm, task->comm, sizeof(key.comm));
	add_count(buf, &key);
}

/*
 * Enters the buffer this CPU writes, *buf: this CPU's drain_seq stays odd until leave_buffer(), so
 * user space waits before reading a buffer it just retired. NULL if the counter is missing.
 */
static __always_inline __u64 *enter_buffer(__u32 *buf)
{
	__u32 zero = 0;
	__u64 *seq = bpf_map_lookup_elem(&drain_seq, &zero);

	if (!seq)
		return NULL;
	/* A locked add is a full barrier: the read of buf_gen below cannot move above it. */
	__sync_fetch_and_add(seq, 1);
	*buf = buf_gen & 1;
	return seq;
}

static __always_inline void leave_buffer(__u64 *seq)
{
	__sync_fetch_and_add(seq, 1);
}

/* The code segment of the registers the sample interrupted; its low bits are the privilege
 * level, 3 in user mode. The context starts with those registers (the UAPI's
 * bpf_perf_event_data), read through profd_regs: no kernel type, no relocation to resolve at
 * load (the kernel's types would be scanned twice, once for each of the two structs). */
static __always_inline __u64 sample_cs(void *ctx)
{
	return ((volatile struct profd_regs *)ctx)->cs;
}

SEC("perf_event")
int on_sample(struct bpf_perf_event_data *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 pid = id >> 32, tid = (__u32)id, buf;
	struct task_struct *task;
	__u64 *seq, cgroup;
	bool in_kernel;

	if (stopped)
		return 0;
	if (tid == 0 && !include_idle) {
		count(PROFD_CNT_IDLE);
		return 0;
	}
	if (filter_pids && !bpf_map_lookup_elem(&targets, &pid))
		return 0;
	if (filter_tids && !bpf_map_lookup_elem(&threads, &tid))
		return 0;
	if (filter_cgroup && bpf_current_task_under_cgroup(&cgroup_filter, 0) != 1)
		return 0;
	/* Before the sample: in the shared ring, the process event then precedes its stack copies. */
	cgroup = bpf_get_current_cgroup_id();
	profd_announce_sample(pid, cgroup);

	seq = enter_buffer(&buf);
	if (!seq)
		return 0;

	task = bpf_get_current_task_btf();
	/* A sample taken in user mode has no kernel stack: do not ask for an empty one, whose
	 * buffer the helper clears whole. */
	in_kernel = kernel_stacks && (sample_cs(ctx) & 3) != 3;
	if (!copies_stack(task) || !send_stack(ctx, task, pid, tid, buf, cgroup, in_kernel))
		count_sample(ctx, task, pid, tid, buf, cgroup, in_kernel);

	leave_buffer(seq);
	return 0;
}

/*
 * The process events are raw tracepoints, not BTF ones: attaching by name needs no search of the
 * kernel's types, by libbpf and again by the verifier, half a millisecond each at every start.
 * Their task arguments are plain numbers here, read with BPF_CORE_READ.
 */
SEC("raw_tp/sched_process_fork")
int BPF_PROG(on_fork, struct task_struct *parent, struct task_struct *child)
{
	__u32 ppid = BPF_CORE_READ(parent, tgid), pid = BPF_CORE_READ(child, tgid);
	__u8 one = 1;

	if (pid == ppid) /* a thread */
		return 0;
	if (filter_pids) {
		if (!bpf_map_lookup_elem(&targets, &ppid))
			return 0;
		if (bpf_map_update_elem(&targets, &pid, &one, BPF_ANY)) {
			count(PROFD_CNT_TARGETS_FULL);
			return 0;
		}
		send_event(PROFD_EV_FORK, pid, ppid);
	}
	maps_fork(ppid, pid);
	return 0;
}

/* In the task that execs: the current one, which the mapping scan needs as a trusted pointer. */
SEC("raw_tp/sched_process_exec")
int BPF_PROG(on_exec)
{
	struct task_struct *task = bpf_get_current_task_btf();
	__u32 pid = task->tgid;

	maps_exec(task);
	if (bpf_map_lookup_elem(&seen, &pid))
		send_event(PROFD_EV_EXEC, pid, 0);
	return 0;
}

SEC("raw_tp/sched_process_exit")
int BPF_PROG(on_exit, struct task_struct *p, bool group_dead)
{
	__u32 pid = BPF_CORE_READ(p, tgid);
	bool known;

	if (!group_dead)
		return 0;
	known = bpf_map_delete_elem(&seen, &pid) == 0;
	if (known)
		__sync_fetch_and_add(&seen_gen, 1);
	/* A pid that is reused later must not inherit the target mark. */
	known |= bpf_map_delete_elem(&targets, &pid) == 0;
	if (known)
		send_event(PROFD_EV_EXIT, pid, 0);
	return 0;
}

/* The last of a process is freed: its mapping table goes (see mappings.bpf.h). */
SEC("raw_tp/sched_process_free")
int BPF_PROG(on_free, struct task_struct *p)
{
	__u32 pid = BPF_CORE_READ(p, tgid);

	if (BPF_CORE_READ(p, pid) == pid)
		maps_exit(pid);
	return 0;
}

#include "bpf/offcpu.bpf.h"

char LICENSE[] SEC("license") = "GPL";
