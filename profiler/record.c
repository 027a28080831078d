// SPDX-License-Identifier: MIT
/*
 * `profd -p PID | -a | -- CMD`: perf/bcc-style options; one session until the duration, Ctrl-C or
 * the targets' end; then a summary line and the profile, written where -o says.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/strbuf.h"
#include "profiler/session_internal.h"

#define DEFAULT_FREQ 99
#define DRAIN_MS 1000 /* also the length of a window on the page */

struct record_opts {
	pid_t *pids; /* -p */
	int npids;
	pid_t *tids; /* -t */
	int ntids;
	bool all;    /* -a */
	char **argv; /* -- CMD ARGS */
	struct prof_sampling_opts sampling; /* -F, --cgroup, --unwind, --unwind-memory, --min-block */
	double duration; /* seconds; 0: until Ctrl-C or the target exits */
	int max_stack;
	unsigned stack_size; /* --stack-size, bytes, a multiple of 4096 */
	const char *output;
	const char *format;
	struct fmt_name_opts names; /* --lines, --full-names */
	struct prof_http_opts http;
	enum fmt_type type;	/* what -o gets: CPU samples, --off-cpu or --wall */
};

static const char usage_text[] =
	"Usage: profd [-p PID[,PID...] | -t TID[,TID...] | -a | -- CMD [ARGS...]]\n"
	"             [--cgroup PATH] [options]\n"
	"       profd convert IN -o OUT\n"
	"       profd serve FILE... [--http [ADDR:]PORT]\n"
	"       profd agent [--store DIR] [--window SECONDS] [options]\n"
	"       profd query [--store DIR] --from T --to T -o OUT\n"
	"\n"
	"Samples CPU stacks (kernel and user) with eBPF and writes folded stacks or a flame graph;\n"
	"with --off-cpu, where threads wait and for how long.\n"
	"\n"
	"Targets (one of):\n"
	"  -p, --pid PID[,PID...]  those processes, all their threads and what they fork\n"
	"  -t, --tid TID[,TID...]  those threads only\n"
	"  -a, --all-cpus          every process on the machine\n"
	"  -- CMD [ARGS...]        run CMD and profile it and its children until it exits\n"
	"\n"
	"Options:\n"
	"      --cgroup PATH       of those, only tasks in this cgroup v2 or below it\n"
	"                          (/system.slice/nginx.service; alone, the same as -a)\n"
	"  -F, --freq HZ           samples per second per CPU (default 99)\n"
	"  -C, --cpu LIST          sample only these CPUs (0-3,6), as perf -C\n"
	"  -d, --duration SECONDS  stop after this long (default: Ctrl-C or target exit)\n"
	"  -o, --output FILE       write here; format from the extension:\n"
	"                          .folded/.txt, .svg, .pb.gz/.pprof/.pb (pprof)\n"
	"                          (default: folded on stdout)\n"
	"      --format NAME       folded, svg or pprof, when -o has no known extension\n"
	"      --max-stack N       deepest stack to record (default 127); raises\n"
	"                          kernel.perf_event_max_stack for the run if needed\n"
	"      --lines             add source file:line to frame names\n"
	"      --full-names        whole function names: C++ return types and parameter\n"
	"                          lists, no length cap (default: as perf shows them)\n"
	"      --debuginfod URL    fetch missing debug info from these servers in the\n"
	"                          background (default: $DEBUGINFOD_URLS)\n"
	"      --http [ADDR:]PORT  serve a live flame graph page (ADDR default 127.0.0.1);\n"
	"                          without -d, runs until Ctrl-C; writes -o only if given\n"
	"      --http-host NAME    also accept this name in the Host header (repeatable)\n"
	"      --http-public       allow --http on a non-loopback address\n"
	"      --unwind MODE       user stacks: cfi (the default: walked in the kernel with\n"
	"                          tables compiled from .eh_frame; frame pointers where\n"
	"                          code has none, such as JIT code), fp (frame pointers\n"
	"                          only) or copy (copy the stack, unwind it in profd with\n"
	"                          libunwind); auto and dwarf are older names of cfi, copy\n"
	"      --unwind-memory SIZE  kernel memory for cfi tables (default 32M); the least\n"
	"                          recently used files' tables make room, what does not\n"
	"                          fit is counted and walked by frame pointers\n"
	"      --stack-size BYTES  user stack copied per sample for copy (default 16384,\n"
	"                          max 65536, rounded up to 4 KiB pages)\n"
	"      --off-cpu           write the time threads wait blocked off CPU, per stack\n"
	"                          (folded counts are microseconds; pprof off_cpu/nanoseconds)\n"
	"      --wall              write on-CPU and off-CPU time together, per thread, the\n"
	"                          waits under a leaf [off-cpu] (folded: microseconds)\n"
	"      --min-block USEC    with --off-cpu or --wall: leave out shorter waits\n"
	"                          (default 1)\n"
	"  -v, --verbose           debug messages; twice (-vv), libbpf's too\n"
	"  -h, --help              this text\n"
	"  -V, --version           print the version\n"
	"\n"
	"Subcommands:\n"
	"  convert IN -o OUT       convert between folded and SVG (e.g. perf/bcc folded files)\n"
	"  serve FILE...           browse saved folded or pprof profiles on a web page\n"
	"                          (default http://127.0.0.1:7070/)\n"
	"  agent                   sample the machine without end at 19 Hz, one window\n"
	"                          per minute stored under /var/lib/profd (see agent --help)\n"
	"  query                   merge stored windows of a time range (see query --help)\n"
	"\n"
	"Needs root, or CAP_BPF and CAP_PERFMON (plus CAP_SYS_PTRACE for other users'\n"
	"processes and CAP_SYSLOG for kernel symbols).\n"
	"Exit status: 0 success, 1 runtime failure (or CMD failed), 2 usage error.\n";

