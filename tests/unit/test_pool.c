/* Pool rules (QueuePool, NullPool, StaticPool) against a test driver that counts what the pool does. */
#include "../../src/clock.h"
#include "../../src/pool.h"
#include "tap.h"

#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

struct driver_conn {
	int id;
	int dead;   /* the next ping fails */
};

static int connects, closes, pings, fail_connects;
static pthread_mutex_t counter_lock = PTHREAD_MUTEX_INITIALIZER;

static int test_connect(const struct driver_target *target, double deadline, struct driver_conn **out, struct err *err)
{
	(void)target;
	(void)deadline;
	pthread_mutex_lock(&counter_lock);
	if (fail_connects) {
		pthread_mutex_unlock(&counter_lock);
		return err_set(err, EXIT_NO_ANSWER, "connection refused");
	}
	*out = calloc(1, sizeof(**out));
	(*out)->id = ++connects;
	pthread_mutex_unlock(&counter_lock);
	usleep(2000);   /* connecting takes time, so threads overlap */
	return 0;
}

static int test_ping(struct driver_conn *conn, double deadline, char *version, size_t size, struct err *err)
{
	(void)deadline;
	(void)size;
	version[0] = '\0';
	pthread_mutex_lock(&counter_lock);
	pings++;
	pthread_mutex_unlock(&counter_lock);
	if (conn->dead)
		return err_set(err, EXIT_NO_ANSWER, "server closed the connection");
	return 0;
}

static void test_close(struct driver_conn *conn)
{
	pthread_mutex_lock(&counter_lock);
	closes++;
	pthread_mutex_unlock(&counter_lock);
	free(conn);
}

static const struct driver test_driver = {
	.abi_version = DRIVER_ABI_VERSION,
	.name = "test",
	.connect = test_connect,
	.ping = test_ping,
	.close = test_close,
};

static struct driver_target target = { .url = "test://", .connect_timeout = 5 };

static void reset_counters(void)
{
	connects = closes = pings = fail_connects = 0;
}

static struct pool_settings queue(int size, int overflow, double timeout)
{
	struct pool_settings s = { POOL_QUEUE, size, overflow, timeout, -1, true };

	return s;
}

static void test_reuse_and_overflow(void)
{
	struct pool pool;
	struct pool_settings s = queue(2, 1, 0.2);
	struct pool_conn *a, *b, *c, *d;
	struct pool_stats st;
	struct err err;
	double started;

	reset_counters();
	err_init(&err);
	ok(pool_init(&pool, &test_driver, &target, &s, &err) == 0, "pool_init");
	ok(pool_checkout(&pool, clock_now() + 5, &a, &err) == 0, "first checkout connects");
	pool_checkin(&pool, a, false);
	ok(pool_checkout(&pool, clock_now() + 5, &b, &err) == 0, "second checkout");
	is_int(connects, 1, "a returned connection is reused, not reconnected");
	is_int(pings, 1, "a reused connection is pre-pinged");
	ok(b == a, "the same connection comes back");

	ok(pool_checkout(&pool, clock_now() + 5, &a, &err) == 0, "second connection");
	ok(pool_checkout(&pool, clock_now() + 5, &c, &err) == 0, "third connection: overflow");
	pool_get_stats(&pool, &st);
	is_int(st.in_use, 3, "three in use");
	is_int(st.capacity, 3, "capacity is pool_size + max_overflow");

	started = clock_now();
	ok(pool_checkout(&pool, clock_now() + 5, &d, &err) != 0, "a fourth checkout fails when the pool is exhausted");
	ok(clock_now() - started >= 0.19 && clock_now() - started < 1.0, "after waiting pool_timeout (0.2 s)");
	is_int(err.code, EXIT_NO_ANSWER, "exhaustion is exit code 2");
	ok(strstr(err.message, "exhausted") != NULL, "the message says the pool is exhausted: %s", err.message);
	pool_get_stats(&pool, &st);
	is_int(st.timeouts, 1, "the timeout is counted");
	is_int(st.waits, 1, "the wait is counted");

	pool_checkin(&pool, a, false);
	pool_checkin(&pool, b, false);
	pool_checkin(&pool, c, false);
	pool_get_stats(&pool, &st);
	is_int(st.idle, 2, "only pool_size connections are kept idle");
	is_int(closes, 1, "the overflow connection is closed on return");
	is_int(st.in_use, 0, "nothing in use");
	pool_release(&pool);
	is_int(closes, 3, "release closes the idle connections");
}

