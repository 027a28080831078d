// SPDX-License-Identifier: MIT
/* Unit tests of the footprint: resident memory as the kernel counts it, and giving heap back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/strbuf.h"
#include "profiler/session_internal.h"
#include "helpers.h"

#define MIB (1ull << 20)
#define SMALL 1024
#define NSMALL (24 * 1024) /* 24 MiB of small blocks: they live in the heap, not in mmaps */

static void test_read_follows_touched_memory(void **state)
{
	struct prof_footprint before, after;
	char *big;

	assert_int_equal(prof_footprint__read(&before, 7), 0);
	assert_true(before.rss_bytes > 0);
	assert_true(before.peak_rss_bytes >= before.rss_bytes);
	assert_int_equal(before.bpf_bytes, 7);
	big = malloc(16 * MIB);
	assert_non_null(big);
	memset(big, 1, 16 * MIB);
	assert_int_equal(prof_footprint__read(&after, 0), 0);
	assert_true(after.rss_bytes >= before.rss_bytes + 15 * MIB);
	assert_true(after.peak_rss_bytes >= before.rss_bytes + 15 * MIB);
	free(big);
}

static void test_trim_returns_freed_heap(void **state)
{
	char **blocks;
	struct prof_footprint held, trimmed;

	if (UNDER_ASAN)
		skip_because("malloc_trim() trims glibc's heap; ASan's allocator keeps its own");
	blocks = calloc(NSMALL, sizeof(*blocks));
	assert_non_null(blocks);
	for (size_t i = 0; i < NSMALL; i++) {
		blocks[i] = malloc(SMALL);
		assert_non_null(blocks[i]);
		memset(blocks[i], 1, SMALL);
	}
	/* The last block stays: it pins the heap's top, so free() alone cannot shrink it. */
	for (size_t i = 0; i + 1 < NSMALL; i++)
		free(blocks[i]);
	assert_int_equal(prof_footprint__read(&held, 0), 0);
	prof_trim_heap();
	assert_int_equal(prof_footprint__read(&trimmed, 0), 0);
	assert_true(trimmed.rss_bytes + 16 * MIB <= held.rss_bytes);
	free(blocks[NSMALL - 1]);
	free(blocks);
}

static void test_metrics_are_prometheus_gauges(void **state)
{
	struct prof_footprint fp = {.rss_bytes = 1, .peak_rss_bytes = 2, .bpf_bytes = 3};
	struct profd_strbuf sb = {0};

	assert_int_equal(prof_footprint__metrics(&fp, &sb), 0);
	assert_has_all(sb.buf, (const char *const[]){
				   "# TYPE profd_resident_memory_bytes gauge\n"
				   "profd_resident_memory_bytes 1\n",
				   "\nprofd_resident_memory_peak_bytes 2\n",
				   "# HELP profd_bpf_map_bytes ",
				   "\nprofd_bpf_map_bytes 3\n",
				   NULL,
			       });
	profd_strbuf_release(&sb);
}

TEST_MAIN(cmocka_unit_test(test_read_follows_touched_memory),
	  cmocka_unit_test(test_trim_returns_freed_heap),
	  cmocka_unit_test(test_metrics_are_prometheus_gauges))
