// SPDX-License-Identifier: MIT
/* `profd convert IN -o OUT`: between the formats profd reads and writes. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "profiler/commands_internal.h"

static const char convert_usage[] =
	"Usage: profd convert IN -o OUT [--format folded|svg|pprof] [--lines] [--full-names]\n"
	"Reads folded stacks (profd, perf or bcc) or pprof (.pb.gz, .pprof, .pb,\n"
	"or any gzip file) and writes the format of OUT.\n"
	"\n"
	"  -o, --output FILE   write here; format from the extension (default: folded\n"
	"                      on stdout)\n"
	"      --format NAME   folded, svg or pprof, when OUT has no known extension\n"
	"      --lines         add source file:line to frame names (from pprof input)\n"
	"      --full-names    whole function names: C++ return types and parameter\n"
	"                      lists, no length cap\n"
	"  -h, --help          this text\n"
	"  -V, --version       print the version\n";

int prof_convert_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"output", required_argument, NULL, 'o'},
		{"format", required_argument, NULL, 'f'},
		PROF_NAME_OPTIONS,
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{},
	};
	const char *output = NULL, *format = NULL, *input = NULL;
	struct prof_output out;
	struct fmt_profile *p;
	struct fmt_name_opts names = {0};
	int opt, err;

	/* GNU style, also under POSIXLY_CORRECT: options before or after IN; "--" ends them. */
	optind = 1;
	opterr = 0; /* one line of our own instead of getopt's and ours */
	while ((opt = getopt_long(argc, argv, "-:o:hV", longopts, NULL)) != -1) {
		if (prof_name_option(&names, opt))
			continue;
		switch (opt) {
		case 1:
			if (input)
				return prof_usage("convert", "expected one input file");
			input = optarg;
			break;
		case 'o':
			output = optarg;
			break;
		case 'f':
			format = optarg;
			break;
		case 'h':
			fputs(convert_usage, stdout);
			return PROFD_EXIT_OK;
		case 'V':
			return prof_print_version();
		case ':':
			return prof_usage("convert", "%s needs a value", argv[optind - 1]);
		default:
			return prof_usage("convert", "unknown option %s", argv[optind - 1]);
		}
	}
	if (optind < argc && !input)
		input = argv[optind++];
	if (!input || optind < argc)
		return prof_usage("convert", "expected one input file");
	err = prof_output__open(&out, output, format);
	if (err)
		return err == -EINVAL ? PROFD_EXIT_USAGE : PROFD_EXIT_FAILURE;
	out.names = names;
	p = fmt_profile__new(0);
	if (!p) {
		prof_output__abort(&out);
		return PROFD_EXIT_FAILURE;
	}
	err = prof_read_profile(input, p);
	if (err) {
		prof_output__abort(&out);
		fmt_profile__free(p);
		return PROFD_EXIT_FAILURE;
	}
	err = prof_output__write(&out, p);
	fmt_profile__free(p);
	return err ? PROFD_EXIT_FAILURE : PROFD_EXIT_OK;
}
