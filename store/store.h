/* SPDX-License-Identifier: MIT */
/*
 * store/: the agent's history and its delivery, over formats/ and common/ only. The only public
 * header of this folder.
 *
 *   history   one zstd-compressed profile per window of wall-clock time in a folder on disk,
 *             written atomically, pruned by age and size, merged back by time range (history.c)
 *   push      each window to Grafana Pyroscope's ingest API from a thread of its own, with a
 *             bounded spool on disk while the backend is down (push.c, pyroscope.c, spool.c),
 *             over HTTP(S) with libcurl (http.c, the one file that uses it)
 *   parsing   the durations, sizes and times its options take (parse.c)
 *
 * Both the history and the spool are window folders (folder.c): the folder is the truth, the
 * index in memory is rebuilt from it.
 */
#ifndef PROFD_STORE_H
#define PROFD_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "formats/formats.h"

#define STORE_DEFAULT_DIR "/var/lib/profd"

/*
 * ---- history.c: the window history, "<start_ns>-<end_ns>.pb.zst" files in one folder, and
 * with off-CPU time "<start_ns>-<end_ns>.off-cpu.pb.zst" beside them ----
 */

struct store_history_opts {
	const char *dir;
	bool writable;	    /* create the folder, remove leftover temporary files, write */
	int64_t max_age_ns; /* retention: windows that ended longer ago go; 0: no limit */
	uint64_t max_bytes; /* retention: oldest windows go while the total is above; 0: no limit */
};

struct store_history_stats {
	size_t files;
	uint64_t bytes;
	uint64_t windows_written;
	uint64_t write_failures;
	uint64_t damaged; /* files found damaged (each counted and reported once) */
	uint64_t removed; /* windows removed by retention */
};

/* The time the windows cover, for a picker to be bounded by. */
struct store_history_span {
	size_t windows;
	int64_t first_ns;   /* start of the oldest window; 0 without windows */
	int64_t last_ns;    /* end of the newest window; 0 without windows */
	int64_t covered_ns; /* the windows' lengths added up */
};

struct store_history;

/*
 * Opens (and with writable, creates) the history folder and scans it. Returns NULL with errno
 * set and one line logged. Free with store_history__free().
 */
struct store_history *store_history__open(const struct store_history_opts *o);
void store_history__free(struct store_history *h);
/*
 * Writes window w (CPU or off CPU) covering [start_ns, end_ns) atomically, then applies
 * retention to both kinds together (the windows of these times are never removed by it). Returns
 * 0 or -errno (one line logged); a failed write leaves no file behind and is counted.
 */
int store_history__write(struct store_history *h, const struct fmt_profile *w, int64_t start_ns,
			 int64_t end_ns);
/*
 * Merges into dst the samples that f matches (NULL: all) of every window [start, end) of dst's
 * type (a wall profile: both kinds) that overlaps [from_ns, to_ns). A damaged window is skipped,
 * reported once and counted. Returns the number of windows merged or -errno.
 */
int store_history__query(struct store_history *h, int64_t from_ns, int64_t to_ns,
			 const struct fmt_filter *f, struct fmt_profile *dst);
void store_history__stats(const struct store_history *h, struct store_history_stats *out);
void store_history__span(const struct store_history *h, struct store_history_span *out);

/* ---- push.c: windows to Grafana Pyroscope's HTTP ingest API, from a thread of their own ---- */

#define STORE_PUSH_SPOOL_DIR "spool" /* inside the agent's history folder */
#define STORE_PUSH_SPOOL_BYTES (64ull << 20)

struct store_push_opts {
	/* "http[s]://[USER:PASSWORD@]HOST[:PORT][/PATH]"; /ingest is appended to PATH */
	const char *url;
	const char *ca_file;	    /* trust these CAs for https; NULL: the system's */
	const char *auth_file;	    /* "USER:PASSWORD" on its first line: basic auth; NULL: none */
	const char *const *headers; /* "Name: value" sent with every request */
	size_t nheaders;
	const char *labels;    /* "k=v,k=v" or NULL: Pyroscope labels besides hostname */
	int freq;	       /* sent as sampleRate */
	const char *spool_dir; /* created if missing; NULL: no spool, a full queue drops */
	uint64_t spool_bytes;  /* bound of the spool; 0: STORE_PUSH_SPOOL_BYTES */
	bool full_names;       /* Function.name whole, not as perf shows it (fmt_pprof_opts) */
};

struct store_push_stats {
	uint64_t sent;		/* windows the backend accepted (2xx for each series) */
	uint64_t failures;	/* attempts that failed (each retried) */
	uint64_t tls_failures;	/* of those, the server's certificate was not trusted */
	uint64_t auth_failures; /* of those, the credentials were refused (401, 403, 407) */
	uint64_t dropped;	/* windows dropped unsent: the queue or the spool was full */
	uint64_t rejected;	/* series the backend refused with another 4xx: not sent again */
	uint64_t spool_damaged; /* spool files unreadable or not gzip: removed */
	size_t queued, queued_bytes;
	size_t spool_files;
	uint64_t spool_bytes;
};

struct store_push;

/*
 * Starts pushing with the host name and o->labels as Pyroscope labels. Creates and opens the
 * spool folder now; its leftovers are read and sent by the push thread. Returns NULL with errno
 * set and one line logged.
 */
struct store_push *store_push__new(const struct store_push_opts *o);
/*
 * Stops the thread and frees p. What is queued is sent while the backend answers and nothing is
 * spooled yet, else spooled for the next run; the spool is not drained here.
 */
void store_push__free(struct store_push *p);
/*
 * Queues window w, [start_ns, end_ns) wall clock, encoded now as gzip pprof; never waits for
 * the network or the disk. A full queue drops its oldest window. Returns 0 or -errno.
 */
int store_push__window(struct store_push *p, const struct fmt_profile *w, int64_t start_ns,
		       int64_t end_ns);
void store_push__stats(struct store_push *p, struct store_push_stats *out);

/* ---- parse.c: what the agent's and query's options take ---- */

/* "1h", "30m", "7d", "90s" or plain seconds, into nanoseconds. Returns 0 or -EINVAL. */
int store_parse_duration(const char *s, int64_t *ns);
/* "512M", "2G", "100000" (bytes; K, M, G, T are powers of 1024). Returns 0 or -EINVAL. */
int store_parse_size(const char *s, uint64_t *bytes);
/*
 * A point in time, into wall-clock nanoseconds: RFC 3339 as profd_time_parse() takes it
 * ("2026-11-25T14:00:00Z", "2026-11-25T15:00:00.5+01:00"), "now", or relative to now_ns
 * ("-15m", "-2h", "-30s"). Returns 0 or -EINVAL.
 */
int store_parse_time(const char *s, int64_t now_ns, int64_t *ns);

#endif
