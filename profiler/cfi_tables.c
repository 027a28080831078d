// SPDX-License-Identifier: MIT
/*
 * The in-kernel walker's tables (--unwind cfi): one compiled table per file, built once from
 * its CFI (symbolizer/cfi.c) when the kernel announces the file (bpf/mappings.bpf.h keeps the
 * processes' mappings itself) and shared by every process that maps it, placed in the BPF table
 * memory (cfi_pool) within its bound, and registered by identity (cfi_files).
 *
 * Table memory is handed out first-fit in 8-byte entries (two words), from chunks created as
 * tables need room, each as big as all before it (the first CHUNK_FIRST_BYTES), up to the
 * bound; entries are numbered across chunks, and a table lies within one. When a table does not
 * fit and the bound is reached, the least recently walked tables (the walker stamps used_ns)
 * are evicted, but none walked in the last EVICT_IDLE_NS: a table that cannot be placed without
 * thrashing is refused and counted, and its frames follow rbp. An evicted table is built again
 * the next time a process maps it.
 *
 * A file is known (a record here, an entry in cfi_files) while it has a table; one without (no
 * CFI that can be read, refused for room) is known so that it is not read again at every
 * mapping, up to TABLELESS_MAX of them, the oldest forgotten first: on a host that builds and
 * runs new programs for months, neither side grows without bound, and cfi_files never fills up.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "common/clock.h"
#include "common/log.h"
#include "common/new.h"
#include "common/strbuf.h"
#include "profiler/sampling_internal.h"

#define EVICT_IDLE_NS (10ull * 1000000000)
/* Files this big (a compiler, a browser, libLLVM) take tens of milliseconds to build: while
 * start-up holds them (prof_cfi__hold_big()), their tables wait until sampling runs. */
#define HOLD_BYTES (8ull << 20)
#define HELD_MAX 64
/* The tables of a few processes' files: a shell and its libraries take 0.2 MiB. */
#define CHUNK_FIRST_BYTES (2u << 20)
#define PAGE_SLOTS (4096 / sizeof(__u64))
#define TABLELESS_MAX (PROFD_CFI_FILES_MAX - PROFD_CFI_TABLES_MAX)

_Static_assert(SYM_CFI_PAGE_SHIFT == PROFD_CFI_PAGE_SHIFT, "page size");
_Static_assert(SYM_CFI_RULE_BITS == PROFD_CFI_RULE_BITS, "row layout");
_Static_assert((int)SYM_CFI_UNSUPPORTED == (int)PROFD_CFI_UNSUPPORTED, "rule kinds");
_Static_assert((int)SYM_CFI_RBP_LOST == (int)PROFD_CFI_RBP_LOST, "rbp rules");
_Static_assert(sizeof(struct profd_cfi_rule) == PROFD_CFI_RULE_WORDS * 4, "rule size");

struct cfi_stats {
	size_t files;	   /* files seen */
	size_t tables;	   /* tables in table memory */
	size_t pool_bytes, pool_bytes_used; /* the bound, and what tables take */
	size_t pool_bytes_made;		    /* in chunks created */
	uint64_t builds, build_ns; /* tables compiled, and the time it took */
	uint64_t cfi_bytes;	   /* bytes of .eh_frame/.debug_frame compiled */
	uint64_t evictions;	   /* tables dropped to make room */
	uint64_t no_room;	   /* tables refused: no idle table to evict */
	uint64_t no_cfi;	   /* files without CFI (their frames follow rbp) */
	uint64_t forgotten;	   /* files without a table forgotten for room (TABLELESS_MAX) */
};

struct cfi_file {
	uint64_t key;
	struct cfi_file *hnext;
	struct cfi_file *newer, *older; /* in the list of files without a table */
	bool tableless;
	uint32_t state; /* enum profd_cfi_file_state */
	int table;	/* id in cfi_tables, -1 if none */
	uint32_t slot, nslots; /* where in table memory, in entries across its chunks */
	char *path;
};

struct extent {
	uint32_t slot, n;
};

/* A chunk of table memory: an array map in cfi_pool. */
struct chunk {
	uint32_t slot, n; /* its first entry, in the numbering across chunks, and how many */
	int fd;
};

