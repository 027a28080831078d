// SPDX-License-Identifier: MIT
/*
 * `profd agent`: samples the machine (or some processes) without end in one session, cuts the
 * samples into windows of --window seconds, writes each window, symbolized, to the history on
 * disk and hands it to --push; serves the live page, the history and /metrics with --http.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/log.h"
#include "common/strbuf.h"
#include "profiler/session_internal.h"
#include "store/store.h"

#define AGENT_DEFAULT_FREQ 19
#define AGENT_DEFAULT_WINDOW_S 60
#define AGENT_DRAIN_MS 1000 /* at most this long between drains, so the BPF maps stay small */

struct agent_opts {
	const char *store;
	struct prof_sampling_opts sampling; /* -F, --cgroup, --unwind, --unwind-memory, --min-block */
	unsigned window_s;
	int64_t max_age_ns;
	uint64_t max_bytes;
	pid_t *pids;
	int npids;
	const char *comm;
	struct prof_http_opts http;
	const char *push_url;
	const char *push_ca;
	const char *push_auth_file;
	const char **push_headers;
	size_t npush_headers;
	const char *labels;
	uint64_t spool_bytes; /* 0: the default */
	struct fmt_name_opts names; /* --full-names: of the windows pushed */
	bool off_cpu;		    /* time off CPU, a second window of each span */
};

#define OFF_CPU_SPOOL_DIR "spool-off-cpu" /* beside STORE_PUSH_SPOOL_DIR */

/* What /metrics reports: a copy taken after each drain, so server threads share nothing else. */
struct agent_health {
	struct prof_session_stats session;
	struct store_history_stats store;
};

struct agent {
	const struct agent_opts *o;
	struct prof_session *session;
	struct store_history *history;
	struct store_push *push; /* NULL without --push */
	struct store_push *push_off_cpu; /* with --push and --off-cpu: the off-CPU windows */
	struct fmt_filter filter; /* --comm */
	struct fmt_profile *window;
	struct fmt_profile *off_cpu; /* with --off-cpu: the window's time off CPU */
	int64_t window_start_ns; /* wall clock: names the file */
	pthread_mutex_t lock;
	struct agent_health health; /* under lock */
};

