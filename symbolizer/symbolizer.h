/* SPDX-License-Identifier: MIT */
/*
 * symbolizer/: addresses -> functions, files and lines. The only public header of this folder.
 * It knows nothing of BPF or HTTP; it reads /proc, ELF and DWARF files and perf maps.
 *
 * A user address is resolved through the /proc/PID/maps snapshot taken when the process was
 * added, normalized through the PT_LOAD segment that holds it, and looked up in the DWARF of that
 * file where there is some (function, file, line and the chain of inlined calls), else in its
 * symbol tables. Files are cached by identity (device, inode, size, mtime), never by pid.
 * A frame that cannot be named is data, not an error: it is named "module+0xOFFSET" and carries
 * a reason; only an address outside every mapping is "[unknown]", and a process whose maps were
 * never read (it exited first, or they are not readable) gives "[process unknown]".
 */
#ifndef PROFD_SYMBOLIZER_H
#define PROFD_SYMBOLIZER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

enum sym_reason {
	SYM_OK,		  /* named from DWARF, a symbol table, kallsyms or a perf map */
	SYM_UNMAPPED,	  /* no mapping holds the address: "[unknown]" */
	SYM_NO_SYMBOLS,	  /* the file has no symbol covering the address: module+0xOFF */
	SYM_NO_FILE,	  /* the mapped file could not be opened or parsed: module+0xOFF */
	SYM_PROCESS_GONE, /* no snapshot of the process: "[process unknown]" */
};

/* One function at one address. An address inside inlined code gives several, innermost first. */
struct sym_frame {
	const char *name;	 /* demangled, never NULL */
	const char *system_name; /* as in the symbol table (mangled), never NULL */
	const char *file;	 /* source file, or NULL */
	int line;		 /* 0 if unknown */
	int start_line;		 /* line of the function's declaration, 0 if unknown */
	bool inlined;		 /* inlined into the next frame */
};

/*
 * Where an address lives, in link-time terms that are stable across runs (ASLR removed).
 * For a file with program headers this is the PT_LOAD segment holding the address, widened down
 * to a page boundary like the loader's mapping: start = p_vaddr - p_offset % page, offset =
 * p_offset - p_offset % page, limit = p_vaddr + p_memsz; so address - start + offset is the file
 * offset, as pprof expects of a Mapping. A file without usable segments gives the mapping in file
 * offsets (start = offset = page offset of the mapping, address = file offset); anonymous and
 * JIT code gives the runtime mapping (offset 0, address = runtime address); kernel frames give
 * the span of their module's symbols, or [0, UINT64_MAX) when the address is unknown.
 */
struct sym_module {
	const char *path;     /* file as mapped ("[kernel.kallsyms]", "[vdso]", "[anon]" ...) */
	const char *build_id; /* lowercase hex, or NULL */
	uint64_t start;	      /* link-time start of the PT_LOAD segment (or mapping) */
	uint64_t limit;	      /* one past its end */
	uint64_t offset;      /* file offset of start */
	bool kernel;
	bool deleted; /* the file was unlinked: path is its old name, " (deleted)" stripped */
	bool has_functions, has_filenames, has_line_numbers, has_inline_frames;
};

struct sym_location {
	struct sym_module module;
	uint64_t address;     /* normalized (link-time) address; the kernel address for kernel frames */
	uint64_t file_offset; /* offset of the address in module.path (the OFF in module+0xOFF) */
	enum sym_reason reason;
	const struct sym_frame *frames; /* nframes >= 1, innermost first */
	size_t nframes;
	/*
	 * With defer_names, non-zero for an address whose names are left for
	 * sym_resolver__name_deferred(): frames hold a stand-in ("module+0xOFF"), the module and
	 * address are final.
	 */
	uint32_t deferred;
};

