// SPDX-License-Identifier: MIT
/*
 * The live profile that the web server reads while the record loop writes: the cumulative
 * profile, a ring of the last windows, and the processes seen with samples. The ring is bounded
 * twice: by count, and by an estimate of its bytes, so that a busy machine with many distinct
 * stacks per window keeps fewer windows rather than more memory. With --off-cpu, windows come
 * in two types, CPU samples and time off CPU, each with a cumulative profile of its own; a wall
 * view is made of both when a reader asks for it.
 *
 * One writer (the record loop) and a few readers (server threads). Readers hold the read lock
 * only while they merge what they need into a private profile. The writer never waits on them
 * in the common case: it tries the lock, and when a reader holds it the window waits in a
 * private queue for the next try. Only when the queue grows does it wait, and then only for the
 * merges in flight, since the lock prefers writers and no new reader gets in meanwhile.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "common/array.h"
#include "common/hash.h"
#include "common/htab.h"
#include "common/log.h"
#include "profiler/commands_internal.h"
#include "web/web.h"

#define MAX_TARGETS 100000
#define MAX_BACKLOG 3 /* windows queued before the writer waits for the lock */

struct live_window {
	struct fmt_profile *p;
	double from, to;
	size_t bytes; /* estimate */
};

struct live_target {
	uint32_t pid;
	char *comm;
	uint32_t cgroup; /* index into cgroups + 1; 0: unknown */
	int64_t count[FMT_NTYPES]; /* CPU samples, microseconds off CPU */
};

/* A cgroup targets ran in; the path decides the rest. */
struct live_cgroup {
	char *path, *container_id, *systemd_unit;
};

struct prof_live {
	pthread_rwlock_t lock;
	/* Under the lock. */
	struct fmt_profile *total[FMT_NTYPES]; /* CPU always; off CPU once it has a window */
	struct live_window *ring;
	unsigned cap, head, n; /* head: the oldest */
	size_t ring_bytes;
	struct live_target *targets;
	size_t ntargets, cap_targets;
	struct profd_htab target_index; /* hash of (pid, comm, cgroup) -> index into targets + 1 */
	struct live_cgroup *cgroups;
	size_t ncgroups, cap_cgroups;
	struct profd_htab cgroup_index; /* hash of the path -> index into cgroups + 1 */
	struct prof_live_info info;
	double elapsed, window_s;
	size_t budget; /* estimated bytes of all windows kept */
	uint64_t generation; /* windows with samples applied: what the page's ETags are made of */
	/* The record loop's own. */
	struct live_window *pending;
	size_t npending, cap_pending;
	struct prof_live_info pending_info;
	/* What the page serves besides: /metrics, the history on disk, files (see web_source). */
	struct web_source extra;
};

struct prof_live *prof_live__new(int64_t period_ns, unsigned max_windows, double window_s,
				 size_t budget)
{
	struct prof_live *l = calloc(1, sizeof(*l));
	pthread_rwlockattr_t attr;

	if (!l)
		return NULL;
	l->cap = max_windows ? max_windows : 1;
	l->window_s = window_s;
	l->budget = budget;
	l->ring = calloc(l->cap, sizeof(*l->ring));
	l->total[FMT_TYPE_CPU] = fmt_profile__new(period_ns);
	if (!l->ring || !l->total[FMT_TYPE_CPU]) {
		fmt_profile__free(l->total[FMT_TYPE_CPU]);
		free(l->ring);
		free(l);
		errno = ENOMEM;
		return NULL;
	}
	pthread_rwlockattr_init(&attr);
	pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&l->lock, &attr);
	pthread_rwlockattr_destroy(&attr);
	return l;
}

void prof_live__free(struct prof_live *l)
{
	if (!l)
		return;
	for (unsigned i = 0; i < l->n; i++)
		fmt_profile__free(l->ring[(l->head + i) % l->cap].p);
	for (size_t i = 0; i < l->npending; i++)
		fmt_profile__free(l->pending[i].p);
	for (size_t i = 0; i < l->ntargets; i++)
		free(l->targets[i].comm);
	free(l->targets);
	profd_htab_release(&l->target_index);
	for (size_t i = 0; i < l->ncgroups; i++) {
		free(l->cgroups[i].path);
		free(l->cgroups[i].container_id);
		free(l->cgroups[i].systemd_unit);
	}
	free(l->cgroups);
	profd_htab_release(&l->cgroup_index);
	free(l->pending);
	free(l->ring);
	for (int t = 0; t < FMT_NTYPES; t++)
		fmt_profile__free(l->total[t]);
	pthread_rwlock_destroy(&l->lock);
	free(l);
}

