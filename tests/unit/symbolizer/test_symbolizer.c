// SPDX-License-Identifier: MIT
/*
 * Unit tests of symbolizer/. Fixture programs and libraries are compiled at run time into a
 * temporary directory (their sources are below), and the truth comes from outside the code under
 * test: the fixtures print their own function addresses, nm gives link-time values and sizes,
 * readelf the build-ids. Fake /proc trees (maps, stat, status, root) drive the cases no real
 * process can be made to show on demand.
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <inttypes.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "child.h"
#include "elf_file.h"
#include "helpers.h"

#include "symbolizer/symbolizer.h"
#include "symbolizer/symbolizer_internal.h"

/* --- fixture sources --- */

static const char fx_c[] =
	"#include <signal.h>\n"
	"#include <stdio.h>\n"
	"#include <unistd.h>\n"
	"#ifdef WITH_LIB\n"
	"void fx_lib_addrs(void **func, void **stat);\n"
	"#endif\n"
	"static void *ret_addr;\n"
	"__attribute__((noinline)) int fx_alpha(int x) { volatile int v = x; v *= 3; return v; }\n"
	"__attribute__((noinline)) static int fx_static(int x) { volatile int v = x; return v - 1; }\n"
	"__attribute__((noinline)) int fx_leaf(int x)\n"
	"{ ret_addr = __builtin_return_address(0); volatile int v = x; return v + 7; }\n"
	"__attribute__((noinline)) int fx_caller(int x) { int r = fx_leaf(x); return r + 1; }\n"
	"int main(int argc, char **argv)\n"
	"{\n"
	"	fx_caller(1); fx_static(2); fx_alpha(3);\n"
	"	printf(\"fx_alpha %p\\n\", (void *)fx_alpha);\n"
	"	printf(\"fx_static %p\\n\", (void *)fx_static);\n"
	"	printf(\"fx_caller %p\\n\", (void *)fx_caller);\n"
	"	printf(\"ret_in_fx_caller %p\\n\", ret_addr);\n"
	"#ifdef WITH_LIB\n"
	"	{ void *f, *s; fx_lib_addrs(&f, &s);\n"
	"	  printf(\"fx_lib_func %p\\nfx_lib_static %p\\n\", f, s); }\n"
	"#endif\n"
	"	printf(\"ready\\n\");\n"
	"	fflush(stdout);\n"
	"	if (argc > 1) pause();\n"
	"	return 0;\n"
	"}\n";

static const char libfx_c[] =
	"__attribute__((noinline)) int fx_lib_func(int x)\n"
	"{ volatile int v = x; for (int i = 0; i < 3; i++) v += i; return v; }\n"
	"__attribute__((noinline)) static int fx_lib_static(int x)\n"
	"{ volatile int v = x * 2; return v + 1; }\n"
	/* Hand-written code without CFI: no FDE covers it. */
	"__asm__(\".text\\n.type fx_nocfi, @function\\nfx_nocfi:\\n\\tnop\\n\\tnop\\n\\tret\\n\"\n"
	"        \".size fx_nocfi, .-fx_nocfi\\n\");\n"
	"void fx_lib_addrs(void **func, void **stat)\n"
	"{ *func = (void *)fx_lib_func; *stat = (void *)fx_lib_static; fx_lib_static(1); }\n";

/* Loads the library from a memfd, as JITs and packers do. */
static const char fx_memfd_c[] =
	"#define _GNU_SOURCE\n"
	"#include <dlfcn.h>\n"
	"#include <fcntl.h>\n"
	"#include <stdio.h>\n"
	"#include <sys/mman.h>\n"
	"#include <unistd.h>\n"
	"int main(int argc, char **argv)\n"
	"{\n"
	"	char buf[65536], path[64]; ssize_t n; void *h, *f, *s;\n"
	"	int src = open(argv[1], O_RDONLY), fd = memfd_create(\"fxlib\", 0);\n"
	"	while ((n = read(src, buf, sizeof(buf))) > 0) if (write(fd, buf, n) != n) return 1;\n"
	"	snprintf(path, sizeof(path), \"/proc/self/fd/%d\", fd);\n"
	"	h = dlopen(path, RTLD_NOW);\n"
	"	if (!h) return 1;\n"
	"	((void (*)(void **, void **))dlsym(h, \"fx_lib_addrs\"))(&f, &s);\n"
	"	printf(\"fx_lib_func %p\\nfx_lib_static %p\\nready\\n\", f, s);\n"
	"	fflush(stdout);\n"
	"	pause();\n"
	"	return 0;\n"
	"}\n";

/* --- helpers --- */

static char dir[PATH_MAX];
static bool have_cc;

/* Whether an FDE of file covers link-time address addr, by readelf; *start is where it starts. */
static bool readelf_fde_start(const char *file, uint64_t addr, uint64_t *start)
{
	FILE *p = command_output("readelf --debug-dump=frames '%s'", file);
	char line[1024];
	bool found = false;

	while (fgets(line, sizeof(line), p)) {
		const char *pc = strstr(line, " FDE ") ? strstr(line, "pc=") : NULL;
		unsigned long long lo, hi;

		if (pc && sscanf(pc, "pc=%llx..%llx", &lo, &hi) == 2 && lo <= addr && addr < hi) {
			*start = lo;
			found = true;
		}
	}
	pclose(p);
	return found;
}

/* Creates PROC/PID/{stat,status,maps}: a process that exists only on disk. */
static void fake_proc(const char *proc, pid_t pid, uint64_t start, const char *status,
		      const char *maps)
{
	char path[PATH_MAX], stat[512];

	pathf(path, "%s/%d", proc, (int)pid);
	mkdirs(path);
	pathf(path, "%s/%d/stat", proc, (int)pid);
	/* A comm with a space and a parenthesis: field counting starts after the last ')'. */
	snprintf(stat, sizeof(stat),
		 "%d (fx (x) y) S 1 1 1 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 %" PRIu64
		 " 1000 10 18446744073709551615 0 0 0 0 0\n",
		 (int)pid, start);
	write_str(path, stat);
	pathf(path, "%s/%d/status", proc, (int)pid);
	write_str(path, status ? status : "Name:\tfx\nUid:\t0\t0\t0\t0\n");
	pathf(path, "%s/%d/maps", proc, (int)pid);
	write_str(path, maps);
}

/* The maps lines the loader would make for an ELF file loaded at base. */
static void maps_for_elf(const char *file, uint64_t base, char *out, size_t len)
{
	GElf_Phdr load[16];
	size_t n = elf_load_segments(file, load, 16), used = 0;
	struct stat st;

	assert_int_equal(stat(file, &st), 0);
	out[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		const GElf_Phdr *ph = &load[i];

		used += snprintf(out + used, len - used, "%" PRIx64 "-%" PRIx64
				 " %c%c%cp %08" PRIx64 " 08:01 %llu     %s\n",
				 base + (ph->p_vaddr & ~(uint64_t)0xfff),
				 base + ((ph->p_vaddr + ph->p_memsz + 0xfff) & ~(uint64_t)0xfff),
				 ph->p_flags & PF_R ? 'r' : '-', ph->p_flags & PF_W ? 'w' : '-',
				 ph->p_flags & PF_X ? 'x' : '-', ph->p_offset & ~(uint64_t)0xfff,
				 (unsigned long long)st.st_ino, file);
		assert_true(used < len);
	}
}

static void skip_without_cc(void)
{
	if (!have_cc)
		skip_missing("cc, nm, readelf or strip is not installed");
}

static const char *fx(const char *name)
{
	return path_in(dir, name);
}

static int group_setup(void **state)
{
	char src[PATH_MAX];
	const char *cflags = "-O0 -fno-inline -fno-omit-frame-pointer";

	snprintf(dir, sizeof(dir), "/tmp/profd-sym-test-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	have_cc = !run("command -v cc >/dev/null && command -v nm >/dev/null && "
		       "command -v readelf >/dev/null && command -v strip >/dev/null");
	if (!have_cc)
		return 0;
	pathf(src, "%s/fx.c", dir);
	write_str(src, fx_c);
	pathf(src, "%s/libfx.c", dir);
	write_str(src, libfx_c);
	pathf(src, "%s/fx_memfd.c", dir);
	write_str(src, fx_memfd_c);
	if (run("cd '%s' && cc %s fx.c -o fx_pie && cc %s -no-pie -fno-pie fx.c -o fx_nopie && "
		"cc %s -shared -fPIC libfx.c -o libfx.so && "
		"cc %s -shared -fPIC -Wl,-z,noseparate-code libfx.c -o libfx_nosep.so && "
		"cc %s -shared -fPIC -Wl,-Ttext-segment=0x200000 libfx.c -o libfx_text.so && "
		"cc %s -DWITH_LIB fx.c -L. -lfx -Wl,-rpath,'%s' -o fx_lib && "
		"cc %s fx_memfd.c -o fx_memfd -ldl && "
		"strip -s libfx.so -o libfx_stripped.so && cp libfx.so libfx_other.so",
		dir, cflags, cflags, cflags, cflags, cflags, cflags, dir, cflags))
		return -1;
	return 0;
}

static int group_teardown(void **state)
{
	if (dir[0])
		rm_tree(dir);
	return 0;
}

static struct sym_resolver *new_resolver(const char *proc, size_t cache_bytes)
{
	struct sym_resolver_opts o = {.proc_root = proc, .perf_map_dir = dir,
				      .cache_bytes = cache_bytes};
	struct sym_resolver *r = sym_resolver__new(&o);

	assert_non_null(r);
	return r;
}

static void expect_frame(struct sym_resolver *r, pid_t pid, uint64_t addr, bool is_return,
			 const char *name, enum sym_reason reason, struct sym_location *loc)
{
	assert_int_equal(sym_resolver__resolve(r, pid, addr, is_return, loc), 0);
	assert_int_equal(loc->nframes, 1);
	assert_non_null(loc->frames[0].name);
	assert_non_null(loc->frames[0].system_name);
	if (strcmp(loc->frames[0].name, name))
		fail_msg("0x%" PRIx64 ": got %s, want %s", addr, loc->frames[0].name, name);
	assert_int_equal(loc->reason, reason);
	if (loc->module.path) {
		/* The pprof contract: the address lies in the module, at its file offset. */
		assert_true(loc->address >= loc->module.start && loc->address < loc->module.limit);
		assert_int_equal(loc->address - loc->module.start + loc->module.offset,
				 loc->file_offset);
	}
}

/* --- linereader and maps --- */

static int fd_of(const char *data, size_t len)
{
	char path[PATH_MAX];
	int fd;

	pathf(path, "%s/input.txt", dir);
	write_file(path, data, len);
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	return fd;
}

