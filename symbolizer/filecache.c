// SPDX-License-Identifier: MIT
/*
 * Files cached by identity (device, inode, size, mtime), never by pid: one libc is parsed once
 * for every process that maps it, and a binary replaced in place is a new file.
 *
 * Memory is bounded by bytes, not entries: when the cache holds more than max_bytes, symbol
 * tables, DWARF and function starts from CFI are evicted from the least recently used end. A
 * file that processes still map keeps its segments and build-id (normalization works without
 * the symbols) and what was evicted is read again on the next lookup; a file nobody maps is
 * freed entirely.
 *
 * A file nobody maps is also freed once no lookup has used it for SYM_IDLE_BATCHES batches
 * (drains): a host's programs come and go (builds, tests, upgrades), and the cache is then held
 * at what is in use instead of filling slowly to its bound with what is gone.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/array.h"
#include "common/hash.h"
#include "common/htab.h"
#include "common/log.h"
#include "symbolizer/symbolizer_internal.h"
#include "symbolizer/unwind_table_internal.h"

#define FILES_MIN 256

void sym_file_id__from_stat(struct sym_file_id *id, const struct stat *st)
{
	*id = (struct sym_file_id){
		.dev = st->st_dev,
		.ino = st->st_ino,
		.size = (uint64_t)st->st_size,
		.mtime_sec = st->st_mtim.tv_sec,
		.mtime_nsec = st->st_mtim.tv_nsec,
	};
}

bool sym_file_id__equal(const struct sym_file_id *a, const struct sym_file_id *b)
{
	return a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
	       a->mtime_sec == b->mtime_sec && a->mtime_nsec == b->mtime_nsec;
}

static uint64_t id_hash(const struct sym_file_id *id)
{
	uint64_t h = profd_hash_u64(id->dev);

	h = profd_hash_combine(h, id->ino);
	h = profd_hash_combine(h, id->size);
	h = profd_hash_combine(h, (uint64_t)id->mtime_sec);
	return profd_hash_combine(h, (uint64_t)id->mtime_nsec);
}

/*
 * The largest symbol table one file may have: a guard against corrupt or hostile sizes, not
 * the cache budget. A budget smaller than one table still works: the table in use is spared
 * and the others are evicted.
 */
size_t sym_filecache__file_limit(const struct sym_filecache *fc)
{
	return fc->max_bytes > SYM_FILE_BYTES_MAX ? fc->max_bytes : SYM_FILE_BYTES_MAX;
}

int sym_filecache__init(struct sym_filecache *fc, size_t max_bytes)
{
	memset(fc, 0, sizeof(*fc));
	if (profd_htab_reserve(&fc->by_id, FILES_MIN))
		return -ENOMEM;
	fc->lru.lru_next = fc->lru.lru_prev = &fc->lru;
	fc->max_bytes = max_bytes ? max_bytes : SYM_CACHE_BYTES_DEFAULT;
	return 0;
}

static void lru_unlink(struct sym_file *f)
{
	f->lru_prev->lru_next = f->lru_next;
	f->lru_next->lru_prev = f->lru_prev;
	f->lru_next = f->lru_prev = f;
}

static void lru_push(struct sym_filecache *fc, struct sym_file *f)
{
	f->used_batch = fc->batch;
	f->lru_next = fc->lru.lru_next;
	f->lru_prev = &fc->lru;
	fc->lru.lru_next->lru_prev = f;
	fc->lru.lru_next = f;
}

void sym_file__free(struct sym_file *f)
{
	if (!f)
		return;
	free(f->path);
	free(f->segs);
	sym_symtab__free(f->symtab);
	sym_dwarf__free(f->dwarf);
	sym_symtab__free(f->cfi_funcs);
	sym_uw_table__free(f->unwind);
	free(f->debuglink);
	free(f->debug_path);
	free(f);
}

/* Whether f holds anything worth keeping for the next process that maps it. */
static bool keeps_tables(const struct sym_file *f)
{
	return f->symtab || f->dwarf || f->cfi_funcs || f->unwind;
}

