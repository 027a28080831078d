// SPDX-License-Identifier: MIT
/* Durations, sizes and points in time as the agent and query options take them. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "profiler/store_internal.h"

#define NS_PER_S 1000000000LL

/* A non-negative decimal number and what follows it. */
static bool leading_number(const char *s, double *v, const char **rest)
{
	char *end;

	if (!isdigit((unsigned char)*s))
		return false;
	errno = 0;
	*v = strtod(s, &end);
	if (errno || end == s || !(*v >= 0))
		return false;
	*rest = end;
	return true;
}

int prof_parse_duration(const char *s, int64_t *ns)
{
	static const struct {
		const char *unit;
		double seconds;
	} units[] = {{"", 1}, {"s", 1}, {"m", 60}, {"h", 3600}, {"d", 86400}, {"w", 604800}};
	const char *rest;
	double v;

	if (!leading_number(s, &v, &rest))
		return -EINVAL;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		double t = v * units[i].seconds;

		if (strcmp(rest, units[i].unit))
			continue;
		if (t > 9e9) /* about 285 years: beyond that int64 nanoseconds overflow */
			return -EINVAL;
		*ns = (int64_t)(t * NS_PER_S);
		return 0;
	}
	return -EINVAL;
}

int prof_parse_size(const char *s, uint64_t *bytes)
{
	static const char units[] = "KMGT";
	const char *rest, *u;
	double v, mult = 1;

	if (!leading_number(s, &v, &rest))
		return -EINVAL;
	if (*rest) {
		u = strchr(units, toupper((unsigned char)*rest));
		if (!u || !*u)
			return -EINVAL;
		for (const char *k = units; k <= u; k++)
			mult *= 1024;
		rest++;
		if (*rest == 'i' || *rest == 'I')
			rest++;
		if (*rest == 'B' || *rest == 'b')
			rest++;
		if (*rest)
			return -EINVAL;
	}
	if (v * mult > 1.8e19)
		return -EINVAL;
	*bytes = (uint64_t)(v * mult);
	return 0;
}

/* Exactly n digits at *s, advancing it. */
static bool digits(const char **s, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)(*s)[i]))
			return false;
		v = v * 10 + ((*s)[i] - '0');
	}
	*s += n;
	*out = v;
	return true;
}

static bool expect(const char **s, const char *chars)
{
	if (!**s || !strchr(chars, **s))
		return false;
	(*s)++;
	return true;
}

/* YYYY-MM-DD[Tt ]hh:mm:ss[.frac](Z|+hh:mm|-hh:mm) */
static int parse_rfc3339(const char *s, int64_t *ns)
{
	struct tm tm = {0};
	int y, mo, d, h, mi, sec, oh, om, sign;
	int64_t frac = 0, scale = NS_PER_S, t;

	if (!digits(&s, 4, &y) || !expect(&s, "-") || !digits(&s, 2, &mo) || !expect(&s, "-") ||
	    !digits(&s, 2, &d) || !expect(&s, "Tt ") || !digits(&s, 2, &h) || !expect(&s, ":") ||
	    !digits(&s, 2, &mi) || !expect(&s, ":") || !digits(&s, 2, &sec))
		return -EINVAL;
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
		return -EINVAL;
	if (*s == '.') {
		s++;
		if (!isdigit((unsigned char)*s))
			return -EINVAL;
		for (; isdigit((unsigned char)*s); s++) {
			if (scale > 1) {
				scale /= 10;
				frac += (*s - '0') * scale;
			}
		}
	}
	if (*s == 'Z' || *s == 'z') {
		s++;
		oh = om = 0;
		sign = 1;
	} else {
		sign = *s == '-' ? -1 : 1;
		if (!expect(&s, "+-") || !digits(&s, 2, &oh) || !expect(&s, ":") ||
		    !digits(&s, 2, &om) || oh > 23 || om > 59)
			return -EINVAL;
	}
	if (*s)
		return -EINVAL;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	t = (int64_t)timegm(&tm);
	t -= sign * (oh * 3600 + om * 60);
	*ns = t * NS_PER_S + frac;
	return 0;
}

int prof_parse_time(const char *s, int64_t now_ns, int64_t *ns)
{
	int64_t ago;

	if (!strcmp(s, "now")) {
		*ns = now_ns;
		return 0;
	}
	if (s[0] == '-') {
		if (prof_parse_duration(s + 1, &ago))
			return -EINVAL;
		*ns = now_ns - ago;
		return 0;
	}
	return parse_rfc3339(s, ns);
}
