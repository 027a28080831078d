// SPDX-License-Identifier: MIT
/*
 * The in-memory profile: interned strings and deduplicated mappings, functions, locations and
 * samples. Every table is an array plus an open-addressing index of 1-based ids, so an id is
 * stable from the moment it is handed out and doubles as the pprof id.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/hash.h"
#include "common/htab.h"
#include "common/new.h"
#include "formats/formats.h"

struct fmt_profile_index {
	struct profd_htab strings, mappings, functions, locations, samples, cgroups; /* hash -> id */
};

typedef bool (*id_eq_fn)(const struct fmt_profile *p, uint32_t id, const void *key);

/* The id under hash h that eq says is key, or 0. */
static uint32_t table_find(const struct fmt_profile *p, const struct profd_htab *t, uint64_t h,
			   id_eq_fn eq, const void *key)
{
	size_t pos = PROFD_HTAB_START;
	uint64_t id;

	while ((id = profd_htab_next(t, h, &pos)))
		if (eq(p, (uint32_t)id, key))
			return (uint32_t)id;
	return 0;
}

/* Makes room for one more id so that adding it cannot fail. */
static int table_reserve(struct profd_htab *t)
{
	return profd_htab_reserve(t, t->n + 1);
}

/* An array of n elements has room for the next power of two >= n (at least 16). */
static size_t capacity_for(size_t n)
{
	size_t cap = 16;

	if (!n)
		return 0;
	while (cap < n)
		cap *= 2;
	return cap;
}

/* Grows an array of n elements to hold n + extra. */
static int grow(void *arrp, size_t elem, size_t n, size_t extra)
{
	void **arr = arrp;
	size_t need = n + extra;
	void *q;

	if (need < n || need > SIZE_MAX / 2 / elem)
		return -ENOMEM;
	if (need <= capacity_for(n))
		return 0;
	q = realloc(*arr, capacity_for(need) * elem);
	if (!q)
		return -ENOMEM;
	*arr = q;
	return 0;
}

/*
 * Appends a copy of elem (size bytes) to the array *arrp of *n elements and indexes it under h in
 * t; *id is its id, its position + 1. Returns 0, or -ENOMEM with nothing added.
 */
static int table_append(struct profd_htab *t, uint64_t h, void *arrp, uint32_t *n,
			const void *elem, size_t size, uint32_t *id)
{
	char **arr = arrp;

	if (grow(arrp, size, *n, 1) || table_reserve(t))
		return -ENOMEM;
	memcpy(*arr + (size_t)*n * size, elem, size);
	*id = ++*n;
	profd_htab_add(t, h, *id); /* reserved: cannot fail */
	return 0;
}

/* The id of elem, a key of t as it is, appended by table_append() if t does not hold it yet. */
static int table_intern(const struct fmt_profile *p, struct profd_htab *t, uint64_t h, id_eq_fn eq,
			const void *elem, void *arrp, uint32_t *n, size_t size, uint32_t *id)
{
	*id = table_find(p, t, h, eq, elem);
	return *id ? 0 : table_append(t, h, arrp, n, elem, size, id);
}

struct fmt_profile *fmt_profile__new(int64_t period_ns)
{
	struct fmt_profile *p = calloc(1, sizeof(*p));

	if (!p)
		goto fail;
	p->index = calloc(1, sizeof(*p->index));
	p->strings = malloc(16 * sizeof(*p->strings));
	if (!p->index || !p->strings)
		goto fail;
	p->strings[0] = strdup("");
	if (!p->strings[0])
		goto fail;
	p->nstrings = 1;
	p->period_ns = period_ns;
	return p;
fail:
	return PROFD_NEW_FAILED(fmt_profile__free, p, -ENOMEM);
}

struct fmt_profile *fmt_profile__new_type(enum fmt_type type, int64_t period_ns)
{
	struct fmt_profile *p = fmt_profile__new(type == FMT_TYPE_CPU ? period_ns : FMT_US_NS);

	if (p)
		p->type = type;
	return p;
}

