// SPDX-License-Identifier: MIT
/*
 * The DWARF half of the collector: samples that carry a copy of the user stack are unwound as
 * they arrive (the copy is gone after the ring-buffer callback), aggregated by (process, thread,
 * comm, cgroup, kernel stack, user stack) like the kernel aggregates the frame-pointer samples,
 * and handed to stacks.c at drain time, so every output sees one kind of sample.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/array.h"
#include "common/hash.h"
#include "common/htab.h"
#include "common/log.h"
#include "common/new.h"
#include "common/strbuf.h"
#include "profiler/sampling_internal.h"

struct agg {
	uint64_t hash;
	uint32_t pid, tid;
	uint64_t cgroup;
	char comm[PROFD_COMM_LEN + 1];
	uint32_t nk, nu;
	int kerr;
	bool truncated;
	uint64_t count;
	size_t pcs; /* offset in pool: nk kernel PCs, then nu user PCs */
};

struct prof_unwind {
	struct sym_resolver *resolver;
	struct sym_unwinder *uw;
	struct prof_unwind_opts opts;
	uint64_t *pcs; /* one unwind */
	struct agg *v;
	size_t n, cap;
	struct profd_htab index; /* agg.hash -> index into v + 1 */
	uint64_t *pool;
	size_t pool_len, pool_cap;
	struct fmt_profile *pending; /* symbolized early: their process exec'd */
	uint64_t failed_first;	     /* samples not unwound past the first frame, not yet reported */
	struct prof_unwind_counts counts;
};

struct prof_unwind *prof_unwind__new(struct sym_resolver *r, const struct prof_unwind_opts *o)
{
	struct prof_unwind *u = calloc(1, sizeof(*u));

	if (!u)
		return NULL;
	u->resolver = r;
	u->opts = *o;
	u->uw = sym_unwinder__new(r);
	u->pcs = calloc(o->max_stack, sizeof(*u->pcs));
	return u->uw && u->pcs ? u : PROFD_NEW_FAILED(prof_unwind__free, u, -ENOMEM);
}

void prof_unwind__free(struct prof_unwind *u)
{
	if (!u)
		return;
	sym_unwinder__free(u->uw);
	fmt_profile__free(u->pending);
	free(u->pcs);
	free(u->v);
	profd_htab_release(&u->index);
	free(u->pool);
	free(u);
}

static uint64_t hash_sample(const struct prof_stack_sample *ss, const uint64_t *upcs, size_t nu,
			    bool truncated)
{
	uint64_t h = profd_hash_u64(((uint64_t)ss->pid << 32) | ss->tid);

	h = profd_hash_combine(h, ss->cgroup);
	h = profd_hash_combine(h, profd_hash_bytes(ss->comm, strlen(ss->comm), 0));
	h = profd_hash_combine(h, profd_hash_bytes(ss->kstack, ss->nkstack * sizeof(uint64_t), 1));
	h = profd_hash_combine(h, profd_hash_bytes(upcs, nu * sizeof(uint64_t), 2));
	return profd_hash_combine(h, ((uint64_t)(uint32_t)ss->kstack_err << 1) | truncated);
}

static bool same(const struct prof_unwind *u, const struct agg *a, uint64_t h,
		 const struct prof_stack_sample *ss, const uint64_t *upcs, size_t nu, bool truncated)
{
	const uint64_t *p = u->pool + a->pcs;

	return a->hash == h && a->pid == ss->pid && a->tid == ss->tid && a->cgroup == ss->cgroup &&
	       a->nk == ss->nkstack &&
	       a->nu == nu && a->kerr == ss->kstack_err && a->truncated == truncated &&
	       !strcmp(a->comm, ss->comm) &&
	       !memcmp(p, ss->kstack, ss->nkstack * sizeof(uint64_t)) &&
	       !memcmp(p + a->nk, upcs, nu * sizeof(uint64_t));
}

/* Indexes v[0..n) anew: after entries left v. */
static int reindex(struct prof_unwind *u)
{
	int err = 0;

	profd_htab_clear(&u->index);
	for (size_t i = 0; i < u->n && !err; i++)
		err = profd_htab_add(&u->index, u->v[i].hash, i + 1);
	return err;
}

static int pool_add(struct prof_unwind *u, const uint64_t *a, size_t na, const uint64_t *b,
		    size_t nb, size_t *off)
{
	if (PROFD_ARRAY_RESERVE(u->pool, u->pool_cap, u->pool_len + na + nb, 16384))
		return -ENOMEM;
	*off = u->pool_len;
	memcpy(u->pool + u->pool_len, a, na * sizeof(*a));
	memcpy(u->pool + u->pool_len + na, b, nb * sizeof(*b));
	u->pool_len += na + nb;
	return 0;
}

static int aggregate(struct prof_unwind *u, const struct prof_stack_sample *ss,
		     const uint64_t *upcs, size_t nu, bool truncated)
{
	uint64_t h = hash_sample(ss, upcs, nu, truncated), v;
	size_t pos = PROFD_HTAB_START;
	struct agg *a;
	int err;

	while ((v = profd_htab_next(&u->index, h, &pos))) {
		a = &u->v[v - 1];
		if (same(u, a, h, ss, upcs, nu, truncated)) {
			a->count++;
			return 0;
		}
	}
	if (PROFD_ARRAY_RESERVE(u->v, u->cap, u->n + 1, 1024))
		return -ENOMEM;
	a = &u->v[u->n];
	*a = (struct agg){
		.hash = h,
		.pid = ss->pid,
		.tid = ss->tid,
		.cgroup = ss->cgroup,
		.nk = ss->nkstack,
		.nu = (uint32_t)nu,
		.kerr = ss->kstack_err,
		.truncated = truncated,
		.count = 1,
	};
	memcpy(a->comm, ss->comm, sizeof(a->comm));
	err = pool_add(u, ss->kstack, ss->nkstack, upcs, nu, &a->pcs);
	err = err ?: profd_htab_add(&u->index, h, u->n + 1);
	if (err)
		return err;
	u->n++;
	return 0;
}

