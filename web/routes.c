// SPDX-License-Identifier: MIT
/*
 * The endpoints. Each handler parses its parameters, asks the source for a private copy of the
 * samples it needs, and renders that copy: nothing is rendered while the source is locked.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "web/web_internal.h"

#define CT_JSON "application/json"
#define CT_SVG "image/svg+xml"
#define CT_TEXT "text/plain; charset=utf-8"

/*
 * The page: its own scripts and style only, and data from this server. Nothing from anywhere
 * else can load, so the page works offline and injected markup cannot run script.
 */
static const char csp_page[] = "default-src 'none'; script-src 'self'; style-src 'self'; "
			       "img-src 'self'; connect-src 'self'; base-uri 'none'; "
			       "form-action 'none'; frame-ancestors 'none'";
/* A flame graph runs its own inline script and style, and loads nothing. */
static const char csp_svg[] = "default-src 'none'; script-src 'unsafe-inline'; "
			      "style-src 'unsafe-inline'; frame-ancestors 'self'";

const struct web_asset *web_asset_find(const char *name)
{
	for (size_t i = 0; i < web_nassets; i++)
		if (strcmp(web_assets[i].name, name) == 0)
			return &web_assets[i];
	return NULL;
}

/* The page's own files: the one its path names, index.html for "/". */
static int page_file(const struct web_request *rq, struct web_reply *rp)
{
	const char *name = strcmp(rq->path, "/") == 0 ? "index.html" : rq->path + 1;
	const struct web_asset *a = web_asset_find(name);

	if (!a)
		return web_reply_error(rp, 404, "%s is not built into this profd", name);
	rp->status = 200;
	rp->content_type = a->type;
	rp->body = (char *)a->data;
	rp->len = a->len;
	rp->kind = WEB_BODY_STATIC;
	rp->csp = csp_page;
	return 0;
}

static int healthz(const struct web_request *rq, struct web_reply *rp)
{
	rp->status = 200;
	rp->content_type = CT_TEXT;
	rp->body = (char *)"ok\n";
	rp->len = 3;
	rp->kind = WEB_BODY_STATIC;
	return 0;
}

/* Prometheus text: what the agent says about itself, or 404 where the source has nothing. */
static int metrics(const struct web_request *rq, struct web_reply *rp)
{
	struct profd_strbuf sb = {0};
	int err;

	if (!rq->src->metrics)
		return web_reply_error(rp, 404, "no metrics here: /metrics is served by profd agent");
	err = rq->src->metrics(rq->src->ctx, &sb);
	if (err) {
		profd_strbuf_release(&sb);
		return web_reply_error(rp, 500, "cannot read the metrics: %s", strerror(-err));
	}
	return web_reply_strbuf(rp, &sb, "text/plain; version=0.0.4; charset=utf-8");
}

/* ---- JSON ---- */

/* Replies sb as JSON, or with a 500 where building it failed (err); takes sb either way. */
static int reply_json(struct web_reply *rp, struct profd_strbuf *sb, int err)
{
	if (err) {
		profd_strbuf_release(sb);
		return web_reply_error(rp, 500, "out of memory");
	}
	return web_reply_strbuf(rp, sb, CT_JSON);
}

/* ",\"cgroup\":...,\"container_id\":...,\"systemd_unit\":..." where the cgroup is known. */
static int put_target_cgroup(struct profd_strbuf *sb, const struct web_target *t)
{
	int err;

	if (!t->cgroup)
		return 0;
	err = profd_strbuf_puts(sb, ",\"cgroup\":");
	err = err ?: web_json_str(sb, t->cgroup);
	err = err ?: profd_strbuf_puts(sb, ",\"container_id\":");
	err = err ?: web_json_str(sb, t->container_id ? t->container_id : "");
	err = err ?: profd_strbuf_puts(sb, ",\"systemd_unit\":");
	return err ?: web_json_str(sb, t->systemd_unit ? t->systemd_unit : "");
}

