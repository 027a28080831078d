// SPDX-License-Identifier: MIT
/*
 * libFuzzer target: the ELF and DWARF loaders of symbolizer/ on arbitrary bytes, as profd meets
 * them in any mapped file or debug file. The input is written to a memfd (a regular file, as the
 * loaders want) and read the way filecache.c and debuginfo.c read a file: sym_elf__read_fd()
 * for segments, build-id and symbol table, then sym_dwarf__open() for its DWARF. Then addresses
 * across the file are looked up: spread over every executable segment, at the start, middle and
 * end of up to 64 symbols spread over the table, and two taken from the input's last bytes;
 * each DWARF lookup twice (indexing the unit, then from the index). The image is also read from memory, as the
 * vdso is. Every frame's strings are touched, and the documented shape of a lookup is checked:
 * all frames but the last inlined, names set on all but maybe the last.
 *
 * Memory is bounded as in profd: the loaders get a 64 MiB budget for symbol tables and DWARF.
 *
 * fuzz-sources: symbolizer common
 * fuzz-libs: -lelf -ldw -lunwind-generic -lunwind -lzstd -lz -ldebuginfod -l:libiberty.a
 * fuzz-seed-gen: tests/fuzz/seeds/elf_dwarf_seeds.sh
 */
#include <elf.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "common/log.h"
#include "symbolizer/symbolizer_internal.h"

#define MAX_BYTES (64u << 20)
#define SYMBOLS_LOOKED_UP 64 /* per input, evenly spread over the table */
#define SEGMENT_POINTS 16    /* addresses per executable segment */

static int fd = -1;
static volatile size_t sink;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	profd_log_set_level(PROFD_LOG_WARN);
	fd = memfd_create("fuzz_elf_dwarf", MFD_CLOEXEC);
	if (fd < 0)
		abort();
	return 0;
}

static void touch(const char *s)
{
	if (s)
		sink += strlen(s);
}

static void lookup_dwarf(struct sym_dwarf *d, uint64_t addr)
{
	struct sym_frame frames[SYM_INLINE_MAX];
	size_t grew;

	for (int pass = 0; pass < 2; pass++) {
		size_t n = sym_dwarf__lookup(d, addr, frames, SYM_INLINE_MAX, &grew);

		if (n > SYM_INLINE_MAX)
			abort();
		for (size_t i = 0; i < n; i++) {
			touch(frames[i].name);
			touch(frames[i].system_name);
			touch(frames[i].file);
			if (frames[i].inlined != (i + 1 < n))
				abort(); /* all but the last are inlined */
			if (!frames[i].name && i + 1 < n)
				abort(); /* only the outermost may be left for the symbol table */
		}
	}
}

static void lookup_symtab(struct sym_symtab *t, uint64_t addr)
{
	const struct sym_symbol *s = sym_symtab__find(t, addr);

	if (!s)
		return;
	if (s->name >= t->names_len || addr - s->addr >= s->size)
		abort();
	/* As resolver.c names a frame: demangled once, by index. */
	touch(sym_dcache__get(&t->demangled, (uint32_t)(s - t->syms), t->names + s->name));
}

static void lookup(struct sym_elf *e, struct sym_dwarf *d, uint64_t addr)
{
	if (e->symtab)
		lookup_symtab(e->symtab, addr);
	if (d)
		lookup_dwarf(d, addr);
}

static void lookups(struct sym_elf *e, struct sym_dwarf *d, const uint8_t *data, size_t size)
{
	uint64_t tail[2] = {0, UINT64_MAX};

	for (size_t i = 0; i < e->nsegs; i++) {
		const struct sym_segment *s = &e->segs[i];

		if (!(s->flags & PF_X))
			continue;
		for (uint64_t k = 0; k < SEGMENT_POINTS; k++)
			lookup(e, d, s->vaddr + s->memsz / SEGMENT_POINTS * k);
		lookup(e, d, s->vaddr + s->memsz - 1);
	}
	if (e->symtab && e->symtab->n) {
		const struct sym_symtab *t = e->symtab;
		size_t step = t->n / SYMBOLS_LOOKED_UP + 1;

		for (size_t i = 0; i < t->n; i += step) {
			lookup(e, d, t->syms[i].addr);
			lookup(e, d, t->syms[i].addr + t->syms[i].size / 2);
			lookup(e, d, t->syms[i].addr + t->syms[i].size - 1);
		}
	}
	if (size >= sizeof(tail))
		memcpy(tail, data + size - sizeof(tail), sizeof(tail));
	lookup(e, d, tail[0]);
	lookup(e, d, tail[1]);
	lookup(e, d, 0);
	lookup(e, d, UINT64_MAX);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sym_dwarf_opts opts = {.max_bytes = MAX_BYTES};
	struct sym_dwarf *d = NULL;
	struct sym_elf e, m;
	size_t done = 0;
	int err;

	if (ftruncate(fd, 0))
		abort();
	while (done < size) {
		ssize_t n = pwrite(fd, data + done, size - done, (off_t)done);

		if (n <= 0)
			abort();
		done += (size_t)n;
	}
	err = sym_elf__read_fd(fd, MAX_BYTES, &e);
	if (err && err != -ENOMEM && err != -EIO)
		abort(); /* documented: 0, -ENOMEM or -EIO */
	if (err)
		return 0;
	/* A separate debug file is checked against the build-id of the binary that names it. */
	if (size && (data[size - 1] & 1) && e.build_id[0])
		opts.build_id = e.build_id;
	err = sym_dwarf__open(fd, &opts, &d);
	if (err && d)
		abort();
	if (d)
		sink += sym_dwarf__bytes(d);
	lookups(&e, d, data, size);
	sym_dwarf__free(d);
	sym_elf__release(&e);

	/* The same bytes as an image in memory (the vdso's path). */
	if (sym_elf__read_mem(data, size, MAX_BYTES, &m) == 0) {
		lookups(&m, NULL, data, size);
		sym_elf__release(&m);
	}
	return 0;
}