static void test_linereader(void **state)
{
	static const char data[] = "short\n0123456789abcdef\nnul\0byte\nlast";
	struct sym_linereader lr;
	size_t len;
	char *line;
	int fd = fd_of(data, sizeof(data) - 1);

	assert_int_equal(sym_linereader__init(&lr, fd, 10, UINT64_MAX), 0);
	assert_int_equal(sym_linereader__next(&lr, &line, &len), 1);
	assert_string_equal(line, "short");
	/* 16 bytes > 10: skipped and counted. */
	assert_int_equal(sym_linereader__next(&lr, &line, &len), 1);
	assert_int_equal(len, 8);
	assert_memory_equal(line, "nul\0byte", 8);
	assert_int_equal(sym_linereader__next(&lr, &line, &len), 1);
	assert_string_equal(line, "last");
	assert_int_equal(sym_linereader__next(&lr, &line, &len), 0);
	assert_int_equal(lr.long_lines, 1);
	sym_linereader__release(&lr);
	close(fd);

	/* A byte budget ends the file early. */
	fd = fd_of(data, sizeof(data) - 1);
	assert_int_equal(sym_linereader__init(&lr, fd, 100, 8), 0);
	assert_int_equal(sym_linereader__next(&lr, &line, &len), 1);
	assert_string_equal(line, "short");
	assert_int_equal(sym_linereader__next(&lr, &line, &len), 1);
	assert_string_equal(line, "01");
	assert_int_equal(sym_linereader__next(&lr, &line, &len), 0);
	sym_linereader__release(&lr);
	close(fd);
}

static void test_maps_parse_line(void **state)
{
	static const char l1[] = "7f1c2a000000-7f1c2a021000 r-xp 00001000 fd:01 1234567          "
				 "      /usr/lib/my lib/libfoo.so (deleted)";
	static const char l2[] = "55d0c0000000-55d0c0021000 rw-p 00000000 00:00 0";
	static const char l3[] = "ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0  "
				 "[vsyscall]";
	const char *bad[] = {
		"",
		"7f00-7e00 r-xp 00000000 00:00 0",	     /* end before start */
		"7f00-8000 r-xz 00000000 00:00 0",	     /* not p or s */
		"7f00-8000 r-xp 00000000 00:00",	     /* no inode */
		"7f00-8000 r-xp 00000000 00-00 0 /x",	     /* bad device */
		"17f0000000000000000-8000 r-xp 0 00:00 0 /x", /* 17 hex digits */
		"7f00-8000 rxxp 00000000 00:00 0 /x",
		"7f00-8000 r-xp 00000000 00:00 12x /x",
	};
	const char *path;
	struct sym_map m;
	size_t len;

	assert_int_equal(sym_maps__parse_line(l1, strlen(l1), &m, &path, &len), 0);
	assert_int_equal(m.start, 0x7f1c2a000000);
	assert_int_equal(m.end, 0x7f1c2a021000);
	assert_int_equal(m.pgoff, 0x1000);
	assert_int_equal(m.dev_major, 0xfd);
	assert_int_equal(m.dev_minor, 1);
	assert_int_equal(m.inode, 1234567);
	assert_int_equal(m.perms, SYM_PERM_READ | SYM_PERM_EXEC);
	assert_true(m.deleted);
	assert_int_equal(m.kind, SYM_MAP_FILE);
	assert_int_equal(len, strlen("/usr/lib/my lib/libfoo.so"));
	assert_memory_equal(path, "/usr/lib/my lib/libfoo.so", len);

	assert_int_equal(sym_maps__parse_line(l2, strlen(l2), &m, &path, &len), 0);
	assert_int_equal(len, 0);
	assert_int_equal(m.kind, SYM_MAP_ANON);
	assert_int_equal(m.perms, SYM_PERM_READ | SYM_PERM_WRITE);
	assert_false(m.deleted);

	assert_int_equal(sym_maps__parse_line(l3, strlen(l3), &m, &path, &len), 0);
	assert_int_equal(m.kind, SYM_MAP_VSYSCALL);
	assert_int_equal(m.perms, SYM_PERM_EXEC);

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(sym_maps__parse_line(bad[i], strlen(bad[i]), &m, &path, &len),
				 -EINVAL);
}

static void test_maps_read(void **state)
{
	struct sym_maps maps;
	struct sym_map *m;
	char *text, *longline;
	size_t used;
	int fd;

	longline = malloc(SYM_MAPS_LINE_MAX + 100);
	assert_non_null(longline);
	memset(longline, 'a', SYM_MAPS_LINE_MAX + 99);
	longline[SYM_MAPS_LINE_MAX + 99] = '\0';
	text = malloc(2 * SYM_MAPS_LINE_MAX + 8192);
	assert_non_null(text);
	used = sprintf(text,
		       "1000-2000 r--p 00000000 08:01 11 /bin/with space\n"
		       "2000-3000 r-xp 00001000 08:01 11 /bin/with space\n"
		       "3000-4000 rw-p 00002000 08:01 11 /bin/with space\n"
		       "4000-5000 r--p 00000000 08:01 12 /usr/lib/data-only.so\n"
		       "5000-6000 rw-p 00000000 00:00 0 \n"
		       "6000-7000 rwxp 00000000 00:00 0 \n"
		       "7000-8000 r-xp 00000000 08:01 13 /tmp/gone.so (deleted)\n"
		       "8000-9000 r-xp 00000000 00:01 14 /memfd:jit (deleted)\n"
		       "9000-a000 rw-p 00000000 00:00 0 [heap]\n"
		       "a000-b000 r-xp 00000000 00:00 0 [anon:v8 code]\n"
		       "b000-c000 r-xs 00000000 00:05 15 /dev/zero (deleted)\n"
		       "c000-d000 r-xp 00000000 00:00 0 [vdso]\n"
		       "this is not a mapping\n"
		       "d000-e000 r-xp 00000000 08:01 16 /x/%s\n"
		       "e000-f000 r-xp 00000000 08:01 17 /lib/after-long-line.so\n"
		       "ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0 [vsyscall]",
		       longline);
	fd = fd_of(text, used);
	assert_int_equal(sym_maps__read(fd, &maps), 0);
	close(fd);
	/* Kept: 3 of /bin/with space, anon rwx, gone.so, memfd, anon:v8, /dev/zero, vdso,
	 * after-long-line, vsyscall. Dropped: data-only.so, anon rw, heap (not executable). */
	assert_int_equal(maps.n, 11);
	assert_int_equal(maps.bad_lines, 2);
	m = sym_maps__find(&maps, 0x1800);
	assert_non_null(m);
	assert_string_equal(m->path, "/bin/with space");
	assert_ptr_equal(sym_maps__find(&maps, 0x2000)->path, m->path); /* shared copy */
	assert_null(sym_maps__find(&maps, 0x4800));
	assert_null(sym_maps__find(&maps, 0x500));
	m = sym_maps__find(&maps, 0x6000);
	assert_int_equal(m->kind, SYM_MAP_ANON);
	assert_string_equal(sym_map__label(m), "[anon]");
	m = sym_maps__find(&maps, 0x7fff);
	assert_true(m->deleted);
	assert_string_equal(m->path, "/tmp/gone.so");
	m = sym_maps__find(&maps, 0x8000);
	assert_int_equal(m->kind, SYM_MAP_MEMFD);
	assert_string_equal(m->path, "/memfd:jit");
	assert_string_equal(sym_map__label(sym_maps__find(&maps, 0xa000)), "[anon:v8 code]");
	m = sym_maps__find(&maps, 0xb000);
	assert_int_equal(m->kind, SYM_MAP_ANON);
	assert_string_equal(sym_map__label(m), "[anon]");
	assert_int_equal(sym_maps__find(&maps, 0xc000)->kind, SYM_MAP_VDSO);
	assert_string_equal(sym_maps__find(&maps, 0xe000)->path, "/lib/after-long-line.so");
	assert_int_equal(sym_maps__find(&maps, 0xffffffffff600000)->kind, SYM_MAP_VSYSCALL);
	sym_maps__release(&maps);
	free(text);
	free(longline);
}

