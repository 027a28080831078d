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

#include "workload.h"

NOINLINE long long rec_leaf(long long ns) { BURN_BODY(ns, 0); }

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
