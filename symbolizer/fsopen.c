// SPDX-License-Identifier: MIT
/*
 * Opening the files other processes name: a container's paths only inside its root (symlinks
 * and ".." included), and only regular files where a file's contents are read.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "symbolizer/symbolizer_internal.h"

int sym_open_beneath(int rootfd, const char *path, int flags)
{
	struct open_how how = {
		.flags = (uint64_t)flags,
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	long fd;

	if (rootfd < 0) {
		fd = open(path, flags);
		return fd < 0 ? -errno : (int)fd;
	}
	while (*path == '/')
		path++;
	if (!*path)
		return -EINVAL;
	fd = syscall(SYS_openat2, rootfd, path, &how, sizeof(how));
	return fd < 0 ? -errno : (int)fd;
}

int sym_open_regular(int rootfd, const char *path, struct stat *st)
{
	int fd = sym_open_beneath(rootfd, path, SYM_FILE_FLAGS);

	if (fd < 0)
		return fd;
	if (fstat(fd, st) || !S_ISREG(st->st_mode)) {
		close(fd);
		return -EINVAL;
	}
	return fd;
}
