/* dbctl pool stats: the client pool beside the server's connection budget, and whether N workers fit. */
#include "cli.h"
#include "clock.h"
#include "engine.h"
#include "json.h"

#include <stdio.h>
#include <string.h>

const struct cli_option pool_stats_options[] = {
	{ "workers", 'w', "N", "would N processes, each with this pool, fit in the server's free connections?" },
	{ 0 },
};

#define MAX_WORKERS 1000000

/* The fit question, answered once for both output forms. */
struct workers_fit {
	long workers;
	long per_worker;   /* -1: the pool has no limit */
	long needed;
	long free_slots;   /* -1: the server has no limit */
	bool fits;
	bool exact;        /* false: free is a lower bound (connections we could not see were counted) */
	long account_free; /* what the account's own limit leaves, -1 none; free_slots includes it */
	char reason[320];
};

static long free_slots(const struct driver_server_stats *server, const struct pool_stats *client)
{
	long ours = client->in_use + client->idle, others;

	if (server->max_connections < 0 || server->in_use < 0)
		return -1;
	/* our own connections close when we exit, so they do not count against the budget */
	others = server->in_use - ours;
	if (others < 0)
		others = 0;
	return server->max_connections - server->reserved - others;
}

/* The account's own limit (MySQL's max_user_connections: refused with 1226
 * before the server's budget runs out); every worker logs in as we do, and
 * our own connections close when we exit. -1: no such limit. */
static long account_free(const struct driver_server_stats *server, const struct pool_stats *client)
{
	long others;

	if (server->account_limit <= 0)
		return -1;
	others = server->account_in_use - (client->in_use + client->idle);
	if (others < 0)
		others = 0;
	return server->account_limit > others ? server->account_limit - others : 0;
}

static void compute_fit(long workers, const struct pool_stats *client, const struct driver_server_stats *server,
			long free_count, struct workers_fit *fit)
{
	char account[96] = "";

	memset(fit, 0, sizeof(*fit));
	fit->exact = server->in_use_hidden <= 0;
	fit->workers = workers;
	fit->per_worker = client->capacity;
	fit->account_free = account_free(server, client);
	if (fit->account_free >= 0 && (free_count < 0 || fit->account_free < free_count)) {
		free_count = fit->account_free;
		snprintf(account, sizeof(account), " for this account (its limit is %ld connections)",
			 server->account_limit);
	}
	fit->free_slots = free_count;
	if (client->capacity < 0) {
		fit->needed = -1;
		fit->fits = free_count < 0;
		snprintf(fit->reason, sizeof(fit->reason), "%s",
			 fit->fits ? "no limit on either side: fits"
				   : "the pool has no limit (pool_size 0 or max_overflow -1), so no number of workers is safe");
		return;
	}
	fit->needed = workers * client->capacity;
	if (free_count < 0) {
		fit->fits = true;
		snprintf(fit->reason, sizeof(fit->reason), "%ld x %ld = %ld connections needed, no server limit: fits",
			 workers, (long)client->capacity, fit->needed);
		return;
	}
	fit->fits = fit->needed <= free_count;
	/* free is then a lower bound: "fits" still holds, "does not fit" may not */
	snprintf(fit->reason, sizeof(fit->reason), "%ld x %ld = %ld connections needed, %s%ld free%s: %s%s", workers,
		 (long)client->capacity, fit->needed, fit->exact ? "" : "at least ", free_count, account,
		 fit->fits ? "fits" : "does not fit", fit->exact || fit->fits ? "" : " as far as this role can see");
}

/* A server that closes idle connections (MySQL's wait_timeout) does so
 * without telling the pool, which then lends a dead one: pool_recycle must
 * retire them first. "" when it does, or the server closes none. */
