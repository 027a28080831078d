// SPDX-License-Identifier: MIT
/*
 * One ELF file -> PT_LOAD segments, GNU build-id and a compact symbol table.
 *
 * Files come from any process on the machine, so nothing in them is trusted. libelf is used in
 * ELF_C_READ mode (pread on demand: no mapping that a truncating writer could turn into SIGBUS),
 * and in that mode it does not know the file size, so every header table and section is checked
 * against the size here before libelf is asked to read it.
 *
 * The symbol table merges .symtab and .dynsym: FUNC and IFUNC symbols, and NOTYPE symbols in code
 * sections (assembly). One symbol is kept per address, chosen like perf does (sized over
 * zero-size, function over label, global over weak over local, fewer leading underscores); a
 * zero-size symbol inside a sized one is dropped, others extend to the next symbol. Names are
 * copied into one block so the file can be closed.
 *
 * The same pass notes what debuginfo.c needs to find the file's DWARF later: whether it has a
 * .debug_info section of its own, and its .gnu_debuglink (file name and CRC).
 */
#include <errno.h>
#include <gelf.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "symbolizer/symbolizer_internal.h"

#define SEGMENTS_MAX 256
#define SECTIONS_MAX (1u << 18)
#define NOTES_MAX 65536
#define DEBUGLINK_MAX 4096	  /* a file name, padding and a CRC */
#define SYMS_CHUNK 1024		  /* symbols read at a time */
#define STRTAB_WINDOW (64 * 1024) /* bytes of a string table read at a time */
_Static_assert(STRTAB_WINDOW >= SYM_NAME_MAX, "a window holds the longest name kept");

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define NATIVE_DATA ELFDATA2LSB
#else
#define NATIVE_DATA ELFDATA2MSB
#endif

struct src {
	int fd;
	const unsigned char *mem;
	uint64_t size;
};

struct layout {
	bool is64;
	uint16_t type;
	bool shdrs_ok;
	uint64_t shnum;
};

struct section {
	uint64_t addr, end;
	bool code;
};

static bool range_ok(const struct src *s, uint64_t off, uint64_t len)
{
	return off <= s->size && len <= s->size - off;
}

static int src_read(const struct src *s, uint64_t off, void *buf, size_t len)
{
	size_t done = 0;

	if (!range_ok(s, off, len))
		return -EINVAL;
	if (s->mem) {
		memcpy(buf, s->mem + off, len);
		return 0;
	}
	while (done < len) {
		ssize_t n = pread(s->fd, (char *)buf + done, len - done, (off_t)(off + done));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (!n)
			return -EIO; /* shrank since fstat */
		done += n;
	}
	return 0;
}

/* The ELF header fields check_headers() needs, from either class. */
struct ehdr {
	uint16_t type;
	uint64_t phoff, phnum, phentsize, shoff, shnum, shentsize;
};

#define EHDR_OF(eh)                                                                                \
	((struct ehdr){.type = (eh).e_type,                                                        \
		       .phoff = (eh).e_phoff,                                                      \
		       .phnum = (eh).e_phnum,                                                      \
		       .phentsize = (eh).e_phentsize,                                              \
		       .shoff = (eh).e_shoff,                                                      \
		       .shnum = (eh).e_shnum,                                                      \
		       .shentsize = (eh).e_shentsize})

static int read_ehdr(const struct src *s, bool is64, struct ehdr *h)
{
	union {
		Elf64_Ehdr e64;
		Elf32_Ehdr e32;
	} u;
	int err = src_read(s, 0, &u, is64 ? sizeof(u.e64) : sizeof(u.e32));

	if (!err)
		*h = is64 ? EHDR_OF(u.e64) : EHDR_OF(u.e32);
	return err;
}

/* Counts past 16 bits live in section header 0: sh_info segments, sh_size sections. */
static int read_large_counts(const struct src *s, bool is64, struct ehdr *h)
{
	union {
		Elf64_Shdr s64;
		Elf32_Shdr s32;
	} u;
	int err = src_read(s, h->shoff, &u, is64 ? sizeof(u.s64) : sizeof(u.s32));

	if (err)
		return err;
	if (h->phnum == PN_XNUM)
		h->phnum = is64 ? u.s64.sh_info : u.s32.sh_info;
	if (!h->shnum)
		h->shnum = is64 ? u.s64.sh_size : u.s32.sh_size;
	return 0;
}

/*
 * Checks the header tables against the file size. Returns 1 if the file can be handed to libelf,
 * 0 if it is not a usable ELF file, or -errno if it could not be read.
 */
