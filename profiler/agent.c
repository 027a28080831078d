// SPDX-License-Identifier: MIT
/*
 * `profd agent`: samples the machine (or some processes) without end, cuts the samples into
 * windows of --window seconds, and writes each window, symbolized, to the store.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/signalfd.h>

#include "common/log.h"
#include "common/strbuf.h"
#include "profiler/profiler.h"
#include "profiler/push_internal.h"
#include "profiler/store_internal.h"
#include "web/web.h"

#define AGENT_DEFAULT_FREQ 19
#define AGENT_DEFAULT_WINDOW_S 60
#define AGENT_DRAIN_MS 1000 /* at most this long between drains, so the BPF maps stay small */
#define AGENT_POLL_MS 100
#define AGENT_LIVE_S 600 /* what the --http page can pick ranges from */

struct agent_opts {
	const char *store;
	int freq;
	unsigned window_s;
	int64_t max_age_ns;
	uint64_t max_bytes;
	pid_t *pids;
	int npids;
	const char *comm;
	struct prof_http_opts http;
	const char *push_url;
	const char *labels;
	uint64_t spool_bytes; /* 0: the default */
	enum profd_unwind unwind;
	size_t cfi_memory; /* 0: the default */
};

struct agent {
	const struct agent_opts *o;
	struct prof_collector c;
	struct prof_store *store;
	struct prof_push *push; /* NULL without --push */
	struct fmt_filter filter;
	struct fmt_profile *window;
	int64_t window_start_ns;   /* wall clock: names the file */
	int64_t window_start_mono; /* monotonic: decides when it is over */
	int64_t start_mono;
	int64_t start_ns; /* wall clock of the start, for the live page */
	struct prof_live *live;
	struct web_server *server;
	double live_last; /* seconds since the start the live page has windows up to */
	int sigfd;
	struct web_source live_src; /* what the page reads; the agent adds /metrics around it */
	/* What /metrics reports: a copy the loop refreshes, so server threads never touch the
	 * collector or the store. */
	pthread_mutex_t lock;
	struct agent_health {
		uint64_t counters[PROFD_CNT_MAX];
		struct prof_store_stats store;
		struct sym_stats sym;
		size_t processes;
		int64_t window_samples; /* in the window being filled */
	} health;
};

static const char agent_usage[] =
    "Usage: profd agent [--store DIR] [-F HZ] [--window SECONDS] [--retention-age DURATION]\n"
    "                   [--retention-size BYTES] [-p PID[,PID...] | --comm NAME]\n"
    "                   [--http [ADDR:]PORT]\n"
    "                   [--push URL [--labels K=V,...] [--spool-size BYTES]]\n"
    "\n"
    "Samples the whole machine until SIGINT or SIGTERM and keeps a history on disk: one\n"
    "zstd-compressed pprof file per window, written atomically. Read it with profd query.\n"
    "\n"
    "  --store DIR              history folder (default " PROF_STORE_DEFAULT_DIR ")\n"
    "  -F, --freq HZ            samples per second per CPU (default 19)\n"
    "  --window SECONDS         length of one window (default 60)\n"
    "  --retention-age D        remove windows older than D (30m, 12h, 7d; default: keep)\n"
    "  --retention-size BYTES   keep the store under this size, oldest windows go first\n"
    "                           (512M, 2G; default: no limit)\n"
    "  -p, --pid PID[,PID...]   only these processes and what they fork\n"
    "  --comm NAME              only processes with this name\n"
    "  --http [ADDR:]PORT       also serve a live flame graph page and /metrics\n"
    "                           (Prometheus text; ADDR default 127.0.0.1)\n"
    "  --push URL               send each window to Grafana Pyroscope's ingest API\n"
    "                           (http://HOST:4040), from a queue that never blocks sampling\n"
    "  --labels K=V,...         extra Pyroscope labels besides hostname\n"
    "  --spool-size BYTES       while the backend is down, windows wait in DIR/spool,\n"
    "                           at most this much, the oldest dropped first; sent\n"
    "                           oldest first when it answers, also after a restart\n"
    "                           (default 64M)\n"
    "  --unwind MODE            user stacks: cfi (default: walked in the kernel with\n"
    "                           tables from .eh_frame), fp or copy, as for profd -p\n"
    "  --unwind-memory SIZE     kernel memory for cfi tables (default 32M)\n"
    "  -v, --verbose            debug messages\n";

