/* SPDX-License-Identifier: MIT */
/*
 * Pieces of symbolizer/ shared by its files and its unit tests; nothing outside this folder
 * includes it.
 *
 * Ownership in one picture:
 *
 *   sym_resolver ── procs: sym_proc (pid, start time) ── maps: sym_map ──┐ (one reference each)
 *               ├─ files: sym_filecache ── sym_file (device, inode, size, mtime) <──┘
 *               │                             ├─ segments, build-id        (while referenced)
 *               │                             ├─ sym_symtab                (LRU, evictable)
 *               │                             ├─ sym_dwarf, debug_path     (LRU, evictable)
 *               │                             ├─ CFI functions: sym_symtab (LRU, evictable)
 *               │                             └─ sym_uw_table              (the unwinder's bound)
 *               ├─ kernel: sym_kallsyms
 *               ├─ vdso: a sym_file read from our own memory
 *               └─ debuginfod: sym_debuginfod (its own thread; requests by build-id)
 *
 * A sym_file is what per-file debug information hangs off: its DWARF (sym_dwarf: lines and
 * inline frames) is found on first use (debuginfo.c: the file itself, .gnu_debuglink, the
 * build-id folder, debuginfod), loaded in one read-parse-close step and evicted with the symbol
 * table; it is found again through the same reopen path (sym_proc__open_file) or the debug file
 * it came from, checked to be the same file.
 */
#ifndef PROFD_SYMBOLIZER_INTERNAL_H
#define PROFD_SYMBOLIZER_INTERNAL_H

#include <fcntl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "common/htab.h"
#include "common/strbuf.h"
#include "symbolizer/symbolizer.h"

/* Bounds on everything read from outside. */
#define SYM_NAME_MAX 16384	   /* longest symbol name kept; longer ones are truncated */
#define SYM_DEMANGLED_MAX 65536	   /* a longer demangling is dropped for the raw name */
#define SYM_MAPS_LINE_MAX 16640	   /* a path of PATH_MAX bytes, newlines escaped as \012 */
#define SYM_MAPS_MAX (1u << 18)	   /* mappings kept per process */
#define SYM_KALLSYMS_LINE_MAX 1024 /* KSYM_NAME_LEN is 512 */
#define SYM_PERFMAP_LINE_MAX 65536
#define SYM_PERFMAP_BYTES_MAX (64ull << 20) /* read at most this much of one perf map */
#define SYM_BUILD_ID_MAX 64		    /* bytes; longer notes are not build-ids we trust */
/*
 * The caches' bound: symbol tables, DWARF indexes and libdw's state, process snapshots (mapped
 * DWARF sections are not heap and not counted). What a busy machine's drains keep touching fits;
 * files seen once are evicted rather than kept for the agent's months.
 */
#define SYM_CACHE_BYTES_DEFAULT (12ul << 20)
/* The largest symbol table or DWARF one file may have: a guard against hostile sizes. */
#define SYM_FILE_BYTES_MAX (256ul << 20)
#define SYM_INLINE_MAX 64 /* frames for one address; deeper chains keep both ends */
#define SYM_DEBUG_DIRS_DEFAULT "/usr/lib/debug"
#define SYM_DEBUGINFOD_TIMEOUT_MS 30000

/* Retry and refresh periods (profd_coarse_ns() nanoseconds). */
#define SYM_RETRY_NS (5ull * 1000000000)	/* files that could not be opened */
#define SYM_RESCAN_NS (1ull * 1000000000)	/* re-read maps after an unmapped address */
#define SYM_PERFMAP_RECHECK_NS (200ull * 1000000) /* stat a perf map again after a miss */
#define SYM_KERNEL_RELOAD_NS (10ull * 1000000000) /* re-read kallsyms after a miss */
#define SYM_NAME_MEMO_BYTES (1u << 20) /* names kept across drains */
#define SYM_DEBUG_RETRY_NS (60ull * 1000000000)	/* look for missing debug info again */

/* --- fsopen.c: files other processes name --- */

#define SYM_FILE_FLAGS (O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY)

/*
 * Opens path below rootfd with every symlink and ".." kept inside it (openat2 RESOLVE_IN_ROOT);
 * rootfd < 0: path as it is, from our root. Returns an fd or -errno.
 */
int sym_open_beneath(int rootfd, const char *path, int flags);
/*
 * Opens a regular file for reading (below rootfd as sym_open_beneath() does) and fills *st.
 * Returns an fd, -EINVAL for anything but a regular file, or -errno.
 */
int sym_open_regular(int rootfd, const char *path, struct stat *st);

/* --- arena.c: strings that live as long as their owner, freed at once --- */

struct sym_arena_chunk;

struct sym_arena {
	struct sym_arena_chunk *head;
	size_t bytes; /* malloc'd, for cache accounting */
};

/* Returns a NUL-terminated copy of s[0..len) owned by the arena, or NULL. */
char *sym_arena__strndup(struct sym_arena *a, const char *s, size_t len);
void sym_arena__release(struct sym_arena *a);

