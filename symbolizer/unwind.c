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
 * The tables hang off the files of the resolver's file cache (one per file identity, whichever
 * process maps it), and each process's libunwind address space off its snapshot (unwind_space.c),
 * so both go when the symbolizer forgets the file or the process. Nothing on the per-sample path
 * reads a file, except the first time a file is met outside sym_unwinder__prepare().
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

#include "common/clock.h"
#include "common/log.h"
#include "symbolizer/symbolizer_internal.h"
#include "symbolizer/unwind_table_internal.h"

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

struct sym_unwinder {
	struct sym_resolver *r;
	unw_accessors_t acc;
	uint64_t clock; /* counts unwinds and prepares: what "used" fields compare */
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
	struct sym_file *f; /* with unwind tables, or NULL */
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

/* Reads f's tables, from the file mapped by m or, for our vdso, from our memory. */
static void read_tables(struct sym_unwinder *u, const struct sym_proc *p, const struct sym_map *m,
			struct sym_file *f)
{
	struct sym_uw_table *t = calloc(1, sizeof(*t));
	int fd = -1, err;

	f->unwind_tried_ns = profd_coarse_ns();
	u->loads++;
	if (!t) {
		sym_filecache__set_unwind(&u->r->files, f, NULL, -ENOMEM);
		return;
	}
	if (f == u->r->vdso) {
		err = sym_vdso__unwind_tables(u->r, t);
	} else {
		fd = sym_proc__open_file(u->r, p, m, f);
		err = fd < 0 ? fd : sym_uw_table__read_fd(fd, t);
	}
	if (fd >= 0)
		close(fd);
	if (err) {
		pr_debug("unwind: pid %d: %s: %s", (int)p->pid, m->path, strerror(-err));
		free(t);
		t = NULL;
	} else if (!t->eh.n && !t->debug.n) {
		pr_debug("unwind: %s: no .eh_frame or .debug_frame to unwind with", m->path);
	}
	sym_filecache__set_unwind(&u->r->files, f, t, err);
}

/* The file of mapping m with its unwind tables: from memory, or read now (once per identity). */
static struct sym_file *tables_for(struct sym_unwinder *u, const struct sym_proc *p,
				   const struct sym_map *m)
{
	struct sym_file *f = m->kind == SYM_MAP_VDSO ? sym_vdso__get(u->r) : m->file;

	if (!f || (m->kind == SYM_MAP_VDSO && m->end - m->start != u->r->vdso_size))
		return NULL;
	if (!sym_filecache__slot(&u->r->files, f, FAKE_SLOTS))
		return NULL;
	if (!f->unwind && (!f->unwind_err || (f->unwind_err != -ENOMEM &&
					      profd_coarse_ns() - f->unwind_tried_ns >= SYM_RETRY_NS)))
		read_tables(u, p, m, f);
	f->unwind_used = u->clock;
	return f->unwind ? f : NULL;
}

/*
 * Drops the tables used longest ago until they fit in TABLE_BYTES_MAX again; they are read again
 * if needed. Only between unwinds (libunwind may hold addresses into the tables during one).
 */
static void trim_tables(struct sym_unwinder *u)
{
	struct sym_filecache *fc = &u->r->files;

	while (fc->unwind_bytes > TABLE_BYTES_MAX) {
		struct sym_file *oldest = NULL;

		for (struct sym_file *f = fc->lru.lru_next; f != &fc->lru; f = f->lru_next)
			if (f->unwind && (!oldest || f->unwind_used < oldest->unwind_used))
				oldest = f;
		if (!oldest)
			return;
		sym_filecache__evict_unwind(fc, oldest);
	}
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
static struct sym_file *file_at(struct uw_ctx *c, const struct sym_map *m)
{
	if (m == c->m)
		return c->f;
	c->m = m;
	c->bias = bias_of(m);
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
	uint32_t slot = (uint32_t)((addr >> 34) & (FAKE_SLOTS - 1));
	uint64_t base = addr & ~0xffffffffull;
	const struct sym_file *f = sym_filecache__by_slot(&c->u->r->files, slot);
	const struct sym_uw_section *s;

	if (!f || !f->unwind)
		return false;
	switch ((addr >> 32) & 3) {
	case FAKE_EH_TABLE:
		s = &f->unwind->eh;
		return read_region((const uint8_t *)s->table, base, s->n * sizeof(*s->table), addr,
				   val);
	case FAKE_DEBUG_TABLE:
		s = &f->unwind->debug;
		return read_region((const uint8_t *)s->table, base, s->n * sizeof(*s->table), addr,
				   val);
	case FAKE_DEBUG_DATA:
		s = &f->unwind->debug;
		return read_region(s->data, base, s->len, addr, val);
	}
	return false;
}

/* A word of f's .eh_frame, which lives at its load address. */
static bool read_eh(const struct sym_file *f, uint64_t bias, uint64_t addr, unw_word_t *val)
{
	const struct sym_uw_section *eh = &f->unwind->eh;

	return eh->len && read_region(eh->data, eh->vaddr + bias, eh->len, addr, val);
}

static int access_mem(unw_addr_space_t as, unw_word_t addr, unw_word_t *val, int write,
		      void *arg)
{
	struct uw_ctx *c = arg;
	const struct sym_map *m;
	struct sym_file *f;

	if (write)
		return -UNW_EINVAL;
	if (addr >= c->lo && addr < c->hi && c->hi - addr >= 8) {
		memcpy(val, c->stack + (addr - c->lo), 8);
		return 0;
	}
	if ((addr & FAKE_MASK) == FAKE_TAG)
		return read_fake(c, addr, val) ? 0 : -UNW_EINVAL;
	f = c->f;
	if (f && read_eh(f, c->bias, addr, val))
		return 0;
	m = map_at(c, addr);
	if (m) {
		f = file_at(c, m);
		if (f && read_eh(f, c->bias, addr, val))
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

static int search(struct uw_ctx *c, const struct sym_file *f, const struct sym_uw_section *s,
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
	struct sym_file *f;
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
	ret = search(c, f, &f->unwind->eh, false, as, ip, pi, need);
	if (ret == -UNW_ENOINFO)
		ret = search(c, f, &f->unwind->debug, true, as, ip, pi, need);
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

/* Keeps the number of address spaces bounded: drops the one of the process unwound longest ago. */
static void evict_space(struct sym_unwinder *u, const struct sym_proc *keep)
{
	const struct profd_htab *t = &u->r->procs.by_pid;
	struct sym_proc *oldest = NULL;

	for (size_t i = 0; i < t->cap; i++) {
		struct sym_proc *p = (struct sym_proc *)(uintptr_t)t->vals[i];

		if (p && p != keep && p->unwind && (!oldest || p->unwind->used < oldest->unwind->used))
			oldest = p;
	}
	if (oldest) {
		sym_uw_space__free(u->r, oldest->unwind);
		oldest->unwind = NULL;
	}
}

/* The libunwind state of p, new for a new process, its cache flushed for a new snapshot. */
static struct sym_uw_space *proc_state(struct sym_unwinder *u, struct sym_proc *p)
{
	struct sym_uw_space *sp = p->unwind;

	if (!sp) {
		if (u->r->unwind_spaces >= ADDR_SPACES_MAX)
			evict_space(u, p);
		sp = calloc(1, sizeof(*sp));
		if (!sp)
			return NULL;
		sp->as = unw_create_addr_space(&u->acc, 0);
		if (!sp->as) {
			free(sp);
			return NULL;
		}
		unw_set_caching_policy(sp->as, UNW_CACHE_GLOBAL);
		u->r->unwind_spaces++;
		p->unwind = sp;
	} else if (sp->scanned_ns != p->scanned_ns) {
		unw_flush_cache(sp->as, 0, 0);
	}
	sp->scanned_ns = p->scanned_ns;
	sp->used = ++u->clock;
	return sp;
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

		if (m->perms & SYM_PERM_EXEC)
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

static size_t unwind_once(struct uw_ctx *c, struct sym_uw_space *space, uint64_t *pcs,
			  size_t max, enum sym_unwind_stop *stop)
{
	uint64_t ip = c->regs[UNW_X86_64_RIP], sp = c->lo, prev_sp;
	unw_cursor_t cur;
	size_t n = 0;
	int ret;

	pcs[n++] = ip;
	*stop = SYM_UNWIND_END;
	ret = unw_init_remote(&cur, space->as, c);
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
 * REFRESH_NS per process; c->p is then the process's snapshot, new or not (or NULL), and *space
 * its state. Returns 0 or -ENOMEM.
 */
static int refresh(struct uw_ctx *c, struct sym_uw_space **space, pid_t pid)
{
	uint64_t now = profd_coarse_ns();

	if (now - (*space)->refreshed_ns < REFRESH_NS)
		return 0;
	(*space)->refreshed_ns = now;
	/* A new snapshot frees the old one, and its space with it. */
	sym_resolver__refresh_process(c->u->r, pid);
	c->p = sym_procs__find(&c->u->r->procs, pid);
	c->m = NULL;
	if (!c->p)
		return 0;
	*space = proc_state(c->u, c->p);
	if (!*space)
		return -ENOMEM;
	(*space)->refreshed_ns = now;
	return 0;
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
	struct sym_uw_space *sp;
	size_t n;

	*stop = SYM_UNWIND_END;
	if (!max || !s->regs[UNW_X86_64_RIP])
		return 0;
	if (c.hi < c.lo) /* a stack at the top of the address space */
		c.hi = c.lo;
	u->unwinds++;
	c.p = sym_procs__find(&u->r->procs, s->pid);
	if (c.p) {
		sp = proc_state(u, c.p);
		if (!sp || (!is_code(&c, s->regs[UNW_X86_64_RIP] + 1) && refresh(&c, &sp, s->pid)))
			return -ENOMEM;
	}
	if (c.p) {
		n = unwind_once(&c, sp, pcs, max, stop);
	} else {
		pcs[0] = s->regs[UNW_X86_64_RIP];
		*stop = SYM_UNWIND_NO_PROCESS;
		n = 1;
	}
	u->frames += n;
	u->stops[*stop]++;
	return (int)n;
}

void sym_unwinder__stats(const struct sym_unwinder *u, struct sym_unwind_stats *out)
{
	memset(out, 0, sizeof(*out));
	out->unwinds = u->unwinds;
	out->frames = u->frames;
	memcpy(out->stops, u->stops, sizeof(out->stops));
	out->files = u->r->files.with_unwind;
	out->table_bytes = u->r->files.unwind_bytes;
	out->loads = u->loads;
}
