// SPDX-License-Identifier: MIT
/*
 * libFuzzer target: what a cgroup path names, the v2 mount in mountinfo text, and --cgroup paths,
 * on arbitrary bytes. An input is split at its first NUL: the path (and --cgroup argument)
 * before, the mountinfo after. The labels must be NUL-terminated within their sizes, a container
 * id 64 lowercase hex digits and a pod uid 36 characters, or empty; a normalized path must start
 * with '/' and hold no "//", "." or ".." component.
 *
 * fuzz-sources: cgroup common
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup/cgroup.h"

static void check_labels(const char *path)
{
	struct cg_labels l;
	size_t n;

	cg_path_labels(path, &l);
	n = strlen(l.container_id);
	if (n && (n != CG_CONTAINER_ID_LEN || strspn(l.container_id, "0123456789abcdef") != n))
		abort();
	n = strlen(l.pod_uid);
	if (n && n != CG_POD_UID_LEN)
		abort();
	if (strlen(l.systemd_unit) > CG_UNIT_MAX)
		abort();
}

static void check_normalized(const char *arg)
{
	char buf[256];

	if (cg_normalize_path("/sys/fs/cgroup", arg, buf, sizeof(buf)))
		return;
	if (buf[0] != '/' || strstr(buf, "//") || strstr(buf, "/./") || strstr(buf, "/../") ||
	    (strlen(buf) > 1 && buf[strlen(buf) - 1] == '/'))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1), buf[64];
	const char *nul;
	FILE *f;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	check_labels(text);
	check_normalized(text);
	nul = memchr(data, '\0', size);
	if (nul) {
		size_t off = (size_t)(nul - (const char *)data) + 1;

		f = fmemopen(text + off, size - off, "r");
		if (f) {
			if (!cg_find_v2_mount(f, buf, sizeof(buf)) && strlen(buf) >= sizeof(buf))
				abort();
			fclose(f);
		}
	}
	free(text);
	return 0;
}
