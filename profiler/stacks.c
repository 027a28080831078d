// SPDX-License-Identifier: MIT
/* Turns drained BPF samples (pids and PCs) into symbolized samples of a profile. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/array.h"
#include "common/clock.h"
#include "common/log.h"
#include "profiler/sampling_internal.h"

#define ENTRIES_MAX 4096 /* kernel + user frames of one sample, markers included */
#define RECENT_SLOTS 1024
#define MEMO_SLOTS 2048
#define RECENT_NS (100 * 1000000LL)

/* What a location named at the end is called until then. */
#define NOT_NAMED_YET "[not named yet]"

/* What names_late knows of a location of the profile. */
struct location_state {
	uint32_t late; /* index + 1 in prof_stacks.late; 0: named */
	uint8_t reason; /* enum sym_reason of a named user location */
};

/* A user location whose names wait for the end of the run (names_late). */
struct late_location {
	uint32_t id;	     /* in the profile */
	uint32_t deferred;   /* the resolver's name for its file */
	uint64_t leaf_count; /* samples whose innermost user frame it is */
};

struct prof_stacks {
	struct sym_resolver *resolver;
	struct cg_resolver *cgroups;
	struct prof_unnamed *unnamed;
	int max_stack;
	bool names_late; /* frames named by prof_stacks__name_late(), not when added */
	/* With names_late: the user locations still to name, and what is known of every location. */
	struct late_location *late;
	size_t nlate, cap_late;
	struct location_state *ids; /* by location id */
	size_t cap_ids;
	uint32_t locs[ENTRIES_MAX];
	struct fmt_frame_desc frames[64]; /* inline chain of one address */
	/*
	 * Processes whose snapshot was checked, by pid hash: a drain holds many samples per
	 * process, and one read of /proc/PID/stat for each made a drain under a high rate last
	 * seconds. While the process events are whole, a check holds until an event of that pid
	 * (a new process, an exec, an exit) says the pid may be another process now; else for
	 * RECENT_NS. Reading the stat file of every sampled process at every drain was a tenth of
	 * profd's CPU at 999 Hz.
	 */
	struct {
		pid_t pid;
		int64_t at_ns;
	} recent[RECENT_SLOTS];
	bool events_whole;
	/*
	 * Locations given in this batch (one drain), by (profile, pid, address): the entries of
	 * a drain share most of their callers, and naming every frame of every entry was a
	 * quarter of profd's CPU at 999 Hz. Only frames whose naming the caller does not read
	 * back (all but the innermost user frame) are kept. A user frame's entry is of
	 * generation memo_gen, which moves on when a lookup read a file or /proc (a process's
	 * maps may have been read again) and when a process is checked, so an entry never
	 * outlives what named it; a kernel frame's is of the batch (kernel_gen): no process
	 * changes how it is named.
	 */
	struct frame_memo {
		const struct fmt_profile *p;
		uint64_t pc;
		uint64_t gen;
		int32_t pid;
		uint32_t id;
		bool is_return;
	} memo[MEMO_SLOTS];
	uint64_t memo_gen, kernel_gen;
	bool batch;
};

/* Makes sure pid has a snapshot, checked as recent[] says. Returns 0 or -ENOMEM. */
static int check_process(struct prof_stacks *st, pid_t pid)
{
	size_t slot = (size_t)pid % RECENT_SLOTS;
	int64_t now = profd_coarse_ns();

	if (st->recent[slot].pid == pid &&
	    (st->events_whole || now - st->recent[slot].at_ns < RECENT_NS))
		return 0;
	st->memo_gen++;
	if (sym_resolver__add_process(st->resolver, pid) == -ENOMEM)
		return -ENOMEM;
	st->recent[slot].pid = pid;
	st->recent[slot].at_ns = now;
	return 0;
}

void prof_stacks__process_event(struct prof_stacks *st, pid_t pid)
{
	size_t slot = (size_t)pid % RECENT_SLOTS;

	if (st->recent[slot].pid == pid)
		st->recent[slot].pid = 0;
}

void prof_stacks__events_whole(struct prof_stacks *st, bool whole)
{
	st->events_whole = whole;
}

