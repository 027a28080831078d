// SPDX-License-Identifier: MIT
/*
 * Known-answer workload for deep stacks: main -> rec -> rec -> ... (DEPTH frames of rec) ->
 * rec_leaf, where rec_leaf burns the CPU.
 *
 * Usage: recurse DEPTH [SECONDS]   (defaults 60 and 10; SECONDS of its CPU, see run_budget)
 *
 * Each descent burns a random phase (uniform 1-20 ms of thread CPU time) in rec_leaf, then
 * unwinds and descends again until the budget is spent. At exit it prints the truth, "truth
 * rec_leaf PERCENT" = CPU time in rec_leaf / CPU time of the process since its exec, loader and
 * start-up included (CLOCK_PROCESS_CPUTIME_ID; a profiler sees those too), and "depth_rec
 * DEPTH", the number of rec frames on every sampled stack.
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
	long long spent = 0;
	struct run_budget budget;
	struct timespec all;

	if (depth < 1)
		depth = 1;
	if (seconds <= 0)
		seconds = 10.0;
	budget = run_budget(seconds);
	while (run_budget_left(&budget))
		spent += rec(depth, (1 + rand_r(&seed) % 20000) * 1000LL); /* 1-20 ms */
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &all);
	printf("truth rec_leaf %.2f\n", 100.0 * spent / (all.tv_sec * 1e9 + all.tv_nsec));
	printf("depth_rec %d\n", depth);
	return 0;
}
