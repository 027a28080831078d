// SPDX-License-Identifier: MIT
/*
 * sym_resolver: addresses -> sym_location. The hot path (a known process, a file whose symbols
 * and DWARF are in memory) is a hash lookup and a few binary searches: mapping, segment, symbol,
 * then for a file with DWARF its compilation unit, innermost scope and line-table row. Anything
 * that reads a file or /proc (a reload after eviction, a maps rescan, kallsyms, a perf map, a
 * debug file) is a rate-limited slow path and counts as a miss in the stats.
 *
 * With DWARF, every function is named from it (inline frames included), the outermost from the
 * symbol table only where no DWARF function covers the address, so a stripped binary with a
 * separate debug file gives the same frames as the unstripped one.
 *
 * Normalization: an address A in a mapping [start, end) at file offset pgoff lies at file
 * offset A - start + pgoff; the PT_LOAD segment whose file bytes hold that offset turns it into
 * the link-time address offset - p_offset + p_vaddr. This holds for PIE, non-PIE, shared
 * libraries and mappings at any offset, where normalizing by .text or by the first mapping would
 * not.
 */
#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/log.h"
#include "common/new.h"
#include "symbolizer/symbolizer_internal.h"

#define KERNEL_PATH "[kernel.kallsyms]"
#define UNKNOWN "[unknown]"
#define PROCESS_UNKNOWN "[process unknown]"

/* "a:b:c" -> {"a", "b", "c", NULL}; empty parts are dropped. */
static char **split_dirs(const char *list)
{
	size_t n = 2, i = 0;
	char **v, *copy, *save = NULL;

	for (const char *c = list; *c; c++)
		n += *c == ':';
	v = calloc(n, sizeof(*v));
	copy = strdup(list);
	if (!v || !copy) {
		free(v);
		free(copy);
		return NULL;
	}
	for (char *t = strtok_r(copy, ":", &save); t; t = strtok_r(NULL, ":", &save)) {
		v[i] = strdup(t);
		if (!v[i])
			break;
		i++;
	}
	free(copy);
	return v;
}