static int64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* SIGINT and SIGTERM are read from a descriptor between polls: no handler, no race. */
static int open_sigfd(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	if (sigprocmask(SIG_BLOCK, &set, NULL))
		return -errno;
	return signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
}

static bool stop_requested(struct agent *a)
{
	struct signalfd_siginfo si;

	return read(a->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si);
}

static void refresh_health(struct agent *a)
{
	struct agent_health h;

	memcpy(h.counters, a->c.counters, sizeof(h.counters));
	prof_store__stats(a->store, &h.store);
	sym_resolver__stats(a->c.resolver, &h.sym);
	h.processes = a->c.processes;
	h.window_samples = a->window ? a->window->total : 0;
	pthread_mutex_lock(&a->lock);
	a->health = h;
	pthread_mutex_unlock(&a->lock);
}

/* Windows tile time: the next starts where the last ended (start_ns), 0 for the first. */
static int new_window(struct agent *a, int64_t start_ns)
{
	a->window = fmt_profile__new(1000000000LL / a->o->freq);
	if (!a->window)
		return -ENOMEM;
	a->window_start_ns = start_ns ? start_ns : prof_realtime_ns();
	a->window_start_mono = mono_ns();
	return 0;
}

/* Writes the current window. A failed write is logged and counted by the store, and survived. */
static int64_t write_window(struct agent *a)
{
	int64_t end = prof_realtime_ns();

	if (end <= a->window_start_ns)
		end = a->window_start_ns + 1; /* the wall clock stepped back */
	a->window->time_ns = a->window_start_ns;
	a->window->duration_ns = end - a->window_start_ns;
	prof_store__write(a->store, a->window, a->window_start_ns, end);
	if (a->push && prof_push__window(a->push, a->window, a->window_start_ns, end))
		pr_warn_once("push: cannot encode a window");
	return end;
}

static int close_window(struct agent *a)
{
	int64_t end = write_window(a);
	int err;

	fmt_profile__free(a->window);
	a->window = NULL;
	err = new_window(a, end);
	refresh_health(a);
	return err;
}

static void publish_live(struct agent *a, struct fmt_profile *piece)
{
	struct prof_live_info info = {.mode = "live", .freq = a->o->freq};
	double now = (mono_ns() - a->start_mono) / 1e9;

	snprintf(info.event, sizeof(info.event), "%s", prof_sampler__event_name(a->c.sampler));
	info.start_ns = a->start_ns;
	info.processes = a->c.processes;
	if (prof_live__publish(a->live, piece, a->live_last, now, &info, false))
		pr_warn_once("http: cannot publish the live profile");
	a->live_last = now;
}

/* Drains what BPF aggregated since the last drain into the current window. */
static int drain(struct agent *a)
{
	struct fmt_profile *raw = fmt_profile__new(a->window->period_ns), *piece = NULL;
	int err = raw ? prof_collector__drain(&a->c, raw) : -ENOMEM;

	if (!err) {
		piece = fmt_profile__new(a->window->period_ns);
		err = piece ? fmt_profile__merge(piece, raw, &a->filter) : -ENOMEM;
	}
	fmt_profile__free(raw);
	if (!err)
		err = fmt_profile__merge(a->window, piece, NULL);
	if (!err && a->live) {
		publish_live(a, piece); /* takes piece */
		piece = NULL;
	}
	fmt_profile__free(piece);
	if (err)
		pr_warn("agent: cannot collect samples: %s", strerror(-err));
	refresh_health(a);
	return err;
}

static void run_loop(struct agent *a)
{
	int64_t window_ns = (int64_t)a->o->window_s * 1000000000;
	int64_t drain_ns =
	    window_ns < AGENT_DRAIN_MS * 1000000LL ? window_ns : AGENT_DRAIN_MS * 1000000LL;
	int64_t next_drain = mono_ns() + drain_ns;

	while (!stop_requested(a)) {
		int64_t t = mono_ns();
		bool window_over = t - a->window_start_mono >= window_ns;

		/* A window ends with a drain, so it holds what was sampled during its span. */
		if (t >= next_drain || window_over) {
			if (drain(a))
				return;
			next_drain += drain_ns;
			if (next_drain < t)
				next_drain =
				    t + drain_ns; /* we fell behind: do not drain in a burst */
		}
		if (window_over && close_window(a))
			return;
		prof_collector__poll(&a->c, AGENT_POLL_MS);
	}
}