void fmt_profile__free(struct fmt_profile *p)
{
	if (!p)
		return;
	for (uint32_t i = 0; i < p->nstrings; i++)
		free(p->strings[i]);
	free(p->strings);
	free(p->mappings);
	free(p->functions);
	free(p->locations);
	free(p->lines);
	free(p->stack_locs);
	free(p->samples);
	free(p->cgroups);
	if (p->index) {
		profd_htab_release(&p->index->strings);
		profd_htab_release(&p->index->mappings);
		profd_htab_release(&p->index->functions);
		profd_htab_release(&p->index->locations);
		profd_htab_release(&p->index->samples);
		profd_htab_release(&p->index->cgroups);
		free(p->index);
	}
	free(p);
}

/* ---- strings ---- */

static bool string_eq(const struct fmt_profile *p, uint32_t id, const void *key)
{
	/* Ids in the string table are stored +1 so that string 0 ("") is never an empty slot. */
	return strcmp(p->strings[id - 1], key) == 0;
}

int fmt_profile__intern(struct fmt_profile *p, const char *s, uint32_t *id)
{
	struct profd_htab *t = &p->index->strings;
	uint64_t h;
	uint32_t found;
	char *copy;

	if (!s || !*s) {
		*id = 0;
		return 0;
	}
	h = profd_hash_bytes(s, strlen(s), 0);
	found = table_find(p, t, h, string_eq, s);
	if (found) {
		*id = found - 1;
		return 0;
	}
	if (p->nstrings == UINT32_MAX || grow(&p->strings, sizeof(*p->strings), p->nstrings, 1))
		return -ENOMEM;
	if (table_reserve(t))
		return -ENOMEM;
	copy = strdup(s);
	if (!copy)
		return -ENOMEM;
	p->strings[p->nstrings] = copy;
	profd_htab_add(t, h, p->nstrings + 1); /* reserved: cannot fail */
	*id = p->nstrings++;
	return 0;
}

/* ---- mappings ---- */

static uint64_t mapping_hash(const struct fmt_mapping *m)
{
	uint64_t h = profd_hash_u64(m->start);

	h = profd_hash_combine(h, m->limit);
	h = profd_hash_combine(h, m->offset);
	h = profd_hash_combine(h, m->filename);
	h = profd_hash_combine(h, m->build_id);
	return profd_hash_combine(h, m->kernel);
}

static bool mapping_eq(const struct fmt_profile *p, uint32_t id, const void *key)
{
	const struct fmt_mapping *a = &p->mappings[id - 1], *b = key;

	return a->start == b->start && a->limit == b->limit && a->offset == b->offset &&
	       a->filename == b->filename && a->build_id == b->build_id && a->kernel == b->kernel;
}

int fmt_profile__add_mapping(struct fmt_profile *p, const struct fmt_mapping_desc *d, uint32_t *id)
{
	struct profd_htab *t = &p->index->mappings;
	struct fmt_mapping m = {
		.start = d->start,
		.limit = d->limit,
		.offset = d->offset,
		.kernel = d->kernel,
		.has_functions = d->has_functions,
		.has_filenames = d->has_filenames,
		.has_line_numbers = d->has_line_numbers,
		.has_inline_frames = d->has_inline_frames,
	};
	uint64_t h;
	int err;

	err = fmt_profile__intern(p, d->filename, &m.filename);
	if (!err)
		err = fmt_profile__intern(p, d->build_id, &m.build_id);
	if (err)
		return err;
	h = mapping_hash(&m);
	*id = table_find(p, t, h, mapping_eq, &m);
	if (*id) {
		/* What one resolver learned about a file holds for every sample of it. */
		struct fmt_mapping *old = &p->mappings[*id - 1];

		old->has_functions |= m.has_functions;
		old->has_filenames |= m.has_filenames;
		old->has_line_numbers |= m.has_line_numbers;
		old->has_inline_frames |= m.has_inline_frames;
		return 0;
	}
	return table_append(t, h, &p->mappings, &p->nmappings, &m, sizeof(m), id);
}

/* ---- functions ---- */

static uint64_t function_hash(const struct fmt_function *f)
{
	uint64_t h = profd_hash_u64(f->name);

	h = profd_hash_combine(h, f->system_name);
	h = profd_hash_combine(h, f->filename);
	return profd_hash_combine(h, (uint64_t)f->start_line);
}

static bool function_eq(const struct fmt_profile *p, uint32_t id, const void *key)
{
	const struct fmt_function *a = &p->functions[id - 1], *b = key;

	return a->name == b->name && a->system_name == b->system_name &&
	       a->filename == b->filename && a->start_line == b->start_line;
}

