// SPDX-License-Identifier: MIT
/*
 * One file's DWARF -> functions, source lines and chains of inlined calls, through libdw.
 *
 * libdw's own address lookups are not used: elfutils 0.188 finds a compilation unit only through
 * .debug_aranges (dwarf_addrdie), which clang 14 and Go do not emit, and dwarf_getscopes() walks
 * a unit's whole DIE tree again for every address. Two lookup structures are built instead, each
 * once:
 *
 *   units   every compilation unit's address ranges, from its DW_AT_low_pc/high_pc or
 *           DW_AT_ranges (.debug_aranges only for a unit that has neither), sorted by address;
 *           built when the file is opened, from the unit headers alone.
 *   scopes  per unit, on its first lookup: one walk of its DIE tree collects the functions
 *           (DW_TAG_subprogram) and inlined calls (DW_TAG_inlined_subroutine) that have code,
 *           with names (through DW_AT_abstract_origin and DW_AT_specification) and call sites;
 *           their nested ranges are flattened into sorted, disjoint segments, each naming the
 *           innermost scope, whose parents are the chain of calls it was inlined into.
 *
 * The line of an address comes from its unit's line table, copied out of libdw when the unit is
 * indexed (dwarf_lines.c: a third of libdw's size); the line of every outer frame is the call
 * site (DW_AT_call_file/call_line) of the frame inside it. What libdw itself holds for the units
 * read so far (line tables, abbreviations) is dropped by ending its state and beginning it again
 * once it passes LIBDW_BYTES_DEFAULT; the indexes keep DIE offsets and copied strings, never
 * pointers into that state. A file that borrows from a supplementary file (dwz) keeps its state:
 * names in it point into the other file, which libdw closes with the state; so does one with
 * .zdebug_ sections, which libdw inflates in place and would not recognize a second time.
 *
 * A unit no lookup used for UNIT_IDLE_NS loses its scopes and line rows between drains, and is
 * indexed again on its next lookup. The resolver remembers the names of the addresses it has
 * seen, so a long run's lookups are of addresses new to it, and the units they fall in would
 * otherwise stay as long as the file is cached: an agent's index of libc grew by a unit or two
 * a minute for as long as it ran.
 *
 * Files come from anywhere, so nothing in them is trusted: every debug section is checked
 * against the file size and the memory bound before libelf reads it, compressions this libdw
 * cannot inflate (zstd) are refused up front, DIE walks are bounded in depth, and libelf reads
 * with pread (no mapping a truncating writer could turn into SIGBUS). Every section libdw uses
 * is read when the file is opened, so the file is closed at once.
 */
#include <elf.h>
#include <errno.h>
#include <gelf.h>
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/array.h"
#include "common/clock.h"
#include "common/log.h"
#include "symbolizer/dwarf_lines_internal.h"
#include "symbolizer/symbolizer_internal.h"

#ifndef ELFCOMPRESS_ZSTD
#define ELFCOMPRESS_ZSTD 2
#endif

#define NONE UINT32_MAX
#define DEPTH_MAX 256 /* DIE nesting walked; deeper trees are not real code */
#define RANGES_PER_DIE_MAX 4096
#define NOTES_MAX 65536
#define DROP_EVERY_UNITS 256 /* units read between giving a mapped copy's pages back */
#define SCAN_BACK 16 /* overlapping unit ranges looked at behind the nearest one */
/* Estimates of what libdw allocates, for cache accounting: per line-table row, per unit. */
#define LINE_BYTES 52
#define UNIT_BYTES 512
/* libdw state kept before it is begun again: its line tables are copied out by then, and a
 * restart costs only reading unit headers again, so a small bound is cheap. */
#define LIBDW_BYTES_DEFAULT (64u << 10)
#define UNIT_IDLE_NS (60ull * 1000000000) /* a unit's index unused this long is forgotten */

struct scope {
	const char *name;      /* DW_AT_name, or NULL */
	const char *linkage;   /* DW_AT_linkage_name (mangled), or NULL */
	const char *call_file; /* inlined calls: where the call is */
	uint32_t call_line;
	uint32_t decl_line;
	uint32_t parent; /* the scope this call was inlined into; NONE for a function */
	uint32_t key;	 /* of its demangled name: unique in the file */
	Dwarf_Off die;	 /* C++ without a linkage name: qualified lazily from here; else 0 */
};

/* [lo, hi) belongs to scope and to no scope nested in it. */
struct seg {
	uint64_t lo, hi;
	uint32_t scope;
};

struct unit {
	Dwarf_Die die; /* valid while gen is the file's (libdw's state was not begun again) */
	Dwarf_Off off; /* of die */
	uint32_t gen;
	bool indexed;
	bool keyed; /* first_key is set: the unit was indexed before */
	bool cplus; /* names need their namespaces and classes when no linkage name says them */
	uint32_t first_key; /* of its scopes, the same each time it is indexed */
	uint64_t used_ns;   /* of its last lookup */
	size_t bytes;	    /* its scopes, segments and line rows (what forget_unit() frees) */
	struct scope *scopes; /* a parent comes before its children */
	size_t nscopes;
	struct seg *segs; /* sorted, disjoint */
	size_t nsegs;
	struct sym_lines lines;
};

