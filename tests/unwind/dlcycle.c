// SPDX-License-Identifier: MIT
/*
 * A process that maps and unmaps code while it is sampled: it dlopens libdlwork.so, burns CPU in
 * its dl_work (through dl_cycle), dlcloses it, and again, until the deadline. Built -O2 without
 * frame pointers by tests/e2e/test_unwind.sh.
 *
 * Usage: dlcycle LIBRARY [SECONDS]   (default 4)
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

#include "../workloads/workload.h"

NOINLINE int dl_cycle(const char *lib, long long ns)
{
	void *h = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
	void (*work)(long long);

	if (!h)
		return -1;
	work = (void (*)(long long))dlsym(h, "dl_work");
	if (work)
		work(ns);
	dlclose(h);
	return work ? 0 : -1;
}

int main(int argc, char **argv)
{
	double seconds = argc > 2 ? atof(argv[2]) : 4.0;
	long long deadline = wall_ns() + (long long)(seconds * 1e9);
	long cycles = 0;

	if (argc < 2)
		return 2;
	while (wall_ns() < deadline) {
		if (dl_cycle(argv[1], 20 * 1000000LL)) {
			fprintf(stderr, "dlcycle: %s: %s\n", argv[1], dlerror());
			return 1;
		}
		cycles++;
	}
	printf("cycles %ld\n", cycles);
	return 0;
}
