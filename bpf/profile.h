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
	__s32 user_err;	    /* 0, -errno why user_stack is 0 (-ENOENT: not taken), or > 0: the
			     * in-kernel walk's stack may be cut short or wrong (PROFD_WALK_*) */
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
	PROFD_CNT_RINGBUF_FULL,	     /* samples dropped: user space fell behind reading stack copies */
	PROFD_CNT_CGROUPS_FULL,	     /* new cgroup not announced: cgroups map full (resolved late) */
	/* Off-CPU time (--off-cpu): every wait that ends or is cut is one of these. */
	PROFD_CNT_OFFCPU_WAITS,	     /* waits counted, or parts of them cut at a drain */
	PROFD_CNT_OFFCPU_SHORT,	     /* waits shorter than --min-block, left out */
	PROFD_CNT_OFFCPU_FULL,	     /* waits dropped: the off-CPU counts map was full */
	PROFD_CNT_OFFCPU_FULL_NS,    /* their nanoseconds */
	PROFD_CNT_OFFCPU_UNTRACKED,  /* waits not followed: no task storage for the thread */
	/* In-kernel CFI walks (--unwind cfi): every user stack is one of walked or no_process. */
	PROFD_CNT_CFI_WALKED,	     /* user stacks walked with the tables */
	PROFD_CNT_CFI_WHOLE,	     /* of those, walked to the outermost frame (CFI says: end) */
	PROFD_CNT_CFI_NO_PROCESS,    /* taken by frame pointers: the process's mappings not loaded yet */
	PROFD_CNT_CFI_NO_MM,	     /* none taken: the task was in exec or exit, its stack gone */
	PROFD_CNT_CFI_NO_TABLE,	     /* walks that followed rbp through a file whose table is not
				      * loaded (not built yet, or no room in the table memory) */
	PROFD_CNT_CFI_UNSUPPORTED,   /* walks that followed rbp through CFI the tables cannot express */
	PROFD_CNT_CFI_STOP_READ,     /* walks stopped: a return address or saved rbp unreadable */
	PROFD_CNT_CFI_STOP_FP,	     /* walks stopped: a frame-pointer step found no frame */
	PROFD_CNT_CFI_STOP_LOOP,     /* walks stopped: the stack pointer did not move up */
	PROFD_CNT_CFI_STOP_ZERO,     /* walks that ended at a return address or frame pointer of 0:
				      * the end of a frame-pointer chain (Go, JIT), not a failure */
	PROFD_CNT_CFI_STOP_ERROR,    /* walks stopped: a table was inconsistent */
	PROFD_CNT_MAPS_DROPPED,	     /* code mappings not tracked: a process's table was full */
	PROFD_CNT_MAPS_BUSY,	     /* mapping scans put off to user space: the process was changing
				      * them */
	PROFD_CNT_MMAP_EVENTS,	     /* files announced to user space for their tables */
	PROFD_CNT_MAPS_LOST,	     /* mapping tables not sent to user space: ring buffer full */
	PROFD_CNT_COPY_FALLBACK,     /* --unwind copy samples counted here with a frame-pointer user
				      * stack: no room for the copy in the ring buffer */
	PROFD_CNT_MAX,
};

enum profd_event_type {
	PROFD_EV_NEW_PROCESS = 1, /* first sample of a process: snapshot its mappings now */
	PROFD_EV_EXEC,		  /* a sampled process called exec: its mappings changed */
	PROFD_EV_EXIT,		  /* a sampled or targeted process exited */
	PROFD_EV_FORK,		  /* a targeted process forked a new process (now targeted too) */
	PROFD_EV_STACK,		  /* a sample with a copy of the user stack (struct profd_stack_event) */
	PROFD_EV_NEW_CGROUP,	  /* first sample in a cgroup: resolve its id before it can go */
	PROFD_EV_MMAP,		  /* code of a file without a table was mapped (profd_mmap_event) */
	PROFD_EV_RESCAN,	  /* a process's mappings could not be read in the kernel: scan later */
	PROFD_EV_MAPS,		  /* a process's code mappings changed (struct profd_proc_maps) */
};

