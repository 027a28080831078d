// SPDX-License-Identifier: MIT
/*
 * Top functions, as `perf report` and `pprof -top` show them: self = samples whose innermost
 * frame is the function, total = samples with the function anywhere on the stack (once per
 * sample, however often it recurses). Inline frames count as functions of their own. Functions
 * are counted by the name shown, as pprof does: overloads and cold parts that share a short name
 * are one row.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "web/web_internal.h"

/* One row: every function shown under one name. */
struct row {
	int64_t self, total;
	size_t stamp; /* last sample that counted towards total, plus one */
	char *name;
	uint32_t fn; /* its first function, for the file */
};

struct top {
	const struct fmt_profile *p;
	uint32_t *loc, *line; /* per function: a location where it appears, and which line */
	uint32_t *row;	      /* per function: its row */
	struct row *rows;
	size_t nrows;
};

static int cmp_row(const void *a, const void *b, void *ctx)
{
	const struct row *x = *(const struct row *const *)a;
	const struct row *y = *(const struct row *const *)b;
	bool by_total = *(const bool *)ctx;
	int64_t kx = by_total ? x->total : x->self, ky = by_total ? y->total : y->self;
	int64_t sx = by_total ? x->self : x->total, sy = by_total ? y->self : y->total;

	if (kx != ky)
		return kx < ky ? 1 : -1;
	if (sx != sy)
		return sx < sy ? 1 : -1;
	return strcmp(x->name, y->name);
}

static int cmp_name(const void *a, const void *b)
{
	const struct row *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c ? c : (x->fn > y->fn) - (x->fn < y->fn);
}

/* Where each function appears first: its display name depends on the location (kernel). */
static void place(struct top *t)
{
	const struct fmt_profile *p = t->p;

	for (size_t i = 0; i < p->nstack_locs; i++) {
		uint32_t id = p->stack_locs[i];
		const struct fmt_location *loc = fmt_profile__location(p, id);

		for (uint32_t k = 0; k < loc->nlines; k++) {
			uint32_t fn = p->lines[loc->first_line + k].function;

			if (fn <= p->nfunctions && !t->loc[fn]) {
				t->loc[fn] = id;
				t->line[fn] = k;
			}
		}
	}
}

/* One row per name shown; t->row maps each function to it. Returns 0 or -ENOMEM. */
static int make_rows(struct top *t, const struct fmt_name_opts *names)
{
	const struct fmt_profile *p = t->p;
	struct profd_strbuf sb = {0};
	size_t n = 0;
	int err = 0;

	for (uint32_t fn = 1; fn <= p->nfunctions && !err; fn++) {
		char *name;

		if (!t->loc[fn])
			continue;
		profd_strbuf_reset(&sb);
		err = fmt_frame_name(p, fmt_profile__location(p, t->loc[fn]), t->line[fn], names,
				     &sb);
		name = err ? NULL : sb.buf ? profd_strbuf_detach(&sb, NULL) : strdup("");
		if (!name) {
			err = -ENOMEM;
			break;
		}
		t->rows[n++] = (struct row){.name = name, .fn = fn};
	}
	profd_strbuf_release(&sb);
	t->nrows = n;
	if (err)
		return err;
	qsort(t->rows, n, sizeof(*t->rows), cmp_name);
	/* Equal names: the first row takes the others' functions. */
	t->nrows = 0;
	for (size_t i = 0; i < n; i++) {
		if (t->nrows && !strcmp(t->rows[t->nrows - 1].name, t->rows[i].name)) {
			t->row[t->rows[i].fn] = (uint32_t)(t->nrows - 1);
			free(t->rows[i].name);
			continue;
		}
		t->rows[t->nrows] = t->rows[i];
		t->row[t->rows[i].fn] = (uint32_t)t->nrows++;
	}
	return 0;
}

static void count(struct top *t)
{
	const struct fmt_profile *p = t->p;

	for (size_t i = 0; i < p->nsamples; i++) {
		const struct fmt_sample *s = &p->samples[i];

		for (uint32_t j = 0; j < s->nlocs; j++) {
			const struct fmt_location *loc =
				fmt_profile__location(p, p->stack_locs[s->first_loc + j]);

			for (uint32_t k = 0; k < loc->nlines; k++) {
				uint32_t fn = p->lines[loc->first_line + k].function;
				struct row *r;

				if (fn > p->nfunctions || !t->loc[fn])
					continue;
				r = &t->rows[t->row[fn]];
				if (j == 0 && k == 0)
					r->self += s->count;
				if (r->stamp != i + 1) {
					r->stamp = i + 1;
					r->total += s->count;
				}
			}
		}
	}
}

static int put_entry(const struct fmt_profile *p, const struct row *r, struct profd_strbuf *sb)
{
	double total = p->total > 0 ? (double)p->total : 1;
	const char *file = fmt_profile__str(p, fmt_profile__function(p, r->fn)->filename);
	int err = profd_strbuf_puts(sb, "{\"name\":");

	err = err ?: web_json_str(sb, r->name);
	err = err ?: profd_strbuf_puts(sb, ",\"file\":");
	err = err ?: web_json_str(sb, file);
	err = err ?: profd_strbuf_printf(sb, ",\"self\":%lld,\"total\":%lld,\"self_pct\":",
					 (long long)r->self, (long long)r->total);
	err = err ?: web_json_num(sb, 100.0 * r->self / total);
	err = err ?: profd_strbuf_puts(sb, ",\"total_pct\":");
	err = err ?: web_json_num(sb, 100.0 * r->total / total);
	return err ?: profd_strbuf_puts(sb, "}");
}

int web_top_json(const struct fmt_profile *p, const struct web_top_opts *o,
		 struct profd_strbuf *sb)
{
	struct fmt_name_opts names = {.full_names = o->full_names};
	size_t n = (size_t)p->nfunctions + 1;
	struct top t = {.p = p};
	struct row **order = NULL;
	int err = -ENOMEM;

	t.loc = calloc(n, sizeof(*t.loc));
	t.line = calloc(n, sizeof(*t.line));
	t.row = calloc(n, sizeof(*t.row));
	t.rows = calloc(n, sizeof(*t.rows));
	if (!t.loc || !t.line || !t.row || !t.rows)
		goto out;
	place(&t);
	if (make_rows(&t, &names))
		goto out;
	count(&t);
	order = calloc(t.nrows + 1, sizeof(*order));
	if (!order)
		goto out;
	for (size_t i = 0; i < t.nrows; i++)
		order[i] = &t.rows[i];
	qsort_r(order, t.nrows, sizeof(*order), cmp_row, (void *)&o->by_total);
	err = profd_strbuf_printf(sb, "{\"total\":%lld,\"count\":%zu,\"functions\":[",
				  (long long)p->total, t.nrows);
	for (size_t i = 0; !err && i < t.nrows && i < o->limit; i++) {
		if (i)
			err = profd_strbuf_puts(sb, ",");
		err = err ?: put_entry(p, order[i], sb);
	}
	err = err ?: profd_strbuf_puts(sb, "]}");
out:
	for (size_t i = 0; t.rows && i < t.nrows; i++)
		free(t.rows[i].name);
	free(t.rows);
	free(t.row);
	free(t.line);
	free(t.loc);
	free(order);
	return err;
}
