// SPDX-License-Identifier: MIT
/*
 * The sampling session: BPF sampling, the symbolizer and the page for one run, and the drain
 * loop that turns what the kernel aggregated into one symbolized profile per period. Both
 * sampling commands run it; their options choose what to sample and for how long, their hooks
 * what happens to each period's profile.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "common/clock.h"
#include "common/log.h"
#include "common/new.h"
#include "profiler/sampling_internal.h"
#include "profiler/session_internal.h"
#include "store/store.h"

#define POLL_MS 100
#define LIVE_S 600 /* what the page can pick ranges from: the last 10 minutes */
/*
 * And at most this many bytes of windows, by live.c's estimate: beside 800 short processes a
 * minute they took 1.15 MB a minute, so the 10 minutes fit; a busier machine keeps a shorter
 * past rather than more memory (the bound was 256 MiB, the agent unit's whole MemoryMax).
 */
#define LIVE_BUDGET ((size_t)16 << 20)
/* Free heap kept between drains: what one drain at 999 Hz takes as scratch, about. */
#define DRAIN_SCRATCH_BYTES (2 << 20)

struct prof_session {
	struct prof_session_opts o;
	struct prof_collector c;
	bool sampling; /* c is set up */
	struct prof_command cmd;
	struct prof_live *live; /* with a page: the windows go here */
	struct web_server *server;
	struct fmt_profile *total[FMT_TYPE_WALL]; /* keep_profile without a page: CPU, off CPU */
	int64_t start_mono, start_ns;
	double live_to; /* seconds since the start the page has windows up to */
	double elapsed_s;
	struct prof_session_stats last; /* kept when sampling stops */
	uint64_t bpf_bytes;		/* of the loaded maps; 0 once freed (atomic: the page reads it) */
};

static double since_start(const struct prof_session *s)
{
	return (profd_mono_ns() - s->start_mono) / 1e9;
}

static int64_t period_ns(const struct prof_session *s)
{
	return PROFD_NS_PER_S / s->o.freq;
}

/* Samples that are not in the profile (a sample that lost a stack is). */
static uint64_t lost_samples(const uint64_t *cnt)
{
	return cnt[PROFD_CNT_COUNTS_FULL] + cnt[PROFD_CNT_RINGBUF_FULL];
}

/*
 * libbpf explains its failures at length; we report them in one line and keep its text for -v.
 * Its debug messages (every relocation: a thousand lines, 3 ms of each start) wait for -vv.
 */
static int libbpf_log(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	enum profd_log_level need = level == LIBBPF_DEBUG ? PROFD_LOG_TRACE : PROFD_LOG_DEBUG;

	if (profd_log_get_level() >= need)
		profd_vlog(need, fmt, ap);
	return 0;
}

/*
 * A sampling frequency the kernel takes: freq, or kernel.perf_event_max_sample_rate with a
 * warning naming opt ("-F") when freq is above it.
 */
static int clamp_freq(const char *opt, long freq)
{
	int max = prof_max_sample_rate();

	if (max > 0 && freq > max) {
		pr_warn("%s %ld: above kernel.perf_event_max_sample_rate; sampling at %d Hz", opt,
			freq, max);
		return max;
	}
	return (int)freq;
}

/* "cfi", "fp" or "copy", and the older names "auto" (cfi) and "dwarf" (copy) (--unwind). */
static bool parse_unwind(const char *s, enum profd_unwind *out)
{
	static const struct {
		const char *name;
		enum profd_unwind mode;
	} names[] = {
		{"cfi", PROFD_UNWIND_CFI},
		{"fp", PROFD_UNWIND_FP},
		{"copy", PROFD_UNWIND_COPY},
		/* What 0.x called its modes: "auto" picked the best per process, "dwarf" copied. */
		{"auto", PROFD_UNWIND_CFI},
		{"dwarf", PROFD_UNWIND_COPY},
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!strcmp(s, names[i].name)) {
			*out = names[i].mode;
			return true;
		}
	}
	return false;
}

/* --unwind-memory: "64M", "1G" or bytes, from 1M to 4G. */
static bool parse_unwind_memory(const char *s, size_t *out)
{
	uint64_t v;

	if (store_parse_size(s, &v) || v < PROF_CFI_MEMORY_MIN || v > PROF_CFI_MEMORY_MAX)
		return false;
	*out = (size_t)v;
	return true;
}