struct prof_cfi {
	struct prof_cfi_maps maps;
	struct cfi_file **buckets;
	size_t nbuckets, nfiles;
	struct cfi_file *oldest_tableless, *newest_tableless;
	size_t ntableless;
	struct cfi_file *by_table[PROFD_CFI_TABLES_MAX];
	struct extent *free; /* sorted by slot, coalesced within a chunk */
	size_t nfree, cap_free;
	struct chunk chunks[PROFD_CFI_CHUNKS_MAX];
	uint32_t nchunks, slots_made;
	pid_t *retry; /* processes whose scan found their mappings busy */
	size_t nretry;
	struct profd_mmap_event *held; /* big files announced while hold_big: HELD_MAX */
	size_t nheld;
	bool hold_big;
	struct cfi_stats stats;
};

/* --- table memory --- */

static bool take_slots(struct prof_cfi *c, uint32_t n, uint32_t *slot)
{
	for (size_t i = 0; i < c->nfree; i++) {
		struct extent *e = &c->free[i];

		if (e->n < n)
			continue;
		*slot = e->slot;
		e->slot += n;
		e->n -= n;
		if (!e->n) {
			memmove(e, e + 1, (c->nfree - i - 1) * sizeof(*e));
			c->nfree--;
		}
		c->stats.pool_bytes_used += (size_t)n * sizeof(__u64);
		return true;
	}
	return false;
}

/* Whether a chunk starts at slot: free extents on either side of it are not one. */
static bool chunk_starts_at(const struct prof_cfi *c, uint32_t slot)
{
	for (uint32_t i = 0; i < c->nchunks; i++)
		if (c->chunks[i].slot == slot)
			return true;
	return false;
}

static const struct chunk *chunk_of(const struct prof_cfi *c, uint32_t slot)
{
	for (uint32_t i = 0; i < c->nchunks; i++)
		if (slot - c->chunks[i].slot < c->chunks[i].n)
			return &c->chunks[i];
	return NULL;
}

/* Adds slots to the free extents. */
static int free_slots(struct prof_cfi *c, uint32_t slot, uint32_t n)
{
	size_t i = 0;

	while (i < c->nfree && c->free[i].slot < slot)
		i++;
	if (i && c->free[i - 1].slot + c->free[i - 1].n == slot && !chunk_starts_at(c, slot)) {
		c->free[i - 1].n += n;
		if (i < c->nfree && slot + n == c->free[i].slot && !chunk_starts_at(c, slot + n)) {
			c->free[i - 1].n += c->free[i].n;
			memmove(&c->free[i], &c->free[i + 1], (c->nfree - i - 1) * sizeof(c->free[0]));
			c->nfree--;
		}
		return 0;
	}
	if (i < c->nfree && slot + n == c->free[i].slot && !chunk_starts_at(c, slot + n)) {
		c->free[i].slot = slot;
		c->free[i].n += n;
		return 0;
	}
	if (c->nfree == c->cap_free) {
		size_t cap = c->cap_free ? c->cap_free * 2 : 64;
		struct extent *v = realloc(c->free, cap * sizeof(*v));

		if (!v)
			return -ENOMEM; /* the slots are lost to this run, never reused wrongly */
		c->free = v;
		c->cap_free = cap;
	}
	memmove(&c->free[i + 1], &c->free[i], (c->nfree - i) * sizeof(c->free[0]));
	c->free[i] = (struct extent){slot, n};
	c->nfree++;
	return 0;
}

static int give_slots(struct prof_cfi *c, uint32_t slot, uint32_t n)
{
	c->stats.pool_bytes_used -= (size_t)n * sizeof(__u64);
	return free_slots(c, slot, n);
}

/*
 * A new chunk of at least need entries, as big as all chunks so far (the first
 * CHUNK_FIRST_BYTES), within the bound; the last chunk there is room for takes the rest.
 * Returns whether there is one.
 */
