// SPDX-License-Identifier: MIT
/*
 * kernel.perf_event_max_stack caps every call chain the kernel records (127 by default), so a
 * deeper stack is cut. profd raises it for its own run when asked and puts the old value back.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "profiler/sampling_internal.h"

#define SYSCTL "/proc/sys/kernel/perf_event_max_stack"

static int saved = -1;

int prof_max_stack_current(void)
{
	char buf[32];
	int fd = open(SYSCTL, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return n < 0 ? -errno : -EIO;
	buf[n] = '\0';
	return atoi(buf);
}

static int write_value(int value)
{
	char buf[32];
	int fd = open(SYSCTL, O_WRONLY | O_CLOEXEC), len;

	if (fd < 0)
		return -errno;
	len = snprintf(buf, sizeof(buf), "%d\n", value);
	if (write(fd, buf, len) != len) {
		int err = -errno;

		close(fd);
		return err ? err : -EIO;
	}
	return close(fd) ? -errno : 0;
}

/* What the errno alone does not say about a failed write. */
static const char *write_hint(int err)
{
	switch (err) {
	case -EBUSY:
		return ": another profiler is using call chains";
	case -EACCES:
		return ": only uid 0 may write it";
	case -EROFS:
		return ": /proc/sys is read-only here";
	default:
		return "";
	}
}

int prof_max_stack_raise(int depth)
{
	int cur = prof_max_stack_current(), err;

	if (cur < 0) {
		pr_warn("%s: %s", SYSCTL, strerror(-cur));
		return cur;
	}
	if (cur >= depth)
		return depth;
	/*
	 * The kernel refuses the change (EBUSY) while anything holds callchain buffers: another
	 * profiler, or the programs of a profd that just exited, which the kernel frees shortly.
	 */
	for (int i = 0; (err = write_value(depth)) == -EBUSY && i < 200; i++)
		usleep(10000);
	if (err) {
		/* Sampling still works, with the kernel's depth; cut stacks are marked and counted. */
		pr_warn("cannot raise kernel.perf_event_max_stack from %d to %d (%s%s); stacks are cut "
			"at %d frames",
			cur, depth, strerror(-err),
			write_hint(err), cur);
		return cur;
	}
	saved = cur;
	pr_debug("kernel.perf_event_max_stack raised from %d to %d for this run", cur, depth);
	return depth;
}

void prof_max_stack_restore(void)
{
	int err;

	if (saved < 0)
		return;
	/*
	 * Stack-trace maps hold the kernel's callchain buffers until they are freed, and the
	 * kernel frees a map from a workqueue after its last fd is closed; until then the write
	 * fails with EBUSY. Give it up to two seconds.
	 */
	for (int i = 0; (err = write_value(saved)) == -EBUSY && i < 200; i++)
		usleep(10000);
	if (err)
		pr_warn("cannot restore kernel.perf_event_max_stack to %d: %s", saved,
			strerror(-err));
	saved = -1;
}
