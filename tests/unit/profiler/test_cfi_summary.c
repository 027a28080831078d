// SPDX-License-Identifier: MIT
/* Unit tests of the summary line's words on the in-kernel walker (profiler/cfi_tables.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/strbuf.h"
#include "profiler/sampling_internal.h"
#include "helpers.h"

/* Only counters that need no table state: prof_cfi__summary reads the tables for NO_TABLE. */
static void test_counts_said_when_not_zero(void **state)
{
	uint64_t cnt[PROFD_CNT_MAX] = {
		[PROFD_CNT_CFI_WALKED] = 200,
		[PROFD_CNT_CFI_WHOLE] = 190,
		[PROFD_CNT_CFI_STOP_ZERO] = 4,
		[PROFD_CNT_CFI_NO_PROCESS] = 3,
		[PROFD_CNT_CFI_UNSUPPORTED] = 2,
		[PROFD_CNT_CFI_STOP_READ] = 5,
		[PROFD_CNT_CFI_STOP_ERROR] = 1,
	};
	struct profd_strbuf sb = {0};

	prof_cfi__summary(NULL, cnt, &sb);
	assert_string_equal(sb.buf,
			    "; user stacks walked in the kernel: 200, 95.0 % of them whole (4 more "
			    "ended where frame pointers do, at 0), 3 by frame pointers (process not "
			    "loaded yet), 2 through CFI the tables cannot express, 6 stopped early (5 "
			    "unreadable stack, 1 bad table)");
	profd_strbuf_reset(&sb);
	memset(cnt, 0, sizeof(cnt));
	cnt[PROFD_CNT_CFI_WALKED] = cnt[PROFD_CNT_CFI_WHOLE] = 10;
	prof_cfi__summary(NULL, cnt, &sb);
	assert_string_equal(sb.buf, "; user stacks walked in the kernel: 10, 100.0 % of them whole");
	profd_strbuf_release(&sb);
}

TEST_MAIN(cmocka_unit_test(test_counts_said_when_not_zero))
