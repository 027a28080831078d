// SPDX-License-Identifier: MIT
/*
 * /api/tree: the flame graph's tree (fmt_tree) as compact JSON, for the page to draw on a canvas
 * instead of loading an SVG of every frame.
 *
 *   {"total": samples at the root, "stride": 4 (5 in a diff), "detail": D,
 *    "base_total": samples of the base (diff only), "focus": index of the focused node,
 *    "nodes": [name, count, nkids, flags(, base count)] per node,
 *    "names": [...]}
 *
 * Nodes come in pre-order, children in name order, so a node's children follow it and the page
 * rebuilds the tree in one pass. name indexes "names" (each name once); flags are the frame kind
 * (bits 0-1), inlined (4), and "some children left out" (8).
 *
 * A frame is sent when count * detail >= its reference's count: the root's, or with focus= the
 * focused frame's, whose ancestors then come with it, one child each. Frames left out are too
 * narrow to see at the width the page asked for (detail is pixels times ten, for 0.1 px, times
 * the zoom it allows before asking again), and dropping them keeps a machine-wide profile of
 * millions of frames to what can be drawn.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/hash.h"
#include "web/web_internal.h"

#define DEFAULT_DETAIL 24000 /* 1200 px, 0.1 px, zoom x2: what the page asks for */
#define MAX_DETAIL 100000000
#define FLAG_INLINED 4
#define FLAG_PARTIAL 8

struct enc {
	const struct fmt_tree *t;
	const struct fmt_tree *base;
	struct profd_strbuf *sb;
	int64_t detail;
	uint32_t *slots; /* name offset + 1 -> index into order (open addressing, in pairs) */
	size_t nslots;
	uint32_t *order; /* name offsets by index */
	uint32_t nnames;
	size_t nout;
};

static int put_int(struct profd_strbuf *sb, int64_t v)
{
	char buf[24], *p = buf + sizeof(buf);
	uint64_t u = v < 0 ? -(uint64_t)v : (uint64_t)v;

	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		*--p = '-';
	return profd_strbuf_append(sb, p, (size_t)(buf + sizeof(buf) - p));
}

static int grow_names(struct enc *e)
{
	size_t n = e->nslots ? e->nslots * 2 : 1024;
	uint32_t *slots = calloc(n * 2, sizeof(*slots));
	uint32_t *order = realloc(e->order, n / 2 * sizeof(*order));

	if (!slots || !order) {
		free(slots);
		if (order)
			e->order = order;
		return -ENOMEM;
	}
	e->order = order;
	for (uint32_t i = 0; i < e->nnames; i++) {
		size_t j = profd_hash_u64(e->order[i]) & (n - 1);

		while (slots[2 * j])
			j = (j + 1) & (n - 1);
		slots[2 * j] = e->order[i] + 1;
		slots[2 * j + 1] = i;
	}
	free(e->slots);
	e->slots = slots;
	e->nslots = n;
	return 0;
}

/* The index of the name at offset off in "names", adding it if new. */
static int name_index(struct enc *e, uint32_t off, uint32_t *idx)
{
	size_t j;
	int err;

	if ((e->nnames + 1) * 2 > e->nslots && (err = grow_names(e)))
		return err;
	for (j = profd_hash_u64(off) & (e->nslots - 1); e->slots[2 * j];
	     j = (j + 1) & (e->nslots - 1)) {
		if (e->slots[2 * j] == off + 1) {
			*idx = e->slots[2 * j + 1];
			return 0;
		}
	}
	e->slots[2 * j] = off + 1;
	e->slots[2 * j + 1] = *idx = e->nnames;
	e->order[e->nnames++] = off;
	return 0;
}

static bool wide_enough(const struct enc *e, int64_t count, int64_t ref)
{
	return e->detail <= 0 || (double)count * (double)e->detail >= (double)ref;
}

static int put_node(struct enc *e, uint32_t i, uint32_t nkids, bool partial, uint32_t base)
{
	const struct fmt_tree_node *n = &e->t->nodes[i];
	int flags = n->kind | (n->inlined ? FLAG_INLINED : 0) | (partial ? FLAG_PARTIAL : 0);
	uint32_t name;
	int err = name_index(e, n->name, &name);

	err = err ?: profd_strbuf_puts(e->sb, e->nout++ ? "," : "");
	err = err ?: put_int(e->sb, name);
	err = err ?: profd_strbuf_puts(e->sb, ",");
	err = err ?: put_int(e->sb, n->count);
	err = err ?: profd_strbuf_puts(e->sb, ",");
	err = err ?: put_int(e->sb, nkids);
	err = err ?: profd_strbuf_puts(e->sb, ",");
	err = err ?: put_int(e->sb, flags);
	if (e->base) {
		err = err ?: profd_strbuf_puts(e->sb, ",");
		err = err ?: put_int(e->sb, base == FMT_TREE_NONE ? 0 : e->base->nodes[base].count);
	}
	return err;
}

