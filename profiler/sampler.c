// SPDX-License-Identifier: MIT
/* The BPF side's lifecycle: open, size, load, attach per CPU, poll events, drain buffers. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <link.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "common/array.h"
#include "common/clock.h"
#include "common/htab.h"
#include "common/log.h"
#include "common/new.h"
#include "profiler/sampling_internal.h"
#include "bpf/profile.skel.h"

#define PROCESSES_MIN 32768
#define PROCESSES_MAX (1u << 20)
#define SAMPLE_ENTRIES_MIN 1024 /* stacks and counts per buffer, at the least */
#define BPF_BYTES_NS (10 * PROFD_NS_PER_S) /* how stale the maps' memlock may be */
#define TARGETS_MAX 8192	       /* targets and their descendants alive at once */
#define EVENTS_BYTES_FP (256u << 10) /* 8192 process events per poll period */
#define EVENTS_BYTES_CFI (1u << 20)  /* and 1500 files announced (a whole machine's at -a) */
#define EVENTS_BYTES_CFI_TARGETS (256u << 10) /* 450 files: the processes asked for, forks included */
#define LOADERS_MAX 16
#define STACK_BATCH 64 /* stacks read in one system call at a drain */

struct prof_sampler {
	struct profile_bpf *skel;
	struct ring_buffer *events;
	uint64_t bpf_bytes; /* memlock of the maps, read when asked, at most every BPF_BYTES_NS */
	int64_t bpf_bytes_at;
	struct bpf_link **links; /* process event tracepoints, then one perf event per CPU */
	int nlinks;
	int first_perf_link;
	int *cpus; /* the CPUs sampled, chosen once at open */
	int ncpus;
	bool software;
	struct prof_sampler_opts opts;

	/* Drain scratch space, reused every window. */
	/* STACK_BATCH stack values (8 + max_stack * 8 bytes each), read in one system call */
	void *batch_values;
	uint64_t batch_keys[STACK_BATCH];
	uint64_t *stack_pool;	       /* PCs of the stacks read this drain */
	size_t pool_len, pool_cap;
	/* Stacks read this drain: stack key -> index into seen_off and seen_len + 1. */
	struct profd_htab seen;
	size_t *seen_off; /* offset in stack_pool */
	uint32_t *seen_len;
	uint64_t *drop_keys; /* keys deleted in one batch when the drain ends; ndrop are seen */
	uint32_t ndrop;
	uint32_t stack_entries;
	struct profd_sample_key *keys; /* room for the larger of the two counts maps */
	uint64_t *values;
	uint32_t *order; /* indexes of keys in the order deliver() hands them on */
	uint32_t counts_entries;
	uint32_t offcpu_entries;      /* 0 without off_cpu */
	struct bpf_link *cut;	      /* the off-CPU cut's iterator, owned by links */
	int64_t stopped_ns;	      /* CLOCK_MONOTONIC when sampling stopped; 0 while it runs */
	struct profd_stack *kstack_buf; /* kernel stack of one stack-copy sample */
	uint64_t events_bytes;
	/*
	 * Stack copies can come faster than they unwind: each read of the ring has a deadline.
	 * A poll stops there and leaves the rest for the next one (the ring absorbs a burst; BPF
	 * counts what a full ring refuses). A drain must empty the ring before it clears the
	 * buffer's stacks: past its deadline it drops the stack copies left, counted, and still
	 * handles process events; dropping is far faster than sampling, so it ends.
	 */
	int64_t ring_deadline_ns; /* CLOCK_MONOTONIC; 0: none */
	bool ring_drop;		  /* past the deadline: drop (drain), else stop (poll) */
	bool ring_behind;	  /* the last poll stopped at its deadline: records wait */
	uint64_t ring_skipped;	  /* stack copies dropped */
	pthread_t stopper;	  /* see prof_sampler__stop_after() */
	bool has_stopper;
	struct timespec stop_at;
	struct {
		dev_t dev;
		ino_t ino;
	} loaders[LOADERS_MAX]; /* dynamic linkers watched (on_loader) */
	size_t nloaders;
};

/* Whether samples come with copies of the user stack (--unwind copy). */
static bool copies_stacks(const struct prof_sampler *s)
{
	return s->opts.unwind == PROFD_UNWIND_COPY;
}

/* How long one poll may unwind; a drain longer (a full ring is about 2000 stack copies,
 * 100 ms of unwinding), then it drops what is left. */
#define POLL_BUDGET_NS (50 * 1000000LL)
#define DRAIN_BUDGET_NS (500 * 1000000LL)

/* A sample with a stack copy: its kernel stack is read now, while its stacks map still holds it
 * (prof_sampler__drain() reads the ring before it clears a buffer). */
static void on_stack_event(struct prof_sampler *s, const struct profd_stack_event *e, size_t size)
{
	struct prof_stack_sample ss = {
		.pid = e->pid,
		.tid = e->tid,
		.cgroup = e->cgroup,
		.kstack = (const uint64_t *)s->kstack_buf->pcs,
		.kstack_err = e->kernel_err,
		.regs = (const uint64_t *)e->regs,
		.stack = e->stack,
		.stack_len = e->stack_len,
		.stack_cut = e->flags & PROFD_STACK_CUT,
	};

	if (!s->opts.on_stack || size < sizeof(*e) || e->stack_len > size - sizeof(*e))
		return;
	memcpy(ss.comm, e->comm, PROFD_COMM_LEN);
	ss.comm[PROFD_COMM_LEN] = '\0';
	if (e->kernel_stack) {
		int fd = bpf_map__fd(e->buf & 1 ? s->skel->maps.stacks1 : s->skel->maps.stacks0);

		if (bpf_map_lookup_elem(fd, &e->kernel_stack, s->kstack_buf)) {
			ss.kstack_err = -errno;
		} else {
			ss.nkstack = s->kstack_buf->len;
			if (ss.nkstack > (uint32_t)s->opts.max_stack)
				ss.nkstack = s->opts.max_stack;
		}
	}
	s->opts.on_stack(&ss, s->opts.ctx);
}

static void on_mmap_event(struct prof_sampler *s, const struct profd_mmap_event *e, size_t size)
{
	if (s->opts.on_mmap && size >= sizeof(*e) && e->nparts <= PROFD_PATH_PARTS)
		s->opts.on_mmap(e, s->opts.ctx);
}

