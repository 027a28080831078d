// SPDX-License-Identifier: MIT
/*
 * What profd costs in memory: its resident set, and the kernel memory its BPF maps hold. The
 * second is not in the first (the maps are charged to memlock, not to the process) and can be
 * the larger, so both are reported: with -v at the end of a run and in /metrics.
 */
#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "common/log.h"
#include "profiler/sampling_internal.h"
#include "profiler/session_internal.h"

#define LINE_MAX_FIELD 256
#define HEAP_MMAP_THRESHOLD (256 << 10)
#define HEAP_ARENAS 2
#define HEAP_TRIM_THRESHOLD (128 << 10) /* glibc's default */
#define HEAP_PREFAULT_MAX (32 << 20)    /* glibc's largest mmap threshold */
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

/* The "memlock:" line of /proc/self/fdinfo/FD, what `bpftool map show` prints for a map. */
static uint64_t map_memlock(int fd)
{
	char path[64], line[LINE_MAX_FIELD];
	unsigned long long v = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "memlock: %llu", &v) == 1)
			break;
	fclose(f);
	return v;
}

uint64_t prof_bpf_map_bytes(const struct bpf_object *obj)
{
	const struct bpf_map *m;
	uint64_t sum = 0;

	bpf_object__for_each_map(m, obj)
		if (bpf_map__fd(m) >= 0)
			sum += map_memlock(bpf_map__fd(m));
	return sum;
}

int prof_footprint__read(struct prof_footprint *out, uint64_t bpf_bytes)
{
	char line[LINE_MAX_FIELD];
	unsigned long long kib;
	FILE *f = fopen("/proc/self/status", "re");

	memset(out, 0, sizeof(*out));
	out->bpf_bytes = bpf_bytes;
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "VmRSS: %llu kB", &kib) == 1)
			out->rss_bytes = kib << 10;
		else if (sscanf(line, "VmHWM: %llu kB", &kib) == 1)
			out->peak_rss_bytes = kib << 10;
	}
	fclose(f);
	return 0;
}

void prof_trim_heap(void)
{
	mallopt(M_MMAP_THRESHOLD, HEAP_MMAP_THRESHOLD);
	mallopt(M_TRIM_THRESHOLD, HEAP_TRIM_THRESHOLD);
	malloc_trim(0);
}

void prof_trim_heap_over(size_t slack)
{
	struct mallinfo2 mi = mallinfo2();

	if (mi.fordblks > slack)
		prof_trim_heap();
}

/* Big blocks are mapped again; the heap stays until prof_trim_heap(), after sampling starts. */
void prof_heap_prefault_done(void)
{
	mallopt(M_MMAP_THRESHOLD, HEAP_MMAP_THRESHOLD);
}

void prof_heap_prefault(size_t bytes)
{
	uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE), start, end;
	char *p;

	if (bytes > HEAP_PREFAULT_MAX)
		bytes = HEAP_PREFAULT_MAX;
	/* Until prof_trim_heap(): big blocks from the heap, and the heap kept when freed. */
	mallopt(M_MMAP_THRESHOLD, HEAP_PREFAULT_MAX);
	mallopt(M_TRIM_THRESHOLD, HEAP_PREFAULT_MAX);
	p = malloc(bytes);
	if (!p)
		return;
	start = ((uintptr_t)p + page - 1) & ~(page - 1);
	end = ((uintptr_t)p + bytes) & ~(page - 1);
	/*
	 * In 4 KiB pages, not huge ones: on a virtual machine that reports free memory to its host
	 * (virtio-balloon), the free 2 MiB blocks a huge page takes are the ones the host took back,
	 * and touching them again cost up to 27 ms here against 5 to 11 in small pages. Failing
	 * (a kernel before 5.14) only leaves the faults to come one by one.
	 */
	if (end > start)
		madvise((void *)start, end - start, MADV_POPULATE_WRITE);
	free(p);
}

void prof_bound_heap(void)
{
	/*
	 * Fixed, not glibc's sliding threshold: once a big block is freed, that one rises to its
	 * size, and kallsyms' and DWARF's multi-megabyte buffers then come from the heap, where
	 * freeing them leaves holes, instead of from mappings that go back at once.
	 */
	mallopt(M_MMAP_THRESHOLD, HEAP_MMAP_THRESHOLD);
	/* The page's, the fetcher's and the push threads allocate little: no arena each. */
	mallopt(M_ARENA_MAX, HEAP_ARENAS);
}

int prof_footprint__metrics(const struct prof_footprint *fp, struct profd_strbuf *sb)
{
	static const char *const fmt = "# HELP %s %s\n# TYPE %s gauge\n%s %llu\n";
	static const struct {
		const char *name, *help;
	} m[] = {
		{"profd_resident_memory_bytes", "Resident set size of profd."},
		{"profd_resident_memory_peak_bytes", "Largest resident set size of profd so far."},
		{"profd_bpf_map_bytes", "Kernel memory held by profd's BPF maps (their memlock)."},
	};
	const unsigned long long v[] = {fp->rss_bytes, fp->peak_rss_bytes, fp->bpf_bytes};
	int err = 0;

	for (size_t i = 0; i < sizeof(m) / sizeof(m[0]) && !err; i++)
		err = profd_strbuf_printf(sb, fmt, m[i].name, m[i].help, m[i].name, m[i].name, v[i]);
	return err;
}

double prof_cpu_ms(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru))
		return 0;
	return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
	       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
}

void prof_footprint__log(const struct prof_footprint *fp)
{
	pr_debug("footprint: RSS %.1f MiB (peak %.1f MiB), BPF maps %.1f MiB (kernel memory, "
		 "apart from RSS)",
		 fp->rss_bytes / 1048576.0, fp->peak_rss_bytes / 1048576.0,
		 fp->bpf_bytes / 1048576.0);
}
