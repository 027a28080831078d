// SPDX-License-Identifier: MIT
/*
 * Store encoding: one window as zstd(profile.proto). The protobuf comes from the pprof writer in
 * its raw mode through a memory stream; decoding inflates with a hard cap, then hands the bytes
 * to the pprof reader, which checks every id and index.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zstd.h>

#include "formats/formats.h"

int fmt_store_encode(const struct fmt_profile *p, const struct fmt_filter *f, void **out,
		     size_t *len)
{
	struct fmt_pprof_opts po = {.filter = f, .raw = true};
	size_t pblen, bound, n;
	char *pb;
	void *z;
	int err;

	err = fmt_pprof_to_memory(p, &po, &pb, &pblen);
	if (err)
		return err;
	bound = ZSTD_compressBound(pblen);
	z = malloc(bound ? bound : 1);
	if (!z) {
		free(pb);
		return -ENOMEM;
	}
	n = ZSTD_compress(z, bound, pb, pblen, FMT_STORE_LEVEL);
	free(pb);
	if (ZSTD_isError(n)) {
		free(z);
		return -EIO;
	}
	*out = z;
	*len = n;
	return 0;
}

/* Inflates every frame of data into a malloc'd buffer of at most FMT_PPROF_MAX_BYTES. */
static int inflate_all(const void *data, size_t len, char **out, size_t *outlen,
		       struct fmt_error *err)
{
	ZSTD_DStream *ds = ZSTD_createDStream();
	ZSTD_inBuffer in = {data, len, 0};
	size_t cap = 64 * 1024, ret = 0;
	ZSTD_outBuffer ob = {NULL, 0, 0};
	int rc = 0;

	if (!ds)
		return -ENOMEM;
	ob.dst = malloc(cap);
	ob.size = cap;
	if (!ob.dst) {
		rc = -ENOMEM;
		goto out;
	}
	while (in.pos < in.size) {
		if (ob.pos == ob.size) {
			void *q;

			if (ob.size >= FMT_PPROF_MAX_BYTES) {
				snprintf(err->msg, sizeof(err->msg), "inflates above %u MiB",
					 FMT_PPROF_MAX_BYTES >> 20);
				rc = -EINVAL;
				goto out;
			}
			q = realloc(ob.dst, ob.size * 2);
			if (!q) {
				rc = -ENOMEM;
				goto out;
			}
			ob.dst = q;
			ob.size *= 2;
		}
		ret = ZSTD_decompressStream(ds, &ob, &in);
		if (ZSTD_isError(ret)) {
			snprintf(err->msg, sizeof(err->msg), "bad zstd data: %s",
				 ZSTD_getErrorName(ret));
			rc = -EINVAL;
			goto out;
		}
	}
	/* Input used up in the middle of a frame: the file was cut short. */
	if (ret != 0) {
		snprintf(err->msg, sizeof(err->msg), "zstd data truncated");
		rc = -EINVAL;
	}
out:
	ZSTD_freeDStream(ds);
	if (rc) {
		free(ob.dst);
		return rc;
	}
	*out = ob.dst;
	*outlen = ob.pos;
	return 0;
}

int fmt_store_decode(struct fmt_profile *p, const void *data, size_t len, struct fmt_error *err)
{
	char *pb = NULL;
	size_t pblen = 0;
	FILE *mem;
	int rc;

	err->msg[0] = '\0';
	/* ZSTD_MAGICNUMBER, stored little-endian. */
	if (len < 4 || memcmp(data, "\x28\xb5\x2f\xfd", 4)) {
		snprintf(err->msg, sizeof(err->msg), "not a zstd frame");
		return -EINVAL;
	}
	rc = inflate_all(data, len, &pb, &pblen, err);
	if (rc)
		return rc;
	if (!pblen) {
		free(pb);
		snprintf(err->msg, sizeof(err->msg), "empty window");
		return -EINVAL;
	}
	mem = fmemopen(pb, pblen, "r");
	if (!mem) {
		rc = -errno;
		free(pb);
		return rc;
	}
	rc = fmt_pprof_read(p, mem, err);
	fclose(mem);
	free(pb);
	return rc;
}
