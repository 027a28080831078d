// SPDX-License-Identifier: MIT
/* profd's entry: a subcommand by its name, else the perf/bcc-style sampling command. */
#include <stdio.h>
#include <string.h>

#include "profiler/profiler.h"

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*run)(int argc, char **argv);
	} commands[] = {
		{"convert", prof_convert_main},
		{"serve", prof_serve_main},
		{"agent", prof_agent_main},
		{"query", prof_query_main},
	};

	/* Output is ours to order: stderr unbuffered for status, stdout fully buffered. */
	setvbuf(stderr, NULL, _IONBF, 0);
	for (size_t i = 0; argc > 1 && i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].run(argc - 1, argv + 1);
	return prof_record_main(argc, argv);
}