static int check_headers(const struct src *s, struct layout *l)
{
	unsigned char ident[EI_NIDENT];
	size_t shdr_size, phdr_size;
	struct ehdr h;
	int err;

	memset(l, 0, sizeof(*l));
	if (s->size < sizeof(Elf64_Ehdr))
		return 0;
	err = src_read(s, 0, ident, sizeof(ident));
	if (err)
		return err;
	if (memcmp(ident, ELFMAG, SELFMAG) || ident[EI_DATA] != NATIVE_DATA ||
	    (ident[EI_CLASS] != ELFCLASS64 && ident[EI_CLASS] != ELFCLASS32))
		return 0;
	l->is64 = ident[EI_CLASS] == ELFCLASS64;
	shdr_size = l->is64 ? sizeof(Elf64_Shdr) : sizeof(Elf32_Shdr);
	phdr_size = l->is64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr);
	err = read_ehdr(s, l->is64, &h);
	if (err)
		return err;
	l->type = h.type;
	if (l->type != ET_EXEC && l->type != ET_DYN)
		return 0;
	/* libelf allocates by the large counts: check them too. */
	if (h.shoff && (h.phnum == PN_XNUM || !h.shnum)) {
		if (h.shentsize != shdr_size || !range_ok(s, h.shoff, h.shentsize))
			return 0;
		err = read_large_counts(s, l->is64, &h);
		if (err)
			return err;
	}
	if (h.phnum > SEGMENTS_MAX * 64 || h.phentsize != phdr_size ||
	    !range_ok(s, h.phoff, h.phnum * h.phentsize) || h.shnum > SECTIONS_MAX)
		return 0;
	l->shdrs_ok = h.shoff && h.shnum && h.shentsize == shdr_size &&
		      range_ok(s, h.shoff, h.shnum * h.shentsize);
	l->shnum = l->shdrs_ok ? h.shnum : 0;
	return 1;
}

int sym_build_id_from_notes(const void *notes, size_t len, size_t align, char *hex, size_t hexlen)
{
	const unsigned char *p = notes;
	uint64_t off = 0;

	align = align == 8 ? 8 : 4;
	while (len - off >= 12) {
		uint32_t namesz, descsz, type;
		uint64_t name_off, desc_off;

		memcpy(&namesz, p + off, 4);
		memcpy(&descsz, p + off + 4, 4);
		memcpy(&type, p + off + 8, 4);
		name_off = off + 12;
		if (namesz > len - name_off)
			break;
		desc_off = name_off + ((namesz + align - 1) & ~(uint64_t)(align - 1));
		if (desc_off > len || descsz > len - desc_off)
			break;
		off = desc_off + ((descsz + align - 1) & ~(uint64_t)(align - 1));
		if (type == NT_GNU_BUILD_ID && namesz == 4 && !memcmp(p + name_off, "GNU", 4) &&
		    descsz >= 1 && descsz <= SYM_BUILD_ID_MAX && hexlen >= 2 * (size_t)descsz + 1) {
			for (uint32_t i = 0; i < descsz; i++) {
				hex[2 * i] = "0123456789abcdef"[p[desc_off + i] >> 4];
				hex[2 * i + 1] = "0123456789abcdef"[p[desc_off + i] & 15];
			}
			hex[2 * descsz] = '\0';
			return 0;
		}
		if (off > len)
			break;
	}
	return -ENOENT;
}

static int read_build_id(const struct src *s, uint64_t off, uint64_t len, uint64_t align,
			 char *hex, size_t hexlen)
{
	void *buf;
	int err;

	if (!len || len > NOTES_MAX || !range_ok(s, off, len))
		return -ENOENT;
	buf = malloc(len);
	if (!buf)
		return -ENOMEM;
	err = src_read(s, off, buf, len);
	if (!err)
		err = sym_build_id_from_notes(buf, len, align, hex, hexlen);
	free(buf);
	return err;
}

static struct sym_segment segment_of(const GElf_Phdr *ph)
{
	return (struct sym_segment){
		.vaddr = ph->p_vaddr,
		.memsz = ph->p_memsz,
		.offset = ph->p_offset,
		.filesz = ph->p_filesz,
		.flags = ph->p_flags,
	};
}