struct urange {
	uint64_t lo, hi;
	uint32_t unit;
};

/* Where a section's bytes are in memory. */
struct span {
	const char *lo, *hi;
};

#define INFO_SECTIONS_MAX 4

struct sym_dwarf {
	Elf *elf;
	Dwarf *dw;
	struct unit *units;
	size_t nunits, nindexed;
	struct urange *ranges; /* sorted by lo; may overlap in odd files */
	size_t nranges;
	uint32_t next_key;
	struct sym_dcache names; /* demangled linkage names, by scope key */
	struct sym_arena files;	 /* source file names of the units' lines and calls */
	size_t bytes;		 /* everything but names and files */
	size_t libdw_bytes;	 /* of bytes, libdw's since its state began */
	size_t libdw_bytes_max;	 /* when its state is begun again */
	uint32_t gen;		 /* times libdw's state was begun again */
	bool keeps_libdw;	 /* never begun again: a supplementary file or .zdebug_ */
	bool mapped;		 /* the sections are a mapped copy (dwarf_image.c) */
	struct span inline_strings[INFO_SECTIONS_MAX]; /* .debug_info, .debug_types */
	size_t nspans;
};

/* A range of one scope, while a unit is indexed. */
struct entry {
	uint64_t lo, hi;
	uint32_t scope, depth;
};

struct growable {
	void *v;
	size_t n, cap;
};

static void *grow(struct growable *g, size_t size)
{
	if (profd_array_reserve(&g->v, &g->cap, g->n + 1, size, 64))
		return NULL;
	return (char *)g->v + g->n++ * size;
}

/* --- opening: checks before libelf reads anything --- */

struct scan {
	char build_id[2 * SYM_BUILD_ID_MAX + 1];
	bool has_info, damaged, unsupported;
	bool keeps_libdw; /* libdw's state cannot be begun again (see bound_libdw()) */
	uint64_t bytes; /* debug sections as libdw will hold them */
};

static bool range_ok(uint64_t size, uint64_t off, uint64_t len)
{
	return off <= size && len <= size - off;
}

static int pread_all(int fd, void *buf, size_t len, uint64_t off)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = pread(fd, (char *)buf + done, len - done, (off_t)(off + done));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (!n)
			return -EIO;
		done += (size_t)n;
	}
	return 0;
}

/* The size a compressed section inflates to, or 0 if its header is unusable. */
static uint64_t compressed_size(int fd, Elf *elf, const GElf_Shdr *sh, const char *name,
				struct scan *sc)
{
	unsigned char hdr[24];
	uint64_t size = 0;

	if (sh->sh_size < 12 || pread_all(fd, hdr, 12, sh->sh_offset))
		return 0;
	if (!(sh->sh_flags & SHF_COMPRESSED)) {
		/* .zdebug_*: "ZLIB" and the size, big-endian. */
		if (memcmp(hdr, "ZLIB", 4))
			return 0;
		for (int i = 4; i < 12; i++)
			size = size << 8 | hdr[i];
		return size;
	}
	if (gelf_getclass(elf) == ELFCLASS64) {
		Elf64_Chdr ch;

		if (sh->sh_size < sizeof(ch) || pread_all(fd, &ch, sizeof(ch), sh->sh_offset))
			return 0;
		if (ch.ch_type != ELFCOMPRESS_ZLIB) {
			sc->unsupported = true;
			pr_debug("sym: %s compressed with type %u", name, ch.ch_type);
		}
		return ch.ch_size;
	}
	{
		Elf32_Chdr ch;

		if (sh->sh_size < sizeof(ch) || pread_all(fd, &ch, sizeof(ch), sh->sh_offset))
			return 0;
		if (ch.ch_type != ELFCOMPRESS_ZLIB)
			sc->unsupported = true;
		return ch.ch_size;
	}
}

static void read_build_id(Elf_Scn *scn, const GElf_Shdr *sh, uint64_t size, struct scan *sc)
{
	Elf_Data *data;

	if (sc->build_id[0] || !sh->sh_size || sh->sh_size > NOTES_MAX ||
	    !range_ok(size, sh->sh_offset, sh->sh_size))
		return;
	data = elf_getdata(scn, NULL);
	if (data && data->d_buf)
		sym_build_id_from_notes(data->d_buf, data->d_size, sh->sh_addralign, sc->build_id,
					sizeof(sc->build_id));
}

/* Marks sh as holding nothing, in libelf's copy of the headers only: libdw then skips it. */
static void hide_section(Elf_Scn *scn, GElf_Shdr *sh)
{
	sh->sh_type = SHT_NOBITS;
	gelf_update_shdr(scn, sh);
}

