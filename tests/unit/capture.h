/* SPDX-License-Identifier: MIT */
/* A thread's registers and top of stack, copied the way --unwind copy takes them. */
#ifndef PROFD_TEST_CAPTURE_H
#define PROFD_TEST_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <linux/types.h>

#include "bpf/profile.h"

struct capture {
	uint64_t regs[PROFD_REG_MAX];
	uint8_t stack[PROFD_STACK_SIZE_MAX];
	size_t len;
	bool cut; /* the stack goes on above the bytes copied */
};

/*
 * Stops pid with ptrace, takes its registers and, page by page from sp, up to size bytes of its
 * stack or those before the first unreadable page (as profile.bpf.c does), and lets it go on.
 * Returns 0, or -1 with errno set.
 */
int capture_thread(pid_t pid, struct capture *c, size_t size);

#endif
