// SPDX-License-Identifier: MIT
/*
 * The HTTP server: libmicrohttpd with its own small thread pool, so requests never run on the
 * record loop's thread. Every request passes the same gate before a route sees it: GET or HEAD
 * only (405), a Host header naming this server (403, against DNS rebinding), a known path (404)
 * and only the parameters that route takes, each at most once (400).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "common/log.h"
#include "common/new.h"
#include "web/mhd_internal.h"
#include "web/web_internal.h"

#define DEFAULT_THREADS 2
#define DEFAULT_MAX_CONNECTIONS 256
/* One client holding every connection would lock everyone else out; a browser uses about 6. */
#define DEFAULT_MAX_PER_ADDRESS 32
#define DEFAULT_TIMEOUT_S 10
#define MAX_HOSTS 32

/* Data endpoints load nothing; the page and the flame graph get policies of their own. */
static const char csp_data[] = "default-src 'none'; frame-ancestors 'none'";

struct web_server {
	struct MHD_Daemon *daemon;
	bool started;		     /* until then, libmicrohttpd's messages are for -v only */
	struct profd_ratelimit logs; /* its messages after: clients can cause them at will */
	struct web_source src;
	char addr[INET6_ADDRSTRLEN];
	bool v6;
	uint16_t port;
	char **hosts; /* lowercase names the Host header may carry, without port */
	size_t nhosts;
	struct web_tree_cache *trees;
};

/* ---- the gate ---- */

/* Splits "name[:port]" or "[v6][:port]" and checks name and port. */
static bool host_allowed(const struct web_server *s, const char *host)
{
	const char *name = host, *end, *colon;
	char buf[256];
	size_t len;

	if (!host || !*host)
		return false;
	if (host[0] == '[') {
		end = strchr(host, ']');
		if (!end)
			return false;
		name = host + 1;
		len = (size_t)(end - name);
		colon = end[1] == ':' ? end + 1 : NULL;
		if (end[1] && !colon)
			return false;
	} else {
		colon = strchr(host, ':');
		len = colon ? (size_t)(colon - host) : strlen(host);
	}
	if (colon) {
		char *e;
		unsigned long port = strtoul(colon + 1, &e, 10);

		if (e == colon + 1 || *e || port != s->port)
			return false;
	}
	if (len == 0 || len >= sizeof(buf))
		return false;
	memcpy(buf, name, len);
	buf[len] = 0;
	for (size_t i = 0; i < s->nhosts; i++)
		if (strcasecmp(buf, s->hosts[i]) == 0)
			return true;
	return false;
}

struct collect_ctx {
	struct web_request *rq;
	struct web_reply *rp;
	int err;
};

static enum MHD_Result collect_param(void *cls, enum MHD_ValueKind kind, const char *key,
				     size_t key_size, const char *value, size_t value_size)
{
	struct collect_ctx *c = cls;
	struct web_request *rq = c->rq;

	if (c->err)
		return MHD_NO;
	if (rq->nparams == WEB_MAX_PARAMS) {
		c->err = web_reply_error(c->rp, 400, "too many parameters (at most %d)",
					 WEB_MAX_PARAMS);
		return MHD_NO;
	}
	if (key_size != strlen(key) || (value && value_size != strlen(value))) {
		c->err = web_reply_error(c->rp, 400, "a parameter holds a NUL byte");
		return MHD_NO;
	}
	if (key_size > 32 || value_size > WEB_MAX_PARAM_LEN) {
		c->err = web_reply_error(c->rp, 400, "a parameter is too long (at most %d bytes)",
					 WEB_MAX_PARAM_LEN);
		return MHD_NO;
	}
	rq->params[rq->nparams++] = (struct web_param){
		.key = key,
		.value = value ? value : "",
		.len = value ? value_size : 0,
	};
	return MHD_YES;
}

