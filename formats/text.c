// SPDX-License-Identifier: MIT
/* Frame names cleaned for XML (and so for JSON): see text_internal.h. */
#include "common/strbuf.h"
#include "formats/text_internal.h"

static int utf8_cont(unsigned char c)
{
	return (c & 0xc0) == 0x80;
}

size_t fmt_xml_char_len(const unsigned char *c)
{
	unsigned char lo, hi;

	if (c[0] < 0x80)
		return c[0] >= 0x20 ? 1 : 0;
	if (c[0] >= 0xc2 && c[0] <= 0xdf)
		return utf8_cont(c[1]) ? 2 : 0;
	if (c[0] >= 0xe0 && c[0] <= 0xef) {
		/* Reject overlong forms and UTF-16 surrogates. */
		lo = c[0] == 0xe0 ? 0xa0 : 0x80;
		hi = c[0] == 0xed ? 0x9f : 0xbf;
		if (c[1] < lo || c[1] > hi || !utf8_cont(c[2]))
			return 0;
		if (c[0] == 0xef && c[1] == 0xbf && c[2] >= 0xbe)
			return 0; /* U+FFFE, U+FFFF */
		return 3;
	}
	if (c[0] >= 0xf0 && c[0] <= 0xf4) {
		lo = c[0] == 0xf0 ? 0x90 : 0x80;
		hi = c[0] == 0xf4 ? 0x8f : 0xbf;
		if (c[1] < lo || c[1] > hi || !utf8_cont(c[2]) || !utf8_cont(c[3]))
			return 0;
		return 4;
	}
	return 0;
}

int fmt_clean_name(struct profd_strbuf *sb, const char *s)
{
	const unsigned char *c = (const unsigned char *)(s ? s : ""), *run = c;
	int err = 0;

	while (*c && !err) {
		size_t n = fmt_xml_char_len(c);

		if (n) {
			c += n;
			continue;
		}
		err = profd_strbuf_append(sb, run, c - run);
		if (!err)
			err = profd_strbuf_append(sb, "?", 1);
		run = ++c;
	}
	if (!err)
		err = profd_strbuf_append(sb, run, c - run);
	if (!err && sb->len == 0)
		err = profd_strbuf_puts(sb, "[unknown]");
	return err;
}
