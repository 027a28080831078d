/* SPDX-License-Identifier: MIT */
/* ELF files the tests read with libelf for their truth: program headers and sections. */
#ifndef PROFD_TEST_ELF_FILE_H
#define PROFD_TEST_ELF_FILE_H

#include <gelf.h>
#include <stddef.h>

/* Opens path for reading; fails the test when it is not ELF. Close with elf_file_close(). */
Elf *elf_file_open(const char *path, int *fd);
void elf_file_close(Elf *elf, int fd);
/* The PT_LOAD program headers of path, in file order, at most max; returns how many. */
size_t elf_load_segments(const char *path, GElf_Phdr *out, size_t max);

#endif
