// SPDX-License-Identifier: MIT
/*
 * --push URL: each window goes to Grafana Pyroscope's HTTP ingest API (POST /ingest,
 * format=pprof, the gzip pprof as the multipart field "profile"), from a thread of its own, so a
 * slow or absent backend never holds up sampling. The sampling thread only encodes a window and
 * queues it in memory; the push thread does all the network and disk work. Failed sends are
 * retried with exponential backoff; meanwhile windows go to a bounded spool on disk, which is
 * sent oldest first once the backend answers, by this run or the next. Plain http:// only.
 */
#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "common/clock.h"
#include "common/log.h"
#include "common/strbuf.h"
#include "profiler/push_internal.h"

/* Windows waiting in memory: an hour of 60 s windows, a minute of 1 s ones. */
#define QUEUE_MAX 64
#define QUEUE_BYTES (32u << 20) /* and at most this many bytes of them */
/* A queue this full means sends are slow: it goes to the spool before the producer drops. */
#define SPILL_AT (QUEUE_MAX / 2)
#define SPILL_BYTES (QUEUE_BYTES / 2)
#define BACKOFF_MIN_MS 500
#define BACKOFF_MAX_MS 60000
#define IO_TIMEOUT_S 10
#define BOUNDARY "profd-7b1f0c9e3a"
#define PART_HEAD                                                                                  \
	"--" BOUNDARY "\r\nContent-Disposition: form-data; name=\"profile\"; "                     \
	"filename=\"profile.pprof\"\r\nContent-Type: application/octet-stream\r\n\r\n"
#define PART_TAIL "\r\n--" BOUNDARY "--\r\n"

struct item {
	void *body; /* the gzip pprof */
	size_t len;
	int64_t start_ns, end_ns;
};

struct prof_push {
	char host[256], port[8], path[512];
	char *name; /* URL-encoded "profd.cpu{hostname=...,k=v}" */
	int freq;
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
	struct prof_spool *spool; /* NULL without one; used by the push thread only */
	struct prof_push_stats st;
};

/* http://HOST[:PORT][/PATH]; the ingest path is PATH + "/ingest" unless PATH already ends so. */
static int parse_url(struct prof_push *p, const char *url)
{
	const char *h, *slash, *colon;
	size_t hl, pl;

	if (strncmp(url, "http://", 7))
		return -EINVAL;
	h = url + 7;
	slash = strchr(h, '/');
	hl = slash ? (size_t)(slash - h) : strlen(h);
	colon = memchr(h, ':', hl);
	if (!hl || hl >= sizeof(p->host) || (colon && colon == h))
		return -EINVAL;
	snprintf(p->host, sizeof(p->host), "%.*s", (int)(colon ? colon - h : (ptrdiff_t)hl), h);
	if (colon) {
		size_t n = hl - (size_t)(colon + 1 - h);

		if (!n || n >= sizeof(p->port) || strspn(colon + 1, "0123456789") < n)
			return -EINVAL;
		snprintf(p->port, sizeof(p->port), "%.*s", (int)n, colon + 1);
	} else {
		snprintf(p->port, sizeof(p->port), "80");
	}
	pl = slash ? strlen(slash) : 0;
	while (pl && slash[pl - 1] == '/')
		pl--;
	if (pl + sizeof("/ingest") > sizeof(p->path))
		return -EINVAL;
	if (pl >= 7 && !strncmp(slash + pl - 7, "/ingest", 7))
		snprintf(p->path, sizeof(p->path), "%.*s", (int)pl, slash);
	else
		snprintf(p->path, sizeof(p->path), "%.*s/ingest", (int)pl, pl ? slash : "");
	return 0;
}

static int url_escape(struct profd_strbuf *sb, const char *s)
{
	int err = 0;

	for (; *s && !err; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    strchr("-._~", c))
			err = profd_strbuf_printf(sb, "%c", c);
		else
			err = profd_strbuf_printf(sb, "%%%02X", c);
	}
	return err;
}

/* "k=v,k=v": keys are label names, values have no ',' '{' '}' '='. Appends ",k=v" pairs. */
static int add_labels(struct profd_strbuf *sb, const char *labels)
{
	const char *s = labels;

	while (s && *s) {
		const char *end = strchr(s, ','), *eq;
		size_t n = end ? (size_t)(end - s) : strlen(s);
		char pair[256];

		eq = memchr(s, '=', n);
		if (!eq || eq == s || n >= sizeof(pair) || strcspn(s, "{}") < n ||
		    memchr(eq + 1, '=', n - (size_t)(eq + 1 - s)))
			return -EINVAL;
		for (const char *k = s; k < eq; k++)
			if (!strchr(
				"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_",
				*k))
				return -EINVAL;
		snprintf(pair, sizeof(pair), ",%.*s", (int)n, s);
		if (url_escape(sb, pair))
			return -ENOMEM;
		s = end ? end + 1 : NULL;
	}
	return 0;
}

