// SPDX-License-Identifier: MIT
/*
 * Deep-stack workload for DWARF unwinding: main -> deep -> deep -> ... (DEPTH frames of deep,
 * each with a 128-byte local buffer, so 300 frames take about 48 KiB of stack) -> deep_leaf,
 * which burns the CPU. Built -O2 without frame pointers by tests/e2e/test_unwind.sh.
 *
 * Usage: deep DEPTH [SECONDS]   (defaults 300 and 5)
 *
 * Each descent burns a random phase (uniform 1-20 ms of thread CPU time) in deep_leaf, then
 * returns to main and descends again until the deadline. At exit it prints "truth deep_leaf
 * PERCENT" (CPU time in deep_leaf / CPU time of the loop) and "depth_deep DEPTH".
 */
#include <stdio.h>
#include <stdlib.h>

#include "../workloads/workload.h"

NOINLINE long long deep_leaf(long long ns)
{
	BURN_BODY(ns, 0);
}

NOINLINE long long deep(int depth, long long ns)
{
	char pad[128];
	long long r;

	/* The buffer's address escapes: the compiler must give every frame all 128 bytes. */
	pad[depth & 127] = (char)depth;
	__asm__ volatile("" : : "r"(pad) : "memory");
	r = depth <= 1 ? deep_leaf(ns) : deep(depth - 1, ns);
	__asm__ volatile("" : "+r"(r) : "r"(pad) : "memory");
	return r;
}

int main(int argc, char **argv)
{
	int depth = argc > 1 ? atoi(argv[1]) : 300;
	double seconds = argc > 2 ? atof(argv[2]) : 5.0;
	unsigned int seed = (unsigned int)wall_ns();
	long long spent = 0, start, total, deadline;

	if (depth < 1)
		depth = 1;
	if (seconds <= 0)
		seconds = 5.0;
	deadline = wall_ns() + (long long)(seconds * 1e9);
	start = thread_ns();
	while (wall_ns() < deadline)
		spent += deep(depth, (1 + rand_r(&seed) % 20000) * 1000LL);
	total = thread_ns() - start;
	printf("truth deep_leaf %.2f\n", 100.0 * spent / total);
	printf("depth_deep %d\n", depth);
	return 0;
}
