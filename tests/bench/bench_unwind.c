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
#include <string.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/types.h>

#include "bpf/profile.h"
#include "symbolizer/symbolizer.h"

#define CAPTURES 256

struct capture {
	uint64_t regs[PROFD_REG_MAX];
	uint8_t stack[PROFD_STACK_SIZE_DEFAULT];
	size_t len;
	bool cut;
};

static double now(void)
{
	struct timespec ts;

	/* CPU time, not wall time: the figure should not depend on what else the machine runs. */
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int capture(pid_t pid, struct capture *c)
{
	struct user_regs_struct r;
	uint64_t sp;
	size_t chunk;
	int status;

	if (ptrace(PTRACE_ATTACH, pid, NULL, NULL) || waitpid(pid, &status, 0) != pid ||
	    ptrace(PTRACE_GETREGS, pid, NULL, &r))
		return -1;
	uint64_t v[PROFD_REG_MAX] = {r.rax, r.rdx, r.rcx, r.rbx, r.rsi, r.rdi, r.rbp, r.rsp, r.r8,
				     r.r9,  r.r10, r.r11, r.r12, r.r13, r.r14, r.r15, r.rip};
	memcpy(c->regs, v, sizeof(v));
	sp = r.rsp;
	chunk = 4096 - (sp & 4095);
	c->len = 0;
	c->cut = false;
	for (;;) {
		struct iovec l = {c->stack + c->len, chunk}, rm = {(void *)(sp + c->len), chunk};

		if (c->len + chunk > sizeof(c->stack)) {
			c->cut = true;
			break;
		}
		if (process_vm_readv(pid, &l, 1, &rm, 1, 0) != (ssize_t)chunk)
			break;
		c->len += chunk;
		chunk = 4096;
	}
	return ptrace(PTRACE_DETACH, pid, NULL, NULL);
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
		if (capture(pid, &caps[i])) {
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
