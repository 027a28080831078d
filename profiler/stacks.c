// SPDX-License-Identifier: MIT
/* Turns drained BPF samples (pids and PCs) into symbolized samples of a profile. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/log.h"
#include "profiler/sampling_internal.h"

#define ENTRIES_MAX 4096 /* kernel + user frames of one sample, markers included */
#define RECENT_SLOTS 1024
#define RECENT_NS (100 * 1000000LL)

struct prof_stacks {
	struct sym_resolver *resolver;
	struct cg_resolver *cgroups;
	struct prof_unnamed *unnamed;
	int max_stack;
	bool kernel_late; /* kernel frames named by prof_stacks__name_kernel(), not when added */
	uint32_t locs[ENTRIES_MAX];
	struct fmt_frame_desc frames[64]; /* inline chain of one address */
	/*
	 * Processes whose snapshot was checked in the last RECENT_NS, by pid hash: a drain
	 * holds many samples per process, and one read of /proc/PID/stat for each made a drain
	 * under a high rate last seconds. A pid reused meanwhile is caught by its exec or new
	 * process event.
	 */
	struct {
		pid_t pid;
		int64_t at_ns;
	} recent[RECENT_SLOTS];
};

/* Makes sure pid has a snapshot, at most once per RECENT_NS. Returns 0 or -ENOMEM. */
static int check_process(struct prof_stacks *st, pid_t pid)
{
	size_t slot = (size_t)pid % RECENT_SLOTS;
	int64_t now = profd_coarse_ns();

	if (st->recent[slot].pid == pid && now - st->recent[slot].at_ns < RECENT_NS)
		return 0;
	if (sym_resolver__add_process(st->resolver, pid) == -ENOMEM)
		return -ENOMEM;
	st->recent[slot].pid = pid;
	st->recent[slot].at_ns = now;
	return 0;
}

struct prof_stacks *prof_stacks__new(struct sym_resolver *resolver, struct cg_resolver *cgroups,
				     int max_stack, bool kernel_late)
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
	st->kernel_late = kernel_late;
	return st;
}

void prof_stacks__free(struct prof_stacks *st)
{
	if (!st)
		return;
	prof_unnamed__free(st->unnamed);
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
 * until fmt_profile__name_late() gives it one.
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

/* Symbolizes pc into a location of p; *loc says how it was named. */
static int add_address(struct prof_stacks *st, struct fmt_profile *p, pid_t pid, uint64_t pc,
		       bool is_return, uint32_t *id, struct sym_location *out)
{
	struct sym_location loc;
	struct fmt_mapping_desc m;
	uint32_t mapping = 0;
	size_t n;
	int err;

	/* Above 1: the address kept is never 0, which a profile reads as none. */
	if (pid == 0 && st->kernel_late && pc > 1) {
		out->nframes = 0;
		return add_kernel_late(p, pc, is_return, id);
	}
	err = sym_resolver__resolve(st->resolver, pid, pc, is_return, &loc);
	if (err)
		return err;
	n = loc.nframes < 64 ? loc.nframes : 64;
	describe(&loc, &m, st->frames, n);
	if (loc.module.path) {
		err = fmt_profile__add_mapping(p, &m, &mapping);
		if (err)
			return err;
	}
	*out = loc;
	return fmt_profile__add_location(p, mapping, mapping ? loc.address : 0, st->frames, n, id);
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
		err = add_address(st, p, 0, rs->kstack[i], i > 0, &st->locs[n++], &loc);
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
		err = add_address(st, p, rs->pid, rs->ustack[i], i > 0, &st->locs[n++], &loc);
		/* The innermost user frame: where the sample's user time went. */
		if (!err && i == 0)
			err = prof_unnamed__count(st->unnamed, &loc, rs->count);
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

int prof_stacks__name_kernel(struct prof_stacks *st, struct fmt_profile *p)
{
	return st->kernel_late ? fmt_profile__name_late(p, name_kernel_address, st) : 0;
}
