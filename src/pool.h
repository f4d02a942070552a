/* A thread-safe connection pool with SQLAlchemy's QueuePool rules (NullPool and StaticPool as special cases). */
#ifndef DBCTL_POOL_H
#define DBCTL_POOL_H

#include "driver.h"

#include <pthread.h>
#include <stdbool.h>

enum pool_kind {
	POOL_QUEUE,    /* keep up to size, allow max_overflow more */
	POOL_NULL,     /* size 0: connect on every checkout, close on every checkin */
	POOL_STATIC,   /* one shared connection (sqlite::memory:, where a second would be another database) */
};

struct pool_settings {
	enum pool_kind kind;
	int size;
	int max_overflow;      /* -1: no limit */
	double timeout;        /* seconds a checkout waits */
	double recycle;        /* seconds; -1 never */
	bool pre_ping;
};

/* A connection lent by the pool. */
struct pool_conn {
	struct driver_conn *conn;
	double created_at;
	struct pool_conn *next;   /* in the idle list */
};

struct pool_stats {
	int size;
	int max_overflow;
	int capacity;             /* size + max_overflow; -1 no limit */
	int in_use;
	int idle;
	int waiting;
	long connects;
	long connect_failures;
	double connect_ms_total;
	double connect_ms_max;
	long checkouts;
	long waits;               /* checkouts that had to wait */
	long timeouts;            /* checkouts that gave up */
	long pre_ping_failures;
	long recycles;
	long overflow_closes;     /* overflow connections closed on return */
};

struct pool {
	const struct driver *driver;            /* borrowed */
	const struct driver_target *target;     /* borrowed */
	struct pool_settings settings;
	pthread_mutex_t lock;
	pthread_cond_t returned;
	struct pool_conn *idle;                 /* owned; most recently returned first */
	int open;                               /* idle + in use + being connected */
	int static_users;
	struct pool_stats stats;
};

int pool_init(struct pool *pool, const struct driver *driver, const struct driver_target *target,
	      const struct pool_settings *settings, struct err *err) MUST_CHECK;

/* Closes idle connections; every checked-out connection must be back. */
void pool_release(struct pool *pool);

/* Lends a live connection, waiting at most until the earlier of deadline and
 * pool_timeout when all are busy. Return it with pool_checkin. */
int pool_checkout(struct pool *pool, double deadline, struct pool_conn **out, struct err *err) MUST_CHECK;

/* Takes a connection back; discard closes it (after an error that may have broken it). */
void pool_checkin(struct pool *pool, struct pool_conn *conn, bool discard);

void pool_get_stats(struct pool *pool, struct pool_stats *out);

#endif
