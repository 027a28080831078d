// SPDX-License-Identifier: MIT
/*
 * .eh_frame, .eh_frame_hdr and .debug_frame -> search tables (see unwind_table_internal.h). The formats
 * are the LSB's (.eh_frame, .eh_frame_hdr) and DWARF 4 section 6.4 (.debug_frame). Every read is
 * bounded by the entry it belongs to, and the entry by its section.
 */
#include <errno.h>
#include <gelf.h>
#include <libelf.h>
#include <stdlib.h>
#include <string.h>

#include "symbolizer/cfi_reader_internal.h"
#include "symbolizer/unwind_table_internal.h"

/* --- CIEs and FDEs --- */

struct sec {
	const uint8_t *p;
	size_t len;
	uint64_t vaddr;
	bool debug; /* .debug_frame layout: CIE ids ~0, CIE pointers from the section start */
};

struct cie {
	size_t off; /* in the section; SIZE_MAX when not parsed */
	uint8_t version, fde_enc, lsda_enc, per_enc;
	bool z, signal;
	uint64_t code_align, ra;
	int64_t data_align;
	const char *aug;
	const uint8_t *insns, *end;
};

/* The entry at off: its body (after the length) and the offset of the next one. */
static bool entry_at(const struct sec *s, size_t off, size_t *body, size_t *next, bool *is64)
{
	struct rd r = {s->p + off, s->p + s->len, false};
	uint64_t len;

	if (off >= s->len)
		return false;
	len = rd_fixed(&r, 4);
	*is64 = false;
	if (len == 0xffffffff) {
		len = rd_fixed(&r, 8);
		*is64 = true;
	} else if (len >= 0xfffffff0) {
		return false;
	}
	if (r.bad || len == 0) /* zero length: the terminator */
		return false;
	*body = (size_t)(r.p - s->p);
	if (len > s->len - *body)
		return false;
	*next = *body + (size_t)len;
	return true;
}

static bool parse_aug(struct rd *r, struct cie *c)
{
	uint64_t len = rd_uleb(r);
	struct rd a;

	if (r->bad || len > (uint64_t)(r->end - r->p))
		return false;
	a = (struct rd){r->p, r->p + len, false};
	for (const char *s = c->aug + 1; *s; s++) {
		switch (*s) {
		case 'R':
			c->fde_enc = (uint8_t)rd_fixed(&a, 1);
			break;
		case 'L':
			c->lsda_enc = (uint8_t)rd_fixed(&a, 1);
			break;
		case 'P':
			c->per_enc = (uint8_t)rd_fixed(&a, 1);
			if (c->per_enc != SYM_PE_OMIT)
				rd_ptr_value(&a, c->per_enc);
			break;
		case 'S':
			c->signal = true;
			break;
		case 'B':
		case 'G':
			break;
		default:
			goto done; /* unknown: the length still tells where the data ends */
		}
	}
done:
	r->p += len;
	c->z = true;
	return !a.bad;
}

static bool parse_cie(const struct sec *s, size_t off, struct cie *c)
{
	size_t body, next, alen;
	struct rd r;
	uint64_t id;
	bool is64;

	c->off = SIZE_MAX;
	if (!entry_at(s, off, &body, &next, &is64))
		return false;
	r = (struct rd){s->p + body, s->p + next, false};
	id = rd_fixed(&r, is64 ? 8 : 4);
	if (s->debug ? id != (is64 ? ~(uint64_t)0 : 0xffffffffu) : id != 0)
		return false;
	c->version = (uint8_t)rd_fixed(&r, 1);
	if (r.bad || (c->version != 1 && c->version != 3 && c->version != 4))
		return false;
	c->aug = (const char *)r.p;
	alen = strnlen(c->aug, (size_t)(r.end - r.p));
	if (alen == (size_t)(r.end - r.p) || (c->aug[0] == 'e' && c->aug[1] == 'h'))
		return false;
	r.p += alen + 1;
	if (c->version == 4) {
		uint64_t addr_size = rd_fixed(&r, 1), seg_size = rd_fixed(&r, 1);

		if (addr_size != 8 || seg_size)
			return false;
	}
	c->code_align = rd_uleb(&r);
	c->data_align = rd_sleb(&r);
	c->ra = c->version == 1 ? rd_fixed(&r, 1) : rd_uleb(&r);
	c->fde_enc = s->debug ? SYM_PE_UDATA8 : SYM_PE_ABSPTR;
	c->lsda_enc = SYM_PE_OMIT;
	c->per_enc = SYM_PE_OMIT;
	c->z = c->signal = false;
	if (c->aug[0] == 'z') {
		if (!parse_aug(&r, c))
			return false;
	} else if (c->aug[0]) {
		return false; /* an augmentation we cannot skip */
	}
	if (r.bad)
		return false;
	c->insns = r.p;
	c->end = r.end;
	c->off = off;
	return true;
}

