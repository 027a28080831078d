// SPDX-License-Identifier: MIT
/*
 * Query parameters. Each is parsed by hand with explicit bounds: digits only for numbers (no
 * signs, hex, exponents, "nan" or "inf"), UTF-8 without control characters for text, and a
 * length limit for everything. Anything else is a 400 naming the parameter.
 */
#include <errno.h>
#include <string.h>

#include "common/clock.h"
#include "web/web_internal.h"

#define MAX_SECONDS 1e9 /* ~31 years since the start: far past any run */
#define MAX_PID 4194304 /* PID_MAX_LIMIT */
#define MAX_COMM 255
#define MAX_CGROUP 4096 /* PATH_MAX */
#define MAX_SEARCH 256

const struct web_param *web_param_find(const struct web_request *rq, const char *key)
{
	for (size_t i = 0; i < rq->nparams; i++)
		if (strcmp(rq->params[i].key, key) == 0)
			return &rq->params[i];
	return NULL;
}

int web_param_uint(const struct web_request *rq, struct web_reply *rp, const char *key,
		   uint64_t min, uint64_t max, uint64_t *out)
{
	const struct web_param *p = web_param_find(rq, key);
	uint64_t v = 0;

	if (!p)
		return 0;
	if (!p->len || p->len > 10)
		goto bad;
	for (size_t i = 0; i < p->len; i++) {
		if (p->value[i] < '0' || p->value[i] > '9')
			goto bad;
		v = v * 10 + (uint64_t)(p->value[i] - '0');
	}
	if (v < min || v > max)
		goto bad;
	*out = v;
	return 1;
bad:
	return web_reply_error(rp, 400, "%s: expected a whole number from %llu to %llu", key,
			       (unsigned long long)min, (unsigned long long)max);
}

int web_param_bool(const struct web_request *rq, struct web_reply *rp, const char *key, bool *out)
{
	const struct web_param *p = web_param_find(rq, key);

	if (!p)
		return 0;
	if (!strcmp(p->value, "1") || !strcmp(p->value, "true") || !p->len)
		*out = true;
	else if (!strcmp(p->value, "0") || !strcmp(p->value, "false"))
		*out = false;
	else
		return web_reply_error(rp, 400, "%s: expected 1 or 0", key);
	return 1;
}

/* "12", "12.5": at most 10 digits, a dot and 6 more. Returns false for anything else. */
static bool parse_seconds(const char *s, size_t len, double *out)
{
	double v = 0, scale = 0.1;
	size_t i = 0, int_digits = 0, frac_digits = 0;

	for (; i < len && s[i] >= '0' && s[i] <= '9'; i++, int_digits++)
		v = v * 10 + (s[i] - '0');
	if (i < len && s[i] == '.') {
		for (i++; i < len && s[i] >= '0' && s[i] <= '9'; i++, frac_digits++, scale /= 10)
			v += (s[i] - '0') * scale;
		if (!frac_digits)
			return false;
	}
	if (i != len || !int_digits || int_digits > 10 || frac_digits > 6 || v > MAX_SECONDS)
		return false;
	*out = v;
	return true;
}

int web_param_seconds(const struct web_request *rq, struct web_reply *rp, const char *key,
		      double *out)
{
	const struct web_param *p = web_param_find(rq, key);

	if (!p)
		return 0;
	if (!parse_seconds(p->value, p->len, out))
		return web_reply_error(rp, 400,
				       "%s: expected seconds since the start, from 0 to %.0f", key,
				       MAX_SECONDS);
	return 1;
}

int web_param_text(const struct web_request *rq, struct web_reply *rp, const char *key,
		   size_t max_len, const char **out)
{
	const struct web_param *p = web_param_find(rq, key);

	if (!p)
		return 0;
	if (!p->len || p->len > max_len)
		return web_reply_error(rp, 400, "%s: expected 1 to %zu bytes", key, max_len);
	if (!web_text_ok(p->value, p->len))
		return web_reply_error(rp, 400, "%s: not UTF-8 text", key);
	*out = p->value;
	return 1;
}