static int start(struct agent *a)
{
	const struct agent_opts *o = a->o;
	struct prof_collector_opts co = {
	    .freq = o->freq,
	    .all = o->npids == 0,
	    .window_ms = o->window_s * 1000 < AGENT_DRAIN_MS ? o->window_s * 1000 : AGENT_DRAIN_MS,
	    .unwind = o->unwind,
	    .stack_size = PROFD_STACK_SIZE_DEFAULT,
	    .cfi_memory = o->cfi_memory,
	};
	int err;

	co.max_stack = prof_max_stack_raise(PROFD_DEFAULT_MAX_STACK);
	if (co.max_stack < 0)
		return co.max_stack;
	err = prof_collector__init(&a->c, &co);
	if (err)
		return err;
	for (int i = 0; i < o->npids; i++) {
		err = prof_collector__add_target(&a->c, o->pids[i]);
		if (err) {
			pr_warn("pid %d: cannot add target: %s", o->pids[i], strerror(-err));
			return err;
		}
	}
	err = new_window(a, 0);
	if (!err)
		err = prof_collector__start(&a->c);
	return err;
}

/* The page's callbacks, forwarded to the live profile; /metrics answered from the agent. */
static int agent_collect(void *ctx, const struct web_range *range, const struct fmt_filter *f,
			 struct fmt_profile *dst)
{
	struct agent *a = ctx;

	return a->live_src.collect(a->live_src.ctx, range, f, dst);
}

static int agent_status(void *ctx, struct web_status *st)
{
	struct agent *a = ctx;

	return a->live_src.status(a->live_src.ctx, st);
}

static int agent_targets(void *ctx, struct web_target **out, size_t *n)
{
	struct agent *a = ctx;

	return a->live_src.targets(a->live_src.ctx, out, n);
}

/*
 * Wall-clock ranges are read from the store folder as profd query reads it: a read-only scan per
 * request, so server threads share nothing with the loop that writes and prunes. One read at a
 * time: memory stays at one merged profile and one decoded window, however long the range.
 */
static pthread_mutex_t store_read_lock = PTHREAD_MUTEX_INITIALIZER;

static int agent_store_collect(void *ctx, int64_t from_ns, int64_t to_ns,
			       const struct fmt_filter *f, struct fmt_profile *dst)
{
	struct agent *a = ctx;
	struct prof_store_opts so = {.dir = a->o->store};
	struct prof_store *s;
	int n;

	pthread_mutex_lock(&store_read_lock);
	s = prof_store__open(&so);
	n = s ? prof_store__query(s, from_ns, to_ns, f, dst) : -errno;
	prof_store__free(s);
	pthread_mutex_unlock(&store_read_lock);
	return n;
}

static int agent_store_info(void *ctx, struct web_store_info *out)
{
	struct agent *a = ctx;
	struct prof_store_opts so = {.dir = a->o->store};
	struct prof_store_span span;
	struct prof_store_stats st;
	struct prof_store *s;
	int err = 0;

	pthread_mutex_lock(&store_read_lock);
	s = prof_store__open(&so);
	if (s) {
		prof_store__span(s, &span);
		prof_store__stats(s, &st);
		prof_store__free(s);
	} else {
		err = -errno;
	}
	pthread_mutex_unlock(&store_read_lock);
	if (err)
		return err;
	*out = (struct web_store_info){
	    .windows = span.windows,
	    .bytes = st.bytes,
	    .first_ns = span.first_ns,
	    .last_ns = span.last_ns,
	    .covered_ns = span.covered_ns,
	};
	return 0;
}

static long rss_bytes(void)
{
	long pages = 0, resident = 0;
	FILE *f = fopen("/proc/self/statm", "re");

	if (!f)
		return 0;
	if (fscanf(f, "%ld %ld", &pages, &resident) != 2)
		resident = 0;
	fclose(f);
	return resident * sysconf(_SC_PAGESIZE);
}