static int add_function(struct fmt_profile *p, const struct fmt_frame_desc *d, uint32_t *id)
{
	struct profd_htab *t = &p->index->functions;
	struct fmt_function f = {.start_line = d->start_line};
	int err;

	err = fmt_profile__intern(p, d->name, &f.name);
	if (!err)
		err = fmt_profile__intern(p, d->system_name ? d->system_name : d->name,
					  &f.system_name);
	if (!err)
		err = fmt_profile__intern(p, d->filename, &f.filename);
	if (err)
		return err;
	return table_intern(p, t, function_hash(&f), function_eq, &f, &p->functions, &p->nfunctions,
			    sizeof(f), id);
}

/* ---- locations ---- */

/* A candidate location: its lines are already appended at the end of p->lines. */
struct location_key {
	uint32_t mapping;
	uint64_t address;
	const struct fmt_line *lines;
	uint32_t nlines;
};

static uint64_t location_hash(const struct location_key *k)
{
	uint64_t h = profd_hash_combine(profd_hash_u64(k->mapping), k->address);

	if (k->mapping && k->address)
		return h;
	for (uint32_t i = 0; i < k->nlines; i++) {
		h = profd_hash_combine(h, k->lines[i].function);
		h = profd_hash_combine(h, (uint64_t)k->lines[i].line);
	}
	return h;
}

static bool location_eq(const struct fmt_profile *p, uint32_t id, const void *key)
{
	const struct fmt_location *a = &p->locations[id - 1];
	const struct location_key *b = key;

	if (a->mapping != b->mapping || a->address != b->address)
		return false;
	if (b->mapping && b->address)
		return true;
	if (a->nlines != b->nlines)
		return false;
	for (uint32_t i = 0; i < a->nlines; i++) {
		const struct fmt_line *x = &p->lines[a->first_line + i], *y = &b->lines[i];

		if (x->function != y->function || x->line != y->line)
			return false;
	}
	return true;
}

int fmt_profile__add_location(struct fmt_profile *p, uint32_t mapping, uint64_t address,
			      const struct fmt_frame_desc *frames, size_t nframes, uint32_t *id)
{
	struct profd_htab *t = &p->index->locations;
	struct location_key k = {.mapping = mapping, .address = address};
	struct fmt_location loc;
	uint64_t h;
	int err;

	if (nframes == 0 || nframes > UINT32_MAX || mapping > p->nmappings)
		return -EINVAL;
	/* Known by mapping and address alone: found again without interning its frames. */
	if (mapping && address) {
		*id = table_find(p, t, location_hash(&k), location_eq, &k);
		if (*id)
			return 0;
	}
	if (p->nlines > UINT32_MAX - nframes)
		return -ENOMEM;
	/* Lines go to the end of p->lines first; they stay only if the location is new. */
	if (grow(&p->lines, sizeof(*p->lines), p->nlines, nframes))
		return -ENOMEM;
	for (size_t i = 0; i < nframes; i++) {
		struct fmt_line *l = &p->lines[p->nlines + i];

		err = add_function(p, &frames[i], &l->function);
		if (err)
			return err;
		l->line = frames[i].line;
	}
	k.lines = &p->lines[p->nlines];
	k.nlines = nframes;
	h = location_hash(&k);
	*id = table_find(p, t, h, location_eq, &k);
	if (*id)
		return 0;
	loc = (struct fmt_location){
		.mapping = mapping,
		.address = address,
		.first_line = p->nlines,
		.nlines = nframes,
	};
	err = table_append(t, h, &p->locations, &p->nlocations, &loc, sizeof(loc), id);
	if (!err)
		p->nlines += nframes;
	return err;
}

