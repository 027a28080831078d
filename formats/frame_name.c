// SPDX-License-Identifier: MIT
/* The one place that decides how a frame is spelled in folded stacks and flame graphs. */
#include <errno.h>
#include <string.h>

#include "common/strbuf.h"
#include "formats/formats.h"

/* Appends s with the folded format's separators made harmless. */
static int append_clean(struct profd_strbuf *sb, const char *s)
{
	size_t start = sb->len;
	int err = profd_strbuf_puts(sb, s);

	if (err)
		return err;
	for (size_t i = start; i < sb->len; i++) {
		if (sb->buf[i] == ';')
			sb->buf[i] = ':';
		else if (sb->buf[i] == '\n' || sb->buf[i] == '\r')
			sb->buf[i] = ' ';
	}
	return 0;
}

int fmt_frame_name(const struct fmt_profile *p, const struct fmt_location *loc, uint32_t i,
		   bool lines, struct profd_strbuf *sb)
{
	const struct fmt_line *line = &p->lines[loc->first_line + i];
	const struct fmt_function *f = fmt_profile__function(p, line->function);
	const struct fmt_mapping *m = fmt_profile__mapping(p, loc->mapping);
	const char *name = fmt_profile__str(p, f->name);
	int err;

	err = append_clean(sb, *name ? name : "[unknown]");
	if (!err && m && m->kernel)
		err = profd_strbuf_puts(sb, "_[k]");
	if (!err && lines && line->line > 0 && f->filename) {
		const char *file = fmt_profile__str(p, f->filename);
		const char *base = strrchr(file, '/');

		err = profd_strbuf_puts(sb, " (");
		if (!err)
			err = append_clean(sb, base ? base + 1 : file);
		if (!err)
			err = profd_strbuf_printf(sb, ":%lld)", (long long)line->line);
	}
	return err;
}
