// SPDX-License-Identifier: MIT
/*
 * cgroup v2 ids to paths. An id is the inode number of the cgroup's directory. BPF announces a
 * cgroup at its first sample with a process that ran in it, whose /proc/PID/cgroup names the
 * path; the directory's inode confirms it. Otherwise (the process gone, or moved) the hierarchy
 * is walked, at most once per sweep, remembering all it finds. Neither needs a privilege, nor
 * a system call outside a service's usual set (open_by_handle_at() would need both).
 *
 * A cgroup can be gone by the time its samples are drained, so ids are learned when BPF first
 * sees them and kept while samples carry them.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "cgroup/cgroup.h"
#include "common/array.h"
#include "common/htab.h"
#include "common/new.h"

#define WALK_DEPTH_MAX 32
#define WALK_DIRS_MAX 65536

struct node {
	struct cg_entry e;
	unsigned used;	 /* sweep generation of the last learn or get */
	unsigned forgot; /* generation forget() was called for it; 0: not yet */
	char path[];
};

struct cg_resolver {
	char mount[PATH_MAX];
	int mount_fd;
	struct node **nodes;
	size_t n, cap;
	struct profd_htab index; /* id -> index into nodes + 1 */
	unsigned gen;		 /* sweeps so far, from 1 */
	unsigned walked;	 /* generation of the last walk */
};

struct cg_resolver *cg_resolver__new(const char *mount)
{
	struct cg_resolver *r = calloc(1, sizeof(*r));
	int err = 0;

	if (!r)
		return NULL;
	r->gen = 1;
	if (mount) {
		if (snprintf(r->mount, sizeof(r->mount), "%s", mount) >= (int)sizeof(r->mount))
			err = -ENAMETOOLONG;
	} else {
		FILE *f = fopen("/proc/self/mountinfo", "re");

		err = f ? cg_find_v2_mount(f, r->mount, sizeof(r->mount)) : -errno;
		if (f)
			fclose(f);
	}
	r->mount_fd = err ? -1 : open(r->mount, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (!err && r->mount_fd < 0)
		err = -errno;
	return err ? PROFD_NEW_FAILED(cg_resolver__free, r, err) : r;
}

void cg_resolver__free(struct cg_resolver *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++)
		free(r->nodes[i]);
	free(r->nodes);
	profd_htab_release(&r->index);
	if (r->mount_fd >= 0)
		close(r->mount_fd);
	free(r);
}

const char *cg_resolver__mount(const struct cg_resolver *r)
{
	return r->mount;
}

size_t cg_resolver__count(const struct cg_resolver *r)
{
	return r->n;
}

static struct node *find(const struct cg_resolver *r, uint64_t id)
{
	uint64_t i = profd_htab_get(&r->index, id);

	return i ? r->nodes[i - 1] : NULL;
}

/*
 * Remembers id as path (relative to the root); an entry already there stays. One a walk found
 * but nobody asked for is taken as already forgotten: it goes at the second sweep unless used.
 */
static struct node *add(struct cg_resolver *r, uint64_t id, const char *path, bool walked)
{
	size_t len = strlen(path);
	struct node *nd = find(r, id);

	if (nd)
		return nd;
	if (PROFD_ARRAY_RESERVE(r->nodes, r->cap, r->n + 1, 64) ||
	    profd_htab_reserve(&r->index, r->n + 1))
		return NULL;
	nd = calloc(1, sizeof(*nd) + len + 1);
	if (!nd)
		return NULL;
	memcpy(nd->path, path, len + 1);
	nd->e.id = id;
	nd->e.path = nd->path;
	nd->used = r->gen;
	nd->forgot = walked ? r->gen : 0;
	cg_path_labels(path, &nd->e.labels);
	r->nodes[r->n++] = nd;
	profd_htab_add(&r->index, id, r->n); /* reserved: cannot fail */
	return nd;
}

/* The v2 path in /proc/PID/cgroup ("0::/path"), if its directory is cgroup id. */
static int resolve_by_pid(const struct cg_resolver *r, uint64_t id, pid_t pid, char *buf,
			  size_t len)
{
	char file[64], *line = NULL;
	size_t cap = 0;
	struct stat st;
	int err = -ENOENT;
	FILE *f;

	snprintf(file, sizeof(file), "/proc/%d/cgroup", (int)pid);
	f = fopen(file, "re");
	if (!f)
		return -errno;
	while (err == -ENOENT && getline(&line, &cap, f) > 0) {
		if (strncmp(line, "0::/", 4))
			continue;
		line[strcspn(line, "\n")] = '\0';
		err = snprintf(buf, len, "%s", line + 3) < (int)len ? 0 : -ENAMETOOLONG;
	}
	free(line);
	fclose(f);
	/* It may have moved since its sample: only the directory with that inode will do. */
	if (!err && (fstatat(r->mount_fd, buf[1] ? buf + 1 : ".", &st, 0) || st.st_ino != id))
		err = -ESTALE;
	return err;
}

