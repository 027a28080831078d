// SPDX-License-Identifier: MIT
/*
 * Known-answer workload: two threads, each busy on its own CPU. Thread 1 runs only spin_alpha,
 * thread 2 only spin_beta (both called from the thread start routine, so stacks go
 * start_thread -> alpha_thread -> spin_alpha).
 *
 * Usage: threads2 [SECONDS]   (default 10)
 *
 * Each thread calls its spin function repeatedly for random phases (uniform 1-20 ms of thread CPU
 * time) until the wall-clock deadline. At exit it prints the truth: "truth FUNCTION PERCENT" =
 * CPU time inside FUNCTION (CLOCK_THREAD_CPUTIME_ID, per thread) / CPU time of both threads.
 * On an idle two-CPU machine both are near 50 %; if one thread was starved, the truth says so.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "workload.h"

NOINLINE long long spin_alpha(long long ns) { BURN_BODY(ns, 1); }
NOINLINE long long spin_beta(long long ns) { BURN_BODY(ns, 2); }

struct job {
	long long (*spin)(long long ns);
	long long deadline;	/* CLOCK_MONOTONIC ns */
	unsigned int seed;
	long long spent;	/* CPU ns inside spin */
	long long total;	/* CPU ns of the whole thread loop */
};

static void *run(struct job *j)
{
	long long start = thread_ns();

	while (wall_ns() < j->deadline)
		j->spent += j->spin((1 + rand_r(&j->seed) % 20000) * 1000LL); /* 1-20 ms */
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
	struct job a = {.spin = spin_alpha}, b = {.spin = spin_beta};
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
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	all = (double)(a.total + b.total);
	printf("truth spin_alpha %.2f\n", 100.0 * a.spent / all);
	printf("truth spin_beta %.2f\n", 100.0 * b.spent / all);
	printf("truth_total_cpu_ms %.1f\n", all / 1e6);
	return 0;
}