struct sym_resolver_opts {
	const char *proc_root;	  /* NULL: "/proc" (tests point this at a fixture tree) */
	const char *kallsyms;	  /* NULL: "/proc/kallsyms" */
	const char *perf_map_dir; /* NULL: "/tmp" */
	/*
	 * Callers that print file:line say so; DWARF is read either way, since inline frames are
	 * frames and file/line cost nothing more once the DWARF is read.
	 */
	bool lines;
	size_t cache_bytes;	  /* bound on cached symbol tables and DWARF; 0: a built-in default */
	/*
	 * Roots of separate debug files, colon-separated: ROOT/.build-id/xx/rest.debug and
	 * ROOT/<folder of the binary>/<debuglink>. NULL: "/usr/lib/debug".
	 */
	const char *debug_dirs;
	/*
	 * Debug files missing on disk are fetched from the servers in $DEBUGINFOD_URLS (read when
	 * the resolver is made) by a background thread: frames get lines once the file arrives,
	 * lookups never wait for it. A fetch is abandoned after this long; 0: 30000.
	 */
	unsigned int debuginfod_timeout_ms;
	/*
	 * For a caller that reads names only when it is done (a run that writes its profile at
	 * the end): an address of a file whose names are not in memory yet is not named now (see
	 * sym_location.deferred), so no symbol table or DWARF is read while the profiled job runs.
	 */
	bool defer_names;
	/*
	 * How many stop signals the caller has taken so far, or NULL. Naming at the end waits for a
	 * debug file still being fetched; a stop signal taken during that wait ends it.
	 */
	unsigned int (*stops)(void);
};

struct sym_resolver;

/* Returns a resolver or NULL with errno set. Free with sym_resolver__free(). */
struct sym_resolver *sym_resolver__new(const struct sym_resolver_opts *opts);
void sym_resolver__free(struct sym_resolver *r);

/*
 * Snapshots /proc/PID/maps and opens the mapped files now, so the process can be symbolized after
 * it exits. A process is (pid, start time from /proc/PID/stat): a known one costs one read of
 * its stat file and nothing else (an exited one keeps its snapshot); a pid now used by a newer
 * process gets a new snapshot. Returns 0, -ESRCH if the process is gone (and unknown), or -errno.
 */
int sym_resolver__add_process(struct sym_resolver *r, pid_t pid);
/* Takes a new snapshot (after exec). Returns as sym_resolver__add_process(). */
int sym_resolver__refresh_process(struct sym_resolver *r, pid_t pid);
/* Whether pid has a snapshot (or a history). */
bool sym_resolver__knows(const struct sym_resolver *r, pid_t pid);
/*
 * Lookups that read a file or /proc first, so far: one that did may answer differently from
 * then on (a process's maps read again, say). A caller that remembers answers watches it.
 */
uint64_t sym_resolver__misses(const struct sym_resolver *r);
/* Counts a lookup the caller answered from an answer it remembered, as a hit. */
void sym_resolver__count_hit(struct sym_resolver *r);
/* Forgets pid's snapshot and its unwinding state: its samples are symbolized and it exited. */
void sym_resolver__drop_process(struct sym_resolver *r, pid_t pid);

/* A code mapping of a process as the kernel reported it while the process lived. */
struct sym_kernel_map {
	uint64_t start, end;
	uint64_t offset;  /* file offset of start, in bytes */
	uint64_t dev;	  /* the kernel's encoding: major << 20 | minor */
	uint64_t ino;	  /* the file is opened by path only if it still has this inode */
	const char *path; /* absolute, in our root; NULL: the vdso */
};

/*
 * Gives pid, which exited (or is exiting), the code mappings the kernel reported for it: its
 * samples are named from them when /proc/PID/maps could not be read in time, or was read
 * before all its code was mapped (or before its exec). Where its snapshot disagrees, the
 * kernel's mappings win; the snapshot's other mappings (JIT code) stay. pid is not read from
 * /proc again until sym_resolver__drop_process(). Returns 0 or -ENOMEM.
 */
int sym_resolver__add_history(struct sym_resolver *r, pid_t pid, const struct sym_kernel_map *v,
			      size_t n);
/*
 * The same for a live process that has a snapshot, when the kernel reports new code mappings
 * (a library loaded): its next samples are named without reading /proc again, which happens at
 * most once a second. Returns 0, -ESRCH (no snapshot) or -ENOMEM.
 */
