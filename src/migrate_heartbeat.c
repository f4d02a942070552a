/* A thread that renews the migration lease while the main thread runs migrations. */
#include "migrate_heartbeat.h"
#include "clock.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct migrate_heartbeat {
	const struct driver *driver;
	struct driver_conn *conn;      /* borrowed; the thread's alone */
	char *renew_sql;               /* owned */
	double interval, lease;
	pthread_t thread;
	pthread_mutex_t mutex;         /* guards stopping, lost and why */
	pthread_cond_t wake;
	bool stopping;
	bool renewing;                 /* a renewal is in flight: stop cancels it */
	bool lost;
	char why[256];
};

static void mark_lost(struct migrate_heartbeat *h, const char *why)
{
	pthread_mutex_lock(&h->mutex);
	if (!h->lost) {
		h->lost = true;
		snprintf(h->why, sizeof(h->why), "%s", why);
	}
	pthread_mutex_unlock(&h->mutex);
}

/* Sleeps until the next renewal is due or stop is asked; true when asked. */
static bool wait_or_stop(struct migrate_heartbeat *h, double seconds)
{
	struct timespec until;
	bool stopping;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += (time_t)seconds;
	until.tv_nsec += (long)((seconds - (double)(time_t)seconds) * 1e9);
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&h->mutex);
	while (!h->stopping && pthread_cond_timedwait(&h->wake, &h->mutex, &until) != ETIMEDOUT)
		;
	stopping = h->stopping;
	pthread_mutex_unlock(&h->mutex);
	return stopping;
}

static void *beat(void *context)
{
	struct migrate_heartbeat *h = context;
	double renewed = clock_now();
	bool stopping;
	sigset_t all;
	int rc;

	/* Ctrl-C is the main thread's to handle: it cancels the migration */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);

	while (!wait_or_stop(h, h->interval)) {
		struct driver_result r;
		struct err err;

		bool go;

		err_init(&err);
		pthread_mutex_lock(&h->mutex);
		go = h->renewing = !h->stopping;
		pthread_mutex_unlock(&h->mutex);
		if (!go)
			break;
		rc = h->driver->exec(h->conn, h->renew_sql, &r, &err);
		pthread_mutex_lock(&h->mutex);
		h->renewing = false;
		stopping = h->stopping;
		pthread_mutex_unlock(&h->mutex);
		if (stopping) {
			if (rc == 0)
				driver_result_release(&r);
			break;
		}
		if (rc == 0) {
			bool ours = r.row_count == 1;

			driver_result_release(&r);
			if (!ours) {
				mark_lost(h, "the lease row no longer names this runner, or it expired");
				break;
			}
			renewed = clock_now();
		} else if (clock_now() - renewed >= h->lease) {
			/* a renewal that fails is tried again, until the lease it kept has run out */
			char why[256];

			snprintf(why, sizeof(why), "it could not be renewed for %.0f s: %s", h->lease, err.message);
			mark_lost(h, why);
			break;
		}
	}
	return NULL;
}

int migrate_heartbeat_start(struct migrate_heartbeat **out, const struct driver *driver, struct driver_conn *conn,
			    const char *renew_sql, double interval, double lease, struct err *err)
{
	struct migrate_heartbeat *h = calloc(1, sizeof(*h));

	*out = NULL;
	if (!h || !(h->renew_sql = strdup(renew_sql))) {
		free(h);
		return err_set(err, EXIT_FAILED, "out of memory");
	}
	h->driver = driver;
	h->conn = conn;
	h->interval = interval;
	h->lease = lease;
	pthread_mutex_init(&h->mutex, NULL);
	pthread_cond_init(&h->wake, NULL);
	if (pthread_create(&h->thread, NULL, beat, h) != 0) {
		pthread_mutex_destroy(&h->mutex);
		pthread_cond_destroy(&h->wake);
		free(h->renew_sql);
		free(h);
		return err_set(err, EXIT_FAILED, "cannot start the lease's heartbeat thread");
	}
	*out = h;
	return 0;
}

bool migrate_heartbeat_lost(struct migrate_heartbeat *h, char *why, size_t size)
{
	bool lost;

	if (!h)
		return false;
	pthread_mutex_lock(&h->mutex);
	lost = h->lost;
	if (lost && why)
		snprintf(why, size, "%s", h->why);
	pthread_mutex_unlock(&h->mutex);
	return lost;
}

void migrate_heartbeat_stop(struct migrate_heartbeat *h)
{
	if (!h)
		return;
	pthread_mutex_lock(&h->mutex);
	h->stopping = true;
	pthread_cond_signal(&h->wake);
	/* a renewal can wait for the lease row behind a lock: a lost main
	 * connection's transaction holds it until the server notices */
	if (h->renewing && h->driver->cancel)
		h->driver->cancel(h->conn);
	pthread_mutex_unlock(&h->mutex);
	pthread_join(h->thread, NULL);
	pthread_mutex_destroy(&h->mutex);
	pthread_cond_destroy(&h->wake);
	free(h->renew_sql);
	free(h);
}