/* One metric: "# HELP", "# TYPE" and a sample line without labels. */
static int metric(struct profd_strbuf *sb, const char *name, const char *type, const char *help,
		  unsigned long long v)
{
	return profd_strbuf_printf(sb, "# HELP %s %s\n# TYPE %s %s\n%s %llu\n", name, help, name,
				   type, name, v);
}

/* How the in-kernel walker fared: stacks walked, whole, and why the others are not. */
static int walk_metrics(struct profd_strbuf *sb, const uint64_t *cnt)
{
	static const struct {
		int cnt;
		const char *reason;
	} why[] = {
	    {PROFD_CNT_CFI_NO_PROCESS, "process_not_loaded"},
	    {PROFD_CNT_CFI_NO_TABLE, "file_without_table"},
	    {PROFD_CNT_CFI_UNSUPPORTED, "cfi_not_expressible"},
	    {PROFD_CNT_CFI_STOP_READ, "stack_unreadable"},
	    {PROFD_CNT_CFI_STOP_FP, "frame_pointer_led_nowhere"},
	    {PROFD_CNT_CFI_STOP_LOOP, "stack_pointer_stuck"},
	    {PROFD_CNT_CFI_STOP_ERROR, "bad_table"},
	};
	int err;

	err = metric(sb, "profd_user_stacks_walked_total", "counter",
		     "User stacks walked in the kernel with unwind tables.",
		     cnt[PROFD_CNT_CFI_WALKED]);
	err = err ?: metric(sb, "profd_user_stacks_whole_total", "counter",
			    "Of those, walked to the outermost frame.", cnt[PROFD_CNT_CFI_WHOLE]);
	err = err ?: profd_strbuf_puts(sb, "# HELP profd_user_stacks_partial_total User stacks taken "
					   "by frame pointers, partly guessed or cut short, by reason.\n"
					   "# TYPE profd_user_stacks_partial_total counter\n");
	for (size_t i = 0; !err && i < sizeof(why) / sizeof(why[0]); i++)
		err = profd_strbuf_printf(sb, "profd_user_stacks_partial_total{reason=\"%s\"} %llu\n",
					  why[i].reason, (unsigned long long)cnt[why[i].cnt]);
	return err;
}