static void on_maps_event(struct prof_sampler *s, const struct profd_proc_maps *pm, size_t size)
{
	size_t head = offsetof(struct profd_proc_maps, m);

	if (s->opts.on_maps && size >= head && pm->n <= PROFD_PROC_MAPS_MAX &&
	    size >= head + pm->n * sizeof(pm->m[0]))
		s->opts.on_maps(pm, s->opts.ctx);
}

static bool past_deadline(const struct prof_sampler *s)
{
	return s->ring_deadline_ns && profd_mono_ns() > s->ring_deadline_ns;
}

static int on_ringbuf(void *ctx, void *data, size_t size)
{
	struct prof_sampler *s = ctx;
	const struct profd_event *e = data;

	if (size >= sizeof(e->type) && e->type == PROFD_EV_MAPS) {
		on_maps_event(s, data, size);
		return 0;
	}
	if (size < sizeof(struct profd_event))
		return 0;
	if (e->type == PROFD_EV_MMAP) {
		on_mmap_event(s, data, size);
		return 0;
	}
	if (e->type != PROFD_EV_STACK) {
		if (s->opts.on_event)
			s->opts.on_event(e, s->opts.ctx);
		return 0;
	}
	if (s->ring_drop && past_deadline(s)) {
		s->ring_skipped++;
		return 0;
	}
	on_stack_event(s, data, size);
	/* A poll's budget is spent: libbpf stops after this record, which was handled. */
	return !s->ring_drop && past_deadline(s) ? -ETIME : 0;
}

static uint32_t round_pow2(uint64_t v)
{
	uint32_t p = 1;

	while (p < v && p < (1u << 30))
		p <<= 1;
	return p;
}

static size_t stack_value_size(const struct prof_sampler *s)
{
	return offsetof(struct profd_stack, pcs) + s->opts.max_stack * sizeof(__u64);
}

/* The power of two >= v, within [lo, hi] (both powers of two). */
static uint64_t clamp_pow2(uint64_t v, uint64_t lo, uint64_t hi)
{
	uint64_t p = round_pow2(v);

	return p < lo ? lo : p > hi ? hi : p;
}

/* Samples taken on every CPU in one drain period at the nominal rate. */
static uint64_t samples_per_window(const struct prof_sampler *s)
{
	return (uint64_t)s->ncpus * s->opts.freq * (s->opts.window_ms ? s->opts.window_ms : 1000) /
	       1000;
}

/* Threads alive now, from /proc/loadavg; 0 if it cannot be read. */
static uint64_t threads_alive(void)
{
	unsigned long running = 0, total = 0;
	FILE *f = fopen("/proc/loadavg", "re");

	if (f && fscanf(f, "%*f %*f %*f %lu/%lu", &running, &total) != 2)
		total = 0;
	if (f)
		fclose(f);
	return total;
}

/*
 * Off CPU, a drain period holds an entry per thread that waited and stack it waited in: room
 * for four per thread alive at the start. Without off_cpu the programs are not loaded and their
 * maps not created.
 */
static int size_offcpu_maps(struct prof_sampler *s)
{
	struct profile_bpf *skel = s->skel;
	struct bpf_program *progs[] = {skel->progs.on_switch, skel->progs.on_cut,
				       skel->progs.on_waiting};
	struct bpf_map *maps[] = {skel->maps.waits, skel->maps.offcpu0, skel->maps.offcpu1};
	int err = 0;

	if (s->opts.off_cpu) {
		s->offcpu_entries = (uint32_t)clamp_pow2(4 * threads_alive(), 8192, 262144);
		skel->rodata->min_block_ns = s->opts.min_block_ns;
		err = err ?: bpf_map__set_max_entries(skel->maps.offcpu0, s->offcpu_entries);
		return err ?: bpf_map__set_max_entries(skel->maps.offcpu1, s->offcpu_entries);
	}
	for (size_t i = 0; i < sizeof(progs) / sizeof(progs[0]); i++)
		err = err ?: bpf_program__set_autoload(progs[i], false);
	for (size_t i = 0; i < sizeof(maps) / sizeof(maps[0]); i++)
		err = err ?: bpf_map__set_autocreate(maps[i], false);
	return err;
}

/* Counts and stacks, double-buffered: one drain period's worth each. */
static int size_sample_maps(struct prof_sampler *s)
{
	struct profile_bpf *skel = s->skel;
	uint64_t per_window = samples_per_window(s);
	int err = 0;

	/*
	 * A window holds at most one new stack per sample and two stacks (user, kernel) per
	 * sample; twice that leaves room for a burst above the nominal rate. Waits share the
	 * stacks maps: most of their stacks repeat, one more per entry is plenty. The floor is
	 * SAMPLE_ENTRIES_MIN, not more: the stacks maps are preallocated, and the kernel zeroes
	 * and links every element at each start (4096 of them cost 3 ms of a 50 ms start).
	 */
	s->stack_entries = (uint32_t)clamp_pow2(per_window * 4 + s->offcpu_entries,
						SAMPLE_ENTRIES_MIN, 262144);
	s->counts_entries = (uint32_t)clamp_pow2(per_window * 4, SAMPLE_ENTRIES_MIN, 262144);
	skel->rodata->stack_bytes = s->opts.max_stack * sizeof(__u64);
	err = err ?: bpf_map__set_value_size(skel->maps.stacks0, stack_value_size(s));
	err = err ?: bpf_map__set_value_size(skel->maps.stacks1, stack_value_size(s));
	err = err ?: bpf_map__set_value_size(skel->maps.stack_scratch, stack_value_size(s));
	err = err ?: bpf_map__set_max_entries(skel->maps.stacks0, s->stack_entries);
	err = err ?: bpf_map__set_max_entries(skel->maps.stacks1, s->stack_entries);
	err = err ?: bpf_map__set_max_entries(skel->maps.counts0, s->counts_entries);
	return err ?: bpf_map__set_max_entries(skel->maps.counts1, s->counts_entries);
}

/* Processes alive now, from /proc; 0 if it cannot be read. */
static uint64_t processes_alive(void)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	uint64_t n = 0;

	while (d && (de = readdir(d)))
		n += de->d_name[0] >= '1' && de->d_name[0] <= '9';
	if (d)
		closedir(d);
	return n;
}

