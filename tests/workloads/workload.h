/* SPDX-License-Identifier: MIT */
/*
 * Shared by the known-answer workloads: a thread CPU clock that adds no frame of its own, and
 * a burn loop that spends a given amount of thread CPU time in the function that expands it.
 */
#ifndef PROFD_WORKLOAD_H
#define PROFD_WORKLOAD_H

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define NOINLINE __attribute__((noinline, disable_tail_calls))

/*
 * Thread CPU time through an inline `syscall`, not libc's clock_gettime(): glibc is built
 * without frame pointers, so a sample taken inside its wrapper would unwind past the calling
 * work function and charge its caller instead. Inlined here, the kernel sees the work
 * function's own frame.
 */
static inline __attribute__((always_inline)) long long thread_ns(void)
{
	struct timespec ts;
#if defined(__x86_64__)
	long ret;

	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "0"(228L /* __NR_clock_gettime */), "D"((long)CLOCK_THREAD_CPUTIME_ID),
			   "S"(&ts)
			 : "rcx", "r11", "memory");
	(void)ret;
#else
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
#endif
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static long long wall_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/*
 * A run's length in the thread's CPU time, not in wall time: on a loaded machine the run
 * stretches, so its sample count, and with it the noise in a measured share, stays as designed.
 * The wall clock still ends it at 4x the CPU time asked for, and SIGTERM ends it early (the
 * truth printed is then that of the run so far): a test that needs "enough" CPU time asks for
 * plenty and stops the workload once it has it.
 */
struct run_budget {
	long long cpu_end;  /* CLOCK_THREAD_CPUTIME_ID ns */
	long long wall_end; /* CLOCK_MONOTONIC ns */
};

static volatile sig_atomic_t run_stopped;

static void run_stop(int sig)
{
	(void)sig;
	run_stopped = 1;
}

static inline struct run_budget run_budget(double seconds)
{
	long long ns = (long long)(seconds * 1e9);

	signal(SIGTERM, run_stop);
	return (struct run_budget){thread_ns() + ns, wall_ns() + 4 * ns};
}

static inline int run_budget_left(const struct run_budget *b)
{
	return !run_stopped && thread_ns() < b->cpu_end && wall_ns() < b->wall_end;
}

static volatile unsigned long sink;

/* Each work function burns `ns` of thread CPU time in its own loop and returns what it spent. */
#define BURN_BODY(ns, seed)                                                                        \
	do {                                                                                       \
		long long t0 = thread_ns(), t;                                                     \
		unsigned long x = sink + (seed);                                                   \
		do {                                                                               \
			for (int i = 0; i < 4000; i++) {                                           \
				x = x * 6364136223846793005UL + 1442695040888963407UL;             \
				__asm__ volatile("" : "+r"(x) : : "memory");                       \
			}                                                                          \
			t = thread_ns();                                                           \
		} while (t - t0 < (ns));                                                           \
		sink = x;                                                                          \
		return t - t0;                                                                     \
	} while (0)

#endif
