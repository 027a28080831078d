// SPDX-License-Identifier: MIT
/* The library dlcycle.c maps and unmaps: dl_work burns ns of wall time in dl_spin. */
#include "spin.h"

NOINLINE void dl_spin(long long deadline)
{
	sink = spin_until(deadline, 20000);
}

void dl_work(long long ns)
{
	dl_spin(wall_ns() + ns);
	__asm__ volatile("" : : : "memory");
}
