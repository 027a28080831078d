// SPDX-License-Identifier: MIT
/*
 * Unit tests of the kernel types cut out for CO-RE (profiler/kernel_types.c), against the
 * running kernel's own BTF as libbpf reads it: what a relocation can read must be where the
 * kernel has it.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include <bpf/btf.h>

#include "profiler/sampling_internal.h"
#include "helpers.h"

/* The types cut out for a local BTF naming names (NULL-terminated), parsed back. */
static struct btf *cut_for(const char *const *names)
{
	struct btf *local = btf__new_empty(), *out;
	char path[64];
	int fd = memfd_create("test-kernel-types", MFD_CLOEXEC);

	assert_non_null(local);
	assert_true(fd >= 0);
	for (size_t i = 0; names[i]; i++)
		assert_true(btf__add_struct(local, names[i], 0) > 0);
	assert_int_equal(prof_kernel_types__write(fd, local), 0);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	out = btf__parse(path, NULL);
	assert_non_null(out);
	close(fd);
	btf__free(local);
	return out;
}

/* id of the struct name in btf, after typedefs; -1 if none. */
static int struct_id(const struct btf *btf, const char *name)
{
	int id = btf__find_by_name_kind(btf, name, BTF_KIND_STRUCT);

	return id > 0 ? id : -1;
}

/* Skips typedefs and modifiers, as CO-RE does. */
static const struct btf_type *resolved(const struct btf *btf, __u32 id)
{
	const struct btf_type *t = btf__type_by_id(btf, id);

	while (t && (btf_is_typedef(t) || btf_is_mod(t) || btf_is_type_tag(t)))
		t = btf__type_by_id(btf, t->type);
	return t;
}

/*
 * Every member of kernel struct kid is in cut struct cid, at the same offset, of a type of the
 * same kind (pointers may point anywhere); embedded structs are compared the same way.
 */
static void assert_same_layout(const struct btf *kernel, const struct btf_type *k,
			       const struct btf *cut, const struct btf_type *c, int depth)
{
	const struct btf_member *km = btf_members(k), *cm = btf_members(c);

	assert_int_equal(btf_kind(k), btf_kind(c));
	assert_int_equal(k->size, c->size);
	assert_int_equal(btf_vlen(k), btf_vlen(c));
	for (__u16 i = 0; i < btf_vlen(k); i++) {
		const struct btf_type *kt = resolved(kernel, km[i].type);
		const struct btf_type *ct = resolved(cut, cm[i].type);

		assert_string_equal(btf__name_by_offset(kernel, km[i].name_off),
				    btf__name_by_offset(cut, cm[i].name_off));
		assert_int_equal(btf_member_bit_offset(k, i), btf_member_bit_offset(c, i));
		assert_int_equal(btf_member_bitfield_size(k, i), btf_member_bitfield_size(c, i));
		assert_non_null(kt);
		assert_non_null(ct);
		assert_int_equal(btf_kind(kt), btf_kind(ct));
		if (btf_is_composite(kt) && depth < 8)
			assert_same_layout(kernel, kt, cut, ct, depth + 1);
		if (btf_is_int(kt))
			assert_int_equal(kt->size, ct->size);
	}
}

static void test_structs_keep_the_kernels_layout(void **state)
{
	static const char *const names[] = {"task_struct", "vm_area_struct", "file", "dentry",
					    "super_block", "mm_struct", NULL};
	struct btf *kernel = btf__load_vmlinux_btf(), *cut;

	if (!kernel)
		skip_because("no kernel BTF");
	cut = cut_for(names);
	for (size_t i = 0; names[i]; i++) {
		int kid = struct_id(kernel, names[i]), cid = struct_id(cut, names[i]);

		assert_true(kid > 0);
		assert_true(cid > 0);
		assert_same_layout(kernel, btf__type_by_id(kernel, kid), cut,
				   btf__type_by_id(cut, cid), 0);
	}
	/* A few hundred types, not the kernel's hundred thousand. */
	assert_true(btf__type_cnt(cut) < 5000);
	btf__free(cut);
	btf__free(kernel);
}

/* CO-RE matches task_struct___old to task_struct: so does the cut. */
static void test_flavors_name_their_kernel_struct(void **state)
{
	static const char *const names[] = {"inode___id", NULL};
	struct btf *kernel = btf__load_vmlinux_btf(), *cut;

	if (!kernel)
		skip_because("no kernel BTF");
	cut = cut_for(names);
	assert_true(struct_id(cut, "inode") > 0);
	assert_same_layout(kernel, btf__type_by_id(kernel, struct_id(kernel, "inode")), cut,
			   btf__type_by_id(cut, struct_id(cut, "inode")), 0);
	btf__free(cut);
	btf__free(kernel);
}

/* Names the kernel does not have (the programs' own structs) are no error: nothing is cut. */
static void test_own_structs_are_left_out(void **state)
{
	static const char *const names[] = {"profd_no_such_struct", "task_struct", NULL};
	struct btf *cut;

	if (access("/sys/kernel/btf/vmlinux", R_OK))
		skip_because("no kernel BTF");
	cut = cut_for(names);
	assert_int_equal(struct_id(cut, "profd_no_such_struct"), -1);
	assert_true(struct_id(cut, "task_struct") > 0);
	btf__free(cut);
}

TEST_MAIN(cmocka_unit_test(test_structs_keep_the_kernels_layout),
	  cmocka_unit_test(test_flavors_name_their_kernel_struct),
	  cmocka_unit_test(test_own_structs_are_left_out))