/* Only the parameters the route takes, each once. */
static int check_params(const struct web_route *route, const struct web_request *rq,
			struct web_reply *rp)
{
	for (size_t i = 0; i < rq->nparams; i++) {
		const char *key = rq->params[i].key;
		bool known = false;

		for (const char *const *p = route->params; p && *p && !known; p++)
			known = strcmp(*p, key) == 0;
		if (!known) {
			if (!web_text_ok(key, strlen(key)))
				return web_reply_error(rp, 400, "unknown parameter");
			return web_reply_error(rp, 400, "unknown parameter \"%s\" for %s", key,
					       route->path);
		}
		for (size_t j = 0; j < i; j++)
			if (strcmp(rq->params[j].key, key) == 0)
				return web_reply_error(rp, 400, "parameter \"%s\" given twice", key);
	}
	return 0;
}

static void dispatch(struct web_server *s, struct MHD_Connection *conn, const char *url,
		     const char *method, struct web_reply *rp)
{
	struct web_request rq = {.src = &s->src, .path = url, .trees = s->trees};
	struct collect_ctx c = {.rq = &rq, .rp = rp};
	const struct web_route *route;

	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD)) {
		web_reply_error(rp, 405, "only GET and HEAD are allowed");
		return;
	}
	if (!host_allowed(s, web_mhd.lookup_connection_value(conn, MHD_HEADER_KIND,
							 MHD_HTTP_HEADER_HOST))) {
		web_reply_error(rp, 403,
				"the Host header must name this server (see --http-host)");
		return;
	}
	route = web_route_find(url);
	if (!route) {
		web_reply_error(rp, 404, "no such page");
		return;
	}
	rq.if_none_match = web_mhd.lookup_connection_value(conn, MHD_HEADER_KIND,
						       MHD_HTTP_HEADER_IF_NONE_MATCH);
	rq.accept_encoding = web_mhd.lookup_connection_value(conn, MHD_HEADER_KIND,
							 MHD_HTTP_HEADER_ACCEPT_ENCODING);
	web_mhd.get_connection_values_n(conn, MHD_GET_ARGUMENT_KIND, collect_param, &c);
	if (c.err || check_params(route, &rq, rp))
		return;
	route->handle(&rq, rp);
}

static enum MHD_Result queue_reply(struct MHD_Connection *conn, struct web_reply *rp)
{
	enum MHD_ResponseMemoryMode mode =
		rp->kind == WEB_BODY_MALLOC ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT;
	struct MHD_Response *resp;
	enum MHD_Result ret;
	char disp[128];

