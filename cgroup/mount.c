// SPDX-License-Identifier: MIT
/* Where the cgroup v2 hierarchy is mounted, and paths given relative to it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup/cgroup.h"

#define LINE_MAX_BYTES 8192

/* mountinfo escapes space, tab, newline and backslash as \ooo (octal). */
static int unescape(const char *s, size_t n, char *buf, size_t len)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (c == '\\' && i + 3 < n && s[i + 1] >= '0' && s[i + 1] <= '3' &&
		    s[i + 2] >= '0' && s[i + 2] <= '7' && s[i + 3] >= '0' && s[i + 3] <= '7') {
			c = (char)((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0'));
			i += 3;
		}
		if (o + 1 >= len)
			return -ENAMETOOLONG;
		buf[o++] = c;
	}
	buf[o] = '\0';
	return 0;
}

/* Field i (0-based, space-separated) of line: its start and length, or NULL. */
static const char *field(const char *line, int i, size_t *n)
{
	const char *s = line;

	for (; i > 0 && s; i--) {
		s = strchr(s, ' ');
		if (s)
			s++;
	}
	if (!s)
		return NULL;
	*n = strcspn(s, " \n");
	return s;
}

int cg_find_v2_mount(FILE *mountinfo, char *buf, size_t len)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t got;
	int err = -ENOENT;

	while (err == -ENOENT && (got = getline(&line, &cap, mountinfo)) > 0) {
		const char *sep = strstr(line, " - "), *mnt;
		size_t n;

		if (got > LINE_MAX_BYTES || !sep || strncmp(sep + 3, "cgroup2 ", 8))
			continue;
		mnt = field(line, 4, &n);
		if (mnt && mnt < sep)
			err = unescape(mnt, n, buf, len);
	}
	free(line);
	return err;
}

/* Appends component c[0..n) to buf (at *o) as "/c". */
static int append(char *buf, size_t len, size_t *o, const char *c, size_t n)
{
	if ((n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
		return -EINVAL;
	if (*o + 1 + n + 1 > len)
		return -ENAMETOOLONG;
	buf[(*o)++] = '/';
	memcpy(buf + *o, c, n);
	*o += n;
	buf[*o] = '\0';
	return 0;
}

int cg_normalize_path(const char *mount, const char *arg, char *buf, size_t len)
{
	size_t ml = mount ? strlen(mount) : 0, o = 0;
	const char *s = arg;
	int err = 0;

	if (len < 2)
		return -ENAMETOOLONG;
	while (ml && mount[ml - 1] == '/')
		ml--;
	if (ml && !strncmp(arg, mount, ml) && (arg[ml] == '/' || !arg[ml]))
		s = arg + ml;
	buf[0] = '\0';
	while (*s && !err) {
		size_t n = strcspn(s, "/");

		if (n)
			err = append(buf, len, &o, s, n);
		s += n;
		s += strspn(s, "/");
	}
	if (!err && !o)
		strcpy(buf, "/");
	return err;
}
