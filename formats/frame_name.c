// SPDX-License-Identifier: MIT
/* The one place that decides how a frame is spelled in folded stacks and flame graphs. */
#include <errno.h>
#include <string.h>

#include "common/strbuf.h"
#include "formats/formats.h"

/* Makes the folded format's separators harmless in what was appended since start. */
static void clean_from(struct profd_strbuf *sb, size_t start)
{
	for (size_t i = start; i < sb->len; i++) {
		if (sb->buf[i] == ';')
			sb->buf[i] = ':';
		else if (sb->buf[i] == '\n' || sb->buf[i] == '\r')
			sb->buf[i] = ' ';
	}
}

/*
 * Whether s[0..n) ends in the folded format's kernel suffix. A short name must not gain it when
 * its whole name did not end in it: "f()_[k](x)" would shorten to a kernel frame (found by
 * fuzz_folded). (A line suffix " (file:line)" cannot appear this way: its space would end the
 * return type.)
 */
static bool ends_as_kernel(const char *s, size_t n)
{
	return n >= 4 && !memcmp(s + n - 4, "_[k]", 4);
}

int fmt_frame_name(const struct fmt_profile *p, const struct fmt_location *loc, uint32_t i,
		   const struct fmt_name_opts *o, struct profd_strbuf *sb)
{
	static const struct fmt_name_opts none;
	const struct fmt_line *line = &p->lines[loc->first_line + i];
	const struct fmt_function *f = fmt_profile__function(p, line->function);
	const struct fmt_mapping *m = fmt_profile__mapping(p, loc->mapping);
	const char *name = fmt_profile__str(p, f->name);
	size_t start = sb->len;
	int err;

	if (!o)
		o = &none;
	if (!*name)
		err = profd_strbuf_puts(sb, "[unknown]");
	else if (o->full_names)
		err = profd_strbuf_puts(sb, name);
	else
		err = fmt_short_name(name, sb);
	if (!err && sb->len - start < strlen(name) &&
	    ends_as_kernel(sb->buf + start, sb->len - start)) {
		sb->len = start;
		err = profd_strbuf_puts(sb, name);
	}
	clean_from(sb, start);
	if (!err && m && m->kernel)
		err = profd_strbuf_puts(sb, "_[k]");
	if (!err && o->lines && line->line > 0 && f->filename) {
		const char *file = fmt_profile__str(p, f->filename);
		const char *base = strrchr(file, '/');

		err = profd_strbuf_puts(sb, " (");
		start = sb->len;
		if (!err)
			err = profd_strbuf_puts(sb, base ? base + 1 : file);
		clean_from(sb, start);
		if (!err)
			err = profd_strbuf_printf(sb, ":%lld)", (long long)line->line);
	}
	return err;
}