bool prof_sampling_option(const char *cmd, struct prof_sampling_opts *o, int opt, const char *arg,
			  int *code)
{
	int *cpus = NULL, offline = -1, n;
	long v;

	*code = 0;
	switch (opt) {
	case 'F':
		if (!prof_parse_long(arg, 1, 1000000000, &v))
			*code = prof_usage(cmd, "-F %s: expected a frequency in Hz above 0", arg);
		else
			o->freq = clamp_freq("-F", v);
		return true;
	case 'C':
		n = prof_sampled_cpus(arg, &cpus, &offline);
		if (n == -EINVAL)
			*code = prof_usage(cmd, "-C %s: expected a CPU list such as 0-3,6", arg);
		else if (n == -ENODEV)
			*code = prof_usage(cmd, "-C %s: CPU %d is not online", arg, offline);
		else if (n < 0)
			*code = prof_usage(cmd, "-C %s: %s", arg, strerror(-n));
		else
			o->cpus = arg;
		free(cpus);
		return true;
	case PROF_OPT_CGROUP:
		if (!*arg)
			*code = prof_usage(cmd, "--cgroup: expected a cgroup path");
		else
			o->cgroup = arg;
		return true;
	case PROF_OPT_UNWIND:
		if (!parse_unwind(arg, &o->unwind))
			*code = prof_usage(cmd, "--unwind %s: expected cfi, fp or copy", arg);
		return true;
	case PROF_OPT_UNWIND_MEMORY:
		if (!parse_unwind_memory(arg, &o->cfi_memory))
			*code = prof_usage(cmd, "--unwind-memory %s: expected 1M..4G", arg);
		return true;
	case PROF_OPT_MIN_BLOCK:
		if (!prof_parse_long(arg, 0, 3600L * 1000000, &v))
			*code = prof_usage(cmd, "--min-block %s: expected microseconds, 0..3600000000",
					   arg);
		else
			o->min_block_us = v;
		return true;
	default:
		return false;
	}
}

void prof_sampling_apply(const struct prof_sampling_opts *o, struct prof_session_opts *so)
{
	so->freq = o->freq;
	so->cgroup = o->cgroup;
	so->cpus = o->cpus;
	so->unwind = o->unwind;
	so->cfi_memory = o->cfi_memory;
	so->min_block_us = o->min_block_us < 0 ? PROF_DEFAULT_MIN_BLOCK_US : (unsigned)o->min_block_us;
}

/* ---- the page ---- */

static void live_info(struct prof_session *s, struct prof_live_info *info, const char *mode)
{
	memset(info, 0, sizeof(*info));
	info->mode = mode;
	info->off_cpu = s->o.off_cpu;
	snprintf(info->event, sizeof(info->event), "%s", prof_sampler__event_name(s->c.sampler));
	info->freq = s->o.freq;
	info->start_ns = s->start_ns;
	info->lost = lost_samples(s->c.counters);
	info->processes = s->c.processes;
}

/* /metrics of a page whose command serves none of its own: what profd holds. */
static int footprint_metrics(void *ctx, struct profd_strbuf *sb)
{
	struct prof_session *s = ctx;
	struct prof_footprint fp;
	int err = prof_footprint__read(&fp, __atomic_load_n(&s->bpf_bytes, __ATOMIC_RELAXED));

	return err ?: prof_footprint__metrics(&fp, sb);
}

static int start_page(struct prof_session *s)
{
	struct web_source src;
	/* A drain gives a CPU window, and with off_cpu an off-CPU one. */
	unsigned windows = LIVE_S * 1000 / s->o.drain_ms * (s->o.off_cpu ? 2 : 1);

	if (!s->o.hooks.web.metrics) {
		s->o.hooks.web.metrics = footprint_metrics;
		s->o.hooks.web.ctx = s;
	}

	s->live = prof_live__new(period_ns(s), windows ? windows : 1, s->o.drain_ms / 1000.0,
				 LIVE_BUDGET);
	if (!s->live)
		return -errno;
	prof_live__source(s->live, &s->o.hooks.web, &src);
	s->server = prof_http_serve(s->o.http, &src);
	return s->server ? 0 : -errno;
}

/* ---- sampling ---- */

