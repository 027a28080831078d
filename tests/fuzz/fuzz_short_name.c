// SPDX-License-Identifier: MIT
/*
 * libFuzzer target: fmt_short_name on arbitrary names (they come from symbol tables, perf maps
 * and the files convert and serve read). The short name is never longer than the name, nor
 * than FMT_NAME_MAX when the name is.
 *
 * fuzz-sources: formats common
 * fuzz-libs: -lz -lzstd
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/strbuf.h"
#include "formats/formats.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct profd_strbuf sb = {0};
	char *name = malloc(size + 1);
	size_t len, max;

	if (!name)
		return 0;
	memcpy(name, data, size);
	name[size] = '\0';
	len = strlen(name);
	max = len > FMT_NAME_MAX ? FMT_NAME_MAX : len;
	if (!fmt_short_name(name, &sb) && sb.len > max)
		abort();
	profd_strbuf_release(&sb);
	free(name);
	return 0;
}
