// SPDX-License-Identifier: MIT
#include "common/strbuf.h"

#include "common/array.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int profd_strbuf_reserve(struct profd_strbuf *sb, size_t extra)
{
	size_t need = sb->len + extra + 1;

	if (need < sb->len)
		return -ENOMEM;
	return PROFD_ARRAY_RESERVE(sb->buf, sb->cap, need, 64);
}

int profd_strbuf_append(struct profd_strbuf *sb, const void *data, size_t len)
{
	int err = profd_strbuf_reserve(sb, len);

	if (err)
		return err;
	if (len)
		memcpy(sb->buf + sb->len, data, len);
	sb->len += len;
	sb->buf[sb->len] = '\0';
	return 0;
}

int profd_strbuf_puts(struct profd_strbuf *sb, const char *s)
{
	return profd_strbuf_append(sb, s, strlen(s));
}

int profd_strbuf_printf(struct profd_strbuf *sb, const char *fmt, ...)
{
	va_list ap;
	int n, err;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -EINVAL;
	err = profd_strbuf_reserve(sb, (size_t)n);
	if (err)
		return err;
	va_start(ap, fmt);
	vsnprintf(sb->buf + sb->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	sb->len += (size_t)n;
	return 0;
}

void profd_strbuf_reset(struct profd_strbuf *sb)
{
	sb->len = 0;
	if (sb->buf)
		sb->buf[0] = '\0';
}

void profd_strbuf_release(struct profd_strbuf *sb)
{
	free(sb->buf);
	sb->buf = NULL;
	sb->len = sb->cap = 0;
}

char *profd_strbuf_detach(struct profd_strbuf *sb, size_t *len)
{
	char *p = sb->buf;

	if (len)
		*len = sb->len;
	if (!p)
		p = calloc(1, 1);
	sb->buf = NULL;
	sb->len = sb->cap = 0;
	return p;
}