/* --- linereader.c: bounded line reading from a file descriptor --- */

struct sym_linereader {
	int fd;
	char *buf;
	size_t cap;	   /* bytes in buf */
	size_t pos, len;   /* unread bytes are buf[pos..len) */
	size_t max_line;   /* longer lines are skipped and counted */
	uint64_t max_read; /* stop after reading this many bytes */
	uint64_t read;
	bool eof, skipping;
	size_t long_lines;
};

/* Reads lines of at most max_line bytes and at most max_read bytes in all. Returns 0 or -ENOMEM. */
int sym_linereader__init(struct sym_linereader *lr, int fd, size_t max_line, uint64_t max_read);
/*
 * Returns 1 with *line (NUL-terminated in place, newline removed; may hold NUL bytes, so use *len)
 * valid until the next call, 0 at the end, or -errno.
 */
int sym_linereader__next(struct sym_linereader *lr, char **line, size_t *len);
void sym_linereader__release(struct sym_linereader *lr);

/* --- demangle.c: memo of demangled names, so a hot frame is demangled once --- */

/* "_Z..." (C++) or "_R..." (Rust v0). */
bool sym_is_mangled(const char *name);

struct sym_dcache {
	struct profd_htab names; /* key -> demangled name in strings */
	struct sym_arena strings;
};

/*
 * Returns the demangled form of raw, the name with index key in its table. Returns raw itself if
 * raw is not mangled, or if memory is short (a mangled name is better than no frame).
 */
const char *sym_dcache__get(struct sym_dcache *c, uint32_t key, const char *raw);
/* Whether key has an entry; *name is it (NULL: remembered as "nothing better"). */
bool sym_dcache__find(const struct sym_dcache *c, uint32_t key, const char **name);
/* Remembers a copy of name (NULL: nothing better) for key and returns it; NULL when memory
 * is short. */
const char *sym_dcache__put(struct sym_dcache *c, uint32_t key, const char *name);
size_t sym_dcache__bytes(const struct sym_dcache *c);
void sym_dcache__release(struct sym_dcache *c);

/* --- symtab.c: the sorted symbol table of an ELF file, kallsyms or a perf map --- */

struct sym_symbol {
	uint64_t addr;
	uint32_t size; /* 0: a marker that ends the symbol before it, never found */
	uint32_t name; /* offset in sym_symtab.names */
};

struct sym_symtab {
	struct sym_symbol *syms; /* sorted by addr, one per address */
	size_t n;
	char *names;
	size_t names_len;
	struct sym_dcache demangled; /* keyed by index in syms */
};

/* One candidate symbol of a parser; aux is the parser's own (a section, a module). */
struct sym_symtab_cand {
	uint64_t addr;
	uint32_t size; /* clamped to UINT32_MAX, as the table's are */
	uint32_t name; /* offset in the builder's names */
	uint32_t rank; /* higher names the address better */
	uint32_t aux;
};

struct sym_symtab_builder {
	struct sym_symtab_cand *v;
	size_t n, cap;
	struct profd_strbuf names;
};

/* Adds a candidate; name[0..len) is copied (len at most SYM_NAME_MAX). Returns 0 or -ENOMEM. */
int sym_symtab_builder__add(struct sym_symtab_builder *b, uint64_t addr, uint64_t size,
			    const char *name, size_t len, uint32_t rank, uint32_t aux);
/*
 * Adds a candidate whose name is read later, by sym_symtab_builder__name(): ref is the caller's
 * key to it (an offset in a string table), rank has its low 8 bits clear. Returns 0 or -ENOMEM.
 */
int sym_symtab_builder__add_unnamed(struct sym_symtab_builder *b, uint64_t addr, uint64_t size,
				    uint32_t ref, uint32_t rank, uint32_t aux);
/* Returns the name of ref (*len bytes, at most SYM_NAME_MAX), NULL to drop the candidate. */
typedef const char *sym_name_reader(void *ctx, uint32_t ref, size_t *len, int *err);
/*
 * Names the candidates added unnamed, asking read() in increasing order of ref (so a string table
 * is read once, front to back), and adds the underscores' part of their rank. Candidates without
 * a name are dropped, and all of them if read() fails. Returns 0 or the first -errno read()
 * gave.
 */
int sym_symtab_builder__name(struct sym_symtab_builder *b, sym_name_reader *read, void *ctx);
/*
 * Sorts v by address and keeps the best candidate per address: the highest rank, then the name
 * first in byte order. The caller may then fix sizes or drop entries of v[0..n).
 */
void sym_symtab_builder__sort(struct sym_symtab_builder *b);
/* The low 8 bits of a rank: fewer leading underscores name an address better. */
uint32_t sym_symtab_rank_underscores(const char *name);
/*
 * Makes the table of v[0..n) as they stand (sorted), with only their names, from the builder's
 * own memory: b is used up (release it next). A table that would take more than max_bytes is
 * skipped (*out NULL, one line logged once). Returns 0 or -ENOMEM.
 */
int sym_symtab_builder__finish(struct sym_symtab_builder *b, size_t max_bytes,
			       struct sym_symtab **out);
