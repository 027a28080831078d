// SPDX-License-Identifier: MIT
/*
 * Bounded line reading for /proc files, kallsyms and perf maps: a line longer than the limit is
 * skipped and counted instead of growing a buffer without end (getline would), NUL bytes inside a
 * line are kept and visible through its length, and a total byte budget stops runaway files.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "symbolizer/symbolizer_internal.h"

#define READ_CHUNK 65536

int sym_linereader__init(struct sym_linereader *lr, int fd, size_t max_line, uint64_t max_read)
{
	memset(lr, 0, sizeof(*lr));
	lr->fd = fd;
	lr->max_line = max_line;
	lr->max_read = max_read;
	/* Room for a whole line, its NUL, and one read. */
	lr->cap = max_line + 1 + READ_CHUNK;
	lr->buf = malloc(lr->cap);
	return lr->buf ? 0 : -ENOMEM;
}

void sym_linereader__release(struct sym_linereader *lr)
{
	free(lr->buf);
	lr->buf = NULL;
}

static int fill(struct sym_linereader *lr)
{
	size_t room;
	ssize_t n;

	if (lr->pos) {
		memmove(lr->buf, lr->buf + lr->pos, lr->len - lr->pos);
		lr->len -= lr->pos;
		lr->pos = 0;
	}
	room = lr->cap - 1 - lr->len;
	if (lr->max_read - lr->read < room)
		room = lr->max_read - lr->read;
	if (!room) {
		lr->eof = true;
		return 0;
	}
	do {
		n = read(lr->fd, lr->buf + lr->len, room);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if (!n)
		lr->eof = true;
	lr->len += n;
	lr->read += n;
	return 0;
}

int sym_linereader__next(struct sym_linereader *lr, char **line, size_t *len)
{
	for (;;) {
		char *start = lr->buf + lr->pos;
		size_t avail = lr->len - lr->pos;
		char *nl = memchr(start, '\n', avail);
		int err;

		if (nl) {
			size_t n = nl - start;

			lr->pos += n + 1;
			if (lr->skipping) {
				lr->skipping = false;
				continue;
			}
			if (n > lr->max_line) {
				lr->long_lines++;
				continue;
			}
			*nl = '\0';
			*line = start;
			*len = n;
			return 1;
		}
		if (avail > lr->max_line || (lr->skipping && avail)) {
			/* Too long already: drop what we have and the rest up to the next newline. */
			if (!lr->skipping)
				lr->long_lines++;
			lr->skipping = true;
			lr->pos = lr->len;
		}
		if (lr->eof) {
			if (lr->pos == lr->len)
				return 0;
			/* A last line without a newline; fill() left room for its NUL. */
			start[avail] = '\0';
			lr->pos = lr->len;
			*line = start;
			*len = avail;
			return 1;
		}
		err = fill(lr);
		if (err)
			return err;
	}
}
