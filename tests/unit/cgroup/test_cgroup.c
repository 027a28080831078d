// SPDX-License-Identifier: MIT
/*
 * Unit tests of cgroup/: the labels read from real path shapes of Docker, containerd, Podman,
 * CRI-O, Kubernetes and systemd; the v2 mount found in mountinfo (hybrid and pure v2 hosts);
 * paths as --cgroup takes them; and, where this host has cgroup v2 and root, an id resolved
 * while its cgroup exists and still known after the cgroup is removed, until swept.
 */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <signal.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <cmocka.h>

#include "cgroup/cgroup.h"
#include "helpers.h"

#define ID64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define ID64B "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"
#define UID "5f4e3d2c-1b0a-4998-8877-665544332211"
#define UID_ "5f4e3d2c_1b0a_4998_8877_665544332211"

struct shape {
	const char *path, *container_id, *unit, *pod_uid;
};

static void check(const struct shape *s)
{
	struct cg_labels l;

	cg_path_labels(s->path, &l);
	if (strcmp(l.container_id, s->container_id) || strcmp(l.systemd_unit, s->unit) ||
	    strcmp(l.pod_uid, s->pod_uid))
		fail_msg("%s: got container '%s' unit '%s' pod '%s'", s->path, l.container_id,
			 l.systemd_unit, l.pod_uid);
}

static void test_units(void **state)
{
	static const struct shape shapes[] = {
		{"/", "", "", ""},
		{"", "", "", ""},
		{"/system.slice/nginx.service", "", "nginx.service", ""},
		{"/system.slice/nginx.service/worker", "", "nginx.service", ""},
		{"/system.slice/system-getty.slice/getty@tty1.service", "", "getty@tty1.service", ""},
		{"/user.slice/user-1000.slice/session-3.scope", "", "session-3.scope", ""},
		{"/user.slice/user-1000.slice/user@1000.service/app.slice/gnome-terminal.service",
		 "", "gnome-terminal.service", ""},
		{"/init.scope", "", "init.scope", ""},
		{"/system.slice", "", "", ""},
		{"//system.slice//cron.service/", "", "cron.service", ""},
	};

	for (size_t i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++)
		check(&shapes[i]);
}

static void test_containers(void **state)
{
	static const struct shape shapes[] = {
		/* Docker */
		{"/docker/" ID64, ID64, "", ""},
		{"/system.slice/docker-" ID64 ".scope", ID64, "docker-" ID64 ".scope", ""},
		/* Podman, root and rootless, with the inner group of --cgroupns */
		{"/machine.slice/libpod-" ID64 ".scope", ID64, "libpod-" ID64 ".scope", ""},
		{"/machine.slice/libpod-" ID64 ".scope/container", ID64, "libpod-" ID64 ".scope",
		 ""},
		{"/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-" ID64 ".scope",
		 ID64, "libpod-" ID64 ".scope", ""},
		{"/libpod_parent/libpod-" ID64, ID64, "", ""},
		/* A runtime's monitor is beside the container, not in it */
		{"/machine.slice/libpod-conmon-" ID64 ".scope", "", "libpod-conmon-" ID64 ".scope",
		 ""},
		/* containerd without Kubernetes */
		{"/default/" ID64, ID64, "", ""},
		{"/system.slice/containerd-" ID64 ".scope", ID64, "containerd-" ID64 ".scope", ""},
		/* Docker in Docker: the inner one */
		{"/docker/" ID64 "/docker/" ID64B, ID64B, "", ""},
		/* Not ids: too short, upper case, no separator */
		{"/docker/0123456789ab", "", "", ""},
		{"/docker/" "0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef", "",
		 "", ""},
		{"/system.slice/docker" ID64 ".scope", "", "docker" ID64 ".scope", ""},
	};

	for (size_t i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++)
		check(&shapes[i]);
}

