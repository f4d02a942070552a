/* The engine's pool against the real servers started by tests/run: a backend
 * killed server-side is replaced by pre-ping, old connections are recycled,
 * an exhausted pool times out, threads never exceed the pool's capacity. */
#include "../../src/clock.h"
#include "../../src/engine.h"
#include "tap.h"

#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

static int open_engine(struct engine *engine, struct settings *settings, const char *url, const char *const *options,
		       size_t count)
{
	struct cfg_request request = { 0 };
	struct err err;

	request.url = url;
	request.options = options;
	request.option_count = count;
	cfg_init(settings);
	err_init(&err);
	if (cfg_load(settings, &request, &err) != 0 || engine_open(engine, settings, &err) != 0) {
		printf("# cannot open engine: %s\n", err.message);
		return -1;
	}
	return 0;
}

static void close_engine(struct engine *engine, struct settings *settings)
{
	engine_close(engine);
	cfg_release(settings);
}

/* First cell of a one-row result, copied into out. */
static int query_value(struct engine *engine, struct pool_conn *pc, const char *sql, char *out, size_t size)
{
	struct driver_result result;
	struct err err;
	int rc;

	err_init(&err);
	rc = engine->driver->exec(pc->conn, sql, &result, &err);
	if (rc == 0 && result.row_count > 0 && result.cells[0])
		snprintf(out, size, "%s", result.cells[0]);
	else
		snprintf(out, size, "(error: %s)", err.message);
	if (rc == 0)
		driver_result_release(&result);
	return rc;
}

static void test_pg_pre_ping(const char *url)
{
	const char *options[] = { "pool_size=2", "max_overflow=0", "application_name=dbctl-pool-live" };
	struct settings settings;
	struct engine engine;
	struct pool_conn *a, *b, *c;
	struct pool_stats st;
	char pid_a[32], pid_c[32], killed[32], sql[128];
	struct err err;

	if (open_engine(&engine, &settings, url, options, 3) != 0) {
		ok(0, "open PostgreSQL engine");
		return;
	}
	err_init(&err);
	ok(engine_checkout(&engine, clock_now() + 10, &a, &err) == 0, "PostgreSQL: checkout a");
	ok(engine_checkout(&engine, clock_now() + 10, &b, &err) == 0, "PostgreSQL: checkout b");
	query_value(&engine, a, "select pg_backend_pid()", pid_a, sizeof(pid_a));
	snprintf(sql, sizeof(sql), "select pg_terminate_backend(%s)", pid_a);
	query_value(&engine, b, sql, killed, sizeof(killed));
	is_str(killed, "t", "PostgreSQL: a's backend terminated from b");
	engine_checkin(&engine, b, false);
	engine_checkin(&engine, a, false);   /* a is now on top of the idle stack, and dead */
	ok(engine_checkout(&engine, clock_now() + 10, &c, &err) == 0, "PostgreSQL: checkout after the server killed it");
	ok(query_value(&engine, c, "select pg_backend_pid()", pid_c, sizeof(pid_c)) == 0,
	   "PostgreSQL: the connection handed out works");
	ok(strcmp(pid_a, pid_c) != 0, "PostgreSQL: it is a new backend (%s, was %s)", pid_c, pid_a);
	pool_get_stats(&engine.pool, &st);
	is_int(st.pre_ping_failures, 1, "PostgreSQL: one pre-ping failure counted");
	engine_checkin(&engine, c, false);
	close_engine(&engine, &settings);
}

static void test_pg_recycle_and_timeout(const char *url)
{
	const char *options[] = { "pool_size=1", "max_overflow=0", "pool_recycle=0.2", "pool_timeout=0.3" };
	struct settings settings;
	struct engine engine;
	struct pool_conn *a, *b;
	struct pool_stats st;
	char pid_a[32], pid_b[32];
	struct err err;
	double started;

	if (open_engine(&engine, &settings, url, options, 4) != 0) {
		ok(0, "open PostgreSQL engine");
		return;
	}
	err_init(&err);
	ok(engine_checkout(&engine, clock_now() + 10, &a, &err) == 0, "PostgreSQL: checkout");
	query_value(&engine, a, "select pg_backend_pid()", pid_a, sizeof(pid_a));
	started = clock_now();
	ok(engine_checkout(&engine, clock_now() + 10, &b, &err) != 0, "PostgreSQL: pool of 1 + 0 exhausted");
	ok(clock_now() - started >= 0.29 && clock_now() - started < 2, "PostgreSQL: after pool_timeout 0.3 s");
	ok(strstr(err.message, "pool exhausted") != NULL, "PostgreSQL: says so: %s", err.message);
	engine_checkin(&engine, a, false);
	usleep(300000);
	ok(engine_checkout(&engine, clock_now() + 10, &b, &err) == 0, "PostgreSQL: checkout after pool_recycle");
	query_value(&engine, b, "select pg_backend_pid()", pid_b, sizeof(pid_b));
	ok(strcmp(pid_a, pid_b) != 0, "PostgreSQL: recycled into a new backend");
	pool_get_stats(&engine.pool, &st);
	is_int(st.recycles, 1, "PostgreSQL: one recycle counted");
	engine_checkin(&engine, b, false);
	close_engine(&engine, &settings);
}

