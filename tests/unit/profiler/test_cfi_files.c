// SPDX-License-Identifier: MIT
/*
 * Unit tests of what the walker's tables keep known (profiler/cfi_tables.c), against real BPF
 * maps shaped as profile.bpf.c's: a file whose table made room is forgotten and built again when
 * announced again, and files without a table are known up to a bound, the oldest forgotten
 * first, so that cfi_files never fills on a host that runs new programs for months.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <cmocka.h>

#include "profiler/sampling_internal.h"
#include "helpers.h"

#define TABLELESS_MAX (PROFD_CFI_FILES_MAX - PROFD_CFI_TABLES_MAX)

struct maps {
	struct prof_cfi_maps m;
	int inner;
};

static void barrier(void *ctx) {}
static int scan(void *ctx, pid_t pid) { return -ESRCH; }
static int watch_loader(void *ctx, const char *path) { return 0; }

/* The maps prof_cfi__new() needs, with pool_slots entries of table memory; false without BPF. */
static bool maps_new(struct maps *s, uint32_t pool_slots)
{
	LIBBPF_OPTS(bpf_map_create_opts, inner_opts, .map_flags = BPF_F_MMAPABLE | BPF_F_INNER_MAP);
	LIBBPF_OPTS(bpf_map_create_opts, pool_opts);
	LIBBPF_OPTS(bpf_map_create_opts, files_opts, .map_flags = BPF_F_NO_PREALLOC);

	memset(s, 0, sizeof(*s));
	s->inner = bpf_map_create(BPF_MAP_TYPE_ARRAY, "t_chunk", 4, 8, 1, &inner_opts);
	if (s->inner < 0)
		return false;
	pool_opts.inner_map_fd = s->inner;
	s->m.pool = bpf_map_create(BPF_MAP_TYPE_ARRAY_OF_MAPS, "t_pool", 4, 4,
				   PROFD_CFI_CHUNKS_MAX, &pool_opts);
	s->m.tables = bpf_map_create(BPF_MAP_TYPE_ARRAY, "t_tables", 4,
				     sizeof(struct profd_cfi_table), PROFD_CFI_TABLES_MAX, NULL);
	s->m.files = bpf_map_create(BPF_MAP_TYPE_HASH, "t_files", 8, sizeof(struct profd_cfi_file),
				    PROFD_CFI_FILES_MAX, &files_opts);
	s->m.announced = bpf_map_create(BPF_MAP_TYPE_LRU_HASH, "t_announced", 8, 1, 4096, NULL);
	assert_true(s->m.pool >= 0 && s->m.tables >= 0 && s->m.files >= 0 &&
		    s->m.announced >= 0);
	s->m.pool_slots = pool_slots;
	s->m.barrier = barrier;
	s->m.scan = scan;
	s->m.watch_loader = watch_loader;
	return true;
}

static void maps_free(struct maps *s)
{
	close(s->m.pool);
	close(s->m.tables);
	close(s->m.files);
	close(s->m.announced);
	close(s->inner);
}

/* An announcement of path's code under key (any key: the file is checked by inode, size, mtime). */
static struct profd_mmap_event announce(const char *path, uint64_t key)
{
	struct profd_mmap_event e = {.type = PROFD_EV_MMAP, .file = key, .nparts = 0};
	const char *p = path + strlen(path);
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	e.ino = st.st_ino;
	e.size = (uint64_t)st.st_size;
	e.mtime_sec = st.st_mtim.tv_sec;
	e.mtime_nsec = (uint32_t)st.st_mtim.tv_nsec;
	/* The names on the path, leaf first, as the kernel gives them. */
	while (p > path && e.nparts < PROFD_PATH_PARTS) {
		const char *slash = p - 1;

		while (slash > path && *slash != '/')
			slash--;
		snprintf(e.parts[e.nparts++], PROFD_PATH_PART_LEN, "%.*s", (int)(p - slash - 1),
			 slash + 1);
		p = slash;
	}
	return e;
}

#define UNKNOWN UINT32_MAX

/* The kernel's state of the file under key, or UNKNOWN. */
static uint32_t kernel_state(const struct maps *s, uint64_t key)
{
	struct profd_cfi_file f;

	return bpf_map_lookup_elem(s->m.files, &key, &f) ? UNKNOWN : f.state;
}

/* Announces path's code under key; returns the kernel's state of it then. */
static uint32_t announced(struct prof_cfi *c, const struct maps *s, const char *path,
			  uint64_t key)
{
	struct profd_mmap_event e = announce(path, key);

	prof_cfi__on_mmap(c, &e);
	return kernel_state(s, key);
}

