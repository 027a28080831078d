/* SPDX-License-Identifier: MIT */
/*
 * formats/: the profile model and every format profd reads or writes. The only public header of
 * this folder; it knows nothing of BPF, /proc or HTTP and does no I/O beyond the stream it is given.
 *
 * The in-memory profile: a pprof-shaped model that every format reads and writes.
 *
 * Strings are interned (id 0 is ""). Mappings, functions and locations are deduplicated and
 * numbered from 1, so an id is also a valid pprof id and 0 means "none". A location holds one
 * or more lines, innermost first: all but the last are inline frames. A sample is a stack of
 * location ids, leaf first (pprof order), with labels pid/tid/comm, the cgroup it ran in and a
 * count; adding the same stack with the same labels again adds to its count.
 *
 * The arrays are public for reading. Change a profile only through the functions below.
 */
#ifndef PROFD_FORMATS_H
#define PROFD_FORMATS_H

#include <stdbool.h>
#include <stdio.h>
#include <stddef.h>
#include <stdint.h>

struct fmt_mapping {
	uint64_t start;	 /* normalized: the segment's link-time address */
	uint64_t limit;	 /* one past the end */
	uint64_t offset; /* file offset of start */
	uint32_t filename;
	uint32_t build_id; /* lowercase hex, or 0 */
	bool kernel;	   /* frames get "_[k]" in folded and SVG */
	bool has_functions, has_filenames, has_line_numbers, has_inline_frames;
};

struct fmt_function {
	uint32_t name;	      /* demangled, whole (writers shorten it, see fmt_short_name()) */
	uint32_t system_name; /* mangled, or the same as name */
	uint32_t filename;
	int64_t start_line;
};

struct fmt_line {
	uint32_t function;
	int64_t line; /* 0 if unknown */
};

struct fmt_location {
	uint32_t mapping;    /* 0 if none */
	uint64_t address;    /* normalized address inside the mapping, 0 if none */
	uint32_t first_line; /* index into fmt_profile.lines */
	uint32_t nlines;     /* >= 1; innermost first */
};

/* The cgroup v2 a sample ran in and what its path names: string ids, 0 when unknown. */
struct fmt_cgroup {
	uint32_t path; /* relative to the v2 root: "/system.slice/nginx.service" */
	uint32_t container_id;
	uint32_t systemd_unit;
	uint32_t pod_uid;
};

struct fmt_sample {
	size_t first_loc; /* index into fmt_profile.stack_locs */
	uint32_t nlocs;	  /* leaf first */
	uint32_t pid, tid;
	uint32_t comm;	 /* string id */
	uint32_t cgroup; /* fmt_cgroup id, 0 when unknown */
	int64_t count;
};

/* Why samples or their stacks were lost; reported in summaries, pprof comments and /metrics. */
struct fmt_loss {
	uint64_t samples_counts_full;	/* sample dropped: the counts map was full */
	uint64_t stacks_map_full;	/* stack replaced by a marker: stack map full */
	uint64_t stacks_truncated;	/* stack cut at the depth limit; ends in [truncated] */
	uint64_t samples_ringbuf_full;	/* sample dropped: the stack-copy ring buffer was full */
	uint64_t unwind_failed;		/* user stack could not be unwound past the first frame */
	uint64_t stacks_incomplete;	/* user stack walked in the kernel cut short or partly guessed;
					 * starts with [incomplete] */
};

struct fmt_profile_index; /* private hash tables */

/*
 * What a profile's counts measure. Time profiles count microseconds: their period_ns is
 * FMT_US_NS, so count * period_ns is nanoseconds for every type.
 */
enum fmt_type {
	FMT_TYPE_CPU,	  /* samples of threads on CPU, period_ns of CPU time each */
	FMT_TYPE_OFF_CPU, /* microseconds threads waited off CPU, blocked */
	FMT_TYPE_WALL,	  /* microseconds on CPU and off it, per thread: see fmt_profile__merge() */
	FMT_NTYPES,
};

#define FMT_US_NS 1000

/* "cpu", "off-cpu", "wall". */
const char *fmt_type_name(enum fmt_type t);
/* The type named so by fmt_type_name(). Returns false for any other name. */
bool fmt_type_parse(const char *name, enum fmt_type *out);