static const char agent_usage[] =
    "Usage: profd agent [--store DIR] [-F HZ] [--window SECONDS] [--retention-age DURATION]\n"
    "                   [--retention-size BYTES] [-p PID[,PID...] | --comm NAME]\n"
    "                   [--cgroup PATH]\n"
    "                   [--http [ADDR:]PORT]\n"
    "                   [--push URL [--labels K=V,...] [--spool-size BYTES] [--full-names]\n"
    "                    [--push-ca FILE] [--push-auth-file FILE] [--push-header H]...]\n"
    "\n"
    "Samples the whole machine until SIGINT or SIGTERM and keeps a history on disk: one\n"
    "zstd-compressed pprof file per window, written atomically. Read it with profd query.\n"
    "\n"
    "  --store DIR              history folder (default " STORE_DEFAULT_DIR ")\n"
    "  -F, --freq HZ            samples per second per CPU (default 19)\n"
    "  -C, --cpu LIST           sample only these CPUs (0-3,6); default: all\n"
    "  --window SECONDS         length of one window (default 60)\n"
    "  --retention-age D        remove windows older than D (30m, 12h, 7d; default: keep)\n"
    "  --retention-size BYTES   keep the store under this size, oldest windows go first\n"
    "                           (512M, 2G; default: no limit)\n"
    "  -p, --pid PID[,PID...]   only these processes and what they fork\n"
    "  --comm NAME              only processes with this name\n"
    "  --cgroup PATH            only tasks in this cgroup v2 or below it\n"
    "                           (/system.slice/nginx.service), filtered in the kernel\n"
    "  --http [ADDR:]PORT       also serve a live flame graph page and /metrics\n"
    "                           (Prometheus text; ADDR default 127.0.0.1)\n"
    "  --push URL               send each window to Grafana Pyroscope's ingest API\n"
    "                           (http[s]://[USER:PASSWORD@]HOST:4040), a series per\n"
    "                           service (unit, container, else program), from a queue\n"
    "                           that never blocks sampling; proxies from the environment\n"
    "  --push-ca FILE           trust these CAs for https (default: the system's)\n"
    "  --push-auth-file FILE    basic auth from FILE's first line, USER:PASSWORD\n"
    "  --push-header 'N: V'     send this header too (repeatable; X-Scope-OrgID: TENANT)\n"
    "  --labels K=V,...         extra Pyroscope labels besides hostname\n"
    "  --spool-size BYTES       while the backend is down, windows wait in DIR/spool,\n"
    "                           at most this much, the oldest dropped first; sent\n"
    "                           oldest first when it answers, also after a restart\n"
    "                           (default 64M)\n"
    "  --full-names             whole function names in the windows pushed: C++ return\n"
    "                           types and parameter lists, no length cap (the store\n"
    "                           keeps both; see profd query --full-names)\n"
    "  --unwind MODE            user stacks: cfi (default: walked in the kernel with\n"
    "                           tables from .eh_frame), fp or copy, as for profd -p\n"
    "  --unwind-memory SIZE     kernel memory for cfi tables (default 32M)\n"
    "  --off-cpu                also the time threads wait off CPU, per stack: a second\n"
    "                           window of each span in the store (.off-cpu.pb.zst), on\n"
    "                           the page, and pushed (SERVICE.off_cpu)\n"
    "  --min-block USEC         with --off-cpu: leave out shorter waits (default 1)\n"
    "  --http-host NAME         also accept this name in the Host header (repeatable)\n"
    "  --http-public            allow --http on a non-loopback address\n"
    "  -v, --verbose            debug messages\n"
    "  -h, --help               this text\n"
    "  -V, --version            print the version\n";

/* ---- windows ---- */

static void refresh_health(struct agent *a)
{
	struct agent_health h;

	prof_session__stats(a->session, &h.session);
	store_history__stats(a->history, &h.store);
	pthread_mutex_lock(&a->lock);
	a->health = h;
	pthread_mutex_unlock(&a->lock);
}

/* Windows tile time: the next starts where the last ended. */
static int new_window(struct agent *a, int64_t start_ns)
{
	a->window = fmt_profile__new(PROFD_NS_PER_S / a->o->sampling.freq);
	if (!a->window)
		return -ENOMEM;
	if (a->o->off_cpu && !(a->off_cpu = fmt_profile__new_type(FMT_TYPE_OFF_CPU, 0)))
		return -ENOMEM;
	a->window_start_ns = start_ns;
	return 0;
}

static void free_window(struct agent *a)
{
	fmt_profile__free(a->window);
	fmt_profile__free(a->off_cpu);
	a->window = a->off_cpu = NULL;
}

/* One kind of window to the store and to its push. */
static void write_kind(struct agent *a, struct fmt_profile *w, struct store_push *push,
		       int64_t end)
{
	w->time_ns = a->window_start_ns;
	w->duration_ns = end - a->window_start_ns;
	store_history__write(a->history, w, a->window_start_ns, end);
	if (push && store_push__window(push, w, a->window_start_ns, end))
		pr_warn_once("push: cannot encode a window");
}

/* Writes the current window. A failed write is logged and counted by the store, and survived. */
static int64_t write_window(struct agent *a)
{
	int64_t end = profd_wall_ns();

	if (end <= a->window_start_ns)
		end = a->window_start_ns + 1; /* the wall clock stepped back */
	write_kind(a, a->window, a->push, end);
	if (a->off_cpu)
		write_kind(a, a->off_cpu, a->push_off_cpu, end);
	return end;
}

