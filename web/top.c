// SPDX-License-Identifier: MIT
/*
 * Top functions, as `perf report` and `pprof -top` show them: self = samples whose innermost
 * frame is the function, total = samples with the function anywhere on the stack (once per
 * sample, however often it recurses). Inline frames count as functions of their own. Functions
 * are counted by the name shown, as pprof does: overloads and cold parts that share a short name
 * are one row. With by_comm a row is a function in one program (comm), as perf report's default
 * comm,symbol sort has it: on a whole machine, memcpy in cc1 and memcpy in postgres are
 * different questions.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/array.h"
#include "common/htab.h"
#include "web/web_internal.h"

/* A name shown, and the first function shown under it (for its file). */
struct shown {
	char *name;
	uint32_t fn;
};

struct row {
	int64_t self, total;
	size_t stamp;  /* last sample that counted towards total, plus one */
	uint32_t name; /* index in top.names */
	uint32_t comm; /* string id of the program, 0 unless by_comm */
};

struct top {
	const struct fmt_profile *p;
	uint32_t *loc, *line; /* per function: a location where it appears, and which line */
	uint32_t *fn_name;    /* per function: its index in names */
	struct shown *names;  /* sorted by name */
	size_t nnames;
	struct row *rows;
	size_t nrows, cap;
	struct profd_htab by_key; /* comm << 32 | name -> index in rows + 1 */
};

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

static int cmp_shown(const void *a, const void *b)
{
	const struct shown *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c ? c : (x->fn > y->fn) - (x->fn < y->fn);
}

/* Names every function on a stack; functions with equal names share one. Returns 0 or -ENOMEM. */
static int name_functions(struct top *t, const struct fmt_name_opts *o)
{
	const struct fmt_profile *p = t->p;
	struct profd_strbuf sb = {0};
	size_t n = 0;
	int err = 0;

	for (uint32_t fn = 1; fn <= p->nfunctions && !err; fn++) {
		if (!t->loc[fn])
			continue;
		profd_strbuf_reset(&sb);
		err = fmt_frame_name(p, fmt_profile__location(p, t->loc[fn]), t->line[fn], o, &sb);
		if (err)
			break;
		t->names[n] = (struct shown){sb.buf ? profd_strbuf_detach(&sb, NULL) : strdup(""), fn};
		if (!t->names[n++].name)
			err = -ENOMEM;
	}
	profd_strbuf_release(&sb);
	t->nnames = n;
	if (err)
		return err;
	qsort(t->names, n, sizeof(*t->names), cmp_shown);
	t->nnames = 0;
	for (size_t i = 0; i < n; i++) {
		struct shown *last = t->nnames ? &t->names[t->nnames - 1] : NULL;

		if (last && !strcmp(last->name, t->names[i].name))
			free(t->names[i].name);
		else
			t->names[t->nnames++] = t->names[i];
		t->fn_name[t->names[i].fn] = (uint32_t)t->nnames - 1;
	}
	return 0;
}

/* The row of (comm, name), new rows zeroed; NULL when out of memory. */
static struct row *row_of(struct top *t, uint32_t comm, uint32_t name)
{
	uint64_t key = (uint64_t)comm << 32 | name, v = profd_htab_get(&t->by_key, key);

	if (v)
		return &t->rows[v - 1];
	if (PROFD_ARRAY_RESERVE(t->rows, t->cap, t->nrows + 1, 256) ||
	    profd_htab_set(&t->by_key, key, t->nrows + 1))
		return NULL;
	t->rows[t->nrows] = (struct row){.name = name, .comm = comm};
	return &t->rows[t->nrows++];
}

