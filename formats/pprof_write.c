// SPDX-License-Identifier: MIT
/*
 * The pprof writer: profile.proto (field numbers as published in google/pprof's
 * proto/profile.proto) streamed through zlib's gzip encoder.
 *
 * Only what the chosen samples use is written, renumbered densely in profile id order (the main
 * binary's mapping first), so the same profile and filter always give the same bytes. Top-level
 * fields are encoded one at a time into a small buffer and deflated as they come.
 *
 * A function is written under the name folded stacks show (fmt_short_name()) with its whole
 * name as system_name: pprof tools show the first, and nothing is lost.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "common/strbuf.h"
#include "formats/formats.h"
#include "formats/protobuf_internal.h"

/* The strings the writer adds itself, first in the table after "". */
enum {
	S_SAMPLES = 1,
	S_COUNT,
	S_MEASURE, /* what the time is of: "cpu", or the time profile's own sample type */
	S_NANOSECONDS,
	S_PID,
	S_TID,
	S_COMM,
	S_CGROUP,
	S_CONTAINER_ID,
	S_SYSTEMD_UNIT,
	S_POD_UID,
	S_FIXED,
};

static const char *const fixed_strings[S_FIXED] = {
	"", "samples", "count", "cpu", "nanoseconds", "pid", "tid", "comm",
	"cgroup", "container_id", "systemd_unit", "pod_uid",
};

/* The sample type of time profiles, whose only value is nanoseconds; Go-style names. */
static const char *const time_measures[FMT_NTYPES] = {
	[FMT_TYPE_OFF_CPU] = "off_cpu",
	[FMT_TYPE_WALL] = "wall",
};

#define LOSS_KINDS 6
#define FLUSH_AT (64 * 1024)

struct writer {
	const struct fmt_profile *p;
	const struct fmt_filter *filter;
	bool full_names;
	FILE *out;
	z_stream zs;
	bool zs_ready;
	struct pb_buf buf;
	/* Profile id -> output id, 0 when unused. */
	uint32_t *str_ids, *map_ids, *fn_ids, *loc_ids;
	/* The output string table. */
	const char **strings;
	uint32_t nstrings;
	/* Function id -> output string id of the name shown; the short names that are new. */
	uint32_t *fn_names;
	struct profd_strbuf short_names; /* NUL-terminated, in string id order */
	char *loss_text[LOSS_KINDS];
	uint32_t loss_ids[LOSS_KINDS];
	size_t nloss;
	uint64_t *scratch;
	size_t scratch_cap;
	bool with_pids;
};

/* A profile of microseconds: one sample type, nanoseconds of its own measure. */
static bool is_time(const struct fmt_profile *p)
{
	return p->type == FMT_TYPE_OFF_CPU || p->type == FMT_TYPE_WALL;
}

static bool chosen(const struct writer *w, const struct fmt_sample *s)
{
	return s->count > 0 && fmt_filter__match(w->filter, w->p, s);
}

/* ---- deflate ---- */

static int zwrite(struct writer *w, const uint8_t *data, size_t len, int flush)
{
	uint8_t out[16384];

	do {
		size_t piece = len > (1u << 30) ? (1u << 30) : len;
		int last = piece == len ? flush : Z_NO_FLUSH;

		w->zs.next_in = (Bytef *)data;
		w->zs.avail_in = (uInt)piece;
		do {
			size_t have;

			w->zs.next_out = out;
			w->zs.avail_out = sizeof(out);
			if (deflate(&w->zs, last) == Z_STREAM_ERROR)
				return -EIO;
			have = sizeof(out) - w->zs.avail_out;
			if (have && fwrite(out, 1, have, w->out) != have)
				return -EIO;
		} while (w->zs.avail_out == 0);
		data += piece;
		len -= piece;
	} while (len);
	return 0;
}

/* Hands the encoded bytes to deflate once there are enough of them (or at the end). */
static int flush_buf(struct writer *w, bool finish)
{
	int err = 0;

	if (w->buf.err)
		return w->buf.err;
	if (!finish && w->buf.len < FLUSH_AT)
		return 0;
	if (!w->zs_ready) {
		if (w->buf.len && fwrite(w->buf.data, 1, w->buf.len, w->out) != w->buf.len)
			err = -EIO;
	} else {
		err = zwrite(w, w->buf.data, w->buf.len, finish ? Z_FINISH : Z_NO_FLUSH);
	}
	w->buf.len = 0;
	return err;
}

/* ---- what the chosen samples use ---- */

static void mark_string(struct writer *w, uint32_t id)
{
	if (id)
		w->str_ids[id] = 1;
}

