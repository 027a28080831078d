// SPDX-License-Identifier: MIT
/*
 * The collector joins the BPF sampler to the symbolizer: it snapshots processes as soon as BPF
 * announces them (so short-lived ones still symbolize), and turns each drained window into a
 * symbolized profile.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/array.h"
#include "common/log.h"
#include "common/strbuf.h"
#include "profiler/sampling_internal.h"

static void record_exit(struct prof_collector *c, pid_t pid, const char *comm)
{
	struct prof_exit *e;

	if (PROFD_ARRAY_RESERVE(c->pending_drop, c->cap_pending, c->npending + 1, 64))
		return;
	c->pending_drop[c->npending++] = pid;
	/* Only the first few are named; a long-running agent must not grow with process churn. */
	if (c->nexits++ >= PROF_EXITS_KEPT)
		return;
	e = &c->exits[c->nexits - 1];
	e->pid = pid;
	snprintf(e->comm, sizeof(e->comm), "%.*s", PROFD_COMM_LEN, comm);
}

/* Auto mode tells BPF per process; dwarf mode only reads the process's unwind tables now. */
static void choose_unwind(struct prof_collector *c, pid_t pid)
{
	enum profd_unwind mode = prof_unwind__choose(c->unwind, pid);
	int err;

	if (c->opts.unwind != PROFD_UNWIND_AUTO)
		return;
	err = prof_sampler__set_unwind(c->sampler, pid, mode);
	if (err)
		pr_debug("pid %d: cannot set its unwinding mode: %s", (int)pid, strerror(-err));
}

static void on_stack(const struct prof_stack_sample *ss, void *ctx)
{
	struct prof_collector *c = ctx;
	int err = prof_unwind__add(c->unwind, ss);

	if (err)
		pr_warn_once("cannot unwind user stacks: %s", strerror(-err));
}

static void on_event(const struct profd_event *e, void *ctx)
{
	struct prof_collector *c = ctx;
	int err;

	switch (e->type) {
	case PROFD_EV_NEW_PROCESS:
		c->processes++;
		err = sym_resolver__add_process(c->resolver, e->pid);
		if (err == -EACCES || err == -EPERM)
			pr_warn_once("pid %u: /proc/%u/maps: %s (needs CAP_SYS_PTRACE); the frames of "
				     "processes profd may not inspect are [process unknown]",
				     e->pid, e->pid, strerror(-err));
		else if (err && err != -ESRCH)
			pr_debug("pid %u: cannot snapshot mappings: %s", e->pid, strerror(-err));
		if (c->unwind)
			choose_unwind(c, e->pid);
		break;
	case PROFD_EV_EXEC:
		if (c->unwind)
			prof_unwind__before_exec(c->unwind, c->stacks, e->pid,
						 1000000000LL / c->opts.freq);
		sym_resolver__refresh_process(c->resolver, e->pid);
		if (c->unwind)
			choose_unwind(c, e->pid);
		break;
	case PROFD_EV_EXIT:
		record_exit(c, e->pid, e->comm);
		break;
	case PROFD_EV_FORK:
		pr_debug("pid %u forked %u: following it", e->ppid, e->pid);
		break;
	case PROFD_EV_NEW_CGROUP:
		/* Now, while it exists: it may be gone by the time its samples are drained. */
		if (c->cgroups && cg_resolver__learn(c->cgroups, e->cgroup, (pid_t)e->pid))
			pr_debug("cgroup %llu (pid %u): gone before it could be resolved",
				 (unsigned long long)e->cgroup, e->pid);
		break;
	}
}

/*
 * The cgroup v2 hierarchy, for every sample's cgroup and for --cgroup, whose directory BPF keeps
 * a reference to once the sampler is loaded. Without v2, samples have no cgroup (said once), and
 * --cgroup is an error.
 */
static int open_cgroups(struct prof_collector *c, struct prof_sampler_opts *so)
{
	char rel[4096];
	int err;

	c->cgroups = cg_resolver__new(NULL);
	if (!c->cgroups) {
		err = -errno;
		if (c->opts.cgroup) {
			pr_warn("--cgroup %s: no cgroup v2 hierarchy on this host (%s)", c->opts.cgroup,
				strerror(-err));
			return err;
		}
		pr_info("no cgroup v2 hierarchy (%s): samples carry no cgroup", strerror(-err));
		return 0;
	}
	c->cgroups_idle = 60000 / (c->opts.window_ms ? c->opts.window_ms : 1000) + 2;
	if (!c->opts.cgroup)
		return 0;
	so->cgroup_fd = cg_resolver__open(c->cgroups, c->opts.cgroup, rel, sizeof(rel));
	if (so->cgroup_fd < 0) {
		pr_warn("--cgroup %s: %s (paths are relative to %s)", c->opts.cgroup,
			strerror(-so->cgroup_fd), cg_resolver__mount(c->cgroups));
		return so->cgroup_fd;
	}
	so->filter_cgroup = true;
	pr_debug("sampling only cgroup %s and below", rel);
	return 0;
}

