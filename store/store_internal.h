/* SPDX-License-Identifier: MIT */
/*
 * Shared by the files of store/ (and its unit tests) only.
 *
 * A window folder is what the history and the push spool both are on disk: one file per window
 * of wall-clock time [start_ns, end_ns), named "<start>-<end><suffix>", that appears only
 * complete (written under a dot-name in the same folder, fsynced, renamed, the folder fsynced),
 * and an index in memory, the sorted list of those names, rebuilt by a scan of the folder at
 * open. Nothing else is on disk, so the folder is the truth: it can be copied, pruned or restored
 * by hand.
 */
#ifndef PROFD_STORE_INTERNAL_H
#define PROFD_STORE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

/* A file being written under this name is unfinished: a scan of a writable folder removes it. */
#define STORE_TMP_PREFIX ".profd-window."

/* ---- folder.c: the window folder ---- */

struct store_window {
	int64_t start_ns, end_ns;
	uint64_t bytes;
	bool damaged; /* reported already: skipped without another line */
};

struct store_folder_opts {
	const char *dir;
	const char *suffix; /* ".pb.zst" */
	bool padded;	    /* names with 19-digit times, so that a listing sorts by time */
	bool writable;	    /* create the folder (mode 0750), remove unfinished files, write */
};

struct store_folder {
	char *dir;
	int dirfd;
	struct store_folder_opts opts; /* dir and suffix point into the caller's strings */
	struct store_window *w; /* the windows are w[head..n), sorted by start, then end */
	size_t head, n, cap;
	uint64_t bytes; /* of every indexed window */
};

/*
 * Opens (with writable, creates) the folder; nothing is indexed yet. Returns 0 or -errno; release
 * with store_folder__release() either way.
 */
int store_folder__open(struct store_folder *f, const struct store_folder_opts *o);
/* Indexes the windows there anew; with writable, removes what a crash left half-written. */
int store_folder__scan(struct store_folder *f);
void store_folder__release(struct store_folder *f);
/* Windows indexed; the i-th oldest, 0 <= i < count. */
size_t store_folder__count(const struct store_folder *f);
struct store_window *store_folder__at(const struct store_folder *f, size_t i);
/* The file name of a window: "<start>-<end><suffix>". */
void store_folder__name(const struct store_folder *f, int64_t start_ns, int64_t end_ns, char *buf,
			size_t len);
/*
 * Writes buf as the window [start_ns, end_ns) atomically and indexes it (a window of the same
 * times is replaced). Returns 0 or -errno; a failure leaves no file behind.
 */
int store_folder__add(struct store_folder *f, int64_t start_ns, int64_t end_ns, const void *buf,
		      size_t len);
/*
 * Reads the i-th oldest window whole into *buf (malloc'ed, the caller frees it), refusing files
 * above FMT_PPROF_MAX_BYTES (-EFBIG). Returns 0 or -errno (-ENOENT: removed since the scan).
 */
int store_folder__read(struct store_folder *f, size_t i, uint8_t **buf, size_t *len);
/* Removes the i-th oldest window's file and entry. Returns 0, or -errno with both kept. */
int store_folder__remove(struct store_folder *f, size_t i);
/* Forgets the i-th oldest window without touching its file. */
void store_folder__forget(struct store_folder *f, size_t i);

/* ---- spool.c: the push spool, a window folder bounded in bytes and files ---- */

/*
 * One gzip pprof per window, "<start_ns>-<end_ns>.pb.gz" (19 digits each, so names sort by
 * start), at most max_bytes in all; the oldest go first, counted. Used by one thread only.
 */
struct store_spool;

/* Creates (mode 0750) and opens dir; 0 max_bytes means STORE_PUSH_SPOOL_BYTES. NULL and errno. */
struct store_spool *store_spool__open(const char *dir, uint64_t max_bytes);
void store_spool__free(struct store_spool *s);
const char *store_spool__dir(const struct store_spool *s);
/*
 * Indexes the files there, removes unfinished ones, and keeps the bound by removing the oldest.
 * Returns how many windows that removed, or -errno.
 */
int store_spool__scan(struct store_spool *s);
/*
 * Adds window [start_ns, end_ns) whose gzip pprof is buf[0..len), first removing the oldest
 * windows until it fits the bound. Returns the number of windows dropped (those removed, plus
 * this one if it alone exceeds the bound or cannot be written).
 */
int store_spool__add(struct store_spool *s, int64_t start_ns, int64_t end_ns, const void *buf,
		     size_t len);
/*
 * Reads the oldest window into *buf (malloc'ed, the caller frees it). Returns 0, -ENOENT when
 * the spool is empty, or -EBADMSG when that file was damaged: it is then removed and counted,
 * reported once, and the next call reads the one after it.
 */
int store_spool__oldest(struct store_spool *s, int64_t *start_ns, int64_t *end_ns, void **buf,
			size_t *len);
