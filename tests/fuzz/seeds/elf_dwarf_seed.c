// SPDX-License-Identifier: MIT
/*
 * Source of the ELF + DWARF seeds of tests/fuzz/fuzz_elf_dwarf.c, compiled by
 * tests/fuzz/seeds/elf_dwarf_seeds.sh at fuzz time (no binaries are kept in the tree): small,
 * with chains of inlined calls three deep, a lexical block, a jump table and a qsort callback.
 */
#include <stddef.h>

/* Declared, not included: the 32-bit seeds are built without a 32-bit libc. */
int printf(const char *fmt, ...);
void qsort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *));
int atoi(const char *s);

static inline __attribute__((always_inline)) unsigned mix(unsigned x)
{
	x ^= x << 13;
	x ^= x >> 17;
	return x ^ (x << 5);
}

static inline __attribute__((always_inline)) unsigned twice(unsigned x)
{
	return mix(mix(x) + 1);
}

static inline __attribute__((always_inline)) unsigned thrice(unsigned x)
{
	unsigned y = twice(x);

	{
		unsigned z = twice(y ^ 0x9e3779b9u);

		y += z;
	}
	return y;
}

static int cmp(const void *a, const void *b)
{
	unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;

	return x < y ? -1 : x > y;
}

__attribute__((noinline)) static unsigned pick(unsigned k, unsigned v)
{
	switch (k % 6) {
	case 0: return v + 3;
	case 1: return v * 7;
	case 2: return v ^ 0x55;
	case 3: return v >> 2;
	case 4: return thrice(v);
	default: return v - 1;
	}
}

__attribute__((noinline)) unsigned hot(unsigned n)
{
	unsigned v[64], s = 0;

	for (unsigned i = 0; i < 64; i++)
		v[i] = thrice(n + i);
	qsort(v, 64, sizeof(v[0]), cmp);
	for (unsigned i = 0; i < 64; i++)
		s += pick(i, v[i]);
	return s;
}

int main(int argc, char **argv)
{
	unsigned s = 0;

	for (int i = 0; i < (argc > 1 ? atoi(argv[1]) : 3); i++)
		s += hot((unsigned)i);
	printf("%u\n", s);
	return 0;
}
