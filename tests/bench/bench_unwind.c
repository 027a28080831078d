// SPDX-License-Identifier: MIT
/*
 * Throughput of profd's unwinder alone: stops a running process with ptrace at many points,
 * copies registers and 16 KiB of stack the way the BPF sampler does, then unwinds the copies
 * again and again for SECONDS of CPU time.
 *
 * Usage: bench_unwind PID SECONDS
 * Prints: "stacks_per_s N frames_per_s N frames_per_stack N reached_end_pct N"
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <linux/types.h>

#include "bpf/profile.h"
#include "symbolizer/symbolizer.h"
#include "tests/unit/capture.h"

#define CAPTURES 256

static double now(void)
{
	struct timespec ts;

	/* CPU time, not wall time: the figure should not depend on what else the machine runs. */
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	static struct capture caps[CAPTURES];
	struct sym_resolver *r;
	struct sym_unwinder *u;
	uint64_t pcs[128], stacks = 0, frames = 0, ends = 0;
	enum sym_unwind_stop stop;
	double seconds, t0, t;
	pid_t pid;

	if (argc != 3)
		return 2;
	pid = atoi(argv[1]);
	seconds = atof(argv[2]);
	for (int i = 0; i < CAPTURES; i++) {
		struct timespec pause = {.tv_nsec = (rand() % 3000 + 200) * 1000};

		nanosleep(&pause, NULL);
		if (capture_thread(pid, &caps[i], PROFD_STACK_SIZE_DEFAULT)) {
			perror("ptrace");
			return 1;
		}
	}
	r = sym_resolver__new(NULL);
	u = r ? sym_unwinder__new(r) : NULL;
	if (!u || sym_resolver__add_process(r, pid) || sym_unwinder__prepare(u, pid))
		return 1;
	t0 = now();
	do {
		for (int i = 0; i < CAPTURES; i++) {
			struct sym_unwind_sample s = {
				.pid = pid,
				.regs = caps[i].regs,
				.stack = caps[i].stack,
				.stack_len = caps[i].len,
				.stack_cut = caps[i].cut,
			};
			int n = sym_unwinder__unwind(u, &s, pcs, 128, &stop);

			if (n < 0)
				return 1;
			stacks++;
			frames += (uint64_t)n;
			ends += stop == SYM_UNWIND_END;
		}
		t = now() - t0;
	} while (t < seconds);
	printf("stacks_per_s %.0f frames_per_s %.0f frames_per_stack %.1f reached_end_pct %.1f\n",
	       stacks / t, frames / t, (double)frames / stacks, 100.0 * ends / stacks);
	sym_unwinder__free(u);
	sym_resolver__free(r);
	return 0;
}