static int add_targets(struct prof_session *s)
{
	const struct prof_session_opts *o = &s->o;
	int err;

	for (int i = 0; i < o->npids; i++) {
		err = prof_collector__add_target(&s->c, o->pids[i]);
		if (err) {
			pr_warn("pid %d: cannot add target: %s", o->pids[i], strerror(-err));
			return err;
		}
	}
	for (int i = 0; i < o->ntids; i++) {
		pid_t tgid = prof_thread_group(o->tids[i]);

		err = tgid < 0 ? tgid : prof_collector__add_thread(&s->c, tgid, o->tids[i]);
		if (err) {
			pr_warn("thread %d: cannot add target: %s", o->tids[i], strerror(-err));
			return err;
		}
	}
	if (!o->argv)
		return 0;
	err = prof_command__spawn(&s->cmd, o->argv);
	if (!err)
		prof_collector__prepare_command(&s->c, o->argv[0]);
	/*
	 * Only the BPF target, no maps snapshot: until it execs, the child is a copy of profd, and
	 * BPF reports an exec only for a process it has sampled. Its first sample announces it and
	 * the snapshot is taken then, of the command.
	 */
	return err ?: prof_sampler__add_target(s->c.sampler, s->cmd.pid);
}

static int start_sampling(struct prof_session *s)
{
	const struct prof_session_opts *o = &s->o;
	struct prof_collector_opts co = {
		.freq = o->freq,
		.all = o->all,
		.threads = o->ntids > 0,
		.window_ms = o->drain_ms,
		.lines = o->lines,
		.unwind = o->unwind,
		.stack_size = o->stack_size ? o->stack_size : PROFD_STACK_SIZE_DEFAULT,
		.cgroup = o->cgroup,
		.cpus = o->cpus,
		.off_cpu = o->off_cpu,
		.min_block_ns = (uint64_t)o->min_block_us * 1000,
		.cfi_memory = o->cfi_memory,
		/*
		 * A profile that is only written at the end is named then. Off CPU needs names at
		 * once, to tell the tracing frames; so do hooks and the page.
		 */
		.names_late = o->keep_profile && !s->live && !o->off_cpu && !o->hooks.on_drain &&
			      !o->filter,
		.stops = prof_signals_count,
	};
	double start_cpu_ms;
	int err;

	co.max_stack = prof_max_stack_raise(o->max_stack);
	if (co.max_stack < 0)
		return co.max_stack;
	err = prof_collector__init(&s->c, &co);
	if (err)
		return err;
	s->sampling = true;
	if (o->keep_profile && !s->live) {
		s->total[FMT_TYPE_CPU] = fmt_profile__new(period_ns(s));
		if (o->off_cpu)
			s->total[FMT_TYPE_OFF_CPU] = fmt_profile__new_type(FMT_TYPE_OFF_CPU, 0);
		if (!s->total[FMT_TYPE_CPU] || (o->off_cpu && !s->total[FMT_TYPE_OFF_CPU]))
			return -ENOMEM;
		if (co.names_late)
			s->c.late_profile = s->total[FMT_TYPE_CPU];
	}
	s->start_ns = profd_wall_ns();
	s->start_mono = profd_mono_ns();
	err = add_targets(s);
	err = err ?: prof_collector__start(&s->c);
	/* What start-up cost: from here on, samples are taken. */
	start_cpu_ms = prof_cpu_ms();
	/* Again: the run's time (-d, drains, windows) starts with sampling, and with -a and
	 * --unwind cfi the collector's start loads every process's tables first, seconds on a busy
	 * machine. */
	s->start_ns = profd_wall_ns();
	s->start_mono = profd_mono_ns();
	err = err ?: prof_command__go(&s->cmd);
	/* On time even while a backlog keeps the drain loop busy. */
	if (!err && o->duration_s > 0)
		err = prof_sampler__stop_after(s->c.sampler, o->duration_s);
	if (err)
		return err;
	__atomic_store_n(&s->bpf_bytes, prof_collector__bpf_bytes(&s->c), __ATOMIC_RELAXED);
	/* Loading BPF and reading /proc freed more than sampling will reuse. */
	prof_trim_heap();
	pr_debug("sampling %s at %d Hz%s, after %.0f ms of CPU",
		 prof_sampler__event_name(s->c.sampler), o->freq,
		 o->off_cpu ? ", and time off CPU" : "", start_cpu_ms);
	if (o->unwind == PROFD_UNWIND_COPY)
		pr_debug("user stacks: --unwind copy, %u-byte stack copies", co.stack_size);
	return 0;
}

struct prof_session *prof_session__start(const struct prof_session_opts *o)
{
	struct prof_session *s = calloc(1, sizeof(*s));
	int err;

