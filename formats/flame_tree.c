// SPDX-License-Identifier: MIT
/*
 * The flame graph's tree (see formats.h), built in one pass over the samples. A frame's name is
 * made and cleaned once per location line and once per comm, not once per sample, and stored
 * once; finding a child is then a lookup of two integers in a table that also keeps the node's
 * kind, and counts are summed once at the end. A profile of 100,000 stacks has millions of
 * frames but only thousands of distinct names.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/hash.h"
#include "common/strbuf.h"
#include "formats/formats.h"
#include "formats/text_internal.h"

#define NAME_SEED 0x9d2c5680
#define NOT_MADE 0 /* line_name and comm_name hold offset + 1 */
#define NODES_PER_SAMPLE 8 /* new frames a sample brings, on whole-machine profiles */

struct builder {
	const struct fmt_profile *p;
	bool lines;
	struct fmt_tree *t;
	uint32_t cap;
	struct slot *node_slots; /* open addressing by (parent, name) */
	size_t node_nslots;	  /* a power of two, at most half full */
	/* The previous sample's path by depth: p->lines entry (or ~comm id) and node. */
	uint32_t *path_line, *path_node;
	uint32_t path_len, path_cap;
	struct profd_strbuf names;
	uint32_t *name_slots; /* the same for names: offset + 1 */
	size_t name_nslots, nnames;
	uint32_t *line_name; /* per entry of p->lines: its frame's name, offset + 1 */
	uint8_t *line_kind;
	uint32_t *comm_name; /* per string id of p, for comms */
	struct profd_strbuf raw, clean;
};

/* ---- names, each stored once ---- */

static uint64_t name_hash(const char *s)
{
	return profd_hash_bytes(s, strlen(s), NAME_SEED);
}

static int grow_name_slots(struct builder *b)
{
	size_t n = b->name_nslots ? b->name_nslots * 2 : 1024;
	uint32_t *slots = calloc(n, sizeof(*slots));

	if (!slots)
		return -ENOMEM;
	for (size_t i = 0; i < b->name_nslots; i++) {
		size_t j;

		if (!b->name_slots[i])
			continue;
		j = name_hash(b->names.buf + b->name_slots[i] - 1) & (n - 1);
		while (slots[j])
			j = (j + 1) & (n - 1);
		slots[j] = b->name_slots[i];
	}
	free(b->name_slots);
	b->name_slots = slots;
	b->name_nslots = n;
	return 0;
}

