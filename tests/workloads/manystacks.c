// SPDX-License-Identifier: MIT
/*
 * Stress workload for the drain: thousands of distinct user stacks. Each descent walks DEPTH
 * levels, choosing one of eight functions per level from a random number, so a run of a few
 * seconds leaves far more distinct stacks than one drain's first scratch buffer holds. Each
 * leaf also makes a system call, so samples carry kernel stacks too.
 *
 * Usage: manystacks [SECONDS]   (default 10)
 *
 * Prints "descents N" at exit.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "workload.h"

#define DEPTH 10

typedef long long (*step_fn)(unsigned depth, unsigned long long path);

static step_fn steps[8];

NOINLINE long long leaf(unsigned long long path)
{
	char c;
	int fd = open("/proc/self/stat", O_RDONLY);

	if (fd >= 0) {
		if (read(fd, &c, 1) < 0)
			c = 0;
		close(fd);
	}
	BURN_BODY(20000, path);
}

/* One level: the next function is picked by three bits of path. */
#define STEP(n)                                                                                    \
	NOINLINE long long step##n(unsigned depth, unsigned long long path)                       \
	{                                                                                          \
		long long r = depth ? steps[path & 7](depth - 1, path >> 3) : leaf(path);          \
		__asm__ volatile("" : "+r"(r) : : "memory");                                       \
		return r + (n & 1) - (n & 1);                                                      \
	}
STEP(0)
STEP(1)
STEP(2)
STEP(3)
STEP(4)
STEP(5)
STEP(6)
STEP(7)

static step_fn steps[8] = {step0, step1, step2, step3, step4, step5, step6, step7};

int main(int argc, char **argv)
{
	long long end = wall_ns() + (argc > 1 ? atoll(argv[1]) : 10) * 1000000000LL;
	unsigned long long descents = 0, x = 88172645463325252ULL;

	while (wall_ns() < end) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		steps[x & 7](DEPTH, x >> 3);
		descents++;
	}
	printf("descents %llu\n", descents);
	return 0;
}
