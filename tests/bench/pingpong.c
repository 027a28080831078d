// SPDX-License-Identifier: MIT
/*
 * A context-switch-heavy load: two threads pass a byte back and forth over two pipes, so every
 * round trip blocks each thread once in read(). Prints what it did:
 *   "switches N cpu_s C wall_s W"
 * N: voluntary context switches of the process (getrusage), C: its user + system CPU seconds,
 * W: wall seconds. A tool that works at every switch shows up in C (its BPF runs in the switching
 * threads) and in W.
 *
 * Usage: pingpong ROUNDS
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

static int ping[2], pong[2];
static long rounds;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void *echo(void *arg)
{
	char c;

	for (long i = 0; i < rounds; i++)
		if (read(ping[0], &c, 1) != 1 || write(pong[1], &c, 1) != 1)
			break;
	return NULL;
}

int main(int argc, char **argv)
{
	struct rusage ru;
	pthread_t t;
	double t0;
	char c = 'x';

	rounds = argc > 1 ? atol(argv[1]) : 100000;
	if (rounds <= 0 || pipe(ping) || pipe(pong) || pthread_create(&t, NULL, echo, NULL)) {
		perror("pingpong");
		return 1;
	}
	t0 = now();
	for (long i = 0; i < rounds; i++)
		if (write(ping[1], &c, 1) != 1 || read(pong[0], &c, 1) != 1)
			break;
	pthread_join(t, NULL);
	getrusage(RUSAGE_SELF, &ru);
	printf("switches %ld cpu_s %.6f wall_s %.6f\n", ru.ru_nvcsw,
	       ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec +
		       ru.ru_stime.tv_usec / 1e6,
	       now() - t0);
	return 0;
}
