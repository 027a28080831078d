// SPDX-License-Identifier: MIT
/*
 * Interactive SVG flame graphs, in the manner of FlameGraph's flamegraph.pl: one self-contained
 * file whose embedded script gives hover details, click to zoom, regex search with the matched
 * share, and reset zoom.
 *
 * The samples become a fmt_tree (all -> comm -> frames root to leaf) whose children are sorted
 * by name, so the drawing order and hence the bytes depend only on the profile's content.
 * Numbers are printed with integer arithmetic so that the locale cannot change them.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/array.h"
#include "common/hash.h"
#include "formats/formats.h"
#include "formats/text_internal.h"

#define SVG_WIDTH 1200
#define SVG_MIN_WIDTH 100 /* below this not even the controls fit */
#define FRAME_H 16
#define FONT_SIZE 12
#define CHAR_W 7.08 /* 0.59 * FONT_SIZE: Verdana's average advance; the script uses the same */
#define XPAD 10
#define TOP_PAD 36	/* title and controls above the frames */
#define SUBTITLE_PAD 20
#define BOTTOM_PAD 32	/* the details line below */
#define MIN_FRAME_W 0.1 /* narrower frames are invisible, and there can be millions of them */
#define NO_NODE UINT32_MAX

/* Characters as the script counts them (near enough: it counts UTF-16 units). */
static size_t count_chars(const char *s)
{
	const unsigned char *c = (const unsigned char *)s;
	size_t n = 0;

	for (; *c; n++) {
		size_t len = fmt_xml_char_len(c);

		c += len ? len : 1;
	}
	return n;
}

/* Writes at most max characters of s as XML text; bad bytes become '?'. */
static void put_text(FILE *out, const char *s, size_t max)
{
	const unsigned char *c = (const unsigned char *)(s ? s : "");

	for (; *c && max; max--) {
		size_t n = fmt_xml_char_len(c);

		switch (n ? *c : '?') {
		case '&':
			fputs("&amp;", out);
			break;
		case '<':
			fputs("&lt;", out);
			break;
		case '>':
			fputs("&gt;", out);
			break;
		case '"':
			fputs("&quot;", out);
			break;
		case '\'':
			fputs("&apos;", out);
			break;
		default:
			if (n)
				fwrite(c, 1, n, out);
			else
				putc('?', out);
		}
		c += n ? n : 1;
	}
}

/* v with two decimals, without printf's locale-dependent decimal point. */
static const char *fix2(char buf[32], double v)
{
	long long h = llround(fabs(v) * 100);

	snprintf(buf, 32, "%s%lld.%02lld", v < 0 && h ? "-" : "", h / 100, h % 100);
	return buf;
}

/* ---- layout and colours ---- */

struct svg {
	FILE *out;
	const struct fmt_svg_opts *o;
	bool in_us; /* a time profile: counts are microseconds (flamegraph.pl --countname=us) */
	struct fmt_tree *t;
	unsigned width, height, top;
	double scale;	  /* pixels per sample */
	int64_t *start;	  /* first sample of each node, counted from the left */
	uint32_t *depth;  /* NO_NODE: too narrow to draw */
	uint32_t max_depth;
	double *delta;	  /* differential: share change in percentage points */
	bool *in_base;
	double max_delta; /* the largest |delta|: full red or full blue */
};

/* Places every node; parents come before children in t.nodes, so one pass does it. */
static int svg_layout(struct svg *g)
{
	const struct fmt_tree *t = g->t;

	g->start = calloc(t->nnodes, sizeof(*g->start));
	g->depth = malloc(t->nnodes * sizeof(*g->depth));
	if (!g->start || !g->depth)
		return -ENOMEM;
	g->scale = (double)(g->width - 2 * XPAD) / (double)t->nodes[0].count;
	g->depth[0] = 0;
	for (uint32_t i = 0; i < t->nnodes; i++) {
		const struct fmt_tree_node *n = &t->nodes[i];
		int64_t at = g->start[i];

		for (uint32_t k = 0; k < n->nkids; k++) {
			uint32_t kid = t->kids[n->first_kid + k];
			double w = (double)t->nodes[kid].count * g->scale;

			g->start[kid] = at;
			at += t->nodes[kid].count;
			g->depth[kid] = g->depth[i] != NO_NODE && w >= MIN_FRAME_W ? g->depth[i] + 1
										: NO_NODE;
			if (g->depth[kid] != NO_NODE && g->depth[kid] > g->max_depth)
				g->max_depth = g->depth[kid];
		}
	}
	return 0;
}

