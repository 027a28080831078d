/* SPDX-License-Identifier: MIT */
/*
 * cgroup/: which cgroup a sample ran in. The only public header of this folder; it knows
 * nothing of BPF or of profiles.
 *
 * BPF gives a sample's cgroup v2 id (bpf_get_current_cgroup_id(): the inode number of the
 * cgroup's directory in the v2 hierarchy). Here an id becomes its path relative to the v2 root
 * ("/system.slice/nginx.service"), and a path becomes what it names: a container, a systemd
 * unit, a Kubernetes pod.
 */
#ifndef PROFD_CGROUP_H
#define PROFD_CGROUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

/* ---- path.c: what a cgroup path names (pure: no I/O) ---- */

#define CG_CONTAINER_ID_LEN 64
#define CG_POD_UID_LEN 36
#define CG_UNIT_MAX 255

/* Each field is "" when the path names none. */
struct cg_labels {
	char container_id[CG_CONTAINER_ID_LEN + 1]; /* lowercase hex, as the runtime prints it */
	char systemd_unit[CG_UNIT_MAX + 1];	     /* the innermost .service or .scope */
	char pod_uid[CG_POD_UID_LEN + 1];	     /* with dashes, as Kubernetes prints it */
};

/*
 * Reads the labels from a path relative to the v2 root, as they appear under Docker (cgroupfs
 * and systemd drivers), containerd (plain and CRI), Podman (root and rootless) and CRI-O, with
 * Kubernetes pods under kubepods (cgroupfs and systemd drivers). A runtime's monitor (conmon)
 * is not the container. Never fails: what it cannot read is left "".
 */
void cg_path_labels(const char *path, struct cg_labels *out);

/* ---- mount.c: where the v2 hierarchy is mounted ---- */

/*
 * The mount point of the cgroup2 file system in mountinfo (the format of /proc/self/mountinfo):
 * /sys/fs/cgroup on a pure v2 host, /sys/fs/cgroup/unified on a hybrid one. Returns 0, -ENOENT
 * when there is none, -ENAMETOOLONG, or -errno.
 */
int cg_find_v2_mount(FILE *mountinfo, char *buf, size_t len);

/*
 * A path given by a user (--cgroup) as a path relative to the v2 root: "/a/b", "a/b/" and
 * "MOUNT/a/b" all give "/a/b"; the root is "/". Refuses "." and ".." components and names
 * longer than len (-EINVAL, -ENAMETOOLONG).
 */
int cg_normalize_path(const char *mount, const char *arg, char *buf, size_t len);

/* ---- resolver.c: cgroup ids to paths, remembered while samples may carry them ---- */

struct cg_entry {
	uint64_t id;
	const char *path; /* relative to the v2 root; "/" for the root */
	struct cg_labels labels;
};

struct cg_resolver;

/*
 * A resolver over the v2 hierarchy mounted at mount (NULL: found in /proc/self/mountinfo).
 * Returns NULL with errno set (ENOENT: no cgroup v2 on this host).
 */
struct cg_resolver *cg_resolver__new(const char *mount);
void cg_resolver__free(struct cg_resolver *r);
/* The mount point in use. */
const char *cg_resolver__mount(const struct cg_resolver *r);
/*
 * A cgroup id seen for the first time, with pid, a process that just ran in it: resolved now,
 * while its directory exists, and kept until it has gone unused for a while (see
 * cg_resolver__sweep()). Returns 0 or -errno (-ENOENT: no such cgroup any more).
 */
int cg_resolver__learn(struct cg_resolver *r, uint64_t id, pid_t pid);
/*
 * The cgroup with this id, remembered or resolved now, marked as used; NULL when it cannot be
 * resolved (removed before it was learned). Valid until the next cg_resolver__sweep().
 */
const struct cg_entry *cg_resolver__get(struct cg_resolver *r, uint64_t id);
/*
 * After each drain: entries unused for idle sweeps are forgotten in two steps. First forget(id)
 * is called, so the caller stops announcing samples of it as known; the entry itself stays for
 * one more sweep, for samples taken meanwhile. A later learn or get keeps it.
 */
void cg_resolver__sweep(struct cg_resolver *r, unsigned idle,
			void (*forget)(uint64_t id, void *ctx), void *ctx);
/* Entries held now. */
size_t cg_resolver__count(const struct cg_resolver *r);

/*
 * Opens the directory of a cgroup given as --cgroup takes it (see cg_normalize_path()) for a
 * filter, and writes its relative path to rel (not overlapping arg). Returns an O_CLOEXEC fd
 * or -errno.
 */
int cg_resolver__open(const struct cg_resolver *r, const char *arg, char *rel, size_t len);

#endif
