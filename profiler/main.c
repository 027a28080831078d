// SPDX-License-Identifier: MIT
/* profd's command line: perf/bcc-style flags for sampling, plus subcommands. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/libbpf.h>

#include "common/log.h"
#include "profiler/profiler.h"

static const char usage_text[] =
	"Usage: profd [-p PID[,PID...] | -a | -- CMD [ARGS...]] [options]\n"
	"       profd convert IN -o OUT\n"
	"       profd serve [--http [ADDR:]PORT] FILE...\n"
	"       profd agent [--store DIR] [--window SECONDS] [options]\n"
	"       profd query [--store DIR] --from T --to T -o OUT\n"
	"\n"
	"Samples CPU stacks (kernel and user) with eBPF and writes folded stacks or a flame graph.\n"
	"\n"
	"Targets (one of):\n"
	"  -p, --pid PID[,PID...]  those processes, all their threads and what they fork\n"
	"  -a, --all-cpus          every process on the machine\n"
	"  -- CMD [ARGS...]        run CMD and profile it and its children until it exits\n"
	"\n"
	"Options:\n"
	"  -F, --freq HZ           samples per second per CPU (default 99)\n"
	"  -d, --duration SECONDS  stop after this long (default: Ctrl-C or target exit)\n"
	"  -o, --output FILE       write here; format from the extension:\n"
	"                          .folded/.txt, .svg, .pb.gz/.pprof/.pb (pprof)\n"
	"                          (default: folded on stdout)\n"
	"      --format NAME       folded, svg or pprof, when -o has no known extension\n"
	"      --max-stack N       deepest stack to record (default 127); raises\n"
	"                          kernel.perf_event_max_stack for the run if needed\n"
	"      --lines             add source file:line to frame names\n"
	"      --debuginfod URL    fetch missing debug info from these servers in the\n"
	"                          background (default: $DEBUGINFOD_URLS)\n"
	"      --http [ADDR:]PORT  serve a live flame graph page (ADDR default 127.0.0.1);\n"
	"                          without -d, runs until Ctrl-C; writes -o only if given\n"
	"      --http-host NAME    also accept this name in the Host header (repeatable)\n"
	"      --http-public       allow --http on a non-loopback address\n"
	"      --unwind MODE       user stacks: cfi (the default: walked in the kernel with\n"
	"                          tables compiled from .eh_frame; frame pointers where\n"
	"                          code has none, such as JIT code), fp (frame pointers\n"
	"                          only) or copy (copy the stack, unwind it in profd with\n"
	"                          libunwind); auto and dwarf are older names of cfi, copy\n"
	"      --unwind-memory SIZE  kernel memory for cfi tables (default 32M); the least\n"
	"                          recently used files' tables make room, what does not\n"
	"                          fit is counted and walked by frame pointers\n"
	"      --stack-size BYTES  user stack copied per sample for copy (default 16384,\n"
	"                          max 65536, rounded up to 4 KiB pages)\n"
	"  -v, --verbose           debug messages (libbpf's too)\n"
	"  -h, --help              this text\n"
	"  -V, --version           print the version\n"
	"\n"
	"Subcommands:\n"
	"  convert IN -o OUT       convert between folded and SVG (e.g. perf/bcc folded files)\n"
	"  serve FILE...           browse saved folded or pprof profiles on a web page\n"
	"                          (default http://127.0.0.1:7070/)\n"
	"  agent                   sample the machine without end at 19 Hz, one window\n"
	"                          per minute stored under /var/lib/profd (see agent --help)\n"
	"  query                   merge stored windows of a time range (see query --help)\n"
	"\n"
	"Needs root, or CAP_BPF and CAP_PERFMON (plus CAP_SYS_PTRACE for other users'\n"
	"processes and CAP_SYSLOG for kernel symbols).\n"
	"Exit status: 0 success, 1 runtime failure (or CMD failed), 2 usage error.\n";

enum {
	OPT_FORMAT = 256,
	OPT_MAX_STACK,
	OPT_LINES,
	OPT_DEBUGINFOD,
	OPT_UNWIND,
	OPT_STACK_SIZE,
	OPT_UNWIND_MEMORY,
};

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("profd: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs(" (see profd --help)\n", stderr);
	return PROFD_EXIT_USAGE;
}

/* libbpf explains its failures at length; we report them in one line and keep its text for -v. */
static int libbpf_log(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (profd_log_get_level() >= PROFD_LOG_DEBUG)
		profd_vlog(PROFD_LOG_DEBUG, fmt, ap);
	return 0;
}

static int check_freq(long freq)
{
	int max = prof_max_sample_rate();

	if (max > 0 && freq > max)
		return usage_error("-F %ld: above kernel.perf_event_max_sample_rate (%d)", freq,
				   max);
	return 0;
}

