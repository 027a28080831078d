// SPDX-License-Identifier: MIT
/* --http, --http-host and --http-public: the options every serving command shares. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "profiler/commands_internal.h"
#include "web/web.h"

static int usage(const char *what, const char *arg, const char *why)
{
	prof_usage(NULL, "%s %s: %s", what, arg, why);
	return -1;
}

/* Host names as DNS spells them, or a numeric address; no ports, no paths. */
static bool host_name_ok(const char *s)
{
	size_t len = strlen(s);

	if (!len || len > 253)
		return false;
	for (const char *c = s; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		      (*c >= '0' && *c <= '9') || *c == '-' || *c == '.' || *c == ':'))
			return false;
	return true;
}

int prof_http_option(struct prof_http_opts *o, int opt, const char *arg)
{
	char addr[INET6_ADDRSTRLEN];
	const char **hosts;
	uint16_t port;

	switch (opt) {
	case PROF_OPT_HTTP:
		if (web_parse_listen(arg, addr, sizeof(addr), &port))
			return usage("--http", arg,
				     "expected [ADDR:]PORT with a numeric address, e.g. 127.0.0.1:7070");
		o->listen = arg;
		return 1;
	case PROF_OPT_HTTP_HOST:
		if (!host_name_ok(arg))
			return usage("--http-host", arg, "expected a host name without port");
		hosts = realloc(o->hosts, (o->nhosts + 1) * sizeof(*hosts));
		if (!hosts)
			return usage("--http-host", arg, "out of memory");
		o->hosts = hosts;
		o->hosts[o->nhosts++] = arg;
		return 1;
	case PROF_OPT_HTTP_PUBLIC:
		o->allow_public = true;
		return 1;
	default:
		return 0;
	}
}

int prof_http_check(const struct prof_http_opts *o)
{
	char addr[INET6_ADDRSTRLEN];
	uint16_t port;

	if (!o->listen) {
		if (o->nhosts || o->allow_public)
			return usage(o->nhosts ? "--http-host" : "--http-public",
				     o->nhosts ? o->hosts[0] : "", "needs --http");
		return 0;
	}
	if (web_parse_listen(o->listen, addr, sizeof(addr), &port))
		return usage("--http", o->listen, "expected [ADDR:]PORT");
	if (!web_addr_is_loopback(addr) && !o->allow_public)
		return usage("--http", o->listen,
			     "not a loopback address; add --http-public to let other machines read the profiles");
	return 0;
}

struct web_server *prof_http_serve(const struct prof_http_opts *o, const struct web_source *src)
{
	struct web_server_opts wo = {
		.hosts = o->hosts,
		.nhosts = (size_t)o->nhosts,
		.allow_public = o->allow_public,
		.source = *src,
	};
	char addr[INET6_ADDRSTRLEN], url[128];
	struct web_server *s;

	if (web_parse_listen(o->listen, addr, sizeof(addr), &wo.port)) {
		errno = EINVAL;
		return NULL;
	}
	wo.addr = addr;
	s = web_server__start(&wo);
	if (!s)
		return NULL;
	if (!web_addr_is_loopback(addr))
		pr_warn("warning: serving on %s, not a loopback address: anyone who can reach it can read these profiles",
			addr);
	pr_info("serving %s", web_server__url(s, url, sizeof(url)));
	return s;
}