static void mark(struct writer *w)
{
	const struct fmt_profile *p = w->p;

	for (size_t i = 0; i < p->nsamples; i++) {
		const struct fmt_sample *s = &p->samples[i];

		if (!chosen(w, s))
			continue;
		if (s->pid || s->tid)
			w->with_pids = true;
		mark_string(w, s->comm);
		if (s->cgroup) {
			const struct fmt_cgroup *c = fmt_profile__cgroup(p, s);

			mark_string(w, c->path);
			mark_string(w, c->container_id);
			mark_string(w, c->systemd_unit);
			mark_string(w, c->pod_uid);
		}
		for (uint32_t j = 0; j < s->nlocs; j++)
			w->loc_ids[p->stack_locs[s->first_loc + j]] = 1;
	}
	for (uint32_t id = 1; id <= p->nlocations; id++) {
		const struct fmt_location *l = fmt_profile__location(p, id);

		if (!w->loc_ids[id])
			continue;
		if (l->mapping)
			w->map_ids[l->mapping] = 1;
		for (uint32_t j = 0; j < l->nlines; j++)
			w->fn_ids[p->lines[l->first_line + j].function] = 1;
	}
	for (uint32_t id = 1; id <= p->nmappings; id++) {
		if (w->map_ids[id]) {
			mark_string(w, fmt_profile__mapping(p, id)->filename);
			mark_string(w, fmt_profile__mapping(p, id)->build_id);
		}
	}
	for (uint32_t id = 1; id <= p->nfunctions; id++) {
		const struct fmt_function *f = fmt_profile__function(p, id);

		if (w->fn_ids[id]) {
			mark_string(w, f->name);
			mark_string(w, f->filename);
		}
	}
}

static void renumber(uint32_t *ids, uint32_t n)
{
	uint32_t next = 1;

	for (uint32_t id = 1; id <= n; id++)
		if (ids[id])
			ids[id] = next++;
}

/* A shared library by name: "x.so" or "x.so.6", "x.so_1" (pprof's own test). */
static bool is_library(const char *file)
{
	for (const char *s = strstr(file, ".so"); s; s = strstr(s + 1, ".so"))
		if (s[3] == '\0' || s[3] == '.' || s[3] == '_')
			return true;
	return false;
}

/*
 * Mapping ids: pprof takes mapping 1 for the main binary (File: in its header, the default for
 * symbolization), so the first used mapping that is a file and not a library goes first.
 */
static void renumber_mappings(struct writer *w)
{
	const struct fmt_profile *p = w->p;
	uint32_t main_id = 0, next = 2;

	for (uint32_t id = 1; id <= p->nmappings && !main_id; id++) {
		const struct fmt_mapping *m = fmt_profile__mapping(p, id);
		const char *file = fmt_profile__str(p, m->filename);

		if (w->map_ids[id] && !m->kernel && file[0] && file[0] != '[' && !is_library(file))
			main_id = id;
	}
	if (!main_id)
		next = 1;
	for (uint32_t id = 1; id <= p->nmappings; id++)
		if (w->map_ids[id])
			w->map_ids[id] = id == main_id ? 1 : next++;
}

static int loss_comments(struct writer *w)
{
	static const struct {
		const char *name, *why;
		size_t off;
	} kinds[LOSS_KINDS] = {
		{"samples_counts_full", "samples dropped: the in-kernel counts map was full",
		 offsetof(struct fmt_loss, samples_counts_full)},
		{"stacks_map_full", "stacks replaced by a marker: the stack map was full",
		 offsetof(struct fmt_loss, stacks_map_full)},
		{"stacks_truncated", "stacks cut at the depth limit",
		 offsetof(struct fmt_loss, stacks_truncated)},
		{"samples_ringbuf_full", "samples dropped: the stack-copy ring buffer was full",
		 offsetof(struct fmt_loss, samples_ringbuf_full)},
		{"unwind_failed", "user stacks not unwound past the first frame",
		 offsetof(struct fmt_loss, unwind_failed)},
		{"stacks_incomplete", "user stacks walked in the kernel cut short or partly guessed",
		 offsetof(struct fmt_loss, stacks_incomplete)},
	};

	for (size_t i = 0; i < LOSS_KINDS; i++) {
		uint64_t n = *(const uint64_t *)((const char *)&w->p->loss + kinds[i].off);

		if (!n)
			continue;
		if (asprintf(&w->loss_text[w->nloss], "loss: %s=%" PRIu64 ": %s", kinds[i].name, n,
			     kinds[i].why) < 0) {
			w->loss_text[w->nloss] = NULL;
			return -ENOMEM;
		}
		w->nloss++;
	}
	return 0;
}