static int record_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"pid", required_argument, NULL, 'p'},
		{"all-cpus", no_argument, NULL, 'a'},
		{"freq", required_argument, NULL, 'F'},
		{"duration", required_argument, NULL, 'd'},
		{"output", required_argument, NULL, 'o'},
		{"format", required_argument, NULL, OPT_FORMAT},
		{"max-stack", required_argument, NULL, OPT_MAX_STACK},
		{"lines", no_argument, NULL, OPT_LINES},
		{"debuginfod", required_argument, NULL, OPT_DEBUGINFOD},
		{"http", required_argument, NULL, PROF_OPT_HTTP},
		{"http-host", required_argument, NULL, PROF_OPT_HTTP_HOST},
		{"http-public", no_argument, NULL, PROF_OPT_HTTP_PUBLIC},
		{"unwind", required_argument, NULL, OPT_UNWIND},
		{"stack-size", required_argument, NULL, OPT_STACK_SIZE},
		{"unwind-memory", required_argument, NULL, OPT_UNWIND_MEMORY},
		{"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{},
	};
	struct prof_record_opts o = {
		.freq = PROFD_DEFAULT_FREQ,
		.max_stack = PROFD_DEFAULT_MAX_STACK,
		.unwind = PROFD_UNWIND_CFI,
		.stack_size = PROFD_STACK_SIZE_DEFAULT,
	};
	int opt, targets, code;
	long v;
	char *end;

	opterr = 0; /* one line of our own instead of getopt's */
	while ((opt = getopt_long(argc, argv, "+:p:aF:d:o:vhV", longopts, NULL)) != -1) {
		switch (opt) {
		case 'p':
			if (prof_parse_pid_list(optarg, &o.pids, &o.npids))
				return usage_error("-p %s: expected PID[,PID...]", optarg);
			break;
		case 'a':
			o.all = true;
			break;
		case 'F':
			if (!prof_parse_long(optarg, 1, 1000000000, &v))
				return usage_error("-F %s: expected a frequency in Hz above 0", optarg);
			if (check_freq(v))
				return PROFD_EXIT_USAGE;
			o.freq = (int)v;
			break;
		case 'd':
			errno = 0;
			o.duration = strtod(optarg, &end);
			if (errno || end == optarg || *end || !(o.duration > 0) || o.duration > 1e9)
				return usage_error("-d %s: expected a positive number of seconds",
						   optarg);
			break;
		case 'o':
			o.output = optarg;
			break;
		case OPT_FORMAT:
			o.format = optarg;
			break;
		case OPT_MAX_STACK:
			if (!prof_parse_long(optarg, 1, 65535, &v))
				return usage_error("--max-stack %s: expected 1..65535", optarg);
			o.max_stack = (int)v;
			break;
		case OPT_LINES:
			o.lines = true;
			break;
		case OPT_DEBUGINFOD:
			/* libdebuginfod reads only this; set before any thread exists. */
			if (setenv("DEBUGINFOD_URLS", optarg, 1))
				return usage_error("--debuginfod %s: %s", optarg, strerror(errno));
			break;
		case PROF_OPT_HTTP:
		case PROF_OPT_HTTP_HOST:
		case PROF_OPT_HTTP_PUBLIC:
			if (prof_http_option(&o.http, opt, optarg) < 0)
				return PROFD_EXIT_USAGE;
			break;
		case OPT_UNWIND:
			if (!prof_parse_unwind(optarg, &o.unwind))
				return usage_error("--unwind %s: expected cfi, fp or copy", optarg);
			break;
		case OPT_UNWIND_MEMORY:
			if (!prof_parse_unwind_memory(optarg, &o.cfi_memory))
				return usage_error("--unwind-memory %s: expected 1M..4G", optarg);
			break;
		case OPT_STACK_SIZE:
			if (!prof_parse_long(optarg, 1, PROFD_STACK_SIZE_MAX, &v))
				return usage_error("--stack-size %s: expected 1..%d bytes", optarg,
						   PROFD_STACK_SIZE_MAX);
			o.stack_size = (unsigned)(v + PROFD_STACK_PAGE - 1) / PROFD_STACK_PAGE *
				       PROFD_STACK_PAGE;
			break;
		case 'v':
			profd_log_set_level(PROFD_LOG_DEBUG);
			break;
		case 'h':
			fputs(usage_text, stdout);
			return PROFD_EXIT_OK;
		case 'V':
			printf("profd %s\n", PROFD_VERSION);
			return PROFD_EXIT_OK;
		case ':':
			return usage_error("%s: needs a value", argv[optind - 1]);
		default:
			if (optopt)
				return usage_error("unknown option -%c", optopt);
			return usage_error("unknown option %s", argv[optind - 1]);
		}
	}
	if (optind < argc)
		o.argv = argv + optind;
	targets = (o.npids > 0) + o.all + (o.argv != NULL);
	if (targets == 0)
		return usage_error("nothing to profile: give -p PID, -a or -- CMD");
	if (targets > 1)
		return usage_error("-p, -a and a command exclude each other");
	if (prof_http_check(&o.http)) {
		free(o.pids);
		free(o.http.hosts);
		return PROFD_EXIT_USAGE;
	}
	code = prof_record(&o);
	free(o.pids);
	free(o.http.hosts);
	return code;
}

int main(int argc, char **argv)
{
	libbpf_set_print(libbpf_log);
	/* Output is ours to order: stderr unbuffered for status, stdout fully buffered. */
	setvbuf(stderr, NULL, _IONBF, 0);
	if (argc > 1 && strcmp(argv[1], "convert") == 0)
		return prof_convert_main(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "serve") == 0)
		return prof_serve_main(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "agent") == 0)
		return prof_agent_main(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "query") == 0)
		return prof_query_main(argc - 1, argv + 1);
	return record_main(argc, argv);
}
