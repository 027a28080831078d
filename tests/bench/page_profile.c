// SPDX-License-Identifier: MIT
/*
 * A whole machine's profile for the page benchmark: N unique stacks (default 100000) over 60
 * programs whose sizes fall off like a build machine's (cc1 the largest, with thousands of
 * processes), about 4,500 processes in all, each program a call graph of its own walked from
 * main, hot paths near the root and wide fan-out near the leaves, a third of the stacks ending
 * in kernel frames, one in a hundred deep (60 to 200 frames). Fixed seed: the same file every
 * time.
 *
 * Usage: page_profile OUT.pb.gz [STACKS]
 * Prints "stacks N processes N programs N samples N".
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/formats.h"

#define PROGRAMS 60
#define KERNEL_FNS 800
#define MAX_DEPTH 220

static uint64_t seed = 0x2545f4914f6cdd1dULL;

static uint64_t rnd(void)
{
	seed ^= seed << 13;
	seed ^= seed >> 7;
	seed ^= seed << 17;
	return seed;
}

static double uniform(void)
{
	return (double)(rnd() >> 11) / 9007199254740992.0;
}

/* Index 0 most often: a Pareto draw, steeper (one hot path) for larger alpha. */
static int pick(int n, double alpha)
{
	int i = (int)pow(1 - uniform(), -1 / alpha) - 1;

	return i < n ? i : n - 1;
}

struct program {
	char comm[32];
	int nfns, npids, pid0;
	uint32_t *locs; /* per function */
	int *ncallees, (*callees)[6];
};

static const char *const words[] = {"parse", "emit",   "visit", "expr",  "decl",	"stmt",
				    "token", "lexer",  "alloc", "hash",  "insert", "lookup",
				    "node",  "tree",   "graph", "pass",  "reg",    "spill",
				    "fold",  "cache",  "read",  "write", "encode", "decode",
				    "query", "plan",   "exec",  "flush", "sched",  "buffer"};
#define NWORDS (sizeof(words) / sizeof(words[0]))

static const char *word(void)
{
	return words[rnd() % NWORDS];
}

/* C, C++ and template names, as long as real ones. */
static void fn_name(char *buf, size_t size, const char *comm, int i)
{
	static const char *const args[] = {"int", "tree_node*", "std::string const&",
					   "void*, unsigned long", ""};
	uint64_t r = rnd() % 10;

	if (r < 4)
		snprintf(buf, size, "%s_%s_%d", word(), word(), i);
	else if (r < 8)
		snprintf(buf, size, "%.31s::%s%d::%s_%s(%s)", comm, word(), i % 97, word(), word(),
			 args[rnd() % 5]);
	else
		snprintf(buf, size, "std::_Hashtable<%s, std::pair<%s const, %s>>::_M_%s_%d", word(),
			 word(), word(), word(), i);
}

static uint32_t add_loc(struct fmt_profile *p, uint32_t mapping, uint64_t addr, const char *name)
{
	struct fmt_frame_desc f = {.name = name};
	uint32_t id;

	if (fmt_profile__add_location(p, mapping, addr, &f, 1, &id))
		exit(1);
	return id;
}

static void make_program(struct fmt_profile *p, struct program *g, int i, int *next_pid)
{
	static const char *const known[] = {"cc1",  "cc1plus", "sh",	 "python3", "make",
					    "ld",   "as",      "postgres", "node",  "java",
					    "bash", "rustc",   "clang",    "nginx", "redis-server"};
	double w = 1 / pow(i + 1, 1.1);
	char path[64], name[160];
	struct fmt_mapping_desc m = {.filename = path, .has_functions = true};
	uint32_t mapping;

	if (i < (int)(sizeof(known) / sizeof(known[0])))
		snprintf(g->comm, sizeof(g->comm), "%s", known[i]);
	else
		snprintf(g->comm, sizeof(g->comm), "worker-%d", i);
	snprintf(path, sizeof(path), "/usr/bin/%.31s", g->comm);
	m.start = 0x400000;
	m.limit = 0x400000 + 0x100000ULL * 64;
	if (fmt_profile__add_mapping(p, &m, &mapping))
		exit(1);
	g->nfns = 50 + (int)(4000 * w);
	g->npids = 1 + (int)(3300 * w * w * (i < 3 ? 1 : 0.5));
	g->pid0 = *next_pid;
	*next_pid += g->npids;
	g->locs = calloc(g->nfns, sizeof(*g->locs));
	g->ncallees = calloc(g->nfns, sizeof(*g->ncallees));
	g->callees = calloc(g->nfns, sizeof(*g->callees));
	for (int f = 0; f < g->nfns; f++) {
		fn_name(name, sizeof(name), g->comm, f);
		g->locs[f] = add_loc(p, mapping, 0x400000 + 0x40ULL * (f + 16), name);
		g->ncallees[f] = 1 + rnd() % 6;
		for (int k = 0; k < g->ncallees[f]; k++)
			g->callees[f][k] = rnd() % g->nfns;
	}
}

