// SPDX-License-Identifier: MIT
/*
 * The push spool: windows the backend could not take yet, one gzip pprof file each, in a window
 * folder bounded in bytes and files (the oldest go first, counted). Used by the push thread only.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/new.h"
#include "store/store_internal.h"

#define SPOOL_SUFFIX ".pb.gz"
#define SPOOL_FILES_MAX 65536 /* bounds the index too: 18 hours of 1 s windows */
#define GZIP_MIN 18	      /* header and trailer */

struct store_spool {
	struct store_folder folder;
	uint64_t max_bytes;
	uint64_t damaged;
	bool warned; /* about a damaged file: the next ones are only counted */
};

/* The oldest goes: it was sent, dropped for room, or damaged. */
static void remove_oldest(struct store_spool *s)
{
	int err = store_folder__remove(&s->folder, 0);

	if (err) {
		pr_warn_once("push: spool %s: cannot remove a window: %s", s->folder.dir,
			     strerror(-err));
		store_folder__forget(&s->folder, 0);
	}
}

/* Removes the oldest windows until bytes and files more fit the bounds; returns how many. */
static int make_room(struct store_spool *s, uint64_t bytes, size_t files)
{
	struct store_folder *f = &s->folder;
	int removed = 0;

	while (store_folder__count(f) && (f->bytes + bytes > s->max_bytes ||
					  store_folder__count(f) + files > SPOOL_FILES_MAX)) {
		remove_oldest(s);
		removed++;
	}
	return removed;
}

struct store_spool *store_spool__open(const char *dir, uint64_t max_bytes)
{
	struct store_folder_opts o = {
		.dir = dir,
		.suffix = SPOOL_SUFFIX,
		.padded = true,
		.writable = true,
	};
	struct store_spool *s = calloc(1, sizeof(*s));
	int err;

	if (!s)
		return NULL;
	s->max_bytes = max_bytes ? max_bytes : STORE_PUSH_SPOOL_BYTES;
	err = store_folder__open(&s->folder, &o);
	return err ? PROFD_NEW_FAILED(store_spool__free, s, err) : s;
}

void store_spool__free(struct store_spool *s)
{
	if (!s)
		return;
	store_folder__release(&s->folder);
	free(s);
}

const char *store_spool__dir(const struct store_spool *s)
{
	return s->folder.dir;
}

int store_spool__scan(struct store_spool *s)
{
	int err = store_folder__scan(&s->folder);

	return err ? err : make_room(s, 0, 0);
}

int store_spool__add(struct store_spool *s, int64_t start_ns, int64_t end_ns, const void *buf,
		     size_t len)
{
	int dropped, err;

	if (len > s->max_bytes)
		return 1;
	dropped = make_room(s, len, 1);
	err = store_folder__add(&s->folder, start_ns, end_ns, buf, len);
	if (err) {
		pr_warn_once("push: spool %s: cannot write a window: %s (window dropped)",
			     s->folder.dir, strerror(-err));
		return dropped + 1;
	}
	return dropped;
}

/* A gzip file at least as long as gzip's header and trailer. */
static bool is_gzip(const uint8_t *b, size_t len)
{
	return len >= GZIP_MIN && b[0] == 0x1f && b[1] == 0x8b;
}

int store_spool__oldest(struct store_spool *s, int64_t *start_ns, int64_t *end_ns, void **buf,
			size_t *len)
{
	const struct store_window *w;
	uint8_t *b;
	int err;

	if (!store_folder__count(&s->folder))
		return -ENOENT;
	w = store_folder__at(&s->folder, 0);
	err = store_folder__read(&s->folder, 0, &b, len);
	if (!err && !is_gzip(b, *len)) {
		free(b);
		err = -EBADMSG;
	}
	if (!err) {
		*start_ns = w->start_ns;
		*end_ns = w->end_ns;
		*buf = b;
		return 0;
	}
	if (err == -ENOMEM)
		return err;
	if (err != -ENOENT) { /* ENOENT: removed by hand, nothing to report */
		char name[64];

		s->damaged++;
		store_folder__name(&s->folder, w->start_ns, w->end_ns, name, sizeof(name));
		if (!s->warned)
			pr_warn("push: spool %s: %s: %s (removed; more are only counted)",
				s->folder.dir, name, strerror(-err));
		s->warned = true;
	}
	remove_oldest(s);
	return -EBADMSG;
}

void store_spool__pop(struct store_spool *s)
{
	if (store_folder__count(&s->folder))
		remove_oldest(s);
}

void store_spool__stats(const struct store_spool *s, size_t *files, uint64_t *bytes,
			uint64_t *damaged)
{
	*files = store_folder__count(&s->folder);
	*bytes = s->folder.bytes;
	*damaged = s->damaged;
}
