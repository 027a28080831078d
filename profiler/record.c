// SPDX-License-Identifier: MIT
/* `profd -p PID | -a | -- CMD`: sample until the duration, Ctrl-C or the target's exit; write. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>

#include "common/log.h"
#include "common/strbuf.h"
#include "profiler/profiler.h"
#include "web/web.h"

#define WINDOW_MS 1000
#define POLL_MS 100
#define LIVE_WINDOWS 600 /* windows the web page can pick ranges from: 10 minutes */

static volatile sig_atomic_t stop_signal;

static void on_stop_signal(int sig)
{
	stop_signal = sig;
}

static void install_signals(void)
{
	struct sigaction sa = {.sa_handler = on_stop_signal};
	int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};

	/* No SA_RESTART: a blocking poll returns at once so the run stops promptly. */
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int64_t realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Starts argv stopped on a pipe, so it is a target before it executes its first instruction. */
static pid_t spawn_command(char **argv, int *go_fd)
{
	int go[2];
	pid_t pid;

	if (pipe2(go, O_CLOEXEC))
		return -errno;
	pid = fork();
	if (pid < 0) {
		int err = -errno;

		close(go[0]);
		close(go[1]);
		return err;
	}
	if (pid == 0) {
		char c;

		close(go[1]);
		if (read(go[0], &c, 1) != 1)
			_exit(127); /* profd gave up before starting us */
		execvp(argv[0], argv);
		fprintf(stderr, "profd: cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(go[0]);
	*go_fd = go[1];
	return pid;
}

static bool process_alive(pid_t pid)
{
	return kill(pid, 0) == 0 || errno == EPERM;
}

static uint64_t lost_total(const uint64_t *cnt)
{
	return cnt[PROFD_CNT_COUNTS_FULL] + cnt[PROFD_CNT_RINGBUF_FULL] + cnt[PROFD_CNT_USTACK_FULL] +
	       cnt[PROFD_CNT_KSTACK_FULL];
}

struct run {
	const struct prof_record_opts *opts;
	struct prof_collector c;
	struct fmt_profile *profile;
	pid_t child;
	int child_status;
	bool child_done;
	double start;
	int64_t start_ns;
	double last_drain; /* seconds since the start */
	struct prof_live *live; /* with --http: windows go here, not to profile */
	struct web_server *server;
};

static void live_info(struct run *r, struct prof_live_info *info, const char *mode)
{
	uint64_t cnt[PROFD_CNT_MAX];

	prof_sampler__counters(r->c.sampler, cnt);
	memset(info, 0, sizeof(*info));
	info->mode = mode;
	snprintf(info->event, sizeof(info->event), "%s", prof_sampler__event_name(r->c.sampler));
	info->freq = r->opts->freq;
	info->start_ns = r->start_ns;
	info->lost = lost_total(cnt);
	info->processes = r->c.processes;
}

static int drain_once(struct run *r)
{
	struct fmt_profile *window = fmt_profile__new(r->profile->period_ns);
	int err;

	if (!window)
		return -ENOMEM;
	err = prof_collector__drain(&r->c, window);
	if (!err && r->live) {
		struct prof_live_info info;
		double to = now_s() - r->start;

		live_info(r, &info, "live");
		err = prof_live__publish(r->live, window, r->last_drain, to, &info, false);
		r->last_drain = to;
		if (err)
			pr_warn("cannot collect samples: %s", strerror(-err));
		return err;
	}
	if (!err)
		err = fmt_profile__merge(r->profile, window, NULL);
	fmt_profile__free(window);
	if (err)
		pr_warn("cannot collect samples: %s", strerror(-err));
	return err;
}

static void print_status(struct run *r)
{
	uint64_t cnt[PROFD_CNT_MAX];

	prof_sampler__counters(r->c.sampler, cnt);
	fprintf(stderr, "\r\033[Kprofd: %.0fs  %llu samples  %zu processes  %llu lost",
		now_s() - r->start, (unsigned long long)cnt[PROFD_CNT_SAMPLES], r->c.processes,
		(unsigned long long)lost_total(cnt));
}

static bool all_targets_gone(struct run *r)
{
	for (int i = 0; i < r->opts->npids; i++)
		if (process_alive(r->opts->pids[i]))
			return false;
	return true;
}

static bool check_child(struct run *r)
{
	if (r->child <= 0 || r->child_done)
		return r->child_done;
	if (waitpid(r->child, &r->child_status, WNOHANG) == r->child)
		r->child_done = true;
	return r->child_done;
}

static void sample_loop(struct run *r)
{
	const struct prof_record_opts *o = r->opts;
	bool tty = isatty(STDERR_FILENO);
	double next_drain = r->start + WINDOW_MS / 1000.0, next_status = r->start + 1;

	while (!stop_signal) {
		double t = now_s();

		if (o->duration > 0 && t - r->start >= o->duration)
			break;
		if (r->child > 0 && check_child(r))
			break;
		if (o->npids && all_targets_gone(r))
			break;
		if (t >= next_drain) {
			if (drain_once(r))
				break;
			next_drain += WINDOW_MS / 1000.0;
		}
		if (tty && t >= next_status) {
			print_status(r);
			next_status += 1;
		}
		prof_collector__poll(&r->c, POLL_MS);
	}
	if (tty)
		fputs("\r\033[K", stderr);
}

/* Stacks cut at the copied stack size: reported by prof_collector__unwind_summary(). */
static uint64_t unwind_cut(const struct run *r)
{
	struct prof_unwind_counts uc;

	if (!r->c.unwind)
		return 0;
	prof_unwind__counts(r->c.unwind, &uc);
	return uc.stops[SYM_UNWIND_TRUNCATED];
}

/* "1234 samples (cpu-clock, 99 Hz, 10.0 s), 0 lost; ..." on one line. */
static void print_summary(struct run *r, double elapsed)
{
	const struct fmt_profile *p = r->live ? prof_live__peek(r->live) : r->profile;
	const uint64_t *cnt = r->c.counters;
	struct profd_strbuf sb = {0};
	uint64_t full = cnt[PROFD_CNT_USTACK_FULL] + cnt[PROFD_CNT_KSTACK_FULL];

	profd_strbuf_printf(&sb, "%lld samples (%s, %d Hz, %.1f s), %llu lost",
			    (long long)p->total, prof_sampler__event_name(r->c.sampler),
			    r->opts->freq, elapsed, (unsigned long long)lost_total(cnt));
	if (lost_total(cnt))
		profd_strbuf_printf(&sb, " (%llu stacks: stack map full, %llu samples: counts map full)",
				    (unsigned long long)full,
				    (unsigned long long)cnt[PROFD_CNT_COUNTS_FULL]);
	if (p->loss.stacks_truncated > unwind_cut(r))
		profd_strbuf_printf(&sb, ", %llu stacks truncated at %d frames (raise with --max-stack)",
				    (unsigned long long)(p->loss.stacks_truncated - unwind_cut(r)),
				    prof_sampler__max_stack(r->c.sampler));
	prof_collector__unwind_summary(&r->c, &sb);
	if (cnt[PROFD_CNT_EVENTS_LOST] + cnt[PROFD_CNT_SEEN_FULL] + cnt[PROFD_CNT_TARGETS_FULL])
		profd_strbuf_printf(&sb, ", %llu process events lost",
				    (unsigned long long)(cnt[PROFD_CNT_EVENTS_LOST] +
							 cnt[PROFD_CNT_SEEN_FULL] +
							 cnt[PROFD_CNT_TARGETS_FULL]));
	if (r->c.nexits) {
		size_t shown = r->c.nexits < 5 ? r->c.nexits : 5;

		profd_strbuf_printf(&sb, "; %zu process%s exited:", r->c.nexits,
				    r->c.nexits == 1 ? "" : "es");
		for (size_t i = 0; i < shown; i++)
			profd_strbuf_printf(&sb, " %d%s%s%s", r->c.exits[i].pid,
					    r->c.exits[i].comm[0] ? " (" : "", r->c.exits[i].comm,
					    r->c.exits[i].comm[0] ? ")" : "");
		if (shown < r->c.nexits)
			profd_strbuf_puts(&sb, " ...");
	}
	if (sb.buf)
		pr_info("%s", sb.buf);
	profd_strbuf_release(&sb);
}

static int check_targets(const struct prof_record_opts *o)
{
	for (int i = 0; i < o->npids; i++) {
		if (!process_alive(o->pids[i])) {
			pr_warn("pid %d: no such process", o->pids[i]);
			return -ESRCH;
		}
	}
	return 0;
}

/* Ends the command if we stop first, and reports how it ended. Returns the exit code part. */
static int finish_child(struct run *r)
{
	if (r->child <= 0)
		return PROFD_EXIT_OK;
	if (!check_child(r)) {
		kill(r->child, SIGTERM);
		waitpid(r->child, &r->child_status, 0);
		return PROFD_EXIT_OK; /* we ended it: not a failure of the command */
	}
	if (WIFEXITED(r->child_status) && WEXITSTATUS(r->child_status) == 0)
		return PROFD_EXIT_OK;
	if (WIFEXITED(r->child_status))
		pr_warn("%s exited with status %d", r->opts->argv[0], WEXITSTATUS(r->child_status));
	else if (WIFSIGNALED(r->child_status))
		pr_warn("%s was killed by signal %d (%s)", r->opts->argv[0],
			WTERMSIG(r->child_status), strsignal(WTERMSIG(r->child_status)));
	return PROFD_EXIT_FAILURE;
}

static int start_sampling(struct run *r, int *go_fd)
{
	const struct prof_record_opts *o = r->opts;
	int err;

	for (int i = 0; i < o->npids; i++) {
		err = prof_collector__add_target(&r->c, o->pids[i]);
		if (err) {
			pr_warn("pid %d: cannot add target: %s", o->pids[i], strerror(-err));
			return err;
		}
	}
	if (o->argv) {
		r->child = spawn_command(o->argv, go_fd);
		if (r->child < 0) {
			pr_warn("cannot start %s: %s", o->argv[0], strerror((int)-r->child));
			return (int)r->child;
		}
		/*
		 * Only the BPF target, no maps snapshot: until it execs, the child is a copy of
		 * profd, and BPF reports an exec only for a process it has sampled. Its first
		 * sample announces it and the snapshot is taken then, of the command.
		 */
		err = prof_sampler__add_target(r->c.sampler, r->child);
		if (err)
			return err;
	}
	return prof_collector__start(&r->c);
}

/* Sampling is over but the page stays up until Ctrl-C: profd -p PID --http, after PID exits. */
static void serve_until_signal(struct run *r)
{
	pr_info("sampling stopped; still serving the profile, Ctrl-C to quit");
	while (!stop_signal)
		poll(NULL, 0, POLL_MS);
}

static int start_http(struct run *r)
{
	const struct prof_record_opts *o = r->opts;

	r->live = prof_live__new(1000000000LL / o->freq, LIVE_WINDOWS, WINDOW_MS / 1000.0);
	if (!r->live)
		return -errno;
	r->server = prof_http_start(&o->http, r->live, NULL, 0);
	if (!r->server) {
		int err = -errno;

		prof_live__free(r->live);
		r->live = NULL;
		return err;
	}
	return 0;
}

/* Stops the server; the cumulative profile becomes r->profile. */
static void stop_http(struct run *r)
{
	web_server__stop(r->server);
	r->server = NULL;
	if (r->live) {
		fmt_profile__free(r->profile);
		r->profile = prof_live__steal(r->live);
		prof_live__free(r->live);
		r->live = NULL;
	}
}

int prof_record(const struct prof_record_opts *o)
{
	struct prof_collector_opts co = {
		.freq = o->freq,
		.max_stack = o->max_stack,
		.all = o->all,
		.window_ms = WINDOW_MS,
		.lines = o->lines,
		.unwind = o->unwind,
		.stack_size = o->stack_size,
		.cfi_memory = o->cfi_memory,
	};
	struct prof_output out = {0};
	struct run r = {.opts = o};
	/* With --http the page is the output; a file only when asked for. */
	bool want_output = !o->http.listen || o->output || o->format;
	struct prof_live_info info;
	int go_fd = -1, err, code = PROFD_EXIT_FAILURE;
	double elapsed;

	if (want_output) {
		err = prof_output__open(&out, o->output, o->format);
		if (err)
			return err == -EINVAL ? PROFD_EXIT_USAGE : PROFD_EXIT_FAILURE;
		out.lines = o->lines;
	}
	if (check_targets(o) || prof_check_privileges())
		goto abort_output;
	install_signals();
	if (o->http.listen && start_http(&r))
		goto abort_output;
	co.max_stack = prof_max_stack_raise(o->max_stack);
	if (co.max_stack < 0)
		goto stop_server;
	if (prof_collector__init(&r.c, &co))
		goto restore;
	r.profile = fmt_profile__new(1000000000LL / o->freq);
	if (!r.profile)
		goto fini;

	r.start_ns = realtime_ns();
	r.start = now_s();
	err = start_sampling(&r, &go_fd);
	if (go_fd >= 0) {
		/* Closing without a byte tells the child to give up; a byte lets it exec. */
		if (!err && write(go_fd, "g", 1) != 1)
			err = -errno;
		close(go_fd);
	}
	if (err)
		goto fini;
	pr_debug("sampling %s at %d Hz", prof_sampler__event_name(r.c.sampler), o->freq);
	if (o->unwind == PROFD_UNWIND_COPY)
		pr_debug("user stacks: --unwind copy, %u-byte stack copies", o->stack_size);

	sample_loop(&r);
	/* Two drains: the first takes the live buffer, the second what landed during the first. */
	if (drain_once(&r) || drain_once(&r))
		goto fini;
	elapsed = now_s() - r.start;
	if (r.live) {
		live_info(&r, &info, "stopped");
		if (prof_live__publish(r.live, NULL, 0, 0, &info, true))
			goto fini;
	}

	code = finish_child(&r);
	if (stop_signal)
		pr_debug("stopped by signal %d", (int)stop_signal);
	for (int i = 0; i < o->npids; i++)
		if (!process_alive(o->pids[i]))
			pr_info("pid %d exited after %.1f s", o->pids[i], now_s() - r.start);
	print_summary(&r, elapsed);
	/* The kernel refuses (EBUSY) to change the sysctl while a stack map exists: free ours. */
	prof_collector__fini(&r.c);
	prof_max_stack_restore();
	if (r.live && !o->duration && !stop_signal)
		serve_until_signal(&r);
	stop_http(&r);
	r.profile->time_ns = r.start_ns;
	r.profile->duration_ns = (int64_t)(elapsed * 1e9);
	if (want_output && prof_output__write(&out, r.profile))
		code = PROFD_EXIT_FAILURE;
	fmt_profile__free(r.profile);
	return code;

fini:
	if (r.child > 0) {
		kill(r.child, SIGKILL);
		waitpid(r.child, NULL, 0);
	}
	prof_collector__fini(&r.c);
restore:
	prof_max_stack_restore();
stop_server:
	stop_http(&r);
	fmt_profile__free(r.profile);
abort_output:
	if (want_output)
		prof_output__abort(&out);
	return PROFD_EXIT_FAILURE;
}