static int api_targets(const struct web_request *rq, struct web_reply *rp)
{
	struct profd_strbuf sb = {0};
	struct web_target *t = NULL;
	size_t n = 0;
	int err;

	if (web_reply_unchanged(rq, rp))
		return 0;
	err = rq->src->targets(rq->src->ctx, &t, &n);
	if (err)
		return web_reply_error(rp, 500, "cannot list targets: %s", strerror(-err));
	err = profd_strbuf_puts(&sb, "{\"targets\":[");
	for (size_t i = 0; !err && i < n; i++) {
		err = profd_strbuf_printf(&sb, "%s{\"pid\":%u,\"comm\":", i ? "," : "", t[i].pid);
		err = err ?: web_json_str(&sb, t[i].comm);
		err = err ?: profd_strbuf_printf(&sb, ",\"samples\":%lld,\"off_cpu_us\":%lld",
						 (long long)t[i].samples, (long long)t[i].off_cpu_us);
		err = err ?: put_target_cgroup(&sb, &t[i]);
		err = err ?: profd_strbuf_puts(&sb, "}");
	}
	err = err ?: profd_strbuf_puts(&sb, "]}\n");
	web_targets_free(t, n);
	return reply_json(rp, &sb, err) ?: web_reply_compress(rq, rp);
}

static int put_loss(struct profd_strbuf *sb, const struct fmt_loss *l)
{
	return profd_strbuf_printf(sb,
				   "{\"samples_counts_full\":%llu,"
				   "\"stacks_map_full\":%llu,\"stacks_truncated\":%llu,"
				   "\"samples_ringbuf_full\":%llu,\"unwind_failed\":%llu,"
				   "\"stacks_incomplete\":%llu}",
				   (unsigned long long)l->samples_counts_full,
				   (unsigned long long)l->stacks_map_full,
				   (unsigned long long)l->stacks_truncated,
				   (unsigned long long)l->samples_ringbuf_full,
				   (unsigned long long)l->unwind_failed,
				   (unsigned long long)l->stacks_incomplete);
}

static int api_profile(const struct web_request *rq, struct web_reply *rp)
{
	struct web_status st = {0};
	struct profd_strbuf sb = {0};
	int err = rq->src->status(rq->src->ctx, &st);

	if (err)
		return web_reply_error(rp, 500, "cannot read the status: %s", strerror(-err));
	err = profd_strbuf_printf(&sb, "{\"version\":\"%s\",\"mode\":", PROFD_VERSION);
	err = err ?: web_json_str(&sb, st.mode);
	err = err ?: profd_strbuf_puts(&sb, ",\"event\":");
	err = err ?: web_json_str(&sb, st.event);
	err = err ?: profd_strbuf_printf(&sb,
					 ",\"freq\":%d,\"samples\":%lld,\"off_cpu\":%s,"
					 "\"off_cpu_us\":%lld,\"lost\":%llu,\"loss\":",
					 st.freq, (long long)st.samples, st.off_cpu ? "true" : "false",
					 (long long)st.off_cpu_us, (unsigned long long)st.lost);
	err = err ?: put_loss(&sb, &st.loss);
	err = err ?: profd_strbuf_printf(&sb, ",\"start_ns\":%lld,\"elapsed_s\":",
					 (long long)st.start_ns);
	err = err ?: web_json_num(&sb, st.elapsed_s);
	err = err ?: profd_strbuf_puts(&sb, ",\"window_s\":");
	err = err ?: web_json_num(&sb, st.window_s);
	err = err ?: profd_strbuf_puts(&sb, ",\"oldest_s\":");
	err = err ?: web_json_num(&sb, st.oldest_s);
	err = err ?: profd_strbuf_printf(&sb,
					 ",\"windows\":%u,\"max_windows\":%u,\"targets\":%zu,"
					 "\"processes\":%zu,\"pprof\":true,\"store\":%s,"
					 "\"files\":[",
					 st.nwindows, st.max_windows, st.ntargets, st.processes,
					 rq->src->store_info ? "true" : "false");
	for (size_t i = 0; !err && i < rq->src->nfiles; i++) {
		err = i ? profd_strbuf_puts(&sb, ",") : 0;
		err = err ?: web_json_str(&sb, rq->src->files[i]);
	}
	err = err ?: profd_strbuf_puts(&sb, "]}\n");
	return reply_json(rp, &sb, err);
}

