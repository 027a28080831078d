// SPDX-License-Identifier: MIT
/*
 * Unit tests of the pprof writer and reader. Hand-made protobuf here is encoded by a few lines
 * of this file, not by formats/protobuf.c, so the two check each other.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <zlib.h>

#include <cmocka.h>

#include "formats/formats.h"
#include "folded_text.h"
#include "helpers.h"

/* ---- a tiny protobuf encoder for hand-made inputs ---- */

struct buf {
	uint8_t *data;
	size_t len;
};

static void put(struct buf *b, const void *data, size_t len)
{
	b->data = realloc(b->data, b->len + len + 1);
	assert_non_null(b->data);
	memcpy(b->data + b->len, data, len);
	b->len += len;
}

static void varint(struct buf *b, uint64_t v)
{
	uint8_t c;

	do {
		c = (v & 0x7f) | (v >= 0x80 ? 0x80 : 0);
		put(b, &c, 1);
		v >>= 7;
	} while (v);
}

static void field_uint(struct buf *b, uint32_t field, uint64_t v)
{
	varint(b, (uint64_t)field << 3);
	varint(b, v);
}

static void field_bytes(struct buf *b, uint32_t field, const void *data, size_t len)
{
	varint(b, (uint64_t)field << 3 | 2);
	varint(b, len);
	put(b, data, len);
}

/* Appends a finished sub-message and frees it. */
static void field_msg(struct buf *b, uint32_t field, struct buf *m)
{
	field_bytes(b, field, m->data, m->len);
	free(m->data);
	memset(m, 0, sizeof(*m));
}

static void field_str(struct buf *b, const char *s)
{
	field_bytes(b, 6, s, strlen(s));
}

/* ---- helpers ---- */

static struct fmt_profile *folded(const char *text)
{
	struct fmt_profile *p = fmt_profile__new(0);

	folded_read_into(p, text);
	return p;
}

/* p as folded text, with source lines or without. */
static char *folded_lines(const struct fmt_profile *p, bool lines)
{
	struct fmt_folded_opts opts = {.lines = lines};

	return folded_text(p, &opts);
}

static uint8_t *pprof_bytes(const struct fmt_profile *p, const struct fmt_pprof_opts *opts,
			    size_t *len)
{
	char *buf = NULL;
	FILE *out = open_memstream(&buf, len);

	assert_non_null(out);
	assert_int_equal(fmt_pprof_write(p, out, opts), 0);
	fclose(out);
	return (uint8_t *)buf;
}

/* Reads bytes as pprof into a new profile; returns it, or NULL with *ret and err set. */
static struct fmt_profile *pprof_read(const void *data, size_t len, struct fmt_error *err, int *ret)
{
	return read_profile(fmt_pprof_read, 0, data, len, err, ret);
}

/* p written as pprof and read back into a new profile; fails the test if it cannot be. */
static struct fmt_profile *read_back(const struct fmt_profile *p)
{
	struct fmt_profile *q;
	struct fmt_error err;
	size_t len;
	uint8_t *b = pprof_bytes(p, NULL, &len);
	int ret;

	q = pprof_read(b, len, &err, &ret);
	free(b);
	if (!q)
		fail_msg("read back: %s", err.msg);
	return q;
}

static void expect_error(const void *data, size_t len, const char *want)
{
	struct fmt_error err;
	int ret;

	assert_null(pprof_read(data, len, &err, &ret));
	assert_int_equal(ret, -EINVAL);
	if (!strstr(err.msg, want))
		fail_msg("error '%s' does not contain '%s'", err.msg, want);
	assert_null(strchr(err.msg, '\n'));
}

static uint8_t *gunzip_all(const uint8_t *in, size_t inlen, size_t *outlen)
{
	z_stream zs = {0};
	size_t cap = 1 << 20;
	uint8_t *out = malloc(cap);

	assert_non_null(out);
	assert_int_equal(inflateInit2(&zs, 31), Z_OK);
	zs.next_in = (Bytef *)in;
	zs.avail_in = inlen;
	zs.next_out = out;
	zs.avail_out = cap;
	assert_int_equal(inflate(&zs, Z_FINISH), Z_STREAM_END);
	*outlen = zs.total_out;
	inflateEnd(&zs);
	return out;
}

static uint64_t get_varint(const uint8_t **p)
{
	uint64_t v = 0;

	for (unsigned s = 0;; s += 7) {
		uint8_t c = *(*p)++;

		v |= (uint64_t)(c & 0x7f) << s;
		if (!(c & 0x80))
			return v;
	}
}

