// SPDX-License-Identifier: MIT
/*
 * The collector joins the BPF sampler to the symbolizer: it snapshots processes as soon as BPF
 * announces them (so short-lived ones still symbolize), and turns each drained window into a
 * symbolized profile.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/array.h"
#include "common/clock.h"
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

/* The in-kernel walker gets the process's mappings and the tables of its files. */
static void load_cfi(struct prof_collector *c, pid_t pid)
{
	int err = prof_cfi__add_process(c->cfi, pid);

	if (err == -ENOMEM)
		pr_warn_once("cannot load unwind tables: %s", strerror(-err));
	else if (err && err != -ESRCH)
		pr_debug("pid %d: cannot load its unwind tables: %s", (int)pid, strerror(-err));
}

static void on_mmap(const struct profd_mmap_event *e, void *ctx)
{
	struct prof_collector *c = ctx;

	if (c->cfi)
		prof_cfi__on_mmap(c->cfi, e);
}

static void on_file(void *ctx, uint64_t key, uint64_t dev, uint64_t ino, const char *path)
{
	struct prof_collector *c = ctx;

	if (c->history)
		prof_history__add_file(c->history, key, dev, ino, path);
}

static void on_maps(const struct profd_proc_maps *pm, void *ctx)
{
	struct prof_collector *c = ctx;

	if (c->history)
		prof_history__on_maps(c->history, pm);
}

/* A process gone before /proc told us all its code: the kernel's history fills in. Returns
 * whether it did. */
static bool from_history(struct prof_collector *c, pid_t pid)
{
	int err = c->history ? prof_history__give(c->history, c->resolver, pid) : -ENOENT;

	if (err && err != -ENOENT)
		pr_warn_once("cannot keep the mappings of exited processes: %s", strerror(-err));
	return !err;
}

/* An exited process is not snapshotted any more: /proc would show it without mappings. */
static void forget_snapshot(struct prof_collector *c, pid_t pid)
{
	size_t kept = 0;

	for (size_t i = 0; i < c->nsnapshot; i++)
		if (c->to_snapshot[i] != pid)
			c->to_snapshot[kept++] = c->to_snapshot[i];
	c->nsnapshot = kept;
}

static void on_stack(const struct prof_stack_sample *ss, void *ctx)
{
	struct prof_collector *c = ctx;
	int err = prof_unwind__add(c->unwind, ss);

	if (err)
		pr_warn_once("cannot unwind user stacks: %s", strerror(-err));
}

/* The symbolizer's view of a new process, taken while it lives. */
static void snapshot(struct prof_collector *c, pid_t pid)
{
	int err = sym_resolver__add_process(c->resolver, pid);

	if (err == -EACCES || err == -EPERM)
		pr_warn_once("pid %d: /proc/%d/maps: %s (needs CAP_SYS_PTRACE); the frames of "
			     "processes profd may not inspect are [process unknown]",
			     (int)pid, (int)pid, strerror(-err));
	else if (err == -ESRCH)
		from_history(c, pid);
	else if (err)
		pr_debug("pid %d: cannot snapshot mappings: %s", (int)pid, strerror(-err));
	if (c->unwind)
		prof_unwind__prepare(c->unwind, pid);
}

/* The snapshots put off by on_event(), oldest first; what the ring holds meanwhile goes first. */
static int take_snapshots(struct prof_collector *c)
{
	int err = 0;

	for (size_t i = 0; i < c->nsnapshot && !err; i++) {
		snapshot(c, c->to_snapshot[i]);
		err = prof_sampler__poll(c->sampler, 0);
	}
	c->nsnapshot = 0;
	return err;
}

