/* SPDX-License-Identifier: MIT */
/*
 * The sampling machinery under a session (session.c), shared by its files only: the BPF
 * skeleton's lifecycle and draining, perf events, the stack-depth sysctl, privileges, the
 * in-kernel walker's tables, and the collector that turns drained samples into symbolized
 * profiles.
 */
#ifndef PROFD_SAMPLER_INTERNAL_H
#define PROFD_SAMPLER_INTERNAL_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <linux/types.h>

#include "bpf/profile.h"
#include "cgroup/cgroup.h"
#include "formats/formats.h"
#include "symbolizer/symbolizer.h"

/* ---- sampler.c: the BPF skeleton's lifecycle, perf events, draining ---- */

struct prof_stack_sample;

struct prof_sampler_opts {
	int freq;	    /* samples per second per CPU */
	int max_stack;	    /* stack depth the maps hold */
	bool filter_pids;   /* sample only targets (and what they fork) */
	bool filter_tids;   /* sample only the threads added with prof_sampler__add_thread() */
	bool kernel_stacks; /* also take kernel stacks */
	bool filter_cgroup; /* sample only tasks under the cgroup v2 directory cgroup_fd */
	int cgroup_fd;	    /* with filter_cgroup; the caller keeps it, BPF takes its own ref */
	unsigned window_ms; /* how often user space drains; sizes the maps */
	const char *cpus;   /* -C: the CPUs to sample (a list such as 0-3,6); NULL: all online */
	/* Called from prof_sampler__poll() for every process event. */
	void (*on_event)(const struct profd_event *e, void *ctx);
	void *ctx;
	enum profd_unwind unwind; /* CFI, FP: in the kernel; COPY: see on_stack */
	unsigned stack_size;	  /* bytes of user stack copied per sample, a multiple of 4096 */
	/* Called from prof_sampler__poll() and __drain() for every sample with a stack copy. */
	void (*on_stack)(const struct prof_stack_sample *ss, void *ctx);
	bool off_cpu;		/* also time off CPU, from the scheduler's switch */
	uint64_t min_block_ns; /* off CPU: waits shorter than this are left out */
	size_t cfi_memory; /* bytes of BPF table memory for --unwind cfi */
	/* Called from prof_sampler__poll() when code of a file without a table is mapped. */
	void (*on_mmap)(const struct profd_mmap_event *e, void *ctx);
	/* Called from prof_sampler__poll() with every new mapping table of a process (cfi). */
	void (*on_maps)(const struct profd_proc_maps *pm, void *ctx);
};

/* One aggregated entry of a drained buffer. Stacks are leaf first. */
struct prof_raw_sample {
	uint32_t pid, tid;
	uint64_t cgroup; /* cgroup v2 id */
	char comm[PROFD_COMM_LEN + 1];
	const uint64_t *ustack;
	uint32_t nustack;
	int ustack_err; /* 0, or -errno why there is none (-ENOENT: not taken, -ENOMEM: map full),
			 * or > 0: PROFD_WALK_* (the in-kernel walk may be cut short or wrong) */
	const uint64_t *kstack;
	uint32_t nkstack;
	int kstack_err;
	uint64_t count;	/* samples, or with off_cpu nanoseconds waited */
	bool off_cpu;
	bool ustack_truncated; /* cut short of its root (copied stack too small): ends in [truncated] */
};

/* A sample that carries a copy of its user stack (DWARF unwinding); pointers valid during the
 * on_stack call only. */
struct prof_stack_sample {
	uint32_t pid, tid;
	uint64_t cgroup; /* cgroup v2 id */
	char comm[PROFD_COMM_LEN + 1];
	const uint64_t *kstack; /* leaf first */
	uint32_t nkstack;
	int kstack_err;
	const uint64_t *regs; /* PROFD_REG_MAX user registers */
	const uint8_t *stack; /* stack_len bytes from regs[PROFD_REG_SP] up */
	uint32_t stack_len;
	bool stack_cut; /* the copy stopped at the size limit: the stack goes on above it */
};

struct prof_sampler;

/*
 * Opens and loads the BPF programs with the given settings. Returns NULL with errno set and a
 * one-line reason logged.
 */