/* ---- tests ---- */

static void test_round_trip_folded(void **state)
{
	const char *in = "app;main;work;memcpy_[k] 3\n"
			 "app;main;idle 1\n"
			 "other;main;f (f.c:12) 5\n"
			 "other;start;g (dir/g.c:7);h 2\n";
	struct fmt_profile *p = folded(in), *q;
	struct fmt_error err;
	char *a, *b;
	uint8_t *pb;
	size_t len;
	int ret;

	pb = pprof_bytes(p, NULL, &len);
	q = pprof_read(pb, len, &err, &ret);
	if (!q)
		fail_msg("read back: %s", err.msg);
	a = folded_lines(p, true);
	b = folded_lines(q, true);
	assert_string_equal(a, b);
	assert_int_equal(q->total, 11);
	free(b);
	free(a);
	a = folded_lines(p, false);
	b = folded_lines(q, false);
	assert_string_equal(a, b);
	free(a);
	free(b);
	free(pb);
	fmt_profile__free(p);
	fmt_profile__free(q);
}

/* A profile as the recorder makes one: mapping with build-id, inline frames, labels, losses. */
static struct fmt_profile *recorded(void)
{
	struct fmt_profile *p = fmt_profile__new(10101010);
	struct fmt_mapping_desc m = {.filename = "/usr/bin/app",
				     .build_id = "0123abcd",
				     .start = 0x401000,
				     .limit = 0x402000,
				     .offset = 0x1000,
				     .has_functions = true,
				     .has_filenames = true,
				     .has_line_numbers = true,
				     .has_inline_frames = true};
	struct fmt_mapping_desc k = {.filename = "[kernel.kallsyms]",
				     .kernel = true,
				     .start = 0xffffffff81000000,
				     .limit = 0xffffffff82000000,
				     .has_functions = true};
	struct fmt_frame_desc inl[3] = {
		{.name = "inner", .filename = "/src/a.h", .line = 3, .start_line = 1},
		{.name = "middle", .filename = "/src/a.h", .line = 20, .start_line = 18},
		{.name = "Outer::run()", .system_name = "_ZN5Outer3runEv", .filename = "/src/a.cc",
		 .line = 99, .start_line = 90},
	};
	struct fmt_frame_desc mainf = {.name = "main", .filename = "/src/a.cc", .line = 5};
	struct fmt_frame_desc kf = {.name = "do_syscall_64"};
	struct fmt_sample_desc l1 = {.pid = 4242, .tid = 4243, .comm = "app"};
	struct fmt_sample_desc l0 = {.pid = 0, .tid = 0, .comm = "swapper/0"};
	uint32_t map, kmap, stack[3];

	assert_non_null(p);
	assert_int_equal(fmt_profile__add_mapping(p, &m, &map), 0);
	assert_int_equal(fmt_profile__add_mapping(p, &k, &kmap), 0);
	assert_int_equal(fmt_profile__add_location(p, kmap, 0xffffffff81001234, &kf, 1, &stack[0]),
			 0);
	assert_int_equal(fmt_profile__add_location(p, map, 0x401234, inl, 3, &stack[1]), 0);
	assert_int_equal(fmt_profile__add_location(p, map, 0x401100, &mainf, 1, &stack[2]), 0);
	assert_int_equal(fmt_profile__add_sample(p, stack, 3, &l1, 7), 0);
	assert_int_equal(fmt_profile__add_sample(p, stack + 1, 2, &l1, 5), 0);
	assert_int_equal(fmt_profile__add_sample(p, stack, 1, &l0, 2), 0);
	p->time_ns = 1700000000123456789;
	p->duration_ns = 5000000000;
	p->loss.stacks_truncated = 4;
	p->loss.stacks_map_full = 1;
	return p;
}

