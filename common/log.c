// SPDX-License-Identifier: MIT
#include "log.h"

#include <stdio.h>
#include <string.h>

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