static void release_slot(struct sym_filecache *fc, struct sym_file *f)
{
	if (!f->slot)
		return;
	fc->slots[f->slot] = NULL;
	fc->free_slots[fc->nfree_slots++] = f->slot; /* room: one per slot handed out */
	f->slot = 0;
}

static void drop_unwind(struct sym_filecache *fc, struct sym_file *f)
{
	if (!f->unwind)
		return;
	fc->unwind_bytes -= f->unwind->bytes;
	fc->with_unwind--;
	sym_uw_table__free(f->unwind);
	f->unwind = NULL;
}

static void remove_file(struct sym_filecache *fc, struct sym_file *f)
{
	profd_htab_del(&fc->by_id, id_hash(&f->id), (uintptr_t)f);
	lru_unlink(f);
	fc->n--;
	fc->bytes -= f->bytes;
	if (f->symtab)
		fc->with_symbols--;
	if (f->dwarf)
		fc->with_dwarf--;
	drop_unwind(fc, f);
	release_slot(fc, f);
	sym_file__free(f);
}

void sym_filecache__release(struct sym_filecache *fc)
{
	while (fc->lru.lru_next != &fc->lru)
		remove_file(fc, fc->lru.lru_next);
	profd_htab_release(&fc->by_id);
	free(fc->slots);
	free(fc->free_slots);
	memset(fc, 0, sizeof(*fc));
}

struct sym_file *sym_filecache__get(struct sym_filecache *fc, const struct sym_file_id *id)
{
	size_t pos = PROFD_HTAB_START;
	struct sym_file *f;
	uint64_t v;

	while ((v = profd_htab_next(&fc->by_id, id_hash(id), &pos))) {
		f = (struct sym_file *)(uintptr_t)v;
		if (sym_file_id__equal(&f->id, id)) {
			f->refs++;
			sym_filecache__touch(fc, f);
			return f;
		}
	}
	return NULL;
}

static size_t file_bytes(const struct sym_file *f)
{
	return sizeof(*f) + strlen(f->path) + 1 + f->nsegs * sizeof(*f->segs) +
	       (f->symtab ? sym_symtab__bytes(f->symtab) : 0) +
	       (f->debuglink ? strlen(f->debuglink) + 1 : 0) +
	       (f->debug_path ? strlen(f->debug_path) + 1 : 0) +
	       (f->dwarf ? sym_dwarf__bytes(f->dwarf) : 0) +
	       (f->cfi_funcs ? sym_symtab__bytes(f->cfi_funcs) : 0);
}

static uint64_t serials; /* of every file made, in every resolver */

/* Moves what e holds into a new file. On failure e still owns everything. */
static struct sym_file *file_new(struct sym_elf *e, const char *path)
{
	struct sym_file *f = calloc(1, sizeof(*f));

	if (!f)
		return NULL;
	f->path = strdup(path);
	if (!f->path) {
		free(f);
		return NULL;
	}
	f->segs = e->segs;
	f->nsegs = e->nsegs;
	f->symtab = e->symtab;
	f->has_debug_info = e->has_debug_info;
	f->debuglink = e->debuglink;
	f->debuglink_crc = e->debuglink_crc;
	memcpy(f->build_id, e->build_id, sizeof(f->build_id));
	memset(e, 0, sizeof(*e));
	f->lru_next = f->lru_prev = f;
	f->bytes = file_bytes(f);
	f->serial = __atomic_add_fetch(&serials, 1, __ATOMIC_RELAXED);
	return f;
}

/*
 * Whether the file at fd can be opened again to read its symbols when they are first needed:
 * most files a process maps are never sampled, and a big library's symbol table costs megabytes.
 * A deleted file cannot be, once its processes are gone.
 */
static bool can_reopen(int fd)
{
	struct stat st;

	return !fstat(fd, &st) && st.st_nlink > 0;
}

