// SPDX-License-Identifier: MIT
/*
 * C++ workload whose hot path runs through libstdc++: std::sort with a comparator that hashes
 * its keys with std::hash<std::string>, i.e. std::_Hash_bytes in libstdc++.so. Stacks go
 * main -> sort_round -> std::sort<...> -> std::__introsort_loop<...> -> ... -> by_hash ->
 * std::_Hash_bytes. Built -O2 without frame pointers by tests/e2e/test_unwind.sh.
 *
 * Usage: sortcmp [SECONDS]   (default 5)
 */
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

struct item {
	std::string key;
	int value;
};

__attribute__((noinline)) static bool by_hash(const item &a, const item &b)
{
	return std::hash<std::string>{}(a.key) < std::hash<std::string>{}(b.key);
}

__attribute__((noinline)) static void sort_round(std::vector<item> &v)
{
	std::sort(v.begin(), v.end(), by_hash);
	std::reverse(v.begin(), v.end());
}

int main(int argc, char **argv)
{
	double seconds = argc > 1 ? atof(argv[1]) : 5.0;
	auto deadline = std::chrono::steady_clock::now() +
			std::chrono::microseconds((long long)(seconds * 1e6));
	std::vector<item> v;
	unsigned int seed = 1;
	long rounds = 0;

	for (int i = 0; i < 20000; i++) {
		std::string k(48, 'a');

		for (char &c : k)
			c = (char)('a' + rand_r(&seed) % 26);
		v.push_back({k, i});
	}
	while (std::chrono::steady_clock::now() < deadline) {
		sort_round(v);
		rounds++;
	}
	std::printf("sort rounds %ld\n", rounds);
	return 0;
}
