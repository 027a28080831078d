// SPDX-License-Identifier: MIT
/*
 * libFuzzer target: the unwind-table parsers (symbolizer/unwind_table.c) on arbitrary bytes. The
 * first byte picks the parser: .eh_frame walk, .eh_frame_hdr over .eh_frame (the next two bytes
 * split the rest), .debug_frame rewrite, or a whole ELF image. Whatever a parser accepts must
 * give a sorted table inside the bytes it kept.
 *
 * fuzz-sources: common
 * fuzz-libs: -lelf
 * fuzz-seed-gen: tests/fuzz/seeds/unwind_table_seeds.sh
 */
#include <stdint.h>
#include <stdlib.h>

#include "symbolizer/unwind_table.c"

static void check(const struct sym_uw_section *s)
{
	struct sym_uw_fde f;

	for (size_t i = 0; i < s->n; i++) {
		if (s->table[i].fde < 0 || (size_t)s->table[i].fde >= s->len)
			abort();
		if (i && s->table[i].start <= s->table[i - 1].start)
			abort();
	}
	if (s->n && (s->lo != s->anchor || s->hi < s->lo))
		abort();
	for (size_t i = 0; i < s->n; i++)
		if (!sym_uw_section__fde(s, i, &f) &&
		    (f.insns < s->data || f.insns_end > s->data + s->len || f.start >= f.end))
			abort();
	if (s->n) {
		struct sym_uw_range *r = malloc(s->n * sizeof(*r));

		if (r) {
			sym_uw_section__ranges(s, r);
			for (size_t i = 0; i < s->n; i++)
				if (r[i].end < r[i].start)
					abort();
			free(r);
		}
		sym_uw_section__find(s, s->lo);
		sym_uw_section__find(s, s->hi - 1);
		sym_uw_section__find(s, s->lo + (s->hi - s->lo) / 2);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sym_uw_section s;
	struct sym_uw_table t;
	size_t split;

	if (size < 3)
		return 0;
	split = ((size_t)data[1] | (size_t)data[2] << 8) % (size - 2);
	switch (data[0] % 4) {
	case 0:
		if (!sym_uw__index_eh_frame(data + 3, size - 3, 0x401000, &s)) {
			check(&s);
			sym_uw_section__release(&s);
		}
		break;
	case 1:
		if (!sym_uw__index_eh_frame_hdr(data + 3, split, 0x400800, data + 3 + split,
						size - 3 - split, 0x400800 + split, &s)) {
			check(&s);
			sym_uw_section__release(&s);
		}
		break;
	case 2:
		if (!sym_uw__convert_debug_frame(data + 3, size - 3, &s)) {
			check(&s);
			/* The rewrite must read back as .eh_frame with the same FDEs. */
			struct sym_uw_section again;

			if (sym_uw__index_eh_frame(s.data, s.len, 0, &again) == 0) {
				if (again.n != s.n)
					abort();
				sym_uw_section__release(&again);
			}
			sym_uw_section__release(&s);
		}
		break;
	default:
		if (!sym_uw_table__read_mem(data + 3, size - 3, &t)) {
			check(&t.eh);
			check(&t.debug);
			sym_uw_table__release(&t);
		}
		break;
	}
	return 0;
}