static bool add_chunk(struct prof_cfi *c, uint32_t need)
{
	LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = BPF_F_MMAPABLE | BPF_F_INNER_MAP);
	uint32_t room = c->maps.pool_slots - c->slots_made, n;
	__u32 key = c->nchunks;
	int fd;

	if (c->nchunks == PROFD_CFI_CHUNKS_MAX || need > room)
		return false;
	n = c->slots_made ? c->slots_made : CHUNK_FIRST_BYTES / sizeof(__u64);
	n = n < need ? need : n;
	n = (n + PAGE_SLOTS - 1) / PAGE_SLOTS * PAGE_SLOTS;
	if (n > room || c->nchunks == PROFD_CFI_CHUNKS_MAX - 1)
		n = room;
	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "cfi_chunk", sizeof(__u32), sizeof(__u64), n, &opts);
	if (fd < 0) {
		pr_debug("cfi: cannot create %u KiB of table memory: %s", (unsigned)(n >> 7),
			 strerror(errno));
		return false;
	}
	if (bpf_map_update_elem(c->maps.pool, &key, &fd, BPF_ANY)) {
		close(fd);
		return false;
	}
	/* Listed first: its free entries are not to join the previous chunk's. */
	c->chunks[c->nchunks++] = (struct chunk){c->slots_made, n, fd};
	c->slots_made += n;
	c->stats.pool_bytes_made += (size_t)n * sizeof(__u64);
	return free_slots(c, c->chunks[key].slot, n) == 0;
}

static int free_table_id(const struct prof_cfi *c)
{
	for (int i = 0; i < PROFD_CFI_TABLES_MAX; i++)
		if (!c->by_table[i])
			return i;
	return -1;
}

/* Drops f's record; the kernel's entry for it, if any, is the caller's to delete first. */
static void forget_file(struct prof_cfi *c, struct cfi_file *f)
{
	struct cfi_file **at = &c->buckets[f->key & (c->nbuckets - 1)];

	while (*at != f)
		at = &(*at)->hnext;
	*at = f->hnext;
	if (f->tableless) {
		*(f->older ? &f->older->newer : &c->oldest_tableless) = f->newer;
		*(f->newer ? &f->newer->older : &c->newest_tableless) = f->older;
		c->ntableless--;
	}
	c->nfiles--;
	free(f->path);
	free(f);
}

/*
 * Lists f among the files without a table; past TABLELESS_MAX the oldest is forgotten, here and
 * by the kernel, and announced again by its next mapping.
 */
static void note_tableless(struct prof_cfi *c, struct cfi_file *f)
{
	f->older = c->newest_tableless;
	*(f->older ? &f->older->newer : &c->oldest_tableless) = f;
	c->newest_tableless = f;
	f->tableless = true;
	if (++c->ntableless <= TABLELESS_MAX)
		return;
	f = c->oldest_tableless;
	bpf_map_delete_elem(c->maps.files, &f->key);
	forget_file(c, f);
	c->stats.forgotten++;
}

/*
 * Takes f's table out of the walker's reach, then frees its slots, and forgets f: by the kernel
 * too, so the next process that maps it announces it again and it is built again.
 */
static void evict(struct prof_cfi *c, struct cfi_file *f)
{
	struct profd_cfi_table none = {0};
	__u32 id = (__u32)f->table;

	bpf_map_update_elem(c->maps.tables, &id, &none, BPF_ANY);
	bpf_map_delete_elem(c->maps.files, &f->key);
	/* A walk that looked the table up before the update may still read its slots. */
	if (c->maps.barrier)
		c->maps.barrier(c->maps.ctx);
	give_slots(c, f->slot, f->nslots);
	c->by_table[f->table] = NULL;
	c->stats.tables--;
	c->stats.evictions++;
	pr_debug("cfi: %s: table evicted for room", f->path);
	forget_file(c, f);
}

/* The loaded table walked least recently, if it has been idle long enough to go. */
static struct cfi_file *eviction_candidate(struct prof_cfi *c)
{
	uint64_t oldest = UINT64_MAX, now = (uint64_t)profd_mono_ns();
	struct cfi_file *victim = NULL;

	for (__u32 id = 0; id < PROFD_CFI_TABLES_MAX; id++) {
		struct profd_cfi_table t;

		/* Not the vdso's: no mapping of a file announces it again. */
		if (!c->by_table[id] || c->by_table[id]->key == PROFD_CFI_VDSO_KEY ||
		    bpf_map_lookup_elem(c->maps.tables, &id, &t))
			continue;
		if (t.used_ns < oldest) {
			oldest = t.used_ns;
			victim = c->by_table[id];
		}
	}
	return victim && oldest + EVICT_IDLE_NS < now ? victim : NULL;
}