struct fde {
	uint64_t start, range;
	const uint8_t *insns, *end;
	size_t next;
};

/*
 * The entry at off. Returns 1 for an FDE (*f filled, *c its CIE: parsed again only when it is
 * another one), 0 for a CIE, -1 for bad data or the end. f->next is set in the first two cases.
 */
static int parse_entry(const struct sec *s, size_t off, uint64_t datarel, struct cie *c,
		       struct fde *f)
{
	size_t body, next, cie_off;
	struct rd r;
	uint64_t ptr;
	bool is64;

	if (!entry_at(s, off, &body, &next, &is64))
		return -1;
	f->next = next;
	r = (struct rd){s->p + body, s->p + next, false};
	ptr = rd_fixed(&r, is64 ? 8 : 4);
	if (r.bad)
		return -1;
	if (s->debug) {
		if (ptr == (is64 ? ~(uint64_t)0 : 0xffffffffu))
			return 0;
		if (ptr >= s->len)
			return -1;
		cie_off = (size_t)ptr;
	} else {
		if (ptr == 0)
			return 0;
		if (ptr > body)
			return -1;
		cie_off = body - (size_t)ptr;
	}
	if (c->off != cie_off && !parse_cie(s, cie_off, c))
		return -1;
	f->start = rd_ptr(&r, c->fde_enc, s->p, s->vaddr, datarel);
	f->range = rd_ptr_value(&r, c->fde_enc & 0x0f);
	if (c->z)
		rd_skip(&r, rd_uleb(&r));
	if (r.bad)
		return -1;
	f->insns = r.p;
	f->end = r.end;
	return 1;
}

/* --- search tables --- */

struct raw_entry {
	uint64_t start, end;
	size_t fde;
};

static int cmp_raw(const void *a, const void *b)
{
	const struct raw_entry *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return x->fde < y->fde ? -1 : x->fde > y->fde;
}

static bool sorted(const struct raw_entry *v, size_t n)
{
	for (size_t i = 1; i < n; i++)
		if (cmp_raw(&v[i - 1], &v[i]) > 0)
			return false;
	return true;
}

/* Sorts raw entries and turns them into out's table. Takes ownership of nothing. */
static int build_table(struct raw_entry *v, size_t n, struct sym_uw_section *out)
{
	size_t kept = 0;

	if (!n)
		return -ENOENT;
	if (!sorted(v, n)) /* .eh_frame_hdr's are: no sort, and no scratch copy of them for it */
		qsort(v, n, sizeof(*v), cmp_raw);
	out->table = malloc(n * sizeof(*out->table));
	if (!out->table)
		return -ENOMEM;
	out->lo = out->anchor = v[0].start;
	out->hi = v[0].start;
	for (size_t i = 0; i < n; i++) {
		if (kept && v[i].start == v[kept - 1].start)
			continue; /* one FDE per address; the first wins, as with a binary search */
		if (v[i].start - out->anchor > INT32_MAX || v[i].fde > INT32_MAX)
			break;
		out->table[kept] = (struct sym_uw_entry){
			.start = (int32_t)(v[i].start - out->anchor),
			.fde = (int32_t)v[i].fde,
		};
		v[kept++] = v[i];
		if (v[i].end > out->hi)
			out->hi = v[i].end;
	}
	out->n = kept;
	return 0;
}