static void on_event(const struct profd_event *e, void *ctx)
{
	struct prof_collector *c = ctx;

	if (c->stacks && (e->type == PROFD_EV_NEW_PROCESS || e->type == PROFD_EV_EXEC ||
			  e->type == PROFD_EV_EXIT))
		prof_stacks__process_event(c->stacks, (pid_t)e->pid);
	switch (e->type) {
	case PROFD_EV_NEW_PROCESS:
		c->processes++;
		/*
		 * The walker's tables first: the kernel's scan announces the files, and building
		 * their tables takes a millisecond where a snapshot can take tens. Stack copies
		 * need the snapshot before they come out of the ring: no waiting then.
		 */
		if (c->cfi) {
			load_cfi(c, e->pid);
			/*
			 * Named at the end: /proc is read at a process's first samples, or the
			 * kernel's history names it once it exited. Most of a churn's processes
			 * are never sampled.
			 */
			if (c->opts.names_late)
				break;
			if (!PROFD_ARRAY_RESERVE(c->to_snapshot, c->cap_snapshot, c->nsnapshot + 1, 64)) {
				c->to_snapshot[c->nsnapshot++] = e->pid;
				break;
			}
		}
		snapshot(c, e->pid);
		break;
	case PROFD_EV_EXEC:
		if (c->cfi && c->opts.names_late && !sym_resolver__knows(c->resolver, e->pid))
			break; /* read at its first samples, as above */
		if (c->unwind)
			prof_unwind__before_exec(c->unwind, c->stacks, e->pid,
						 1000000000LL / c->opts.freq, c->late_profile);
		if (sym_resolver__refresh_process(c->resolver, e->pid) == -ESRCH && c->history) {
			/* Gone already: its snapshot is of the image before exec. */
			sym_resolver__drop_process(c->resolver, e->pid);
			from_history(c, e->pid);
		}
		if (c->unwind)
			prof_unwind__prepare(c->unwind, e->pid);
		break;
	case PROFD_EV_EXIT:
		forget_snapshot(c, e->pid);
		c->exits_from_history += from_history(c, e->pid);
		record_exit(c, e->pid, e->comm);
		break;
	case PROFD_EV_RESCAN:
		if (c->cfi)
			load_cfi(c, e->pid);
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

/* The sampler; with --unwind cfi on a kernel that cannot walk, the stack-copy one. */
static int open_sampler(struct prof_collector *c, struct prof_sampler_opts *so)
{
	int err = 0;

	c->sampler = prof_sampler__open(so);
	if (!c->sampler && so->unwind == PROFD_UNWIND_CFI) {
		/* An older kernel (no task_vma iterator, say): the stack-copy unwinder still works. */
		pr_warn("cannot walk user stacks in the kernel (%s): copying them to profd instead, "
			"as --unwind copy does", strerror(errno));
		so->unwind = c->opts.unwind = PROFD_UNWIND_COPY;
		c->sampler = prof_sampler__open(so);
	}
	if (!c->sampler)
		err = -errno;
	if (so->filter_cgroup)
		close(so->cgroup_fd); /* the filter map holds the cgroup now */
	return err;
}

static void log_history(const struct prof_collector *c)
{
	struct prof_history_counts h;

	prof_history__counts(c->history, &h);
	pr_debug("history: %llu mapping tables kept (%zu bytes now), %llu not kept (over the bound), "
		 "%llu of unsampled processes gone, %llu file paths not kept, %llu mappings without "
		 "a path, %llu exited processes named from it", (unsigned long long)h.tables, h.bytes,
		 (unsigned long long)h.tables_dropped, (unsigned long long)h.tables_swept,
		 (unsigned long long)h.files_dropped,
		 (unsigned long long)h.maps_unnamed, (unsigned long long)c->exits_from_history);
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
		.cpus = opts->cpus,
		.on_event = on_event,
		.unwind = opts->unwind,
		.stack_size = opts->stack_size ? opts->stack_size : PROFD_STACK_SIZE_DEFAULT,
		.on_stack = on_stack,
		.off_cpu = opts->off_cpu,
		.min_block_ns = opts->min_block_ns,
		.cfi_memory = opts->cfi_memory ? opts->cfi_memory : PROF_CFI_MEMORY_DEFAULT,
		.on_mmap = on_mmap,
		.on_maps = on_maps,
	};
	struct prof_cfi_maps maps;
	struct prof_unwind_opts uo = {
		.max_stack = opts->max_stack,
		.stack_size = so.stack_size,
	};
	struct sym_resolver_opts ro = {
		.lines = opts->lines,
		.defer_names = opts->names_late,
		.stops = opts->stops,
	};
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
	c->stacks = prof_stacks__new(c->resolver, c->cgroups, opts->max_stack, opts->names_late);
	if (!c->stacks) {
		prof_collector__fini(c);
		return -ENOMEM;
	}
	err = open_sampler(c, &so);
	if (err) {
		prof_collector__fini(c);
		return err;
	}
	if (c->opts.unwind == PROFD_UNWIND_COPY) {
		c->unwind = prof_unwind__new(c->resolver, &uo);
		if (!c->unwind) {
			err = -errno;
			prof_collector__fini(c);
			return err;
		}
	}
	if (c->opts.unwind == PROFD_UNWIND_CFI) {
		prof_sampler__cfi_maps(c->sampler, &maps);
		maps.on_file = on_file;
		maps.file_ctx = c;
		c->history = prof_history__new(PROF_HISTORY_MEMORY);
		c->cfi = c->history ? prof_cfi__new(&maps) : NULL;
		if (!c->cfi) {
			err = -errno;
			prof_collector__fini(c);
			return err;
		}
	}
	return 0;
}

void prof_collector__fini(struct prof_collector *c)
{
	uint64_t runs = 0, ns = 0;

	if (c->sampler)
		prof_sampler__run_stats(c->sampler, &runs, &ns);
	if (runs)
		pr_debug("bpf: the sampling program ran %llu times, %.0f ns each", (unsigned long long)runs,
			 (double)ns / runs);
	if (c->cfi)
		prof_cfi__log_stats(c->cfi, c->counters);
	if (c->history)
		log_history(c);
	prof_cfi__free(c->cfi);
	prof_history__free(c->history);
	prof_sampler__free(c->sampler);
	prof_unwind__free(c->unwind);
	prof_stacks__free(c->stacks);
	sym_resolver__free(c->resolver);
	cg_resolver__free(c->cgroups);
	free(c->pending_drop);
	free(c->to_snapshot);
	free(c->to_preload);
	memset(c, 0, sizeof(*c));
}

int prof_collector__add_target(struct prof_collector *c, pid_t pid)
{
	int err = prof_sampler__add_target(c->sampler, pid);

	if (err)
		return err;
	sym_resolver__add_process(c->resolver, pid);
	/* Its mappings and their tables before its first sample: walked, not taken by frame
	 * pointers. */
	if (c->cfi) {
		load_cfi(c, pid);
		prof_sampler__poll(c->sampler, 0);
	}
	return 0;
}

/* Whether pid was put off to the first poll (else, out of memory, it is loaded now). */
static bool put_off(struct prof_collector *c, pid_t pid)
{
	if (PROFD_ARRAY_RESERVE(c->to_preload, c->cap_preload, c->npreload + 1, 64))
		return false;
	c->to_preload[c->npreload++] = pid;
	return true;
}

/*
 * Has the kernel scan pid's mappings, counting in *n the processes loaded. Every 32 the ring is
 * read: the files the scans announced get their tables, and the ring does not overflow.
 */
static void preload(struct prof_collector *c, pid_t pid, size_t *n)
{
	if (prof_cfi__add_process(c->cfi, pid) == 0 && ++*n % 32 == 0)
		prof_sampler__poll(c->sampler, 0);
}

/*
 * Every process: the kernel scans its mappings and announces their files, whose tables are
 * built as the announcements come. Before the first sample, the processes running now (the
 * first samples are theirs), but not the tables of their big files; the others go to
 * to_preload for the first poll, so that building every file's table does not hold up
 * sampling. One of those that wakes meanwhile announces itself with its first sample, which
 * takes its user stack by frame pointers (counted: process not loaded), and is loaded then.
 * Processes that start meanwhile are caught at exec.
 */
static void preload_running(struct prof_collector *c)
{
	int64_t t0 = profd_mono_ns();
	struct profd_process_state *ps;
	pid_t self = getpid();
	size_t n = 0;
	int np = prof_sampler__processes(c->sampler, &ps);

	if (np < 0) {
		/* Each is then loaded when its first sample announces it. */
		pr_warn("cannot list the processes: %s; their first samples follow frame pointers",
			strerror(-np));
		return;
	}
	prof_cfi__hold_big(c->cfi, true);
	for (int i = 0; i < np; i++) {
		pid_t pid = (pid_t)ps[i].pid;

		/* Not profd itself: its start-up is not what a profile of the machine is for. */
		if ((pid == self || !ps[i].running) && put_off(c, pid))
			continue;
		preload(c, pid, &n);
	}
	free(ps);
	prof_sampler__poll(c->sampler, 0);
	c->preload_due = true;
	pr_debug("cfi: mappings of %zu running processes loaded before sampling, in %.0f ms", n,
		 (profd_mono_ns() - t0) / 1e6);
}

/* The processes preload_running() put off, now that sampling runs. */
static void preload_rest(struct prof_collector *c)
{
	int64_t t0 = profd_mono_ns();
	size_t n = 0;

	for (size_t i = 0; i < c->npreload; i++)
		preload(c, c->to_preload[i], &n);
	prof_sampler__poll(c->sampler, 0); /* the files the last scans announced: their tables */
	prof_cfi__hold_big(c->cfi, false);
	free(c->to_preload);
	c->to_preload = NULL;
	c->npreload = c->cap_preload = 0;
	c->preload_due = false;
	pr_debug("cfi: mappings of %zu more processes loaded after sampling started, in %.0f ms", n,
		 (profd_mono_ns() - t0) / 1e6);
}

/* Where execvp() will find name: a path as given, or the first match in $PATH. */
static bool find_program(const char *name, char *out, size_t len)
{
	const char *dirs = getenv("PATH"), *end;

	if (strchr(name, '/'))
		return snprintf(out, len, "%s", name) < (int)len;
	for (dirs = dirs ? dirs : "/bin:/usr/bin"; *dirs; dirs = *end ? end + 1 : end) {
		end = strchrnul(dirs, ':');
		if (snprintf(out, len, "%.*s/%s", (int)(end - dirs), end > dirs ? dirs : ".", name) <
			    (int)len &&
		    !access(out, X_OK))
			return true;
	}
	return false;
}

void prof_collector__prepare_command(struct prof_collector *c, const char *name)
{
	char path[PATH_MAX];
	int err;

	if (!c->cfi || !find_program(name, path, sizeof(path)))
		return;
	err = prof_cfi__add_program(c->cfi, path);
	if (err)
		pr_debug("cfi: %s: cannot build its tables ahead: %s", path, strerror(-err));
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
	if (c->cfi && c->opts.all)
		preload_running(c);
	return prof_sampler__start(c->sampler);
}

uint64_t prof_collector__bpf_bytes(struct prof_collector *c)
{
	return prof_sampler__bpf_bytes(c->sampler) + (c->cfi ? prof_cfi__bpf_bytes(c->cfi) : 0);
}

void prof_collector__stop(struct prof_collector *c)
{
	prof_sampler__stop(c->sampler);
}

int prof_collector__poll(struct prof_collector *c, int timeout_ms)
{
	int err;

	if (c->preload_due)
		preload_rest(c);
	if (c->cfi)
		prof_cfi__retry(c->cfi);
	err = prof_sampler__poll(c->sampler, timeout_ms);
	return err ?: take_snapshots(c);
}

struct drain_ctx {
	struct prof_collector *c;
	struct fmt_profile *window, *off_cpu;
};

static int on_sample(const struct prof_raw_sample *rs, void *ctx)
{
	struct drain_ctx *d = ctx;
	struct prof_raw_sample us;

	if (!rs->off_cpu)
		return prof_stacks__add(d->c->stacks, d->window, rs);
	if (!d->off_cpu)
		return 0;
	/* Nanoseconds summed in the kernel, microseconds in the profile. */
	us = *rs;
	us.count = (rs->count + FMT_US_NS / 2) / FMT_US_NS;
	return us.count ? prof_stacks__add(d->c->stacks, d->off_cpu, &us) : 0;
}

static void forget_cgroup(uint64_t id, void *sampler)
{
	prof_sampler__forget_cgroup(sampler, id);
}

/* The drops BPF counted since the last drain, into the windows' loss counters. */
static void count_losses(struct prof_collector *c, struct fmt_profile *window,
			 struct fmt_profile *off_cpu)
{
	uint64_t now[PROFD_CNT_MAX];

	prof_sampler__counters(c->sampler, now);
	window->loss.samples_counts_full += now[PROFD_CNT_COUNTS_FULL] - c->counters[PROFD_CNT_COUNTS_FULL];
	window->loss.samples_ringbuf_full +=
		now[PROFD_CNT_RINGBUF_FULL] - c->counters[PROFD_CNT_RINGBUF_FULL];
	if (off_cpu)
		off_cpu->loss.samples_counts_full +=
			now[PROFD_CNT_OFFCPU_FULL] - c->counters[PROFD_CNT_OFFCPU_FULL];
	memcpy(c->counters, now, sizeof(now));
}

int prof_collector__drain(struct prof_collector *c, struct fmt_profile *window,
			  struct fmt_profile *off_cpu)
{
	struct drain_ctx d = {.c = c, .window = window, .off_cpu = off_cpu};
	size_t pending = c->npending;
	int n;

	/* Events first: a process announced just now must be snapshotted before we symbolize. */
	prof_sampler__poll(c->sampler, 0);
	/* Read after the events: a loss since counts already. */
	prof_stacks__events_whole(c->stacks,
				  !prof_sampler__counter(c->sampler, PROFD_CNT_EVENTS_LOST) &&
				  !prof_sampler__counter(c->sampler, PROFD_CNT_SEEN_FULL));
	take_snapshots(c);
	if (c->history && prof_history__update(c->history, c->resolver))
		pr_warn_once("cannot follow the processes' new mappings: %s", strerror(ENOMEM));
	prof_stacks__batch(c->stacks, true);
	n = prof_sampler__drain(c->sampler, on_sample, &d);
	prof_stacks__batch(c->stacks, false);
	if (n < 0)
		return n;
	/* The drain read the ring up to the flip: every stack copy of this window is unwound. */
	if (c->unwind) {
		n = prof_unwind__flush(c->unwind, c->stacks, window);
		if (n < 0)
			return n;
	}
	count_losses(c, window, off_cpu);

	/* Processes that exited before this drain have had all their samples symbolized. */
	for (size_t i = 0; i < pending; i++) {
		sym_resolver__drop_process(c->resolver, c->pending_drop[i]);
		if (c->history)
			prof_history__drop(c->history, c->pending_drop[i]);
	}
	if (pending) /* pending_drop may still be NULL, and NULL + 0 is undefined */
		memmove(c->pending_drop, c->pending_drop + pending,
			(c->npending - pending) * sizeof(pid_t));
	c->npending -= pending;
	if (c->history)
		prof_history__sweep(c->history, profd_mono_ns());
	if (c->cgroups)
		cg_resolver__sweep(c->cgroups, c->cgroups_idle, forget_cgroup, c->sampler);
	return 0;
}

/* What the mapping history did, and every way it fell short. */
static void history_summary(const struct prof_collector *c, struct profd_strbuf *sb)
{
	struct prof_history_counts h;
	uint64_t lost = c->counters[PROFD_CNT_MAPS_LOST];

	prof_history__counts(c->history, &h);
	if (c->exits_from_history)
		profd_strbuf_printf(sb, "; %llu exited processes named from the kernel's mapping "
				    "history", (unsigned long long)c->exits_from_history);
	if (h.tables_dropped || lost)
		profd_strbuf_printf(sb, ", %llu mapping tables not kept (%llu over %u MiB, %llu ring "
				    "buffer full)", (unsigned long long)(h.tables_dropped + lost),
				    (unsigned long long)h.tables_dropped, PROF_HISTORY_MEMORY >> 20,
				    (unsigned long long)lost);
	if (h.maps_unnamed)
		profd_strbuf_printf(sb, ", %llu mappings of files with no known path",
				    (unsigned long long)h.maps_unnamed);
}

void prof_collector__unwind_summary(const struct prof_collector *c, struct profd_strbuf *sb)
{
	if (c->unwind)
		prof_unwind__summary(c->unwind, sb);
	if (c->cfi)
		prof_cfi__summary(c->cfi, c->counters, sb);
	if (c->history)
		history_summary(c, sb);
}