/* ---- targets: (pid, comm, cgroup) -> samples and time off CPU ---- */

/* The index + 1 of the cgroup d names, added on first sight; 0 for none. */
static int find_cgroup(struct prof_live *l, const struct fmt_cgroup_desc *d, uint32_t *id)
{
	uint64_t h, v;
	size_t pos = PROFD_HTAB_START;
	struct live_cgroup *c;

	*id = 0;
	if (!d)
		return 0;
	h = profd_hash_bytes(d->path, strlen(d->path), 0);
	while ((v = profd_htab_next(&l->cgroup_index, h, &pos))) {
		if (!strcmp(l->cgroups[v - 1].path, d->path)) {
			*id = (uint32_t)v;
			return 0;
		}
	}
	if (PROFD_ARRAY_RESERVE(l->cgroups, l->cap_cgroups, l->ncgroups + 1, 16))
		return -ENOMEM;
	c = &l->cgroups[l->ncgroups];
	c->path = strdup(d->path);
	c->container_id = strdup(d->container_id);
	c->systemd_unit = strdup(d->systemd_unit);
	if (!c->path || !c->container_id || !c->systemd_unit ||
	    profd_htab_add(&l->cgroup_index, h, l->ncgroups + 1)) {
		free(c->path);
		free(c->container_id);
		free(c->systemd_unit);
		return -ENOMEM;
	}
	*id = (uint32_t)++l->ncgroups;
	return 0;
}

static uint64_t target_hash(uint32_t pid, const char *comm, uint32_t cgroup)
{
	uint64_t h = profd_hash_combine(profd_hash_u64(pid), cgroup);

	return profd_hash_combine(h, profd_hash_bytes(comm, strlen(comm), 0));
}

static int count_target(struct prof_live *l, const struct fmt_profile *p,
			const struct fmt_sample *s)
{
	const char *comm = fmt_profile__str(p, s->comm);
	struct fmt_cgroup_desc d;
	uint32_t pid = s->pid, cgroup;
	size_t pos = PROFD_HTAB_START;
	struct live_target *t;
	int64_t count = s->count;
	uint64_t h, v;
	int err = find_cgroup(l, fmt_cgroup_desc_of(p, s, &d), &cgroup);

	if (err)
		return err;
	h = target_hash(pid, comm, cgroup);
	while ((v = profd_htab_next(&l->target_index, h, &pos))) {
		t = &l->targets[v - 1];
		if (t->pid == pid && t->cgroup == cgroup && strcmp(t->comm, comm) == 0) {
			t->count[p->type] += count;
			return 0;
		}
	}
	if (l->ntargets == MAX_TARGETS)
		return 0; /* still in the profile, just not in the picker */
	if (PROFD_ARRAY_RESERVE(l->targets, l->cap_targets, l->ntargets + 1, 64))
		return -ENOMEM;
	t = &l->targets[l->ntargets];
	t->comm = strdup(comm);
	if (!t->comm || profd_htab_add(&l->target_index, h, l->ntargets + 1)) {
		free(t->comm);
		return -ENOMEM;
	}
	t->pid = pid;
	t->cgroup = cgroup;
	memset(t->count, 0, sizeof(t->count));
	t->count[p->type] = count;
	l->ntargets++;
	return 0;
}

/* ---- the writer ---- */

/* What a window holds, roughly: its arrays, its strings, and as much again for its indexes. */
static size_t estimate_bytes(const struct fmt_profile *p)
{
	size_t n = sizeof(*p) + p->nstrings * sizeof(char *) +
		   p->nmappings * sizeof(struct fmt_mapping) +
		   p->nfunctions * sizeof(struct fmt_function) +
		   p->nlocations * sizeof(struct fmt_location) + p->nlines * sizeof(struct fmt_line) +
		   p->nstack_locs * sizeof(uint32_t) + p->nsamples * sizeof(struct fmt_sample);

	for (uint32_t i = 0; i < p->nstrings; i++)
		n += strlen(p->strings[i]) + 1;
	return 2 * n;
}

