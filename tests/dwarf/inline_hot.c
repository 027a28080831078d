// SPDX-License-Identifier: MIT
/*
 * Workload for the DWARF tests: its CPU time is spent in an always_inline helper (churn) inlined
 * into a noinline function (hot), or in libc's qsort and memcpy. The tests build it themselves,
 * with gcc and with clang at -O2 -g, so each compiler's DWARF is checked (clang 14 emits no
 * .debug_aranges).
 *
 * Usage: inline_hot pause              print "NAME ADDRESS" lines, "ready", then sleep
 *        inline_hot SECONDS [MODE]     burn CPU; MODE inline (default), libc or both
 *
 * In libc and both modes it prints at exit the truth the tests compare with: "truth qsort P" and
 * "truth memcpy P", the share of the loop's CPU time (thread CPU clock) inside those calls.
 *
 * The lines marked LINE-* are found by the tests with grep: keep the markers on them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline))

static inline __attribute__((always_inline)) unsigned long churn(unsigned long x, int rounds)
{
	for (int i = 0; i < rounds; i++) {
		x ^= x << 7;			/* LINE-CHURN */
		x ^= x >> 9;			/* LINE-CHURN */
		x *= 0x9e3779b97f4a7c15ul;	/* LINE-CHURN */
	}
	return x;
}

NOINLINE unsigned long hot(const unsigned long *v, int n, int rounds)
{
	unsigned long s = 0;

	for (int i = 0; i < n; i++)
		s += churn(v[i] + s, rounds); /* LINE-CALL */
	return s;
}

NOINLINE static int cmp(const void *a, const void *b)
{
	unsigned long x = *(const unsigned long *)a, y = *(const unsigned long *)b;

	return x < y ? -1 : x > y;
}

static double cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double qsort_s, memcpy_s; /* CPU time inside qsort and memcpy */

/* Sorting and copying: the time goes to libc's qsort (msort.c) and memcpy. */
NOINLINE unsigned long libc_work(unsigned long *v, unsigned long *w, size_t n,
				 unsigned long seed)
{
	double t0, t1;

	for (size_t i = 0; i < n; i++) {
		seed = seed * 6364136223846793005ul + 1442695040888963407ul;
		v[i] = seed >> 11;
	}
	t0 = cpu_now();
	qsort(v, n, sizeof(*v), cmp);
	t1 = cpu_now();
	for (int k = 0; k < 64; k++)
		memcpy(w, v, n * sizeof(*v));
	qsort_s += t1 - t0;
	memcpy_s += cpu_now() - t1;
	return w[n / 2];
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	static unsigned long v[1 << 16], w[1 << 16];
	void *(*volatile copy)(void *, const void *, size_t) = memcpy;
	void (*volatile sort)(void *, size_t, size_t, int (*)(const void *, const void *)) = qsort;
	unsigned long sink = 0, in[64];
	const char *mode = argc > 2 ? argv[2] : "inline";
	double end, cpu0;

	if (argc > 1 && !strcmp(argv[1], "pause")) {
		printf("hot %p\nlibc_work %p\nqsort %p\nmemcpy %p\nready\n", (void *)hot,
		       (void *)libc_work, (void *)sort, (void *)copy);
		fflush(stdout);
		sink = hot(in, 0, 1) + libc_work(v, w, 16, 1);
		pause();
		return (int)(sink & 1);
	}
	end = now() + (argc > 1 ? atof(argv[1]) : 5);
	for (int i = 0; i < 64; i++)
		in[i] = (unsigned long)i * 2654435761u;
	cpu0 = cpu_now();
	while (now() < end) {
		if (strcmp(mode, "libc"))
			sink += hot(in, 64, 20000);
		if (strcmp(mode, "inline"))
			sink += libc_work(v, w, sizeof(v) / sizeof(v[0]), sink);
	}
	printf("%lu\n", sink & 1);
	if (strcmp(mode, "inline")) {
		double all = cpu_now() - cpu0;

		printf("truth qsort %.2f\ntruth memcpy %.2f\n", 100 * qsort_s / all,
		       100 * memcpy_s / all);
	}
	return 0;
}
