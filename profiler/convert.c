// SPDX-License-Identifier: MIT
/* `profd convert IN -o OUT`: between the formats profd reads and writes. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "profiler/profiler.h"

/* pprof by its content (gzip magic, as pprof files are on disk) or by its name; else folded. */
static bool is_pprof(const char *path, FILE *in)
{
	int c;

	if (fmt_kind_from_path(path) == FMT_PPROF)
		return true;
	c = getc(in);
	if (c == EOF)
		return false;
	ungetc(c, in);
	return c == 0x1f;
}

int prof_read_profile(const char *path, struct fmt_profile *p)
{
	struct fmt_error ferr = {{0}};
	FILE *in = strcmp(path, "-") ? fopen(path, "re") : stdin;
	bool pprof;
	int err;

	if (!in) {
		err = -errno;
		pr_warn("%s: %s", path, strerror(-err));
		return err;
	}
	pprof = is_pprof(path, in);
	err = pprof ? fmt_pprof_read(p, in, &ferr) : fmt_folded_read(p, in, &ferr);
	if (err == -EINVAL)
		pr_warn("%s: %s", path,
			ferr.msg[0] ? ferr.msg : pprof ? "not a pprof profile" : "not a folded profile");
	else if (err)
		pr_warn("%s: %s", path, strerror(-err));
	if (in != stdin)
		fclose(in);
	return err;
}

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
		{"lines", no_argument, NULL, 'l'},
		{"full-names", no_argument, NULL, 'n'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{},
	};
	const char *output = NULL, *format = NULL;
	struct prof_output out;
	struct fmt_profile *p;
	bool lines = false, full_names = false;
	int opt, err;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "o:hV", longopts, NULL)) != -1) {
		switch (opt) {
		case 'o':
			output = optarg;
			break;
		case 'f':
			format = optarg;
			break;
		case 'l':
			lines = true;
			break;
		case 'n':
			full_names = true;
			break;
		case 'h':
			fputs(convert_usage, stdout);
			return PROFD_EXIT_OK;
		case 'V':
			return prof_print_version();
		default:
			fputs("profd: convert: unknown option (see profd convert --help)\n", stderr);
			return PROFD_EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		fputs("profd: convert: expected one input file (see profd convert --help)\n", stderr);
		return PROFD_EXIT_USAGE;
	}
	err = prof_output__open(&out, output, format);
	if (err)
		return err == -EINVAL ? PROFD_EXIT_USAGE : PROFD_EXIT_FAILURE;
	out.lines = lines;
	out.full_names = full_names;
	p = fmt_profile__new(0);
	if (!p) {
		prof_output__abort(&out);
		return PROFD_EXIT_FAILURE;
	}
	err = prof_read_profile(argv[optind], p);
	if (err) {
		prof_output__abort(&out);
		fmt_profile__free(p);
		return PROFD_EXIT_FAILURE;
	}
	err = prof_output__write(&out, p);
	fmt_profile__free(p);
	return err ? PROFD_EXIT_FAILURE : PROFD_EXIT_OK;
}
