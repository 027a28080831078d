/* SPDX-License-Identifier: MIT */
/*
 * A bounded little-endian reader for CFI bytes (.eh_frame, .eh_frame_hdr, .debug_frame and the
 * CFA programs and DWARF expressions inside them), shared by unwind_table.c and cfi.c. A read
 * past the end sets `bad` and yields 0: callers check `bad` once after a group of reads.
 */
#ifndef PROFD_CFI_READER_INTERNAL_H
#define PROFD_CFI_READER_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "symbolizer/unwind_table_internal.h"

struct rd {
	const uint8_t *p, *end;
	bool bad;
};

static inline uint64_t rd_fixed(struct rd *r, size_t n)
{
	uint64_t v = 0;

	if ((size_t)(r->end - r->p) < n) {
		r->bad = true;
		r->p = r->end;
		return 0;
	}
	for (size_t i = 0; i < n; i++)
		v |= (uint64_t)r->p[i] << (8 * i);
	r->p += n;
	return v;
}

static inline uint64_t rd_uleb(struct rd *r)
{
	uint64_t v = 0;
	unsigned int shift = 0;

	while (r->p < r->end) {
		uint8_t b = *r->p++;

		if (shift < 64)
			v |= (uint64_t)(b & 0x7f) << shift;
		shift += 7;
		if (!(b & 0x80))
			return v;
	}
	r->bad = true;
	return 0;
}

static inline int64_t rd_sleb(struct rd *r)
{
	uint64_t v = 0;
	unsigned int shift = 0;
	uint8_t b = 0;

	while (r->p < r->end) {
		b = *r->p++;
		if (shift < 64)
			v |= (uint64_t)(b & 0x7f) << shift;
		shift += 7;
		if (!(b & 0x80)) {
			if (shift < 64 && (b & 0x40))
				v |= ~(uint64_t)0 << shift;
			return (int64_t)v;
		}
	}
	r->bad = true;
	return 0;
}

static inline void rd_skip(struct rd *r, uint64_t n)
{
	if (n > (uint64_t)(r->end - r->p)) {
		r->bad = true;
		r->p = r->end;
		return;
	}
	r->p += n;
}

/* The value part of an encoded pointer, sign-extended where signed. */
static inline uint64_t rd_ptr_value(struct rd *r, uint8_t enc)
{
	switch (enc & 0x0f) {
	case SYM_PE_ABSPTR:
	case SYM_PE_UDATA8:
	case SYM_PE_SDATA8:
		return rd_fixed(r, 8);
	case SYM_PE_ULEB128:
		return rd_uleb(r);
	case SYM_PE_UDATA2:
		return rd_fixed(r, 2);
	case SYM_PE_UDATA4:
		return rd_fixed(r, 4);
	case SYM_PE_SLEB128:
		return (uint64_t)rd_sleb(r);
	case SYM_PE_SDATA2:
		return (uint64_t)(int64_t)(int16_t)rd_fixed(r, 2);
	case SYM_PE_SDATA4:
		return (uint64_t)(int64_t)(int32_t)rd_fixed(r, 4);
	default:
		r->bad = true;
		return 0;
	}
}

/*
 * An encoded pointer in section bytes that start at link-time address vaddr (pc-relative) with
 * data-relative pointers relative to datarel. Indirect pointers are not followed (never needed
 * for code addresses).
 */
static inline uint64_t rd_ptr(struct rd *r, uint8_t enc, const uint8_t *sec, uint64_t vaddr,
			      uint64_t datarel)
{
	uint64_t field = vaddr + (uint64_t)(r->p - sec);
	uint64_t v;

	if (enc == SYM_PE_OMIT)
		return 0;
	v = rd_ptr_value(r, enc);
	switch (enc & 0x70) {
	case 0:
		break;
	case SYM_PE_PCREL:
		v += field;
		break;
	case SYM_PE_DATAREL:
		v += datarel;
		break;
	default:
		r->bad = true;
	}
	return v;
}

#endif
