// SPDX-License-Identifier: MIT
/*
 * One window to Grafana Pyroscope's HTTP ingest API: POST /ingest, format=pprof, the gzip pprof
 * as the multipart field "profile", named "profd.cpu{hostname=...,labels}". Plain http:// only;
 * every send is one connection with a timeout, so a backend that hangs cannot hold the push
 * thread for long.
 */
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "common/log.h"
#include "common/strbuf.h"
#include "store/store_internal.h"

#define IO_TIMEOUT_S 10
#define BOUNDARY "profd-7b1f0c9e3a"
#define PART_HEAD                                                                                  \
	"--" BOUNDARY "\r\nContent-Disposition: form-data; name=\"profile\"; "                     \
	"filename=\"profile.pprof\"\r\nContent-Type: application/octet-stream\r\n\r\n"
#define PART_TAIL "\r\n--" BOUNDARY "--\r\n"

/* http://HOST[:PORT][/PATH]; the ingest path is PATH + "/ingest" unless PATH already ends so. */
static int parse_url(struct store_pyroscope *p, const char *url)
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

static int build_name(struct store_pyroscope *p, const char *app, const char *labels)
{
	struct profd_strbuf sb = {0};
	char host[256] = "unknown";
	int err;

	gethostname(host, sizeof(host) - 1);
	err = url_escape(&sb, app);
	err = err ?: url_escape(&sb, "{hostname=");
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

static int connect_to(const struct store_pyroscope *p)
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

int store_pyroscope__post(const struct store_pyroscope *p, int64_t start_ns, int64_t end_ns,
			  const void *body, size_t len, int *status)
{
	char head[2048], resp[64];
	int fd, n, err;
	ssize_t got;

	n = snprintf(head, sizeof(head),
		     "POST %s?name=%s&from=%lld&until=%lld&format=pprof&sampleRate=%d&spyName=profd"
		     " HTTP/1.1\r\nHost: %s:%s\r\nUser-Agent: profd/" PROFD_VERSION "\r\n"
		     "Content-Type: multipart/form-data; boundary=" BOUNDARY "\r\n"
		     "Content-Length: %zu\r\nConnection: close\r\n\r\n",
		     p->path, p->name, (long long)(start_ns / 1000000000),
		     (long long)((end_ns + 999999999) / 1000000000), p->freq, p->host, p->port,
		     strlen(PART_HEAD) + len + strlen(PART_TAIL));
	if (n < 0 || (size_t)n >= sizeof(head))
		return -ENAMETOOLONG;
	fd = connect_to(p);
	if (fd < 0)
		return fd;
	err = send_all(fd, head, (size_t)n);
	err = err ?: send_all(fd, PART_HEAD, strlen(PART_HEAD));
	err = err ?: send_all(fd, body, len);
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

int store_pyroscope__init(struct store_pyroscope *p, const char *url, const char *app,
			  const char *labels, int freq)
{
	int err;

	memset(p, 0, sizeof(*p));
	p->freq = freq;
	err = parse_url(p, url);
	if (err) {
		pr_warn("--push %s: expected http://HOST[:PORT][/PATH]", url);
		return err;
	}
	err = build_name(p, app, labels);
	if (err)
		pr_warn("--labels %s: expected KEY=VALUE[,KEY=VALUE...]", labels ? labels : "");
	return err;
}

void store_pyroscope__release(struct store_pyroscope *p)
{
	free(p->name);
	p->name = NULL;
}