/*
 * The per-process maps hold live processes only (entries go at exit): room for twice those
 * alive at the start, at least PROCESSES_MIN. targets holds the processes asked for and what
 * they fork; without a filter it is never read. With one, only targets are announced, so seen
 * needs no more room than targets.
 * threads is read with -t only.
 */
static int size_process_maps(struct prof_sampler *s)
{
	struct profile_bpf *skel = s->skel;
	uint64_t processes = clamp_pow2(2 * processes_alive(), PROCESSES_MIN, PROCESSES_MAX);
	int err = 0;

	err = err ?: bpf_map__set_max_entries(skel->maps.seen, s->opts.filter_pids
							   ? TARGETS_MAX : (uint32_t)processes);
	err = err ?: bpf_map__set_max_entries(skel->maps.proc_maps, (uint32_t)processes);
	if (!s->opts.filter_tids)
		err = err ?: bpf_map__set_max_entries(skel->maps.threads, 1);
	return err ?: bpf_map__set_max_entries(skel->maps.targets,
					      s->opts.filter_pids ? TARGETS_MAX : 1);
}

/* The walker's maps take memory only with --unwind cfi; its tables cfi_memory bytes. */
static int size_cfi_maps(struct prof_sampler *s)
{
	struct profile_bpf *skel = s->skel;
	uint64_t slots = s->opts.cfi_memory / sizeof(__u64);
	int err = 0;

	if (s->opts.unwind != PROFD_UNWIND_CFI) {
		err = err ?: bpf_map__set_max_entries(skel->maps.cfi_pool, 1);
		err = err ?: bpf_map__set_max_entries(skel->maps.cfi_tables, 1);
		err = err ?: bpf_map__set_max_entries(skel->maps.cfi_files, 1);
		err = err ?: bpf_map__set_max_entries(skel->maps.cfi_announced, 1);
		err = err ?: bpf_map__set_max_entries(skel->maps.maps_scratch, 1);
		err = err ?: bpf_map__set_max_entries(skel->maps.maps_entries, 1);
		err = err ?: bpf_map__set_max_entries(skel->maps.mmap_scratch, 1);
		return err ?: bpf_map__set_max_entries(skel->maps.proc_maps, 1);
	}
	/* The table memory's chunks are created as tables need them (profiler/cfi_tables.c). */
	return slots < 1 || slots > UINT32_MAX / 2 ? -EINVAL : 0;
}

/*
 * Process events need little room: user space reads them every poll period (100 ms); files
 * announced for tables (cfi) some more. Stack copies share the ring: then room for half a
 * second of samples on every CPU, within 4 to 32 MiB: more only holds a backlog user space
 * cannot unwind in time anyway.
 */
static int size_events(struct prof_sampler *s)
{
	uint64_t rec = sizeof(struct profd_stack_event) + 8 + s->opts.stack_size;

	/* Resident twice over: user space maps the ring's pages twice (wrap-around reads). */
	s->events_bytes = s->opts.unwind != PROFD_UNWIND_CFI ? EVENTS_BYTES_FP
			  : s->opts.filter_pids || s->opts.filter_tids ? EVENTS_BYTES_CFI_TARGETS
								       : EVENTS_BYTES_CFI;
	if (copies_stacks(s))
		s->events_bytes = clamp_pow2(samples_per_window(s) * rec / 2, 4u << 20, 32u << 20);
	return bpf_map__set_max_entries(s->skel->maps.events, (uint32_t)s->events_bytes);
}

static int size_maps(struct prof_sampler *s)
{
	return size_offcpu_maps(s) ?: size_sample_maps(s) ?: size_process_maps(s) ?: size_cfi_maps(s) ?:
	       size_events(s);
}

static int alloc_scratch(struct prof_sampler *s)
{
	uint32_t entries = s->counts_entries > s->offcpu_entries ? s->counts_entries
								  : s->offcpu_entries;

	s->batch_values = calloc(STACK_BATCH, stack_value_size(s));
	s->seen_off = calloc(s->stack_entries, sizeof(*s->seen_off));
	s->seen_len = calloc(s->stack_entries, sizeof(*s->seen_len));
	s->drop_keys = calloc(s->stack_entries, sizeof(*s->drop_keys));
	s->keys = calloc(entries, sizeof(*s->keys));
	s->values = calloc(entries, sizeof(*s->values));
	s->order = calloc(entries, sizeof(*s->order));
	s->kstack_buf = calloc(1, stack_value_size(s));
	if (!s->batch_values || !s->seen_off || !s->seen_len || !s->drop_keys || !s->keys ||
	    !s->values || !s->order || !s->kstack_buf ||
	    profd_htab_reserve(&s->seen, s->stack_entries))
		return -ENOMEM;
	return 0;
}

/* A cgroup v2 directory's inode number is its id. */
static uint64_t cgroup_id(int fd)
{
	struct stat st;

	return fstat(fd, &st) ? 0 : (uint64_t)st.st_ino;
}

static int set_cgroup_filter(struct prof_sampler *s)
{
	__u32 zero = 0, fd = (__u32)s->opts.cgroup_fd;
	int err;

	if (!s->opts.filter_cgroup)
		return 0;
	if (!bpf_map_update_elem(bpf_map__fd(s->skel->maps.cgroup_filter), &zero, &fd, BPF_ANY))
		return 0;
	err = -errno;
	pr_warn("cannot set the cgroup filter: %s", strerror(-err));
	return err;
}

#define MAPPING_PROGRAMS 3

/* The programs that keep processes' mappings current: --unwind cfi only. */
static void mapping_programs(struct profile_bpf *skel, struct bpf_program *out[MAPPING_PROGRAMS])
{
	out[0] = skel->progs.on_loader;
	out[1] = skel->progs.load_process;
	out[2] = skel->progs.on_free;
}

/*
 * What loading the programs allocates at once: libbpf reads the kernel's BTF into a buffer,
 * copies it into another, and indexes its types (a quarter more, with room to spare).
 */
static size_t bpf_load_heap_bytes(void)
{
	struct stat st;

	if (stat(PROF_KERNEL_BTF, &st) || st.st_size <= 0)
		return 0;
	return (size_t)st.st_size * 2 + (size_t)st.st_size / 4;
}