struct fmt_profile {
	char **strings; /* strings[0] == "" */
	uint32_t nstrings;
	struct fmt_mapping *mappings; /* id i is mappings[i - 1] */
	uint32_t nmappings;
	struct fmt_function *functions; /* id i is functions[i - 1] */
	uint32_t nfunctions;
	struct fmt_location *locations; /* id i is locations[i - 1] */
	uint32_t nlocations;
	struct fmt_line *lines;
	uint32_t nlines;
	uint32_t *stack_locs;
	size_t nstack_locs;
	struct fmt_sample *samples;
	size_t nsamples;
	struct fmt_cgroup *cgroups; /* id i is cgroups[i - 1] */
	uint32_t ncgroups;

	enum fmt_type type;
	int64_t period_ns;   /* CPU: 1e9 / frequency; time profiles: FMT_US_NS */
	int64_t time_ns;     /* start, wall clock (CLOCK_REALTIME) */
	int64_t duration_ns; /* 0 if unknown */
	int64_t total;	     /* sum of all sample counts */
	struct fmt_loss loss;

	struct fmt_profile_index *index;
};

/* Descriptions handed to the builders; strings are copied. NULL strings mean "". */
struct fmt_mapping_desc {
	const char *filename;
	const char *build_id;
	uint64_t start, limit, offset;
	bool kernel;
	bool has_functions, has_filenames, has_line_numbers, has_inline_frames;
};

struct fmt_frame_desc {
	const char *name;
	const char *system_name; /* NULL: same as name */
	const char *filename;
	int64_t line;
	int64_t start_line;
};

struct fmt_cgroup_desc {
	const char *path; /* NULL or "": unknown, and the rest is ignored */
	const char *container_id, *systemd_unit, *pod_uid;
};

struct fmt_sample_desc {
	uint32_t pid, tid;
	const char *comm;
	const struct fmt_cgroup_desc *cgroup; /* NULL: unknown */
};

/* A new, empty profile. Returns NULL with errno set on failure. Free with fmt_profile__free(). */
struct fmt_profile *fmt_profile__new(int64_t period_ns);
/* The same for a type; period_ns is the CPU sampling period, ignored for time profiles. */
struct fmt_profile *fmt_profile__new_type(enum fmt_type type, int64_t period_ns);
void fmt_profile__free(struct fmt_profile *p);

/* Interns s (NULL or "" give 0). Returns 0 or -ENOMEM; *id is set on success. */
int fmt_profile__intern(struct fmt_profile *p, const char *s, uint32_t *id);

/* Adds or finds a mapping with the same fields. Returns 0 or -errno; *id set on success. */
int fmt_profile__add_mapping(struct fmt_profile *p, const struct fmt_mapping_desc *m, uint32_t *id);

/*
 * Adds or finds a location. With a mapping and a non-zero address, (mapping, address) is the
 * identity; otherwise the mapping plus the frames are. frames are innermost first, nframes >= 1.
 * Returns 0 or -errno; *id set on success.
 */
int fmt_profile__add_location(struct fmt_profile *p, uint32_t mapping, uint64_t address,
			      const struct fmt_frame_desc *frames, size_t nframes, uint32_t *id);

/* Fills a location's real mapping and its one frame from its address; 0 or -errno. */
typedef int (*fmt_name_fn)(void *ctx, uint64_t address, struct fmt_mapping_desc *m,
			   struct fmt_frame_desc *f);

/*
 * Names late: every location with an address but no mapping (what add_location() keeps as an
 * address waiting for its name, keyed by address and frame) gets the mapping and the frame name()
 * gives. For names a run reads only at its end (the kernel's), so that reading them does not
 * compete with the job. Returns 0 or the first error.
 */
int fmt_profile__name_late(struct fmt_profile *p, fmt_name_fn name, void *ctx);

/*
 * Gives location id (one with a mapping and a non-zero address, so its identity stays) these
 * frames in place of its own, and its mapping what m says the file has (has_functions ...). For
 * user frames a run names at its end. Returns 0, -EINVAL for another location, or -ENOMEM.
 */
int fmt_profile__rename_location(struct fmt_profile *p, uint32_t id,
				 const struct fmt_mapping_desc *m,
				 const struct fmt_frame_desc *frames, size_t nframes);

/*
 * Adds count (>= 0) to the sample with these locations (leaf first) and labels. Returns 0,
 * -EOVERFLOW when the profile's total would pass INT64_MAX (nothing added), or -errno.
 */
