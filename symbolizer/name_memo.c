// SPDX-License-Identifier: MIT
/*
 * The names of file addresses already resolved, kept across drains. A continuous profile
 * samples the same few thousand addresses window after window; naming them again each time
 * means symbol lookups and, for files with DWARF, reopening libdw (its state is dropped after
 * every drain to keep the footprint down). A hit here touches neither.
 *
 * Entries are keyed by the file's serial (never reused, so a freed file's entries are simply
 * never found again) and the link-time address, and own copies of their strings: a file's
 * symbols and DWARF may be evicted while its names are still in use. Names kept again for an
 * address (their time was up) replace the old ones: one entry per address. The memo is bounded
 * in bytes; when full it starts again empty, and the traffic refills it with what is hot.
 */
#include <stdlib.h>
#include <string.h>

#include "common/hash.h"
#include "symbolizer/symbolizer_internal.h"

struct sym_memo_entry {
	uint64_t serial, address;
	uint64_t valid_until_ns; /* 0: for as long as the file lives */
	size_t bytes;		 /* of the entry and its strings */
	struct sym_memo_names names;
	struct sym_frame frames[]; /* names.nframes of them, their strings after them */
};

static uint64_t key_of(uint64_t serial, uint64_t address)
{
	return profd_hash_combine(profd_hash_u64(serial), address);
}

void sym_name_memo__init(struct sym_name_memo *m, size_t max_bytes)
{
	memset(m, 0, sizeof(*m));
	m->max_bytes = max_bytes;
}

static void free_entries(struct sym_name_memo *m)
{
	for (size_t i = 0; i < m->index.cap; i++)
		if (m->index.vals[i])
			free((void *)(uintptr_t)m->index.vals[i]);
}

void sym_name_memo__clear(struct sym_name_memo *m)
{
	free_entries(m);
	profd_htab_clear(&m->index);
	m->bytes = 0;
}

void sym_name_memo__release(struct sym_name_memo *m)
{
	free_entries(m);
	profd_htab_release(&m->index);
	m->bytes = 0;
}

static struct sym_memo_entry *entry_of(const struct sym_name_memo *m, uint64_t serial,
				       uint64_t address)
{
	size_t pos = PROFD_HTAB_START;
	uint64_t v;

	while ((v = profd_htab_next(&m->index, key_of(serial, address), &pos))) {
		struct sym_memo_entry *e = (void *)(uintptr_t)v;

		if (e->serial == serial && e->address == address)
			return e;
	}
	return NULL;
}

const struct sym_memo_names *sym_name_memo__find(const struct sym_name_memo *m, uint64_t serial,
						  uint64_t address, uint64_t now_ns)
{
	const struct sym_memo_entry *e = entry_of(m, serial, address);

	if (!e || (e->valid_until_ns && now_ns >= e->valid_until_ns))
		return NULL;
	return &e->names;
}

/* The entry an address had, gone before its new names are kept. */
static void forget(struct sym_name_memo *m, uint64_t serial, uint64_t address)
{
	struct sym_memo_entry *e = entry_of(m, serial, address);

	if (!e)
		return;
	profd_htab_del(&m->index, key_of(serial, address), (uintptr_t)e);
	m->bytes -= e->bytes;
	free(e);
}

static size_t str_size(const char *s)
{
	return s ? strlen(s) + 1 : 0;
}

/* Copies s to *at, moving *at past it; NULL stays NULL. */
static const char *copy_str(const char *s, char **at)
{
	char *to = *at;
	size_t n = str_size(s);

	if (!s)
		return NULL;
	memcpy(to, s, n);
	*at += n;
	return to;
}

/* The same string twice (name and system_name most often) is copied once. */
static const char *copy_or_share(const char *s, const char *same, const char *copied, char **at)
{
	return s == same ? copied : copy_str(s, at);
}

static struct sym_memo_entry *entry_new(const struct sym_memo_names *names)
{
	size_t n = names->nframes, bytes = sizeof(struct sym_memo_entry) + n * sizeof(struct sym_frame);
	struct sym_memo_entry *e;
	char *at;

	for (size_t i = 0; i < n; i++) {
		const struct sym_frame *f = &names->frames[i];

		bytes += str_size(f->name) + str_size(f->file);
		if (f->system_name != f->name)
			bytes += str_size(f->system_name);
	}
	e = malloc(bytes);
	if (!e)
		return NULL;
	e->names = *names;
	e->names.frames = e->frames;
	at = (char *)&e->frames[n];
	for (size_t i = 0; i < n; i++) {
		const struct sym_frame *from = &names->frames[i];
		struct sym_frame *to = &e->frames[i];

		*to = *from;
		to->name = copy_str(from->name, &at);
		to->system_name = copy_or_share(from->system_name, from->name, to->name, &at);
		to->file = copy_str(from->file, &at);
	}
	e->bytes = bytes;
	return e;
}

void sym_name_memo__keep(struct sym_name_memo *m, uint64_t serial, uint64_t address,
			 uint64_t valid_until_ns, const struct sym_memo_names *names)
{
	struct sym_memo_entry *e;

	if (!m->max_bytes || !names->nframes)
		return;
	forget(m, serial, address);
	e = entry_new(names);
	if (!e)
		return; /* a memo that cannot grow only costs the next lookup its time */
	e->serial = serial;
	e->address = address;
	e->valid_until_ns = valid_until_ns;
	/* Room in the index first, so that its growth counts against the bound too. */
	if (profd_htab_reserve(&m->index, m->index.n + 1))
		goto drop;
	if (m->bytes + e->bytes + profd_htab_bytes(&m->index) > m->max_bytes) {
		sym_name_memo__clear(m);
		m->restarts++;
	}
	if (e->bytes + profd_htab_bytes(&m->index) > m->max_bytes ||
	    profd_htab_add(&m->index, key_of(serial, address), (uintptr_t)e))
		goto drop;
	m->bytes += e->bytes;
	return;
drop:
	free(e);
}
