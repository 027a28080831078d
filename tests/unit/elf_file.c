// SPDX-License-Identifier: MIT
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <unistd.h>

#include <cmocka.h>

#include "elf_file.h"

Elf *elf_file_open(const char *path, int *fd)
{
	Elf *elf;

	*fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(*fd >= 0);
	elf_version(EV_CURRENT);
	elf = elf_begin(*fd, ELF_C_READ, NULL);
	assert_non_null(elf);
	return elf;
}

void elf_file_close(Elf *elf, int fd)
{
	elf_end(elf);
	close(fd);
}

size_t elf_load_segments(const char *path, GElf_Phdr *out, size_t max)
{
	size_t n = 0, nload = 0;
	int fd;
	Elf *elf = elf_file_open(path, &fd);

	assert_int_equal(elf_getphdrnum(elf, &n), 0);
	for (size_t i = 0; i < n && nload < max; i++) {
		GElf_Phdr ph;

		assert_non_null(gelf_getphdr(elf, (int)i, &ph));
		if (ph.p_type == PT_LOAD)
			out[nload++] = ph;
	}
	elf_file_close(elf, fd);
	return nload;
}
