/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Off-CPU time (--off-cpu): how long threads wait, per stack, measured from the scheduler's
 * switch and aggregated in the kernel like CPU samples: same key, same stacks maps, with
 * nanoseconds instead of sample counts in a counts map pair of its own.
 *
 * When a thread blocks (switched out in a sleeping state, not preempted) it is the current task,
 * so its kernel and user stacks are taken then, into the active buffer, and its wait is kept in
 * its task storage. When it is switched back in, the wait's time goes to the active buffer. A
 * wait can outlast a drain: then the drain's cut (on_cut) counts the part up to the drain into
 * the buffer being drained and carries the wait's stacks over to the new buffer, so that the
 * rest is counted later with stacks that are still there. The wake and the cut claim the time
 * with an atomic exchange on `from`, so no part is counted twice.
 *
 * Threads already blocked when sampling starts are found by on_waiting, a task iterator that
 * user space runs once: their stacks are read across tasks (the kernel's, and the user one by
 * frame pointers), and their wait counts from the start. Threads still blocked when sampling
 * stops are counted up to the stop by the last cut.
 *
 * Included by profile.bpf.c, after its maps and stack helpers.
 */
#ifndef PROFD_OFFCPU_BPF_H
#define PROFD_OFFCPU_BPF_H

#define TASK_RUNNING 0
/* Interruptible, uninterruptible (and idle), stopped, traced: waits. Dead and exiting are not. */
#define WAIT_STATES 0x000f

/* Waits shorter than this are left out (counted in PROFD_CNT_OFFCPU_SHORT). */
const volatile __u64 min_block_ns = 1000;

/* Set by user space: the time a drain's cut counts up to (bpf_ktime_get_ns() clock). */
__u64 cut_ns = 0;
/* Set by user space before on_waiting runs: when sampling started. */
__u64 begin_ns = 0;

/*
 * One thread's wait. `start` is 0 while the thread runs and while the record is being written;
 * `from` is where the part not yet counted begins.
 */
struct profd_wait {
	__u64 start; /* bpf_ktime_get_ns() when it blocked */
	__u64 from;
	__u64 user_stack, kernel_stack; /* keys in the stacks map of buffer `buf` */
	__s32 user_err, kernel_err;	/* as in profd_sample_key */
	__u32 buf;
	__u32 pad;
	__u64 cgroup;		   /* cgroup v2 id of the thread when it blocked */
	char comm[PROFD_COMM_LEN]; /* the thread's name when it blocked */
};

/* Each thread's current wait: task storage, allocated the first time a followed thread blocks. */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct profd_wait);
} waits SEC(".maps");

/* Off-CPU time, buffer 0 and 1: key profd_sample_key, value nanoseconds. Sized by user space. */
struct sample_sums offcpu0 SEC(".maps"), offcpu1 SEC(".maps");

static __always_inline void count_n(__u32 counter, __u64 n)
{
	__u64 *v = bpf_map_lookup_elem(&counters, &counter);

	if (v)
		*v += n; /* per-CPU: no other writer */
}

/* Whether the thread is one profd follows (-p, -t, or every thread but the idle tasks). */
static __always_inline bool followed(struct task_struct *task)
{
	__u32 pid = task->tgid, tid = task->pid;

	if (!tid)
		return false;
	if (filter_pids && !bpf_map_lookup_elem(&targets, &pid))
		return false;
	return !filter_tids || bpf_map_lookup_elem(&threads, &tid);
}

#define CGROUP_LEVELS_MAX 32

/* A task's cgroup v2: its id, and whether it is filter_cgroup_id or below it (--cgroup). */
static __always_inline __u64 task_cgroup(struct task_struct *task, bool *in_filter)
{
	struct cgroup *cg = BPF_CORE_READ(task, cgroups, dfl_cgrp), *up;
	int level = BPF_CORE_READ(cg, level);

	*in_filter = !filter_cgroup;
	for (int i = 0; i < CGROUP_LEVELS_MAX && !*in_filter; i++) {
		if (i > level)
			break;
		up = BPF_CORE_READ(cg, ancestors[i]);
		*in_filter = BPF_CORE_READ(up, kn, id) == filter_cgroup_id;
	}
	return BPF_CORE_READ(cg, kn, id);
}

/* Adds ns of waiting to the buffer's off-CPU counts under key. */
static __always_inline void add_time(__u32 buf, struct profd_sample_key *key, __u64 ns)
{
	void *map = buf ? (void *)&offcpu1 : (void *)&offcpu0;

	if (add_to(map, key, ns)) {
		count(PROFD_CNT_OFFCPU_FULL);
		count_n(PROFD_CNT_OFFCPU_FULL_NS, ns);
		return;
	}
	count(PROFD_CNT_OFFCPU_WAITS);
}

