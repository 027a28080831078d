// SPDX-License-Identifier: MIT
/*
 * libFuzzer target: the folded reader on arbitrary text, and on huge input made from a small one.
 * An input starting with '*' and two bytes N is the rest repeated to N KiB (at most REPEAT_MAX):
 * lines past FMT_FOLDED_MAX_LINE, input past FMT_FOLDED_MAX_BYTES, without a huge input to
 * mutate. The limits are built small here (fuzz-cflags) so each run stays fast; the unit tests
 * check the real ones.
 * Whatever the reader accepts must write as folded, read back to the same total, and write the
 * same bytes again.
 *
 * fuzz-sources: formats common
 * fuzz-libs: -lz -lzstd
 * fuzz-cflags: -DFMT_FOLDED_MAX_LINE=16384u -DFMT_FOLDED_MAX_BYTES=131072u
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "formats/formats.h"

#define REPEAT_MAX (FMT_FOLDED_MAX_BYTES + 4096u)

struct repeat {
	const uint8_t *piece;
	size_t len, pos, left; /* left: bytes still to serve */
};

static ssize_t repeat_read(void *cookie, char *buf, size_t size)
{
	struct repeat *r = cookie;
	size_t n = size < r->left ? size : r->left;

	for (size_t i = 0; i < n; i++) {
		buf[i] = (char)r->piece[r->pos++];
		if (r->pos == r->len)
			r->pos = 0;
	}
	r->left -= n;
	return (ssize_t)n;
}

static FILE *open_input(const uint8_t *data, size_t size, struct repeat *r)
{
	cookie_io_functions_t io = {.read = repeat_read};

	if (size > 3 && data[0] == '*') {
		*r = (struct repeat){.piece = data + 3, .len = size - 3};
		r->left = (size_t)(data[1] | data[2] << 8) * 1024;
		if (r->left > REPEAT_MAX)
			r->left = REPEAT_MAX;
		return fopencookie(r, "r", io);
	}
	return fmemopen((void *)data, size, "r");
}

static char *folded_text(const struct fmt_profile *p, size_t *len)
{
	struct fmt_folded_opts opts = {.lines = true};
	char *buf = NULL;
	FILE *out = open_memstream(&buf, len);

	if (!out)
		return NULL;
	if (fmt_folded_write(p, out, &opts))
		abort(); /* a profile the reader built must write */
	fclose(out);
	return buf;
}

/* Our own output reads back with the same total and writes the same bytes. */
static void round_trip(const struct fmt_profile *p)
{
	struct fmt_profile *q = fmt_profile__new(0);
	size_t len = 0, len2 = 0;
	char *text = folded_text(p, &len), *again;
	struct fmt_error err;
	FILE *in;

	if (!q || !text)
		goto out;
	in = fmemopen(text, len ? len : 1, "r");
	if (!in)
		goto out;
	if (len && fmt_folded_read(q, in, &err))
		abort();
	fclose(in);
	if (q->total != p->total)
		abort();
	again = folded_text(q, &len2);
	if (again && (len2 != len || memcmp(again, text, len)))
		abort();
	free(again);
out:
	free(text);
	fmt_profile__free(q);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fmt_profile *p = fmt_profile__new(0);
	struct fmt_error err;
	struct repeat r;
	FILE *in;

	if (!p || !size)
		goto out;
	in = open_input(data, size, &r);
	if (!in)
		goto out;
	if (fmt_folded_read(p, in, &err) == 0)
		round_trip(p);
	else if (!err.msg[0])
		abort(); /* every refusal says why */
	fclose(in);
out:
	fmt_profile__free(p);
	return 0;
}
