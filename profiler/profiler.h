/* SPDX-License-Identifier: MIT */
/*
 * profiler/: composes BPF sampling, the symbolizer and the formats into the profd commands.
 * This header is shared by the files of this folder only.
 */
#ifndef PROFD_PROFILER_H
#define PROFD_PROFILER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include <linux/types.h>

#include "bpf/profile.h"
#include "formats/formats.h"
#include "symbolizer/symbolizer.h"

/* Exit codes, as perf and most CLI tools use them. */
enum {
	PROFD_EXIT_OK = 0,
	PROFD_EXIT_FAILURE = 1,
	PROFD_EXIT_USAGE = 2,
};

#define PROFD_DEFAULT_FREQ 99

/* ---- sampler.c: the BPF skeleton's lifecycle, perf events, draining ---- */

struct prof_stack_sample;

struct prof_sampler_opts {
	int freq;	    /* samples per second per CPU */
	int max_stack;	    /* stack depth the maps hold */
	bool filter_pids;   /* sample only targets (and what they fork) */
	bool kernel_stacks; /* also take kernel stacks */
	unsigned window_ms; /* how often user space drains; sizes the maps */
	/* Called from prof_sampler__poll() for every process event. */
	void (*on_event)(const struct profd_event *e, void *ctx);
	void *ctx;
	enum profd_unwind unwind; /* CFI, FP: in the kernel; COPY: see on_stack */
	unsigned stack_size;	  /* bytes of user stack copied per sample, a multiple of 4096 */
	/* Called from prof_sampler__poll() and __drain() for every sample with a stack copy. */
	void (*on_stack)(const struct prof_stack_sample *ss, void *ctx);
	size_t cfi_memory; /* bytes of BPF table memory for --unwind cfi */
	/* Called from prof_sampler__poll() when code of a file without a table is mapped. */
	void (*on_mmap)(const struct profd_mmap_event *e, void *ctx);
};

/* One aggregated entry of a drained buffer. Stacks are leaf first. */
struct prof_raw_sample {
	uint32_t pid, tid;
	char comm[PROFD_COMM_LEN + 1];
	const uint64_t *ustack;
	uint32_t nustack;
	int ustack_err; /* 0, or -errno why there is none (-ENOENT: not taken, -ENOMEM: map full),
			 * or > 0: PROFD_WALK_* (the in-kernel walk may be cut short or wrong) */
	const uint64_t *kstack;
	uint32_t nkstack;
	int kstack_err;
	uint64_t count;
	bool ustack_truncated; /* cut short of its root (copied stack too small): ends in [truncated] */
};

/* A sample that carries a copy of its user stack (DWARF unwinding); pointers valid during the
 * on_stack call only. */
