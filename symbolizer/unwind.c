// SPDX-License-Identifier: MIT
/*
 * Unwinding of copied user stacks with libunwind's remote API.
 *
 * The sampler hands over registers and the top of the user stack. libunwind asks us for memory,
 * registers and the unwind info of an address through the accessors below:
 *
 *   find_proc_info  the file mapped at the address (from the resolver's snapshot of the process),
 *                   its unwind tables (unwind_table.c, parsed once per file identity) given to
 *                   dwarf_search_unwind_table() as a remote table: the search table at a made-up
 *                   address, .eh_frame at its load address (its pointers are pc-relative)
 *   access_mem      the copied stack; the cached unwind tables; 0 for any other address inside
 *                   the process's mapped files (libunwind probes code to validate guesses and
 *                   reads personality pointers, neither of which changes a frame); else an error
 *   access_reg      the sampled registers
 *
 * Code without CFI (JIT code) gets no info, so libunwind falls back to the frame-pointer chain
 * for that frame: CFI where a mapping has it, frame pointers where it does not.
 *
 * Each process gets its own libunwind address space: libunwind caches register rules by IP, and
 * the same IP means different code in different processes. The cache is flushed when the
 * process's snapshot changes (exec, new mappings). Nothing on the per-sample path reads a file,
 * except the first time a file is met outside sym_unwinder__prepare().
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libunwind.h>

#include "common/hash.h"
#include "common/log.h"
#include "symbolizer/symbolizer_internal.h"
#include "symbolizer/unwind_internal.h"

/* Exported by libunwind-x86_64 (perf uses it too), though its headers do not declare it. */
extern int UNW_OBJ(dwarf_search_unwind_table)(unw_addr_space_t as, unw_word_t ip,
					      unw_dyn_info_t *di, unw_proc_info_t *pi,
					      int need_unwind_info, void *arg);

/*
 * Made-up addresses for data that lives only in our memory: non-canonical on x86-64, so no
 * process has anything there. Bits 32-33 say what, bits 34-55 which file, bits 0-31 the offset.
 */
#define FAKE_TAG 0xde00000000000000ull
#define FAKE_MASK 0xff00000000000000ull
#define FAKE_SLOTS (1u << 22)
enum { FAKE_EH_TABLE, FAKE_DEBUG_TABLE, FAKE_DEBUG_DATA };
#define FAKE(slot, kind) (FAKE_TAG | ((uint64_t)(slot) << 34) | ((uint64_t)(kind) << 32))

/* A CFA this far above the copy is not a stack address we could have copied. */
#define STACK_SLACK (64ull << 20)
#define REFRESH_NS (100ull * 1000000)
#define ADDR_SPACES_MAX 64 /* libunwind address spaces kept (about 25 KiB each) */
#define TABLE_BYTES_MAX (256ul << 20) /* unwind tables kept in memory */

struct uw_file {
	struct sym_file_id id;
	struct uw_file *hnext;
	struct sym_uw_table t;
	uint32_t slot;
	int err; /* reading failed: -errno, tried again after SYM_RETRY_NS */
	uint64_t tried_ns;
	uint64_t used;	/* unwinder clock at the last use */
	bool evicted;	/* tables dropped to stay under TABLE_BYTES_MAX; read again on use */
	char *path;
};

struct uw_proc {
	pid_t pid;
	uint64_t start_time;
	struct uw_proc *hnext;
	unw_addr_space_t as;
	const struct sym_proc *snap; /* the snapshot libunwind's cache was filled from */
	uint64_t scanned_ns;
	uint64_t used;
	uint64_t refreshed_ns; /* last new snapshot taken for unknown code */
};

struct sym_unwinder {
	struct sym_resolver *r;
	unw_accessors_t acc;
	struct uw_file **files;
	size_t nfbuckets, nfiles;
	struct uw_file **slots;
	size_t nslots, cap_slots;
	struct uw_file *vdso;
	uint64_t vdso_size;
	bool vdso_tried;
	struct uw_proc **procs;
	size_t npbuckets, nprocs;
	uint64_t clock;
	size_t table_bytes;
	uint64_t loads;
	uint64_t unwinds, frames, stops[SYM_UNWIND_NSTOPS];
};