void sym_symtab_builder__release(struct sym_symtab_builder *b);

/* Returns the symbol covering addr, or NULL. */
const struct sym_symbol *sym_symtab__find(const struct sym_symtab *t, uint64_t addr);
/* sym's name demangled (its raw name if not mangled); *grew: the bytes the memo grew by. */
const char *sym_symtab__name(struct sym_symtab *t, const struct sym_symbol *sym, size_t *grew);
size_t sym_symtab__bytes(const struct sym_symtab *t);
void sym_symtab__free(struct sym_symtab *t);

/* --- maps.c: /proc/PID/maps --- */

enum sym_map_kind {
	SYM_MAP_FILE,	  /* a file: opened through map_files, the process root or the path */
	SYM_MAP_MEMFD,	  /* "/memfd:NAME": reachable only through map_files */
	SYM_MAP_ANON,	  /* no file: JIT code, "[anon:NAME]", /dev/zero, SysV shared memory */
	SYM_MAP_HEAP,	  /* "[heap]" */
	SYM_MAP_STACK,	  /* "[stack]" */
	SYM_MAP_VDSO,	  /* "[vdso]" */
	SYM_MAP_VSYSCALL, /* "[vsyscall]" */
	SYM_MAP_OTHER,	  /* "[vvar]", "[uprobes]", device files: never opened */
};

#define SYM_PERM_READ 0x1
#define SYM_PERM_WRITE 0x2
#define SYM_PERM_EXEC 0x4
#define SYM_PERM_SHARED 0x8

struct sym_file;
struct sym_uw_table;

struct sym_map {
	uint64_t start, end, pgoff, inode;
	uint32_t dev_major, dev_minor;
	uint8_t perms;
	uint8_t kind; /* enum sym_map_kind */
	bool deleted; /* the path ended in " (deleted)", now stripped */
	const char *path; /* as shown, without " (deleted)"; "" for an unnamed anonymous mapping */
	struct sym_file *file; /* set by process.c; NULL if not opened */
	int open_err;	       /* why file is NULL: -errno, 0 if not tried */
};

struct sym_maps {
	struct sym_map *v; /* sorted by start, non-overlapping */
	size_t n, cap;
	struct sym_arena strings;
	size_t bad_lines; /* unparsable or too long, skipped */
	size_t dropped;	  /* mappings over SYM_MAPS_MAX */
};

/*
 * Parses one line of /proc/PID/maps (without its newline) into *m; *path and *path_len receive
 * the path field with " (deleted)" removed (m->path is not set). Returns 0 or -EINVAL.
 */
int sym_maps__parse_line(const char *line, size_t len, struct sym_map *m, const char **path,
			 size_t *path_len);
/*
 * Reads a maps file and keeps executable mappings and the other mappings of their files.
 * Returns 0 or -errno; on error *maps is empty. Release with sym_maps__release().
 */
int sym_maps__read(int fd, struct sym_maps *maps);
void sym_maps__release(struct sym_maps *maps);
/* Returns the mapping holding addr, or NULL. */
struct sym_map *sym_maps__find(const struct sym_maps *maps, uint64_t addr);
/* Adds the mappings of v[0..n) that overlap none of maps (paths copied), and sorts. Returns 0 or
 * -ENOMEM. */
int sym_maps__merge(struct sym_maps *maps, const struct sym_map *v, size_t n);
/* What a frame in an anonymous or special mapping is called: "[anon]", "[heap]", "[vdso]". */
const char *sym_map__label(const struct sym_map *m);

/* --- elf.c: segments, build-id and symbol table of one ELF file --- */

struct Elf; /* libelf's */

struct sym_segment {
	uint64_t vaddr, memsz, offset, filesz;
	uint32_t flags; /* PF_X, PF_W, PF_R */
};

struct sym_elf {
	struct sym_segment *segs; /* PT_LOAD in file order */
	size_t nsegs;
	char build_id[2 * SYM_BUILD_ID_MAX + 1]; /* lowercase hex, "" if none */
	struct sym_symtab *symtab; /* NULL: no usable symbols */
	bool has_debug_info;	   /* a .debug_info or .zdebug_info section with contents */
	char *debuglink;	   /* .gnu_debuglink file name (no '/'), or NULL */
	uint32_t debuglink_crc;
};

/*
 * Reads the ELF file open at fd (or the image in memory). Anything that is not a well-formed ELF
 * file yields an empty result and 0: that is a fact about the file, worth caching. Symbol tables
 * that would need more than max_bytes are skipped; max_bytes 0 reads no symbol table at all (the
 * rest only). Returns 0, -ENOMEM or -EIO; release with
 * sym_elf__release().
 */
int sym_elf__read_fd(int fd, size_t max_bytes, struct sym_elf *out);
int sym_elf__read_mem(const void *image, size_t size, size_t max_bytes, struct sym_elf *out);
void sym_elf__release(struct sym_elf *e);
/*
 * Opens the ELF file at fd with libelf in read mode (pread on demand), after checking its header
 * tables against the file size; the caller keeps fd and ends *out with elf_end(). Returns 1 with
 * *out and *size, 0 if it is not a usable ELF file with section headers, or -errno.
 */