static int scan_sections(int fd, Elf *elf, uint64_t size, struct scan *sc)
{
	size_t shstrndx, nsecs;
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;

	memset(sc, 0, sizeof(*sc));
	if (elf_getshdrnum(elf, &nsecs) || elf_getshdrstrndx(elf, &shstrndx) || !shstrndx ||
	    shstrndx >= nsecs)
		return 0;
	scn = elf_getscn(elf, shstrndx);
	if (!scn || !gelf_getshdr(scn, &sh) || sh.sh_type != SHT_STRTAB ||
	    !range_ok(size, sh.sh_offset, sh.sh_size))
		return 0;
	scn = NULL;
	while ((scn = elf_nextscn(elf, scn))) {
		const char *name;
		bool z;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type == SHT_NOBITS)
			continue;
		if (sh.sh_type == SHT_NOTE) {
			read_build_id(scn, &sh, size, sc);
			continue;
		}
		name = elf_strptr(elf, shstrndx, sh.sh_name);
		if (!name)
			continue;
		if (!strcmp(name, ".gnu_debugaltlink") || !strcmp(name, ".debug_sup"))
			sc->keeps_libdw = true;
		z = !strncmp(name, ".zdebug_", 8);
		/* libdw inflates .zdebug_ sections in place, and would not know them again. */
		sc->keeps_libdw |= z;
		if (strncmp(name, ".debug_", 7) && !z)
			continue;
		if (sym_dwarf_section_unused(name + (z ? 8 : 7))) {
			hide_section(scn, &sh);
			continue;
		}
		if (!range_ok(size, sh.sh_offset, sh.sh_size)) {
			sc->damaged = true;
			continue;
		}
		if (!strcmp(name + (z ? 7 : 6), "_info") && sh.sh_size)
			sc->has_info = true;
		if (z || (sh.sh_flags & SHF_COMPRESSED)) {
			uint64_t n = compressed_size(fd, elf, &sh, name, sc);

			if (!n)
				sc->damaged = true;
			sc->bytes += n;
		} else {
			sc->bytes += sh.sh_size;
		}
	}
	return 0;
}

/* --- units: address -> compilation unit --- */

static bool usable_range(uint64_t lo, uint64_t hi)
{
	/* Address 0 and inverted ranges are what linkers leave of discarded code. */
	return lo && lo < hi;
}

static int add_urange(struct growable *g, uint64_t lo, uint64_t hi, uint32_t unit)
{
	struct urange *r = grow(g, sizeof(*r));

	if (!r)
		return -ENOMEM;
	*r = (struct urange){.lo = lo, .hi = hi, .unit = unit};
	return 0;
}

static int cmp_urange(const void *a, const void *b)
{
	const struct urange *x = a, *y = b;

	if (x->lo != y->lo)
		return x->lo < y->lo ? -1 : 1;
	if (x->hi != y->hi)
		return x->hi > y->hi ? -1 : 1;
	return x->unit < y->unit ? -1 : x->unit > y->unit;
}

static struct unit *unit_at_offset(struct sym_dwarf *d, Dwarf_Off off)
{
	size_t lo = 0, hi = d->nunits;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		Dwarf_Off o = d->units[mid].off;

		if (o == off)
			return &d->units[mid];
		if (o < off)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* Units without ranges of their own, from .debug_aranges if the file has it. */
static int add_aranges(struct sym_dwarf *d, struct growable *g, const bool *covered)
{
	Dwarf_Aranges *ar;
	size_t n;

	if (dwarf_getaranges(d->dw, &ar, &n))
		return 0;
	for (size_t i = 0; i < n; i++) {
		Dwarf_Arange *a = dwarf_onearange(ar, i);
		Dwarf_Addr addr;
		Dwarf_Word len;
		Dwarf_Off off;
		struct unit *u;

		if (!a || dwarf_getarangeinfo(a, &addr, &len, &off) || addr + len < addr)
			continue;
		u = unit_at_offset(d, off);
		if (!u || covered[u - d->units] || !usable_range(addr, addr + len))
			continue;
		if (add_urange(g, addr, addr + len, (uint32_t)(u - d->units)))
			return -ENOMEM;
	}
	return 0;
}

static int build_units(struct sym_dwarf *d)
{
	struct growable units = {0}, ranges = {0};
	bool *covered = NULL, missing = false;
	Dwarf_CU *cu = NULL;
	Dwarf_Die cudie;
	uint8_t type;
	int err = 0;

	while (!err && dwarf_get_units(d->dw, cu, &cu, NULL, &type, &cudie, NULL) == 0) {
		struct unit *u;

		if (type == DW_UT_type || type == DW_UT_split_type)
			continue;
		if (units.n >= NONE - 1)
			break;
		u = grow(&units, sizeof(*u));
		if (!u) {
			err = -ENOMEM;
			break;
		}
		*u = (struct unit){.die = cudie, .off = dwarf_dieoffset(&cudie)};
		/* A mapped copy: what the walk read so far need not stay resident (dwarf_image.c). */
		if (d->mapped && units.n % DROP_EVERY_UNITS == 0)
			sym_dwarf_image__drop_pages(d->elf);
	}
	d->units = units.v;
	d->nunits = units.n;
	if (!err && d->nunits) {
		covered = calloc(d->nunits, sizeof(*covered));
		if (!covered)
			err = -ENOMEM;
	}
	for (size_t i = 0; !err && i < d->nunits; i++) {
		Dwarf_Addr base, lo, hi;
		ptrdiff_t off = 0;
		size_t k = 0;

		if (d->mapped && i % DROP_EVERY_UNITS == DROP_EVERY_UNITS - 1)
			sym_dwarf_image__drop_pages(d->elf);
		while (!err && k < RANGES_PER_DIE_MAX &&
		       (off = dwarf_ranges(&d->units[i].die, off, &base, &lo, &hi)) > 0) {
			k++;
			if (!usable_range(lo, hi))
				continue;
			err = add_urange(&ranges, lo, hi, (uint32_t)i);
			covered[i] = true;
		}
		missing |= !covered[i];
	}
	if (!err && missing)
		err = add_aranges(d, &ranges, covered);
	free(covered);
	d->ranges = ranges.v;
	d->nranges = ranges.n;
	if (!err && d->nranges) /* ranges is NULL when there are none */
		qsort(d->ranges, d->nranges, sizeof(*d->ranges), cmp_urange);
	return err;
}

_Static_assert(offsetof(struct urange, lo) == 0, "profd_array_upper() keys on lo");
_Static_assert(offsetof(struct seg, lo) == 0, "profd_array_upper() keys on lo");

static struct unit *find_unit(const struct sym_dwarf *d, uint64_t addr)
{
	size_t lo = profd_array_upper(d->ranges, d->nranges, sizeof(*d->ranges), addr);