static int read_segments(Elf *elf, const struct src *s, struct sym_elf *out)
{
	size_t phnum;
	int err;

	if (elf_getphdrnum(elf, &phnum))
		return 0;
	out->segs = calloc(phnum < SEGMENTS_MAX ? phnum + 1 : SEGMENTS_MAX, sizeof(*out->segs));
	if (!out->segs)
		return -ENOMEM;
	for (size_t i = 0; i < phnum; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(elf, (int)i, &ph))
			break;
		if (ph.p_type == PT_NOTE && !out->build_id[0]) {
			err = read_build_id(s, ph.p_offset, ph.p_filesz, ph.p_align, out->build_id,
					    sizeof(out->build_id));
			if (err == -ENOMEM || err == -EIO)
				return err;
		}
		if (ph.p_type != PT_LOAD || out->nsegs == SEGMENTS_MAX)
			continue;
		if (ph.p_filesz > ph.p_memsz || ph.p_offset + ph.p_filesz < ph.p_offset ||
		    ph.p_vaddr + ph.p_memsz < ph.p_vaddr)
			continue;
		out->segs[out->nsegs++] = segment_of(&ph);
	}
	return 0;
}

int sym_elf_exec_segments(Elf *e, struct sym_segment **out, size_t *n)
{
	size_t count;

	*out = NULL;
	*n = 0;
	if (elf_getphdrnum(e, &count))
		return 0;
	*out = calloc(count ? count : 1, sizeof(**out));
	if (!*out)
		return -ENOMEM;
	for (size_t i = 0; i < count; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(e, (int)i, &ph) || ph.p_type != PT_LOAD || !(ph.p_flags & PF_X))
			continue;
		(*out)[(*n)++] = segment_of(&ph);
	}
	return 0;
}

/*
 * Chosen like perf does: sized over zero-size, function over label, global over weak over local
 * (then fewer leading underscores, added by the builder once the name is read).
 */
static uint32_t rank_of(const GElf_Sym *sym)
{
	int type = GELF_ST_TYPE(sym->st_info), bind = GELF_ST_BIND(sym->st_info);
	uint32_t rank = 0;

	if (sym->st_size)
		rank |= 16;
	if (type == STT_FUNC || type == STT_GNU_IFUNC)
		rank |= 8;
	if (bind == STB_GLOBAL)
		rank |= 4;
	else if (bind == STB_WEAK)
		rank |= 2;
	return rank << 8;
}

static bool plausible_name(const char *name, size_t len)
{
	/* Local labels and ARM/AArch64 mapping symbols ($x, $d) are not functions. */
	return len && name[0] != '$' && !(len >= 2 && name[0] == '.' && name[1] == 'L');
}

/*
 * A string table read a window at a time, front to back (names are asked for in increasing
 * order of offset), so a big program's names are never in memory whole: node's .strtab is 7.5
 * MiB, of which the functions' names are kept.
 */
struct strtab_reader {
	const struct src *s;
	uint64_t off, size; /* the table in the file */
	uint64_t at;	    /* table offset of buf[0] */
	size_t len;	    /* bytes read into buf, which has one more for a NUL */
	char *buf;
};

/* Where the name at table offset name ends in the window, or NULL if it is not seen to end. */
static const char *name_end(const struct strtab_reader *r, uint64_t name)
{
	size_t avail;

	if (name < r->at || name >= r->at + r->len)
		return NULL;
	avail = r->at + r->len - name;
	return memchr(r->buf + (name - r->at), '\0', avail < SYM_NAME_MAX ? avail : SYM_NAME_MAX);
}

/*
 * sym_name_reader of a function symbol's name at table offset ref, cut to SYM_NAME_MAX; NULL if
 * it is no function's name or does not end before the table does. Holds until the next call.
 */
static const char *read_name(void *ctx, uint32_t ref, size_t *len, int *err)
{
	struct strtab_reader *r = ctx;
	bool inside = ref >= r->at && ref < r->at + r->len;
	const char *end = name_end(r, ref), *p;
	bool whole;

	if (ref >= r->size)
		return NULL;
	/* Read again unless the window holds the name's end, SYM_NAME_MAX bytes of it, or all of it. */
	whole = inside && (r->at + r->len - ref >= SYM_NAME_MAX || r->at + r->len == r->size);
	if (!end && !whole) {
		r->at = ref;
		r->len = r->size - ref < STRTAB_WINDOW ? r->size - ref : STRTAB_WINDOW;
		*err = src_read(r->s, r->off + ref, r->buf, r->len);
		if (*err) {
			r->len = 0;
			return NULL;
		}
		r->buf[r->len] = '\0'; /* stops strspn() and friends at the window's end */
		end = name_end(r, ref);
	}
	p = r->buf + (ref - r->at);
	if (end)
		*len = (size_t)(end - p);
	else if (r->at + r->len - ref >= SYM_NAME_MAX)
		*len = SYM_NAME_MAX;
	else
		return NULL; /* no NUL before the end of the string table */
	return plausible_name(p, *len) ? p : NULL;
}