/* Every drain: what was sampled since the last one joins the window of its kind. */
static int on_drain(void *ctx, const struct fmt_profile *piece)
{
	struct agent *a = ctx;
	struct fmt_profile *w = piece->type == FMT_TYPE_OFF_CPU ? a->off_cpu : a->window;
	int err = w ? fmt_profile__merge(w, piece, NULL) : 0;

	refresh_health(a);
	return err;
}

/* Every --window seconds, right after a drain: the window is over. */
static int on_window_end(void *ctx)
{
	struct agent *a = ctx;
	int64_t end = write_window(a);
	int err;

	free_window(a);
	err = new_window(a, end);
	refresh_health(a);
	return err;
}

/* ---- the page: the history on disk and /metrics ---- */

/*
 * Wall-clock ranges are read from the store folder as profd query reads it: a read-only scan per
 * request, so server threads share nothing with the loop that writes and prunes. One read at a
 * time: memory stays at one merged profile and one decoded window, however long the range.
 */
static pthread_mutex_t store_read_lock = PTHREAD_MUTEX_INITIALIZER;

static int page_collect(void *ctx, int64_t from_ns, int64_t to_ns, const struct fmt_filter *f,
			struct fmt_profile *dst)
{
	struct agent *a = ctx;
	struct store_history_opts so = {.dir = a->o->store};
	struct store_history *h;
	int n;

	pthread_mutex_lock(&store_read_lock);
	h = store_history__open(&so);
	n = h ? store_history__query(h, from_ns, to_ns, f, dst) : -errno;
	store_history__free(h);
	pthread_mutex_unlock(&store_read_lock);
	return n;
}

static int page_store_info(void *ctx, struct web_store_info *out)
{
	struct agent *a = ctx;
	struct store_history_opts so = {.dir = a->o->store};
	struct store_history_span span;
	struct store_history_stats st;
	struct store_history *h;

	pthread_mutex_lock(&store_read_lock);
	h = store_history__open(&so);
	if (h) {
		store_history__span(h, &span);
		store_history__stats(h, &st);
		store_history__free(h);
	}
	pthread_mutex_unlock(&store_read_lock);
	if (!h)
		return -errno;
	*out = (struct web_store_info){
		.windows = span.windows,
		.bytes = st.bytes,
		.first_ns = span.first_ns,
		.last_ns = span.last_ns,
		.covered_ns = span.covered_ns,
	};
	return 0;
}

struct metric {
	const char *name, *type, *help;
	unsigned long long value;
};

/* One metric: "# HELP", "# TYPE" and a sample line without labels. */
static int put_metric(struct profd_strbuf *sb, const struct metric *m)
{
	return profd_strbuf_printf(sb, "# HELP %s %s\n# TYPE %s %s\n%s %llu\n", m->name, m->help,
				   m->name, m->type, m->name, m->value);
}

/* A counter of nanoseconds, written in seconds: Prometheus's base unit. */
static int put_seconds(struct profd_strbuf *sb, const char *name, const char *help,
		       unsigned long long ns)
{
	return profd_strbuf_printf(sb, "# HELP %s %s\n# TYPE %s counter\n%s %llu.%09llu\n", name,
				   help, name, name, ns / 1000000000ull, ns % 1000000000ull);
}

static int put_metrics(struct profd_strbuf *sb, const struct metric *m, size_t n)
{
	int err = 0;

	for (size_t i = 0; i < n && !err; i++)
		err = put_metric(sb, &m[i]);
	return err;
}

/* A BPF counter behind one value of a metric's reason label. */
struct reason {
	int cnt; /* PROFD_CNT_* */
	const char *name;
};