/* Marks every table walked long ago: each may make room. */
static void all_idle(const struct maps *s)
{
	for (uint32_t id = 0; id < PROFD_CFI_TABLES_MAX; id++) {
		struct profd_cfi_table t;

		if (!bpf_map_lookup_elem(s->m.tables, &id, &t) && t.nrows) {
			t.used_ns = 0;
			bpf_map_update_elem(s->m.tables, &id, &t, BPF_ANY);
		}
	}
}

static bool skip_without_bpf(struct maps *s, uint32_t pool_slots)
{
	if (maps_new(s, pool_slots))
		return false;
	skip_because("no BPF maps here (not root?)");
	return true;
}

static const char *libc_path(void)
{
	static const char *const paths[] = {"/usr/lib/x86_64-linux-gnu/libc.so.6",
					    "/lib/x86_64-linux-gnu/libc.so.6",
					    "/usr/lib64/libc.so.6"};

	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		if (!access(paths[i], R_OK))
			return paths[i];
	fail_msg("no libc.so.6 found");
	return NULL;
}

/*
 * Table memory for one libc table: a second file's table evicts the first, which the kernel no
 * longer knows, and which is built again (making room in turn) when announced again.
 */
static void test_evicted_file_is_forgotten_and_built_again(void **state)
{
	const uint64_t first = 0x1000, second = 0x2000, third = 0x3000;
	struct prof_cfi *c;
	struct maps s;

	if (skip_without_bpf(&s, 20000)) /* 156 KiB: libc's table is about 100 */
		return;
	c = prof_cfi__new(&s.m);
	assert_non_null(c);
	assert_int_equal(announced(c, &s, libc_path(), first), PROFD_CFI_LOADED);
	/* Walked a second ago: not idle enough to make room. */
	assert_int_equal(announced(c, &s, libc_path(), second), PROFD_CFI_NO_ROOM);
	assert_int_equal(kernel_state(&s, first), PROFD_CFI_LOADED);
	/* Idle: the first makes room for a third, and is forgotten by the kernel. */
	all_idle(&s);
	assert_int_equal(announced(c, &s, libc_path(), third), PROFD_CFI_LOADED);
	assert_int_equal(kernel_state(&s, first), UNKNOWN);
	/* Announced again, the first is built again, the third making room. */
	all_idle(&s);
	assert_int_equal(announced(c, &s, libc_path(), first), PROFD_CFI_LOADED);
	assert_int_equal(kernel_state(&s, third), UNKNOWN);
	prof_cfi__free(c);
	maps_free(&s);
}

/* Files without a table: known up to the bound, then the oldest forgotten, one for one. */
static void test_files_without_table_bounded(void **state)
{
	const uint64_t base = 0x100000, extra = 7;
	char path[PATH_MAX];
	struct prof_cfi *c;
	struct maps s;

	if (skip_without_bpf(&s, 1u << 16))
		return;
	c = prof_cfi__new(&s.m);
	assert_non_null(c);
	/* Not ELF: no CFI to read in it. */
	pathf(path, "%s/not-elf", test_dir);
	write_str(path, "not an ELF file\n");
	for (uint64_t i = 0; i < TABLELESS_MAX + extra; i++)
		assert_int_not_equal(announced(c, &s, path, base + i), PROFD_CFI_LOADED);
	for (uint64_t i = 0; i < TABLELESS_MAX + extra; i++) {
		uint32_t st = kernel_state(&s, base + i);

		if (i < extra ? st != UNKNOWN : st == UNKNOWN)
			fail_msg("file %llu of %llu: %s", (unsigned long long)i,
				 (unsigned long long)(TABLELESS_MAX + extra),
				 i < extra ? "still known" : "forgotten");
	}
	/* One forgotten is read again when announced again, and the oldest makes way. */
	assert_int_not_equal(announced(c, &s, path, base), UNKNOWN);
	assert_int_equal(kernel_state(&s, base + extra), UNKNOWN);
	/* The vdso's table is still there, whatever came after. */
	assert_int_equal(kernel_state(&s, PROFD_CFI_VDSO_KEY), PROFD_CFI_LOADED);
	prof_cfi__free(c);
	maps_free(&s);
}

TEST_MAIN(cmocka_unit_test(test_evicted_file_is_forgotten_and_built_again),
	  TEST_IN_DIR(test_files_without_table_bounded))
