// SPDX-License-Identifier: MIT
/*
 * A string arena: snapshots and tables keep many small strings that die together, so they are
 * carved from a few large chunks instead of one malloc each.
 */
#include <stdlib.h>
#include <string.h>

#include "symbolizer/symbolizer_internal.h"

#define CHUNK_MIN 16384

struct sym_arena_chunk {
	struct sym_arena_chunk *next;
	size_t used, cap;
	char data[];
};

char *sym_arena__strndup(struct sym_arena *a, const char *s, size_t len)
{
	struct sym_arena_chunk *c = a->head;
	char *p;

	if (len >= SIZE_MAX / 2)
		return NULL;
	if (!c || c->cap - c->used < len + 1) {
		size_t cap = len + 1 > CHUNK_MIN ? len + 1 : CHUNK_MIN;

		c = malloc(sizeof(*c) + cap);
		if (!c)
			return NULL;
		c->used = 0;
		c->cap = cap;
		/* A big string gets its own chunk behind the current one, which keeps its free space. */
		if (a->head && cap > CHUNK_MIN) {
			c->next = a->head->next;
			a->head->next = c;
		} else {
			c->next = a->head;
			a->head = c;
		}
		a->bytes += sizeof(*c) + cap;
	}
	p = c->data + c->used;
	memcpy(p, s, len);
	p[len] = '\0';
	c->used += len + 1;
	return p;
}

void sym_arena__release(struct sym_arena *a)
{
	struct sym_arena_chunk *c = a->head;

	while (c) {
		struct sym_arena_chunk *next = c->next;

		free(c);
		c = next;
	}
	a->head = NULL;
	a->bytes = 0;
}
