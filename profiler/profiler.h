/* SPDX-License-Identifier: MIT */
/*
 * profiler/: the profd commands. The only public header of this folder: what main() runs.
 *
 * Inside, the commands share commands_internal.h (options, reading and writing profiles,
 * signals, the web page), which knows nothing of BPF. The two commands that sample, `profd`
 * (record.c) and `profd agent` (agent.c), each run one sampling session (session_internal.h),
 * which owns the BPF sampler, the symbolizer and the page while it samples (sampling_internal.h).
 */
#ifndef PROFD_PROFILER_H
#define PROFD_PROFILER_H

/* Exit codes, as perf and most CLI tools use them. */
enum {
	PROFD_EXIT_OK = 0,
	PROFD_EXIT_FAILURE = 1,
	PROFD_EXIT_USAGE = 2,
};

/* Each takes the arguments after "profd" (argv[0]: the command's name); returns an exit code. */
int prof_record_main(int argc, char **argv);  /* profd -p PID | -a | -- CMD */
int prof_agent_main(int argc, char **argv);   /* profd agent */
int prof_query_main(int argc, char **argv);   /* profd query */
int prof_convert_main(int argc, char **argv); /* profd convert */
int prof_serve_main(int argc, char **argv);   /* profd serve */

#endif
