// SPDX-License-Identifier: MIT
/*
 * `profd serve FILE...`: the web page for saved profiles. Each file becomes one window of the
 * live profile, FILE number i (from 0) covering [i, i+1), so the page's time ranges pick files
 * and a diff of a=0-1 against b=1-2 compares the first two.
 */
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "profiler/commands_internal.h"
#include "web/web.h"

#define DEFAULT_LISTEN "127.0.0.1:7070"

static int load(struct prof_live *l, char **files, int nfiles)
{
	struct prof_live_info info = {.mode = "files"};

	for (int i = 0; i < nfiles; i++) {
		struct fmt_profile *p = fmt_profile__new(0);
		int err;

		if (!p)
			return -ENOMEM;
		err = prof_read_profile(files[i], p);
		if (err) {
			fmt_profile__free(p);
			return err;
		}
		err = prof_live__publish(l, p, i, i + 1, &info, true);
		if (err == -EOVERFLOW)
			pr_warn("%s: its counts take the total of the files past %lld samples",
				files[i], (long long)INT64_MAX);
		else if (err)
			pr_warn("%s: %s", files[i], strerror(-err));
		if (err)
			return err;
	}
	return 0;
}

static const char serve_usage_text[] =
	"Usage: profd serve FILE... [--http [ADDR:]PORT] [--http-host NAME] [--http-public]\n"
	"Serves saved profiles (folded stacks or pprof) on a web page, until Ctrl-C.\n"
	"The page shows file N (from 0) as the time range N to N+1. Options may come\n"
	"before or after the files; -- ends them.\n"
	"\n"
	"      --http [ADDR:]PORT  where to listen (default " DEFAULT_LISTEN ")\n"
	"      --http-host NAME    also accept this name in the Host header (repeatable)\n"
	"      --http-public       allow a non-loopback address\n"
	"  -h, --help              this text\n"
	"  -V, --version           print the version\n";

/*
 * GNU style: options may follow the file names ("-" asks getopt for the names in order, so this
 * holds under POSIXLY_CORRECT too), and "--" ends the options. Fills files[] (room for argc) and
 * *nfiles. Returns 0, -1 after --help or --version, or an exit code to end with (usage errors
 * print one line).
 */
static int parse_options(int argc, char **argv, struct prof_http_opts *http, char **files,
			 int *nfiles)
{
	static const struct option longopts[] = {
		PROF_HTTP_OPTIONS,
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{},
	};
	int opt;

	optind = 1;
	opterr = 0;
	*nfiles = 0;
	while ((opt = getopt_long(argc, argv, "-:hV", longopts, NULL)) != -1) {
		switch (opt) {
		case 1:
			files[(*nfiles)++] = optarg;
			break;
		case 'h':
			fputs(serve_usage_text, stdout);
			return -1;
		case 'V':
			prof_print_version();
			return -1;
		case PROF_OPT_HTTP:
		case PROF_OPT_HTTP_HOST:
		case PROF_OPT_HTTP_PUBLIC:
			if (prof_http_option(http, opt, optarg) < 0)
				return PROFD_EXIT_USAGE;
			break;
		case ':':
			return prof_usage("serve", "%s needs a value", argv[optind - 1]);
		default:
			return prof_usage("serve", "unknown option %s", argv[optind - 1]);
		}
	}
	while (optind < argc)
		files[(*nfiles)++] = argv[optind++];
	if (!*nfiles)
		return prof_usage("serve", "expected one or more profile files");
	return prof_http_check(http) ? PROFD_EXIT_USAGE : 0;
}

static int serve(const struct prof_http_opts *http, char **files, int nfiles)
{
	struct web_source extra = {.files = (const char *const *)files, .nfiles = (size_t)nfiles};
	/* Every file asked for stays: what it holds is what the command line named. */
	struct prof_live *l = prof_live__new(0, (unsigned)nfiles, 1, SIZE_MAX);
	struct web_server *server = NULL;
	struct web_source src;
	int code = PROFD_EXIT_FAILURE;

	if (!l || load(l, files, nfiles))
		goto out;
	prof_signals_catch();
	prof_live__source(l, &extra, &src);
	server = prof_http_serve(http, &src);
	if (!server)
		goto out;
	prof_signals_wait();
	code = PROFD_EXIT_OK;
out:
	web_server__stop(server);
	prof_live__free(l);
	return code;
}

int prof_serve_main(int argc, char **argv)
{
	struct prof_http_opts http = {.listen = DEFAULT_LISTEN};
	char **files = calloc((size_t)argc, sizeof(*files));
	int nfiles, code;

	if (!files)
		return PROFD_EXIT_FAILURE;
	code = parse_options(argc, argv, &http, files, &nfiles);
	if (code < 0)
		code = PROFD_EXIT_OK; /* --help, --version */
	else if (!code)
		code = serve(&http, files, nfiles);
	free(http.hosts);
	free(files);
	return code;
}