int sym_elf__begin(int fd, struct Elf **out, uint64_t *size);
/*
 * The executable PT_LOAD segments of e, in file order, into *out (malloc'ed, the caller frees it
 * even when *n is 0). Returns 0 (no program headers: none) or -ENOMEM.
 */
int sym_elf_exec_segments(struct Elf *e, struct sym_segment **out, size_t *n);

/* Finds the GNU build-id in a buffer of ELF notes. Returns 0 with hex filled, or -ENOENT. */
int sym_build_id_from_notes(const void *notes, size_t len, size_t align, char *hex, size_t hexlen);

/* --- dwarf.c: source lines and inline frames from one file's DWARF (libdw) --- */

struct sym_dwarf;

struct sym_dwarf_opts {
	size_t max_bytes;     /* debug info needing more memory is refused */
	const char *build_id; /* lowercase hex the file must carry, or NULL: not checked */
	size_t libdw_bytes_max; /* libdw's state kept before it is begun again; 0: a default */
};

/*
 * Reads the DWARF of the ELF file open at fd: the binary itself or its separate debug file.
 * Every debug section is read into memory (zlib-compressed ones inflated) and the file is not
 * read again, so the caller may close fd at once. Returns 0 with *out (free with
 * sym_dwarf__free()), or
 *   -ENODATA     no DWARF here (no debug sections, or not an ELF file)
 *   -EBADMSG     damaged: sections past the end of the file, or DWARF libdw cannot read
 *   -ESTALE      the file's build-id is not opts->build_id (or it has none)
 *   -EOPNOTSUPP  debug sections compressed with something but zlib (zstd: libdw 0.188 cannot)
 *   -EFBIG       it would need more than opts->max_bytes
 *   -ENOMEM, -EIO
 */
int sym_dwarf__open(int fd, const struct sym_dwarf_opts *opts, struct sym_dwarf **out);
/*
 * Describes link-time address addr in frames[0..n), innermost first, and returns n (at most
 * max), or 0 if no compilation unit covers addr. Names are demangled; frames[0] has the file and
 * line of addr from the line table, every other frame the call site of the frame before it. All
 * but the last are inlined. The last frame's name is NULL if no function covers addr (assembly):
 * the caller names it from the symbol table. Strings live as long as d. A compilation unit is
 * indexed on first use: *grew receives the bytes d grew by.
 */
size_t sym_dwarf__lookup(struct sym_dwarf *d, uint64_t addr, struct sym_frame *frames, size_t max,
			 size_t *grew);
size_t sym_dwarf__bytes(const struct sym_dwarf *d);
/*
 * Between drains: ends what libdw holds for d (begun again when next needed), forgets the index
 * of every unit no lookup used in the minute before now_ns (profd_coarse_ns(); indexed again
 * when next needed) and lets the kernel take back the pages of d's mapped sections (see
 * dwarf_image.c), if mapped.
 */
void sym_dwarf__drop_pages(struct sym_dwarf *d, uint64_t now_ns);
void sym_dwarf__free(struct sym_dwarf *d);

/* --- dwarf_image.c: debug sections inflated into a private file and mapped --- */

/* Debug sections libdw would read that profd never uses (".debug_" + suffix): not read at all. */
bool sym_dwarf_section_unused(const char *suffix);
/*
 * Copies the used debug sections of the ELF file open at fd (src, read through libelf), inflated,
 * into an unlinked file in $TMPDIR, /var/tmp or /tmp, and returns an Elf reading that file
 * through a mapping (free with elf_end()); the caller keeps fd. Returns 0, -ENODATA (no debug
 * sections), -EOPNOTSUPP (not a 64-bit executable or shared object), -EBADMSG (damaged), or the
 * -errno of the scratch file; the caller then reads the sections into memory instead.
 */
int sym_dwarf_image__open(int fd, struct Elf *src, struct Elf **out);
/* Lets the kernel take back the mapped pages read so far; they are read again on use. */
void sym_dwarf_image__drop_pages(struct Elf *elf);

/* --- cfi_funcs.c: function starts from the unwind info, for code without symbols --- */

/*
 * The functions of an ELF file by its FDEs (.eh_frame, else .debug_frame), from its unwind
 * tables t or from the file open at fd: a symbol table of nameless symbols, one per FDE. *out is
 * NULL for a file without CFI or a table over max_bytes. Returns 0, -ENOMEM or -EIO.
 */
int sym_cfi_funcs__from_table(const struct sym_uw_table *t, size_t max_bytes,
			      struct sym_symtab **out);
int sym_cfi_funcs__read_fd(int fd, size_t max_bytes, struct sym_symtab **out);

/* --- debuginfod.c: debug files fetched in a background thread with libdebuginfod --- */

struct sym_debuginfod;

