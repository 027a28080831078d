// SPDX-License-Identifier: MIT
/*
 * HTTP(S) POSTs with libcurl: the only file of profd that uses it, behind the four functions of
 * store_internal.h. libcurl is opened with dlopen by the first of them called, that is only by an
 * agent given --push: linked, it would bring gnutls, libcrypto, Kerberos and LDAP (megabytes
 * resident) into every run. It is Debian's libcurl-gnutls, the one libdebuginfod uses too.
 *
 * What curl does for us: https verified against the system's CAs or a given file, basic auth,
 * proxies from the environment (http_proxy, https_proxy, no_proxy, as curl reads them), and
 * time-outs that include name resolution.
 */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "common/log.h"
#include "common/new.h"
#include "store/store_internal.h"

#define CONNECT_TIMEOUT_MS 10000L /* name resolution, TCP and TLS handshakes */
#define TOTAL_TIMEOUT_MS 60000L	  /* the whole request */

struct store_http {
	CURL *curl;
	struct curl_slist *headers;
	char *ca_file;
	char *userpwd;
	char errbuf[CURL_ERROR_SIZE];
};

#define LIBCURL "libcurl-gnutls.so.4"

/* The functions used, from the library opened once for the whole process. */
static struct {
	__typeof__(curl_easy_cleanup) *easy_cleanup;
	__typeof__(curl_easy_getinfo) *easy_getinfo;
	__typeof__(curl_easy_init) *easy_init;
	__typeof__(curl_easy_perform) *easy_perform;
	__typeof__(curl_easy_reset) *easy_reset;
	__typeof__(curl_easy_setopt) *easy_setopt;
	__typeof__(curl_easy_strerror) *easy_strerror;
	__typeof__(curl_free) *free;
	__typeof__(curl_global_init) *global_init;
	__typeof__(curl_mime_addpart) *mime_addpart;
	__typeof__(curl_mime_data) *mime_data;
	__typeof__(curl_mime_filename) *mime_filename;
	__typeof__(curl_mime_free) *mime_free;
	__typeof__(curl_mime_init) *mime_init;
	__typeof__(curl_mime_name) *mime_name;
	__typeof__(curl_mime_type) *mime_type;
	__typeof__(curl_slist_append) *slist_append;
	__typeof__(curl_slist_free_all) *slist_free_all;
	__typeof__(curl_url) *url;
	__typeof__(curl_url_cleanup) *url_cleanup;
	__typeof__(curl_url_get) *url_get;
	__typeof__(curl_url_set) *url_set;
} lib;

static pthread_once_t lib_once = PTHREAD_ONCE_INIT;
static int lib_err;

#define LOAD(h, name) (lib.name = (__typeof__(lib.name))dlsym(h, "curl_" #name))

