// SPDX-License-Identifier: MIT
/*
 * JSON and JavaScript string literals. Names come from processes (comm), binaries and files
 * given on the command line, so any byte can appear: everything that could end a string, a
 * <script> or an HTML context is escaped, and bytes that are not UTF-8 become U+FFFD.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "web/web_internal.h"

/* Length of the UTF-8 sequence at s (at most n bytes), or 0 if it is not valid UTF-8. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	size_t len;
	uint32_t cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		len = 2, cp = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3, cp = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4, cp = c & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	/* Overlong forms, surrogates and values past U+10FFFF are not UTF-8. */
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	/* U+2028 and U+2029 end a line in older JavaScript: callers escape them. */
	return len;
}

bool web_text_ok(const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;

	for (size_t i = 0; i < len;) {
		size_t n;

		if (u[i] < 0x20 || u[i] == 0x7f)
			return false;
		n = utf8_len(u + i, len - i);
		if (!n)
			return false;
		i += n;
	}
	return true;
}

static bool is_line_sep(const unsigned char *s, size_t n)
{
	return n == 3 && s[0] == 0xe2 && s[1] == 0x80 && (s[2] == 0xa8 || s[2] == 0xa9);
}

/* Both JSON and JS: quote, escape, and keep valid multibyte characters as they are. */
static int put_string(struct profd_strbuf *sb, const char *str)
{
	const unsigned char *s = (const unsigned char *)(str ? str : "");
	size_t len = strlen((const char *)s);
	int err = profd_strbuf_puts(sb, "\"");

	for (size_t i = 0; !err && i < len;) {
		unsigned char c = s[i];
		size_t n = utf8_len(s + i, len - i);

		if (!n) {
			err = profd_strbuf_puts(sb, "\\ufffd");
			i++;
		} else if (n > 1) {
			if (is_line_sep(s + i, n))
				err = profd_strbuf_printf(sb, "\\u%04x", s[i + 2] == 0xa8 ? 0x2028 : 0x2029);
			else
				err = profd_strbuf_append(sb, s + i, n);
			i += n;
		} else {
			if (c == '"')
				err = profd_strbuf_puts(sb, "\\\"");
			else if (c == '\\')
				err = profd_strbuf_puts(sb, "\\\\");
			else if (c == '\n')
				err = profd_strbuf_puts(sb, "\\n");
			else if (c == '\t')
				err = profd_strbuf_puts(sb, "\\t");
			else if (c < 0x20 || c == 0x7f || c == '<' || c == '>' || c == '&' || c == '\'' ||
				 c == ']')
				err = profd_strbuf_printf(sb, "\\u%04x", c);
			else
				err = profd_strbuf_append(sb, &c, 1);
			i++;
		}
	}
	return err ? err : profd_strbuf_puts(sb, "\"");
}

int web_json_str(struct profd_strbuf *sb, const char *s)
{
	return put_string(sb, s);
}

int web_js_str(struct profd_strbuf *sb, const char *s)
{
	/* The JSON escapes are JavaScript escapes too; ']' and '>' cannot close a CDATA section. */
	return put_string(sb, s);
}

int web_json_time(struct profd_strbuf *sb, int64_t ns)
{
	time_t t = (time_t)(ns / 1000000000);
	struct tm tm;

	if (ns < 0 || !gmtime_r(&t, &tm))
		return profd_strbuf_puts(sb, "null");
	return profd_strbuf_printf(sb, "\"%04d-%02d-%02dT%02d:%02d:%02d.%09lldZ\"",
				   tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
				   tm.tm_min, tm.tm_sec, (long long)(ns % 1000000000));
}

int web_json_num(struct profd_strbuf *sb, double v)
{
	if (!isfinite(v))
		v = 0;
	if (v == (double)(long long)v && fabs(v) < 9e15)
		return profd_strbuf_printf(sb, "%lld", (long long)v);
	return profd_strbuf_printf(sb, "%.6g", v);
}
