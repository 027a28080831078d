// SPDX-License-Identifier: MIT
/*
 * Debug files fetched from debuginfod servers with elfutils' libdebuginfod, in a background
 * thread.
 *
 * Why a thread and not a short fetch when a process is added: symbolization runs in the loop that
 * drains the BPF maps, and any wait there (a slow server, a large file, a dead address that only
 * times out) delays every drain after it; the in-kernel maps then fill and samples are lost. With
 * a thread nothing in the loop ever waits: frames of a file get their lines as soon as its debug
 * file is on disk (libdebuginfod's cache, $DEBUGINFOD_CACHE_PATH), and until then they are named
 * from the symbol table. One thread is enough: requests are rare (one per build-id) and
 * libdebuginfod already queries every server in $DEBUGINFOD_URLS in parallel.
 *
 * A fetch is abandoned after timeout_ms, and when the fetcher is freed, through the progress
 * callback, which libdebuginfod calls at least once a second.
 *
 * libdebuginfod is opened with dlopen when servers are configured, not linked: it brings libcurl,
 * gnutls, libcrypto, Kerberos and LDAP, about 5 MiB resident in every run that fetches nothing.
 */
#include <dlfcn.h>
#include <elfutils/debuginfod.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/log.h"
#include "symbolizer/symbolizer_internal.h"

enum req_state { QUEUED, RUNNING, DONE };

struct req {
	char build_id[2 * SYM_BUILD_ID_MAX + 1];
	enum req_state state;
	int err;    /* when DONE: 0 with path, or -errno */
	char *path; /* in libdebuginfod's cache */
	uint64_t done_ns;
	struct req *next;  /* every request */
	struct req *qnext; /* the queue */
};

struct sym_debuginfod {
	pthread_mutex_t lock;
	pthread_cond_t wake;
	pthread_t thread;
	bool started, stop; /* stop: under lock, and read atomically by the progress callback */
	struct req *reqs;
	struct req *qhead, **qtail;
	unsigned int generation; /* atomic */
	uint64_t fetched;	 /* atomic */
	uint64_t timeout_ns;
	uint64_t deadline_ns; /* of the fetch under way; atomic */
};

#define LIBDEBUGINFOD "libdebuginfod.so.1"

/* The functions used, from the library opened once for the whole process. */
static struct {
	__typeof__(debuginfod_begin) *begin;
	__typeof__(debuginfod_end) *end;
	__typeof__(debuginfod_find_debuginfo) *find_debuginfo;
	__typeof__(debuginfod_set_progressfn) *set_progressfn;
	__typeof__(debuginfod_set_user_data) *set_user_data;
	__typeof__(debuginfod_get_user_data) *get_user_data;
} lib;
static pthread_once_t lib_once = PTHREAD_ONCE_INIT;
static bool lib_loaded;

static void load_lib(void)
{
	void *h = dlopen(LIBDEBUGINFOD, RTLD_NOW | RTLD_LOCAL);

	if (!h) {
		pr_warn("debuginfod: %s; debug files are not fetched", dlerror());
		return;
	}
	lib.begin = (__typeof__(lib.begin))dlsym(h, "debuginfod_begin");
	lib.end = (__typeof__(lib.end))dlsym(h, "debuginfod_end");
	lib.find_debuginfo = (__typeof__(lib.find_debuginfo))dlsym(h, "debuginfod_find_debuginfo");
	lib.set_progressfn = (__typeof__(lib.set_progressfn))dlsym(h, "debuginfod_set_progressfn");
	lib.set_user_data = (__typeof__(lib.set_user_data))dlsym(h, "debuginfod_set_user_data");
	lib.get_user_data = (__typeof__(lib.get_user_data))dlsym(h, "debuginfod_get_user_data");
	lib_loaded = lib.begin && lib.end && lib.find_debuginfo && lib.set_progressfn &&
		     lib.set_user_data && lib.get_user_data;
	if (!lib_loaded) {
		pr_warn("debuginfod: %s lacks a function profd uses; debug files are not fetched",
			LIBDEBUGINFOD);
		dlclose(h);
	}
}

struct sym_debuginfod *sym_debuginfod__new(unsigned int timeout_ms)
{
	const char *urls = getenv("DEBUGINFOD_URLS");
	struct sym_debuginfod *d;

	if (!urls || !urls[strspn(urls, " \t")]) {
		errno = ENOENT;
		return NULL;
	}
	pthread_once(&lib_once, load_lib);
	if (!lib_loaded) {
		errno = ENOENT; /* as if unset: frames are named from what is on disk */
		return NULL;
	}
	d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	pthread_mutex_init(&d->lock, NULL);
	pthread_cond_init(&d->wake, NULL);
	d->qtail = &d->qhead;
	d->timeout_ns = (uint64_t)(timeout_ms ? timeout_ms : SYM_DEBUGINFOD_TIMEOUT_MS) * 1000000;
	return d;
}

/* Non-zero cancels the transfer: the fetcher is going away, or the fetch took too long. */
static int progress(debuginfod_client *c, long done, long total)
{
	struct sym_debuginfod *d = lib.get_user_data(c);

	return __atomic_load_n(&d->stop, __ATOMIC_RELAXED) ||
	       (uint64_t)profd_mono_ns() > __atomic_load_n(&d->deadline_ns, __ATOMIC_RELAXED);
}

