// SPDX-License-Identifier: MIT
/*
 * libFuzzer target: the CFI table compiler (symbolizer/cfi.c) on arbitrary CFI. The input is the
 * one fuzz_unwind_table reads (and its seeds): a first byte that picks .eh_frame, .eh_frame_hdr
 * over .eh_frame, .debug_frame or a whole ELF image, two bytes that split header from
 * .eh_frame, then the bytes. Whatever compiles must keep the table's layout: pages that index
 * sorted rows, rule indexes inside the rules, known rule kinds, and lookups anywhere that land
 * on a rule.
 *
 * fuzz-sources: symbolizer common
 * fuzz-libs: -lelf -ldw -lunwind-generic -lunwind -lzstd -lz -ldebuginfod -l:libiberty.a
 * fuzz-seed-gen: tests/fuzz/seeds/unwind_table_seeds.sh
 */
#include <elf.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "symbolizer/cfi_internal.h"
#include "symbolizer/symbolizer_internal.h"
#include "symbolizer/unwind_table_internal.h"

static void check(const struct sym_cfi_table *t, const uint8_t *data, size_t size)
{
	uint64_t probe = 0;

	if (!t->nrows) {
		if (sym_cfi_table__words(t) || sym_cfi_table__find(t, 0)->cfa != SYM_CFI_NONE)
			abort();
		return;
	}
	if (t->pages[t->npages] != t->nrows || !t->nrules || t->nrules > SYM_CFI_RULES_MAX)
		abort();
	for (uint32_t p = 0; p < t->npages; p++) {
		if (t->pages[p] > t->pages[p + 1])
			abort();
		for (uint32_t i = t->pages[p] + 1; i < t->pages[p + 1]; i++)
			if (t->rows[i] >> SYM_CFI_RULE_BITS <= t->rows[i - 1] >> SYM_CFI_RULE_BITS)
				abort();
	}
	for (uint32_t i = 0; i < t->nrows; i++)
		if ((t->rows[i] & (SYM_CFI_RULES_MAX - 1)) >= t->nrules)
			abort();
	for (uint32_t i = 0; i < t->nrules; i++)
		if (t->rules[i].cfa > SYM_CFI_UNSUPPORTED || t->rules[i].rbp > SYM_CFI_RBP_LOST)
			abort();
	for (size_t i = 0; i + 8 <= size && i < 64 * 8; i += 8) {
		memcpy(&probe, data + i, 8);
		sym_cfi_table__find(t, probe);
		sym_cfi_table__find(t, ((uint64_t)t->first_page << SYM_CFI_PAGE_SHIFT) +
					       probe % (((uint64_t)t->npages + 1) << SYM_CFI_PAGE_SHIFT));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct sym_segment text = {
		.vaddr = 0x400000, .memsz = 1u << 24, .offset = 0x1000, .filesz = 1u << 24, .flags = PF_X};
	struct sym_cfi_table *t = NULL;
	struct sym_uw_section s;
	size_t split;
	int err = -1;

	if (size < 3)
		return 0;
	split = ((size_t)data[1] | (size_t)data[2] << 8) % (size - 2);
	switch (data[0] % 4) {
	case 0:
		err = sym_uw__index_eh_frame(data + 3, size - 3, 0x401000, &s);
		break;
	case 1:
		err = sym_uw__index_eh_frame_hdr(data + 3, split, 0x400800, data + 3 + split,
						 size - 3 - split, 0x400800 + split, &s);
		break;
	case 2:
		err = sym_uw__convert_debug_frame(data + 3, size - 3, &s);
		break;
	default:
		if (sym_cfi_table__build_mem(data + 3, size - 3, &t) == 0) {
			check(t, data, size);
			sym_cfi_table__free(t);
		}
		return 0;
	}
	if (err)
		return 0;
	if (sym_cfi__compile(data[0] % 4 == 2 ? NULL : &s, data[0] % 4 == 2 ? &s : NULL, &text, 1,
			     &t) == 0) {
		check(t, data, size);
		sym_cfi_table__free(t);
	}
	sym_uw_section__release(&s);
	return 0;
}