	resp = web_mhd.create_response_from_buffer(rp->len, rp->body ? rp->body : (char *)"", mode);
	if (!resp) {
		if (rp->kind == WEB_BODY_MALLOC)
			free(rp->body);
		return MHD_NO;
	}
	if (rp->content_type)
		web_mhd.add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, rp->content_type);
	web_mhd.add_response_header(resp, MHD_HTTP_HEADER_CONTENT_SECURITY_POLICY,
				rp->csp ? rp->csp : csp_data);
	web_mhd.add_response_header(resp, "X-Content-Type-Options", "nosniff");
	web_mhd.add_response_header(resp, "Referrer-Policy", "no-referrer");
	web_mhd.add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	if (rp->status == 405)
		web_mhd.add_response_header(resp, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	if (rp->etag[0])
		web_mhd.add_response_header(resp, MHD_HTTP_HEADER_ETAG, rp->etag);
	if (rp->gzip)
		web_mhd.add_response_header(resp, MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip");
	if (rp->filename) {
		snprintf(disp, sizeof(disp), "attachment; filename=\"%s\"", rp->filename);
		web_mhd.add_response_header(resp, MHD_HTTP_HEADER_CONTENT_DISPOSITION, disp);
	}
	ret = web_mhd.queue_response(conn, rp->status, resp);
	web_mhd.destroy_response(resp);
	return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *upload_data,
				  size_t *upload_data_size, void **con_cls)
{
	struct web_reply rp = {0};

	/*
	 * Answer on the first call, before any body: nothing here takes one, and a request that
	 * sends one gets its 405 (or 400) without profd reading it.
	 */
	dispatch(cls, conn, url, method, &rp);
	if (!rp.status)
		web_reply_error(&rp, 500, "internal error: no reply");
	return queue_reply(conn, &rp);
}

/* ---- lifecycle ---- */

int web_parse_listen(const char *arg, char *addr, size_t addr_size, uint16_t *port)
{
	const char *p = arg, *colon;
	struct in6_addr a6;
	struct in_addr a4;
	char host[INET6_ADDRSTRLEN + 2] = "127.0.0.1";
	unsigned long v;
	char *end;

	if (arg[0] == '[') {
		const char *close = strchr(arg, ']');
		size_t len = close ? (size_t)(close - arg - 1) : 0;

		if (!close || close[1] != ':' || !len || len >= sizeof(host))
			return -EINVAL;
		memcpy(host, arg + 1, len);
		host[len] = 0;
		if (inet_pton(AF_INET6, host, &a6) != 1)
			return -EINVAL;
		p = close + 2;
	} else if ((colon = strrchr(arg, ':'))) {
		size_t len = (size_t)(colon - arg);

		if (!len || len >= sizeof(host))
			return -EINVAL;
		memcpy(host, arg, len);
		host[len] = 0;
		if (inet_pton(AF_INET, host, &a4) != 1)
			return -EINVAL;
		p = colon + 1;
	}
	if (*p < '0' || *p > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(p, &end, 10);
	if (errno || *end || v > 65535)
		return -EINVAL;
	if (strlen(host) >= addr_size)
		return -EINVAL;
	strcpy(addr, host);
	*port = (uint16_t)v;
	return 0;
}

bool web_addr_is_loopback(const char *addr)
{
	struct in6_addr a6;
	struct in_addr a4;

	if (inet_pton(AF_INET, addr, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	if (inet_pton(AF_INET6, addr, &a6) == 1)
		return IN6_IS_ADDR_LOOPBACK(&a6) ||
		       (IN6_IS_ADDR_V4MAPPED(&a6) && a6.s6_addr[12] == 127);
	return false;
}

static int add_host(struct web_server *s, const char *name)
{
	char *copy;

	if (s->nhosts == MAX_HOSTS)
		return -E2BIG;
	copy = strdup(name);
	if (!copy)
		return -ENOMEM;
	for (char *c = copy; *c; c++)
		*c = (char)(*c >= 'A' && *c <= 'Z' ? *c - 'A' + 'a' : *c);
	s->hosts[s->nhosts++] = copy;
	return 0;
}

static int setup_hosts(struct web_server *s, const struct web_server_opts *o)
{
	static const char *const local[] = {"127.0.0.1", "localhost", "::1"};
	struct in6_addr any6 = IN6ADDR_ANY_INIT, a6;
	int err = 0;

	s->hosts = calloc(MAX_HOSTS, sizeof(*s->hosts));
	if (!s->hosts)
		return -ENOMEM;
	for (size_t i = 0; i < 3 && !err; i++)
		err = add_host(s, local[i]);
	/* The bound address itself, unless it is a wildcard that names no host. */
	if (!err && strcmp(s->addr, "0.0.0.0") &&
	    !(inet_pton(AF_INET6, s->addr, &a6) == 1 && !memcmp(&a6, &any6, sizeof(a6))))
		err = add_host(s, s->addr);
	for (size_t i = 0; i < o->nhosts && !err; i++)
		err = add_host(s, o->hosts[i]);
	return err;
}

/*
 * libmicrohttpd's messages, through profd's logger: one per refused or aborted connection, so
 * rate-limited; while starting, its reason for a failure is said by profd's own line instead.
 */
static void on_mhd_message(void *cls, const char *fmt, va_list ap)
{
	struct web_server *s = cls;

	if (!__atomic_load_n(&s->started, __ATOMIC_ACQUIRE)) {
		if (profd_log_get_level() >= PROFD_LOG_DEBUG)
			profd_vlog(PROFD_LOG_DEBUG, fmt, ap);
		return;
	}
	profd_log_limited(&s->logs, PROFD_LOG_WARN, "http: ", fmt, ap);
}

static struct MHD_Daemon *start_daemon(struct web_server *s, const struct web_server_opts *o)
{
	struct sockaddr_storage ss = {0};
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_USE_ERROR_LOG;
	struct MHD_Daemon *d;
	sigset_t block, old;

	if (s->v6) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(s->port);
		inet_pton(AF_INET6, s->addr, &sin6->sin6_addr);
		flags |= MHD_USE_IPv6;
	} else {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons(s->port);
		inet_pton(AF_INET, s->addr, &sin->sin_addr);
	}
	/* Ctrl-C and friends belong to the record loop: the server's threads never take them. */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	sigaddset(&block, SIGQUIT);
	sigaddset(&block, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	d = web_mhd.start_daemon(flags, s->port, NULL, NULL, on_request, s, MHD_OPTION_SOCK_ADDR, &ss,
			     MHD_OPTION_EXTERNAL_LOGGER, on_mhd_message, s,
			     MHD_OPTION_THREAD_POOL_SIZE, o->threads ? o->threads : DEFAULT_THREADS,
			     MHD_OPTION_CONNECTION_LIMIT,
			     o->max_connections ? o->max_connections : DEFAULT_MAX_CONNECTIONS,
			     MHD_OPTION_PER_IP_CONNECTION_LIMIT,
			     o->max_per_address ? o->max_per_address : DEFAULT_MAX_PER_ADDRESS,
			     MHD_OPTION_CONNECTION_TIMEOUT,
			     o->timeout_s ? o->timeout_s : DEFAULT_TIMEOUT_S,
			     MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)64 * 1024,
			     MHD_OPTION_END);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return d;
}

struct web_server *web_server__start(const struct web_server_opts *o)
{
	struct web_server *s = calloc(1, sizeof(*s));
	const union MHD_DaemonInfo *info;
	struct in6_addr a6;
	int err;

	if (!s)
		return NULL;
	s->logs = (struct profd_ratelimit)PROFD_RATELIMIT_INIT(60, 5);
	snprintf(s->addr, sizeof(s->addr), "%s", o->addr ? o->addr : "127.0.0.1");
	s->v6 = inet_pton(AF_INET6, s->addr, &a6) == 1;
	s->port = o->port;
	s->src = o->source;
	if (!web_addr_is_loopback(s->addr) && !o->allow_public) {
		pr_warn("http: %s is not a loopback address; refusing to serve it without --http-public",
			s->addr);
		err = -EACCES;
		goto fail;
	}
	err = web_mhd_open();
	err = err ?: setup_hosts(s, o);
	if (err)
		goto fail;
	s->trees = web_tree_cache__new();
	s->daemon = start_daemon(s, o);
	if (!s->daemon) {
		err = errno ? -errno : -EADDRINUSE;
		pr_warn("http: cannot listen on %s%s%s:%u: %s", s->v6 ? "[" : "", s->addr,
			s->v6 ? "]" : "", s->port, strerror(-err));
		goto fail;
	}
	__atomic_store_n(&s->started, true, __ATOMIC_RELEASE);
	info = web_mhd.get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
	if (info && info->port)
		s->port = info->port;
	return s;
fail:
	return PROFD_NEW_FAILED(web_server__stop, s, err);
}

void web_server__stop(struct web_server *s)
{
	if (!s)
		return;
	if (s->daemon) {
		web_mhd.stop_daemon(s->daemon);
		profd_log_limited_flush(&s->logs, PROFD_LOG_WARN, "http: ");
	}
	web_tree_cache__free(s->trees);
	for (size_t i = 0; i < s->nhosts; i++)
		free(s->hosts[i]);
	free(s->hosts);
	free(s);
}

uint16_t web_server__port(const struct web_server *s)
{
	return s->port;
}

const char *web_server__url(const struct web_server *s, char *buf, size_t size)
{
	snprintf(buf, size, "http://%s%s%s:%u/", s->v6 ? "[" : "", s->addr, s->v6 ? "]" : "",
		 s->port);
	return buf;
}
