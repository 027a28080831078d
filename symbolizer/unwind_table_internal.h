/* SPDX-License-Identifier: MIT */
/*
 * Unwind tables of one ELF file, for unwind.c (libunwind's remote API) and its tests and fuzz
 * target; nothing outside symbolizer/ includes it.
 *
 * A table is parsed once per file identity and hangs off the file's sym_file in the file cache. It keeps the file's .eh_frame bytes (libunwind reads
 * FDEs and CIEs from them, at their load address: their pointers are pc-relative) and a sorted
 * search table in the layout of libunwind's `struct table_entry`, taken from .eh_frame_hdr when
 * the file has a valid one, else built by walking .eh_frame. A .debug_frame is rewritten into
 * .eh_frame form with data-relative pointers, so libunwind reads it like .eh_frame: the load bias
 * goes in as the "global pointer", and the rewritten bytes live at an address no process uses.
 * Everything is bounded by the section sizes: a corrupt section yields fewer entries, never a
 * read outside the bytes read from the file.
 */
#ifndef PROFD_UNWIND_TABLE_INTERNAL_H
#define PROFD_UNWIND_TABLE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* DWARF exception-header pointer encodings (LSB 4.1, .eh_frame). */
#define SYM_PE_ABSPTR 0x00
#define SYM_PE_ULEB128 0x01
#define SYM_PE_UDATA2 0x02
#define SYM_PE_UDATA4 0x03
#define SYM_PE_UDATA8 0x04
#define SYM_PE_SLEB128 0x09
#define SYM_PE_SDATA2 0x0a
#define SYM_PE_SDATA4 0x0b
#define SYM_PE_SDATA8 0x0c
#define SYM_PE_PCREL 0x10
#define SYM_PE_DATAREL 0x30
#define SYM_PE_INDIRECT 0x80
#define SYM_PE_OMIT 0xff

#define SYM_UW_ENTRIES_MAX (1u << 24) /* FDEs kept per section */

/* One search-table row, as libunwind reads it: code start and FDE, relative to bases below. */
struct sym_uw_entry {
	int32_t start; /* link-time code address - anchor */
	int32_t fde;   /* offset of the FDE in data */
};

/* CFI in .eh_frame form plus its search table. */
struct sym_uw_section {
	uint8_t *data;
	size_t len;
	uint64_t vaddr; /* link-time address of data[0] (0 for rewritten .debug_frame) */
	struct sym_uw_entry *table; /* sorted by start */
	size_t n;
	uint64_t anchor; /* link-time address table starts are relative to (= lo) */
	uint64_t lo, hi; /* link-time code the FDEs cover */
	bool datarel;	 /* rewritten .debug_frame: pointers relative to the load bias */
	bool borrowed;	 /* data is the caller's (sym_uw_table__view_elf), not freed here */
};

struct sym_uw_table {
	struct sym_uw_section eh;
	struct sym_uw_section debug;
	size_t bytes;
};

/*
 * Reads the unwind tables of the ELF file open at fd, or of an image in memory. A file without
 * CFI, or with CFI that cannot be parsed, yields an empty table and 0 (a fact worth caching).
 * Returns 0, -ENOMEM or -EIO. Release with sym_uw_table__release().
 */
int sym_uw_table__read_fd(int fd, struct sym_uw_table *out);
int sym_uw_table__read_mem(const void *image, size_t size, struct sym_uw_table *out);
void sym_uw_table__release(struct sym_uw_table *t);
/* The same for an ELF file already open with libelf (the caller ends it). */
struct Elf;
int sym_uw_table__read_elf(struct Elf *e, struct sym_uw_table *out);
/*
 * The same, but .eh_frame's bytes are not copied: out points into e's image and is valid only
 * until e ends (for a one-off pass over the FDEs: no second copy of the section).
 */
int sym_uw_table__view_elf(struct Elf *e, struct sym_uw_table *out);
/* Releases a table that was malloc'ed, and frees it. NULL is a no-op. */
void sym_uw_table__free(struct sym_uw_table *t);

/*
 * The parsers, on raw section bytes (each copies what it keeps; the fuzz target drives them).
 * Each fills *out (data, table and ranges) and returns 0, -ENOENT for a section with no usable
 * FDE, or -ENOMEM.
 *
 * __index_eh_frame: walks .eh_frame at link-time address vaddr.
 * __index_eh_frame_hdr: takes the binary-search table of .eh_frame_hdr (at hdr_vaddr) over
 *   .eh_frame (eh bytes at eh_vaddr); -EINVAL if the header is not one it can use.
 * __convert_debug_frame: rewrites .debug_frame into .eh_frame form (datarel pointers).
 */
int sym_uw__index_eh_frame(const uint8_t *eh, size_t len, uint64_t vaddr,
			   struct sym_uw_section *out);
int sym_uw__index_eh_frame_hdr(const uint8_t *hdr, size_t hdr_len, uint64_t hdr_vaddr,
			       const uint8_t *eh, size_t eh_len, uint64_t eh_vaddr,
			       struct sym_uw_section *out);
int sym_uw__convert_debug_frame(const uint8_t *df, size_t len, struct sym_uw_section *out);
void sym_uw_section__release(struct sym_uw_section *s);

/* One FDE and what its CIE says, for running CFA programs (cfi.c). */
struct sym_uw_fde {
	uint64_t start, end;		    /* link-time code it covers */
	const uint8_t *cie_insns, *cie_insns_end; /* the CIE's initial instructions */
	const uint8_t *insns, *insns_end;	  /* the FDE's instructions */
	uint64_t code_align;
	int64_t data_align;
	uint64_t ra;	 /* return address column */
	uint8_t fde_enc; /* pointer encoding of DW_CFA_set_loc operands */
	bool signal;	 /* CIE augmentation "S": a signal trampoline */
};

/* FDE i of the section's search table (in address order) into *out, whose pointers point into
 * s->data. Returns 0, or -EINVAL when it does not parse or covers no code. */
int sym_uw_section__fde(const struct sym_uw_section *s, size_t i, struct sym_uw_fde *out);

/* The code one FDE covers: [start, end), link-time addresses. */
struct sym_uw_range {
	uint64_t start, end;
};

/*
 * The code range of every FDE in s's table, in table order: out[i] (s->n of them) for
 * s->table[i]. An FDE that does not parse again gets an empty range (end == start).
 */
void sym_uw_section__ranges(const struct sym_uw_section *s, struct sym_uw_range *out);

/* The entry covering link-time address addr, or NULL. */
const struct sym_uw_entry *sym_uw_section__find(const struct sym_uw_section *s, uint64_t addr);

#endif