int fmt_profile__name_late(struct fmt_profile *p, fmt_name_fn name, void *ctx)
{
	struct profd_htab *t = &p->index->locations;

	for (uint32_t id = 1; id <= p->nlocations; id++) {
		struct fmt_location *loc = &p->locations[id - 1];
		struct fmt_line *line = &p->lines[loc->first_line];
		struct location_key k = {.address = loc->address, .lines = line, .nlines = loc->nlines};
		struct fmt_mapping_desc m = {0};
		struct fmt_frame_desc f = {0};
		uint32_t to, function;
		int err;

		if (loc->mapping || !loc->address || loc->nlines != 1)
			continue;
		err = name(ctx, loc->address, &m, &f);
		err = err ?: fmt_profile__add_mapping(p, &m, &to);
		err = err ?: add_function(p, &f, &function);
		if (err)
			return err;
		/* Keyed by mapping and address from now on. */
		profd_htab_del(t, location_hash(&k), id);
		k.mapping = to;
		profd_htab_add(t, location_hash(&k), id); /* the slot just freed: cannot fail */
		loc->mapping = to;
		line->function = function;
		line->line = f.line;
	}
	return 0;
}

int fmt_profile__rename_location(struct fmt_profile *p, uint32_t id,
				 const struct fmt_mapping_desc *m,
				 const struct fmt_frame_desc *frames, size_t nframes)
{
	struct fmt_location *loc;
	struct fmt_mapping *map;
	uint32_t first;
	int err;

	if (!id || id > p->nlocations || nframes == 0 || nframes > UINT32_MAX)
		return -EINVAL;
	loc = &p->locations[id - 1];
	if (!loc->mapping || !loc->address)
		return -EINVAL; /* keyed by its frames: new ones would be another location */
	/* Made at the end of p->lines, so a failure leaves the location as it was. */
	if (p->nlines > UINT32_MAX - nframes || grow(&p->lines, sizeof(*p->lines), p->nlines, nframes))
		return -ENOMEM;
	for (size_t i = 0; i < nframes; i++) {
		err = add_function(p, &frames[i], &p->lines[p->nlines + i].function);
		if (err)
			return err;
		p->lines[p->nlines + i].line = frames[i].line;
	}
	/* Fewer or as many frames take the old lines' place; more stay where they were made. */
	first = p->nlines;
	if (nframes <= loc->nlines) {
		memmove(&p->lines[loc->first_line], &p->lines[first], nframes * sizeof(*p->lines));
		first = loc->first_line;
	} else {
		p->nlines += nframes;
	}
	loc->first_line = first;
	loc->nlines = nframes;
	map = &p->mappings[loc->mapping - 1];
	map->has_functions |= m->has_functions;
	map->has_filenames |= m->has_filenames;
	map->has_line_numbers |= m->has_line_numbers;
	map->has_inline_frames |= m->has_inline_frames;
	return 0;
}

/* ---- cgroups ---- */

static uint64_t cgroup_hash(const struct fmt_cgroup *c)
{
	uint64_t h = profd_hash_combine(profd_hash_u64(c->path), c->container_id);

	h = profd_hash_combine(h, c->systemd_unit);
	return profd_hash_combine(h, c->pod_uid);
}

static bool cgroup_eq(const struct fmt_profile *p, uint32_t id, const void *key)
{
	return memcmp(&p->cgroups[id - 1], key, sizeof(struct fmt_cgroup)) == 0;
}

/* Adds or finds a cgroup; *id 0 for an unknown one. Returns 0 or -ENOMEM. */
static int add_cgroup(struct fmt_profile *p, const struct fmt_cgroup_desc *d, uint32_t *id)
{
	struct profd_htab *t = &p->index->cgroups;
	struct fmt_cgroup c;
	int err;

	*id = 0;
	if (!d || !d->path || !d->path[0])
		return 0;
	err = fmt_profile__intern(p, d->path, &c.path);
	err = err ?: fmt_profile__intern(p, d->container_id, &c.container_id);
	err = err ?: fmt_profile__intern(p, d->systemd_unit, &c.systemd_unit);
	err = err ?: fmt_profile__intern(p, d->pod_uid, &c.pod_uid);
	if (err)
		return err;
	return table_intern(p, t, cgroup_hash(&c), cgroup_eq, &c, &p->cgroups, &p->ncgroups,
			    sizeof(c), id);
}

bool fmt_cgroup_under(const char *path, const char *prefix)
{
	size_t n = strlen(prefix);

	while (n && prefix[n - 1] == '/')
		n--;
	return !strncmp(path, prefix, n) && (path[n] == '\0' || path[n] == '/');
}