/* The node in base at the same path as kid (a child of the node matched by base_parent). */
static uint32_t base_match(const struct enc *e, uint32_t base_parent, uint32_t kid)
{
	if (!e->base || base_parent == FMT_TREE_NONE)
		return FMT_TREE_NONE;
	return fmt_tree__find_kid(e->base, base_parent, fmt_tree__name(e->t, kid));
}

/* from and everything under it wide enough next to ref, in pre-order. */
static int put_subtree(struct enc *e, uint32_t from, uint32_t base_from, int64_t ref)
{
	const struct fmt_tree *t = e->t;
	uint32_t (*stack)[2] = malloc((size_t)t->nnodes * sizeof(*stack));
	size_t top = 0;
	int err = 0;

	if (!stack)
		return -ENOMEM;
	stack[top][0] = from;
	stack[top++][1] = base_from;
	while (top && !err) {
		uint32_t i = stack[--top][0], b = stack[top][1], kept = 0;
		const struct fmt_tree_node *n = &t->nodes[i];

		for (uint32_t k = 0; k < n->nkids; k++)
			kept += wide_enough(e, t->nodes[t->kids[n->first_kid + k]].count, ref);
		err = put_node(e, i, kept, kept < n->nkids, b);
		for (uint32_t k = n->nkids; k-- > 0 && !err;) {
			uint32_t kid = t->kids[n->first_kid + k];

			if (!wide_enough(e, t->nodes[kid].count, ref))
				continue;
			stack[top][0] = kid;
			stack[top++][1] = base_match(e, b, kid);
		}
	}
	free(stack);
	return err;
}

/* The root down to focus's parent, one child each; *base_focus is focus's match in base. */
static int put_ancestors(struct enc *e, uint32_t focus, uint32_t *base_focus)
{
	const struct fmt_tree *t = e->t;
	uint32_t depth = 0, *path, b = e->base ? 0 : FMT_TREE_NONE;
	int err = 0;

	for (uint32_t i = focus; i; i = t->nodes[i].parent)
		depth++;
	path = malloc((depth + 1) * sizeof(*path));
	if (!path)
		return -ENOMEM;
	for (uint32_t i = focus, d = depth; ; i = t->nodes[i].parent) {
		path[d] = i;
		if (!d--)
			break;
	}
	for (uint32_t d = 0; d < depth && !err; d++) {
		err = put_node(e, path[d], 1, t->nodes[path[d]].nkids > 1, b);
		b = base_match(e, b, path[d + 1]);
	}
	*base_focus = b;
	free(path);
	return err;
}

static int put_names(struct enc *e)
{
	int err = profd_strbuf_puts(e->sb, "],\"names\":[");

	for (uint32_t i = 0; i < e->nnames && !err; i++) {
		err = i ? profd_strbuf_puts(e->sb, ",") : 0;
		err = err ?: web_json_str(e->sb, e->t->names + e->order[i]);
	}
	return err ?: profd_strbuf_puts(e->sb, "]}");
}

int web_tree_json(const struct fmt_tree *t, const struct web_tree_opts *o, struct profd_strbuf *sb)
{
	struct enc e = {.t = t, .base = o->base, .sb = sb, .detail = o->detail};
	uint32_t focus = o->focus < t->nnodes ? o->focus : 0, base_focus = o->base ? 0 : FMT_TREE_NONE;
	uint32_t depth = 0;
	int err;

	for (uint32_t i = focus; i; i = t->nodes[i].parent)
		depth++;
	err = profd_strbuf_printf(sb, "{\"total\":%lld,\"stride\":%d,\"detail\":%lld,",
				  (long long)t->nodes[0].count, o->base ? 5 : 4, (long long)o->detail);
	if (!err && o->base)
		err = profd_strbuf_printf(sb, "\"base_total\":%lld,", (long long)o->base->nodes[0].count);
	if (!err && focus)
		err = profd_strbuf_printf(sb, "\"focus\":%u,", depth);
	err = err ?: profd_strbuf_puts(sb, "\"nodes\":[");
	if (!err && focus)
		err = put_ancestors(&e, focus, &base_focus);
	err = err ?: put_subtree(&e, focus, base_focus, t->nodes[focus].count);
	err = err ?: put_names(&e);
	free(e.slots);
	free(e.order);
	return err;
}

uint32_t web_tree_find_path(const struct fmt_tree *t, const char *path, size_t len)
{
	char *copy = strndup(path, len), *name, *save = NULL;
	uint32_t at = 0;

	if (!copy)
		return FMT_TREE_NONE;
	for (name = strtok_r(copy, ";", &save); name && at != FMT_TREE_NONE;
	     name = strtok_r(NULL, ";", &save))
		at = fmt_tree__find_kid(t, at, name);
	free(copy);
	return at;
}

/* ---- the route ---- */

struct tree_query {
	struct web_query q;
	struct web_range a, b; /* a diff: b against a */
	bool diff;
	uint64_t detail;
	const char *focus; /* NULL: the whole tree */
};

