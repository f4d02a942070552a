/* The one engine per invocation: settings, the backend's driver and the pool. */
#ifndef DBCTL_ENGINE_H
#define DBCTL_ENGINE_H

#include "config.h"
#include "driver.h"
#include "pool.h"
#include "url.h"

struct engine {
	const struct settings *settings;    /* borrowed */
	const struct driver *driver;        /* static data of a loaded module */
	struct driver_target target;        /* points into settings */
	struct pool pool;
	char *display_url;                  /* owned; password masked */
	/* engine_connect_ahead's thread and what it got, until the next checkout takes it */
	pthread_t ahead_thread;
	bool ahead_started;
	int ahead_rc;
	struct pool_conn *ahead;
	struct err ahead_err;
};

/* Probes (ping, pool stats) connect without side effects: SQLite creates no
 * file and keeps its journal mode. Call before the first checkout. */
void engine_observe_only(struct engine *engine);

/* Loads the driver and prepares the pool; connects nothing yet. */
int engine_open(struct engine *engine, const struct settings *settings, struct err *err) MUST_CHECK;
void engine_close(struct engine *engine);

/* Starts connecting on a thread while the caller does other work (migrate
 * reads its files while PostgreSQL starts a backend); the next checkout
 * takes that connection, or its error. Without a thread, does nothing. */
void engine_connect_ahead(struct engine *engine);

int engine_checkout(struct engine *engine, double deadline, struct pool_conn **out, struct err *err) MUST_CHECK;
void engine_checkin(struct engine *engine, struct pool_conn *conn, bool discard);

#endif