/* n slots, in a new chunk or evicting idle tables as needed. */
static bool place(struct prof_cfi *c, uint32_t n, uint32_t *slot)
{
	struct cfi_file *victim;

	while (!take_slots(c, n, slot)) {
		if (add_chunk(c, n))
			continue;
		victim = eviction_candidate(c);
		if (!victim)
			return false;
		evict(c, victim);
	}
	return true;
}

/* --- writing a table --- */

static uint32_t round4(uint32_t v)
{
	return (v + PROFD_CFI_RULE_WORDS - 1) / PROFD_CFI_RULE_WORDS * PROFD_CFI_RULE_WORDS;
}

/* Words from the start of the table: page index, rows, padding, rules. */
static uint64_t table_words(const struct sym_cfi_table *t)
{
	return round4(t->npages + 1 + t->nrows) + (uint64_t)t->nrules * PROFD_CFI_RULE_WORDS;
}

static void fill_words(const struct sym_cfi_table *t, uint32_t *w)
{
	uint32_t rules = round4(t->npages + 1 + t->nrows);

	memcpy(w, t->pages, ((size_t)t->npages + 1) * 4);
	memcpy(w + t->npages + 1, t->rows, (size_t)t->nrows * 4);
	for (uint32_t i = 0; i < t->nrules; i++) {
		struct profd_cfi_rule r = {
			.cfa = t->rules[i].cfa,
			.rbp = t->rules[i].rbp,
			.plt_min = t->rules[i].plt_min,
			.cfa_off = t->rules[i].cfa_off,
			.rbp_off = t->rules[i].rbp_off,
		};

		memcpy(w + rules + i * PROFD_CFI_RULE_WORDS, &r, sizeof(r));
	}
}

/*
 * Writes t into n slots of table memory from slot on, through a mapping of just those pages:
 * map updates cost a system call per entry, and a mapping kept open would count the whole
 * table memory in our RSS. Word 2k is the low half of slot k (little-endian), as the walker
 * reads it.
 */
static int write_table(const struct chunk *ch, uint32_t slot, uint32_t n,
		       const struct sym_cfi_table *t)
{
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE), at = slot - ch->slot;
	uint64_t from = at * sizeof(__u64) / page * page;
	uint64_t len = ((at + n) * sizeof(__u64) - from + page - 1) / page * page;
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, ch->fd, (off_t)from);

	if (p == MAP_FAILED)
		return -errno;
	fill_words(t, (uint32_t *)(p + at * sizeof(__u64) - from));
	munmap(p, len);
	return 0;
}

/* Places t in table memory and tells the walker; f->state says how it went. */
static int load_table(struct prof_cfi *c, struct cfi_file *f, const struct sym_cfi_table *t)
{
	uint64_t words = table_words(t);
	uint32_t n = (uint32_t)((words + 1) / 2), slot;
	struct profd_cfi_table tv = {
		.first_page = t->first_page,
		.npages = t->npages,
		.nrows = t->nrows,
		.nrules = t->nrules,
		.used_ns = (uint64_t)profd_mono_ns(),
	};
	int id = free_table_id(c), err;
	const struct chunk *ch;

	if (id < 0 || words > (uint64_t)c->maps.pool_slots * 2 || !place(c, n, &slot)) {
		f->state = PROFD_CFI_NO_ROOM;
		c->stats.no_room++;
		pr_debug("cfi: %s: no room for its %llu KiB table", f->path,
			 (unsigned long long)(words * 4 >> 10));
		return 0;
	}
	ch = chunk_of(c, slot);
	err = write_table(ch, slot, n, t);
	tv.chunk = (__u32)(ch - c->chunks);
	tv.base = (slot - ch->slot) * 2;
	tv.rules = tv.base + round4(t->npages + 1 + t->nrows);
	if (!err && bpf_map_update_elem(c->maps.tables, &(__u32){(__u32)id}, &tv, BPF_ANY))
		err = -errno;
	if (err) {
		give_slots(c, slot, n);
		return err;
	}
	f->table = id;
	f->slot = slot;
	f->nslots = n;
	f->state = PROFD_CFI_LOADED;
	c->by_table[id] = f;
	c->stats.tables++;
	return 0;
}

/* --- files --- */

static struct cfi_file *find_file(const struct prof_cfi *c, uint64_t key)
{
	if (!c->nbuckets)
		return NULL;
	for (struct cfi_file *f = c->buckets[key & (c->nbuckets - 1)]; f; f = f->hnext)
		if (f->key == key)
			return f;
	return NULL;
}

