// SPDX-License-Identifier: MIT
#include "common/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"

static enum profd_log_level current_level = PROFD_LOG_INFO;

void profd_log_set_level(enum profd_log_level level)
{
	current_level = level;
}

enum profd_log_level profd_log_get_level(void)
{
	return current_level;
}

void profd_log_more(void)
{
	if (current_level < PROFD_LOG_TRACE)
		current_level++;
}

/*
 * Prints "profd: " fmt and a newline if fmt has none, in one write: stderr is unbuffered, so
 * piece by piece a line costs three system calls (libbpf's 1400 lines under -v were a tenth of
 * start-up) and lines from two threads can interleave.
 */
void profd_vlog(enum profd_log_level level, const char *fmt, va_list ap)
{
	static const char prefix[] = "profd: ";
	char small[1024], *line = small;
	size_t head = sizeof(prefix) - 1, len;
	va_list again;
	int n;

	if (level > current_level)
		return;
	va_copy(again, ap);
	n = vsnprintf(small + head, sizeof(small) - head - 1, fmt, ap);
	/* A verifier log runs to megabytes: the heap then, else piece by piece. */
	if (n >= 0 && (size_t)n >= sizeof(small) - head - 1) {
		line = malloc(head + (size_t)n + 2);
		if (line)
			vsnprintf(line + head, (size_t)n + 1, fmt, again);
	}
	if (n < 0 || !line) {
		fputs(prefix, stderr);
		vfprintf(stderr, fmt, again);
		if (!*fmt || fmt[strlen(fmt) - 1] != '\n')
			fputc('\n', stderr);
		va_end(again);
		return;
	}
	va_end(again);
	memcpy(line, prefix, head);
	len = head + (size_t)n;
	/* Callers may or may not end with a newline; libbpf's messages do. */
	if (!n || line[len - 1] != '\n')
		line[len++] = '\n';
	fwrite(line, 1, len, stderr);
	if (line != small)
		free(line);
}

void profd_log(enum profd_log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	profd_vlog(level, fmt, ap);
	va_end(ap);
}

static void say_missed(const struct profd_ratelimit *rl, enum profd_log_level level,
		       const char *prefix, unsigned long long missed)
{
	profd_log(level, "%s%llu more messages not shown (at most %d per %d s)", prefix, missed,
		  rl->burst, rl->interval_s);
}

void profd_log_limited(struct profd_ratelimit *rl, enum profd_log_level level, const char *prefix,
		       const char *fmt, va_list ap)
{
	int64_t now_s = profd_mono_ns() / PROFD_NS_PER_S;
	unsigned long long missed = 0;
	char msg[512];
	size_t len;

	if (level > current_level)
		return;
	pthread_mutex_lock(&rl->lock);
	if (now_s - rl->window_start_s >= rl->interval_s) {
		rl->window_start_s = now_s;
		rl->in_window = 0;
	}
	if (rl->in_window >= rl->burst) {
		rl->suppressed++;
		pthread_mutex_unlock(&rl->lock);
		return;
	}
	rl->in_window++;
	missed = rl->suppressed;
	rl->suppressed = 0;
	pthread_mutex_unlock(&rl->lock);

	vsnprintf(msg, sizeof(msg), fmt, ap);
	len = strlen(msg);
	while (len && (msg[len - 1] == '\n' || msg[len - 1] == '\r'))
		msg[--len] = '\0';
	if (missed)
		say_missed(rl, level, prefix, missed);
	profd_log(level, "%s%s", prefix, msg);
}

void profd_log_limited_flush(struct profd_ratelimit *rl, enum profd_log_level level,
			     const char *prefix)
{
	unsigned long long missed;

	pthread_mutex_lock(&rl->lock);
	missed = rl->suppressed;
	rl->suppressed = 0;
	pthread_mutex_unlock(&rl->lock);
	if (missed && level <= current_level)
		say_missed(rl, level, prefix, missed);
}
