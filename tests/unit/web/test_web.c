// SPDX-License-Identifier: MIT
/*
 * Unit tests of web/: JSON escaping of hostile names, query parameter bounds, --http parsing,
 * top functions, and a real server on a free port answering through a fake source.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "folded_text.h"
#include "web/web_internal.h"
#include "helpers.h"

static char *json(const char *s)
{
	struct profd_strbuf sb = {0};

	assert_int_equal(web_json_str(&sb, s), 0);
	return profd_strbuf_detach(&sb, NULL);
}

static void expect_json(const char *in, const char *want)
{
	char *got = json(in);

	assert_string_equal(got, want);
	free(got);
}

static void test_json_escapes(void **state)
{
	expect_json("<img src=x onerror=alert(1)>", "\"\\u003cimg src=x onerror=alert(1)\\u003e\"");
	expect_json("a\"b\\c\nd\te", "\"a\\\"b\\\\c\\nd\\te\"");
	expect_json("\x01\x1f\x7f", "\"\\u0001\\u001f\\u007f\"");
	expect_json("x&y'z]]>", "\"x\\u0026y\\u0027z\\u005d\\u005d\\u003e\"");
	/* UTF-8 stays; broken UTF-8, overlong forms and surrogates become U+FFFD. */
	expect_json("caf\xc3\xa9 \xe2\x82\xac", "\"caf\xc3\xa9 \xe2\x82\xac\"");
	expect_json("\xff\xc3", "\"\\ufffd\\ufffd\"");
	expect_json("\xc0\xaf", "\"\\ufffd\\ufffd\"");
	expect_json("\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\"");
	expect_json("\xe2\x80\xa8", "\"\\u2028\"");
	expect_json(NULL, "\"\"");
}

static void test_text_ok(void **state)
{
	assert_true(web_text_ok("kworker/0:1", 11));
	assert_true(web_text_ok("caf\xc3\xa9", 5));
	assert_false(web_text_ok("a\nb", 3));
	assert_false(web_text_ok("a\0b", 3));
	assert_false(web_text_ok("\xff", 1));
	assert_false(web_text_ok("\xc3", 1));
}