static void test_kubernetes(void **state)
{
	static const struct shape shapes[] = {
		/* cgroupfs driver: containerd, CRI-O */
		{"/kubepods/burstable/pod" UID "/" ID64, ID64, "", UID},
		{"/kubepods/besteffort/pod" UID "/" ID64, ID64, "", UID},
		{"/kubepods/pod" UID "/" ID64, ID64, "", UID}, /* guaranteed */
		{"/kubepods/burstable/pod" UID, "", "", UID},  /* the pod's own group */
		/* systemd driver */
		{"/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_
		 ".slice/cri-containerd-" ID64 ".scope",
		 ID64, "cri-containerd-" ID64 ".scope", UID},
		{"/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" UID_
		 ".slice/crio-" ID64 ".scope",
		 ID64, "crio-" ID64 ".scope", UID},
		{"/kubepods.slice/kubepods-pod" UID_ ".slice/crio-conmon-" ID64 ".scope", "",
		 "crio-conmon-" ID64 ".scope", UID},
		/* A kubelet under kind or k3s in a container: the pod is still read */
		{"/docker/" ID64B "/kubepods/burstable/pod" UID "/" ID64, ID64, "", UID},
		/* "pod" outside kubepods is nobody's pod */
		{"/system.slice/pod" UID ".service", "", "pod" UID ".service", ""},
		/* a malformed uid */
		{"/kubepods/burstable/pod5f4e3d2c-1b0a-4998-8877-66554433221", "", "", ""},
	};

	for (size_t i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++)
		check(&shapes[i]);
}

static int find_mount(const char *text, char *buf, size_t len)
{
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	int err;

	assert_non_null(f);
	err = cg_find_v2_mount(f, buf, len);
	fclose(f);
	return err;
}

