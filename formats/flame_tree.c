// SPDX-License-Identifier: MIT
/*
 * The flame graph's tree (see formats.h). A frame's name is made and cleaned once per location
 * line and once per comm, stored once, and ranked in name order. Each sample becomes its path of
 * name ranks, root first; the paths are sorted, and the tree is read off them in one pass, as a
 * trie is from sorted words: where a path leaves the one before it, every further frame is a
 * new node, children come out in name order, and no lookup table is needed. Counts go to each
 * path's last node and are summed up once at the end.
 *
 * A machine-wide profile of 100,000 stacks has millions of frames but thousands of names; this
 * way each frame costs a few sequential reads instead of a hash probe into a table of a million
 * nodes.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/array.h"
#include "common/hash.h"
#include "common/htab.h"
#include "common/new.h"
#include "common/strbuf.h"
#include "formats/formats.h"
#include "formats/text_internal.h"

#define NAME_SEED 0x9d2c5680
#define NOT_MADE 0 /* line_name and comm_name hold name id + 1 */
#define INLINED 4  /* in a frame's info, beside its kind */

/* Where a sample's path lies in builder.frames, and its count. */
struct path {
	size_t first;
	uint32_t len;
	int64_t count;
};

struct builder {
	const struct fmt_profile *p;
	struct fmt_name_opts name_opts;
	struct fmt_tree *t;
	uint32_t cap; /* of t->nodes */
	/* names: the bytes, an index of id + 1 by name hash, each id's offset and rank */
	struct profd_strbuf names;
	struct profd_htab name_index;
	uint32_t *name_off, *rank_off; /* by id; by rank */
	uint32_t nnames;
	size_t names_cap;
	uint32_t *line_name; /* per entry of p->lines: its frame's name id + 1 */
	uint8_t *line_kind;
	uint32_t *comm_name; /* per string id of p, for comms */
	struct profd_strbuf raw, clean;
	/* paths: name ids, then ranks, of every sample one after the other, with kind and flag */
	uint32_t *frames;
	uint8_t *info;
	size_t nframes, frames_cap;
	struct path *paths;
	size_t npaths;
	uint32_t longest;
};

/* ---- names, each stored once ---- */

static uint64_t name_hash(const char *s)
{
	return profd_hash_bytes(s, strlen(s), NAME_SEED);
}

/* The id of name s, adding it if new. */
static int intern(struct builder *b, const char *s, uint32_t *id)
{
	uint64_t h = name_hash(s), v;
	size_t len = strlen(s), pos = PROFD_HTAB_START;
	int err;

	while ((v = profd_htab_next(&b->name_index, h, &pos))) {
		if (strcmp(b->names.buf + b->name_off[v - 1], s) == 0) {
			*id = (uint32_t)v - 1;
			return 0;
		}
	}
	if (b->names.len + len + 1 >= UINT32_MAX)
		return -E2BIG;
	if (PROFD_ARRAY_RESERVE(b->name_off, b->names_cap, b->nnames + 1, 1024))
		return -ENOMEM;
	err = profd_htab_reserve(&b->name_index, b->name_index.n + 1);
	if (err)
		return err;
	b->name_off[b->nnames] = (uint32_t)b->names.len;
	/* The strbuf keeps a NUL after its bytes: copy it too, as the separator. */
	err = profd_strbuf_append(&b->names, s, len + 1);
	if (err)
		return err;
	*id = b->nnames++;
	profd_htab_add(&b->name_index, h, *id + 1); /* reserved: cannot fail */
	return 0;
}

static bool is_jit_mapping(const char *file)
{
	return strncmp(file, "/tmp/perf-", 10) == 0 || strncmp(file, "[anon", 5) == 0 ||
	       strncmp(file, "//anon", 6) == 0 || strncmp(file, "memfd:", 6) == 0 ||
	       strstr(file, "jit") != NULL;
}

static enum fmt_frame_kind location_kind(const struct fmt_profile *p,
					 const struct fmt_location *loc)
{
	const struct fmt_mapping *m = fmt_profile__mapping(p, loc->mapping);

	if (m && m->kernel)
		return FMT_FRAME_KERNEL;
	if (m && is_jit_mapping(fmt_profile__str(p, m->filename)))
		return FMT_FRAME_JIT;
	return FMT_FRAME_USER;
}