int main(int argc, char **argv)
{
	long want = argc > 2 ? atol(argv[2]) : 100000;
	struct fmt_profile *p = fmt_profile__new(10101010);
	static struct program progs[PROGRAMS];
	uint32_t kloc[KERNEL_FNS], kcall[KERNEL_FNS][5], nk[KERNEL_FNS], base[3], stack[MAX_DEPTH];
	struct fmt_mapping_desc km = {.filename = "[kernel.kallsyms]", .kernel = true, .has_functions = true};
	struct fmt_mapping_desc libc = {.filename = "/usr/lib/x86_64-linux-gnu/libc.so.6",
					.start = 0x7f0000000000ULL, .limit = 0x7f0000200000ULL,
					.has_functions = true};
	uint32_t kmap, lmap;
	double weights[PROGRAMS], wsum = 0;
	int next_pid = 1000;
	char name[96];
	FILE *out;

	if (argc < 2 || !p || fmt_profile__add_mapping(p, &km, &kmap) ||
	    fmt_profile__add_mapping(p, &libc, &lmap)) {
		fprintf(stderr, "usage: page_profile OUT.pb.gz [STACKS]\n");
		return 2;
	}
	base[0] = add_loc(p, lmap, 0x7f0000001000ULL, "_start");
	base[1] = add_loc(p, lmap, 0x7f0000002000ULL, "__libc_start_main");
	for (int i = 0; i < KERNEL_FNS; i++) {
		snprintf(name, sizeof(name), "k_%s_%s_%d", word(), word(), i);
		kloc[i] = add_loc(p, kmap, 0xffffffff81000000ULL + 0x100ULL * i, name);
		nk[i] = 1 + rnd() % 5;
		for (uint32_t k = 0; k < nk[i]; k++)
			kcall[i][k] = rnd() % KERNEL_FNS;
	}
	for (int i = 0; i < PROGRAMS; i++) {
		make_program(p, &progs[i], i, &next_pid);
		weights[i] = 1 / pow(i + 1, 1.1);
		wsum += weights[i];
	}
	while ((long)p->nsamples < want) {
		double r = uniform() * wsum;
		int gi = 0, n = 0, f = 0;
		bool deep = uniform() < 0.01;
		int maxd = deep ? 60 + (int)(rnd() % 141) : 60;

		while (gi < PROGRAMS - 1 && (r -= weights[gi]) > 0)
			gi++;
		struct program *g = &progs[gi];
		struct fmt_sample_desc labels = {.pid = g->pid0 + rnd() % g->npids, .comm = g->comm};

		labels.tid = labels.pid;
		/* Root first here; the profile wants leaf first, so the array is reversed below. */
		stack[n++] = base[0];
		stack[n++] = base[1];
		while (n < maxd) {
			stack[n++] = g->locs[f];
			if (!deep && uniform() < 0.09)
				break;
			f = g->callees[f][pick(g->ncallees[f], fmax(1.2, 4.0 - n / 8.0))];
		}
		if (uniform() < 0.3) {
			int k = rnd() % 20, len = 3 + rnd() % 13;

			for (int j = 0; j < len && n < MAX_DEPTH; j++) {
				stack[n++] = kloc[k];
				k = kcall[k][pick(nk[k], 1.2)];
			}
		}
		for (int a = 0, b = n - 1; a < b; a++, b--) {
			uint32_t t = stack[a];

			stack[a] = stack[b];
			stack[b] = t;
		}
		if (fmt_profile__add_sample(p, stack, n, &labels, (int64_t)pow(1 - uniform(), -1 / 1.5)))
			return 1;
	}
	out = fopen(argv[1], "we");
	if (!out || fmt_pprof_write(p, out, NULL) || fclose(out)) {
		perror(argv[1]);
		return 1;
	}
	printf("stacks %zu processes %d programs %d samples %lld\n", p->nsamples, next_pid - 1000,
	       PROGRAMS, (long long)p->total);
	fmt_profile__free(p);
	return 0;
}
