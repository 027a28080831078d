// SPDX-License-Identifier: MIT
/*
 * Unit tests of the push's pieces that need no network: the URL split into what is sent and
 * the credentials kept apart, and a window cut into one series per service.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "store/store_internal.h"
#include "helpers.h"

static void url_ok(const char *url, const char *base, const char *userpwd)
{
	char *b = NULL, *u = NULL;

	assert_int_equal(store_http_parse_url(url, &b, &u), 0);
	assert_string_equal(b, base);
	if (userpwd)
		assert_string_equal(u, userpwd);
	else
		assert_null(u);
	free(b);
	free(u);
}

static void test_parse_url(void **state)
{
	char *b, *u;

	url_ok("http://pyroscope:4040", "http://pyroscope:4040", NULL);
	url_ok("https://pyroscope.example/", "https://pyroscope.example", NULL);
	url_ok("https://123456:glc_abc%3D%3D@profiles.grafana.net/prefix/",
	       "https://profiles.grafana.net/prefix", "123456:glc_abc==");
	url_ok("https://user@host:8443/x?y=1#z", "https://host:8443/x", "user:");
	url_ok("http://a%40b:p%3Aw@127.0.0.1:4040", "http://127.0.0.1:4040", "a@b:p:w");
	/* Not a push URL: another scheme, no host, no scheme at all. */
	assert_int_equal(store_http_parse_url("ftp://host/", &b, &u), -EINVAL);
	assert_int_equal(store_http_parse_url("http://", &b, &u), -EINVAL);
	assert_int_equal(store_http_parse_url("file:///etc/passwd", &b, &u), -EINVAL);
	assert_int_equal(store_http_parse_url("pyroscope:4040", &b, &u), -EINVAL);
	assert_null(b);
	assert_null(u);
}

/* A sample of comm in cgroup d (NULL: unknown), count times, on one frame. */
static void add(struct fmt_profile *p, const char *comm, const struct fmt_cgroup_desc *d,
		int64_t count)
{
	struct fmt_frame_desc f = {.name = "work"};
	struct fmt_sample_desc s = {.pid = 1, .tid = 1, .comm = comm, .cgroup = d};
	uint32_t loc;

	assert_int_equal(fmt_profile__add_location(p, 0, 0, &f, 1, &loc), 0);
	assert_int_equal(fmt_profile__add_sample(p, &loc, 1, &s, count), 0);
}

#define ID "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static void test_series(void **state)
{
	static const struct fmt_cgroup_desc nginx = {.path = "/system.slice/nginx.service",
						     .systemd_unit = "nginx.service"};
	static const struct fmt_cgroup_desc getty = {
		.path = "/system.slice/system-getty.slice/getty@tty1.service",
		.systemd_unit = "getty@tty1.service"};
	static const struct fmt_cgroup_desc docker = {.path = "/system.slice/docker-" ID ".scope",
						      .container_id = ID,
						      .systemd_unit = "docker-" ID ".scope"};
	static const struct fmt_cgroup_desc session = {.path = "/user.slice/session-3.scope",
						       .systemd_unit = "session-3.scope"};
	struct fmt_profile *p = fmt_profile__new(1000000);
	struct store_series *sv;
	uint32_t of[16];
	int n;

	assert_non_null(p);
	add(p, "nginx", &nginx, 50);
	add(p, "nginx-worker", &nginx, 10); /* one unit, two programs: one series */
	add(p, "agetty", &getty, 5);
	add(p, "python3", &docker, 40);
	add(p, "bash", &session, 7); /* a scope that is no container: by program */
	add(p, "kworker/0:1", NULL, 3);
	n = store_pyroscope_series(p, &sv, of);
	assert_int_equal(n, 5);
	assert_string_equal(sv[0].name, "nginx");
	assert_int_equal(sv[0].samples, 60);
	assert_non_null(sv[0].cgroup);
	assert_string_equal(sv[1].name, "container/0123456789ab");
	assert_string_equal(fmt_profile__str(p, sv[1].cgroup->container_id), ID);
	assert_string_equal(sv[2].name, "bash");
	assert_null(sv[2].cgroup);
	assert_string_equal(sv[3].name, "getty_tty1"); /* '@' is not in Pyroscope's names */
	assert_string_equal(sv[4].name, "kworker/0_1");
	assert_int_equal(of[0], 0);
	assert_int_equal(of[1], 0);
	assert_int_equal(of[3], 1);
	assert_int_equal(of[5], 4);
	free(sv);
	fmt_profile__free(p);
}

static void test_series_cap(void **state)
{
	struct fmt_profile *p = fmt_profile__new(1000000);
	uint32_t of[STORE_PUSH_SERIES_MAX + 8];
	struct store_series *sv;
	int64_t in_other = 0;
	char comm[16];
	int n;

	assert_non_null(p);
	for (int i = 0; i < STORE_PUSH_SERIES_MAX + 8; i++) {
		snprintf(comm, sizeof(comm), "p%02d", i);
		add(p, comm, NULL, 1000 - i);
	}
	n = store_pyroscope_series(p, &sv, of);
	assert_int_equal(n, STORE_PUSH_SERIES_MAX);
	assert_string_equal(sv[0].name, "p00");
	assert_string_equal(sv[n - 1].name, "other");
	for (size_t i = 0; i < p->nsamples; i++)
		if (of[i] == (uint32_t)n - 1)
			in_other += p->samples[i].count;
	/* The 31 largest keep their series; the other 9 are summed in "other". */
	for (int i = STORE_PUSH_SERIES_MAX - 1; i < STORE_PUSH_SERIES_MAX + 8; i++)
		in_other -= 1000 - i;
	assert_int_equal(in_other, 0);
	free(sv);
	fmt_profile__free(p);
}

TEST_MAIN(cmocka_unit_test(test_parse_url),
	  cmocka_unit_test(test_series),
	  cmocka_unit_test(test_series_cap))