/* What the history on disk holds, so the page can bound its time picker. */
static int api_store(const struct web_request *rq, struct web_reply *rp)
{
	struct web_store_info si = {0};
	struct profd_strbuf sb = {0};
	int err;

	if (!rq->src->store_info)
		return web_reply_error(rp, 404,
				       "no store here: /api/store is served by profd agent");
	err = rq->src->store_info(rq->src->ctx, &si);
	if (err)
		return web_reply_error(rp, 500, "cannot read the store: %s", strerror(-err));
	err = profd_strbuf_printf(&sb, "{\"windows\":%llu,\"bytes\":%llu,\"seconds\":",
				  (unsigned long long)si.windows, (unsigned long long)si.bytes);
	err = err ?: web_json_num(&sb, si.covered_ns / 1e9);
	err = err
		  ?: profd_strbuf_printf(&sb, ",\"first_ns\":%lld,\"last_ns\":%lld,\"first\":",
					 (long long)si.first_ns, (long long)si.last_ns);
	err = err ?: web_json_time(&sb, si.windows ? si.first_ns : -1);
	err = err ?: profd_strbuf_puts(&sb, ",\"last\":");
	err = err ?: web_json_time(&sb, si.windows ? si.last_ns : -1);
	err = err ?: profd_strbuf_puts(&sb, "}\n");
	return reply_json(rp, &sb, err);
}

static int api_top(const struct web_request *rq, struct web_reply *rp)
{
	struct web_top_opts o = {.limit = 100};
	struct profd_strbuf sb = {0};
	struct fmt_profile *p;
	struct web_query q;
	const char *sort = NULL, *by = NULL;
	uint64_t limit;
	int err;

	if (web_query_parse(rq, rp, &q) || web_param_text(rq, rp, "sort", 16, &sort) < 0 ||
	    web_param_text(rq, rp, "by", 16, &by) < 0 ||
	    web_param_uint(rq, rp, "limit", 1, 100000, &limit) < 0)
		return -EINVAL;
	if (web_param_find(rq, "limit"))
		o.limit = (size_t)limit;
	if (sort && strcmp(sort, "self") && strcmp(sort, "total"))
		return web_reply_error(rp, 400, "sort: expected self or total");
	if (by && strcmp(by, "function") && strcmp(by, "comm"))
		return web_reply_error(rp, 400, "by: expected function or comm");
	o.by_total = sort && !strcmp(sort, "total");
	o.by_comm = by && !strcmp(by, "comm");
	o.full_names = q.full_names;
	p = web_collect_query(rq, rp, &q);
	if (!p)
		return -EIO;
	err = web_top_json(p, &o, &sb);
	err = err ?: profd_strbuf_puts(&sb, "\n");
	fmt_profile__free(p);
	return reply_json(rp, &sb, err);
}

/* ---- flame graphs and downloads ---- */

/* Parses the query into q and collects its profile; NULL with the error reply set. */
static struct fmt_profile *query_profile(const struct web_request *rq, struct web_reply *rp,
					 struct web_query *q)
{
	return web_query_parse(rq, rp, q) ? NULL : web_collect_query(rq, rp, q);
}

/* A stream into memory that the reply then owns. */
struct membuf {
	FILE *fp;
	char *buf;
	size_t len;
};

static int membuf_open(struct membuf *m, struct web_reply *rp)
{
	memset(m, 0, sizeof(*m));
	m->fp = open_memstream(&m->buf, &m->len);
	if (!m->fp)
		return web_reply_error(rp, 500, "out of memory");
	return 0;
}

/* Closes the stream; on err frees it and sets a 500. */
static int membuf_close(struct membuf *m, struct web_reply *rp, int err, const char *type)
{
	if (fclose(m->fp) && !err)
		err = -EIO;
	if (err) {
		free(m->buf);
		return web_reply_error(rp, 500, "cannot render: %s", strerror(-err));
	}
	rp->status = 200;
	rp->content_type = type;
	rp->body = m->buf;
	rp->len = m->len;
	rp->kind = WEB_BODY_MALLOC;
	return 0;
}

/* A format's writer; opts is what it needs (its options, or the query that sets them). */
typedef int render_fn(const struct fmt_profile *p, FILE *out, const void *opts);

static int write_svg(const struct fmt_profile *p, FILE *out, const void *opts)
{
	return fmt_svg_write(p, out, opts);
}

