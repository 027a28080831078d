// SPDX-License-Identifier: MIT
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "folded_text.h"

void folded_read_into(struct fmt_profile *p, const char *text)
{
	FILE *in = fmemopen((void *)text, strlen(text), "r");
	struct fmt_error err;

	assert_non_null(p);
	assert_non_null(in);
	assert_int_equal(fmt_folded_read(p, in, &err), 0);
	fclose(in);
}

struct fmt_profile *read_profile(fmt_read_fn reader, int64_t period_ns, const void *data,
				 size_t len, struct fmt_error *err, int *ret)
{
	struct fmt_profile *p = fmt_profile__new(period_ns);
	FILE *in = fmemopen((void *)data, len, "r");

	assert_non_null(p);
	assert_non_null(in);
	*ret = reader(p, in, err);
	fclose(in);
	if (*ret) {
		fmt_profile__free(p);
		return NULL;
	}
	return p;
}

char *folded_text(const struct fmt_profile *p, const struct fmt_folded_opts *opts)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	assert_non_null(out);
	assert_int_equal(fmt_folded_write(p, out, opts), 0);
	fclose(out);
	return buf;
}