struct prof_sampler *prof_sampler__open(const struct prof_sampler_opts *opts);
void prof_sampler__free(struct prof_sampler *s);
/* Adds a process to sample (with filter_pids). Returns 0 or -errno. */
int prof_sampler__add_target(struct prof_sampler *s, pid_t pid);
/* Adds one thread (tid of process tgid) to sample (with filter_tids). Returns 0 or -errno. */
int prof_sampler__add_thread(struct prof_sampler *s, pid_t tgid, pid_t tid);
/* Opens one perf event per online CPU and attaches everything. Returns 0 or -errno. */
int prof_sampler__start(struct prof_sampler *s);
/* Closes the perf events: nothing is sampled from now on, what was stays to be drained. */
void prof_sampler__stop(struct prof_sampler *s);
/*
 * Stops taking samples seconds from now, from a thread of its own: on time even while the
 * caller is busy draining a backlog. Returns 0 or -errno.
 */
int prof_sampler__stop_after(struct prof_sampler *s, double seconds);
/* The perf event in use: "cycles" or "cpu-clock". */
const char *prof_sampler__event_name(const struct prof_sampler *s);
/* Waits up to timeout_ms for process events and delivers them. Returns 0 or -errno. */
int prof_sampler__poll(struct prof_sampler *s, int timeout_ms);
/*
 * Flips buffers, waits until no CPU writes the old one, then hands every entry of it to fn and
 * clears it. Nothing sampled meanwhile is lost: it lands in the other buffer. Off CPU, waits
 * still going on are counted up to now (or to the stop, once stopped): a wait spread over drains
 * is cut at each. Returns the number of entries or -errno (fn's negative return aborts the
 * drain).
 */
int prof_sampler__drain(struct prof_sampler *s,
			int (*fn)(const struct prof_raw_sample *rs, void *ctx), void *ctx);
/* How often the sampling program ran and for how long in all: the kernel counts only while
 * kernel.bpf_stats_enabled is 1 (zeros otherwise). */
void prof_sampler__run_stats(const struct prof_sampler *s, uint64_t *runs, uint64_t *ns);
/* Sums the per-CPU counters (enum profd_counter). */
void prof_sampler__counters(const struct prof_sampler *s, uint64_t out[PROFD_CNT_MAX]);
/* One of them, summed over the CPUs; 0 if it cannot be read. */
uint64_t prof_sampler__counter(const struct prof_sampler *s, enum profd_counter i);
int prof_sampler__max_stack(const struct prof_sampler *s);
/* A cgroup user space no longer holds: its next sample announces it again. */
void prof_sampler__forget_cgroup(struct prof_sampler *s, uint64_t id);
struct bpf_object;
/* The memlock of every map of obj that has an fd (footprint.c). */
uint64_t prof_bpf_map_bytes(const struct bpf_object *obj);
/* Kernel memory the loaded maps hold (their memlock), read again every 10 s at most. */
uint64_t prof_sampler__bpf_bytes(struct prof_sampler *s);
struct prof_cfi_maps;
/* The maps of the in-kernel walker (--unwind cfi), for prof_cfi__new(). */
void prof_sampler__cfi_maps(struct prof_sampler *s, struct prof_cfi_maps *out);
/* Returns once no CPU is still inside a sampling program it entered before the call. */
void prof_sampler__barrier(void *sampler);
/* Watches the dynamic linker at path (once per file) so library loads rescan a process's
 * mappings. Returns 0 or -errno. */
int prof_sampler__watch_loader(void *sampler, const char *path);
/*
 * Every process now (kernel threads aside), and whether a thread of it is on a CPU or waiting
 * for one: into *out, sorted by pid, one entry each (free() it). -a with --unwind cfi only.
 * Returns how many, or -errno.
 */
int prof_sampler__processes(struct prof_sampler *s, struct profd_process_state **out);
/* Our own dynamic linker, the one the processes of this root use. Returns 0 or -ENOENT. */
int prof_own_loader(char path[PATH_MAX]);

/* ---- perf_events.c ---- */

/* The CPUs that are online now, from /sys. Returns a malloc'd array and its length, or -errno. */
int prof_online_cpus(int **cpus);
/* Parses a CPU list such as "0-3,6,8-9" into a malloc'd array; its length, or -errno. */
int prof_parse_cpu_list(const char *s, int **cpus);
/*
 * The CPUs to sample: those of the list wanted (-C) if given, or every online CPU. Returns a
 * malloc'd array and its length, or -errno: -EINVAL for a list that does not parse, -ENODEV
 * with *offline set for a CPU of it that is not online.
 */