static void recycle_hint(const struct engine *engine, const struct driver_server_stats *s, char *out, size_t size)
{
	double recycle = engine->pool.settings.recycle;

	out[0] = '\0';
	if (s->idle_timeout_s <= 0 || (recycle >= 0 && recycle < (double)s->idle_timeout_s))
		return;
	if (recycle < 0)
		snprintf(out, size, "pool_recycle is off, and the server closes connections idle for %ld s: set "
			 "pool_recycle below that, so that the pool retires them first", s->idle_timeout_s);
	else
		snprintf(out, size, "pool_recycle %g s is not below the server's idle timeout %ld s: set it lower, so "
			 "that the pool retires connections before the server closes them", recycle, s->idle_timeout_s);
}

static void print_human(const struct engine *engine, const struct pool_stats *c, const struct driver_server_stats *s,
			long free_count, const struct workers_fit *fit, const char *recycle)
{
	int i;

	printf("target: %s\n", engine->display_url);
	printf("client pool:\n");
	printf("  pool_size: %d\n  max_overflow: %d\n", c->size, c->max_overflow);
	if (c->capacity < 0)
		printf("  capacity: unlimited\n");
	else
		printf("  capacity: %d\n", c->capacity);
	printf("  in_use: %d\n  idle: %d\n  waiting: %d\n", c->in_use, c->idle, c->waiting);
	printf("  connects: %ld\n  connect_latency_ms: %.2f\n", c->connects,
	       c->connects ? c->connect_ms_total / (double)c->connects : 0.0);
	printf("  checkouts: %ld\n  pre_ping_failures: %ld\n  recycles: %ld\n", c->checkouts, c->pre_ping_failures,
	       c->recycles);
	printf("server (%s):\n", s->version);
	if (s->max_connections >= 0) {
		printf("  max_connections: %ld\n  reserved: %ld\n", s->max_connections, s->reserved);
		printf("  in_use: %ld\n  free: %ld\n", s->in_use, free_count);
		if (s->account_limit > 0)
			printf("  account_limit: %ld\n  account_in_use: %ld\n", s->account_limit, s->account_in_use);
		if (s->in_use_hidden > 0)
			printf("  note: in_use is an upper bound: this role cannot see the type of %ld connections of other"
			       " roles and counts them as clients (grant it pg_read_all_stats for exact counts)\n",
			       s->in_use_hidden);
	} else {
		printf("  max_connections: unlimited\n");
	}
	for (i = 0; i < s->item_count; i++)
		printf("  %s: %s\n", s->items[i].key, s->items[i].value);
	if (fit)
		printf("workers: %s\n", fit->reason);
	if (*recycle)
		printf("hint: %s\n", recycle);
}