	for (size_t i = lo, k = 0; i > 0 && k < SCAN_BACK; i--, k++) {
		const struct urange *r = &d->ranges[i - 1];

		if (addr < r->hi)
			return &d->units[r->unit];
	}
	return NULL;
}

/* --- scopes: one walk of a unit's DIE tree --- */

struct indexer {
	struct sym_dwarf *d;
	struct unit *u;
	struct growable scopes, entries;
};

/*
 * libdw returns a DW_FORM_string attribute as a pointer into .debug_info without checking that
 * a NUL ends it inside the section: in a damaged file the last string runs past the section's
 * end (found by fuzz_elf_dwarf). Such a string is dropped; strings in the string sections were
 * checked whole at open (strings_terminated).
 */
static const char *bounded_string(const struct sym_dwarf *d, const char *s)
{
	for (size_t i = 0; s && i < d->nspans; i++) {
		const struct span *sp = &d->inline_strings[i];

		if (s >= sp->lo && s < sp->hi)
			return memchr(s, 0, (size_t)(sp->hi - s)) ? s : NULL;
	}
	return s;
}

static const char *attr_string(const struct sym_dwarf *d, Dwarf_Die *die, unsigned int name)
{
	Dwarf_Attribute a;

	/* Integrated: through DW_AT_abstract_origin and DW_AT_specification. */
	return bounded_string(d, dwarf_formstring(dwarf_attr_integrate(die, name, &a)));
}

static uint32_t attr_u32(Dwarf_Die *die, unsigned int name)
{
	Dwarf_Attribute a;
	Dwarf_Word v;

	if (dwarf_formudata(dwarf_attr(die, name, &a), &v) || v > UINT32_MAX)
		return 0;
	return (uint32_t)v;
}

static void describe(struct indexer *ix, Dwarf_Die *die, bool inlined, struct scope *s)
{
	int line;

	s->name = attr_string(ix->d, die, DW_AT_name);
	s->linkage = attr_string(ix->d, die, DW_AT_linkage_name);
	if (!s->linkage)
		s->linkage = attr_string(ix->d, die, DW_AT_MIPS_linkage_name);
	/* GCC gives internal-linkage C++ functions no linkage name: only "foo", not "ns::foo". */
	if (!s->linkage && s->name && ix->u->cplus)
		s->die = dwarf_dieoffset(die);
	if (!dwarf_decl_line(die, &line) && line > 0)
		s->decl_line = (uint32_t)line;
	if (inlined) {
		uint32_t file = attr_u32(die, DW_AT_call_file);

		s->call_line = attr_u32(die, DW_AT_call_line);
		s->call_file = sym_lines__file(&ix->u->lines, &ix->d->files, file);
	}
}

/*
 * Adds a function or inlined call with code. Returns 1 with *id if it has address ranges, 0 if
 * not (a declaration or an abstract instance: nothing inside it has code either), or -ENOMEM.
 */
static int add_scope(struct indexer *ix, Dwarf_Die *die, bool inlined, uint32_t parent,
		     uint32_t depth, uint32_t *id)
{
	Dwarf_Addr base, lo, hi;
	ptrdiff_t off = 0;
	struct scope *s;
	size_t k = 0;
	bool any = false;

	while (k++ < RANGES_PER_DIE_MAX && (off = dwarf_ranges(die, off, &base, &lo, &hi)) > 0) {
		struct entry *e;

		if (!usable_range(lo, hi))
			continue;
		if (!any) {
			if (ix->scopes.n >= NONE - 1)
				return 0;
			*id = (uint32_t)ix->scopes.n;
			s = grow(&ix->scopes, sizeof(*s));
			if (!s)
				return -ENOMEM;
			*s = (struct scope){.parent = inlined ? parent : NONE,
					    .key = ix->d->next_key++};
			describe(ix, die, inlined, s);
			any = true;
		}
		e = grow(&ix->entries, sizeof(*e));
		if (!e)
			return -ENOMEM;
		*e = (struct entry){.lo = lo, .hi = hi, .scope = *id, .depth = depth};
	}
	return any;
}

static bool may_hold_code(int tag)
{
	switch (tag) {
	case DW_TAG_lexical_block:
	case DW_TAG_namespace:
	case DW_TAG_module:
	case DW_TAG_class_type:
	case DW_TAG_structure_type:
	case DW_TAG_union_type:
	case DW_TAG_try_block:
	case DW_TAG_catch_block:
	case DW_TAG_with_stmt:
	case DW_TAG_common_block:
		return true;
	default:
		return false;
	}
}

struct level {
	Dwarf_Die die;
	uint32_t scope; /* the innermost scope around this level's DIEs */
};

static int walk(struct indexer *ix)
{
	struct level *stack = malloc(DEPTH_MAX * sizeof(*stack));
	size_t sp = 0;
	int err = 0;

	if (!stack)
		return -ENOMEM;
	if (dwarf_child(&ix->u->die, &stack[0].die) == 0) {
		stack[0].scope = NONE;
		sp = 1;
	}
	while (sp && !err) {
		struct level *l = &stack[sp - 1];
		int tag = dwarf_tag(&l->die);
		uint32_t inner = l->scope;
		bool descend = may_hold_code(tag);
		Dwarf_Die next;

		if (tag == DW_TAG_subprogram || tag == DW_TAG_inlined_subroutine) {
			int n = add_scope(ix, &l->die, tag == DW_TAG_inlined_subroutine, l->scope,
					  (uint32_t)sp, &inner);

			err = n < 0 ? n : 0;
			/*
			 * A codeless subprogram (an abstract instance) holds nothing inlined with
			 * code, but GCC nests the concrete bodies of its lambdas in it.
			 */
			descend = n > 0 || (n == 0 && tag == DW_TAG_subprogram);
		}
		if (!err && descend && sp < DEPTH_MAX && dwarf_haschildren(&l->die) > 0 &&
		    dwarf_child(&l->die, &next) == 0) {
			stack[sp].die = next;
			stack[sp].scope = inner;
			sp++;
			continue;
		}
		/* Next sibling, climbing out of finished levels. */
		while (sp) {
			if (dwarf_siblingof(&stack[sp - 1].die, &next) == 0) {
				stack[sp - 1].die = next;
				break;
			}
			sp--;
		}
	}
	free(stack);
	return err;
}

static int cmp_entry(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;

	/* Outer scopes first where ranges start together, so the inner one ends on top. */
	if (x->lo != y->lo)
		return x->lo < y->lo ? -1 : 1;
	if (x->depth != y->depth)
		return x->depth < y->depth ? -1 : 1;
	if (x->hi != y->hi)
		return x->hi > y->hi ? -1 : 1;
	return x->scope < y->scope ? -1 : x->scope > y->scope;
}

static int emit(struct growable *segs, uint64_t lo, uint64_t hi, uint32_t scope)
{
	struct seg *last = segs->n ? (struct seg *)segs->v + segs->n - 1 : NULL, *s;

	if (lo >= hi)
		return 0;
	if (last && last->scope == scope && last->hi == lo) {
		last->hi = hi;
		return 0;
	}
	s = grow(segs, sizeof(*s));
	if (!s)
		return -ENOMEM;
	*s = (struct seg){.lo = lo, .hi = hi, .scope = scope};
	return 0;
}

/*
 * Nested ranges -> disjoint segments, each owned by the innermost range over it. A sweep in
 * order of start keeps the open ranges on a stack; a range that pokes out of the one it starts
 * in (broken nesting) is cut to fit.
 */
static int flatten(struct entry *e, size_t n, struct growable *segs)
{
	struct entry *stack = malloc((n ? n : 1) * sizeof(*stack));
	uint64_t cursor = 0;
	size_t sp = 0;
	int err = 0;

	if (!stack)
		return -ENOMEM;
	if (n) /* e is NULL in a unit without code */
		qsort(e, n, sizeof(*e), cmp_entry);
	for (size_t i = 0; i < n && !err; i++) {
		while (sp && stack[sp - 1].hi <= e[i].lo && !err) {
			err = emit(segs, cursor, stack[sp - 1].hi, stack[sp - 1].scope);
			if (stack[sp - 1].hi > cursor)
				cursor = stack[sp - 1].hi;
			sp--;
		}
		if (sp && !err)
			err = emit(segs, cursor, e[i].lo, stack[sp - 1].scope);
		if (e[i].lo > cursor || !sp)
			cursor = e[i].lo;
		if (sp && e[i].hi > stack[sp - 1].hi)
			e[i].hi = stack[sp - 1].hi;
		stack[sp++] = e[i];
	}
	while (sp && !err) {
		err = emit(segs, cursor, stack[sp - 1].hi, stack[sp - 1].scope);
		if (stack[sp - 1].hi > cursor)
			cursor = stack[sp - 1].hi;
		sp--;
	}
	free(stack);
	return err;
}

/* u's DIE in libdw's present state, or NULL. */
static Dwarf_Die *unit_die(struct sym_dwarf *d, struct unit *u)
{
	if (u->gen != d->gen) {
		if (!d->dw || !dwarf_offdie(d->dw, u->off, &u->die))
			return NULL;
		u->gen = d->gen;
	}
	return &u->die;
}

/*
 * Ends libdw's state and begins it again (after a drain, or when what it holds for the units
 * indexed so far passed its bound). Without a state (it could not begin again) no further unit
 * is indexed.
 */
static void restart_libdw(struct sym_dwarf *d)
{
	if (d->keeps_libdw || !d->libdw_bytes)
		return;
	dwarf_end(d->dw);
	d->dw = dwarf_begin_elf(d->elf, DWARF_C_READ, NULL);
	d->gen++;
	d->bytes -= d->libdw_bytes;
	d->libdw_bytes = 0;
}

static void bound_libdw(struct sym_dwarf *d)
{
	if (d->libdw_bytes > d->libdw_bytes_max)
		restart_libdw(d);
}

/*
 * A unit indexed again gets the keys its scopes had: their demangled names are still in
 * d->names under them.
 */
static void begin_keys(struct sym_dwarf *d, struct unit *u)
{
	if (!u->keyed) {
		u->first_key = d->next_key;
		u->keyed = true;
	}
	d->next_key = u->first_key;
}

static int index_unit(struct sym_dwarf *d, struct unit *u)
{
	struct indexer ix = {.d = d, .u = u};
	struct growable segs = {0};
	uint32_t next_key = d->next_key;
	size_t libdw, names = sym_lines__bytes(&u->lines); /* kept from an earlier index */
	int err;

	if (!unit_die(d, u))
		return -EBADMSG;
	begin_keys(d, u);
	switch (dwarf_srclang(&u->die)) {
	case DW_LANG_C_plus_plus:
	case DW_LANG_C_plus_plus_03:
	case DW_LANG_C_plus_plus_11:
	case DW_LANG_C_plus_plus_14:
		u->cplus = true;
		break;
	default:
		break;
	}
	err = sym_lines__read(&u->die, &d->files, &u->lines);
	if (!err)
		err = walk(&ix);
	if (!err)
		err = flatten(ix.entries.v, ix.entries.n, &segs);
	free(ix.entries.v);
	u->lines.src = NULL; /* libdw's: gone when its state is */
	if (d->next_key < next_key)
		d->next_key = next_key;
	if (err) {
		free(ix.scopes.v);
		free(segs.v);
		sym_lines__release(&u->lines);
		u->keyed = false; /* its walk may have stopped short of some of its keys */
		d->bytes -= names;
		return err;
	}
	u->scopes = ix.scopes.v;
	u->nscopes = ix.scopes.n;
	u->segs = segs.v;
	u->nsegs = segs.n;
	u->indexed = true;
	d->nindexed++;
	u->bytes = ix.scopes.cap * sizeof(struct scope) + segs.cap * sizeof(struct seg) +
		   u->lines.n * sizeof(*u->lines.rows);
	libdw = u->lines.n * LINE_BYTES + UNIT_BYTES;
	d->libdw_bytes += libdw;
	/* The array of file names is counted once: forget_unit() keeps it. */
	d->bytes += u->bytes + libdw + sym_lines__bytes(&u->lines) -
		    u->lines.n * sizeof(*u->lines.rows) - names;
	bound_libdw(d);
	/* What the unit's walk read is copied out: a drain that indexes many units of a big file
	 * would otherwise hold most of its mapped copy resident until the drain ends. */
	if (d->mapped)
		sym_dwarf_image__drop_pages(d->elf);
	return 0;
}

static const struct seg *find_seg(const struct unit *u, uint64_t addr)
{
	size_t lo = profd_array_upper(u->segs, u->nsegs, sizeof(*u->segs), addr);

	return lo && addr < u->segs[lo - 1].hi ? &u->segs[lo - 1] : NULL;
}

/* --- the public side --- */

static void release(struct sym_dwarf *d)
{
	for (size_t i = 0; i < d->nunits; i++) {
		free(d->units[i].scopes);
		free(d->units[i].segs);
		sym_lines__release(&d->units[i].lines);
	}
	sym_arena__release(&d->files);
	free(d->units);
	free(d->ranges);
	sym_dcache__release(&d->names);
	if (d->dw)
		dwarf_end(d->dw);
	if (d->elf)
		elf_end(d->elf);
}

/* The unit's scopes and line rows go; its source file names stay, for its next index. */
static void forget_unit(struct sym_dwarf *d, struct unit *u)
{
	free(u->scopes);
	free(u->segs);
	u->scopes = NULL;
	u->segs = NULL;
	u->nscopes = u->nsegs = 0;
	sym_lines__drop_rows(&u->lines);
	u->indexed = false;
	d->nindexed--;
	d->bytes -= u->bytes;
	u->bytes = 0;
}

static void forget_idle_units(struct sym_dwarf *d, uint64_t now_ns)
{
	for (size_t i = 0; i < d->nunits && d->nindexed; i++)
		if (d->units[i].indexed && now_ns - d->units[i].used_ns >= UNIT_IDLE_NS)
			forget_unit(d, &d->units[i]);
}

void sym_dwarf__drop_pages(struct sym_dwarf *d, uint64_t now_ns)
{
	restart_libdw(d);
	forget_idle_units(d, now_ns);
	if (d->mapped)
		sym_dwarf_image__drop_pages(d->elf);
}

void sym_dwarf__free(struct sym_dwarf *d)
{
	if (!d)
		return;
	release(d);
	free(d);
}

/* Remembers where .debug_info and .debug_types are, for bounded_string(). */
static void note_inline_strings(struct sym_dwarf *d, Elf_Scn *scn, const char *name)
{
	Elf_Data *data;

	if (!name || d->nspans == INFO_SECTIONS_MAX ||
	    (strcmp(name, ".debug_info") && strcmp(name, ".zdebug_info") &&
	     strcmp(name, ".debug_types") && strcmp(name, ".zdebug_types")))
		return;
	data = elf_getdata(scn, NULL);
	if (data && data->d_buf && data->d_size)
		d->inline_strings[d->nspans++] = (struct span){data->d_buf,
							       (const char *)data->d_buf + data->d_size};
}

/*
 * libdw hands out strings of .debug_str and .debug_line_str as pointers into the section,
 * checking only that the offset is inside it: a section whose last byte is not NUL would let
 * the last string run past its end. Checked once libdw holds the sections (inflated if
 * compressed); a section libdw did not read has no data here and is skipped.
 */
static bool strings_terminated(struct sym_dwarf *d)
{
	Elf *elf = d->elf;
	static const char *const names[] = {".debug_str", ".zdebug_str", ".debug_line_str",
					    ".zdebug_line_str"};
	Elf_Scn *scn = NULL;
	size_t shstrndx;
	GElf_Shdr sh;

	if (elf_getshdrstrndx(elf, &shstrndx))
		return false;
	while ((scn = elf_nextscn(elf, scn))) {
		const char *name;
		Elf_Data *data;
		bool str = false;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type == SHT_NOBITS)
			continue;
		name = elf_strptr(elf, shstrndx, sh.sh_name);
		for (size_t i = 0; name && i < sizeof(names) / sizeof(names[0]); i++)
			str |= !strcmp(name, names[i]);
		if (!str) {
			note_inline_strings(d, scn, name);
			continue;
		}
		data = elf_getdata(scn, NULL);
		if (data && data->d_size &&
		    (!data->d_buf || ((const char *)data->d_buf)[data->d_size - 1]))
			return false;
	}
	return true;
}