int sym_resolver__update_maps(struct sym_resolver *r, pid_t pid, const struct sym_kernel_map *v,
			      size_t n);

/*
 * Resolves one address of process pid (pid 0: a kernel address). A return address (every frame
 * but the leaf) is looked up at addr - 1 so the call, not the next instruction, is named, and
 * out->address is then the normalized addr - 1: a byte of the call instruction, so two call
 * sites in one function stay two locations (what pprof expects of Location addresses).
 * Addresses in mappings the snapshot does not know (dlopen, new JIT code) make a live process's
 * maps be read again, at most once a second.
 * Fills *out; its pointers stay valid until the next call on r or sym_resolver__free().
 * A resolver is not thread-safe: lookups update its caches. Returns 0 (also for unnamed frames,
 * see out->reason) or -ENOMEM.
 */
int sym_resolver__resolve(struct sym_resolver *r, pid_t pid, uint64_t addr, bool is_return,
			  struct sym_location *out);

/*
 * The caller is about to name what was deferred: from now on a stop signal (opts.stops) ends
 * any wait for a debug file from debuginfod, and the rest is named without waiting.
 */
void sym_resolver__begin_naming_late(struct sym_resolver *r);
/*
 * Names addr in module, a normalized address and its module as a resolve returned them with
 * out->deferred = deferred, from its file as sym_resolver__resolve() would have. Naming one
 * file's addresses one after the other reads its tables once. Fills *out as a resolve does.
 * Returns 0, or -ENOENT for an unknown deferred (or one forgotten since).
 */
int sym_resolver__name_deferred(struct sym_resolver *r, uint32_t deferred,
				const struct sym_module *module, uint64_t addr,
				struct sym_location *out);
/*
 * Says every address of this deferred file is named: its tables are let go now, so that naming
 * at the end holds one file's tables at a time, not every file's. A later lookup reads them again.
 */
void sym_resolver__named_deferred(struct sym_resolver *r, uint32_t deferred);
/* Lets go of the files kept for sym_resolver__name_deferred(): their addresses are named. */
void sym_resolver__forget_deferred(struct sym_resolver *r);
/* Lets go of the kernel's symbols (kallsyms); the next kernel address reads them again. */
void sym_resolver__drop_kernel(struct sym_resolver *r);

struct sym_stats {
	size_t files;	    /* files with a cached symbol table */
	size_t cache_bytes; /* memory held by the caches */
	uint64_t hits;	    /* resolves answered from memory */
	uint64_t misses;    /* resolves that read a file or /proc first (reload, rescan, kallsyms) */
	size_t processes;
	uint64_t loads;	    /* ELF files parsed, reloads after eviction included */
	uint64_t evictions; /* symbol tables dropped to stay under cache_bytes */
	uint64_t unnamed;   /* resolves whose reason was not SYM_OK */
	size_t debug_files; /* files whose DWARF is in memory */
	size_t debug_bytes; /* of cache_bytes, what their DWARF takes */
	uint64_t debug_loads;	     /* DWARF loads, reloads after eviction included */
	uint64_t debuginfod_fetches; /* debug files fetched from debuginfod */
};

void sym_resolver__stats(const struct sym_resolver *r, struct sym_stats *out);
/*
 * Lets the kernel take back what the caches can read again cheaply: the pages of mapped DWARF
 * read since the last call (they come back from the page cache on use). Call it between batches
 * of lookups, e.g. after each drain.
 */
void sym_resolver__drop_pages(struct sym_resolver *r);
/*
 * Ends a batch of lookups (call it after each drain): the files no process maps any more and
 * no lookup used in the last SYM_IDLE_BATCHES batches are forgotten, tables and all; one that a
 * new process maps later is read again.
 */
#define SYM_IDLE_BATCHES 60
void sym_resolver__forget_idle(struct sym_resolver *r);

/* Demangles C++ and Rust (legacy and v0) names; returns a malloc'd string or NULL if not mangled. */
char *sym_demangle(const char *name);

/* ---- unwind.c: user stacks copied by the sampler, unwound with CFI (libunwind) ---- */