/* Renders p into the reply's body as type, or sets the error reply; frees p either way. */
static int render(struct web_reply *rp, struct fmt_profile *p, render_fn *write, const void *opts,
		  const char *type)
{
	struct membuf m;
	int err;

	if (membuf_open(&m, rp)) {
		fmt_profile__free(p);
		return -ENOMEM;
	}
	err = write(p, m.fp, opts);
	fmt_profile__free(p);
	return membuf_close(&m, rp, err, type) ? -EIO : 0;
}

/*
 * search=: highlight as if the user had typed the term into the graph's own Search control,
 * so the graph's state (and its "Reset Search") stays what its script expects.
 */
static int put_search_script(struct profd_strbuf *sb, const char *term)
{
	int err = profd_strbuf_puts(sb, "<script type=\"text/ecmascript\"><![CDATA[\n"
					"(function () {\n\"use strict\";\nvar term = ");

	err = err ?: web_js_str(sb, term);
	err = err ?: profd_strbuf_puts(
		sb, ";\n"
		    "try { new RegExp(term); } catch (e) { return; }\n"
		    "var svg = (document.currentScript && document.currentScript.ownerSVGElement) ||\n"
		    "\tdocument.documentElement;\n"
		    "var s = svg.querySelector(\"#search\");\n"
		    "if (!s || !svg.querySelector(\"g.f\")) return;\n"
		    "var saved = window.prompt;\n"
		    "window.prompt = function () { return term; };\n"
		    "try { s.dispatchEvent(new MouseEvent(\"click\")); }\n"
		    "finally { window.prompt = saved; }\n"
		    "})();\n]]></script>\n");
	return err;
}

/* Inserts the search script before the closing </svg> of the rendered graph. */
static int add_search(struct web_reply *rp, const char *term)
{
	static const char close_tag[] = "</svg>\n";
	size_t tail = sizeof(close_tag) - 1;
	struct profd_strbuf sb = {0};
	int err;

	if (rp->len < tail || memcmp(rp->body + rp->len - tail, close_tag, tail))
		return 0;
	err = profd_strbuf_append(&sb, rp->body, rp->len - tail);
	err = err ?: put_search_script(&sb, term);
	err = err ?: profd_strbuf_puts(&sb, close_tag);
	if (err) {
		profd_strbuf_release(&sb);
		return web_reply_error(rp, 500, "out of memory");
	}
	free(rp->body);
	rp->body = profd_strbuf_detach(&sb, &rp->len);
	return 0;
}

/* ", 2026-11-25 14:00:00 to 15:00:00 UTC" (the date again only when it changes). */
static void put_wall_range(char *buf, size_t size, int64_t from_ns, int64_t to_ns)
{
	time_t a = (time_t)(from_ns / 1000000000), b = (time_t)(to_ns / 1000000000);
	char from[32] = "?", to[32] = "?";
	struct tm ta = {0}, tb;

	if (gmtime_r(&a, &ta))
		strftime(from, sizeof(from), "%Y-%m-%d %H:%M:%S", &ta);
	if (gmtime_r(&b, &tb))
		strftime(to, sizeof(to),
			 ta.tm_yday == tb.tm_yday && ta.tm_year == tb.tm_year ? "%H:%M:%S"
									      : "%Y-%m-%d %H:%M:%S",
			 &tb);
	snprintf(buf, size, ", %s to %s UTC", from, to);
}

/* "Flame Graph", "Off-CPU Time Icicle Graph"... */
static const char *graph_kind(enum fmt_type type, bool icicle)
{
	static const char *const kinds[FMT_NTYPES][2] = {
		[FMT_TYPE_CPU] = {"Flame Graph", "Icicle Graph"},
		[FMT_TYPE_OFF_CPU] = {"Off-CPU Time Flame Graph", "Off-CPU Time Icicle Graph"},
		[FMT_TYPE_WALL] = {"Wall Clock Flame Graph", "Wall Clock Icicle Graph"},
	};

	return kinds[type][icicle];
}

/* "1234 samples", or for time "12.345 s off CPU". */
static int put_amount(char *buf, size_t size, const struct fmt_profile *p)
{
	if (p->type == FMT_TYPE_OFF_CPU)
		return snprintf(buf, size, "%.3f s off CPU", p->total / 1e6);
	if (p->type == FMT_TYPE_WALL)
		return snprintf(buf, size, "%.3f s on and off CPU", p->total / 1e6);
	return snprintf(buf, size, "%lld samples", (long long)p->total);
}