/* Each node's share in p against the same path's share in base. */
static int svg_diff(struct svg *g, const struct fmt_profile *base)
{
	const struct fmt_tree *t = g->t;
	struct fmt_tree *bt;
	uint32_t *match;
	double total = (double)t->nodes[0].count, btotal;
	int err = 0;

	bt = fmt_tree__new(base, &(struct fmt_tree_opts){.lines = g->o->lines,
							   .full_names = g->o->full_names,
							   .filter = g->o->filter});
	if (!bt)
		return -errno;
	g->delta = calloc(t->nnodes, sizeof(*g->delta));
	g->in_base = calloc(t->nnodes, sizeof(*g->in_base));
	match = malloc(t->nnodes * sizeof(*match));
	if (!g->delta || !g->in_base || !match) {
		err = -ENOMEM;
		goto out;
	}
	btotal = (double)bt->nodes[0].count;
	match[0] = 0;
	for (uint32_t i = 0; i < t->nnodes; i++) {
		double share = 100.0 * (double)t->nodes[i].count / total, bshare = 0;

		if (i > 0)
			match[i] = match[t->nodes[i].parent] == NO_NODE
					   ? NO_NODE
					   : fmt_tree__find_kid(bt, match[t->nodes[i].parent],
							   fmt_tree__name(t, i));
		if (match[i] != NO_NODE && btotal > 0)
			bshare = 100.0 * (double)bt->nodes[match[i]].count / btotal;
		g->in_base[i] = match[i] != NO_NODE;
		g->delta[i] = share - bshare;
		if (fabs(g->delta[i]) > g->max_delta)
			g->max_delta = fabs(g->delta[i]);
	}
out:
	free(match);
	fmt_tree__free(bt);
	return err;
}

static void put_color(const struct svg *g, uint32_t i)
{
	const char *name = fmt_tree__name(g->t, i);
	uint64_t h = profd_hash_bytes(name, strlen(name), 0x1b873593);
	double a = (double)(h & 0xff) / 255, b = (double)((h >> 8) & 0xff) / 255,
	       c = (double)((h >> 16) & 0xff) / 255;
	int r, gr, bl;

	if (g->delta) {
		/* White when unchanged, saturating at the largest change in the graph. */
		double v = g->max_delta > 0 ? fabs(g->delta[i]) / g->max_delta : 0;
		int fade = (int)lround(255 * (1 - v));

		if (g->delta[i] > 0)
			fprintf(g->out, "rgb(255,%d,%d)", fade, fade);
		else
			fprintf(g->out, "rgb(%d,%d,255)", fade, fade);
		return;
	}
	switch (g->t->nodes[i].kind) {
	case FMT_FRAME_KERNEL: /* orange */
		r = 225 + (int)(30 * a), gr = 120 + (int)(50 * b), bl = (int)(30 * c);
		break;
	case FMT_FRAME_JIT: /* green */
		r = 60 + (int)(60 * a), gr = 180 + (int)(50 * b), bl = 60 + (int)(50 * c);
		break;
	case FMT_FRAME_UNKNOWN: /* grey */
		r = gr = bl = 180 + (int)(40 * a);
		break;
	default: /* warm: red to yellow */
		r = 205 + (int)(50 * a), gr = (int)(220 * b), bl = (int)(55 * c);
	}
	fprintf(g->out, "rgb(%d,%d,%d)", r, gr, bl);
}