static int build_name(struct prof_push *p, const char *labels)
{
	struct profd_strbuf sb = {0};
	char host[256] = "unknown";
	int err;

	gethostname(host, sizeof(host) - 1);
	err = url_escape(&sb, "profd.cpu{hostname=");
	err = err ?: url_escape(&sb, host);
	err = err ?: add_labels(&sb, labels);
	err = err ?: url_escape(&sb, "}");
	if (err) {
		profd_strbuf_release(&sb);
		return err;
	}
	p->name = profd_strbuf_detach(&sb, NULL);
	return p->name ? 0 : -ENOMEM;
}

static int send_all(int fd, const void *buf, size_t len)
{
	const char *c = buf;

	while (len) {
		ssize_t n = send(fd, c, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		c += n;
		len -= (size_t)n;
	}
	return 0;
}

static int connect_to(const struct prof_push *p)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res, *ai;
	struct timeval tv = {.tv_sec = IO_TIMEOUT_S};
	int fd = -1, rc = getaddrinfo(p->host, p->port, &hints, &res);

	if (rc)
		return -EHOSTUNREACH;
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
		if (fd < 0)
			continue;
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		if (!connect(fd, ai->ai_addr, ai->ai_addrlen))
			break;
		rc = -errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	return fd >= 0 ? fd : (rc ? rc : -ECONNREFUSED);
}

/* ---- the spool ---- */

/* One POST; 0 for a 2xx answer, -EPROTO for another status, else -errno. */
static int post(struct prof_push *p, const struct item *it, int *status)
{
	char head[2048], resp[64];
	int fd, n, err;
	ssize_t got;

	n = snprintf(head, sizeof(head),
		     "POST %s?name=%s&from=%lld&until=%lld&format=pprof&sampleRate=%d&spyName=profd"
		     " HTTP/1.1\r\nHost: %s:%s\r\nUser-Agent: profd/" PROFD_VERSION "\r\n"
		     "Content-Type: multipart/form-data; boundary=" BOUNDARY "\r\n"
		     "Content-Length: %zu\r\nConnection: close\r\n\r\n",
		     p->path, p->name, (long long)(it->start_ns / 1000000000),
		     (long long)((it->end_ns + 999999999) / 1000000000), p->freq, p->host, p->port,
		     strlen(PART_HEAD) + it->len + strlen(PART_TAIL));
	if (n < 0 || (size_t)n >= sizeof(head))
		return -ENAMETOOLONG;
	fd = connect_to(p);
	if (fd < 0)
		return fd;
	err = send_all(fd, head, (size_t)n);
	err = err ?: send_all(fd, PART_HEAD, strlen(PART_HEAD));
	err = err ?: send_all(fd, it->body, it->len);
	err = err ?: send_all(fd, PART_TAIL, strlen(PART_TAIL));
	if (!err) {
		got = recv(fd, resp, sizeof(resp) - 1, 0);
		if (got <= 0)
			err = got < 0 ? -errno : -ECONNRESET;
		else {
			resp[got] = '\0';
			if (sscanf(resp, "HTTP/%*d.%*d %d", status) != 1)
				err = -EPROTO;
			else if (*status < 200 || *status > 299)
				err = -EPROTO;
		}
	}
	close(fd);
	return err;
}

static void drop_head(struct prof_push *p)
{
	struct item *it = &p->q[p->head];

	p->bytes -= it->len;
	free(it->body);
	p->head = (p->head + 1) % QUEUE_MAX;
	p->n--;
}

/* Drops the oldest window that is not being sent. */
static void drop_oldest(struct prof_push *p)
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
static void wait_until(struct prof_push *p, int64_t at)
{
	struct timespec ts = {.tv_sec = at / 1000, .tv_nsec = (at % 1000) * 1000000};

	pthread_cond_timedwait(&p->cond, &p->lock, &ts);
}

/* Copies the spool's numbers where /metrics reads them; p->lock held. */
static void spool_publish(struct prof_push *p)
{
	prof_spool__stats(p->spool, &p->st.spool_files, &p->st.spool_bytes, &p->st.spool_damaged);
}

/* Moves every queued window to the spool; p->lock held, released during the writes. */
static void spill(struct prof_push *p)
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
		dropped += (uint64_t)prof_spool__add(p->spool, its[i].start_ns, its[i].end_ns,
						     its[i].body, its[i].len);
		free(its[i].body);
	}
	pthread_mutex_lock(&p->lock);
	p->st.dropped += dropped;
	spool_publish(p);
}

/* A 4xx other than 408 and 429 says this request is wrong: sending it again cannot help. */
static bool refused(int err, int status)
{
	return err == -EPROTO && status >= 400 && status < 500 && status != 408 && status != 429;
}