/* Why an unwind stopped. Everything from SYM_UNWIND_NO_PROCESS on is a failure. */
enum sym_unwind_stop {
	SYM_UNWIND_END,	      /* the outermost frame: CFI marks its return address undefined */
	SYM_UNWIND_TRUNCATED, /* the next frame lies above the copied part of the stack */
	SYM_UNWIND_DEPTH,     /* max frames reached */
	SYM_UNWIND_NO_PROCESS, /* no snapshot of the process */
	SYM_UNWIND_UNMAPPED,   /* an address outside the process's code */
	SYM_UNWIND_NO_INFO,    /* code without CFI whose frame pointer led nowhere */
	SYM_UNWIND_BAD_READ,   /* CFI pointed outside the copied stack */
	SYM_UNWIND_LOOP,       /* the stack pointer did not move up */
	SYM_UNWIND_BAD_FRAME,  /* libunwind refused the frame (bad CFI or stack contents) */
	SYM_UNWIND_NSTOPS,
};

/* "no unwind info", "truncated" ...: for messages. */
const char *sym_unwind_stop_name(enum sym_unwind_stop stop);

/* One sample to unwind. Registers are indexed by DWARF number: rax, rdx, rcx, rbx, rsi, rdi,
 * rbp, rsp, r8-r15, rip (17, like the sampler's). */
struct sym_unwind_sample {
	pid_t pid;
	const uint64_t *regs;
	const void *stack; /* stack_len bytes copied from regs[7] (rsp) up */
	size_t stack_len;
	bool stack_cut; /* the copy stopped at its size limit: the stack goes on above it */
};

struct sym_unwind_stats {
	uint64_t unwinds, frames;
	uint64_t stops[SYM_UNWIND_NSTOPS];
	size_t files;	    /* files with unwind tables in memory */
	size_t table_bytes; /* memory they hold */
	uint64_t loads;	    /* files read (once per file identity) */
};

struct sym_unwinder;

/*
 * An unwinder that finds processes and files through r (their snapshots and identities); r must
 * outlive it. Returns NULL with errno set.
 */
struct sym_unwinder *sym_unwinder__new(struct sym_resolver *r);
void sym_unwinder__free(struct sym_unwinder *u);

/*
 * Reads the unwind tables of every file pid maps executable, once per file identity: call it
 * when a process is first seen, so the per-sample path finds them in memory. Returns 0, -ESRCH
 * (no snapshot: see sym_resolver__add_process()) or -ENOMEM.
 */
int sym_unwinder__prepare(struct sym_unwinder *u, pid_t pid);

/*
 * Unwinds one sample into pcs (leaf first: the sampled ip, then return addresses), at most max.
 * Reads no file for a process that sym_unwinder__prepare() has seen, except one that mapped new
 * code since. Returns the number of PCs with *stop set, or -ENOMEM.
 */
int sym_unwinder__unwind(struct sym_unwinder *u, const struct sym_unwind_sample *s,
			 uint64_t *pcs, size_t max, enum sym_unwind_stop *stop);

void sym_unwinder__stats(const struct sym_unwinder *u, struct sym_unwind_stats *out);

/* ---- cfi.c: CFI compiled into compact unwind tables, for an unwinder outside this library ---- */

/*
 * A file's CFI (.eh_frame, and .debug_frame where .eh_frame says nothing) reduced to what walking
 * x86-64 user stacks needs: per range of code, how to find the CFA (the caller's stack pointer), where the caller's rbp
 * is, and whether the stack ends there. The return address is always at CFA - 8 except in
 * signal frames. Addresses are file offsets (a mapping's start maps to its file offset, as the
 * kernel knows it), so one table serves every process that maps the file, wherever it lands.
 *
 * Layout, in 32-bit words so it can be copied as is into memory another unwinder searches:
 *   pages[npages + 1]  for page p (file offset >> SYM_CFI_PAGE_SHIFT == first_page + p), the
 *                      index of its first row; pages[npages] == nrows
 *   rows[nrows]        sorted by offset: (offset & page mask) << SYM_CFI_RULE_BITS | rule index;
 *                      a row holds from its offset up to the next row's
 *   rules[nrules]      struct sym_cfi_rule, three words each
 * An offset before the first row has no CFI; one past the last page takes the last row's rule.
 */
