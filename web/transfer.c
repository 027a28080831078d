// SPDX-License-Identifier: MIT
/*
 * What makes a repeated request cheap. The page asks for the same tree every few seconds; while
 * the samples have not changed (a saved profile, a paused range) the answer is a 304 that costs
 * neither a collect nor a render, and when they have, the tree travels gzip-compressed.
 *
 * The ETag is weak (W/"..."): the same samples give the same tree whether or not it is
 * compressed, and the page only needs to know whether to draw again.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <zlib.h>

#include "common/hash.h"
#include "web/web_internal.h"

#define MIN_GZIP_BYTES 1024 /* below this the headers cost more than the bytes saved */
#define GZIP_LEVEL 4	    /* most of level 6's ratio at well under its time, for JSON */

static uint64_t request_hash(const struct web_request *rq)
{
	uint64_t h = profd_hash_bytes(rq->path, strlen(rq->path), 0);

	for (size_t i = 0; i < rq->nparams; i++) {
		const struct web_param *p = &rq->params[i];

		h = profd_hash_combine(h, profd_hash_bytes(p->key, strlen(p->key), 1));
		h = profd_hash_combine(h, profd_hash_bytes(p->value, p->len, 2));
	}
	return h;
}

bool web_reply_unchanged(const struct web_request *rq, struct web_reply *rp)
{
	struct web_status st = {0};

	if (rq->src->status(rq->src->ctx, &st))
		return false;
	snprintf(rp->etag, sizeof(rp->etag), "W/\"%llx-%016llx\"",
		 (unsigned long long)st.generation, (unsigned long long)request_hash(rq));
	/* A list of tags or "*"; ours never contains a comma or a quote of its own. */
	if (!rq->if_none_match ||
	    (strcmp(rq->if_none_match, "*") && !strstr(rq->if_none_match, rp->etag + 2)))
		return false;
	rp->status = 304;
	rp->body = (char *)"";
	rp->len = 0;
	rp->kind = WEB_BODY_STATIC;
	return true;
}

/* Whether "gzip" (or "*") is in the list with a q-value above 0. */
static bool accepts_gzip(const char *list)
{
	while (list && *list) {
		size_t len = strcspn(list, ",");
		const char *end = list + len, *semi;
		size_t name_len;

		list += strspn(list, " \t");
		semi = memchr(list, ';', (size_t)(end - list));
		name_len = (size_t)((semi ? semi : end) - list);
		while (name_len && (list[name_len - 1] == ' ' || list[name_len - 1] == '\t'))
			name_len--;
		if ((name_len == 4 && !strncasecmp(list, "gzip", 4)) ||
		    (name_len == 1 && list[0] == '*')) {
			const char *q = semi ? strstr(semi, "q=") : NULL;

			return !q || q > end || strtod(q + 2, NULL) > 0;
		}
		list = *end ? end + 1 : end;
	}
	return false;
}

static int gzip(const char *in, size_t len, char **out, size_t *out_len)
{
	z_stream zs = {0};
	uLong cap;
	char *buf;
	int rc;

	/* windowBits 15 + 16: a gzip wrapper, as Content-Encoding: gzip means. */
	if (deflateInit2(&zs, GZIP_LEVEL, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return -ENOMEM;
	cap = deflateBound(&zs, (uLong)len);
	buf = malloc(cap);
	if (!buf) {
		deflateEnd(&zs);
		return -ENOMEM;
	}
	zs.next_in = (Bytef *)in;
	zs.avail_in = (uInt)len;
	zs.next_out = (Bytef *)buf;
	zs.avail_out = (uInt)cap;
	rc = deflate(&zs, Z_FINISH);
	*out_len = zs.total_out;
	deflateEnd(&zs);
	if (rc != Z_STREAM_END) {
		free(buf);
		return -EIO;
	}
	*out = buf;
	return 0;
}

int web_reply_compress(const struct web_request *rq, struct web_reply *rp)
{
	char *out;
	size_t out_len;

	if (rp->status != 200 || rp->gzip || rp->len < MIN_GZIP_BYTES || rp->len > UINT32_MAX ||
	    !accepts_gzip(rq->accept_encoding))
		return 0;
	if (gzip(rp->body, rp->len, &out, &out_len)) {
		web_reply_error(rp, 500, "cannot compress the reply");
		return -ENOMEM;
	}
	if (rp->kind == WEB_BODY_MALLOC)
		free(rp->body);
	rp->body = out;
	rp->len = out_len;
	rp->kind = WEB_BODY_MALLOC;
	rp->gzip = true;
	return 0;
}
