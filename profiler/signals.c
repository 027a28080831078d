// SPDX-License-Identifier: MIT
/*
 * Stop signals: a flag, not an exit, so every command ends through its own cleanup (output
 * written, sysctl restored, command reaped). Threads that must not take them (the web server's)
 * block them; any other thread that takes one only sets the flag too.
 */
#include <poll.h>
#include <signal.h>

#include "profiler/commands_internal.h"

#define WAIT_STEP_MS 100

static volatile sig_atomic_t caught, count;

static void on_stop_signal(int sig)
{
	caught = sig;
	count++; /* the same signal is blocked while its handler runs */
}

void prof_signals_catch(void)
{
	static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
	struct sigaction sa = {.sa_handler = on_stop_signal};

	/* No SA_RESTART: a blocking poll returns at once so the run stops promptly. */
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
}

int prof_signals_caught(void)
{
	return caught;
}

unsigned int prof_signals_count(void)
{
	return (unsigned int)count;
}

void prof_signals_wait(void)
{
	while (!caught)
		poll(NULL, 0, WAIT_STEP_MS);
}