static struct engine *shared_engine;
static int thread_errors;

static void *worker(void *arg)
{
	int i;

	(void)arg;
	for (i = 0; i < 10; i++) {
		struct pool_conn *pc;
		char value[64];
		struct err err;

		err_init(&err);
		if (engine_checkout(shared_engine, clock_now() + 20, &pc, &err) != 0) {
			__atomic_add_fetch(&thread_errors, 1, __ATOMIC_SEQ_CST);
			continue;
		}
		if (query_value(shared_engine, pc, "select count(*) from pg_stat_activity where application_name = "
						   "'dbctl-pool-threads'", value, sizeof(value)) != 0 ||
		    atoi(value) > 3)
			__atomic_add_fetch(&thread_errors, 1, __ATOMIC_SEQ_CST);
		engine_checkin(shared_engine, pc, false);
	}
	return NULL;
}

static void test_pg_threads(const char *url)
{
	const char *options[] = { "pool_size=2", "max_overflow=1", "application_name=dbctl-pool-threads" };
	struct settings settings;
	struct engine engine;
	struct pool_stats st;
	pthread_t threads[8];
	int i;

	if (open_engine(&engine, &settings, url, options, 3) != 0) {
		ok(0, "open PostgreSQL engine");
		return;
	}
	shared_engine = &engine;
	for (i = 0; i < 8; i++)
		pthread_create(&threads[i], NULL, worker, NULL);
	for (i = 0; i < 8; i++)
		pthread_join(threads[i], NULL);
	pool_get_stats(&engine.pool, &st);
	is_int(thread_errors, 0, "PostgreSQL: 8 threads x 10 queries, the server never saw more than 3 of our connections");
	/* An overflow connection is closed on return (QueuePool), so a busy pool
	 * may connect again later; every connect beyond the capacity must be
	 * one of those or a replaced dead connection. */
	ok(st.connects <= 3 + st.pre_ping_failures + st.overflow_closes,
	   "PostgreSQL: connects beyond pool_size + max_overflow are all replaced overflow (%ld connects, %ld overflow "
	   "closes, %ld pre-ping failures)",
	   st.connects, st.overflow_closes, st.pre_ping_failures);
	close_engine(&engine, &settings);
}

static void test_redis_pre_ping(const char *url)
{
	const char *options[] = { "pool_size=2", "max_overflow=0" };
	struct settings settings;
	struct engine engine;
	struct pool_conn *a, *b, *c;
	struct pool_stats st;
	char id_a[32], id_c[32], killed[32], command[96];
	struct err err;

	if (open_engine(&engine, &settings, url, options, 2) != 0) {
		ok(0, "open Redis engine");
		return;
	}
	err_init(&err);
	ok(engine_checkout(&engine, clock_now() + 10, &a, &err) == 0, "Redis: checkout a");
	ok(engine_checkout(&engine, clock_now() + 10, &b, &err) == 0, "Redis: checkout b");
	query_value(&engine, a, "CLIENT ID", id_a, sizeof(id_a));
	snprintf(command, sizeof(command), "CLIENT KILL ID %s", id_a);
	query_value(&engine, b, command, killed, sizeof(killed));
	is_str(killed, "1", "Redis: a killed from b");
	engine_checkin(&engine, b, false);
	engine_checkin(&engine, a, false);
	ok(engine_checkout(&engine, clock_now() + 10, &c, &err) == 0, "Redis: checkout after the server killed it");
	ok(query_value(&engine, c, "CLIENT ID", id_c, sizeof(id_c)) == 0, "Redis: the connection handed out works");
	ok(strcmp(id_a, id_c) != 0, "Redis: it is a new client (%s, was %s)", id_c, id_a);
	pool_get_stats(&engine.pool, &st);
	is_int(st.pre_ping_failures, 1, "Redis: one pre-ping failure counted");
	engine_checkin(&engine, c, false);
	close_engine(&engine, &settings);
}

