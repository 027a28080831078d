// SPDX-License-Identifier: MIT
/*
 * HTTP(S) POSTs with libcurl: the only file of profd that uses it, behind the four functions of
 * store_internal.h, so that it could be loaded on demand later. curl (and its TLS library) is
 * initialized by store_http__new(), that is only by an agent that pushes.
 *
 * What curl does for us: https verified against the system's CAs or a given file, basic auth,
 * proxies from the environment (http_proxy, https_proxy, no_proxy, as curl reads them), and
 * time-outs that include name resolution.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

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

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static CURLcode global_rc;

static void global_init(void)
{
	global_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

void store_http__free(struct store_http *h)
{
	if (!h)
		return;
	curl_easy_cleanup(h->curl);
	curl_slist_free_all(h->headers);
	free(h->ca_file);
	if (h->userpwd) /* a secret: not left in freed memory */
		explicit_bzero(h->userpwd, strlen(h->userpwd));
	free(h->userpwd);
	free(h);
}

static int add_header(struct store_http *h, const char *line)
{
	struct curl_slist *l = curl_slist_append(h->headers, line);

	if (!l)
		return -ENOMEM;
	h->headers = l;
	return 0;
}

struct store_http *store_http__new(const struct store_http_opts *o)
{
	struct store_http *h;
	int err = 0;

	pthread_once(&global_once, global_init);
	if (global_rc != CURLE_OK) {
		errno = EIO;
		return NULL;
	}
	h = calloc(1, sizeof(*h));
	if (!h)
		return NULL;
	h->curl = curl_easy_init();
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
	if (err) {
		store_http__free(h);
		errno = -err;
		return NULL;
	}
	return h;
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

	curl_easy_reset(c);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_MIMEPOST, form);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h->headers);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "profd/" PROFD_VERSION);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L); /* a thread of its own: no SIGALRM */
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, CONNECT_TIMEOUT_MS);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, TOTAL_TIMEOUT_MS);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, h->errbuf);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	if (h->ca_file)
		curl_easy_setopt(c, CURLOPT_CAINFO, h->ca_file);
	if (h->userpwd) {
		curl_easy_setopt(c, CURLOPT_USERPWD, h->userpwd);
		curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
	}
}

enum store_http_outcome store_http__post_file(struct store_http *h, const char *url,
					      const char *field, const char *filename,
					      const void *data, size_t len,
					      struct store_http_result *r)
{
	curl_mime *form = curl_mime_init(h->curl);
	curl_mimepart *part = form ? curl_mime_addpart(form) : NULL;
	CURLcode rc = CURLE_OUT_OF_MEMORY;
	long status = 0;

	memset(r, 0, sizeof(*r));
	h->errbuf[0] = '\0';
	if (part && !curl_mime_name(part, field) && !curl_mime_filename(part, filename) &&
	    !curl_mime_type(part, "application/octet-stream") &&
	    !curl_mime_data(part, data, len)) {
		set_options(h, url, form);
		rc = curl_easy_perform(h->curl);
		curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &status);
	}
	curl_mime_free(form);
	r->status = (int)status;
	r->outcome = classify(rc, status);
	if (rc != CURLE_OK)
		snprintf(r->why, sizeof(r->why), "%s", h->errbuf[0] ? h->errbuf : curl_easy_strerror(rc));
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
	if (curl_url_get(u, CURLUPART_USER, &user, CURLU_URLDECODE))
		return 0;
	curl_url_get(u, CURLUPART_PASSWORD, &pass, CURLU_URLDECODE);
	if (asprintf(out, "%s:%s", user, pass ? pass : "") < 0) {
		*out = NULL;
		err = -ENOMEM;
	}
	explicit_bzero(user, strlen(user));
	if (pass)
		explicit_bzero(pass, strlen(pass));
	curl_free(user);
	curl_free(pass);
	return err;
}

int store_http_parse_url(const char *url, char **base, char **userpwd)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL, *bare = NULL;
	int err = -EINVAL;
	size_t n;

	*base = *userpwd = NULL;
	if (!u)
		return -ENOMEM;
	if (curl_url_set(u, CURLUPART_URL, url, 0) ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) ||
	    (strcmp(scheme, "http") && strcmp(scheme, "https")) ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) || !*host)
		goto out;
	err = url_userpwd(u, userpwd);
	if (err)
		goto out;
	err = -ENOMEM;
	if (curl_url_set(u, CURLUPART_USER, NULL, 0) || curl_url_set(u, CURLUPART_PASSWORD, NULL, 0) ||
	    curl_url_set(u, CURLUPART_QUERY, NULL, 0) || curl_url_set(u, CURLUPART_FRAGMENT, NULL, 0) ||
	    curl_url_get(u, CURLUPART_URL, &bare, 0))
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
	curl_free(scheme);
	curl_free(host);
	curl_free(bare);
	curl_url_cleanup(u);
	return err;
}