static void free_dirs(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

struct sym_resolver *sym_resolver__new(const struct sym_resolver_opts *opts)
{
	struct sym_resolver_opts none = {0};
	struct sym_resolver *r;

	if (!opts)
		opts = &none;
	r = calloc(1, sizeof(*r));
	if (!r)
		goto nomem;
	r->proc_root = strdup(opts->proc_root ? opts->proc_root : "/proc");
	r->kallsyms_path = strdup(opts->kallsyms ? opts->kallsyms : "/proc/kallsyms");
	r->perf_map_dir = strdup(opts->perf_map_dir ? opts->perf_map_dir : "/tmp");
	r->debug_dirs = split_dirs(opts->debug_dirs ? opts->debug_dirs : SYM_DEBUG_DIRS_DEFAULT);
	if (!r->proc_root || !r->kallsyms_path || !r->perf_map_dir || !r->debug_dirs ||
	    sym_filecache__init(&r->files, opts->cache_bytes))
		goto nomem;
	/* A part of the cache's bound: a cache too small for one file keeps no names either. */
	sym_name_memo__init(&r->names, r->files.max_bytes / 8 < SYM_NAME_MEMO_BYTES ?
					       r->files.max_bytes / 8 : SYM_NAME_MEMO_BYTES);
	/* Read once, here: the fetcher's thread must not race with anyone's setenv(). */
	r->debuginfod = sym_debuginfod__new(opts->debuginfod_timeout_ms);
	if (!r->debuginfod && errno != ENOENT)
		goto nomem;
	r->kernel_notes = !opts->kallsyms;
	r->lines = opts->lines;
	r->defer_names = opts->defer_names;
	r->stops = opts->stops;
	r->page_size = (uint64_t)sysconf(_SC_PAGESIZE);
	/* What "same root" means when deciding whether a process's paths are ours. */
	r->self_root_ok = !stat("/", &r->self_root);
	r->self_mntns_ok = !stat("/proc/self/ns/mnt", &r->self_mntns);
	return r;
nomem:
	return PROFD_NEW_FAILED(sym_resolver__free, r, -ENOMEM);
}

void sym_resolver__free(struct sym_resolver *r)
{
	if (!r)
		return;
	sym_debuginfod__free(r->debuginfod);
	sym_held__release(r);
	sym_procs__release(r);
	if (r->files.lru.lru_next) /* initialized */
		sym_filecache__release(&r->files);
	sym_kallsyms__free(r->kernel);
	sym_file__free(r->vdso);
	sym_name_memo__release(&r->names);
	free(r->proc_root);
	free(r->kallsyms_path);
	free(r->perf_map_dir);
	free_dirs(r->debug_dirs);
	free(r);
}

int sym_resolver__add_process(struct sym_resolver *r, pid_t pid)
{
	return sym_procs__add(r, pid, false);
}

int sym_resolver__refresh_process(struct sym_resolver *r, pid_t pid)
{
	return sym_procs__add(r, pid, true);
}

bool sym_resolver__knows(const struct sym_resolver *r, pid_t pid)
{
	return sym_procs__find(&r->procs, pid) != NULL;
}

void sym_resolver__drop_process(struct sym_resolver *r, pid_t pid)
{
	sym_procs__drop(r, pid);
}

int sym_resolver__add_history(struct sym_resolver *r, pid_t pid, const struct sym_kernel_map *v,
			      size_t n)
{
	return sym_procs__add_history(r, pid, v, n, true);
}

int sym_resolver__update_maps(struct sym_resolver *r, pid_t pid, const struct sym_kernel_map *v,
			      size_t n)
{
	return sym_procs__add_history(r, pid, v, n, false);
}

static const char *base_name(const char *path)
{
	const char *slash = path[0] == '[' ? NULL : strrchr(path, '/');

	return slash && slash[1] ? slash + 1 : path;
}

static void set_name(struct sym_resolver *r, const char *name, const char *system_name)
{
	r->frames[0].name = name;
	r->frames[0].system_name = system_name;
}

/* "libfoo.so+0x1a2b": the module is known, the function is not. */
static void fallback(struct sym_resolver *r, struct sym_location *out, const char *module,
		     uint64_t off, enum sym_reason reason)
{
	snprintf(r->name, sizeof(r->name), "%s+0x%llx", base_name(module), (unsigned long long)off);
	set_name(r, r->name, r->name);
	out->reason = reason;
}

static void unknown(struct sym_resolver *r, struct sym_location *out, enum sym_reason reason)
{
	set_name(r, UNKNOWN, UNKNOWN);
	out->reason = reason;
}

/* A module without segments: the mapping itself, in file offsets. */
static void mapping_module(struct sym_location *out, const struct sym_map *m, uint64_t foff)
{
	out->module.start = m->pgoff;
	out->module.limit = m->pgoff + (m->end - m->start);
	out->module.offset = m->pgoff;
	out->address = foff;
}

static const struct sym_segment *find_segment(const struct sym_file *f, uint64_t foff, bool exec)
{
	const struct sym_segment *any = NULL;

	/* Segments may share a page; the one whose permissions match the mapping's is it. */
	for (size_t i = 0; i < f->nsegs; i++) {
		const struct sym_segment *s = &f->segs[i];

		if (foff < s->offset || foff - s->offset >= s->filesz)
			continue;
		if (!!(s->flags & PF_X) == exec)
			return s;
		if (!any)
			any = s;
	}
	return any;
}

/* How read_again() reads more of a file. */
struct reread {
	int (*read)(struct sym_resolver *r, struct sym_file *f, int fd); /* 0 or -errno */
	const char *what;	/* for the -v message */
	uint64_t *failed_ns;	/* when it last failed; 0: it did not */
};

/*
 * Reads more of f with how->read from the file m maps in p, unless that failed less than
 * SYM_RETRY_NS ago. Says under -v why it failed. Returns whether it read.
 */
static bool read_again(struct sym_resolver *r, const struct sym_proc *p, const struct sym_map *m,
		       struct sym_file *f, const struct reread *how)
{
	uint64_t now = profd_coarse_ns();
	int fd, err;

	if (*how->failed_ns && now - *how->failed_ns < SYM_RETRY_NS)
		return false;
	r->did_io = true;
	fd = sym_proc__open_file(r, p, m, f);
	err = fd < 0 ? fd : how->read(r, f, fd);
	if (fd >= 0)
		close(fd);
	if (err)
		pr_debug("sym: pid %d: %s: cannot read %s: %s", (int)p->pid, m->path, how->what,
			 strerror(-err));
	*how->failed_ns = err ? (now ? now : 1) : 0;
	return !err;
}

static int reload_symbols(struct sym_resolver *r, struct sym_file *f, int fd)
{
	return sym_filecache__reload(&r->files, f, fd);
}

static int read_cfi_funcs(struct sym_resolver *r, struct sym_file *f, int fd)
{
	struct sym_symtab *t;
	int err = sym_cfi_funcs__read_fd(fd, sym_filecache__file_limit(&r->files), &t);

	if (!err)
		sym_filecache__set_cfi_funcs(&r->files, f, t);
	return err;
}

/* The symbol table of f, read again from the file if it was evicted. */
static const struct sym_symtab *symbols(struct sym_resolver *r, const struct sym_proc *p,
					const struct sym_map *m, struct sym_file *f)
{
	struct reread how = {reload_symbols, "symbols again", &f->reload_failed_ns};

	if (f->symtab || !f->evicted)
		return f->symtab;
	return read_again(r, p, m, f, &how) ? f->symtab : NULL;
}

/*
 * The functions in f's CFI, made on first use (once per file identity): from the unwinder's
 * tables when it has them in memory, else read from the file.
 */
static const struct sym_symtab *cfi_funcs(struct sym_resolver *r, const struct sym_proc *p,
					  const struct sym_map *m, struct sym_file *f)
{
	struct reread how = {read_cfi_funcs, "its unwind info", &f->cfi_failed_ns};
	struct sym_symtab *t;

	if (f->cfi_read || !f->cached)
		return f->cfi_funcs;
	if (f->unwind &&
	    !sym_cfi_funcs__from_table(f->unwind, sym_filecache__file_limit(&r->files), &t)) {
		sym_filecache__set_cfi_funcs(&r->files, f, t);
		return t;
	}
	return read_again(r, p, m, f, &how) ? f->cfi_funcs : NULL;
}

/*
 * Code of f that no symbol names: "libfoo.so+0xSTART", the file offset where the FDE covering
 * the address starts, so all addresses of one function share one name; the address's own
 * offset where no FDE covers it. Same kind of offset as fallback()'s.
 */
static void name_by_cfi(struct sym_resolver *r, const struct sym_proc *p, const struct sym_map *m,
			struct sym_file *f, struct sym_location *out, struct sym_frame *frame)
{
	const struct sym_symtab *t = cfi_funcs(r, p, m, f);
	const struct sym_symbol *fn = t ? sym_symtab__find(t, out->address) : NULL;
	uint64_t off = out->file_offset;

	if (fn && fn->addr >= out->module.start)
		off = fn->addr - out->module.start + out->module.offset;
	snprintf(r->name, sizeof(r->name), "%s+0x%llx", base_name(out->module.path),
		 (unsigned long long)off);
	frame->name = frame->system_name = r->name;
	out->reason = SYM_NO_SYMBOLS;
}

static void name_symbol(struct sym_resolver *r, struct sym_file *f, const struct sym_symbol *sym,
			struct sym_frame *frame)
{
	size_t grew;

	frame->name = sym_symtab__name(f->symtab, sym, &grew);
	frame->system_name = f->symtab->names + sym->name;
	if (grew)
		sym_filecache__grew(&r->files, f, grew);
}

/*
 * Names frame after sym when sym is the function DWARF calls frame->name: the symbol's name holds
 * the bare identifier.
 */
static void prefer_symbol(struct sym_resolver *r, struct sym_file *f, const struct sym_symbol *sym,
			  struct sym_frame *frame)
{
	struct sym_frame named = *frame;
	const char *bare = frame->name, *end = bare + strcspn(bare, "<");
	size_t len;

	/* "ns::(anonymous namespace)::f<int>" -> "f": what any spelling of it contains. */
	for (const char *c = bare; c + 1 < end; c++)
		if (c[0] == ':' && c[1] == ':')
			bare = c + 2;
	len = strcspn(bare, "<(");
	if (!len)
		return;
	name_symbol(r, f, sym, &named);
	if (memmem(named.name, strlen(named.name), bare, len))
		*frame = named;
}

/*
 * Frames from f's DWARF, if it has some for this address. Returns false to name the address
 * from the symbol table alone.
 */
static bool resolve_dwarf(struct sym_resolver *r, const struct sym_proc *p,
			  const struct sym_map *m, struct sym_file *f, struct sym_location *out)
{
	struct sym_dwarf *d = sym_debuginfo__get(r, p, m, f);
	const struct sym_symbol *sym;
	struct sym_frame *outer;
	size_t n, grew;

	if (!d)
		return false;
	out->module.has_functions = true;
	out->module.has_filenames = true;
	out->module.has_line_numbers = true;
	out->module.has_inline_frames = true;
	n = sym_dwarf__lookup(d, out->address, r->frames, SYM_INLINE_MAX, &grew);
	if (grew)
		sym_filecache__grew(&r->files, f, grew);
	if (!n)
		return false;
	out->nframes = n;
	outer = &r->frames[n - 1];
	/* A linkage name says it all: no symbol lookup for most C++ frames. */
	if (outer->name && sym_is_mangled(outer->system_name))
		return true;
	sym = f->symtab ? sym_symtab__find(f->symtab, out->address) : NULL;
	if (outer->name) {
		/*
		 * Without a linkage name DWARF says only "next" or spells template arguments its own
		 * way; the symbol of the same function says "work::(anonymous namespace)::next()".
		 */
		if (sym)
			prefer_symbol(r, f, sym, outer);
		return true;
	}
	/* Code without a DWARF function (assembly): the symbol names it, the line table places it. */
	if (sym) {
		name_symbol(r, f, sym, outer);
		return true;
	}
	name_by_cfi(r, p, m, f, out, outer);
	return true;
}

/*
 * Until when the names just given to an address of f stay true, or -1 if they may change at
 * the next lookup: a retry after a failed read, DWARF on its way from debuginfod.
 */
static int64_t names_valid_until(const struct sym_file *f, const struct sym_location *out)
{
	if (f->evicted && !f->symtab)
		return -1; /* the symbols could not be read again: the fallback name is a stopgap */
	if (out->reason == SYM_NO_SYMBOLS && f->cached && !f->cfi_read)
		return -1; /* named by its own offset until the file's CFI is read */
	if (out->reason != SYM_OK && out->reason != SYM_NO_SYMBOLS)
		return -1;
	if (!f->cached)
		return 0;
	switch (f->dwarf_state) {
	case SYM_DW_LOADED:
	case SYM_DW_NEVER:
		return 0;
	case SYM_DW_NONE: /* looked for again later: a debug package may come */
		return (int64_t)(f->dwarf_tried_ns + SYM_DEBUG_RETRY_NS);
	default:
		return -1;
	}
}

static void memo_keep(struct sym_resolver *r, const struct sym_file *f, const struct sym_location *out)
{
	int64_t until = names_valid_until(f, out);
	struct sym_memo_names names = {
		.frames = out->frames,
		.nframes = out->nframes,
		.reason = out->reason,
		.has_functions = out->module.has_functions,
		.has_filenames = out->module.has_filenames,
		.has_line_numbers = out->module.has_line_numbers,
		.has_inline_frames = out->module.has_inline_frames,
	};

	if (until >= 0)
		sym_name_memo__keep(&r->names, f->serial, out->address, (uint64_t)until, &names);
}

/* Names the address from the memo, if it holds it. */
static bool memo_find(struct sym_resolver *r, const struct sym_file *f, struct sym_location *out)
{
	const struct sym_memo_names *n = sym_name_memo__find(&r->names, f->serial, out->address,
							     profd_coarse_ns());

	if (!n)
		return false;
	out->frames = n->frames;
	out->nframes = n->nframes;
	out->reason = n->reason;
	out->module.has_functions = n->has_functions;
	out->module.has_filenames = n->has_filenames;
	out->module.has_line_numbers = n->has_line_numbers;
	out->module.has_inline_frames = n->has_inline_frames;
	return true;
}

/* Names the address from f's symbols, DWARF or CFI: the slow part memo_find() saves. */
static void name_in_file(struct sym_resolver *r, const struct sym_proc *p, const struct sym_map *m,
			 struct sym_file *f, struct sym_location *out)
{
	const struct sym_symbol *sym;
	const struct sym_symtab *t;

	sym_filecache__touch(&r->files, f);
	t = symbols(r, p, m, f);
	out->module.has_functions = t && t->n;
	if (f->cached && resolve_dwarf(r, p, m, f, out))
		return;
	sym = t ? sym_symtab__find(t, out->address) : NULL;
	if (sym) {
		name_symbol(r, f, sym, &r->frames[0]);
		return;
	}
	if (!t && f->evicted)
		fallback(r, out, out->module.path, out->file_offset, SYM_NO_FILE);
	else
		name_by_cfi(r, p, m, f, out, &r->frames[0]);
}

/*
 * Whether f's names can wait for the end of the run: it can be opened again by its path, from
 * our root, after its process is gone (not a container's file, not deleted, not a memfd).
 */
static bool may_defer(const struct sym_resolver *r, const struct sym_proc *p,
		      const struct sym_map *m, const struct sym_file *f)
{
	return r->defer_names && f->cached && m->kind == SYM_MAP_FILE && !m->deleted &&
	       p->root != SYM_ROOT_OTHER;
}

static void resolve_file(struct sym_resolver *r, const struct sym_proc *p, const struct sym_map *m,
			 struct sym_file *f, uint64_t a, struct sym_location *out)
{
	uint64_t foff = a - m->start + m->pgoff, skew;
	const struct sym_segment *seg;

	out->module.path = m->kind == SYM_MAP_VDSO ? sym_map__label(m) : m->path;
	out->module.deleted = m->deleted;
	out->file_offset = foff;
	if (!f) {
		mapping_module(out, m, foff);
		fallback(r, out, out->module.path, foff, SYM_NO_FILE);
		return;
	}
	out->module.build_id = f->build_id[0] ? f->build_id : NULL;
	seg = find_segment(f, foff, m->perms & SYM_PERM_EXEC);
	if (!seg) {
		mapping_module(out, m, foff);
		fallback(r, out, out->module.path, foff, SYM_NO_SYMBOLS);
		return;
	}
	/* Page-aligned like the mapping the loader made, so address - start + offset == foff. */
	skew = seg->offset & (r->page_size - 1);
	out->module.start = seg->vaddr - skew;
	out->module.limit = seg->vaddr + seg->memsz;
	out->module.offset = seg->offset - skew;
	out->address = foff - seg->offset + seg->vaddr;
	if (memo_find(r, f, out)) {
		/* Not touched on this path, yet in use: keeps the file from going idle. */
		sym_filecache__used(&r->files, f);
		return;
	}
	if (may_defer(r, p, m, f)) {
		out->deferred = sym_held__hold(r, p, m);
		if (out->deferred) {
			fallback(r, out, out->module.path, foff, SYM_NO_SYMBOLS);
			return;
		}
	}
	name_in_file(r, p, m, f, out); /* touches f */
	memo_keep(r, f, out);
}

/* An empty answer for address a: one blank frame, reason SYM_OK, to be filled. */
static void begin_location(struct sym_resolver *r, struct sym_location *out, uint64_t a)
{
	memset(out, 0, sizeof(*out));
	memset(&r->frames[0], 0, sizeof(r->frames[0]));
	out->frames = r->frames;
	out->nframes = 1;
	out->address = a;
}

/*
 * At the end of a run nothing else waits on the resolver: a debug file being fetched from
 * debuginfod is waited for, so the run's frames get its lines as they would have in a longer run.
 */
static void await_debug_file(struct sym_resolver *r, struct sym_held *h)
{
	struct sym_file *f = h->map.file;
	unsigned int gen;

	if (!r->debuginfod || !f->build_id[0])
		return;
	/* After a stop signal the wait returns at once: every later file is named without it. */
	do {
		gen = sym_debuginfod__generation(r->debuginfod);
		sym_debuginfo__get(r, &h->proc, &h->map, f); /* may ask for the file */
	} while (f->dwarf_state == SYM_DW_PENDING &&
		 sym_debuginfod__wait(r->debuginfod, gen, r->stops, r->stops_base));
	if (f->dwarf_state == SYM_DW_PENDING && r->stops && r->stops() != r->stops_base)
		pr_warn_once("stopped waiting for debug files from debuginfod: frames named without "
			     "their lines");
}

void sym_resolver__begin_naming_late(struct sym_resolver *r)
{
	r->stops_base = r->stops ? r->stops() : 0;
}

int sym_resolver__name_deferred(struct sym_resolver *r, uint32_t deferred,
				const struct sym_module *module, uint64_t addr,
				struct sym_location *out)
{
	struct sym_held *h = sym_held__get(r, deferred);

	begin_location(r, out, addr);
	if (!h)
		return -ENOENT;
	out->module = *module;
	out->file_offset = addr - module->start + module->offset;
	await_debug_file(r, h);
	name_in_file(r, &h->proc, &h->map, h->map.file, out);
	memo_keep(r, h->map.file, out);
	if (out->reason != SYM_OK)
		r->unnamed++;
	return 0;
}

void sym_resolver__named_deferred(struct sym_resolver *r, uint32_t deferred)
{
	struct sym_held *h = sym_held__get(r, deferred);

	if (h)
		sym_filecache__evict(&r->files, h->map.file);
}

void sym_resolver__forget_deferred(struct sym_resolver *r)
{
	sym_held__release(r);
}

void sym_resolver__drop_kernel(struct sym_resolver *r)
{
	sym_kallsyms__free(r->kernel);
	r->kernel = NULL;
	r->kernel_tried = false;
}

/* JIT code named by the process's perf map. m is NULL for an address outside every mapping. */
static bool resolve_perfmap(struct sym_resolver *r, struct sym_proc *p, const struct sym_map *m,
			    uint64_t a, struct sym_location *out)
{
	const struct sym_symbol *e = p->perfmap ? sym_symtab__find(p->perfmap->syms, a) : NULL;
	struct sym_symtab *t;
	size_t grew;

	/* A miss may be code compiled since the last read. */
	if (!e && sym_proc__update_perfmap(r, p))
		e = sym_symtab__find(p->perfmap->syms, a);
	if (!e)
		return false;
	t = p->perfmap->syms;
	set_name(r, sym_symtab__name(t, e, &grew), t->names + e->name);
	p->bytes += grew;
	r->procs_bytes += grew;
	out->module.path = m ? sym_map__label(m) : "[anon]";
	out->module.start = m ? m->start : e->addr;
	out->module.limit = m ? m->end : e->addr + e->size;
	out->module.has_functions = true;
	out->address = a;
	out->file_offset = a - out->module.start;
	out->reason = SYM_OK;
	return true;
}

/* Code with no file and no perf map entry: "[anon]+0xOFF", the offset in its mapping. */
static void resolve_special(struct sym_resolver *r, const struct sym_map *m, uint64_t a,
			    struct sym_location *out)
{
	out->module.path = sym_map__label(m);
	out->module.start = m->start;
	out->module.limit = m->end;
	out->address = a;
	out->file_offset = a - m->start;
	fallback(r, out, out->module.path, out->file_offset, SYM_NO_SYMBOLS);
}

static void resolve_user(struct sym_resolver *r, struct sym_proc *p, uint64_t a,
			 struct sym_location *out)
{
	struct sym_map *m = sym_maps__find(&p->maps, a);
	struct sym_file *vdso;

	if (!m && !sym_proc__rescan(r, p))
		m = sym_maps__find(&p->maps, a);
	if (!m) {
		if (!resolve_perfmap(r, p, NULL, a, out))
			unknown(r, out, SYM_UNMAPPED);
		return;
	}
	switch (m->kind) {
	case SYM_MAP_FILE:
	case SYM_MAP_MEMFD:
		resolve_file(r, p, m, m->file, a, out);
		break;
	case SYM_MAP_VDSO:
		vdso = sym_vdso__get(r);
		if (vdso && m->end - m->start == r->vdso_size)
			resolve_file(r, p, m, vdso, a, out);
		else
			resolve_special(r, m, a, out);
		break;
	case SYM_MAP_ANON:
	case SYM_MAP_HEAP:
	case SYM_MAP_STACK:
		if (!resolve_perfmap(r, p, m, a, out))
			resolve_special(r, m, a, out);
		break;
	default:
		resolve_special(r, m, a, out);
		break;
	}
}

static bool load_kernel(struct sym_resolver *r)
{
	struct sym_kallsyms *k;
	int err;

	r->kernel_tried = true;
	r->kernel_loaded_ns = profd_coarse_ns();
	r->did_io = true;
	err = sym_kallsyms__load(r->kallsyms_path, r->kernel_notes ? "/sys/kernel/notes" : NULL,
				 &k);
	if (err) {
		pr_warn_once("sym: %s: %s; kernel frames are named [unknown]", r->kallsyms_path,
			     strerror(-err));
		return false;
	}
	if (k->hidden)
		pr_warn_once("sym: %s shows no addresses (needs CAP_SYSLOG, or kernel.kptr_restrict=0 "
			     "and kernel.perf_event_paranoid<=1); kernel frames are named [unknown]",
			     r->kallsyms_path);
	sym_kallsyms__free(r->kernel);
	r->kernel = k;
	return true;
}

static void resolve_kernel(struct sym_resolver *r, uint64_t a, struct sym_location *out)
{
	bool due = !r->kernel_tried || profd_coarse_ns() - r->kernel_loaded_ns >= SYM_KERNEL_RELOAD_NS;
	const struct sym_symbol *s = r->kernel ? sym_symtab__find(r->kernel->syms, a) : NULL;
	struct sym_kallsyms *k;
	const struct sym_kmod *mod;
	uint32_t m;
	size_t grew;

	/* Unknown code may be a module or BPF program loaded since the last read. */
	if (!s && due && load_kernel(r))
		s = sym_symtab__find(r->kernel->syms, a);
	out->module.kernel = true;
	out->address = a;
	if (!s) {
		out->module.path = KERNEL_PATH;
		out->module.limit = UINT64_MAX;
		out->file_offset = a;
		unknown(r, out, SYM_UNMAPPED);
		return;
	}
	k = r->kernel;
	m = k->sym_mods[s - k->syms->syms];
	mod = &k->mods[m];
	out->module.path = mod->path;
	out->module.build_id = m == 0 && k->build_id[0] ? k->build_id : NULL;
	out->module.start = mod->start;
	out->module.limit = mod->limit;
	out->module.has_functions = true;
	out->file_offset = a - mod->start;
	out->reason = SYM_OK;
	set_name(r, sym_symtab__name(k->syms, s, &grew), k->syms->names + s->name);
	k->bytes += grew;
}

int sym_resolver__resolve(struct sym_resolver *r, pid_t pid, uint64_t addr, bool is_return,
			  struct sym_location *out)
{
	/* The call instruction ends before the return address: look up the byte before it. */
	uint64_t a = is_return && addr ? addr - 1 : addr;
	struct sym_proc *p;

	begin_location(r, out, a);
	r->did_io = false;
	if (pid == 0) {
		resolve_kernel(r, a, out);
	} else {
		p = sym_procs__find(&r->procs, pid);
		if (p) {
			resolve_user(r, p, a, out);
		} else {
			set_name(r, PROCESS_UNKNOWN, PROCESS_UNKNOWN);
			out->reason = SYM_PROCESS_GONE;
		}
	}
	if (r->did_io)
		r->misses++;
	else
		r->hits++;
	if (out->reason != SYM_OK && !out->deferred)
		r->unnamed++;
	return 0;
}

uint64_t sym_resolver__misses(const struct sym_resolver *r)
{
	return r->misses;
}

void sym_resolver__count_hit(struct sym_resolver *r)
{
	r->hits++;
}

void sym_resolver__drop_pages(struct sym_resolver *r)
{
	uint64_t now = (uint64_t)profd_coarse_ns();

	for (struct sym_file *f = r->files.lru.lru_next; f != &r->files.lru; f = f->lru_next) {
		size_t before;

		if (!f->dwarf)
			continue;
		before = sym_dwarf__bytes(f->dwarf);
		sym_dwarf__drop_pages(f->dwarf, now);
		sym_filecache__shrank(&r->files, f, before - sym_dwarf__bytes(f->dwarf));
	}
}

void sym_resolver__forget_idle(struct sym_resolver *r)
{
	sym_filecache__forget_idle(&r->files);
}

void sym_resolver__stats(const struct sym_resolver *r, struct sym_stats *out)
{
	memset(out, 0, sizeof(*out));
	out->files = r->files.with_symbols;
	out->cache_bytes = r->files.bytes + r->procs_bytes + (r->kernel ? r->kernel->bytes : 0) +
			   (r->vdso ? r->vdso->bytes : 0) + r->names.bytes +
			   profd_htab_bytes(&r->names.index);
	out->hits = r->hits;
	out->misses = r->misses;
	out->processes = r->procs.by_pid.n;
	out->loads = r->files.loads;
	out->evictions = r->files.evictions;
	out->unnamed = r->unnamed;
	out->debug_files = r->files.with_dwarf;
	out->debug_loads = r->files.dwarf_loads;
	for (const struct sym_file *f = r->files.lru.lru_next; f != &r->files.lru; f = f->lru_next)
		if (f->dwarf)
			out->debug_bytes += sym_dwarf__bytes(f->dwarf);
	out->debuginfod_fetches = r->debuginfod ? sym_debuginfod__fetched(r->debuginfod) : 0;
}