/*
 * Sends the oldest window: the spool's, if it holds any, else the queue's head. p->lock held,
 * released during the I/O. Returns 0 when it was accepted, 1 when a damaged spool file was
 * skipped instead, 2 when the backend refused the window for good (it is dropped, so the ones
 * behind it go on), else -errno.
 */
static int send_oldest(struct prof_push *p, int *status)
{
	struct item it;
	int err;

	if (p->spool && p->st.spool_files) {
		pthread_mutex_unlock(&p->lock);
		err = prof_spool__oldest(p->spool, &it.start_ns, &it.end_ns, &it.body, &it.len);
		if (!err) {
			err = post(p, &it, status);
			free(it.body);
			if (refused(err, *status))
				err = 2;
			if (err >= 0)
				prof_spool__pop(p->spool);
		}
		pthread_mutex_lock(&p->lock);
		spool_publish(p);
		return err == -EBADMSG ? 1 : err;
	}
	it = p->q[p->head];
	p->busy = true;
	pthread_mutex_unlock(&p->lock);
	err = post(p, &it, status);
	pthread_mutex_lock(&p->lock);
	p->busy = false;
	if (refused(err, *status))
		err = 2;
	if (err >= 0)
		drop_head(p);
	return err;
}

static void attempt(struct prof_push *p)
{
	int status = 0, err = send_oldest(p, &status);

	if (err == 2) {
		p->st.rejected++;
		pr_warn_once("push: %s:%s%s: HTTP status %d: window dropped, not retried", p->host,
			     p->port, p->path, status);
		return;
	}
	if (err > 0)
		return;
	if (!err) {
		p->st.sent++;
		p->down = false;
		p->backoff_ms = 0;
		return;
	}
	p->st.failures++;
	if (status)
		pr_warn_once("push: %s:%s%s: HTTP status %d (retrying)", p->host, p->port, p->path,
			     status);
	else
		pr_warn_once("push: %s:%s: %s (retrying)", p->host, p->port, strerror(-err));
	p->down = true;
	p->backoff_ms = p->backoff_ms ? p->backoff_ms * 2 : BACKOFF_MIN_MS;
	if (p->backoff_ms > BACKOFF_MAX_MS)
		p->backoff_ms = BACKOFF_MAX_MS;
	p->retry_at = mono_ms() + p->backoff_ms;
}

/* What an earlier run left in the spool is indexed here, off the sampling thread. */
static void spool_start(struct prof_push *p)
{
	int dropped = prof_spool__scan(p->spool);

	if (dropped < 0)
		pr_warn("push: spool %s: cannot read: %s", prof_spool__dir(p->spool),
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
	struct prof_push *p = arg;

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

static int start_thread(struct prof_push *p)
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

struct prof_push *prof_push__new(const struct prof_push_opts *o)
{
	struct prof_push *p = calloc(1, sizeof(*p));
	int err;

	if (!p)
		return NULL;
	p->freq = o->freq;
	err = parse_url(p, o->url);
	if (err)
		pr_warn("--push %s: expected http://HOST[:PORT][/PATH]", o->url);
	else if ((err = build_name(p, o->labels)))
		pr_warn("--labels %s: expected KEY=VALUE[,KEY=VALUE...]",
			o->labels ? o->labels : "");
	if (!err && o->spool_dir && !(p->spool = prof_spool__open(o->spool_dir, o->spool_bytes))) {
		err = -errno;
		pr_warn("push: spool %s: %s", o->spool_dir, strerror(errno));
	}
	err = err ?: start_thread(p);
	if (err) {
		prof_spool__free(p->spool);
		free(p->name);
		free(p);
		errno = -err;
		return NULL;
	}
	return p;
}

void prof_push__free(struct prof_push *p)
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
	prof_spool__free(p->spool);
	free(p->name);
	free(p);
}

/* The gzip pprof of w; the multipart framing is added when it is sent. */
static int encode(const struct fmt_profile *w, void **out, size_t *len)
{
	FILE *mem = open_memstream((char **)out, len);
	int err;

	if (!mem)
		return -errno;
	err = fmt_pprof_write(w, mem, NULL);
	if (fclose(mem) && !err)
		err = -ENOMEM;
	if (err)
		free(*out);
	return err;
}

int prof_push__window(struct prof_push *p, const struct fmt_profile *w, int64_t start_ns,
		      int64_t end_ns)
{
	struct item it = {.start_ns = start_ns, .end_ns = end_ns};
	int err = encode(w, &it.body, &it.len);

	if (err)
		return err;
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

void prof_push__stats(struct prof_push *p, struct prof_push_stats *out)
{
	pthread_mutex_lock(&p->lock);
	*out = p->st;
	out->queued = p->n;
	out->queued_bytes = p->bytes;
	pthread_mutex_unlock(&p->lock);
}