/* State of one unwind, handed to the accessors. */
struct uw_ctx {
	struct sym_unwinder *u;
	struct sym_proc *p;
	const uint64_t *regs;
	const uint8_t *stack;
	uint64_t lo, hi; /* the copy covers [lo, hi) */
	bool cut;
	/* The mapping met last: most reads hit the same file as the one before. */
	const struct sym_map *m;
	struct uw_file *f;
	uint64_t bias;
	bool truncated, bad_read, unmapped, no_info;
};

const char *sym_unwind_stop_name(enum sym_unwind_stop stop)
{
	static const char *const names[SYM_UNWIND_NSTOPS] = {
		[SYM_UNWIND_END] = "end of stack",
		[SYM_UNWIND_TRUNCATED] = "truncated",
		[SYM_UNWIND_DEPTH] = "depth limit",
		[SYM_UNWIND_NO_PROCESS] = "process unknown",
		[SYM_UNWIND_UNMAPPED] = "unmapped address",
		[SYM_UNWIND_NO_INFO] = "no unwind info",
		[SYM_UNWIND_BAD_READ] = "read outside the stack",
		[SYM_UNWIND_LOOP] = "loop",
		[SYM_UNWIND_BAD_FRAME] = "bad frame",
	};

	return stop < SYM_UNWIND_NSTOPS ? names[stop] : "?";
}

/* --- files --- */

static uint64_t hash_id(const struct sym_file_id *id)
{
	uint64_t h = profd_hash_u64(id->ino);

	h = profd_hash_combine(h, id->dev);
	h = profd_hash_combine(h, id->size);
	return profd_hash_combine(h, (uint64_t)id->mtime_sec ^ (uint64_t)id->mtime_nsec);
}

static struct uw_file *find_file(const struct sym_unwinder *u, const struct sym_file_id *id)
{
	struct uw_file *f;

	if (!u->nfbuckets)
		return NULL;
	for (f = u->files[hash_id(id) & (u->nfbuckets - 1)]; f; f = f->hnext)
		if (sym_file_id__equal(&f->id, id))
			return f;
	return NULL;
}

static int insert_file(struct sym_unwinder *u, struct uw_file *f)
{
	size_t b;

	if (u->nfiles >= u->nfbuckets) {
		size_t nb = u->nfbuckets ? u->nfbuckets * 2 : 64;
		struct uw_file **v = calloc(nb, sizeof(*v));

		if (!v)
			return -ENOMEM;
		for (size_t i = 0; i < u->nfbuckets; i++) {
			while (u->files[i]) {
				struct uw_file *g = u->files[i];

				u->files[i] = g->hnext;
				b = hash_id(&g->id) & (nb - 1);
				g->hnext = v[b];
				v[b] = g;
			}
		}
		free(u->files);
		u->files = v;
		u->nfbuckets = nb;
	}
	b = hash_id(&f->id) & (u->nfbuckets - 1);
	f->hnext = u->files[b];
	u->files[b] = f;
	u->nfiles++;
	return 0;
}

