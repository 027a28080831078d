// SPDX-License-Identifier: MIT
/* Per-CPU sampling events: hardware cycles where a PMU exists, else the cpu-clock timer. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/perf_event.h>
#include <sys/syscall.h>

#include "common/array.h"
#include "common/log.h"
#include "profiler/sampling_internal.h"

static int read_file(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return 0;
}

int prof_parse_cpu_list(const char *s, int **cpus)
{
	int *list = NULL, n = 0;
	size_t cap = 0;

	while (*s && *s != '\n') {
		char *end;
		long a = strtol(s, &end, 10), b;

		if (end == s || a < 0)
			goto bad;
		b = a;
		s = end;
		if (*s == '-') {
			b = strtol(s + 1, &end, 10);
			if (end == s + 1 || b < a || b > 65535)
				goto bad;
			s = end;
		}
		for (long c = a; c <= b; c++) {
			if (PROFD_ARRAY_RESERVE(list, cap, n + 1, 64)) {
				free(list);
				return -ENOMEM;
			}
			list[n++] = (int)c;
		}
		if (*s == ',')
			s++;
		else if (*s && *s != '\n')
			goto bad;
	}
	if (!n)
		goto bad;
	*cpus = list;
	return n;
bad:
	free(list);
	return -EINVAL;
}

int prof_online_cpus(int **cpus)
{
	char buf[4096];
	int err = read_file("/sys/devices/system/cpu/online", buf, sizeof(buf));

	if (err) {
		pr_warn("/sys/devices/system/cpu/online: %s", strerror(-err));
		return err;
	}
	err = prof_parse_cpu_list(buf, cpus);
	if (err < 0)
		pr_warn("/sys/devices/system/cpu/online: cannot parse \"%s\"", buf);
	return err;
}

static int by_number(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

int prof_sampled_cpus(const char *wanted, int **cpus, int *offline)
{
	int *online = NULL, *list = NULL, n = prof_online_cpus(&online), m = 0;

	if (n < 0 || !wanted) {
		*cpus = online;
		return n;
	}
	m = prof_parse_cpu_list(wanted, &list);
	for (int i = 0; i < m; i++) {
		int j = 0;

		while (j < n && online[j] != list[i])
			j++;
		if (j == n) {
			*offline = list[i];
			m = -ENODEV;
			break;
		}
	}
	free(online);
	if (m < 0) {
		free(list);
		return m;
	}
	/* Once each: a CPU listed twice would get two events, and twice its samples. */
	qsort(list, (size_t)m, sizeof(*list), by_number);
	n = 0;
	for (int i = 0; i < m; i++)
		if (!n || list[n - 1] != list[i])
			list[n++] = list[i];
	*cpus = list;
	return n;
}

int prof_max_sample_rate(void)
{
	char buf[64];
	int err = read_file("/proc/sys/kernel/perf_event_max_sample_rate", buf, sizeof(buf));

	return err ? err : atoi(buf);
}

static int open_event(int cpu, int freq, __u32 type, __u64 config)
{
	struct perf_event_attr attr = {
		.size = sizeof(attr),
		.type = type,
		.config = config,
		.freq = 1,
		.sample_freq = freq,
	};
	int fd = syscall(__NR_perf_event_open, &attr, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

int prof_perf_event_open(int cpu, int freq, bool *software)
{
	int fd;

	if (!*software) {
		fd = open_event(cpu, freq, PERF_TYPE_HARDWARE, PERF_COUNT_HW_CPU_CYCLES);
		if (fd >= 0)
			return fd;
		/* No PMU (most virtual machines): the timer-based event works everywhere. */
		if (fd != -ENOENT && fd != -EOPNOTSUPP && fd != -ENODEV && fd != -EINVAL)
			return fd;
		pr_debug("cycles unavailable (%s), sampling cpu-clock", strerror(-fd));
		*software = true;
	}
	return open_event(cpu, freq, PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CPU_CLOCK);
}