static void load_lib(void)
{
	void *h = dlopen(LIBCURL, RTLD_NOW | RTLD_LOCAL);
	bool all;

	if (!h) {
		pr_warn("push: %s", dlerror());
		lib_err = -ENOENT;
		return;
	}
	all = LOAD(h, easy_cleanup) &&
	      LOAD(h, easy_getinfo) &&
	      LOAD(h, easy_init) &&
	      LOAD(h, easy_perform) &&
	      LOAD(h, easy_reset) &&
	      LOAD(h, easy_setopt) &&
	      LOAD(h, easy_strerror) &&
	      LOAD(h, free) &&
	      LOAD(h, global_init) &&
	      LOAD(h, mime_addpart) &&
	      LOAD(h, mime_data) &&
	      LOAD(h, mime_filename) &&
	      LOAD(h, mime_free) &&
	      LOAD(h, mime_init) &&
	      LOAD(h, mime_name) &&
	      LOAD(h, mime_type) &&
	      LOAD(h, slist_append) &&
	      LOAD(h, slist_free_all) &&
	      LOAD(h, url) &&
	      LOAD(h, url_cleanup) &&
	      LOAD(h, url_get) &&
	      LOAD(h, url_set);
	if (!all) {
		pr_warn("push: %s lacks a function profd uses", LIBCURL);
		dlclose(h);
		lib_err = -ENOENT;
		return;
	}
	if (lib.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		lib_err = -EIO;
}

/* Opens libcurl and initializes it (and TLS) once. Returns 0 or -errno (one line logged). */
static int open_lib(void)
{
	pthread_once(&lib_once, load_lib);
	return lib_err;
}

void store_http__free(struct store_http *h)
{
	if (!h)
		return;
	lib.easy_cleanup(h->curl);
	lib.slist_free_all(h->headers);
	free(h->ca_file);
	if (h->userpwd) /* a secret: not left in freed memory */
		explicit_bzero(h->userpwd, strlen(h->userpwd));
	free(h->userpwd);
	free(h);
}

static int add_header(struct store_http *h, const char *line)
{
	struct curl_slist *l = lib.slist_append(h->headers, line);

	if (!l)
		return -ENOMEM;
	h->headers = l;
	return 0;
}

struct store_http *store_http__new(const struct store_http_opts *o)
{
	struct store_http *h;
	int err = open_lib();

	if (err) {
		errno = -err;
		return NULL;
	}
	h = calloc(1, sizeof(*h));
	if (!h)
		return NULL;
	h->curl = lib.easy_init();
	if (!h->curl)
		err = -ENOMEM;
	if (!err && o->ca_file && !(h->ca_file = strdup(o->ca_file)))
		err = -ENOMEM;
	if (!err && o->userpwd && !(h->userpwd = strdup(o->userpwd)))
		err = -ENOMEM;
	/* No "Expect: 100-continue": one round trip less, and no wait on servers that ignore it. */
	err = err ?: add_header(h, "Expect:");
	for (size_t i = 0; !err && i < o->nheaders; i++)
		err = add_header(h, o->headers[i]);
	return err ? PROFD_NEW_FAILED(store_http__free, h, err) : h;
}

/* Which failures are the backend's refusal, a certificate problem, or worth a quick retry. */
static enum store_http_outcome classify(CURLcode rc, long status)
{
	switch (rc) {
	case CURLE_OK:
		break;
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
		return STORE_HTTP_TLS;
	default:
		return STORE_HTTP_RETRY;
	}
	if (status >= 200 && status <= 299)
		return STORE_HTTP_OK;
	if (status == 401 || status == 403 || status == 407)
		return STORE_HTTP_AUTH;
	/* Another 4xx says this request is wrong: sending it again cannot help. */
	if (status >= 400 && status < 500 && status != 408 && status != 429)
		return STORE_HTTP_REFUSED;
	return STORE_HTTP_RETRY;
}

static size_t discard(char *data, size_t size, size_t n, void *ctx)
{
	return size * n; /* the answer's body says nothing we act on */
}

static void set_options(struct store_http *h, const char *url, curl_mime *form)
{
	CURL *c = h->curl;

	lib.easy_reset(c);
	lib.easy_setopt(c, CURLOPT_URL, url);
	lib.easy_setopt(c, CURLOPT_MIMEPOST, form);
	lib.easy_setopt(c, CURLOPT_HTTPHEADER, h->headers);
	lib.easy_setopt(c, CURLOPT_USERAGENT, "profd/" PROFD_VERSION);
	lib.easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	lib.easy_setopt(c, CURLOPT_NOSIGNAL, 1L); /* a thread of its own: no SIGALRM */
	lib.easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, CONNECT_TIMEOUT_MS);
	lib.easy_setopt(c, CURLOPT_TIMEOUT_MS, TOTAL_TIMEOUT_MS);
	lib.easy_setopt(c, CURLOPT_ERRORBUFFER, h->errbuf);
	lib.easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	if (h->ca_file)
		lib.easy_setopt(c, CURLOPT_CAINFO, h->ca_file);
	if (h->userpwd) {
		lib.easy_setopt(c, CURLOPT_USERPWD, h->userpwd);
		lib.easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
	}
}

