// SPDX-License-Identifier: MIT
/*
 * --push URL: each window goes to Grafana Pyroscope's HTTP ingest API (pyroscope.c) from a thread
 * of its own, so a slow or absent backend never holds up sampling. The sampling thread only
 * encodes a window and queues it in memory; the push thread does all the network and disk work,
 * splitting each window into a series per service as it sends it.
 * Failed sends are retried with exponential backoff, up to a minute; a certificate not trusted
 * or credentials refused wait five minutes, said once. Meanwhile windows go to a bounded spool
 * on disk (spool.c), which is sent oldest first once the backend answers, by this run or the
 * next.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/clock.h"
#include "common/log.h"
#include "store/store_internal.h"

/* Windows waiting in memory: an hour of 60 s windows, a minute of 1 s ones. */
#define QUEUE_MAX 64
#define QUEUE_BYTES (32u << 20) /* and at most this many bytes of them */
/* A queue this full means sends are slow: it goes to the spool before the producer drops. */
#define SPILL_AT (QUEUE_MAX / 2)
#define SPILL_BYTES (QUEUE_BYTES / 2)
#define BACKOFF_MIN_MS 500
#define BACKOFF_MAX_MS 60000
/* A certificate not trusted or a login refused will not mend itself in seconds: ask rarely. */
#define BACKOFF_DENIED_MS (5 * 60 * 1000)

struct item {
	void *body; /* the gzip pprof */
	size_t len;
	int64_t start_ns, end_ns;
};

struct store_push {
	struct store_pyroscope backend;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond; /* on CLOCK_MONOTONIC */
	struct item q[QUEUE_MAX];
	size_t head, n, bytes;
	bool busy; /* the head is being sent: the producer must not free it */
	bool stop;
	bool down;	  /* the last attempt failed: wait for retry_at, spool what comes */
	int64_t retry_at; /* CLOCK_MONOTONIC ms */
	int backoff_ms;
	struct store_spool *spool; /* NULL without one; used by the push thread only */
	/* The push thread's: how many series of the window being sent went already. */
	struct {
		int64_t start_ns, end_ns;
		size_t done;
	} progress;
	struct store_push_stats st;
};

static void drop_head(struct store_push *p)
{
	struct item *it = &p->q[p->head];

	p->bytes -= it->len;
	free(it->body);
	p->head = (p->head + 1) % QUEUE_MAX;
	p->n--;
}

/* Drops the oldest window that is not being sent. */
static void drop_oldest(struct store_push *p)
{
	size_t next = (p->head + 1) % QUEUE_MAX;

	if (!p->busy) {
		drop_head(p);
		return;
	}
	p->bytes -= p->q[next].len;
	free(p->q[next].body);
	p->q[next] = p->q[p->head];
	p->head = next;
	p->n--;
}

static int64_t mono_ms(void)
{
	return profd_mono_ns() / 1000000;
}

/* Waits for a signal or until the CLOCK_MONOTONIC millisecond at. */
static void wait_until(struct store_push *p, int64_t at)
{
	struct timespec ts = {.tv_sec = at / 1000, .tv_nsec = (at % 1000) * 1000000};

	pthread_cond_timedwait(&p->cond, &p->lock, &ts);
}

/* Copies the spool's numbers where /metrics reads them; p->lock held. */
static void spool_publish(struct store_push *p)
{
	store_spool__stats(p->spool, &p->st.spool_files, &p->st.spool_bytes, &p->st.spool_damaged);
}

/* Moves every queued window to the spool; p->lock held, released during the writes. */
static void spill(struct store_push *p)
{
	struct item its[QUEUE_MAX];
	size_t n = 0;
	uint64_t dropped = 0;

	while (p->n) {
		its[n++] = p->q[p->head];
		p->head = (p->head + 1) % QUEUE_MAX;
		p->n--;
	}
	p->bytes = 0;
	pthread_mutex_unlock(&p->lock);
	for (size_t i = 0; i < n; i++) {
		dropped += (uint64_t)store_spool__add(p->spool, its[i].start_ns, its[i].end_ns,
						     its[i].body, its[i].len);
		free(its[i].body);
	}
	pthread_mutex_lock(&p->lock);
	p->st.dropped += dropped;
	spool_publish(p);
}