static void test_parse_listen(void **state)
{
	char addr[64];
	uint16_t port;

	assert_int_equal(web_parse_listen("7070", addr, sizeof(addr), &port), 0);
	assert_string_equal(addr, "127.0.0.1");
	assert_int_equal(port, 7070);
	assert_int_equal(web_parse_listen("0.0.0.0:80", addr, sizeof(addr), &port), 0);
	assert_string_equal(addr, "0.0.0.0");
	assert_int_equal(port, 80);
	assert_int_equal(web_parse_listen("[::1]:0", addr, sizeof(addr), &port), 0);
	assert_string_equal(addr, "::1");
	assert_int_equal(port, 0);
	const char *bad[] = {"", "70x", "99999", ":7070", "localhost:7070", "[::1]7070",
			     "1.2.3.4:", "[::1]", "-1", "+80", "1.2.3:80", "[1.2.3.4]:80"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(web_parse_listen(bad[i], addr, sizeof(addr), &port), -EINVAL);

	assert_true(web_addr_is_loopback("127.0.0.1"));
	assert_true(web_addr_is_loopback("127.9.8.7"));
	assert_true(web_addr_is_loopback("::1"));
	assert_true(web_addr_is_loopback("::ffff:127.0.0.1"));
	assert_false(web_addr_is_loopback("0.0.0.0"));
	assert_false(web_addr_is_loopback("::"));
	assert_false(web_addr_is_loopback("10.0.0.1"));
	assert_false(web_addr_is_loopback("localhost"));
}

/* A request with these "key=value" parameters. */
static void make_request(struct web_request *rq, const char *const *kv, size_t n)
{
	memset(rq, 0, sizeof(*rq));
	for (size_t i = 0; i < n; i++) {
		const char *eq = strchr(kv[i], '=');
		char *key = strndup(kv[i], (size_t)(eq - kv[i]));

		rq->params[i] = (struct web_param){.key = key, .value = eq + 1, .len = strlen(eq + 1)};
	}
	rq->nparams = n;
}

static void free_request(struct web_request *rq)
{
	for (size_t i = 0; i < rq->nparams; i++)
		free((char *)rq->params[i].key);
}

static int parse(const char *const *kv, size_t n, struct web_query *q, unsigned *status)
{
	struct web_request rq;
	struct web_reply rp = {0};
	int ret;

	make_request(&rq, kv, n);
	ret = web_query_parse(&rq, &rp, q);
	*status = rp.status;
	if (rp.kind == WEB_BODY_MALLOC)
		free(rp.body);
	free_request(&rq);
	return ret;
}

static void test_query_params(void **state)
{
	const char *good[] = {"pid=42", "comm=a<b>", "from=1.5", "to=3", "icicle=1", "width=800"};
	struct web_query q;
	unsigned status;

	assert_int_equal(parse(good, 6, &q, &status), 0);
	assert_int_equal(q.filter.pid, 42);
	assert_string_equal(q.filter.comm, "a<b>");
	assert_true(q.ranged);
	assert_true(q.range.from == 1.5 && q.range.to == 3);
	assert_true(q.icicle);
	assert_int_equal(q.width, 800);

	const char *bad[] = {"pid=-1",	  "pid=4194305", "pid=0x10", "pid=",	  "from=-1",
			     "from=1e3",  "from=nan",	 "to=inf",   "to=1.",	  "from=.5",
			     "to=10000000000", "icicle=2", "width=199", "width=10001",
			     "from=1.1234567"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(parse(&bad[i], 1, &q, &status), -EINVAL);
		assert_int_equal(status, 400);
	}
	const char *reversed[] = {"from=5", "to=2"};
	assert_int_equal(parse(reversed, 2, &q, &status), -EINVAL);
	assert_int_equal(status, 400);
}

static void test_wall_times(void **state)
{
	const char *good[] = {"from=2026-11-25T14:00:00Z", "to=2026-11-25T14:15:00.5Z", "pid=7"};
	const char *offset[] = {"from=2026-11-25T15:00:00+01:00", "to=2026-11-25t14:15:00z"};
	const char *bad[][2] = {
	    {"from=2026-02-29T00:00:00Z", "to=2026-03-01T00:00:00Z"}, /* not a leap year */
	    {"from=2026-02-31T00:00:00Z", "to=2026-03-01T00:00:00Z"}, /* no such day */
	    {"from=9999-01-01T00:00:00Z", "to=9999-01-02T00:00:00Z"}, /* past 2262 */
	    {"from=2026-11-25T14:00:00+0100", "to=2026-11-26T00:00:00Z"},
	    {"from=2026-11-25_14:00:00Z", "to=2026-11-26T00:00:00Z"},
	    {"from=2026-11-25T14:00:00.Z", "to=2026-11-26T00:00:00Z"},
	    {"from=2026-11-25T14:00:00.1234567890Z", "to=2026-11-26T00:00:00Z"},
	    {"from=2026-11-25T24:00:00Z", "to=2026-11-26T00:00:00Z"},
	    {"from=1969-12-31T23:59:59Z", "to=2026-11-26T00:00:00Z"},
	    {"from=2026-11-25T14:00:00", "to=2026-11-26T00:00:00Z"}, /* no zone */
	    {"from=2026-11-26T00:00:00Z", "to=2026-11-25T00:00:00Z"}, /* reversed */
	    {"from=2026-11-25T14:00:00Z", "to=5"},		      /* mixed forms */
	    {"from=2026-11-25T14:00:00Z", "comm=x"},		      /* to missing */
	};
	struct web_query q;
	unsigned status;

	assert_int_equal(parse(good, 3, &q, &status), 0);
	assert_true(q.wall && q.ranged);
	assert_true(q.from_ns == 1795615200LL * 1000000000);
	assert_true(q.to_ns == 1795616100LL * 1000000000 + 500000000);
	/* The CLI's grammar (common/clock.h): other zones, "t", "z" and a space are RFC 3339 too. */
	assert_int_equal(parse(offset, 2, &q, &status), 0);
	assert_true(q.wall && q.from_ns == 1795615200LL * 1000000000);
	assert_true(q.to_ns == 1795616100LL * 1000000000);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(parse(bad[i], 2, &q, &status), -EINVAL);
		assert_int_equal(status, 400);
	}
	/* Seconds since the start still work, and are not wall-clock. */
	const char *secs[] = {"from=12", "to=20"};
	assert_int_equal(parse(secs, 2, &q, &status), 0);
	assert_false(q.wall);
}