static void test_inline_lines_and_labels(void **state)
{
	static const char *const inline_names[3] = {"inner", "middle", "Outer::run()"};
	static const int64_t inline_lines[3] = {3, 20, 99};
	struct fmt_profile *p = recorded(), *q;
	const struct fmt_location *l = NULL;
	const struct fmt_mapping *m;
	const struct fmt_function *f;
	struct fmt_error err;
	uint8_t *pb;
	size_t len;
	char *a, *b;
	int ret;

	pb = pprof_bytes(p, NULL, &len);
	q = pprof_read(pb, len, &err, &ret);
	if (!q)
		fail_msg("read back: %s", err.msg);
	for (uint32_t id = 1; id <= q->nlocations; id++)
		if (fmt_profile__location(q, id)->nlines == 3)
			l = fmt_profile__location(q, id);
	assert_non_null(l);
	assert_int_equal(l->address, 0x401234);
	/*
	 * Innermost first, each with its line. The file names Outer::run() "Outer::run" and keeps
	 * the whole name as system_name, which the reader takes back as the name.
	 */
	for (uint32_t i = 0; i < 3; i++) {
		const struct fmt_line *line = &q->lines[l->first_line + i];

		f = fmt_profile__function(q, line->function);
		assert_string_equal(fmt_profile__str(q, f->name), inline_names[i]);
		assert_int_equal(line->line, inline_lines[i]);
	}
	assert_string_equal(fmt_profile__str(q, f->system_name), "Outer::run()");
	m = fmt_profile__mapping(q, l->mapping);
	assert_string_equal(fmt_profile__str(q, m->build_id), "0123abcd");
	assert_string_equal(fmt_profile__str(q, m->filename), "/usr/bin/app");
	assert_int_equal(m->start, 0x401000);
	assert_int_equal(m->limit, 0x402000);
	assert_int_equal(m->offset, 0x1000);
	assert_true(m->has_inline_frames && m->has_line_numbers);
	assert_false(m->kernel);
	assert_int_equal(q->period_ns, 10101010);
	assert_int_equal(q->time_ns, 1700000000123456789);
	assert_int_equal(q->duration_ns, 5000000000);
	assert_int_equal(q->loss.stacks_truncated, 4);
	assert_int_equal(q->loss.stacks_map_full, 1);
	assert_int_equal(q->total, 14);
	assert_int_equal(q->nsamples, 3);
	for (size_t i = 0; i < q->nsamples; i++) {
		const struct fmt_sample *s = &q->samples[i];
		const char *comm = fmt_profile__str(q, s->comm);

		if (!strcmp(comm, "app")) {
			assert_int_equal(s->pid, 4242);
			assert_int_equal(s->tid, 4243);
		} else {
			assert_string_equal(comm, "swapper/0");
			assert_int_equal(s->pid, 0);
		}
	}
	/* Everything folded shows is the same, kernel suffix and lines included. */
	a = folded_lines(p, true);
	b = folded_lines(q, true);
	assert_string_equal(a, b);
	assert_non_null(strstr(a, "do_syscall_64_[k]"));
	free(a);
	free(b);
	free(pb);
	fmt_profile__free(p);
	fmt_profile__free(q);
}

static void test_string_table_and_header(void **state)
{
	struct fmt_profile *p = recorded();
	const uint8_t *c, *end;
	uint8_t *pb, *raw;
	size_t len, rawlen, nstr = 0;
	char *strs[64] = {0};
	bool loss_comment = false;

	pb = pprof_bytes(p, NULL, &len);
	/* gzip: no flags (no name), mtime 0. */
	assert_true(len > 18);
	assert_int_equal(pb[0], 0x1f);
	assert_int_equal(pb[1], 0x8b);
	assert_int_equal(pb[3], 0);
	assert_int_equal(pb[4] | pb[5] | pb[6] | pb[7], 0);
	raw = gunzip_all(pb, len, &rawlen);
	for (c = raw, end = raw + rawlen; c < end;) {
		uint64_t key = get_varint(&c), n;

		switch (key & 7) {
		case 0:
			get_varint(&c);
			break;
		case 2:
			n = get_varint(&c);
			if (key >> 3 == 6) {
				assert_true(nstr < 64);
				strs[nstr] = strndup((const char *)c, n);
				nstr++;
			}
			c += n;
			break;
		default:
			fail_msg("unexpected wire type %d", (int)(key & 7));
		}
	}
	assert_int_equal(c, end);
	assert_true(nstr > 10);
	assert_string_equal(strs[0], "");
	for (size_t i = 0; i < nstr; i++) {
		for (size_t j = i + 1; j < nstr; j++)
			if (!strcmp(strs[i], strs[j]))
				fail_msg("string '%s' twice (%zu and %zu)", strs[i], i, j);
		if (!strcmp(strs[i], "loss: stacks_truncated=4: stacks cut at the depth limit"))
			loss_comment = true;
	}
	assert_true(loss_comment);
	for (size_t i = 0; i < nstr; i++)
		free(strs[i]);
	free(raw);
	free(pb);
	fmt_profile__free(p);
}