int prof_sampled_cpus(const char *wanted, int **cpus, int *offline);
/*
 * Opens a sampling event at freq Hz on cpu for every process: hardware cycles where a PMU
 * exists, else cpu-clock (*software is set then). Returns an fd or -errno.
 */
int prof_perf_event_open(int cpu, int freq, bool *software);
/* kernel.perf_event_max_sample_rate, or -errno. */
int prof_max_sample_rate(void);

/* ---- max_stack.c: raise kernel.perf_event_max_stack for the run, put it back after ---- */

/*
 * Raises the sysctl to depth if lower. Returns the depth stacks will have: depth, or the
 * current value when the kernel refuses (one line logged); -errno if the sysctl is unreadable.
 */
int prof_max_stack_raise(int depth);
/* Restores the value prof_max_stack_raise() found; safe to call more than once. */
void prof_max_stack_restore(void);
int prof_max_stack_current(void);

/* ---- stacks.c: raw samples -> symbolized profile ---- */

struct prof_stacks;
struct prof_unnamed;

/*
 * cgroups may be NULL (no cgroup v2): samples then have no cgroup. Both must outlive st. With
 * names_late, kernel frames keep their address and user frames a stand-in name until
 * prof_stacks__name_late(); resolver must then be made with defer_names.
 */
struct prof_stacks *prof_stacks__new(struct sym_resolver *resolver, struct cg_resolver *cgroups,
				     int max_stack, bool names_late);
void prof_stacks__free(struct prof_stacks *st);
/* Symbolizes rs and adds it to p. Returns 0 or -errno. */
int prof_stacks__add(struct prof_stacks *st, struct fmt_profile *p,
		     const struct prof_raw_sample *rs);
/*
 * Names the frames of p that names_late left for the end, reading kallsyms, symbol tables and
 * DWARF then: a run that writes its profile at the end does not read them while the job runs,
 * as perf reads them at report time. Returns 0 or -errno.
 */
int prof_stacks__name_late(struct prof_stacks *st, struct fmt_profile *p);
/* Where the samples added so far landed in code without symbols. */
const struct prof_unnamed *prof_stacks__unnamed(const struct prof_stacks *st);
/* A process event (new process, exec, exit) of pid: its snapshot is checked again. */
void prof_stacks__process_event(struct prof_stacks *st, pid_t pid);
/*
 * Whether every process event so far came (none lost, every new process announced): then a
 * snapshot checked once holds until an event of its pid, else it is checked again after 100 ms.
 */
void prof_stacks__events_whole(struct prof_stacks *st, bool whole);
/*
 * Between on and off, the samples added are one batch (a drain): the frames they share are named
 * once. Nothing but prof_stacks__add() may change the symbolizer's processes meanwhile.
 */
void prof_stacks__batch(struct prof_stacks *st, bool on);

/* CPU time profd has used so far, every thread's, user and system, in milliseconds (footprint.c). */
double prof_cpu_ms(void);
/* Gives the heap's free pages back to the system: after loading BPF and after naming a file. */
void prof_trim_heap(void);
/*
 * The same once the heap holds more than slack bytes free: after every drain, whose scratch
 * the next drain would take again, a page fault per page, had it been given back.
 */
void prof_trim_heap_over(size_t slack);
/*
 * Faults in bytes of heap in one call, for a burst of big allocations about to follow, which
 * would otherwise take a page fault per 4 KiB; prof_heap_prefault_done() ends the burst, and
 * the next prof_trim_heap() gives back what is left unused.
 */
void prof_heap_prefault(size_t bytes);
void prof_heap_prefault_done(void);
struct btf;
/* The running kernel's BTF, as libbpf and kernel_types.c read it. */
#define PROF_KERNEL_BTF "/sys/kernel/btf/vmlinux"
/*
 * Writes to fd the kernel's types that local (a BPF object's BTF) can relocate against, for
 * libbpf's btf_custom_path: 0, or a negative errno (kernel_types.c).
 */
int prof_kernel_types__write(int fd, const struct btf *local);

/* ---- unnamed.c: samples in code without symbols, for a hint at the end ---- */

struct profd_strbuf;

struct prof_unnamed *prof_unnamed__new(void);
void prof_unnamed__free(struct prof_unnamed *u);
/* Counts a sample whose innermost user frame is leaf. Returns 0 or -ENOMEM. */
int prof_unnamed__count(struct prof_unnamed *u, const struct sym_location *leaf, uint64_t count);
/*
 * When at least a tenth of the user-space samples are in files without symbols for them,
 * appends one line naming the files with the most and how to get their symbols, and returns
 * true.
 */