/* Markers like "[unknown]" or "[truncated]", and unsymbolized "module+0x1f0". */
static bool is_unknown_name(const char *name)
{
	return name[0] == '[' || strstr(name, "+0x") != NULL;
}

/* Line j of loc, whose entry in p->lines is li: its name id and kind, made on first use. */
static int line_name(struct builder *b, const struct fmt_location *loc, uint32_t j, uint32_t li,
		     uint32_t *id, enum fmt_frame_kind *kind)
{
	enum fmt_frame_kind k;
	int err;

	if (b->line_name[li] != NOT_MADE) {
		*id = b->line_name[li] - 1;
		*kind = b->line_kind[li];
		return 0;
	}
	profd_strbuf_reset(&b->raw);
	profd_strbuf_reset(&b->clean);
	err = fmt_frame_name(b->p, loc, j, &b->name_opts, &b->raw);
	err = err ?: fmt_clean_name(&b->clean, b->raw.buf);
	err = err ?: intern(b, b->clean.buf, id);
	if (err)
		return err;
	k = location_kind(b->p, loc);
	if (k == FMT_FRAME_USER && is_unknown_name(b->clean.buf))
		k = FMT_FRAME_UNKNOWN;
	b->line_name[li] = *id + 1;
	b->line_kind[li] = (uint8_t)k;
	*kind = k;
	return 0;
}

static int comm_name(struct builder *b, uint32_t sid, uint32_t *id)
{
	int err;

	if (sid < b->p->nstrings && b->comm_name[sid] != NOT_MADE) {
		*id = b->comm_name[sid] - 1;
		return 0;
	}
	profd_strbuf_reset(&b->clean);
	err = fmt_clean_name(&b->clean, fmt_profile__str(b->p, sid));
	err = err ?: intern(b, b->clean.buf, id);
	if (!err && sid < b->p->nstrings)
		b->comm_name[sid] = *id + 1;
	return err;
}

static int cmp_names(const void *a, const void *b, void *arg)
{
	const struct builder *bd = arg;

	return strcmp(bd->names.buf + bd->name_off[*(const uint32_t *)a],
		      bd->names.buf + bd->name_off[*(const uint32_t *)b]);
}

/* Ranks the names in strcmp order and turns the paths' name ids into ranks. */
static int rank_names(struct builder *b)
{
	uint32_t *order = malloc((b->nnames + 1) * sizeof(*order));
	uint32_t *rank = malloc((b->nnames + 1) * sizeof(*rank));

	b->rank_off = malloc((b->nnames + 1) * sizeof(*b->rank_off));
	if (!order || !rank || !b->rank_off) {
		free(order);
		free(rank);
		return -ENOMEM;
	}
	for (uint32_t id = 0; id < b->nnames; id++)
		order[id] = id;
	qsort_r(order, b->nnames, sizeof(*order), cmp_names, b);
	for (uint32_t r = 0; r < b->nnames; r++) {
		rank[order[r]] = r;
		b->rank_off[r] = b->name_off[order[r]];
	}
	for (size_t i = 0; i < b->nframes; i++)
		b->frames[i] = rank[b->frames[i]];
	free(order);
	free(rank);
	return 0;
}

/* ---- paths ---- */

static int push_frame(struct builder *b, uint32_t name, enum fmt_frame_kind kind, bool inlined)
{
	if (b->nframes == b->frames_cap) {
		size_t cap = b->frames_cap ? b->frames_cap * 2 : 4096;
		uint32_t *f = realloc(b->frames, cap * sizeof(*f));
		uint8_t *info;

		if (!f)
			return -ENOMEM;
		b->frames = f;
		info = realloc(b->info, cap);
		if (!info)
			return -ENOMEM;
		b->info = info;
		b->frames_cap = cap;
	}
	b->frames[b->nframes] = name;
	b->info[b->nframes++] = (uint8_t)(kind | (inlined ? INLINED : 0));
	return 0;
}

