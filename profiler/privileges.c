// SPDX-License-Identifier: MIT
/* Says exactly which capability is missing, before libbpf fails with a bare EPERM. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "profiler/sampling_internal.h"

#define CAP_SYS_ADMIN_BIT 21
#define CAP_PERFMON_BIT 38
#define CAP_BPF_BIT 39

static int effective_caps(uint64_t *caps)
{
	FILE *f = fopen("/proc/self/status", "re");
	char *line = NULL;
	size_t cap = 0;
	int err = -ENOENT;

	if (!f)
		return -errno;
	while (getline(&line, &cap, f) > 0) {
		if (strncmp(line, "CapEff:", 7) == 0) {
			*caps = strtoull(line + 7, NULL, 16);
			err = 0;
			break;
		}
	}
	free(line);
	fclose(f);
	return err;
}

int prof_check_privileges(void)
{
	uint64_t caps = 0;
	bool admin, bpf, perfmon;

	if (effective_caps(&caps))
		return 0; /* cannot tell: let the kernel decide */
	admin = caps & (1ULL << CAP_SYS_ADMIN_BIT);
	bpf = admin || (caps & (1ULL << CAP_BPF_BIT));
	perfmon = admin || (caps & (1ULL << CAP_PERFMON_BIT));
	if (bpf && perfmon)
		return 0;
	pr_warn("missing %s%s%s: run as root, or grant them with 'setcap cap_bpf,cap_perfmon,"
		"cap_sys_ptrace,cap_dac_read_search,cap_checkpoint_restore,cap_syslog+ep profd'",
		bpf ? "" : "CAP_BPF", !bpf && !perfmon ? " and " : "", perfmon ? "" : "CAP_PERFMON");
	return -EPERM;
}