bool prof_unnamed__hint(const struct prof_unnamed *u, struct profd_strbuf *sb);

/* ---- unwind_collector.c: samples with stack copies (--unwind copy) -> unwound, aggregated ---- */

struct prof_unwind_opts {
	int max_stack;	     /* user frames kept per stack */
	unsigned stack_size; /* bytes copied per sample (for messages) */
};

struct prof_unwind_counts {
	uint64_t samples;		   /* unwound */
	uint64_t stops[SYM_UNWIND_NSTOPS]; /* why each unwind stopped */
	uint64_t frames;
	size_t files, table_bytes; /* unwind tables in memory */
};

struct prof_unwind;

/* Returns NULL with errno set. r must outlive it. */
struct prof_unwind *prof_unwind__new(struct sym_resolver *r, const struct prof_unwind_opts *o);
void prof_unwind__free(struct prof_unwind *u);
/* Unwinds one sample (no file I/O for a prepared process) and counts it in. Returns 0 or -errno. */
int prof_unwind__add(struct prof_unwind *u, const struct prof_stack_sample *ss);
/* Adds everything aggregated since the last flush to window and empties. Returns 0 or -errno. */
int prof_unwind__flush(struct prof_unwind *u, struct prof_stacks *st, struct fmt_profile *window);
/*
 * pid is about to get a new snapshot (exec): symbolizes its samples so far with the old one,
 * into into if not NULL (a profile named at the end: its bookkeeping is by its own location ids,
 * which a merge would change), else into a profile merged at the next flush.
 */
int prof_unwind__before_exec(struct prof_unwind *u, struct prof_stacks *st, pid_t pid,
			     int64_t period_ns, struct fmt_profile *into);
/* A new process or image: reads its unwind tables now, off the per-sample path. */
void prof_unwind__prepare(struct prof_unwind *u, pid_t pid);
void prof_unwind__counts(const struct prof_unwind *u, struct prof_unwind_counts *out);
/* Appends ", N stacks truncated ..., N unwinds stopped early (...)". */
void prof_unwind__summary(const struct prof_unwind *u, struct profd_strbuf *sb);

/* ---- map_history.c: the processes' mappings as the kernel reported them (cfi) ---- */

#define PROF_HISTORY_MEMORY (16u << 20)

struct prof_history;

struct prof_history_counts {
	uint64_t tables;	 /* mapping tables kept */
	uint64_t tables_dropped; /* not kept: over the memory bound */
	uint64_t tables_swept;	 /* of processes gone without an exit event (never sampled) */
	uint64_t files_dropped;	 /* files whose path was not kept */
	uint64_t maps_unnamed;	 /* mappings given without a file: its path was never learned */
	size_t bytes;		 /* held now */
};

/* Keeps at most max_bytes of tables. Returns NULL when out of memory. */
struct prof_history *prof_history__new(size_t max_bytes);
void prof_history__free(struct prof_history *h);
/* A process's new mapping table (PROFD_EV_MAPS): replaces the one kept for it. */
void prof_history__on_maps(struct prof_history *h, const struct profd_proc_maps *pm);
/* A file with code: its key (profd_cfi_file_key()), identity and a path that opens it. */
void prof_history__add_file(struct prof_history *h, uint64_t key, uint64_t dev, uint64_t ino,
			    const char *path);
/* Gives r pid's last table (sym_resolver__add_history()). Returns 0, -ENOENT (none kept) or
 * -ENOMEM. */
int prof_history__give(struct prof_history *h, struct sym_resolver *r, pid_t pid);
/* Gives r the new tables of live processes it has a snapshot of (sym_resolver__update_maps()).
 * Returns 0 or -ENOMEM. */
int prof_history__update(struct prof_history *h, struct sym_resolver *r);
/* Forgets pid: it exited and its samples are drained. */
void prof_history__drop(struct prof_history *h, pid_t pid);
/*
 * Forgets the processes gone at this sweep and the last one; sweeps at most every 10 s of
 * now_ns (profd_mono_ns()). Exit events come only for sampled processes: this bounds the rest.
 */
void prof_history__sweep(struct prof_history *h, uint64_t now_ns);
void prof_history__counts(const struct prof_history *h, struct prof_history_counts *out);

/* ---- cfi_tables.c: the in-kernel walker's tables, files and process mappings ---- */

