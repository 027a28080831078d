// SPDX-License-Identifier: MIT
/*
 * Unit tests of the SVG flame graph writer. Profiles are built with the fmt_profile builders;
 * well-formedness is judged by xmllint, not by the code under test.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "formats/formats.h"
#include "helpers.h"

/* ---- fixtures ---- */

struct fx {
	struct fmt_profile *p;
	uint32_t user, kernel;
};

static void fx_init(struct fx *f)
{
	struct fmt_mapping_desc u = {.filename = "/usr/bin/app", .start = 0x1000, .limit = 0x9000};
	struct fmt_mapping_desc k = {.filename = "[kernel.kallsyms]", .kernel = true};

	f->p = fmt_profile__new(10000000);
	assert_non_null(f->p);
	assert_int_equal(fmt_profile__add_mapping(f->p, &u, &f->user), 0);
	assert_int_equal(fmt_profile__add_mapping(f->p, &k, &f->kernel), 0);
}

static uint32_t fx_loc(struct fx *f, uint32_t mapping, uint64_t addr, const char *name)
{
	struct fmt_frame_desc d = {.name = name, .filename = "src/app.c", .line = 10};
	uint32_t id;

	assert_int_equal(fmt_profile__add_location(f->p, mapping, addr, &d, 1, &id), 0);
	return id;
}

/* Adds comm;frames... (root first, as one reads folded) with count. */
static void fx_sample(struct fx *f, const char *comm, int64_t count, size_t n, ...)
{
	struct fmt_sample_desc labels = {.pid = 42, .tid = 42, .comm = comm};
	uint32_t locs[16];
	va_list ap;

	assert_true(n <= 16);
	va_start(ap, n);
	for (size_t i = 0; i < n; i++)
		locs[n - 1 - i] = va_arg(ap, uint32_t); /* builders take leaf first */
	va_end(ap);
	assert_int_equal(fmt_profile__add_sample(f->p, locs, n, &labels, count), 0);
}

/* app: main;hot x3, main;cold x1, main;sys_read_[k] x2 */
static struct fmt_profile *small_profile(int64_t hot, int64_t cold)
{
	struct fx f;
	uint32_t main_, hot_, cold_, sys;

	fx_init(&f);
	main_ = fx_loc(&f, f.user, 0x1100, "main");
	hot_ = fx_loc(&f, f.user, 0x1200, "hot");
	cold_ = fx_loc(&f, f.user, 0x1300, "cold");
	sys = fx_loc(&f, f.kernel, 0, "sys_read");
	fx_sample(&f, "app", hot, 2, main_, hot_);
	fx_sample(&f, "app", cold, 2, main_, cold_);
	fx_sample(&f, "app", 2, 3, main_, hot_, sys);
	return f.p;
}

