// SPDX-License-Identifier: MIT
/*
 * libFuzzer target: the pprof reader on arbitrary bytes, raw or gzip. Whatever it accepts must
 * also be writable as folded and as pprof, and pprof written by us must read back.
 *
 * fuzz-sources: formats common
 * fuzz-libs: -lz -lzstd
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "formats/formats.h"

static void write_and_read_back(const struct fmt_profile *p)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	struct fmt_profile *q;
	struct fmt_error err;
	FILE *in;

	if (!out)
		return;
	if (fmt_pprof_write(p, out, NULL))
		abort();
	fclose(out);
	q = fmt_profile__new(0);
	in = fmemopen(buf, len, "r");
	if (q && in && fmt_pprof_read(q, in, &err))
		abort(); /* our own output must read back */
	if (q && in && q->total != p->total)
		abort(); /* the reader keeps only positive values, so nothing is lost on the way */
	if (in)
		fclose(in);
	fmt_profile__free(q);
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fmt_profile *p = fmt_profile__new(0);
	struct fmt_error err;
	FILE *in, *null;

	if (!p || !size)
		goto out;
	in = fmemopen((void *)data, size, "r");
	if (!in)
		goto out;
	if (fmt_pprof_read(p, in, &err) == 0) {
		null = fopen("/dev/null", "w");
		if (null) {
			fmt_folded_write(p, null, NULL);
			fclose(null);
		}
		write_and_read_back(p);
	}
	fclose(in);
out:
	fmt_profile__free(p);
	return 0;
}