struct prof_stack_sample {
	uint32_t pid, tid;
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
/* Opens one perf event per online CPU and attaches everything. Returns 0 or -errno. */
int prof_sampler__start(struct prof_sampler *s);
/* The perf event in use: "cycles" or "cpu-clock". */
const char *prof_sampler__event_name(const struct prof_sampler *s);
/* Waits up to timeout_ms for process events and delivers them. Returns 0 or -errno. */
int prof_sampler__poll(struct prof_sampler *s, int timeout_ms);
/*
 * Flips buffers, waits until no CPU writes the old one, then hands every entry of it to fn and
 * clears it. Nothing sampled meanwhile is lost: it lands in the other buffer. Returns the number
 * of entries or -errno (fn's negative return aborts the drain).
 */
int prof_sampler__drain(struct prof_sampler *s,
			int (*fn)(const struct prof_raw_sample *rs, void *ctx), void *ctx);
/* How often the sampling program ran and for how long in all: the kernel counts only while
 * kernel.bpf_stats_enabled is 1 (zeros otherwise). */
void prof_sampler__run_stats(const struct prof_sampler *s, uint64_t *runs, uint64_t *ns);
/* Sums the per-CPU counters (enum profd_counter). */
void prof_sampler__counters(const struct prof_sampler *s, uint64_t out[PROFD_CNT_MAX]);
int prof_sampler__max_stack(const struct prof_sampler *s);
struct prof_cfi_maps;
/* The maps of the in-kernel walker (--unwind cfi), for prof_cfi__new(). */
void prof_sampler__cfi_maps(struct prof_sampler *s, struct prof_cfi_maps *out);
/* Returns once no CPU is still inside a sampling program it entered before the call. */
void prof_sampler__barrier(void *sampler);
/* Watches the dynamic linker at path (once per file) so library loads rescan a process's
 * mappings. Returns 0 or -errno. */
int prof_sampler__watch_loader(void *sampler, const char *path);

/* ---- perf_events.c ---- */

/* The CPUs that are online now, from /sys. Returns a malloc'd array and its length, or -errno. */
int prof_online_cpus(int **cpus);
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

struct prof_stacks *prof_stacks__new(struct sym_resolver *resolver, int max_stack);
void prof_stacks__free(struct prof_stacks *st);
/* Symbolizes rs and adds it to p. Returns 0 or -errno. */
int prof_stacks__add(struct prof_stacks *st, struct fmt_profile *p,
		     const struct prof_raw_sample *rs);

/* ---- unwind_collector.c: samples with stack copies (--unwind copy) -> unwound, aggregated ---- */

struct prof_unwind_opts {
	int max_stack;		/* user frames kept per stack */
	unsigned stack_size;	/* bytes copied per sample (for messages) */
};

struct prof_unwind_counts {
	uint64_t samples;			    /* unwound */
	uint64_t stops[SYM_UNWIND_NSTOPS];	    /* why each unwind stopped */
	uint64_t frames;
	size_t files, table_bytes; /* unwind tables in memory */
};

struct prof_unwind;
struct profd_strbuf;

/* Returns NULL with errno set. r must outlive it. */
struct prof_unwind *prof_unwind__new(struct sym_resolver *r, const struct prof_unwind_opts *o);
void prof_unwind__free(struct prof_unwind *u);
/* Unwinds one sample (no file I/O for a prepared process) and counts it in. Returns 0 or -errno. */
int prof_unwind__add(struct prof_unwind *u, const struct prof_stack_sample *ss);
/* Adds everything aggregated since the last flush to window and empties. Returns 0 or -errno. */
int prof_unwind__flush(struct prof_unwind *u, struct prof_stacks *st, struct fmt_profile *window);
/* pid is about to get a new snapshot (exec): symbolizes its samples so far with the old one. */
int prof_unwind__before_exec(struct prof_unwind *u, struct prof_stacks *st, pid_t pid,
			     int64_t period_ns);
/* A new process or image: reads its unwind tables now, off the per-sample path. */
void prof_unwind__prepare(struct prof_unwind *u, pid_t pid);
void prof_unwind__drop_process(struct prof_unwind *u, pid_t pid);
void prof_unwind__counts(const struct prof_unwind *u, struct prof_unwind_counts *out);
/* Appends ", N stacks truncated ..., N unwinds stopped early (...)". */
void prof_unwind__summary(const struct prof_unwind *u, uint64_t ringbuf_full,
			  struct profd_strbuf *sb);

/* ---- cfi_tables.c: the in-kernel walker's tables, files and process mappings ---- */

#define PROF_CFI_MEMORY_DEFAULT (32u << 20)
#define PROF_CFI_MEMORY_MIN (1u << 20)
#define PROF_CFI_MEMORY_MAX (4ull << 30)

/* The BPF maps the walker reads (fds owned by the sampler), and what the sampler does for us. */
struct prof_cfi_maps {
	int pool, tables, files, announced;
	uint32_t pool_slots; /* entries of cfi_pool (two words each) */
	/* Returns once no walk that began before the call is still running. */
	void (*barrier)(void *ctx);
	/* Has the kernel scan pid's mappings now. Returns 0, -ESRCH, -EBUSY or -errno. */
	int (*scan)(void *ctx, pid_t pid);
	/* Watches the dynamic linker at path for library changes too. Returns 0 or -errno. */
	int (*watch_loader)(void *ctx, const char *path);
	void *ctx;
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
/* The kernel mapped code of a file that has no table: builds it (the mapping is in place). */
void prof_cfi__on_mmap(struct prof_cfi *c, const struct profd_mmap_event *e);
struct profd_strbuf;
/* Appends "; user stacks walked in the kernel: N, P % of them whole, ..." from the sampler's
 * counters. */
void prof_cfi__summary(const struct prof_cfi *c, const uint64_t *counters, struct profd_strbuf *sb);
/* Says under -v what the tables hold and cost, and what the kernel's mapping scans did. */
void prof_cfi__log_stats(const struct prof_cfi *c, const uint64_t *counters);

/* ---- collector.c: sampler + symbolizer, one symbolized profile per window ---- */

struct prof_collector_opts {
	int freq;
	int max_stack;
	bool all;	    /* every process; else only targets and what they fork */
	unsigned window_ms; /* drain period */
	bool lines;	    /* resolve source lines */
	enum profd_unwind unwind; /* how user stacks are taken (--unwind); 0 is CFI */
	unsigned stack_size;	  /* bytes of user stack copied per sample; 0: 16384 */
	size_t cfi_memory;	  /* BPF table memory for --unwind cfi; 0: the default */
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
	pid_t *to_snapshot; /* new processes whose snapshot waits for their tables (cfi) */
	size_t nsnapshot, cap_snapshot;
	size_t npending, cap_pending;
	struct prof_exit exits[PROF_EXITS_KEPT]; /* the first processes that exited */
	size_t nexits;				 /* all that exited during the run */
	size_t processes; /* distinct processes announced */
	struct prof_unwind *unwind; /* the stack-copy unwinder, or NULL */
	struct prof_cfi *cfi;	    /* the in-kernel walker's tables, or NULL */
};

/* Loads BPF and sets up the symbolizer. Returns 0 or -errno (one line logged). */
int prof_collector__init(struct prof_collector *c, const struct prof_collector_opts *opts);
void prof_collector__fini(struct prof_collector *c);
int prof_collector__add_target(struct prof_collector *c, pid_t pid);
int prof_collector__start(struct prof_collector *c);
/* Waits up to timeout_ms for process events and handles them. Returns 0 or -errno. */
int prof_collector__poll(struct prof_collector *c, int timeout_ms);
/*
 * Drains the samples taken since the last drain into window (a fresh profile) and updates the
 * loss counters. Returns 0 or -errno.
 */
int prof_collector__drain(struct prof_collector *c, struct fmt_profile *window);
/* Appends what unwinding lost to a summary line (nothing with --unwind fp). */
void prof_collector__unwind_summary(const struct prof_collector *c, struct profd_strbuf *sb);

/* ---- output.c: write a profile to the file or format the user asked for ---- */

struct prof_output {
	enum fmt_kind kind;
	const char *path; /* NULL: stdout */
	char *tmp_path;	  /* written here, renamed to path on success */
	FILE *fp;
	bool lines;
	const char *title;
};

/*
 * Chooses the format (path extension, else format name, else folded) and opens a temporary file
 * beside path, so an unwritable path is refused before sampling starts. Returns 0, -EINVAL for an
 * unknown format (one line logged), or -errno.
 */
int prof_output__open(struct prof_output *o, const char *path, const char *format);
/* Writes p and renames the file into place. Returns 0 or -errno; o is closed either way. */
int prof_output__write(struct prof_output *o, const struct fmt_profile *p);
/* Removes the temporary file without writing. */
void prof_output__abort(struct prof_output *o);

/* ---- live.c: the profile the web server reads while the record loop writes ---- */

/* What the record loop tells the page besides samples. Strings: mode is a literal. */
struct prof_live_info {
	const char *mode; /* "live", "stopped" or "files" */
	char event[32];
	int freq;
	int64_t start_ns; /* CLOCK_REALTIME of the start */
	uint64_t lost;
	size_t processes;
};

struct prof_live;
struct web_source;

/*
 * A cumulative profile plus a ring of the last max_windows windows of window_s seconds each.
 * Returns NULL with errno set. Free with prof_live__free() after the server has stopped.
 */
struct prof_live *prof_live__new(int64_t period_ns, unsigned max_windows, double window_s);
void prof_live__free(struct prof_live *l);
/*
 * From the record loop only: hands over window w (may be NULL: info only), which covers
 * [from, to) seconds since the start, and always takes ownership of it. Does not wait for
 * readers unless wait is set or a few windows are already queued. Returns 0 or -errno.
 */
int prof_live__publish(struct prof_live *l, struct fmt_profile *w, double from, double to,
		       const struct prof_live_info *info, bool wait);
/* The cumulative profile, for the record loop only (the one writer), after a waiting publish. */
const struct fmt_profile *prof_live__peek(const struct prof_live *l);
/* The cumulative profile, now the caller's; l keeps an empty one. */
struct fmt_profile *prof_live__steal(struct prof_live *l);
/* Fills src with callbacks that read l (see web/web.h). */
void prof_live__source(struct prof_live *l, struct web_source *src);

/* ---- http.c: --http for the sampling commands and `profd serve` ---- */

struct prof_http_opts {
	const char *listen; /* "[ADDR:]PORT"; NULL: no server */
	const char **hosts; /* --http-host */
	int nhosts;
	bool allow_public; /* --http-public */
};

struct web_server;

/*
 * Starts the server on l (and files, for serve) and prints its URL on stderr. Returns NULL with
 * errno set and one line logged.
 */
struct web_server *prof_http_start(const struct prof_http_opts *o, struct prof_live *l,
				   const char *const *files, size_t nfiles);
/* The same for any source (the agent adds /metrics to the live one). */
struct web_server *prof_http_serve(const struct prof_http_opts *o, const struct web_source *src);
/* Parses --http, --http-host and --http-public for getopt loops; 1 if opt was one of them, 0 if
 * not, -1 after printing a usage error. */
int prof_http_option(struct prof_http_opts *o, int opt, const char *arg);
/* After the options: a non-loopback address needs --http-public. 0, or -1 after a usage error. */
int prof_http_check(const struct prof_http_opts *o);

enum {
	PROF_OPT_HTTP = 512,
	PROF_OPT_HTTP_HOST,
	PROF_OPT_HTTP_PUBLIC,
};

/* ---- privileges.c ---- */

/* Checks what sampling needs; logs one line naming what is missing. Returns 0 or -EPERM. */
int prof_check_privileges(void);

/* ---- commands ---- */

struct prof_record_opts {
	pid_t *pids; /* -p */
	int npids;
	bool all;    /* -a */
	char **argv; /* -- CMD ARGS */
	int freq;
	double duration; /* seconds; 0: until Ctrl-C or the target exits */
	int max_stack;
	enum profd_unwind unwind; /* --unwind */
	unsigned stack_size;	  /* --stack-size, bytes, a multiple of 4096 */
	size_t cfi_memory;	  /* --unwind-memory; 0: the default */
	const char *output;
	const char *format;
	bool lines;
	struct prof_http_opts http;
};

int prof_record(const struct prof_record_opts *opts);
/* ---- cli.c: argument parsing shared by the subcommands ---- */

/* A whole decimal number in [min, max]. */
bool prof_parse_long(const char *s, long min, long max, long *out);
/* "cfi", "fp" or "copy", and the older names "auto" (cfi) and "dwarf" (copy) (--unwind). */
bool prof_parse_unwind(const char *s, enum profd_unwind *out);
/* --unwind-memory: "64M", "1G" or bytes, from 1M to 4G. */
bool prof_parse_unwind_memory(const char *s, size_t *out);
/* Appends "PID[,PID...]" to *pids. Returns 0, -EINVAL (bad or empty list) or -ENOMEM. */
int prof_parse_pid_list(const char *arg, pid_t **pids, int *npids);

/*
 * Adds a saved profile to p: pprof by name or content (gzip magic), else folded stacks; "-" is
 * stdin. Returns 0 or -errno with one line logged naming the file.
 */
int prof_read_profile(const char *path, struct fmt_profile *p);
int prof_convert_main(int argc, char **argv);
int prof_serve_main(int argc, char **argv);
int prof_agent_main(int argc, char **argv); /* agent.c */
int prof_query_main(int argc, char **argv); /* query.c */

#endif
