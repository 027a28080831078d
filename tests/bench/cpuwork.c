// SPDX-License-Identifier: MIT
/* A fixed amount of CPU work: the same instructions every run, so wall time measures slowdown. */
#include <stdio.h>
#include <stdlib.h>

static volatile unsigned long sink;

__attribute__((noinline)) static unsigned long mix(unsigned long x)
{
	for (int i = 0; i < 64; i++)
		x = x * 6364136223846793005UL + 1442695040888963407UL;
	return x;
}

__attribute__((noinline)) static void work(long rounds)
{
	unsigned long x = 1;

	for (long i = 0; i < rounds; i++)
		x ^= mix(x + i);
	sink = x;
}

int main(int argc, char **argv)
{
	work(argc > 1 ? atol(argv[1]) : 20000000);
	return 0;
}