static void test_mountinfo(void **state)
{
	static const char hybrid[] =
		"31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
		"32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
		"40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd\n"
		"41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";
	static const char pure[] =
		"22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n"
		"26 21 0:23 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 "
		"cgroup2 rw,nsdelegate,memory_recursiveprot\n";
	static const char escaped[] = "41 31 0:38 / /mnt/my\\040cgroups rw - cgroup2 none rw\n";
	static const char v1_only[] =
		"32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n";
	char buf[64], tiny[8];

	assert_int_equal(find_mount(hybrid, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/sys/fs/cgroup/unified");
	assert_int_equal(find_mount(pure, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/sys/fs/cgroup");
	assert_int_equal(find_mount(escaped, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/mnt/my cgroups");
	assert_int_equal(find_mount(v1_only, buf, sizeof(buf)), -ENOENT);
	assert_int_equal(find_mount("", buf, sizeof(buf)), -ENOENT);
	assert_int_equal(find_mount(hybrid, tiny, sizeof(tiny)), -ENAMETOOLONG);
}

static void norm_ok(const char *mount, const char *arg, const char *want)
{
	char buf[64];

	assert_int_equal(cg_normalize_path(mount, arg, buf, sizeof(buf)), 0);
	assert_string_equal(buf, want);
}

static void test_normalize(void **state)
{
	const char *m = "/sys/fs/cgroup/unified";
	char buf[16];

	norm_ok(m, "/system.slice/nginx.service", "/system.slice/nginx.service");
	norm_ok(m, "system.slice/nginx.service/", "/system.slice/nginx.service");
	norm_ok(m, "//a//b", "/a/b");
	norm_ok(m, "/sys/fs/cgroup/unified/a/b", "/a/b");
	norm_ok(m, "/sys/fs/cgroup/unified", "/");
	norm_ok(m, "/sys/fs/cgroup/unifiedx", "/sys/fs/cgroup/unifiedx"); /* not under it */
	norm_ok(m, "/", "/");
	norm_ok(m, "", "/");
	norm_ok("/sys/fs/cgroup/", "/sys/fs/cgroup/a", "/a");
	norm_ok(NULL, "a", "/a");
	assert_int_equal(cg_normalize_path(m, "/a/../b", buf, sizeof(buf)), -EINVAL);
	assert_int_equal(cg_normalize_path(m, "/a/./b", buf, sizeof(buf)), -EINVAL);
	assert_int_equal(cg_normalize_path(m, "/a/b/c/d/e/f/g/h/i", buf, sizeof(buf)),
			 -ENAMETOOLONG);
}

static void count_forget(uint64_t id, void *ctx)
{
	(*(int *)ctx)++;
}

/* A child that moves itself into cgroup dir and waits to be killed; its pid. */
static pid_t child_in(const char *dir)
{
	char procs[PATH_MAX + 96], line[32];
	pid_t pid = fork();
	FILE *f;

	assert_true(pid >= 0);
	if (!pid) {
		snprintf(procs, sizeof(procs), "%s/cgroup.procs", dir);
		f = fopen(procs, "w");
		if (!f || fprintf(f, "%d\n", (int)getpid()) < 0 || fclose(f))
			_exit(1);
		pause();
		_exit(0);
	}
	snprintf(procs, sizeof(procs), "%s/cgroup.procs", dir);
	for (int i = 0; i < 1000; i++) { /* until it is in: a readiness signal, not a sleep */
		f = fopen(procs, "r");
		if (f && fgets(line, sizeof(line), f)) {
			fclose(f);
			return pid;
		}
		if (f)
			fclose(f);
		usleep(1000);
	}
	fail_msg("child %d did not join %s", (int)pid, dir);
	return pid;
}

/* Needs root and a writable v2 hierarchy: skipped elsewhere, and says so. */
static void test_resolver_removed_cgroup(void **state)
{
	char rel[PATH_MAX], opened[PATH_MAX], dir[PATH_MAX + 64];
	struct cg_resolver *r = cg_resolver__new(NULL);
	const struct cg_entry *e;
	struct stat st;
	int forgotten = 0, fd;
	pid_t child;

	if (!r || geteuid() != 0) {
		cg_resolver__free(r);
		skip();
	}
	snprintf(rel, sizeof(rel), "/profd-unit-%d", (int)getpid());
	snprintf(dir, sizeof(dir), "%s%s", cg_resolver__mount(r), rel);
	if (mkdir(dir, 0755)) {
		cg_resolver__free(r);
		skip();
	}
	assert_int_equal(stat(dir, &st), 0);
	fd = cg_resolver__open(r, dir, opened, sizeof(opened)); /* the absolute form */
	assert_true(fd >= 0);
	close(fd);
	assert_string_equal(opened, rel);
	/* Learned from a process in it, while it exists. */
	child = child_in(dir);
	assert_int_equal(cg_resolver__learn(r, st.st_ino, child), 0);
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	assert_int_equal(rmdir(dir), 0);
	/* Removed: still known by the id BPF saw, until it goes unused. */
	e = cg_resolver__get(r, st.st_ino);
	assert_non_null(e);
	assert_string_equal(e->path, rel);
	cg_resolver__sweep(r, 2, count_forget, &forgotten);
	cg_resolver__sweep(r, 2, count_forget, &forgotten);
	assert_non_null(cg_resolver__get(r, st.st_ino)); /* used: kept */
	for (int i = 0; i < 3; i++)
		cg_resolver__sweep(r, 2, count_forget, &forgotten);
	assert_int_equal(forgotten, 1);
	cg_resolver__sweep(r, 2, count_forget, &forgotten);
	assert_null(cg_resolver__get(r, st.st_ino)); /* gone, and cannot be resolved again */
	/* Without a process to ask, by a walk of the hierarchy: the root is "/". */
	assert_int_equal(stat(cg_resolver__mount(r), &st), 0);
	e = cg_resolver__get(r, st.st_ino);
	assert_non_null(e);
	assert_string_equal(e->path, "/");
	/* A process that is elsewhere is not believed; the next sweep's walk finds it. */
	cg_resolver__sweep(r, 2, count_forget, &forgotten);
	assert_int_equal(mkdir(dir, 0755), 0);
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(cg_resolver__learn(r, st.st_ino, getpid()), 0);
	assert_string_equal(cg_resolver__get(r, st.st_ino)->path, rel);
	assert_int_equal(rmdir(dir), 0);
	assert_int_equal(cg_resolver__open(r, "/no-such-cgroup-here", opened, sizeof(opened)),
			 -ENOENT);
	cg_resolver__free(r);
}

TEST_MAIN(cmocka_unit_test(test_units),
	  cmocka_unit_test(test_containers),
	  cmocka_unit_test(test_kubernetes),
	  cmocka_unit_test(test_mountinfo),
	  cmocka_unit_test(test_normalize),
	  cmocka_unit_test(test_resolver_removed_cgroup))
