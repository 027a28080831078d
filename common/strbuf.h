/* SPDX-License-Identifier: MIT */
/* A growable, always NUL-terminated byte buffer. */
#ifndef PROFD_STRBUF_H
#define PROFD_STRBUF_H

#include <stdarg.h>
#include <stddef.h>

struct profd_strbuf {
	char *buf; /* NULL until the first append */
	size_t len;
	size_t cap;
};

/* Each returns 0 or -ENOMEM; on failure the buffer keeps its previous contents. */
int profd_strbuf_append(struct profd_strbuf *sb, const void *data, size_t len);
int profd_strbuf_puts(struct profd_strbuf *sb, const char *s);
int profd_strbuf_printf(struct profd_strbuf *sb, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int profd_strbuf_reserve(struct profd_strbuf *sb, size_t extra);
/* Empties the buffer but keeps its memory. */
void profd_strbuf_reset(struct profd_strbuf *sb);
/* Frees the memory; the struct can be reused afterwards. */
void profd_strbuf_release(struct profd_strbuf *sb);
/* Hands the bytes to the caller (free() them) and leaves the buffer empty. */
char *profd_strbuf_detach(struct profd_strbuf *sb, size_t *len);

#endif