static int give_slot(struct sym_unwinder *u, struct uw_file *f)
{
	if (u->nslots == u->cap_slots) {
		size_t cap = u->cap_slots ? u->cap_slots * 2 : 64;
		struct uw_file **v;

		if (cap > FAKE_SLOTS)
			return -ENOSPC;
		v = realloc(u->slots, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		u->slots = v;
		u->cap_slots = cap;
	}
	f->slot = (uint32_t)u->nslots;
	u->slots[u->nslots++] = f;
	return 0;
}

static void free_file(struct uw_file *f)
{
	if (!f)
		return;
	sym_uw_table__release(&f->t);
	free(f->path);
	free(f);
}

/* Reads f's tables from the file mapped by m (the same file: checked by identity). */
static void read_tables(struct sym_unwinder *u, const struct sym_proc *p, const struct sym_map *m,
			struct uw_file *f)
{
	int fd = sym_proc__open_file(u->r, p, m, m->file), err;

	f->tried_ns = sym_now_ns();
	u->loads++;
	if (fd < 0) {
		f->err = fd;
		pr_debug("unwind: pid %d: %s: %s", (int)p->pid, m->path, strerror(-fd));
		return;
	}
	u->table_bytes -= f->t.bytes;
	sym_uw_table__release(&f->t);
	err = sym_uw_table__read_fd(fd, &f->t);
	close(fd);
	f->err = err;
	f->evicted = false;
	u->table_bytes += f->t.bytes;
	if (err)
		pr_debug("unwind: %s: %s", m->path, strerror(-err));
	else if (!f->t.eh.n && !f->t.debug.n)
		pr_debug("unwind: %s: no .eh_frame or .debug_frame to unwind with", m->path);
}

/* The unwind tables of m's file: from memory, or read now (once per file identity). */
static struct uw_file *tables_for(struct sym_unwinder *u, const struct sym_proc *p,
				  const struct sym_map *m)
{
	struct uw_file *f;

	if (!m->file)
		return NULL;
	f = find_file(u, &m->file->id);
	if (f) {
		if (f->evicted || (f->err && f->err != -ENOMEM &&
				   sym_now_ns() - f->tried_ns >= SYM_RETRY_NS))
			read_tables(u, p, m, f);
		f->used = u->clock;
		return f->err ? NULL : f;
	}
	f = calloc(1, sizeof(*f));
	if (!f)
		return NULL;
	f->id = m->file->id;
	f->path = strdup(m->path);
	if (!f->path || give_slot(u, f)) {
		free_file(f);
		return NULL;
	}
	if (insert_file(u, f)) {
		u->slots[--u->nslots] = NULL;
		free_file(f);
		return NULL;
	}
	read_tables(u, p, m, f);
	f->used = u->clock;
	return f->err ? NULL : f;
}

/*
 * Drops the tables used longest ago until they fit in TABLE_BYTES_MAX again; they are read again
 * if needed. Only between unwinds (libunwind may hold addresses into the tables during one).
 */
static void trim_tables(struct sym_unwinder *u)
{
	while (u->table_bytes > TABLE_BYTES_MAX) {
		struct uw_file *oldest = NULL;

		for (size_t i = 0; i < u->nslots; i++) {
			struct uw_file *f = u->slots[i];

			if (f && f != u->vdso && !f->evicted && f->t.bytes &&
			    (!oldest || f->used < oldest->used))
				oldest = f;
		}
		if (!oldest)
			return;
		u->table_bytes -= oldest->t.bytes;
		sym_uw_table__release(&oldest->t);
		oldest->evicted = true;
	}
}

/* Our own vdso is everyone's (see vdso.c); its tables are read from our memory. */
static struct uw_file *vdso_tables(struct sym_unwinder *u, const struct sym_map *m)
{
	uint64_t base;
	struct uw_file *f;

	if (!u->vdso_tried) {
		struct sym_file *own = sym_vdso__get(u->r);
		void *copy;
		int err;

		u->vdso_tried = true;
		base = getauxval(AT_SYSINFO_EHDR);
		if (!own || !base)
			return NULL;
		f = calloc(1, sizeof(*f));
		/* A private copy, as vdso.c makes: libelf gets memory that is ours to hand over. */
		copy = malloc(u->r->vdso_size);
		if (!f || !copy || give_slot(u, f)) {
			free(copy);
			free_file(f);
			return NULL;
		}
		memcpy(copy, (const void *)(uintptr_t)base, u->r->vdso_size);
		err = sym_uw_table__read_mem(copy, u->r->vdso_size, &f->t);
		free(copy);
		if (err) {
			u->slots[--u->nslots] = NULL;
			free_file(f);
			return NULL;
		}
		u->table_bytes += f->t.bytes;
		u->vdso = f;
		u->vdso_size = u->r->vdso_size;
	}
	if (!u->vdso || m->end - m->start != u->vdso_size)
		return NULL;
	return u->vdso;
}

/* Load bias of m's file: runtime address - link-time address, through the segment it maps. */
static uint64_t bias_of(const struct sym_map *m)
{
	const struct sym_file *f = m->file;
	const uint64_t page = 4096;

	if (m->kind == SYM_MAP_VDSO)
		return m->start; /* the vdso is linked at 0 */
	for (size_t i = 0; f && i < f->nsegs; i++) {
		const struct sym_segment *s = &f->segs[i];

		if (m->pgoff >= (s->offset & ~(page - 1)) && m->pgoff < s->offset + s->filesz)
			return m->start - m->pgoff + s->offset - s->vaddr;
	}
	return m->start - m->pgoff;
}

/* --- libunwind accessors --- */

static const struct sym_map *map_at(struct uw_ctx *c, uint64_t addr)
{
	if (c->m && addr >= c->m->start && addr < c->m->end)
		return c->m;
	return sym_maps__find(&c->p->maps, addr);
}

/* The tables and bias for mapping m; remembered as the last one met. */
static struct uw_file *file_at(struct uw_ctx *c, const struct sym_map *m)
{
	if (m == c->m)
		return c->f;
	c->m = m;
	c->bias = bias_of(m);
	if (m->kind == SYM_MAP_VDSO)
		c->f = vdso_tables(c->u, m);
	else
		c->f = tables_for(c->u, c->p, m);
	return c->f;
}

/* Reads the word at addr from bytes [base, base + len); bytes outside read as 0. */
static bool read_region(const uint8_t *data, uint64_t base, uint64_t len, uint64_t addr,
			unw_word_t *val)
{
	uint8_t w[8] = {0};

	if (addr >= base && addr - base <= len && len - (addr - base) >= 8) {
		memcpy(val, data + (addr - base), 8);
		return true;
	}
	if (addr + 8 <= base || addr >= base + len || addr + 8 < addr)
		return false;
	for (int i = 0; i < 8; i++)
		if (addr + i >= base && addr + i < base + len)
			w[i] = data[addr + i - base];
	memcpy(val, w, 8);
	return true;
}

static bool read_fake(struct uw_ctx *c, uint64_t addr, unw_word_t *val)
{
	uint64_t slot = (addr >> 34) & (FAKE_SLOTS - 1), base = addr & ~0xffffffffull;
	const struct uw_file *f;
	const struct sym_uw_section *s;

	if (slot >= c->u->nslots || !(f = c->u->slots[slot]))
		return false;
	switch ((addr >> 32) & 3) {
	case FAKE_EH_TABLE:
		s = &f->t.eh;
		return read_region((const uint8_t *)s->table, base, s->n * sizeof(*s->table), addr,
				   val);
	case FAKE_DEBUG_TABLE:
		s = &f->t.debug;
		return read_region((const uint8_t *)s->table, base, s->n * sizeof(*s->table), addr,
				   val);
	case FAKE_DEBUG_DATA:
		s = &f->t.debug;
		return read_region(s->data, base, s->len, addr, val);
	}
	return false;
}

static int access_mem(unw_addr_space_t as, unw_word_t addr, unw_word_t *val, int write,
		      void *arg)
{
	struct uw_ctx *c = arg;
	const struct sym_map *m;
	struct uw_file *f;

	if (write)
		return -UNW_EINVAL;
	if (addr >= c->lo && addr < c->hi && c->hi - addr >= 8) {
		memcpy(val, c->stack + (addr - c->lo), 8);
		return 0;
	}
	if ((addr & FAKE_MASK) == FAKE_TAG)
		return read_fake(c, addr, val) ? 0 : -UNW_EINVAL;
	f = c->f;
	if (f && f->t.eh.len &&
	    read_region(f->t.eh.data, f->t.eh.vaddr + c->bias, f->t.eh.len, addr, val))
		return 0;
	m = map_at(c, addr);
	if (m) {
		f = file_at(c, m);
		if (f && f->t.eh.len &&
		    read_region(f->t.eh.data, f->t.eh.vaddr + c->bias, f->t.eh.len, addr, val))
			return 0;
		*val = 0;
		return 0;
	}
	if (addr >= c->hi && addr - c->hi < STACK_SLACK) {
		if (c->cut)
			c->truncated = true;
		else
			c->bad_read = true;
	} else {
		c->bad_read = true;
	}
	return -UNW_EINVAL;
}

static int access_reg(unw_addr_space_t as, unw_regnum_t reg, unw_word_t *val, int write,
		      void *arg)
{
	struct uw_ctx *c = arg;

	if (write)
		return -UNW_EREADONLYREG;
	if (reg < 0 || reg > UNW_X86_64_RIP)
		return -UNW_EBADREG;
	*val = c->regs[reg];
	return 0;
}

static int search(struct uw_ctx *c, const struct uw_file *f, const struct sym_uw_section *s,
		  bool debug, unw_addr_space_t as, unw_word_t ip, unw_proc_info_t *pi, int need)
{
	unw_dyn_info_t di = {0};
	uint64_t addr = ip - c->bias;

	if (!s->n || addr < s->lo || addr >= s->hi)
		return -UNW_ENOINFO;
	di.format = UNW_INFO_FORMAT_IP_OFFSET;
	di.start_ip = s->anchor + c->bias;
	di.end_ip = s->hi + c->bias;
	di.gp = c->bias;
	di.u.rti.segbase = debug ? FAKE(f->slot, FAKE_DEBUG_DATA) : s->vaddr + c->bias;
	di.u.rti.table_data = FAKE(f->slot, debug ? FAKE_DEBUG_TABLE : FAKE_EH_TABLE);
	di.u.rti.table_len = s->n * sizeof(*s->table) / sizeof(unw_word_t);
	/* The rewritten .debug_frame's pointers are relative to the "global pointer". */
	pi->gp = c->bias;
	return UNW_OBJ(dwarf_search_unwind_table)(as, ip, &di, pi, need, c);
}

static int find_proc_info(unw_addr_space_t as, unw_word_t ip, unw_proc_info_t *pi, int need,
			  void *arg)
{
	struct uw_ctx *c = arg;
	const struct sym_map *m = map_at(c, ip);
	struct uw_file *f;
	int ret;

	if (!m || !(m->perms & SYM_PERM_EXEC)) {
		c->unmapped = true;
		return -UNW_EINVALIDIP;
	}
	f = file_at(c, m);
	if (!f) {
		c->no_info = true;
		return -UNW_ENOINFO;
	}
	ret = search(c, f, &f->t.eh, false, as, ip, pi, need);
	if (ret == -UNW_ENOINFO)
		ret = search(c, f, &f->t.debug, true, as, ip, pi, need);
	if (ret == -UNW_ENOINFO)
		c->no_info = true;
	return ret;
}

static void put_unwind_info(unw_addr_space_t as, unw_proc_info_t *pi, void *arg)
{
}

static int get_dyn_info_list_addr(unw_addr_space_t as, unw_word_t *addr, void *arg)
{
	return -UNW_ENOINFO;
}

static int access_fpreg(unw_addr_space_t as, unw_regnum_t reg, unw_fpreg_t *val, int write,
			void *arg)
{
	return -UNW_EINVAL;
}

static int resume(unw_addr_space_t as, unw_cursor_t *cursor, void *arg)
{
	return -UNW_EINVAL;
}

static int get_proc_name(unw_addr_space_t as, unw_word_t addr, char *buf, size_t len,
			 unw_word_t *off, void *arg)
{
	return -UNW_EINVAL;
}

/* --- processes --- */

static struct uw_proc **proc_slot(struct sym_unwinder *u, pid_t pid)
{
	struct uw_proc **pp;

	if (!u->npbuckets)
		return NULL;
	pp = &u->procs[profd_hash_u64((uint64_t)pid) & (u->npbuckets - 1)];
	while (*pp && (*pp)->pid != pid)
		pp = &(*pp)->hnext;
	return pp;
}

static void free_proc(struct uw_proc *up)
{
	if (up->as)
		unw_destroy_addr_space(up->as);
	free(up);
}

static void remove_proc(struct sym_unwinder *u, pid_t pid)
{
	struct uw_proc **pp = proc_slot(u, pid), *up;

	if (!pp || !*pp)
		return;
	up = *pp;
	*pp = up->hnext;
	u->nprocs--;
	free_proc(up);
}

/* Keeps the number of address spaces bounded: drops the least recently used process state. */
static void evict_proc(struct sym_unwinder *u)
{
	struct uw_proc *oldest = NULL;

	for (size_t i = 0; i < u->npbuckets; i++)
		for (struct uw_proc *up = u->procs[i]; up; up = up->hnext)
			if (!oldest || up->used < oldest->used)
				oldest = up;
	if (oldest)
		remove_proc(u, oldest->pid);
}

static int grow_procs(struct sym_unwinder *u)
{
	size_t nb = u->npbuckets ? u->npbuckets * 2 : 64;
	struct uw_proc **v = calloc(nb, sizeof(*v));

	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < u->npbuckets; i++) {
		while (u->procs[i]) {
			struct uw_proc *up = u->procs[i];
			size_t b = profd_hash_u64((uint64_t)up->pid) & (nb - 1);

			u->procs[i] = up->hnext;
			up->hnext = v[b];
			v[b] = up;
		}
	}
	free(u->procs);
	u->procs = v;
	u->npbuckets = nb;
	return 0;
}