/* The offset of name s in b->names, adding it if new. */
static int intern(struct builder *b, const char *s, uint32_t *off)
{
	size_t len = strlen(s), j;
	int err;

	if ((b->nnames + 1) * 2 > b->name_nslots && (err = grow_name_slots(b)))
		return err;
	for (j = name_hash(s) & (b->name_nslots - 1); b->name_slots[j];
	     j = (j + 1) & (b->name_nslots - 1)) {
		if (strcmp(b->names.buf + b->name_slots[j] - 1, s) == 0) {
			*off = b->name_slots[j] - 1;
			return 0;
		}
	}
	if (b->names.len + len + 1 >= UINT32_MAX)
		return -E2BIG;
	*off = (uint32_t)b->names.len;
	/* The strbuf keeps a NUL after its bytes: copy it too, as the separator. */
	err = profd_strbuf_append(&b->names, s, len + 1);
	if (err)
		return err;
	b->name_slots[j] = *off + 1;
	b->nnames++;
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

/* Line j of loc, whose entry in p->lines is li: its name and kind, made on first use. */
static int line_name(struct builder *b, const struct fmt_location *loc, uint32_t j, uint32_t li,
		     uint32_t *off, enum fmt_frame_kind *kind)
{
	enum fmt_frame_kind k;
	int err;

	if (b->line_name[li] != NOT_MADE) {
		*off = b->line_name[li] - 1;
		*kind = b->line_kind[li];
		return 0;
	}
	profd_strbuf_reset(&b->raw);
	profd_strbuf_reset(&b->clean);
	err = fmt_frame_name(b->p, loc, j, b->lines, &b->raw);
	err = err ?: fmt_clean_name(&b->clean, b->raw.buf);
	err = err ?: intern(b, b->clean.buf, off);
	if (err)
		return err;
	k = location_kind(b->p, loc);
	if (k == FMT_FRAME_USER && is_unknown_name(b->clean.buf))
		k = FMT_FRAME_UNKNOWN;
	b->line_name[li] = *off + 1;
	b->line_kind[li] = (uint8_t)k;
	*kind = k;
	return 0;
}

static int comm_name(struct builder *b, uint32_t id, uint32_t *off)
{
	const char *comm = fmt_profile__str(b->p, id);
	int err;

	if (id < b->p->nstrings && b->comm_name[id] != NOT_MADE) {
		*off = b->comm_name[id] - 1;
		return 0;
	}
	profd_strbuf_reset(&b->clean);
	err = fmt_clean_name(&b->clean, comm);
	err = err ?: intern(b, b->clean.buf, off);
	if (!err && id < b->p->nstrings)
		b->comm_name[id] = *off + 1;
	return err;
}

/* ---- nodes ---- */

/*
 * A node's entry in the lookup table: its key (parent, name), its index + 1 (0: empty), and its
 * kind and inline flag as merged so far. A lookup reads one entry and never the node, and
 * counts go to the leaf of each sample only (see sum_counts()): millions of frames, one random
 * memory access each.
 */
struct slot {
	uint64_t key;
	uint32_t id;
	uint8_t kind;
	bool inlined;
};

static uint64_t node_key(uint32_t parent, uint32_t name)
{
	return (uint64_t)parent << 32 | name;
}

/* A table for about `nodes` nodes; it grows (doubles) if the guess was short. */
static size_t table_size(size_t nodes)
{
	size_t n = 1024;

	while (n < 2 * nodes && n < ((size_t)1 << 26))
		n *= 2;
	return n;
}

static int grow_node_slots(struct builder *b)
{
	size_t n = b->node_nslots ? b->node_nslots * 2
				  : table_size(NODES_PER_SAMPLE * b->p->nsamples);
	/* Written at once rather than calloc'd: a zeroed mapping would fault twice per page. */
	struct slot *slots = malloc(n * sizeof(*slots));

	if (!slots)
		return -ENOMEM;
	memset(slots, 0, n * sizeof(*slots));
	for (size_t i = 0; i < b->node_nslots; i++) {
		size_t j;

		if (!b->node_slots[i].id)
			continue;
		j = profd_hash_u64(b->node_slots[i].key) & (n - 1);
		while (slots[j].id)
			j = (j + 1) & (n - 1);
		slots[j] = b->node_slots[i];
	}
	free(b->node_slots);
	b->node_slots = slots;
	b->node_nslots = n;
	return 0;
}

static int add_node(struct builder *b, uint32_t parent, uint32_t name, uint32_t *id)
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
	t->nodes[t->nnodes] = (struct fmt_tree_node){.name = name, .parent = parent};
	*id = t->nnodes++;
	return 0;
}

/* Finds or adds the child of parent called name. */
static int child(struct builder *b, uint32_t parent, uint32_t name, enum fmt_frame_kind kind,
		 bool inlined, uint32_t *id)
{
	uint64_t key = node_key(parent, name);
	struct slot *s;
	size_t j;
	int err;

	if (((size_t)b->t->nnodes + 1) * 2 > b->node_nslots && (err = grow_node_slots(b)))
		return err;
	for (j = profd_hash_u64(key) & (b->node_nslots - 1); b->node_slots[j].id;
	     j = (j + 1) & (b->node_nslots - 1)) {
		s = &b->node_slots[j];
		if (s->key != key)
			continue;
		/* Order-independent merging, so sample order cannot change the picture. */
		if (kind < s->kind)
			s->kind = (uint8_t)kind;
		s->inlined = s->inlined && inlined;
		*id = s->id - 1;
		return 0;
	}
	err = add_node(b, parent, name, id);
	if (!err)
		b->node_slots[j] = (struct slot){
			.key = key, .id = *id + 1, .kind = (uint8_t)kind, .inlined = inlined};
	return err;
}

/*
 * The kinds and flags merged in the table go to the nodes; each node's count becomes its own
 * plus its descendants', children (made after their parents) first.
 */
static void sum_counts(struct builder *b)
{
	struct fmt_tree *t = b->t;

	for (size_t j = 0; j < b->node_nslots; j++) {
		const struct slot *s = &b->node_slots[j];

		if (s->id) {
			t->nodes[s->id - 1].kind = s->kind;
			t->nodes[s->id - 1].inlined = s->inlined;
		}
	}
	for (uint32_t i = t->nnodes; i-- > 1;)
		t->nodes[t->nodes[i].parent].count += t->nodes[i].count;
}

/* Remembers that depth d of this sample is node id, made from key (a line, or ~comm). */
static int remember(struct builder *b, uint32_t d, uint32_t key, uint32_t id)
{
	if (d >= b->path_cap) {
		uint32_t cap = b->path_cap ? b->path_cap * 2 : 256;
		uint32_t *line = realloc(b->path_line, cap * sizeof(*line)), *node;

		if (!line)
			return -ENOMEM;
		b->path_line = line;
		node = realloc(b->path_node, cap * sizeof(*node));
		if (!node)
			return -ENOMEM;
		b->path_node = node;
		b->path_cap = cap;
	}
	b->path_line[d] = key;
	b->path_node[d] = id;
	b->path_len = d + 1;
	return 0;
}