int fmt_profile__add_sample(struct fmt_profile *p, const uint32_t *locs, size_t nlocs,
			    const struct fmt_sample_desc *labels, int64_t count);

/* Which samples a merge or a writer takes; zero values take everything. */
struct fmt_filter {
	uint32_t pid;	    /* 0: any */
	const char *comm;   /* NULL: any */
	const char *cgroup; /* this cgroup path and those below it; NULL: any */
	/* NULL: any; else also what this says, with ctx. */
	bool (*match)(const struct fmt_profile *p, const struct fmt_sample *s, void *ctx);
	void *ctx;
};

bool fmt_filter__match(const struct fmt_filter *f, const struct fmt_profile *p,
		       const struct fmt_sample *s);

/*
 * Adds every sample of src that f matches (f may be NULL) to dst, with its mappings, locations
 * and functions. Loss counters add up; the time span grows to cover both.
 *
 * Both are of one type, or dst is fresh (period 0, no samples: it takes src's type), or dst is a
 * wall profile and src a CPU or off-CPU one: then each sample becomes microseconds (CPU samples
 * count * period_ns / 1000), its thread a frame "[tid N]" at the root, and off-CPU time gets a
 * leaf "[off-cpu]", so that one thread's graph is its whole life. Returns 0, -EINVAL for types
 * that do not mix, or -errno.
 */
int fmt_profile__merge(struct fmt_profile *dst, const struct fmt_profile *src,
		       const struct fmt_filter *f);

static inline const char *fmt_profile__str(const struct fmt_profile *p, uint32_t id)
{
	return id < p->nstrings ? p->strings[id] : "";
}

static inline const struct fmt_location *fmt_profile__location(const struct fmt_profile *p,
								 uint32_t id)
{
	return &p->locations[id - 1];
}

static inline const struct fmt_function *fmt_profile__function(const struct fmt_profile *p,
								 uint32_t id)
{
	return &p->functions[id - 1];
}

/* The cgroup of a sample, or NULL when unknown. */
static inline const struct fmt_cgroup *fmt_profile__cgroup(const struct fmt_profile *p,
							     const struct fmt_sample *s)
{
	return s->cgroup ? &p->cgroups[s->cgroup - 1] : NULL;
}

/* Whether cgroup path is under (or is) the cgroup prefix: "/a/b" is under "/a" and "/". */
bool fmt_cgroup_under(const char *path, const char *prefix);

/* The strings of a sample's cgroup, filled into d (valid while p is): d, or NULL if unknown. */
const struct fmt_cgroup_desc *fmt_cgroup_desc_of(const struct fmt_profile *p,
						 const struct fmt_sample *s, struct fmt_cgroup_desc *d);

static inline const struct fmt_mapping *fmt_profile__mapping(const struct fmt_profile *p,
							       uint32_t id)
{
	return id ? &p->mappings[id - 1] : NULL;
}

struct profd_strbuf;

/* Longest function name shown by default, in bytes. */
#define FMT_NAME_MAX 160

/*
 * Appends the name people read for a function name: a demangled C++ declaration without its
 * return type, parameter list and qualifiers ("ns::Box<int>::get" for "int ns::Box<int>::get()
 * const"), as `c++filt -p` prints it and perf shows it; any other name as it is. Longer than
 * FMT_NAME_MAX bytes, it loses template arguments, innermost first ("<...>"), then its middle
 * ("..."). Returns 0 or -ENOMEM.
 */
int fmt_short_name(const char *name, struct profd_strbuf *sb);

/* How frames are spelled in folded stacks, flame graphs and tables. */
struct fmt_name_opts {
	bool lines;	 /* " (file.c:42)" after a frame whose line is known */
	bool full_names; /* whole function names (C++ return types and parameters), uncapped */
};

/*
 * Appends the display name of line i (0 = innermost) of a location, as folded and SVG show it:
 * the function name (see fmt_short_name(), o may be NULL), "_[k]" for a kernel frame, and with
 * lines " (file.c:42)" (base name) when the line is known. ';' and newlines in names become ':'
 * and ' ' so a frame stays one frame. Returns 0 or -ENOMEM.
 */
int fmt_frame_name(const struct fmt_profile *p, const struct fmt_location *loc, uint32_t i,
		   const struct fmt_name_opts *o, struct profd_strbuf *sb);