static void describe(const struct web_query *q, const struct fmt_profile *p, char *title,
		     size_t tsize, char *sub, size_t ssize)
{
	const char *kind = graph_kind(q->type, q->icicle);
	const char *cg = q->filter.cgroup;
	int n;

	if (q->filter.pid && q->filter.comm)
		snprintf(title, tsize, "%s: %s (pid %u)", kind, q->filter.comm, q->filter.pid);
	else if (q->filter.pid)
		snprintf(title, tsize, "%s: pid %u", kind, q->filter.pid);
	else if (q->filter.comm)
		snprintf(title, tsize, "%s: %s%s%s", kind, q->filter.comm, cg ? " in " : "",
			 cg ? cg : "");
	else if (cg)
		snprintf(title, tsize, "%s: cgroup %s", kind, cg);
	else
		snprintf(title, tsize, "%s", kind);
	n = put_amount(sub, ssize, p);
	if (n < 0 || (size_t)n >= ssize)
		return;
	if (q->wall)
		put_wall_range(sub + n, ssize - (size_t)n, q->from_ns, q->to_ns);
	else if (q->ranged && q->range.to < 1e9)
		snprintf(sub + n, ssize - (size_t)n, ", %.1f to %.1f s after the start",
			 q->range.from, q->range.to);
	else if (q->ranged)
		snprintf(sub + n, ssize - (size_t)n, ", from %.1f s after the start", q->range.from);
	else
		snprintf(sub + n, ssize - (size_t)n, ", since the start");
}

/* Renders p (freed here) as the graph q asks for, with o's title, subtitle and base. */
static int reply_graph(struct web_reply *rp, const struct web_query *q, struct fmt_profile *p,
		       struct fmt_svg_opts *o)
{
	int err;

	o->icicle = q->icicle;
	o->lines = q->lines;
	o->full_names = q->full_names;
	o->width = q->width;
	err = render(rp, p, write_svg, o, CT_SVG);
	if (err)
		return err;
	rp->csp = csp_svg;
	return q->search ? add_search(rp, q->search) : 0;
}

static int flamegraph(const struct web_request *rq, struct web_reply *rp)
{
	char title[384], sub[128];
	struct fmt_svg_opts o = {0};
	struct fmt_profile *p;
	struct web_query q;

	p = query_profile(rq, rp, &q);
	if (!p)
		return -EIO;
	describe(&q, p, title, sizeof(title), sub, sizeof(sub));
	o.title = title;
	o.subtitle = sub;
	return reply_graph(rp, &q, p, &o);
}

/* A file's name for the range `profd serve` gives it ([i, i+1)), else "1.0-2.0 s". */
static void range_label(const struct web_source *src, const struct web_range *r, char *buf,
			size_t size)
{
	size_t i = (size_t)r->from;

	if (r->from == (double)i && r->to == r->from + 1 && i < src->nfiles)
		snprintf(buf, size, "%s", src->files[i]);
	else
		snprintf(buf, size, "%.1f-%.1f s", r->from, r->to);
}

static int diff(const struct web_request *rq, struct web_reply *rp)
{
	struct web_range a, b;
	char title[640], sub[384], la[256], lb[256], amount_a[48], amount_b[48];
	struct fmt_svg_opts o = {0};
	struct fmt_profile *pa, *pb;
	struct web_query q;
	int ra, rb, err;

	if (web_query_parse(rq, rp, &q))
		return -EINVAL;
	if (q.ranged)
		return web_reply_error(rp, 400, "from/to: give the two ranges as a= and b=");
	ra = web_param_range(rq, rp, "a", &a);
	if (ra < 0)
		return ra;
	rb = web_param_range(rq, rp, "b", &b);
	if (rb < 0)
		return rb;
	if (!ra || !rb)
		return web_reply_error(rp, 400, "%s: missing; expected FROM-TO in seconds", ra ? "b" : "a");
	pa = web_collect(rq, rp, q.type, &a, &q.filter);
	if (!pa)
		return -EIO;
	pb = web_collect(rq, rp, q.type, &b, &q.filter);
	if (!pb) {
		fmt_profile__free(pa);
		return -EIO;
	}
	range_label(rq->src, &a, la, sizeof(la));
	range_label(rq->src, &b, lb, sizeof(lb));
	snprintf(title, sizeof(title), "Differential %s: %s vs %s", graph_kind(q.type, q.icicle),
		 lb, la);
	put_amount(amount_b, sizeof(amount_b), pb);
	put_amount(amount_a, sizeof(amount_a), pa);
	snprintf(sub, sizeof(sub), "%s vs %s; red: more in %s, blue: less", amount_b, amount_a, lb);
	o.title = title;
	o.subtitle = sub;
	o.base = pa;
	err = reply_graph(rp, &q, pb, &o);
	fmt_profile__free(pa);
	return err;
}