/* Runs xmllint on the text; skips the test where xmllint is missing (fails under CI). */
static void assert_xml_ok(const char *svg)
{
	char path[] = "/tmp/profd-test-svg-XXXXXX", cmd[128];
	int fd, rc;
	FILE *f;

	if (system("command -v xmllint >/dev/null 2>&1") != 0)
		skip_missing("xmllint is not installed (libxml2-utils)");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	assert_int_equal(fputs(svg, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
	snprintf(cmd, sizeof(cmd), "xmllint --noout %s", path);
	rc = system(cmd);
	if (rc != 0)
		print_message("xmllint failed on %s\n", path);
	else
		unlink(path);
	assert_int_equal(rc, 0);
}

/* The SVG of p, malloc'ed; fails the test when it cannot be written or is not well-formed XML. */
static char *render(const struct fmt_profile *p, const struct fmt_svg_opts *o)
{
	char *svg = NULL;
	size_t len;
	FILE *out = open_memstream(&svg, &len);

	assert_non_null(out);
	assert_int_equal(fmt_svg_write(p, out, o), 0);
	assert_int_equal(fclose(out), 0);
	assert_int_equal(strlen(svg), len);
	assert_xml_ok(svg);
	return svg;
}

/* Renders p and checks that the SVG holds text. */
static void assert_svg_has(const struct fmt_profile *p, const struct fmt_svg_opts *o,
			   const char *text)
{
	char *svg = render(p, o);

	assert_non_null(strstr(svg, text));
	free(svg);
}

/* The value of attribute attr in the first element after the <title> of frame name. */
static double frame_attr(const char *svg, const char *name, const char *attr)
{
	char key[256], akey[64];
	const char *at, *v;

	snprintf(key, sizeof(key), "<title>%s (", name);
	snprintf(akey, sizeof(akey), " %s=\"", attr);
	at = strstr(svg, key);
	assert_non_null(at);
	assert_null(strstr(at + 1, key)); /* one frame of that name */
	v = strstr(at, "<rect");
	assert_non_null(v);
	v = strstr(v, akey);
	assert_non_null(v);
	return strtod(v + strlen(akey), NULL);
}

static const char *frame_fill(const char *svg, const char *name, char *buf, size_t len)
{
	char key[256];
	const char *at, *v;
	size_t n;

	snprintf(key, sizeof(key), "<title>%s (", name);
	at = strstr(svg, key);
	assert_non_null(at);
	v = strstr(at, " fill=\"");
	assert_non_null(v);
	v += 7;
	n = strcspn(v, "\"");
	assert_true(n < len);
	memcpy(buf, v, n);
	buf[n] = '\0';
	return buf;
}

/* ---- tests ---- */

static void test_valid_xml(void **state)
{
	struct fmt_profile *p = small_profile(3, 1);
	struct fmt_svg_opts o = {.subtitle = "pid 42 & friends"};
	char *svg = NULL;

	svg = render(p, &o);
	assert_has_all(svg, (const char *const[]){
				"<title>all (6 samples, 100.00%)</title>",
				">Flame Graph</text>",
				">pid 42 &amp; friends</text>",
				"<title>sys_read_[k] (2 samples, 33.33%)</title>",
				"<![CDATA[",
				"Reset Zoom",
				">Search<",
				NULL,
			    });
	assert_null(strstr(svg, "No samples"));
	free(svg);
	fmt_profile__free(p);
}

static void test_width_proportional(void **state)
{
	struct fmt_profile *p = small_profile(3, 1);
	struct fmt_svg_opts o = {.width = 1000};
	char *svg = NULL;
	double hot, cold, all;

	svg = render(p, &o);
	/* hot has 3 + 2 samples (its kernel callee included), cold 1, all 6. */
	hot = frame_attr(svg, "hot", "width");
	cold = frame_attr(svg, "cold", "width");
	all = frame_attr(svg, "all", "width");
	assert_true(cold > 0);
	assert_float_equal(hot, 5 * cold, 0.05);
	assert_float_equal(all, 6 * cold, 0.05);
	assert_float_equal(all, 1000 - 20, 0.01);
	/* Children sorted by name: cold left of hot; the leaf sits above its caller. */
	assert_true(frame_attr(svg, "cold", "x") < frame_attr(svg, "hot", "x"));
	assert_true(frame_attr(svg, "hot", "y") < frame_attr(svg, "main", "y"));
	free(svg);
	fmt_profile__free(p);
}

static void test_count_ratio(void **state)
{
	struct fx f;
	struct fmt_svg_opts o = {0};
	char *svg = NULL;

	fx_init(&f);
	fx_sample(&f, "x", 3, 1, fx_loc(&f, f.user, 0x1100, "three"));
	fx_sample(&f, "x", 1, 1, fx_loc(&f, f.user, 0x1200, "one"));
	svg = render(f.p, &o);
	assert_float_equal(frame_attr(svg, "three", "width"), 3 * frame_attr(svg, "one", "width"),
			   0.02);
	assert_float_equal(frame_attr(svg, "three", "width"), 1180 * 3 / 4.0, 0.01);
	free(svg);
	fmt_profile__free(f.p);
}

static void test_escaping(void **state)
{
	struct fx f;
	struct fmt_svg_opts o = {.title = "<b>\"t\" & 't'</b>"};
	uint32_t a, b, c;
	char *svg = NULL;

	fx_init(&f);
	a = fx_loc(&f, f.user, 0x1100, "a&b\"c'd<e>");
	b = fx_loc(&f, f.user, 0x1200, "bad\xff\xc3utf8\x01");
	c = fx_loc(&f, f.user, 0x1300, "]]></script><script>alert(2)</script>");
	fx_sample(&f, "<svg onload=alert(1)>", 5, 2, a, b);
	fx_sample(&f, "<svg onload=alert(1)>", 5, 1, c);
	svg = render(f.p, &o);
	assert_null(strstr(svg, "<svg onload"));
	assert_null(strstr(svg, "<script>alert"));
	assert_has_all(svg, (const char *const[]){
				"&lt;svg onload=alert(1)&gt;",
				"a&amp;b&quot;c&apos;d&lt;e&gt;",
				"&lt;b&gt;&quot;t&quot; &amp; &apos;t&apos;&lt;/b&gt;",
				"bad??utf8?",
				NULL,
			    });
	free(svg);
	fmt_profile__free(f.p);
}

static void test_deterministic(void **state)
{
	struct fmt_profile *p = small_profile(3, 1), *q;
	struct fmt_svg_opts o = {.subtitle = "s"};
	char *a = NULL, *b = NULL, *c = NULL;
	struct fx f;
	uint32_t main_, hot_, cold_, sys;

	a = render(p, &o);
	b = render(p, &o);
	assert_string_equal(a, b);

	/* The same content added in another order draws the same picture. */
	fx_init(&f);
	sys = fx_loc(&f, f.kernel, 0, "sys_read");
	cold_ = fx_loc(&f, f.user, 0x1300, "cold");
	hot_ = fx_loc(&f, f.user, 0x1200, "hot");
	main_ = fx_loc(&f, f.user, 0x1100, "main");
	fx_sample(&f, "app", 2, 3, main_, hot_, sys);
	fx_sample(&f, "app", 1, 2, main_, cold_);
	fx_sample(&f, "app", 3, 2, main_, hot_);
	q = f.p;
	c = render(q, &o);
	assert_string_equal(a, c);
	free(a);
	free(b);
	free(c);
	fmt_profile__free(p);
	fmt_profile__free(q);
}

static void test_empty(void **state)
{
	struct fmt_profile *p = fmt_profile__new(10000000);
	struct fmt_profile *q = small_profile(3, 1);
	struct fmt_filter none = {.comm = "nothing-by-this-name"};
	struct fmt_svg_opts o = {0}, fo = {.filter = &none};

	assert_non_null(p);
	assert_svg_has(p, &o, "No samples");
	/* A filter that takes nothing is an empty graph too. */
	assert_svg_has(q, &fo, "No samples");
	fmt_profile__free(p);
	fmt_profile__free(q);
}

static void test_icicle(void **state)
{
	struct fmt_profile *p = small_profile(3, 1);
	struct fmt_svg_opts o = {.icicle = true};
	char *svg = NULL;

	svg = render(p, &o);
	assert_non_null(strstr(svg, ">Icicle Graph</text>"));
	/* Root at the top. */
	assert_true(frame_attr(svg, "all", "y") < frame_attr(svg, "main", "y"));
	assert_true(frame_attr(svg, "main", "y") < frame_attr(svg, "hot", "y"));
	free(svg);
	fmt_profile__free(p);
}

static void test_differential(void **state)
{
	struct fmt_profile *p = small_profile(3, 1), *base = small_profile(1, 3);
	struct fmt_svg_opts o = {.base = base};
	char *svg = NULL, fill[64];

	svg = render(p, &o);
	/* hot: 5/6 now, 3/6 before; cold: 1/6 now, 3/6 before; main the same. */
	assert_non_null(strstr(svg, "<title>hot (5 samples, 83.33%; +33.33% vs base)</title>"));
	assert_non_null(strstr(svg, "<title>cold (1 sample, 16.67%; -33.33% vs base)</title>"));
	assert_string_equal(frame_fill(svg, "hot", fill, sizeof(fill)), "rgb(255,0,0)");
	assert_string_equal(frame_fill(svg, "cold", fill, sizeof(fill)), "rgb(0,0,255)");
	assert_string_equal(frame_fill(svg, "main", fill, sizeof(fill)), "rgb(255,255,255)");
	free(svg);

	/* Against an empty base everything is new. */
	fmt_profile__free(base);
	base = fmt_profile__new(10000000);
	assert_non_null(base);
	o.base = base;
	o.icicle = true;
	assert_svg_has(p, &o, "; new, +");
	fmt_profile__free(p);
	fmt_profile__free(base);
}

static void test_inline_and_lines(void **state)
{
	struct fx f;
	struct fmt_frame_desc frames[] = {
		{.name = "inner", .filename = "/src/lib/inner.h", .line = 7},
		{.name = "outer", .filename = "/src/outer.c", .line = 30},
	};
	struct fmt_svg_opts o = {.lines = true};
	uint32_t loc;
	char *svg = NULL;

	fx_init(&f);
	assert_int_equal(fmt_profile__add_location(f.p, f.user, 0x1400, frames, 2, &loc), 0);
	fx_sample(&f, "app", 4, 1, loc);
	svg = render(f.p, &o);
	assert_non_null(strstr(svg,
			       "<title>inner (inner.h:7) (4 samples, 100.00%, inlined)</title>"));
	assert_non_null(strstr(svg, "<title>outer (outer.c:30) (4 samples, 100.00%)</title>"));
	/* outer calls inner: inner is drawn above. */
	assert_true(frame_attr(svg, "inner (inner.h:7)", "y") <
		    frame_attr(svg, "outer (outer.c:30)", "y"));
	free(svg);
	fmt_profile__free(f.p);
}

static void test_narrow_frames_omitted(void **state)
{
	struct fx f;
	struct fmt_svg_opts o = {.width = 200};
	uint32_t big, tiny;
	char *svg = NULL;

	fx_init(&f);
	big = fx_loc(&f, f.user, 0x1100, "big");
	tiny = fx_loc(&f, f.user, 0x1200, "tiny");
	fx_sample(&f, "app", 1000000, 1, big);
	fx_sample(&f, "app", 1, 2, big, tiny);
	svg = render(f.p, &o);
	assert_non_null(strstr(svg, "<title>big ("));
	assert_null(strstr(svg, "<title>tiny ("));
	free(svg);
	fmt_profile__free(f.p);
}

static void test_write_error(void **state)
{
	struct fmt_profile *p = small_profile(3, 1);
	FILE *full = fopen("/dev/full", "w");

	if (!full)
		skip_because("no /dev/full to write to");
	assert_int_equal(fmt_svg_write(p, full, NULL), -EIO);
	fclose(full);
	fmt_profile__free(p);
}

TEST_MAIN(cmocka_unit_test(test_valid_xml),
	  cmocka_unit_test(test_width_proportional),
	  cmocka_unit_test(test_count_ratio),
	  cmocka_unit_test(test_escaping),
	  cmocka_unit_test(test_deterministic),
	  cmocka_unit_test(test_empty),
	  cmocka_unit_test(test_icicle),
	  cmocka_unit_test(test_differential),
	  cmocka_unit_test(test_inline_and_lines),
	  cmocka_unit_test(test_narrow_frames_omitted),
	  cmocka_unit_test(test_write_error))