void prof_stacks__batch(struct prof_stacks *st, bool on)
{
	st->batch = on;
	st->memo_gen++;
	st->kernel_gen = st->memo_gen;
}

/* The generation a frame's memo entry is of: the batch's for a kernel frame (pid 0). */
static uint64_t memo_gen_of(const struct prof_stacks *st, pid_t pid)
{
	return pid ? st->memo_gen : st->kernel_gen;
}

/* The memo's slot for a frame: NULL outside a batch. */
static struct frame_memo *memo_slot(struct prof_stacks *st, const struct fmt_profile *p, pid_t pid,
				    uint64_t pc, bool is_return)
{
	uint64_t h = (pc ^ ((uint64_t)(uint32_t)pid << 32) ^ is_return) * 0x9e3779b97f4a7c15ULL;

	return st->batch ? &st->memo[(h >> 32) & (MEMO_SLOTS - 1)] : NULL;
}

struct prof_stacks *prof_stacks__new(struct sym_resolver *resolver, struct cg_resolver *cgroups,
				     int max_stack, bool names_late)
{
	struct prof_stacks *st = calloc(1, sizeof(*st));
	struct prof_unnamed *unnamed = prof_unnamed__new();

	if (!st || !unnamed) {
		free(st);
		prof_unnamed__free(unnamed);
		return NULL;
	}
	st->unnamed = unnamed;
	st->resolver = resolver;
	st->cgroups = cgroups;
	st->max_stack = max_stack;
	st->names_late = names_late;
	return st;
}

void prof_stacks__free(struct prof_stacks *st)
{
	if (!st)
		return;
	prof_unnamed__free(st->unnamed);
	free(st->late);
	free(st->ids);
	free(st);
}

const struct prof_unnamed *prof_stacks__unnamed(const struct prof_stacks *st)
{
	return st->unnamed;
}

/* A frame that stands for something that is not an address: "[truncated]", a lost stack. */
static int add_marker(struct fmt_profile *p, const char *name, bool kernel, uint32_t *id)
{
	struct fmt_frame_desc f = {.name = name};
	uint32_t mapping = 0;
	int err;

	if (kernel) {
		struct fmt_mapping_desc m = {.filename = "[kernel.kallsyms]", .kernel = true};

		err = fmt_profile__add_mapping(p, &m, &mapping);
		if (err)
			return err;
	}
	return fmt_profile__add_location(p, mapping, 0, &f, 1, id);
}

/*
 * A kernel address kept as it is (the byte before it for a return address), without a mapping
 * until fmt_profile__name_late() gives it one: kallsyms is read once, at the end.
 */
static int add_kernel_late(struct fmt_profile *p, uint64_t pc, bool is_return, uint32_t *id)
{
	struct fmt_frame_desc f = {.name = "[kernel address]"};

	return fmt_profile__add_location(p, 0, is_return ? pc - 1 : pc, &f, 1, id);
}

/* A named address as a profile describes it: its mapping and its first n frames. */
static void describe(const struct sym_location *loc, struct fmt_mapping_desc *m,
		     struct fmt_frame_desc *frames, size_t n)
{
	*m = (struct fmt_mapping_desc){
		.filename = loc->module.path,
		.build_id = loc->module.build_id,
		.start = loc->module.start,
		.limit = loc->module.limit,
		.offset = loc->module.offset,
		.kernel = loc->module.kernel,
		.has_functions = loc->module.has_functions,
		.has_filenames = loc->module.has_filenames,
		.has_line_numbers = loc->module.has_line_numbers,
		.has_inline_frames = loc->module.has_inline_frames,
	};
	for (size_t i = 0; i < n; i++) {
		frames[i] = (struct fmt_frame_desc){
			.name = loc->frames[i].name,
			.system_name = loc->frames[i].system_name,
			.filename = loc->frames[i].file,
			.line = loc->frames[i].line,
			.start_line = loc->frames[i].start_line,
		};
	}
}

/* Makes st->ids cover every location id of p, new ones zeroed. Returns 0 or -ENOMEM. */
static int cover_ids(struct prof_stacks *st, const struct fmt_profile *p)
{
	size_t had = st->cap_ids;

	if (PROFD_ARRAY_RESERVE(st->ids, st->cap_ids, (size_t)p->nlocations + 1, 1024))
		return -ENOMEM;
	memset(st->ids + had, 0, (st->cap_ids - had) * sizeof(*st->ids));
	return 0;
}

