// SPDX-License-Identifier: MIT
/*
 * A file's DWARF as libdw reads it, kept out of the heap: the debug sections profd uses are
 * copied, inflated where compressed, into a new ELF file that is unlinked from the start
 * (O_TMPFILE), and libelf maps that file. Only the pages a lookup touches are resident, and the
 * kernel can take them back; read into memory instead, libc's DWARF alone held 9.4 MiB.
 *
 * Mapping the original file is not safe (a writer truncating it would turn reads into SIGBUS, and
 * compressed sections would still be inflated into memory); nobody else can reach the copy. Where
 * no scratch folder is writable, sym_dwarf__open() reads the sections into memory as before.
 *
 * The copy: ELF header, the sections' data one after the other (aligned), a string table of
 * their names, the section headers. Only ET_EXEC and ET_DYN files are copied: libdw applies
 * relocations to ET_REL ones, which would need sections this copy leaves out.
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <zlib.h>

#include "common/log.h"
#include "common/strbuf.h"
#include "symbolizer/symbolizer_internal.h"

#define CHUNK (64u << 10)
#define SECTIONS_MAX 64
#define SCRATCH_DEFAULT "/var/tmp"
#define ALIGN_MAX 4096 /* debug sections ask for 1 or 8: more is a damaged header, not padding */

bool sym_dwarf_section_unused(const char *suffix)
{
	static const char *const unused[] = {"loc",	 "loclists", "macinfo",	 "macro",
					     "pubnames", "pubtypes", "gnu_pubnames",
					     "gnu_pubtypes", "names", "frame", "gdb_index",
					     "cu_index", "tu_index"};

	for (size_t i = 0; i < sizeof(unused) / sizeof(unused[0]); i++)
		if (!strcmp(suffix, unused[i]))
			return true;
	return false;
}

/* One section to copy: where it is in the source, how it is stored, its name in the copy. */
struct piece {
	char name[64];
	uint64_t src_off, src_len; /* the stored bytes, compression header excluded */
	uint64_t size;		   /* inflated */
	uint64_t align, out_off;
	bool zlib;
};

struct image {
	int src, out;
	struct piece p[SECTIONS_MAX];
	size_t n;
	unsigned char in[CHUNK], buf[CHUNK];
};

static int write_all(int fd, const void *buf, size_t len)
{
	for (size_t done = 0; done < len;) {
		ssize_t n = write(fd, (const char *)buf + done, len - done);

		if (n < 0)
			return -errno;
		done += (size_t)n;
	}
	return 0;
}

static int pread_some(int fd, void *buf, size_t len, uint64_t off)
{
	ssize_t n = pread(fd, buf, len, (off_t)off);

	return n < 0 ? -errno : n == 0 ? -EIO : (int)n;
}

static int copy_raw(struct image *im, const struct piece *p)
{
	for (uint64_t done = 0; done < p->size;) {
		size_t want = p->size - done < CHUNK ? (size_t)(p->size - done) : CHUNK;
		int n = pread_some(im->src, im->buf, want, p->src_off + done);
		int err = n < 0 ? n : write_all(im->out, im->buf, (size_t)n);

		if (err)
			return err;
		done += (uint64_t)n;
	}
	return 0;
}

/* Inflates p chunk by chunk: nothing of it is held in memory at once. */
static int copy_inflated(struct image *im, const struct piece *p)
{
	z_stream z = {0};
	uint64_t read_off = 0, written = 0;
	int zr = Z_OK, err = 0;

	if (inflateInit(&z) != Z_OK)
		return -ENOMEM;
	while (!err && zr != Z_STREAM_END) {
		if (!z.avail_in) {
			size_t want = p->src_len - read_off < CHUNK ? (size_t)(p->src_len - read_off)
								    : CHUNK;
			int n = want ? pread_some(im->src, im->in, want, p->src_off + read_off)
				     : -EBADMSG; /* the stream ended early */

			if (n < 0) {
				err = n;
				break;
			}
			z.next_in = im->in;
			z.avail_in = (unsigned)n;
			read_off += (uint64_t)n;
		}
		z.next_out = im->buf;
		z.avail_out = CHUNK;
		zr = inflate(&z, Z_NO_FLUSH);
		if (zr != Z_OK && zr != Z_STREAM_END) {
			err = zr == Z_MEM_ERROR ? -ENOMEM : -EBADMSG;
			break;
		}
		written += CHUNK - z.avail_out;
		if (written > p->size)
			err = -EBADMSG;
		else
			err = write_all(im->out, im->buf, CHUNK - z.avail_out);
	}
	inflateEnd(&z);
	return err ?: written == p->size ? 0 : -EBADMSG;
}