/*
 * The programs, opened to relocate against only the kernel types they read, written to a memory
 * file (kernel_types.c) that libbpf reads by its path at load: *types_fd, to close after it.
 * Without them (no such file, a BTF this cannot read), libbpf scans the kernel's whole BTF,
 * slower but the same.
 */
static struct profile_bpf *open_programs(int *types_fd)
{
	int fd = memfd_create("profd-kernel-types", MFD_CLOEXEC), err;
	struct profile_bpf *skel;
	char path[64];

	*types_fd = -1;
	if (fd < 0)
		return profile_bpf__open();
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	LIBBPF_OPTS(bpf_object_open_opts, opts, .btf_custom_path = path);
	skel = profile_bpf__open_opts(&opts);
	err = skel ? prof_kernel_types__write(fd, bpf_object__btf(skel->obj)) : -errno;
	if (!err) {
		*types_fd = fd;
		return skel;
	}
	pr_debug("bpf: relocating against the kernel's whole BTF: %s", strerror(-err));
	profile_bpf__destroy(skel);
	close(fd);
	return profile_bpf__open();
}

struct prof_sampler *prof_sampler__open(const struct prof_sampler_opts *opts)
{
	struct prof_sampler *s;
	int types_fd = -1, offline = -1, err;

	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->opts = *opts;
	s->ncpus = prof_sampled_cpus(opts->cpus, &s->cpus, &offline);
	if (s->ncpus == -ENODEV)
		pr_warn("-C %s: CPU %d went offline", opts->cpus, offline);
	if (s->ncpus < 0) {
		err = s->ncpus;
		goto fail;
	}

	/* The kernel's types are read from here on: into heap faulted in at once. */
	prof_heap_prefault(bpf_load_heap_bytes());
	s->skel = open_programs(&types_fd);
	if (!s->skel) {
		err = -errno;
		pr_warn("cannot open the BPF programs: %s", strerror(-err));
		goto fail;
	}
	s->skel->rodata->filter_pids = opts->filter_pids || opts->filter_tids;
	s->skel->rodata->filter_tids = opts->filter_tids;
	s->skel->rodata->kernel_stacks = opts->kernel_stacks;
	s->skel->rodata->filter_cgroup = opts->filter_cgroup;
	if (opts->filter_cgroup)
		s->skel->rodata->filter_cgroup_id = cgroup_id(opts->cgroup_fd);
	s->skel->rodata->unwind = opts->unwind;
	if (opts->unwind == PROFD_UNWIND_COPY) {
		if (!opts->stack_size || opts->stack_size % PROFD_STACK_PAGE ||
		    opts->stack_size > PROFD_STACK_SIZE_MAX) {
			err = -EINVAL;
			pr_warn("stack copy size %u: not a multiple of %d up to %d", opts->stack_size,
				PROFD_STACK_PAGE, PROFD_STACK_SIZE_MAX);
			goto fail;
		}
		s->skel->rodata->stack_pages = opts->stack_size / PROFD_STACK_PAGE;
	}
	err = size_maps(s);
	if (err) {
		pr_warn("cannot size the BPF maps: %s", strerror(-err));
		goto fail;
	}
	/* Only -a loads every process at its start. */
	if (opts->unwind != PROFD_UNWIND_CFI || opts->filter_pids || opts->filter_tids)
		bpf_program__set_autoload(s->skel->progs.find_processes, false);
	if (opts->unwind != PROFD_UNWIND_CFI) {
		struct bpf_program *m[MAPPING_PROGRAMS];

		/* Their kernel functions need not exist for the other modes. */
		mapping_programs(s->skel, m);
		for (size_t i = 0; i < MAPPING_PROGRAMS; i++)
			bpf_program__set_autoload(m[i], false);
	}
	err = profile_bpf__load(s->skel);
	prof_heap_prefault_done();
	if (types_fd >= 0)
		close(types_fd);
	types_fd = -1;
	if (err) {
		pr_warn("cannot load the BPF programs: %s (run with -v for the verifier log)",
			strerror(-err));
		goto fail;
	}
	err = set_cgroup_filter(s);
	err = err ?: alloc_scratch(s);
	if (err)
		goto fail;
	s->events = ring_buffer__new(bpf_map__fd(s->skel->maps.events), on_ringbuf, s, NULL);
	if (!s->events) {
		err = -errno;
		pr_warn("cannot set up the BPF ring buffer: %s", strerror(-err));
		goto fail;
	}
	return s;
fail:
	prof_heap_prefault_done();
	if (types_fd >= 0)
		close(types_fd);
	return PROFD_NEW_FAILED(prof_sampler__free, s, err);
}

void prof_sampler__free(struct prof_sampler *s)
{
	if (!s)
		return;
	if (s->has_stopper) {
		pthread_cancel(s->stopper);
		pthread_join(s->stopper, NULL);
	}
	for (int i = 0; i < s->nlinks; i++)
		bpf_link__destroy(s->links[i]); /* the link owns and closes its perf event fd */
	free(s->links);
	ring_buffer__free(s->events);
	profile_bpf__destroy(s->skel);
	free(s->batch_values);
	free(s->cpus);
	free(s->stack_pool);
	profd_htab_release(&s->seen);
	free(s->seen_off);
	free(s->seen_len);
	free(s->drop_keys);
	free(s->keys);
	free(s->values);
	free(s->order);
	free(s->kstack_buf);
	free(s);
}

int prof_sampler__add_target(struct prof_sampler *s, pid_t pid)
{
	__u32 key = pid;
	__u8 one = 1;

	if (bpf_map_update_elem(bpf_map__fd(s->skel->maps.targets), &key, &one, BPF_ANY))
		return -errno;
	return 0;
}

int prof_sampler__add_thread(struct prof_sampler *s, pid_t tgid, pid_t tid)
{
	__u32 key = tid;
	__u8 one = 1;
	int err = prof_sampler__add_target(s, tgid);

	if (!err && bpf_map_update_elem(bpf_map__fd(s->skel->maps.threads), &key, &one, BPF_ANY))
		err = -errno;
	return err;
}

static int add_link(struct prof_sampler *s, struct bpf_link *link)
{
	struct bpf_link **l = realloc(s->links, (s->nlinks + 1) * sizeof(*l));

	if (!l) {
		bpf_link__destroy(link);
		return -ENOMEM;
	}
	s->links = l;
	s->links[s->nlinks++] = link;
	return 0;
}