static void print_json(struct cli *cli, const struct engine *engine, const struct pool_stats *c,
		       const struct driver_server_stats *s, long free_count, const struct workers_fit *fit,
		       const char *recycle, int code)
{
	struct json json;
	int i;

	cli_json_begin(cli, &json, code);
	json_string(&json, "target", engine->display_url);
	json_object_begin(&json, "client");
	json_int(&json, "pool_size", c->size);
	json_int(&json, "max_overflow", c->max_overflow);
	if (c->capacity < 0)
		json_null(&json, "capacity");
	else
		json_int(&json, "capacity", c->capacity);
	json_int(&json, "in_use", c->in_use);
	json_int(&json, "idle", c->idle);
	json_int(&json, "waiting", c->waiting);
	json_int(&json, "connects", c->connects);
	json_double(&json, "connect_latency_ms", c->connects ? c->connect_ms_total / (double)c->connects : 0.0);
	json_int(&json, "checkouts", c->checkouts);
	json_int(&json, "pre_ping_failures", c->pre_ping_failures);
	json_int(&json, "recycles", c->recycles);
	if (engine->pool.settings.recycle < 0)
		json_null(&json, "pool_recycle");
	else
		json_double(&json, "pool_recycle", engine->pool.settings.recycle);
	json_object_end(&json);
	json_object_begin(&json, "server");
	json_string(&json, "backend", engine->driver->name);
	json_string(&json, "version", s->version);
	if (s->max_connections >= 0) {
		json_int(&json, "max_connections", s->max_connections);
		json_int(&json, "reserved", s->reserved);
		json_int(&json, "in_use", s->in_use);
		json_int(&json, "free", free_count);
		json_bool(&json, "in_use_exact", s->in_use_hidden <= 0);
		if (s->account_limit > 0) {
			json_int(&json, "account_limit", s->account_limit);
			json_int(&json, "account_in_use", s->account_in_use);
		}
	} else {
		json_null(&json, "max_connections");
		json_null(&json, "free");
	}
	for (i = 0; i < s->item_count; i++) {
		if (s->items[i].numeric)
			json_raw(&json, s->items[i].key, s->items[i].value);
		else
			json_string(&json, s->items[i].key, s->items[i].value);
	}
	json_object_end(&json);
	if (fit) {
		json_object_begin(&json, "workers");
		json_int(&json, "workers", fit->workers);
		if (fit->per_worker < 0)
			json_null(&json, "per_worker");
		else
			json_int(&json, "per_worker", fit->per_worker);
		if (fit->needed < 0)
			json_null(&json, "needed");
		else
			json_int(&json, "needed", fit->needed);
		if (fit->free_slots < 0)
			json_null(&json, "free");
		else
			json_int(&json, "free", fit->free_slots);
		json_bool(&json, "fits", fit->fits);
		json_bool(&json, "exact", fit->exact);
		if (fit->account_free >= 0)
			json_int(&json, "account_free", fit->account_free);
		json_object_end(&json);
	} else {
		json_null(&json, "workers");
	}
	json_array_begin(&json, "hints");
	if (*recycle)
		json_string(&json, NULL, recycle);
	json_array_end(&json);
	json_object_end(&json);
	printf("%s\n", json.out.buf);
	json_release(&json);
	cli->json_written = true;
}

int cmd_pool_stats(struct cli *cli, struct err *err)
{
	struct driver_server_stats server;
	struct workers_fit fit;
	struct pool_stats client;
	struct pool_conn *pc = NULL;
	struct engine engine;
	char version[160], recycle[320];
	long workers = -1, free_count;
	int code = EXIT_OK;

	if (cli_count(cli, "workers", 1, &workers, err) != 0)
		return EXIT_USAGE;
	/* so that workers x capacity (at most INT_MAX) cannot overflow a long */
	if (workers > MAX_WORKERS)
		return err_set(err, EXIT_USAGE, "--workers expects at most %d, got %ld", MAX_WORKERS, workers), EXIT_USAGE;
	if (engine_open(&engine, &cli->settings, err) != 0)
		return err->code;
	engine_observe_only(&engine);
	memset(&server, 0, sizeof(server));
	/* a checkout proves the pool works; the ping proves the connection does */
	if (engine_checkout(&engine, clock_now() + 3600, &pc, err) != 0 ||
	    engine.driver->ping(pc->conn, clock_deadline(engine.target.connect_timeout, clock_now() + 3600), version,
				sizeof(version), err) != 0 ||
	    engine.driver->server_stats(pc->conn, &server, err) != 0) {
		code = err->code ? err->code : EXIT_FAILED;
		err_prefix(err, "%s", engine.display_url);
		if (pc)
			engine_checkin(&engine, pc, true);
		engine_close(&engine);
		return code;
	}
	pool_get_stats(&engine.pool, &client);
	free_count = free_slots(&server, &client);
	if (workers > 0) {
		compute_fit(workers, &client, &server, free_count, &fit);
		if (!fit.fits)
			code = EXIT_FAILED;
	}
	recycle_hint(&engine, &server, recycle, sizeof(recycle));
	if (cli->json)
		print_json(cli, &engine, &client, &server, free_count, workers > 0 ? &fit : NULL, recycle, code);
	else if (!cli->quiet || code != EXIT_OK)
		print_human(&engine, &client, &server, free_count, workers > 0 ? &fit : NULL, recycle);
	engine_checkin(&engine, pc, false);
	engine_close(&engine);
	return code;
}