/* Symbol i of a table chunk of either class. */
static void sym_of(const void *chunk, bool is64, size_t i, GElf_Sym *out)
{
	if (is64) {
		memcpy(out, (const Elf64_Sym *)chunk + i, sizeof(*out));
	} else {
		Elf32_Sym s;

		memcpy(&s, (const Elf32_Sym *)chunk + i, sizeof(s));
		*out = (GElf_Sym){.st_name = s.st_name,
				  .st_info = s.st_info,
				  .st_other = s.st_other,
				  .st_shndx = s.st_shndx,
				  .st_value = s.st_value,
				  .st_size = s.st_size};
	}
}

/* Adds the symbol if it is code; its name is read later. Returns 0 or -ENOMEM. */
static int consider(const GElf_Sym *sym, uint64_t strtab_size, const struct section *secs,
		    size_t nsecs, struct sym_symtab_builder *b)
{
	int type = GELF_ST_TYPE(sym->st_info);

	if (type != STT_FUNC && type != STT_GNU_IFUNC && type != STT_NOTYPE)
		return 0;
	if (sym->st_shndx == SHN_UNDEF || sym->st_shndx >= SHN_LORESERVE ||
	    sym->st_shndx >= nsecs || !secs[sym->st_shndx].code || sym->st_name >= strtab_size)
		return 0;
	return sym_symtab_builder__add_unnamed(b, sym->st_value, sym->st_size, sym->st_name,
					       rank_of(sym), sym->st_shndx);
}

/*
 * Adds the code symbols of one SHT_SYMTAB or SHT_DYNSYM section (aux is their section): the
 * table is read SYMS_CHUNK symbols at a time, then the names of the candidates, in the order
 * they lie in the string table, through a strtab_reader.
 */
static int collect(Elf *elf, const struct src *s, bool is64, const GElf_Shdr *sh,
		   const struct section *secs, size_t nsecs, size_t max_bytes,
		   struct sym_symtab_builder *b)
{
	size_t entsize = is64 ? sizeof(Elf64_Sym) : sizeof(Elf32_Sym);
	struct strtab_reader names = {.s = s};
	size_t nsyms = sh->sh_size / entsize;
	Elf_Scn *strscn;
	GElf_Shdr strsh;
	void *chunk;
	int err = 0;

	if (sh->sh_entsize != entsize || !range_ok(s, sh->sh_offset, sh->sh_size) ||
	    sh->sh_link >= nsecs || sh->sh_size > max_bytes)
		return 0;
	strscn = elf_getscn(elf, sh->sh_link);
	if (!strscn || !gelf_getshdr(strscn, &strsh) || strsh.sh_type != SHT_STRTAB ||
	    !range_ok(s, strsh.sh_offset, strsh.sh_size) || strsh.sh_size > max_bytes ||
	    strsh.sh_size > UINT32_MAX)
		return 0;
	names.off = strsh.sh_offset;
	names.size = strsh.sh_size;
	names.buf = malloc(STRTAB_WINDOW + 1);
	chunk = malloc(SYMS_CHUNK * entsize);
	if (!names.buf || !chunk)
		err = -ENOMEM;
	for (size_t first = 0; first < nsyms && !err; first += SYMS_CHUNK) {
		size_t n = nsyms - first < SYMS_CHUNK ? nsyms - first : SYMS_CHUNK;

		err = src_read(s, sh->sh_offset + first * entsize, chunk, n * entsize);
		/* Symbol 0 is the null symbol. */
		for (size_t i = first ? 0 : 1; i < n && !err; i++) {
			GElf_Sym sym;

			sym_of(chunk, is64, i, &sym);
			err = consider(&sym, names.size, secs, nsecs, b);
		}
	}
	free(chunk);
	err = err ?: sym_symtab_builder__name(b, read_name, &names);
	free(names.buf);
	if (err)
		b->n = 0; /* candidates not named must not reach the table */
	return err == -ENOMEM || err == -EIO ? err : 0;
}

/*
 * After the best symbol per address is chosen: a zero-size label inside a sized function goes (the
 * function names it), other zero-size symbols extend to the next symbol or their section's end.
 */