/* ---- the run ---- */

/* -p takes processes, -t threads: a thread id given to -p would sample nothing. */
static int check_targets(const struct record_opts *o)
{
	for (int i = 0; i < o->npids; i++) {
		pid_t pid = o->pids[i], tgid = prof_thread_group(pid);

		if (!prof_process_alive(pid) || tgid == -ESRCH) {
			pr_warn("pid %d: no such process", pid);
			return -ESRCH;
		}
		if (tgid > 0 && tgid != pid) {
			pr_warn("-p %d: %d is a thread of process %d (-t %d for that thread alone, -p %d "
				"for the process)", pid, pid, tgid, pid, tgid);
			return -EINVAL;
		}
	}
	for (int i = 0; i < o->ntids; i++) {
		if (prof_thread_group(o->tids[i]) < 0) {
			pr_warn("thread %d: no such thread", o->tids[i]);
			return -ESRCH;
		}
	}
	return 0;
}

static void report_exits(struct prof_session *s, const struct record_opts *o)
{
	struct prof_session_stats st;

	prof_session__stats(s, &st);
	for (int i = 0; i < o->npids; i++)
		if (!prof_process_alive(o->pids[i]))
			pr_info("pid %d exited after %.1f s", o->pids[i], st.elapsed_s);
	for (int i = 0; i < o->ntids; i++)
		if (prof_thread_group(o->tids[i]) < 0)
			pr_info("thread %d exited after %.1f s", o->tids[i], st.elapsed_s);
}

static void summarize_exits(const struct prof_session_stats *st, struct profd_strbuf *sb)
{
	size_t shown = st->nexits < 5 ? st->nexits : 5;

	if (!st->nexits)
		return;
	profd_strbuf_printf(sb, "; %zu process%s exited:", st->nexits, st->nexits == 1 ? "" : "es");
	for (size_t i = 0; i < shown; i++)
		profd_strbuf_printf(sb, " %d%s%s%s", st->exits[i].pid, st->exits[i].comm[0] ? " (" : "",
				    st->exits[i].comm, st->exits[i].comm[0] ? ")" : "");
	if (shown < st->nexits)
		profd_strbuf_puts(sb, " ...");
}