int web_param_range(const struct web_request *rq, struct web_reply *rp, const char *key,
		    struct web_range *out)
{
	const struct web_param *p = web_param_find(rq, key);
	const char *dash;

	if (!p)
		return 0;
	dash = memchr(p->value, '-', p->len);
	if (!dash || !parse_seconds(p->value, (size_t)(dash - p->value), &out->from) ||
	    !parse_seconds(dash + 1, p->len - (size_t)(dash + 1 - p->value), &out->to))
		return web_reply_error(rp, 400, "%s: expected FROM-TO in seconds since the start",
				       key);
	if (out->from >= out->to)
		return web_reply_error(rp, 400, "%s: the range ends before it starts", key);
	return 1;
}

/* A value that starts like a date ("2026-") is meant as a wall-clock time. */
static bool looks_wall(const struct web_param *p)
{
	return p && p->len > 4 && p->value[4] == '-';
}

/*
 * from/to as wall-clock times: both or neither, each RFC 3339. Returns 1 when they are (q->wall
 * set), 0 when they are not, or -EINVAL with a 400 reply set.
 */
static int parse_wall(const struct web_request *rq, struct web_reply *rp, struct web_query *q)
{
	static const char form[] = "expected an RFC 3339 time like 2026-11-25T14:00:00Z";
	const struct web_param *from = web_param_find(rq, "from"), *to = web_param_find(rq, "to");

	if (!looks_wall(from) && !looks_wall(to))
		return 0;
	if (!from || !to)
		return web_reply_error(rp, 400, "%s: missing; a wall-clock range needs from and to",
				       from ? "to" : "from");
	if (profd_time_parse(from->value, from->len, &q->from_ns))
		return web_reply_error(rp, 400, "from: %s", form);
	if (profd_time_parse(to->value, to->len, &q->to_ns))
		return web_reply_error(rp, 400, "to: %s", form);
	if (q->from_ns >= q->to_ns)
		return web_reply_error(rp, 400, "from: the range ends before it starts");
	q->wall = q->ranged = true;
	return 1;
}

int web_query_parse(const struct web_request *rq, struct web_reply *rp, struct web_query *q)
{
	uint64_t v;
	int r, from_set, to_set;

	const char *type = NULL;

	memset(q, 0, sizeof(*q));
	q->range.to = MAX_SECONDS;
	q->width = 1200;
	if (web_param_text(rq, rp, "type", 16, &type) < 0)
		return -EINVAL;
	if (type && !fmt_type_parse(type, &q->type))
		return web_reply_error(rp, 400, "type: expected cpu, off-cpu or wall");
	r = web_param_uint(rq, rp, "pid", 0, MAX_PID, &v);
	if (r < 0)
		return r;
	if (r)
		q->filter.pid = (uint32_t)v;
	if (web_param_text(rq, rp, "comm", MAX_COMM, &q->filter.comm) < 0 ||
	    web_param_text(rq, rp, "cgroup", MAX_CGROUP, &q->filter.cgroup) < 0 ||
	    web_param_text(rq, rp, "search", MAX_SEARCH, &q->search) < 0 ||
	    web_param_bool(rq, rp, "icicle", &q->icicle) < 0 ||
	    web_param_bool(rq, rp, "lines", &q->lines) < 0 ||
	    web_param_bool(rq, rp, "fullnames", &q->full_names) < 0)
		return -EINVAL;
	r = web_param_uint(rq, rp, "width", 200, 10000, &v);
	if (r < 0)
		return r;
	if (r)
		q->width = (unsigned)v;
	r = parse_wall(rq, rp, q);
	if (r)
		return r < 0 ? r : 0;
	from_set = web_param_seconds(rq, rp, "from", &q->range.from);
	if (from_set < 0)
		return from_set;
	to_set = web_param_seconds(rq, rp, "to", &q->range.to);
	if (to_set < 0)
		return to_set;
	q->ranged = from_set || to_set;
	if (q->ranged && q->range.from >= q->range.to)
		return web_reply_error(rp, 400, "from: the range ends before it starts");
	return 0;
}