/*
 * Returns a fetcher for the servers in $DEBUGINFOD_URLS, or NULL (errno ENOENT) if it is unset
 * or empty. Its thread starts with the first request. A fetch that takes longer than
 * timeout_ms is abandoned.
 */
struct sym_debuginfod *sym_debuginfod__new(unsigned int timeout_ms);
/* Stops the thread (an ongoing fetch is cancelled within about a second) and frees d. */
void sym_debuginfod__free(struct sym_debuginfod *d);
/*
 * Never blocks on the network. Returns 1 with *path (malloc'd, the caller frees it) when the
 * debug file of build_id (lowercase hex) is on disk; 0 while it is being fetched (a request is
 * queued the first time); or the -errno of a failed fetch, which is retried on a call after
 * SYM_DEBUG_RETRY_NS.
 */
int sym_debuginfod__get(struct sym_debuginfod *d, const char *build_id, char **path);
/* A number that changes whenever a fetch ends: nothing new to ask for while it stays the same. */
unsigned int sym_debuginfod__generation(const struct sym_debuginfod *d);
/*
 * Blocks until a fetch ends after generation gen was read, for at most the fetch timeout and a
 * second, or until stops (if not NULL) no longer returns stops_before. For a caller that has
 * nothing else to do (naming at the end of a run). Returns whether one ended.
 */
bool sym_debuginfod__wait(const struct sym_debuginfod *d, unsigned int gen,
			  unsigned int (*stops)(void), unsigned int stops_before);
/* Files fetched so far. */
uint64_t sym_debuginfod__fetched(const struct sym_debuginfod *d);

/* --- name_memo.c: names of file addresses kept across drains, bounded in bytes --- */

/* How an address was named: what sym_location takes from its file beyond the mapping. */
struct sym_memo_names {
	const struct sym_frame *frames;
	size_t nframes;
	enum sym_reason reason;
	bool has_functions, has_filenames, has_line_numbers, has_inline_frames;
};

struct sym_name_memo {
	struct profd_htab index; /* hash of (serial, address) -> struct sym_memo_entry * */
	size_t bytes, max_bytes; /* max_bytes 0: nothing is kept */
	uint64_t restarts;	 /* times it was full and began again empty */
};

void sym_name_memo__init(struct sym_name_memo *m, size_t max_bytes);
void sym_name_memo__clear(struct sym_name_memo *m);
void sym_name_memo__release(struct sym_name_memo *m);
/* The names kept for this address of the file with this serial, or NULL (none, or too old). */
const struct sym_memo_names *sym_name_memo__find(const struct sym_name_memo *m, uint64_t serial,
						  uint64_t address, uint64_t now_ns);
/* Keeps a copy of names until valid_until_ns (0: as long as the file lives). */
void sym_name_memo__keep(struct sym_name_memo *m, uint64_t serial, uint64_t address,
			 uint64_t valid_until_ns, const struct sym_memo_names *names);

/* --- filecache.c: files cached by identity, symbol tables evicted LRU by bytes --- */

struct sym_file_id {
	uint64_t dev, ino, size;
	int64_t mtime_sec, mtime_nsec;
};

enum sym_dwarf_state {
	SYM_DW_UNKNOWN, /* not looked for yet, or evicted (debug_path says where it was) */
	SYM_DW_LOADED,	/* dwarf is set */
	SYM_DW_PENDING, /* debuginfod is fetching it */
	SYM_DW_NONE,	/* none found or usable: looked for again after SYM_DEBUG_RETRY_NS */
	SYM_DW_NEVER,	/* no debug sections, debuglink or build-id: nothing to look for */
};

struct sym_file {
	struct sym_file_id id;
	uint64_t serial; /* never reused: keys the name memo */
	struct sym_file *lru_prev, *lru_next;
	unsigned int refs; /* mappings that point here */
	char *path;	   /* where it was first seen, for messages */
	char build_id[2 * SYM_BUILD_ID_MAX + 1];
	struct sym_segment *segs;
	size_t nsegs;
	struct sym_symtab *symtab; /* NULL if the file has none, it was evicted or not read yet */
	bool evicted;		   /* symtab is read (again) from the file when first needed */
	uint64_t reload_failed_ns;
	size_t bytes; /* counted in the cache, symtab and dwarf included */
	bool cached;  /* in the identity table (the vdso is not) */
	/* Debug information: see debuginfo.c. */
	bool has_debug_info; /* DWARF sections in the file itself */
	char *debuglink;     /* .gnu_debuglink name, or NULL */
	uint32_t debuglink_crc;
	struct sym_dwarf *dwarf; /* NULL unless dwarf_state is SYM_DW_LOADED */
	uint8_t dwarf_state;	 /* enum sym_dwarf_state */
	bool dwarf_warned;	 /* said once why this file has no lines */
	uint64_t dwarf_tried_ns;
	unsigned int dwarf_gen; /* debuginfod generation when last asked */
	char *debug_path;	/* where the DWARF was loaded from; "" for the file itself */
	struct sym_file_id debug_id;
	/* Unwind tables: see unwind.c. Bounded on their own, evicted between unwinds. */
	struct sym_uw_table *unwind; /* NULL: not read yet, evicted, or reading failed */
	int unwind_err;		     /* reading failed: -errno, tried again after SYM_RETRY_NS */
	uint64_t unwind_tried_ns;
	uint64_t unwind_used; /* the unwinder's clock at the last use */
	uint64_t used_batch;  /* sym_filecache.batch when it was last used */
	uint32_t slot;	      /* names the file in the unwinder's made-up addresses; 0: none */
	/* Function starts from CFI, for addresses no symbol covers (see cfi_funcs.c). */
	struct sym_symtab *cfi_funcs; /* nameless symbols; NULL: none, or not read (cfi_read) */
	bool cfi_read;		      /* cfi_funcs is what the file has */
	uint64_t cfi_failed_ns;
};