static void test_deterministic_and_filter(void **state)
{
	struct fmt_profile *p = recorded(), *q;
	struct fmt_filter only = {.pid = 4242};
	struct fmt_pprof_opts opts = {.filter = &only};
	struct fmt_error err;
	uint8_t *a, *b;
	size_t alen, blen;
	int ret;

	a = pprof_bytes(p, NULL, &alen);
	b = pprof_bytes(p, NULL, &blen);
	assert_int_equal(alen, blen);
	assert_memory_equal(a, b, alen);
	free(b);
	/* A filtered profile holds only what its samples use. */
	b = pprof_bytes(p, &opts, &blen);
	assert_true(blen < alen);
	q = pprof_read(b, blen, &err, &ret);
	if (!q)
		fail_msg("read back: %s", err.msg);
	assert_int_equal(q->total, 12);
	assert_int_equal(q->nmappings, 2);
	for (uint32_t i = 1; i < q->nstrings; i++)
		assert_string_not_equal(q->strings[i], "swapper/0");
	fmt_profile__free(q);
	free(a);
	free(b);
	fmt_profile__free(p);
}

/*
 * The cgroup a sample ran in survives pprof and a merge: the same stack in two cgroups stays
 * two samples; a cgroup filter takes a cgroup and those below it, not a sibling sharing its
 * prefix; a cgroup without a container has no container_id label.
 */
static void test_cgroup_labels(void **state)
{
	static const struct fmt_cgroup_desc web = {
		.path = "/system.slice/docker-abc.scope",
		.container_id = "abc",
		.systemd_unit = "docker-abc.scope",
	};
	static const struct fmt_cgroup_desc web_child = {.path = "/system.slice/docker-abc.scope/x",
							 .container_id = "abc"};
	static const struct fmt_cgroup_desc sibling = {.path = "/system.slice/docker-abcd.scope",
						       .systemd_unit = "docker-abcd.scope"};
	struct fmt_profile *p = fmt_profile__new(1000000), *q, *m;
	struct fmt_frame_desc f = {.name = "work"};
	struct fmt_filter only = {.cgroup = "/system.slice/docker-abc.scope/"};
	struct fmt_sample_desc s = {.pid = 7, .tid = 7, .comm = "app"};
	struct fmt_cgroup_desc cg;
	struct fmt_error err;
	uint32_t loc;
	uint8_t *a;
	size_t alen;
	int ret;

	assert_non_null(p);
	assert_int_equal(fmt_profile__add_location(p, 0, 0, &f, 1, &loc), 0);
	s.cgroup = &web;
	assert_int_equal(fmt_profile__add_sample(p, &loc, 1, &s, 3), 0);
	s.cgroup = &web_child;
	assert_int_equal(fmt_profile__add_sample(p, &loc, 1, &s, 2), 0);
	s.cgroup = &sibling;
	assert_int_equal(fmt_profile__add_sample(p, &loc, 1, &s, 5), 0);
	s.cgroup = NULL;
	assert_int_equal(fmt_profile__add_sample(p, &loc, 1, &s, 7), 0);
	assert_int_equal(p->nsamples, 4);
	assert_int_equal(p->ncgroups, 3);

	a = pprof_bytes(p, NULL, &alen);
	q = pprof_read(a, alen, &err, &ret);
	if (!q)
		fail_msg("read back: %s", err.msg);
	assert_int_equal(q->nsamples, 4);
	for (size_t i = 0; i < q->nsamples; i++) {
		const struct fmt_cgroup_desc *d = fmt_cgroup_desc_of(q, &q->samples[i], &cg);

		switch (q->samples[i].count) {
		case 3:
			assert_non_null(d);
			assert_string_equal(d->path, web.path);
			assert_string_equal(d->container_id, "abc");
			assert_string_equal(d->systemd_unit, "docker-abc.scope");
			assert_string_equal(d->pod_uid, "");
			break;
		case 5:
			assert_non_null(d);
			assert_string_equal(d->container_id, "");
			break;
		case 7:
			assert_null(d);
			break;
		}
	}
	m = fmt_profile__new(0);
	assert_non_null(m);
	assert_int_equal(fmt_profile__merge(m, q, &only), 0);
	assert_int_equal(m->total, 5);
	assert_true(fmt_cgroup_under("/a/b", "/"));
	assert_true(fmt_cgroup_under("/a", "/a"));
	assert_false(fmt_cgroup_under("/ab", "/a"));
	fmt_profile__free(m);
	fmt_profile__free(q);
	fmt_profile__free(p);
	free(a);
}

