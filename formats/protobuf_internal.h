/* SPDX-License-Identifier: MIT */
/*
 * The protobuf wire format, as much of it as pprof needs: an encoder into a growable buffer and
 * a bounds-checked decoder over a byte range. Internal to formats/.
 *
 * Hand-written rather than generated (protoc-c and libprotobuf-c): pprof uses five wire
 * features (varint, length-delimited, packed repeated, fixed64/32 to skip) in about 200 lines,
 * so a codegen step in the build and a runtime library in every install would cost more than
 * they save, and a decoder of our own lets every length and index be checked where it is read.
 */
#ifndef PROFD_FORMATS_PROTOBUF_INTERNAL_H
#define PROFD_FORMATS_PROTOBUF_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum pb_wire {
	PB_VARINT = 0,
	PB_FIXED64 = 1,
	PB_LEN = 2,
	PB_FIXED32 = 5,
};

/*
 * An output buffer. Errors are sticky: after a failed allocation every call is a no-op and
 * err stays -ENOMEM, so a writer checks once at the end of a message.
 */
struct pb_buf {
	uint8_t *data;
	size_t len, cap;
	int err;
};

void pb_buf_release(struct pb_buf *b);

/* Bytes a varint of v takes (1 to 10). */
size_t pb_varint_size(uint64_t v);
void pb_varint(struct pb_buf *b, uint64_t v);
void pb_key(struct pb_buf *b, uint32_t field, enum pb_wire wire);

/* A varint field; proto3 leaves out zero values, so these do too. int64 is two's complement. */
void pb_uint(struct pb_buf *b, uint32_t field, uint64_t v);
static inline void pb_int(struct pb_buf *b, uint32_t field, int64_t v)
{
	pb_uint(b, field, (uint64_t)v);
}

/* A length-delimited field, written even when empty (string_table[0] is ""). */
void pb_bytes(struct pb_buf *b, uint32_t field, const void *data, size_t len);
/* A packed repeated varint field; nothing when n == 0. */
void pb_packed(struct pb_buf *b, uint32_t field, const uint64_t *v, size_t n);

/*
 * A nested message: pb_begin() writes the key and reserves one byte of length, pb_end() fills
 * it in (moving the body when the length needs more bytes). Returns the mark pb_end() needs.
 */
size_t pb_begin(struct pb_buf *b, uint32_t field);
void pb_end(struct pb_buf *b, size_t mark);

/* ---- decoding ---- */

struct pb_reader {
	const uint8_t *p, *end;
	const uint8_t *start; /* for byte offsets in error messages */
};

struct pb_field {
	uint32_t number;
	enum pb_wire wire;
	uint64_t v;	     /* PB_VARINT, PB_FIXED64, PB_FIXED32 */
	const uint8_t *data; /* PB_LEN */
	size_t len;
};

static inline void pb_reader_init(struct pb_reader *r, const void *data, size_t len)
{
	r->p = r->start = data;
	r->end = r->p + len;
}

/*
 * Reads the next field. Returns 1 with *f filled, 0 at the end of the range, or -EINVAL for a
 * malformed field (bad varint, field number 0, group wire types, a length past the end); then
 * the reader stays at the start of that field.
 */
int pb_next(struct pb_reader *r, struct pb_field *f);
/* pb_next(), passing over every field that is not a varint. */
int pb_next_varint(struct pb_reader *r, struct pb_field *f);

/* Byte offset of the reader from its start. */
static inline size_t pb_offset(const struct pb_reader *r)
{
	return (size_t)(r->p - r->start);
}

/*
 * Iterates a repeated varint field that may be packed (PB_LEN) or not (PB_VARINT): set up with
 * pb_values_init(), then pb_values_next() returns 1 with *v, 0 at the end, -EINVAL if malformed
 * or the field has another wire type.
 */
struct pb_values {
	struct pb_reader r;
	uint64_t single;
	int state; /* 0: packed range, 1: one value pending, 2: done, -1: bad wire type */
};

void pb_values_init(struct pb_values *it, const struct pb_field *f);
int pb_values_next(struct pb_values *it, uint64_t *v);

/* ---- profile.proto (pprof) field numbers, for its writer and its reader ---- */

enum {
	PROFILE_SAMPLE_TYPE = 1,
	PROFILE_SAMPLE = 2,
	PROFILE_MAPPING = 3,
	PROFILE_LOCATION = 4,
	PROFILE_FUNCTION = 5,
	PROFILE_STRING_TABLE = 6,
	PROFILE_TIME_NANOS = 9,
	PROFILE_DURATION_NANOS = 10,
	PROFILE_PERIOD_TYPE = 11,
	PROFILE_PERIOD = 12,
	PROFILE_COMMENT = 13,
	VALUE_TYPE_TYPE = 1,
	VALUE_TYPE_UNIT = 2,
	SAMPLE_LOCATION_ID = 1,
	SAMPLE_VALUE = 2,
	SAMPLE_LABEL = 3,
	LABEL_KEY = 1,
	LABEL_STR = 2,
	LABEL_NUM = 3,
	LABEL_NUM_UNIT = 4,
	MAPPING_ID = 1,
	MAPPING_MEMORY_START = 2,
	MAPPING_MEMORY_LIMIT = 3,
	MAPPING_FILE_OFFSET = 4,
	MAPPING_FILENAME = 5,
	MAPPING_BUILD_ID = 6,
	MAPPING_HAS_FUNCTIONS = 7,
	MAPPING_HAS_FILENAMES = 8,
	MAPPING_HAS_LINE_NUMBERS = 9,
	MAPPING_HAS_INLINE_FRAMES = 10,
	LOCATION_ID = 1,
	LOCATION_MAPPING_ID = 2,
	LOCATION_ADDRESS = 3,
	LOCATION_LINE = 4,
	LINE_FUNCTION_ID = 1,
	LINE_LINE = 2,
	FUNCTION_ID = 1,
	FUNCTION_NAME = 2,
	FUNCTION_SYSTEM_NAME = 3,
	FUNCTION_FILENAME = 4,
	FUNCTION_START_LINE = 5,
};

#endif
