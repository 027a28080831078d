// SPDX-License-Identifier: MIT
/* libmicrohttpd opened at run time: see mhd_internal.h. */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>

#include "common/log.h"
#include "web/mhd_internal.h"

#define LIBMICROHTTPD "libmicrohttpd.so.12"

struct web_mhd web_mhd;

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int open_err;

#define LOAD(h, field, symbol) (web_mhd.field = (__typeof__(web_mhd.field))dlsym(h, symbol))

static void load(void)
{
	void *h = dlopen(LIBMICROHTTPD, RTLD_NOW | RTLD_LOCAL);
	bool all;

	if (!h) {
		pr_warn("http: %s", dlerror());
		open_err = -ENOENT;
		return;
	}
	all = LOAD(h, start_daemon, "MHD_start_daemon") && LOAD(h, stop_daemon, "MHD_stop_daemon") &&
	      LOAD(h, get_daemon_info, "MHD_get_daemon_info") &&
	      LOAD(h, lookup_connection_value, "MHD_lookup_connection_value") &&
	      LOAD(h, get_connection_values_n, "MHD_get_connection_values_n") &&
	      LOAD(h, create_response_from_buffer, "MHD_create_response_from_buffer") &&
	      LOAD(h, add_response_header, "MHD_add_response_header") &&
	      LOAD(h, queue_response, "MHD_queue_response") &&
	      LOAD(h, destroy_response, "MHD_destroy_response");
	if (!all) {
		pr_warn("http: %s lacks a function profd uses", LIBMICROHTTPD);
		dlclose(h);
		open_err = -ENOENT;
	}
}

int web_mhd_open(void)
{
	pthread_once(&once, load);
	return open_err;
}
