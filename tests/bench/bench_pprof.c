// SPDX-License-Identifier: MIT
/*
 * pprof encode and decode on a synthetic profile of N unique stacks (default 100000): three
 * mapped files, 5000 functions, stacks 8-40 frames deep with some inline frames, a fixed seed.
 *
 * Usage: bench_pprof OUT.pb.gz [STACKS [ROUNDS]]
 * Prints "stacks N locations N encode_ms X decode_ms X bytes N", best of ROUNDS (default 5).
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "formats/formats.h"

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static int build(struct fmt_profile *p, long nstacks)
{
	static const char *const files[3] = {"/usr/bin/server", "/usr/lib/libc.so.6",
					     "[kernel.kallsyms]"};
	uint32_t maps[3], locs[40];
	uint64_t seed = 0x9e3779b97f4a7c15ULL;
	char name[64], file[64];

	for (int i = 0; i < 3; i++) {
		struct fmt_mapping_desc m = {.filename = files[i],
					     .build_id = "0123456789abcdef",
					     .start = 0x1000 + i * 0x1000000ULL,
					     .limit = 0x1000 + (i + 1) * 0x1000000ULL,
					     .kernel = i == 2,
					     .has_functions = true,
					     .has_line_numbers = i == 0,
					     .has_inline_frames = i == 0};

		if (fmt_profile__add_mapping(p, &m, &maps[i]))
			return -1;
	}
	while ((long)p->nsamples < nstacks) {
		int depth = 8 + rnd(&seed) % 33;
		struct fmt_sample_desc labels = {.pid = 100 + rnd(&seed) % 8, .comm = "server"};

		labels.tid = labels.pid + rnd(&seed) % 4;
		for (int d = 0; d < depth; d++) {
			/* Roots shared, leaves varied: like real stacks. */
			uint64_t fn = d > depth - 4 ? rnd(&seed) % 5000 : (uint64_t)(d * 37 + depth) % 200;
			int mi = d == 0 && depth > 30 ? 2 : fn % 7 == 0 ? 1 : 0;
			struct fmt_frame_desc f[2] = {
			    {.name = name, .filename = file, .line = 10 + fn % 90},
			    {.name = "caller_inlined_into", .filename = file, .line = 5}};

			snprintf(name, sizeof(name), "namespace::Class%lu::method%lu()",
				 (unsigned long)(fn / 10), (unsigned long)fn);
			snprintf(file, sizeof(file), "/src/server/module%lu.cc",
				 (unsigned long)(fn / 50));
			if (fmt_profile__add_location(p, maps[mi],
						      maps[mi] * 0x1000000ULL + fn * 16, f,
						      fn % 5 == 0 ? 2 : 1, &locs[d]))
				return -1;
		}
		if (fmt_profile__add_sample(p, locs, depth, &labels, 1 + rnd(&seed) % 50))
			return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	long nstacks = argc > 2 ? atol(argv[2]) : 100000;
	int rounds = argc > 3 ? atoi(argv[3]) : 5;
	struct fmt_profile *p = fmt_profile__new(10101010);
	double enc = 1e30, dec = 1e30;
	long bytes = 0;

	if (argc < 2 || !p || build(p, nstacks)) {
		fprintf(stderr, "usage: bench_pprof OUT.pb.gz [STACKS [ROUNDS]]\n");
		return 2;
	}
	for (int i = 0; i < rounds; i++) {
		FILE *out = fopen(argv[1], "w");
		double t0 = now_ms(), t;

		if (!out || fmt_pprof_write(p, out, NULL) || fclose(out))
			return 1;
		t = now_ms() - t0;
		enc = t < enc ? t : enc;
	}
	for (int i = 0; i < rounds; i++) {
		struct fmt_profile *q = fmt_profile__new(0);
		struct fmt_error err;
		FILE *in = fopen(argv[1], "r");
		double t0 = now_ms(), t;

		if (!q || !in || fmt_pprof_read(q, in, &err)) {
			fprintf(stderr, "read: %s\n", err.msg);
			return 1;
		}
		t = now_ms() - t0;
		dec = t < dec ? t : dec;
		if (q->nsamples != p->nsamples || q->total != p->total) {
			fprintf(stderr, "read back %zu stacks, want %zu\n", q->nsamples,
				p->nsamples);
			return 1;
		}
		fseek(in, 0, SEEK_END);
		bytes = ftell(in);
		fclose(in);
		fmt_profile__free(q);
	}
	printf("stacks %zu locations %u encode_ms %.1f decode_ms %.1f bytes %ld\n", p->nsamples,
	       p->nlocations, enc, dec, bytes);
	fmt_profile__free(p);
	return 0;
}