static void test_sqlite(const char *dir)
{
	struct settings settings;
	struct engine engine;
	struct pool_conn *a, *b;
	char value[64], url[600];
	struct err err;

	err_init(&err);
	if (open_engine(&engine, &settings, "sqlite::memory:", NULL, 0) != 0) {
		ok(0, "open SQLite engine");
		return;
	}
	ok(engine_checkout(&engine, clock_now() + 10, &a, &err) == 0, "SQLite memory: checkout a");
	ok(engine_checkout(&engine, clock_now() + 10, &b, &err) == 0, "SQLite memory: checkout b while a is out");
	query_value(&engine, a, "create table t(x); insert into t values (42); select 1", value, sizeof(value));
	query_value(&engine, b, "select x from t", value, sizeof(value));
	is_str(value, "42", "SQLite memory: b sees a's table: one shared database (StaticPool)");
	engine_checkin(&engine, a, false);
	engine_checkin(&engine, b, false);
	close_engine(&engine, &settings);

	snprintf(url, sizeof(url), "sqlite:///%s/pool.db", dir);
	if (open_engine(&engine, &settings, url, NULL, 0) != 0) {
		ok(0, "open SQLite file engine");
		return;
	}
	ok(engine_checkout(&engine, clock_now() + 10, &a, &err) == 0, "SQLite file: checkout");
	query_value(&engine, a, "pragma journal_mode", value, sizeof(value));
	is_str(value, "wal", "SQLite file: journal_mode set to wal from the settings");
	query_value(&engine, a, "pragma busy_timeout", value, sizeof(value));
	is_str(value, "5000", "SQLite file: busy_timeout from the settings");
	engine_checkin(&engine, a, false);
	close_engine(&engine, &settings);
}


/* ---- the driver interface that run, migrate and shell will stand on ---- */

struct running_statement {
	struct engine *engine;
	struct pool_conn *pc;
	const char *text;
	int rc;
	struct err err;
	double seconds;
};

static void *run_statement(void *arg)
{
	struct running_statement *s = arg;
	struct driver_result result;
	double started = clock_now();

	err_init(&s->err);
	s->rc = s->engine->driver->exec(s->pc->conn, s->text, &result, &s->err);
	if (s->rc == 0)
		driver_result_release(&result);
	s->seconds = clock_now() - started;
	return NULL;
}

/* Starts text on its own thread, cancels it after 0.3 s, and checks that it
 * stopped long before it would have finished. */
static void check_cancel(const char *label, struct engine *engine, struct pool_conn *pc, const char *text)
{
	struct running_statement s = { engine, pc, text, 0, { 0 }, 0 };
	pthread_t thread;

	pthread_create(&thread, NULL, run_statement, &s);
	usleep(300000);
	engine->driver->cancel(pc->conn);
	pthread_join(thread, NULL);
	ok(s.rc != 0, "%s: the cancelled statement fails (%s)", label, s.err.message);
	ok(s.seconds < 3, "%s: within a moment of the cancel (%.2f s, statement would take 10 s)", label, s.seconds);
}

static int exec_ok(struct engine *engine, struct pool_conn *pc, const char *text)
{
	struct driver_result result;
	struct err err;

	err_init(&err);
	if (engine->driver->exec(pc->conn, text, &result, &err) != 0) {
		printf("# %s: %s\n", text, err.message);
		return -1;
	}
	driver_result_release(&result);
	return 0;
}