static int attach_tracepoints(struct prof_sampler *s)
{
	struct bpf_program *progs[] = {
		s->skel->progs.on_fork,
		s->skel->progs.on_exec,
		s->skel->progs.on_exit,
		s->opts.unwind == PROFD_UNWIND_CFI ? s->skel->progs.on_free : NULL,
		s->opts.off_cpu ? s->skel->progs.on_switch : NULL,
	};

	for (size_t i = 0; i < sizeof(progs) / sizeof(progs[0]); i++) {
		struct bpf_link *link;
		int err;

		if (!progs[i])
			continue;
		link = bpf_program__attach(progs[i]);
		if (!link) {
			err = -errno;
			pr_warn("cannot attach %s: %s", bpf_program__name(progs[i]), strerror(-err));
			return err;
		}
		err = add_link(s, link);
		if (err)
			return err;
	}
	return 0;
}

/* Runs a task iterator program once over every thread. Returns 0 or -errno. */
static int run_iterator(struct bpf_link *link)
{
	char buf[64];
	ssize_t n;
	int fd = bpf_iter_create(bpf_link__fd(link));

	if (fd < 0)
		return -errno;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		;
	close(fd);
	return n < 0 ? -errno : 0;
}

static struct bpf_link *attach_iterator(struct bpf_program *prog)
{
	struct bpf_link *link = bpf_program__attach_iter(prog, NULL);

	if (!link)
		pr_warn("cannot attach %s: %s", bpf_program__name(prog), strerror(errno));
	return link;
}

/* qsort order of process states: by pid. */
static int by_pid(const void *a, const void *b)
{
	const struct profd_process_state *x = a, *y = b;

	return (x->pid > y->pid) - (x->pid < y->pid);
}

/* Every record of the iterator at fd into *v (*n of them); whole records, however read() cuts. */
static int read_states(int fd, struct profd_process_state **v, size_t *n)
{
	size_t cap = 0, bytes = 0;
	ssize_t got;

	do {
		if (PROFD_ARRAY_RESERVE(*v, cap, bytes / sizeof(**v) + 512, 512))
			return -ENOMEM;
		got = read(fd, (char *)*v + bytes, cap * sizeof(**v) - bytes);
		if (got < 0)
			return -errno;
		bytes += (size_t)got;
	} while (got);
	*n = bytes / sizeof(**v);
	return 0;
}

int prof_sampler__processes(struct prof_sampler *s, struct profd_process_state **out)
{
	struct bpf_link *link = attach_iterator(s->skel->progs.find_processes);
	struct profd_process_state *v = NULL;
	size_t n = 0, kept = 0;
	int fd, err;

	*out = NULL;
	if (!link)
		return -errno;
	fd = bpf_iter_create(bpf_link__fd(link));
	err = fd < 0 ? -errno : read_states(fd, &v, &n);
	if (fd >= 0)
		close(fd);
	bpf_link__destroy(link);
	if (err) {
		free(v);
		return err;
	}
	/* A process comes as its leader and once more per thread running: one entry each. */
	qsort(v, n, sizeof(*v), by_pid);
	for (size_t i = 0; i < n; i++) {
		if (kept && v[kept - 1].pid == v[i].pid)
			v[kept - 1].running |= v[i].running;
		else
			v[kept++] = v[i];
	}
	*out = v;
	return (int)kept;
}

/*
 * Off CPU, once the switch is followed: the threads waiting already, whose wait counts from
 * now; and the drains' cut.
 */
static int start_off_cpu(struct prof_sampler *s)
{
	struct bpf_link *waiting = attach_iterator(s->skel->progs.on_waiting);
	int err;

	if (!waiting)
		return -errno;
	s->skel->bss->begin_ns = profd_mono_ns();
	err = run_iterator(waiting);
	bpf_link__destroy(waiting);
	if (err) {
		pr_warn("cannot look for threads waiting already: %s", strerror(-err));
		return err;
	}
	s->cut = attach_iterator(s->skel->progs.on_cut);
	return s->cut ? add_link(s, s->cut) : -errno;
}

/* The mapping at AT_BASE. */
static int own_loader(struct dl_phdr_info *info, size_t size, void *data)
{
	char *path = data;

	if (info->dlpi_addr != getauxval(AT_BASE) || !info->dlpi_name || !info->dlpi_name[0])
		return 0;
	snprintf(path, PATH_MAX, "%s", info->dlpi_name);
	return 1;
}

int prof_own_loader(char path[PATH_MAX])
{
	path[0] = '\0';
	dl_iterate_phdr(own_loader, path);
	return path[0] ? 0 : -ENOENT;
}

int prof_sampler__start(struct prof_sampler *s)
{
	char loader[PATH_MAX] = "";
	int err = 0;

	err = attach_tracepoints(s);
	if (!err && s->opts.off_cpu)
		err = start_off_cpu(s);
	if (err)
		return err;
	if (s->opts.unwind == PROFD_UNWIND_CFI) {
		err = prof_own_loader(loader) ?: prof_sampler__watch_loader(s, loader);
		if (err)
			pr_warn("cannot watch the dynamic linker %s: %s; libraries loaded after a "
				"process starts are seen late", loader[0] ? loader : "(none)",
				strerror(-err));
	}
	s->first_perf_link = s->nlinks;
	for (int i = 0; i < s->ncpus; i++) {
		struct bpf_link *link;
		int fd = prof_perf_event_open(s->cpus[i], s->opts.freq, &s->software);

		if (fd < 0) {
			err = fd;
			pr_warn("cannot open a perf event on CPU %d: %s", s->cpus[i], strerror(-err));
			break;
		}
		link = bpf_program__attach_perf_event(s->skel->progs.on_sample, fd);
		if (!link) {
			err = -errno;
			close(fd);
			pr_warn("cannot attach to the perf event on CPU %d: %s", s->cpus[i],
				strerror(-err));
			break;
		}
		err = add_link(s, link);
		if (err)
			break;
	}
	return err;
}

/* Sampling stops now: the switch stops counting waits, and the last cut counts up to here. */
static void set_stopped(struct prof_sampler *s, int64_t at_ns)
{
	int64_t none = 0;

	__atomic_compare_exchange_n(&s->stopped_ns, &none, at_ns, false, __ATOMIC_ACQ_REL,
				    __ATOMIC_ACQUIRE);
	__atomic_store_n(&s->skel->bss->stopped, 1, __ATOMIC_RELEASE);
}

