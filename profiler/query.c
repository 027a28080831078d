// SPDX-License-Identifier: MIT
/* `profd query --store DIR --from T --to T -o OUT`: the agent's windows in a time range, merged. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup/cgroup.h"
#include "common/clock.h"
#include "common/log.h"
#include "profiler/commands_internal.h"
#include "store/store.h"

static const char query_usage[] =
    "Usage: profd query [--store DIR] [--from T] [--to T] [-p PID] [--comm NAME]\n"
    "                   [--cgroup PATH] -o OUT\n"
    "\n"
    "Merges the windows profd agent stored that overlap [--from, --to] and writes them\n"
    "in the format of OUT (.folded/.txt, .svg, .pb.gz/.pprof/.pb; --format NAME otherwise).\n"
    "\n"
    "  --store DIR         the agent's folder (default " STORE_DEFAULT_DIR ")\n"
    "  --from T            RFC 3339 (2026-11-25T14:00:00Z), now, or relative\n"
    "                      (-15m, -2h, -7d; default: the oldest window)\n"
    "  --to T              same forms (default: now)\n"
    "  -p, --pid PID       only this process\n"
    "  --comm NAME         only processes with this name\n"
    "  --cgroup PATH       only samples of this cgroup v2 and those below it\n"
    "                      (/system.slice/nginx.service, as the cgroup label says)\n"
    "  -o, --output FILE   write here (default: folded stacks on stdout)\n"
    "  --format NAME       folded, svg or pprof, when OUT has no known extension\n"
    "  --lines             add source file:line to frame names\n"
    "  --full-names        whole function names: C++ return types and parameter\n"
    "                      lists, no length cap\n"
    "  --off-cpu           the time off CPU of the windows (profd agent --off-cpu)\n"
    "  --wall              the CPU samples and the time off CPU, per thread, as in\n"
    "                      profd --wall\n"
    "  -v, --verbose       debug messages\n"
    "  -h, --help          this text\n"
    "  -V, --version       print the version\n";

enum {
	OPT_STORE = 700,
	OPT_FROM,
	OPT_TO,
	OPT_COMM,
	OPT_FORMAT,
	OPT_CGROUP,
	OPT_OFF_CPU,
	OPT_WALL,
};

struct query_opts {
	const char *store, *from, *to, *output, *format;
	struct fmt_filter filter;
	struct fmt_name_opts names;
	enum fmt_type type; /* CPU samples, --off-cpu or --wall */
};

static int query_error(const char *what, const char *arg)
{
	fprintf(stderr, "profd: query: %s %s (see profd query --help)\n", what, arg);
	return PROFD_EXIT_USAGE;
}

static int query_run(const struct query_opts *q, int64_t from, int64_t to)
{
	struct store_history_opts so = {.dir = q->store};
	struct store_history_stats st;
	struct prof_output out;
	struct store_history *store;
	struct fmt_profile *p;
	int n, err;

	err = prof_output__open(&out, q->output, q->format);
	if (err)
		return err == -EINVAL ? PROFD_EXIT_USAGE : PROFD_EXIT_FAILURE;
	out.names = q->names;
	store = store_history__open(&so);
	p = store ? fmt_profile__new_type(q->type, 0) : NULL;
	if (!p) {
		store_history__free(store);
		prof_output__abort(&out);
		return PROFD_EXIT_FAILURE;
	}
	n = store_history__query(store, from, to, &q->filter, p);
	store_history__stats(store, &st);
	store_history__free(store);
	if (n < 0)
		pr_warn("query: %s: %s", q->store, strerror(-n));
	else if (n == 0)
		pr_warn("query: %s: no window in that range", q->store);
	if (n <= 0) {
		prof_output__abort(&out);
		fmt_profile__free(p);
		return PROFD_EXIT_FAILURE;
	}
	if (q->type == FMT_TYPE_CPU)
		pr_info("query: %d windows, %lld samples%s", n, (long long)p->total,
			st.damaged ? " (damaged windows skipped)" : "");
	else
		pr_info("query: %d windows, %.3f s%s%s", n, p->total / 1e6,
			q->type == FMT_TYPE_OFF_CPU ? " off CPU" : " on and off CPU",
			st.damaged ? " (damaged windows skipped)" : "");
	err = prof_output__write(&out, p);
	fmt_profile__free(p);
	return err ? PROFD_EXIT_FAILURE : PROFD_EXIT_OK;
}

int prof_query_main(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"store", required_argument, NULL, OPT_STORE},
	    {"from", required_argument, NULL, OPT_FROM},
	    {"to", required_argument, NULL, OPT_TO},
	    {"pid", required_argument, NULL, 'p'},
	    {"comm", required_argument, NULL, OPT_COMM},
	    {"cgroup", required_argument, NULL, OPT_CGROUP},
	    {"output", required_argument, NULL, 'o'},
	    {"format", required_argument, NULL, OPT_FORMAT},
	    {"off-cpu", no_argument, NULL, OPT_OFF_CPU},
	    {"wall", no_argument, NULL, OPT_WALL},
	    PROF_NAME_OPTIONS,
	    {"verbose", no_argument, NULL, 'v'},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {},
	};
	struct query_opts q = {.store = STORE_DEFAULT_DIR};
	char cgroup[4096];
	int64_t now = profd_wall_ns(), from = INT64_MIN, to = now;
	long pid;
	int opt;

	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "p:o:vhV", longopts, NULL)) != -1) {
		if (prof_name_option(&q.names, opt))
			continue;
		switch (opt) {
		case OPT_STORE:
			q.store = optarg;
			break;
		case OPT_FROM:
			q.from = optarg;
			break;
		case OPT_TO:
			q.to = optarg;
			break;
		case 'p':
			if (!prof_parse_long(optarg, 1, INT_MAX, &pid))
				return query_error("-p: expected a PID, got", optarg);
			q.filter.pid = (uint32_t)pid;
			break;
		case OPT_COMM:
			q.filter.comm = optarg;
			break;
		case OPT_CGROUP:
			if (cg_normalize_path(NULL, optarg, cgroup, sizeof(cgroup)))
				return query_error("--cgroup: expected a cgroup path like "
						   "/system.slice/nginx.service, got", optarg);
			q.filter.cgroup = cgroup;
			break;
		case 'o':
			q.output = optarg;
			break;
		case OPT_FORMAT:
			q.format = optarg;
			break;
		case OPT_OFF_CPU:
		case OPT_WALL:
			if (q.type != FMT_TYPE_CPU)
				return query_error("--off-cpu and --wall exclude each other:",
						   argv[optind - 1]);
			q.type = opt == OPT_WALL ? FMT_TYPE_WALL : FMT_TYPE_OFF_CPU;
			break;
		case 'v':
			profd_log_more();
			break;
		case 'h':
			fputs(query_usage, stdout);
			return PROFD_EXIT_OK;
		case 'V':
			return prof_print_version();
		default:
			return query_error("unknown option or missing value:", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return query_error("unexpected argument", argv[optind]);
	if (q.from && store_parse_time(q.from, now, &from))
		return query_error("--from: expected RFC 3339, now or -DURATION, got", q.from);
	if (q.to && store_parse_time(q.to, now, &to))
		return query_error("--to: expected RFC 3339, now or -DURATION, got", q.to);
	if (from > to)
		return query_error("--from is after --to:", q.from);
	return query_run(&q, from, to);
}