	if (!s)
		return NULL;
	s->o = *o;
	if (!s->o.drain_ms)
		s->o.drain_ms = 1000;
	s->cmd.go_fd = -1;
	prof_bound_heap();
	libbpf_set_print(libbpf_log);
	err = prof_check_privileges();
	if (!err) {
		prof_signals_catch();
		if (o->http && o->http->listen)
			err = start_page(s);
	}
	err = err ?: start_sampling(s);
	return err ? PROFD_NEW_FAILED(prof_session__free, s, err) : s;
}

/* ---- the drain loop ---- */

/* Only the samples f matches, into a new profile in place of *p. */
static int filter(struct fmt_profile **p, const struct fmt_filter *f)
{
	struct fmt_profile *kept = fmt_profile__new_type((*p)->type, (*p)->period_ns);
	int err = kept ? fmt_profile__merge(kept, *p, f) : -ENOMEM;

	fmt_profile__free(*p);
	*p = kept;
	return err;
}

/* One drained piece (CPU or off CPU) to the hooks and the page or the whole run's profile. */
static int deliver(struct prof_session *s, struct fmt_profile *piece, double to)
{
	struct prof_live_info info;
	int err = 0;

	if (s->o.filter)
		err = filter(&piece, s->o.filter);
	if (!err && s->o.hooks.on_drain)
		err = s->o.hooks.on_drain(s->o.hooks.ctx, piece);
	if (!err && s->live) {
		live_info(s, &info, "live");
		err = prof_live__publish(s->live, piece, s->live_to, to, &info, false);
		piece = NULL; /* taken, even on failure */
	} else if (!err && s->total[piece->type]) {
		err = fmt_profile__merge(s->total[piece->type], piece, NULL);
	}
	fmt_profile__free(piece);
	return err;
}

static int drain(struct prof_session *s)
{
	/* Named at the end: samples go straight to the run's profile, where the names will go. */
	bool direct = s->c.opts.names_late;
	struct fmt_profile *piece = direct ? NULL : fmt_profile__new(period_ns(s)), *off = NULL;
	double to = since_start(s);
	int err = piece || direct ? 0 : -ENOMEM;

	if (!err && s->o.off_cpu && !(off = fmt_profile__new_type(FMT_TYPE_OFF_CPU, 0)))
		err = -ENOMEM;
	err = err ?: prof_collector__drain(&s->c, direct ? s->total[FMT_TYPE_CPU] : piece, off);
	if (!err && piece) {
		err = deliver(s, piece, to);
		piece = NULL;
	}
	if (!err && off) {
		err = deliver(s, off, to);
		off = NULL;
	}
	s->live_to = to;
	fmt_profile__free(piece);
	fmt_profile__free(off);
	if (err)
		pr_warn("cannot collect samples: %s", strerror(-err));
	if (s->c.resolver) {
		sym_resolver__drop_pages(s->c.resolver);
		sym_resolver__forget_idle(s->c.resolver);
	}
	/*
	 * Symbolizing the window freed its scratch (and evicted or forgot files): hand it back
	 * once it is more than the next drain takes again (at 999 Hz, trimming at every drain
	 * made its page faults 6 % of profd's CPU).
	 */
	prof_trim_heap_over(DRAIN_SCRATCH_BYTES);
	/* The table memory grows as tables need it. */
	__atomic_store_n(&s->bpf_bytes, prof_collector__bpf_bytes(&s->c), __ATOMIC_RELAXED);
	return err;
}

static void print_status(struct prof_session *s)
{
	uint64_t cnt[PROFD_CNT_MAX];

	prof_sampler__counters(s->c.sampler, cnt);
	fprintf(stderr, "\r\033[Kprofd: %.0fs  %llu samples  %zu processes  %llu lost",
		since_start(s), (unsigned long long)cnt[PROFD_CNT_SAMPLES], s->c.processes,
		(unsigned long long)lost_samples(cnt));
}

/* Whether the run is over: its time is up, or what it samples is gone. */
static bool done(struct prof_session *s, int64_t now)
{
	const struct prof_session_opts *o = &s->o;

	if (o->duration_s > 0 && (now - s->start_mono) / 1e9 >= o->duration_s)
		return true;
	if (s->cmd.pid > 0 && prof_command__exited(&s->cmd))
		return true;
	if (!o->until_targets_exit || (!o->npids && !o->ntids))
		return false;
	for (int i = 0; i < o->npids; i++)
		if (prof_process_alive(o->pids[i]))
			return false;
	for (int i = 0; i < o->ntids; i++)
		if (prof_thread_group(o->tids[i]) > 0)
			return false;
	return true;
}