/*
 * Sends one window's series, from where the last attempt at the same window stopped. Returns
 * how many series the window has (0: nothing to send) or -errno when it does not decode.
 */
static int send_item(struct store_push *p, const struct item *it, struct store_http_result *r,
		     uint64_t *refused)
{
	size_t done = 0;
	int err;

	if (p->progress.start_ns == it->start_ns && p->progress.end_ns == it->end_ns)
		done = p->progress.done;
	err = store_pyroscope__send(&p->backend, it->start_ns, it->end_ns, it->body, it->len,
				    &done, refused, r);
	p->progress.start_ns = it->start_ns;
	p->progress.end_ns = it->end_ns;
	p->progress.done = done;
	if (err < 0)
		pr_warn_once("push: a window from %s does not read as pprof (%s): dropped",
			     p->spool && p->st.spool_files ? "the spool" : "memory", strerror(-err));
	return err;
}

/*
 * Sends the oldest window: the spool's, if it holds any, else the queue's head. p->lock held,
 * released during the I/O. Returns 0 when every series of it went, 1 when it was dropped
 * instead (damaged, or without samples: the backend was not asked, so neither counts as
 * sent), or -1 when the backend must be tried again later (r says why).
 */
static int send_oldest(struct store_push *p, struct store_http_result *r)
{
	uint64_t refused = 0;
	struct item it;
	int err, series = 0;

	if (p->spool && p->st.spool_files) {
		pthread_mutex_unlock(&p->lock);
		err = store_spool__oldest(p->spool, &it.start_ns, &it.end_ns, &it.body, &it.len);
		if (!err) {
			series = send_item(p, &it, r, &refused);
			err = series < 0 ? -EBADMSG : 0;
			free(it.body);
			if (err || r->outcome == STORE_HTTP_OK)
				store_spool__pop(p->spool);
		} else if (err != -EBADMSG) {
			*r = (struct store_http_result){.outcome = STORE_HTTP_RETRY};
			snprintf(r->why, sizeof(r->why), "spool: %s", strerror(-err));
		}
		pthread_mutex_lock(&p->lock);
		spool_publish(p);
	} else {
		it = p->q[p->head];
		p->busy = true;
		pthread_mutex_unlock(&p->lock);
		series = send_item(p, &it, r, &refused);
		err = series < 0 ? -EBADMSG : 0;
		pthread_mutex_lock(&p->lock);
		p->busy = false;
		if (err || r->outcome == STORE_HTTP_OK)
			drop_head(p);
	}
	p->st.rejected += refused;
	if (err == -EBADMSG || (!err && !series))
		return 1;
	return !err && r->outcome == STORE_HTTP_OK ? 0 : -1;
}

static void attempt(struct store_push *p)
{
	struct store_http_result r = {0};
	int err = send_oldest(p, &r);
	const char *url = p->backend.ingest;

	if (err > 0)
		return;
	if (!err) {
		p->st.sent++;
		p->down = false;
		p->backoff_ms = 0;
		return;
	}
	p->st.failures++;
	p->down = true;
	if (r.outcome == STORE_HTTP_TLS || r.outcome == STORE_HTTP_AUTH) {
		if (r.outcome == STORE_HTTP_TLS) {
			p->st.tls_failures++;
			pr_warn_once("push: %s: TLS: %s (is its CA trusted? --push-ca FILE); trying "
				     "again every %d min, windows wait in the spool", url, r.why,
				     BACKOFF_DENIED_MS / 60000);
		} else {
			p->st.auth_failures++;
			pr_warn_once("push: %s: %s: the credentials were refused (the URL's "
				     "USER:PASSWORD or --push-auth-file); trying again every %d min, "
				     "windows wait in the spool", url, r.why, BACKOFF_DENIED_MS / 60000);
		}
		p->backoff_ms = BACKOFF_DENIED_MS;
	} else {
		pr_warn_once("push: %s: %s (retrying)", url, r.why);
		p->backoff_ms = p->backoff_ms ? p->backoff_ms * 2 : BACKOFF_MIN_MS;
		if (p->backoff_ms > BACKOFF_MAX_MS)
			p->backoff_ms = BACKOFF_MAX_MS;
	}
	p->retry_at = mono_ms() + p->backoff_ms;
}

