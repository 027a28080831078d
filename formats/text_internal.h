/* SPDX-License-Identifier: MIT */
/*
 * Names as the flame graphs show them: valid UTF-8 that XML 1.0 accepts. Names come from
 * binaries and /proc, so any byte can be in them, and one bad byte would make a whole SVG
 * unreadable. Internal to formats/.
 */
#ifndef PROFD_FORMATS_TEXT_INTERNAL_H
#define PROFD_FORMATS_TEXT_INTERNAL_H

#include <stddef.h>

struct profd_strbuf;

/*
 * Length of the character at c (NUL-terminated) if it is valid UTF-8 and allowed in XML 1.0
 * text, else 0.
 */
size_t fmt_xml_char_len(const unsigned char *c);

/*
 * Appends s with every byte XML would refuse replaced by '?'; an empty result becomes
 * "[unknown]", so a frame always has a name. Returns 0 or -ENOMEM.
 */
int fmt_clean_name(struct profd_strbuf *sb, const char *s);

#endif
