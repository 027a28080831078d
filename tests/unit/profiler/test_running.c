// SPDX-License-Identifier: MIT
/* Unit tests of which processes are running now, as the start-up of -a asks /proc. */
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "profiler/sampling_internal.h"
#include "helpers.h"

#define WAIT_MS 10000

static void sleep_ms(int ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

/* Whether pid's running state becomes want within WAIT_MS. */
static bool becomes(pid_t pid, bool want)
{
	for (int i = 0; i < WAIT_MS; i++) {
		if (prof_process_running(pid) == want)
			return true;
		sleep_ms(1);
	}
	return false;
}

/* The state letter of /proc/PID/stat itself: its first thread's. */
static char leader_state(pid_t pid)
{
	char path[64], buf[512], *p;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	assert_non_null(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	p = strrchr(buf, ')');
	assert_non_null(p);
	return p[2];
}

/* A child that writes one byte to fd, then runs fn (which never returns). */
static pid_t spawn(int fd, void (*fn)(int fd))
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0)
		fn(fd);
	return pid;
}

static void just_wait(int fd)
{
	assert_int_equal(write(fd, "r", 1), 1);
	for (;;)
		pause();
}

static void *spin(void *fd)
{
	volatile unsigned long n = 0;

	assert_int_equal(write((int)(intptr_t)fd, "r", 1), 1);
	for (;;)
		n++;
	return NULL;
}

/* Its first thread waits in pthread_join() while another spins. */
static void spin_in_a_thread(int fd)
{
	pthread_t t;

	if (pthread_create(&t, NULL, spin, (void *)(intptr_t)fd))
		_exit(1);
	pthread_join(t, NULL);
	_exit(0);
}

static pid_t start(void (*fn)(int fd))
{
	int p[2];
	char c;
	pid_t pid;

	assert_int_equal(pipe(p), 0);
	pid = spawn(p[1], fn);
	close(p[1]);
	assert_int_equal(read(p[0], &c, 1), 1);
	close(p[0]);
	return pid;
}

static void reap(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

static void test_self_is_running(void **state)
{
	/* Reading its own stat, a process is on a CPU. */
	assert_true(prof_process_running(getpid()));
}

static void test_sleeper_is_not(void **state)
{
	pid_t pid = start(just_wait);

	assert_true(becomes(pid, false));
	reap(pid);
}

static void test_any_thread_counts(void **state)
{
	pid_t pid = start(spin_in_a_thread);

	/* Once its first thread sleeps in pthread_join(), only the other thread's state says so. */
	for (int i = 0; i < WAIT_MS && leader_state(pid) != 'S'; i++)
		sleep_ms(1);
	assert_int_equal(leader_state(pid), 'S');
	assert_true(prof_process_running(pid));
	reap(pid);
}

static void test_gone_is_not(void **state)
{
	pid_t pid = start(just_wait);

	reap(pid);
	assert_false(prof_process_running(pid));
}

TEST_MAIN(cmocka_unit_test(test_self_is_running), cmocka_unit_test(test_sleeper_is_not),
	  cmocka_unit_test(test_any_thread_counts), cmocka_unit_test(test_gone_is_not))
