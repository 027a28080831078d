/* SPDX-License-Identifier: MIT */
/*
 * web/: the embedded HTTP server (libmicrohttpd) that lets a browser look at profiles on
 * localhost. The only public header of this folder.
 *
 * The server never touches BPF or the record loop: it reads profiles through a struct
 * web_source, whose callbacks copy what a request needs into a private profile. Rendering
 * (SVG, folded, JSON) then happens outside any lock of the source, so a slow client or a big
 * render never holds up sampling.
 */
#ifndef PROFD_WEB_H
#define PROFD_WEB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "formats/formats.h"

/* A time range in seconds since the start of the run: [from, to). */
struct web_range {
	double from, to;
};

/* What a source with a history on disk holds, for /api/store. Times are CLOCK_REALTIME ns. */
struct web_store_info {
	uint64_t windows;   /* window files */
	uint64_t bytes;	    /* their size on disk */
	int64_t first_ns;   /* start of the oldest window, 0 when there is none */
	int64_t last_ns;    /* end of the newest window, 0 when there is none */
	int64_t covered_ns; /* sum of the windows' lengths */
};

/* What /api/profile reports. Strings are copied by the callback into the fixed buffers. */
struct web_status {
	char mode[16];	 /* "live" (sampling), "stopped" (sampling over) or "files" (serve) */
	char event[32];	 /* perf event name, "" when unknown */
	int freq;	 /* Hz, 0 when unknown */
	int64_t samples; /* sum of all sample counts so far */
	bool off_cpu;	    /* the source has time off CPU: the off-CPU and wall views */
	int64_t off_cpu_us; /* microseconds off CPU so far */
	uint64_t lost;	 /* samples or stacks lost so far */
	struct fmt_loss loss;
	int64_t start_ns;     /* wall clock of the start (CLOCK_REALTIME), 0 if unknown */
	double elapsed_s;     /* seconds covered so far */
	double window_s;      /* length of one window */
	double oldest_s;      /* start of the oldest window kept: earlier ranges are empty */
	unsigned nwindows;    /* windows kept */
	unsigned max_windows; /* windows kept at most */
	size_t ntargets;      /* distinct (pid, comm, cgroup) seen with samples */
	size_t processes;     /* processes announced by the sampler */
	uint64_t generation;  /* changes whenever the samples do (an ETag for the page) */
};

/*
 * One process seen with samples, in one cgroup. Strings are malloc'd (the cgroup's NULL when
 * unknown); free with web_targets_free().
 */
struct web_target {
	uint32_t pid; /* 0 when the source has no pids (folded files) */
	char *comm;
	int64_t samples;
	char *cgroup;			/* path relative to the cgroup v2 root */
	char *container_id, *systemd_unit; /* what it names, "" for none */
	int64_t off_cpu_us; /* microseconds waited off CPU (0 without it) */
};

void web_targets_free(struct web_target *t, size_t n);

struct profd_strbuf;

/*
 * Where profiles come from. Every callback may be called from several server threads at once
 * and must be thread-safe; each must return promptly (copying under a lock is fine, waiting for
 * the next sample is not).
 */
struct web_source {
	void *ctx;
	/*
	 * Merges into dst (a fresh profile, of the type asked for: CPU, off CPU, or wall made of
	 * both) every sample that f matches (f may be NULL), of range (NULL: the whole run).
	 * Returns 0 or -errno.
	 */
	int (*collect)(void *ctx, const struct web_range *range, const struct fmt_filter *f,
		       struct fmt_profile *dst);
	int (*status)(void *ctx, struct web_status *st);
	/* Sets *out to a malloc'd array (see web_targets_free) and *n. Returns 0 or -errno. */
	int (*targets)(void *ctx, struct web_target **out, size_t *n);
	/*
	 * Appends the source's own health in Prometheus text format (0.0.4) for /metrics; NULL
	 * answers 404 there. Returns 0 or -errno.
	 */
	int (*metrics)(void *ctx, struct profd_strbuf *out);
	/*
	 * Optional, for a source with a history on disk (profd agent's store); NULL elsewhere, and
	 * wall-clock ranges are then refused with a 400. Merges into dst (a fresh profile) every
	 * sample f matches (f may be NULL) of the windows that overlap [from_ns, to_ns), wall-clock
	 * nanoseconds. Returns the number of windows merged or -errno.
	 */
	int (*collect_wall)(void *ctx, int64_t from_ns, int64_t to_ns, const struct fmt_filter *f,
			    struct fmt_profile *dst);
	/* Optional with collect_wall: what the history holds (/api/store). Returns 0 or -errno. */
	int (*store_info)(void *ctx, struct web_store_info *out);
	/* Names of the files served, for `profd serve`; NULL otherwise. Owned by the source. */
	const char *const *files;
	size_t nfiles;
};

struct web_server_opts {
	const char *addr;	     /* numeric IPv4 or IPv6 address; NULL: 127.0.0.1 */
	uint16_t port;		     /* 0: any free port (see web_server__port()) */
	const char *const *hosts;    /* extra names the Host header may carry (--http-host) */
	size_t nhosts;
	bool allow_public;	     /* a non-loopback addr is refused without this */
	unsigned threads;	     /* worker threads; 0: 2 */
	unsigned max_connections;    /* 0: 256 */
	unsigned max_per_address;    /* connections from one client address; 0: 32 */
	unsigned timeout_s;	     /* idle time before a connection is closed; 0: 10 */
	struct web_source source;
};

struct web_server;

/*
 * Binds and starts serving in threads of its own. Returns the server, or NULL with errno set
 * and one line logged (EACCES for a public address without allow_public, EADDRINUSE, ...).
 * Free with web_server__stop().
 */
struct web_server *web_server__start(const struct web_server_opts *opts);
/* Stops serving, waits for the handlers to return and frees s. NULL is a no-op. */
void web_server__stop(struct web_server *s);
/* The port the server listens on (useful after port 0). */
uint16_t web_server__port(const struct web_server *s);
/* "http://127.0.0.1:7070/" into buf. Returns buf. */
const char *web_server__url(const struct web_server *s, char *buf, size_t size);

/*
 * Parses "[ADDR:]PORT" as --http takes it: "7070", "127.0.0.1:7070", "[::1]:7070",
 * "0.0.0.0:80". ADDR must be a numeric address; it defaults to 127.0.0.1. Returns 0 or -EINVAL.
 */
int web_parse_listen(const char *arg, char *addr, size_t addr_size, uint16_t *port);
/* Whether a numeric address is a loopback one (127.0.0.0/8, ::1). */
bool web_addr_is_loopback(const char *addr);

#endif