const struct fmt_cgroup_desc *fmt_cgroup_desc_of(const struct fmt_profile *p,
						 const struct fmt_sample *s, struct fmt_cgroup_desc *d)
{
	const struct fmt_cgroup *c = fmt_profile__cgroup(p, s);

	if (!c)
		return NULL;
	*d = (struct fmt_cgroup_desc){
		.path = fmt_profile__str(p, c->path),
		.container_id = fmt_profile__str(p, c->container_id),
		.systemd_unit = fmt_profile__str(p, c->systemd_unit),
		.pod_uid = fmt_profile__str(p, c->pod_uid),
	};
	return d;
}

/* ---- samples ---- */

struct sample_key {
	const uint32_t *locs;
	size_t nlocs;
	uint32_t pid, tid, comm, cgroup;
};

static uint64_t sample_hash(const struct sample_key *k)
{
	uint64_t h = profd_hash_combine(profd_hash_u64(k->pid), k->tid);

	h = profd_hash_combine(h, k->comm);
	h = profd_hash_combine(h, k->cgroup);
	return profd_hash_combine(h, profd_hash_bytes(k->locs, k->nlocs * sizeof(*k->locs), 0));
}

static bool sample_eq(const struct fmt_profile *p, uint32_t id, const void *key)
{
	const struct fmt_sample *a = &p->samples[id - 1];
	const struct sample_key *b = key;

	return a->pid == b->pid && a->tid == b->tid && a->comm == b->comm &&
	       a->cgroup == b->cgroup && a->nlocs == b->nlocs &&
	       memcmp(&p->stack_locs[a->first_loc], b->locs, b->nlocs * sizeof(*b->locs)) == 0;
}

int fmt_profile__add_sample(struct fmt_profile *p, const uint32_t *locs, size_t nlocs,
			    const struct fmt_sample_desc *labels, int64_t count)
{
	static const uint32_t no_locs[1];
	struct profd_htab *t = &p->index->samples;
	struct sample_key k = {.locs = locs, .nlocs = nlocs, .pid = labels->pid, .tid = labels->tid};
	uint64_t h;
	uint32_t id;
	int err;

	if (nlocs > UINT32_MAX || count < 0)
		return -EINVAL;
	if (!nlocs) /* a comm alone ("app 5"); memcmp and memcpy want a pointer even for 0 bytes */
		k.locs = locs = no_locs;
	/* Every count is in the total, so a total that fits means every sample's count fits. */
	if (count > INT64_MAX - p->total)
		return -EOVERFLOW;
	for (size_t i = 0; i < nlocs; i++) {
		if (locs[i] == 0 || locs[i] > p->nlocations)
			return -EINVAL;
	}
	err = fmt_profile__intern(p, labels->comm, &k.comm);
	err = err ?: add_cgroup(p, labels->cgroup, &k.cgroup);
	if (err)
		return err;
	h = sample_hash(&k);
	id = table_find(p, t, h, sample_eq, &k);
	if (id) {
		p->samples[id - 1].count += count;
		p->total += count;
		return 0;
	}
	if (p->nsamples >= UINT32_MAX - 1 ||
	    grow(&p->samples, sizeof(*p->samples), p->nsamples, 1) ||
	    grow(&p->stack_locs, sizeof(*p->stack_locs), p->nstack_locs, nlocs ? nlocs : 1) ||
	    table_reserve(t))
		return -ENOMEM;
	memcpy(&p->stack_locs[p->nstack_locs], locs, nlocs * sizeof(*locs));
	p->samples[p->nsamples++] = (struct fmt_sample){
		.first_loc = p->nstack_locs,
		.nlocs = nlocs,
		.pid = k.pid,
		.tid = k.tid,
		.comm = k.comm,
		.cgroup = k.cgroup,
		.count = count,
	};
	p->nstack_locs += nlocs;
	p->total += count;
	profd_htab_add(t, h, p->nsamples); /* reserved: cannot fail */
	return 0;
}

static bool in_cgroup(const struct fmt_profile *p, const struct fmt_sample *s, const char *prefix)
{
	const struct fmt_cgroup *c = fmt_profile__cgroup(p, s);

	return c && fmt_cgroup_under(fmt_profile__str(p, c->path), prefix);
}