#define PROF_CFI_MEMORY_DEFAULT (32u << 20)
#define PROF_CFI_MEMORY_MIN (1u << 20)
#define PROF_CFI_MEMORY_MAX (4ull << 30)

/* The BPF maps the walker reads (fds owned by the sampler), and what the sampler does for us. */
struct prof_cfi_maps {
	int pool, tables, files, announced;
	uint32_t pool_slots; /* the bound of the table memory, in entries (two words each) */
	/* Returns once no walk that began before the call is still running. */
	void (*barrier)(void *ctx);
	/* Has the kernel scan pid's mappings now. Returns 0, -ESRCH, -EBUSY or -errno. */
	int (*scan)(void *ctx, pid_t pid);
	/* Watches the dynamic linker at path for library changes too. Returns 0 or -errno. */
	int (*watch_loader)(void *ctx, const char *path);
	void *ctx;
	/* Told of every file opened for its table, by its key, identity and a path that opened
	 * it (kernel encoding of dev: major << 20 | minor). Optional. */
	void (*on_file)(void *file_ctx, uint64_t key, uint64_t dev, uint64_t ino, const char *path);
	void *file_ctx;
};

struct prof_cfi;

/* Builds the vdso's table. Returns NULL with errno set. */
struct prof_cfi *prof_cfi__new(const struct prof_cfi_maps *maps);
void prof_cfi__free(struct prof_cfi *c);
/*
 * A process that was running before we started (or unknown for another reason): has the kernel
 * scan its mappings, which announces the files that need tables. Returns 0, -ESRCH or -errno;
 * a process busy changing its mappings is scanned again by prof_cfi__retry().
 */
int prof_cfi__add_process(struct prof_cfi *c, pid_t pid);
void prof_cfi__retry(struct prof_cfi *c);
/*
 * A program about to be run (profd -- CMD): builds the tables of its file, and of the libraries
 * it needs that profd has loaded itself (this root's: the same files), so that its first samples
 * are walked whole. Returns 0 or -errno.
 */
int prof_cfi__add_program(struct prof_cfi *c, const char *path);
/* The kernel mapped code of a file that has no table: builds it (the mapping is in place). */
void prof_cfi__on_mmap(struct prof_cfi *c, const struct profd_mmap_event *e);
/*
 * With on, the files of 8 MiB or more announced from now on are held: no table yet (their
 * frames follow rbp, counted as through a file without its table). With off, the held files'
 * tables are built.
 */
void prof_cfi__hold_big(struct prof_cfi *c, bool on);
/* Appends "; user stacks walked in the kernel: N, P % of them whole, ..." from the sampler's
 * counters. */
void prof_cfi__summary(const struct prof_cfi *c, const uint64_t *counters, struct profd_strbuf *sb);
/* Says under -v what the tables hold and cost, and what the kernel's mapping scans did. */
void prof_cfi__log_stats(const struct prof_cfi *c, const uint64_t *counters);
/* The table memory created so far, which grows with the tables (not in the sampler's maps). */
uint64_t prof_cfi__bpf_bytes(const struct prof_cfi *c);

/* ---- collector.c: sampler + symbolizer, one symbolized profile per window ---- */

struct prof_collector_opts {
	int freq;
	int max_stack;
	bool all;	    /* every process; else only targets and what they fork */
	bool threads;	    /* only threads added with prof_collector__add_thread() */
	unsigned window_ms; /* drain period */
	bool lines;	    /* resolve source lines */
	enum profd_unwind unwind; /* how user stacks are taken (--unwind); 0 is CFI */
	unsigned stack_size;	  /* bytes of user stack copied per sample; 0: 16384 */
	const char *cgroup;	  /* --cgroup: only tasks in this cgroup v2 and below; NULL: any */
	const char *cpus;	  /* -C: the CPUs to sample; NULL: every online CPU */
	bool off_cpu;		  /* also time off CPU (--off-cpu) */
	uint64_t min_block_ns;	  /* off CPU: shorter waits are left out */
	size_t cfi_memory;	  /* BPF table memory for --unwind cfi; 0: the default */
	bool names_late;	  /* frames named at the end (prof_stacks__name_late) */
	unsigned int (*stops)(void); /* stop signals so far (sym_resolver_opts.stops), or NULL */
};

#define PROF_EXITS_KEPT 16

struct prof_exit {
	pid_t pid;
	char comm[PROFD_COMM_LEN + 1];
};

