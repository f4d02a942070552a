/* Engine: picks the driver from the URL, builds the connection target and the pool. */
#include "engine.h"
#include "clock.h"
#include "interrupt.h"
#include "module.h"

#include <stdlib.h>
#include <string.h>

static const char *module_name(enum url_backend backend)
{
	switch (backend) {
	case URL_BACKEND_POSTGRESQL: return "pg";
	case URL_BACKEND_REDIS: return "redis";
	case URL_BACKEND_SQLITE: return "sqlite";
	case URL_BACKEND_MYSQL: return "mysql";
	default: return NULL;
	}
}

int engine_open(struct engine *engine, const struct settings *settings, struct err *err)
{
	const char *url = cfg_get(settings, CFG_URL), *name = module_name(url_backend_of(url));
	struct pool_settings pool_settings;

	memset(engine, 0, sizeof(*engine));
	engine->settings = settings;
	engine->display_url = cfg_display(settings, CFG_URL);
	if (!name)
		return err_set(err, EXIT_USAGE, "unsupported URL '%s'", engine->display_url);
	engine->driver = module_load(name, err);
	if (!engine->driver)
		return -1;

	engine->target.url = url;
	engine->target.password = cfg_get(settings, CFG_PASSWORD);
	engine->target.connect_timeout = cfg_seconds(settings, CFG_CONNECT_TIMEOUT);
	if (engine->target.connect_timeout <= 0)
		engine->target.connect_timeout = -1;
	engine->target.statement_timeout_ms = cfg_int(settings, CFG_STATEMENT_TIMEOUT);
	engine->target.lock_timeout_ms = cfg_int(settings, CFG_LOCK_TIMEOUT);
	engine->target.application_name = cfg_get(settings, CFG_APPLICATION_NAME);
	engine->target.search_path = cfg_get(settings, CFG_SEARCH_PATH);
	engine->target.busy_timeout_ms = cfg_int(settings, CFG_BUSY_TIMEOUT);
	engine->target.journal_mode = cfg_get(settings, CFG_JOURNAL_MODE);
	engine->target.interrupts = interrupt_counter();
	engine->target.interrupt_fd = interrupt_fd();

	pool_settings.kind = POOL_QUEUE;
	if (engine->driver->single_connection && engine->driver->single_connection(url))
		pool_settings.kind = POOL_STATIC;
	pool_settings.size = (int)cfg_int(settings, CFG_POOL_SIZE);
	pool_settings.max_overflow = (int)cfg_int(settings, CFG_MAX_OVERFLOW);
	pool_settings.timeout = cfg_seconds(settings, CFG_POOL_TIMEOUT);
	pool_settings.recycle = cfg_seconds(settings, CFG_POOL_RECYCLE);
	pool_settings.pre_ping = cfg_bool(settings, CFG_POOL_PRE_PING);
	return pool_init(&engine->pool, engine->driver, &engine->target, &pool_settings, err);
}

void engine_observe_only(struct engine *engine)
{
	engine->target.observe_only = true;
}

static void *connect_ahead(void *context)
{
	struct engine *engine = context;

	err_init(&engine->ahead_err);
	engine->ahead_rc = pool_checkout(&engine->pool, clock_now() + 86400, &engine->ahead, &engine->ahead_err);
	return NULL;
}

void engine_connect_ahead(struct engine *engine)
{
	engine->ahead = NULL;
	engine->ahead_started = pthread_create(&engine->ahead_thread, NULL, connect_ahead, engine) == 0;
}

/* Waits for the connection started ahead; 1 when there was one (rc in *rc). */
static bool join_ahead(struct engine *engine, struct pool_conn **out, struct err *err, int *rc)
{
	if (!engine->ahead_started)
		return false;
	pthread_join(engine->ahead_thread, NULL);
	engine->ahead_started = false;
	*rc = engine->ahead_rc;
	if (*rc == 0)
		*out = engine->ahead;
	else
		*err = engine->ahead_err;
	engine->ahead = NULL;
	return true;
}

void engine_close(struct engine *engine)
{
	struct pool_conn *unused = NULL;
	struct err ignored;
	int rc;

	if (join_ahead(engine, &unused, &ignored, &rc) && rc == 0)
		pool_checkin(&engine->pool, unused, false);
	pool_release(&engine->pool);
	free(engine->display_url);
	engine->display_url = NULL;
}

int engine_checkout(struct engine *engine, double deadline, struct pool_conn **out, struct err *err)
{
	int rc;

	/* fresh from connect_ahead: no pre-ping needed, it has not been idle */
	if (join_ahead(engine, out, err, &rc))
		return rc;
	return pool_checkout(&engine->pool, deadline, out, err);
}

void engine_checkin(struct engine *engine, struct pool_conn *conn, bool discard)
{
	pool_checkin(&engine->pool, conn, discard);
}