enum store_http_outcome store_http__post_file(struct store_http *h, const char *url,
					      const char *field, const char *filename,
					      const void *data, size_t len,
					      struct store_http_result *r)
{
	curl_mime *form = lib.mime_init(h->curl);
	curl_mimepart *part = form ? lib.mime_addpart(form) : NULL;
	CURLcode rc = CURLE_OUT_OF_MEMORY;
	long status = 0;

	memset(r, 0, sizeof(*r));
	h->errbuf[0] = '\0';
	if (part && !lib.mime_name(part, field) && !lib.mime_filename(part, filename) &&
	    !lib.mime_type(part, "application/octet-stream") &&
	    !lib.mime_data(part, data, len)) {
		set_options(h, url, form);
		rc = lib.easy_perform(h->curl);
		lib.easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &status);
	}
	lib.mime_free(form);
	r->status = (int)status;
	r->outcome = classify(rc, status);
	if (rc != CURLE_OK)
		snprintf(r->why, sizeof(r->why), "%s", h->errbuf[0] ? h->errbuf : lib.easy_strerror(rc));
	else if (r->outcome != STORE_HTTP_OK)
		snprintf(r->why, sizeof(r->why), "HTTP status %ld", status);
	return r->outcome;
}

/* "USER:PASSWORD" from the URL's user info, decoded; NULL without a user. */
static int url_userpwd(CURLU *u, char **out)
{
	char *user = NULL, *pass = NULL;
	int err = 0;

	*out = NULL;
	if (lib.url_get(u, CURLUPART_USER, &user, CURLU_URLDECODE))
		return 0;
	lib.url_get(u, CURLUPART_PASSWORD, &pass, CURLU_URLDECODE);
	if (asprintf(out, "%s:%s", user, pass ? pass : "") < 0) {
		*out = NULL;
		err = -ENOMEM;
	}
	explicit_bzero(user, strlen(user));
	if (pass)
		explicit_bzero(pass, strlen(pass));
	lib.free(user);
	lib.free(pass);
	return err;
}

int store_http_parse_url(const char *url, char **base, char **userpwd)
{
	char *scheme = NULL, *host = NULL, *bare = NULL;
	int err = open_lib();
	CURLU *u;
	size_t n;

	*base = *userpwd = NULL;
	if (err)
		return err;
	u = lib.url();
	if (!u)
		return -ENOMEM;
	err = -EINVAL;
	if (lib.url_set(u, CURLUPART_URL, url, 0) ||
	    lib.url_get(u, CURLUPART_SCHEME, &scheme, 0) ||
	    (strcmp(scheme, "http") && strcmp(scheme, "https")) ||
	    lib.url_get(u, CURLUPART_HOST, &host, 0) || !*host)
		goto out;
	err = url_userpwd(u, userpwd);
	if (err)
		goto out;
	err = -ENOMEM;
	if (lib.url_set(u, CURLUPART_USER, NULL, 0) || lib.url_set(u, CURLUPART_PASSWORD, NULL, 0) ||
	    lib.url_set(u, CURLUPART_QUERY, NULL, 0) || lib.url_set(u, CURLUPART_FRAGMENT, NULL, 0) ||
	    lib.url_get(u, CURLUPART_URL, &bare, 0))
		goto out;
	n = strlen(bare);
	while (n && bare[n - 1] == '/')
		n--;
	*base = strndup(bare, n);
	err = *base ? 0 : -ENOMEM;
out:
	if (err && *userpwd) {
		explicit_bzero(*userpwd, strlen(*userpwd));
		free(*userpwd);
		*userpwd = NULL;
	}
	lib.free(scheme);
	lib.free(host);
	lib.free(bare);
	lib.url_cleanup(u);
	return err;
}