#define SYM_CFI_PAGE_SHIFT 12
#define SYM_CFI_RULE_BITS 20
#define SYM_CFI_RULES_MAX (1u << SYM_CFI_RULE_BITS)

enum sym_cfi_cfa {
	SYM_CFI_NONE,	     /* no CFI covers the address: follow the frame pointer */
	SYM_CFI_RSP,	     /* CFA = rsp + cfa_off */
	SYM_CFI_RBP,	     /* CFA = rbp + cfa_off */
	SYM_CFI_PLT,	     /* CFA = rsp + cfa_off + ((rip & 15) >= plt_min ? 8 : 0): PLT entries */
	SYM_CFI_DEREF_RSP,   /* CFA = *(rsp + cfa_off) */
	SYM_CFI_DEREF_RBP,   /* CFA = *(rbp + cfa_off): a stack realigned in the prologue */
	SYM_CFI_SIGNAL,	     /* a signal trampoline (glibc's __restore_rt, CIE "S"): rsp points at the
			      * kernel's ucontext, which holds the interrupted rip, rsp and rbp */
	SYM_CFI_END,	     /* return address undefined: the outermost frame (_start, clone) */
	SYM_CFI_UNSUPPORTED, /* CFI these rules cannot express (CFA from r10 in a prologue ...) */
};

enum sym_cfi_rbp {
	SYM_CFI_RBP_SAME,   /* the caller's rbp is rbp */
	SYM_CFI_RBP_CFA,    /* saved at CFA + rbp_off */
	SYM_CFI_RBP_AT_RBP, /* saved at rbp + rbp_off */
	SYM_CFI_RBP_LOST,   /* not recoverable from here */
};

struct sym_cfi_rule {
	uint8_t cfa;	 /* enum sym_cfi_cfa */
	uint8_t rbp;	 /* enum sym_cfi_rbp */
	uint8_t plt_min; /* SYM_CFI_PLT only */
	uint8_t pad;
	int32_t cfa_off;
	int32_t rbp_off;
};

struct sym_cfi_table {
	uint32_t first_page, npages;
	uint32_t *pages;
	uint32_t *rows;
	uint32_t nrows;
	struct sym_cfi_rule *rules;
	uint32_t nrules;
	/* What went in, for statistics and tests. */
	uint32_t fdes;	      /* FDEs compiled */
	uint32_t unsupported; /* rows with SYM_CFI_UNSUPPORTED */
	uint32_t debug_fdes;  /* of fdes, from .debug_frame (for code .eh_frame does not cover) */
	size_t cfi_bytes;     /* bytes of the sections compiled */
};

/*
 * Compiles the CFI of the ELF file open at fd (the caller keeps fd), or of an image in memory (the
 * vdso). A file without CFI, or not an x86-64 ELF file, gives an empty table (nrows 0): a fact
 * worth caching. Returns 0 with *out (free with sym_cfi_table__free()) or -ENOMEM.
 */
int sym_cfi_table__build_fd(int fd, struct sym_cfi_table **out);
int sym_cfi_table__build_mem(const void *image, size_t size, struct sym_cfi_table **out);
/* The table of the vdso every 64-bit process maps (ours). Returns as the two above. */
int sym_cfi_table__build_vdso(struct sym_cfi_table **out);
void sym_cfi_table__free(struct sym_cfi_table *t);
/* The rule at file offset off (a SYM_CFI_NONE rule where there is no CFI); never NULL. */
const struct sym_cfi_rule *sym_cfi_table__find(const struct sym_cfi_table *t, uint64_t off);
/* Words the table takes in the layout above. */
size_t sym_cfi_table__words(const struct sym_cfi_table *t);
/*
 * Calls fn with every library the ELF file open at fd names (DT_NEEDED), so that their tables can
 * be built before it runs. Returns 0 (also for a file that is not ELF), fn's non-zero return, or
 * -errno.
 */
int sym_elf_needed(int fd, int (*fn)(const char *name, void *ctx), void *ctx);

#endif
