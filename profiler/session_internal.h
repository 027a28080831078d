/* SPDX-License-Identifier: MIT */
/*
 * One sampling session, what `profd` and `profd agent` both run: BPF sampling on every CPU, the
 * symbolizer, the in-kernel stack walker's tables (or the unwinding of copied stacks), a drain
 * of what was sampled every period into a symbolized profile, the live web page, the status
 * line, stop signals and the command profd starts. The commands add only their options and
 * what they do with the profiles.
 */
#ifndef PROFD_SESSION_INTERNAL_H
#define PROFD_SESSION_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <linux/types.h>

#include "bpf/profile.h"
#include "common/strbuf.h"
#include "profiler/commands_internal.h"
#include "symbolizer/symbolizer.h"
#include "web/web.h"

/* How the commands hear of each drain. Every callback returns 0, or -errno to end the run. */
struct prof_session_hooks {
	void *ctx;
	/*
	 * After every drain, with what was sampled since the one before (filtered): the CPU
	 * samples, then with off_cpu the time off CPU; piece->type says which.
	 */
	int (*on_drain)(void *ctx, const struct fmt_profile *piece);
	/* Every period_ms of the run (0: never), right after a drain. */
	unsigned period_ms;
	int (*on_period)(void *ctx);
	/* What the page serves besides the live profile: /metrics, the history on disk. */
	struct web_source web;
};

struct prof_session_opts {
	/* What: pids (and what they fork), threads, a command started for the run, or all. */
	const pid_t *pids;
	int npids;
	const pid_t *tids;
	int ntids;
	char **argv; /* -- CMD ARGS: started stopped, sampled from its exec on */
	bool all;
	const char *cgroup; /* --cgroup: of those, only tasks in this cgroup v2 and below */
	const char *cpus;   /* -C: sample only these CPUs (a list such as 0-3,6); NULL: all */
	int freq;
	int max_stack; /* raises kernel.perf_event_max_stack for the run if it is lower */
	enum profd_unwind unwind;
	unsigned stack_size; /* bytes of user stack copied per sample; 0: 16384 */
	size_t cfi_memory;   /* BPF table memory for --unwind cfi; 0: the default */
	bool lines;	     /* source lines wanted in the output */
	bool off_cpu;	     /* also time off CPU, a profile of its own (--off-cpu) */
	unsigned min_block_us; /* off CPU: shorter waits are left out (--min-block) */
	/* How long and how: */
	unsigned drain_ms;	   /* a drain every this often: the page's window length */
	double duration_s;	   /* 0: until a stop signal (or the targets are gone) */
	bool until_targets_exit;   /* stop once every pid and tid, or the command, has exited */
	bool status_line;	   /* on a terminal: elapsed, samples, processes, lost */
	bool keep_profile;	   /* keep the whole run's profile for prof_session__profile() */
	const struct fmt_filter *filter; /* samples kept; NULL: all */
	const struct prof_http_opts *http; /* a page with the last LIVE_S seconds; NULL: none */
	struct prof_session_hooks hooks;
};

#define PROF_SESSION_EXITS 16

/* What profd holds: its resident memory and, apart from it, its BPF maps' kernel memory. */
struct prof_footprint {
	uint64_t rss_bytes;	 /* VmRSS */
	uint64_t peak_rss_bytes; /* VmHWM */
	uint64_t bpf_bytes;	 /* memlock of every BPF map profd holds, as bpftool shows it */
};

/* Fills *out from /proc/self/status, with bpf_bytes as given. Returns 0 or -errno. */
int prof_footprint__read(struct prof_footprint *out, uint64_t bpf_bytes);
/* Appends the footprint as Prometheus gauges. Returns 0 or -ENOMEM. */
int prof_footprint__metrics(const struct prof_footprint *fp, struct profd_strbuf *sb);
/* One line at -v. */
void prof_footprint__log(const struct prof_footprint *fp);
/* Sets malloc up so that big buffers are given back when freed; before any thread starts. */
void prof_bound_heap(void);

/* What the session saw, as of the last drain. */
struct prof_session_stats {
	const char *event; /* "cycles" or "cpu-clock" */
	int max_stack;	   /* frames stacks hold */
	int64_t start_ns;  /* wall clock of the start of sampling */
	double elapsed_s;  /* sampling time so far, frozen when sampling stops */
	uint64_t counters[PROFD_CNT_MAX];
	uint64_t lost;	  /* samples lost (stacks lost keep their sample: see counters) */
	size_t processes; /* distinct processes announced */
	size_t nexits;	  /* processes that exited; the first ones: */
	struct prof_session_exit {
		pid_t pid;
		char comm[PROFD_COMM_LEN + 1];
	} exits[PROF_SESSION_EXITS];
	int64_t samples_kept; /* in the whole run's profile (keep_profile or a page) */
	struct fmt_loss loss; /* of the whole run's profile */
	int64_t off_cpu_us;   /* likewise, off CPU */
	uint64_t unwind_cut;  /* stacks cut where the copied user stack ended */
	struct sym_stats symbolizer;
	struct prof_footprint footprint; /* as of this call */
};

