/* SPDX-License-Identifier: MIT */
/* Profiles to and from folded text, the form the unit tests write their known answers in, and
 * from the bytes of any format. */
#ifndef PROFD_TEST_FOLDED_TEXT_H
#define PROFD_TEST_FOLDED_TEXT_H

#include <stdio.h>

#include "formats/formats.h"

/* Adds the samples of folded text to p; fails the test when p is NULL or the text is refused. */
void folded_read_into(struct fmt_profile *p, const char *text);
/* p as folded text (opts may be NULL), malloc'ed: free() it. Fails the test on an error. */
char *folded_text(const struct fmt_profile *p, const struct fmt_folded_opts *opts);

/* A profile reader of formats.h: fmt_folded_read, fmt_pprof_read. */
typedef int (*fmt_read_fn)(struct fmt_profile *p, FILE *in, struct fmt_error *err);
/* Reads len bytes of data with reader into a new profile of period_ns; returns it, or NULL with
 * *ret and err set by the reader. */
struct fmt_profile *read_profile(fmt_read_fn reader, int64_t period_ns, const void *data,
				 size_t len, struct fmt_error *err, int *ret);

#endif
