// SPDX-License-Identifier: MIT
/*
 * Signal-handler frames: main -> spin_main burns CPU while a SIGPROF timer (every 10 ms of
 * process CPU time) runs on_prof -> sig_burn, which burns 5 ms of thread CPU time per signal.
 * A sample in sig_burn must unwind through the kernel's signal frame (glibc's __restore_rt)
 * into the interrupted spin_main and main. Built -O2 without frame pointers by
 * tests/e2e/test_cfi.sh.
 *
 * Usage: sigwork [SECONDS]   (default 5)
 *
 * At exit it prints "truth sig_burn PERCENT": thread CPU time inside the handler / CPU time of
 * the loop.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "../workloads/workload.h"

static volatile long long in_handler;

NOINLINE long long sig_burn(long long ns)
{
	BURN_BODY(ns, 7);
}

static void on_prof(int sig)
{
	long long t0 = thread_ns();

	(void)sig;
	sig_burn(5000000);
	in_handler += thread_ns() - t0;
}

NOINLINE long long spin_main(long long deadline)
{
	unsigned long x = sink;

	while (wall_ns() < deadline) {
		for (int i = 0; i < 100000; i++) {
			x = x * 6364136223846793005UL + 1442695040888963407UL;
			__asm__ volatile("" : "+r"(x) : : "memory");
		}
	}
	return (long long)x;
}

int main(int argc, char **argv)
{
	double seconds = argc > 1 ? atof(argv[1]) : 5.0;
	struct itimerval it = {{0, 10000}, {0, 10000}};
	struct sigaction sa;
	long long start;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_prof;
	sa.sa_flags = SA_RESTART;
	if (seconds <= 0 || sigaction(SIGPROF, &sa, NULL) || setitimer(ITIMER_PROF, &it, NULL))
		return 1;
	start = thread_ns();
	sink = spin_main(wall_ns() + (long long)(seconds * 1e9));
	it = (struct itimerval){0};
	setitimer(ITIMER_PROF, &it, NULL);
	printf("truth sig_burn %.2f\n", 100.0 * in_handler / (thread_ns() - start));
	return 0;
}