struct sym_filecache {
	struct profd_htab by_id; /* hash of the identity -> struct sym_file * */
	size_t n;
	struct sym_file lru; /* sentinel: lru.lru_next is the most recently used */
	size_t bytes, max_bytes;
	size_t with_symbols;
	size_t with_dwarf;
	uint64_t loads, evictions, dwarf_loads;
	uint64_t batch; /* batches of lookups ended (sym_filecache__forget_idle()) */
	/* Unwind tables, apart from bytes: the unwinder bounds them. */
	size_t unwind_bytes, with_unwind;
	struct sym_file **slots; /* slots[i]: the file with slot i (0 unused) */
	uint32_t nslots;
	size_t cap_slots;
	uint32_t *free_slots; /* slots of files freed since, to hand out again */
	uint32_t nfree_slots;
	size_t cap_free_slots;
};

void sym_file_id__from_stat(struct sym_file_id *id, const struct stat *st);
bool sym_file_id__equal(const struct sym_file_id *a, const struct sym_file_id *b);

int sym_filecache__init(struct sym_filecache *fc, size_t max_bytes);
void sym_filecache__release(struct sym_filecache *fc);
/* Returns the cached file with this identity, taking a reference, or NULL. */
struct sym_file *sym_filecache__get(struct sym_filecache *fc, const struct sym_file_id *id);
/*
 * Parses the file open at fd (whose identity is id), caches it and returns it with a reference
 * in *out. Its symbol table is read when first needed (sym_filecache__reload), unless the file is
 * deleted and so could not be opened again. The caller keeps fd. Returns 0, -ENOMEM or -EIO.
 */
int sym_filecache__load(struct sym_filecache *fc, int fd, const struct sym_file_id *id,
			const char *path, struct sym_file **out);
/*
 * Reads the symbol table of f, not read yet or evicted, from fd (the same file); a file without
 * one stays without. Returns 0 or -errno.
 */
int sym_filecache__reload(struct sym_filecache *fc, struct sym_file *f, int fd);
/* Gives d to f (which must have none), accounts its bytes and evicts others to stay in bounds. */
void sym_filecache__set_dwarf(struct sym_filecache *fc, struct sym_file *f, struct sym_dwarf *d);
/* Gives t (NULL: the file has no CFI) to f as its CFI functions, accounts and evicts others. */
void sym_filecache__set_cfi_funcs(struct sym_filecache *fc, struct sym_file *f,
				  struct sym_symtab *t);
/* The largest symbol table or DWARF one file may have. */
size_t sym_filecache__file_limit(const struct sym_filecache *fc);
/* Drops a reference; a file nobody maps stays cached until evicted, if it has symbols. */
void sym_filecache__put(struct sym_filecache *fc, struct sym_file *f);
/* Marks f most recently used. */
void sym_filecache__touch(struct sym_filecache *fc, struct sym_file *f);
/* Notes that a lookup used f in this batch (without reordering the LRU list). */
static inline void sym_filecache__used(struct sym_filecache *fc, struct sym_file *f)
{
	f->used_batch = fc->batch;
}
/* Ends a batch of lookups: forgets the files nobody maps, unused for SYM_IDLE_BATCHES batches. */
void sym_filecache__forget_idle(struct sym_filecache *fc);
/* Accounts bytes that f grew by (demangled names) and evicts down to the bound, sparing keep. */
void sym_filecache__grew(struct sym_filecache *fc, struct sym_file *f, size_t bytes);
/* Accounts bytes that f gave back (its DWARF's libdw state ended between drains). */
void sym_filecache__shrank(struct sym_filecache *fc, struct sym_file *f, size_t bytes);
void sym_filecache__trim(struct sym_filecache *fc, const struct sym_file *keep);
/*
 * Drops f's tables (a file nothing references goes altogether); a file in use reads them again
 * on its next lookup. Returns whether a file in use lost tables (an eviction, in the stats).
 */
bool sym_filecache__evict(struct sym_filecache *fc, struct sym_file *f);
/*
 * Gives f a slot (see sym_file.slot) if it has none. Returns it, or 0 when every one of max is
 * taken or memory is short.
 */
