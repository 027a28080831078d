// SPDX-License-Identifier: MIT
/* The protobuf wire format for pprof; why it is hand-written is in protobuf_internal.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "formats/protobuf_internal.h"

void pb_buf_release(struct pb_buf *b)
{
	free(b->data);
	memset(b, 0, sizeof(*b));
}

static bool pb_reserve(struct pb_buf *b, size_t extra)
{
	size_t cap;
	uint8_t *q;

	if (b->err)
		return false;
	if (b->cap - b->len >= extra)
		return true;
	cap = b->cap ? b->cap : 256;
	while (cap - b->len < extra) {
		if (cap > SIZE_MAX / 2) {
			b->err = -ENOMEM;
			return false;
		}
		cap *= 2;
	}
	q = realloc(b->data, cap);
	if (!q) {
		b->err = -ENOMEM;
		return false;
	}
	b->data = q;
	b->cap = cap;
	return true;
}

size_t pb_varint_size(uint64_t v)
{
	size_t n = 1;

	while (v >= 0x80) {
		v >>= 7;
		n++;
	}
	return n;
}

static size_t put_varint(uint8_t *p, uint64_t v)
{
	size_t n = 0;

	while (v >= 0x80) {
		p[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	p[n++] = (uint8_t)v;
	return n;
}

void pb_varint(struct pb_buf *b, uint64_t v)
{
	if (pb_reserve(b, 10))
		b->len += put_varint(b->data + b->len, v);
}

void pb_key(struct pb_buf *b, uint32_t field, enum pb_wire wire)
{
	pb_varint(b, (uint64_t)field << 3 | wire);
}

void pb_uint(struct pb_buf *b, uint32_t field, uint64_t v)
{
	if (!v)
		return;
	pb_key(b, field, PB_VARINT);
	pb_varint(b, v);
}

void pb_bytes(struct pb_buf *b, uint32_t field, const void *data, size_t len)
{
	pb_key(b, field, PB_LEN);
	pb_varint(b, len);
	if (len && pb_reserve(b, len)) {
		memcpy(b->data + b->len, data, len);
		b->len += len;
	}
}

void pb_packed(struct pb_buf *b, uint32_t field, const uint64_t *v, size_t n)
{
	size_t size = 0;

	if (!n)
		return;
	for (size_t i = 0; i < n; i++)
		size += pb_varint_size(v[i]);
	pb_key(b, field, PB_LEN);
	pb_varint(b, size);
	if (!pb_reserve(b, size))
		return;
	for (size_t i = 0; i < n; i++)
		b->len += put_varint(b->data + b->len, v[i]);
}

size_t pb_begin(struct pb_buf *b, uint32_t field)
{
	pb_key(b, field, PB_LEN);
	if (pb_reserve(b, 1))
		b->data[b->len++] = 0;
	return b->len;
}

void pb_end(struct pb_buf *b, size_t mark)
{
	size_t body, extra;
	uint8_t tmp[10];

	if (b->err)
		return;
	body = b->len - mark;
	extra = pb_varint_size(body) - 1;
	if (extra && !pb_reserve(b, extra))
		return;
	if (extra)
		memmove(b->data + mark + extra, b->data + mark, body);
	put_varint(tmp, body);
	memcpy(b->data + mark - 1, tmp, extra + 1);
	b->len += extra;
}

/* ---- decoding ---- */

static int get_varint(struct pb_reader *r, uint64_t *v)
{
	uint64_t x = 0;

	for (unsigned shift = 0; shift < 64; shift += 7) {
		uint8_t byte;

		if (r->p >= r->end)
			return -EINVAL;
		byte = *r->p++;
		/* The tenth byte holds bit 63 only. */
		if (shift == 63 && byte > 1)
			return -EINVAL;
		x |= (uint64_t)(byte & 0x7f) << shift;
		if (!(byte & 0x80)) {
			*v = x;
			return 0;
		}
	}
	return -EINVAL;
}

static int get_fixed(struct pb_reader *r, size_t n, uint64_t *v)
{
	uint64_t x = 0;

	if ((size_t)(r->end - r->p) < n)
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		x |= (uint64_t)r->p[i] << (8 * i);
	r->p += n;
	*v = x;
	return 0;
}

static int next_field(struct pb_reader *r, struct pb_field *f)
{
	uint64_t key, len;

	if (get_varint(r, &key) || key >> 3 == 0 || key >> 3 > UINT32_MAX >> 3)
		return -EINVAL;
	f->number = (uint32_t)(key >> 3);
	f->wire = (enum pb_wire)(key & 7);
	f->v = 0;
	f->data = NULL;
	f->len = 0;
	switch (f->wire) {
	case PB_VARINT:
		return get_varint(r, &f->v) ? -EINVAL : 1;
	case PB_FIXED64:
		return get_fixed(r, 8, &f->v) ? -EINVAL : 1;
	case PB_FIXED32:
		return get_fixed(r, 4, &f->v) ? -EINVAL : 1;
	case PB_LEN:
		if (get_varint(r, &len) || len > (uint64_t)(r->end - r->p))
			return -EINVAL;
		f->data = r->p;
		f->len = (size_t)len;
		r->p += len;
		return 1;
	default: /* groups (3, 4) were never used by pprof; 6 and 7 do not exist */
		return -EINVAL;
	}
}

int pb_next(struct pb_reader *r, struct pb_field *f)
{
	const uint8_t *at = r->p;
	int ret;

	if (r->p >= r->end)
		return 0;
	ret = next_field(r, f);
	if (ret < 0)
		r->p = at; /* errors point at the field, not somewhere inside it */
	return ret;
}

int pb_next_varint(struct pb_reader *r, struct pb_field *f)
{
	int ret;

	while ((ret = pb_next(r, f)) > 0 && f->wire != PB_VARINT)
		;
	return ret;
}

void pb_values_init(struct pb_values *it, const struct pb_field *f)
{
	memset(it, 0, sizeof(*it));
	if (f->wire == PB_LEN) {
		pb_reader_init(&it->r, f->data, f->len);
	} else if (f->wire == PB_VARINT) {
		it->single = f->v;
		it->state = 1;
	} else {
		it->state = -1;
	}
}

int pb_values_next(struct pb_values *it, uint64_t *v)
{
	switch (it->state) {
	case 0:
		if (it->r.p >= it->r.end)
			return 0;
		return get_varint(&it->r, v) ? -EINVAL : 1;
	case 1:
		*v = it->single;
		it->state = 2;
		return 1;
	case 2:
		return 0;
	default:
		return -EINVAL;
	}
}