/* ---- output ---- */

static const char svg_style[] =
	"<style type=\"text/css\">\n"
	"text { font-family: Verdana, sans-serif; font-size: 12px; fill: rgb(0,0,0); }\n"
	"#title { text-anchor: middle; font-size: 17px; }\n"
	"#subtitle { text-anchor: middle; fill: rgb(110,110,110); }\n"
	"#matched, #search { text-anchor: end; }\n"
	".ctl { cursor: pointer; }\n"
	".ctl:hover { text-decoration: underline; }\n"
	".off { visibility: hidden; }\n"
	"g.f { cursor: pointer; }\n"
	"g.f text { pointer-events: none; }\n"
	"g.f:hover rect { stroke: rgb(0,0,0); stroke-width: 0.5; }\n"
	"g.par { opacity: 0.5; }\n"
	"g.hide { display: none; }\n"
	"</style>\n";

/*
 * The frames carry their position in samples (data-s start, data-n count, data-d depth); the
 * script lays them out again from those on zoom with the same arithmetic as svg_frame(), and
 * takes the name from the <title>, which is "name (details)" with no " (" in the details.
 */
static const char svg_script[] =
	"(function () {\n"
	"\"use strict\";\n"
	"var doc = document;\n"
	"var svg = (doc.currentScript && doc.currentScript.ownerSVGElement) ||\n"
	"\tdoc.documentElement;\n"
	"function byId(id) { return svg.querySelector(\"#\" + id); }\n"
	"var details = byId(\"details\"), matched = byId(\"matched\");\n"
	"var unzoom = byId(\"unzoom\"), search = byId(\"search\");\n"
	"var frames = [], root = null, searching = false;\n"
	"var gs = svg.querySelectorAll(\"g.f\");\n"
	"for (var i = 0; i < gs.length; i++) {\n"
	"\tvar g = gs[i], title = g.querySelector(\"title\").textContent;\n"
	"\tvar f = { g: g, r: g.querySelector(\"rect\"), t: g.querySelector(\"text\"),\n"
	"\t\ttitle: title, name: title.substring(0, title.lastIndexOf(\" (\")),\n"
	"\t\ts: +g.getAttribute(\"data-s\"), n: +g.getAttribute(\"data-n\"),\n"
	"\t\td: +g.getAttribute(\"data-d\") };\n"
	"\tf.fill = f.r.getAttribute(\"fill\");\n"
	"\tg.fgIndex = i;\n"
	"\tframes.push(f);\n"
	"\tif (f.d === 0) root = f;\n"
	"}\n"
	"function frameOf(el) {\n"
	"\tfor (; el && el !== svg; el = el.parentNode)\n"
	"\t\tif (el.fgIndex !== undefined) return frames[el.fgIndex];\n"
	"\treturn null;\n"
	"}\n"
	"function fit(name, w) {\n"
	"\tvar max = Math.floor((w - 6) / FG.cw);\n"
	"\tif (max < 3) return \"\";\n"
	"\treturn name.length <= max ? name : name.substring(0, max - 2) + \"..\";\n"
	"}\n"
	"function place(f, x, w) {\n"
	"\tf.r.setAttribute(\"x\", x.toFixed(2));\n"
	"\tf.r.setAttribute(\"width\", w.toFixed(2));\n"
	"\tf.t.setAttribute(\"x\", (x + 3).toFixed(2));\n"
	"\tf.t.textContent = fit(f.name, w);\n"
	"}\n"
	"/* The zoomed frame fills the width; its ancestors span it, dimmed; the rest hide. */\n"
	"function zoom(z) {\n"
	"\tvar sc = FG.w / z.n, ze = z.s + z.n;\n"
	"\tframes.forEach(function (f) {\n"
	"\t\tvar e = f.s + f.n, cl = f.g.classList, w = f.n * sc;\n"
	"\t\tcl.remove(\"par\");\n"
	"\t\tcl.remove(\"hide\");\n"
	"\t\tif (f.d < z.d && f.s <= z.s && e >= ze) {\n"
	"\t\t\tcl.add(\"par\");\n"
	"\t\t\tplace(f, FG.xpad, FG.w);\n"
	"\t\t} else if (f.d >= z.d && f.s >= z.s && e <= ze && w >= 0.1) {\n"
	"\t\t\tplace(f, FG.xpad + (f.s - z.s) * sc, w);\n"
	"\t\t} else {\n"
	"\t\t\tcl.add(\"hide\");\n"
	"\t\t}\n"
	"\t});\n"
	"\tif (z === root) unzoom.classList.add(\"off\"); else unzoom.classList.remove(\"off\");\n"
	"}\n"
	"function clearSearch() {\n"
	"\tframes.forEach(function (f) { f.r.setAttribute(\"fill\", f.fill); });\n"
	"\tmatched.textContent = \" \";\n"
	"\tsearch.textContent = \"Search\";\n"
	"\tsearching = false;\n"
	"}\n"
	"function doSearch() {\n"
	"\tif (searching) { clearSearch(); return; }\n"
	"\tvar term = window.prompt(\"Search (regular expression):\", \"\");\n"
	"\tif (!term) return;\n"
	"\tvar re;\n"
	"\ttry { re = new RegExp(term); } catch (err) {\n"
	"\t\twindow.alert(\"Bad regular expression: \" + err.message);\n"
	"\t\treturn;\n"
	"\t}\n"
	"\tvar hits = [], sum = 0, end = -1;\n"
	"\tframes.forEach(function (f) {\n"
	"\t\tif (!re.test(f.name)) return;\n"
	"\t\tf.r.setAttribute(\"fill\", \"rgb(230,0,230)\");\n"
	"\t\thits.push(f);\n"
	"\t});\n"
	"\t/* A match inside another (recursion, caller and callee) counts once. */\n"
	"\thits.sort(function (a, b) { return a.s - b.s || b.n - a.n; });\n"
	"\thits.forEach(function (f) {\n"
	"\t\tvar e = f.s + f.n;\n"
	"\t\tif (e <= end) return;\n"
	"\t\tsum += e - Math.max(f.s, end);\n"
	"\t\tend = e;\n"
	"\t});\n"
	"\tmatched.textContent = \"Matched: \" + (100 * sum / FG.total).toFixed(2) + \"%\";\n"
	"\tsearch.textContent = \"Reset Search\";\n"
	"\tsearching = true;\n"
	"}\n"
	"svg.addEventListener(\"mouseover\", function (e) {\n"
	"\tvar f = frameOf(e.target);\n"
	"\tif (f) details.textContent = f.title;\n"
	"});\n"
	"svg.addEventListener(\"mouseout\", function (e) {\n"
	"\tif (frameOf(e.target)) details.textContent = \" \";\n"
	"});\n"
	"svg.addEventListener(\"click\", function (e) {\n"
	"\tvar f = frameOf(e.target);\n"
	"\tif (f) zoom(f);\n"
	"});\n"
	"unzoom.addEventListener(\"click\", function () { if (root) zoom(root); });\n"
	"search.addEventListener(\"click\", doSearch);\n"
	"/* Ctrl-F searches the graph, but only when it is the page, not a part of one. */\n"
	"if (svg === doc.documentElement) {\n"
	"\twindow.addEventListener(\"keydown\", function (e) {\n"
	"\t\tif ((e.ctrlKey || e.metaKey) && e.key === \"f\") {\n"
	"\t\t\te.preventDefault();\n"
	"\t\t\tdoSearch();\n"
	"\t\t}\n"
	"\t});\n"
	"}\n"
	"})();\n";