static struct fmt_profile *folded(const char *text)
{
	struct fmt_profile *p = fmt_profile__new(0);

	folded_read_into(p, text);
	return p;
}

/* Runs web_top_json(p, o) and checks that the JSON holds each of want (NULL-terminated). */
static void top_has(const struct fmt_profile *p, const struct web_top_opts *o,
		    const char *const *want)
{
	struct profd_strbuf sb = {0};

	assert_int_equal(web_top_json(p, o, &sb), 0);
	for (; *want; want++)
		if (!strstr(sb.buf, *want))
			fail_msg("%s\nholds no %s", sb.buf, *want);
	profd_strbuf_release(&sb);
}

static void test_top(void **state)
{
	/* Recursion counts once in total; self is the leaf only. */
	struct fmt_profile *p = folded("app;main;f;f;g 6\napp;main;f 3\napp;main 1\n");
	struct profd_strbuf sb = {0};

	top_has(p, &(struct web_top_opts){.limit = 10}, (const char *const[]){
		"{\"total\":10,\"count\":3,\"functions\":["
		"{\"name\":\"g\",\"file\":\"\",\"self\":6,\"total\":6,",
		"{\"name\":\"f\",\"file\":\"\",\"self\":3,\"total\":9,",
		"{\"name\":\"main\",\"file\":\"\",\"self\":1,\"total\":10,", NULL});
	assert_int_equal(web_top_json(p, &(struct web_top_opts){.by_total = true, .limit = 1}, &sb),
			 0);
	assert_non_null(strstr(sb.buf, "\"functions\":[{\"name\":\"main\""));
	assert_null(strstr(sb.buf, "\"f\""));
	profd_strbuf_release(&sb);
	fmt_profile__free(p);

	/* by_comm: the same function in two programs is two rows, each with its program. */
	p = folded("cc1;main;memcpy 5\npostgres;main;memcpy 2\ncc1;main;parse 3\n");
	top_has(p, &(struct web_top_opts){.limit = 10, .by_comm = true}, (const char *const[]){
		"{\"total\":10,\"count\":5,\"functions\":["
		"{\"name\":\"memcpy\",\"comm\":\"cc1\",\"file\":\"\",\"self\":5,",
		"{\"name\":\"parse\",\"comm\":\"cc1\",\"file\":\"\",\"self\":3,",
		"{\"name\":\"memcpy\",\"comm\":\"postgres\",\"file\":\"\",\"self\":2,",
		"{\"name\":\"main\",\"comm\":\"cc1\",\"file\":\"\",\"self\":0,\"total\":8,", NULL});
	fmt_profile__free(p);
}