/* A counter metric with one line per reason, each the value of its BPF counter in cnt. */
static int put_by_reason(struct profd_strbuf *sb, const char *name, const char *help,
			 const struct reason *r, size_t n, const uint64_t *cnt)
{
	int err = profd_strbuf_printf(sb, "# HELP %s %s\n# TYPE %s counter\n", name, help, name);

	for (size_t i = 0; !err && i < n; i++)
		err = profd_strbuf_printf(sb, "%s{reason=\"%s\"} %llu\n", name, r[i].name,
					  (unsigned long long)cnt[r[i].cnt]);
	return err;
}

/* Samples lost, one line per reason. */
static int put_lost(struct profd_strbuf *sb, const uint64_t *cnt)
{
	static const struct reason lost[] = {
		{PROFD_CNT_COUNTS_FULL, "counts_map_full"},
		{PROFD_CNT_RINGBUF_FULL, "ringbuf_full"},
		{PROFD_CNT_COPY_FALLBACK, "stack_not_copied"},
		{PROFD_CNT_USTACK_FULL, "user_stack_map_full"},
		{PROFD_CNT_KSTACK_FULL, "kernel_stack_map_full"},
		{PROFD_CNT_USTACK_FAULT, "user_stack_unreadable"},
		{PROFD_CNT_OFFCPU_FULL, "off_cpu_map_full"},
		{PROFD_CNT_OFFCPU_UNTRACKED, "off_cpu_untracked"},
	};

	return put_by_reason(sb, "profd_lost_total", "Samples or stacks lost, by reason.", lost,
			     sizeof(lost) / sizeof(lost[0]), cnt);
}

static int put_push_metrics(struct profd_strbuf *sb, struct store_push *push)
{
	struct store_push_stats ps;

	store_push__stats(push, &ps);
	const struct metric m[] = {
		{"profd_push_sent_total", "counter", "Windows the push backend accepted.", ps.sent},
		{"profd_push_failures_total", "counter", "Push attempts that failed (each retried).",
		 ps.failures},
		{"profd_push_tls_failures_total", "counter",
		 "Push attempts that failed: the server's certificate was not trusted.",
		 ps.tls_failures},
		{"profd_push_auth_failures_total", "counter",
		 "Push attempts that failed: the credentials were refused (401, 403, 407).",
		 ps.auth_failures},
		{"profd_push_dropped_total", "counter",
		 "Windows dropped unsent: the push queue or spool was full.", ps.dropped},
		{"profd_push_rejected_total", "counter",
		 "Series the backend refused with another 4xx status: not retried.", ps.rejected},
		{"profd_push_queued", "gauge", "Windows waiting to be pushed.", ps.queued},
		{"profd_push_spool_files", "gauge", "Windows in the push spool on disk.",
		 ps.spool_files},
		{"profd_push_spool_bytes", "gauge", "Bytes of windows in the push spool on disk.",
		 ps.spool_bytes},
		{"profd_push_spool_damaged_total", "counter",
		 "Damaged spool files skipped and removed.", ps.spool_damaged},
	};

	return put_metrics(sb, m, sizeof(m) / sizeof(m[0]));
}

/* How the in-kernel walker fared: stacks walked, whole, and why the others are not. */
static int put_walk_metrics(struct profd_strbuf *sb, const uint64_t *cnt)
{
	static const struct reason why[] = {
		{PROFD_CNT_CFI_NO_PROCESS, "process_not_loaded"},
		{PROFD_CNT_CFI_NO_TABLE, "file_without_table"},
		{PROFD_CNT_CFI_UNSUPPORTED, "cfi_not_expressible"},
		{PROFD_CNT_CFI_STOP_READ, "stack_unreadable"},
		{PROFD_CNT_CFI_STOP_FP, "frame_pointer_led_nowhere"},
		{PROFD_CNT_CFI_STOP_LOOP, "stack_pointer_stuck"},
		{PROFD_CNT_CFI_STOP_ERROR, "bad_table"},
	};
	const struct metric m[] = {
		{"profd_user_stacks_walked_total", "counter",
		 "User stacks walked in the kernel with unwind tables.", cnt[PROFD_CNT_CFI_WALKED]},
		{"profd_user_stacks_whole_total", "counter", "Of those, walked to the outermost frame.",
		 cnt[PROFD_CNT_CFI_WHOLE]},
	};

	return put_metrics(sb, m, sizeof(m) / sizeof(m[0])) ?:
	       put_by_reason(sb, "profd_user_stacks_partial_total",
			     "User stacks taken by frame pointers, partly guessed or cut short, by "
			     "reason.",
			     why, sizeof(why) / sizeof(why[0]), cnt);
}

