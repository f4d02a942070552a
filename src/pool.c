/* Connection pool: lending, waiting, overflow, recycling and pre-ping. */
#include "pool.h"
#include "clock.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int capacity_of(const struct pool_settings *s)
{
	if (s->kind == POOL_STATIC)
		return 1;
	if (s->kind == POOL_NULL || s->max_overflow < 0)
		return -1;
	/* both are at most INT_MAX: their sum must not wrap to "no limit" */
	return s->size > INT_MAX - s->max_overflow ? INT_MAX : s->size + s->max_overflow;
}

int pool_init(struct pool *pool, const struct driver *driver, const struct driver_target *target,
	      const struct pool_settings *settings, struct err *err)
{
	pthread_condattr_t attr;

	memset(pool, 0, sizeof(*pool));
	pool->driver = driver;
	pool->target = target;
	pool->settings = *settings;
	if (settings->kind == POOL_QUEUE && settings->size <= 0)
		pool->settings.kind = POOL_NULL;
	if (pthread_mutex_init(&pool->lock, NULL) != 0)
		return err_set(err, EXIT_FAILED, "cannot create the pool's lock");
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	if (pthread_cond_init(&pool->returned, &attr) != 0) {
		pthread_condattr_destroy(&attr);
		pthread_mutex_destroy(&pool->lock);
		return err_set(err, EXIT_FAILED, "cannot create the pool's condition variable");
	}
	pthread_condattr_destroy(&attr);
	pool->stats.size = pool->settings.kind == POOL_STATIC ? 1 : pool->settings.kind == POOL_NULL ? 0 : settings->size;
	pool->stats.max_overflow = pool->settings.kind == POOL_QUEUE ? settings->max_overflow : 0;
	pool->stats.capacity = capacity_of(&pool->settings);
	return 0;
}

static void close_conn(struct pool *pool, struct pool_conn *pc)
{
	pool->driver->close(pc->conn);
	free(pc);
}

void pool_release(struct pool *pool)
{
	struct pool_conn *pc, *next;

	if (!pool->driver)
		return;
	for (pc = pool->idle; pc; pc = next) {
		next = pc->next;
		close_conn(pool, pc);
	}
	pool->idle = NULL;
	pthread_cond_destroy(&pool->returned);
	pthread_mutex_destroy(&pool->lock);
	pool->driver = NULL;
}

/* Opens a new connection for a slot already counted in pool->open. Called
 * without the lock: connecting can take seconds. */
static int connect_new(struct pool *pool, double deadline, struct pool_conn **out, struct err *err)
{
	double started = clock_now(), elapsed_ms;
	struct pool_conn *pc = calloc(1, sizeof(*pc));
	int rc;

	if (!pc)
		return err_set(err, EXIT_FAILED, "out of memory");
	rc = pool->driver->connect(pool->target, clock_deadline(pool->target->connect_timeout, deadline), &pc->conn, err);
	elapsed_ms = (clock_now() - started) * 1000.0;
	pthread_mutex_lock(&pool->lock);
	if (rc == 0) {
		pool->stats.connects++;
		pool->stats.connect_ms_total += elapsed_ms;
		if (elapsed_ms > pool->stats.connect_ms_max)
			pool->stats.connect_ms_max = elapsed_ms;
	} else {
		pool->stats.connect_failures++;
	}
	pthread_mutex_unlock(&pool->lock);
	if (rc != 0) {
		free(pc);
		return -1;
	}
	pc->created_at = clock_now();
	*out = pc;
	return 0;
}

/* Gives back a slot whose connect failed, and wakes a waiter who may now connect. */
static void give_back_slot(struct pool *pool)
{
	pthread_mutex_lock(&pool->lock);
	pool->open--;
	pool->stats.in_use--;
	pthread_cond_signal(&pool->returned);
	pthread_mutex_unlock(&pool->lock);
}

/* Makes an idle connection fit to lend: replaced when too old or dead. */
static int revalidate(struct pool *pool, double deadline, struct pool_conn **pc, struct err *err)
{
	bool stale = pool->settings.recycle >= 0 && clock_now() - (*pc)->created_at > pool->settings.recycle;
	char version[8];
	struct err ping_err;

	if (!stale && pool->settings.pre_ping) {
		err_init(&ping_err);
		if (pool->driver->ping((*pc)->conn, clock_deadline(pool->target->connect_timeout, deadline), version,
				       sizeof(version), &ping_err) == 0)
			return 0;
		pthread_mutex_lock(&pool->lock);
		pool->stats.pre_ping_failures++;
		pthread_mutex_unlock(&pool->lock);
	} else if (!stale) {
		return 0;
	} else {
		pthread_mutex_lock(&pool->lock);
		pool->stats.recycles++;
		pthread_mutex_unlock(&pool->lock);
	}
	close_conn(pool, *pc);
	*pc = NULL;
	return connect_new(pool, deadline, pc, err);
}

