// SPDX-License-Identifier: MIT
#include "common/log.h"

#include <stdio.h>
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

void profd_vlog(enum profd_log_level level, const char *fmt, va_list ap)
{
	size_t len;

	if (level > current_level)
		return;
	fputs("profd: ", stderr);
	vfprintf(stderr, fmt, ap);
	/* Callers may or may not end with a newline; libbpf's messages do. */
	len = strlen(fmt);
	if (!len || fmt[len - 1] != '\n')
		fputc('\n', stderr);
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
