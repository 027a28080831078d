/* SPDX-License-Identifier: MIT */
/*
 * Shared by the unwinding fixtures: CPU burnt until a wall-clock deadline in the frame of the
 * function that calls spin_until(). It is always inlined, so it adds no frame of its own and the
 * samples land in the named function a test looks for.
 */
#ifndef PROFD_UNWIND_SPIN_H
#define PROFD_UNWIND_SPIN_H

#include "../workloads/workload.h"

/* Spins in rounds of `rounds` steps until wall_ns() passes deadline; returns the state, for sink. */
static inline __attribute__((always_inline)) unsigned long spin_until(long long deadline, int rounds)
{
	unsigned long x = sink;

	while (wall_ns() < deadline) {
		for (int i = 0; i < rounds; i++) {
			x = x * 6364136223846793005UL + 1442695040888963407UL;
			__asm__ volatile("" : "+r"(x) : : "memory");
		}
	}
	return x;
}

#endif
