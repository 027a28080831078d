// SPDX-License-Identifier: MIT
/* The library dlcycle.c maps and unmaps: dl_work burns ns of wall time in dl_spin. */
#include <time.h>

#define NOINLINE __attribute__((noinline, disable_tail_calls))

volatile unsigned long dl_sink;

static long long wall_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

NOINLINE void dl_spin(long long deadline)
{
	unsigned long x = dl_sink;

	while (wall_ns() < deadline) {
		for (int i = 0; i < 20000; i++) {
			x = x * 6364136223846793005UL + 1442695040888963407UL;
			__asm__ volatile("" : "+r"(x) : : "memory");
		}
	}
	dl_sink = x;
}

void dl_work(long long ns)
{
	dl_spin(wall_ns() + ns);
	__asm__ volatile("" : : : "memory");
}