static void svg_header(struct svg *g, const char *title)
{
	FILE *out = g->out;
	char mid[32];

	fprintf(out,
		"<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n"
		"<svg version=\"1.1\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%u\" "
		"height=\"%u\" viewBox=\"0 0 %u %u\">\n",
		g->width, g->height, g->width, g->height);
	fputs(svg_style, out);
	fputs("<defs><linearGradient id=\"bg\" x1=\"0\" y1=\"0\" x2=\"0\" y2=\"1\">"
	      "<stop stop-color=\"rgb(248,248,248)\" offset=\"5%\"/>"
	      "<stop stop-color=\"rgb(238,238,200)\" offset=\"95%\"/>"
	      "</linearGradient></defs>\n",
	      out);
	fprintf(out, "<rect x=\"0\" y=\"0\" width=\"%u\" height=\"%u\" fill=\"url(#bg)\"/>\n",
		g->width, g->height);
	fix2(mid, g->width / 2.0);
	fprintf(out, "<text id=\"title\" x=\"%s\" y=\"24\">", mid);
	put_text(out, title, SIZE_MAX);
	fputs("</text>\n", out);
	if (g->o->subtitle) {
		fprintf(out, "<text id=\"subtitle\" x=\"%s\" y=\"%d\">", mid, 24 + SUBTITLE_PAD);
		put_text(out, g->o->subtitle, SIZE_MAX);
		fputs("</text>\n", out);
	}
}