static int check(const struct scan *sc, const struct sym_dwarf_opts *opts)
{
	if (sc->damaged)
		return -EBADMSG;
	if (opts->build_id && strcmp(sc->build_id, opts->build_id))
		return -ESTALE;
	if (!sc->has_info)
		return -ENODATA;
	if (sc->unsupported)
		return -EOPNOTSUPP;
	if (sc->bytes > opts->max_bytes)
		return -EFBIG;
	return 0;
}

int sym_dwarf__open(int fd, const struct sym_dwarf_opts *opts, struct sym_dwarf **out)
{
	struct sym_dwarf *d;
	struct scan sc;
	uint64_t size;
	Elf *elf, *image;
	bool mapped;
	int err;

	*out = NULL;
	err = sym_elf__begin(fd, &elf, &size);
	if (err <= 0)
		return err < 0 ? err : -ENODATA;
	err = scan_sections(fd, elf, size, &sc);
	if (!err)
		err = check(&sc, opts);
	if (err) {
		elf_end(elf);
		return err;
	}
	d = calloc(1, sizeof(*d));
	if (!d) {
		elf_end(elf);
		return -ENOMEM;
	}
	/* Mapped from a private copy where a scratch folder is writable: see dwarf_image.c. */
	mapped = !sym_dwarf_image__open(fd, elf, &image);
	if (mapped) {
		elf_end(elf);
		elf = image;
	}
	d->elf = elf;
	d->mapped = mapped;
	d->keeps_libdw = sc.keeps_libdw;
	d->libdw_bytes_max = opts->libdw_bytes_max ? opts->libdw_bytes_max : LIBDW_BYTES_DEFAULT;
	d->dw = dwarf_begin_elf(elf, DWARF_C_READ, NULL);
	if (!d->dw) {
		pr_debug("sym: libdw: %s", dwarf_errmsg(-1));
		err = -EBADMSG;
		goto fail;
	}
	/* Every section libdw needs is in memory now: libelf must not read fd again. */
	elf_cntl(elf, ELF_C_FDDONE);
	if (!strings_terminated(d)) {
		pr_debug("sym: a DWARF string section does not end in NUL");
		err = -EBADMSG;
		goto fail;
	}
	err = build_units(d);
	if (err)
		goto fail;
	if (mapped)
		sym_dwarf_image__drop_pages(elf);
	if (!d->nranges) {
		err = -ENODATA;
		goto fail;
	}
	/* Mapped sections are page cache the kernel can take back, not heap. */
	d->bytes = sizeof(*d) + (mapped ? 0 : sc.bytes) + d->nunits * (sizeof(struct unit) + UNIT_BYTES) +
		   d->nranges * sizeof(struct urange);
	*out = d;
	return 0;
fail:
	sym_dwarf__free(d);
	return err;
}

