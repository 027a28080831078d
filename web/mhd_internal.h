/* SPDX-License-Identifier: MIT */
/*
 * libmicrohttpd, opened with dlopen by the server when a page is asked for: linked, it would
 * bring gnutls and its libraries (2.4 MiB resident) into every run, page or not.
 */
#ifndef PROFD_WEB_MHD_INTERNAL_H
#define PROFD_WEB_MHD_INTERNAL_H

#include <microhttpd.h>

/* The functions the server calls; set by web_mhd_open(). */
struct web_mhd {
	__typeof__(MHD_start_daemon) *start_daemon;
	__typeof__(MHD_stop_daemon) *stop_daemon;
	__typeof__(MHD_get_daemon_info) *get_daemon_info;
	__typeof__(MHD_lookup_connection_value) *lookup_connection_value;
	__typeof__(MHD_get_connection_values_n) *get_connection_values_n;
	__typeof__(MHD_create_response_from_buffer) *create_response_from_buffer;
	__typeof__(MHD_add_response_header) *add_response_header;
	__typeof__(MHD_queue_response) *queue_response;
	__typeof__(MHD_destroy_response) *destroy_response;
};

extern struct web_mhd web_mhd;

/* Opens the library once per process and fills web_mhd. Returns 0 or -ENOENT (one line logged). */
int web_mhd_open(void);

#endif