static int agent_metrics(void *ctx, struct profd_strbuf *sb)
{
	static const struct {
		int cnt;
		const char *reason;
	} lost[] = {
	    {PROFD_CNT_COUNTS_FULL, "counts_map_full"},
	    {PROFD_CNT_RINGBUF_FULL, "ringbuf_full"},
	    {PROFD_CNT_USTACK_FULL, "user_stack_map_full"},
	    {PROFD_CNT_KSTACK_FULL, "kernel_stack_map_full"},
	    {PROFD_CNT_USTACK_FAULT, "user_stack_unreadable"},
	};
	struct agent *a = ctx;
	struct agent_health h;
	int err;

	pthread_mutex_lock(&a->lock);
	h = a->health;
	pthread_mutex_unlock(&a->lock);
	err = metric(sb, "profd_samples_total", "counter", "Samples taken on every CPU.",
		     h.counters[PROFD_CNT_SAMPLES]);
	err = err
		  ?: profd_strbuf_puts(
			 sb, "# HELP profd_lost_total Samples or stacks lost, by reason.\n"
			     "# TYPE profd_lost_total counter\n");
	for (size_t i = 0; !err && i < sizeof(lost) / sizeof(lost[0]); i++)
		err = profd_strbuf_printf(sb, "profd_lost_total{reason=\"%s\"} %llu\n",
					  lost[i].reason,
					  (unsigned long long)h.counters[lost[i].cnt]);
	err = err
		  ?: metric(sb, "profd_process_events_lost_total", "counter",
			    "Process events dropped (ring buffer or maps full).",
			    h.counters[PROFD_CNT_EVENTS_LOST] + h.counters[PROFD_CNT_SEEN_FULL] +
				h.counters[PROFD_CNT_TARGETS_FULL]);
	err = err ?: walk_metrics(sb, h.counters);
	err = err
		  ?: metric(sb, "profd_processes_seen", "gauge", "Processes announced so far.",
			    h.processes);
	err = err
		  ?: metric(sb, "profd_windows_written_total", "counter",
			    "Windows written to the store.", h.store.windows_written);
	err = err
		  ?: metric(sb, "profd_window_write_failures_total", "counter",
			    "Windows the store could not write.", h.store.write_failures);
	err =
	    err ?: metric(sb, "profd_store_files", "gauge", "Windows in the store.", h.store.files);
	err = err
		  ?: metric(sb, "profd_store_bytes", "gauge", "Bytes of windows in the store.",
			    h.store.bytes);
	err = err
		  ?: metric(sb, "profd_store_removed_total", "counter",
			    "Windows removed by retention.", h.store.removed);
	err = err
		  ?: metric(sb, "profd_store_damaged_total", "counter",
			    "Damaged window files found and skipped.", h.store.damaged);
	err = err
		  ?: metric(sb, "profd_symbolizer_cache_bytes", "gauge",
			    "Memory held by the symbolizer caches.", h.sym.cache_bytes);
	err = err
		  ?: metric(sb, "profd_symbolizer_cache_files", "gauge",
			    "Files with a cached symbol table.", h.sym.files);
	err = err
		  ?: metric(sb, "profd_symbolizer_hits_total", "counter",
			    "Address lookups answered from memory.", h.sym.hits);
	err = err
		  ?: metric(sb, "profd_symbolizer_misses_total", "counter",
			    "Address lookups that read a file or /proc first.", h.sym.misses);
	if (a->push) {
		struct prof_push_stats ps;

		prof_push__stats(a->push, &ps);
		err = err
			  ?: metric(sb, "profd_push_sent_total", "counter",
				    "Windows the push backend accepted.", ps.sent);
		err = err
			  ?: metric(sb, "profd_push_failures_total", "counter",
				    "Push attempts that failed (each retried).", ps.failures);
		err = err
			  ?: metric(sb, "profd_push_dropped_total", "counter",
				    "Windows dropped unsent: the push queue or spool was full.",
				    ps.dropped)
			  ?: metric(sb, "profd_push_rejected_total", "counter",
				    "Windows the backend refused with a 4xx status: not retried.",
				    ps.rejected);
		err = err
			  ?: metric(sb, "profd_push_queued", "gauge",
				    "Windows waiting to be pushed.", ps.queued);
		err = err
			  ?: metric(sb, "profd_push_spool_files", "gauge",
				    "Windows in the push spool on disk.", ps.spool_files);
		err = err
			  ?: metric(sb, "profd_push_spool_bytes", "gauge",
				    "Bytes of windows in the push spool on disk.", ps.spool_bytes);
		err = err
			  ?: metric(sb, "profd_push_spool_damaged_total", "counter",
				    "Damaged spool files skipped and removed.", ps.spool_damaged);
	}
	err = err
		  ?: metric(sb, "profd_resident_memory_bytes", "gauge",
			    "Resident set size of the agent.", (unsigned long long)rss_bytes());
	return err;
}

static int start_http(struct agent *a)
{
	unsigned ring = AGENT_LIVE_S * 1000 / (a->c.opts.window_ms ? a->c.opts.window_ms : 1000);
	struct web_source src = {
	    .ctx = a,
	    .collect = agent_collect,
	    .status = agent_status,
	    .targets = agent_targets,
	    .metrics = agent_metrics,
	    .collect_wall = agent_store_collect,
	    .store_info = agent_store_info,
	};

	a->live = prof_live__new(1000000000LL / a->o->freq, ring, a->c.opts.window_ms / 1000.0);
	if (!a->live)
		return -errno;
	prof_live__source(a->live, &a->live_src);
	refresh_health(a);
	a->server = prof_http_serve(&a->o->http, &src);
	return a->server ? 0 : -errno;
}

/* --push, with its spool inside the store folder. */
static int start_push(struct agent *a)
{
	struct prof_push_opts po = {
	    .url = a->o->push_url,
	    .labels = a->o->labels,
	    .freq = a->o->freq,
	    .spool_bytes = a->o->spool_bytes,
	};
	char *dir = NULL;

	if (asprintf(&dir, "%s/" PROF_PUSH_SPOOL_DIR, a->o->store) < 0)
		return -ENOMEM;
	po.spool_dir = dir;
	a->push = prof_push__new(&po);
	free(dir);
	return a->push ? 0 : -errno;
}