/* Appends "name::" for a namespace, class, struct or union around a declaration. */
static void add_qualifier(const struct sym_dwarf *d, Dwarf_Die *scope, char *buf, size_t len,
			  size_t *used)
{
	const char *name = bounded_string(d, dwarf_diename(scope));
	int tag = dwarf_tag(scope), n;

	switch (tag) {
	case DW_TAG_namespace:
		if (!name)
			name = "(anonymous namespace)";
		break;
	case DW_TAG_class_type:
	case DW_TAG_structure_type:
	case DW_TAG_union_type:
		if (name)
			break;
		/* A lambda's closure type has no name to say. */
		__attribute__((fallthrough));
	case DW_TAG_subprogram:
	case DW_TAG_lexical_block:
		/* Local to a function: named from here in, as "operator()" for a lambda. */
		*used = 0;
		return;
	default:
		return;
	}
	n = snprintf(buf + *used, len - *used, "%s::", name);
	if (n > 0 && (size_t)n < len - *used)
		*used += (size_t)n;
	else
		*used = len; /* too long: the caller keeps the bare name */
}

/*
 * "ns::(anonymous namespace)::Class::name" for a C++ function that has no linkage name, from
 * the scopes around its declaration (libdw finds them walking the unit: once per function, as
 * the result is remembered).
 */
