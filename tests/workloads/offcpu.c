// SPDX-License-Identifier: MIT
/*
 * Known-answer workload for off-CPU time: four threads that wait nearly all the time, each in
 * its own way, and one that never does.
 *
 *   sleeper  nanosleep() for 2 ms, over and over           (kernel: hrtimer_nanosleep)
 *   reader   read() on a pipe                              (kernel: pipe_read)
 *   feeder   poll() with a 5 ms timeout, then feeds the pipe (kernel: do_sys_poll)
 *   joiner   the main thread, in pthread_join() on the others (kernel: futex_wait)
 *   burner   burns CPU, never blocks
 *
 * Usage: offcpu [SECONDS]   (default 10; at most 3600)
 *
 * Each thread is named (comm) after its role, with OFFCPU_TAG from the environment appended if
 * set. Once every thread runs, the workload prints
 * "ready" on stdout (and flushes it): a test starts profiling from there. At the end it prints
 * per thread "truth_blocked_ms NAME MS": its wall time alive minus its own CPU time, which is
 * the time it spent off CPU, waiting or runnable; and "truth_waits NAME N": the times it blocked,
 * as the kernel counts them (voluntary context switches), however long a loaded machine makes
 * each wait.
 */
#define _GNU_SOURCE
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "workload.h"

enum { SLEEPER, READER, FEEDER, BURNER, NTHREADS };

struct job {
	const char *name;
	long long deadline; /* CLOCK_MONOTONIC ns */
	long long alive_ns, cpu_ns;
	long long waits; /* voluntary context switches, or -1 if unknown */
};

static int pipe_fds[2];
static struct job jobs[NTHREADS] = {
	{.name = "sleeper"}, {.name = "reader"}, {.name = "feeder"}, {.name = "burner"},
};
static pthread_barrier_t started;

/*
 * Starts a job's clocks once every thread runs. The thread is named after the job, and after
 * OFFCPU_TAG if set, so that a whole-machine test counts its own threads, not another run's.
 */
static long long begin(struct job *j)
{
	const char *tag = getenv("OFFCPU_TAG");
	char name[16];

	snprintf(name, sizeof(name), "%s%s", j->name, tag ? tag : "");
	pthread_setname_np(pthread_self(), name);
	pthread_barrier_wait(&started);
	return wall_ns();
}

/* The calling thread's voluntary context switches so far, from the kernel; -1 if unknown. */
static long long waits_so_far(void)
{
	FILE *f = fopen("/proc/thread-self/status", "r");
	long long n = -1;
	char line[128];

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "voluntary_ctxt_switches: %lld", &n) == 1)
			break;
	if (f)
		fclose(f);
	return n;
}

static void end(struct job *j, long long t0)
{
	j->alive_ns = wall_ns() - t0;
	j->cpu_ns = thread_ns();
	j->waits = waits_so_far();
}

NOINLINE void sleep_in_nanosleep(struct job *j)
{
	struct timespec ts = {.tv_nsec = 2000000};

	while (wall_ns() < j->deadline)
		nanosleep(&ts, NULL);
}

NOINLINE void read_from_pipe(struct job *j)
{
	char c;

	/* The feeder closes its end at the deadline: read() then returns 0. */
	while (read(pipe_fds[0], &c, 1) == 1)
		;
}

NOINLINE void feed_the_pipe(struct job *j)
{
	while (wall_ns() < j->deadline) {
		poll(NULL, 0, 5);
		if (write(pipe_fds[1], "x", 1) != 1)
			break;
	}
	close(pipe_fds[1]);
}

NOINLINE long long burn(long long ns) { BURN_BODY(ns, 3); }

NOINLINE void burn_until(struct job *j)
{
	while (wall_ns() < j->deadline)
		burn(1000000);
}

static void *run(void *arg)
{
	static void (*const work[NTHREADS])(struct job *) = {
		[SLEEPER] = sleep_in_nanosleep,
		[READER] = read_from_pipe,
		[FEEDER] = feed_the_pipe,
		[BURNER] = burn_until,
	};
	struct job *j = arg;
	long long t0 = begin(j);

	work[j - jobs](j);
	end(j, t0);
	return NULL;
}

NOINLINE void join_all(pthread_t *t)
{
	for (int i = 0; i < NTHREADS; i++)
		pthread_join(t[i], NULL);
}

int main(int argc, char **argv)
{
	double seconds = argc > 1 ? atof(argv[1]) : 10.0;
	struct job joiner = {.name = "joiner"};
	pthread_t t[NTHREADS];
	long long t0;

	if (!(seconds > 0) || seconds > 3600)
		seconds = 10.0;
	if (pipe(pipe_fds) || pthread_barrier_init(&started, NULL, NTHREADS + 1)) {
		perror("offcpu");
		return 1;
	}
	for (int i = 0; i < NTHREADS; i++)
		jobs[i].deadline = wall_ns() + (long long)(seconds * 1e9);
	for (int i = 0; i < NTHREADS; i++) {
		if (pthread_create(&t[i], NULL, run, &jobs[i])) {
			perror("pthread_create");
			return 1;
		}
	}
	t0 = begin(&joiner);
	printf("ready\n");
	fflush(stdout);
	join_all(t);
	end(&joiner, t0);
	for (int i = 0; i < NTHREADS; i++)
		printf("truth_blocked_ms %s %.1f\n", jobs[i].name,
		       (jobs[i].alive_ns - jobs[i].cpu_ns) / 1e6);
	printf("truth_blocked_ms %s %.1f\n", joiner.name, (joiner.alive_ns - joiner.cpu_ns) / 1e6);
	for (int i = 0; i < NTHREADS; i++)
		printf("truth_waits %s %lld\n", jobs[i].name, jobs[i].waits);
	printf("truth_waits %s %lld\n", joiner.name, joiner.waits);
	return 0;
}