/* Removes the oldest window: it was sent. */
void store_spool__pop(struct store_spool *s);
/* Files and bytes in the spool, and damaged files removed so far. */
void store_spool__stats(const struct store_spool *s, size_t *files, uint64_t *bytes,
			uint64_t *damaged);

/* ---- http.c: HTTP(S) POSTs with libcurl, the only file that uses it ---- */

enum store_http_outcome {
	STORE_HTTP_OK,	    /* 2xx */
	STORE_HTTP_RETRY,   /* the network, a time-out, 5xx, 408, 429: try again soon */
	STORE_HTTP_TLS,	    /* the certificate was not trusted, or no TLS handshake */
	STORE_HTTP_AUTH,    /* 401, 403, 407: the credentials were refused */
	STORE_HTTP_REFUSED, /* another 4xx: this request is wrong; sending it again cannot help */
};

struct store_http_result {
	enum store_http_outcome outcome;
	int status;    /* the HTTP status, 0 without an answer */
	char why[256]; /* curl's message or "HTTP status N"; never credentials */
};

struct store_http_opts {
	const char *ca_file;	    /* NULL: the system's CAs */
	const char *userpwd;	    /* "USER:PASSWORD" for basic auth; NULL: none */
	const char *const *headers; /* "Name: value" lines */
	size_t nheaders;
};

struct store_http;

/* Opens libcurl and initializes it (and TLS) on first use. NULL with errno set. Strings are
 * copied. */
struct store_http *store_http__new(const struct store_http_opts *o);
void store_http__free(struct store_http *h);
/*
 * POSTs data as the file filename of the multipart/form-data field field to url (which must not
 * carry credentials: they are in the options). Returns the outcome, also in r.
 */
enum store_http_outcome store_http__post_file(struct store_http *h, const char *url,
					      const char *field, const char *filename,
					      const void *data, size_t len,
					      struct store_http_result *r);
/*
 * Splits "http[s]://[USER[:PASSWORD]@]HOST[:PORT][/PATH]" into the URL without its user info,
 * query, fragment and trailing slashes (*base), and "USER:PASSWORD" decoded (*userpwd, NULL
 * without user info). Both malloc'd. Returns 0, -EINVAL (another scheme, no host, a bad URL),
 * -ENOENT (libcurl missing: one line logged) or -ENOMEM.
 */
int store_http_parse_url(const char *url, char **base, char **userpwd);

/* ---- pyroscope.c: one window to Pyroscope's ingest API, a series per service ---- */

/* Series per window at most; the smallest services beyond go together as "other". */
#define STORE_PUSH_SERIES_MAX 32

struct store_pyroscope {
	struct store_http *http;
	char *ingest; /* "https://HOST:PORT/PATH/ingest": no credentials, fit for messages */
	char *labels; /* "hostname=H,k=v": every series' labels */
	int freq;
	bool full_names; /* Function.name whole in what is sent */
};

/* Reads o's URL, credentials, headers and labels (one line logged for a bad one). 0 or -errno. */
int store_pyroscope__init(struct store_pyroscope *p, const struct store_push_opts *o);
void store_pyroscope__release(struct store_pyroscope *p);
/*
 * Sends window [start_ns, end_ns), whose gzip pprof is body[0..len), as one series per service
 * (its systemd unit, its container, else its program): a POST each, in an order that the same
 * window always gives. The first *done services went before and are skipped; *done grows with
 * each one the backend takes, so a retry resumes where this one stopped. A service the backend
 * refuses for good (STORE_HTTP_REFUSED) is counted in *refused and passed over. r says
 * STORE_HTTP_OK once every service is through, else the failure that stopped it. Returns the
 * number of services in the window (0: a window without samples, nothing was sent), or -errno
 * for a body that does not decode.
 */
int store_pyroscope__send(struct store_pyroscope *p, int64_t start_ns, int64_t end_ns,
			  const void *body, size_t len, size_t *done, uint64_t *refused,
			  struct store_http_result *r);

#define STORE_SERIES_NAME_MAX 128

/* One series of a window: a service and the cgroup whose unit, container and pod label it. */
struct store_series {
	char name[STORE_SERIES_NAME_MAX]; /* Pyroscope's service_name: "nginx", "container/ID12" */
	const struct fmt_cgroup *cgroup;  /* NULL: no such labels (a program, or "other") */
	int64_t samples;
};

/*
 * A window's series, largest first (then by name: the same window, the same order), at most
 * STORE_PUSH_SERIES_MAX, the smallest beyond as one called "other"; of_sample[i] (room for
 * w->nsamples) is sample i's. *out is malloc'd. Returns how many, or -ENOMEM.
 */
int store_pyroscope_series(const struct fmt_profile *w, struct store_series **out,
			   uint32_t *of_sample);

#endif
