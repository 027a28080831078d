/* SPDX-License-Identifier: MIT */
/* --push: windows to Grafana Pyroscope's HTTP ingest API, from a thread of their own. */
#ifndef PROFD_PUSH_INTERNAL_H
#define PROFD_PUSH_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "formats/formats.h"

#define PROF_PUSH_SPOOL_DIR "spool" /* inside the agent's store folder */
#define PROF_PUSH_SPOOL_BYTES (64ull << 20)

struct prof_push_opts {
	const char *url;       /* "http://HOST[:PORT][/PATH]"; /ingest is appended to PATH */
	const char *labels;    /* "k=v,k=v" or NULL: Pyroscope labels besides hostname */
	int freq;	       /* sent as sampleRate */
	const char *spool_dir; /* created if missing; NULL: no spool, a full queue drops */
	uint64_t spool_bytes;  /* bound of the spool; 0: PROF_PUSH_SPOOL_BYTES */
};

struct prof_push_stats {
	uint64_t sent;		/* windows the backend accepted (2xx) */
	uint64_t failures;	/* attempts that failed (each retried) */
	uint64_t dropped;	/* windows dropped unsent: the queue or the spool was full */
	uint64_t rejected;	/* windows the backend refused with a 4xx: not sent again */
	uint64_t spool_damaged; /* spool files unreadable or not gzip: removed */
	size_t queued, queued_bytes;
	size_t spool_files;
	uint64_t spool_bytes;
};

struct prof_push;

/*
 * Starts pushing with the host name and o->labels as Pyroscope labels. Creates and opens the
 * spool folder now; its leftovers are read and sent by the push thread. Returns NULL with errno
 * set and one line logged.
 */
struct prof_push *prof_push__new(const struct prof_push_opts *o);
/*
 * Stops the thread and frees p. What is queued is sent while the backend answers and nothing is
 * spooled yet, else spooled for the next run; the spool is not drained here.
 */
void prof_push__free(struct prof_push *p);
/*
 * Queues window w, [start_ns, end_ns) wall clock, encoded now as gzip pprof; never waits for
 * the network or the disk. A full queue drops its oldest window. Returns 0 or -errno.
 */
int prof_push__window(struct prof_push *p, const struct fmt_profile *w, int64_t start_ns,
		      int64_t end_ns);
void prof_push__stats(struct prof_push *p, struct prof_push_stats *out);

/*
 * The spool: one gzip pprof per window, "<start_ns>-<end_ns>.pb.gz" (19 digits each, so names
 * sort by start), written atomically, at most max_bytes in all. Used by one thread only.
 */
struct prof_spool;

/* Creates (mode 0750) and opens dir; 0 max_bytes means PROF_PUSH_SPOOL_BYTES. NULL and errno. */
struct prof_spool *prof_spool__open(const char *dir, uint64_t max_bytes);
void prof_spool__free(struct prof_spool *s);
const char *prof_spool__dir(const struct prof_spool *s);
/*
 * Indexes the files there, removes unfinished ones, and keeps the bound by removing the oldest.
 * Returns how many windows that removed, or -errno.
 */
int prof_spool__scan(struct prof_spool *s);
/*
 * Adds window [start_ns, end_ns) whose gzip pprof is buf[0..len), first removing the oldest
 * windows until it fits the bound. Returns the number of windows dropped (those removed, plus
 * this one if it alone exceeds the bound) or -errno, when this one is not on disk.
 */
int prof_spool__add(struct prof_spool *s, int64_t start_ns, int64_t end_ns, const void *buf,
		    size_t len);
/*
 * Reads the oldest window into *buf (malloc'ed, the caller frees it). Returns 0, -ENOENT when
 * the spool is empty, or -EBADMSG when that file was damaged: it is then removed and counted,
 * reported once, and the next call reads the one after it.
 */
int prof_spool__oldest(struct prof_spool *s, int64_t *start_ns, int64_t *end_ns, void **buf,
		       size_t *len);
/* Removes the oldest window: it was sent. */
void prof_spool__pop(struct prof_spool *s);
/* Files and bytes in the spool, and damaged files removed so far. */
void prof_spool__stats(const struct prof_spool *s, size_t *files, uint64_t *bytes,
		       uint64_t *damaged);

#endif