/* The sample's path: its comm, then its frames root to leaf, inline frames as frames. */
static int add_path(struct builder *b, const struct fmt_sample *s, struct path *path)
{
	const struct fmt_profile *p = b->p;
	enum fmt_frame_kind kind;
	uint32_t name;
	int err = comm_name(b, s->comm, &name);

	path->first = b->nframes;
	path->count = s->count;
	err = err ?: push_frame(b, name, FMT_FRAME_USER, false);
	/* Locations last to first; inside one, the outermost line first. */
	for (uint32_t i = s->nlocs; i-- > 0 && !err;) {
		const struct fmt_location *loc =
			fmt_profile__location(p, p->stack_locs[s->first_loc + i]);

		for (uint32_t j = loc->nlines; j-- > 0 && !err;) {
			err = line_name(b, loc, j, loc->first_line + j, &name, &kind);
			/* All lines but the last of a location are inlined into the next. */
			err = err ?: push_frame(b, name, kind, j + 1 < loc->nlines);
		}
	}
	if (b->nframes - path->first > UINT32_MAX - 1)
		return -E2BIG;
	path->len = (uint32_t)(b->nframes - path->first);
	if (path->len > b->longest)
		b->longest = path->len;
	return err;
}

static int add_paths(struct builder *b, const struct fmt_filter *f)
{
	const struct fmt_profile *p = b->p;
	int err = 0;

	b->paths = malloc((p->nsamples + 1) * sizeof(*b->paths));
	if (!b->paths)
		return -ENOMEM;
	for (size_t i = 0; i < p->nsamples && !err; i++) {
		const struct fmt_sample *s = &p->samples[i];

		if (s->count > 0 && fmt_filter__match(f, p, s))
			err = add_path(b, s, &b->paths[b->npaths++]);
	}
	return err;
}

static int cmp_paths(const void *a, const void *b, void *arg)
{
	const struct path *x = a, *y = b;
	const uint32_t *f = arg, *fx = f + x->first, *fy = f + y->first;
	uint32_t n = x->len < y->len ? x->len : y->len;

	for (uint32_t i = 0; i < n; i++)
		if (fx[i] != fy[i])
			return fx[i] < fy[i] ? -1 : 1;
	return x->len < y->len ? -1 : x->len > y->len;
}

/* ---- the tree, read off the sorted paths ---- */