bool fmt_filter__match(const struct fmt_filter *f, const struct fmt_profile *p,
		       const struct fmt_sample *s)
{
	if (!f)
		return true;
	if (f->pid && s->pid != f->pid)
		return false;
	if (f->comm && strcmp(fmt_profile__str(p, s->comm), f->comm) != 0)
		return false;
	if (f->cgroup && !in_cgroup(p, s, f->cgroup))
		return false;
	return !f->match || f->match(p, s, f->ctx);
}

/* ---- merge ---- */

static void merge_span(struct fmt_profile *dst, const struct fmt_profile *src)
{
	int64_t start, end;

	if (!src->time_ns)
		return;
	if (!dst->time_ns) {
		dst->time_ns = src->time_ns;
		dst->duration_ns = src->duration_ns;
		return;
	}
	start = dst->time_ns < src->time_ns ? dst->time_ns : src->time_ns;
	end = dst->time_ns + dst->duration_ns;
	if (src->time_ns + src->duration_ns > end)
		end = src->time_ns + src->duration_ns;
	dst->time_ns = start;
	dst->duration_ns = end - start;
}

static void merge_loss(struct fmt_loss *a, const struct fmt_loss *b)
{
	a->samples_counts_full += b->samples_counts_full;
	a->stacks_map_full += b->stacks_map_full;
	a->stacks_truncated += b->stacks_truncated;
	a->samples_ringbuf_full += b->samples_ringbuf_full;
	a->unwind_failed += b->unwind_failed;
	a->stacks_incomplete += b->stacks_incomplete;
}

/* Translates location id of src into dst, adding it (and its mapping) on first use. */
static int merge_location(struct fmt_profile *dst, const struct fmt_profile *src, uint32_t id,
			  uint32_t *mapping_ids, uint32_t *location_ids,
			  struct fmt_frame_desc **frames, size_t *frames_cap)
{
	const struct fmt_location *l = fmt_profile__location(src, id);
	uint32_t mapping = 0;
	int err;

	if (location_ids[id - 1])
		return 0;
	if (l->mapping && !mapping_ids[l->mapping - 1]) {
		const struct fmt_mapping *m = fmt_profile__mapping(src, l->mapping);
		struct fmt_mapping_desc d = {
			.filename = fmt_profile__str(src, m->filename),
			.build_id = fmt_profile__str(src, m->build_id),
			.start = m->start,
			.limit = m->limit,
			.offset = m->offset,
			.kernel = m->kernel,
			.has_functions = m->has_functions,
			.has_filenames = m->has_filenames,
			.has_line_numbers = m->has_line_numbers,
			.has_inline_frames = m->has_inline_frames,
		};

		err = fmt_profile__add_mapping(dst, &d, &mapping_ids[l->mapping - 1]);
		if (err)
			return err;
	}
	if (l->mapping)
		mapping = mapping_ids[l->mapping - 1];
	if (l->nlines > *frames_cap) {
		struct fmt_frame_desc *q = realloc(*frames, l->nlines * sizeof(*q));

		if (!q)
			return -ENOMEM;
		*frames = q;
		*frames_cap = l->nlines;
	}
	for (uint32_t i = 0; i < l->nlines; i++) {
		const struct fmt_line *line = &src->lines[l->first_line + i];
		const struct fmt_function *f = fmt_profile__function(src, line->function);

		(*frames)[i] = (struct fmt_frame_desc){
			.name = fmt_profile__str(src, f->name),
			.system_name = fmt_profile__str(src, f->system_name),
			.filename = fmt_profile__str(src, f->filename),
			.line = line->line,
			.start_line = f->start_line,
		};
	}
	return fmt_profile__add_location(dst, mapping, l->address, *frames, l->nlines,
					 &location_ids[id - 1]);
}

/*
 * How src's samples enter a wall profile: scaled to microseconds, under a frame for their
 * thread, off-CPU time with a leaf of its own.
 */
struct wall_plan {
	bool on;
	int64_t ns_per_count; /* src's */
	uint32_t off_cpu;     /* the "[off-cpu]" location, 0 for CPU samples */
};

static int add_marker(struct fmt_profile *p, const char *name, uint32_t *id)
{
	struct fmt_frame_desc f = {.name = name};

	return fmt_profile__add_location(p, 0, 0, &f, 1, id);
}