static void *stop_when_due(void *arg)
{
	struct prof_sampler *s = arg;

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &s->stop_at, NULL) == EINTR)
		;
	set_stopped(s, (int64_t)s->stop_at.tv_sec * PROFD_NS_PER_S + s->stop_at.tv_nsec);
	return NULL;
}

int prof_sampler__stop_after(struct prof_sampler *s, double seconds)
{
	int64_t at = profd_mono_ns() + (int64_t)(seconds * PROFD_NS_PER_S);
	sigset_t all, old;
	int err;

	s->stop_at = (struct timespec){.tv_sec = at / PROFD_NS_PER_S, .tv_nsec = at % PROFD_NS_PER_S};
	/* Signals stay with the thread that runs the loop. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	err = -pthread_create(&s->stopper, NULL, stop_when_due, s);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	s->has_stopper = !err;
	return err;
}

void prof_sampler__stop(struct prof_sampler *s)
{
	set_stopped(s, profd_mono_ns());
	for (int i = s->first_perf_link; i < s->nlinks; i++)
		bpf_link__destroy(s->links[i]);
	if (s->first_perf_link < s->nlinks)
		s->nlinks = s->first_perf_link;
}

const char *prof_sampler__event_name(const struct prof_sampler *s)
{
	return s->software ? "cpu-clock" : "cycles";
}

uint64_t prof_sampler__bpf_bytes(struct prof_sampler *s)
{
	int64_t now = profd_mono_ns();

	/*
	 * Not at load: reading every map's fdinfo is half a millisecond of start-up. Again now and
	 * then: the maps that are not preallocated (processes, cgroups, mappings, files) grow and
	 * shrink with what runs.
	 */
	if (!s->bpf_bytes || now - s->bpf_bytes_at >= BPF_BYTES_NS) {
		s->bpf_bytes = prof_bpf_map_bytes(s->skel->obj);
		s->bpf_bytes_at = now;
	}
	return s->bpf_bytes;
}

int prof_sampler__max_stack(const struct prof_sampler *s)
{
	return s->opts.max_stack;
}

/*
 * Waits up to timeout_ms for the ring, then reads it until it is empty or the budget is spent:
 * then it stops, or with drop reads on, dropping the stack copies left (counted).
 */
static int read_ring(struct prof_sampler *s, int timeout_ms, int64_t budget_ns, bool drop)
{
	int n;

	/* Stack copies come without a wakeup: with a backlog, waiting would only let it grow. */
	if (s->ring_behind)
		timeout_ms = 0;
	s->ring_deadline_ns = profd_mono_ns() + timeout_ms * 1000000LL + budget_ns;
	s->ring_drop = drop;
	n = ring_buffer__poll(s->events, timeout_ms);
	/* Stack copies and process events come without a wakeup: take whatever came meanwhile. */
	if (n >= 0)
		n = ring_buffer__consume(s->events);
	s->ring_deadline_ns = 0;
	s->ring_behind = n == -ETIME;
	return n == -ETIME || n == -EINTR || n >= 0 ? 0 : n;
}

int prof_sampler__poll(struct prof_sampler *s, int timeout_ms)
{
	return read_ring(s, timeout_ms, POLL_BUDGET_NS, false);
}

void prof_sampler__forget_cgroup(struct prof_sampler *s, uint64_t id)
{
	bpf_map_delete_elem(bpf_map__fd(s->skel->maps.cgroups), &id);
	/* A CPU that announced it last checks the set again. */
	__atomic_add_fetch(&s->skel->bss->cgroups_gen, 1, __ATOMIC_SEQ_CST);
}

int prof_sampler__watch_loader(void *sampler, const char *path)
{
	LIBBPF_OPTS(bpf_uprobe_opts, opts, .func_name = "_dl_debug_state");
	struct prof_sampler *s = sampler;
	struct bpf_link *link;
	struct stat st;

	if (stat(path, &st))
		return -errno;
	for (size_t i = 0; i < s->nloaders; i++)
		if (s->loaders[i].dev == st.st_dev && s->loaders[i].ino == st.st_ino)
			return 0;
	if (s->nloaders == LOADERS_MAX)
		return -ENOSPC;
	link = bpf_program__attach_uprobe_opts(s->skel->progs.on_loader, -1, path, 0, &opts);
	if (!link)
		return -errno;
	s->loaders[s->nloaders].dev = st.st_dev;
	s->loaders[s->nloaders++].ino = st.st_ino;
	pr_debug("watching %s for library changes", path);
	return add_link(s, link);
}

static int scan_process(void *sampler, pid_t pid)
{
	struct prof_sampler *s = sampler;
	struct {
		__s32 pid;
	} args = {pid};
	LIBBPF_OPTS(bpf_test_run_opts, run, .ctx_in = &args, .ctx_size_in = sizeof(args));

	if (bpf_prog_test_run_opts(bpf_program__fd(s->skel->progs.load_process), &run))
		return -errno;
	return (int)run.retval;
}

void prof_sampler__run_stats(const struct prof_sampler *s, uint64_t *runs, uint64_t *ns)
{
	struct bpf_prog_info info = {0};
	__u32 len = sizeof(info);

	*runs = *ns = 0;
	if (bpf_obj_get_info_by_fd(bpf_program__fd(s->skel->progs.on_sample), &info, &len))
		return;
	*runs = info.run_cnt;
	*ns = info.run_time_ns;
}

void prof_sampler__cfi_maps(struct prof_sampler *s, struct prof_cfi_maps *out)
{
	*out = (struct prof_cfi_maps){
		.pool = bpf_map__fd(s->skel->maps.cfi_pool),
		.tables = bpf_map__fd(s->skel->maps.cfi_tables),
		.files = bpf_map__fd(s->skel->maps.cfi_files),
		.announced = bpf_map__fd(s->skel->maps.cfi_announced),
		.pool_slots = (uint32_t)(s->opts.cfi_memory / sizeof(__u64)),
		.barrier = prof_sampler__barrier,
		.scan = scan_process,
		.watch_loader = prof_sampler__watch_loader,
		.ctx = s,
	};
}

/*
 * After the flip, wait until every CPU that was inside on_sample has left it: a CPU whose
 * sequence is odd is inside and may still hold the old buffer index. A program run takes
 * microseconds, so this returns almost at once.
 */
