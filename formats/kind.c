// SPDX-License-Identifier: MIT
/* Which format a file name or a --format value asks for. */
#include <string.h>

#include "formats/formats.h"

static const struct {
	const char *suffix;
	enum fmt_kind kind;
} suffixes[] = {
	{".folded", FMT_FOLDED}, {".collapsed", FMT_FOLDED}, {".txt", FMT_FOLDED},
	{".svg", FMT_SVG},	 {".pb.gz", FMT_PPROF},	     {".pprof", FMT_PPROF},
	{".pb", FMT_PPROF},
};

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n > m && strcmp(s + n - m, suffix) == 0;
}

enum fmt_kind fmt_kind_from_path(const char *path)
{
	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		if (ends_with(path, suffixes[i].suffix))
			return suffixes[i].kind;
	}
	return FMT_UNKNOWN;
}

enum fmt_kind fmt_kind_from_name(const char *name)
{
	if (!strcmp(name, "folded"))
		return FMT_FOLDED;
	if (!strcmp(name, "svg"))
		return FMT_SVG;
	if (!strcmp(name, "pprof"))
		return FMT_PPROF;
	return FMT_UNKNOWN;
}
