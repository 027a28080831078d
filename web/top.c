// SPDX-License-Identifier: MIT
/*
 * Top functions, as `perf report` and `pprof -top` show them: self = samples whose innermost
 * frame is the function, total = samples with the function anywhere on the stack (once per
 * sample, however often it recurses). Inline frames count as functions of their own. With
 * by_comm a row is a function in one program (comm), as perf report's default comm,symbol sort
 * has it: on a whole machine, memcpy in cc1 and memcpy in postgres are different questions.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/hash.h"
#include "web/web_internal.h"

struct fn_stat {
	int64_t self, total;
	size_t stamp;	/* last sample that counted towards total, plus one */
	uint32_t fn;	/* function id, 0 for frames without one */
	uint32_t comm;	/* string id of the program, 0 unless by_comm */
	uint32_t loc;	/* a location where the function appears, for its display name */
	uint32_t line;	/* which line of that location */
	char *name;
};

/* Rows by (comm, function): an array, and open addressing over it. */
struct stats {
	struct fn_stat *v;
	size_t n, cap;
	uint32_t *slots; /* index + 1, 0 empty */
	size_t nslots;
};

static uint64_t key_hash(uint32_t comm, uint32_t fn)
{
	return profd_hash_u64(((uint64_t)comm << 32) | fn);
}

static int stats_grow(struct stats *st)
{
	size_t cap = st->cap ? st->cap * 2 : 256, nslots = cap * 2;
	struct fn_stat *v = realloc(st->v, cap * sizeof(*v));
	uint32_t *slots = calloc(nslots, sizeof(*slots));

	if (v)
		st->v = v;
	if (!v || !slots) {
		free(slots);
		return -ENOMEM;
	}
	for (size_t i = 0; i < st->n; i++) {
		size_t j = key_hash(v[i].comm, v[i].fn) & (nslots - 1);

		while (slots[j])
			j = (j + 1) & (nslots - 1);
		slots[j] = (uint32_t)i + 1;
	}
	free(st->slots);
	st->slots = slots;
	st->nslots = nslots;
	st->cap = cap;
	return 0;
}

/* The row of (comm, fn), new rows zeroed; NULL when out of memory. */
static struct fn_stat *stats_get(struct stats *st, uint32_t comm, uint32_t fn)
{
	size_t j;

	if (st->n == st->cap && stats_grow(st))
		return NULL;
	for (j = key_hash(comm, fn) & (st->nslots - 1); st->slots[j]; j = (j + 1) & (st->nslots - 1)) {
		struct fn_stat *f = &st->v[st->slots[j] - 1];

		if (f->comm == comm && f->fn == fn)
			return f;
	}
	st->v[st->n] = (struct fn_stat){.fn = fn, .comm = comm};
	st->slots[j] = (uint32_t)++st->n;
	return &st->v[st->n - 1];
}

static int cmp_stat(const void *a, const void *b, void *ctx)
{
	const struct fn_stat *x = *(const struct fn_stat *const *)a;
	const struct fn_stat *y = *(const struct fn_stat *const *)b;
	bool by_total = *(const bool *)ctx;
	int64_t kx = by_total ? x->total : x->self, ky = by_total ? y->total : y->self;
	int64_t sx = by_total ? x->self : x->total, sy = by_total ? y->self : y->total;

	if (kx != ky)
		return kx < ky ? 1 : -1;
	if (sx != sy)
		return sx < sy ? 1 : -1;
	if (x->name && y->name && strcmp(x->name, y->name))
		return strcmp(x->name, y->name);
	return x->comm < y->comm ? -1 : x->comm > y->comm;
}

static int count(const struct fmt_profile *p, bool by_comm, struct stats *st)
{
	for (size_t i = 0; i < p->nsamples; i++) {
		const struct fmt_sample *s = &p->samples[i];
		uint32_t comm = by_comm ? s->comm : 0;

		for (uint32_t j = 0; j < s->nlocs; j++) {
			uint32_t id = p->stack_locs[s->first_loc + j];
			const struct fmt_location *loc = fmt_profile__location(p, id);

			for (uint32_t k = 0; k < loc->nlines; k++) {
				uint32_t fn = p->lines[loc->first_line + k].function;
				struct fn_stat *f = stats_get(st, comm, fn <= p->nfunctions ? fn : 0);

				if (!f)
					return -ENOMEM;
				if (!f->loc) {
					f->loc = id;
					f->line = k;
				}
				if (j == 0 && k == 0)
					f->self += s->count;
				if (f->stamp != i + 1) {
					f->stamp = i + 1;
					f->total += s->count;
				}
			}
		}
	}
	return 0;
}

static int put_entry(const struct fmt_profile *p, const struct fn_stat *f, bool by_comm,
		     struct profd_strbuf *sb)
{
	double total = p->total > 0 ? (double)p->total : 1;
	uint32_t fn = p->lines[fmt_profile__location(p, f->loc)->first_line + f->line].function;
	const char *file = fn ? fmt_profile__str(p, fmt_profile__function(p, fn)->filename) : "";
	int err = profd_strbuf_puts(sb, "{\"name\":");

	err = err ?: web_json_str(sb, f->name);
	if (by_comm) {
		err = err ?: profd_strbuf_puts(sb, ",\"comm\":");
		err = err ?: web_json_str(sb, fmt_profile__str(p, f->comm));
	}
	err = err ?: profd_strbuf_puts(sb, ",\"file\":");
	err = err ?: web_json_str(sb, file);
	err = err ?: profd_strbuf_printf(sb, ",\"self\":%lld,\"total\":%lld,\"self_pct\":",
					 (long long)f->self, (long long)f->total);
	err = err ?: web_json_num(sb, 100.0 * f->self / total);
	err = err ?: profd_strbuf_puts(sb, ",\"total_pct\":");
	err = err ?: web_json_num(sb, 100.0 * f->total / total);
	return err ?: profd_strbuf_puts(sb, "}");
}

int web_top_json(const struct fmt_profile *p, const struct web_top_opts *o,
		 struct profd_strbuf *sb)
{
	struct stats st = {0};
	struct fn_stat **used = NULL;
	struct profd_strbuf name = {0};
	int err = count(p, o->by_comm, &st);

	if (!err && !(used = calloc(st.n + 1, sizeof(*used))))
		err = -ENOMEM;
	for (size_t i = 0; !err && i < st.n; i++) {
		profd_strbuf_reset(&name);
		err = fmt_frame_name(p, fmt_profile__location(p, st.v[i].loc), st.v[i].line, false,
				     &name);
		st.v[i].name = err ? NULL : profd_strbuf_detach(&name, NULL);
		if (!err && !st.v[i].name && !(st.v[i].name = strdup("")))
			err = -ENOMEM;
		used[i] = &st.v[i];
	}
	if (!err) {
		qsort_r(used, st.n, sizeof(*used), cmp_stat, (void *)&o->by_total);
		err = profd_strbuf_printf(sb, "{\"total\":%lld,\"count\":%zu,\"functions\":[",
					  (long long)p->total, st.n);
	}
	for (size_t i = 0; !err && i < st.n && i < o->limit; i++) {
		if (i)
			err = profd_strbuf_puts(sb, ",");
		err = err ?: put_entry(p, used[i], o->by_comm, sb);
	}
	err = err ?: profd_strbuf_puts(sb, "]}");
	for (size_t i = 0; i < st.n; i++)
		free(st.v[i].name);
	free(st.v);
	free(st.slots);
	free(used);
	profd_strbuf_release(&name);
	return err;
}