static int page_metrics(void *ctx, struct profd_strbuf *sb)
{
	struct agent *a = ctx;
	struct agent_health h;
	const uint64_t *cnt;
	int err;

	pthread_mutex_lock(&a->lock);
	h = a->health;
	pthread_mutex_unlock(&a->lock);
	cnt = h.session.counters;
	const struct metric before[] = {
		{"profd_samples_total", "counter", "Samples taken on every CPU.",
		 cnt[PROFD_CNT_SAMPLES]},
		{"profd_off_cpu_waits_total", "counter",
		 "Waits off CPU counted (with --off-cpu; a wait cut at a drain counts again).",
		 cnt[PROFD_CNT_OFFCPU_WAITS]},
		{"profd_off_cpu_short_waits_total", "counter",
		 "Waits off CPU shorter than --min-block, left out.", cnt[PROFD_CNT_OFFCPU_SHORT]},
	};
	const struct metric after[] = {
		{"profd_process_events_lost_total", "counter",
		 "Process events dropped (ring buffer or maps full).",
		 cnt[PROFD_CNT_EVENTS_LOST] + cnt[PROFD_CNT_SEEN_FULL] + cnt[PROFD_CNT_TARGETS_FULL]},
		{"profd_processes_seen", "gauge", "Processes announced so far.", h.session.processes},
		{"profd_windows_written_total", "counter", "Windows written to the store.",
		 h.store.windows_written},
		{"profd_window_write_failures_total", "counter", "Windows the store could not write.",
		 h.store.write_failures},
		{"profd_store_files", "gauge", "Windows in the store.", h.store.files},
		{"profd_store_bytes", "gauge", "Bytes of windows in the store.", h.store.bytes},
		{"profd_store_removed_total", "counter", "Windows removed by retention.",
		 h.store.removed},
		{"profd_store_damaged_total", "counter", "Damaged window files found and skipped.",
		 h.store.damaged},
		{"profd_symbolizer_cache_bytes", "gauge", "Memory held by the symbolizer caches.",
		 h.session.symbolizer.cache_bytes},
		{"profd_symbolizer_cache_files", "gauge", "Files with a cached symbol table.",
		 h.session.symbolizer.files},
		{"profd_symbolizer_hits_total", "counter", "Address lookups answered from memory.",
		 h.session.symbolizer.hits},
		{"profd_symbolizer_misses_total", "counter",
		 "Address lookups that read a file or /proc first.", h.session.symbolizer.misses},
	};
	struct prof_footprint fp;

	err = put_metrics(sb, before, sizeof(before) / sizeof(before[0]));
	err = err ?: put_seconds(sb, "profd_off_cpu_lost_seconds_total",
				 "Time off CPU lost because the off-CPU map was full.",
				 cnt[PROFD_CNT_OFFCPU_FULL_NS]);
	err = err ?: put_lost(sb, cnt);
	err = err ?: put_walk_metrics(sb, cnt);
	err = err ?: put_metrics(sb, after, sizeof(after) / sizeof(after[0]));
	if (a->push)
		err = err ?: put_push_metrics(sb, a->push);
	/* Read now, not at the last drain: the RSS of the moment. */
	err = err ?: prof_footprint__read(&fp, h.session.footprint.bpf_bytes);
	return err ?: prof_footprint__metrics(&fp, sb);
}

/* ---- the run ---- */