/* ---- The flame graph's tree ---- */

/*
 * Every sample as a path from the root "all" through its comm and its frames, root to leaf,
 * inline frames as frames of their own: the tree the SVG draws and the web page receives. Each
 * node counts the samples whose path goes through it. Names are as fmt_frame_name() gives them,
 * cleaned to UTF-8 that XML (and JSON) accept, never empty. The arrays are public for reading.
 */
enum fmt_frame_kind {
	FMT_FRAME_USER,
	FMT_FRAME_KERNEL,
	FMT_FRAME_JIT,
	FMT_FRAME_UNKNOWN, /* "[unknown]", "[truncated]", "module+0x1f0" */
};

#define FMT_TREE_NONE UINT32_MAX

struct fmt_tree_node {
	int64_t count;
	uint32_t name;	    /* offset into fmt_tree.names */
	uint32_t parent;    /* FMT_TREE_NONE for the root */
	uint32_t first_kid; /* into fmt_tree.kids */
	uint32_t nkids;
	uint8_t kind; /* enum fmt_frame_kind; where frames of several kinds meet, the lowest */
	bool inlined; /* every frame that made this node was an inline frame */
};

struct fmt_tree {
	struct fmt_tree_node *nodes; /* nodes[0] is the root; a parent comes before its children */
	uint32_t nnodes;
	uint32_t *kids; /* each node's children, one slice per node, sorted by name (strcmp) */
	char *names;	/* NUL-terminated names, each stored once */
};

struct fmt_tree_opts {
	bool lines;			 /* names with " (file.c:42)" */
	bool full_names;		 /* see struct fmt_name_opts */
	const struct fmt_filter *filter; /* NULL: every sample */
};

/*
 * The tree of p's samples that o->filter matches (o may be NULL). Same profile, same tree.
 * Returns NULL with errno set. Free with fmt_tree__free().
 */
struct fmt_tree *fmt_tree__new(const struct fmt_profile *p, const struct fmt_tree_opts *o);
void fmt_tree__free(struct fmt_tree *t);
/* The child of parent called name, or FMT_TREE_NONE. */
uint32_t fmt_tree__find_kid(const struct fmt_tree *t, uint32_t parent, const char *name);

static inline const char *fmt_tree__name(const struct fmt_tree *t, uint32_t i)
{
	return t->names + t->nodes[i].name;
}

/* ---- Readers and writers ---- */

/* A reader's one-line reason for refusing its input, e.g. "line 12: missing count". */
struct fmt_error {
	char msg[256];
};

enum fmt_kind {
	FMT_UNKNOWN,
	FMT_FOLDED,
	FMT_SVG,
	FMT_PPROF,
};

/* By extension: .folded/.txt, .svg, .pb.gz/.pprof/.pb. FMT_UNKNOWN otherwise. */
enum fmt_kind fmt_kind_from_path(const char *path);
/* By name as given to --format: "folded", "svg", "pprof". FMT_UNKNOWN otherwise. */
enum fmt_kind fmt_kind_from_name(const char *name);

/*
 * Folded stacks: "comm;root;...;leaf count\n", one line per unique stack, sorted. Inline frames
 * are frames of their own (innermost last); kernel frames end in "_[k]"; with lines, a frame
 * with a known source line is written "name (file.c:42)".
 */
struct fmt_folded_opts {
	bool lines;
	bool full_names; /* see struct fmt_name_opts */
	const struct fmt_filter *filter; /* NULL: every sample */
};

/* Returns 0 or -errno (a write error on out). */
int fmt_folded_write(const struct fmt_profile *p, FILE *out, const struct fmt_folded_opts *opts);

/*
 * Adds the stacks of a folded file (perf/bcc/profd) to p: the first frame becomes the comm
 * label, "_[k]" frames go to a kernel mapping. Returns 0, or -EINVAL with err filled for bad
 * input, or -errno.
 */
int fmt_folded_read(struct fmt_profile *p, FILE *in, struct fmt_error *err);

/*
 * The folded reader refuses a longer line, or more input in all, with the line number. The fuzz
 * target builds with small values so that its huge inputs stay cheap.
 */
#ifndef FMT_FOLDED_MAX_LINE
#define FMT_FOLDED_MAX_LINE (16u << 20)
#endif
#ifndef FMT_FOLDED_MAX_BYTES
#define FMT_FOLDED_MAX_BYTES (256u << 20)
#endif