static int count(struct top *t, bool by_comm)
{
	const struct fmt_profile *p = t->p;

	for (size_t i = 0; i < p->nsamples; i++) {
		const struct fmt_sample *s = &p->samples[i];
		uint32_t comm = by_comm ? s->comm : 0;

		for (uint32_t j = 0; j < s->nlocs; j++) {
			const struct fmt_location *loc =
				fmt_profile__location(p, p->stack_locs[s->first_loc + j]);

			for (uint32_t k = 0; k < loc->nlines; k++) {
				uint32_t fn = p->lines[loc->first_line + k].function;
				struct row *r;

				if (fn > p->nfunctions || !t->loc[fn])
					continue;
				r = row_of(t, comm, t->fn_name[fn]);
				if (!r)
					return -ENOMEM;
				if (j == 0 && k == 0)
					r->self += s->count;
				if (r->stamp != i + 1) {
					r->stamp = i + 1;
					r->total += s->count;
				}
			}
		}
	}
	return 0;
}

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
	/* Names are sorted: their indexes compare as the names do. */
	if (x->name != y->name)
		return x->name < y->name ? -1 : 1;
	return x->comm < y->comm ? -1 : x->comm > y->comm;
}

static int put_entry(const struct top *t, const struct row *r, bool by_comm,
		     struct profd_strbuf *sb)
{
	const struct fmt_profile *p = t->p;
	const struct shown *sh = &t->names[r->name];
	double total = p->total > 0 ? (double)p->total : 1;
	const char *file = fmt_profile__str(p, fmt_profile__function(p, sh->fn)->filename);
	int err = profd_strbuf_puts(sb, "{\"name\":");

	err = err ?: web_json_str(sb, sh->name);
	if (by_comm) {
		err = err ?: profd_strbuf_puts(sb, ",\"comm\":");
		err = err ?: web_json_str(sb, fmt_profile__str(p, r->comm));
	}
	err = err ?: profd_strbuf_puts(sb, ",\"file\":");
	err = err ?: web_json_str(sb, file);
	err = err ?: profd_strbuf_printf(sb, ",\"self\":%lld,\"total\":%lld,\"self_pct\":",
					 (long long)r->self, (long long)r->total);
	err = err ?: web_json_num(sb, 100.0 * r->self / total);
	err = err ?: profd_strbuf_puts(sb, ",\"total_pct\":");
	err = err ?: web_json_num(sb, 100.0 * r->total / total);
	return err ?: profd_strbuf_puts(sb, "}");
}

/* Appends the rows, the first o->limit of them in o's order. Returns 0 or -ENOMEM. */
static int put_rows(const struct top *t, const struct web_top_opts *o, struct profd_strbuf *sb)
{
	const struct row **order = malloc((t->nrows ? t->nrows : 1) * sizeof(*order));
	int err;

	if (!order)
		return -ENOMEM;
	for (size_t i = 0; i < t->nrows; i++)
		order[i] = &t->rows[i];
	qsort_r(order, t->nrows, sizeof(*order), cmp_row, (void *)&o->by_total);
	err = profd_strbuf_printf(sb, "{\"total\":%lld,\"count\":%zu,\"functions\":[",
				  (long long)t->p->total, t->nrows);
	for (size_t i = 0; !err && i < t->nrows && i < o->limit; i++) {
		if (i)
			err = profd_strbuf_puts(sb, ",");
		err = err ?: put_entry(t, order[i], o->by_comm, sb);
	}
	free(order);
	return err ?: profd_strbuf_puts(sb, "]}");
}

int web_top_json(const struct fmt_profile *p, const struct web_top_opts *o,
		 struct profd_strbuf *sb)
{
	struct fmt_name_opts names = {.full_names = o->full_names};
	size_t n = (size_t)p->nfunctions + 1;
	struct top t = {.p = p};
	int err = -ENOMEM;

	t.loc = calloc(n, sizeof(*t.loc));
	t.line = calloc(n, sizeof(*t.line));
	t.fn_name = calloc(n, sizeof(*t.fn_name));
	t.names = calloc(n, sizeof(*t.names));
	if (t.loc && t.line && t.fn_name && t.names) {
		place(&t);
		err = name_functions(&t, &names);
	}
	err = err ?: count(&t, o->by_comm);
	err = err ?: put_rows(&t, o, sb);
	for (size_t i = 0; i < t.nnames; i++)
		free(t.names[i].name);
	free(t.names);
	free(t.fn_name);
	free(t.line);
	free(t.loc);
	free(t.rows);
	profd_htab_release(&t.by_key);
	return err;
}