static int push_raw(struct raw_entry **v, size_t *n, size_t *cap, uint64_t start, uint64_t range,
		    size_t fde)
{
	if (*n == *cap) {
		size_t c = *cap ? *cap * 2 : 256;
		struct raw_entry *p = realloc(*v, c * sizeof(*p));

		if (!p)
			return -ENOMEM;
		*v = p;
		*cap = c;
	}
	(*v)[(*n)++] = (struct raw_entry){start, start + range, fde};
	return 0;
}

/* out's data is p, which the caller keeps alive. */
static void borrow_data(const uint8_t *p, size_t len, struct sym_uw_section *out)
{
	out->data = (uint8_t *)(uintptr_t)p;
	out->len = len;
	out->borrowed = true;
}

/* Replaces borrowed data with a copy of it. Returns 0 or -ENOMEM (then s is released). */
static int own_data(struct sym_uw_section *s)
{
	uint8_t *copy;

	if (!s->borrowed)
		return 0;
	copy = malloc(s->len ? s->len : 1);
	if (!copy) {
		sym_uw_section__release(s);
		return -ENOMEM;
	}
	memcpy(copy, s->data, s->len);
	s->data = copy;
	s->borrowed = false;
	return 0;
}

/* Walks every entry of s into raw entries (FDEs with code only). */
static int walk(const struct sec *s, struct raw_entry **v, size_t *n)
{
	struct cie c = {.off = SIZE_MAX};
	size_t cap = 0, off = 0;
	struct fde f;
	int kind, err;

	*v = NULL;
	*n = 0;
	while (off < s->len && *n < SYM_UW_ENTRIES_MAX) {
		kind = parse_entry(s, off, 0, &c, &f);
		if (kind < 0) {
			size_t body, next;
			bool is64;

			/* A bad FDE is skipped if its length is sound; a bad length ends the walk. */
			if (!entry_at(s, off, &body, &next, &is64))
				break;
			off = next;
			continue;
		}
		if (kind == 1 && f.range && f.start + f.range > f.start) {
			err = push_raw(v, n, &cap, f.start, f.range, off);
			if (err)
				return err;
		}
		off = f.next;
	}
	return 0;
}

void sym_uw_section__release(struct sym_uw_section *s)
{
	if (!s->borrowed)
		free(s->data);
	free(s->table);
	memset(s, 0, sizeof(*s));
}

static int index_eh_frame(const uint8_t *eh, size_t len, uint64_t vaddr,
			  struct sym_uw_section *out)
{
	struct sec s = {eh, len, vaddr, false};
	struct raw_entry *v;
	size_t n;
	int err;

	memset(out, 0, sizeof(*out));
	err = walk(&s, &v, &n);
	if (!err)
		err = build_table(v, n, out);
	free(v);
	if (!err)
		borrow_data(eh, len, out);
	if (err)
		sym_uw_section__release(out);
	else
		out->vaddr = vaddr;
	return err;
}

static int index_eh_frame_hdr(const uint8_t *hdr, size_t hdr_len, uint64_t hdr_vaddr,
			      const uint8_t *eh, size_t eh_len, uint64_t eh_vaddr,
			      struct sym_uw_section *out)
{
	struct sec s = {eh, eh_len, eh_vaddr, false};
	struct rd r = {hdr, hdr + hdr_len, false};
	struct cie c = {.off = SIZE_MAX};
	struct raw_entry *v = NULL;
	uint8_t version, ptr_enc, count_enc, table_enc;
	uint64_t eh_ptr, count, prev = 0;
	struct fde f;
	int err = -EINVAL;

