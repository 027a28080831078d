// SPDX-License-Identifier: MIT
/*
 * One window to Grafana Pyroscope's HTTP ingest API: POST /ingest?name=...&format=pprof with the
 * gzip pprof as the multipart file field "profile", one request per service.
 *
 * A service is what a fleet names its workloads by: the systemd unit a sample ran in, or its
 * container, else its program. Each gets a series of its own: "name" is the service, which
 * Pyroscope takes as service_name, with hostname, --labels, and the unit, container or pod as
 * series labels; the samples keep their pid, comm and cgroup labels inside the pprof.
 *
 * Pyroscope's ingest reference says that with format=pprof, "name" holds only the prefix of the
 * application name: the profile type found in the data is appended to it ("my-app{}" is shown
 * as "my-app.cpu{}"), and its pprof ingester takes the name as service_name as it is. So the
 * name sent is the bare service, never "service.cpu".
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "common/strbuf.h"
#include "store/store_internal.h"

#define OTHER "other"

/* Pyroscope's application names take letters, digits and "_.-/": anything else becomes '_'. */
static void app_name(char *dst, size_t size, const char *src, size_t n)
{
	size_t o = 0;

	for (size_t i = 0; i < n && src[i] && o + 1 < size; i++) {
		char c = src[i];

		dst[o++] = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
				   (c >= '0' && c <= '9') || strchr("_.-/", c) ? c : '_';
	}
	dst[o] = '\0';
	if (!o)
		snprintf(dst, size, "unknown");
}

/* The service a sample belongs to; its cgroup if the cgroup names it. */
static void service_of(const struct fmt_profile *p, const struct fmt_sample *s,
		       struct store_series *out)
{
	const struct fmt_cgroup *c = fmt_profile__cgroup(p, s);
	const char *id = c ? fmt_profile__str(p, c->container_id) : "";
	const char *unit = c ? fmt_profile__str(p, c->systemd_unit) : "";
	size_t ul = strlen(unit);
	char buf[STORE_SERIES_NAME_MAX];

	out->cgroup = NULL;
	if (*id) { /* docker's short id */
		snprintf(buf, sizeof(buf), "container/%.12s", id);
		app_name(out->name, sizeof(out->name), buf, sizeof(buf));
		out->cgroup = c;
	} else if (ul > 8 && !strcmp(unit + ul - 8, ".service")) {
		app_name(out->name, sizeof(out->name), unit, ul - 8);
		out->cgroup = c;
	} else {
		const char *comm = fmt_profile__str(p, s->comm);

		app_name(out->name, sizeof(out->name), comm, strlen(comm));
	}
}

static int cmp_service(const void *a, const void *b)
{
	const struct store_series *x = a, *y = b;

	if (x->samples != y->samples)
		return x->samples > y->samples ? -1 : 1;
	return strcmp(x->name, y->name);
}

int store_pyroscope_series(const struct fmt_profile *p, struct store_series **out,
			   uint32_t *of_sample)
{
	struct store_series *sv = NULL, one;
	size_t n = 0, cap = 0;

	for (size_t i = 0; i < p->nsamples; i++) {
		size_t j;

		service_of(p, &p->samples[i], &one);
		for (j = 0; j < n && strcmp(sv[j].name, one.name); j++)
			;
		if (j == n) {
			if (n == cap) {
				struct store_series *q = realloc(sv, (cap = cap ? cap * 2 : 16) * sizeof(*q));

				if (!q) {
					free(sv);
					return -ENOMEM;
				}
				sv = q;
			}
			sv[n] = one;
			sv[n++].samples = 0;
		}
		if (sv[j].cgroup != one.cgroup) /* one name, several cgroups: label none */
			sv[j].cgroup = NULL;
		sv[j].samples += p->samples[i].count;
	}
	qsort(sv, n, sizeof(*sv), cmp_service);
	if (n > STORE_PUSH_SERIES_MAX) {
		n = STORE_PUSH_SERIES_MAX;
		snprintf(sv[n - 1].name, sizeof(sv[n - 1].name), OTHER);
		sv[n - 1].cgroup = NULL;
	}
	for (size_t i = 0; i < p->nsamples; i++) {
		service_of(p, &p->samples[i], &one);
		of_sample[i] = n - 1; /* not among the first: "other" */
		for (size_t j = 0; j < n; j++)
			if (!strcmp(sv[j].name, one.name))
				of_sample[i] = (uint32_t)j;
	}
	*out = sv;
	return (int)n;
}

struct pick {
	const uint32_t *of_sample;
	uint32_t service;
};