int sym_filecache__load(struct sym_filecache *fc, int fd, const struct sym_file_id *id,
			const char *path, struct sym_file **out)
{
	bool later = can_reopen(fd); /* its symbols are read when first named */
	struct sym_elf e;
	struct sym_file *f;
	int err;

	if (profd_htab_reserve(&fc->by_id, fc->by_id.n + 1))
		return -ENOMEM;
	err = sym_elf__read_fd(fd, later ? 0 : sym_filecache__file_limit(fc), &e);
	if (err)
		return err;
	f = file_new(&e, path);
	if (!f) {
		sym_elf__release(&e);
		return -ENOMEM;
	}
	f->evicted = later;
	if (!f->nsegs)
		pr_debug("sym: %s: not a usable ELF file", path);
	f->id = *id;
	f->cached = true;
	f->refs = 1;
	profd_htab_add(&fc->by_id, id_hash(id), (uintptr_t)f); /* reserved: cannot fail */
	lru_push(fc, f);
	fc->n++;
	fc->bytes += f->bytes;
	fc->loads++;
	if (f->symtab)
		fc->with_symbols++;
	sym_filecache__trim(fc, f);
	*out = f;
	return 0;
}

int sym_filecache__reload(struct sym_filecache *fc, struct sym_file *f, int fd)
{
	struct sym_elf e;
	int err;

	err = sym_elf__read_fd(fd, sym_filecache__file_limit(fc), &e);
	if (err)
		return err;
	fc->loads++;
	f->symtab = e.symtab;
	e.symtab = NULL;
	sym_elf__release(&e);
	f->evicted = false;
	if (f->symtab)
		fc->with_symbols++;
	fc->bytes -= f->bytes;
	f->bytes = file_bytes(f);
	fc->bytes += f->bytes;
	sym_filecache__touch(fc, f);
	sym_filecache__trim(fc, f);
	return 0;
}

/* Frees f's tables; the entry stays for those who reference it. Returns whether it had any. */
static bool drop_tables(struct sym_filecache *fc, struct sym_file *f)
{
	if (!f->symtab && !f->dwarf && !f->cfi_funcs)
		return false;
	fc->bytes -= f->bytes;
	if (f->symtab) {
		sym_symtab__free(f->symtab);
		f->symtab = NULL;
		f->evicted = true;
		fc->with_symbols--;
	}
	if (f->dwarf) {
		/* debug_path stays: the DWARF is read again from where it was found. */
		sym_dwarf__free(f->dwarf);
		f->dwarf = NULL;
		f->dwarf_state = SYM_DW_UNKNOWN;
		fc->with_dwarf--;
	}
	sym_symtab__free(f->cfi_funcs);
	f->cfi_funcs = NULL;
	f->cfi_read = false;
	f->bytes = file_bytes(f);
	fc->bytes += f->bytes;
	return true;
}

bool sym_filecache__evict(struct sym_filecache *fc, struct sym_file *f)
{
	if (!f || !f->cached)
		return false;
	if (f->refs)
		return drop_tables(fc, f);
	remove_file(fc, f);
	return false;
}

void sym_filecache__trim(struct sym_filecache *fc, const struct sym_file *keep)
{
	struct sym_file *f = fc->lru.lru_prev;

	while (fc->bytes > fc->max_bytes && f != &fc->lru) {
		struct sym_file *prev = f->lru_prev;

		if (f != keep)
			fc->evictions += sym_filecache__evict(fc, f);
		f = prev;
	}
}

void sym_filecache__put(struct sym_filecache *fc, struct sym_file *f)
{
	if (!f || !f->cached)
		return;
	f->refs--;
	/* Without tables there is nothing worth keeping for the next process. */
	if (!f->refs && !keeps_tables(f))
		remove_file(fc, f);
}

