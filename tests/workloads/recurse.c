// SPDX-License-Identifier: MIT
/*
 * Known-answer workload for deep stacks: main -> rec -> rec -> ... (DEPTH frames of rec) ->
 * rec_leaf, where rec_leaf burns the CPU.
 *
 * Usage: recurse DEPTH [SECONDS]   (defaults 60 and 10)
 *
 * Each descent burns a random phase (uniform 1-20 ms of thread CPU time) in rec_leaf, then
 * unwinds and descends again until the deadline. At exit it prints the truth, "truth rec_leaf
 * PERCENT" = CPU time in rec_leaf / CPU time of the loop (CLOCK_THREAD_CPUTIME_ID), and
 * "depth_rec DEPTH", the number of rec frames on every sampled stack.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define NOINLINE __attribute__((noinline, disable_tail_calls))

/* Inline syscall: see split3.c (glibc's wrapper has no frame pointer and hides the caller). */
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

volatile unsigned long sink;

NOINLINE long long rec_leaf(long long ns)
{
	long long t0 = thread_ns(), t;
	unsigned long x = sink;

	do {
		for (int i = 0; i < 4000; i++) {
			x = x * 6364136223846793005UL + 1442695040888963407UL;
			__asm__ volatile("" : "+r"(x) : : "memory");
		}
		t = thread_ns();
	} while (t - t0 < ns);
	sink = x;
	return t - t0;
}

/* Not a tail call: the result is used after the call returns, and clang is told not to. */
NOINLINE long long rec(int depth, long long ns)
{
	long long r = depth <= 1 ? rec_leaf(ns) : rec(depth - 1, ns);

	__asm__ volatile("" : "+r"(r) : : "memory");
	return r + (depth & 1) - (depth & 1);
}

int main(int argc, char **argv)
{
	int depth = argc > 1 ? atoi(argv[1]) : 60;
	double seconds = argc > 2 ? atof(argv[2]) : 10.0;
	unsigned int seed = (unsigned int)wall_ns();
	long long spent = 0, start, total, deadline;

	if (depth < 1)
		depth = 1;
	if (seconds <= 0)
		seconds = 10.0;
	deadline = wall_ns() + (long long)(seconds * 1e9);
	start = thread_ns();
	while (wall_ns() < deadline)
		spent += rec(depth, (1 + rand_r(&seed) % 20000) * 1000LL); /* 1-20 ms */
	total = thread_ns() - start;
	printf("truth rec_leaf %.2f\n", 100.0 * spent / total);
	printf("depth_rec %d\n", depth);
	return 0;
}