static int fetch(struct sym_debuginfod *d, debuginfod_client *c, const char *build_id,
		 char **path)
{
	int fd;

	if (!c)
		return -ENOMEM;
	__atomic_store_n(&d->deadline_ns, (uint64_t)profd_mono_ns() + d->timeout_ns, __ATOMIC_RELAXED);
	/* A length of 0: the build-id is given as a hex string. */
	fd = lib.find_debuginfo(c, (const unsigned char *)build_id, 0, path);
	if (fd >= 0) {
		close(fd);
		return 0;
	}
	if ((uint64_t)profd_mono_ns() > __atomic_load_n(&d->deadline_ns, __ATOMIC_RELAXED))
		return -ETIMEDOUT;
	return fd;
}

static void *worker(void *arg)
{
	struct sym_debuginfod *d = arg;
	debuginfod_client *c = NULL;

	pthread_mutex_lock(&d->lock);
	while (!d->stop) {
		struct req *q = d->qhead;
		char build_id[sizeof(q->build_id)];
		char *path = NULL;
		int err;

		if (!q) {
			pthread_cond_wait(&d->wake, &d->lock);
			continue;
		}
		d->qhead = q->qnext;
		if (!d->qhead)
			d->qtail = &d->qhead;
		q->state = RUNNING;
		memcpy(build_id, q->build_id, sizeof(build_id));
		pthread_mutex_unlock(&d->lock);

		if (!c) {
			c = lib.begin();
			if (c) {
				lib.set_user_data(c, d);
				lib.set_progressfn(c, progress);
			}
		}
		err = fetch(d, c, build_id, &path);

		pthread_mutex_lock(&d->lock);
		q->err = err;
		q->path = err ? NULL : path;
		if (err)
			free(path);
		q->done_ns = profd_coarse_ns();
		q->state = DONE;
		if (!err)
			__atomic_add_fetch(&d->fetched, 1, __ATOMIC_RELAXED);
		__atomic_add_fetch(&d->generation, 1, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&d->lock);
	if (c)
		lib.end(c);
	return NULL;
}

/* Signals stay with the threads that wait for them: the fetcher blocks every one. */
static int start_worker(struct sym_debuginfod *d)
{
	sigset_t all, old;
	int err;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	err = pthread_create(&d->thread, NULL, worker, d);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return err;
}

static void enqueue(struct sym_debuginfod *d, struct req *q)
{
	q->state = QUEUED;
	q->qnext = NULL;
	*d->qtail = q;
	d->qtail = &q->qnext;
	pthread_cond_signal(&d->wake);
}

int sym_debuginfod__get(struct sym_debuginfod *d, const char *build_id, char **path)
{
	struct req *q;
	int ret = 0;

	*path = NULL;
	pthread_mutex_lock(&d->lock);
	for (q = d->reqs; q && strcmp(q->build_id, build_id); q = q->next)
		;
	if (!q) {
		q = calloc(1, sizeof(*q));
		if (!q || strlen(build_id) >= sizeof(q->build_id)) {
			free(q);
			ret = -ENOMEM;
			goto out;
		}
		strcpy(q->build_id, build_id);
		q->next = d->reqs;
		d->reqs = q;
		if (!d->started) {
			if (start_worker(d)) {
				d->reqs = q->next;
				free(q);
				ret = -EAGAIN;
				goto out;
			}
			d->started = true;
		}
		enqueue(d, q);
		goto out;
	}
	if (q->state != DONE)
		goto out;
	if (!q->err && access(q->path, R_OK)) {
		/* libdebuginfod cleaned its cache since: fetch it again. */
		free(q->path);
		q->path = NULL;
		enqueue(d, q);
	} else if (!q->err) {
		*path = strdup(q->path);
		ret = *path ? 1 : -ENOMEM;
	} else if (profd_coarse_ns() - q->done_ns >= SYM_DEBUG_RETRY_NS) {
		enqueue(d, q);
	} else {
		ret = q->err;
	}
out:
	pthread_mutex_unlock(&d->lock);
	return ret;
}

unsigned int sym_debuginfod__generation(const struct sym_debuginfod *d)
{
	return __atomic_load_n(&d->generation, __ATOMIC_ACQUIRE);
}

bool sym_debuginfod__wait(const struct sym_debuginfod *d, unsigned int gen,
			  unsigned int (*stops)(void), unsigned int stops_before)
{
	/* A fetch is abandoned after timeout_ns; the second more covers its cancellation. */
	int64_t until = profd_mono_ns() + (int64_t)d->timeout_ns + 1000000000LL;
	struct timespec tick = {.tv_nsec = 10 * 1000000};

	while (sym_debuginfod__generation(d) == gen) {
		if (profd_mono_ns() >= until || (stops && stops() != stops_before))
			return false;
		nanosleep(&tick, NULL);
	}
	return true;
}

uint64_t sym_debuginfod__fetched(const struct sym_debuginfod *d)
{
	return __atomic_load_n(&d->fetched, __ATOMIC_RELAXED);
}

void sym_debuginfod__free(struct sym_debuginfod *d)
{
	if (!d)
		return;
	pthread_mutex_lock(&d->lock);
	__atomic_store_n(&d->stop, true, __ATOMIC_RELAXED);
	pthread_cond_signal(&d->wake);
	pthread_mutex_unlock(&d->lock);
	if (d->started)
		pthread_join(d->thread, NULL);
	while (d->reqs) {
		struct req *q = d->reqs;

		d->reqs = q->next;
		free(q->path);
		free(q);
	}
	pthread_cond_destroy(&d->wake);
	pthread_mutex_destroy(&d->lock);
	free(d);
}
