/* SPDX-License-Identifier: MIT */
/*
 * What the profd commands share, sampling or not: option parsing, reading and writing profiles,
 * stop signals and the web page. Shared by the files of profiler/ only; no BPF here.
 */
#ifndef PROFD_CLI_INTERNAL_H
#define PROFD_CLI_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "formats/formats.h"
#include "profiler/profiler.h"

/* ---- cli.c: options ---- */

/*
 * Prints "profd: [cmd: ]MESSAGE (see profd [cmd ]--help)" on stderr. cmd NULL is profd itself.
 * Returns PROFD_EXIT_USAGE.
 */
int prof_usage(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* `--version`, the same line for every subcommand. Returns PROFD_EXIT_OK. */
int prof_print_version(void);
/* A whole decimal number in [min, max]. */
bool prof_parse_long(const char *s, long min, long max, long *out);
/* Appends "PID[,PID...]" to *pids. Returns 0, -EINVAL (bad or empty list) or -ENOMEM. */
int prof_parse_pid_list(const char *arg, pid_t **pids, int *npids);

/* --lines and --full-names: how frames are named, for every command that writes profiles. */
enum {
	PROF_OPT_LINES = 520,
	PROF_OPT_FULL_NAMES,
};

#define PROF_NAME_OPTIONS                                                                          \
	{"lines", no_argument, NULL, PROF_OPT_LINES},                                              \
		{"full-names", no_argument, NULL, PROF_OPT_FULL_NAMES}

/* Sets what opt asks for in *o. Returns whether opt is one of PROF_NAME_OPTIONS. */
bool prof_name_option(struct fmt_name_opts *o, int opt);

/* ---- input.c and output.c: saved profiles ---- */

/*
 * Adds a saved profile to p: pprof by name or content (gzip magic), else folded stacks; "-" is
 * stdin. Returns 0 or -errno with one line logged naming the file.
 */
int prof_read_profile(const char *path, struct fmt_profile *p);

/* Temporary output files are named PREFIX<pid>.XXXXXX beside the target. */
#define PROF_OUTPUT_TMP_PREFIX ".profd-out."

struct prof_output {
	enum fmt_kind kind;
	const char *name; /* -o as given, for messages; NULL: stdout */
	char *path;	  /* where it goes: -o with symlinks followed */
	bool direct;	  /* a FIFO or device: written in place */
	char *tmp_path;	  /* else written here, renamed to path on success */
	FILE *fp;
	struct fmt_name_opts names;
	const char *title;
};

/*
 * Chooses the format (path extension, else format name, else folded) and checks the target, so
 * an unwritable path is refused before sampling starts. A regular file (or a new one) is written
 * to a temporary file beside it and renamed over it at the end; a symlink is followed to its
 * target; a FIFO or character device is written in place. Returns 0, -EINVAL for an unknown
 * format, or -errno (one line logged).
 */
int prof_output__open(struct prof_output *o, const char *path, const char *format);
/* Writes p and renames the file into place. Returns 0 or -errno; o is closed either way. */
int prof_output__write(struct prof_output *o, const struct fmt_profile *p);
/* Removes the temporary file without writing. */
void prof_output__abort(struct prof_output *o);

/* ---- threads.c: -p takes processes, -t threads (as perf does) ---- */

/* The process (thread group) that thread tid belongs to, from /proc/TID/status; or -errno. */
pid_t prof_thread_group(pid_t tid);
/* Whether process pid exists (one we may not signal counts). */
bool prof_process_alive(pid_t pid);

/* ---- signals.c: Ctrl-C and friends end a run cleanly ---- */

/*
 * SIGINT, SIGTERM, SIGHUP and SIGQUIT set a flag instead of ending profd, and interrupt a
 * blocking poll (no SA_RESTART), so the loop that polls stops promptly and still writes output.
 */
void prof_signals_catch(void);
/* The signal that asked to stop, or 0. */
int prof_signals_caught(void);
/* How many stop signals came so far: one after another asks to stop what the first left. */
unsigned int prof_signals_count(void);
/* Sleeps until a stop signal. */
void prof_signals_wait(void);

/* ---- live.c: the profile the web page reads while one writer adds to it ---- */

/* What the writer tells the page besides samples. Strings: mode is a literal. */
struct prof_live_info {
	const char *mode; /* "live", "stopped" or "files" */
	char event[32];
	int freq;
	int64_t start_ns; /* CLOCK_REALTIME of the start */
	uint64_t lost;
	size_t processes;
	bool off_cpu; /* time off CPU is sampled too (the page offers its views) */
};

struct prof_live;
struct web_source;

/*
 * A cumulative profile plus a ring of the last max_windows windows of window_s seconds each,
 * fewer when they would hold more than budget bytes (an estimate; the newest window always
 * stays). Returns NULL with errno set. Free with prof_live__free() after the server has stopped.
 */
struct prof_live *prof_live__new(int64_t period_ns, unsigned max_windows, double window_s,
				 size_t budget);
void prof_live__free(struct prof_live *l);
/*
 * From the writer only: hands over window w (may be NULL: info only), which covers [from, to)
 * seconds since the start, and always takes ownership of it. With --off-cpu a CPU and an
 * off-CPU window of the same span come one after the other. Does not wait for readers unless
 * wait is set or a few windows are already queued. Returns 0 or -errno.
 */
int prof_live__publish(struct prof_live *l, struct fmt_profile *w, double from, double to,
		       const struct prof_live_info *info, bool wait);
/*
 * The cumulative profile of a type (CPU or off CPU: NULL before any window of it), for the
 * writer only, after a waiting publish.
 */
const struct fmt_profile *prof_live__peek(const struct prof_live *l, enum fmt_type type);
/* The cumulative profile of a type (maybe NULL), now the caller's; l keeps an empty one. */
struct fmt_profile *prof_live__steal(struct prof_live *l, enum fmt_type type);
/*
 * Fills src with callbacks that read l (see web/web.h), and with what extra adds (may be NULL):
 * /metrics, the history on disk, the files served. extra's strings must outlive the server.
 */
void prof_live__source(struct prof_live *l, const struct web_source *extra,
		       struct web_source *src);

/* ---- http.c: --http, --http-host and --http-public ---- */

struct prof_http_opts {
	const char *listen; /* "[ADDR:]PORT"; NULL: no server */
	const char **hosts; /* --http-host */
	int nhosts;
	bool allow_public; /* --http-public */
};

enum {
	PROF_OPT_HTTP = 512,
	PROF_OPT_HTTP_HOST,
	PROF_OPT_HTTP_PUBLIC,
};

#define PROF_HTTP_OPTIONS                                                                          \
	{"http", required_argument, NULL, PROF_OPT_HTTP},                                          \
		{"http-host", required_argument, NULL, PROF_OPT_HTTP_HOST},                        \
		{"http-public", no_argument, NULL, PROF_OPT_HTTP_PUBLIC}

struct web_server;

/* Parses --http, --http-host and --http-public for getopt loops; 1 if opt was one of them, 0 if
 * not, -1 after printing a usage error. */
int prof_http_option(struct prof_http_opts *o, int opt, const char *arg);
/* After the options: a non-loopback address needs --http-public. 0, or -1 after a usage error. */
int prof_http_check(const struct prof_http_opts *o);
/*
 * Starts the server on src and prints its URL on stderr. Returns NULL with errno set and one
 * line logged.
 */
struct web_server *prof_http_serve(const struct prof_http_opts *o, const struct web_source *src);

#endif
