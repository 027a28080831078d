/* SPDX-License-Identifier: MIT */
/*
 * Fixture processes of the symbolizer tests: each prints "name address" lines of its own
 * functions, then "ready", then waits to be killed; the addresses are the truth to check against.
 */
#ifndef PROFD_TEST_CHILD_H
#define PROFD_TEST_CHILD_H

#include <stdint.h>
#include <sys/types.h>

#define CHILD_MAX_NAMES 16

struct child {
	pid_t pid;
	int n;
	char names[CHILD_MAX_NAMES][32];
	uint64_t addrs[CHILD_MAX_NAMES];
};

/* Starts exe with one argument (NULL: none) and reads its lines up to "ready". A child that
 * prints anything else, or ends first, is killed and fails the test. It dies with the test. */
void child_spawn(struct child *c, const char *exe, const char *arg);
/* The address the child printed for name; fails the test when it printed none. */
uint64_t child_addr(const struct child *c, const char *name);
/* Kills the child and waits for it. */
void child_reap(struct child *c);

#endif