/* One --push queue, with its spool inside the store folder. */
static struct store_push *start_push(struct agent *a, const char *spool)
{
	struct store_push_opts po = {
		.url = a->o->push_url,
		.ca_file = a->o->push_ca,
		.auth_file = a->o->push_auth_file,
		.headers = a->o->push_headers,
		.nheaders = a->o->npush_headers,
		.labels = a->o->labels,
		.freq = a->o->sampling.freq,
		.spool_bytes = a->o->spool_bytes,
		.full_names = a->o->names.full_names,
	};
	struct store_push *p;
	char *dir = NULL;

	if (asprintf(&dir, "%s/%s", a->o->store, spool) < 0) {
		errno = ENOMEM;
		return NULL;
	}
	po.spool_dir = dir;
	p = store_push__new(&po);
	free(dir);
	return p;
}

/*
 * --push: CPU windows, and with --off-cpu the off-CPU ones, each a queue and spool of its own;
 * both split by service, and Pyroscope names each series by its service and the profile type.
 */
static int start_pushes(struct agent *a)
{
	a->push = start_push(a, STORE_PUSH_SPOOL_DIR);
	if (a->push && a->o->off_cpu)
		a->push_off_cpu = start_push(a, OFF_CPU_SPOOL_DIR);
	return a->push && (!a->o->off_cpu || a->push_off_cpu) ? 0 : -errno;
}

static struct prof_session *start_session(struct agent *a)
{
	const struct agent_opts *o = a->o;
	unsigned window_ms = o->window_s * 1000;
	struct prof_session_opts so = {
		.pids = o->pids,
		.npids = o->npids,
		.all = o->npids == 0,
		.max_stack = PROFD_DEFAULT_MAX_STACK,
		.off_cpu = o->off_cpu,
		.drain_ms = window_ms < AGENT_DRAIN_MS ? window_ms : AGENT_DRAIN_MS,
		.filter = o->comm ? &a->filter : NULL,
		.http = &o->http,
		.hooks = {
			.ctx = a,
			.on_drain = on_drain,
			.period_ms = window_ms,
			.on_period = on_window_end,
			.web = {
				.ctx = a,
				.metrics = page_metrics,
				.collect_wall = page_collect,
				.store_info = page_store_info,
			},
		},
	};

	prof_sampling_apply(&o->sampling, &so);
	return prof_session__start(&so);
}

/* The history and --push, once sampling works; the first window starts with sampling. */
static int start_outputs(struct agent *a)
{
	struct store_history_opts ho = {
		.dir = a->o->store,
		.writable = true,
		.max_age_ns = a->o->max_age_ns,
		.max_bytes = a->o->max_bytes,
	};
	struct prof_session_stats st;

	a->history = store_history__open(&ho);
	if (!a->history || (a->o->push_url && start_pushes(a)))
		return -1;
	prof_session__stats(a->session, &st);
	return new_window(a, st.start_ns);
}

static int agent_run(const struct agent_opts *o)
{
	struct agent a = {
		.o = o,
		.filter = {.comm = o->comm},
		.lock = PTHREAD_MUTEX_INITIALIZER,
	};
	struct store_history_stats st;
	struct profd_strbuf sb = {0};
	int code = PROFD_EXIT_FAILURE;

	a.session = start_session(&a);
	if (!a.session || start_outputs(&a))
		goto out;
	store_history__stats(a.history, &st);
	pr_info("agent: sampling %s%s%s%s at %d Hz%s, %u s windows into %s (%zu windows there)",
		o->npids ? "the given processes" : o->comm ? "processes named " : "every process",
		o->npids || !o->comm ? "" : o->comm, o->sampling.cgroup ? " in cgroup " : "",
		o->sampling.cgroup ? o->sampling.cgroup : "", o->sampling.freq,
		o->off_cpu ? " and time off CPU" : "",
		o->window_s, o->store, st.files);
	if (!prof_session__run(a.session)) {
		write_window(&a);
		code = PROFD_EXIT_OK;
	}
	store_history__stats(a.history, &st);
	pr_info("agent: %llu windows written, %llu failed, %zu in the store (%llu bytes)",
		(unsigned long long)st.windows_written, (unsigned long long)st.write_failures,
		st.files, (unsigned long long)st.bytes);
	prof_session__unwind_summary(a.session, &sb);
	if (sb.buf) /* it starts with "; " or ", " */
		pr_info("agent:%s", sb.buf + 1);
	profd_strbuf_release(&sb);
out:
	prof_session__free(a.session); /* the page first: it reads the agent */
	store_push__free(a.push); /* sends what is queued while the backend answers, or spools it */
	store_push__free(a.push_off_cpu);
	store_history__free(a.history);
	free_window(&a);
	return code;
}

