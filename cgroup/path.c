// SPDX-License-Identifier: MIT
/*
 * What a cgroup path names, read from the shapes container runtimes and systemd give them:
 *
 *   /system.slice/nginx.service                                   unit
 *   /docker/<64 hex>                                              Docker, cgroupfs driver
 *   /system.slice/docker-<64 hex>.scope                           Docker, systemd driver
 *   /machine.slice/libpod-<64 hex>.scope[/container]              Podman (root)
 *   /user.slice/.../user@1000.service/user.slice/libpod-<id>.scope   Podman (rootless)
 *   /kubepods/burstable/pod<uid>/<64 hex>                         containerd/CRI-O, cgroupfs
 *   /kubepods.slice/kubepods-besteffort.slice/
 *       kubepods-besteffort-pod<uid with _>.slice/cri-containerd-<id>.scope   systemd driver
 *       (crio-<id>.scope under CRI-O)
 *
 * The innermost component that names a container or a unit wins: a container inside a
 * container is the inner one. A monitor (libpod-conmon-<id>.scope, crio-conmon-<id>.scope) runs
 * beside its container, not in it.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cgroup/cgroup.h"

static bool is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

static bool ends_with(const char *s, size_t n, const char *suffix)
{
	size_t k = strlen(suffix);

	return n >= k && memcmp(s + n - k, suffix, k) == 0;
}

/* "<64 hex>", "<prefix>-<64 hex>" or either with ".scope": the id, or NULL. */
static const char *container_id(const char *c, size_t n)
{
	const char *id;

	if (ends_with(c, n, ".scope"))
		n -= strlen(".scope");
	if (n < CG_CONTAINER_ID_LEN)
		return NULL;
	id = c + n - CG_CONTAINER_ID_LEN;
	if (id != c && id[-1] != '-')
		return NULL;
	for (size_t i = 0; i < CG_CONTAINER_ID_LEN; i++)
		if (!is_hex(id[i]))
			return NULL;
	/* A runtime's monitor process: beside the container, not in it. */
	if (memmem(c, (size_t)(id - c), "conmon", 6))
		return NULL;
	return id;
}

/* 8-4-4-4-12 hex digits with '-' or (systemd's escaping) '_' between the groups. */
static bool is_uid(const char *s)
{
	for (int i = 0; i < CG_POD_UID_LEN; i++) {
		bool sep = i == 8 || i == 13 || i == 18 || i == 23;

		if (sep ? (s[i] != '-' && s[i] != '_') : !is_hex(s[i]))
			return false;
	}
	return true;
}

/* "pod<uid>" or "kubepods-<qos>-pod<uid>.slice": the uid, or NULL. */
static const char *pod_uid(const char *c, size_t n)
{
	size_t end = ends_with(c, n, ".slice") ? n - strlen(".slice") : n;

	if (end < 3 + CG_POD_UID_LEN)
		return NULL;
	c += end - CG_POD_UID_LEN - 3;
	if (memcmp(c, "pod", 3) || !is_uid(c + 3))
		return NULL;
	return c + 3;
}

static void copy(char *dst, size_t size, const char *src, size_t n)
{
	if (n >= size)
		n = size - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

void cg_path_labels(const char *path, struct cg_labels *out)
{
	bool kubepods = false;
	const char *c = path;

	memset(out, 0, sizeof(*out));
	while (c && *c) {
		const char *slash = strchr(c, '/');
		size_t n = slash ? (size_t)(slash - c) : strlen(c);
		const char *id, *uid;

		if (n && !strncmp(c, "kubepods", 8))
			kubepods = true;
		if (n && (id = container_id(c, n)))
			copy(out->container_id, sizeof(out->container_id), id, CG_CONTAINER_ID_LEN);
		if (ends_with(c, n, ".service") || ends_with(c, n, ".scope"))
			copy(out->systemd_unit, sizeof(out->systemd_unit), c, n);
		if (kubepods && (uid = pod_uid(c, n))) {
			copy(out->pod_uid, sizeof(out->pod_uid), uid, CG_POD_UID_LEN);
			for (char *s = out->pod_uid; *s; s++)
				if (*s == '_')
					*s = '-';
		}
		c = slash ? slash + 1 : NULL;
	}
}