static void fix_sizes(struct sym_symtab_builder *b, const struct section *secs)
{
	struct sym_symtab_cand *c = b->v;
	uint64_t cover_end = 0;
	size_t kept = 0;

	for (size_t i = 0; i < b->n; i++) {
		if (!c[i].size && c[i].addr < cover_end)
			continue;
		if (c[i].size && c[i].addr + c[i].size > cover_end)
			cover_end = c[i].addr + c[i].size;
		c[kept++] = c[i];
	}
	b->n = kept;
	for (size_t i = 0; i < kept; i++) {
		uint64_t end = secs[c[i].aux].end, size;

		if (c[i].size)
			continue;
		if (i + 1 < kept && c[i + 1].addr < end)
			end = c[i + 1].addr;
		size = end > c[i].addr ? end - c[i].addr : 1;
		c[i].size = size > UINT32_MAX ? UINT32_MAX : (uint32_t)size;
	}
}

/* The index of the section-name table if it lies inside the file, else 0. */
static size_t names_section(Elf *elf, const struct src *s, const struct layout *l)
{
	size_t ndx;
	GElf_Shdr sh;
	Elf_Scn *scn;

	if (elf_getshdrstrndx(elf, &ndx) || !ndx || ndx >= l->shnum)
		return 0;
	scn = elf_getscn(elf, ndx);
	if (!scn || !gelf_getshdr(scn, &sh) || sh.sh_type != SHT_STRTAB ||
	    !range_ok(s, sh.sh_offset, sh.sh_size))
		return 0;
	return ndx;
}

/*
 * .gnu_debuglink: the file name of the separate debug file, NUL, padding to 4 bytes, and the
 * CRC-32 of that file. Only a plain file name is accepted: the search decides the folders.
 */
static int read_debuglink(const struct src *s, const GElf_Shdr *sh, struct sym_elf *out)
{
	char buf[DEBUGLINK_MAX];
	size_t len, crc_off;
	int err;

	if (sh->sh_size < 8 || sh->sh_size > sizeof(buf) || !range_ok(s, sh->sh_offset, sh->sh_size))
		return 0;
	err = src_read(s, sh->sh_offset, buf, sh->sh_size);
	if (err)
		return err == -ENOMEM || err == -EIO ? err : 0;
	len = strnlen(buf, sh->sh_size);
	crc_off = (len + 4) & ~(size_t)3;
	if (!len || crc_off + 4 > sh->sh_size || memchr(buf, '/', len) || !strcmp(buf, ".") ||
	    !strcmp(buf, ".."))
		return 0;
	out->debuglink = strndup(buf, len);
	if (!out->debuglink)
		return -ENOMEM;
	memcpy(&out->debuglink_crc, buf + crc_off, 4);
	return 0;
}

static int read_sections(Elf *elf, const struct src *s, const struct layout *l, size_t max_bytes,
			 struct sym_elf *out)
{
	struct section *secs = calloc(l->shnum, sizeof(*secs));
	struct sym_symtab_builder b = {0};
	size_t names;
	Elf_Scn *scn = NULL;
	int err = 0;

	if (!secs)
		return -ENOMEM;
	names = names_section(elf, s, l);
	while ((scn = elf_nextscn(elf, scn))) {
		size_t i = elf_ndxscn(scn);
		const char *name;
		GElf_Shdr sh;

		if (i >= l->shnum || !gelf_getshdr(scn, &sh))
			continue;
		name = names ? elf_strptr(elf, names, sh.sh_name) : NULL;
		if (name && sh.sh_type != SHT_NOBITS && sh.sh_size &&
		    (!strcmp(name, ".debug_info") || !strcmp(name, ".zdebug_info")))
			out->has_debug_info = true;
		if (name && !strcmp(name, ".gnu_debuglink") && !out->debuglink) {
			err = read_debuglink(s, &sh, out);
			if (err)
				goto out;
		}
		secs[i] = (struct section){
			.addr = sh.sh_addr,
			.end = sh.sh_addr + sh.sh_size < sh.sh_addr ? UINT64_MAX
								    : sh.sh_addr + sh.sh_size,
			.code = (sh.sh_flags & (SHF_ALLOC | SHF_EXECINSTR)) ==
				(SHF_ALLOC | SHF_EXECINSTR),
		};
		if (sh.sh_type == SHT_NOTE && !out->build_id[0]) {
			err = read_build_id(s, sh.sh_offset, sh.sh_size, sh.sh_addralign,
					    out->build_id, sizeof(out->build_id));
			if (err == -ENOMEM || err == -EIO)
				goto out;
			err = 0;
		}
	}
	/*
	 * .symtab, else .dynsym (as perf reads them): a .symtab holds the dynamic symbols too, and
	 * reading both held a big program's names twice (node: 12 MiB of them).
	 */
	for (int pass = 0; pass < 2 && !err && max_bytes && !b.n; pass++) {
		scn = NULL;
		/* The first table with symbols. */
		while ((scn = elf_nextscn(elf, scn)) && !err && !b.n) {
			GElf_Shdr sh;

			if (!gelf_getshdr(scn, &sh) ||
			    sh.sh_type != (pass ? SHT_DYNSYM : SHT_SYMTAB))
				continue;
			err = collect(elf, s, l->is64, &sh, secs, l->shnum, max_bytes, &b);
		}
	}
	if (!err && b.n) {
		sym_symtab_builder__sort(&b);
		fix_sizes(&b, secs);
		err = sym_symtab_builder__finish(&b, max_bytes, &out->symtab);
	}
out:
	sym_symtab_builder__release(&b);
	free(secs);
	return err;
}