static __always_inline void wait_key(struct profd_wait *w, struct task_struct *task,
				     struct profd_sample_key *key)
{
	key->pid = task->tgid;
	key->tid = task->pid;
	key->user_stack = w->user_stack;
	key->kernel_stack = w->kernel_stack;
	key->user_err = w->user_err;
	key->kernel_err = w->kernel_err;
	key->cgroup = w->cgroup;
	__builtin_memcpy(key->comm, w->comm, sizeof(key->comm));
}

/* Makes the stack with this key present in buffer to's stacks map too. Returns 0 or -errno. */
static __always_inline int carry_stack(__u32 from, __u32 to, __u64 key, bool user)
{
	void *src = from ? (void *)&stacks1 : (void *)&stacks0;
	void *dst = to ? (void *)&stacks1 : (void *)&stacks0;
	struct profd_stack *st;
	long err;

	if (!key || bpf_map_lookup_elem(dst, &key))
		return 0;
	st = bpf_map_lookup_elem(src, &key);
	if (!st)
		return -ENOENT;
	err = bpf_map_update_elem(dst, &key, st, BPF_NOEXIST);
	if (err && err != -EEXIST) {
		count(user ? PROFD_CNT_USTACK_FULL : PROFD_CNT_KSTACK_FULL);
		return -ENOMEM;
	}
	return 0;
}

/* The wait's stacks into buffer to, where its remaining time will be counted. */
static __always_inline void carry_wait(struct profd_wait *w, __u32 to)
{
	__u32 from = w->buf & 1;

	if (from == to)
		return;
	if (carry_stack(from, to, w->user_stack, true)) {
		w->user_stack = 0;
		w->user_err = -ENOMEM;
	}
	if (carry_stack(from, to, w->kernel_stack, false)) {
		w->kernel_stack = 0;
		w->kernel_err = -ENOMEM;
	}
	w->buf = to;
}

/* prev blocks: its stacks now, its wait from now. */
static __always_inline void begin_wait(void *ctx, struct task_struct *prev, __u32 buf, __u64 now)
{
	struct profd_wait *w;

	w = bpf_task_storage_get(&waits, prev, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!w) {
		count(PROFD_CNT_OFFCPU_UNTRACKED);
		return;
	}
	w->start = 0;
	announce(prev);
	w->cgroup = bpf_get_current_cgroup_id(); /* prev is still the current task */
	announce_cgroup(prev->tgid, w->cgroup);
	w->kernel_err = -ENOENT;
	w->kernel_stack = kernel_stacks ? take_stack(ctx, buf, 0, &w->kernel_err) : 0;
	w->user_stack = take_user_stack(ctx, prev, prev->tgid, buf, &w->user_err);
	bpf_get_current_comm(w->comm, sizeof(w->comm));
	w->buf = buf;
	w->from = now;
	w->start = now;
}

/* next runs again: its wait, or what a cut left of it, goes to the active buffer. */
static __always_inline void end_wait(struct task_struct *next, __u32 buf, __u64 now)
{
	struct profd_sample_key key = {};
	struct profd_wait *w;
	__u64 start, from;

	w = bpf_task_storage_get(&waits, next, 0, 0);
	if (!w)
		return;
	start = w->start;
	if (!start)
		return;
	from = __sync_lock_test_and_set(&w->from, 0);
	w->start = 0;
	if (!from || now <= from)
		return;
	if (now - start < min_block_ns) {
		count(PROFD_CNT_OFFCPU_SHORT);
		return;
	}
	/* A drain's cut has not reached it yet: its stacks are still in the other buffer only. */
	carry_wait(w, buf);
	wait_key(w, next, &key);
	add_time(buf, &key, now - from);
}

SEC("tp_btf/sched_switch")
int BPF_PROG(on_switch, bool preempt, struct task_struct *prev, struct task_struct *next,
	     unsigned int prev_state)
{
	__u64 *seq, now;
	__u32 buf;

	if (stopped)
		return 0;
	seq = enter_buffer(&buf);
	if (!seq)
		return 0;
	now = bpf_ktime_get_ns();
	if (!preempt && (prev_state & WAIT_STATES) && followed(prev) &&
	    (!filter_cgroup || bpf_current_task_under_cgroup(&cgroup_filter, 0) == 1))
		begin_wait(ctx, prev, buf, now);
	end_wait(next, buf, now);
	leave_buffer(seq);
	return 0;
}

/*
 * A drain's cut, run by user space after it flipped the buffers: every wait's stacks move to the
 * new buffer, and a wait that began before cut_ns counts up to cut_ns into the one drained.
 */