uint32_t sym_filecache__slot(struct sym_filecache *fc, struct sym_file *f, uint32_t max);
/* The file with this slot, or NULL. */
struct sym_file *sym_filecache__by_slot(const struct sym_filecache *fc, uint32_t slot);
/* Gives t (NULL: reading failed with err) to f as its unwind tables, replacing any it had. */
void sym_filecache__set_unwind(struct sym_filecache *fc, struct sym_file *f,
			       struct sym_uw_table *t, int err);
/* Drops f's unwind tables (they are read again on use); a file nothing else keeps goes too. */
void sym_filecache__evict_unwind(struct sym_filecache *fc, struct sym_file *f);
/* A file read from memory, outside the cache (the vdso). Returns NULL with errno set. */
struct sym_file *sym_file__new_mem(const void *image, size_t size, const char *path);
void sym_file__free(struct sym_file *f);

/* --- kallsyms.c --- */

struct sym_kmod {
	char *path; /* "[kernel.kallsyms]" or "[modname]" */
	uint64_t start, limit;
};

struct sym_kallsyms {
	struct sym_symtab *syms; /* text symbols; end markers such as _etext have size 0 */
	uint32_t *sym_mods;	 /* the module of each symbol: an index in mods */
	struct sym_kmod *mods;	 /* mods[0] is the kernel image */
	size_t nmods;
	bool hidden; /* every address read as zero (kptr_restrict) */
	char build_id[2 * SYM_BUILD_ID_MAX + 1];
	size_t bytes;
	size_t bad_lines;
};

/*
 * Reads kallsyms from path; notes_path (or NULL) is /sys/kernel/notes for the build-id.
 * Returns 0 with *out or -errno.
 */
int sym_kallsyms__load(const char *path, const char *notes_path, struct sym_kallsyms **out);
void sym_kallsyms__free(struct sym_kallsyms *k);

/* --- perfmap.c: /tmp/perf-PID.map written by JIT compilers --- */

struct sym_perfmap {
	struct sym_symtab *syms; /* for one start, the last line wins */
	struct sym_file_id id;	 /* re-read when it changes */
	size_t bad_lines;
};

/*
 * Opens a perf map the way perf trusts it: no symlink, a regular file, owned by root or by uid.
 * With rootfd >= 0, path is resolved inside that root (a container's /tmp), see
 * sym_open_beneath(). Returns an fd with *st filled, or -errno.
 */
int sym_perfmap__open(int rootfd, const char *path, uid_t uid, struct stat *st);
/* Reads the perf map open at fd. Returns 0 with *out or -errno. */
int sym_perfmap__read(int fd, const struct stat *st, struct sym_perfmap **out);
size_t sym_perfmap__bytes(const struct sym_perfmap *pm);
void sym_perfmap__free(struct sym_perfmap *pm);

/* --- process.c: one snapshot per (pid, start time) --- */

enum sym_root {
	SYM_ROOT_UNKNOWN, /* /proc/PID/root or ns/mnt unreadable (also fixture trees) */
	SYM_ROOT_SAME,	  /* same mount namespace and root directory as us: paths are ours */
	SYM_ROOT_OTHER,	  /* a container: paths resolve only under /proc/PID/root */
};

struct sym_proc {
	pid_t pid;
	uint64_t start_time; /* /proc/PID/stat field 22 */
	struct sym_maps maps;
	pid_t nspid; /* pid in its own namespace: names its perf map */
	uid_t uid;   /* effective uid: may own its perf map */
	uint8_t root; /* enum sym_root */
	bool gone;    /* /proc/PID vanished or was reused: no more rescans */
	bool exited;  /* said to have exited (sym_resolver__add_history): never read again */
	bool missed;  /* an unknown address rescanned since the snapshot: now once a second */
	size_t nfailed;
	uint64_t opened_ns, scanned_ns;
	struct sym_perfmap *perfmap;
	uint64_t perfmap_checked_ns;
	size_t bytes; /* snapshot memory, counted in cache_bytes */
	struct sym_uw_space *unwind; /* libunwind's state for it, made on its first unwind */
};

struct sym_procs {
	struct profd_htab by_pid; /* pid -> struct sym_proc * */
};

int sym_procs__add(struct sym_resolver *r, pid_t pid, bool force);
/* See sym_resolver__add_history() (exited) and sym_resolver__update_maps(). */
int sym_procs__add_history(struct sym_resolver *r, pid_t pid, const struct sym_kernel_map *v,
			   size_t n, bool exited);
void sym_procs__drop(struct sym_resolver *r, pid_t pid);
struct sym_proc *sym_procs__find(const struct sym_procs *procs, pid_t pid);
void sym_procs__release(struct sym_resolver *r);
/* Re-reads the maps of a live process after a miss (dlopen, new JIT region). Returns 0 or -errno. */
int sym_proc__rescan(struct sym_resolver *r, struct sym_proc *p);
/* Opens the file mapped by m again and checks it is still f. Returns an fd or -errno. */
int sym_proc__open_file(struct sym_resolver *r, const struct sym_proc *p, const struct sym_map *m,
			const struct sym_file *f);
/*
 * Opens a regular file by a path of p's file system: inside its root for a container, ours
 * otherwise. Returns an fd or -errno.
 */