static const char *qualified_name(struct sym_dwarf *d, const struct scope *s)
{
	char buf[SYM_NAME_MAX];
	Dwarf_Die die, ref, *scopes = NULL;
	Dwarf_Attribute a;
	const char *name;
	size_t used = 0;
	int n;

	if (sym_dcache__find(&d->names, s->key, &name))
		return name ? name : s->name;
	if (!dwarf_offdie(d->dw, s->die, &die))
		return s->name;
	/* Where it is declared decides its qualification: follow origin and specification. */
	for (int i = 0; i < 8; i++) {
		if (!dwarf_attr(&die, DW_AT_abstract_origin, &a) &&
		    !dwarf_attr(&die, DW_AT_specification, &a))
			break;
		if (!dwarf_formref_die(&a, &ref))
			break;
		die = ref;
	}
	n = dwarf_getscopes_die(&die, &scopes);
	/* scopes[0] is the declaration itself, scopes[n - 1] its unit. */
	for (int i = n - 2; i >= 1 && used < sizeof(buf); i--)
		add_qualifier(d, &scopes[i], buf, sizeof(buf), &used);
	free(scopes);
	if (used && used < sizeof(buf) &&
	    (size_t)snprintf(buf + used, sizeof(buf) - used, "%s", s->name) < sizeof(buf) - used)
		name = sym_dcache__put(&d->names, s->key, buf);
	else
		name = sym_dcache__put(&d->names, s->key, NULL);
	return name ? name : s->name;
}