/*
 * Records how user location id, just given to loc (made now if is_new), is named: left for the
 * end if the resolver deferred it, else by loc's reason. A deferred address of a location named
 * before keeps that location's reason in *loc.
 */
static int note_user_location(struct prof_stacks *st, const struct fmt_profile *p, uint32_t id,
			      bool is_new, struct sym_location *loc)
{
	struct location_state *s;

	if (cover_ids(st, p))
		return -ENOMEM;
	s = &st->ids[id];
	if (loc->deferred && is_new) {
		if (PROFD_ARRAY_RESERVE(st->late, st->cap_late, st->nlate + 1, 1024))
			return -ENOMEM;
		st->late[st->nlate++] = (struct late_location){.id = id, .deferred = loc->deferred};
		s->late = (uint32_t)st->nlate;
	} else if (is_new) {
		s->reason = (uint8_t)loc->reason;
	} else if (loc->deferred && !s->late) {
		loc->reason = s->reason;
		loc->deferred = 0;
	}
	return 0;
}

/*
 * Symbolizes pc into a location of p; *out says how it was named (out->deferred: at the end,
 * by prof_stacks__name_late()).
 */
static int name_address(struct prof_stacks *st, struct fmt_profile *p, pid_t pid, uint64_t pc,
			bool is_return, uint32_t *id, struct sym_location *out)
{
	struct fmt_mapping_desc m;
	uint32_t mapping = 0, before = p->nlocations;
	uint64_t misses = sym_resolver__misses(st->resolver);
	size_t n;
	int err;

	/* Above 1: the address kept is never 0, which a profile reads as none. */
	if (pid == 0 && st->names_late && pc > 1) {
		out->nframes = 0;
		return add_kernel_late(p, pc, is_return, id);
	}
	err = sym_resolver__resolve(st->resolver, pid, pc, is_return, out);
	if (sym_resolver__misses(st->resolver) != misses)
		st->memo_gen++;
	if (err)
		return err;
	n = out->nframes < 64 ? out->nframes : 64;
	describe(out, &m, st->frames, n);
	/* One stand-in for all: a name per address would be a string and a function each. */
	if (out->deferred)
		st->frames[0] = (struct fmt_frame_desc){.name = NOT_NAMED_YET};
	if (out->module.path) {
		err = fmt_profile__add_mapping(p, &m, &mapping);
		if (err)
			return err;
	}
	/* Only a location keyed by mapping and address can take its names later. */
	if (out->deferred && (!mapping || !out->address))
		return -EINVAL;
	err = fmt_profile__add_location(p, mapping, mapping ? out->address : 0, st->frames, n, id);
	if (err || !st->names_late || pid == 0)
		return err;
	return note_user_location(st, p, *id, *id > before, out);
}

/*
 * name_address() for a frame whose *out the caller does not read (every frame but the
 * innermost user one): answered from the memo when this batch named it already.
 */
static int add_address(struct prof_stacks *st, struct fmt_profile *p, pid_t pid, uint64_t pc,
		       bool is_return, uint32_t *id)
{
	struct frame_memo *m = memo_slot(st, p, pid, pc, is_return);
	struct sym_location out;
	int err;

	if (m && m->gen == memo_gen_of(st, pid) && m->p == p && m->pc == pc && m->pid == pid &&
	    m->is_return == is_return) {
		*id = m->id;
		/* A lookup the resolver would have answered from memory (kernel frames named at
		 * the end never ask it). */
		if (pid || !st->names_late)
			sym_resolver__count_hit(st->resolver);
		return 0;
	}
	err = name_address(st, p, pid, pc, is_return, id, &out);
	/* Of the generation after the lookup, which may have moved it on. */
	if (!err && m)
		*m = (struct frame_memo){.p = p,
					 .pc = pc,
					 .gen = memo_gen_of(st, pid),
					 .pid = pid,
					 .id = *id,
					 .is_return = is_return};
	return err;
}

