// SPDX-License-Identifier: MIT
#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "child.h"

/* Reads "name address" lines up to "ready"; false at a line that is not one, or at the end. */
static bool read_names(struct child *c, FILE *out)
{
	char line[256];

	while (fgets(line, sizeof(line), out)) {
		void *a;

		if (strcmp(line, "ready\n") == 0)
			return true;
		if (c->n == CHILD_MAX_NAMES || sscanf(line, "%31s %p", c->names[c->n], &a) != 2)
			return false;
		c->addrs[c->n++] = (uint64_t)(uintptr_t)a;
	}
	return false;
}

void child_spawn(struct child *c, const char *exe, const char *arg)
{
	int fds[2];
	FILE *out;
	bool ok;

	memset(c, 0, sizeof(*c));
	assert_int_equal(pipe(fds), 0);
	c->pid = fork();
	assert_true(c->pid >= 0);
	if (!c->pid) {
		/* A failed assertion skips child_reap(): the fixture must not run on after the test. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		dup2(fds[1], 1);
		close(fds[0]);
		close(fds[1]);
		execl(exe, exe, arg, (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	out = fdopen(fds[0], "r");
	assert_non_null(out);
	ok = read_names(c, out);
	fclose(out);
	if (!ok) {
		child_reap(c);
		fail_msg("%s did not print \"name address\" lines, then \"ready\"", exe);
	}
}

uint64_t child_addr(const struct child *c, const char *name)
{
	for (int i = 0; i < c->n; i++)
		if (!strcmp(c->names[i], name))
			return c->addrs[i];
	fail_msg("fixture did not print %s", name);
	return 0;
}

void child_reap(struct child *c)
{
	kill(c->pid, SIGKILL);
	waitpid(c->pid, NULL, 0);
}