static void wait_for_writers(struct prof_sampler *s)
{
	int fd = bpf_map__fd(s->skel->maps.drain_seq), ncpus = libbpf_num_possible_cpus();
	struct timespec pause = {.tv_nsec = 50 * 1000};
	uint64_t *before, *now;
	__u32 zero = 0;

	if (ncpus <= 0)
		return;
	before = calloc(ncpus, sizeof(*before));
	now = calloc(ncpus, sizeof(*now));
	if (!before || !now || bpf_map_lookup_elem(fd, &zero, before))
		goto out;
	for (int tries = 0; tries < 20000; tries++) {
		bool busy = false;

		if (bpf_map_lookup_elem(fd, &zero, now))
			break;
		for (int c = 0; c < ncpus; c++)
			if ((before[c] & 1) && now[c] == before[c])
				busy = true;
		if (!busy)
			goto out;
		nanosleep(&pause, NULL);
	}
	pr_warn("a CPU stayed inside the sampling program for over a second");
out:
	free(before);
	free(now);
}

void prof_sampler__barrier(void *sampler)
{
	wait_for_writers(sampler);
}

/* Where one stack's PCs sit in stack_pool: an offset, since the pool moves when it grows. */
struct stack_ref {
	size_t off;
	uint32_t len;
};

/* Keeps stack st of this key among the stacks read this drain; its index + 1, or -errno. */
static int64_t keep_stack(struct prof_sampler *s, uint64_t key, const struct profd_stack *st)
{
	uint32_t n = st->len;
	uint64_t i;

	if (s->ndrop == s->stack_entries) /* more keys than the map holds: corrupt */
		return -E2BIG;
	if (n > (uint32_t)s->opts.max_stack)
		n = s->opts.max_stack;
	if (PROFD_ARRAY_RESERVE(s->stack_pool, s->pool_cap, s->pool_len + n, 4096))
		return -ENOMEM;
	memcpy(s->stack_pool + s->pool_len, st->pcs, n * sizeof(uint64_t));
	i = s->ndrop + 1;
	profd_htab_add(&s->seen, key, i); /* reserved for every entry of the map */
	s->seen_off[i - 1] = s->pool_len;
	s->seen_len[i - 1] = n;
	s->pool_len += n;
	s->drop_keys[s->ndrop++] = key;
	return (int64_t)i;
}

/*
 * Reads the drained stacks map whole, STACK_BATCH stacks a system call: one lookup per stack
 * was a tenth of profd's CPU at 999 Hz. A batch the kernel refuses (a bucket fuller than the
 * batch) leaves the rest to read_stack(), one at a time.
 */
static int read_stacks(struct prof_sampler *s, int map_fd)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	size_t size = stack_value_size(s);
	__u32 batch = 0, n;
	bool first = true;
	int err;

	for (;;) {
		n = STACK_BATCH;
		err = bpf_map_lookup_batch(map_fd, first ? NULL : &batch, &batch, s->batch_keys,
					   s->batch_values, &n, &opts);
		if (err)
			err = -errno;
		first = false;
		for (__u32 i = 0; i < n; i++) {
			const void *st = (const char *)s->batch_values + i * size;
			int64_t kept;

			if (profd_htab_get(&s->seen, s->batch_keys[i]))
				continue;
			kept = keep_stack(s, s->batch_keys[i], st);
			if (kept < 0)
				return (int)kept;
		}
		if (err)
			return err == -ENOENT ? 0 : err;
	}
}

/* The stack with this key from the drained stacks map, read once per drain. */
static int read_stack(struct prof_sampler *s, int map_fd, uint64_t key, struct stack_ref *ref)
{
	int64_t i = (int64_t)profd_htab_get(&s->seen, key);

	if (!i) {
		/* The batch buffer's first value: no batch is in flight now. */
		if (bpf_map_lookup_elem(map_fd, &key, s->batch_values))
			return -errno;
		i = keep_stack(s, key, s->batch_values);
		if (i < 0)
			return (int)i;
	}
	ref->off = s->seen_off[i - 1];
	ref->len = s->seen_len[i - 1];
	return 0;
}

static const uint64_t *pool_at(const struct prof_sampler *s, const struct stack_ref *ref)
{
	return ref->len ? s->stack_pool + ref->off : NULL;
}

/* Reads and deletes every entry of a counts map of this many entries; returns how many. */
static int take_counts(struct prof_sampler *s, int fd, uint32_t entries)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	__u32 total = 0, batch = 0, n;
	bool first = true;
	int err;

	for (;;) {
		n = entries - total;
		if (!n)
			break;
		err = bpf_map_lookup_and_delete_batch(fd, first ? NULL : &batch, &batch,
						      s->keys + total, s->values + total, &n,
						      &opts);
		first = false;
		if (err && errno != ENOENT)
			return -errno;
		total += n;
		if (err) /* ENOENT: no more entries */
			break;
	}
	return total;
}

/*
 * Deletes every stack of the drained buffer: those read, then those left behind (kernel stacks
 * of samples sent with a stack copy, stacks of samples dropped for a full counts map), each in
 * one batch. The leftovers' keys are listed first: restarting the walk from the first key after
 * each single delete took time quadratic in their number, seconds under a high rate.
 */
static void clear_stacks(struct prof_sampler *s, int fd)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	uint64_t *prev = NULL;
	__u32 n = s->ndrop;

	if (n && bpf_map_delete_batch(fd, s->drop_keys, &n, &opts))
		pr_debug("deleting %u stacks: %s", s->ndrop, strerror(errno));
	n = 0;
	while (n < s->stack_entries && !bpf_map_get_next_key(fd, prev, &s->drop_keys[n])) {
		prev = &s->drop_keys[n];
		n++;
	}
	s->ndrop = n;
	if (n && bpf_map_delete_batch(fd, s->drop_keys, &n, &opts))
		pr_debug("deleting %u stacks left behind: %s", s->ndrop, strerror(errno));
	profd_htab_clear(&s->seen);
	s->ndrop = 0;
	s->pool_len = 0;
}

/* qsort_r order of key indexes: by process name, then pid. */
static int by_program(const void *a, const void *b, void *keys)
{
	const struct profd_sample_key *ka = keys, *kb = keys;
	int c;

	ka += *(const uint32_t *)a;
	kb += *(const uint32_t *)b;
	c = strncmp(ka->comm, kb->comm, PROFD_COMM_LEN);
	return c ? c : (ka->pid > kb->pid) - (ka->pid < kb->pid);
}