	memset(out, 0, sizeof(*out));
	version = (uint8_t)rd_fixed(&r, 1);
	ptr_enc = (uint8_t)rd_fixed(&r, 1);
	count_enc = (uint8_t)rd_fixed(&r, 1);
	table_enc = (uint8_t)rd_fixed(&r, 1);
	eh_ptr = rd_ptr(&r, ptr_enc, hdr, hdr_vaddr, hdr_vaddr);
	count = rd_ptr(&r, count_enc, hdr, hdr_vaddr, hdr_vaddr);
	/* The table is data-relative sdata4 pairs in every linker we know; anything else: walk. */
	if (r.bad || version != 1 || table_enc != (SYM_PE_DATAREL | SYM_PE_SDATA4) ||
	    eh_ptr != eh_vaddr || !count || count > SYM_UW_ENTRIES_MAX ||
	    count > (uint64_t)(r.end - r.p) / 8)
		return -EINVAL;
	v = malloc(count * sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (uint64_t i = 0; i < count; i++) {
		uint64_t start = hdr_vaddr + (uint64_t)(int64_t)(int32_t)rd_fixed(&r, 4);
		uint64_t fde = hdr_vaddr + (uint64_t)(int64_t)(int32_t)rd_fixed(&r, 4);

		if (fde - eh_vaddr >= eh_len || (i && start < prev))
			goto out;
		v[i] = (struct raw_entry){start, start, (size_t)(fde - eh_vaddr)};
		prev = start;
	}
	/* The last FDE's end bounds the table. */
	if (parse_entry(&s, v[count - 1].fde, 0, &c, &f) != 1 || f.start != v[count - 1].start)
		goto out;
	v[count - 1].end = f.start + f.range;
	err = build_table(v, count, out);
	if (!err)
		borrow_data(eh, eh_len, out);
out:
	free(v);
	if (err)
		sym_uw_section__release(out);
	else
		out->vaddr = eh_vaddr;
	return err;
}

int sym_uw__index_eh_frame(const uint8_t *eh, size_t len, uint64_t vaddr,
			   struct sym_uw_section *out)
{
	int err = index_eh_frame(eh, len, vaddr, out);

	return err ? err : own_data(out);
}

int sym_uw__index_eh_frame_hdr(const uint8_t *hdr, size_t hdr_len, uint64_t hdr_vaddr,
			       const uint8_t *eh, size_t eh_len, uint64_t eh_vaddr,
			       struct sym_uw_section *out)
{
	int err = index_eh_frame_hdr(hdr, hdr_len, hdr_vaddr, eh, eh_len, eh_vaddr, out);