/* Drains every drain_ms, and calls on_period every period_ms, until done or an error. */
static void loop(struct prof_session *s)
{
	const struct prof_session_hooks *h = &s->o.hooks;
	int64_t drain_ns = s->o.drain_ms * 1000000LL, period = h->period_ms * 1000000LL;
	int64_t next_drain = s->start_mono + drain_ns, next_period = s->start_mono + period;
	int64_t next_status = s->start_mono + PROFD_NS_PER_S;
	bool tty = s->o.status_line && isatty(STDERR_FILENO);

	while (!prof_signals_caught()) {
		int64_t t = profd_mono_ns();
		bool period_over = period && h->on_period && t >= next_period;

		if (done(s, t))
			break;
		/* A period ends with a drain, so it holds what was sampled during its span. */
		if (t >= next_drain || period_over) {
			if (drain(s))
				break;
			next_drain += drain_ns;
			if (next_drain < t)
				next_drain = t + drain_ns; /* fell behind: no burst of drains */
		}
		if (period_over) {
			if (h->on_period(h->ctx))
				break;
			next_period = profd_mono_ns() + period;
		}
		if (tty && t >= next_status) {
			print_status(s);
			next_status += PROFD_NS_PER_S;
		}
		prof_collector__poll(&s->c, POLL_MS);
	}
	if (tty)
		fputs("\r\033[K", stderr);
}

int prof_session__run(struct prof_session *s)
{
	struct prof_live_info info;
	int err;

	loop(s);
	/* Stopped first: under overload, sampling on while draining would never let the run end. */
	prof_collector__stop(&s->c);
	/* Two drains: the first takes the live buffer, the second what landed during the first. */
	err = drain(s);
	err = err ?: drain(s);
	s->elapsed_s = since_start(s);
	if (s->o.duration_s > 0 && s->elapsed_s > s->o.duration_s)
		s->elapsed_s = s->o.duration_s; /* sampling stopped then; the rest was draining */
	if (!err && s->live) {
		live_info(s, &info, "stopped");
		err = prof_live__publish(s->live, NULL, 0, 0, &info, true);
	}
	if (prof_signals_caught())
		pr_debug("stopped by signal %d", prof_signals_caught());
	return err;
}

/* ---- after the run ---- */

static const struct fmt_profile *whole(const struct prof_session *s, enum fmt_type type)
{
	return s->live ? prof_live__peek(s->live, type) : s->total[type];
}

void prof_session__stats(const struct prof_session *s, struct prof_session_stats *out)
{
	const struct prof_collector *c = &s->c;
	const struct fmt_profile *p = whole(s, FMT_TYPE_CPU), *off = whole(s, FMT_TYPE_OFF_CPU);
	struct prof_unwind_counts uc;

	if (!s->sampling) {
		*out = s->last;
		return;
	}
	memset(out, 0, sizeof(*out));
	out->event = prof_sampler__event_name(c->sampler);
	out->max_stack = prof_sampler__max_stack(c->sampler);
	out->start_ns = s->start_ns;
	out->elapsed_s = s->elapsed_s ? s->elapsed_s : since_start(s);
	memcpy(out->counters, c->counters, sizeof(out->counters));
	out->lost = lost_samples(c->counters);
	out->processes = c->processes;
	out->nexits = c->nexits;
	for (size_t i = 0; i < c->nexits && i < PROF_SESSION_EXITS && i < PROF_EXITS_KEPT; i++) {
		out->exits[i].pid = c->exits[i].pid;
		memcpy(out->exits[i].comm, c->exits[i].comm, sizeof(out->exits[i].comm));
	}
	if (p) {
		out->samples_kept = p->total;
		out->loss = p->loss;
	}
	if (off)
		out->off_cpu_us = off->total;
	if (c->unwind) {
		prof_unwind__counts(c->unwind, &uc);
		out->unwind_cut = uc.stops[SYM_UNWIND_TRUNCATED];
	}
	sym_resolver__stats(c->resolver, &out->symbolizer);
	prof_footprint__read(&out->footprint, s->bpf_bytes);
}

