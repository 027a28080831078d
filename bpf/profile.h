/* SPDX-License-Identifier: MIT */
/*
 * The ABI between profile.bpf.c and user space: map keys, values, counters and events.
 * Included by both sides, so it uses only kernel-style fixed-width types.
 */
#ifndef PROFD_BPF_PROFILE_H
#define PROFD_BPF_PROFILE_H

#define PROFD_COMM_LEN 16
/* The kernel's default kernel.perf_event_max_stack; the stack maps are built for this depth. */
#define PROFD_DEFAULT_MAX_STACK 127

/* Key of the counts maps: one entry per unique (process, thread, name, stacks). */
struct profd_sample_key {
	__u32 pid; /* thread group id */
	__u32 tid;
	__s32 user_stack_id;   /* >= 0, or -errno from bpf_get_stackid(), -ENOENT when not taken */
	__s32 kernel_stack_id; /* likewise */
	char comm[PROFD_COMM_LEN];
};

/* Per-CPU counters, summed by user space. Every way a sample or a stack can be lost has one. */
enum profd_counter {
	PROFD_CNT_SAMPLES,	     /* samples recorded in a counts map */
	PROFD_CNT_IDLE,		     /* samples of the idle task, skipped */
	PROFD_CNT_COUNTS_FULL,	     /* samples dropped: counts map full */
	PROFD_CNT_USTACK_COLLISION,  /* user stack lost: stack-map hash collision */
	PROFD_CNT_KSTACK_COLLISION,  /* kernel stack lost: stack-map hash collision */
	PROFD_CNT_USTACK_FULL,	     /* user stack lost: stack map full */
	PROFD_CNT_KSTACK_FULL,	     /* kernel stack lost: stack map full */
	PROFD_CNT_USTACK_FAULT,	     /* user stack could not be read */
	PROFD_CNT_EVENTS_LOST,	     /* process events dropped: ring buffer full */
	PROFD_CNT_SEEN_FULL,	     /* new process not announced: seen map full */
	PROFD_CNT_TARGETS_FULL,	     /* forked child not followed: targets map full */
	PROFD_CNT_MAX,
};

enum profd_event_type {
	PROFD_EV_NEW_PROCESS = 1, /* first sample of a process: snapshot its mappings now */
	PROFD_EV_EXEC,		  /* a sampled process called exec: its mappings changed */
	PROFD_EV_EXIT,		  /* a sampled or targeted process exited */
	PROFD_EV_FORK,		  /* a targeted process forked a new process (now targeted too) */
};

struct profd_event {
	__u32 type;
	__u32 pid;
	__u32 ppid; /* PROFD_EV_FORK only */
	__u32 pad;
};

#endif
