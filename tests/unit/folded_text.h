/* SPDX-License-Identifier: MIT */
/* Profiles to and from folded text, the form the unit tests write their known answers in. */
#ifndef PROFD_TEST_FOLDED_TEXT_H
#define PROFD_TEST_FOLDED_TEXT_H

#include "formats/formats.h"

/* Adds the samples of folded text to p; fails the test when p is NULL or the text is refused. */
void folded_read_into(struct fmt_profile *p, const char *text);
/* p as folded text (opts may be NULL), malloc'ed: free() it. Fails the test on an error. */
char *folded_text(const struct fmt_profile *p, const struct fmt_folded_opts *opts);

#endif
