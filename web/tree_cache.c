// SPDX-License-Identifier: MIT
/*
 * The last trees /api/tree built, by what they were built from (the source's generation and the
 * query). Zooming past the tree's detail asks for one frame's subtree of the same tree, and a
 * saved profile's tree never changes: both then cost an encoding, not a collect and a build
 * (0.3 s and more for a machine-wide profile of a million frames).
 *
 * Trees are shared read-only between server threads; a reference count keeps one alive while a
 * request encodes it, and the least recently used unreferenced one makes room for the next.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "web/web_internal.h"

#define SLOTS 4
#define MAX_NODES (4u << 20) /* all cached trees together: about 150 MB at most */

struct slot {
	char key[WEB_TREE_KEY];
	struct fmt_tree *t;
	unsigned refs;
	uint64_t used;
};

struct web_tree_cache {
	pthread_mutex_t lock;
	struct slot slots[SLOTS];
	uint64_t clock;
};

struct web_tree_cache *web_tree_cache__new(void)
{
	struct web_tree_cache *c = calloc(1, sizeof(*c));

	if (c)
		pthread_mutex_init(&c->lock, NULL);
	return c;
}

void web_tree_cache__free(struct web_tree_cache *c)
{
	if (!c)
		return;
	for (int i = 0; i < SLOTS; i++)
		fmt_tree__free(c->slots[i].t);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

struct fmt_tree *web_tree_cache__get(struct web_tree_cache *c, const char *key)
{
	struct fmt_tree *t = NULL;

	if (!c)
		return NULL;
	pthread_mutex_lock(&c->lock);
	for (int i = 0; i < SLOTS && !t; i++) {
		struct slot *s = &c->slots[i];

		if (s->t && !strcmp(s->key, key)) {
			s->refs++;
			s->used = ++c->clock;
			t = s->t;
		}
	}
	pthread_mutex_unlock(&c->lock);
	return t;
}

static size_t cached_nodes(const struct web_tree_cache *c)
{
	size_t n = 0;

	for (int i = 0; i < SLOTS; i++)
		n += c->slots[i].t ? c->slots[i].t->nnodes : 0;
	return n;
}

/* The least recently used tree nobody holds, freed: its slot, or NULL. */
static struct slot *evict(struct web_tree_cache *c)
{
	struct slot *victim = NULL;

	for (int i = 0; i < SLOTS; i++) {
		struct slot *s = &c->slots[i];

		if (s->t && !s->refs && (!victim || s->used < victim->used))
			victim = s;
	}
	if (victim) {
		fmt_tree__free(victim->t);
		victim->t = NULL;
	}
	return victim;
}

static struct slot *free_slot(struct web_tree_cache *c)
{
	for (int i = 0; i < SLOTS; i++)
		if (!c->slots[i].t)
			return &c->slots[i];
	return evict(c);
}

void web_tree_cache__put(struct web_tree_cache *c, const char *key, struct fmt_tree *t)
{
	struct slot *s = NULL;

	if (!c || strlen(key) >= WEB_TREE_KEY || t->nnodes > MAX_NODES)
		return;
	pthread_mutex_lock(&c->lock);
	while (cached_nodes(c) + t->nnodes > MAX_NODES && evict(c))
		;
	if (cached_nodes(c) + t->nnodes <= MAX_NODES)
		s = free_slot(c);
	if (s) {
		strcpy(s->key, key);
		s->t = t;
		s->refs = 1;
		s->used = ++c->clock;
	}
	pthread_mutex_unlock(&c->lock);
}

void web_tree_cache__release(struct web_tree_cache *c, struct fmt_tree *t)
{
	bool cached = false;

	if (!t)
		return;
	if (c) {
		pthread_mutex_lock(&c->lock);
		for (int i = 0; i < SLOTS && !cached; i++) {
			if (c->slots[i].t == t) {
				c->slots[i].refs--;
				cached = true;
			}
		}
		pthread_mutex_unlock(&c->lock);
	}
	if (!cached)
		fmt_tree__free(t);
}