static void test_transactions_and_cancel(const char *pg, const char *redis, const char *dir)
{
	struct settings settings;
	struct engine engine;
	struct pool_conn *pc;
	char value[64], url[600];
	struct err err;

	err_init(&err);
	if (open_engine(&engine, &settings, pg, NULL, 0) == 0 && engine_checkout(&engine, clock_now() + 10, &pc, &err) == 0) {
		ok(engine.driver->begin(pc->conn, &err) == 0 && exec_ok(&engine, pc, "create table rolled_back(x int)") == 0 &&
		   engine.driver->rollback(pc->conn, &err) == 0, "PostgreSQL: begin, create table, rollback");
		query_value(&engine, pc, "select count(*) from pg_tables where tablename = 'rolled_back'", value, sizeof(value));
		is_str(value, "0", "PostgreSQL: the rolled-back table is not there");
		ok(engine.driver->begin(pc->conn, &err) == 0 && exec_ok(&engine, pc, "create table committed(x int)") == 0 &&
		   engine.driver->commit(pc->conn, &err) == 0, "PostgreSQL: begin, create table, commit");
		query_value(&engine, pc, "select count(*) from pg_tables where tablename = 'committed'", value, sizeof(value));
		is_str(value, "1", "PostgreSQL: the committed table is there");
		exec_ok(&engine, pc, "drop table committed");
		ok(engine.driver->exec(pc->conn, "select 1/0", &(struct driver_result){ 0 }, &err) != 0,
		   "PostgreSQL: an error is reported");
		is_str(err.sqlstate, "22012", "PostgreSQL: with its SQLSTATE");
		check_cancel("PostgreSQL", &engine, pc, "select pg_sleep(10)");
		query_value(&engine, pc, "select 7", value, sizeof(value));
		is_str(value, "7", "PostgreSQL: the connection still works after a cancel");
		engine_checkin(&engine, pc, false);
		close_engine(&engine, &settings);
	} else {
		ok(0, "PostgreSQL engine for transactions");
	}

	if (open_engine(&engine, &settings, redis, NULL, 0) == 0 && engine_checkout(&engine, clock_now() + 10, &pc, &err) == 0) {
		ok(engine.driver->begin(pc->conn, &err) == 0 && exec_ok(&engine, pc, "SET dbctl:discarded 1") == 0 &&
		   engine.driver->rollback(pc->conn, &err) == 0, "Redis: MULTI, SET, DISCARD");
		query_value(&engine, pc, "EXISTS dbctl:discarded", value, sizeof(value));
		is_str(value, "0", "Redis: the discarded SET did not happen");
		check_cancel("Redis", &engine, pc, "BLPOP dbctl:never 10");
		engine_checkin(&engine, pc, true);   /* Redis cannot stop BLPOP: the connection is done */
		close_engine(&engine, &settings);
	} else {
		ok(0, "Redis engine for transactions");
	}
	snprintf(url, sizeof(url), "%.*s/3", (int)(strrchr(redis, '/') - redis), redis);
	if (open_engine(&engine, &settings, url, NULL, 0) == 0 && engine_checkout(&engine, clock_now() + 10, &pc, &err) == 0) {
		exec_ok(&engine, pc, "SET dbctl:in-db-3 yes");
		engine_checkin(&engine, pc, false);
		close_engine(&engine, &settings);
		open_engine(&engine, &settings, redis, NULL, 0);
		if (engine_checkout(&engine, clock_now() + 10, &pc, &err) == 0) {
			query_value(&engine, pc, "EXISTS dbctl:in-db-3", value, sizeof(value));
			is_str(value, "0", "Redis: a key set through .../3 is not in db 0");
			exec_ok(&engine, pc, "SELECT 3");
			query_value(&engine, pc, "GET dbctl:in-db-3", value, sizeof(value));
			is_str(value, "yes", "Redis: it is in db 3");
			exec_ok(&engine, pc, "DEL dbctl:in-db-3");
			engine_checkin(&engine, pc, true);
		}
		close_engine(&engine, &settings);
	} else {
		ok(0, "Redis engine on db 3");
	}

	snprintf(url, sizeof(url), "sqlite:///%s/tx.db", dir);
	if (open_engine(&engine, &settings, url, NULL, 0) == 0 && engine_checkout(&engine, clock_now() + 10, &pc, &err) == 0) {
		ok(engine.driver->begin(pc->conn, &err) == 0 && exec_ok(&engine, pc, "create table t(x)") == 0 &&
		   engine.driver->rollback(pc->conn, &err) == 0, "SQLite: begin immediate, create table, rollback");
		query_value(&engine, pc, "select count(*) from sqlite_schema", value, sizeof(value));
		is_str(value, "0", "SQLite: the rolled-back table is not there");
		check_cancel("SQLite", &engine, pc,
			     "with recursive r(i) as (select 1 union all select i + 1 from r where i < 1000000000) "
			     "select count(*) from r");
		engine_checkin(&engine, pc, false);
		close_engine(&engine, &settings);
	} else {
		ok(0, "SQLite engine for transactions");
	}
}

int main(void)
{
	const char *pg = getenv("TEST_PG_URL"), *redis = getenv("TEST_REDIS_URL"), *tmp = getenv("TEST_TMP");

	if (!pg || !redis || !tmp) {
		printf("1..0 # SKIP no test servers (run me through tests/run)\n");
		return 0;
	}
	test_pg_pre_ping(pg);
	test_pg_recycle_and_timeout(pg);
	test_pg_threads(pg);
	test_redis_pre_ping(redis);
	test_sqlite(tmp);
	test_transactions_and_cancel(pg, redis, tmp);
	return done_testing();
}