int prof_unwind__add(struct prof_unwind *u, const struct prof_stack_sample *ss)
{
	struct sym_unwind_sample s = {
		.pid = (pid_t)ss->pid,
		.regs = ss->regs,
		.stack = ss->stack,
		.stack_len = ss->stack_len,
		.stack_cut = ss->stack_cut,
	};
	enum sym_unwind_stop stop;
	int n;

	n = sym_unwinder__unwind(u->uw, &s, u->pcs, (size_t)u->opts.max_stack, &stop);
	if (n < 0)
		return n;
	u->counts.samples++;
	u->counts.stops[stop]++;
	if (stop >= SYM_UNWIND_NO_PROCESS && n <= 1)
		u->failed_first++;
	return aggregate(u, ss, u->pcs, (size_t)n, stop == SYM_UNWIND_TRUNCATED);
}

static int add_entry(struct prof_unwind *u, struct prof_stacks *st, struct fmt_profile *p,
		     const struct agg *a)
{
	struct prof_raw_sample rs = {
		.pid = a->pid,
		.tid = a->tid,
		.cgroup = a->cgroup,
		.kstack = u->pool + a->pcs,
		.nkstack = a->nk,
		.kstack_err = a->kerr,
		.ustack = u->pool + a->pcs + a->nk,
		.nustack = a->nu,
		.count = a->count,
		.ustack_truncated = a->truncated,
	};

	memcpy(rs.comm, a->comm, sizeof(rs.comm));
	return prof_stacks__add(st, p, &rs);
}

static void clear(struct prof_unwind *u)
{
	u->n = 0;
	u->pool_len = 0;
	profd_htab_clear(&u->index);
}

int prof_unwind__flush(struct prof_unwind *u, struct prof_stacks *st, struct fmt_profile *window)
{
	int err = 0;

	for (size_t i = 0; i < u->n && !err; i++)
		err = add_entry(u, st, window, &u->v[i]);
	clear(u);
	if (!err && u->pending) {
		err = fmt_profile__merge(window, u->pending, NULL);
		fmt_profile__free(u->pending);
		u->pending = NULL;
	}
	window->loss.unwind_failed += u->failed_first;
	u->failed_first = 0;
	return err;
}

int prof_unwind__before_exec(struct prof_unwind *u, struct prof_stacks *st, pid_t pid,
			     int64_t period_ns, struct fmt_profile *into)
{
	size_t kept = 0;
	int err = 0;

	/* Its samples so far belong to the old image: name them with the old snapshot. */
	for (size_t i = 0; i < u->n && !err; i++) {
		if (u->v[i].pid != (uint32_t)pid)
			continue;
		if (!into && !u->pending && !(u->pending = fmt_profile__new(period_ns)))
			return -ENOMEM;
		err = add_entry(u, st, into ? into : u->pending, &u->v[i]);
		u->v[i].count = 0;
		kept++;
	}
	if (!kept)
		return err;
	/* Drop the moved entries: index the rest anew (rare: once per exec). */
	for (size_t i = 0, j = 0; i < u->n; i++)
		if (u->v[i].count)
			u->v[j++] = u->v[i];
	u->n -= kept;
	return err ?: reindex(u);
}

void prof_unwind__prepare(struct prof_unwind *u, pid_t pid)
{
	int err = sym_unwinder__prepare(u->uw, pid);

	if (err && err != -ESRCH)
		pr_debug("pid %d: cannot read unwind tables: %s", (int)pid, strerror(-err));
}

void prof_unwind__counts(const struct prof_unwind *u, struct prof_unwind_counts *out)
{
	struct sym_unwind_stats st;

	*out = u->counts;
	sym_unwinder__stats(u->uw, &st);
	out->frames = st.frames;
	out->files = st.files;
	out->table_bytes = st.table_bytes;
}

void prof_unwind__summary(const struct prof_unwind *u, struct profd_strbuf *sb)
{
	const struct prof_unwind_counts *c = &u->counts;
	uint64_t failed = 0;
	const char *sep = "";

	if (c->stops[SYM_UNWIND_TRUNCATED])
		profd_strbuf_printf(sb, ", %llu stacks truncated at the %u-byte stack copy (raise with --stack-size)",
				    (unsigned long long)c->stops[SYM_UNWIND_TRUNCATED],
				    u->opts.stack_size);
	for (int i = SYM_UNWIND_NO_PROCESS; i < SYM_UNWIND_NSTOPS; i++)
		failed += c->stops[i];
	if (!failed)
		return;
	profd_strbuf_printf(sb, ", %llu of %llu unwinds stopped early (", (unsigned long long)failed,
			    (unsigned long long)c->samples);
	for (int i = SYM_UNWIND_NO_PROCESS; i < SYM_UNWIND_NSTOPS; i++) {
		if (!c->stops[i])
			continue;
		profd_strbuf_printf(sb, "%s%llu %s", sep, (unsigned long long)c->stops[i],
				    sym_unwind_stop_name(i));
		sep = ", ";
	}
	profd_strbuf_puts(sb, ")");
}