/* Tells whoever keeps the processes' mapping history where a file is. */
static void told(const struct prof_cfi *c, uint64_t key, uint64_t dev, uint64_t ino,
		 const char *path)
{
	if (c->maps.on_file)
		c->maps.on_file(c->maps.file_ctx, key, dev, ino, path);
}

static struct cfi_file *new_file(struct prof_cfi *c, uint64_t key, const char *path)
{
	struct cfi_file *f;

	if (c->nfiles >= c->nbuckets) {
		size_t nb = c->nbuckets ? c->nbuckets * 2 : 256;
		struct cfi_file **v = calloc(nb, sizeof(*v));

		if (!v)
			return NULL;
		for (size_t i = 0; i < c->nbuckets; i++) {
			while ((f = c->buckets[i])) {
				c->buckets[i] = f->hnext;
				f->hnext = v[f->key & (nb - 1)];
				v[f->key & (nb - 1)] = f;
			}
		}
		free(c->buckets);
		c->buckets = v;
		c->nbuckets = nb;
	}
	f = calloc(1, sizeof(*f));
	if (!f || !(f->path = strdup(path))) {
		free(f);
		return NULL;
	}
	f->key = key;
	f->table = -1;
	f->hnext = c->buckets[key & (c->nbuckets - 1)];
	c->buckets[key & (c->nbuckets - 1)] = f;
	c->nfiles++;
	return f;
}

/* Builds and loads the table of f; the file comes from open() or our own vdso. */
static int build(struct prof_cfi *c, struct cfi_file *f, int fd)
{
	struct sym_cfi_table *t;
	struct profd_cfi_file fv;
	uint64_t start = (uint64_t)profd_mono_ns();
	int err;

	/* Only memory runs out: CFI that cannot be read makes an empty table. */
	err = fd >= 0 ? sym_cfi_table__build_fd(fd, &t) : sym_cfi_table__build_vdso(&t);
	if (err)
		return err;
	if (!t->nrows) {
		f->state = PROFD_CFI_NO_CFI;
		c->stats.no_cfi++;
	} else {
		c->stats.builds++;
		c->stats.build_ns += (uint64_t)profd_mono_ns() - start;
		c->stats.cfi_bytes += t->cfi_bytes;
		err = load_table(c, f, t);
		if (f->state == PROFD_CFI_LOADED)
			pr_debug("cfi: %s: %u rows, %u rules, %llu KiB from %zu KiB of %s in %.1f ms",
				 f->path, t->nrows, t->nrules,
				 (unsigned long long)(table_words(t) * 4 >> 10), t->cfi_bytes >> 10,
				 t->debug_fdes ? "CFI" : ".eh_frame",
				 ((uint64_t)profd_mono_ns() - start) / 1e6);
	}
	sym_cfi_table__free(t);
	if (err)
		return err;
	fv = (struct profd_cfi_file){.table = f->table >= 0 ? (__u32)f->table : 0,
				     .state = f->state};
	if (bpf_map_update_elem(c->maps.files, &f->key, &fv, BPF_ANY))
		pr_warn_once("cannot register unwind tables: %s", strerror(errno));
	if (f->state != PROFD_CFI_LOADED)
		note_tableless(c, f);
	return 0;
}

/* --- processes --- */

#define RETRY_MAX 1024

/* Asks the kernel to scan pid's mappings; a process busy changing them is tried again later. */
int prof_cfi__add_process(struct prof_cfi *c, pid_t pid)
{
	int err = c->maps.scan(c->maps.ctx, pid);

	if (err != -EBUSY)
		return err;
	for (size_t i = 0; i < c->nretry; i++)
		if (c->retry[i] == pid)
			return 0;
	if (c->nretry < RETRY_MAX)
		c->retry[c->nretry++] = pid;
	return 0;
}

void prof_cfi__retry(struct prof_cfi *c)
{
	size_t kept = 0;

	for (size_t i = 0; i < c->nretry; i++)
		if (c->maps.scan(c->maps.ctx, c->retry[i]) == -EBUSY)
			c->retry[kept++] = c->retry[i];
	c->nretry = kept;
}