/* ---- options ---- */

enum {
	OPT_STORE = 600,
	OPT_WINDOW,
	OPT_RET_AGE,
	OPT_RET_SIZE,
	OPT_COMM,
	OPT_PUSH,
	OPT_LABELS,
	OPT_SPOOL_SIZE,
	OPT_PUSH_CA,
	OPT_PUSH_AUTH_FILE,
	OPT_PUSH_HEADER,
	OPT_OFF_CPU,
};

/* "Name: value": an HTTP token, a colon, a value without line breaks. */
static bool valid_header(const char *h)
{
	size_t n = strspn(h, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
			     "!#$%&'*+-.^_`|~");

	return n && h[n] == ':' && !strpbrk(h, "\r\n");
}

static int add_push_header(struct agent_opts *o, const char *arg)
{
	const char **h;

	if (!valid_header(arg))
		return prof_usage("agent", "--push-header: expected 'Name: value'");
	h = realloc(o->push_headers, (o->npush_headers + 1) * sizeof(*h));
	if (!h)
		return prof_usage("agent", "--push-header: %s", strerror(ENOMEM));
	o->push_headers = h;
	o->push_headers[o->npush_headers++] = arg;
	return 0;
}

static int parse_option(struct agent_opts *o, int opt, const char *arg)
{
	int64_t ns;
	long v;
	int code;

	if (prof_name_option(&o->names, opt))
		return 0;
	if (prof_sampling_option("agent", &o->sampling, opt, arg, &code))
		return code;
	switch (opt) {
	case OPT_STORE:
		o->store = arg;
		return 0;
	case OPT_WINDOW:
		if (!prof_parse_long(arg, 1, 86400, &v))
			return prof_usage("agent", "--window %s: expected 1..86400 seconds", arg);
		o->window_s = (unsigned)v;
		return 0;
	case OPT_RET_AGE:
		if (store_parse_duration(arg, &ns) || ns <= 0)
			return prof_usage("agent", "--retention-age %s: expected a duration like 30m, 12h or 7d",
				     arg);
		o->max_age_ns = ns;
		return 0;
	case OPT_RET_SIZE:
		if (store_parse_size(arg, &o->max_bytes) || !o->max_bytes)
			return prof_usage("agent", "--retention-size %s: expected bytes like 100000, 512M or 2G",
				     arg);
		return 0;
	case 'p':
		if (prof_parse_pid_list(arg, &o->pids, &o->npids))
			return prof_usage("agent", "-p %s: expected PID[,PID...]", arg);
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
	case OPT_PUSH_CA:
		o->push_ca = arg;
		return 0;
	case OPT_PUSH_AUTH_FILE:
		o->push_auth_file = arg;
		return 0;
	case OPT_PUSH_HEADER:
		return add_push_header(o, arg);
	case OPT_SPOOL_SIZE:
		if (store_parse_size(arg, &o->spool_bytes) || !o->spool_bytes)
			return prof_usage("agent", "--spool-size %s: expected bytes like 500K, 64M or 1G", arg);
		return 0;
	case OPT_OFF_CPU:
		o->off_cpu = true;
		return 0;
	case 'v':
		profd_log_more();
		return 0;
	case PROF_OPT_HTTP:
	case PROF_OPT_HTTP_HOST:
	case PROF_OPT_HTTP_PUBLIC:
		return prof_http_option(&o->http, opt, arg) < 0 ? PROFD_EXIT_USAGE : 0;
	default:
		return prof_usage("agent", "%s", "unknown option or missing value");
	}
}