static void drop_oldest(struct prof_live *l)
{
	l->ring_bytes -= l->ring[l->head].bytes;
	fmt_profile__free(l->ring[l->head].p);
	l->head = (l->head + 1) % l->cap;
	l->n--;
}

/* Under the write lock: the window joins its type's total and the ring. Takes w. */
static int apply(struct prof_live *l, struct live_window *w)
{
	const struct fmt_profile *p = w->p;
	struct fmt_profile **total = &l->total[p->type];
	int err = 0;

	if (!*total && !(*total = fmt_profile__new_type(p->type, p->period_ns)))
		err = -ENOMEM;
	err = err ?: fmt_profile__merge(*total, p, NULL);
	for (size_t i = 0; !err && i < p->nsamples; i++)
		err = count_target(l, p, &p->samples[i]);
	w->bytes = estimate_bytes(p);
	while (l->n && (l->n == l->cap || l->ring_bytes + w->bytes > l->budget))
		drop_oldest(l);
	l->ring[(l->head + l->n) % l->cap] = *w;
	l->n++;
	l->ring_bytes += w->bytes;
	if (w->to > l->elapsed)
		l->elapsed = w->to;
	if (p->nsamples)
		l->generation++;
	return err;
}

int prof_live__publish(struct prof_live *l, struct fmt_profile *w, double from, double to,
		       const struct prof_live_info *info, bool wait)
{
	int err = 0;

	if (info)
		l->pending_info = *info;
	if (w) {
		if (PROFD_ARRAY_RESERVE(l->pending, l->cap_pending, l->npending + 1, 8)) {
			fmt_profile__free(w);
			return -ENOMEM;
		}
		l->pending[l->npending++] = (struct live_window){.p = w, .from = from, .to = to};
	}
	if (pthread_rwlock_trywrlock(&l->lock)) {
		if (!wait && l->npending < MAX_BACKLOG)
			return 0;
		pthread_rwlock_wrlock(&l->lock);
	}
	for (size_t i = 0; i < l->npending; i++) {
		int e = apply(l, &l->pending[i]);

		if (e && !err)
			err = e;
	}
	l->npending = 0;
	l->info = l->pending_info;
	pthread_rwlock_unlock(&l->lock);
	return err;
}

struct fmt_profile *prof_live__steal(struct prof_live *l, enum fmt_type type)
{
	struct fmt_profile *p;

	pthread_rwlock_wrlock(&l->lock);
	p = l->total[type];
	l->total[type] = type == FMT_TYPE_CPU ? fmt_profile__new(p->period_ns) : NULL;
	pthread_rwlock_unlock(&l->lock);
	return p;
}

const struct fmt_profile *prof_live__peek(const struct prof_live *l, enum fmt_type type)
{
	return l->total[type];
}

/* ---- the readers (server threads) ---- */

/* Whether profiles of type t go into dst: those of its type, or both kinds for a wall view. */
static bool joins(const struct fmt_profile *dst, enum fmt_type t)
{
	return dst->type == t || dst->type == FMT_TYPE_WALL;
}

static int live_collect(void *ctx, const struct web_range *range, const struct fmt_filter *f,
			struct fmt_profile *dst)
{
	struct prof_live *l = ctx;
	int err = 0;

	pthread_rwlock_rdlock(&l->lock);
	if (!range) {
		for (int t = 0; !err && t < FMT_NTYPES; t++)
			if (l->total[t] && joins(dst, t))
				err = fmt_profile__merge(dst, l->total[t], f);
	} else {
		for (unsigned i = 0; !err && i < l->n; i++) {
			const struct live_window *w = &l->ring[(l->head + i) % l->cap];

			if (w->to > range->from && w->from < range->to && joins(dst, w->p->type))
				err = fmt_profile__merge(dst, w->p, f);
		}
	}
	if (!dst->period_ns)
		dst->period_ns = l->total[FMT_TYPE_CPU]->period_ns;
	pthread_rwlock_unlock(&l->lock);
	return err;
}

