// SPDX-License-Identifier: MIT
/*
 * --push URL: each window goes to Grafana Pyroscope's HTTP ingest API (POST /ingest,
 * format=pprof, the gzip pprof as the multipart field "profile"), from a thread of its own with
 * a bounded queue, so a slow or absent backend never holds up sampling. Failed sends are retried
 * with exponential backoff; when the queue is full the oldest window is dropped and counted.
 * Plain http:// only.
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

#include "common/log.h"
#include "common/strbuf.h"
#include "profiler/push_internal.h"

/* Windows waiting: an hour of 60 s windows, a minute of 1 s ones. */
#define QUEUE_MAX 64
#define QUEUE_BYTES (32u << 20) /* and at most this many bytes of them */
#define BACKOFF_MIN_MS 500
#define BACKOFF_MAX_MS 60000
#define IO_TIMEOUT_S 10
#define BOUNDARY "profd-7b1f0c9e3a"

struct item {
	void *body; /* the whole multipart body */
	size_t len;
	int64_t from_s, until_s;
};

struct prof_push {
	char host[256], port[8], path[512];
	char *name; /* URL-encoded "profd.cpu{hostname=...,k=v}" */
	int freq;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct item q[QUEUE_MAX];
	size_t head, n, bytes;
	bool busy; /* the head is being sent: the producer must not free it */
	bool stop;
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
		     p->path, p->name, (long long)it->from_s, (long long)it->until_s, p->freq,
		     p->host, p->port, it->len);
	if (n < 0 || (size_t)n >= sizeof(head))
		return -ENAMETOOLONG;
	fd = connect_to(p);
	if (fd < 0)
		return fd;
	err = send_all(fd, head, (size_t)n);
	err = err ?: send_all(fd, it->body, it->len);
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

static void wait_ms(struct prof_push *p, int ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (long)(ms % 1000) * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	pthread_cond_timedwait(&p->cond, &p->lock, &ts);
}

static void *push_thread(void *arg)
{
	struct prof_push *p = arg;
	int backoff = 0;

	pthread_mutex_lock(&p->lock);
	for (;;) {
		struct item it;
		int status = 0, err;

		while (!p->n && !p->stop)
			pthread_cond_wait(&p->cond, &p->lock);
		if (!p->n)
			break;
		it = p->q[p->head];
		p->busy = true;
		pthread_mutex_unlock(&p->lock);
		err = post(p, &it, &status);
		pthread_mutex_lock(&p->lock);
		p->busy = false;
		if (!err) {
			p->st.sent++;
			drop_head(p);
			backoff = 0;
			continue;
		}
		p->st.failures++;
		if (status)
			pr_warn_once("push: %s:%s%s: HTTP status %d (retrying)", p->host, p->port,
				     p->path, status);
		else
			pr_warn_once("push: %s:%s: %s (retrying)", p->host, p->port,
				     strerror(-err));
		if (p->stop)
			break;
		backoff = backoff ? backoff * 2 : BACKOFF_MIN_MS;
		if (backoff > BACKOFF_MAX_MS)
			backoff = BACKOFF_MAX_MS;
		wait_ms(p, backoff);
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

struct prof_push *prof_push__new(const char *url, const char *labels, int freq)
{
	struct prof_push *p = calloc(1, sizeof(*p));
	int err;

	if (!p)
		return NULL;
	p->freq = freq;
	err = parse_url(p, url);
	if (err)
		pr_warn("--push %s: expected http://HOST[:PORT][/PATH]", url);
	else if ((err = build_name(p, labels)))
		pr_warn("--labels %s: expected KEY=VALUE[,KEY=VALUE...]", labels ? labels : "");
	if (!err) {
		pthread_mutex_init(&p->lock, NULL);
		pthread_cond_init(&p->cond, NULL);
		err = -pthread_create(&p->thread, NULL, push_thread, p);
		if (err)
			pr_warn("push: cannot start its thread: %s", strerror(-err));
	}
	if (err) {
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
	free(p->name);
	free(p);
}

/* The multipart body: one part "profile", the gzip pprof of w. */
static int encode(const struct fmt_profile *w, void **out, size_t *len)
{
	FILE *mem = open_memstream((char **)out, len);
	int err;

	if (!mem)
		return -errno;
	fputs("--" BOUNDARY "\r\nContent-Disposition: form-data; name=\"profile\"; "
	      "filename=\"profile.pprof\"\r\nContent-Type: application/octet-stream\r\n\r\n",
	      mem);
	err = fmt_pprof_write(w, mem, NULL);
	fputs("\r\n--" BOUNDARY "--\r\n", mem);
	if (fclose(mem) && !err)
		err = -ENOMEM;
	if (err)
		free(*out);
	return err;
}

int prof_push__window(struct prof_push *p, const struct fmt_profile *w, int64_t start_ns,
		      int64_t end_ns)
{
	struct item it = {.from_s = start_ns / 1000000000,
			  .until_s = (end_ns + 999999999) / 1000000000};
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