/* A Location of go_like's mapping 5: id at addr, in function at line (function 0: no line). */
struct go_loc {
	uint64_t id, addr, function, line;
};

static void put_go_location(struct buf *b, const struct go_loc *l)
{
	struct buf m = {0}, n = {0};

	field_uint(&m, 1, l->id);
	field_uint(&m, 2, 5);
	field_uint(&m, 3, l->addr);
	if (l->function) {
		field_uint(&n, 1, l->function);
		field_uint(&n, 2, l->line);
		field_msg(&m, 4, &n);
	}
	field_msg(b, 4, &m);
}

/*
 * A profile shaped as Go's runtime/pprof writes one: string table last, ids not 1..n, unpacked
 * location ids, no comm label, two sample types, a location without lines.
 */
static struct buf go_like(uint64_t bad_string, uint64_t bad_location, uint64_t bad_function)
{
	enum { S_EMPTY, S_SAMPLES, S_COUNT, S_CPU, S_NS, S_MAIN, S_BUSY, S_FILE, S_BIN, S_N };
	static const char *const strs[S_N] = {"",	   "samples",	     "count",
					      "cpu",	   "nanoseconds",    "main.main",
					      "main.busy", "/tmp/x/main.go", "/tmp/x/gowork"};
	struct buf b = {0}, m = {0};

	field_uint(&m, 1, S_SAMPLES);
	field_uint(&m, 2, S_COUNT);
	field_msg(&b, 1, &m);
	field_uint(&m, 1, S_CPU);
	field_uint(&m, 2, S_NS);
	field_msg(&b, 1, &m);
	/* sample: busy <- main, 3 samples; and one at an unnamed address. */
	field_uint(&m, 1, 700);
	field_uint(&m, 1, bad_location ? bad_location : 900);
	field_uint(&m, 2, 3);
	field_uint(&m, 2, 30000000);
	field_msg(&b, 2, &m);
	field_uint(&m, 1, 800);
	field_uint(&m, 1, 900);
	field_uint(&m, 2, 1);
	field_uint(&m, 2, 10000000);
	field_msg(&b, 2, &m);
	/* mapping id 5 */
	field_uint(&m, 1, 5);
	field_uint(&m, 2, 0x400000);
	field_uint(&m, 3, 0x500000);
	field_uint(&m, 5, S_BIN);
	field_uint(&m, 7, 1);
	field_msg(&b, 3, &m);
	/* locations 700 (busy), 900 (main), 800 (no lines) */
	put_go_location(&b, &(struct go_loc){700, 0x401010, bad_function ? bad_function : 41, 12});
	put_go_location(&b, &(struct go_loc){900, 0x402020, 42, 30});
	put_go_location(&b, &(struct go_loc){800, 0x400abc, 0, 0});
	/* functions 41, 42 */
	field_uint(&m, 1, 41);
	field_uint(&m, 2, S_BUSY);
	field_uint(&m, 3, S_BUSY);
	field_uint(&m, 4, bad_string ? bad_string : S_FILE);
	field_msg(&b, 5, &m);
	field_uint(&m, 1, 42);
	field_uint(&m, 2, S_MAIN);
	field_uint(&m, 3, S_MAIN);
	field_uint(&m, 4, S_FILE);
	field_msg(&b, 5, &m);
	field_uint(&b, 9, 1700000000000000000);
	field_uint(&b, 10, 1000000000);
	field_uint(&m, 1, S_CPU);
	field_uint(&m, 2, S_NS);
	field_msg(&b, 11, &m);
	field_uint(&b, 12, 10000000);
	for (int i = 0; i < S_N; i++)
		field_str(&b, strs[i]);
	return b;
}

