// SPDX-License-Identifier: MIT
/*
 * The vdso has no file to open. Every 64-bit process on this kernel maps the same image, so ours
 * (found through AT_SYSINFO_EHDR) names everyone's: its .dynsym holds __vdso_clock_gettime and
 * friends. A [vdso] mapping of another size (a 32-bit process) is another image and stays
 * unnamed rather than misnamed. The same image gives every process's vdso its unwind table.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

#include "common/log.h"
#include "symbolizer/symbolizer_internal.h"
#include "symbolizer/unwind_table_internal.h"

uint64_t sym_vdso__own_size(uint64_t base)
{
	struct sym_maps maps;
	struct sym_map *m;
	uint64_t size = 0;
	int fd;

	fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	if (!sym_maps__read(fd, &maps)) {
		m = sym_maps__find(&maps, base);
		if (m && m->kind == SYM_MAP_VDSO && m->start == base)
			size = m->end - m->start;
		sym_maps__release(&maps);
	}
	close(fd);
	return size;
}

/* A private copy: libelf gets memory that stays put and is never our executable mapping. */
static void *copy_own(uint64_t size)
{
	uint64_t base = getauxval(AT_SYSINFO_EHDR);
	void *copy = base && size ? malloc(size) : NULL;

	if (copy)
		memcpy(copy, (const void *)(uintptr_t)base, size);
	return copy;
}

struct sym_file *sym_vdso__get(struct sym_resolver *r)
{
	uint64_t base, size;
	void *copy;

	if (r->vdso_tried)
		return r->vdso;
	r->vdso_tried = true;
	r->did_io = true;
	base = getauxval(AT_SYSINFO_EHDR);
	size = base ? sym_vdso__own_size(base) : 0;
	if (!size || size > (1 << 20))
		return NULL;
	copy = copy_own(size);
	if (!copy)
		return NULL;
	r->vdso = sym_file__new_mem(copy, size, "[vdso]");
	free(copy);
	if (!r->vdso)
		pr_debug("sym: [vdso]: cannot read our own image");
	r->vdso_size = size;
	return r->vdso;
}

int sym_cfi_table__build_vdso(struct sym_cfi_table **out)
{
	uint64_t base = getauxval(AT_SYSINFO_EHDR), size = base ? sym_vdso__own_size(base) : 0;
	void *copy;
	int err;

	if (!size || size > (1 << 20)) {
		*out = calloc(1, sizeof(**out));
		return *out ? 0 : -ENOMEM;
	}
	copy = copy_own(size);
	if (!copy)
		return -ENOMEM;
	err = sym_cfi_table__build_mem(copy, size, out);
	free(copy);
	return err;
}

int sym_vdso__unwind_tables(struct sym_resolver *r, struct sym_uw_table *t)
{
	void *copy = copy_own(r->vdso_size);
	int err;

	if (!copy)
		return -ENOMEM;
	err = sym_uw_table__read_mem(copy, r->vdso_size, t);
	free(copy);
	return err;
}