/* The output string table: our own strings, then every used profile string once. */
static int build_strings(struct writer *w)
{
	const struct fmt_profile *p = w->p;
	uint32_t n = S_FIXED, used = 0;
	int err = loss_comments(w);

	if (err)
		return err;
	for (uint32_t id = 1; id < p->nstrings; id++)
		used += w->str_ids[id] != 0;
	/* Room for one short name per function. */
	w->strings = calloc((size_t)S_FIXED + w->nloss + used + p->nfunctions, sizeof(*w->strings));
	if (!w->strings)
		return -ENOMEM;
	memcpy(w->strings, fixed_strings, sizeof(fixed_strings));
	if (is_time(p))
		w->strings[S_MEASURE] = time_measures[p->type];
	for (size_t i = 0; i < w->nloss; i++) {
		w->loss_ids[i] = n;
		w->strings[n++] = w->loss_text[i];
	}
	for (uint32_t id = 1; id < p->nstrings; id++) {
		uint32_t same = 0;

		if (!w->str_ids[id])
			continue;
		/* Profile strings are unique among themselves; only ours can repeat one. */
		for (uint32_t j = 1; j < S_FIXED + w->nloss && !same; j++)
			if (!strcmp(w->strings[j], p->strings[id]))
				same = j;
		if (same) {
			w->str_ids[id] = same;
		} else {
			w->str_ids[id] = n;
			w->strings[n++] = p->strings[id];
		}
	}
	w->nstrings = n;
	return 0;
}

/* The name each used function is shown under: its own, or a short name added to the table. */
static int function_names(struct writer *w)
{
	const struct fmt_profile *p = w->p;
	struct profd_strbuf sb = {0};
	uint32_t first = w->nstrings;
	int err = 0;

	for (uint32_t id = 1; id <= p->nfunctions && !err; id++) {
		const struct fmt_function *f = fmt_profile__function(p, id);
		const char *name = fmt_profile__str(p, f->name);

		if (!w->fn_ids[id])
			continue;
		w->fn_names[id] = w->str_ids[f->name];
		if (w->full_names)
			continue;
		profd_strbuf_reset(&sb);
		err = fmt_short_name(name, &sb);
		if (err || !sb.len || !strcmp(sb.buf, name))
			continue;
		err = profd_strbuf_append(&w->short_names, sb.buf, sb.len + 1);
		w->fn_names[id] = w->nstrings++;
	}
	profd_strbuf_release(&sb);
	/* The block no longer moves: point the table at its names. */
	for (size_t i = first, off = 0; !err && i < w->nstrings; i++) {
		w->strings[i] = w->short_names.buf + off;
		off += strlen(w->strings[i]) + 1;
	}
	return err;
}

/* ---- encoding ---- */

static void value_type(struct pb_buf *b, uint32_t field, uint32_t type, uint32_t unit)
{
	size_t m = pb_begin(b, field);

	pb_uint(b, VALUE_TYPE_TYPE, type);
	pb_uint(b, VALUE_TYPE_UNIT, unit);
	pb_end(b, m);
}

static void num_label(struct pb_buf *b, uint32_t key, int64_t num)
{
	size_t m = pb_begin(b, SAMPLE_LABEL);

	pb_uint(b, LABEL_KEY, key);
	pb_int(b, LABEL_NUM, num);
	pb_end(b, m);
}

/* A string label; none for string 0 (""). */
static void str_label(struct writer *w, uint32_t key, uint32_t str)
{
	size_t m;

	if (!str)
		return;
	m = pb_begin(&w->buf, SAMPLE_LABEL);
	pb_uint(&w->buf, LABEL_KEY, key);
	pb_uint(&w->buf, LABEL_STR, w->str_ids[str]);
	pb_end(&w->buf, m);
}

static void cgroup_labels(struct writer *w, const struct fmt_sample *s)
{
	const struct fmt_cgroup *c = fmt_profile__cgroup(w->p, s);

	if (!c)
		return;
	str_label(w, S_CGROUP, c->path);
	str_label(w, S_CONTAINER_ID, c->container_id);
	str_label(w, S_SYSTEMD_UNIT, c->systemd_unit);
	str_label(w, S_POD_UID, c->pod_uid);
}

static int64_t times_period(int64_t count, int64_t period)
{
	int64_t v;

	return __builtin_mul_overflow(count, period, &v) ? INT64_MAX : v;
}