static void test_pre_ping_replaces_dead(void)
{
	struct pool pool;
	struct pool_settings s = queue(1, 0, 1);
	struct pool_conn *a, *b;
	struct pool_stats st;
	struct err err;

	reset_counters();
	err_init(&err);
	ok(pool_init(&pool, &test_driver, &target, &s, &err) == 0, "pool_init");
	ok(pool_checkout(&pool, clock_now() + 5, &a, &err) == 0, "checkout");
	a->conn->dead = 1;
	pool_checkin(&pool, a, false);
	ok(pool_checkout(&pool, clock_now() + 5, &b, &err) == 0, "checkout after the server dropped the connection");
	is_int(b->conn->id, 2, "pre-ping replaced the dead connection with a new one");
	pool_get_stats(&pool, &st);
	is_int(st.pre_ping_failures, 1, "the pre-ping failure is counted");
	is_int(st.connects, 2, "two connects");
	pool_checkin(&pool, b, false);
	pool_release(&pool);

	/* without pre_ping, the dead connection is handed out as it is */
	reset_counters();
	s.pre_ping = false;
	ok(pool_init(&pool, &test_driver, &target, &s, &err) == 0, "pool_init without pre_ping");
	ok(pool_checkout(&pool, clock_now() + 5, &a, &err) == 0, "checkout");
	a->conn->dead = 1;
	pool_checkin(&pool, a, false);
	ok(pool_checkout(&pool, clock_now() + 5, &b, &err) == 0, "checkout");
	is_int(pings, 0, "no ping without pool_pre_ping");
	is_int(b->conn->id, 1, "the same (dead) connection comes back");
	pool_checkin(&pool, b, false);
	pool_release(&pool);
}

static void test_recycle(void)
{
	struct pool pool;
	struct pool_settings s = queue(1, 0, 1);
	struct pool_conn *a;
	struct pool_stats st;
	struct err err;

	reset_counters();
	err_init(&err);
	s.recycle = 0.05;
	ok(pool_init(&pool, &test_driver, &target, &s, &err) == 0, "pool_init with pool_recycle 0.05 s");
	ok(pool_checkout(&pool, clock_now() + 5, &a, &err) == 0, "checkout");
	pool_checkin(&pool, a, false);
	usleep(80000);
	ok(pool_checkout(&pool, clock_now() + 5, &a, &err) == 0, "checkout after pool_recycle passed");
	is_int(a->conn->id, 2, "an old connection is replaced");
	pool_get_stats(&pool, &st);
	is_int(st.recycles, 1, "the recycle is counted");
	is_int(closes, 1, "the old connection was closed");
	pool_checkin(&pool, a, false);
	pool_release(&pool);
}

static void test_discard_and_connect_failure(void)
{
	struct pool pool;
	struct pool_settings s = queue(1, 0, 0.1);
	struct pool_conn *a;
	struct pool_stats st;
	struct err err;

	reset_counters();
	err_init(&err);
	ok(pool_init(&pool, &test_driver, &target, &s, &err) == 0, "pool_init");
	fail_connects = 1;
	ok(pool_checkout(&pool, clock_now() + 5, &a, &err) != 0, "a failed connect fails the checkout");
	is_int(err.code, EXIT_NO_ANSWER, "with the driver's exit code");
	fail_connects = 0;
	ok(pool_checkout(&pool, clock_now() + 5, &a, &err) == 0, "the slot of a failed connect is given back");
	pool_checkin(&pool, a, true);
	pool_get_stats(&pool, &st);
	is_int(st.idle, 0, "a discarded connection is not kept");
	is_int(closes, 1, "it is closed");
	is_int(st.connect_failures, 1, "the failed connect is counted");
	pool_release(&pool);
}

