// SPDX-License-Identifier: MIT
/*
 * Process snapshots. A process is known by (pid, start time): a reused pid is a new process.
 * Its code mappings are read once and every mapped file is opened at once, while the process is
 * alive, so samples still symbolize after it exits. Files are opened, in order of preference:
 *
 *   /proc/PID/map_files/START-END  the very file mapped: deleted, replaced, memfd, any namespace
 *   /proc/PID/root + path          a container's file, with symlinks kept inside its root
 *   path                           the same root and mount namespace as ours (or a fixture tree)
 *
 * and closed as soon as the file is identified and parsed: no descriptor is kept per file, so
 * thousands of mappings cost no descriptors. Failures are not remembered for long: files that
 * could not be opened are tried again after SYM_RETRY_NS, and an address outside every mapping of
 * a live process triggers a new read of its maps (dlopen, new JIT code) at most every
 * SYM_RESCAN_NS.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/htab.h"
#include "common/clock.h"
#include "common/log.h"
#include "symbolizer/symbolizer_internal.h"

#define STAT_MAX 4096
#define STATUS_LINE_MAX 4096
#define STATUS_BYTES_MAX 65536

static int proc_path(const struct sym_resolver *r, char *buf, size_t len, pid_t pid,
		     const char *what)
{
	int n = snprintf(buf, len, "%s/%d/%s", r->proc_root, (int)pid, what);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

static int open_proc(const struct sym_resolver *r, pid_t pid, const char *what, int flags)
{
	char path[PATH_MAX];
	int fd, err;

	err = proc_path(r, path, sizeof(path), pid, what);
	if (err)
		return err;
	fd = open(path, flags | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? -ESRCH : -errno;
	return fd;
}

/* Reads field 22 of /proc/PID/stat; the comm before it may hold spaces and parentheses. */
static int read_start_time(const struct sym_resolver *r, pid_t pid, uint64_t *start)
{
	char buf[STAT_MAX];
	const char *p, *end;
	uint64_t v = 0;
	ssize_t n;
	int fd;

	fd = open_proc(r, pid, "stat", O_RDONLY);
	if (fd < 0)
		return fd;
	do {
		n = read(fd, buf, sizeof(buf));
	} while (n < 0 && errno == EINTR);
	close(fd);
	if (n < 0)
		return errno == ESRCH ? -ESRCH : -errno;
	end = buf + n;
	p = memrchr(buf, ')', (size_t)n);
	if (!p)
		return -EINVAL;
	p++;
	/* Fields 3 to 21 precede it, each after one space. */
	for (int field = 3; field <= 22; field++) {
		if (p >= end || *p != ' ')
			return -EINVAL;
		p++;
		if (field < 22) {
			while (p < end && *p != ' ')
				p++;
		}
	}
	if (p >= end || *p < '0' || *p > '9')
		return -EINVAL;
	for (; p < end && *p >= '0' && *p <= '9'; p++) {
		if (v > (UINT64_MAX - 9) / 10)
			return -EINVAL;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	*start = v;
	return 0;
}

/* NSpid (the pid in the process's own namespace: its last field) and the effective uid. */
static void read_status(const struct sym_resolver *r, struct sym_proc *p)
{
	struct sym_linereader lr;
	size_t len;
	char *line;
	int fd;

	p->nspid = p->pid;
	p->uid = (uid_t)-1;
	fd = open_proc(r, p->pid, "status", O_RDONLY);
	if (fd < 0)
		return;
	if (sym_linereader__init(&lr, fd, STATUS_LINE_MAX, STATUS_BYTES_MAX)) {
		close(fd);
		return;
	}
	while (sym_linereader__next(&lr, &line, &len) > 0) {
		if (!strncmp(line, "NSpid:", 6)) {
			const char *last = line + 6;

			for (const char *s = line + 6; *s; s++)
				if ((*s == '\t' || *s == ' ') && s[1] && s[1] != '\t' && s[1] != ' ')
					last = s + 1;
			p->nspid = (pid_t)strtol(last, NULL, 10);
		} else if (!strncmp(line, "Uid:", 4)) {
			unsigned long ruid, euid;

			if (sscanf(line + 4, "%lu %lu", &ruid, &euid) == 2)
				p->uid = (uid_t)euid;
		}
	}
	sym_linereader__release(&lr);
	close(fd);
	if (p->nspid <= 0)
		p->nspid = p->pid;
}

static bool same_inode(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

/* Whether the process's paths mean what they mean to us: same root and mount namespace. */
static enum sym_root root_of(const struct sym_resolver *r, pid_t pid)
{
	char path[PATH_MAX];
	struct stat root, mntns;

	if (!r->self_root_ok || !r->self_mntns_ok)
		return SYM_ROOT_UNKNOWN;
	if (proc_path(r, path, sizeof(path), pid, "root") || stat(path, &root))
		return SYM_ROOT_UNKNOWN;
	if (proc_path(r, path, sizeof(path), pid, "ns/mnt") || stat(path, &mntns))
		return SYM_ROOT_UNKNOWN;
	return same_inode(&root, &r->self_root) && same_inode(&mntns, &r->self_mntns)
		       ? SYM_ROOT_SAME
		       : SYM_ROOT_OTHER;
}

static int open_root(const struct sym_resolver *r, const struct sym_proc *p)
{
	if (p->root != SYM_ROOT_OTHER || p->gone)
		return -ENOENT;
	return open_proc(r, p->pid, "root", O_PATH | O_DIRECTORY);
}

static int map_files_path(const struct sym_resolver *r, const struct sym_proc *p,
			  const struct sym_map *m, char *buf, size_t len)
{
	char what[64];

	snprintf(what, sizeof(what), "map_files/%llx-%llx", (unsigned long long)m->start,
		 (unsigned long long)m->end);
	return proc_path(r, buf, len, p->pid, what);
}

/*
 * Opens m's file by its path, in the process's root. The path may name another file by now, so
 * the inode from the maps line must match.
 */
static int open_by_path(const struct sym_map *m, const struct sym_proc *p, int rootfd,
			struct stat *st)
{
	int fd;

	if (m->kind != SYM_MAP_FILE)
		return -ENOENT;
	if (p->root == SYM_ROOT_OTHER && rootfd < 0)
		return -ENOENT;
	fd = sym_open_regular(p->root == SYM_ROOT_OTHER ? rootfd : -1, m->path, st);
	if (fd >= 0 && m->inode && st->st_ino != m->inode) {
		close(fd);
		return -ESTALE;
	}
	return fd;
}

/* Identifies and, on a cache miss, parses m's file. Returns 0 with a reference in *out or -errno. */
static int open_mapping(struct sym_resolver *r, const struct sym_proc *p, const struct sym_map *m,
			int rootfd, struct sym_file **out)
{
	char path[PATH_MAX];
	struct sym_file_id id;
	struct stat st, fst;
	int fd = -1, err;

	/* stat() follows the magic link: a cached file costs one system call. Once the process
	 * is gone, its pid may name another process: only the path is tried then. */
	err = p->gone ? -ESRCH : map_files_path(r, p, m, path, sizeof(path));
	if (!err && stat(path, &st))
		err = -errno;
	if (!err && S_ISREG(st.st_mode)) {
		sym_file_id__from_stat(&id, &st);
		*out = sym_filecache__get(&r->files, &id);
		if (*out)
			return 0;
		fd = open(path, SYM_FILE_FLAGS);
		if (fd >= 0 && (fstat(fd, &fst) || !same_inode(&st, &fst))) {
			close(fd);
			fd = -1;
		}
	}
	/* A gone process's file by its path, in our root: a cached one costs one stat() too. */
	if (fd < 0 && p->root != SYM_ROOT_OTHER && m->kind == SYM_MAP_FILE && !m->deleted &&
	    !stat(m->path, &st) && S_ISREG(st.st_mode) && (!m->inode || st.st_ino == m->inode)) {
		sym_file_id__from_stat(&id, &st);
		*out = sym_filecache__get(&r->files, &id);
		if (*out)
			return 0;
	}
	if (fd < 0) {
		/* Without map_files a deleted, replaced or unreachable file is lost. */
		bool map_files_denied = err == -EPERM;

		fd = open_by_path(m, p, rootfd, &st);
		if ((fd == -ENOENT || fd == -ESTALE) && map_files_denied)
			pr_warn_once("sym: pid %d: %s: %s, and /proc/PID/map_files is closed to profd "
				     "(needs CAP_CHECKPOINT_RESTORE); its frames are named "
				     "module+0xOFFSET",
				     (int)p->pid, m->path, strerror(-fd));
		if (fd < 0)
			return fd;
		sym_file_id__from_stat(&id, &st);
		*out = sym_filecache__get(&r->files, &id);
		if (*out) {
			close(fd);
			return 0;
		}
	}
	r->did_io = true;
	err = sym_filecache__load(&r->files, fd, &id, m->path, out);
	close(fd);
	return err;
}

static bool same_file(const struct sym_map *a, const struct sym_map *b)
{
	return a->inode == b->inode && a->dev_major == b->dev_major &&
	       a->dev_minor == b->dev_minor && a->kind == b->kind && !strcmp(a->path, b->path);
}

static bool wants_file(const struct sym_map *m)
{
	return (m->kind == SYM_MAP_FILE || m->kind == SYM_MAP_MEMFD) && !m->file;
}

/* Opens the files of every mapping that has none yet. */
static void open_files(struct sym_resolver *r, struct sym_proc *p)
{
	const struct sym_map *prev = NULL;
	int rootfd = open_root(r, p);

	p->nfailed = 0;
	for (size_t i = 0; i < p->maps.n; i++) {
		struct sym_map *m = &p->maps.v[i];
		int err;

		if (!wants_file(m))
			continue;
		if (prev && same_file(prev, m)) {
			m->file = prev->file;
			m->file->refs++;
			continue;
		}
		err = open_mapping(r, p, m, rootfd, &m->file);
		m->open_err = err;
		if (err) {
			m->file = NULL;
			p->nfailed++;
			if (err == -EACCES)
				pr_warn_once("sym: pid %d: %s: %s (needs CAP_DAC_READ_SEARCH); files "
					     "profd may not read are named module+0xOFFSET",
					     (int)p->pid, m->path, strerror(-err));
			pr_debug("sym: pid %d: %s: %s", (int)p->pid, m->path, strerror(-err));
			continue;
		}
		prev = m;
	}
	if (rootfd >= 0)
		close(rootfd);
	p->opened_ns = profd_coarse_ns();
}

static void put_files(struct sym_resolver *r, struct sym_maps *maps)
{
	for (size_t i = 0; i < maps->n; i++)
		sym_filecache__put(&r->files, maps->v[i].file);
}

/* Gives mappings that did not change since the last read the file they had. */
static void keep_files(struct sym_maps *maps, const struct sym_maps *old)
{
	for (size_t i = 0; i < maps->n; i++) {
		struct sym_map *m = &maps->v[i];
		const struct sym_map *o = sym_maps__find(old, m->start);

		if (!wants_file(m) || !o || !o->file || o->start != m->start || o->end != m->end ||
		    o->pgoff != m->pgoff || !same_file(o, m))
			continue;
		m->file = o->file;
		m->file->refs++;
	}
}

static int read_maps(const struct sym_resolver *r, pid_t pid, struct sym_maps *maps)
{
	int fd, err;

	fd = open_proc(r, pid, "maps", O_RDONLY);
	if (fd < 0)
		return fd;
	err = sym_maps__read(fd, maps);
	close(fd);
	/* The kernel answers ESRCH once the task is reaped. */
	return err == -ESRCH || err == -ENOENT ? -ESRCH : err;
}

static void account(struct sym_resolver *r, struct sym_proc *p)
{
	r->procs_bytes -= p->bytes;
	p->bytes = sizeof(*p) + p->maps.cap * sizeof(*p->maps.v) + p->maps.strings.bytes +
		   (p->perfmap ? sym_perfmap__bytes(p->perfmap) : 0);
	r->procs_bytes += p->bytes;
}

static int snapshot(struct sym_resolver *r, pid_t pid, uint64_t start, struct sym_proc **out)
{
	struct sym_proc *p = calloc(1, sizeof(*p));
	uint64_t again;
	int err;

	if (!p)
		return -ENOMEM;
	p->pid = pid;
	p->start_time = start;
	err = read_maps(r, pid, &p->maps);
	/* The pid may have been reused between the two reads: then these maps are not start's. */
	if (!err && (read_start_time(r, pid, &again) || again != start))
		err = -EAGAIN;
	if (err) {
		sym_maps__release(&p->maps);
		free(p);
		return err;
	}
	read_status(r, p);
	p->root = root_of(r, pid);
	open_files(r, p);
	/* Read while the process may still be mapping its libraries (in an exec, or its dynamic
	 * linker at work): the first unknown address looks again at once, later ones a second
	 * apart (sym_proc__rescan). */
	p->scanned_ns = profd_coarse_ns();
	r->did_io = true;
	account(r, p);
	*out = p;
	return 0;
}

struct sym_proc *sym_procs__find(const struct sym_procs *procs, pid_t pid)
{
	return (struct sym_proc *)(uintptr_t)profd_htab_get(&procs->by_pid, (uint32_t)pid);
}

static void free_proc(struct sym_resolver *r, struct sym_proc *p)
{
	sym_uw_space__free(r, p->unwind);
	put_files(r, &p->maps);
	sym_maps__release(&p->maps);
	sym_perfmap__free(p->perfmap);
	r->procs_bytes -= p->bytes;
	free(p);
}

static void remove_proc(struct sym_resolver *r, struct sym_proc *p)
{
	profd_htab_del(&r->procs.by_pid, (uint32_t)p->pid, (uintptr_t)p);
	free_proc(r, p);
}

int sym_procs__add(struct sym_resolver *r, pid_t pid, bool force)
{
	struct sym_proc *p = sym_procs__find(&r->procs, pid), *np = NULL;
	uint64_t start;
	int err, tries = 0;

	if (pid <= 0)
		return -EINVAL;
	err = read_start_time(r, pid, &start);
	if (p && !force && (p->exited || err == -ESRCH || (!err && p->start_time == start))) {
		/* Known and alive, or known and gone: its snapshot is what we have. */
		if (!err && p->nfailed && !p->gone && profd_coarse_ns() - p->opened_ns >= SYM_RETRY_NS)
			open_files(r, p);
		return 0;
	}
	while (!err) {
		err = snapshot(r, pid, start, &np);
		if (err != -EAGAIN || ++tries == 2)
			break;
		err = read_start_time(r, pid, &start);
	}
	if (err)
		return err == -EAGAIN ? -ESRCH : err;
	if (p)
		remove_proc(r, p);
	err = profd_htab_add(&r->procs.by_pid, (uint32_t)pid, (uintptr_t)np);
	if (err)
		free_proc(r, np);
	return err;
}

static void kernel_map(const struct sym_kernel_map *k, struct sym_map *m)
{
	*m = (struct sym_map){
		.start = k->start,
		.end = k->end,
		.pgoff = k->offset,
		.inode = k->ino,
		.dev_major = (uint32_t)(k->dev >> 20),
		.dev_minor = (uint32_t)(k->dev & 0xfffff),
		.perms = SYM_PERM_READ | SYM_PERM_EXEC,
		.kind = k->path ? SYM_MAP_FILE : SYM_MAP_VDSO,
		.path = k->path ? k->path : "[vdso]",
	};
}

static bool same_range(const struct sym_map *a, const struct sym_map *b)
{
	return a->start == b->start && a->end == b->end && a->pgoff == b->pgoff &&
	       a->inode == b->inode;
}

/*
 * Drops the snapshot's mappings that the kernel's history contradicts: the history is never
 * older than a snapshot of the same process (a snapshot of the image before exec, say).
 */
static void drop_contradicted(struct sym_resolver *r, struct sym_maps *maps,
			      const struct sym_map *v, size_t n)
{
	size_t kept = 0;

	for (size_t i = 0; i < maps->n; i++) {
		struct sym_map *m = &maps->v[i];
		bool stale = false;

		for (size_t j = 0; j < n && !stale; j++)
			stale = m->start < v[j].end && v[j].start < m->end && !same_range(m, &v[j]);
		if (stale)
			sym_filecache__put(&r->files, m->file);
		else
			maps->v[kept++] = *m;
	}
	maps->n = kept;
}

/* A process known only from the kernel's history: gone, its paths taken as ours. */
static struct sym_proc *history_proc(pid_t pid)
{
	struct sym_proc *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->pid = p->nspid = pid;
	p->uid = (uid_t)-1;
	p->root = SYM_ROOT_UNKNOWN;
	return p;
}

int sym_procs__add_history(struct sym_resolver *r, pid_t pid, const struct sym_kernel_map *v,
			   size_t n, bool exited)
{
	struct sym_proc *p = sym_procs__find(&r->procs, pid);
	bool added = !p;
	struct sym_map *maps;
	int err;

	if (!p && !exited)
		return -ESRCH;
	if (!p && !(p = history_proc(pid)))
		return -ENOMEM;
	maps = calloc(n ? n : 1, sizeof(*maps));
	if (!maps) {
		if (added)
			free(p);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++)
		kernel_map(&v[i], &maps[i]);
	drop_contradicted(r, &p->maps, maps, n);
	err = sym_maps__merge(&p->maps, maps, n);
	free(maps);
	if (exited)
		p->gone = p->exited = true;
	if (!err && added)
		err = profd_htab_add(&r->procs.by_pid, (uint32_t)pid, (uintptr_t)p);
	if (err) {
		if (added) {
			sym_maps__release(&p->maps);
			free(p);
		}
		return err;
	}
	open_files(r, p);
	account(r, p);
	return 0;
}

void sym_procs__drop(struct sym_resolver *r, pid_t pid)
{
	struct sym_proc *p = sym_procs__find(&r->procs, pid);

	if (p)
		remove_proc(r, p);
}

void sym_procs__release(struct sym_resolver *r)
{
	const struct profd_htab *t = &r->procs.by_pid;

	for (size_t i = 0; i < t->cap; i++)
		if (t->vals[i])
			free_proc(r, (struct sym_proc *)(uintptr_t)t->vals[i]);
	profd_htab_release(&r->procs.by_pid);
}

int sym_proc__rescan(struct sym_resolver *r, struct sym_proc *p)
{
	struct sym_maps old = p->maps;
	uint64_t now = profd_coarse_ns(), start;
	int err;

	if (p->gone || (p->missed && now - p->scanned_ns < SYM_RESCAN_NS))
		return -EAGAIN;
	p->missed = true;
	p->scanned_ns = now;
	r->did_io = true;
	if (read_start_time(r, p->pid, &start) || start != p->start_time) {
		p->gone = true;
		return -ESRCH;
	}
	err = read_maps(r, p->pid, &p->maps);
	if (!err && !p->maps.n) {
		/* No mm any more: an exited process not yet reaped. Its last snapshot is the truth
		 * for the samples it left; an empty one would make them all [unknown]. */
		sym_maps__release(&p->maps);
		err = -ESRCH;
	}
	if (err) {
		p->maps = old;
		p->gone = err == -ESRCH;
		return err;
	}
	keep_files(&p->maps, &old);
	put_files(r, &old);
	sym_maps__release(&old);
	open_files(r, p);
	account(r, p);
	return 0;
}

static bool is_file(int fd, const struct sym_file *f)
{
	struct sym_file_id id;
	struct stat st;

	if (fstat(fd, &st))
		return false;
	sym_file_id__from_stat(&id, &st);
	return sym_file_id__equal(&id, &f->id);
}

int sym_proc__open_file(struct sym_resolver *r, const struct sym_proc *p, const struct sym_map *m,
			const struct sym_file *f)
{
	char path[PATH_MAX];
	struct stat st;
	int fd = -1, rootfd;

	/* The pid may be reused or the path replaced since: only the same file will do. */
	if (!p->gone && !map_files_path(r, p, m, path, sizeof(path))) {
		fd = open(path, SYM_FILE_FLAGS);
		if (fd >= 0 && !is_file(fd, f)) {
			close(fd);
			fd = -1;
		}
	}
	if (fd < 0) {
		rootfd = open_root(r, p);
		fd = open_by_path(m, p, rootfd, &st);
		if (rootfd >= 0)
			close(rootfd);
		if (fd >= 0 && !is_file(fd, f)) {
			close(fd);
			fd = -ESTALE;
		}
	}
	return fd;
}

bool sym_proc__update_perfmap(struct sym_resolver *r, struct sym_proc *p)
{
	uint64_t now = profd_coarse_ns();
	struct sym_perfmap *pm;
	struct sym_file_id id;
	char path[PATH_MAX];
	struct stat st;
	int fd, rootfd = -1, n;

	if (p->perfmap_checked_ns && now - p->perfmap_checked_ns < SYM_PERFMAP_RECHECK_NS)
		return false;
	p->perfmap_checked_ns = now;
	r->did_io = true;
	n = snprintf(path, sizeof(path), "%s/perf-%d.map", r->perf_map_dir, (int)p->nspid);
	if (n < 0 || (size_t)n >= sizeof(path))
		return false;
	if (p->root == SYM_ROOT_OTHER) {
		/* Its /tmp is only reachable while it lives. */
		rootfd = open_root(r, p);
		if (rootfd < 0)
			return false;
	} else if (p->root == SYM_ROOT_UNKNOWN && p->nspid != p->pid) {
		return false; /* our /tmp/perf-NSPID.map would be another process's */
	}
	fd = sym_perfmap__open(rootfd, path, p->uid, &st);
	if (rootfd >= 0)
		close(rootfd);
	if (fd < 0)
		return false;
	sym_file_id__from_stat(&id, &st);
	if (p->perfmap && sym_file_id__equal(&id, &p->perfmap->id)) {
		close(fd);
		return false;
	}
	if (sym_perfmap__read(fd, &st, &pm)) {
		close(fd);
		return false;
	}
	close(fd);
	sym_perfmap__free(p->perfmap);
	p->perfmap = pm;
	account(r, p);
	return true;
}

int sym_proc__open_path(struct sym_resolver *r, const struct sym_proc *p, const char *path)
{
	struct stat st;
	int fd, rootfd = -1;

	if (p->root == SYM_ROOT_OTHER) {
		rootfd = open_root(r, p);
		if (rootfd < 0)
			return rootfd;
	}
	fd = sym_open_regular(rootfd, path, &st);
	if (rootfd >= 0)
		close(rootfd);
	return fd;
}
