/* SPDX-License-Identifier: MIT */
/* Helpers the unit tests share: paths, shell commands, files, ELF notes of test fixtures. */
#ifndef PROFD_TEST_HELPERS_H
#define PROFD_TEST_HELPERS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* snprintf into a PATH_MAX buffer; fails the test when the path does not fit. */
void pathf(char *buf, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Runs a shell command; returns its status, and says on stderr what failed. */
int run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void write_file(const char *path, const char *data, size_t len);
void write_str(const char *path, const char *s);
void mkdirs(const char *path);
/* Removes a folder and everything below it (symlinks are not followed). */
void rm_tree(const char *path);
/* A shell command's output to read; pclose() it. Fails the test when it cannot start. */
FILE *command_output(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Link-time value and size of a symbol defined in file, from nm; fails the test without one. */
void nm_symbol(const char *file, const char *name, uint64_t *value, uint64_t *size);
/* The GNU build ID of file in hex (readelf -n), or "" when it has none. */
void build_id_of(const char *file, char *hex, size_t len);

#endif