/* Opens path (under root, if not NULL) if it is the file e describes. */
static int open_checked(const char *root, const char *path, const struct profd_mmap_event *e)
{
	char full[PATH_MAX];
	struct stat st;
	int fd;

	if (root && snprintf(full, sizeof(full), "%s%s", root, path) >= (int)sizeof(full))
		return -ENAMETOOLONG;
	fd = open(root ? full : path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* The device number is left out: stat shows btrfs subvolumes by another. */
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || (uint64_t)st.st_ino != e->ino ||
	    (uint64_t)st.st_size != e->size || st.st_mtim.tv_sec != e->mtime_sec ||
	    (uint32_t)st.st_mtim.tv_nsec != e->mtime_nsec) {
		close(fd);
		return -ESTALE;
	}
	return fd;
}

/* The path from the names the kernel gave, leaf first: "/usr/lib/x.so". */
static bool join_path(const struct profd_mmap_event *e, char *buf, size_t len)
{
	size_t at = 0;

	if (!e->nparts || (e->flags & PROFD_MMAP_PATH_CUT))
		return false;
	for (int i = (int)e->nparts - 1; i >= 0; i--) {
		int n = snprintf(buf + at, len - at, "/%.*s", PROFD_PATH_PART_LEN, e->parts[i]);

		if (n < 0 || (size_t)n >= len - at)
			return false;
		at += (size_t)n;
	}
	return true;
}

/*
 * Opens the file of e: through the mapping while the process lives (any namespace), else by the
 * path the kernel saw, in our root and then in the process's. Returns an fd or -errno.
 */
static int open_mapped(const struct profd_mmap_event *e, char *path, size_t len)
{
	char proc[64];
	int fd;

	snprintf(proc, sizeof(proc), "/proc/%u/map_files/%llx-%llx", e->pid,
		 (unsigned long long)e->start, (unsigned long long)e->end);
	fd = open_checked(NULL, proc, e);
	if (!join_path(e, path, len))
		snprintf(path, len, "%.*s", PROFD_PATH_PART_LEN, e->nparts ? e->parts[0] : "?");
	if (fd >= 0)
		return fd;
	if (path[0] != '/')
		return -ENOENT;
	fd = open_checked(NULL, path, e);
	if (fd >= 0)
		return fd;
	snprintf(proc, sizeof(proc), "/proc/%u/root", e->pid);
	return open_checked(proc, path, e);
}

/* Another dynamic linker (a container's): its library changes are watched too. */
static bool is_loader(const struct profd_mmap_event *e)
{
	return e->nparts && !strncmp(e->parts[0], "ld-linux", 8);
}

/* Watches the dynamic linker open at fd (it may be a container's: the path is not ours). */
static void watch_loader(struct prof_cfi *c, int fd, const char *path)
{
	char self[64];
	int err;

	snprintf(self, sizeof(self), "/proc/self/fd/%d", fd);
	err = c->maps.watch_loader(c->maps.ctx, self);
	if (err)
		pr_debug("cfi: %s: cannot watch this dynamic linker: %s", path, strerror(-err));
}

/* Whether e's file waits for prof_cfi__hold_big(c, false): it is big, and start-up holds. */
static bool hold(struct prof_cfi *c, const struct profd_mmap_event *e)
{
	if (!c->hold_big || e->size < HOLD_BYTES)
		return false;
	for (size_t i = 0; i < c->nheld; i++)
		if (c->held[i].file == e->file)
			return true;
	if (!c->held)
		c->held = calloc(HELD_MAX, sizeof(*c->held));
	if (!c->held || c->nheld == HELD_MAX)
		return false;
	c->held[c->nheld++] = *e;
	return true;
}

void prof_cfi__hold_big(struct prof_cfi *c, bool on)
{
	size_t n = c->nheld;

	c->hold_big = on;
	if (on)
		return;
	for (size_t i = 0; i < n; i++)
		prof_cfi__on_mmap(c, &c->held[i]);
	free(c->held);
	c->held = NULL;
	c->nheld = 0;
	if (n)
		pr_debug("cfi: %zu big files held at start-up, their tables built now", n);
}