static int live_status(void *ctx, struct web_status *st)
{
	struct prof_live *l = ctx;

	pthread_rwlock_rdlock(&l->lock);
	snprintf(st->mode, sizeof(st->mode), "%s", l->info.mode ? l->info.mode : "live");
	snprintf(st->event, sizeof(st->event), "%s", l->info.event);
	st->freq = l->info.freq;
	st->samples = l->total[FMT_TYPE_CPU]->total;
	st->off_cpu_us = l->total[FMT_TYPE_OFF_CPU] ? l->total[FMT_TYPE_OFF_CPU]->total : 0;
	st->off_cpu = l->info.off_cpu || l->total[FMT_TYPE_OFF_CPU];
	st->lost = l->info.lost;
	st->loss = l->total[FMT_TYPE_CPU]->loss;
	st->start_ns = l->info.start_ns;
	st->elapsed_s = l->elapsed;
	st->window_s = l->window_s;
	st->oldest_s = l->n ? l->ring[l->head].from : 0;
	st->nwindows = l->n;
	st->max_windows = l->cap;
	st->ntargets = l->ntargets;
	st->processes = l->info.processes;
	st->generation = l->generation;
	pthread_rwlock_unlock(&l->lock);
	return 0;
}

static int cmp_target(const void *a, const void *b)
{
	const struct web_target *x = a, *y = b;

	if (x->samples != y->samples)
		return x->samples < y->samples ? 1 : -1;
	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	if (strcmp(x->comm, y->comm))
		return strcmp(x->comm, y->comm);
	return strcmp(x->cgroup ? x->cgroup : "", y->cgroup ? y->cgroup : "");
}

static int copy_cgroup(const struct prof_live *l, const struct live_target *lt,
		       struct web_target *t)
{
	const struct live_cgroup *c = lt->cgroup ? &l->cgroups[lt->cgroup - 1] : NULL;

	if (!c)
		return 0;
	t->cgroup = strdup(c->path);
	t->container_id = strdup(c->container_id);
	t->systemd_unit = strdup(c->systemd_unit);
	return t->cgroup && t->container_id && t->systemd_unit ? 0 : -ENOMEM;
}

static int live_targets(void *ctx, struct web_target **out, size_t *n)
{
	struct prof_live *l = ctx;
	struct web_target *t;
	size_t i, want;

	pthread_rwlock_rdlock(&l->lock);
	want = l->ntargets;
	t = calloc(want + 1, sizeof(*t));
	for (i = 0; t && i < want; i++) {
		t[i].pid = l->targets[i].pid;
		t[i].samples = l->targets[i].count[FMT_TYPE_CPU];
		t[i].off_cpu_us = l->targets[i].count[FMT_TYPE_OFF_CPU];
		t[i].comm = strdup(l->targets[i].comm);
		if (!t[i].comm || copy_cgroup(l, &l->targets[i], &t[i]))
			break;
	}
	pthread_rwlock_unlock(&l->lock);
	if (!t)
		return -ENOMEM;
	if (i < want) {
		web_targets_free(t, i + 1); /* the one that failed half-way too */
		return -ENOMEM;
	}
	qsort(t, i, sizeof(*t), cmp_target);
	*out = t;
	*n = i;
	return 0;
}

static int live_metrics(void *ctx, struct profd_strbuf *out)
{
	struct prof_live *l = ctx;

	return l->extra.metrics(l->extra.ctx, out);
}

static int live_collect_wall(void *ctx, int64_t from_ns, int64_t to_ns, const struct fmt_filter *f,
			     struct fmt_profile *dst)
{
	struct prof_live *l = ctx;

	return l->extra.collect_wall(l->extra.ctx, from_ns, to_ns, f, dst);
}

static int live_store_info(void *ctx, struct web_store_info *out)
{
	struct prof_live *l = ctx;

	return l->extra.store_info(l->extra.ctx, out);
}

void prof_live__source(struct prof_live *l, const struct web_source *extra, struct web_source *src)
{
	if (extra)
		l->extra = *extra;
	memset(src, 0, sizeof(*src));
	src->ctx = l;
	src->collect = live_collect;
	src->status = live_status;
	src->targets = live_targets;
	src->metrics = l->extra.metrics ? live_metrics : NULL;
	src->collect_wall = l->extra.collect_wall ? live_collect_wall : NULL;
	src->store_info = l->extra.store_info ? live_store_info : NULL;
	src->files = l->extra.files;
	src->nfiles = l->extra.nfiles;
}