static const char *scope_name(struct sym_dwarf *d, const struct scope *s)
{
	if (s->linkage)
		return sym_dcache__get(&d->names, s->key, s->linkage);
	if (s->die)
		return qualified_name(d, s);
	return s->name;
}

size_t sym_dwarf__lookup(struct sym_dwarf *d, uint64_t addr, struct sym_frame *frames, size_t max,
			 size_t *grew)
{
	size_t before = sym_dwarf__bytes(d), n = 0;
	struct unit *u = find_unit(d, addr);
	const struct sym_line_row *row;
	const char *file = NULL;
	const struct seg *seg;
	int line = 0;
	uint32_t cur;

	*grew = 0;
	if (!u || !max)
		return 0;
	if (!u->indexed && index_unit(d, u))
		return 0;
	u->used_ns = (uint64_t)profd_coarse_ns();
	row = sym_lines__find(&u->lines, addr);
	if (row) {
		file = row->file < u->lines.nfiles ? u->lines.files[row->file] : NULL;
		line = (int)row->line;
	}
	seg = find_seg(u, addr);
	if (!seg) {
		frames[0] = (struct sym_frame){.file = file, .line = line};
		n = 1;
		goto out;
	}
	/* Parents come before their children in scopes[], so the chain ends. */
	for (cur = seg->scope; cur != NONE; cur = u->scopes[cur].parent) {
		const struct scope *s = &u->scopes[cur];

		/* A chain deeper than frames[] keeps its innermost calls and its function. */
		if (n < max - 1 || s->parent == NONE) {
			const char *name = scope_name(d, s);

			frames[n++] = (struct sym_frame){
				.name = name ? name : (s->parent == NONE ? NULL : "[inlined]"),
				.system_name = s->linkage ? s->linkage : s->name,
				.file = file,
				.line = line,
				.start_line = (int)s->decl_line,
				.inlined = s->parent != NONE,
			};
			if (!frames[n - 1].system_name)
				frames[n - 1].system_name = frames[n - 1].name;
		}
		file = s->call_file;
		line = (int)s->call_line;
	}
out:
	*grew = sym_dwarf__bytes(d) - before;
	return n;
}

size_t sym_dwarf__bytes(const struct sym_dwarf *d)
{
	return d->bytes + sym_dcache__bytes(&d->names) + d->files.bytes;
}