/*
 * One sample, root to leaf. Where it starts like the previous sample (same comm, same location
 * lines: sorted folded files and pprof files share long prefixes) the nodes are the same, so
 * only the counts change.
 */
static int add_sample(struct builder *b, const struct fmt_sample *s)
{
	const struct fmt_profile *p = b->p;
	struct fmt_tree *t = b->t;
	bool same = b->path_len && b->path_line[0] == ~s->comm;
	uint32_t cur, name, d = 1;
	enum fmt_frame_kind kind;
	int err = 0;

	if (same) {
		cur = b->path_node[0];
	} else {
		err = comm_name(b, s->comm, &name);
		err = err ?: child(b, 0, name, FMT_FRAME_USER, false, &cur);
		err = err ?: remember(b, 0, ~s->comm, cur);
		if (err)
			return err;
	}
	for (uint32_t i = s->nlocs; i-- > 0;) {
		const struct fmt_location *loc =
			fmt_profile__location(p, p->stack_locs[s->first_loc + i]);

		/* Inside a location the outermost line first. */
		for (uint32_t j = loc->nlines; j-- > 0; d++) {
			uint32_t li = loc->first_line + j;

			same = same && d < b->path_len && b->path_line[d] == li;
			if (same) {
				cur = b->path_node[d];
			} else {
				err = line_name(b, loc, j, li, &name, &kind);
				/* All lines but the last of a location are inlined into the next. */
				err = err ?: child(b, cur, name, kind, j + 1 < loc->nlines, &cur);
				err = err ?: remember(b, d, li, cur);
				if (err)
					return err;
			}
		}
	}
	b->path_len = d;
	t->nodes[cur].count += s->count; /* the leaf's own; sum_counts() adds up the rest */
	return 0;
}

/* ---- children, sorted ---- */

static int cmp_kids(const void *a, const void *b, void *arg)
{
	const struct fmt_tree *t = arg;

	return strcmp(fmt_tree__name(t, *(const uint32_t *)a), fmt_tree__name(t, *(const uint32_t *)b));
}

/* Gathers each node's children into one sorted slice of t->kids. */
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
	for (uint32_t i = 0; i < t->nnodes; i++) {
		if (t->nodes[i].nkids > 1)
			qsort_r(t->kids + t->nodes[i].first_kid, t->nodes[i].nkids,
				sizeof(*t->kids), cmp_kids, t);
	}
	return 0;
}

/* ---- the tree ---- */

static int build(struct builder *b, const struct fmt_tree_opts *o)
{
	const struct fmt_profile *p = b->p;
	uint32_t root, all;
	int err;

	b->line_name = calloc(p->nlines ? p->nlines : 1, sizeof(*b->line_name));
	b->line_kind = calloc(p->nlines ? p->nlines : 1, sizeof(*b->line_kind));
	b->comm_name = calloc(p->nstrings ? p->nstrings : 1, sizeof(*b->comm_name));
	if (!b->line_name || !b->line_kind || !b->comm_name)
		return -ENOMEM;
	err = intern(b, "all", &all);
	err = err ?: add_node(b, FMT_TREE_NONE, all, &root);
	for (size_t i = 0; i < p->nsamples && !err; i++) {
		const struct fmt_sample *s = &p->samples[i];

		if (s->count > 0 && fmt_filter__match(o ? o->filter : NULL, p, s))
			err = add_sample(b, s);
	}
	if (err)
		return err;
	sum_counts(b);
	b->t->names = profd_strbuf_detach(&b->names, NULL);
	return link_kids(b->t);
}

struct fmt_tree *fmt_tree__new(const struct fmt_profile *p, const struct fmt_tree_opts *o)
{
	struct fmt_tree *t = calloc(1, sizeof(*t));
	struct builder b = {.p = p, .lines = o && o->lines, .t = t};
	int err = t ? build(&b, o) : -ENOMEM;

	free(b.node_slots);
	free(b.path_line);
	free(b.path_node);
	free(b.name_slots);
	free(b.line_name);
	free(b.line_kind);
	free(b.comm_name);
	profd_strbuf_release(&b.raw);
	profd_strbuf_release(&b.clean);
	profd_strbuf_release(&b.names);
	if (err) {
		fmt_tree__free(t);
		errno = -err;
		return NULL;
	}
	return t;
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