/* Counts a sample's innermost user frame, now or, for one named at the end, then. */
static int count_leaf(struct prof_stacks *st, uint32_t id, const struct sym_location *loc,
		      uint64_t count)
{
	if (loc->deferred) {
		st->late[st->ids[id].late - 1].leaf_count += count;
		return 0;
	}
	return prof_unnamed__count(st->unnamed, loc, count);
}

/*
 * Off CPU, the kernel stack is taken inside the scheduler's tracepoint: its leaf frames are the
 * BPF program and the tracing glue, no part of where the thread waited. How many there are
 * depends on the kernel, so they are told by name.
 */
static uint32_t tracing_frames(struct prof_stacks *st, const struct prof_raw_sample *rs)
{
	static const char *const glue[] = {"bpf_prog_", "bpf_trace_run", "__bpf_trace_",
					   "__traceiter_"};
	uint32_t n;

	for (n = 0; n < rs->nkstack; n++) {
		struct sym_location loc;
		bool ours = false;

		if (sym_resolver__resolve(st->resolver, 0, rs->kstack[n], n > 0, &loc))
			break;
		for (size_t i = 0; i < sizeof(glue) / sizeof(glue[0]) && !ours; i++)
			ours = !strncmp(loc.frames[loc.nframes - 1].name, glue[i], strlen(glue[i]));
		if (!ours)
			break;
	}
	return n;
}

static const char *lost_reason(int err)
{
	switch (err) {
	case -ENOMEM:
		return "[lost stack: map full]";
	default:
		return NULL; /* no stack to take (kernel thread, not requested, unreadable) */
	}
}

/* The sample's cgroup, where it is known. */
static const struct fmt_cgroup_desc *cgroup_of(struct prof_stacks *st, uint64_t id,
					       struct fmt_cgroup_desc *d)
{
	const struct cg_entry *e = st->cgroups && id ? cg_resolver__get(st->cgroups, id) : NULL;

	if (!e)
		return NULL;
	*d = (struct fmt_cgroup_desc){
		.path = e->path,
		.container_id = e->labels.container_id,
		.systemd_unit = e->labels.systemd_unit,
		.pod_uid = e->labels.pod_uid,
	};
	return d;
}

int prof_stacks__add(struct prof_stacks *st, struct fmt_profile *p,
		     const struct prof_raw_sample *rs)
{
	struct fmt_cgroup_desc cg;
	struct fmt_sample_desc labels = {
		.pid = rs->pid,
		.tid = rs->tid,
		.comm = rs->comm,
		.cgroup = cgroup_of(st, rs->cgroup, &cg),
	};
	uint32_t first = rs->off_cpu ? tracing_frames(st, rs) : 0;
	struct sym_location loc;
	const char *lost;
	size_t n = 0;
	int err = 0;

	/* Leaf first: kernel frames, then user frames, then markers at the root end. */
	for (uint32_t i = first; i < rs->nkstack && n < ENTRIES_MAX - 3 && !err; i++)
		err = add_address(st, p, 0, rs->kstack[i], i > 0, &st->locs[n++]);
	if (!err && rs->nkstack >= (uint32_t)st->max_stack) {
		err = add_marker(p, "[truncated]", true, &st->locs[n++]);
		p->loss.stacks_truncated += rs->count;
	}
	lost = lost_reason(rs->kstack_err);
	if (!err && lost)
		err = add_marker(p, lost, true, &st->locs[n++]);

	if (!err && rs->nustack)
		err = check_process(st, rs->pid);
	for (uint32_t i = 0; i < rs->nustack && n < ENTRIES_MAX - 3 && !err; i++) {
		if (i > 0) {
			err = add_address(st, p, rs->pid, rs->ustack[i], true, &st->locs[n++]);
			continue;
		}
		/* The innermost user frame: where the sample's user time went. */
		err = name_address(st, p, rs->pid, rs->ustack[i], false, &st->locs[n++], &loc);
		err = err ?: count_leaf(st, st->locs[n - 1], &loc, rs->count);
	}
	if (!err && (rs->nustack >= (uint32_t)st->max_stack || rs->ustack_truncated)) {
		err = add_marker(p, "[truncated]", false, &st->locs[n++]);
		p->loss.stacks_truncated += rs->count;
	}
	lost = lost_reason(rs->ustack_err);
	if (!err && lost)
		err = add_marker(p, lost, false, &st->locs[n++]);
	if (!err && rs->ustack_err > 0) { /* PROFD_WALK_* */
		err = add_marker(p, "[incomplete]", false, &st->locs[n++]);
		p->loss.stacks_incomplete += rs->count;
	}
	if (err)
		return err;

	if (rs->ustack_err == -ENOMEM || rs->kstack_err == -ENOMEM)
		p->loss.stacks_map_full += rs->count;
	return fmt_profile__add_sample(p, st->locs, n, &labels, (int64_t)rs->count);
}

