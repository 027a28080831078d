// SPDX-License-Identifier: MIT
/* Unit tests of the store encoding: zstd(profile.proto) round trip, damaged and hostile input. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include <cmocka.h>

#include "folded_text.h"
#include "formats/formats.h"
#include "helpers.h"

static const char window_text[] = "app;main;work_a 60\n"
				  "app;main;work_b 30\n"
				  "other;start;do_syscall_64_[k] 10\n";

static struct fmt_profile *window(void)
{
	struct fmt_profile *p = fmt_profile__new(52631578);

	folded_read_into(p, window_text);
	p->time_ns = 1795640000000000000;
	p->duration_ns = 1000000000;
	p->loss.stacks_map_full = 7;
	return p;
}

static void test_round_trip(void **state)
{
	struct fmt_profile *p = window(), *q = fmt_profile__new(0);
	struct fmt_error err;
	char *a, *b;
	void *buf;
	size_t len;

	assert_int_equal(fmt_store_encode(p, NULL, &buf, &len), 0);
	assert_memory_equal(buf, "\x28\xb5\x2f\xfd", 4); /* a zstd frame */
	assert_int_equal(fmt_store_decode(q, buf, len, &err), 0);
	a = folded_text(p, NULL);
	b = folded_text(q, NULL);
	assert_string_equal(a, b);
	assert_int_equal(q->total, 100);
	assert_int_equal(q->period_ns, p->period_ns);
	assert_int_equal(q->time_ns, p->time_ns);
	assert_int_equal(q->duration_ns, p->duration_ns);
	assert_int_equal(q->loss.stacks_map_full, 7);
	free(a);
	free(b);
	free(buf);
	fmt_profile__free(p);
	fmt_profile__free(q);
}

static void test_filter(void **state)
{
	struct fmt_profile *p = window(), *q = fmt_profile__new(0);
	struct fmt_filter f = {.comm = "other"};
	struct fmt_error err;
	void *buf;
	size_t len;

	assert_int_equal(fmt_store_encode(p, &f, &buf, &len), 0);
	assert_int_equal(fmt_store_decode(q, buf, len, &err), 0);
	assert_int_equal(q->total, 10);
	free(buf);
	fmt_profile__free(p);
	fmt_profile__free(q);
}

static void expect_refused(const void *data, size_t len, const char *why)
{
	struct fmt_profile *q = fmt_profile__new(0);
	struct fmt_error err;

	assert_int_equal(fmt_store_decode(q, data, len, &err), -EINVAL);
	assert_non_null(strstr(err.msg, why));
	assert_int_equal(q->total, 0);
	fmt_profile__free(q);
}

static void test_damaged(void **state)
{
	struct fmt_profile *p = window();
	char garbage[64];
	uint8_t *buf;
	size_t len;

	memset(garbage, 'x', sizeof(garbage));
	expect_refused(garbage, sizeof(garbage), "not a zstd frame");
	expect_refused(garbage, 0, "not a zstd frame");
	assert_int_equal(fmt_store_encode(p, NULL, (void **)&buf, &len), 0);
	/* Every cut short of the end is refused, never half-read. */
	for (size_t cut = 4; cut < len; cut++)
		expect_refused(buf, cut, "");
	/* A flipped byte in the payload: zstd's checksum or the protobuf reader notices. */
	buf[len / 2] ^= 0xff;
	expect_refused(buf, len, "");
	free(buf);
	fmt_profile__free(p);
}

/* A few bytes that inflate past the reader's cap are refused without holding it all. */
static void test_bomb(void **state)
{
	size_t big = (size_t)FMT_PPROF_MAX_BYTES + (1u << 20), bound = ZSTD_compressBound(big);
	char *zeros = calloc(1, big), *z = malloc(bound);
	size_t n;

	assert_non_null(zeros);
	assert_non_null(z);
	n = ZSTD_compress(z, bound, zeros, big, 1);
	assert_false(ZSTD_isError(n));
	free(zeros);
	expect_refused(z, n, "inflates above");
	free(z);
}

/* Valid zstd around something that is not a profile. */
static void test_not_a_profile(void **state)
{
	const char text[] = "hello, this is not protobuf at all";
	char z[256];
	size_t n = ZSTD_compress(z, sizeof(z), text, sizeof(text), 1);

	assert_false(ZSTD_isError(n));
	expect_refused(z, n, "");
}

TEST_MAIN(cmocka_unit_test(test_round_trip),	  cmocka_unit_test(test_filter),
	  cmocka_unit_test(test_damaged),	  cmocka_unit_test(test_bomb),
	  cmocka_unit_test(test_not_a_profile))