static void test_top_short_names(void **state)
{
	struct fmt_profile *p = folded("app;main;int ns::f(int);void ns::f(long) 4\n"
				       "app;main;int ns::f(int) 2\nsh;int ns::f(int) 1\n");

	/* Overloads share the short name: one row, each sample once in its total. */
	top_has(p, &(struct web_top_opts){.limit = 10}, (const char *const[]){
		"{\"total\":7,\"count\":2,\"functions\":["
		"{\"name\":\"ns::f\",\"file\":\"\",\"self\":7,\"total\":7,", NULL});
	top_has(p, &(struct web_top_opts){.limit = 10, .by_comm = true}, (const char *const[]){
		"\"count\":3,\"functions\":[{\"name\":\"ns::f\",\"comm\":\"app\",\"file\":\"\","
		"\"self\":6,\"total\":6,",
		"{\"name\":\"ns::f\",\"comm\":\"sh\",\"file\":\"\",\"self\":1,\"total\":1,", NULL});
	/* Whole names: two functions. */
	top_has(p, &(struct web_top_opts){.limit = 10, .full_names = true}, (const char *const[]){
		"\"count\":3,\"functions\":[{\"name\":\"void ns::f(long)\",\"file\":\"\","
		"\"self\":4,\"total\":4,",
		"{\"name\":\"int ns::f(int)\",\"file\":\"\",\"self\":3,\"total\":7,", NULL});
	fmt_profile__free(p);
}

/* The JSON of p's tree (and base's, for a diff) with these options; the caller frees it. */
static char *tree_json(const char *text, const char *base_text, int64_t detail, const char *focus)
{
	struct fmt_profile *p = folded(text), *b = base_text ? folded(base_text) : NULL;
	struct fmt_tree *t = fmt_tree__new(p, NULL), *bt = b ? fmt_tree__new(b, NULL) : NULL;
	struct web_tree_opts o = {.base = bt, .detail = detail};
	struct profd_strbuf sb = {0};

	assert_non_null(t);
	if (focus) {
		o.focus = web_tree_find_path(t, focus, strlen(focus));
		assert_int_not_equal(o.focus, FMT_TREE_NONE);
	}
	assert_int_equal(web_tree_json(t, &o, &sb), 0);
	fmt_tree__free(t);
	fmt_tree__free(bt);
	fmt_profile__free(p);
	fmt_profile__free(b);
	return profd_strbuf_detach(&sb, NULL);
}

static const char tree_text[] = "app;main;f;g 6\napp;main;f 3\napp;main;h 1\nzsh;main 2\n";

static void test_tree(void **state)
{
	char *j = tree_json(tree_text, NULL, 0, NULL);

	/* Pre-order, children by name: [name, count, nkids, flags] each. */
	assert_string_equal(j, "{\"total\":12,\"stride\":4,\"detail\":0,\"nodes\":["
			       "0,12,2,0,1,10,1,0,2,10,2,0,3,9,1,0,4,6,0,0,5,1,0,0,6,2,1,0,2,2,0,0],"
			       "\"names\":[\"all\",\"app\",\"main\",\"f\",\"g\",\"h\",\"zsh\"]}");
	free(j);
	/* detail 5: a frame needs 12 / 5 samples; h (1) and zsh (2) are left out, and their
	 * parents say so (flag 8). */
	j = tree_json(tree_text, NULL, 5, NULL);
	assert_string_equal(j, "{\"total\":12,\"stride\":4,\"detail\":5,\"nodes\":["
			       "0,12,1,8,1,10,1,0,2,10,1,8,3,9,1,0,4,6,0,0],"
			       "\"names\":[\"all\",\"app\",\"main\",\"f\",\"g\"]}");
	free(j);
	/* Focus on app;main;f: its ancestors, one child each, then its subtree measured against
	 * f's 9 samples: g (6) stays at detail 2, and the root still carries the total. */
	j = tree_json(tree_text, NULL, 2, "app;main;f");
	assert_string_equal(j, "{\"total\":12,\"stride\":4,\"detail\":2,\"focus\":3,\"nodes\":["
			       "0,12,1,8,1,10,1,0,2,10,1,8,3,9,1,0,4,6,0,0],"
			       "\"names\":[\"all\",\"app\",\"main\",\"f\",\"g\"]}");
	free(j);
	/* A diff: each node's count in the base, 0 where the base lacks the path. */
	j = tree_json("app;main;f 3\napp;main;k 1\n", "app;main;f 1\napp;main 4\n", 0, NULL);
	assert_string_equal(j, "{\"total\":4,\"stride\":5,\"detail\":0,\"base_total\":5,\"nodes\":["
			       "0,4,1,0,5,1,4,1,0,5,2,4,2,0,5,3,3,0,0,1,4,1,0,0,0],"
			       "\"names\":[\"all\",\"app\",\"main\",\"f\",\"k\"]}");
	free(j);
}