SEC("iter/task")
int on_cut(struct bpf_iter__task *ctx)
{
	struct task_struct *task = ctx->task;
	__u32 active = buf_gen & 1, old = active ^ 1;
	struct profd_sample_key key = {};
	struct profd_wait *w;
	__u64 start, from;

	if (!task)
		return 0;
	w = bpf_task_storage_get(&waits, task, 0, 0);
	if (!w)
		return 0;
	start = w->start;
	if (!start)
		return 0;
	wait_key(w, task, &key); /* the keys in the old buffer, before the carry */
	carry_wait(w, active);
	if (start >= cut_ns || cut_ns - start < min_block_ns)
		return 0;
	from = w->from;
	if (!from || from >= cut_ns || __sync_val_compare_and_swap(&w->from, from, cut_ns) != from)
		return 0;
	add_time(old, &key, cut_ns - from);
	return 0;
}

/* ---- threads already waiting when sampling starts ---- */

struct task_fp_walk {
	struct task_struct *task;
	struct profd_stack *st;
	__u64 bp;
	__u32 n;
};

/*
 * One frame-pointer step through another task's user stack; a bpf_loop callback. Frame i's
 * return address goes to pcs[i + 1] (pcs[0] is the PC); the index comes from i, not from a
 * count kept in fw, so that the verifier sees one state for every step.
 */
static long task_fp_step(__u32 i, void *data)
{
	struct task_fp_walk *fw = data;
	__u64 frame[2]; /* saved rbp, return address */
	__u64 idx = (__u64)i + 1;

	asm volatile("" : "+r"(idx));
	if (idx >= stack_bytes / sizeof(__u64))
		return 1;
	if (bpf_copy_from_user_task(frame, sizeof(frame), (void *)fw->bp, fw->task, 0) ||
	    !frame[1])
		return 1;
	fw->st->pcs[idx] = frame[1];
	fw->n = idx + 1;
	if (frame[0] <= fw->bp) /* frames go up the stack */
		return 1;
	fw->bp = frame[0];
	return 0;
}

/*
 * Another task's stack, stored like take_stack() stores the current one's: the kernel stack by
 * the kernel's unwinder, the user stack by frame pointers from the registers it entered the
 * kernel with (what bpf_get_stack() does for the current task).
 */
static __always_inline __u64 take_task_stack(struct task_struct *task, __u32 buf, bool user,
					     __s32 *err)
{
	struct task_fp_walk fw = {.task = task};
	struct profd_regs *regs;
	struct profd_stack *st = scratch_stack(err);
	long len;

	if (!st)
		return 0;
	if (!user) {
		len = bpf_get_task_stack(task, st->pcs, stack_bytes, 0);
		if (len <= 0) {
			*err = len < 0 ? len : -ENOENT;
			return 0;
		}
		return store_stack(buf, st, len / sizeof(__u64), false, err);
	}
	regs = user_regs(task);
	if (!regs->ip) {
		*err = -ENOENT;
		return 0;
	}
	st->pcs[0] = regs->ip;
	fw.st = st;
	fw.bp = regs->bp;
	fw.n = 1;
	bpf_loop(stack_bytes / sizeof(__u64) - 1, task_fp_step, &fw, 0);
	return store_stack(buf, st, fw.n, true, err);
}

static __always_inline bool waiting(struct task_struct *task)
{
	return (task->__state & WAIT_STATES) && !task->on_rq && !task->exit_state;
}

/* Run once by user space when sampling starts, after on_switch is attached. */
SEC("iter.s/task")
int on_waiting(struct bpf_iter__task *ctx)
{
	struct task_struct *task = ctx->task;
	__u32 buf = buf_gen & 1;
	struct profd_wait *w;
	bool in_filter;
	__u64 cgroup;

	if (!task || !waiting(task) || !followed(task))
		return 0;
	/* Not announced (the event would name profd's cgroup): resolved when first drained. */
	cgroup = task_cgroup(task, &in_filter);
	if (!in_filter)
		return 0;
	w = bpf_task_storage_get(&waits, task, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!w) {
		count(PROFD_CNT_OFFCPU_UNTRACKED);
		return 0;
	}
	if (w->start) /* it blocked since on_switch was attached */
		return 0;
	announce(task);
	w->kernel_err = -ENOENT;
	w->kernel_stack = kernel_stacks ? take_task_stack(task, buf, false, &w->kernel_err) : 0;
	w->user_err = -ENOENT;
	w->user_stack = 0;
	if (!(task->flags & PF_KTHREAD))
		w->user_stack = take_task_stack(task, buf, true, &w->user_err);
	bpf_probe_read_kernel_str(w->comm, sizeof(w->comm), task->comm);
	w->cgroup = cgroup;
	w->buf = buf;
	w->from = begin_ns;
	w->start = begin_ns;
	/* Woken meanwhile, unseen by on_switch (start was still 0): it is not waiting. */
	if (!waiting(task)) {
		__sync_lock_test_and_set(&w->from, 0);
		w->start = 0;
	}
	return 0;
}

#endif
