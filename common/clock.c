// SPDX-License-Identifier: MIT
#include "common/clock.h"

#include <errno.h>
#include <stdbool.h>
#include <time.h>

#define YEAR_MIN 1970
#define YEAR_MAX 2261

static int64_t read_clock(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * PROFD_NS_PER_S + ts.tv_nsec;
}

int64_t profd_mono_ns(void)
{
	return read_clock(CLOCK_MONOTONIC);
}

int64_t profd_coarse_ns(void)
{
	return read_clock(CLOCK_MONOTONIC_COARSE);
}

int64_t profd_wall_ns(void)
{
	return read_clock(CLOCK_REALTIME);
}

/* A bounded reader over s[0..len). */
struct cursor {
	const char *s, *end;
};

/* Exactly n digits. */
static bool digits(struct cursor *c, int n, int *out)
{
	int v = 0;

	if (c->end - c->s < n)
		return false;
	for (int i = 0; i < n; i++) {
		if (c->s[i] < '0' || c->s[i] > '9')
			return false;
		v = v * 10 + (c->s[i] - '0');
	}
	c->s += n;
	*out = v;
	return true;
}

/* One of chars; the matched one in *got. */
static bool one_of(struct cursor *c, const char *chars, char *got)
{
	if (c->s == c->end)
		return false;
	for (const char *k = chars; *k; k++) {
		if (*c->s == *k) {
			*got = *c->s++;
			return true;
		}
	}
	return false;
}

static bool is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int m)
{
	static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar (H. Hinnant's method). */
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

/* "[.fraction]": up to 9 digits, as nanoseconds. */
static bool fraction(struct cursor *c, int64_t *ns)
{
	int64_t scale = PROFD_NS_PER_S / 10;
	int digit, n = 0;

	*ns = 0;
	if (c->s == c->end || *c->s != '.')
		return true;
	c->s++;
	while (c->s < c->end && *c->s >= '0' && *c->s <= '9') {
		if (++n > 9 || !digits(c, 1, &digit))
			return false;
		*ns += digit * scale;
		scale /= 10;
	}
	return n > 0;
}

/* "Z" or "+hh:mm" / "-hh:mm", as seconds east of UTC. */
static bool zone(struct cursor *c, int *east_s)
{
	int h, m;
	char sign, colon;

	if (one_of(c, "Zz", &sign)) {
		*east_s = 0;
		return true;
	}
	if (!one_of(c, "+-", &sign) || !digits(c, 2, &h) || !one_of(c, ":", &colon) ||
	    !digits(c, 2, &m) || h > 23 || m > 59)
		return false;
	*east_s = (sign == '-' ? -1 : 1) * (h * 3600 + m * 60);
	return true;
}

int profd_time_parse(const char *s, size_t len, int64_t *ns)
{
	struct cursor c = {.s = s, .end = s + len};
	int y, mo, d, h, mi, sec, east;
	int64_t frac, t;
	char sep;

	if (!digits(&c, 4, &y) || !one_of(&c, "-", &sep) || !digits(&c, 2, &mo) ||
	    !one_of(&c, "-", &sep) || !digits(&c, 2, &d) || !one_of(&c, "Tt ", &sep) ||
	    !digits(&c, 2, &h) || !one_of(&c, ":", &sep) || !digits(&c, 2, &mi) ||
	    !one_of(&c, ":", &sep) || !digits(&c, 2, &sec) || !fraction(&c, &frac) ||
	    !zone(&c, &east) || c.s != c.end)
		return -EINVAL;
	if (y < YEAR_MIN || y > YEAR_MAX || mo < 1 || mo > 12 || d < 1 ||
	    d > days_in_month(y, mo) || h > 23 || mi > 59 || sec > 59)
		return -EINVAL;
	t = ((days_from_civil(y, mo, d) * 24 + h) * 60 + mi) * 60 + sec - east;
	if (t < 0)
		return -EINVAL;
	*ns = t * PROFD_NS_PER_S + frac;
	return 0;
}