static bool in_service(const struct fmt_profile *p, const struct fmt_sample *s, void *ctx)
{
	const struct pick *k = ctx;

	return k->of_sample[s - p->samples] == k->service;
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

/* A label value cleared of what would end it early in Pyroscope's name syntax. */
static void clean_value(char *v, size_t size, const char *value)
{
	size_t i;

	for (i = 0; value[i] && i + 1 < size; i++)
		v[i] = strchr(",{}=", value[i]) || (unsigned char)value[i] < 0x20 ? '_' : value[i];
	v[i] = '\0';
}

/* ",key=value", nothing for an empty value. */
static int add_label(struct profd_strbuf *sb, const char *key, const char *value)
{
	char v[256];

	if (!*value)
		return 0;
	clean_value(v, sizeof(v), value);
	return profd_strbuf_printf(sb, ",%s=%s", key, v);
}

/* "POST .../ingest?name=SERVICE{labels}&from=..." for one service. */
static char *service_url(const struct store_pyroscope *p, const struct fmt_profile *w,
			 const struct store_series *sv, int64_t start_ns, int64_t end_ns)
{
	struct profd_strbuf name = {0}, url = {0};
	const struct fmt_cgroup *c = sv->cgroup;
	int err;

	err = profd_strbuf_printf(&name, "%s{%s", sv->name, p->labels);
	if (c) {
		err = err ?: add_label(&name, "systemd_unit", fmt_profile__str(w, c->systemd_unit));
		err = err ?: add_label(&name, "container_id", fmt_profile__str(w, c->container_id));
		err = err ?: add_label(&name, "pod_uid", fmt_profile__str(w, c->pod_uid));
	}
	err = err ?: profd_strbuf_puts(&name, "}");
	err = err ?: profd_strbuf_printf(&url, "%s?name=", p->ingest);
	err = err ?: url_escape(&url, name.buf);
	err = err ?: profd_strbuf_printf(&url, "&from=%lld&until=%lld&format=pprof&sampleRate=%d"
					 "&spyName=profd",
					 (long long)(start_ns / 1000000000),
					 (long long)((end_ns + 999999999) / 1000000000), p->freq);
	profd_strbuf_release(&name);
	if (err) {
		profd_strbuf_release(&url);
		return NULL;
	}
	return profd_strbuf_detach(&url, NULL);
}

/* The gzip pprof of one service's samples. */
static int encode(const struct store_pyroscope *p, const struct fmt_profile *w, struct pick *k,
		  char **out, size_t *len)
{
	struct fmt_filter f = {.match = in_service, .ctx = k};
	struct fmt_pprof_opts o = {.filter = &f, .full_names = p->full_names};

	return fmt_pprof_to_memory(w, &o, out, len);
}

static int decode(const void *body, size_t len, struct fmt_profile **out)
{
	struct fmt_profile *w = fmt_profile__new(0);
	FILE *in = w ? fmemopen((void *)body, len, "r") : NULL;
	struct fmt_error e;
	int err = -ENOMEM;

	if (in) {
		err = fmt_pprof_read(w, in, &e);
		fclose(in);
	}
	if (err) {
		fmt_profile__free(w);
		return err;
	}
	*out = w;
	return 0;
}

/* POSTs the services from *done on; stops at the first failure that a retry may cure. */
static void send_services(struct store_pyroscope *p, const struct fmt_profile *w,
			  const struct store_series *sv, size_t n, struct pick *k, int64_t start_ns,
			  int64_t end_ns, size_t *done, uint64_t *refused, struct store_http_result *r)
{
	r->outcome = STORE_HTTP_OK;
	for (; *done < n; (*done)++) {
		char *url, *gz = NULL;
		size_t gzlen = 0;

		k->service = (uint32_t)*done;
		url = service_url(p, w, &sv[*done], start_ns, end_ns);
		if (!url || encode(p, w, k, &gz, &gzlen)) {
			free(url);
			*r = (struct store_http_result){.outcome = STORE_HTTP_RETRY, .why = "out of memory"};
			return;
		}
		store_http__post_file(p->http, url, "profile", "profile.pprof", gz, gzlen, r);
		free(url);
		free(gz);
		if (r->outcome == STORE_HTTP_REFUSED) {
			(*refused)++;
			pr_warn_once("push: %s: %s for series %s: dropped, not sent again", p->ingest,
				     r->why, sv[*done].name);
		} else if (r->outcome != STORE_HTTP_OK) {
			return;
		}
	}
	r->outcome = STORE_HTTP_OK;
}

int store_pyroscope__send(struct store_pyroscope *p, int64_t start_ns, int64_t end_ns,
			  const void *body, size_t len, size_t *done, uint64_t *refused,
			  struct store_http_result *r)
{
	struct fmt_profile *w;
	struct store_series *sv = NULL;
	uint32_t *of_sample;
	struct pick k;
	int n, err = decode(body, len, &w);

	if (err)
		return err;
	of_sample = calloc(w->nsamples + 1, sizeof(*of_sample));
	n = of_sample ? store_pyroscope_series(w, &sv, of_sample) : -ENOMEM;
	if (n >= 0) {
		k.of_sample = of_sample;
		send_services(p, w, sv, (size_t)n, &k, start_ns, end_ns, done, refused, r);
	}
	free(sv);
	free(of_sample);
	fmt_profile__free(w);
	return n;
}

/* ---- set-up ---- */

/* "k=v,k=v": keys are label names, values have no ',' '{' '}' '='. Appends ",k=v" pairs. */
static int add_user_labels(struct profd_strbuf *sb, const char *labels)
{
	const char *s = labels;

	while (s && *s) {
		const char *end = strchr(s, ','), *eq;
		size_t n = end ? (size_t)(end - s) : strlen(s);

		eq = memchr(s, '=', n);
		if (!eq || eq == s || n >= 256 || strcspn(s, "{}") < n ||
		    memchr(eq + 1, '=', n - (size_t)(eq + 1 - s)))
			return -EINVAL;
		for (const char *k = s; k < eq; k++)
			if (!strchr(
				"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_",
				*k))
				return -EINVAL;
		if (profd_strbuf_printf(sb, ",%.*s", (int)n, s))
			return -ENOMEM;
		s = end ? end + 1 : NULL;
	}
	return 0;
}

static int build_labels(struct store_pyroscope *p, const char *labels)
{
	struct profd_strbuf sb = {0};
	char host[256] = "unknown", v[256];
	int err;

	gethostname(host, sizeof(host) - 1);
	clean_value(v, sizeof(v), host);
	err = profd_strbuf_printf(&sb, "hostname=%s", v);
	err = err ?: add_user_labels(&sb, labels);
	if (err) {
		profd_strbuf_release(&sb);
		return err;
	}
	p->labels = profd_strbuf_detach(&sb, NULL);
	return p->labels ? 0 : -ENOMEM;
}

/* The first line of --push-auth-file, "USER:PASSWORD". */
static int read_auth_file(const char *path, char **userpwd)
{
	FILE *f = fopen(path, "re");
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int err;

	if (!f) {
		err = -errno;
		pr_warn("push: --push-auth-file %s: %s", path, strerror(-err));
		return err;
	}
	n = getline(&line, &cap, f);
	fclose(f);
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	if (n <= 0 || n > 4096 || !strchr(line, ':') || line[0] == ':') {
		if (line)
			explicit_bzero(line, cap);
		free(line);
		pr_warn("push: --push-auth-file %s: expected USER:PASSWORD on its first line", path);
		return -EINVAL;
	}
	*userpwd = line;
	return 0;
}

/* The ingest URL, credentials from the URL or the file (not both). */
static int read_url(struct store_pyroscope *p, const struct store_push_opts *o, char **userpwd)
{
	char *base = NULL;
	size_t n;
	int err = store_http_parse_url(o->url, &base, userpwd);

	if (err) {
		if (err == -EINVAL)
			pr_warn("push: --push: expected http[s]://[USER:PASSWORD@]HOST[:PORT][/PATH]");
		return err;
	}
	n = strlen(base);
	if (asprintf(&p->ingest, "%s%s", base,
		     n >= 7 && !strcmp(base + n - 7, "/ingest") ? "" : "/ingest") < 0)
		p->ingest = NULL;
	free(base);
	if (!p->ingest)
		return -ENOMEM;
	if (*userpwd && o->auth_file) {
		pr_warn("push: credentials in both --push and --push-auth-file: give one");
		return -EINVAL;
	}
	return o->auth_file ? read_auth_file(o->auth_file, userpwd) : 0;
}

/* --push-ca read now: a file that is missing is bad input, not a TLS failure an hour later. */
static int check_ca_file(const char *path)
{
	FILE *f = path ? fopen(path, "re") : NULL;
	int err;

	if (!path)
		return 0;
	if (!f) {
		err = -errno;
		pr_warn("push: --push-ca %s: %s", path, strerror(-err));
		return err;
	}
	fclose(f);
	return 0;
}

int store_pyroscope__init(struct store_pyroscope *p, const struct store_push_opts *o)
{
	struct store_http_opts ho = {.ca_file = o->ca_file, .headers = o->headers,
				     .nheaders = o->nheaders};
	char *userpwd = NULL;
	int err;

	memset(p, 0, sizeof(*p));
	p->freq = o->freq;
	p->full_names = o->full_names;
	err = read_url(p, o, &userpwd) ?: check_ca_file(o->ca_file);
	if (!err && (err = build_labels(p, o->labels)) == -EINVAL)
		pr_warn("push: --labels %s: expected KEY=VALUE[,KEY=VALUE...]", o->labels);
	if (!err && userpwd && !strncmp(p->ingest, "http:", 5))
		pr_warn("push: %s: credentials go unencrypted over http", p->ingest);
	ho.userpwd = userpwd;
	if (!err && !(p->http = store_http__new(&ho))) {
		err = -errno;
		pr_warn("push: cannot set up the HTTP client: %s", strerror(-err));
	}
	if (userpwd) {
		explicit_bzero(userpwd, strlen(userpwd));
		free(userpwd);
	}
	if (err)
		store_pyroscope__release(p);
	return err;
}

void store_pyroscope__release(struct store_pyroscope *p)
{
	store_http__free(p->http);
	free(p->ingest);
	free(p->labels);
	memset(p, 0, sizeof(*p));
}