static int read_elf(const struct src *s, size_t max_bytes, struct sym_elf *out)
{
	struct layout l;
	Elf *elf;
	int err;

	memset(out, 0, sizeof(*out));
	err = check_headers(s, &l);
	if (err <= 0)
		return err;
	if (elf_version(EV_CURRENT) == EV_NONE)
		return -EINVAL;
	/* Both are read-only: ELF_C_READ never writes to the file or image. */
	elf = s->mem ? elf_memory((char *)s->mem, s->size) : elf_begin(s->fd, ELF_C_READ, NULL);
	if (!elf)
		return 0;
	if (elf_kind(elf) != ELF_K_ELF) {
		elf_end(elf);
		return 0;
	}
	err = read_segments(elf, s, out);
	if (!err && l.shdrs_ok)
		err = read_sections(elf, s, &l, max_bytes, out);
	elf_end(elf);
	if (err)
		sym_elf__release(out);
	return err;
}

int sym_elf__begin(int fd, Elf **out, uint64_t *size)
{
	struct stat st;
	struct src s = {.fd = fd};
	struct layout l;
	Elf *elf;
	int ok;

	*out = NULL;
	if (fstat(fd, &st))
		return -errno;
	if (!S_ISREG(st.st_mode))
		return 0;
	s.size = (uint64_t)st.st_size;
	ok = check_headers(&s, &l);
	if (ok <= 0 || !l.shdrs_ok)
		return ok < 0 ? ok : 0;
	if (elf_version(EV_CURRENT) == EV_NONE)
		return -EINVAL;
	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (!elf)
		return 0;
	if (elf_kind(elf) != ELF_K_ELF) {
		elf_end(elf);
		return 0;
	}
	*out = elf;
	*size = s.size;
	return 1;
}

int sym_elf_needed(int fd, int (*fn)(const char *name, void *ctx), void *ctx)
{
	Elf_Scn *scn = NULL;
	uint64_t size;
	Elf *elf;
	int err = sym_elf__begin(fd, &elf, &size);

	if (err <= 0)
		return err;
	err = 0;
	while (!err && (scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		Elf_Data *data;
		GElf_Dyn dyn;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_DYNAMIC ||
		    !(data = elf_getdata(scn, NULL)))
			continue;
		for (int i = 0; !err && gelf_getdyn(data, i, &dyn) && dyn.d_tag != DT_NULL; i++) {
			const char *name;

			if (dyn.d_tag == DT_NEEDED && (name = elf_strptr(elf, sh.sh_link, dyn.d_un.d_val)))
				err = fn(name, ctx);
		}
	}
	elf_end(elf);
	return err;
}

int sym_elf__read_fd(int fd, size_t max_bytes, struct sym_elf *out)
{
	struct stat st;
	struct src s = {.fd = fd};

	memset(out, 0, sizeof(*out));
	if (fstat(fd, &st))
		return -errno;
	if (!S_ISREG(st.st_mode))
		return 0;
	s.size = (uint64_t)st.st_size;
	return read_elf(&s, max_bytes, out);
}

int sym_elf__read_mem(const void *image, size_t size, size_t max_bytes, struct sym_elf *out)
{
	struct src s = {.fd = -1, .mem = image, .size = size};

	return read_elf(&s, max_bytes, out);
}

void sym_elf__release(struct sym_elf *e)
{
	free(e->segs);
	free(e->debuglink);
	sym_symtab__free(e->symtab);
	memset(e, 0, sizeof(*e));
}