void sym_filecache__set_dwarf(struct sym_filecache *fc, struct sym_file *f, struct sym_dwarf *d)
{
	size_t before = f->bytes;

	f->dwarf = d;
	f->bytes = file_bytes(f);
	fc->dwarf_loads++;
	if (!f->cached)
		return;
	fc->with_dwarf++;
	fc->bytes += f->bytes - before;
	sym_filecache__touch(fc, f);
	sym_filecache__trim(fc, f);
}

void sym_filecache__set_cfi_funcs(struct sym_filecache *fc, struct sym_file *f,
				  struct sym_symtab *t)
{
	size_t before = f->bytes;

	f->cfi_funcs = t;
	f->cfi_read = true;
	f->bytes = file_bytes(f);
	if (!f->cached)
		return;
	fc->bytes += f->bytes - before;
	sym_filecache__trim(fc, f);
}

void sym_filecache__touch(struct sym_filecache *fc, struct sym_file *f)
{
	sym_filecache__used(fc, f);
	if (!f->cached || fc->lru.lru_next == f)
		return;
	lru_unlink(f);
	lru_push(fc, f);
}

void sym_filecache__forget_idle(struct sym_filecache *fc)
{
	struct sym_file *prev;

	fc->batch++;
	/* All of them: a memo hit marks a file used without moving it up the LRU list. */
	for (struct sym_file *f = fc->lru.lru_prev; f != &fc->lru; f = prev) {
		prev = f->lru_prev;
		if (!f->refs && fc->batch - f->used_batch >= SYM_IDLE_BATCHES)
			remove_file(fc, f);
	}
}

void sym_filecache__grew(struct sym_filecache *fc, struct sym_file *f, size_t bytes)
{
	f->bytes += bytes;
	if (!f->cached)
		return;
	fc->bytes += bytes;
	if (fc->bytes > fc->max_bytes)
		sym_filecache__trim(fc, f);
}

void sym_filecache__shrank(struct sym_filecache *fc, struct sym_file *f, size_t bytes)
{
	f->bytes -= bytes;
	if (f->cached)
		fc->bytes -= bytes;
}

struct sym_file *sym_file__new_mem(const void *image, size_t size, const char *path)
{
	struct sym_elf e;
	struct sym_file *f;
	int err;

	err = sym_elf__read_mem(image, size, SYM_FILE_BYTES_MAX, &e);
	if (err) {
		errno = -err;
		return NULL;
	}
	f = file_new(&e, path);
	if (!f) {
		sym_elf__release(&e);
		errno = ENOMEM;
	}
	return f;
}

uint32_t sym_filecache__slot(struct sym_filecache *fc, struct sym_file *f, uint32_t max)
{
	if (f->slot)
		return f->slot;
	if (fc->nfree_slots) {
		f->slot = fc->free_slots[--fc->nfree_slots];
	} else {
		size_t need = fc->nslots ? fc->nslots + 1 : 2; /* slot 0 means none */

		/* Every slot handed out may come back free: free_slots has room for them all. */
		if (need > max || PROFD_ARRAY_RESERVE(fc->slots, fc->cap_slots, need, 64) ||
		    PROFD_ARRAY_RESERVE(fc->free_slots, fc->cap_free_slots, need, 64))
			return 0;
		f->slot = (uint32_t)need - 1;
		fc->nslots = (uint32_t)need;
	}
	fc->slots[f->slot] = f;
	return f->slot;
}

struct sym_file *sym_filecache__by_slot(const struct sym_filecache *fc, uint32_t slot)
{
	return slot && slot < fc->nslots ? fc->slots[slot] : NULL;
}

void sym_filecache__set_unwind(struct sym_filecache *fc, struct sym_file *f,
			       struct sym_uw_table *t, int err)
{
	drop_unwind(fc, f);
	f->unwind = t;
	f->unwind_err = err;
	if (!t)
		return;
	fc->unwind_bytes += t->bytes;
	fc->with_unwind++;
}

void sym_filecache__evict_unwind(struct sym_filecache *fc, struct sym_file *f)
{
	drop_unwind(fc, f);
	if (f->cached && !f->refs && !keeps_tables(f))
		remove_file(fc, f);
}