/* Whether src's samples may join dst, and how. Returns 0 or -EINVAL. */
static int plan_merge(struct fmt_profile *dst, const struct fmt_profile *src, struct wall_plan *w)
{
	memset(w, 0, sizeof(*w));
	if (!dst->nsamples && !dst->period_ns && dst->type == FMT_TYPE_CPU)
		dst->type = src->type; /* fresh */
	if (dst->type == src->type)
		return 0;
	if (dst->type != FMT_TYPE_WALL || src->type == FMT_TYPE_WALL || src->period_ns <= 0)
		return -EINVAL;
	w->on = true;
	w->ns_per_count = src->period_ns;
	return src->type == FMT_TYPE_OFF_CPU ? add_marker(dst, "[off-cpu]", &w->off_cpu) : 0;
}

/* Microseconds, rounded, for count periods of ns_per_count; INT64_MAX past the range. */
static int64_t wall_count(int64_t count, int64_t ns_per_count)
{
	__int128 us = ((__int128)count * ns_per_count + FMT_US_NS / 2) / FMT_US_NS;

	return us > INT64_MAX ? INT64_MAX : (int64_t)us;
}

/*
 * A wall sample's stack: locs[1..n] hold src's stack (leaf first); the leaf marker and the
 * thread's frame go around it. Returns the first location and sets *n to the new length.
 */
static int wall_stack(struct fmt_profile *dst, const struct wall_plan *w, uint32_t tid,
		      uint32_t *locs, uint32_t *n, uint32_t **first)
{
	char name[32];
	int err;

	snprintf(name, sizeof(name), "[tid %u]", tid);
	err = add_marker(dst, name, &locs[*n + 1]);
	if (err)
		return err;
	*n += 1;
	if (w->off_cpu) {
		locs[0] = w->off_cpu;
		*n += 1;
		*first = locs;
	} else {
		*first = locs + 1;
	}
	return 0;
}

int fmt_profile__merge(struct fmt_profile *dst, const struct fmt_profile *src,
		       const struct fmt_filter *f)
{
	uint32_t *mapping_ids = calloc(src->nmappings + 1, sizeof(*mapping_ids));
	uint32_t *location_ids = calloc(src->nlocations + 1, sizeof(*location_ids));
	uint32_t *locs = NULL, *stack;
	size_t locs_cap = 0, frames_cap = 0;
	struct fmt_frame_desc *frames = NULL;
	struct wall_plan wall;
	int err = -ENOMEM;

	if (!mapping_ids || !location_ids)
		goto out;
	err = plan_merge(dst, src, &wall);
	if (err)
		goto out;
	for (size_t i = 0; i < src->nsamples; i++) {
		const struct fmt_sample *s = &src->samples[i];
		struct fmt_cgroup_desc cg;
		struct fmt_sample_desc labels = {
			.pid = s->pid,
			.tid = s->tid,
			.comm = fmt_profile__str(src, s->comm),
			.cgroup = fmt_cgroup_desc_of(src, s, &cg),
		};
		uint32_t n = s->nlocs;
		int64_t count = s->count;

		if (!fmt_filter__match(f, src, s))
			continue;
		if (s->nlocs + 2 > locs_cap) { /* room for a wall sample's two markers */
			uint32_t *q = realloc(locs, (s->nlocs + 2) * sizeof(*q));

			err = -ENOMEM;
			if (!q)
				goto out;
			locs = q;
			locs_cap = s->nlocs + 2;
		}
		for (uint32_t j = 0; j < s->nlocs; j++) {
			uint32_t id = src->stack_locs[s->first_loc + j];

			err = merge_location(dst, src, id, mapping_ids, location_ids, &frames,
					     &frames_cap);
			if (err)
				goto out;
			locs[j + 1] = location_ids[id - 1];
		}
		stack = locs + 1;
		if (wall.on) {
			err = wall_stack(dst, &wall, s->tid, locs, &n, &stack);
			if (err)
				goto out;
			count = wall_count(count, wall.ns_per_count);
		}
		err = fmt_profile__add_sample(dst, stack, n, &labels, count);
		if (err)
			goto out;
	}
	merge_loss(&dst->loss, &src->loss);
	merge_span(dst, src);
	if (!dst->period_ns)
		dst->period_ns = src->period_ns;
	err = 0;
out:
	free(mapping_ids);
	free(location_ids);
	free(locs);
	free(frames);
	return err;
}
