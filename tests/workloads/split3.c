// SPDX-License-Identifier: MIT
/*
 * Known-answer workload: one thread splits its CPU time 60/30/10 % over three distinct call
 * paths, main -> path_a -> work_a, main -> path_b -> work_b, main -> path_c -> work_c.
 *
 * Usage: split3 [SECONDS]   (default 10): seconds of its own CPU time (4x as long in wall time
 *                            at most; SIGTERM ends it sooner, with the truth so far)
 *
 * Phases have random lengths (uniform 1-20 ms of thread CPU time), so no phase can fall into
 * lockstep with a sampling timer. The next phase goes to the function furthest below its target
 * share, so the long-run split converges on the design. At exit it prints the truth, measured
 * with CLOCK_THREAD_CPUTIME_ID: "truth FUNCTION PERCENT" = CPU time inside FUNCTION / CPU time of
 * the whole loop.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "workload.h"

NOINLINE long long work_a(long long ns) { BURN_BODY(ns, 1); }
NOINLINE long long work_b(long long ns) { BURN_BODY(ns, 2); }
NOINLINE long long work_c(long long ns) { BURN_BODY(ns, 3); }

NOINLINE long long path_a(long long ns)
{
	long long r = work_a(ns);

	__asm__ volatile("" : : : "memory");
	return r;
}

NOINLINE long long path_b(long long ns)
{
	long long r = work_b(ns);

	__asm__ volatile("" : : : "memory");
	return r;
}

NOINLINE long long path_c(long long ns)
{
	long long r = work_c(ns);

	__asm__ volatile("" : : : "memory");
	return r;
}

static const char *const names[3] = {"work_a", "work_b", "work_c"};
static const double target[3] = {0.60, 0.30, 0.10};

int main(int argc, char **argv)
{
	double seconds = argc > 1 ? atof(argv[1]) : 10.0;
	long long spent[3] = {0}, total = 0, start;
	unsigned int seed = (unsigned int)wall_ns();
	struct run_budget budget;

	if (seconds <= 0)
		seconds = 10.0;
	budget = run_budget(seconds);
	start = thread_ns();
	while (run_budget_left(&budget)) {
		long long elapsed = thread_ns() - start + 1;
		long long ns = (1 + rand_r(&seed) % 20000) * 1000LL; /* 1-20 ms */
		int next = 0;
		double worst = 1e300;

		/* The function furthest below its target share goes next. */
		for (int i = 0; i < 3; i++) {
			double gap = (double)spent[i] / elapsed - target[i];

			if (gap < worst) {
				worst = gap;
				next = i;
			}
		}
		switch (next) {
		case 0: spent[0] += path_a(ns); break;
		case 1: spent[1] += path_b(ns); break;
		default: spent[2] += path_c(ns); break;
		}
	}
	total = thread_ns() - start;
	for (int i = 0; i < 3; i++)
		printf("truth %s %.2f\n", names[i], 100.0 * spent[i] / total);
	printf("truth_total_cpu_ms %.1f\n", total / 1e6);
	return 0;
}