/* "; 39.8 s off CPU in 1234 waits, N shorter than --min-block left out, N lost ..." */
static void summarize_off_cpu(const struct prof_session_stats *st, struct profd_strbuf *sb)
{
	const uint64_t *cnt = st->counters;

	profd_strbuf_printf(sb, "; %.1f s off CPU in %llu waits (threads still waiting at the "
				"start or the end count from the start or to the end), %llu shorter "
				"than --min-block left out",
			    st->off_cpu_us / 1e6, (unsigned long long)cnt[PROFD_CNT_OFFCPU_WAITS],
			    (unsigned long long)cnt[PROFD_CNT_OFFCPU_SHORT]);
	if (cnt[PROFD_CNT_OFFCPU_FULL])
		profd_strbuf_printf(sb, ", %llu waits lost (%.3f s): off-CPU map full",
				    (unsigned long long)cnt[PROFD_CNT_OFFCPU_FULL],
				    cnt[PROFD_CNT_OFFCPU_FULL_NS] / 1e9);
	if (cnt[PROFD_CNT_OFFCPU_UNTRACKED])
		profd_strbuf_printf(sb, ", %llu waits not followed: no task storage",
				    (unsigned long long)cnt[PROFD_CNT_OFFCPU_UNTRACKED]);
}

/* "1234 samples (cpu-clock, 99 Hz, 10.0 s), 0 lost; ..." on one line. */
static void print_summary(struct prof_session *s, const struct record_opts *o)
{
	struct prof_session_stats st;
	struct profd_strbuf sb = {0};
	const uint64_t *cnt;
	uint64_t lost_stacks, events_lost;

	prof_session__stats(s, &st);
	cnt = st.counters;
	lost_stacks = cnt[PROFD_CNT_USTACK_FULL] + cnt[PROFD_CNT_KSTACK_FULL];
	events_lost = cnt[PROFD_CNT_EVENTS_LOST] + cnt[PROFD_CNT_SEEN_FULL] +
		      cnt[PROFD_CNT_TARGETS_FULL];
	/* Samples and stacks apart: a sample that lost a stack is still one of the samples. */
	profd_strbuf_printf(&sb, "%lld samples (%s, %d Hz, %.1f s), %llu samples lost",
			    (long long)st.samples_kept, st.event, o->sampling.freq, st.elapsed_s,
			    (unsigned long long)st.lost);
	if (st.lost)
		profd_strbuf_printf(&sb, " (%llu: counts map full, %llu: stack copies read too late)",
				    (unsigned long long)cnt[PROFD_CNT_COUNTS_FULL],
				    (unsigned long long)cnt[PROFD_CNT_RINGBUF_FULL]);
	if (lost_stacks)
		profd_strbuf_printf(&sb, ", %llu stacks lost to a full stack map (their samples "
				    "are kept, under [lost stack: map full])",
				    (unsigned long long)lost_stacks);
	if (cnt[PROFD_CNT_COPY_FALLBACK])
		profd_strbuf_printf(&sb, ", %llu stacks not copied, the ring buffer full (their samples "
				    "are kept, by frame pointers, under [incomplete])",
				    (unsigned long long)cnt[PROFD_CNT_COPY_FALLBACK]);
	/* Stacks cut at the copied stack's end are the unwind summary's to report. */
	if (st.loss.stacks_truncated > st.unwind_cut)
		profd_strbuf_printf(&sb, ", %llu stacks truncated at %d frames (raise with --max-stack)",
				    (unsigned long long)(st.loss.stacks_truncated - st.unwind_cut),
				    st.max_stack);
	prof_session__unwind_summary(s, &sb);
	if (o->type != FMT_TYPE_CPU)
		summarize_off_cpu(&st, &sb);
	if (events_lost)
		profd_strbuf_printf(&sb, ", %llu process events lost",
				    (unsigned long long)events_lost);
	summarize_exits(&st, &sb);
	if (sb.buf)
		pr_info("%s", sb.buf);
	profd_strbuf_reset(&sb);
	if (prof_session__symbols_hint(s, &sb))
		pr_info("%s", sb.buf);
	profd_strbuf_release(&sb);
}