static int write_sample(struct writer *w, const struct fmt_sample *s)
{
	const struct fmt_profile *p = w->p;
	struct pb_buf *b = &w->buf;
	uint64_t values[2] = {(uint64_t)s->count, (uint64_t)times_period(s->count, p->period_ns)};
	size_t m, nvalues = p->period_ns > 0 ? 2 : 1;

	if (s->nlocs > w->scratch_cap) {
		uint64_t *q = realloc(w->scratch, s->nlocs * sizeof(*q));

		if (!q)
			return -ENOMEM;
		w->scratch = q;
		w->scratch_cap = s->nlocs;
	}
	for (uint32_t i = 0; i < s->nlocs; i++)
		w->scratch[i] = w->loc_ids[p->stack_locs[s->first_loc + i]];
	m = pb_begin(b, PROFILE_SAMPLE);
	pb_packed(b, SAMPLE_LOCATION_ID, w->scratch, s->nlocs);
	if (is_time(p))
		pb_packed(b, SAMPLE_VALUE, values + 1, 1);
	else
		pb_packed(b, SAMPLE_VALUE, values, nvalues);
	if (w->with_pids) {
		num_label(b, S_PID, s->pid);
		num_label(b, S_TID, s->tid);
	}
	str_label(w, S_COMM, s->comm);
	cgroup_labels(w, s);
	pb_end(b, m);
	return flush_buf(w, false);
}

static int write_mapping(struct writer *w, uint32_t id)
{
	const struct fmt_mapping *mp = fmt_profile__mapping(w->p, id);
	struct pb_buf *b = &w->buf;
	size_t m = pb_begin(b, PROFILE_MAPPING);

	pb_uint(b, MAPPING_ID, w->map_ids[id]);
	pb_uint(b, MAPPING_MEMORY_START, mp->start);
	pb_uint(b, MAPPING_MEMORY_LIMIT, mp->limit);
	pb_uint(b, MAPPING_FILE_OFFSET, mp->offset);
	pb_uint(b, MAPPING_FILENAME, w->str_ids[mp->filename]);
	pb_uint(b, MAPPING_BUILD_ID, w->str_ids[mp->build_id]);
	pb_uint(b, MAPPING_HAS_FUNCTIONS, mp->has_functions);
	pb_uint(b, MAPPING_HAS_FILENAMES, mp->has_filenames);
	pb_uint(b, MAPPING_HAS_LINE_NUMBERS, mp->has_line_numbers);
	pb_uint(b, MAPPING_HAS_INLINE_FRAMES, mp->has_inline_frames);
	pb_end(b, m);
	return flush_buf(w, false);
}

static int write_location(struct writer *w, uint32_t id)
{
	const struct fmt_location *l = fmt_profile__location(w->p, id);
	struct pb_buf *b = &w->buf;
	size_t m = pb_begin(b, PROFILE_LOCATION);

	pb_uint(b, LOCATION_ID, w->loc_ids[id]);
	pb_uint(b, LOCATION_MAPPING_ID, l->mapping ? w->map_ids[l->mapping] : 0);
	pb_uint(b, LOCATION_ADDRESS, l->address);
	for (uint32_t i = 0; i < l->nlines; i++) {
		const struct fmt_line *line = &w->p->lines[l->first_line + i];
		size_t lm = pb_begin(b, LOCATION_LINE);

		pb_uint(b, LINE_FUNCTION_ID, w->fn_ids[line->function]);
		pb_int(b, LINE_LINE, line->line);
		pb_end(b, lm);
	}
	pb_end(b, m);
	return flush_buf(w, false);
}

static int write_function(struct writer *w, uint32_t id)
{
	const struct fmt_function *f = fmt_profile__function(w->p, id);
	struct pb_buf *b = &w->buf;
	size_t m = pb_begin(b, PROFILE_FUNCTION);

	pb_uint(b, FUNCTION_ID, w->fn_ids[id]);
	pb_uint(b, FUNCTION_NAME, w->fn_names[id]);
	pb_uint(b, FUNCTION_SYSTEM_NAME, w->str_ids[f->name]);
	pb_uint(b, FUNCTION_FILENAME, w->str_ids[f->filename]);
	pb_int(b, FUNCTION_START_LINE, f->start_line);
	pb_end(b, m);
	return flush_buf(w, false);
}

