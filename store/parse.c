// SPDX-License-Identifier: MIT
/* Durations, sizes and points in time as the agent and query options take them. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "store/store.h"


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

int store_parse_duration(const char *s, int64_t *ns)
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
		*ns = (int64_t)(t * PROFD_NS_PER_S);
		return 0;
	}
	return -EINVAL;
}

int store_parse_size(const char *s, uint64_t *bytes)
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

int store_parse_time(const char *s, int64_t now_ns, int64_t *ns)
{
	int64_t ago;

	if (!strcmp(s, "now")) {
		*ns = now_ns;
		return 0;
	}
	if (s[0] == '-') {
		if (store_parse_duration(s + 1, &ago))
			return -EINVAL;
		*ns = now_ns - ago;
		return 0;
	}
	return profd_time_parse(s, strlen(s), ns);
}