/* The libunwind state of p, new for a new process, its cache flushed for a new snapshot. */
static struct uw_proc *proc_state(struct sym_unwinder *u, const struct sym_proc *p)
{
	struct uw_proc **pp = proc_slot(u, p->pid), *up = pp ? *pp : NULL;

	if (up && up->start_time != p->start_time) {
		remove_proc(u, p->pid);
		up = NULL;
	}
	if (!up) {
		if (u->nprocs >= ADDR_SPACES_MAX)
			evict_proc(u);
		if (u->nprocs >= u->npbuckets && grow_procs(u))
			return NULL;
		up = calloc(1, sizeof(*up));
		if (!up)
			return NULL;
		up->as = unw_create_addr_space(&u->acc, 0);
		if (!up->as) {
			free(up);
			return NULL;
		}
		unw_set_caching_policy(up->as, UNW_CACHE_GLOBAL);
		up->pid = p->pid;
		up->start_time = p->start_time;
		pp = &u->procs[profd_hash_u64((uint64_t)p->pid) & (u->npbuckets - 1)];
		up->hnext = *pp;
		*pp = up;
		u->nprocs++;
	} else if (up->snap != p || up->scanned_ns != p->scanned_ns) {
		unw_flush_cache(up->as, 0, 0);
	}
	up->snap = p;
	up->scanned_ns = p->scanned_ns;
	up->used = ++u->clock;
	return up;
}