/*
 * Hands the n entries taken from a counts map to fn, with their stacks: grouped by process
 * name and pid, so each program's symbols are loaded once a drain. In the map's hash order,
 * a machine whose programs' DWARF outgrows the symbolizer's cache read it again for nearly
 * every entry, and one drain took minutes.
 */
static int deliver(struct prof_sampler *s, int stacks_fd, int n, bool off_cpu,
		   int (*fn)(const struct prof_raw_sample *rs, void *ctx), void *ctx)
{
	int err = 0;

	for (int i = 0; i < n; i++)
		s->order[i] = (uint32_t)i;
	qsort_r(s->order, (size_t)n, sizeof(*s->order), by_program, s->keys);
	for (int i = 0; i < n && !err; i++) {
		const struct profd_sample_key *k = &s->keys[s->order[i]];
		struct prof_raw_sample rs = {
			.pid = k->pid,
			.tid = k->tid,
			.cgroup = k->cgroup,
			.ustack_err = k->user_err,
			.kstack_err = k->kernel_err,
			.count = s->values[s->order[i]],
			.off_cpu = off_cpu,
		};
		struct stack_ref user = {0}, kernel = {0};

		memcpy(rs.comm, k->comm, PROFD_COMM_LEN);
		rs.comm[PROFD_COMM_LEN] = '\0';
		if (k->user_stack) /* a read error replaces the walk's PROFD_WALK_* bits */
			rs.ustack_err = read_stack(s, stacks_fd, k->user_stack, &user) ?: k->user_err;
		if (k->kernel_stack)
			rs.kstack_err = read_stack(s, stacks_fd, k->kernel_stack, &kernel);
		/* Only now: the second read may have moved the pool under the first's pointer. */
		rs.ustack = pool_at(s, &user);
		rs.nustack = user.len;
		rs.kstack = pool_at(s, &kernel);
		rs.nkstack = kernel.len;
		err = fn(&rs, ctx);
	}
	return err;
}

/*
 * Off CPU, after the flip: waits going on are counted up to the cut, and their stacks carried
 * to the new buffer. Then no CPU may still be carrying stacks out of the old one.
 */
static void cut_waits(struct prof_sampler *s)
{
	int err = run_iterator(s->cut);

	if (err)
		pr_warn_once("cannot count the waits going on at a drain: %s", strerror(-err));
	wait_for_writers(s);
}

/* Takes a counts map of the drained buffer and hands its entries to fn. Returns how many. */
static int take_and_deliver(struct prof_sampler *s, struct bpf_map *counts, uint32_t entries,
			    int stacks_fd, bool off_cpu,
			    int (*fn)(const struct prof_raw_sample *rs, void *ctx), void *ctx)
{
	int n = take_counts(s, bpf_map__fd(counts), entries), err;

	if (n < 0) {
		pr_warn("cannot read the %s map: %s", bpf_map__name(counts), strerror(-n));
		return n;
	}
	err = deliver(s, stacks_fd, n, off_cpu, fn, ctx);
	return err < 0 ? err : n;
}

int prof_sampler__drain(struct prof_sampler *s,
			int (*fn)(const struct prof_raw_sample *rs, void *ctx), void *ctx)
{
	struct profile_bpf *skel = s->skel;
	__u32 old = skel->bss->buf_gen & 1;
	int64_t stopped = __atomic_load_n(&s->stopped_ns, __ATOMIC_ACQUIRE);
	int stacks_fd, n, m = 0;

	/* Waits count up to the flip, or to the stop: nothing after it is sampled. */
	skel->bss->cut_ns = stopped ? stopped : profd_mono_ns();
	skel->bss->buf_gen++;
	__sync_synchronize();
	wait_for_writers(s);
	if (s->cut)
		cut_waits(s);
	/* Stack copies of the old buffer are all in the ring now; their kernel stacks are read
	 * before the buffer is cleared. */
	if (copies_stacks(s))
		read_ring(s, 0, DRAIN_BUDGET_NS, true);

	stacks_fd = bpf_map__fd(old ? skel->maps.stacks1 : skel->maps.stacks0);
	n = read_stacks(s, stacks_fd);
	if (n < 0)
		pr_debug("reading the stacks in batches: %s; one at a time then", strerror(-n));
	n = take_and_deliver(s, old ? skel->maps.counts1 : skel->maps.counts0, s->counts_entries,
			     stacks_fd, false, fn, ctx);
	if (n >= 0 && s->opts.off_cpu)
		m = take_and_deliver(s, old ? skel->maps.offcpu1 : skel->maps.offcpu0,
				     s->offcpu_entries, stacks_fd, true, fn, ctx);
	clear_stacks(s, stacks_fd);
	return n < 0 ? n : m < 0 ? m : n + m;
}

/* Adds counter i of every CPU to out[i], for i in [from, to). */
static void sum_counters(const struct prof_sampler *s, __u32 from, __u32 to, uint64_t *out)
{
	int fd = bpf_map__fd(s->skel->maps.counters), ncpus = libbpf_num_possible_cpus();
	uint64_t *vals;

	if (ncpus <= 0)
		return;
	vals = calloc(ncpus, sizeof(*vals));
	if (!vals)
		return;
	for (__u32 i = from; i < to; i++) {
		if (bpf_map_lookup_elem(fd, &i, vals))
			continue;
		for (int c = 0; c < ncpus; c++)
			out[i] += vals[c];
	}
	free(vals);
}

void prof_sampler__counters(const struct prof_sampler *s, uint64_t out[PROFD_CNT_MAX])
{
	memset(out, 0, PROFD_CNT_MAX * sizeof(uint64_t));
	sum_counters(s, 0, PROFD_CNT_MAX, out);
	out[PROFD_CNT_RINGBUF_FULL] += s->ring_skipped;
}

uint64_t prof_sampler__counter(const struct prof_sampler *s, enum profd_counter i)
{
	uint64_t out[PROFD_CNT_MAX] = {0};

	sum_counters(s, i, i + 1, out);
	return out[i] + (i == PROFD_CNT_RINGBUF_FULL ? s->ring_skipped : 0);
}
