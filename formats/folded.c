// SPDX-License-Identifier: MIT
/*
 * Folded stacks, the collapsed format of FlameGraph, perf script | stackcollapse and bcc's
 * profile -f: "comm;root;...;leaf count" per line.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "common/strbuf.h"
#include "formats/formats.h"

struct folded_line {
	char *text; /* "comm;root;...;leaf" */
	int64_t count;
};

static int cmp_line(const void *a, const void *b)
{
	return strcmp(((const struct folded_line *)a)->text, ((const struct folded_line *)b)->text);
}

/* Spells one sample root first: comm, then each location outermost inline frame first. */
static int sample_text(const struct fmt_profile *p, const struct fmt_sample *s,
		       const struct fmt_name_opts *names, struct profd_strbuf *sb)
{
	const char *comm = fmt_profile__str(p, s->comm);
	int err = 0;

	profd_strbuf_reset(sb);
	for (const char *c = *comm ? comm : "[unknown]"; *c && !err; c++) {
		char ch = *c == ';' ? ':' : (*c == '\n' || *c == '\r') ? ' ' : *c;

		err = profd_strbuf_append(sb, &ch, 1);
	}
	for (uint32_t i = s->nlocs; i-- > 0 && !err;) {
		const struct fmt_location *loc =
			fmt_profile__location(p, p->stack_locs[s->first_loc + i]);

		for (uint32_t j = loc->nlines; j-- > 0 && !err;) {
			err = profd_strbuf_puts(sb, ";");
			if (!err)
				err = fmt_frame_name(p, loc, j, names, sb);
		}
	}
	return err;
}

int fmt_folded_write(const struct fmt_profile *p, FILE *out, const struct fmt_folded_opts *opts)
{
	struct fmt_name_opts names = {opts && opts->lines, opts && opts->full_names};
	struct profd_strbuf sb = {0};
	struct folded_line *v = calloc(p->nsamples ? p->nsamples : 1, sizeof(*v));
	size_t n = 0;
	int err = 0;

	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < p->nsamples; i++) {
		const struct fmt_sample *s = &p->samples[i];

		if (!fmt_filter__match(opts ? opts->filter : NULL, p, s) || s->count <= 0)
			continue;
		err = sample_text(p, s, &names, &sb);
		if (err)
			goto out;
		v[n].text = strdup(sb.buf);
		if (!v[n].text) {
			err = -ENOMEM;
			goto out;
		}
		v[n++].count = s->count;
	}
	/* Samples that differ only in pid or tid spell the same line: sort, then add them up. */
	qsort(v, n, sizeof(*v), cmp_line);
	for (size_t i = 0; i < n;) {
		int64_t count = 0;
		size_t j;

		for (j = i; j < n && strcmp(v[j].text, v[i].text) == 0; j++)
			count += v[j].count;
		fprintf(out, "%s %" PRId64 "\n", v[i].text, count);
		i = j;
	}
	if (fflush(out) || ferror(out))
		err = -EIO;
out:
	for (size_t i = 0; i < n; i++)
		free(v[i].text);
	free(v);
	profd_strbuf_release(&sb);
	return err;
}

/* ---- reader ---- */

static int kernel_mapping(struct fmt_profile *p, uint32_t *id)
{
	struct fmt_mapping_desc m = {.filename = "[kernel.kallsyms]", .kernel = true};

	return fmt_profile__add_mapping(p, &m, id);
}

static bool strip_suffix(char *s, size_t *len, const char *suffix)
{
	size_t n = strlen(suffix);

	if (*len < n || memcmp(s + *len - n, suffix, n) != 0)
		return false;
	*len -= n;
	s[*len] = '\0';
	return true;
}

/* Parses " (file:line)" at the end of a frame written with --lines; leaves other names alone. */
static void split_line(char *s, size_t *len, const char **file, int64_t *line)
{
	char *open, *colon, *end;
	long long v;

	if (*len < 5 || s[*len - 1] != ')')
		return;
	open = strrchr(s, '(');
	if (!open || open == s || open[-1] != ' ')
		return;
	colon = strrchr(open, ':');
	if (!colon || colon == open + 1)
		return;
	v = strtoll(colon + 1, &end, 10);
	if (end != s + *len - 1 || v <= 0)
		return;
	*colon = '\0';
	*file = open + 1;
	*line = v;
	open[-1] = '\0';
	*len = open - 1 - s;
}

/* Adds the location of one frame name (modified in place). */
static int frame_location(struct fmt_profile *p, char *name, uint32_t *id)
{
	struct fmt_frame_desc f = {.name = name};
	size_t len = strlen(name);
	uint32_t mapping = 0;
	int err;

	split_line(name, &len, &f.filename, &f.line);
	if (strip_suffix(name, &len, "_[k]")) {
		err = kernel_mapping(p, &mapping);
		if (err)
			return err;
	}
	return fmt_profile__add_location(p, mapping, 0, &f, 1, id);
}