/* --- public --- */

struct sym_unwinder *sym_unwinder__new(struct sym_resolver *r)
{
	struct sym_unwinder *u = calloc(1, sizeof(*u));

	if (!u)
		return NULL;
	u->r = r;
	u->acc = (unw_accessors_t){
		.find_proc_info = find_proc_info,
		.put_unwind_info = put_unwind_info,
		.get_dyn_info_list_addr = get_dyn_info_list_addr,
		.access_mem = access_mem,
		.access_reg = access_reg,
		.access_fpreg = access_fpreg,
		.resume = resume,
		.get_proc_name = get_proc_name,
	};
	return u;
}

void sym_unwinder__free(struct sym_unwinder *u)
{
	if (!u)
		return;
	for (size_t i = 0; i < u->npbuckets; i++) {
		while (u->procs[i]) {
			struct uw_proc *up = u->procs[i];

			u->procs[i] = up->hnext;
			free_proc(up);
		}
	}
	free(u->procs);
	for (size_t i = 0; i < u->nfbuckets; i++) {
		while (u->files[i]) {
			struct uw_file *f = u->files[i];

			u->files[i] = f->hnext;
			free_file(f);
		}
	}
	free(u->files);
	free_file(u->vdso);
	free(u->slots);
	free(u);
}

int sym_unwinder__prepare(struct sym_unwinder *u, pid_t pid)
{
	struct sym_proc *p = sym_procs__find(&u->r->procs, pid);

	if (!p)
		return -ESRCH;
	u->clock++;
	trim_tables(u);
	for (size_t i = 0; i < p->maps.n; i++) {
		const struct sym_map *m = &p->maps.v[i];

		if (!(m->perms & SYM_PERM_EXEC))
			continue;
		if (m->kind == SYM_MAP_VDSO)
			vdso_tables(u, m);
		else
			tables_for(u, p, m);
	}
	return 0;
}