/* The frame's label: its name, cut with ".." to what fits, or nothing. */
static void put_label(FILE *out, const char *name, double w)
{
	double fit = (w - 6) / CHAR_W;
	size_t max;

	if (fit < 3)
		return;
	max = (size_t)fit;
	if (count_chars(name) <= max) {
		put_text(out, name, SIZE_MAX);
	} else {
		put_text(out, name, max - 2);
		fputs("..", out);
	}
}

static void svg_frame(struct svg *g, uint32_t i)
{
	const struct fmt_tree_node *n = &g->t->nodes[i];
	const char *name = fmt_tree__name(g->t, i);
	double x = XPAD + (double)g->start[i] * g->scale, w = (double)n->count * g->scale;
	double pct = 100.0 * (double)n->count / (double)g->t->nodes[0].count;
	unsigned y = g->o->icicle ? g->top + g->depth[i] * FRAME_H
				  : g->height - BOTTOM_PAD - (g->depth[i] + 1) * FRAME_H;
	FILE *out = g->out;
	char b1[32], b2[32];

	fprintf(out, "<g class=\"f\" data-s=\"%" PRId64 "\" data-n=\"%" PRId64 "\" data-d=\"%u\">",
		g->start[i], n->count, g->depth[i]);
	fputs("<title>", out);
	put_text(out, name, SIZE_MAX);
	if (g->in_us)
		fprintf(out, " (%" PRId64 " us, %s%%", n->count, fix2(b1, pct));
	else
		fprintf(out, " (%" PRId64 " sample%s, %s%%", n->count, n->count == 1 ? "" : "s",
			fix2(b1, pct));
	if (n->inlined)
		fputs(", inlined", out);
	if (g->delta)
		fprintf(out, "; %s%s%s%% vs base", g->in_base[i] ? "" : "new, ",
			g->delta[i] >= 0 ? "+" : "", fix2(b2, g->delta[i]));
	fputs(")</title>", out);
	fprintf(out, "<rect x=\"%s\" y=\"%u\" width=\"%s\" height=\"%d\" rx=\"2\" ry=\"2\" fill=\"",
		fix2(b1, x), y, fix2(b2, w), FRAME_H - 1);
	put_color(g, i);
	fprintf(out, "\"/><text x=\"%s\" y=\"%u\">", fix2(b1, x + 3), y + 11);
	put_label(out, name, w);
	fputs("</text></g>\n", out);
}