/* A record of find_processes, at -a's start: a process, and whether a thread of it is running. */
struct profd_process_state {
	__u32 pid;
	__u32 running;
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

/* ---- --unwind copy: samples that carry a copy of the user stack ---- */

/* How user stacks are taken: the rodata setting `unwind` (--unwind). */
enum profd_unwind {
	PROFD_UNWIND_CFI,  /* walk in the kernel with tables compiled from CFI (see below) */
	PROFD_UNWIND_FP,   /* frame pointers, in the kernel (bpf_get_stack) */
	PROFD_UNWIND_COPY, /* copy registers and stack; user space unwinds with CFI (libunwind) */
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
 * One sample for the stack-copy unwinder, in the events ring buffer. The record is reserved with room
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


/* ---- In-kernel unwinding with tables compiled from CFI ---- */

/*
 * Tables live in cfi_pool, an array of 64-bit elements that user space fills with 32-bit words
 * (word w is the low half of element w / 2 when w is even): per file, the layout of the
 * symbolizer's struct sym_cfi_table (page index, rows), then its rules at a multiple of four
 * words, four words each. cfi_tables says where each table is; cfi_files maps a file's identity
 * to its table; proc_maps holds each process's executable file mappings. A frame in a file
 * with no table (or in anonymous code: JIT) follows rbp.
 */
/* Why a stack walked in the kernel is not to be trusted whole (profd_sample_key.user_err). */
#define PROFD_WALK_STOPPED 0x1 /* stopped before the outermost frame */
#define PROFD_WALK_GUESSED 0x2 /* a frame in a file without its table followed rbp */
#define PROFD_WALK_NOT_COPIED 0x4 /* --unwind copy: no room to copy the stack, rbp followed */

#define PROFD_CFI_PAGE_SHIFT 12
#define PROFD_CFI_RULE_BITS 20
#define PROFD_CFI_RULE_WORDS 4
#define PROFD_CFI_TABLES_MAX 8192
#define PROFD_CFI_FILES_MAX 16384 /* cfi_files: files with a table, and as many without */
#define PROFD_CFI_CHUNKS_MAX 16 /* chunks of table memory (cfi_pool) */
#define PROFD_PROC_MAPS_MAX 128 /* file mappings with code kept per process (a power of 2) */
#define PROFD_CFI_VDSO_KEY 1	/* cfi_files key of the vdso, which has no file */

enum profd_cfi_cfa {
	PROFD_CFI_NONE,	     /* no CFI: follow rbp */
	PROFD_CFI_RSP,	     /* CFA = rsp + cfa_off */
	PROFD_CFI_RBP,	     /* CFA = rbp + cfa_off */
	PROFD_CFI_PLT,	     /* CFA = rsp + cfa_off + ((rip & 15) >= plt_min ? 8 : 0) */
	PROFD_CFI_DEREF_RSP, /* CFA = *(rsp + cfa_off) */
	PROFD_CFI_DEREF_RBP, /* CFA = *(rbp + cfa_off) */
	PROFD_CFI_SIGNAL,    /* rsp points at the kernel's ucontext */
	PROFD_CFI_END,	     /* the outermost frame */
	PROFD_CFI_UNSUPPORTED,
};

enum profd_cfi_rbp {
	PROFD_CFI_RBP_SAME,
	PROFD_CFI_RBP_CFA,    /* saved at CFA + rbp_off */
	PROFD_CFI_RBP_AT_RBP, /* saved at rbp + rbp_off */
	PROFD_CFI_RBP_LOST,
};

struct profd_cfi_rule {
	__u8 cfa; /* enum profd_cfi_cfa */
	__u8 rbp; /* enum profd_cfi_rbp */
	__u8 plt_min;
	__u8 pad;
	__s32 cfa_off;
	__s32 rbp_off;
	__u32 pad2; /* to PROFD_CFI_RULE_WORDS */
};

/* Value of cfi_tables, indexed by table id: where a table is in cfi_pool. */
struct profd_cfi_table {
	__u32 chunk;	  /* cfi_pool's key of its chunk */
	__u32 base;	  /* word of its page index in the chunk */
	__u32 first_page; /* file offset >> PROFD_CFI_PAGE_SHIFT of page 0 */
	__u32 npages;
	__u32 nrows;   /* rows start at base + npages + 1 */
	__u32 rules;   /* word of rule 0 (a multiple of PROFD_CFI_RULE_WORDS) */
	__u32 nrules;
	__u64 used_ns; /* bpf_ktime_get_ns() of a recent walk through it, for eviction */
};

enum profd_cfi_file_state {
	PROFD_CFI_LOADED = 1, /* table is valid */
	PROFD_CFI_NO_CFI,     /* the file has no CFI: its frames follow rbp, nothing lost */
	PROFD_CFI_NO_ROOM,    /* the table did not fit in the table memory */
};

/* Value of cfi_files, keyed by profd_cfi_file_key(). */
struct profd_cfi_file {
	__u32 table; /* index in cfi_tables when LOADED */
	__u32 state; /* enum profd_cfi_file_state */
};

/* One mapping of a file's code in a process. */
struct profd_umap {
	__u64 start;
	__u64 file;  /* profd_cfi_file_key() of the file, or PROFD_CFI_VDSO_KEY */
	__u32 len;   /* bytes mapped */
	__u32 pgoff; /* file offset of start, in 4 KiB pages */
};

#define PROFD_PATH_PARTS 8
#define PROFD_PATH_PART_LEN 64

/*
 * Value of proc_maps, keyed by pid (thread group id); replaced whole, never edited in place.
 * Every new table is also sent to user space as it is, its first n entries (PROFD_EV_MAPS):
 * user space keeps them as the process's mapping history, to name the samples of a process
 * that is gone by the time they are drained.
 */
struct profd_proc_maps {
	__u32 type; /* PROFD_EV_MAPS: first, like profd_event */
	__u32 pid;
	__u32 n;   /* entries in m, sorted by start, not overlapping */
	__u32 gen; /* exec generation: 0 for the image first seen, +1 per exec */
	struct profd_umap m[PROFD_PROC_MAPS_MAX];
};

#define PROFD_MMAP_PATH_CUT 0x1 /* the path has more parents than parts holds */

/*
 * A file's code was mapped and cfi_files has no table for it: user space builds one. It says
 * everything about the mapping (process, exec generation, range, offset, the inode's identity
 * and the names on its path) so a history of mappings could be kept from such events too.
 */
struct profd_mmap_event {
	__u32 type; /* PROFD_EV_MMAP: first, like profd_event */
	__u32 pid;
	__u32 gen;   /* the process's exec generation (profd_proc_maps.gen) */
	__u32 flags; /* PROFD_MMAP_* */
	__u64 start, end;
	__u64 offset; /* file offset of start, in bytes */
	__u64 file;   /* profd_cfi_file_key() */
	__u64 dev;    /* kernel encoding: major << 20 | minor */
	__u64 ino, size;
	__s64 mtime_sec;
	__u32 mtime_nsec;
	__u32 nparts; /* names in parts */
	char comm[PROFD_COMM_LEN];
	/* The file's name, then its parents' up to the root of its file system (leaf first). */
	char parts[PROFD_PATH_PARTS][PROFD_PATH_PART_LEN];
};

/*
 * The key of a file in cfi_files, from what the kernel knows of a mapped inode: its device
 * (kernel encoding, major << 20 | minor), inode number, size and modification time. The same
 * function runs on both sides.
 */
static inline __u64 profd_cfi_file_key(__u64 dev, __u64 ino, __u64 size, __s64 mtime_sec,
				       __u32 mtime_nsec)
{
	__u64 v[4] = {dev, ino, size, (__u64)mtime_sec ^ ((__u64)mtime_nsec << 34)};
	__u64 h = 0xcbf29ce484222325ULL;

	for (int i = 0; i < 4; i++) {
		h = (h ^ v[i]) * 0x9e3779b97f4a7c15ULL;
		h ^= h >> 31;
	}
	return h <= PROFD_CFI_VDSO_KEY ? h + 2 : h;
}

#endif