struct prof_collector {
	struct prof_sampler *sampler;
	struct sym_resolver *resolver;
	struct prof_stacks *stacks;
	struct prof_collector_opts opts;
	uint64_t counters[PROFD_CNT_MAX]; /* as of the last drain */
	pid_t *pending_drop;		  /* exited: forget after the next drain */
	size_t npending, cap_pending;
	pid_t *to_snapshot; /* new processes whose snapshot waits for their tables (cfi) */
	size_t nsnapshot, cap_snapshot;
	pid_t *to_preload; /* processes not running at the start: tables loaded at the first poll */
	size_t npreload, cap_preload;
	bool preload_due;  /* set by prof_collector__start(), cleared when to_preload is done */
	struct prof_exit exits[PROF_EXITS_KEPT]; /* the first processes that exited */
	size_t nexits;				 /* all that exited during the run */
	size_t processes; /* distinct processes announced */
	struct prof_unwind *unwind; /* the stack-copy unwinder, or NULL */
	struct prof_cfi *cfi;	    /* the in-kernel walker's tables, or NULL */
	struct cg_resolver *cgroups; /* NULL without cgroup v2 */
	unsigned cgroups_idle;	     /* drains a cgroup stays known unused */
	struct prof_history *history; /* the kernel's mapping history (cfi), or NULL */
	uint64_t exits_from_history;  /* exited processes given their history */
	/* With opts.names_late: the run's profile, which every drain adds to (the session's). */
	struct fmt_profile *late_profile;
};

/* Loads BPF and sets up the symbolizer. Returns 0 or -errno (one line logged). */
int prof_collector__init(struct prof_collector *c, const struct prof_collector_opts *opts);
void prof_collector__fini(struct prof_collector *c);
int prof_collector__add_target(struct prof_collector *c, pid_t pid);
int prof_collector__add_thread(struct prof_collector *c, pid_t tgid, pid_t tid);
/* The command (execvp()'s name) is about to run: its unwind tables are built now (cfi). */
void prof_collector__prepare_command(struct prof_collector *c, const char *name);
int prof_collector__start(struct prof_collector *c);
/* Kernel memory of the BPF maps: the sampler's, and the table memory made so far. */
uint64_t prof_collector__bpf_bytes(struct prof_collector *c);
/* Stops sampling (the duration is over): the drains after it have a bounded amount to do. */
void prof_collector__stop(struct prof_collector *c);
/* Waits up to timeout_ms for process events and handles them. Returns 0 or -errno. */
int prof_collector__poll(struct prof_collector *c, int timeout_ms);
/*
 * Drains the samples taken since the last drain into window (a fresh profile), and with off_cpu
 * the time waited into off_cpu (a fresh off-CPU profile), and updates the loss counters. Returns
 * 0 or -errno.
 */
int prof_collector__drain(struct prof_collector *c, struct fmt_profile *window,
			  struct fmt_profile *off_cpu);
/* Appends what unwinding lost to a summary line (nothing with --unwind fp). */
void prof_collector__unwind_summary(const struct prof_collector *c, struct profd_strbuf *sb);

/* ---- privileges.c ---- */

/* Checks what sampling needs; logs one line naming what is missing. Returns 0 or -EPERM. */
int prof_check_privileges(void);

/* ---- command.c: the command profd starts for `profd -- CMD` ---- */

struct prof_command {
	char **argv;
	pid_t pid;  /* 0: none */
	int go_fd;  /* it waits for a byte here before its exec; -1 once released */
	int status; /* as waitpid() gives it, once done */
	bool done;
};

/*
 * Starts argv stopped before its exec (it waits on a pipe), so that it is a target before it
 * runs its first instruction. Returns 0 or -errno (one line logged).
 */
int prof_command__spawn(struct prof_command *c, char **argv);
/* Lets it exec. Returns 0 or -errno. */
int prof_command__go(struct prof_command *c);
/* Whether it has exited (reaped now if it just did). */
bool prof_command__exited(struct prof_command *c);
/*
 * Ends it with SIGTERM if it still runs, and says how it ended if it ended on its own. Returns
 * PROFD_EXIT_FAILURE if it failed, else PROFD_EXIT_OK.
 */
int prof_command__end(struct prof_command *c);
/* After a failure: makes it give up before its exec, or kills it, and reaps it. */
void prof_command__kill(struct prof_command *c);

#endif