static int parse(const struct web_request *rq, struct web_reply *rp, struct tree_query *tq)
{
	int ra, rb;

	tq->detail = DEFAULT_DETAIL;
	tq->focus = NULL;
	if (web_query_parse(rq, rp, &tq->q) ||
	    web_param_uint(rq, rp, "detail", 1, MAX_DETAIL, &tq->detail) < 0 ||
	    web_param_text(rq, rp, "focus", WEB_MAX_PARAM_LEN, &tq->focus) < 0)
		return -EINVAL;
	ra = web_param_range(rq, rp, "a", &tq->a);
	rb = ra < 0 ? ra : web_param_range(rq, rp, "b", &tq->b);
	if (ra < 0 || rb < 0)
		return -EINVAL;
	if (ra != rb)
		return web_reply_error(rp, 400, "%s: missing; a diff needs a= and b=", ra ? "b" : "a");
	tq->diff = ra;
	if (tq->diff && tq->q.ranged)
		return web_reply_error(rp, 400, "from/to: a diff takes its ranges from a= and b=");
	return 0;
}

/* What a tree is built from: the samples' generation, and the query's filter and range. */
static void tree_key(char *key, const struct tree_query *tq, const struct web_range *range,
		     uint64_t generation)
{
	const struct web_query *q = &tq->q;
	const char *c = q->filter.comm, *g = q->filter.cgroup;
	int n = snprintf(key, WEB_TREE_KEY, "g%llu t%d p%u l%d f%d ", (unsigned long long)generation,
			 (int)q->type, q->filter.pid, q->lines, q->full_names);

	if (range)
		n += snprintf(key + n, WEB_TREE_KEY - n, "r%.6f-%.6f", range->from, range->to);
	else if (q->wall)
		n += snprintf(key + n, WEB_TREE_KEY - n, "w%lld-%lld", (long long)q->from_ns,
			      (long long)q->to_ns);
	else if (q->ranged)
		n += snprintf(key + n, WEB_TREE_KEY - n, "r%.6f-%.6f", q->range.from, q->range.to);
	/* Lengths first: no comm and cgroup pair can spell another's. */
	snprintf(key + n, WEB_TREE_KEY - n, " c%zu:%s g%zu:%s", c ? strlen(c) : 0, c ? c : "",
		 g ? strlen(g) : 0, g ? g : "");
}

/*
 * The tree of range (NULL: the query's own range), from the server's cache or built now; NULL
 * with a reply set. Release it with web_tree_cache__release().
 */
static struct fmt_tree *tree_of(const struct web_request *rq, struct web_reply *rp,
				const struct tree_query *tq, const struct web_range *range,
				uint64_t generation)
{
	struct fmt_tree_opts o = {.lines = tq->q.lines, .full_names = tq->q.full_names};
	char key[WEB_TREE_KEY];
	struct fmt_profile *p;
	struct fmt_tree *t;

	tree_key(key, tq, range, generation);
	t = web_tree_cache__get(rq->trees, key);
	if (t)
		return t;
	p = range ? web_collect(rq, rp, tq->q.type, range, &tq->q.filter)
		  : web_collect_query(rq, rp, &tq->q);
	if (!p)
		return NULL;
	t = fmt_tree__new(p, &o);
	fmt_profile__free(p);
	if (!t) {
		web_reply_error(rp, 500, "out of memory");
		return NULL;
	}
	web_tree_cache__put(rq->trees, key, t);
	return t;
}

int web_api_tree(const struct web_request *rq, struct web_reply *rp)
{
	struct profd_strbuf sb = {0};
	struct web_tree_opts o = {0};
	struct fmt_tree *t = NULL, *base = NULL;
	struct web_status st = {0};
	struct tree_query tq;
	int err;

	if (parse(rq, rp, &tq))
		return -EINVAL;
	if (web_reply_unchanged(rq, rp))
		return 0;
	/* A status that cannot be read leaves generation 0: the cache is then only a cache. */
	rq->src->status(rq->src->ctx, &st);
	if (tq.diff)
		base = tree_of(rq, rp, &tq, &tq.a, st.generation);
	if (!tq.diff || base)
		t = tree_of(rq, rp, &tq, tq.diff ? &tq.b : NULL, st.generation);
	if (!t) {
		web_tree_cache__release(rq->trees, base);
		return -EIO;
	}
	o.base = base;
	o.detail = (int64_t)tq.detail;
	o.focus = tq.focus ? web_tree_find_path(t, tq.focus, strlen(tq.focus)) : 0;
	err = o.focus == FMT_TREE_NONE ? -ENOENT : web_tree_json(t, &o, &sb);
	web_tree_cache__release(rq->trees, t);
	web_tree_cache__release(rq->trees, base);
	if (err) {
		profd_strbuf_release(&sb);
		return err == -ENOENT ? web_reply_error(rp, 404, "focus: no frame at that path")
				      : web_reply_error(rp, 500, "out of memory");
	}
	err = web_reply_strbuf(rp, &sb, "application/json");
	return err ?: web_reply_compress(rq, rp);
}