static int parse_line(struct fmt_profile *p, char *text, size_t lineno, uint32_t **locs,
		      size_t *cap, struct fmt_error *err)
{
	char *space = strrchr(text, ' '), *end, *frame, *next;
	struct fmt_sample_desc labels = {0};
	size_t n = 0;
	long long count;
	int ret;

	if (!space || space == text) {
		snprintf(err->msg, sizeof(err->msg), "line %zu: missing count", lineno);
		return -EINVAL;
	}
	errno = 0;
	count = strtoll(space + 1, &end, 10);
	if (*end || end == space + 1 || count < 0 || errno) {
		snprintf(err->msg, sizeof(err->msg), "line %zu: bad count '%.32s'", lineno,
			 space + 1);
		return -EINVAL;
	}
	*space = '\0';
	/* Count the frames (all but the comm) to size the stack, then add them leaf first. */
	for (char *c = text; *c; c++)
		n += *c == ';';
	if (n > *cap) {
		uint32_t *q = realloc(*locs, n * sizeof(*q));

		if (!q)
			return -ENOMEM;
		*locs = q;
		*cap = n;
	}
	next = strchr(text, ';');
	if (next)
		*next++ = '\0';
	labels.comm = text;
	for (size_t i = n; next; i--) {
		frame = next;
		next = strchr(frame, ';');
		if (next)
			*next++ = '\0';
		if (!*frame) {
			snprintf(err->msg, sizeof(err->msg), "line %zu: empty frame", lineno);
			return -EINVAL;
		}
		ret = frame_location(p, frame, &(*locs)[i - 1]);
		if (ret)
			return ret;
	}
	ret = fmt_profile__add_sample(p, *locs, n, &labels, count);
	if (ret == -EOVERFLOW) {
		snprintf(err->msg, sizeof(err->msg),
			 "line %zu: count %lld takes the total past %lld samples", lineno, count,
			 (long long)INT64_MAX);
		return -EINVAL;
	}
	return ret;
}

/* Where the input is: the line buffer, how much was read in all, which line. */
struct line_reader {
	FILE *in;
	char *buf;
	size_t cap;
	uint64_t total;
	size_t lineno;
};

enum {
	LINE_END = -1,	 /* no more input */
	LINE_NUL = -2,	 /* a NUL byte: not text */
	LINE_LONG = -3,	 /* longer than FMT_FOLDED_MAX_LINE */
	LINE_TOTAL = -4, /* more input than FMT_FOLDED_MAX_BYTES */
	LINE_NOMEM = -5,
};

/*
 * Reads the next line without its end (\n, \r\n) into r->buf, NUL-terminated; returns its length
 * or a LINE_* code. Stops at the first byte past a limit: memory never holds more than one line
 * of at most FMT_FOLDED_MAX_LINE bytes, however endless the input (/dev/zero, a sparse file).
 */
static ssize_t read_line(struct line_reader *r)
{
	size_t len = 0;
	int c;

	r->lineno++;
	for (;;) {
		if (len + 1 >= r->cap) { /* room for this byte and the NUL, even on an empty line */
			size_t cap = r->cap ? r->cap * 2 : 256;
			char *q = realloc(r->buf, cap);

			if (!q)
				return LINE_NOMEM;
			r->buf = q;
			r->cap = cap;
		}
		c = getc_unlocked(r->in);
		if (c == EOF)
			break;
		if (++r->total > FMT_FOLDED_MAX_BYTES)
			return LINE_TOTAL;
		if (c == '\n')
			break;
		if (c == '\0')
			return LINE_NUL;
		if (len == FMT_FOLDED_MAX_LINE)
			return LINE_LONG;
		r->buf[len++] = (char)c;
	}
	if (c == EOF && len == 0)
		return LINE_END;
	if (len && r->buf[len - 1] == '\r')
		len--;
	r->buf[len] = '\0';
	return (ssize_t)len;
}

static int line_error(const struct line_reader *r, ssize_t code, struct fmt_error *err)
{
	switch (code) {
	case LINE_NUL:
		snprintf(err->msg, sizeof(err->msg), "line %zu: not text (NUL byte)", r->lineno);
		return -EINVAL;
	case LINE_LONG:
		snprintf(err->msg, sizeof(err->msg), "line %zu: longer than %u MiB", r->lineno,
			 FMT_FOLDED_MAX_LINE >> 20);
		return -EINVAL;
	case LINE_TOTAL:
		snprintf(err->msg, sizeof(err->msg), "line %zu: input above %u MiB", r->lineno,
			 FMT_FOLDED_MAX_BYTES >> 20);
		return -EINVAL;
	default:
		return -ENOMEM;
	}
}

int fmt_folded_read(struct fmt_profile *p, FILE *in, struct fmt_error *err)
{
	struct line_reader r = {.in = in};
	uint32_t *locs = NULL;
	size_t cap = 0;
	ssize_t len;
	int ret = 0;

	err->msg[0] = '\0';
	while ((len = read_line(&r)) != LINE_END) {
		if (len < 0) {
			ret = line_error(&r, len, err);
			break;
		}
		if (len == 0 || r.buf[0] == '#')
			continue;
		ret = parse_line(p, r.buf, r.lineno, &locs, &cap, err);
		if (ret)
			break;
	}
	if (!ret && ferror(in))
		ret = -EIO;
	if (ret && ret != -EINVAL && !err->msg[0])
		snprintf(err->msg, sizeof(err->msg), "%s", strerror(-ret));
	free(r.buf);
	free(locs);
	return ret;
}