	return err ? err : own_data(out);
}

/* --- .debug_frame -> .eh_frame form --- */

struct wbuf {
	uint8_t *p;
	size_t len, cap;
	bool oom;
};

static void w_bytes(struct wbuf *w, const void *data, size_t n)
{
	if (w->oom)
		return;
	if (w->len + n > w->cap) {
		size_t c = w->cap ? w->cap * 2 : 4096;
		uint8_t *p;

		while (c < w->len + n)
			c *= 2;
		p = realloc(w->p, c);
		if (!p) {
			w->oom = true;
			return;
		}
		w->p = p;
		w->cap = c;
	}
	memcpy(w->p + w->len, data, n);
	w->len += n;
}

static void w_fixed(struct wbuf *w, uint64_t v, size_t n)
{
	uint8_t b[8];

	for (size_t i = 0; i < n; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	w_bytes(w, b, n);
}

static void w_uleb(struct wbuf *w, uint64_t v)
{
	do {
		uint8_t b = v & 0x7f;

		v >>= 7;
		if (v)
			b |= 0x80;
		w_bytes(w, &b, 1);
	} while (v);
}

static void w_sleb(struct wbuf *w, int64_t v)
{
	bool more;

	do {
		uint8_t b = v & 0x7f;

		v >>= 7; /* arithmetic shift on the compilers we build with */
		more = !((v == 0 && !(b & 0x40)) || (v == -1 && (b & 0x40)));
		if (more)
			b |= 0x80;
		w_bytes(w, &b, 1);
	} while (more);
}

static void w_patch32(struct wbuf *w, size_t at, uint32_t v)
{
	if (!w->oom)
		for (int i = 0; i < 4; i++)
			w->p[at + i] = (uint8_t)(v >> (8 * i));
}

/* Writes c as an .eh_frame CIE ("zR", pointers data-relative 8 bytes); returns its offset. */
static size_t write_cie(struct wbuf *w, const struct cie *c)
{
	size_t at = w->len;

	w_fixed(w, 0, 4); /* length, patched below */
	w_fixed(w, 0, 4); /* CIE id */
	w_fixed(w, 3, 1); /* version 3: return register as ULEB */
	w_bytes(w, "zR", 3);
	w_uleb(w, c->code_align);
	w_sleb(w, c->data_align);
	w_uleb(w, c->ra);
	w_uleb(w, 1);
	w_fixed(w, SYM_PE_DATAREL | SYM_PE_UDATA8, 1);
	w_bytes(w, c->insns, (size_t)(c->end - c->insns));
	while ((w->len - at) % 8)
		w_fixed(w, 0, 1); /* DW_CFA_nop padding */
	w_patch32(w, at, (uint32_t)(w->len - at - 4));
	return at;
}

static void write_fde(struct wbuf *w, size_t cie_at, const struct fde *f)
{
	size_t at = w->len;

	w_fixed(w, 0, 4);
	w_fixed(w, (uint64_t)(at + 4 - cie_at), 4); /* CIE pointer: back from this field */
	w_fixed(w, f->start, 8);
	w_fixed(w, f->range, 8);
	w_uleb(w, 0); /* augmentation data length */
	w_bytes(w, f->insns, (size_t)(f->end - f->insns));
	while ((w->len - at) % 8)
		w_fixed(w, 0, 1);
	w_patch32(w, at, (uint32_t)(w->len - at - 4));
}

int sym_uw__convert_debug_frame(const uint8_t *df, size_t len, struct sym_uw_section *out)
{
	struct sec s = {df, len, 0, true};
	struct cie c = {.off = SIZE_MAX};
	size_t off = 0, ncap = 0, n = 0, cie_src = SIZE_MAX, cie_at = 0;
	struct raw_entry *v = NULL;
	struct wbuf w = {0};
	struct fde f;
	int err = 0;

	memset(out, 0, sizeof(*out));
	while (off < len && n < SYM_UW_ENTRIES_MAX && !w.oom) {
		int kind = parse_entry(&s, off, 0, &c, &f);

		if (kind < 0) {
			size_t body, next;
			bool is64;

			if (!entry_at(&s, off, &body, &next, &is64))
				break;
			off = next;
			continue;
		}
		if (kind == 1 && f.range && f.start + f.range > f.start) {
			if (c.off != cie_src) {
				cie_at = write_cie(&w, &c);
				cie_src = c.off;
			}
			if (w.len > INT32_MAX)
				break;
			err = push_raw(&v, &n, &ncap, f.start, f.range, w.len);
			if (err)
				break;
			write_fde(&w, cie_at, &f);
		}
		off = f.next;
	}
	w_fixed(&w, 0, 4); /* terminator */
	if (!err && w.oom)
		err = -ENOMEM;
	if (!err)
		err = build_table(v, n, out);
	free(v);
	if (err) {
		free(w.p);
		sym_uw_section__release(out);
		return err;
	}
	out->data = w.p;
	out->len = w.len;
	out->datarel = true;
	return 0;
}

int sym_uw_section__fde(const struct sym_uw_section *s, size_t i, struct sym_uw_fde *out)
{
	struct sec sc = {s->data, s->len, s->vaddr, false};
	struct cie c = {.off = SIZE_MAX};
	struct fde f;

	if (i >= s->n || parse_entry(&sc, (size_t)s->table[i].fde, 0, &c, &f) != 1 || !f.range ||
	    f.start + f.range < f.start)
		return -EINVAL;
	*out = (struct sym_uw_fde){
		.start = f.start,
		.end = f.start + f.range,
		.cie_insns = c.insns,
		.cie_insns_end = c.end,
		.insns = f.insns,
		.insns_end = f.end,
		.code_align = c.code_align,
		.data_align = c.data_align,
		.ra = c.ra,
		.fde_enc = c.fde_enc,
		.signal = c.signal,
	};
	return 0;
}

const struct sym_uw_entry *sym_uw_section__find(const struct sym_uw_section *s, uint64_t addr)
{
	size_t lo = 0, hi = s->n;
	int64_t rel;

	if (!s->n || addr < s->lo || addr >= s->hi)
		return NULL;
	rel = (int64_t)(addr - s->anchor);
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (rel < s->table[mid].start)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo ? &s->table[lo - 1] : NULL;
}

void sym_uw_section__ranges(const struct sym_uw_section *s, struct sym_uw_range *out)
{
	struct sec sec = {s->data, s->len, s->vaddr, false};
	struct cie c = {.off = SIZE_MAX};
	struct fde f;

	for (size_t i = 0; i < s->n; i++) {
		uint64_t start = s->anchor + (uint64_t)(int64_t)s->table[i].start;

		out[i] = (struct sym_uw_range){start, start};
		/* Pointers in rewritten .debug_frame are relative to a load bias of 0. */
		if (parse_entry(&sec, (size_t)s->table[i].fde, 0, &c, &f) == 1 &&
		    f.start == start && f.start + f.range > f.start)
			out[i].end = f.start + f.range;
	}
}

/* --- ELF files --- */

struct elf_bytes {
	const uint8_t *p;
	size_t len;
	uint64_t vaddr;
};

/* A section's bytes inside the raw image (not compressed, not NOBITS). */
static bool section_bytes(Elf *e, const char *want, const uint8_t *raw, size_t rawsize,
			  struct elf_bytes *out, Elf_Scn **scn_out)
{
	size_t shstrndx;
	Elf_Scn *scn = NULL;

	if (elf_getshdrstrndx(e, &shstrndx))
		return false;
	while ((scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;
		const char *name;

		if (!gelf_getshdr(scn, &sh))
			continue;
		name = elf_strptr(e, shstrndx, sh.sh_name);
		if (!name || strcmp(name, want))
			continue;
		if (scn_out)
			*scn_out = scn;
		if (sh.sh_type == SHT_NOBITS || (sh.sh_flags & SHF_COMPRESSED) ||
		    sh.sh_offset > rawsize || sh.sh_size > rawsize - sh.sh_offset)
			return false;
		*out = (struct elf_bytes){raw + sh.sh_offset, sh.sh_size, sh.sh_addr};
		return true;
	}
	return false;
}

/* Bytes of the file at link-time address vaddr up to the end of its PT_LOAD's file part. */
static bool segment_bytes(Elf *e, uint64_t vaddr, const uint8_t *raw, size_t rawsize,
			  struct elf_bytes *out)
{
	size_t n;

	if (elf_getphdrnum(e, &n))
		return false;
	for (size_t i = 0; i < n; i++) {
		GElf_Phdr ph;
		uint64_t off;

		if (!gelf_getphdr(e, (int)i, &ph) || ph.p_type != PT_LOAD || vaddr < ph.p_vaddr ||
		    vaddr - ph.p_vaddr >= ph.p_filesz)
			continue;
		off = ph.p_offset + (vaddr - ph.p_vaddr);
		if (off >= rawsize)
			return false;
		*out = (struct elf_bytes){raw + off, ph.p_offset + ph.p_filesz - off, vaddr};
		if (out->len > rawsize - off)
			out->len = rawsize - off;
		return true;
	}
	return false;
}

static bool eh_frame_hdr_bytes(Elf *e, const uint8_t *raw, size_t rawsize, struct elf_bytes *out)
{
	size_t n;

	if (section_bytes(e, ".eh_frame_hdr", raw, rawsize, out, NULL))
		return true;
	if (elf_getphdrnum(e, &n))
		return false;
	for (size_t i = 0; i < n; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(e, (int)i, &ph) || ph.p_type != PT_GNU_EH_FRAME)
			continue;
		if (ph.p_offset > rawsize || ph.p_filesz > rawsize - ph.p_offset)
			return false;
		*out = (struct elf_bytes){raw + ph.p_offset, ph.p_filesz, ph.p_vaddr};
		return true;
	}
	return false;
}

/* .eh_frame's table into out, its bytes borrowed from raw. */
static int read_eh(Elf *e, const uint8_t *raw, size_t rawsize, struct sym_uw_section *out)
{
	struct elf_bytes hdr, eh;
	bool have_hdr = eh_frame_hdr_bytes(e, raw, rawsize, &hdr);
	bool have_eh = section_bytes(e, ".eh_frame", raw, rawsize, &eh, NULL);
	int err;

	if (!have_eh && have_hdr && hdr.len >= 4) {
		/* No section headers: .eh_frame is where the header points, up to its segment's end. */
		struct rd r = {hdr.p + 4, hdr.p + hdr.len, false};
		uint64_t ptr = rd_ptr(&r, hdr.p[1], hdr.p, hdr.vaddr, hdr.vaddr);

		have_eh = !r.bad && segment_bytes(e, ptr, raw, rawsize, &eh);
	}
	if (!have_eh)
		return -ENOENT;
	if (have_hdr) {
		err = index_eh_frame_hdr(hdr.p, hdr.len, hdr.vaddr, eh.p, eh.len, eh.vaddr, out);
		if (err != -EINVAL)
			return err;
	}
	return index_eh_frame(eh.p, eh.len, eh.vaddr, out);
}

static int read_debug(Elf *e, const uint8_t *raw, size_t rawsize, struct sym_uw_section *out)
{
	Elf_Scn *scn = NULL;
	struct elf_bytes b;
	Elf_Data *d;
	GElf_Shdr sh;

	if (section_bytes(e, ".debug_frame", raw, rawsize, &b, &scn))
		return sym_uw__convert_debug_frame(b.p, b.len, out);
	if (!scn || !gelf_getshdr(scn, &sh) || !(sh.sh_flags & SHF_COMPRESSED))
		return -ENOENT;
	/* Compressed (SHF_COMPRESSED): libelf inflates it in its own memory. */
	if (elf_compress(scn, 0, 0) < 0)
		return -ENOENT;
	d = elf_getdata(scn, NULL);
	if (!d || !d->d_buf)
		return -ENOENT;
	return sym_uw__convert_debug_frame(d->d_buf, d->d_size, out);
}

/* The tables of e; with copy false, .eh_frame's bytes stay e's (valid while e is). */
static int tables_of_elf(Elf *e, bool copy, struct sym_uw_table *out)
{
	const uint8_t *raw;
	size_t rawsize;
	GElf_Ehdr eh;
	int err;

	memset(out, 0, sizeof(*out));
	raw = (const uint8_t *)elf_rawfile(e, &rawsize);
	if (!raw || !gelf_getehdr(e, &eh) || eh.e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh.e_machine != EM_X86_64)
		return 0; /* not code we unwind: an empty table */
	err = read_eh(e, raw, rawsize, &out->eh);
	if (!err && copy)
		err = own_data(&out->eh);
	if (err == -ENOMEM)
		return err;
	err = read_debug(e, raw, rawsize, &out->debug);
	if (err == -ENOMEM) {
		sym_uw_table__release(out);
		return err;
	}
	out->bytes = sizeof(*out) + out->eh.len + out->debug.len +
		     (out->eh.n + out->debug.n) * sizeof(struct sym_uw_entry);
	return 0;
}

int sym_uw_table__read_elf(Elf *e, struct sym_uw_table *out)
{
	return tables_of_elf(e, true, out);
}

int sym_uw_table__view_elf(Elf *e, struct sym_uw_table *out)
{
	return tables_of_elf(e, false, out);
}

/* The tables of e, which this ends; an e libelf could not open is a file without tables. */
static int read_elf(Elf *e, struct sym_uw_table *out)
{
	int err;

	if (!e) {
		memset(out, 0, sizeof(*out));
		return 0;
	}
	err = sym_uw_table__read_elf(e, out);
	elf_end(e);
	return err;
}

int sym_uw_table__read_fd(int fd, struct sym_uw_table *out)
{
	elf_version(EV_CURRENT);
	return read_elf(elf_begin(fd, ELF_C_READ_MMAP, NULL), out);
}

int sym_uw_table__read_mem(const void *image, size_t size, struct sym_uw_table *out)
{
	elf_version(EV_CURRENT);
	return read_elf(elf_memory((char *)(uintptr_t)image, size), out);
}

void sym_uw_table__release(struct sym_uw_table *t)
{
	sym_uw_section__release(&t->eh);
	sym_uw_section__release(&t->debug);
	memset(t, 0, sizeof(*t));
}

void sym_uw_table__free(struct sym_uw_table *t)
{
	if (!t)
		return;
	sym_uw_table__release(t);
	free(t);
}
