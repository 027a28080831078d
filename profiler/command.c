// SPDX-License-Identifier: MIT
/* `profd -- CMD ARGS`: the command profd starts, sampled from its first instruction to its exit. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

#include "common/log.h"
#include "profiler/profiler.h"
#include "profiler/sampling_internal.h"

int prof_command__spawn(struct prof_command *c, char **argv)
{
	int go[2];

	memset(c, 0, sizeof(*c));
	c->go_fd = -1;
	c->argv = argv;
	if (pipe2(go, O_CLOEXEC))
		return -errno;
	c->pid = fork();
	if (c->pid < 0) {
		int err = -errno;

		close(go[0]);
		close(go[1]);
		c->pid = 0;
		pr_warn("cannot start %s: %s", argv[0], strerror(-err));
		return err;
	}
	if (c->pid == 0) {
		char byte;

		close(go[1]);
		if (read(go[0], &byte, 1) != 1)
			_exit(127); /* profd gave up before starting us */
		execvp(argv[0], argv);
		fprintf(stderr, "profd: cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(go[0]);
	c->go_fd = go[1];
	return 0;
}

int prof_command__go(struct prof_command *c)
{
	int err = 0;

	if (c->go_fd < 0)
		return 0;
	if (write(c->go_fd, "g", 1) != 1)
		err = -errno;
	close(c->go_fd);
	c->go_fd = -1;
	return err;
}

bool prof_command__exited(struct prof_command *c)
{
	if (c->pid > 0 && !c->done && waitpid(c->pid, &c->status, WNOHANG) == c->pid)
		c->done = true;
	return c->done;
}

int prof_command__end(struct prof_command *c)
{
	if (c->pid <= 0)
		return PROFD_EXIT_OK;
	if (!prof_command__exited(c)) {
		kill(c->pid, SIGTERM);
		waitpid(c->pid, &c->status, 0);
		c->done = true;
		return PROFD_EXIT_OK; /* we ended it: not a failure of the command */
	}
	if (WIFEXITED(c->status) && WEXITSTATUS(c->status) == 0)
		return PROFD_EXIT_OK;
	if (WIFEXITED(c->status))
		pr_warn("%s exited with status %d", c->argv[0], WEXITSTATUS(c->status));
	else if (WIFSIGNALED(c->status))
		pr_warn("%s was killed by signal %d (%s)", c->argv[0], WTERMSIG(c->status),
			strsignal(WTERMSIG(c->status)));
	return PROFD_EXIT_FAILURE;
}

void prof_command__kill(struct prof_command *c)
{
	/* Closing the pipe without a byte tells a command not yet started to give up. */
	if (c->go_fd >= 0)
		close(c->go_fd);
	c->go_fd = -1;
	if (c->pid > 0 && !c->done) {
		kill(c->pid, SIGKILL);
		waitpid(c->pid, NULL, 0);
		c->done = true;
	}
}
