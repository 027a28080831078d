// SPDX-License-Identifier: MIT
/* The names of profile types, as options, the page and file names give them. */
#include <string.h>

#include "formats/formats.h"

static const char *const names[FMT_NTYPES] = {
	[FMT_TYPE_CPU] = "cpu",
	[FMT_TYPE_OFF_CPU] = "off-cpu",
	[FMT_TYPE_WALL] = "wall",
};

const char *fmt_type_name(enum fmt_type t)
{
	return (unsigned)t < FMT_NTYPES ? names[t] : "cpu";
}

bool fmt_type_parse(const char *name, enum fmt_type *out)
{
	for (int t = 0; t < FMT_NTYPES; t++) {
		if (!strcmp(name, names[t])) {
			*out = (enum fmt_type)t;
			return true;
		}
	}
	return false;
}