/* Pre-order, children by name: parents are drawn under their children in the file. */
static int svg_frames(struct svg *g)
{
	const struct fmt_tree *t = g->t;
	uint32_t *stack = malloc(t->nnodes * sizeof(*stack));
	size_t top = 0;

	if (!stack)
		return -ENOMEM;
	fputs("<g id=\"frames\">\n", g->out);
	stack[top++] = 0;
	while (top) {
		uint32_t i = stack[--top];
		const struct fmt_tree_node *n = &t->nodes[i];

		if (g->depth[i] == NO_NODE)
			continue;
		svg_frame(g, i);
		for (uint32_t k = n->nkids; k-- > 0;)
			stack[top++] = t->kids[n->first_kid + k];
	}
	fputs("</g>\n", g->out);
	free(stack);
	return 0;
}

static void svg_controls(struct svg *g)
{
	FILE *out = g->out;

	fprintf(out, "<text id=\"unzoom\" class=\"ctl off\" x=\"%d\" y=\"24\">Reset Zoom</text>\n",
		XPAD);
	fprintf(out, "<text id=\"search\" class=\"ctl\" x=\"%u\" y=\"24\">Search</text>\n",
		g->width - XPAD);
	fprintf(out, "<text id=\"details\" x=\"%d\" y=\"%u\"> </text>\n", XPAD, g->height - 12);
	fprintf(out, "<text id=\"matched\" x=\"%u\" y=\"%u\"> </text>\n", g->width - XPAD,
		g->height - 12);
	fprintf(out, "<script type=\"text/ecmascript\"><![CDATA[\n"
		     "var FG = { xpad: %d, w: %u, total: %" PRId64 ", cw: 7.08 };\n",
		XPAD, g->width - 2 * XPAD, g->t->nodes[0].count);
	fputs(svg_script, out);
	fputs("]]></script>\n", out);
}

static void svg_empty(struct svg *g, const char *title)
{
	char mid[32];

	g->height = g->top + 3 * FRAME_H + BOTTOM_PAD;
	svg_header(g, title);
	fprintf(g->out, "<text id=\"empty\" x=\"%s\" y=\"%u\" text-anchor=\"middle\">"
			"No samples</text>\n",
		fix2(mid, g->width / 2.0), g->top + 2 * FRAME_H);
}

int fmt_svg_write(const struct fmt_profile *p, FILE *out, const struct fmt_svg_opts *opts)
{
	static const struct fmt_svg_opts defaults;
	const struct fmt_svg_opts *o = opts ? opts : &defaults;
	static const char *const titles[FMT_NTYPES][2] = {
		[FMT_TYPE_CPU] = {"Flame Graph", "Icicle Graph"},
		[FMT_TYPE_OFF_CPU] = {"Off-CPU Time Flame Graph", "Off-CPU Time Icicle Graph"},
		[FMT_TYPE_WALL] = {"Wall Clock Flame Graph", "Wall Clock Icicle Graph"},
	};
	struct svg g = {.out = out, .o = o, .in_us = p->type != FMT_TYPE_CPU};
	const char *title = o->title ? o->title : titles[p->type][o->icicle];
	int err;

	g.width = o->width ? o->width : SVG_WIDTH;
	if (g.width < SVG_MIN_WIDTH)
		g.width = SVG_MIN_WIDTH;
	g.top = TOP_PAD + (o->subtitle ? SUBTITLE_PAD : 0);
	g.t = fmt_tree__new(p, &(struct fmt_tree_opts){.lines = o->lines,
							 .full_names = o->full_names,
							 .filter = o->filter});
	if (!g.t)
		return -errno;
	if (g.t->nodes[0].count <= 0) {
		svg_empty(&g, title);
		goto done;
	}
	err = svg_layout(&g);
	if (!err && o->base)
		err = svg_diff(&g, o->base);
	if (err)
		goto out;
	g.height = g.top + (g.max_depth + 1) * FRAME_H + BOTTOM_PAD;
	svg_header(&g, title);
	err = svg_frames(&g);
	if (err)
		goto out;
	svg_controls(&g);
done:
	fputs("</svg>\n", out);
	if (fflush(out) || ferror(out))
		err = -EIO;
out:
	free(g.start);
	free(g.depth);
	free(g.delta);
	free(g.in_base);
	fmt_tree__free(g.t);
	return err;
}