static int write_all(struct writer *w)
{
	const struct fmt_profile *p = w->p;
	struct pb_buf *b = &w->buf;
	int err = 0;

	if (!is_time(p))
		value_type(b, PROFILE_SAMPLE_TYPE, S_SAMPLES, S_COUNT);
	if (p->period_ns > 0)
		value_type(b, PROFILE_SAMPLE_TYPE, S_MEASURE, S_NANOSECONDS);
	for (size_t i = 0; i < p->nsamples && !err; i++)
		if (chosen(w, &p->samples[i]))
			err = write_sample(w, &p->samples[i]);
	for (uint32_t id = 1; id <= p->nmappings && !err; id++)
		if (w->map_ids[id] == 1)
			err = write_mapping(w, id);
	for (uint32_t id = 1; id <= p->nmappings && !err; id++)
		if (w->map_ids[id] > 1)
			err = write_mapping(w, id);
	for (uint32_t id = 1; id <= p->nlocations && !err; id++)
		if (w->loc_ids[id])
			err = write_location(w, id);
	for (uint32_t id = 1; id <= p->nfunctions && !err; id++)
		if (w->fn_ids[id])
			err = write_function(w, id);
	for (uint32_t i = 0; i < w->nstrings && !err; i++) {
		pb_bytes(b, PROFILE_STRING_TABLE, w->strings[i], strlen(w->strings[i]));
		err = flush_buf(w, false);
	}
	if (err)
		return err;
	pb_int(b, PROFILE_TIME_NANOS, p->time_ns);
	pb_int(b, PROFILE_DURATION_NANOS, p->duration_ns);
	value_type(b, PROFILE_PERIOD_TYPE, S_MEASURE, S_NANOSECONDS);
	pb_int(b, PROFILE_PERIOD, p->period_ns);
	for (size_t i = 0; i < w->nloss; i++)
		w->scratch[i] = w->loss_ids[i];
	pb_packed(b, PROFILE_COMMENT, w->scratch, w->nloss);
	return flush_buf(w, true);
}

static void writer_release(struct writer *w)
{
	if (w->zs_ready)
		deflateEnd(&w->zs);
	pb_buf_release(&w->buf);
	free(w->str_ids);
	free(w->map_ids);
	free(w->fn_ids);
	free(w->loc_ids);
	free(w->strings);
	profd_strbuf_release(&w->short_names);
	free(w->fn_names);
	for (size_t i = 0; i < w->nloss; i++)
		free(w->loss_text[i]);
	free(w->scratch);
}

int fmt_pprof_write(const struct fmt_profile *p, FILE *out, const struct fmt_pprof_opts *opts)
{
	struct writer w = {.p = p, .filter = opts ? opts->filter : NULL, .out = out,
			   .full_names = opts && opts->full_names};
	int err = -ENOMEM;

	w.str_ids = calloc((size_t)p->nstrings + 1, sizeof(*w.str_ids));
	w.map_ids = calloc((size_t)p->nmappings + 1, sizeof(*w.map_ids));
	w.fn_ids = calloc((size_t)p->nfunctions + 1, sizeof(*w.fn_ids));
	w.loc_ids = calloc((size_t)p->nlocations + 1, sizeof(*w.loc_ids));
	w.scratch = malloc(LOSS_KINDS * sizeof(*w.scratch));
	w.fn_names = calloc((size_t)p->nfunctions + 1, sizeof(*w.fn_names));
	if (!w.str_ids || !w.map_ids || !w.fn_ids || !w.loc_ids || !w.scratch || !w.fn_names)
		goto out;
	w.scratch_cap = LOSS_KINDS;
	mark(&w);
	renumber_mappings(&w);
	renumber(w.fn_ids, p->nfunctions);
	renumber(w.loc_ids, p->nlocations);
	err = build_strings(&w);
	if (!err)
		err = function_names(&w);
	if (err)
		goto out;
	if (!opts || !opts->raw) {
		/* windowBits 15 + 16: a gzip wrapper whose header has no name and mtime 0. */
		if (deflateInit2(&w.zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 31, 8,
				 Z_DEFAULT_STRATEGY) != Z_OK) {
			err = -ENOMEM;
			goto out;
		}
		w.zs_ready = true;
	}
	err = write_all(&w);
	if (!err && (fflush(out) || ferror(out)))
		err = -EIO;
out:
	writer_release(&w);
	return err;
}

int fmt_pprof_to_memory(const struct fmt_profile *p, const struct fmt_pprof_opts *opts, char **out,
			size_t *len)
{
	FILE *mem;
	int err;

	*out = NULL;
	*len = 0;
	mem = open_memstream(out, len);
	if (!mem)
		return -errno;
	err = fmt_pprof_write(p, mem, opts);
	if (fclose(mem) && !err)
		err = -ENOMEM;
	if (err) {
		free(*out);
		*out = NULL;
	}
	return err;
}