static int agent_run(const struct agent_opts *o)
{
	struct prof_store_opts so = {
	    .dir = o->store,
	    .writable = true,
	    .max_age_ns = o->max_age_ns,
	    .max_bytes = o->max_bytes,
	};
	struct agent a = {
	    .o = o,
	    .filter = {.comm = o->comm},
	    .sigfd = -1,
	    .lock = PTHREAD_MUTEX_INITIALIZER,
	};
	struct prof_store_stats st;
	struct profd_strbuf sb = {0};
	int code = PROFD_EXIT_FAILURE;

	if (prof_check_privileges())
		return PROFD_EXIT_FAILURE;
	a.store = prof_store__open(&so);
	if (!a.store)
		return PROFD_EXIT_FAILURE;
	/* Before any thread starts, so that every thread has the signals blocked. */
	a.sigfd = open_sigfd();
	if (a.sigfd < 0) {
		pr_warn("agent: cannot take signals: %s", strerror(-a.sigfd));
		goto out;
	}
	if (o->push_url && start_push(&a))
		goto out;
	a.start_mono = mono_ns();
	a.start_ns = prof_realtime_ns();
	if (start(&a))
		goto fini;
	if (o->http.listen && start_http(&a))
		goto fini;
	prof_store__stats(a.store, &st);
	pr_info("agent: sampling %s at %d Hz, %u s windows into %s (%zu windows there)",
		o->npids ? "the given processes" : "every process", o->freq, o->window_s, o->store,
		st.files);

	run_loop(&a);
	/* Two drains: the first takes the live buffer, the second what landed during the first. */
	if (!drain(&a) && !drain(&a)) {
		write_window(&a);
		code = PROFD_EXIT_OK;
	}
	prof_store__stats(a.store, &st);
	pr_info("agent: %llu windows written, %llu failed, %zu in the store (%llu bytes)",
		(unsigned long long)st.windows_written, (unsigned long long)st.write_failures,
		st.files, (unsigned long long)st.bytes);
	prof_collector__unwind_summary(&a.c, &sb);
	if (sb.buf) /* it starts with "; " or ", " */
		pr_info("agent:%s", sb.buf + 1);
	profd_strbuf_release(&sb);
fini:
	if (a.server)
		web_server__stop(a.server);
	prof_live__free(a.live);
	prof_collector__fini(&a.c);
	prof_max_stack_restore();
	fmt_profile__free(a.window);
out:
	prof_push__free(a.push); /* sends what is queued while the backend answers, or spools it */
	if (a.sigfd >= 0)
		close(a.sigfd);
	prof_store__free(a.store);
	return code;
}