static struct prof_session *start(const struct record_opts *o)
{
	struct prof_session_opts so = {
		.pids = o->pids,
		.npids = o->npids,
		.tids = o->tids,
		.ntids = o->ntids,
		.argv = o->argv,
		.all = o->all,
		.max_stack = o->max_stack,
		.stack_size = o->stack_size,
		.lines = o->names.lines,
		.off_cpu = o->type != FMT_TYPE_CPU,
		.drain_ms = DRAIN_MS,
		.duration_s = o->duration,
		.until_targets_exit = true,
		.status_line = true,
		.keep_profile = true,
		.http = &o->http,
	};

	prof_sampling_apply(&o->sampling, &so);
	return prof_session__start(&so);
}

static int record(const struct record_opts *o)
{
	struct prof_output out = {0};
	/* With --http the page is the output; a file only when asked for. */
	bool want_output = !o->http.listen || o->output || o->format;
	struct fmt_profile *p;
	struct prof_session *s;
	int err, code;

	if (want_output) {
		err = prof_output__open(&out, o->output, o->format);
		if (err)
			return err == -EINVAL ? PROFD_EXIT_USAGE : PROFD_EXIT_FAILURE;
		out.names = o->names;
	}
	err = check_targets(o);
	if (err == -EINVAL) {
		prof_output__abort(&out);
		return PROFD_EXIT_USAGE;
	}
	s = err ? NULL : start(o);
	if (!s || prof_session__run(s)) {
		prof_session__free(s);
		if (want_output)
			prof_output__abort(&out);
		return PROFD_EXIT_FAILURE;
	}
	code = prof_session__end_command(s);
	prof_session__name_late(s);
	report_exits(s, o);
	print_summary(s, o);
	prof_session__stop_sampling(s);
	if (o->http.listen && !o->duration && !prof_signals_caught())
		prof_session__linger(s);
	p = prof_session__profile(s, o->type);
	prof_session__free(s);
	if (want_output && (!p || prof_output__write(&out, p)))
		code = PROFD_EXIT_FAILURE;
	fmt_profile__free(p);
	return code;
}

/* ---- options ---- */

enum {
	OPT_FORMAT = 256,
	OPT_MAX_STACK,
	OPT_DEBUGINFOD,
	OPT_STACK_SIZE,
	OPT_OFF_CPU,
	OPT_WALL,
};

/* One option; returns 0, or an exit code to end with (usage errors print one line). */
static int parse_option(struct record_opts *o, int opt, const char *arg, char **argv)
{
	long v;
	char *end;
	int code;

	if (prof_name_option(&o->names, opt))
		return 0;
	if (prof_sampling_option(NULL, &o->sampling, opt, arg, &code))
		return code;
	switch (opt) {
	case 'p':
		if (prof_parse_pid_list(arg, &o->pids, &o->npids))
			return prof_usage(NULL, "-p %s: expected PID[,PID...]", arg);
		return 0;
	case 't':
		if (prof_parse_pid_list(arg, &o->tids, &o->ntids))
			return prof_usage(NULL, "-t %s: expected TID[,TID...]", arg);
		return 0;
	case 'a':
		o->all = true;
		return 0;
	case 'd':
		errno = 0;
		o->duration = strtod(arg, &end);
		if (errno || end == arg || *end || !(o->duration > 0) || o->duration > 1e9)
			return prof_usage(NULL, "-d %s: expected a positive number of seconds", arg);
		return 0;
	case 'o':
		o->output = arg;
		return 0;
	case OPT_FORMAT:
		o->format = arg;
		return 0;
	case OPT_MAX_STACK:
		if (!prof_parse_long(arg, 1, 65535, &v))
			return prof_usage(NULL, "--max-stack %s: expected 1..65535", arg);
		o->max_stack = (int)v;
		return 0;
	case OPT_DEBUGINFOD:
		/* libdebuginfod reads only this; set before any thread exists. */
		if (setenv("DEBUGINFOD_URLS", arg, 1))
			return prof_usage(NULL, "--debuginfod %s: %s", arg, strerror(errno));
		return 0;
	case PROF_OPT_HTTP:
	case PROF_OPT_HTTP_HOST:
	case PROF_OPT_HTTP_PUBLIC:
		return prof_http_option(&o->http, opt, arg) < 0 ? PROFD_EXIT_USAGE : 0;
	case OPT_STACK_SIZE:
		if (!prof_parse_long(arg, 1, PROFD_STACK_SIZE_MAX, &v))
			return prof_usage(NULL, "--stack-size %s: expected 1..%d bytes", arg,
					  PROFD_STACK_SIZE_MAX);
		o->stack_size = (unsigned)(v + PROFD_STACK_PAGE - 1) / PROFD_STACK_PAGE *
				PROFD_STACK_PAGE;
		return 0;
	case OPT_OFF_CPU:
	case OPT_WALL:
		if (o->type != FMT_TYPE_CPU)
			return prof_usage(NULL, "--off-cpu and --wall exclude each other");
		o->type = opt == OPT_WALL ? FMT_TYPE_WALL : FMT_TYPE_OFF_CPU;
		return 0;
	case 'v':
		profd_log_more();
		return 0;
	case ':':
		return prof_usage(NULL, "%s: needs a value", argv[optind - 1]);
	default:
		if (optopt)
			return prof_usage(NULL, "unknown option -%c", optopt);
		return prof_usage(NULL, "unknown option %s", argv[optind - 1]);
	}
}