int prof_collector__init(struct prof_collector *c, const struct prof_collector_opts *opts)
{
	struct prof_sampler_opts so = {
		.freq = opts->freq,
		.max_stack = opts->max_stack,
		.filter_pids = !opts->all,
		.filter_tids = opts->threads,
		.kernel_stacks = true,
		.window_ms = opts->window_ms,
		.on_event = on_event,
		.unwind = opts->unwind,
		.stack_size = opts->stack_size ? opts->stack_size : PROFD_STACK_SIZE_DEFAULT,
		.on_stack = on_stack,
	};
	struct prof_unwind_opts uo = {
		.mode = opts->unwind,
		.max_stack = opts->max_stack,
		.stack_size = so.stack_size,
	};
	struct sym_resolver_opts ro = {.lines = opts->lines};
	int err;

	memset(c, 0, sizeof(*c));
	c->opts = *opts;
	so.ctx = c;
	err = open_cgroups(c, &so);
	if (err) {
		prof_collector__fini(c);
		return err;
	}
	c->resolver = sym_resolver__new(&ro);
	if (!c->resolver) {
		err = -errno;
		pr_warn("cannot set up the symbolizer: %s", strerror(-err));
		prof_collector__fini(c);
		return err;
	}
	c->stacks = prof_stacks__new(c->resolver, c->cgroups, opts->max_stack);
	if (!c->stacks) {
		prof_collector__fini(c);
		return -ENOMEM;
	}
	if (opts->unwind != PROFD_UNWIND_FP) {
		c->unwind = prof_unwind__new(c->resolver, &uo);
		if (!c->unwind) {
			err = -errno;
			prof_collector__fini(c);
			return err;
		}
	}
	c->sampler = prof_sampler__open(&so);
	err = c->sampler ? 0 : -errno;
	if (so.filter_cgroup)
		close(so.cgroup_fd); /* the filter map holds the cgroup now */
	if (err)
		prof_collector__fini(c);
	return err;
}

void prof_collector__fini(struct prof_collector *c)
{
	prof_sampler__free(c->sampler);
	prof_unwind__free(c->unwind);
	prof_stacks__free(c->stacks);
	sym_resolver__free(c->resolver);
	cg_resolver__free(c->cgroups);
	free(c->pending_drop);
	memset(c, 0, sizeof(*c));
}

int prof_collector__add_target(struct prof_collector *c, pid_t pid)
{
	int err = prof_sampler__add_target(c->sampler, pid);

	if (!err)
		sym_resolver__add_process(c->resolver, pid);
	return err;
}

int prof_collector__add_thread(struct prof_collector *c, pid_t tgid, pid_t tid)
{
	int err = prof_sampler__add_thread(c->sampler, tgid, tid);

	if (!err)
		sym_resolver__add_process(c->resolver, tgid);
	return err;
}

int prof_collector__start(struct prof_collector *c)
{
	return prof_sampler__start(c->sampler);
}

void prof_collector__stop(struct prof_collector *c)
{
	prof_sampler__stop(c->sampler);
}

int prof_collector__poll(struct prof_collector *c, int timeout_ms)
{
	return prof_sampler__poll(c->sampler, timeout_ms);
}

struct drain_ctx {
	struct prof_collector *c;
	struct fmt_profile *window;
};

static int on_sample(const struct prof_raw_sample *rs, void *ctx)
{
	struct drain_ctx *d = ctx;

	return prof_stacks__add(d->c->stacks, d->window, rs);
}

static void forget_cgroup(uint64_t id, void *sampler)
{
	prof_sampler__forget_cgroup(sampler, id);
}

int prof_collector__drain(struct prof_collector *c, struct fmt_profile *window)
{
	struct drain_ctx d = {.c = c, .window = window};
	uint64_t now[PROFD_CNT_MAX];
	size_t pending = c->npending;
	int n;

	/* Events first: a process announced just now must be snapshotted before we symbolize. */
	prof_sampler__poll(c->sampler, 0);
	n = prof_sampler__drain(c->sampler, on_sample, &d);
	if (n < 0)
		return n;
	/* The drain read the ring up to the flip: every stack copy of this window is unwound. */
	if (c->unwind) {
		n = prof_unwind__flush(c->unwind, c->stacks, window);
		if (n < 0)
			return n;
	}
	prof_sampler__counters(c->sampler, now);
	window->loss.samples_counts_full += now[PROFD_CNT_COUNTS_FULL] - c->counters[PROFD_CNT_COUNTS_FULL];
	window->loss.samples_ringbuf_full +=
		now[PROFD_CNT_RINGBUF_FULL] - c->counters[PROFD_CNT_RINGBUF_FULL];
	memcpy(c->counters, now, sizeof(now));

	/* Processes that exited before this drain have had all their samples symbolized. */
	for (size_t i = 0; i < pending; i++)
		sym_resolver__drop_process(c->resolver, c->pending_drop[i]);
	if (pending) /* pending_drop may still be NULL, and NULL + 0 is undefined */
		memmove(c->pending_drop, c->pending_drop + pending,
			(c->npending - pending) * sizeof(pid_t));
	c->npending -= pending;
	if (c->cgroups)
		cg_resolver__sweep(c->cgroups, c->cgroups_idle, forget_cgroup, c->sampler);
	return 0;
}

void prof_collector__unwind_summary(const struct prof_collector *c, struct profd_strbuf *sb)
{
	if (c->unwind)
		prof_unwind__summary(c->unwind, sb);
}
