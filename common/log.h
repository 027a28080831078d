/* SPDX-License-Identifier: MIT */
/* One logging hook for all of profd: messages go to stderr, debug only under -v. */
#ifndef PROFD_LOG_H
#define PROFD_LOG_H

#include <stdarg.h>

enum profd_log_level {
	PROFD_LOG_WARN,
	PROFD_LOG_INFO,
	PROFD_LOG_DEBUG,
};

/* Messages above this level are dropped. Default PROFD_LOG_INFO; -v raises it. */
void profd_log_set_level(enum profd_log_level level);
enum profd_log_level profd_log_get_level(void);

void profd_log(enum profd_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void profd_vlog(enum profd_log_level level, const char *fmt, va_list ap);

/*
 * Prints a warning at most once per call site: for conditions that repeat per sample or per
 * file (a missing debug file, a bad perf map line) where one line is enough.
 */
#define pr_warn_once(...)                                                                          \
	do {                                                                                       \
		static int warned_;                                                                \
		if (!warned_) {                                                                    \
			warned_ = 1;                                                               \
			pr_warn(__VA_ARGS__);                                                      \
		}                                                                                  \
	} while (0)

#define pr_warn(...) profd_log(PROFD_LOG_WARN, __VA_ARGS__)
#define pr_info(...) profd_log(PROFD_LOG_INFO, __VA_ARGS__)
#define pr_debug(...) profd_log(PROFD_LOG_DEBUG, __VA_ARGS__)

#endif