static enum sym_unwind_stop why(const struct uw_ctx *c, int ret)
{
	if (c->truncated)
		return SYM_UNWIND_TRUNCATED;
	if (c->unmapped || ret == -UNW_EINVALIDIP)
		return SYM_UNWIND_UNMAPPED;
	if (c->bad_read)
		return SYM_UNWIND_BAD_READ;
	if (c->no_info || ret == -UNW_ENOINFO)
		return SYM_UNWIND_NO_INFO;
	return SYM_UNWIND_BAD_FRAME;
}

/* A return address must be code of the process; anything else is a bad guess, not a frame. */
static bool is_code(struct uw_ctx *c, uint64_t ip)
{
	const struct sym_map *m = map_at(c, ip - 1);

	return m && (m->perms & SYM_PERM_EXEC);
}

static size_t unwind_once(struct sym_unwinder *u, struct uw_ctx *c, struct uw_proc *up,
			  uint64_t *pcs, size_t max, enum sym_unwind_stop *stop)
{
	uint64_t ip = c->regs[UNW_X86_64_RIP], sp = c->lo, prev_sp;
	unw_cursor_t cur;
	size_t n = 0;
	int ret;

	pcs[n++] = ip;
	*stop = SYM_UNWIND_END;
	ret = unw_init_remote(&cur, up->as, c);
	if (ret < 0) {
		*stop = why(c, ret);
		return n;
	}
	while (n < max) {
		ret = unw_step(&cur);
		if (ret <= 0) {
			*stop = ret == 0 ? SYM_UNWIND_END : why(c, ret);
			return n;
		}
		prev_sp = sp;
		if (unw_get_reg(&cur, UNW_REG_IP, &ip) || unw_get_reg(&cur, UNW_REG_SP, &sp)) {
			*stop = SYM_UNWIND_BAD_FRAME;
			return n;
		}
		if (!ip)
			return n;
		if (sp <= prev_sp) {
			*stop = SYM_UNWIND_LOOP;
			return n;
		}
		if (!is_code(c, ip)) {
			*stop = c->truncated ? SYM_UNWIND_TRUNCATED : SYM_UNWIND_UNMAPPED;
			return n;
		}
		pcs[n++] = ip;
	}
	*stop = SYM_UNWIND_DEPTH;
	return n;
}