static void test_maps_many(void **state)
{
	const size_t n = 20000;
	struct sym_maps maps;
	struct timespec t0, t1;
	char *text, *p;
	int fd;

	text = malloc(n * 2 * 80);
	assert_non_null(text);
	p = text;
	for (size_t i = 0; i < n; i++) {
		uint64_t a = 0x100000000ull + i * 0x4000;

		/* One executable mapping and one data mapping each, like jemalloc arenas. */
		p += sprintf(p, "%" PRIx64 "-%" PRIx64 " r-xp 00000000 00:00 0 \n", a, a + 0x1000);
		p += sprintf(p, "%" PRIx64 "-%" PRIx64 " rw-p 00000000 00:00 0 \n", a + 0x1000,
			     a + 0x3000);
	}
	fd = fd_of(text, p - text);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(sym_maps__read(fd, &maps), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	close(fd);
	assert_int_equal(maps.n, n);
	assert_true((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000 < 500);
	for (size_t i = 0; i < n; i += 997) {
		uint64_t a = 0x100000000ull + i * 0x4000;

		assert_int_equal(sym_maps__find(&maps, a + 0x10)->start, a);
		assert_null(sym_maps__find(&maps, a + 0x1010));
	}
	sym_maps__release(&maps);
	free(text);
}

/* --- demangling --- */

/* The demangler's inputs: C++, clones, Rust legacy and v0, and names that are not mangled. */
static const char *const demangle_cases[] = {
	"_ZN3foo3barEv", "_ZNSt6vectorIiSaIiEE9push_backERKi", "_ZN3foo3barEv.cold",
	"_ZN4core3fmt5write17h0123456789abcdefE", "_RNvCs15kBYyAo9fc_7mycrate7example",
	"main", "_Rfoo", "_Z", "_Zgarbage",
};

/*
 * Demangling as binutils' c++filt -i does it (no verbose details: Rust hashes dropped), for the
 * cases above and every C++ symbol libstdc++ exports; what c++filt leaves as it is, profd
 * leaves undemangled (NULL).
 */
static void test_demangle(void **state)
{
	char names[PATH_MAX], want[PATH_MAX], name[SYM_NAME_MAX + 2], line[SYM_NAME_MAX * 4];
	FILE *in, *out;
	int n = 0;

	if (run("command -v c++filt >/dev/null && command -v nm >/dev/null"))
		skip_missing("c++filt or nm (binutils) is not installed");
	pathf(names, "%s/mangled.txt", dir);
	pathf(want, "%s/demangled.txt", dir);
	in = fopen(names, "w");
	assert_non_null(in);
	for (size_t i = 0; i < sizeof(demangle_cases) / sizeof(demangle_cases[0]); i++)
		fprintf(in, "%s\n", demangle_cases[i]);
	assert_int_equal(fclose(in), 0);
	/* libstdc++'s exports, without their symbol versions (name@@GLIBCXX_3.4). */
	assert_int_equal(run("nm -D --defined-only \"$(ldconfig -p | awk '/libstdc\\+\\+\\.so\\.6 "
			     ".*x86-64/ { print $NF; exit }')\" | awk '$NF ~ /^_Z/ { "
			     "sub(/@.*/, \"\", $NF); print $NF }' >> '%s'", names), 0);
	assert_int_equal(run("c++filt -i < '%s' > '%s'", names, want), 0);
	in = fopen(names, "r");
	out = fopen(want, "r");
	assert_true(in && out);
	while (fgets(name, sizeof(name), in)) {
		char *d;

		assert_non_null(fgets(line, sizeof(line), out));
		name[strcspn(name, "\n")] = '\0';
		line[strcspn(line, "\n")] = '\0';
		d = sym_demangle(name);
		if (!strcmp(line, name))
			assert_null(d);
		else if (!d || strcmp(d, line))
			fail_msg("%s: profd '%s', c++filt '%s'", name, d ? d : "(none)", line);
		free(d);
		n++;
	}
	fclose(in);
	fclose(out);
	assert_true(n > 1000);
	assert_null(sym_demangle(""));
	assert_null(sym_demangle(NULL));
}

static void test_dcache(void **state)
{
	struct sym_dcache c = {0};
	const char *a, *b;

	a = sym_dcache__get(&c, 7, "_ZN3foo3barEv");
	assert_string_equal(a, "foo::bar()");
	b = sym_dcache__get(&c, 7, "_ZN3foo3barEv");
	assert_ptr_equal(a, b); /* remembered */
	b = "plain_c";
	assert_ptr_equal(sym_dcache__get(&c, 8, b), b);
	b = "_Zgarbage";
	assert_ptr_equal(sym_dcache__get(&c, 9, b), b);
	assert_ptr_equal(sym_dcache__get(&c, 9, b), b);
	for (uint32_t i = 100; i < 1000; i++)
		assert_string_equal(sym_dcache__get(&c, i, "_ZN1a1bEv"), "a::b()");
	assert_true(sym_dcache__bytes(&c) > 0);
	sym_dcache__release(&c);
}

/* --- ELF files in real processes --- */

static void check_process(const char *exe, bool pie)
{
	struct sym_resolver *r = new_resolver(NULL, 0);
	uint64_t value, size, a;
	struct sym_location loc;
	struct sym_stats st;
	char bid[256];
	struct child c;

	child_spawn(&c, exe, "sleep");
	build_id_of(exe, bid, sizeof(bid));
	assert_true(bid[0]);
	assert_int_equal(sym_resolver__add_process(r, c.pid), 0);
	assert_int_equal(sym_resolver__add_process(r, c.pid), 0); /* known: nothing to do */

	for (int pass = 0; pass < 2; pass++) {
		nm_symbol(exe, "fx_alpha", &value, &size);
		a = child_addr(&c, "fx_alpha");
		expect_frame(r, c.pid, a, false, "fx_alpha", SYM_OK, &loc);
		assert_int_equal(loc.address, value);
		assert_string_equal(loc.module.path, exe);
		assert_non_null(loc.module.build_id);
		assert_string_equal(loc.module.build_id, bid);
		assert_true(loc.module.has_functions);
		assert_false(loc.module.deleted);
		if (!pie)
			assert_int_equal(a, value);
		expect_frame(r, c.pid, a + size / 2, false, "fx_alpha", SYM_OK, &loc);
		assert_int_equal(loc.address, value + size / 2);
		expect_frame(r, c.pid, a + size - 1, false, "fx_alpha", SYM_OK, &loc);
		/* A return address at a function's start belongs to the call before it. */
		assert_int_equal(sym_resolver__resolve(r, c.pid, a, true, &loc), 0);
		assert_string_not_equal(loc.frames[0].name, "fx_alpha");
		assert_int_equal(loc.address, value - 1);

		nm_symbol(exe, "fx_static", &value, &size);
		expect_frame(r, c.pid, child_addr(&c, "fx_static") + 1, false, "fx_static", SYM_OK,
			     &loc);
		assert_int_equal(loc.address, value + 1);

		nm_symbol(exe, "fx_caller", &value, &size);
		a = child_addr(&c, "ret_in_fx_caller");
		expect_frame(r, c.pid, a, true, "fx_caller", SYM_OK, &loc);
		assert_int_equal(loc.address, a - child_addr(&c, "fx_caller") + value - 1);

		/* Second pass: the process is gone, its snapshot is not. */
		if (!pass)
			child_reap(&c);
	}
	sym_resolver__stats(r, &st);
	assert_int_equal(st.processes, 1);
	assert_true(st.files >= 1);
	assert_true(st.hits > 0);
	assert_true(st.cache_bytes > 0);
	sym_resolver__drop_process(r, c.pid);
	expect_frame(r, c.pid, child_addr(&c, "fx_alpha"), false, "[process unknown]",
		     SYM_PROCESS_GONE, &loc);
	assert_null(loc.module.path);
	sym_resolver__stats(r, &st);
	assert_int_equal(st.processes, 0);
	assert_int_equal(sym_resolver__add_process(r, c.pid), -ESRCH);
	sym_resolver__free(r);
}

static void test_process_pie(void **state)
{
	skip_without_cc();
	check_process(fx("fx_pie"), true);
}

static void test_process_nopie(void **state)
{
	skip_without_cc();
	check_process(fx("fx_nopie"), false);
}

static void check_lib_frames(struct sym_resolver *r, const struct child *c, const char *lib,
			     const char *module)
{
	struct sym_location loc;
	uint64_t value, size;

	nm_symbol(lib, "fx_lib_func", &value, &size);
	expect_frame(r, c->pid, child_addr(c, "fx_lib_func") + 2, false, "fx_lib_func", SYM_OK,
		     &loc);
	assert_int_equal(loc.address, value + 2);
	assert_string_equal(loc.module.path, module);
	nm_symbol(lib, "fx_lib_static", &value, &size);
	expect_frame(r, c->pid, child_addr(c, "fx_lib_static") + 3, false, "fx_lib_static",
		     SYM_OK, &loc);
	assert_int_equal(loc.address, value + 3);
}

static void test_process_shared_lib(void **state)
{
	struct sym_resolver *r;
	struct sym_location loc;
	struct child c;

	skip_without_cc();
	r = new_resolver(NULL, 0);
	child_spawn(&c, fx("fx_lib"), "sleep");
	assert_int_equal(sym_resolver__add_process(r, c.pid), 0);
	check_lib_frames(r, &c, fx("libfx.so"), fx("libfx.so"));
	expect_frame(r, c.pid, child_addr(&c, "fx_alpha"), false, "fx_alpha", SYM_OK, &loc);
	child_reap(&c);
	check_lib_frames(r, &c, fx("libfx.so"), fx("libfx.so"));
	/* Refreshing a process that is gone keeps what we have. */
	assert_int_equal(sym_resolver__refresh_process(r, c.pid), -ESRCH);
	check_lib_frames(r, &c, fx("libfx.so"), fx("libfx.so"));
	sym_resolver__free(r);
}

static void test_process_deleted_binary(void **state)
{
	struct sym_resolver *r;
	struct sym_location loc;
	uint64_t value, size;
	struct child c;

	skip_without_cc();
	assert_int_equal(run("cp '%s' '%s'", fx("fx_pie"), fx("fx_deleted")), 0);
	child_spawn(&c, fx("fx_deleted"), "sleep");
	assert_int_equal(unlink(fx("fx_deleted")), 0);
	r = new_resolver(NULL, 0);
	assert_int_equal(sym_resolver__add_process(r, c.pid), 0);
	child_reap(&c);
	nm_symbol(fx("fx_pie"), "fx_alpha", &value, &size);
	expect_frame(r, c.pid, child_addr(&c, "fx_alpha") + 1, false, "fx_alpha", SYM_OK, &loc);
	assert_int_equal(loc.address, value + 1);
	assert_string_equal(loc.module.path, fx("fx_deleted"));
	assert_true(loc.module.deleted);
	sym_resolver__free(r);
}

static void test_process_memfd(void **state)
{
	struct sym_resolver *r;
	struct child c;

	skip_without_cc();
	if (geteuid())
		skip_because("map_files needs CAP_CHECKPOINT_RESTORE or root");
	child_spawn(&c, fx("fx_memfd"), fx("libfx.so"));
	assert_true(c.n == 2);
	r = new_resolver(NULL, 0);
	assert_int_equal(sym_resolver__add_process(r, c.pid), 0);
	check_lib_frames(r, &c, fx("libfx.so"), "/memfd:fxlib");
	child_reap(&c);
	check_lib_frames(r, &c, fx("libfx.so"), "/memfd:fxlib");
	sym_resolver__free(r);
}

/* A resolver with cache_bytes (0: the default) that knows a sleeping fx_lib, started in *c. */
static struct sym_resolver *resolver_of_fx_lib(struct child *c, size_t cache_bytes)
{
	struct sym_resolver *r = new_resolver(NULL, cache_bytes);

	child_spawn(c, fx("fx_lib"), "sleep");
	assert_int_equal(sym_resolver__add_process(r, c->pid), 0);
	return r;
}

/* Symbol tables are read for the files whose addresses are named, not for every mapped one. */
static void test_symbols_read_when_named(void **state)
{
	struct sym_resolver *r;
	struct sym_location loc;
	struct sym_stats st;
	struct child c;

	skip_without_cc();
	r = resolver_of_fx_lib(&c, 0);
	sym_resolver__stats(r, &st);
	assert_int_equal(st.files, 0); /* fx_lib, libfx.so, libc and the loader are mapped */
	expect_frame(r, c.pid, child_addr(&c, "fx_alpha"), false, "fx_alpha", SYM_OK, &loc);
	sym_resolver__stats(r, &st);
	assert_int_equal(st.files, 1);
	child_reap(&c); /* read by path once the process is gone */
	check_lib_frames(r, &c, fx("libfx.so"), fx("libfx.so"));
	sym_resolver__stats(r, &st);
	assert_int_equal(st.files, 2);
	sym_resolver__free(r);
}

/* Resolves addr with defer_names: its module and address now, a stand-in name, no table read. */
static uint32_t expect_deferred(struct sym_resolver *r, pid_t pid, uint64_t addr,
				struct sym_location *loc)
{
	struct sym_stats st;

	assert_int_equal(sym_resolver__resolve(r, pid, addr, false, loc), 0);
	assert_int_not_equal(loc->deferred, 0);
	assert_non_null(loc->module.path);
	assert_non_null(strstr(loc->frames[0].name, "+0x"));
	assert_int_equal(loc->address - loc->module.start + loc->module.offset, loc->file_offset);
	sym_resolver__stats(r, &st);
	assert_int_equal(st.files, 0);
	assert_int_equal(st.unnamed, 0);
	return loc->deferred;
}

/* Names at the end: held files are read after their process is gone, one id per file. */
static void test_defer_names(void **state)
{
	struct sym_resolver_opts o = {.perf_map_dir = dir, .defer_names = true};
	struct sym_resolver *r = sym_resolver__new(&o);
	struct sym_location exe, lib, again, named;
	struct sym_module exe_module, lib_module;
	uint64_t value, size, loads;
	struct sym_stats st;
	struct child c;

	skip_without_cc();
	assert_non_null(r);
	child_spawn(&c, fx("fx_lib"), "sleep");
	assert_int_equal(sym_resolver__add_process(r, c.pid), 0);
	expect_deferred(r, c.pid, child_addr(&c, "fx_alpha"), &exe);
	exe_module = exe.module;
	expect_deferred(r, c.pid, child_addr(&c, "fx_lib_func") + 2, &lib);
	lib_module = lib.module;
	assert_int_not_equal(exe.deferred, lib.deferred);
	expect_deferred(r, c.pid, child_addr(&c, "fx_static"), &again);
	assert_int_equal(again.deferred, exe.deferred); /* one hold per file */
	child_reap(&c);
	sym_resolver__drop_process(r, c.pid);

	assert_int_equal(sym_resolver__name_deferred(r, exe.deferred, &exe_module, exe.address,
						     &named), 0);
	assert_string_equal(named.frames[0].name, "fx_alpha");
	assert_int_equal(named.reason, SYM_OK);
	assert_true(named.module.has_functions);
	nm_symbol(fx("libfx.so"), "fx_lib_func", &value, &size);
	assert_int_equal(lib.address, value + 2);
	assert_int_equal(sym_resolver__name_deferred(r, lib.deferred, &lib_module, lib.address,
						     &named), 0);
	assert_string_equal(named.frames[0].name, "fx_lib_func");
	sym_resolver__stats(r, &st);
	assert_int_equal(st.files, 2);
	loads = st.loads;
	/* A file said to be named lets its tables go; it is read again if asked again. */
	sym_resolver__named_deferred(r, lib.deferred);
	sym_resolver__stats(r, &st);
	assert_int_equal(st.files, 1);
	assert_int_equal(st.loads, loads);
	assert_int_equal(sym_resolver__name_deferred(r, lib.deferred, &lib_module, lib.address + 1,
						     &named), 0);
	assert_string_equal(named.frames[0].name, "fx_lib_func");
	sym_resolver__stats(r, &st);
	assert_int_equal(st.files, 2);
	assert_int_equal(st.loads, loads + 1);
	/* A name kept from then is given at once: no hold. */
	child_spawn(&c, fx("fx_lib"), "sleep");
	assert_int_equal(sym_resolver__add_process(r, c.pid), 0);
	expect_frame(r, c.pid, child_addr(&c, "fx_alpha"), false, "fx_alpha", SYM_OK, &named);
	assert_int_equal(named.deferred, 0);
	child_reap(&c);

	sym_resolver__forget_deferred(r);
	assert_int_equal(sym_resolver__name_deferred(r, exe.deferred, &exe_module, exe.address,
						     &named), -ENOENT);
	assert_int_equal(sym_resolver__name_deferred(r, 0, &exe_module, exe.address, &named),
			 -ENOENT);
	sym_resolver__free(r);
}

/* A cache far too small for one file: every file is evicted and read again on demand. */
static void test_eviction(void **state)
{
	struct sym_resolver *r;
	struct sym_location loc;
	struct sym_stats st;
	struct child c;

	skip_without_cc();
	r = resolver_of_fx_lib(&c, 1);
	for (int i = 0; i < 3; i++) {
		expect_frame(r, c.pid, child_addr(&c, "fx_alpha"), false, "fx_alpha", SYM_OK, &loc);
		check_lib_frames(r, &c, fx("libfx.so"), fx("libfx.so"));
		if (i == 1)
			child_reap(&c); /* after exit, files are read again by path */
	}
	sym_resolver__stats(r, &st);
	assert_true(st.evictions >= 4);
	assert_true(st.loads >= 6);
	assert_true(st.misses >= 4);
	assert_true(st.files <= 1);
	sym_resolver__free(r);
}

/* A file nobody maps any more is forgotten after SYM_IDLE_BATCHES batches without a lookup. */
static void test_forget_idle(void **state)
{
	struct sym_resolver *r;
	struct sym_location loc;
	struct sym_stats st;
	struct child c;

	skip_without_cc();
	r = resolver_of_fx_lib(&c, 0);
	expect_frame(r, c.pid, child_addr(&c, "fx_alpha"), false, "fx_alpha", SYM_OK, &loc);
	for (int i = 0; i < 2 * SYM_IDLE_BATCHES; i++)
		sym_resolver__forget_idle(r);
	sym_resolver__stats(r, &st);
	assert_int_equal(st.files, 1); /* mapped by a live process: kept however idle */

	expect_frame(r, c.pid, child_addr(&c, "fx_alpha"), false, "fx_alpha", SYM_OK, &loc);
	child_reap(&c);
	sym_resolver__drop_process(r, c.pid);
	sym_resolver__stats(r, &st);
	assert_int_equal(st.files, 1); /* nobody maps it, but it was used just now */
	for (int i = 0; i < SYM_IDLE_BATCHES - 1; i++)
		sym_resolver__forget_idle(r);
	sym_resolver__stats(r, &st);
	assert_int_equal(st.files, 1);
	sym_resolver__forget_idle(r);
	sym_resolver__stats(r, &st);
	assert_int_equal(st.files, 0);
	sym_resolver__free(r);
}

static void test_vdso(void **state)
{
	uint64_t base = getauxval(AT_SYSINFO_EHDR), value = 0, a;
	struct sym_resolver *r = new_resolver(NULL, 0);
	struct sym_location loc;
	Elf_Scn *scn = NULL;
	Elf *elf;

	if (!base)
		skip_because("this process has no vDSO");
	/* Truth from the image itself, read with libelf directly; section headers end it. */
	{
		const Elf64_Ehdr *eh = (const Elf64_Ehdr *)(uintptr_t)base;

		elf_version(EV_CURRENT);
		elf = elf_memory((char *)(uintptr_t)base, eh->e_shoff + eh->e_shnum * eh->e_shentsize);
	}
	assert_non_null(elf);
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		Elf_Data *d;

		gelf_getshdr(scn, &sh);
		if (sh.sh_type != SHT_DYNSYM)
			continue;
		d = elf_getdata(scn, NULL);
		for (size_t i = 0; i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Sym sym;

			gelf_getsym(d, (int)i, &sym);
			if (!strcmp(elf_strptr(elf, sh.sh_link, sym.st_name),
				    "__vdso_clock_gettime"))
				value = sym.st_value;
		}
	}
	elf_end(elf);
	assert_true(value);
	assert_int_equal(sym_resolver__add_process(r, getpid()), 0);
	a = base + value + 1;
	expect_frame(r, getpid(), a, false, "__vdso_clock_gettime", SYM_OK, &loc);
	assert_string_equal(loc.module.path, "[vdso]");
	assert_int_equal(loc.address, value + 1);
	sym_resolver__free(r);
}

/* --- ELF files through fake /proc trees --- */

/*
 * A resolver over a fake /proc, dir/proc-NAME (its path in proc, PATH_MAX bytes), where pid has
 * file mapped at base as the loader maps it.
 */
static struct sym_resolver *fake_process(char *proc, const char *name, pid_t pid, const char *file,
					 uint64_t base)
{
	char maps[4096];
	struct sym_resolver *r;

	pathf(proc, "%s/proc-%s", dir, name);
	maps_for_elf(file, base, maps, sizeof(maps));
	fake_proc(proc, pid, 1, NULL, maps);
	r = new_resolver(proc, 0);
	assert_int_equal(sym_resolver__add_process(r, pid), 0);
	return r;
}

/* truth: an unstripped build of lib with the same layout, to take symbol values from. */
static void check_fake_lib(const char *lib, const char *truth, uint64_t base,
			   const char *static_name, enum sym_reason static_reason)
{
	char proc[PATH_MAX];
	struct sym_resolver *r;
	struct sym_location loc;
	uint64_t value, size, foff;

	r = fake_process(proc, strrchr(lib, '/') + 1, 100, lib, base);
	nm_symbol(truth, "fx_lib_func", &value, &size);
	expect_frame(r, 100, base + value + 5, false, "fx_lib_func", SYM_OK, &loc);
	assert_int_equal(loc.address, value + 5);
	expect_frame(r, 100, base + value + size, true, "fx_lib_func", SYM_OK, &loc);
	assert_int_equal(loc.address, value + size - 1);
	nm_symbol(truth, "fx_lib_static", &value, &size);
	foff = loc.file_offset - loc.address + value; /* same segment */
	expect_frame(r, 100, base + value, false, static_name, static_reason, &loc);
	assert_int_equal(loc.file_offset, foff);
	assert_int_equal(loc.address, value);
	sym_resolver__free(r);
}

static void test_fake_lib_layouts(void **state)
{
	char name[64];
	uint64_t value, size;

	skip_without_cc();
	check_fake_lib(fx("libfx.so"), fx("libfx.so"), 0x7f0000000000, "fx_lib_static", SYM_OK);
	check_fake_lib(fx("libfx_nosep.so"), fx("libfx_nosep.so"), 0x7f1000000000,
		       "fx_lib_static", SYM_OK);
	check_fake_lib(fx("libfx_text.so"), fx("libfx_text.so"), 0x7f2000000000,
		       "fx_lib_static", SYM_OK);
	/* Stripped: .dynsym names exported functions; a static one is module+0xOFF. */
	nm_symbol(fx("libfx.so"), "fx_lib_static", &value, &size);
	snprintf(name, sizeof(name), "libfx_stripped.so+0x%" PRIx64, value);
	check_fake_lib(fx("libfx_stripped.so"), fx("libfx.so"), 0x7f3000000000, name,
		       SYM_NO_SYMBOLS);
}

/*
 * A stripped library: every address inside a function .dynsym does not name is named by the
 * start of its function (its FDE), at the file offset nm gives the unstripped build's symbol;
 * code without CFI keeps its own offset.
 */
static void test_stripped_cfi_starts(void **state)
{
	const uint64_t base = 0x7f4000000000;
	char proc[PATH_MAX], want[128];
	struct sym_resolver *r;
	struct sym_location loc;
	uint64_t value, size, seg_skew;

	skip_without_cc();
	r = fake_process(proc, "stripped-cfi", 105, fx("libfx_stripped.so"), base);
	nm_symbol(fx("libfx.so"), "fx_lib_static", &value, &size);
	assert_true(size > 1);
	assert_int_equal(sym_resolver__resolve(r, 105, base + value, false, &loc), 0);
	seg_skew = loc.file_offset - loc.address; /* file offset - link-time address */
	snprintf(want, sizeof(want), "libfx_stripped.so+0x%" PRIx64, value + seg_skew);
	for (uint64_t a = value; a < value + size; a++)
		expect_frame(r, 105, base + a, false, want, SYM_NO_SYMBOLS, &loc);
	/* A return address just past the function is looked up at its last byte. */
	expect_frame(r, 105, base + value + size, true, want, SYM_NO_SYMBOLS, &loc);
	assert_int_equal(loc.file_offset, value + size - 1 + seg_skew);
	/* .dynsym still names exported functions. */
	nm_symbol(fx("libfx.so"), "fx_lib_func", &value, &size);
	expect_frame(r, 105, base + value + 1, false, "fx_lib_func", SYM_OK, &loc);
	/* No FDE: the address is its own name. */
	nm_symbol(fx("libfx.so"), "fx_nocfi", &value, &size);
	snprintf(want, sizeof(want), "libfx_stripped.so+0x%" PRIx64, value + 1 + seg_skew);
	expect_frame(r, 105, base + value + 1, false, want, SYM_NO_SYMBOLS, &loc);
	sym_resolver__free(r);
}

static void test_fake_nopie(void **state)
{
	char proc[PATH_MAX];
	struct sym_resolver *r;
	struct sym_location loc;
	uint64_t value, size;

	skip_without_cc();
	r = fake_process(proc, "nopie", 101, fx("fx_nopie"), 0);
	nm_symbol(fx("fx_nopie"), "fx_static", &value, &size);
	expect_frame(r, 101, value + 2, false, "fx_static", SYM_OK, &loc);
	assert_int_equal(loc.address, value + 2);
	/* The address is in the file, so the module covers it. */
	assert_true(loc.module.start <= value && value < loc.module.limit);
	sym_resolver__free(r);
}

/* Copies libfx.so and overwrites bytes at a file offset. */
static void patch_copy(const char *to, uint64_t off, const void *bytes, size_t len,
		       uint64_t truncate_to)
{
	int fd;

	assert_int_equal(run("cp '%s' '%s'", fx("libfx.so"), to), 0);
	fd = open(to, O_RDWR);
	assert_true(fd >= 0);
	if (len)
		assert_int_equal(pwrite(fd, bytes, len, (off_t)off), (ssize_t)len);
	if (truncate_to)
		assert_int_equal(ftruncate(fd, (off_t)truncate_to), 0);
	close(fd);
}

/* File offset of a field in the header of .symtab, or of the string table it links to. */
static uint64_t symtab_header_field(const char *file, bool strtab, size_t field_off)
{
	Elf64_Ehdr eh;
	Elf64_Shdr sh;
	uint64_t found = 0;
	int fd = open(file, O_RDONLY);

	assert_true(fd >= 0);
	assert_int_equal(pread(fd, &eh, sizeof(eh), 0), sizeof(eh));
	for (int i = 0; i < eh.e_shnum && !found; i++) {
		uint64_t at = eh.e_shoff + (uint64_t)i * sizeof(sh);

		assert_int_equal(pread(fd, &sh, sizeof(sh), (off_t)at), sizeof(sh));
		if (sh.sh_type != SHT_SYMTAB)
			continue;
		found = (strtab ? eh.e_shoff + (uint64_t)sh.sh_link * sizeof(sh) : at) + field_off;
	}
	close(fd);
	assert_true(found);
	return found;
}

/* Corrupt files mapped by a fake process: named module+0xOFF, never a crash. */
static void test_corrupt_elf(void **state)
{
	static const uint64_t huge = 1ull << 40, past_eof = 1ull << 30;
	static const uint16_t many = 0xffff, zero = 0;
	char proc[PATH_MAX], maps[16384], garbage[8192], want[128];
	struct sym_resolver *r;
	struct sym_location loc;
	const char *names[] = {"garbage", "truncated", "shoff", "shnum", "xshnum", "symsize",
			       "stroff", "strsize", "empty"};
	size_t used = 0, n = sizeof(names) / sizeof(names[0]);

	skip_without_cc();
	srand(42);
	for (size_t i = 0; i < sizeof(garbage); i++)
		garbage[i] = (char)rand();
	memcpy(garbage, "\177ELF\2\1\1", 7); /* looks like ELF, is not */
	write_file(fx("garbage"), garbage, sizeof(garbage));
	patch_copy(fx("truncated"), 0, NULL, 0, 4096 + 512);
	patch_copy(fx("shoff"), offsetof(Elf64_Ehdr, e_shoff), &past_eof, 8, 0);
	patch_copy(fx("shnum"), offsetof(Elf64_Ehdr, e_shnum), &many, 2, 0);
	/* e_shnum 0: the count is read from section 0, which claims 2^40. */
	patch_copy(fx("xshnum"), offsetof(Elf64_Ehdr, e_shnum), &zero, 2, 0);
	{
		Elf64_Ehdr eh;
		int fd = open(fx("xshnum"), O_RDWR);

		assert_int_equal(pread(fd, &eh, sizeof(eh), 0), sizeof(eh));
		assert_int_equal(pwrite(fd, &huge, 8, (off_t)(eh.e_shoff +
							 offsetof(Elf64_Shdr, sh_size))), 8);
		close(fd);
	}
	patch_copy(fx("symsize"), symtab_header_field(fx("libfx.so"), false,
						      offsetof(Elf64_Shdr, sh_size)), &huge, 8, 0);
	patch_copy(fx("stroff"), symtab_header_field(fx("libfx.so"), true,
						     offsetof(Elf64_Shdr, sh_offset)), &past_eof, 8, 0);
	/* A string table cut short: names that start in it have no NUL before its end. */
	{
		uint64_t cut = 3;

		patch_copy(fx("strsize"), symtab_header_field(fx("libfx.so"), true,
							      offsetof(Elf64_Shdr, sh_size)), &cut, 8, 0);
	}
	write_file(fx("empty"), "", 0);

	for (size_t i = 0; i < n; i++) {
		struct stat st;

		assert_int_equal(stat(fx(names[i]), &st), 0);
		used += snprintf(maps + used, sizeof(maps) - used,
				 "%zx-%zx r-xp 00001000 08:01 %llu %s\n", (i + 1) << 20,
				 ((i + 1) << 20) + 0x2000, (unsigned long long)st.st_ino,
				 fx(names[i]));
	}
	pathf(proc, "%s/proc-corrupt", dir);
	fake_proc(proc, 102, 1, NULL, maps);
	r = new_resolver(proc, 0);
	assert_int_equal(sym_resolver__add_process(r, 102), 0);
	for (size_t i = 0; i < n; i++) {
		uint64_t a = ((i + 1) << 20) + 0x123, off, start;

		assert_int_equal(sym_resolver__resolve(r, 102, a, false, &loc), 0);
		assert_int_equal(loc.file_offset, 0x1123);
		/* Damage to .symtab alone leaves .dynsym, which names exported functions. */
		if (loc.reason == SYM_OK && i >= 5 && i <= 7)
			continue;
		/*
		 * Where libelf takes the file and its program headers are whole, .eh_frame_hdr
		 * still says where functions start (libelf refuses xshnum's 2^40 sections).
		 */
		off = 0x1123;
		if (i >= 2 && i <= 7 && i != 4 &&
		    readelf_fde_start(fx("libfx.so"), loc.address, &start))
			off = start + (loc.file_offset - loc.address);
		snprintf(want, sizeof(want), "%s+0x%" PRIx64, names[i], off);
		assert_string_equal(loc.frames[0].name, want);
		assert_int_equal(loc.reason, SYM_NO_SYMBOLS);
	}
	sym_resolver__free(r);
}

static void test_fallbacks(void **state)
{
	char proc[PATH_MAX], maps[PATH_MAX + 1024];
	struct sym_resolver *r;
	struct sym_location loc;

	pathf(proc, "%s/proc-fallback", dir);
	snprintf(maps, sizeof(maps),
		 "10000-12000 r-xp 00002000 08:01 99 %s/does-not-exist.so\n"
		 "20000-21000 r-xp 00000000 00:00 0 \n"
		 "30000-31000 r-xp 00000000 00:00 0 [anon:jit zone]\n"
		 "ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0 [vsyscall]\n",
		 dir);
	fake_proc(proc, 103, 1, NULL, maps);
	r = new_resolver(proc, 0);
	assert_int_equal(sym_resolver__add_process(r, 103), 0);
	expect_frame(r, 103, 0x10010, false, "does-not-exist.so+0x2010", SYM_NO_FILE, &loc);
	assert_int_equal(loc.file_offset, 0x2010);
	assert_int_equal(loc.address, 0x2010);
	expect_frame(r, 103, 0x20010, false, "[anon]+0x10", SYM_NO_SYMBOLS, &loc);
	assert_string_equal(loc.module.path, "[anon]");
	assert_int_equal(loc.address, 0x20010);
	expect_frame(r, 103, 0x30010, true, "[anon:jit zone]+0xf", SYM_NO_SYMBOLS, &loc);
	expect_frame(r, 103, 0xffffffffff600400, false, "[vsyscall]+0x400", SYM_NO_SYMBOLS,
		     &loc);
	expect_frame(r, 103, 0x50000, false, "[unknown]", SYM_UNMAPPED, &loc);
	assert_null(loc.module.path);
	expect_frame(r, 104, 0x10010, false, "[process unknown]", SYM_PROCESS_GONE, &loc);
	assert_int_equal(sym_resolver__add_process(r, 104), -ESRCH);
	sym_resolver__free(r);
}

/* Same pid, another start time: another process, another snapshot. */
static void test_pid_reuse(void **state)
{
	char proc[PATH_MAX], maps_a[4096], maps_b[4096];
	struct sym_resolver *r;
	struct sym_location loc;
	uint64_t value, size;

	skip_without_cc();
	pathf(proc, "%s/proc-reuse", dir);
	maps_for_elf(fx("libfx.so"), 0x7f0000000000, maps_a, sizeof(maps_a));
	maps_for_elf(fx("libfx_stripped.so"), 0x7f0000000000, maps_b, sizeof(maps_b));
	nm_symbol(fx("libfx.so"), "fx_lib_static", &value, &size);
	fake_proc(proc, 105, 1000, NULL, maps_a);
	r = new_resolver(proc, 0);
	assert_int_equal(sym_resolver__add_process(r, 105), 0);
	expect_frame(r, 105, 0x7f0000000000 + value, false, "fx_lib_static", SYM_OK, &loc);
	/* Same start time: the snapshot stands even though the maps file changed. */
	fake_proc(proc, 105, 1000, NULL, maps_b);
	assert_int_equal(sym_resolver__add_process(r, 105), 0);
	expect_frame(r, 105, 0x7f0000000000 + value, false, "fx_lib_static", SYM_OK, &loc);
	/* A new start time: the stripped library is what this process maps. */
	fake_proc(proc, 105, 2000, NULL, maps_b);
	assert_int_equal(sym_resolver__add_process(r, 105), 0);
	assert_int_equal(sym_resolver__resolve(r, 105, 0x7f0000000000 + value, false, &loc), 0);
	assert_int_equal(loc.reason, SYM_NO_SYMBOLS);
	assert_string_equal(loc.module.path, fx("libfx_stripped.so"));
	/* refresh_process always reads again. */
	fake_proc(proc, 105, 2000, NULL, maps_a);
	assert_int_equal(sym_resolver__refresh_process(r, 105), 0);
	expect_frame(r, 105, 0x7f0000000000 + value, false, "fx_lib_static", SYM_OK, &loc);
	sym_resolver__free(r);
}

/* An address the snapshot does not know makes a live process's maps be read again. */
static void test_rescan(void **state)
{
	char proc[PATH_MAX], maps[8192];
	struct sym_resolver *r;
	struct sym_location loc;
	uint64_t value, size;
	size_t len;

	skip_without_cc();
	pathf(proc, "%s/proc-rescan", dir);
	maps_for_elf(fx("libfx.so"), 0x7f0000000000, maps, sizeof(maps));
	fake_proc(proc, 106, 1, NULL, maps);
	r = new_resolver(proc, 0);
	assert_int_equal(sym_resolver__add_process(r, 106), 0);
	nm_symbol(fx("libfx.so"), "fx_lib_func", &value, &size);
	len = strlen(maps);
	maps_for_elf(fx("libfx_other.so"), 0x7f5000000000, maps + len, sizeof(maps) - len);
	fake_proc(proc, 106, 1, NULL, maps);
	/* The first unknown address since the snapshot reads again at once (libraries may have
	 * been mapping while it was taken). */
	expect_frame(r, 106, 0x7f5000000000 + value, false, "fx_lib_func", SYM_OK, &loc);
	assert_string_equal(loc.module.path, fx("libfx_other.so"));
	len = strlen(maps);
	maps_for_elf(fx("libfx_other.so"), 0x7f6000000000, maps + len, sizeof(maps) - len);
	fake_proc(proc, 106, 1, NULL, maps);
	/* Later ones within SYM_RESCAN_NS of the last read: no new read. */
	expect_frame(r, 106, 0x7f6000000000 + value, false, "[unknown]", SYM_UNMAPPED, &loc);
	usleep(SYM_RESCAN_NS / 1000 + 100000);
	expect_frame(r, 106, 0x7f6000000000 + value, false, "fx_lib_func", SYM_OK, &loc);
	assert_string_equal(loc.module.path, fx("libfx_other.so"));
	expect_frame(r, 106, 0x7f0000000000 + value, false, "fx_lib_func", SYM_OK, &loc);
	sym_resolver__free(r);
}

/*
 * An exited process that is not reaped yet keeps its stat but maps nothing: a rescan then must
 * not replace the snapshot, or every sample of its last window becomes [unknown].
 */
static void test_rescan_zombie(void **state)
{
	char proc[PATH_MAX];
	struct sym_resolver *r;
	struct sym_location loc;
	uint64_t value, size;

	skip_without_cc();
	r = fake_process(proc, "zombie", 108, fx("libfx.so"), 0x7f0000000000);
	nm_symbol(fx("libfx.so"), "fx_lib_func", &value, &size);
	fake_proc(proc, 108, 1, NULL, "");
	usleep(SYM_RESCAN_NS / 1000 + 100000);
	/* The unknown address triggers the rescan, which finds no mm. */
	expect_frame(r, 108, 0x7e0000000000, false, "[unknown]", SYM_UNMAPPED, &loc);
	expect_frame(r, 108, 0x7f0000000000 + value, false, "fx_lib_func", SYM_OK, &loc);
	sym_resolver__free(r);
}

/* The mapping the loader makes of file's code (its executable PT_LOAD) at base, as the kernel
 * reports it. */
static void kernel_map_of(const char *file, uint64_t base, struct sym_kernel_map *km)
{
	GElf_Phdr load[16];
	size_t n = elf_load_segments(file, load, 16);
	struct stat st;

	assert_int_equal(stat(file, &st), 0);
	memset(km, 0, sizeof(*km));
	for (size_t i = 0; i < n; i++) {
		const GElf_Phdr *ph = &load[i];

		if (!(ph->p_flags & PF_X))
			continue;
		km->start = base + (ph->p_vaddr & ~(uint64_t)0xfff);
		km->end = base + ((ph->p_vaddr + ph->p_memsz + 0xfff) & ~(uint64_t)0xfff);
		km->offset = ph->p_offset & ~(uint64_t)0xfff;
	}
	assert_true(km->end > km->start);
	km->dev = (8u << 20) | 1;
	km->ino = st.st_ino;
	km->path = file;
}

/* A process gone before its snapshot is named from the mappings the kernel reported. */
static void test_history(void **state)
{
	char proc[PATH_MAX], maps[16384];
	struct sym_kernel_map km[2];
	struct sym_resolver *r;
	struct sym_location loc;
	uint64_t value, size, base = 0x7f0000000000, base2 = 0x7f1000000000;

	skip_without_cc();
	pathf(proc, "%s/proc-history", dir);
	mkdirs(proc);
	r = new_resolver(proc, 0);
	nm_symbol(fx("libfx.so"), "fx_lib_func", &value, &size);
	assert_int_equal(sym_resolver__add_process(r, 111), -ESRCH);
	kernel_map_of(fx("libfx.so"), base, &km[0]);
	km[1] = (struct sym_kernel_map){.start = 0x7fff00000000, .end = 0x7fff00002000};
	assert_int_equal(sym_resolver__add_history(r, 111, km, 2), 0);
	expect_frame(r, 111, base + value, false, "fx_lib_func", SYM_OK, &loc);
	assert_string_equal(loc.module.path, fx("libfx.so"));
	/* Only an address in no mapping is [unknown]. */
	expect_frame(r, 111, 0x7e0000000000, false, "[unknown]", SYM_UNMAPPED, &loc);

	/* A file replaced since (another inode at the path) is not used: module+0xOFF. */
	km[0].ino++;
	assert_int_equal(sym_resolver__add_history(r, 112, km, 1), 0);
	assert_int_equal(sym_resolver__resolve(r, 112, base + value, false, &loc), 0);
	assert_int_equal(loc.reason, SYM_NO_FILE);
	km[0].ino--;

	/* A snapshot read before the library was mapped gets it from the history. */
	fake_proc(proc, 113, 1, NULL, "");
	assert_int_equal(sym_resolver__add_process(r, 113), 0);
	assert_int_equal(sym_resolver__add_history(r, 113, km, 1), 0);
	expect_frame(r, 113, base + value, false, "fx_lib_func", SYM_OK, &loc);

	/* A live process learns a library loaded since its snapshot; an unknown one is refused. */
	kernel_map_of(fx("libfx.so"), base, &km[0]);
	assert_int_equal(sym_resolver__update_maps(r, 115, km, 1), -ESRCH);
	fake_proc(proc, 115, 1, NULL, "");
	assert_int_equal(sym_resolver__add_process(r, 115), 0);
	assert_int_equal(sym_resolver__update_maps(r, 115, km, 1), 0);
	expect_frame(r, 115, base + value, false, "fx_lib_func", SYM_OK, &loc);

	/* A snapshot of another image (before exec) loses what the history contradicts and keeps
	 * the rest. */
	maps_for_elf(fx("libfx.so"), base, maps, sizeof(maps));
	maps_for_elf(fx("libfx.so"), base2, maps + strlen(maps), sizeof(maps) - strlen(maps));
	fake_proc(proc, 114, 1, NULL, maps);
	assert_int_equal(sym_resolver__add_process(r, 114), 0);
	kernel_map_of(fx("fx_pie"), base, &km[0]);
	assert_int_equal(sym_resolver__add_history(r, 114, km, 1), 0);
	assert_int_equal(sym_resolver__resolve(r, 114, km[0].start, false, &loc), 0);
	assert_string_equal(loc.module.path, fx("fx_pie"));
	expect_frame(r, 114, base2 + value, false, "fx_lib_func", SYM_OK, &loc);
	sym_resolver__free(r);
}

/* Read in the middle of an exec, a snapshot maps nothing yet; the next lookup reads again. */
static void test_empty_snapshot_rescans_at_once(void **state)
{
	char proc[PATH_MAX], maps[8192];
	struct sym_resolver *r;
	struct sym_location loc;
	uint64_t value, size;

	skip_without_cc();
	pathf(proc, "%s/proc-midexec", dir);
	fake_proc(proc, 109, 1, NULL, "");
	r = new_resolver(proc, 0);
	assert_int_equal(sym_resolver__add_process(r, 109), 0);
	maps_for_elf(fx("libfx.so"), 0x7f0000000000, maps, sizeof(maps));
	fake_proc(proc, 109, 1, NULL, maps);
	nm_symbol(fx("libfx.so"), "fx_lib_func", &value, &size);
	expect_frame(r, 109, 0x7f0000000000 + value, false, "fx_lib_func", SYM_OK, &loc);
	sym_resolver__free(r);
}

/* A container: paths resolve inside its root, absolute symlinks included. */
static void test_container_root(void **state)
{
	char proc[PATH_MAX], maps[4096], root[PATH_MAX], path[PATH_MAX];
	struct sym_resolver *r;
	struct sym_location loc;
	uint64_t value, size;
	struct stat st;
	size_t used;

	skip_without_cc();
	pathf(proc, "%s/proc-ctr", dir);
	pathf(root, "%s/ctr", dir);
	pathf(path, "%s/opt", root);
	mkdirs(path);
	pathf(path, "%s/opt/libfx.so", root);
	assert_int_equal(run("cp '%s' '%s'", fx("libfx.so"), path), 0);
	/* /opt/libfx.so in the container: a different file from any host path. */
	maps_for_elf(path, 0x7f0000000000, maps, sizeof(maps));
	{
		char *at = strstr(maps, root);

		while (at) {
			memmove(at, at + strlen(root), strlen(at + strlen(root)) + 1);
			at = strstr(at, root);
		}
	}
	/* A symlink that escapes on the host but not inside the root. */
	pathf(path, "%s/opt/escape.so", root);
	assert_int_equal(symlink(fx("libfx_other.so"), path), 0);
	assert_int_equal(stat(fx("libfx_other.so"), &st), 0);
	used = strlen(maps);
	snprintf(maps + used, sizeof(maps) - used,
		 "7f9000000000-7f9000002000 r-xp 00001000 08:01 %llu /opt/escape.so\n",
		 (unsigned long long)st.st_ino);
	fake_proc(proc, 107, 1, NULL, maps);
	pathf(path, "%s/107/root", proc);
	assert_int_equal(symlink(root, path), 0);
	pathf(path, "%s/107/ns", proc);
	mkdirs(path);
	pathf(path, "%s/107/ns/mnt", proc);
	assert_int_equal(symlink("/proc/self/ns/mnt", path), 0);
	r = new_resolver(proc, 0);
	assert_int_equal(sym_resolver__add_process(r, 107), 0);
	assert_int_equal(sym_procs__find(&r->procs, 107)->root, SYM_ROOT_OTHER);
	nm_symbol(fx("libfx.so"), "fx_lib_func", &value, &size);
	expect_frame(r, 107, 0x7f0000000000 + value, false, "fx_lib_func", SYM_OK, &loc);
	assert_string_equal(loc.module.path, "/opt/libfx.so");
	expect_frame(r, 107, 0x7f9000000010, false, "escape.so+0x1010", SYM_NO_FILE, &loc);
	sym_resolver__free(r);
}

/* --- symbol tables --- */

#define MANY_FUNCS 3000
#define LONG_NAME (SYM_NAME_MAX + 4000)

/*
 * A string table several read windows long (3,000 names of 60 bytes) and one name longer than
 * SYM_NAME_MAX: every function keeps its own name, and the long one is cut, not dropped.
 */
static void test_symtab_streamed(void **state)
{
	char src[PATH_MAX], lib[PATH_MAX], name[128];
	struct sym_elf e;
	size_t found = 0, cut = 0;
	uint64_t value, size;
	char *longname;
	FILE *f;
	int fd;

	(void)state;
	skip_without_cc();
	pathf(src, "%s", fx("many.c"));
	pathf(lib, "%s", fx("libmany.so"));
	longname = malloc(LONG_NAME + 1);
	assert_non_null(longname);
	memset(longname, 'q', LONG_NAME);
	longname[LONG_NAME] = '\0';
	f = fopen(src, "w");
	assert_non_null(f);
	for (int i = 0; i < MANY_FUNCS; i++)
		fprintf(f, "%svoid fn_%04d_padding_padding_padding_padding_padding(void) {}\n",
			i % 2 ? "static " : "", i);
	/* Static functions stay only if something takes their address. */
	fprintf(f, "void *keep[] = {\n");
	for (int i = 1; i < MANY_FUNCS; i += 2)
		fprintf(f, "fn_%04d_padding_padding_padding_padding_padding,\n", i);
	fprintf(f, "};\nvoid %s(void) {}\n", longname);
	fclose(f);
	assert_int_equal(run("cc -O0 -shared -fPIC -o %s %s", lib, src), 0);
	fd = open(lib, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(sym_elf__read_fd(fd, 64 << 20, &e), 0);
	close(fd);
	assert_non_null(e.symtab);
	for (size_t i = 0; i < e.symtab->n; i++) {
		const char *got = e.symtab->names + e.symtab->syms[i].name;
		int k;

		if (sscanf(got, "fn_%4d_", &k) == 1) {
			snprintf(name, sizeof(name), "fn_%04d_padding_padding_padding_padding_padding", k);
			assert_string_equal(got, name);
			found++;
		} else if (got[0] == 'q') {
			assert_int_equal(strlen(got), SYM_NAME_MAX);
			assert_memory_equal(got, longname, SYM_NAME_MAX);
			cut++;
		}
	}
	assert_int_equal(found, MANY_FUNCS);
	assert_int_equal(cut, 1);
	/* Names sit at their own functions' addresses. */
	for (int k = 0; k < MANY_FUNCS; k += 997) {
		const struct sym_symbol *sym;

		snprintf(name, sizeof(name), "fn_%04d_padding_padding_padding_padding_padding", k);
		nm_symbol(lib, name, &value, &size);
		sym = sym_symtab__find(e.symtab, value);
		assert_non_null(sym);
		assert_string_equal(e.symtab->names + sym->name, name);
	}
	sym_elf__release(&e);
	free(longname);
}

/* Candidates in any order: one per address, sorted, the best rank, then the first name. */
static void test_symtab_builder_order(void **state)
{
	struct sym_symtab_builder b = {0};
	struct sym_symtab *t;
	char name[32];

	(void)state;
	for (uint32_t k = 0; k < 3 * 4000; k++) {
		uint32_t i = (k * 7919u) % 4000; /* addresses out of order */
		static const char *const prefix[] = {"lo", "zz", "aa"};
		static const uint32_t rank[] = {1, 5, 5};
		int len = snprintf(name, sizeof(name), "%s%u", prefix[k % 3], i);

		assert_int_equal(sym_symtab_builder__add(&b, 0x1000 + 16 * (uint64_t)i, 16, name,
							 (size_t)len, rank[k % 3], 0),
				 0);
	}
	sym_symtab_builder__sort(&b);
	assert_int_equal(sym_symtab_builder__finish(&b, 64 << 20, &t), 0);
	sym_symtab_builder__release(&b);
	assert_non_null(t);
	assert_int_equal(t->n, 4000);
	for (uint32_t i = 0; i < 4000; i++) {
		snprintf(name, sizeof(name), "aa%u", i);
		assert_int_equal(t->syms[i].addr, 0x1000 + 16 * (uint64_t)i);
		assert_string_equal(t->names + t->syms[i].name, name);
	}
	sym_symtab__free(t);
}

/* --- kallsyms --- */

static const char kallsyms_text[] =
	"ffffffff81000000 T _stext\n"
	"ffffffff81000000 T srso_alias_untrain_ret\n"
	"ffffffff81000000 t __pi__text\n"
	"ffffffff81000100 T do_syscall_64\n"
	"ffffffff81000200 t local_helper\n"
	"ffffffff81000300 W weak_fn\n"
	"ffffffff81000400 D some_data\n"
	"ffffffff81000480 t _RNvCs15kBYyAo9fc_7mycrate7example\n"
	"ffffffff81000500 T _etext\n"
	"ffffffffc0000000 t ext4_fn\t[ext4]\n"
	"ffffffffc0000100 T ext4_other\t[ext4]\n"
	"ffffffffc0100000 t bpf_prog_6deef7357e7b4530_handler\t[bpf]\n"
	"this is garbage\n"
	"ffffffffzz T bad\n"
	"ffffffff81000600 T\n";

static struct sym_resolver *kernel_resolver(const char *text)
{
	struct sym_resolver_opts o = {0};
	char path[PATH_MAX];
	struct sym_resolver *r;

	pathf(path, "%s/kallsyms", dir);
	write_str(path, text);
	o.kallsyms = path;
	r = sym_resolver__new(&o);
	assert_non_null(r);
	return r;
}

static void test_kallsyms(void **state)
{
	struct sym_resolver *r = kernel_resolver(kallsyms_text);
	struct sym_location loc;

	expect_frame(r, 0, 0xffffffff81000000, false, "srso_alias_untrain_ret", SYM_OK, &loc);
	assert_true(loc.module.kernel);
	assert_string_equal(loc.module.path, "[kernel.kallsyms]");
	assert_int_equal(loc.module.start, 0xffffffff81000000);
	assert_int_equal(loc.module.limit, 0xffffffff81000500);
	expect_frame(r, 0, 0xffffffff81000150, false, "do_syscall_64", SYM_OK, &loc);
	assert_int_equal(loc.address, 0xffffffff81000150);
	expect_frame(r, 0, 0xffffffff81000100, true, "srso_alias_untrain_ret", SYM_OK, &loc);
	assert_int_equal(loc.address, 0xffffffff810000ff);
	expect_frame(r, 0, 0xffffffff81000250, false, "local_helper", SYM_OK, &loc);
	expect_frame(r, 0, 0xffffffff81000450, false, "weak_fn", SYM_OK, &loc); /* data skipped */
	expect_frame(r, 0, 0xffffffff81000490, false, "mycrate::example", SYM_OK, &loc);
	assert_string_equal(loc.frames[0].system_name, "_RNvCs15kBYyAo9fc_7mycrate7example");
	expect_frame(r, 0, 0xffffffff81000600, false, "[unknown]", SYM_UNMAPPED, &loc);
	assert_true(loc.module.kernel);
	expect_frame(r, 0, 0xffffffff80000000, false, "[unknown]", SYM_UNMAPPED, &loc);
	expect_frame(r, 0, 0xffffffffc0000150, false, "ext4_other", SYM_OK, &loc);
	assert_string_equal(loc.module.path, "[ext4]");
	assert_int_equal(loc.module.start, 0xffffffffc0000000);
	assert_null(loc.module.build_id);
	/* Past the last symbol of a module by more than any function: a hole, not ext4_other. */
	expect_frame(r, 0, 0xffffffffc0080000, false, "[unknown]", SYM_UNMAPPED, &loc);
	expect_frame(r, 0, 0xffffffffc0100010, false, "bpf_prog_6deef7357e7b4530_handler", SYM_OK,
		     &loc);
	assert_string_equal(loc.module.path, "[bpf]");
	assert_int_equal(r->kernel->bad_lines, 3);
	/* Dropped, the kernel's symbols are read again at the next kernel address. */
	sym_resolver__drop_kernel(r);
	assert_null(r->kernel);
	expect_frame(r, 0, 0xffffffffc0000150, false, "ext4_other", SYM_OK, &loc);
	assert_non_null(r->kernel);
	sym_resolver__free(r);
}

static void test_kallsyms_hidden(void **state)
{
	struct sym_resolver *r = kernel_resolver("0000000000000000 T _stext\n"
						 "0000000000000000 T do_syscall_64\n"
						 "0000000000000000 t ext4_fn\t[ext4]\n");
	struct sym_location loc;

	expect_frame(r, 0, 0xffffffff81000150, false, "[unknown]", SYM_UNMAPPED, &loc);
	assert_true(loc.module.kernel);
	assert_true(r->kernel->hidden);
	expect_frame(r, 0, 0, false, "[unknown]", SYM_UNMAPPED, &loc);
	sym_resolver__free(r);
}

static void test_kallsyms_missing(void **state)
{
	struct sym_resolver_opts o = {.kallsyms = "/nonexistent/kallsyms"};
	struct sym_resolver *r = sym_resolver__new(&o);
	struct sym_location loc;

	assert_non_null(r);
	expect_frame(r, 0, 0xffffffff81000150, false, "[unknown]", SYM_UNMAPPED, &loc);
	expect_frame(r, 0, 0xffffffff81000150, false, "[unknown]", SYM_UNMAPPED, &loc);
	sym_resolver__free(r);
}

static void test_kallsyms_real(void **state)
{
	struct sym_kallsyms *k;

	/* The running kernel's table parses; names depend on kptr_restrict and privileges. */
	if (access("/proc/kallsyms", R_OK))
		skip_because("/proc/kallsyms is not readable");
	assert_int_equal(sym_kallsyms__load("/proc/kallsyms", "/sys/kernel/notes", &k), 0);
	assert_int_equal(k->bad_lines, 0);
	assert_true(k->hidden || k->syms->n > 1000);
	sym_kallsyms__free(k);
}

/* --- perf maps --- */

static const char perf_map_text[] =
	"7f0000000100 40 jit_one\n"
	"0x7f0000000200 0x40 Interpreter::call stub (with spaces)\n"
	"7f0000000300 zz bad size\n"
	"not a line at all\n"
	"7f0000000400 0 zero_size\n"
	"7f0000000500 20 _ZN3foo3barEv\r\n"
	"7f0000200000 100 outside_mappings\n"
	"7f0000000100 10 jit_one_recompiled\n";

static const char jit_maps[] = "7f0000000000-7f0000010000 rwxp 00000000 00:00 0 \n"
			       "7f0000100000-7f0000101000 r-xp 00000000 00:00 0 [anon:jit]\n";

/* A process with JIT code whose pid in its namespace is nspid; root "/" (same as ours). */
static void jit_proc(const char *proc, pid_t pid, pid_t nspid, uid_t uid)
{
	char status[256], path[PATH_MAX];

	snprintf(status, sizeof(status), "Name:\tjit\nNSpid:\t%d\t%d\nUid:\t%u\t%u\t%u\t%u\n",
		 (int)pid, (int)nspid, uid, uid, uid, uid);
	fake_proc(proc, pid, 1, status, jit_maps);
	pathf(path, "%s/%d/root", proc, (int)pid);
	unlink(path);
	assert_int_equal(symlink("/", path), 0);
	pathf(path, "%s/%d/ns", proc, (int)pid);
	mkdirs(path);
	pathf(path, "%s/%d/ns/mnt", proc, (int)pid);
	unlink(path);
	assert_int_equal(symlink("/proc/self/ns/mnt", path), 0);
}

static struct sym_resolver *perf_resolver(const char *proc, const char *perf_dir)
{
	struct sym_resolver_opts o = {.proc_root = proc, .perf_map_dir = perf_dir};
	struct sym_resolver *r = sym_resolver__new(&o);

	assert_non_null(r);
	return r;
}

static void test_perf_map(void **state)
{
	char proc[PATH_MAX], perf[PATH_MAX], path[PATH_MAX];
	struct sym_resolver *r;
	struct sym_location loc;

	pathf(proc, "%s/proc-jit", dir);
	pathf(perf, "%s/perfmaps", dir);
	mkdirs(perf);
	jit_proc(proc, 200, 17, 0);
	pathf(path, "%s/perf-17.map", perf);
	write_str(path, perf_map_text);
	r = perf_resolver(proc, perf);
	assert_int_equal(sym_resolver__add_process(r, 200), 0);
	assert_int_equal(sym_procs__find(&r->procs, 200)->root, SYM_ROOT_SAME);
	expect_frame(r, 200, 0x7f0000000108, false, "jit_one_recompiled", SYM_OK, &loc);
	assert_string_equal(loc.module.path, "[anon]");
	assert_int_equal(loc.address, 0x7f0000000108);
	assert_int_equal(sym_procs__find(&r->procs, 200)->perfmap->bad_lines, 3);
	expect_frame(r, 200, 0x7f0000000220, false, "Interpreter::call stub (with spaces)", SYM_OK,
		     &loc);
	expect_frame(r, 200, 0x7f0000000510, false, "foo::bar()", SYM_OK, &loc);
	assert_string_equal(loc.frames[0].system_name, "_ZN3foo3barEv");
	expect_frame(r, 200, 0x7f0000000450, false, "[anon]+0x450", SYM_NO_SYMBOLS, &loc);
	/* Outside every mapping, the perf map is the last resort. */
	expect_frame(r, 200, 0x7f0000200010, false, "outside_mappings", SYM_OK, &loc);
	/* JITs append: a miss reads the map again once it changed. */
	expect_frame(r, 200, 0x7f0000000610, false, "[anon]+0x610", SYM_NO_SYMBOLS, &loc);
	usleep(SYM_PERFMAP_RECHECK_NS / 1000 + 50000);
	{
		FILE *f = fopen(path, "a");

		assert_non_null(f);
		fputs("7f0000000600 40 compiled_later\n", f);
		fclose(f);
	}
	expect_frame(r, 200, 0x7f0000000610, false, "compiled_later", SYM_OK, &loc);
	sym_resolver__free(r);
}

static void test_perf_map_trust(void **state)
{
	char proc[PATH_MAX], perf[PATH_MAX], path[PATH_MAX], target[PATH_MAX];
	struct sym_resolver *r;
	struct sym_location loc;

	if (geteuid())
		skip_because("needs root to chown a perf map to another user");
	pathf(proc, "%s/proc-jit-trust", dir);
	pathf(perf, "%s/perfmaps-trust", dir);
	mkdirs(perf);
	pathf(target, "%s/real.map", perf);
	write_str(target, perf_map_text);
	/* A symlink, even to a good map. */
	jit_proc(proc, 300, 30, 0);
	pathf(path, "%s/perf-30.map", perf);
	assert_int_equal(symlink(target, path), 0);
	/* Another user's file. */
	jit_proc(proc, 301, 31, 0);
	pathf(path, "%s/perf-31.map", perf);
	write_str(path, perf_map_text);
	assert_int_equal(chown(path, 12345, 12345), 0);
	/* The process's own user's file. */
	jit_proc(proc, 302, 32, 12345);
	pathf(path, "%s/perf-32.map", perf);
	write_str(path, perf_map_text);
	assert_int_equal(chown(path, 12345, 12345), 0);
	/* A FIFO: never opened for reading in a way that blocks. */
	jit_proc(proc, 303, 33, 0);
	pathf(path, "%s/perf-33.map", perf);
	assert_int_equal(mkfifo(path, 0600), 0);
	/* A directory. */
	jit_proc(proc, 304, 34, 0);
	pathf(path, "%s/perf-34.map", perf);
	mkdirs(path);

	r = perf_resolver(proc, perf);
	for (pid_t pid = 300; pid <= 304; pid++) {
		assert_int_equal(sym_resolver__add_process(r, pid), 0);
		if (pid == 302)
			expect_frame(r, pid, 0x7f0000000108, false, "jit_one_recompiled", SYM_OK,
				     &loc);
		else
			expect_frame(r, pid, 0x7f0000000108, false, "[anon]+0x108", SYM_NO_SYMBOLS,
				     &loc);
	}
	sym_resolver__free(r);
}

/* A container's perf map is its /tmp's, named by its own pid, with symlinks kept inside. */
static void test_perf_map_container(void **state)
{
	char proc[PATH_MAX], perf[PATH_MAX], path[PATH_MAX], root[PATH_MAX], host[PATH_MAX];
	struct sym_resolver *r;
	struct sym_location loc;

	pathf(proc, "%s/proc-jit-ctr", dir);
	pathf(perf, "/tmp");
	for (pid_t pid = 400; pid <= 401; pid++) {
		char status[128];

		snprintf(status, sizeof(status), "NSpid:\t%d\t1\nUid:\t0\t0\t0\t0\n", (int)pid);
		fake_proc(proc, pid, 1, status, jit_maps);
		pathf(root, "%s/ctr-%d", dir, (int)pid);
		pathf(path, "%s/%d/root", proc, (int)pid);
		assert_int_equal(symlink(root, path), 0);
		pathf(path, "%s/%d/ns", proc, (int)pid);
		mkdirs(path);
		pathf(path, "%s/%d/ns/mnt", proc, (int)pid);
		assert_int_equal(symlink("/proc/self/ns/mnt", path), 0);
	}
	/* 400: a real map in the container's /tmp. */
	pathf(path, "%s/ctr-400/tmp", dir);
	mkdirs(path);
	pathf(path, "%s/ctr-400/tmp/perf-1.map", dir);
	write_str(path, perf_map_text);
	/* 401: its /tmp is an absolute symlink to a host directory holding a good map. */
	pathf(host, "%s/host-tmp", dir);
	mkdirs(host);
	pathf(path, "%s/perf-1.map", host);
	write_str(path, perf_map_text);
	pathf(path, "%s/ctr-401", dir);
	mkdirs(path);
	pathf(path, "%s/ctr-401/tmp", dir);
	assert_int_equal(symlink(host, path), 0);

	r = perf_resolver(proc, perf);
	assert_int_equal(sym_resolver__add_process(r, 400), 0);
	assert_int_equal(sym_resolver__add_process(r, 401), 0);
	expect_frame(r, 400, 0x7f0000000108, false, "jit_one_recompiled", SYM_OK, &loc);
	expect_frame(r, 401, 0x7f0000000108, false, "[anon]+0x108", SYM_NO_SYMBOLS, &loc);
	sym_resolver__free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_linereader),
		cmocka_unit_test(test_maps_parse_line),
		cmocka_unit_test(test_maps_read),
		cmocka_unit_test(test_maps_many),
		cmocka_unit_test(test_demangle),
		cmocka_unit_test(test_dcache),
		cmocka_unit_test(test_process_pie),
		cmocka_unit_test(test_process_nopie),
		cmocka_unit_test(test_process_shared_lib),
		cmocka_unit_test(test_history),
		cmocka_unit_test(test_process_deleted_binary),
		cmocka_unit_test(test_process_memfd),
		cmocka_unit_test(test_symbols_read_when_named),
		cmocka_unit_test(test_defer_names),
		cmocka_unit_test(test_eviction),
		cmocka_unit_test(test_forget_idle),
		cmocka_unit_test(test_vdso),
		cmocka_unit_test(test_fake_lib_layouts),
		cmocka_unit_test(test_stripped_cfi_starts),
		cmocka_unit_test(test_fake_nopie),
		cmocka_unit_test(test_corrupt_elf),
		cmocka_unit_test(test_fallbacks),
		cmocka_unit_test(test_pid_reuse),
		cmocka_unit_test(test_rescan),
		cmocka_unit_test(test_rescan_zombie),
		cmocka_unit_test(test_empty_snapshot_rescans_at_once),
		cmocka_unit_test(test_container_root),
		cmocka_unit_test(test_symtab_streamed),
		cmocka_unit_test(test_symtab_builder_order),
		cmocka_unit_test(test_kallsyms),
		cmocka_unit_test(test_kallsyms_hidden),
		cmocka_unit_test(test_kallsyms_missing),
		cmocka_unit_test(test_kallsyms_real),
		cmocka_unit_test(test_perf_map),
		cmocka_unit_test(test_perf_map_trust),
		cmocka_unit_test(test_perf_map_container),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
