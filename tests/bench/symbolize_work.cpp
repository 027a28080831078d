// SPDX-License-Identifier: MIT
/*
 * The C++ program whose code tests/bench/bench_symbolize.sh symbolizes: built -O2 -g by g++, it
 * sorts and looks up through std::sort, std::stable_sort, std::map, std::unordered_map,
 * std::set, std::priority_queue and std::regex over several element types, so its .text is
 * mostly template instances with deep chains of inlined calls, like real C++.
 *
 * Usage: symbolize_work [ROUNDS]   run the work and print a checksum
 *        symbolize_work pause      print "ready" and wait to be killed (to be symbolized)
 */
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <queue>
#include <regex>
#include <set>
#include <string>
#include <unistd.h>
#include <unordered_map>
#include <vector>

namespace work {

struct Point {
	double x, y;
	int id;
	bool operator<(const Point &o) const { return x < o.x || (x == o.x && y < o.y); }
};

struct Order {
	std::string customer;
	std::vector<int> items;
	long total;
};

static unsigned long seed = 88172645463325252UL;

static unsigned long next()
{
	seed ^= seed << 13;
	seed ^= seed >> 7;
	seed ^= seed << 17;
	return seed;
}

static std::string word(size_t len)
{
	std::string s;

	for (size_t i = 0; i < len; i++)
		s += static_cast<char>('a' + next() % 26);
	return s;
}

template <typename T, typename Less> long sort_twice(std::vector<T> v, Less less)
{
	std::vector<T> w = v;

	std::sort(v.begin(), v.end(), less);
	std::stable_sort(w.begin(), w.end(), less);
	return static_cast<long>(v.size() + w.size());
}

long sorts(int n)
{
	std::vector<int> ints;
	std::vector<double> doubles;
	std::vector<std::string> words;
	std::vector<Point> points;
	std::vector<std::pair<std::string, int>> pairs;
	long s = 0;

	for (int i = 0; i < n; i++) {
		ints.push_back(static_cast<int>(next()));
		doubles.push_back(static_cast<double>(next() % 100000) / 7.0);
		words.push_back(word(3 + next() % 12));
		points.push_back({static_cast<double>(next() % 1000), static_cast<double>(next() % 9),
				  i});
		pairs.emplace_back(word(4), i);
	}
	s += sort_twice(ints, std::less<int>());
	s += sort_twice(ints, [](int a, int b) { return (a & 0xff) < (b & 0xff); });
	s += sort_twice(doubles, std::greater<double>());
	s += sort_twice(words, std::less<std::string>());
	s += sort_twice(words, [](const std::string &a, const std::string &b) {
		return a.size() < b.size() || (a.size() == b.size() && a > b);
	});
	s += sort_twice(points, std::less<Point>());
	s += sort_twice(pairs, std::less<std::pair<std::string, int>>());
	std::partial_sort(ints.begin(), ints.begin() + n / 4, ints.end());
	std::nth_element(doubles.begin(), doubles.begin() + n / 2, doubles.end());
	return s + ints[0] + static_cast<long>(doubles[n / 2]);
}

long maps(int n)
{
	std::map<std::string, int> by_name;
	std::map<int, std::vector<double>> by_id;
	std::unordered_map<std::string, Order> orders;
	std::multimap<long, std::string> by_total;
	std::set<Point> seen;
	long s = 0;

	for (int i = 0; i < n; i++) {
		std::string w = word(2 + next() % 6);
		Order &o = orders[w];

		by_name[w] += i;
		by_id[static_cast<int>(next() % 1000)].push_back(i * 0.5);
		o.customer = w;
		o.items.push_back(i);
		o.total += static_cast<long>(next() % 100);
		seen.insert({static_cast<double>(next() % 100), static_cast<double>(next() % 100), i});
	}
	for (auto &kv : orders)
		by_total.emplace(kv.second.total, kv.first);
	for (auto it = by_name.lower_bound("m"); it != by_name.end(); ++it)
		s += it->second;
	for (auto &kv : by_id)
		s += static_cast<long>(kv.second.size());
	for (int i = 0; i < n; i++) {
		auto it = orders.find(word(3));

		if (it != orders.end())
			s += it->second.total;
		by_name.erase(word(2));
	}
	return s + static_cast<long>(seen.size() + by_total.size());
}

long queues(int n)
{
	std::priority_queue<long> q;
	std::priority_queue<std::pair<double, int>, std::vector<std::pair<double, int>>,
			    std::greater<std::pair<double, int>>>
		r;
	long s = 0;

	for (int i = 0; i < n; i++) {
		q.push(static_cast<long>(next() % 100000));
		r.emplace(static_cast<double>(next() % 1000) / 3.0, i);
		if (i % 3 == 0) {
			s += q.top();
			q.pop();
			s += r.top().second;
			r.pop();
		}
	}
	return s;
}

long regexes(int n)
{
	static const std::regex re("([a-z]+)-([0-9]+)(\\.[a-z]{2,3})?");
	std::smatch m;
	long s = 0;

	for (int i = 0; i < n; i++) {
		std::string text = word(5) + "-" + std::to_string(next() % 10000) + ".txt " + word(4);

		if (std::regex_search(text, m, re))
			s += static_cast<long>(m[2].length());
		s += static_cast<long>(std::regex_replace(text, re, "$2:$1").size());
	}
	return s;
}

} // namespace work

int main(int argc, char **argv)
{
	long rounds = 5, s = 0;

	if (argc > 1 && !strcmp(argv[1], "pause")) {
		printf("ready\n");
		fflush(stdout);
		for (;;)
			pause();
	}
	if (argc > 1)
		rounds = atol(argv[1]);
	for (long i = 0; i < rounds; i++)
		s += work::sorts(20000) + work::maps(20000) + work::queues(20000) + work::regexes(2000);
	printf("%ld\n", s);
	return 0;
}
