// SPDX-License-Identifier: MIT
/*
 * Every profile endpoint starts here: a private copy of the samples a request asks for, made
 * while the source is locked, so that rendering happens outside its lock.
 */
#include <errno.h>
#include <string.h>

#include "web/web_internal.h"

struct fmt_profile *web_collect(const struct web_request *rq, struct web_reply *rp,
				enum fmt_type type, const struct web_range *range,
				const struct fmt_filter *f)
{
	struct fmt_profile *p = fmt_profile__new_type(type, 0);
	int err;

	if (!p) {
		web_reply_error(rp, 500, "out of memory");
		return NULL;
	}
	err = rq->src->collect(rq->src->ctx, range, f, p);
	if (err) {
		web_reply_error(rp, 500, "cannot collect the profile: %s", strerror(-err));
		fmt_profile__free(p);
		return NULL;
	}
	return p;
}

struct fmt_profile *web_collect_query(const struct web_request *rq, struct web_reply *rp,
				      const struct web_query *q)
{
	struct fmt_profile *p;
	int n;

	if (!q->wall)
		return web_collect(rq, rp, q->type, q->ranged ? &q->range : NULL, &q->filter);
	if (!rq->src->collect_wall) {
		web_reply_error(rp, 400,
				"from: wall-clock times need profd agent (its store); "
				"here from/to are seconds since the start");
		return NULL;
	}
	p = fmt_profile__new_type(q->type, 0);
	if (!p) {
		web_reply_error(rp, 500, "out of memory");
		return NULL;
	}
	n = rq->src->collect_wall(rq->src->ctx, q->from_ns, q->to_ns, &q->filter, p);
	if (n < 0) {
		web_reply_error(rp, 500, "cannot read the store: %s", strerror(-n));
		fmt_profile__free(p);
		return NULL;
	}
	return p;
}
