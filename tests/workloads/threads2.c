// SPDX-License-Identifier: MIT
/*
 * Known-answer workload: two threads with different loads. Thread 1 runs only spin_alpha and is
 * always busy; thread 2 runs only spin_beta and sleeps 8/3 of each phase it spins, so it is busy
 * 3/11 of the time (both called from the thread start routine, so stacks go
 * start_thread -> alpha_thread -> spin_alpha). The two truths differ (about 80/20 on an idle
 * two-CPU machine, still 2:1 or so when the CPUs are contended), so a profiler that swapped the
 * threads' names or samples would be caught.
 *
 * Usage: threads2 [SECONDS]   (default 10)
 *
 * Each thread calls its spin function repeatedly for random phases (uniform 1-20 ms of thread CPU
 * time) until the wall-clock deadline. At exit it prints the truth: "truth FUNCTION PERCENT" =
 * CPU time inside FUNCTION (CLOCK_THREAD_CPUTIME_ID, per thread) / CPU time of both threads;
 * if a thread was starved, the truth says so. As soon as both threads run it prints (and
 * flushes) "truth_pid PID" and "truth_tid FUNCTION TID", the thread each function runs on.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "workload.h"

NOINLINE long long spin_alpha(long long ns) { BURN_BODY(ns, 1); }
NOINLINE long long spin_beta(long long ns) { BURN_BODY(ns, 2); }

struct job {
	long long (*spin)(long long ns);
	long long deadline;	/* CLOCK_MONOTONIC ns */
	int rest;		/* sleep rest/3 of each phase after it: 0 = always busy */
	unsigned int seed;
	long tid;
	long long spent;	/* CPU ns inside spin */
	long long total;	/* CPU ns of the whole thread loop */
};

static void *run(struct job *j)
{
	long long start = thread_ns();

	__atomic_store_n(&j->tid, syscall(SYS_gettid), __ATOMIC_RELEASE);
	while (wall_ns() < j->deadline) {
		long long ns = j->spin((1 + rand_r(&j->seed) % 20000) * 1000LL); /* 1-20 ms */

		j->spent += ns;
		if (j->rest) {
			long long nap = ns * j->rest / 3;
			struct timespec ts = {nap / 1000000000LL, nap % 1000000000LL};

			nanosleep(&ts, NULL);
		}
	}
	j->total = thread_ns() - start;
	return NULL;
}

NOINLINE void *alpha_thread(void *arg)
{
	void *r = run(arg);

	__asm__ volatile("" : : : "memory");
	return r;
}

NOINLINE void *beta_thread(void *arg)
{
	void *r = run(arg);

	__asm__ volatile("" : : : "memory");
	return r;
}

int main(int argc, char **argv)
{
	double seconds = argc > 1 ? atof(argv[1]) : 10.0;
	long long deadline;
	struct job a = {.spin = spin_alpha}, b = {.spin = spin_beta, .rest = 8};
	pthread_t ta, tb;
	double all;

	if (seconds <= 0)
		seconds = 10.0;
	deadline = wall_ns() + (long long)(seconds * 1e9);
	a.deadline = b.deadline = deadline;
	a.seed = (unsigned int)wall_ns();
	b.seed = a.seed * 2654435761u + 1;
	if (pthread_create(&ta, NULL, alpha_thread, &a) || pthread_create(&tb, NULL, beta_thread, &b)) {
		perror("pthread_create");
		return 1;
	}
	/* The threads' ids while they run, so a test can point a profiler at one of them. */
	while (!__atomic_load_n(&a.tid, __ATOMIC_ACQUIRE) || !__atomic_load_n(&b.tid, __ATOMIC_ACQUIRE))
		nanosleep(&(struct timespec){0, 1000000}, NULL);
	printf("truth_pid %d\ntruth_tid spin_alpha %ld\ntruth_tid spin_beta %ld\n", (int)getpid(),
	       a.tid, b.tid);
	fflush(stdout);
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	all = (double)(a.total + b.total);
	printf("truth spin_alpha %.2f\n", 100.0 * a.spent / all);
	printf("truth spin_beta %.2f\n", 100.0 * b.spent / all);
	printf("truth_total_cpu_ms %.1f\n", all / 1e6);
	return 0;
}
