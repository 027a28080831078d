/* SPDX-License-Identifier: MIT */
/* One logging hook for all of profd: messages go to stderr, debug only under -v. */
#ifndef PROFD_LOG_H
#define PROFD_LOG_H

#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>

enum profd_log_level {
	PROFD_LOG_WARN,
	PROFD_LOG_INFO,
	PROFD_LOG_DEBUG,
	PROFD_LOG_TRACE, /* libbpf's own debug messages, a thousand lines a start: -vv */
};

/* Messages above this level are dropped. Default PROFD_LOG_INFO; each -v raises it a step. */
void profd_log_set_level(enum profd_log_level level);
enum profd_log_level profd_log_get_level(void);
/* One level more, up to PROFD_LOG_TRACE: what each -v does. */
void profd_log_more(void);

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

/*
 * A limit for messages others can cause at will (a client's aborted connections): at most burst
 * lines per interval_s seconds; the rest are counted, and the count is said in one line before
 * the next message let through. Safe to share between threads.
 */
struct profd_ratelimit {
	pthread_mutex_t lock;
	int interval_s, burst;
	int64_t window_start_s;
	int in_window;
	unsigned long long suppressed;
};

#define PROFD_RATELIMIT_INIT(interval, lines) \
	{.lock = PTHREAD_MUTEX_INITIALIZER, .interval_s = (interval), .burst = (lines)}

/* Logs prefix and the message, unless rl's budget for now is spent. */
void profd_log_limited(struct profd_ratelimit *rl, enum profd_log_level level, const char *prefix,
		       const char *fmt, va_list ap);
/* Says how many messages rl held back since the last one shown, if any (at the end). */
void profd_log_limited_flush(struct profd_ratelimit *rl, enum profd_log_level level,
			     const char *prefix);

#define pr_warn(...) profd_log(PROFD_LOG_WARN, __VA_ARGS__)
#define pr_info(...) profd_log(PROFD_LOG_INFO, __VA_ARGS__)
#define pr_debug(...) profd_log(PROFD_LOG_DEBUG, __VA_ARGS__)

#endif