/*
 * Code the snapshot does not know: the process exec'd before we saw it (a command we started is
 * snapshotted before its exec) or mapped new code. Takes a new snapshot, at most every
 * REFRESH_NS per process. Returns the new snapshot or NULL.
 */
static struct sym_proc *refresh(struct sym_unwinder *u, struct uw_proc *up, pid_t pid)
{
	uint64_t now = sym_now_ns();

	if (now - up->refreshed_ns < REFRESH_NS)
		return NULL;
	up->refreshed_ns = now;
	if (sym_resolver__refresh_process(u->r, pid))
		return NULL;
	return sym_procs__find(&u->r->procs, pid);
}

int sym_unwinder__unwind(struct sym_unwinder *u, const struct sym_unwind_sample *s,
			 uint64_t *pcs, size_t max, enum sym_unwind_stop *stop)
{
	struct uw_ctx c = {
		.u = u,
		.regs = s->regs,
		.stack = s->stack,
		.lo = s->regs[UNW_X86_64_RSP],
		.hi = s->regs[UNW_X86_64_RSP] + s->stack_len,
		.cut = s->stack_cut,
	};
	struct sym_proc *p;
	struct uw_proc *up;
	size_t n;

	*stop = SYM_UNWIND_END;
	if (!max || !s->regs[UNW_X86_64_RIP])
		return 0;
	if (c.hi < c.lo) /* a stack at the top of the address space */
		c.hi = c.lo;
	u->unwinds++;
	c.p = sym_procs__find(&u->r->procs, s->pid);
	if (!c.p) {
		pcs[0] = s->regs[UNW_X86_64_RIP];
		*stop = SYM_UNWIND_NO_PROCESS;
		n = 1;
		goto out;
	}
	up = proc_state(u, c.p);
	if (!up)
		return -ENOMEM;
	if (!is_code(&c, s->regs[UNW_X86_64_RIP] + 1) && (p = refresh(u, up, s->pid))) {
		c.p = p;
		up = proc_state(u, p);
		if (!up)
			return -ENOMEM;
		c.m = NULL;
	}
	n = unwind_once(u, &c, up, pcs, max, stop);
out:
	u->frames += n;
	u->stops[*stop]++;
	return (int)n;
}

void sym_unwinder__drop_process(struct sym_unwinder *u, pid_t pid)
{
	remove_proc(u, pid);
}

void sym_unwinder__stats(const struct sym_unwinder *u, struct sym_unwind_stats *out)
{
	memset(out, 0, sizeof(*out));
	out->unwinds = u->unwinds;
	out->frames = u->frames;
	memcpy(out->stops, u->stops, sizeof(out->stops));
	out->files = u->nfiles + (u->vdso != NULL);
	out->table_bytes = u->table_bytes;
	out->loads = u->loads;
}