static int name_kernel_address(void *ctx, uint64_t address, struct fmt_mapping_desc *m,
			       struct fmt_frame_desc *f)
{
	struct prof_stacks *st = ctx;
	struct sym_location loc;
	int err = sym_resolver__resolve(st->resolver, 0, address, false, &loc);

	if (!err)
		describe(&loc, m, f, 1);
	return err;
}

static int by_file_and_address(const void *a, const void *b, void *ctx)
{
	const struct late_location *x = a, *y = b;
	const struct fmt_profile *p = ctx;
	uint64_t ax = fmt_profile__location(p, x->id)->address;
	uint64_t ay = fmt_profile__location(p, y->id)->address;

	if (x->deferred != y->deferred)
		return x->deferred < y->deferred ? -1 : 1;
	return ax < ay ? -1 : ax > ay;
}

/* Names one user location left for the end, and counts the samples it was the leaf of. */
static int name_user_late(struct prof_stacks *st, struct fmt_profile *p,
			  const struct late_location *e)
{
	const struct fmt_location *l = fmt_profile__location(p, e->id);
	const struct fmt_mapping *map = fmt_profile__mapping(p, l->mapping);
	struct sym_module module = {
		.path = fmt_profile__str(p, map->filename),
		.start = map->start,
		.limit = map->limit,
		.offset = map->offset,
	};
	struct fmt_mapping_desc m;
	struct sym_location loc;
	size_t n;
	int err;

	err = sym_resolver__name_deferred(st->resolver, e->deferred, &module, l->address, &loc);
	if (err)
		return err;
	n = loc.nframes < 64 ? loc.nframes : 64;
	describe(&loc, &m, st->frames, n);
	err = fmt_profile__rename_location(p, e->id, &m, st->frames, n);
	if (err)
		return err;
	st->ids[e->id] = (struct location_state){.reason = (uint8_t)loc.reason};
	return e->leaf_count ? prof_unnamed__count(st->unnamed, &loc, e->leaf_count) : 0;
}

int prof_stacks__name_late(struct prof_stacks *st, struct fmt_profile *p)
{
	double cpu_ms = prof_cpu_ms();
	size_t files = 0;
	int err;

	if (!st->names_late)
		return 0;
	sym_resolver__begin_naming_late(st->resolver);
	/* File by file, in address order: each file's tables are read once, its DWARF in order. */
	qsort_r(st->late, st->nlate, sizeof(*st->late), by_file_and_address, p);
	for (size_t i = 0; i < st->nlate; i++)
		files += !i || st->late[i].deferred != st->late[i - 1].deferred;
	if (st->nlate)
		pr_debug("naming at the end: %zu addresses in %zu files, and kernel frames",
			 st->nlate, files);
	/*
	 * One file's tables at a time, kallsyms' first: each goes once its addresses are named, so
	 * the peak is the largest file's, not all of them together.
	 */
	err = fmt_profile__name_late(p, name_kernel_address, st);
	sym_resolver__drop_kernel(st->resolver);
	prof_trim_heap();
	for (size_t i = 0; i < st->nlate && !err; i++) {
		err = name_user_late(st, p, &st->late[i]);
		if (i + 1 == st->nlate || st->late[i].deferred != st->late[i + 1].deferred) {
			sym_resolver__named_deferred(st->resolver, st->late[i].deferred);
			prof_trim_heap();
		}
	}
	if (st->nlate)
		pr_debug("named at the end in %.0f ms of CPU", prof_cpu_ms() - cpu_ms);
	st->nlate = 0;
	sym_resolver__forget_deferred(st->resolver);
	return err;
}