static void test_go_shaped_input(void **state)
{
	struct buf b = go_like(0, 0, 0);
	struct fmt_error err;
	struct fmt_profile *p;
	uint8_t *gz;
	size_t gzlen;
	uLongf cap;
	char *text;
	int ret;

	p = pprof_read(b.data, b.len, &err, &ret);
	if (!p)
		fail_msg("raw: %s", err.msg);
	text = folded_lines(p, true);
	assert_string_equal(text, "gowork;main.main (main.go:30);gowork+0xabc 1\n"
				  "gowork;main.main (main.go:30);main.busy (main.go:12) 3\n");
	assert_int_equal(p->period_ns, 10000000);
	assert_int_equal(p->duration_ns, 1000000000);
	free(text);
	fmt_profile__free(p);

	/* The same, gzip-compressed by zlib's own gzip wrapper. */
	{
		z_stream zs = {0};

		cap = compressBound(b.len) + 64;
		gz = malloc(cap);
		assert_int_equal(deflateInit2(&zs, 9, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY), Z_OK);
		zs.next_in = b.data;
		zs.avail_in = b.len;
		zs.next_out = gz;
		zs.avail_out = cap;
		assert_int_equal(deflate(&zs, Z_FINISH), Z_STREAM_END);
		gzlen = zs.total_out;
		deflateEnd(&zs);
	}
	p = pprof_read(gz, gzlen, &err, &ret);
	if (!p)
		fail_msg("gzip: %s", err.msg);
	assert_int_equal(p->total, 4);
	fmt_profile__free(p);

	/* Truncated gzip. */
	expect_error(gz, gzlen / 2, "gzip data truncated");
	expect_error(gz, gzlen - 4, "gzip data truncated");
	free(gz);
	free(b.data);
}

static void test_bad_input(void **state)
{
	static const char garbage[] = "this is not a profile at all, just text\n";
	static const uint8_t zeros[64];
	static const uint8_t bad_varint[] = {0x08, 0xff, 0xff, 0xff, 0xff, 0xff,
					     0xff, 0xff, 0xff, 0xff, 0xff, 0x01};
	static const uint8_t long_len[] = {0x32, 0x7f, 'a'};
	struct buf b;

	expect_error("", 0, "empty input");
	expect_error(garbage, sizeof(garbage) - 1, "not a pprof profile");
	expect_error(zeros, sizeof(zeros), "malformed protobuf at byte 0");
	expect_error(bad_varint, sizeof(bad_varint), "malformed protobuf");
	expect_error(long_len, sizeof(long_len), "malformed protobuf");
	expect_error("\x1f\x8b\x08\x00garbage-after-a-gzip-magic", 30, "gzip");

	b = go_like(99, 0, 0);
	expect_error(b.data, b.len, "function 0: string index 99 out of range (9 strings)");
	free(b.data);
	b = go_like(0, 901, 0);
	expect_error(b.data, b.len, "sample 0: location id 901 does not exist");
	free(b.data);
	b = go_like(0, 0, 43);
	expect_error(b.data, b.len, "location 0: function id 43 does not exist");
	free(b.data);

	/* A string table whose entry 0 is not empty. */
	b = (struct buf){0};
	field_str(&b, "x");
	expect_error(b.data, b.len, "string table entry 0 is not empty");
	free(b.data);
	/* Values that do not match the sample types. */
	b = (struct buf){0};
	{
		struct buf m = {0};

		field_uint(&m, 2, 1);
		field_uint(&m, 2, 1);
		field_msg(&b, 2, &m);
		field_uint(&m, 1, 1);
		field_uint(&m, 2, 1);
		field_msg(&b, 1, &m);
	}
	field_str(&b, "");
	field_str(&b, "samples");
	expect_error(b.data, b.len, "sample 0: 2 values for 1 sample types");
	free(b.data);
	/* Only a period type, whose unit is no string (found by fuzz_pprof_read). */
	b = (struct buf){0};
	{
		struct buf m = {0};

		field_uint(&m, 1, 0); /* ValueType.type */
		field_uint(&m, 2, 7); /* ValueType.unit */
		field_msg(&b, 11, &m); /* period_type */
	}
	field_uint(&b, 12, 10); /* period */
	field_str(&b, "");
	expect_error(b.data, b.len, "period_type");
	free(b.data);
}

static long maxrss_mib(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss / 1024;
}

/* 300 MB of zeros in a few hundred KB of gzip, built in pieces: refused at the cap. */
static void test_decompression_bomb(void **state)
{
	static uint8_t zeros[1 << 20];
	z_stream zs = {0};
	size_t cap = 1 << 20, total = 300;
	uint8_t *gz = malloc(cap);
	long before = maxrss_mib();

	assert_non_null(gz);
	assert_int_equal(deflateInit2(&zs, 9, Z_DEFLATED, 31, 9, Z_DEFAULT_STRATEGY), Z_OK);
	zs.next_out = gz;
	zs.avail_out = cap;
	for (size_t i = 0; i < total; i++) {
		zs.next_in = zeros;
		zs.avail_in = sizeof(zeros);
		assert_int_equal(deflate(&zs, i + 1 == total ? Z_FINISH : Z_NO_FLUSH),
				 i + 1 == total ? Z_STREAM_END : Z_OK);
		assert_true(zs.avail_out > 0);
	}
	deflateEnd(&zs);
	assert_true(zs.total_out < cap);
	expect_error(gz, zs.total_out, "decompressed size above 256 MiB");
	free(gz);
	/* Never more than the cap (plus the test's own few MiB) in memory; ASan's realloc copies.
	 */
	if (!UNDER_ASAN && maxrss_mib() - before > 256 + 32)
		fail_msg("peak RSS grew by %ld MiB", maxrss_mib() - before);
}

