// SPDX-License-Identifier: MIT
/*
 * What the in-kernel walker's tables cost to make: for each file, the CPU time to compile its CFI
 * (symbolizer/cfi.c; best of ROUNDS), its .eh_frame/.debug_frame bytes, rows, rules and table
 * bytes, and table bytes per MB of CFI.
 *
 * Usage: bench_cfi_tables ROUNDS FILE...
 * Prints one line per file: "FILE cfi_bytes N rows N rules N table_bytes N ms N bytes_per_mb N"
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "symbolizer/symbolizer.h"

static double cpu_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 0;

	if (rounds < 1 || argc < 3) {
		fprintf(stderr, "usage: bench_cfi_tables ROUNDS FILE...\n");
		return 2;
	}
	for (int i = 2; i < argc; i++) {
		struct sym_cfi_table *t = NULL;
		double best = 1e300;
		size_t bytes;
		int fd = open(argv[i], O_RDONLY | O_CLOEXEC);

		if (fd < 0) {
			perror(argv[i]);
			return 1;
		}
		for (int r = 0; r < rounds; r++) {
			double t0 = cpu_ms(), ms;

			sym_cfi_table__free(t);
			if (sym_cfi_table__build_fd(fd, &t)) {
				fprintf(stderr, "%s: cannot build\n", argv[i]);
				return 1;
			}
			ms = cpu_ms() - t0;
			best = ms < best ? ms : best;
		}
		close(fd);
		bytes = sym_cfi_table__words(t) * 4;
		printf("%s cfi_bytes %zu rows %u rules %u table_bytes %zu ms %.2f bytes_per_mb %.0f\n",
		       argv[i], t->cfi_bytes, t->nrows, t->nrules, bytes, best,
		       t->cfi_bytes ? bytes * 1048576.0 / t->cfi_bytes : 0.0);
		sym_cfi_table__free(t);
	}
	return 0;
}