/* A file to save: the query's profile in one format. */
struct download {
	render_fn *write; /* opts: the struct web_query */
	const char *type, *filename;
};

static int download(const struct web_request *rq, struct web_reply *rp, const struct download *d)
{
	struct fmt_profile *p;
	struct web_query q;
	int err;

	p = query_profile(rq, rp, &q);
	if (!p)
		return -EIO;
	err = render(rp, p, d->write, &q, d->type);
	if (!err)
		rp->filename = d->filename;
	return err;
}

static int write_folded(const struct fmt_profile *p, FILE *out, const void *query)
{
	const struct web_query *q = query;
	struct fmt_folded_opts o = {.lines = q->lines, .full_names = q->full_names};

	return fmt_folded_write(p, out, &o);
}

static int folded(const struct web_request *rq, struct web_reply *rp)
{
	static const struct download d = {write_folded, CT_TEXT, "profd.folded"};

	return download(rq, rp, &d);
}

static int write_pprof(const struct fmt_profile *p, FILE *out, const void *query)
{
	const struct web_query *q = query;
	struct fmt_pprof_opts o = {.full_names = q->full_names};

	return fmt_pprof_write(p, out, &o);
}

static int pprof(const struct web_request *rq, struct web_reply *rp)
{
	static const struct download d = {write_pprof, "application/octet-stream", "profd.pb.gz"};

	return download(rq, rp, &d);
}

/* ---- the table ---- */

#define Q_PROFILE "type", "pid", "comm", "cgroup", "from", "to", "lines", "fullnames"
#define Q_SVG Q_PROFILE, "icicle", "search", "width"

static const char *const no_params[] = {NULL};
/* The page reads its view from its own URL, so that a link reproduces it. */
static const char *const page_params[] = {"view", "type", "pid", "comm", "cgroup", "range",
					  "from", "to", "mode", "lines", "search", "zoom",
					  "a", "b", "fullnames", NULL};
static const char *const svg_params[] = {Q_SVG, NULL};
static const char *const diff_params[] = {"type", "pid", "comm", "cgroup", "a", "b", "lines",
					  "fullnames", "icicle", "search", "width", NULL};
static const char *const folded_params[] = {Q_PROFILE, NULL};
static const char *const pprof_params[] = {"type", "pid", "comm", "cgroup", "from", "to",
					   "fullnames", NULL};
static const char *const top_params[] = {Q_PROFILE, "sort", "by", "limit", NULL};
static const char *const tree_params[] = {Q_PROFILE, "a", "b", "detail", "focus", NULL};

static const struct web_route routes[] = {
	{"/", page_params, page_file},
	{"/index.html", page_params, page_file},
	{"/app.js", no_params, page_file},
	{"/flame.js", no_params, page_file},
	{"/picker.js", no_params, page_file},
	{"/top.js", no_params, page_file},
	{"/style.css", no_params, page_file},
	{"/favicon.svg", no_params, page_file},
	{"/healthz", no_params, healthz},
	{"/metrics", no_params, metrics},
	{"/api/targets", no_params, api_targets},
	{"/api/profile", no_params, api_profile},
	{"/api/store", no_params, api_store},
	{"/api/top", top_params, api_top},
	{"/api/tree", tree_params, web_api_tree},
	{"/flamegraph.svg", svg_params, flamegraph},
	{"/diff.svg", diff_params, diff},
	{"/folded", folded_params, folded},
	{"/pprof", pprof_params, pprof},
};

const struct web_route *web_route_find(const char *path)
{
	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++)
		if (strcmp(routes[i].path, path) == 0)
			return &routes[i];
	return NULL;
}