static int checkout_static(struct pool *pool, double deadline, struct pool_conn **out, struct err *err)
{
	int rc = 0;

	/* The lock is held while connecting so that two threads cannot open two
	 * in-memory databases; static pools are single-connection by nature. */
	pthread_mutex_lock(&pool->lock);
	pool->stats.checkouts++;
	if (!pool->idle) {
		pthread_mutex_unlock(&pool->lock);
		rc = connect_new(pool, deadline, out, err);
		pthread_mutex_lock(&pool->lock);
		if (rc == 0) {
			if (pool->idle) {   /* another thread won the race */
				pool->driver->close((*out)->conn);
				free(*out);
			} else {
				pool->idle = *out;
				pool->open = 1;
			}
		}
	}
	if (rc == 0) {
		*out = pool->idle;
		pool->static_users++;
		pool->stats.in_use = pool->static_users;
	}
	pthread_mutex_unlock(&pool->lock);
	return rc;
}

int pool_checkout(struct pool *pool, double deadline, struct pool_conn **out, struct err *err)
{
	double wait_until = clock_deadline(pool->settings.timeout, deadline);
	int capacity = capacity_of(&pool->settings);
	bool counted_wait = false;
	struct pool_conn *pc;

	*out = NULL;
	if (pool->settings.kind == POOL_STATIC)
		return checkout_static(pool, deadline, out, err);

	pthread_mutex_lock(&pool->lock);
	pool->stats.checkouts++;
	for (;;) {
		if (pool->idle) {
			pc = pool->idle;
			pool->idle = pc->next;
			pc->next = NULL;
			pool->stats.idle--;
			pool->stats.in_use++;
			pthread_mutex_unlock(&pool->lock);
			if (revalidate(pool, deadline, &pc, err) != 0) {
				give_back_slot(pool);
				return -1;
			}
			*out = pc;
			return 0;
		}
		if (capacity < 0 || pool->open < capacity) {
			pool->open++;
			pool->stats.in_use++;
			pthread_mutex_unlock(&pool->lock);
			if (connect_new(pool, deadline, &pc, err) != 0) {
				give_back_slot(pool);
				return -1;
			}
			*out = pc;
			return 0;
		}
		if (!counted_wait) {
			pool->stats.waits++;
			counted_wait = true;
		}
		pool->stats.waiting++;
		{
			struct timespec ts;
			double left = wait_until - clock_now();
			int rc = 0;

			if (left > 0) {
				clock_gettime(CLOCK_MONOTONIC, &ts);
				ts.tv_sec += (time_t)left;
				ts.tv_nsec += (long)((left - (double)(time_t)left) * 1e9);
				if (ts.tv_nsec >= 1000000000L) {
					ts.tv_sec++;
					ts.tv_nsec -= 1000000000L;
				}
				rc = pthread_cond_timedwait(&pool->returned, &pool->lock, &ts);
			}
			pool->stats.waiting--;
			if (left <= 0 || (rc == ETIMEDOUT && !pool->idle && pool->open >= capacity)) {
				pool->stats.timeouts++;
				pthread_mutex_unlock(&pool->lock);
				err_set(err, EXIT_NO_ANSWER,
					"connection pool exhausted: all %d connections in use (pool_size %d + max_overflow %d), "
					"waited %.1f s",
					capacity, pool->settings.size, pool->settings.max_overflow,
					pool->settings.timeout < 0 ? 0 : pool->settings.timeout);
				err_hint(err, "raise pool_size or max_overflow, or pool_timeout to wait longer");
				return -1;
			}
		}
	}
}

void pool_checkin(struct pool *pool, struct pool_conn *pc, bool discard)
{
	bool close_it;

	if (!pc)
		return;
	pthread_mutex_lock(&pool->lock);
	if (pool->settings.kind == POOL_STATIC) {
		pool->static_users--;
		pool->stats.in_use = pool->static_users;
		if (discard && pool->static_users == 0 && pool->idle == pc) {
			pool->idle = NULL;
			pool->open = 0;
			pthread_mutex_unlock(&pool->lock);
			close_conn(pool, pc);
			return;
		}
		pthread_mutex_unlock(&pool->lock);
		return;
	}
	pool->stats.in_use--;
	/* overflow connections are closed on return, as QueuePool does */
	close_it = discard || pool->settings.kind == POOL_NULL || pool->stats.idle >= pool->settings.size;
	if (close_it) {
		pool->open--;
		if (!discard && pool->settings.kind == POOL_QUEUE)
			pool->stats.overflow_closes++;
	} else {
		pc->next = pool->idle;
		pool->idle = pc;
		pool->stats.idle++;
	}
	pthread_cond_signal(&pool->returned);
	pthread_mutex_unlock(&pool->lock);
	if (close_it)
		close_conn(pool, pc);
}

void pool_get_stats(struct pool *pool, struct pool_stats *out)
{
	pthread_mutex_lock(&pool->lock);
	*out = pool->stats;
	if (pool->settings.kind == POOL_STATIC)
		out->idle = pool->idle && pool->static_users == 0 ? 1 : 0;
	pthread_mutex_unlock(&pool->lock);
}