/* Where the stored bytes of a compressed section start, and its inflated size. */
static int compressed_piece(Elf *src, const GElf_Shdr *sh, bool zdebug, struct piece *p,
			    int fd)
{
	unsigned char hdr[sizeof(Elf64_Chdr)];
	uint64_t skip;

	if (zdebug) {
		skip = 12; /* "ZLIB" and the size, big-endian */
		if (sh->sh_size < skip || pread_some(fd, hdr, skip, sh->sh_offset) != (int)skip ||
		    memcmp(hdr, "ZLIB", 4))
			return -EBADMSG;
		for (int i = 4; i < 12; i++)
			p->size = p->size << 8 | hdr[i];
	} else {
		Elf64_Chdr ch;

		if (gelf_getclass(src) != ELFCLASS64)
			return -EOPNOTSUPP;
		skip = sizeof(ch);
		if (sh->sh_size < skip || pread_some(fd, &ch, skip, sh->sh_offset) != (int)skip)
			return -EBADMSG;
		if (ch.ch_type != ELFCOMPRESS_ZLIB)
			return -EOPNOTSUPP;
		p->size = ch.ch_size;
	}
	p->zlib = true;
	p->src_off = sh->sh_offset + skip;
	p->src_len = sh->sh_size - skip;
	return 0;
}

/* The debug sections to copy, with their layout in the copy. */
static int plan(struct image *im, Elf *src, uint64_t *end)
{
	size_t shstrndx;
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;
	uint64_t off = sizeof(Elf64_Ehdr);
	int err;

	if (elf_getshdrstrndx(src, &shstrndx))
		return -EBADMSG;
	while ((scn = elf_nextscn(src, scn))) {
		const char *name;
		struct piece *p;
		bool z;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type == SHT_NOBITS ||
		    !(name = elf_strptr(src, shstrndx, sh.sh_name)))
			continue;
		z = !strncmp(name, ".zdebug_", 8);
		if ((strncmp(name, ".debug_", 7) && !z) || sym_dwarf_section_unused(name + (z ? 8 : 7)))
			continue;
		if (im->n == SECTIONS_MAX || strlen(name) >= sizeof(p->name))
			return -EOPNOTSUPP;
		p = &im->p[im->n++];
		memset(p, 0, sizeof(*p));
		snprintf(p->name, sizeof(p->name), ".debug_%s", name + (z ? 8 : 7));
		if (z || (sh.sh_flags & SHF_COMPRESSED)) {
			err = compressed_piece(src, &sh, z, p, im->src);
			if (err)
				return err;
		} else {
			p->src_off = sh.sh_offset;
			p->src_len = p->size = sh.sh_size;
		}
		p->align = sh.sh_addralign > 8 ? sh.sh_addralign : 8;
		if (p->align > ALIGN_MAX || (p->align & (p->align - 1)))
			return -EBADMSG;
		off = (off + p->align - 1) & ~(p->align - 1);
		p->out_off = off;
		off += p->size;
	}
	*end = off;
	return im->n ? 0 : -ENODATA;
}

static int pad_to(int fd, uint64_t off)
{
	static const char zeros[64];
	off_t at = lseek(fd, 0, SEEK_CUR);

	if (at < 0)
		return -errno;
	while ((uint64_t)at < off) {
		size_t n = off - (uint64_t)at < sizeof(zeros) ? (size_t)(off - (uint64_t)at)
							       : sizeof(zeros);
		int err = write_all(fd, zeros, n);

		if (err)
			return err;
		at += (off_t)n;
	}
	return 0;
}

