// SPDX-License-Identifier: MIT
/*
 * The pprof reader: gzip or raw profile.proto into the profile model.
 *
 * Everything about the input is checked before it is used: the decompressed size is capped
 * (FMT_PPROF_MAX_BYTES), every protobuf length stays inside its message, every string index is
 * inside the string table, and every mapping, function and location id a message names exists.
 * pprof ids are arbitrary non-zero numbers, so each kind gets a table from its ids to ours.
 *
 * The top-level message is walked four times, because the string table may come last (Go
 * writes it after everything else): strings and scalars; mappings and functions; locations;
 * samples. Walking is cheap: a length-delimited field is skipped by its length.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "common/htab.h"
#include "common/strbuf.h"
#include "formats/formats.h"
#include "formats/protobuf_internal.h"

#define MIB(n) ((n) >> 20)

/* pprof ids (non-zero) -> our values (non-zero), in a struct profd_htab. */


/* A Function message, its string indices checked. */
struct rfunc {
	uint32_t name, system_name, filename;
	int64_t start_line;
};

struct value_type {
	uint64_t type, unit;
};

struct reader {
	struct fmt_profile *p;
	struct fmt_error *err;
	const uint8_t *data;
	size_t len;

	/* The string table, NUL-terminated copies in one block. */
	char *arena;
	uint32_t *str_off;
	uint32_t nstr;

	size_t nmappings, nfunctions, nlocations, nsamples;
	struct value_type *types;
	size_t ntypes;
	size_t value_index;
	bool in_us; /* a time profile's nanoseconds, counted in microseconds */
	int64_t time_ns, duration_ns, period;
	struct value_type period_type;
	bool have_period_type;

	struct profd_htab mappings, functions, locations; /* pprof id -> ours */
	struct rfunc *funcs;
	size_t nfuncs;

	struct fmt_frame_desc *frames;
	size_t frames_cap;
	char *names; /* names made up for frames without a function, '\0'-separated */
	size_t names_cap;
	uint32_t *locs;
	size_t locs_cap;
};