int prof_agent_main(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"store", required_argument, NULL, OPT_STORE},
	    PROF_SAMPLING_OPTIONS,
	    {"window", required_argument, NULL, OPT_WINDOW},
	    {"retention-age", required_argument, NULL, OPT_RET_AGE},
	    {"retention-size", required_argument, NULL, OPT_RET_SIZE},
	    {"pid", required_argument, NULL, 'p'},
	    {"comm", required_argument, NULL, OPT_COMM},
	    {"push", required_argument, NULL, OPT_PUSH},
	    {"labels", required_argument, NULL, OPT_LABELS},
	    {"push-ca", required_argument, NULL, OPT_PUSH_CA},
	    {"push-auth-file", required_argument, NULL, OPT_PUSH_AUTH_FILE},
	    {"push-header", required_argument, NULL, OPT_PUSH_HEADER},
	    {"spool-size", required_argument, NULL, OPT_SPOOL_SIZE},
	    {"full-names", no_argument, NULL, PROF_OPT_FULL_NAMES},
	    {"off-cpu", no_argument, NULL, OPT_OFF_CPU},
	    PROF_HTTP_OPTIONS,
	    {"verbose", no_argument, NULL, 'v'},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {},
	};
	struct agent_opts o = {
	    .store = STORE_DEFAULT_DIR,
	    .sampling = {.freq = AGENT_DEFAULT_FREQ, .unwind = PROFD_UNWIND_CFI, .min_block_us = -1},
	    .window_s = AGENT_DEFAULT_WINDOW_S,
	};
	int opt, code = 0;

	optind = 1;
	opterr = 0;
	while (!code && (opt = getopt_long(argc, argv, "C:F:p:vhV", longopts, NULL)) != -1) {
		if (opt == 'h') {
			fputs(agent_usage, stdout);
			goto out;
		}
		if (opt == 'V') {
			code = prof_print_version();
			goto out;
		}
		code = parse_option(&o, opt, optarg);
	}
	if (!code && optind < argc)
		code = prof_usage("agent", "unexpected argument %s", argv[optind]);
	if (!code && o.npids && o.comm)
		code = prof_usage("agent", "%s", "-p and --comm exclude each other");
	if (!code && o.labels && !o.push_url)
		code = prof_usage("agent", "%s", "--labels needs --push");
	if (!code && o.spool_bytes && !o.push_url)
		code = prof_usage("agent", "%s", "--spool-size needs --push");
	if (!code && (o.push_ca || o.push_auth_file || o.npush_headers) && !o.push_url)
		code = prof_usage("agent", "%s",
				  "--push-ca, --push-auth-file and --push-header need --push");
	if (!code && o.sampling.cpus && o.off_cpu)
		code = prof_usage("agent", "%s", PROF_CPUS_OFF_CPU);
	if (!code && o.sampling.min_block_us >= 0 && !o.off_cpu)
		code = prof_usage("agent", "%s", "--min-block needs --off-cpu");
	if (!code && o.names.full_names && !o.push_url)
		code = prof_usage("agent", "%s",
				  "--full-names needs --push (the store keeps whole names, and the "
				  "page has a Full names box)");
	if (!code && prof_http_check(&o.http))
		code = PROFD_EXIT_USAGE;
	if (!code)
		code = agent_run(&o);
out:
	free(o.pids);
	free(o.push_headers);
	free(o.http.hosts);
	return code;
}