static void test_null_pool(void)
{
	struct pool pool;
	struct pool_settings s = queue(0, 10, 1);
	struct pool_conn *a, *b;
	struct pool_stats st;
	struct err err;

	reset_counters();
	err_init(&err);
	ok(pool_init(&pool, &test_driver, &target, &s, &err) == 0, "pool_init with pool_size 0");
	ok(pool_checkout(&pool, clock_now() + 5, &a, &err) == 0, "checkout");
	pool_checkin(&pool, a, false);
	is_int(closes, 1, "pool_size 0: a returned connection is closed (NullPool)");
	ok(pool_checkout(&pool, clock_now() + 5, &b, &err) == 0, "checkout");
	is_int(connects, 2, "and the next checkout connects again");
	pool_get_stats(&pool, &st);
	is_int(st.capacity, -1, "NullPool has no limit");
	pool_checkin(&pool, b, false);
	pool_release(&pool);
}

static void test_static_pool(void)
{
	struct pool pool;
	struct pool_settings s = queue(5, 10, 1);
	struct pool_conn *a, *b;
	struct err err;

	reset_counters();
	err_init(&err);
	s.kind = POOL_STATIC;
	ok(pool_init(&pool, &test_driver, &target, &s, &err) == 0, "pool_init static");
	ok(pool_checkout(&pool, clock_now() + 5, &a, &err) == 0, "checkout");
	ok(pool_checkout(&pool, clock_now() + 5, &b, &err) == 0, "a second checkout while the first is out");
	ok(a == b, "StaticPool lends the one connection to both (sqlite::memory:)");
	is_int(connects, 1, "one connect only");
	pool_checkin(&pool, a, false);
	pool_checkin(&pool, b, false);
	is_int(closes, 0, "kept open while the pool lives");
	pool_release(&pool);
	is_int(closes, 1, "closed with the pool");
}

/* Many threads against a small pool: never more than capacity open at once,
 * and every thread gets a connection within pool_timeout. */
static struct pool shared_pool;
static int concurrent, max_concurrent, thread_failures;

static void *worker(void *arg)
{
	int i;

	(void)arg;
	for (i = 0; i < 20; i++) {
		struct pool_conn *pc;
		struct err err;

		err_init(&err);
		if (pool_checkout(&shared_pool, clock_now() + 10, &pc, &err) != 0) {
			__atomic_add_fetch(&thread_failures, 1, __ATOMIC_SEQ_CST);
			continue;
		}
		pthread_mutex_lock(&counter_lock);
		if (++concurrent > max_concurrent)
			max_concurrent = concurrent;
		pthread_mutex_unlock(&counter_lock);
		usleep(500);
		pthread_mutex_lock(&counter_lock);
		concurrent--;
		pthread_mutex_unlock(&counter_lock);
		pool_checkin(&shared_pool, pc, false);
	}
	return NULL;
}

static void test_threads(void)
{
	struct pool_settings s = queue(3, 2, 5);
	pthread_t threads[16];
	struct pool_stats st;
	struct err err;
	int i;

	reset_counters();
	err_init(&err);
	ok(pool_init(&shared_pool, &test_driver, &target, &s, &err) == 0, "pool_init 3 + 2");
	for (i = 0; i < 16; i++)
		pthread_create(&threads[i], NULL, worker, NULL);
	for (i = 0; i < 16; i++)
		pthread_join(threads[i], NULL);
	pool_get_stats(&shared_pool, &st);
	is_int(thread_failures, 0, "16 threads x 20 checkouts all succeed");
	ok(max_concurrent <= 5, "never more than pool_size + max_overflow in use at once (saw %d)", max_concurrent);
	ok(connects - closes <= 5, "never more than capacity open (open now %d)", connects - closes);
	is_int(st.in_use, 0, "all returned");
	ok(st.idle <= 3, "at most pool_size idle (%d)", st.idle);
	is_int(st.checkouts, 320, "every checkout counted");
	ok(st.waits > 0, "some checkouts waited (%ld)", st.waits);
	pool_release(&shared_pool);
	is_int(connects, closes, "every connection opened was closed");
}

int main(void)
{
	test_reuse_and_overflow();
	test_pre_ping_replaces_dead();
	test_recycle();
	test_discard_and_connect_failure();
	test_null_pool();
	test_static_pool();
	test_threads();
	return done_testing();
}