void prof_cfi__on_mmap(struct prof_cfi *c, const struct profd_mmap_event *e)
{
	struct cfi_file *f = find_file(c, e->file);
	char path[PATH_MAX];
	int fd, err;

	if (f && f->state)
		return; /* announced before the kernel saw the last build */
	if (hold(c, e))
		return;
	fd = open_mapped(e, path, sizeof(path));
	if (fd < 0) {
		/* Announced again by the next mapping of it. */
		bpf_map_delete_elem(c->maps.announced, &e->file);
		pr_debug("cfi: pid %u: %s: %s", e->pid, path, strerror(-fd));
		return;
	}
	if (!f)
		f = new_file(c, e->file, path);
	if (f)
		told(c, e->file, e->dev, e->ino, path);
	err = f ? build(c, f, fd) : -ENOMEM;
	if (!err && is_loader(e))
		watch_loader(c, fd, path);
	close(fd);
	bpf_map_delete_elem(c->maps.announced, &e->file);
	if (err)
		pr_warn_once("cannot load unwind tables: %s", strerror(-err));
}

/* --- programs about to run --- */

/* Builds the table of the file at path, keyed as the kernel will see it, unless it has one. */
static int add_file(struct prof_cfi *c, const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), err;
	struct cfi_file *f;
	struct stat st;
	uint64_t key;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		return -EINVAL;
	}
	/* A file system whose stat shows another device (btrfs) only misses: built again then. */
	key = profd_cfi_file_key((uint64_t)major(st.st_dev) << 20 | minor(st.st_dev), st.st_ino,
				 st.st_size, st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
	f = find_file(c, key);
	if (!f)
		f = new_file(c, key, path);
	if (f)
		told(c, key, (uint64_t)major(st.st_dev) << 20 | minor(st.st_dev), st.st_ino, path);
	/* Known and placed (or known to have none), or evicted: built again like on a mapping. */
	err = !f ? -ENOMEM : f->state ? 0 : build(c, f, fd);
	close(fd);
	return err;
}

struct needed {
	struct prof_cfi *c;
	const char *name; /* looked for among our own libraries */
	int built;
};

/* One of our own libraries: built if it is the one looked for. */
static int own_library(struct dl_phdr_info *info, size_t size, void *data)
{
	struct needed *n = data;
	const char *base = info->dlpi_name ? strrchr(info->dlpi_name, '/') : NULL;

	if (!base || strcmp(base + 1, n->name))
		return 0;
	n->built += add_file(n->c, info->dlpi_name) == 0;
	return 1;
}

static int add_needed(const char *name, void *data)
{
	struct needed *n = data;

	n->name = name;
	dl_iterate_phdr(own_library, n);
	return 0;
}

int prof_cfi__add_program(struct prof_cfi *c, const char *path)
{
	struct needed n = {.c = c};
	char loader[PATH_MAX];
	int fd, err = add_file(c, path);

	if (err)
		return err;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	err = sym_elf_needed(fd, add_needed, &n);
	close(fd);
	if (!err && !prof_own_loader(loader))
		n.built += add_file(c, loader) == 0;
	pr_debug("cfi: %s and %d of the libraries it needs (our own copies) have tables before it "
		 "runs", path, n.built);
	return err;
}

/* --- lifecycle --- */

struct prof_cfi *prof_cfi__new(const struct prof_cfi_maps *maps)
{
	struct prof_cfi *c = calloc(1, sizeof(*c));
	struct cfi_file *vdso;
	int err = -ENOMEM;

	if (!c)
		return NULL;
	c->maps = *maps;
	c->retry = calloc(RETRY_MAX, sizeof(*c->retry));
	if (!c->retry)
		goto fail;
	c->stats.pool_bytes = (size_t)maps->pool_slots * sizeof(__u64);
	/* Every 64-bit process maps the same vdso image: ours. */
	vdso = new_file(c, PROFD_CFI_VDSO_KEY, "[vdso]");
	if (!vdso || (err = build(c, vdso, -1)))
		goto fail;
	return c;
fail:
	return PROFD_NEW_FAILED(prof_cfi__free, c, err);
}

void prof_cfi__free(struct prof_cfi *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->nbuckets; i++) {
		struct cfi_file *f, *next;

		for (f = c->buckets[i]; f; f = next) {
			next = f->hnext;
			free(f->path);
			free(f);
		}
	}
	free(c->buckets);
	for (uint32_t i = 0; i < c->nchunks; i++)
		close(c->chunks[i].fd);
	free(c->free);
	free(c->retry);
	free(c->held);
	free(c);
}