static int usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int usage(const char *fmt, ...)
{
	va_list ap;

	fputs("profd: agent: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs(" (see profd agent --help)\n", stderr);
	return PROFD_EXIT_USAGE;
}

enum {
	OPT_STORE = 600,
	OPT_WINDOW,
	OPT_RET_AGE,
	OPT_RET_SIZE,
	OPT_COMM,
	OPT_PUSH,
	OPT_LABELS,
	OPT_SPOOL_SIZE,
	OPT_UNWIND,
	OPT_UNWIND_MEMORY,
};

static int parse_option(struct agent_opts *o, int opt, const char *arg)
{
	int64_t ns;
	long v;

	switch (opt) {
	case OPT_STORE:
		o->store = arg;
		return 0;
	case 'F':
		if (!prof_parse_long(arg, 1, 100000, &v))
			return usage("-F %s: expected a frequency in Hz above 0", arg);
		o->freq = (int)v;
		return 0;
	case OPT_WINDOW:
		if (!prof_parse_long(arg, 1, 86400, &v))
			return usage("--window %s: expected 1..86400 seconds", arg);
		o->window_s = (unsigned)v;
		return 0;
	case OPT_RET_AGE:
		if (prof_parse_duration(arg, &ns) || ns <= 0)
			return usage("--retention-age %s: expected a duration like 30m, 12h or 7d",
				     arg);
		o->max_age_ns = ns;
		return 0;
	case OPT_RET_SIZE:
		if (prof_parse_size(arg, &o->max_bytes) || !o->max_bytes)
			return usage("--retention-size %s: expected bytes like 100000, 512M or 2G",
				     arg);
		return 0;
	case 'p':
		if (prof_parse_pid_list(arg, &o->pids, &o->npids))
			return usage("-p %s: expected PID[,PID...]", arg);
		return 0;
	case OPT_COMM:
		o->comm = arg;
		return 0;
	case OPT_PUSH:
		o->push_url = arg;
		return 0;
	case OPT_LABELS:
		o->labels = arg;
		return 0;
	case OPT_UNWIND:
		if (!prof_parse_unwind(arg, &o->unwind))
			return usage("--unwind %s: expected cfi, fp or copy", arg);
		return 0;
	case OPT_UNWIND_MEMORY:
		if (!prof_parse_unwind_memory(arg, &o->cfi_memory))
			return usage("--unwind-memory %s: expected 1M..4G", arg);
		return 0;
	case OPT_SPOOL_SIZE:
		if (prof_parse_size(arg, &o->spool_bytes) || !o->spool_bytes)
			return usage("--spool-size %s: expected bytes like 500K, 64M or 1G", arg);
		return 0;
	case 'v':
		profd_log_set_level(PROFD_LOG_DEBUG);
		return 0;
	case PROF_OPT_HTTP:
	case PROF_OPT_HTTP_HOST:
	case PROF_OPT_HTTP_PUBLIC:
		return prof_http_option(&o->http, opt, arg) < 0 ? PROFD_EXIT_USAGE : 0;
	default:
		return usage("%s", "unknown option or missing value");
	}
}

int prof_agent_main(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"store", required_argument, NULL, OPT_STORE},
	    {"freq", required_argument, NULL, 'F'},
	    {"window", required_argument, NULL, OPT_WINDOW},
	    {"retention-age", required_argument, NULL, OPT_RET_AGE},
	    {"retention-size", required_argument, NULL, OPT_RET_SIZE},
	    {"pid", required_argument, NULL, 'p'},
	    {"comm", required_argument, NULL, OPT_COMM},
	    {"push", required_argument, NULL, OPT_PUSH},
	    {"labels", required_argument, NULL, OPT_LABELS},
	    {"spool-size", required_argument, NULL, OPT_SPOOL_SIZE},
	    {"unwind", required_argument, NULL, OPT_UNWIND},
	    {"unwind-memory", required_argument, NULL, OPT_UNWIND_MEMORY},
	    {"http", required_argument, NULL, PROF_OPT_HTTP},
	    {"http-host", required_argument, NULL, PROF_OPT_HTTP_HOST},
	    {"http-public", no_argument, NULL, PROF_OPT_HTTP_PUBLIC},
	    {"verbose", no_argument, NULL, 'v'},
	    {"help", no_argument, NULL, 'h'},
	    {},
	};
	struct agent_opts o = {
	    .store = PROF_STORE_DEFAULT_DIR,
	    .freq = AGENT_DEFAULT_FREQ,
	    .window_s = AGENT_DEFAULT_WINDOW_S,
	};
	int opt, code = 0;

	optind = 1;
	opterr = 0;
	while (!code && (opt = getopt_long(argc, argv, "F:p:vh", longopts, NULL)) != -1) {
		if (opt == 'h') {
			fputs(agent_usage, stdout);
			goto out;
		}
		code = parse_option(&o, opt, optarg);
	}
	if (!code && optind < argc)
		code = usage("unexpected argument %s", argv[optind]);
	if (!code && o.npids && o.comm)
		code = usage("%s", "-p and --comm exclude each other");
	if (!code && o.labels && !o.push_url)
		code = usage("%s", "--labels needs --push");
	if (!code && o.spool_bytes && !o.push_url)
		code = usage("%s", "--spool-size needs --push");
	if (!code && prof_http_check(&o.http))
		code = PROFD_EXIT_USAGE;
	if (!code)
		code = agent_run(&o);
out:
	free(o.pids);
	free(o.http.hosts);
	return code;
}
