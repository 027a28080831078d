/* SPDX-License-Identifier: MIT */
/* --push: windows to Grafana Pyroscope's HTTP ingest API, from a thread of their own. */
#ifndef PROFD_PUSH_INTERNAL_H
#define PROFD_PUSH_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "formats/formats.h"

struct prof_push_stats {
	uint64_t sent;	   /* windows the backend accepted (2xx) */
	uint64_t failures; /* attempts that failed (each retried) */
	uint64_t dropped;  /* windows dropped unsent because the queue was full */
	size_t queued, queued_bytes;
};

struct prof_push;

/*
 * Starts pushing to url ("http://HOST[:PORT][/PATH]"; /ingest is appended to PATH) with the
 * host name and labels ("k=v,k=v" or NULL) as Pyroscope labels and freq as sampleRate. Returns
 * NULL with errno set and one line logged.
 */
struct prof_push *prof_push__new(const char *url, const char *labels, int freq);
/* Sends what is queued while the backend answers, then stops the thread and frees p. */
void prof_push__free(struct prof_push *p);
/*
 * Queues window w, [start_ns, end_ns) wall clock, encoded now as gzip pprof; never waits for
 * the network. A full queue drops its oldest window. Returns 0 or -errno.
 */
int prof_push__window(struct prof_push *p, const struct fmt_profile *w, int64_t start_ns,
		      int64_t end_ns);
void prof_push__stats(struct prof_push *p, struct prof_push_stats *out);

#endif