void prof_session__unwind_summary(const struct prof_session *s, struct profd_strbuf *sb)
{
	if (s->sampling)
		prof_collector__unwind_summary(&s->c, sb);
}

bool prof_session__symbols_hint(const struct prof_session *s, struct profd_strbuf *sb)
{
	return s->sampling && prof_unnamed__hint(prof_stacks__unnamed(s->c.stacks), sb);
}

int prof_session__end_command(struct prof_session *s)
{
	return prof_command__end(&s->cmd);
}

/* What symbolization cost, for -v: the caches are bounded, this says how full they got. */
static void log_symbolizer(const struct sym_stats *st)
{
	pr_debug("symbolizer: %zu files with symbols, %zu with DWARF (%zu KiB), %zu KiB cached in "
		 "all; %llu hits, %llu misses, %llu loads, %llu DWARF loads, %llu evictions, "
		 "%llu debuginfod fetches",
		 st->files, st->debug_files, st->debug_bytes >> 10, st->cache_bytes >> 10,
		 (unsigned long long)st->hits, (unsigned long long)st->misses,
		 (unsigned long long)st->loads, (unsigned long long)st->debug_loads,
		 (unsigned long long)st->evictions, (unsigned long long)st->debuginfod_fetches);
}

void prof_session__name_late(struct prof_session *s)
{
	int err;

	if (!s->sampling || !s->total[FMT_TYPE_CPU])
		return;
	err = prof_stacks__name_late(s->c.stacks, s->total[FMT_TYPE_CPU]);
	if (err)
		pr_warn("some frames left unnamed: %s", strerror(-err));
}

void prof_session__stop_sampling(struct prof_session *s)
{
	if (s->sampling) {
		/* Before the symbolizer goes, with every drain in. */
		prof_session__name_late(s);
		prof_session__stats(s, &s->last);
		log_symbolizer(&s->last.symbolizer);
		/* The kernel refuses (EBUSY) to change the sysctl while a stack map exists. */
		prof_collector__fini(&s->c);
		__atomic_store_n(&s->bpf_bytes, 0, __ATOMIC_RELAXED);
		s->sampling = false;
	}
	prof_max_stack_restore();
}

void prof_session__linger(struct prof_session *s)
{
	if (!s->server)
		return;
	pr_info("sampling stopped; still serving the profile, Ctrl-C to quit");
	prof_signals_wait();
}

/* The whole run's profile of a type (CPU or off CPU), now the caller's; NULL if none. */
static struct fmt_profile *take(struct prof_session *s, enum fmt_type type)
{
	struct fmt_profile *p = s->live ? prof_live__steal(s->live, type) : s->total[type];

	if (!s->live)
		s->total[type] = NULL;
	return p;
}

/* Both kinds of time in one wall profile. */
static struct fmt_profile *take_wall(struct prof_session *s)
{
	struct fmt_profile *cpu = take(s, FMT_TYPE_CPU), *off = take(s, FMT_TYPE_OFF_CPU);
	struct fmt_profile *wall = fmt_profile__new_type(FMT_TYPE_WALL, 0);
	int err = wall ? 0 : -ENOMEM;

	if (!err && cpu)
		err = fmt_profile__merge(wall, cpu, NULL);
	if (!err && off)
		err = fmt_profile__merge(wall, off, NULL);
	fmt_profile__free(cpu);
	fmt_profile__free(off);
	return err ? PROFD_NEW_FAILED(fmt_profile__free, wall, err) : wall;
}

struct fmt_profile *prof_session__profile(struct prof_session *s, enum fmt_type type)
{
	struct fmt_profile *p;

	web_server__stop(s->server);
	s->server = NULL;
	p = type == FMT_TYPE_WALL ? take_wall(s) : take(s, type);
	if (p) {
		p->time_ns = s->start_ns;
		p->duration_ns = (int64_t)(s->elapsed_s * 1e9);
	}
	return p;
}

void prof_session__free(struct prof_session *s)
{
	struct prof_footprint fp;

	if (!s)
		return;
	prof_command__kill(&s->cmd);
	prof_session__stop_sampling(s);
	web_server__stop(s->server);
	/* At the very end, so the peak includes writing the output. */
	if (!prof_footprint__read(&fp, s->last.footprint.bpf_bytes))
		prof_footprint__log(&fp);
	prof_live__free(s->live);
	for (int t = 0; t < FMT_TYPE_WALL; t++)
		fmt_profile__free(s->total[t]);
	free(s);
}
