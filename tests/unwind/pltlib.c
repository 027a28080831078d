// SPDX-License-Identifier: MIT
/* The shared half of pltwork.c: a function so small that calls to it spend a good share of their
 * time in the caller's PLT stub. */
int plt_tiny(int x)
{
	return x + 1;
}