/* After the options: exactly one kind of target, and a page only where it may listen. */
static int check_options(struct record_opts *o, int argc, char **argv)
{
	int targets;

	if (optind < argc)
		o->argv = argv + optind;
	targets = (o->npids > 0) + (o->ntids > 0) + o->all + (o->argv != NULL);
	if (targets == 0 && o->sampling.cgroup) /* a cgroup alone: whatever runs in it */
		o->all = true;
	else if (targets == 0)
		return prof_usage(NULL, "nothing to profile: give -p PID, -t TID, -a, --cgroup PATH "
					"or -- CMD");
	if (targets > 1)
		return prof_usage(NULL, "-p, -t, -a and a command exclude each other");
	if (o->sampling.cpus && o->type != FMT_TYPE_CPU)
		return prof_usage(NULL, "%s", PROF_CPUS_OFF_CPU);
	if (o->sampling.min_block_us >= 0 && o->type == FMT_TYPE_CPU)
		return prof_usage(NULL, "--min-block needs --off-cpu or --wall");
	return prof_http_check(&o->http) ? PROFD_EXIT_USAGE : 0;
}

int prof_record_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"pid", required_argument, NULL, 'p'},
		{"tid", required_argument, NULL, 't'},
		{"all-cpus", no_argument, NULL, 'a'},
		PROF_SAMPLING_OPTIONS,
		{"duration", required_argument, NULL, 'd'},
		{"output", required_argument, NULL, 'o'},
		{"format", required_argument, NULL, OPT_FORMAT},
		{"max-stack", required_argument, NULL, OPT_MAX_STACK},
		PROF_NAME_OPTIONS,
		{"debuginfod", required_argument, NULL, OPT_DEBUGINFOD},
		PROF_HTTP_OPTIONS,
		{"stack-size", required_argument, NULL, OPT_STACK_SIZE},
		{"off-cpu", no_argument, NULL, OPT_OFF_CPU},
		{"wall", no_argument, NULL, OPT_WALL},
		{"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{},
	};
	struct record_opts o = {
		.sampling = {.freq = DEFAULT_FREQ, .unwind = PROFD_UNWIND_CFI, .min_block_us = -1},
		.max_stack = PROFD_DEFAULT_MAX_STACK,
		.stack_size = PROFD_STACK_SIZE_DEFAULT,
	};
	int opt, code = 0;

	opterr = 0; /* one line of our own instead of getopt's */
	while (!code && (opt = getopt_long(argc, argv, "+:p:t:aC:F:d:o:vhV", longopts, NULL)) != -1) {
		if (opt == 'h' || opt == 'V') {
			code = opt == 'h' ? fputs(usage_text, stdout) < 0 : prof_print_version();
			goto out;
		}
		code = parse_option(&o, opt, optarg, argv);
	}
	code = code ?: check_options(&o, argc, argv);
	code = code ?: record(&o);
out:
	free(o.pids);
	free(o.tids);
	free(o.http.hosts);
	return code;
}