struct prof_session;

/*
 * Checks privileges, catches stop signals, starts the page, raises the stack-depth sysctl,
 * loads BPF, adds the targets, starts the command and starts sampling. Returns the session, or
 * NULL with errno set and one line logged; free with prof_session__free().
 */
struct prof_session *prof_session__start(const struct prof_session_opts *o);
/*
 * Drains every drain_ms until the duration, a stop signal or (with until_targets_exit) the
 * targets' end, then twice more so that nothing sampled is left behind. Returns 0 or -errno
 * (one line logged).
 */
int prof_session__run(struct prof_session *s);
/*
 * Names what a run that writes its profile at the end left for then (kernel frames, symbol
 * tables, DWARF): after the last drain, before anything reads names (the summary's hint). Once
 * done, again does nothing; prof_session__stop_sampling() does it if nobody did.
 */
void prof_session__name_late(struct prof_session *s);
/* Frees BPF and puts the stack-depth sysctl back; the page (if any) stays up. */
void prof_session__stop_sampling(struct prof_session *s);
/* Keeps the page up until a stop signal, once sampling has stopped. */
void prof_session__linger(struct prof_session *s);
/*
 * Stops the page and hands over the whole run's profile of a type (with keep_profile or a
 * page), with its time and duration set: CPU samples, time off CPU, or the wall view made of
 * both; NULL otherwise. Call it once. The caller frees it.
 */
struct fmt_profile *prof_session__profile(struct prof_session *s, enum fmt_type type);
/*
 * Ends the command if it still runs and says how it ended. Returns PROFD_EXIT_FAILURE if it
 * failed on its own, else PROFD_EXIT_OK.
 */
int prof_session__end_command(struct prof_session *s);
void prof_session__stats(const struct prof_session *s, struct prof_session_stats *out);
/* Appends what unwinding walked and lost to a summary line (nothing for --unwind fp). */
void prof_session__unwind_summary(const struct prof_session *s, struct profd_strbuf *sb);
/*
 * While sampling: when a large share of user-space samples landed in code without symbols,
 * appends one line naming the files and how to get their symbols, and returns true.
 */
bool prof_session__symbols_hint(const struct prof_session *s, struct profd_strbuf *sb);
void prof_session__free(struct prof_session *s);

/* The sampling options `profd` and `profd agent` share. */
struct prof_sampling_opts {
	int freq;		  /* -F */
	const char *cgroup;	  /* --cgroup */
	const char *cpus;	  /* -C */
	enum profd_unwind unwind; /* --unwind */
	size_t cfi_memory;	  /* --unwind-memory; 0: the default */
	long min_block_us;	  /* --min-block; -1: not given */
};

#define PROF_DEFAULT_MIN_BLOCK_US 1
/* Waits are watched on every CPU: a CPU list would leave some of them half seen. */
#define PROF_CPUS_OFF_CPU "-C applies to CPU samples; --off-cpu and --wall exclude it"

enum {
	PROF_OPT_CGROUP = 540,
	PROF_OPT_UNWIND,
	PROF_OPT_UNWIND_MEMORY,
	PROF_OPT_MIN_BLOCK,
};

#define PROF_SAMPLING_OPTIONS                                                                      \
	{"freq", required_argument, NULL, 'F'},                                                    \
		{"cpu", required_argument, NULL, 'C'},                                             \
		{"cgroup", required_argument, NULL, PROF_OPT_CGROUP},                              \
		{"unwind", required_argument, NULL, PROF_OPT_UNWIND},                              \
		{"unwind-memory", required_argument, NULL, PROF_OPT_UNWIND_MEMORY},                \
		{"min-block", required_argument, NULL, PROF_OPT_MIN_BLOCK}

/*
 * Sets in *o what opt (one of PROF_SAMPLING_OPTIONS) asks for, with usage errors said for cmd
 * (NULL: profd itself). Returns whether opt is one of them, with *code 0 or the exit code to end
 * with.
 */
bool prof_sampling_option(const char *cmd, struct prof_sampling_opts *o, int opt, const char *arg,
			  int *code);
/* Copies *o into the session's options. */
void prof_sampling_apply(const struct prof_sampling_opts *o, struct prof_session_opts *so);

#endif
