// SPDX-License-Identifier: MIT
/*
 * Query parameters. Each is parsed by hand with explicit bounds: digits only for numbers (no
 * signs, hex, exponents, "nan" or "inf"), UTF-8 without control characters for text, and a
 * length limit for everything. Anything else is a 400 naming the parameter.
 */
#include <errno.h>
#include <string.h>

#include "web/web_internal.h"

#define MAX_SECONDS 1e9 /* ~31 years since the start: far past any run */
#define MAX_PID 4194304 /* PID_MAX_LIMIT */
#define MAX_COMM 255
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

/* Exactly n digits at s; false if any is not a digit. */
static bool fixed_digits(const char *s, size_t n, int *out)
{
	int v = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return true;
}

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar (H. Hinnant's algorithm). */
static int64_t days_from_civil(int y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = y / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int days_in_month(int y, int m)
{
	static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : days[m - 1];
}

/* YYYY-MM-DDThh:mm:ss[.f{1,9}]Z: no other separator, zone or precision is taken. */
bool web_parse_time(const char *s, size_t len, int64_t *ns)
{
	int y, mo, d, h, mi, sec, digit;
	int64_t frac = 0, scale = 100000000;
	size_t i = 19;

	if (len < 20 || len > 30 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' ||
	    s[16] != ':' || s[len - 1] != 'Z')
		return false;
	if (!fixed_digits(s, 4, &y) || !fixed_digits(s + 5, 2, &mo) ||
	    !fixed_digits(s + 8, 2, &d) || !fixed_digits(s + 11, 2, &h) ||
	    !fixed_digits(s + 14, 2, &mi) || !fixed_digits(s + 17, 2, &sec))
		return false;
	if (y < 1970 || y > 2261 || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) ||
	    h > 23 || mi > 59 || sec > 59)
		return false;
	if (s[i] == '.') {
		for (i++; i < len - 1; i++, scale /= 10) {
			if (!scale || !fixed_digits(s + i, 1, &digit))
				return false;
			frac += digit * scale;
		}
		if (i == 20)
			return false; /* a dot without digits */
	}
	if (i != len - 1)
		return false;
	*ns = ((days_from_civil(y, mo, d) * 24 + h) * 60 + mi) * 60 + sec;
	*ns = *ns * 1000000000 + frac;
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
 * from/to as wall-clock times: both or neither, each strictly RFC 3339 in UTC. Returns 1 when
 * they are (q->wall set), 0 when they are not, or -EINVAL with a 400 reply set.
 */
static int parse_wall(const struct web_request *rq, struct web_reply *rp, struct web_query *q)
{
	static const char form[] = "expected a UTC time like 2026-11-25T14:00:00Z";
	const struct web_param *from = web_param_find(rq, "from"), *to = web_param_find(rq, "to");

	if (!looks_wall(from) && !looks_wall(to))
		return 0;
	if (!from || !to)
		return web_reply_error(rp, 400, "%s: missing; a wall-clock range needs from and to",
				       from ? "to" : "from");
	if (!web_parse_time(from->value, from->len, &q->from_ns))
		return web_reply_error(rp, 400, "from: %s", form);
	if (!web_parse_time(to->value, to->len, &q->to_ns))
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

	memset(q, 0, sizeof(*q));
	q->range.to = MAX_SECONDS;
	q->width = 1200;
	r = web_param_uint(rq, rp, "pid", 0, MAX_PID, &v);
	if (r < 0)
		return r;
	if (r)
		q->filter.pid = (uint32_t)v;
	if (web_param_text(rq, rp, "comm", MAX_COMM, &q->filter.comm) < 0 ||
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
