// SPDX-License-Identifier: MIT
/*
 * Top functions, as `perf report` and `pprof -top` show them: self = samples whose innermost
 * frame is the function, total = samples with the function anywhere on the stack (once per
 * sample, however often it recurses). Inline frames count as functions of their own.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "web/web_internal.h"

struct fn_stat {
	int64_t self, total;
	size_t stamp;	/* last sample that counted towards total, plus one */
	uint32_t loc;	/* a location where the function appears, for its display name */
	uint32_t line;	/* which line of that location */
	char *name;
};

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
	return strcmp(x->name, y->name);
}

static void count(const struct fmt_profile *p, struct fn_stat *st)
{
	for (size_t i = 0; i < p->nsamples; i++) {
		const struct fmt_sample *s = &p->samples[i];

		for (uint32_t j = 0; j < s->nlocs; j++) {
			uint32_t id = p->stack_locs[s->first_loc + j];
			const struct fmt_location *loc = fmt_profile__location(p, id);

			for (uint32_t k = 0; k < loc->nlines; k++) {
				uint32_t fn = p->lines[loc->first_line + k].function;
				struct fn_stat *f = &st[fn <= p->nfunctions ? fn : 0];

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
}

static int put_entry(const struct fmt_profile *p, const struct fn_stat *f, struct profd_strbuf *sb)
{
	double total = p->total > 0 ? (double)p->total : 1;
	uint32_t fn = p->lines[fmt_profile__location(p, f->loc)->first_line + f->line].function;
	const char *file = fn ? fmt_profile__str(p, fmt_profile__function(p, fn)->filename) : "";
	int err = profd_strbuf_puts(sb, "{\"name\":");

	err = err ?: web_json_str(sb, f->name);
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
	size_t n = (size_t)p->nfunctions + 1, nused = 0;
	struct fn_stat *st = calloc(n, sizeof(*st));
	struct fn_stat **used = calloc(n, sizeof(*used));
	struct profd_strbuf name = {0};
	int err = -ENOMEM;

	if (!st || !used)
		goto out;
	count(p, st);
	for (size_t i = 0; i < n; i++) {
		if (!st[i].loc)
			continue;
		profd_strbuf_reset(&name);
		if (fmt_frame_name(p, fmt_profile__location(p, st[i].loc), st[i].line, false, &name))
			goto out;
		st[i].name = profd_strbuf_detach(&name, NULL);
		if (!st[i].name && !(st[i].name = strdup("")))
			goto out;
		used[nused++] = &st[i];
	}
	qsort_r(used, nused, sizeof(*used), cmp_stat, (void *)&o->by_total);
	err = profd_strbuf_printf(sb, "{\"total\":%lld,\"count\":%zu,\"functions\":[",
				  (long long)p->total, nused);
	for (size_t i = 0; !err && i < nused && i < o->limit; i++) {
		if (i)
			err = profd_strbuf_puts(sb, ",");
		err = err ?: put_entry(p, used[i], sb);
	}
	err = err ?: profd_strbuf_puts(sb, "]}");
out:
	if (st)
		for (size_t i = 0; i < n; i++)
			free(st[i].name);
	free(st);
	free(used);
	profd_strbuf_release(&name);
	return err;
}