/*
 * pprof: a gzip-compressed profile.proto (github.com/google/pprof), as go tool pprof, Pyroscope
 * and Parca read it. Sample types samples/count and, when the period is known, cpu/nanoseconds
 * (count * period_ns); period type cpu/nanoseconds; one Mapping per mapped file with its
 * build-id; Locations with normalized addresses and one Line per frame, innermost first;
 * Functions with the short name (fmt_short_name()) and the whole name as system_name;
 * labels pid and tid (numbers, when the profile has them), comm, and where known cgroup,
 * container_id, systemd_unit and pod_uid (strings); one comment per kind of loss,
 * "loss: NAME=N: why". Same profile, same bytes (no time or name in the gzip
 * header).
 */
struct fmt_pprof_opts {
	const struct fmt_filter *filter; /* NULL: every sample */
	bool raw;			 /* the bare protobuf, no gzip (the store compresses it) */
	bool full_names;		 /* Function.name whole too (see struct fmt_name_opts) */
};

/* Returns 0 or -errno (-EIO for a write error on out). */
int fmt_pprof_write(const struct fmt_profile *p, FILE *out, const struct fmt_pprof_opts *opts);
/* The same into memory: *out, malloc'ed (free() it), of *len bytes. Returns 0 or -errno; on an
 * error *out is NULL. */
int fmt_pprof_to_memory(const struct fmt_profile *p, const struct fmt_pprof_opts *opts, char **out,
			size_t *len);

/* The reader refuses input that inflates (or is) larger than this. */
#define FMT_PPROF_MAX_BYTES (256u << 20)

/*
 * Adds the samples of a pprof profile, gzip-compressed or raw, to p. The value taken is that of
 * sample type samples/count if there is one, else the first; pid and tid come from numeric
 * labels, comm from a string label "comm" or else the base name of the root frame's mapping
 * ("pprof" without one), the cgroup from the string labels the writer writes. A function whose
 * system_name shortens to its name (as profd writes them) keeps the whole name. Samples whose
 * value is 0 or negative are left out. Every id and
 * string index is checked. Returns 0, or -EINVAL with err filled for bad input, or -errno.
 */
int fmt_pprof_read(struct fmt_profile *p, FILE *in, struct fmt_error *err);

/*
 * A self-contained interactive SVG flame graph: hover details, click to zoom, search with the
 * matched share, reset zoom. With base set, a differential graph of p against base (red: grew,
 * blue: shrank). Same input gives the same bytes.
 */
struct fmt_svg_opts {
	const char *title;		 /* NULL: "Flame Graph" (or "Icicle Graph") */
	const char *subtitle;		 /* NULL: none */
	bool icicle;			 /* root at the top */
	bool lines;			 /* frame names as in fmt_folded_opts */
	bool full_names;		 /* see struct fmt_name_opts */
	const struct fmt_filter *filter; /* NULL: every sample */
	const struct fmt_profile *base;	 /* differential against this profile */
	unsigned width;			 /* pixels; 0: 1200 */
};

int fmt_svg_write(const struct fmt_profile *p, FILE *out, const struct fmt_svg_opts *opts);

/*
 * Store encoding (agent windows): the bare pprof protobuf compressed with zstd. zstd on the raw
 * protobuf, not on pprof's gzip, since deflated bytes do not compress further and zstd alone is
 * both smaller and faster than gzip. A window decodes with fmt_store_decode() only, or with
 * `zstd -d | go tool pprof` by hand.
 */

/* zstd level the store writes at: cheap enough for an agent that must cost almost nothing. */
#define FMT_STORE_LEVEL 3

/*
 * Encodes the samples of p that f matches (NULL: all) into *out, a malloc'd buffer of *len
 * bytes that the caller owns. Returns 0 or -errno.
 */
int fmt_store_encode(const struct fmt_profile *p, const struct fmt_filter *f, void **out,
		     size_t *len);

/*
 * Adds the window in data[0..len) to p. Never inflates more than FMT_PPROF_MAX_BYTES. Returns 0,
 * or -EINVAL with err filled for damaged or foreign input, or -errno.
 */
int fmt_store_decode(struct fmt_profile *p, const void *data, size_t len, struct fmt_error *err);

#endif