/* "<lead>N what" where n (N) is not 0; returns whether it was put. */
static bool put_nonzero(struct profd_strbuf *sb, const char *lead, uint64_t n, const char *what)
{
	if (n)
		profd_strbuf_printf(sb, "%s%llu %s", lead, (unsigned long long)n, what);
	return n;
}

void prof_cfi__summary(const struct prof_cfi *c, const uint64_t *cnt, struct profd_strbuf *sb)
{
	static const struct {
		int counter;
		const char *what;
	} stops[] = {
		{PROFD_CNT_CFI_STOP_READ, "unreadable stack"},
		{PROFD_CNT_CFI_STOP_FP, "frame pointer led nowhere"},
		{PROFD_CNT_CFI_STOP_LOOP, "stack pointer did not move"},
		{PROFD_CNT_CFI_STOP_ERROR, "bad table"},
	};
	uint64_t walked = cnt[PROFD_CNT_CFI_WALKED], stopped = 0;
	const char *sep = " (";

	if (!walked && !cnt[PROFD_CNT_CFI_NO_PROCESS])
		return;
	profd_strbuf_printf(sb, "; user stacks walked in the kernel: %llu, %.1f %% of them whole",
			    (unsigned long long)walked,
			    walked ? 100.0 * cnt[PROFD_CNT_CFI_WHOLE] / walked : 0.0);
	put_nonzero(sb, " (", cnt[PROFD_CNT_CFI_STOP_ZERO],
		    "more ended where frame pointers do, at 0)");
	put_nonzero(sb, ", ", cnt[PROFD_CNT_CFI_NO_PROCESS],
		    "by frame pointers (process not loaded yet)");
	if (cnt[PROFD_CNT_CFI_NO_TABLE])
		profd_strbuf_printf(sb, ", %llu through a file without its table (%llu refused for room)",
				    (unsigned long long)cnt[PROFD_CNT_CFI_NO_TABLE],
				    (unsigned long long)c->stats.no_room);
	put_nonzero(sb, ", ", cnt[PROFD_CNT_CFI_UNSUPPORTED],
		    "through CFI the tables cannot express");
	if (cnt[PROFD_CNT_MAPS_DROPPED])
		profd_strbuf_printf(sb, ", %llu code mappings not tracked (over %d in a process)",
				    (unsigned long long)cnt[PROFD_CNT_MAPS_DROPPED],
				    PROFD_PROC_MAPS_MAX);
	for (size_t i = 0; i < sizeof(stops) / sizeof(stops[0]); i++)
		stopped += cnt[stops[i].counter];
	if (!stopped)
		return;
	profd_strbuf_printf(sb, ", %llu stopped early", (unsigned long long)stopped);
	for (size_t i = 0; i < sizeof(stops) / sizeof(stops[0]); i++)
		if (put_nonzero(sb, sep, cnt[stops[i].counter], stops[i].what))
			sep = ", ";
	profd_strbuf_puts(sb, ")");
}

uint64_t prof_cfi__bpf_bytes(const struct prof_cfi *c)
{
	return c->stats.pool_bytes_made;
}

void prof_cfi__log_stats(const struct prof_cfi *c, const uint64_t *cnt)
{
	const struct cfi_stats *st = &c->stats;

	pr_debug("cfi: the kernel announced %llu files; %llu mapping scans were put off (mappings "
		 "changing); %llu samples in exec or exit had no user stack",
		 (unsigned long long)cnt[PROFD_CNT_MMAP_EVENTS],
		 (unsigned long long)cnt[PROFD_CNT_MAPS_BUSY],
		 (unsigned long long)cnt[PROFD_CNT_CFI_NO_MM]);
	pr_debug("cfi: %zu files known (%zu without a table), %zu tables in %zu of %zu KiB (%u "
		 "chunks, bound %zu KiB), %llu built from %llu KiB of CFI in %.1f ms, %llu without "
		 "CFI, %llu evicted, %llu refused for room, %llu without a table "
		 "forgotten",
		 c->nfiles, c->ntableless, st->tables, st->pool_bytes_used >> 10,
		 st->pool_bytes_made >> 10, c->nchunks, st->pool_bytes >> 10,
		 (unsigned long long)st->builds, (unsigned long long)(st->cfi_bytes >> 10),
		 st->build_ns / 1e6, (unsigned long long)st->no_cfi,
		 (unsigned long long)st->evictions, (unsigned long long)st->no_room,
		 (unsigned long long)st->forgotten);
}
