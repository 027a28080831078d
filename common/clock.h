/* SPDX-License-Identifier: MIT */
/* What time it is, on the clocks profd uses, and wall-clock times written as RFC 3339. */
#ifndef PROFD_CLOCK_H
#define PROFD_CLOCK_H

#include <stddef.h>
#include <stdint.h>

#define PROFD_NS_PER_S 1000000000LL

/* CLOCK_MONOTONIC in nanoseconds: for deadlines and elapsed times. */
int64_t profd_mono_ns(void);
/*
 * CLOCK_MONOTONIC_COARSE in nanoseconds: a few milliseconds coarse, answered by the vdso without
 * a system call; for retry periods checked on hot paths.
 */
int64_t profd_coarse_ns(void);
/* CLOCK_REALTIME in nanoseconds: what names windows and what users write as dates. */
int64_t profd_wall_ns(void);

/*
 * A wall-clock time as RFC 3339 writes it: "2026-11-25T14:00:00Z", "2026-11-25t15:00:00.5+01:00",
 * "2026-11-25 14:00:00Z". A real calendar day from 1970 to 2261 (nanoseconds since 1970 in 64
 * bits end in 2262), seconds 00 to 59, at most 9 digits of fraction, a zone Z or +hh:mm/-hh:mm;
 * the moment itself not before 1970. Into *ns (CLOCK_REALTIME nanoseconds). Returns 0 or -EINVAL.
 */
int profd_time_parse(const char *s, size_t len, int64_t *ns);

#endif