static int bad(struct reader *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int bad(struct reader *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->err->msg, sizeof(r->err->msg), fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static const char *str(const struct reader *r, uint32_t idx)
{
	return r->arena + r->str_off[idx];
}

/* After a Mapping, Function or Location message (pb_next's last return in ret): its id. */
static int check_message(struct reader *r, int ret, const char *what, size_t n, uint64_t id)
{
	if (ret)
		return bad(r, "%s %zu: malformed protobuf", what, n);
	if (!id)
		return bad(r, "%s %zu: id 0", what, n);
	return 0;
}

/* Remembers that pprof id stands for ours; a second message with the id is an error. */
static int remember_id(struct reader *r, struct profd_htab *ids, const char *what, size_t n,
		       uint64_t id, uint32_t ours)
{
	if (profd_htab_get(ids, id))
		return bad(r, "%s %zu: duplicate id %" PRIu64, what, n, id);
	return profd_htab_add(ids, id, ours);
}

/* Checks a string index read from the input. what names the field for the message. */
static int check_str(struct reader *r, uint64_t idx, const char *what, size_t n, uint32_t *out)
{
	if (idx >= r->nstr)
		return bad(r, "%s %zu: string index %" PRIu64 " out of range (%" PRIu32 " strings)",
			   what, n, idx, r->nstr);
	*out = (uint32_t)idx;
	return 0;
}

static int want_wire(struct reader *r, const struct pb_field *f, enum pb_wire wire,
		     const char *what)
{
	if (f->wire != wire)
		return bad(r, "%s: field %" PRIu32 " has wire type %d, want %d", what, f->number,
			   (int)f->wire, (int)wire);
	return 0;
}

/* ---- input: gzip or raw, capped ---- */

static int read_all(struct reader *r, FILE *in, uint8_t **out, size_t *outlen)
{
	size_t cap = 64 * 1024, len = 0, n;
	uint8_t *buf = malloc(cap), *q;

	if (!buf)
		return -ENOMEM;
	while ((n = fread(buf + len, 1, cap - len, in)) > 0) {
		len += n;
		if (len < cap)
			continue;
		if (cap >= FMT_PPROF_MAX_BYTES) {
			free(buf);
			return bad(r, "input above %u MiB", MIB(FMT_PPROF_MAX_BYTES));
		}
		q = realloc(buf, cap * 2);
		if (!q) {
			free(buf);
			return -ENOMEM;
		}
		buf = q;
		cap *= 2;
	}
	if (ferror(in)) {
		free(buf);
		return -EIO;
	}
	*out = buf;
	*outlen = len;
	return 0;
}

/* Inflates one or more gzip members; never holds more than FMT_PPROF_MAX_BYTES of output. */
static int gunzip(struct reader *r, const uint8_t *in, size_t inlen, uint8_t **out, size_t *outlen)
{
	z_stream zs = {0};
	size_t cap = inlen < FMT_PPROF_MAX_BYTES / 8 ? inlen * 4 + 4096 : FMT_PPROF_MAX_BYTES;
	uint8_t *buf = malloc(cap), *q;
	int ret, err = 0;

	if (!buf || inflateInit2(&zs, 15 + 16) != Z_OK) {
		free(buf);
		return -ENOMEM;
	}
	zs.next_in = (Bytef *)in;
	zs.avail_in = (uInt)inlen; /* inlen <= FMT_PPROF_MAX_BYTES fits */
	for (;;) {
		if (zs.total_out == cap) {
			if (cap >= FMT_PPROF_MAX_BYTES) {
				err = bad(r, "decompressed size above %u MiB",
					  MIB(FMT_PPROF_MAX_BYTES));
				break;
			}
			cap = cap > FMT_PPROF_MAX_BYTES / 2 ? FMT_PPROF_MAX_BYTES : cap * 2;
			q = realloc(buf, cap);
			if (!q) {
				err = -ENOMEM;
				break;
			}
			buf = q;
		}
		zs.next_out = buf + zs.total_out;
		zs.avail_out = (uInt)(cap - zs.total_out);
		ret = inflate(&zs, Z_NO_FLUSH);
		if (ret == Z_STREAM_END) {
			if (!zs.avail_in)
				break;
			/* Concatenated gzip members are one stream, as gzip -d sees them. */
			uLong total = zs.total_out;

			if (inflateReset(&zs) != Z_OK) {
				err = -ENOMEM;
				break;
			}
			zs.total_out = total;
			continue;
		}
		if (ret == Z_BUF_ERROR && !zs.avail_in) {
			err = bad(r, "gzip data truncated");
			break;
		}
		if (ret == Z_MEM_ERROR) {
			err = -ENOMEM;
			break;
		}
		if (ret != Z_OK && ret != Z_BUF_ERROR) {
			err = bad(r, "bad gzip data: %s", zs.msg ? zs.msg : "inflate failed");
			break;
		}
	}
	*outlen = zs.total_out;
	inflateEnd(&zs);
	if (err) {
		free(buf);
		return err;
	}
	*out = buf;
	return 0;
}

/* ---- pass 1: strings, counts and scalars ---- */

static int value_type(struct reader *r, const struct pb_field *f, struct value_type *vt)
{
	struct pb_reader m;
	struct pb_field g;
	int ret;

	memset(vt, 0, sizeof(*vt));
	pb_reader_init(&m, f->data, f->len);
	while ((ret = pb_next_varint(&m, &g)) > 0) {
		if (g.number == VALUE_TYPE_TYPE)
			vt->type = g.v;
		else if (g.number == VALUE_TYPE_UNIT)
			vt->unit = g.v;
	}
	return ret ? bad(r, "value type: malformed protobuf") : 0;
}

static int add_type(struct reader *r, const struct pb_field *f)
{
	struct value_type *q;

	if (r->ntypes >= 64)
		return bad(r, "more than 64 sample types");
	q = realloc(r->types, (r->ntypes + 1) * sizeof(*q));
	if (!q)
		return -ENOMEM;
	r->types = q;
	return value_type(r, f, &r->types[r->ntypes++]);
}

static int pass_strings(struct reader *r)
{
	size_t nstr = 0, bytes = 0, at = 0;
	struct pb_reader top;
	struct pb_field f;
	int ret;

	/* Count first, so the table is one allocation. */
	pb_reader_init(&top, r->data, r->len);
	while ((ret = pb_next(&top, &f)) > 0) {
		const char *what = NULL;

		switch (f.number) {
		case PROFILE_SAMPLE_TYPE:
			what = "sample_type";
			break;
		case PROFILE_SAMPLE:
			what = "sample";
			r->nsamples++;
			break;
		case PROFILE_MAPPING:
			what = "mapping";
			r->nmappings++;
			break;
		case PROFILE_LOCATION:
			what = "location";
			r->nlocations++;
			break;
		case PROFILE_FUNCTION:
			what = "function";
			r->nfunctions++;
			break;
		case PROFILE_STRING_TABLE:
			what = "string_table";
			nstr++;
			bytes += f.len + 1;
			break;
		case PROFILE_PERIOD_TYPE:
			what = "period_type";
			break;
		}
		if (what && want_wire(r, &f, PB_LEN, what))
			return -EINVAL;
	}
	if (ret)
		return bad(r, "not a pprof profile: malformed protobuf at byte %zu",
			   pb_offset(&top));
	if (!nstr)
		return bad(r, "not a pprof profile: no string table");
	if (nstr > UINT32_MAX || bytes > UINT32_MAX)
		return bad(r, "string table too large");
	r->arena = malloc(bytes);
	r->str_off = malloc(nstr * sizeof(*r->str_off));
	if (!r->arena || !r->str_off)
		return -ENOMEM;

	pb_reader_init(&top, r->data, r->len);
	while (pb_next(&top, &f) > 0) {
		switch (f.number) {
		case PROFILE_STRING_TABLE:
			if (memchr(f.data, '\0', f.len))
				return bad(r, "string %" PRIu32 " has a NUL byte", r->nstr);
			memcpy(r->arena + at, f.data, f.len);
			r->arena[at + f.len] = '\0';
			r->str_off[r->nstr++] = (uint32_t)at;
			at += f.len + 1;
			break;
		case PROFILE_SAMPLE_TYPE:
			ret = add_type(r, &f);
			if (ret)
				return ret;
			break;
		case PROFILE_PERIOD_TYPE:
			ret = value_type(r, &f, &r->period_type);
			if (ret)
				return ret;
			r->have_period_type = true;
			break;
		case PROFILE_TIME_NANOS:
			r->time_ns = (int64_t)f.v;
			break;
		case PROFILE_DURATION_NANOS:
			r->duration_ns = (int64_t)f.v;
			break;
		case PROFILE_PERIOD:
			r->period = (int64_t)f.v;
			break;
		}
	}
	if (str(r, 0)[0])
		return bad(r, "not a pprof profile: string table entry 0 is not empty");
	return 0;
}

static bool is_type(struct reader *r, size_t i, const char *type, const char *unit)
{
	return !strcmp(str(r, r->types[i].type), type) && !strcmp(str(r, r->types[i].unit), unit);
}

/* The profile's type from its sample types: off_cpu or wall in nanoseconds, else CPU. */
static int pick_type(struct reader *r)
{
	static const struct {
		const char *type;
		enum fmt_type t;
	} times[] = {{"off_cpu", FMT_TYPE_OFF_CPU}, {"wall", FMT_TYPE_WALL}};
	struct fmt_profile *p = r->p;
	enum fmt_type t = FMT_TYPE_CPU;

	for (size_t i = 0; i < r->ntypes && !is_type(r, r->value_index, "samples", "count"); i++) {
		for (size_t k = 0; k < sizeof(times) / sizeof(times[0]); k++) {
			if (is_type(r, i, times[k].type, "nanoseconds")) {
				t = times[k].t;
				r->value_index = i;
				r->in_us = true;
			}
		}
	}
	if (!p->nsamples && !p->period_ns && p->type == FMT_TYPE_CPU) {
		p->type = t;
		if (t != FMT_TYPE_CPU)
			p->period_ns = FMT_US_NS;
	}
	if (p->type != t)
		return bad(r, "a %s profile, not %s", fmt_type_name(t), fmt_type_name(p->type));
	return 0;
}

/* The value a sample counts with: samples/count if present, else a time, else the first. */
static int pick_value(struct reader *r)
{
	uint32_t idx;

	/* parse() reads the period's unit even when there is nothing else. */
	if (r->have_period_type && (check_str(r, r->period_type.type, "period_type", 0, &idx) ||
				    check_str(r, r->period_type.unit, "period_type", 0, &idx)))
		return -EINVAL;
	if (!r->ntypes)
		return r->nsamples ? bad(r, "no sample types") : 0;
	for (size_t i = 0; i < r->ntypes; i++) {
		if (check_str(r, r->types[i].type, "sample_type", i, &idx) ||
		    check_str(r, r->types[i].unit, "sample_type", i, &idx))
			return -EINVAL;
	}
	r->value_index = 0;
	for (size_t i = 0; i < r->ntypes; i++) {
		if (is_type(r, i, "samples", "count")) {
			r->value_index = i;
			break;
		}
	}
	return pick_type(r);
}

/* Adds "loss: NAME=N..." comments (what fmt_pprof_write writes) to the loss counters. */
static void read_loss(struct reader *r, const char *s)
{
	static const struct {
		const char *name;
		size_t off;
	} kinds[] = {
		{"samples_counts_full", offsetof(struct fmt_loss, samples_counts_full)},
		{"stacks_map_full", offsetof(struct fmt_loss, stacks_map_full)},
		{"stacks_truncated", offsetof(struct fmt_loss, stacks_truncated)},
		{"samples_ringbuf_full", offsetof(struct fmt_loss, samples_ringbuf_full)},
		{"unwind_failed", offsetof(struct fmt_loss, unwind_failed)},
		{"stacks_incomplete", offsetof(struct fmt_loss, stacks_incomplete)},
	};

	if (strncmp(s, "loss: ", 6))
		return;
	s += 6;
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		size_t n = strlen(kinds[i].name);
		char *end;
		unsigned long long v;

		if (strncmp(s, kinds[i].name, n) || s[n] != '=')
			continue;
		v = strtoull(s + n + 1, &end, 10);
		if (end != s + n + 1)
			*(uint64_t *)((char *)&r->p->loss + kinds[i].off) += v;
	}
}

static int read_comments(struct reader *r)
{
	struct pb_reader top;
	struct pb_field f;

	pb_reader_init(&top, r->data, r->len);
	while (pb_next(&top, &f) > 0) {
		struct pb_values it;
		uint64_t v;
		int ret;

		if (f.number != PROFILE_COMMENT)
			continue;
		pb_values_init(&it, &f);
		while ((ret = pb_values_next(&it, &v)) > 0) {
			if (v >= r->nstr)
				return bad(r,
					   "comment: string index %" PRIu64
					   " out of range (%" PRIu32 " strings)",
					   v, r->nstr);
			read_loss(r, str(r, (uint32_t)v));
		}
		if (ret)
			return bad(r, "comment: malformed protobuf");
	}
	return 0;
}

/* ---- pass 2: mappings and functions ---- */

static bool is_kernel(const char *file)
{
	return !strncmp(file, "[kernel", 7) || !strcmp(file, "vmlinux");
}

static int read_mapping(struct reader *r, const struct pb_field *f, size_t n)
{
	struct fmt_mapping_desc d = {0};
	uint64_t id = 0;
	uint32_t file = 0, build_id = 0, ours;
	struct pb_reader m;
	struct pb_field g;
	int ret;

	pb_reader_init(&m, f->data, f->len);
	while ((ret = pb_next_varint(&m, &g)) > 0) {
		switch (g.number) {
		case MAPPING_ID:
			id = g.v;
			break;
		case MAPPING_MEMORY_START:
			d.start = g.v;
			break;
		case MAPPING_MEMORY_LIMIT:
			d.limit = g.v;
			break;
		case MAPPING_FILE_OFFSET:
			d.offset = g.v;
			break;
		case MAPPING_FILENAME:
			ret = check_str(r, g.v, "mapping", n, &file);
			break;
		case MAPPING_BUILD_ID:
			ret = check_str(r, g.v, "mapping", n, &build_id);
			break;
		case MAPPING_HAS_FUNCTIONS:
			d.has_functions = g.v;
			break;
		case MAPPING_HAS_FILENAMES:
			d.has_filenames = g.v;
			break;
		case MAPPING_HAS_LINE_NUMBERS:
			d.has_line_numbers = g.v;
			break;
		case MAPPING_HAS_INLINE_FRAMES:
			d.has_inline_frames = g.v;
			break;
		}
		if (ret < 0)
			return ret;
	}
	ret = check_message(r, ret, "mapping", n, id);
	if (ret)
		return ret;
	d.filename = str(r, file);
	d.build_id = str(r, build_id);
	d.kernel = is_kernel(d.filename);
	ret = fmt_profile__add_mapping(r->p, &d, &ours);
	return ret ?: remember_id(r, &r->mappings, "mapping", n, id, ours);
}

/*
 * profd writes a function under its short name with the whole name as system_name: the whole
 * name is the one to keep (writers shorten it again). Returns 0 or -ENOMEM.
 */
static int whole_name(struct reader *r, struct rfunc *fn)
{
	struct profd_strbuf sb = {0};
	const char *name = str(r, fn->name), *system_name = str(r, fn->system_name);
	int err;

	if (!fn->name || !fn->system_name || !strcmp(name, system_name))
		return 0;
	err = fmt_short_name(system_name, &sb);
	if (!err && sb.len && !strcmp(sb.buf, name))
		fn->name = fn->system_name;
	profd_strbuf_release(&sb);
	return err;
}

static int read_function(struct reader *r, const struct pb_field *f, size_t n)
{
	struct rfunc *fn = &r->funcs[r->nfuncs];
	struct pb_reader m;
	struct pb_field g;
	uint64_t id = 0;
	int ret;

	memset(fn, 0, sizeof(*fn));
	pb_reader_init(&m, f->data, f->len);
	while ((ret = pb_next_varint(&m, &g)) > 0) {
		switch (g.number) {
		case FUNCTION_ID:
			id = g.v;
			break;
		case FUNCTION_NAME:
			ret = check_str(r, g.v, "function", n, &fn->name);
			break;
		case FUNCTION_SYSTEM_NAME:
			ret = check_str(r, g.v, "function", n, &fn->system_name);
			break;
		case FUNCTION_FILENAME:
			ret = check_str(r, g.v, "function", n, &fn->filename);
			break;
		case FUNCTION_START_LINE:
			fn->start_line = (int64_t)g.v;
			break;
		}
		if (ret < 0)
			return ret;
	}
	return check_message(r, ret, "function", n, id) ?: whole_name(r, fn) ?:
	       remember_id(r, &r->functions, "function", n, id, (uint32_t)++r->nfuncs);
}

static int pass_mappings_functions(struct reader *r)
{
	size_t nm = 0, nf = 0;
	struct pb_reader top;
	struct pb_field f;
	int ret = 0;

	if (profd_htab_reserve(&r->mappings, r->nmappings) ||
	    profd_htab_reserve(&r->functions, r->nfunctions) ||
	    profd_htab_reserve(&r->locations, r->nlocations))
		return -ENOMEM;
	r->funcs = malloc((r->nfunctions ? r->nfunctions : 1) * sizeof(*r->funcs));
	if (!r->funcs)
		return -ENOMEM;
	pb_reader_init(&top, r->data, r->len);
	while (!ret && pb_next(&top, &f) > 0) {
		if (f.number == PROFILE_MAPPING)
			ret = read_mapping(r, &f, nm++);
		else if (f.number == PROFILE_FUNCTION)
			ret = read_function(r, &f, nf++);
	}
	return ret;
}

/* ---- pass 3: locations ---- */

static int grow_frames(struct reader *r, size_t n)
{
	struct fmt_frame_desc *q;

	if (n <= r->frames_cap)
		return 0;
	q = realloc(r->frames, n * 2 * sizeof(*q));
	if (!q)
		return -ENOMEM;
	r->frames = q;
	r->frames_cap = n * 2;
	return 0;
}

/* "file+0xOFF" for a location no function names, as folded spells an unnamed address. */
static const char *address_name(struct reader *r, uint32_t mapping, uint64_t address)
{
	const struct fmt_mapping *m = fmt_profile__mapping(r->p, mapping);
	const char *file = m ? fmt_profile__str(r->p, m->filename) : "";
	const char *base = strrchr(file, '/');
	uint64_t off = address;
	int n;

	base = base ? base + 1 : file;
	if (m && address >= m->start && address < m->limit)
		off = address - m->start + m->offset;
	if (!r->names_cap) {
		r->names = malloc(4096);
		if (!r->names)
			return NULL;
		r->names_cap = 4096;
	}
	if (!address)
		n = snprintf(r->names, r->names_cap, "%s", *base ? base : "[unknown]");
	else if (*base)
		n = snprintf(r->names, r->names_cap, "%s+0x%" PRIx64, base, off);
	else
		n = snprintf(r->names, r->names_cap, "0x%" PRIx64, address);
	return n < 0 ? NULL : r->names;
}

static int read_location(struct reader *r, const struct pb_field *f, size_t n)
{
	uint64_t id = 0, mapping_id = 0, address = 0;
	uint32_t mapping = 0, ours;
	size_t nframes = 0;
	struct pb_reader m;
	struct pb_field g;
	int ret;

	/* Lines first into frames; the mapping may come after them. */
	pb_reader_init(&m, f->data, f->len);
	while ((ret = pb_next(&m, &g)) > 0) {
		struct pb_reader lm;
		struct pb_field h;
		uint64_t fid = 0;
		int64_t line = 0;
		const struct rfunc *fn;
		uint32_t idx;

		if (g.number == LOCATION_ID && g.wire == PB_VARINT)
			id = g.v;
		else if (g.number == LOCATION_MAPPING_ID && g.wire == PB_VARINT)
			mapping_id = g.v;
		else if (g.number == LOCATION_ADDRESS && g.wire == PB_VARINT)
			address = g.v;
		if (g.number != LOCATION_LINE || g.wire != PB_LEN)
			continue;
		pb_reader_init(&lm, g.data, g.len);
		while ((ret = pb_next_varint(&lm, &h)) > 0) {
			if (h.number == LINE_FUNCTION_ID)
				fid = h.v;
			else if (h.number == LINE_LINE)
				line = (int64_t)h.v;
		}
		if (ret)
			break;
		idx = profd_htab_get(&r->functions, fid);
		if (!idx)
			return bad(r, "location %zu: function id %" PRIu64 " does not exist", n,
				   fid);
		if (grow_frames(r, nframes + 1))
			return -ENOMEM;
		fn = &r->funcs[idx - 1];
		r->frames[nframes++] = (struct fmt_frame_desc){
			.name = str(r, fn->name ? fn->name : fn->system_name),
			.system_name = fn->system_name ? str(r, fn->system_name) : NULL,
			.filename = str(r, fn->filename),
			.line = line,
			.start_line = fn->start_line,
		};
	}
	ret = check_message(r, ret, "location", n, id);
	if (ret)
		return ret;
	if (mapping_id) {
		mapping = profd_htab_get(&r->mappings, mapping_id);
		if (!mapping)
			return bad(r, "location %zu: mapping id %" PRIu64 " does not exist", n,
				   mapping_id);
	}
	/* Unnamed frames (no line, or a function without a name) are named by their address. */
	for (size_t i = 0; i < nframes; i++) {
		if (!r->frames[i].name[0]) {
			r->frames[i].name = address_name(r, mapping, address);
			if (!r->frames[i].name)
				return -ENOMEM;
		}
	}
	if (!nframes) {
		if (grow_frames(r, 1))
			return -ENOMEM;
		r->frames[0] = (struct fmt_frame_desc){.name = address_name(r, mapping, address)};
		if (!r->frames[0].name)
			return -ENOMEM;
		nframes = 1;
	}
	ret = fmt_profile__add_location(r->p, mapping, mapping ? address : 0, r->frames, nframes,
					&ours);
	return ret ?: remember_id(r, &r->locations, "location", n, id, ours);
}

static int pass_locations(struct reader *r)
{
	struct pb_reader top;
	struct pb_field f;
	size_t n = 0;
	int ret = 0;

	pb_reader_init(&top, r->data, r->len);
	while (!ret && pb_next(&top, &f) > 0)
		if (f.number == PROFILE_LOCATION)
			ret = read_location(r, &f, n++);
	return ret;
}

/* ---- pass 4: samples ---- */

static const char *root_file(struct reader *r, size_t nlocs)
{
	const struct fmt_location *l;
	const struct fmt_mapping *m;
	const char *file, *base;

	if (!nlocs)
		return "pprof";
	l = fmt_profile__location(r->p, r->locs[nlocs - 1]);
	m = fmt_profile__mapping(r->p, l->mapping);
	file = m ? fmt_profile__str(r->p, m->filename) : "";
	base = strrchr(file, '/');
	base = base ? base + 1 : file;
	return *base ? base : "pprof";
}

/* The string labels the writer gives a sample's cgroup. */
static void cgroup_label(struct fmt_cgroup_desc *cg, const char *k, const char *v)
{
	if (!strcmp(k, "cgroup"))
		cg->path = v;
	else if (!strcmp(k, "container_id"))
		cg->container_id = v;
	else if (!strcmp(k, "systemd_unit"))
		cg->systemd_unit = v;
	else if (!strcmp(k, "pod_uid"))
		cg->pod_uid = v;
}

static int read_label(struct reader *r, const struct pb_field *f, size_t n,
		      struct fmt_sample_desc *d, struct fmt_cgroup_desc *cg)
{
	uint32_t key = 0, sval = 0;
	struct pb_reader m;
	struct pb_field g;
	int64_t num = 0;
	const char *k;
	int ret;

	pb_reader_init(&m, f->data, f->len);
	while ((ret = pb_next_varint(&m, &g)) > 0) {
		uint32_t unit;

		if (g.number == LABEL_KEY)
			ret = check_str(r, g.v, "sample", n, &key);
		else if (g.number == LABEL_STR)
			ret = check_str(r, g.v, "sample", n, &sval);
		else if (g.number == LABEL_NUM)
			num = (int64_t)g.v;
		else if (g.number == LABEL_NUM_UNIT)
			ret = check_str(r, g.v, "sample", n, &unit);
		if (ret < 0)
			return ret;
	}
	if (ret)
		return bad(r, "sample %zu: malformed label", n);
	k = str(r, key);
	if (!strcmp(k, "comm") && sval) {
		d->comm = str(r, sval);
	} else if (sval) {
		cgroup_label(cg, k, str(r, sval));
	} else if ((!strcmp(k, "pid") || !strcmp(k, "tid")) && !sval) {
		if (num < 0 || num > UINT32_MAX)
			return bad(r, "sample %zu: %s %" PRId64 " out of range", n, k, num);
		if (k[0] == 'p')
			d->pid = (uint32_t)num;
		else
			d->tid = (uint32_t)num;
	}
	return 0;
}

static int read_sample(struct reader *r, const struct pb_field *f, size_t n)
{
	struct fmt_cgroup_desc cg = {0};
	struct fmt_sample_desc d = {.cgroup = &cg};
	size_t nlocs = 0, nvalues = 0;
	int64_t count = 0;
	struct pb_reader m;
	struct pb_field g;
	int ret;

	pb_reader_init(&m, f->data, f->len);
	while ((ret = pb_next(&m, &g)) > 0) {
		struct pb_values it;
		uint64_t v;

		if (g.number == SAMPLE_LABEL && g.wire == PB_LEN) {
			ret = read_label(r, &g, n, &d, &cg);
			if (ret)
				return ret;
			continue;
		}
		if (g.number != SAMPLE_LOCATION_ID && g.number != SAMPLE_VALUE)
			continue;
		pb_values_init(&it, &g);
		while ((ret = pb_values_next(&it, &v)) > 0) {
			if (g.number == SAMPLE_VALUE) {
				if (nvalues++ == r->value_index)
					count = (int64_t)v;
				continue;
			}
			if (nlocs == r->locs_cap) {
				size_t cap = r->locs_cap * 2;
				uint32_t *q = realloc(r->locs, cap * sizeof(*q));

				if (!q)
					return -ENOMEM;
				r->locs = q;
				r->locs_cap = cap;
			}
			r->locs[nlocs] = profd_htab_get(&r->locations, v);
			if (!r->locs[nlocs++])
				return bad(r, "sample %zu: location id %" PRIu64 " does not exist",
					   n, v);
		}
		if (ret)
			break;
	}
	if (ret)
		return bad(r, "sample %zu: malformed protobuf", n);
	if (nvalues != r->ntypes)
		return bad(r, "sample %zu: %zu values for %zu sample types", n, nvalues, r->ntypes);
	if (r->in_us)
		count = count / FMT_US_NS + (count % FMT_US_NS >= FMT_US_NS / 2);
	/* Folded stacks and flame graphs cannot show negative values (diff profiles): left out. */
	if (count <= 0)
		return 0;
	if (count > INT64_MAX - r->p->total)
		return bad(r, "sample %zu: value %" PRId64 " overflows the total", n, count);
	if (!d.comm)
		d.comm = root_file(r, nlocs);
	return fmt_profile__add_sample(r->p, r->locs, nlocs, &d, count);
}

static int pass_samples(struct reader *r)
{
	struct pb_reader top;
	struct pb_field f;
	size_t n = 0;
	int ret = 0;

	/* Never NULL, even for samples without locations: it reaches memcpy and the hash. */
	r->locs_cap = 64;
	r->locs = malloc(r->locs_cap * sizeof(*r->locs));
	if (!r->locs)
		return -ENOMEM;
	pb_reader_init(&top, r->data, r->len);
	while (!ret && pb_next(&top, &f) > 0)
		if (f.number == PROFILE_SAMPLE)
			ret = read_sample(r, &f, n++);
	return ret;
}

static int parse(struct reader *r)
{
	int ret;

	if (!r->len)
		return bad(r, "not a pprof profile: empty input");
	ret = pass_strings(r);
	if (!ret)
		ret = pick_value(r);
	if (!ret)
		ret = read_comments(r);
	if (!ret)
		ret = pass_mappings_functions(r);
	if (!ret)
		ret = pass_locations(r);
	if (!ret)
		ret = pass_samples(r);
	if (ret)
		return ret;
	if (!r->p->time_ns) {
		r->p->time_ns = r->time_ns;
		r->p->duration_ns = r->duration_ns;
	}
	if (!r->p->period_ns && r->have_period_type && r->period > 0 &&
	    !strcmp(str(r, r->period_type.unit), "nanoseconds"))
		r->p->period_ns = r->period;
	return 0;
}

int fmt_pprof_read(struct fmt_profile *p, FILE *in, struct fmt_error *err)
{
	struct reader r = {.p = p, .err = err};
	uint8_t *raw = NULL, *data = NULL;
	size_t rawlen = 0;
	int ret;

	err->msg[0] = '\0';
	ret = read_all(&r, in, &raw, &rawlen);
	if (ret)
		goto out;
	if (rawlen >= 2 && raw[0] == 0x1f && raw[1] == 0x8b) {
		ret = gunzip(&r, raw, rawlen, &data, &r.len);
		free(raw);
		raw = NULL;
		if (ret)
			goto out;
	} else {
		data = raw;
		raw = NULL;
		r.len = rawlen;
	}
	r.data = data;
	ret = parse(&r);
out:
	if (ret && ret != -EINVAL && !err->msg[0])
		snprintf(err->msg, sizeof(err->msg), "%s", strerror(-ret));
	free(raw);
	free(data);
	free(r.arena);
	free(r.str_off);
	free(r.types);
	profd_htab_release(&r.mappings);
	profd_htab_release(&r.functions);
	profd_htab_release(&r.locations);
	free(r.funcs);
	free(r.frames);
	free(r.names);
	free(r.locs);
	return ret;
}