int sym_proc__open_path(struct sym_resolver *r, const struct sym_proc *p, const char *path);
/* Loads or refreshes p's perf map if due. Returns true if it read anything. */
bool sym_proc__update_perfmap(struct sym_resolver *r, struct sym_proc *p);

/* --- deferred.c: files whose addresses are named when the run ends (defer_names) --- */

/*
 * What naming an address of a file needs after its process exited or exec'd: the mapping as it
 * was (path, inode, kind) and the process's identity, copied, with a reference on the file so
 * forget_idle() keeps it. Its process copy is gone: the file is opened again by path, in our
 * root, and must still be the same file.
 */
struct sym_held {
	struct sym_proc proc; /* no maps, no perf map, no unwinding state */
	struct sym_map map;   /* path owned here; file referenced */
};

struct sym_held_files {
	struct sym_held *v;
	size_t n, cap;
	struct profd_htab by_serial; /* file serial -> index + 1 */
};

/*
 * Holds m's file (once per file) for sym_resolver__name_deferred(). Returns its id (> 0), or 0
 * if out of memory: the caller names the address now instead.
 */
uint32_t sym_held__hold(struct sym_resolver *r, const struct sym_proc *p, const struct sym_map *m);
/* The held file with this id, or NULL. */
struct sym_held *sym_held__get(struct sym_resolver *r, uint32_t id);
/* Lets go of every held file. */
void sym_held__release(struct sym_resolver *r);

/* --- unwind_space.c: a process's libunwind address space --- */

struct unw_addr_space; /* libunwind's */

/*
 * libunwind caches register rules by IP, and the same IP is other code in another process: each
 * process gets an address space of its own, its cache flushed when its snapshot changes.
 */
struct sym_uw_space {
	struct unw_addr_space *as;
	uint64_t scanned_ns;   /* of the snapshot its cache was filled from */
	uint64_t used;	       /* the unwinder's clock at the last use */
	uint64_t refreshed_ns; /* last new snapshot taken for unknown code */
};

/* Frees s (NULL is a no-op) and counts it out of r->unwind_spaces. */
void sym_uw_space__free(struct sym_resolver *r, struct sym_uw_space *s);

/* --- debuginfo.c: where a file's DWARF is --- */

/*
 * The DWARF of f (mapped by m in p), looked for and loaded on first use: in f itself, through
 * .gnu_debuglink (next to f, in .debug/ beside it, under each debug folder + f's folder; its CRC
 * checked), in each debug folder's .build-id/xx/rest.debug, then from debuginfod in the
 * background. A separate file with another build-id is refused. Returns NULL while there is none
 * (yet); why is said once per file.
 */
struct sym_dwarf *sym_debuginfo__get(struct sym_resolver *r, const struct sym_proc *p,
				     const struct sym_map *m, struct sym_file *f);
/* The CRC-32 of .gnu_debuglink (zlib's) over the whole file at fd. Returns 0 or -errno. */
int sym_debuglink_crc(int fd, uint32_t *crc);

/* --- vdso.c --- */

/* The size of our own [vdso] mapping at base (AT_SYSINFO_EHDR), or 0. */
uint64_t sym_vdso__own_size(uint64_t base);
/* Loads our own vdso image once; returns it or NULL. */
struct sym_file *sym_vdso__get(struct sym_resolver *r);
/* Reads the unwind tables of our own vdso image (after sym_vdso__get()). Returns 0 or -errno. */
int sym_vdso__unwind_tables(struct sym_resolver *r, struct sym_uw_table *t);

/* --- resolver.c --- */

struct sym_resolver {
	char *proc_root;
	char *kallsyms_path;
	char *perf_map_dir;
	bool lines;
	char **debug_dirs; /* NULL-terminated */
	struct sym_debuginfod *debuginfod; /* NULL: not configured */
	bool debuginfod_warned, zstd_warned;
	uint64_t page_size;
	struct sym_filecache files;
	struct sym_procs procs;
	struct sym_kallsyms *kernel;
	uint64_t kernel_loaded_ns;
	bool kernel_tried;
	bool kernel_notes; /* the real kallsyms: its build-id is in /sys/kernel/notes */
	struct sym_file *vdso;
	uint64_t vdso_size; /* of our own [vdso] mapping: another size is another image */
	bool vdso_tried;
	struct stat self_root, self_mntns;
	bool self_root_ok, self_mntns_ok;
	size_t procs_bytes;
	size_t unwind_spaces; /* of every process: see unwind_space.c */
	bool did_io; /* the current resolve read a file or /proc */
	struct sym_name_memo names;
	bool defer_names;	     /* see sym_resolver_opts */
	unsigned int (*stops)(void); /* likewise */
	unsigned int stops_base;     /* stops() when naming at the end began */
	struct sym_held_files held; /* files with addresses still to name */
	uint64_t hits, misses, unnamed;
	struct sym_frame frames[SYM_INLINE_MAX];
	char name[512]; /* fallback names: "libfoo.so+0x1a2b" */
};

#endif
