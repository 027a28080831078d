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

NOINLINE long long burn(long long ns)
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
