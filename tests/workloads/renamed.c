// SPDX-License-Identifier: MIT
/*
 * Hostile process name: sets its comm to "<svg onload=alert(1)>" (the kernel keeps the first 15
 * bytes, "<svg onload=ale") and burns CPU in `burn`. Renderers must escape it.
 *
 * Usage: renamed [SECONDS]   (default 10)
 *
 * Prints "truth burn PERCENT": CPU time in burn / CPU time of the loop (thread CPU clock).
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <time.h>

#include "workload.h"

NOINLINE long long burn(long long ns) { BURN_BODY(ns, 0); }

int main(int argc, char **argv)
{
	double seconds = argc > 1 ? atof(argv[1]) : 10.0;
	unsigned int seed = (unsigned int)wall_ns();
	long long spent = 0, start, deadline;

	if (seconds <= 0)
		seconds = 10.0;
	if (prctl(PR_SET_NAME, "<svg onload=alert(1)>", 0, 0, 0)) {
		perror("prctl");
		return 1;
	}
	deadline = wall_ns() + (long long)(seconds * 1e9);
	start = thread_ns();
	while (wall_ns() < deadline)
		spent += burn((1 + rand_r(&seed) % 20000) * 1000LL); /* 1-20 ms */
	printf("truth burn %.2f\n", 100.0 * spent / (thread_ns() - start));
	return 0;
}
