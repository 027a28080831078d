/* SPDX-License-Identifier: MIT */
/*
 * The agent's on-disk history: one file per window, "<start_ns>-<end_ns>.pb.zst" (wall-clock
 * nanoseconds), each the zstd store encoding of formats/. A file appears only complete: it is
 * written under a dot-name in the same folder, fsynced, renamed, and the folder fsynced. The
 * index is the sorted list of those names, rebuilt from a scan of the folder at open; nothing
 * else is on disk, so the folder is the truth and can be copied, pruned or restored by hand.
 */
#ifndef PROFD_STORE_INTERNAL_H
#define PROFD_STORE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "formats/formats.h"

#define PROF_STORE_DEFAULT_DIR "/var/lib/profd"
/* A file being written under this name is unfinished: a scan of a folder may remove it. */
#define PROF_TMP_PREFIX ".profd-window."

struct prof_store_opts {
	const char *dir;
	bool writable;	    /* create the folder, remove leftover temporary files, write */
	int64_t max_age_ns; /* retention: windows that ended longer ago go; 0: no limit */
	uint64_t max_bytes; /* retention: oldest windows go while the total is above; 0: no limit */
};

struct prof_store_stats {
	size_t files;
	uint64_t bytes;
	uint64_t windows_written;
	uint64_t write_failures;
	uint64_t damaged; /* files found damaged (each counted and reported once) */
	uint64_t removed; /* windows removed by retention */
};

struct prof_store;

/*
 * Opens (and with writable, creates) the store folder and scans it. Returns NULL with errno set
 * and one line logged. Free with prof_store__free().
 */
struct prof_store *prof_store__open(const struct prof_store_opts *o);
void prof_store__free(struct prof_store *s);

/*
 * Writes window w covering [start_ns, end_ns) atomically, then applies retention (the window
 * just written is never removed by it). Returns 0 or -errno (one line logged); a failed write
 * leaves no file behind and is counted.
 */
int prof_store__write(struct prof_store *s, const struct fmt_profile *w, int64_t start_ns,
		      int64_t end_ns);

/*
 * Merges into dst the samples that f matches (NULL: all) of every window [start, end) that
 * overlaps [from_ns, to_ns). A damaged window is skipped, reported once and counted. Returns the
 * number of windows merged or -errno.
 */
int prof_store__query(struct prof_store *s, int64_t from_ns, int64_t to_ns,
		      const struct fmt_filter *f, struct fmt_profile *dst);

void prof_store__stats(const struct prof_store *s, struct prof_store_stats *out);

/* The time the windows cover, for a picker to be bounded by. */
struct prof_store_span {
	size_t windows;
	int64_t first_ns;   /* start of the oldest window; 0 without windows */
	int64_t last_ns;    /* end of the newest window; 0 without windows */
	int64_t covered_ns; /* the windows' lengths added up */
};

void prof_store__span(const struct prof_store *s, struct prof_store_span *out);

/*
 * Writes buf to dirfd/name so that the name appears only with all its bytes: a PROF_TMP_PREFIX
 * name first, fsync, rename, fsync of the folder. Returns 0 or -errno; a failure leaves no
 * temporary file behind.
 */
int prof_write_atomic(int dirfd, const char *name, const void *buf, size_t len);
/*
 * Reads dirfd/name whole into *out (malloc'ed, the caller frees it), refusing files above
 * FMT_PPROF_MAX_BYTES (-EFBIG). Returns 0 or -errno.
 */
int prof_read_file(int dirfd, const char *name, uint8_t **out, size_t *len);

/* ---- timeparse.c ---- */

/* "1h", "30m", "7d", "90s" or plain seconds, into nanoseconds. Returns 0 or -EINVAL. */
int prof_parse_duration(const char *s, int64_t *ns);
/* "512M", "2G", "100000" (bytes; K, M, G, T are powers of 1024). Returns 0 or -EINVAL. */
int prof_parse_size(const char *s, uint64_t *bytes);
/*
 * A point in time, into wall-clock nanoseconds: RFC 3339 as profd_time_parse() takes it
 * ("2026-11-25T14:00:00Z", "2026-11-25T15:00:00.5+01:00"), "now", or relative to now_ns
 * ("-15m", "-2h", "-30s"). Returns 0 or -EINVAL.
 */
int prof_parse_time(const char *s, int64_t now_ns, int64_t *ns);

#endif