static void test_tree_paths_and_names(void **state)
{
	struct fmt_profile *p = folded(tree_text);
	struct fmt_tree *t = fmt_tree__new(p, NULL);
	struct profd_strbuf sb = {0};
	struct web_tree_opts o = {0};
	uint32_t n;

	n = web_tree_find_path(t, "app;main;h", 10);
	assert_string_equal(fmt_tree__name(t, n), "h");
	assert_int_equal(web_tree_find_path(t, "app;main;h;x", 12), FMT_TREE_NONE);
	assert_int_equal(web_tree_find_path(t, "main", 4), FMT_TREE_NONE);
	assert_int_equal(web_tree_find_path(t, "", 0), 0);
	/* Only the first len bytes count. */
	assert_int_equal(web_tree_find_path(t, "zsh;main;f", 3), web_tree_find_path(t, "zsh", 3));
	fmt_tree__free(t);
	fmt_profile__free(p);

	/* Names are JSON, safe in HTML. */
	p = folded("<img src=x onerror=alert(1)>;main 1\n");
	t = fmt_tree__new(p, NULL);
	assert_int_equal(web_tree_json(t, &o, &sb), 0);
	assert_non_null(strstr(sb.buf, "\"\\u003cimg src=x onerror=alert(1)\\u003e\""));
	assert_null(strstr(sb.buf, "<"));
	profd_strbuf_release(&sb);
	fmt_tree__free(t);
	fmt_profile__free(p);
}

static void test_tree_cache(void **state)
{
	struct fmt_profile *p = folded(tree_text);
	struct web_tree_cache *c = web_tree_cache__new();
	struct fmt_tree *t[6];
	char key[16];

	assert_non_null(c);
	assert_null(web_tree_cache__get(c, "k0"));
	for (int i = 0; i < 6; i++) {
		t[i] = fmt_tree__new(p, NULL);
		snprintf(key, sizeof(key), "k%d", i);
		web_tree_cache__put(c, key, t[i]);
	}
	/* Four slots, all held: the last two were not kept, and their release frees them. */
	assert_null(web_tree_cache__get(c, "k4"));
	web_tree_cache__release(c, t[4]);
	web_tree_cache__release(c, t[5]);
	assert_ptr_equal(web_tree_cache__get(c, "k1"), t[1]);
	web_tree_cache__release(c, t[1]);
	for (int i = 0; i < 4; i++)
		web_tree_cache__release(c, t[i]);
	/* Unheld now: a new tree takes the least recently used slot (k0; k1 was used since). */
	t[4] = fmt_tree__new(p, NULL);
	web_tree_cache__put(c, "k4", t[4]);
	web_tree_cache__release(c, t[4]);
	assert_null(web_tree_cache__get(c, "k0"));
	assert_ptr_equal(web_tree_cache__get(c, "k1"), t[1]);
	assert_ptr_equal(web_tree_cache__get(c, "k4"), t[4]);
	web_tree_cache__release(c, t[1]);
	web_tree_cache__release(c, t[4]);
	web_tree_cache__free(c);
	/* Without a cache, release frees. */
	web_tree_cache__release(NULL, fmt_tree__new(p, NULL));
	fmt_profile__free(p);
}

/* ---- a real server with a fake source ---- */

static struct fmt_profile *fake_profile;

static int fake_collect(void *ctx, const struct web_range *r, const struct fmt_filter *f,
			struct fmt_profile *dst)
{
	return fmt_profile__merge(dst, fake_profile, f);
}