static bool has_string(const struct fmt_profile *p, const char *s)
{
	for (uint32_t i = 1; i < p->nstrings; i++)
		if (!strcmp(p->strings[i], s))
			return true;
	return false;
}

/* name_late: who calls it, what it was asked, and what it answers (kernel or a module). */
struct late_names {
	uint64_t asked[4];
	size_t nasked;
};

static int name_kernel(void *ctx, uint64_t address, struct fmt_mapping_desc *m,
		       struct fmt_frame_desc *f)
{
	struct late_names *ln = ctx;
	bool module = address >= 0xffffffffc0000000ull;

	assert_true(ln->nasked < 4);
	ln->asked[ln->nasked++] = address;
	*m = (struct fmt_mapping_desc){.filename = module ? "[nf_tables]" : "[kernel.kallsyms]",
				       .build_id = module ? NULL : "00112233",
				       .start = module ? 0xffffffffc0000000ull : 0xffffffff81000000ull,
				       .limit = module ? 0xffffffffc0100000ull : 0xffffffff82000000ull,
				       .kernel = true,
				       .has_functions = true};
	*f = (struct fmt_frame_desc){.name = module ? "nft_do_chain" : "do_syscall_64"};
	return 0;
}

/*
 * Kernel addresses kept without a mapping are named at the end: each gets its mapping and frame,
 * markers and user frames are not asked about, the same address found again is the same location,
 * and pprof carries the names.
 */
static void test_name_late(void **state)
{
	struct fmt_profile *p = fmt_profile__new(10000000), *q;
	struct fmt_mapping_desc kernel_markers = {.filename = "[kernel.kallsyms]", .kernel = true};
	struct fmt_mapping_desc exe = {.filename = "/bin/x", .start = 0x1000, .limit = 0x2000};
	struct fmt_frame_desc late = {.name = "[kernel address]"}, marker = {.name = "[truncated]"};
	struct fmt_frame_desc main_f = {.name = "main"};
	struct fmt_sample_desc labels = {.pid = 7, .comm = "x"};
	struct late_names ln = {0};
	uint32_t km, xm, locs[4], again;

	(void)state;
	assert_non_null(p);
	assert_int_equal(fmt_profile__add_mapping(p, &kernel_markers, &km), 0);
	assert_int_equal(fmt_profile__add_mapping(p, &exe, &xm), 0);
	assert_int_equal(fmt_profile__add_location(p, 0, 0xffffffff81001234ull, &late, 1, &locs[0]), 0);
	assert_int_equal(fmt_profile__add_location(p, 0, 0xffffffffc0000042ull, &late, 1, &locs[1]), 0);
	assert_int_equal(fmt_profile__add_location(p, km, 0, &marker, 1, &locs[2]), 0);
	assert_int_equal(fmt_profile__add_location(p, xm, 0x1100, &main_f, 1, &locs[3]), 0);
	assert_int_not_equal(locs[0], locs[1]);
	assert_int_equal(fmt_profile__add_sample(p, locs, 4, &labels, 3), 0);

	assert_int_equal(fmt_profile__name_late(p, name_kernel, &ln), 0);
	assert_int_equal(ln.nasked, 2);
	assert_true(ln.asked[0] == 0xffffffff81001234ull && ln.asked[1] == 0xffffffffc0000042ull);
	for (int i = 0; i < 2; i++) {
		const struct fmt_location *l = fmt_profile__location(p, locs[i]);
		const struct fmt_mapping *m = &p->mappings[l->mapping - 1];
		const struct fmt_function *f = &p->functions[p->lines[l->first_line].function - 1];

		assert_int_not_equal(l->mapping, 0);
		assert_true(m->kernel);
		assert_string_equal(fmt_profile__str(p, m->filename),
				    i ? "[nf_tables]" : "[kernel.kallsyms]");
		assert_string_equal(fmt_profile__str(p, f->name), i ? "nft_do_chain" : "do_syscall_64");
	}
	assert_int_equal(fmt_profile__location(p, locs[2])->mapping, km);
	/* Indexed under its new identity: added again, it is found, not made twice. */
	assert_int_equal(fmt_profile__add_location(p, fmt_profile__location(p, locs[0])->mapping,
						   0xffffffff81001234ull, &late, 1, &again), 0);
	assert_int_equal(again, locs[0]);
	/* Nothing left to name: asked about nothing. */
	ln.nasked = 0;
	assert_int_equal(fmt_profile__name_late(p, name_kernel, &ln), 0);
	assert_int_equal(ln.nasked, 0);

	q = read_back(p);
	assert_true(has_string(q, "do_syscall_64") && has_string(q, "nft_do_chain"));
	assert_true(has_string(q, "00112233") && !has_string(q, "[kernel address]"));
	fmt_profile__free(q);
	fmt_profile__free(p);
}

