// SPDX-License-Identifier: MIT
/*
 * PLT stubs: main -> plt_loop calls plt_tiny (in libpltlib.so, built from pltlib.c) through the
 * PLT in a tight loop, so many samples land in the stub itself, whose CFI is the expression
 * GNU ld writes for .plt. Such samples must unwind to main. Built -O2 without frame pointers by
 * tests/e2e/test_cfi.sh.
 *
 * Usage: pltwork [SECONDS]   (default 4)
 */
#include <stdlib.h>

#include "../workloads/workload.h"

int plt_tiny(int x);

NOINLINE long plt_loop(long long deadline)
{
	long s = 0;

	while (wall_ns() < deadline)
		for (int i = 0; i < 1000000; i++)
			s += plt_tiny(i);
	return s;
}

int main(int argc, char **argv)
{
	double seconds = argc > 1 ? atof(argv[1]) : 4.0;

	sink = (unsigned long)plt_loop(wall_ns() + (long long)(seconds * 1e9));
	return 0;
}
