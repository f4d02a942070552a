/* Name resolution in a helper thread, so that a DNS server that never answers costs no more than the deadline. */
#include "resolve.h"
#include "clock.h"

#include <netdb.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

/* Shared by the caller and the lookup thread; the last of them to let go frees it. */
struct resolve_job {
	pthread_mutex_t lock;
	pthread_cond_t finished;
	int users;
	bool done;
	int status;               /* getaddrinfo's */
	char *host;
	struct addrinfo *result;
};

static void job_lookup(struct resolve_job *job, int flags)
{
	struct addrinfo hints, *result = NULL;
	int status;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = flags;
	status = getaddrinfo(job->host, NULL, &hints, &result);
	pthread_mutex_lock(&job->lock);
	job->status = status;
	job->result = status == 0 ? result : NULL;
	job->done = true;
	pthread_cond_signal(&job->finished);
	pthread_mutex_unlock(&job->lock);
}

static void job_let_go(struct resolve_job *job)
{
	bool last;

	pthread_mutex_lock(&job->lock);
	last = --job->users == 0;
	pthread_mutex_unlock(&job->lock);
	if (!last)
		return;
	if (job->result)
		freeaddrinfo(job->result);
	pthread_cond_destroy(&job->finished);
	pthread_mutex_destroy(&job->lock);
	free(job->host);
	free(job);
}

static void *job_thread(void *context)
{
	job_lookup(context, 0);
	job_let_go(context);
	return NULL;
}

struct resolve_job *resolve_start(const char *host)
{
	struct resolve_job *job = calloc(1, sizeof(*job));
	pthread_condattr_t attr;
	pthread_attr_t thread_attr;
	pthread_t thread;

	if (!job || !(job->host = strdup(host)))
		abort();
	pthread_mutex_init(&job->lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&job->finished, &attr);
	pthread_condattr_destroy(&attr);
	job->users = 1;
	/* a numeric address needs no lookup, and no thread */
	job_lookup(job, AI_NUMERICHOST);
	if (job->status == 0)
		return job;
	job->done = false;
	job->users = 2;
	pthread_attr_init(&thread_attr);
	pthread_attr_setdetachstate(&thread_attr, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&thread, &thread_attr, job_thread, job) != 0) {
		job->users = 1;
		job_lookup(job, 0);   /* no thread to be had: unbounded, as libpq would be */
	}
	pthread_attr_destroy(&thread_attr);
	return job;
}

static struct timespec timespec_of(double when)
{
	struct timespec ts;

	ts.tv_sec = (time_t)when;
	ts.tv_nsec = (long)((when - (double)ts.tv_sec) * 1e9);
	return ts;
}

int resolve_finish(struct resolve_job *job, double deadline, char (*addrs)[RESOLVE_ADDR_SIZE], size_t *count,
		   struct err *err)
{
	struct timespec until = timespec_of(deadline);
	const struct addrinfo *ai;
	int rc = 0;

	*count = 0;
	pthread_mutex_lock(&job->lock);
	while (!job->done && clock_ms_left(deadline) > 0)
		pthread_cond_timedwait(&job->finished, &job->lock, &until);
	if (!job->done) {
		rc = err_set(err, EXIT_NO_ANSWER, "timed out resolving host name \"%s\"", job->host);
	} else if (job->status != 0) {
		rc = err_set(err, EXIT_NO_ANSWER, "could not translate host name \"%s\" to address: %s", job->host,
			     gai_strerror(job->status));
	} else {
		for (ai = job->result; ai && *count < RESOLVE_MAX_ADDRS; ai = ai->ai_next)
			if (getnameinfo(ai->ai_addr, ai->ai_addrlen, addrs[*count], RESOLVE_ADDR_SIZE, NULL, 0,
					NI_NUMERICHOST) == 0)
				(*count)++;
		if (*count == 0)
			rc = err_set(err, EXIT_NO_ANSWER, "could not translate host name \"%s\" to address", job->host);
	}
	pthread_mutex_unlock(&job->lock);
	if (rc != 0)
		err->stage = STAGE_NONE;
	job_let_go(job);
	return rc;
}