/* What an earlier run left in the spool is indexed here, off the sampling thread. */
static void spool_start(struct store_push *p)
{
	int dropped = store_spool__scan(p->spool);

	if (dropped < 0)
		pr_warn("push: spool %s: cannot read: %s", store_spool__dir(p->spool),
			strerror(-dropped));
	pthread_mutex_lock(&p->lock);
	if (dropped > 0)
		p->st.dropped += (uint64_t)dropped;
	spool_publish(p);
	if (p->st.spool_files)
		pr_info("push: %zu windows in the spool from an earlier run", p->st.spool_files);
	pthread_mutex_unlock(&p->lock);
}

/*
 * The queue goes straight to the backend while it answers and the spool is empty; otherwise
 * (down, spool not empty, queue filling up) to the spool, so that order is kept and memory
 * stays small. On stop the spool stays for the next run.
 */
static void *push_thread(void *arg)
{
	struct store_push *p = arg;

	if (p->spool)
		spool_start(p);
	pthread_mutex_lock(&p->lock);
	for (;;) {
		bool spooled = p->spool && p->st.spool_files;

		if (p->n && p->spool &&
		    (p->down || spooled || p->n >= SPILL_AT || p->bytes >= SPILL_BYTES)) {
			spill(p);
			continue;
		}
		if (p->stop && (!p->n || p->down))
			break;
		if (!p->n && !spooled)
			pthread_cond_wait(&p->cond, &p->lock);
		else if (p->down && !p->stop && mono_ms() < p->retry_at)
			wait_until(p, p->retry_at);
		else
			attempt(p);
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

static int start_thread(struct store_push *p)
{
	pthread_condattr_t ca;
	int err;

	pthread_mutex_init(&p->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&p->cond, &ca);
	pthread_condattr_destroy(&ca);
	err = -pthread_create(&p->thread, NULL, push_thread, p);
	if (err) {
		pr_warn("push: cannot start its thread: %s", strerror(-err));
		pthread_cond_destroy(&p->cond);
		pthread_mutex_destroy(&p->lock);
	}
	return err;
}

struct store_push *store_push__new(const struct store_push_opts *o)
{
	struct store_push *p = calloc(1, sizeof(*p));
	int err;

	if (!p)
		return NULL;
	err = store_pyroscope__init(&p->backend, o);
	if (!err && o->spool_dir && !(p->spool = store_spool__open(o->spool_dir, o->spool_bytes))) {
		err = -errno;
		pr_warn("push: spool %s: %s", o->spool_dir, strerror(errno));
	}
	err = err ?: start_thread(p);
	if (err) {
		store_spool__free(p->spool);
		store_pyroscope__release(&p->backend);
		free(p);
		errno = -err;
		return NULL;
	}
	return p;
}

void store_push__free(struct store_push *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	p->stop = true;
	pthread_cond_signal(&p->cond);
	pthread_mutex_unlock(&p->lock);
	pthread_join(p->thread, NULL);
	while (p->n)
		drop_head(p);
	pthread_mutex_destroy(&p->lock);
	pthread_cond_destroy(&p->cond);
	store_spool__free(p->spool);
	store_pyroscope__release(&p->backend);
	free(p);
}

int store_push__window(struct store_push *p, const struct fmt_profile *w, int64_t start_ns,
		      int64_t end_ns)
{
	struct item it = {.start_ns = start_ns, .end_ns = end_ns};
	char *body;
	/* The gzip pprof, whole names kept (fmt_pprof_read() gives them back); series are cut from
	 * it when it is sent. */
	int err = fmt_pprof_to_memory(w, NULL, &body, &it.len);

	if (err)
		return err;
	it.body = body;
	pthread_mutex_lock(&p->lock);
	while (p->n > (p->busy ? 1u : 0u) &&
	       (p->n == QUEUE_MAX || p->bytes + it.len > QUEUE_BYTES)) {
		drop_oldest(p);
		p->st.dropped++;
	}
	p->q[(p->head + p->n) % QUEUE_MAX] = it;
	p->n++;
	p->bytes += it.len;
	pthread_cond_signal(&p->cond);
	pthread_mutex_unlock(&p->lock);
	return 0;
}

void store_push__stats(struct store_push *p, struct store_push_stats *out)
{
	pthread_mutex_lock(&p->lock);
	*out = p->st;
	out->queued = p->n;
	out->queued_bytes = p->bytes;
	pthread_mutex_unlock(&p->lock);
}