/*
 * A user location named at the end keeps its id and identity: its stand-in gives way to the real
 * frames (more, then fewer), its mapping learns what the file has, pprof carries the names.
 */
static void test_rename_location(void **state)
{
	struct fmt_profile *p = fmt_profile__new(10000000), *q;
	struct fmt_mapping_desc exe = {.filename = "/bin/x", .start = 0x1000, .limit = 0x2000};
	struct fmt_mapping_desc learned = {.has_functions = true, .has_line_numbers = true,
					   .has_inline_frames = true};
	struct fmt_frame_desc stand_in = {.name = "x+0x1100"}, other = {.name = "other"};
	struct fmt_frame_desc chain[2] = {{.name = "inlined", .filename = "x.c", .line = 7},
					  {.name = "outer", .filename = "x.c", .line = 30}};
	struct fmt_sample_desc labels = {.pid = 7, .comm = "x"};
	const struct fmt_location *l;
	uint32_t xm, loc, by_frames, again;

	(void)state;
	assert_non_null(p);
	assert_int_equal(fmt_profile__add_mapping(p, &exe, &xm), 0);
	assert_int_equal(fmt_profile__add_location(p, xm, 0x1100, &stand_in, 1, &loc), 0);
	assert_int_equal(fmt_profile__add_location(p, 0, 0, &other, 1, &by_frames), 0);
	assert_int_equal(fmt_profile__add_sample(p, &loc, 1, &labels, 5), 0);

	assert_int_equal(fmt_profile__rename_location(p, loc, &learned, chain, 2), 0);
	l = fmt_profile__location(p, loc);
	assert_int_equal(l->nlines, 2);
	assert_int_equal(p->lines[l->first_line + 1].line, 30);
	assert_string_equal(fmt_profile__str(p, p->functions[p->lines[l->first_line].function - 1].name),
			    "inlined");
	assert_true(p->mappings[xm - 1].has_functions && p->mappings[xm - 1].has_inline_frames);
	/* Still found by (mapping, address), whatever frames it is added with. */
	assert_int_equal(fmt_profile__add_location(p, xm, 0x1100, &stand_in, 1, &again), 0);
	assert_int_equal(again, loc);
	/* Fewer frames take the old lines' place. */
	assert_int_equal(fmt_profile__rename_location(p, loc, &learned, &chain[1], 1), 0);
	l = fmt_profile__location(p, loc);
	assert_int_equal(l->nlines, 1);
	assert_int_equal(p->lines[l->first_line].line, 30);
	/* A location known by its frames cannot take others; ids must exist. */
	assert_int_equal(fmt_profile__rename_location(p, by_frames, &learned, chain, 1), -EINVAL);
	assert_int_equal(fmt_profile__rename_location(p, 99, &learned, chain, 1), -EINVAL);
	assert_int_equal(fmt_profile__rename_location(p, loc, &learned, chain, 0), -EINVAL);

	q = read_back(p);
	assert_true(has_string(q, "outer") && !has_string(q, "x+0x1100"));
	assert_true(q->mappings[0].has_line_numbers);
	fmt_profile__free(q);
	fmt_profile__free(p);
}

TEST_MAIN(cmocka_unit_test(test_round_trip_folded),
	  cmocka_unit_test(test_name_late),
	  cmocka_unit_test(test_rename_location),
	  cmocka_unit_test(test_inline_lines_and_labels),
	  cmocka_unit_test(test_string_table_and_header),
	  cmocka_unit_test(test_deterministic_and_filter),
	  cmocka_unit_test(test_cgroup_labels),
	  cmocka_unit_test(test_go_shaped_input),
	  cmocka_unit_test(test_bad_input),
	  cmocka_unit_test(test_decompression_bomb))
