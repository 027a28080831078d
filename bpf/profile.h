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

/* Key of the counts maps: one entry per unique (process, thread, name, stacks, cgroup). */
struct profd_sample_key {
	__u32 pid; /* thread group id */
	__u32 tid;
	__u64 user_stack;   /* key of the user stack in the stacks map, or 0 */
	__u64 kernel_stack; /* likewise */
	__s32 user_err;	    /* 0, or -errno why user_stack is 0 (-ENOENT: not taken) */
	__s32 kernel_err;   /* likewise */
	char comm[PROFD_COMM_LEN];
	__u64 cgroup; /* cgroup v2 id of the sampled task */
};

/*
 * Value of the stacks maps, keyed by a 64-bit hash of the PCs. The kernel's stack-trace map
 * hashes stacks into as many buckets as it has entries and drops a stack whose bucket is taken
 * (bpf_get_stackid's -EEXIST): with a hot leaf landing on a rare stack's bucket, one window lost
 * 15 % of a workload's samples. A full 64-bit key makes that a 2^-64 event; only a full map
 * loses stacks. The map's value size is 8 + max_stack * 8, set at load time.
 */
struct profd_stack {
	__u32 len; /* PCs in pcs */
	__u32 pad;
	__u64 pcs[PROFD_DEFAULT_MAX_STACK];
};


/* Per-CPU counters, summed by user space. Every way a sample or a stack can be lost has one. */
enum profd_counter {
	PROFD_CNT_SAMPLES,	     /* samples recorded: in a counts map, or sent with a stack copy */
	PROFD_CNT_IDLE,		     /* samples of the idle task, skipped */
	PROFD_CNT_COUNTS_FULL,	     /* samples dropped: counts map full */
	PROFD_CNT_USTACK_FULL,	     /* user stack lost: stack map full */
	PROFD_CNT_KSTACK_FULL,	     /* kernel stack lost: stack map full */
	PROFD_CNT_USTACK_FAULT,	     /* user stack could not be read */
	PROFD_CNT_EVENTS_LOST,	     /* process events dropped: ring buffer full */
	PROFD_CNT_SEEN_FULL,	     /* new process not announced: seen map full */
	PROFD_CNT_TARGETS_FULL,	     /* forked child not followed: targets map full */
	PROFD_CNT_STACK_COPIES,	     /* samples sent to user space with a copy of the user stack */
	PROFD_CNT_RINGBUF_FULL,	     /* samples dropped: no room for the stack copy in the ring buffer
				      * (user space adds those it dropped for falling behind) */
	PROFD_CNT_CGROUPS_FULL,	     /* new cgroup not announced: cgroups map full (resolved late) */
	PROFD_CNT_MAX,
};

enum profd_event_type {
	PROFD_EV_NEW_PROCESS = 1, /* first sample of a process: snapshot its mappings now */
	PROFD_EV_EXEC,		  /* a sampled process called exec: its mappings changed */
	PROFD_EV_EXIT,		  /* a sampled or targeted process exited */
	PROFD_EV_FORK,		  /* a targeted process forked a new process (now targeted too) */
	PROFD_EV_STACK,		  /* a sample with a copy of the user stack (struct profd_stack_event) */
	PROFD_EV_NEW_CGROUP,	  /* first sample in a cgroup: resolve its id before it can go */
};

struct profd_event {
	__u32 type;
	__u32 pid;
	__u32 ppid; /* PROFD_EV_FORK only */
	__u32 pad;
	/* The process's name: read here because /proc/PID is gone by the time an exit is read. */
	char comm[PROFD_COMM_LEN];
	__u64 cgroup; /* cgroup v2 id of the task the event ran in */
};

/* ---- DWARF unwinding: samples that carry a copy of the user stack ---- */

/* How user stacks are taken: the rodata setting `unwind`, and values of the unwind_modes map. */
enum profd_unwind {
	PROFD_UNWIND_FP,    /* frame pointers, in the kernel (bpf_get_stack) */
	PROFD_UNWIND_DWARF, /* copy registers and stack; user space unwinds with CFI */
	PROFD_UNWIND_AUTO,  /* per process: user space puts FP or DWARF in unwind_modes */
};

#define PROFD_STACK_PAGE 4096
#define PROFD_STACK_SIZE_DEFAULT 16384
#define PROFD_STACK_SIZE_MAX 65536
#define PROFD_STACK_PAGES_MAX (PROFD_STACK_SIZE_MAX / PROFD_STACK_PAGE)

/* Registers of the sampled thread in user mode, indexed by DWARF number (x86-64 psABI). */
enum profd_reg {
	PROFD_REG_AX, PROFD_REG_DX, PROFD_REG_CX, PROFD_REG_BX, PROFD_REG_SI, PROFD_REG_DI,
	PROFD_REG_BP, PROFD_REG_SP, PROFD_REG_R8, PROFD_REG_R9, PROFD_REG_R10, PROFD_REG_R11,
	PROFD_REG_R12, PROFD_REG_R13, PROFD_REG_R14, PROFD_REG_R15, PROFD_REG_IP,
	PROFD_REG_MAX,
};

#define PROFD_STACK_CUT 0x1 /* the copy stopped at the size limit, not at unreadable memory */

/*
 * One sample for DWARF unwinding, in the events ring buffer. The record is reserved with room
 * for the whole copy (the stack_pages setting); stack_len bytes of it are valid, copied from
 * regs[PROFD_REG_SP] upwards.
 */
struct profd_stack_event {
	__u32 type; /* PROFD_EV_STACK: first, like profd_event */
	__u32 pid;
	__u32 tid;
	__u32 buf;	     /* which stacks map (0 or 1) kernel_stack is in */
	__u64 kernel_stack;  /* as in profd_sample_key */
	__s32 kernel_err;    /* likewise */
	__u32 stack_len;
	__u32 flags; /* PROFD_STACK_* */
	__u32 pad;
	__u64 cgroup; /* as in profd_sample_key */
	__u64 regs[PROFD_REG_MAX];
	char comm[PROFD_COMM_LEN];
	__u8 stack[];
};

#endif