/* The name table and the section headers, after the data; then the ELF header in front. */
static int write_headers(struct image *im, const GElf_Ehdr *src_eh, uint64_t data_end)
{
	Elf64_Shdr sh[SECTIONS_MAX + 2] = {0};
	struct profd_strbuf names = {0};
	size_t nsh = im->n + 2, strndx = im->n + 1;
	Elf64_Ehdr eh = {0};
	uint64_t shoff;
	int err = profd_strbuf_append(&names, "", 1);

	for (size_t i = 0; !err && i < im->n; i++) {
		sh[i + 1] = (Elf64_Shdr){
			.sh_name = (Elf64_Word)names.len,
			.sh_type = SHT_PROGBITS,
			.sh_offset = im->p[i].out_off,
			.sh_size = im->p[i].size,
			.sh_addralign = 1,
		};
		err = profd_strbuf_append(&names, im->p[i].name, strlen(im->p[i].name) + 1);
	}
	sh[strndx] = (Elf64_Shdr){.sh_name = (Elf64_Word)names.len, .sh_type = SHT_STRTAB,
				  .sh_offset = data_end, .sh_addralign = 1};
	err = err ?: profd_strbuf_append(&names, ".shstrtab", sizeof(".shstrtab"));
	sh[strndx].sh_size = names.len;
	shoff = (data_end + names.len + 7) & ~7ull;
	err = err ?: pad_to(im->out, data_end);
	err = err ?: write_all(im->out, names.buf, names.len);
	err = err ?: pad_to(im->out, shoff);
	err = err ?: write_all(im->out, sh, nsh * sizeof(sh[0]));
	profd_strbuf_release(&names);
	if (err)
		return err;
	memcpy(eh.e_ident, src_eh->e_ident, EI_NIDENT);
	eh.e_type = src_eh->e_type;
	eh.e_machine = src_eh->e_machine;
	eh.e_version = EV_CURRENT;
	eh.e_ehsize = sizeof(eh);
	eh.e_shoff = shoff;
	eh.e_shentsize = sizeof(sh[0]);
	eh.e_shnum = (Elf64_Half)nsh;
	eh.e_shstrndx = (Elf64_Half)strndx;
	return pwrite(im->out, &eh, sizeof(eh), 0) == sizeof(eh) ? 0 : -EIO;
}

static int open_scratch(void)
{
	const char *env = getenv("TMPDIR");
	const char *dirs[] = {env && *env ? env : SCRATCH_DEFAULT, SCRATCH_DEFAULT, "/tmp"};
	int fd = -ENOENT;

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]) && fd < 0; i++) {
		fd = open(dirs[i], O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
		if (fd < 0)
			fd = -errno;
	}
	return fd;
}

static int write_image(struct image *im, Elf *src)
{
	GElf_Ehdr eh;
	uint64_t end;
	int err;

	if (!gelf_getehdr(src, &eh) || eh.e_ident[EI_CLASS] != ELFCLASS64 ||
	    (eh.e_type != ET_EXEC && eh.e_type != ET_DYN))
		return -EOPNOTSUPP;
	err = plan(im, src, &end);
	err = err ?: pad_to(im->out, sizeof(Elf64_Ehdr));
	for (size_t i = 0; !err && i < im->n; i++) {
		err = pad_to(im->out, im->p[i].out_off);
		err = err ?: im->p[i].zlib ? copy_inflated(im, &im->p[i]) : copy_raw(im, &im->p[i]);
	}
	return err ?: write_headers(im, &eh, end);
}

int sym_dwarf_image__open(int fd, Elf *src, Elf **out)
{
	struct image *im = calloc(1, sizeof(*im));
	Elf *elf;
	int err;

	*out = NULL;
	if (!im)
		return -ENOMEM;
	im->src = fd;
	im->out = open_scratch();
	err = im->out < 0 ? im->out : write_image(im, src);
	if (!err) {
		elf = elf_begin(im->out, ELF_C_READ_MMAP, NULL);
		if (elf && elf_kind(elf) == ELF_K_ELF) {
			/* The mapping holds the file: libelf need not read the fd again. */
			elf_cntl(elf, ELF_C_FDDONE);
			*out = elf;
		} else {
			if (elf)
				elf_end(elf);
			err = -EBADMSG;
		}
	}
	if (im->out >= 0)
		close(im->out);
	free(im);
	return err;
}

void sym_dwarf_image__drop_pages(Elf *elf)
{
	size_t len;
	char *base = elf_rawfile(elf, &len);

	/*
	 * Reading the unit headers touched most of .debug_info; lookups touch a few units again.
	 * The mapping is private and never written, so the pages come back from the file on use.
	 */
	if (base && len) {
		uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
		uintptr_t start = ((uintptr_t)base + page - 1) & ~(page - 1);

		if (start < (uintptr_t)base + len)
			madvise((void *)start, (uintptr_t)base + len - start, MADV_DONTNEED);
	}
}