/* Adds every cgroup under dirfd (whose path is path) to r, depth first. */
static void walk(struct cg_resolver *r, int dirfd, char *path, size_t plen, int depth,
		 size_t *dirs)
{
	DIR *d = fdopendir(dirfd);
	struct dirent *de;

	if (!d) {
		close(dirfd);
		return;
	}
	while ((de = readdir(d)) && *dirs < WALK_DIRS_MAX) {
		size_t n = strlen(de->d_name);
		struct stat st;
		int fd;

		if (de->d_type != DT_DIR || de->d_name[0] == '.' || plen + 1 + n >= PATH_MAX)
			continue;
		fd = openat(dirfd, de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
		if (fd < 0)
			continue;
		if (fstat(fd, &st)) {
			close(fd);
			continue;
		}
		path[plen] = '/';
		memcpy(path + plen + 1, de->d_name, n + 1);
		add(r, st.st_ino, path, true);
		(*dirs)++;
		if (depth < WALK_DEPTH_MAX)
			walk(r, fd, path, plen + 1 + n, depth + 1, dirs);
		else
			close(fd);
		path[plen] = '\0';
	}
	closedir(d);
}

/* Without CAP_DAC_READ_SEARCH: the whole hierarchy, at most once per sweep. */
static void walk_all(struct cg_resolver *r)
{
	char path[PATH_MAX] = "";
	size_t dirs = 0;
	struct stat st;
	int fd;

	if (r->walked == r->gen)
		return;
	r->walked = r->gen;
	fd = openat(r->mount_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return;
	if (!fstat(fd, &st))
		add(r, st.st_ino, "/", true);
	walk(r, fd, path, 0, 0, &dirs);
}

/* pid: a process that ran in the cgroup lately, or 0. */
static struct node *resolve(struct cg_resolver *r, uint64_t id, pid_t pid)
{
	char path[PATH_MAX];

	if (pid > 0 && !resolve_by_pid(r, id, pid, path, sizeof(path)))
		return add(r, id, path, false);
	walk_all(r);
	return find(r, id);
}

static struct node *use(struct cg_resolver *r, uint64_t id, pid_t pid)
{
	struct node *nd = find(r, id);

	if (!nd)
		nd = resolve(r, id, pid);
	if (nd) {
		nd->used = r->gen;
		nd->forgot = 0;
	}
	return nd;
}

int cg_resolver__learn(struct cg_resolver *r, uint64_t id, pid_t pid)
{
	return use(r, id, pid) ? 0 : -ENOENT;
}

const struct cg_entry *cg_resolver__get(struct cg_resolver *r, uint64_t id)
{
	struct node *nd = use(r, id, 0);

	return nd ? &nd->e : NULL;
}

static void drop(struct cg_resolver *r, size_t i)
{
	struct node *nd = r->nodes[i];

	profd_htab_del(&r->index, nd->e.id, i + 1);
	free(nd);
	if (i != --r->n) {
		r->nodes[i] = r->nodes[r->n];
		profd_htab_del(&r->index, r->nodes[i]->e.id, r->n + 1);
		profd_htab_add(&r->index, r->nodes[i]->e.id, i + 1); /* a slot was just freed */
	}
}

void cg_resolver__sweep(struct cg_resolver *r, unsigned idle,
			void (*forget)(uint64_t id, void *ctx), void *ctx)
{
	r->gen++;
	for (size_t i = r->n; i-- > 0;) {
		struct node *nd = r->nodes[i];

		if (r->gen - nd->used <= idle)
			continue;
		if (!nd->forgot) {
			nd->forgot = r->gen;
			if (forget)
				forget(nd->e.id, ctx);
		} else if (nd->forgot < r->gen) {
			drop(r, i);
		}
	}
}

int cg_resolver__open(const struct cg_resolver *r, const char *arg, char *rel, size_t len)
{
	int err = cg_normalize_path(r->mount, arg, rel, len), fd;

	if (err)
		return err;
	fd = openat(r->mount_fd, rel[1] ? rel + 1 : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}