static int fake_status(void *ctx, struct web_status *st)
{
	snprintf(st->mode, sizeof(st->mode), "files");
	st->samples = fake_profile->total;
	return 0;
}

static int fake_targets(void *ctx, struct web_target **out, size_t *n)
{
	*out = calloc(1, sizeof(**out));
	(*out)->comm = strdup("<img src=x onerror=alert(1)>");
	(*out)->samples = 1;
	*n = 1;
	return 0;
}

/* Sends a raw request and returns the status code of the answer. */
static int http(uint16_t port, const char *request, char *body, size_t size)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(port)};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), code = -1;
	size_t len = 0;
	ssize_t n;

	inet_pton(AF_INET, "127.0.0.1", &sin.sin_addr);
	assert_int_equal(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(write(fd, request, strlen(request)), (ssize_t)strlen(request));
	while (len + 1 < size && (n = read(fd, body + len, size - len - 1)) > 0)
		len += (size_t)n;
	body[len] = 0;
	close(fd);
	sscanf(body, "HTTP/1.%*d %d", &code);
	return code;
}

static void test_server(void **state)
{
	const char *hosts[] = {"profd.test"};
	struct web_server_opts o = {
		.port = 0,
		.hosts = hosts,
		.nhosts = 1,
		.source = {.collect = fake_collect, .status = fake_status, .targets = fake_targets},
	};
	struct web_server *s;
	char buf[65536], req[256];
	uint16_t port;

	fake_profile = folded("<img src=x onerror=alert(1)>;main;work 5\n");
	s = web_server__start(&o);
	assert_non_null(s);
	port = web_server__port(s);
	assert_true(port > 0);

#define REQ(path, host) (snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\nHost: %s\r\n\r\n", path, host), req)
	assert_int_equal(http(port, REQ("/healthz", "127.0.0.1"), buf, sizeof(buf)), 200);
	assert_int_equal(http(port, REQ("/healthz", "profd.test"), buf, sizeof(buf)), 200);
	assert_int_equal(http(port, REQ("/healthz", "evil.test"), buf, sizeof(buf)), 403);
	assert_int_equal(http(port, REQ("/api/targets", "localhost"), buf, sizeof(buf)), 200);
	assert_non_null(strstr(buf, "\\u003cimg src=x onerror=alert(1)\\u003e"));
	assert_null(strstr(buf, "<img"));
	assert_int_equal(http(port, REQ("/flamegraph.svg", "127.0.0.1"), buf, sizeof(buf)), 200);
	assert_non_null(strstr(buf, "&lt;img src=x onerror=alert(1)&gt;"));
	assert_int_equal(http(port, REQ("/flamegraph.svg?pid=-1", "127.0.0.1"), buf, sizeof(buf)), 400);
	assert_int_equal(http(port, REQ("/nothing", "127.0.0.1"), buf, sizeof(buf)), 404);
	assert_int_equal(http(port, "POST /healthz HTTP/1.0\r\nHost: 127.0.0.1\r\nContent-Length: 1\r\n\r\nx",
			      buf, sizeof(buf)), 405);

	web_server__stop(s);
	fmt_profile__free(fake_profile);

	/* A public address is refused without allow_public. */
	o.addr = "0.0.0.0";
	errno = 0;
	assert_null(web_server__start(&o));
	assert_int_equal(errno, EACCES);
}

TEST_MAIN(cmocka_unit_test(test_json_escapes),
	  cmocka_unit_test(test_text_ok),
	  cmocka_unit_test(test_parse_listen),
	  cmocka_unit_test(test_query_params),
	  cmocka_unit_test(test_wall_times),
	  cmocka_unit_test(test_top),
	  cmocka_unit_test(test_top_short_names),
	  cmocka_unit_test(test_tree),
	  cmocka_unit_test(test_tree_paths_and_names),
	  cmocka_unit_test(test_tree_cache),
	  cmocka_unit_test(test_server))
