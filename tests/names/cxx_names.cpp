// SPDX-License-Identifier: MIT
/*
 * C++ names for tests/e2e/test_names.sh: four hot functions whose demangled names hold what
 * shortening must handle, a member of a class template instantiated with std::string, an
 * operator of another instantiation, a lambda, and a function template in an anonymous
 * namespace instantiated with a lambda's type. Each burns about a quarter of the CPU, in turns
 * of 2 ms, for SECONDS (default 3).
 *
 * Usage: cxx_names [SECONDS]
 */
#include <chrono>
#include <cstdlib>
#include <string>
#include <vector>

using Clock = std::chrono::steady_clock;

static volatile unsigned long sink;

/* Spends us microseconds in the function that expands it. */
#define BURN(us)                                                                                   \
	do {                                                                                       \
		Clock::time_point end = Clock::now() + std::chrono::microseconds(us);               \
		unsigned long x = sink;                                                            \
		while (Clock::now() < end)                                                         \
			for (int i = 0; i < 2000; i++)                                             \
				x = x * 6364136223846793005UL + 1442695040888963407UL;             \
		sink = x;                                                                          \
	} while (0)

namespace ns {
template <typename T> struct Box {
	T v;
	__attribute__((noinline)) long spin(long us) const
	{
		BURN(us);
		return (long)sizeof(v);
	}
	__attribute__((noinline)) Box &operator<<(long us)
	{
		BURN(us);
		return *this;
	}
};
} // namespace ns

namespace {
template <typename F> __attribute__((noinline)) long churn(F f, long us)
{
	BURN(us);
	return f(1);
}
} // namespace

int main(int argc, char **argv)
{
	double seconds = argc > 1 ? atof(argv[1]) : 3;
	Clock::time_point end = Clock::now() + std::chrono::duration_cast<Clock::duration>(
						       std::chrono::duration<double>(seconds));
	ns::Box<std::string> text{"text"};
	ns::Box<std::vector<int>> list{{1, 2}};
	auto lambda = [](long us) {
		BURN(us);
		return us;
	};
	long n = 0;

	while (Clock::now() < end) {
		n += text.spin(2000);
		list << 2000;
		n += lambda(2000);
		n += churn([](int x) { return x + 1; }, 2000);
	}
	return n == 42;
}