static int add_node(struct builder *b, uint32_t parent, uint32_t name, uint8_t info,
		    uint32_t *id)
{
	struct fmt_tree *t = b->t;

	if (t->nnodes == b->cap) {
		uint32_t cap = b->cap ? b->cap * 2 : 256;
		struct fmt_tree_node *v;

		if (b->cap >= FMT_TREE_NONE / 2)
			return -E2BIG;
		v = realloc(t->nodes, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		t->nodes = v;
		b->cap = cap;
	}
	t->nodes[t->nnodes] = (struct fmt_tree_node){
		.name = name,
		.parent = parent,
		.kind = info & 3,
		.inlined = info & INLINED,
	};
	*id = t->nnodes++;
	return 0;
}

/*
 * at[d] is the node at depth d of the path before. Where this path leaves it, the rest is new:
 * a sorted path that matched an older node there would sort before the path before.
 */
static int add_sorted_path(struct builder *b, const struct path *path, const struct path *prev,
			   uint32_t *at)
{
	const uint32_t *f = b->frames + path->first;
	uint32_t same = 0;
	int err = 0;

	while (prev && same < path->len && same < prev->len && f[same] == b->frames[prev->first + same])
		same++;
	for (uint32_t d = 0; d < path->len && !err; d++) {
		uint8_t info = b->info[path->first + d];

		if (d < same) {
			struct fmt_tree_node *n = &b->t->nodes[at[d]];

			/* Order-independent merging, so sample order cannot change the picture. */
			if ((info & 3) < n->kind)
				n->kind = info & 3;
			n->inlined = n->inlined && (info & INLINED);
		} else {
			err = add_node(b, d ? at[d - 1] : 0, b->rank_off[f[d]], info, &at[d]);
		}
	}
	if (!err)
		b->t->nodes[at[path->len - 1]].count += path->count;
	return err;
}

/* Each node's count becomes its own plus its descendants': children come after parents. */
static void sum_counts(struct fmt_tree *t)
{
	for (uint32_t i = t->nnodes; i-- > 1;)
		t->nodes[t->nodes[i].parent].count += t->nodes[i].count;
}

/* Gathers each node's children into one slice of t->kids: made in name order, they stay so. */
static int link_kids(struct fmt_tree *t)
{
	uint32_t *fill;

	t->kids = malloc((t->nnodes ? t->nnodes : 1) * sizeof(*t->kids));
	fill = calloc(t->nnodes ? t->nnodes : 1, sizeof(*fill));
	if (!t->kids || !fill) {
		free(fill);
		return -ENOMEM;
	}
	for (uint32_t i = 1; i < t->nnodes; i++)
		t->nodes[t->nodes[i].parent].nkids++;
	for (uint32_t i = 0, at = 0; i < t->nnodes; i++) {
		t->nodes[i].first_kid = at;
		at += t->nodes[i].nkids;
	}
	for (uint32_t i = 1; i < t->nnodes; i++) {
		uint32_t parent = t->nodes[i].parent;

		t->kids[t->nodes[parent].first_kid + fill[parent]++] = i;
	}
	free(fill);
	return 0;
}

static int build(struct builder *b, const struct fmt_tree_opts *o)
{
	const struct fmt_profile *p = b->p;
	uint32_t all, root, *at = NULL;
	int err;

	b->line_name = calloc(p->nlines ? p->nlines : 1, sizeof(*b->line_name));
	b->line_kind = calloc(p->nlines ? p->nlines : 1, sizeof(*b->line_kind));
	b->comm_name = calloc(p->nstrings ? p->nstrings : 1, sizeof(*b->comm_name));
	if (!b->line_name || !b->line_kind || !b->comm_name)
		return -ENOMEM;
	err = intern(b, "all", &all);
	err = err ?: add_paths(b, o ? o->filter : NULL);
	err = err ?: rank_names(b);
	if (err)
		return err;
	qsort_r(b->paths, b->npaths, sizeof(*b->paths), cmp_paths, b->frames);
	at = malloc((b->longest + 1) * sizeof(*at));
	err = at ? add_node(b, FMT_TREE_NONE, b->name_off[all], FMT_FRAME_USER, &root) : -ENOMEM;
	for (size_t i = 0; i < b->npaths && !err; i++)
		err = add_sorted_path(b, &b->paths[i], i ? &b->paths[i - 1] : NULL, at);
	free(at);
	if (err)
		return err;
	sum_counts(b->t);
	b->t->names = profd_strbuf_detach(&b->names, NULL);
	return link_kids(b->t);
}

struct fmt_tree *fmt_tree__new(const struct fmt_profile *p, const struct fmt_tree_opts *o)
{
	struct fmt_tree *t = calloc(1, sizeof(*t));
	struct builder b = {.p = p, .name_opts = {o && o->lines, o && o->full_names}, .t = t};
	int err = t ? build(&b, o) : -ENOMEM;

	profd_htab_release(&b.name_index);
	free(b.name_off);
	free(b.rank_off);
	free(b.line_name);
	free(b.line_kind);
	free(b.comm_name);
	free(b.frames);
	free(b.info);
	free(b.paths);
	profd_strbuf_release(&b.raw);
	profd_strbuf_release(&b.clean);
	profd_strbuf_release(&b.names);
	return err ? PROFD_NEW_FAILED(fmt_tree__free, t, err) : t;
}

void fmt_tree__free(struct fmt_tree *t)
{
	if (!t)
		return;
	free(t->nodes);
	free(t->kids);
	free(t->names);
	free(t);
}

uint32_t fmt_tree__find_kid(const struct fmt_tree *t, uint32_t parent, const char *name)
{
	const uint32_t *kids = t->kids + t->nodes[parent].first_kid;
	size_t lo = 0, hi = t->nodes[parent].nkids;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(fmt_tree__name(t, kids[mid]), name);

		if (c == 0)
			return kids[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return FMT_TREE_NONE;
}
