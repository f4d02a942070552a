/* dbctl ping: connect, authenticate and make one real round trip, within a deadline that always holds. */
#include "cli.h"
#include "clock.h"
#include "engine.h"
#include "json.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

const struct cli_option ping_options[] = {
	{ "timeout", 't', "SECONDS", "give up on an attempt after SECONDS, fractions allowed (default 3)" },
	{ "wait", 'w', "SECONDS", "retry with backoff until up, for at most SECONDS" },
	{ "count", 'c', "N", "ping N times (default 1)" },
	{ "interval", 'i', "SECONDS", "pause between pings with --count (default 1)" },
	{ "level", 'l', "LEVEL", "reach, server, auth or query (default query): how far counts as up" },
	{ "all", 0, NULL, "ping every profile of the config file" },
	{ 0 },
};

static const char *const level_names[] = { "none", "reach", "server", "auth", "query" };

enum ping_status { PING_UP, PING_REFUSED, PING_NO_ANSWER, PING_ERROR };
static const char *const status_names[] = { "up", "refused", "no_answer", "error" };

struct ping_result {
	char profile[128];       /* "" without --all */
	char *target;            /* owned; masked URL */
	const char *backend;
	enum ping_status status;
	int exit_code;
	double latency_ms;
	char version[160];
	char message[1024];      /* why it failed, or what a lower level accepted; scrubbed */
};

struct ping_run {
	struct cli *cli;
	enum reach_stage level;
	double timeout;
	double wait;
	long count;
	double interval;
	struct ping_result *results;   /* owned */
	size_t result_count;
};

/* ---- output ---- */

static void render_json(const struct ping_run *run, const struct ping_result *results, size_t count, int code,
			struct strbuf *out)
{
	struct json json;
	size_t i;

	cli_json_begin(run->cli, &json, code);
	json_array_begin(&json, "results");
	for (i = 0; i < count; i++) {
		const struct ping_result *r = &results[i];

		json_object_begin(&json, NULL);
		json_string(&json, "profile", r->profile[0] ? r->profile : NULL);
		json_string(&json, "target", r->target);
		json_string(&json, "backend", r->backend);
		json_string(&json, "level", level_names[run->level]);
		json_string(&json, "status", status_names[r->status]);
		json_int(&json, "exit", r->exit_code);
		json_double(&json, "latency_ms", r->latency_ms);
		json_string(&json, "server_version", r->version[0] ? r->version : NULL);
		json_string(&json, "error", r->status == PING_UP ? NULL : r->message);
		json_object_end(&json);
	}
	json_array_end(&json);
	json_object_end(&json);
	strbuf_addstr(out, json.out.buf);
	strbuf_addch(out, '\n');
	json_release(&json);
}

static void print_result(const struct ping_run *run, const struct ping_result *r)
{
	char prefix[160] = "";

	if (run->cli->json)
		return;
	if (r->profile[0])
		snprintf(prefix, sizeof(prefix), "[%s] ", r->profile);
	if (r->status == PING_UP) {
		if (run->cli->quiet)
			return;
		printf("%s%s: up in %.2f ms", prefix, r->target, r->latency_ms);
		if (r->version[0])
			printf(" (%s)", r->version);
		if (r->message[0])
			printf(" (level %s: %s)", level_names[run->level], r->message);
		putchar('\n');
		return;
	}
	fprintf(stderr, "dbctl: %s%s: %s: %s\n", prefix, r->target,
		r->status == PING_REFUSED ? "refused" : r->status == PING_NO_ANSWER ? "no answer" : "error", r->message);
}

/* ---- the watchdog ---- */

/* What to print if an attempt overruns its deadline inside a call we cannot
 * bound (a DNS lookup, a TLS handshake): prepared before each attempt, since
 * a signal handler may only write() and _exit(). */
static char *watchdog_text;
static size_t watchdog_length;
static int watchdog_fd;

static void watchdog_fire(int signo)
{
	(void)signo;
	if (write(watchdog_fd, watchdog_text, watchdog_length) < 0) {
		/* nothing left to do: exiting is the point */
	}
	_exit(EXIT_NO_ANSWER);
}

static void watchdog_arm(const struct ping_run *run, const struct ping_result *pending, double seconds)
{
	struct itimerval timer;
	struct strbuf text;

	strbuf_init(&text);
	if (run->cli->json) {
		struct ping_result *all = calloc(run->result_count + 1, sizeof(*all));

		if (run->result_count)
			memcpy(all, run->results, run->result_count * sizeof(*all));
		all[run->result_count] = *pending;
		render_json(run, all, run->result_count + 1, EXIT_NO_ANSWER, &text);
		free(all);
		watchdog_fd = STDOUT_FILENO;
	} else {
		strbuf_addf(&text, "dbctl: %s%s%s%s: no answer: %s\n", pending->profile[0] ? "[" : "", pending->profile,
			    pending->profile[0] ? "] " : "", pending->target, pending->message);
		watchdog_fd = STDERR_FILENO;
	}
	fflush(stdout);
	free(watchdog_text);
	watchdog_length = text.len;
	watchdog_text = strbuf_detach(&text);
	signal(SIGALRM, watchdog_fire);
	memset(&timer, 0, sizeof(timer));
	timer.it_value.tv_sec = (time_t)seconds;
	timer.it_value.tv_usec = (suseconds_t)((seconds - (double)(time_t)seconds) * 1e6);
	if (timer.it_value.tv_sec == 0 && timer.it_value.tv_usec == 0)
		timer.it_value.tv_usec = 1;
	setitimer(ITIMER_REAL, &timer, NULL);
}

static void watchdog_disarm(void)
{
	struct itimerval timer;

	memset(&timer, 0, sizeof(timer));
	setitimer(ITIMER_REAL, &timer, NULL);
}

/* ---- one attempt ---- */

static void attempt(struct ping_run *run, struct engine *engine, const char *profile, struct ping_result *r)
{
	double started = clock_now(), deadline = started + run->timeout;
	struct pool_conn *pc = NULL;
	struct err err;
	int rc;

	memset(r, 0, sizeof(*r));
	snprintf(r->profile, sizeof(r->profile), "%s", profile ? profile : "");
	r->target = strdup(engine->display_url);
	r->backend = engine->driver->name;
	snprintf(r->message, sizeof(r->message), "timed out after %g s", run->timeout);
	/* what the watchdog prints if it fires: this attempt did not answer */
	r->status = PING_NO_ANSWER;
	r->exit_code = EXIT_NO_ANSWER;
	r->latency_ms = NAN;
	/* the grace lets our own deadline handling answer first, with a better message */
	watchdog_arm(run, r, run->timeout + 0.2);

	err_init(&err);
	rc = engine_checkout(engine, deadline, &pc, &err);
	if (rc == 0) {
		rc = engine->driver->ping(pc->conn, deadline, r->version, sizeof(r->version), &err);
		/* a fresh connection each attempt: a probe asks whether new connections work */
		engine_checkin(engine, pc, true);
	}
	watchdog_disarm();
	r->latency_ms = (clock_now() - started) * 1000.0;
	r->message[0] = '\0';
	if (rc == 0) {
		r->status = PING_UP;
		r->exit_code = EXIT_OK;
		return;
	}
	snprintf(r->message, sizeof(r->message), "%s", err.message);
	/* the limit that ended it: a connect_timeout shorter than --timeout bounds connecting */
	if (err.code == EXIT_NO_ANSWER && strncmp(err.message, "timed out", 9) == 0) {
		double connect_timeout = engine->target.connect_timeout;
		bool by_connect = err.stage < STAGE_AUTH && connect_timeout > 0 && connect_timeout < run->timeout;

		snprintf(r->message, sizeof(r->message), "%.900s after %g s%s", err.message,
			 by_connect ? connect_timeout : run->timeout, by_connect ? " (connect_timeout)" : "");
	}
	cli_scrub(run->cli, r->message, sizeof(r->message));
	cfg_scrub(engine->settings, r->message, sizeof(r->message));   /* --all: this profile's secrets */
	if (err.code != EXIT_USAGE && err.stage >= run->level) {
		/* e.g. --level server and a wrong password: the server did answer */
		r->status = PING_UP;
		r->exit_code = EXIT_OK;
		return;
	}
	r->exit_code = err.code ? err.code : EXIT_FAILED;
	r->status = r->exit_code == EXIT_FAILED ? PING_REFUSED : r->exit_code == EXIT_NO_ANSWER ? PING_NO_ANSWER : PING_ERROR;
}

static void sleep_seconds(double seconds)
{
	struct timespec ts;

	if (seconds <= 0)
		return;
	/* an interrupt ends dbctl from its handler, which cannot flush stdio:
	 * nothing printed may sit in the buffer while we wait */
	fflush(stdout);
	ts.tv_sec = (time_t)seconds;
	ts.tv_nsec = (long)((seconds - (double)ts.tv_sec) * 1e9);
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;   /* any other failure (EINVAL) would spin forever */
}

static void keep_result(struct ping_run *run, const struct ping_result *r)
{
	run->results = realloc(run->results, (run->result_count + 1) * sizeof(*run->results));
	if (!run->results)
		abort();
	run->results[run->result_count++] = *r;
}

/* Pings one target --count times, or until up within --wait. */
static void ping_target(struct ping_run *run, struct engine *engine, const char *profile)
{
	double wait_until = clock_now() + run->wait, backoff = 0.1;
	struct ping_result r;
	long i;

	for (i = 0; i < run->count; i++) {
		if (i > 0)
			sleep_seconds(run->interval);
		attempt(run, engine, profile, &r);
		while (r.status != PING_UP && r.exit_code != EXIT_USAGE && clock_now() < wait_until) {
			double left = wait_until - clock_now();

			sleep_seconds(backoff < left ? backoff : left);
			backoff = backoff * 2 > 1 ? 1 : backoff * 2;
			free(r.target);
			attempt(run, engine, profile, &r);
		}
		print_result(run, &r);
		keep_result(run, &r);
	}
}

static void print_summary(const struct ping_run *run)
{
	double min = 0, max = 0, sum = 0;
	size_t i, up = 0;

	if (run->cli->json || run->cli->quiet || run->result_count < 2)
		return;
	for (i = 0; i < run->result_count; i++) {
		double ms = run->results[i].latency_ms;

		if (run->results[i].status != PING_UP)
			continue;
		if (up == 0 || ms < min)
			min = ms;
		if (ms > max)
			max = ms;
		sum += ms;
		up++;
	}
	printf("%zu pings, %zu up", run->result_count, up);
	if (up)
		printf(", latency min/avg/max %.2f/%.2f/%.2f ms", min, sum / (double)up, max);
	putchar('\n');
}

static int parse_level(const char *text, enum reach_stage *out, struct err *err)
{
	int i;

	for (i = STAGE_REACH; i <= STAGE_QUERY; i++) {
		if (strcmp(text, level_names[i]) == 0) {
			*out = (enum reach_stage)i;
			return 0;
		}
	}
	return err_set(err, EXIT_USAGE, "--level expects reach, server, auth or query, got '%s'", text);
}

/* --all: each profile gets its own settings and engine. A profile whose config
 * is bad is reported as such, and the others are still pinged. */
static void ping_all(struct ping_run *run)
{
	struct cfg_request request = run->cli->request;
	size_t i;

	request.ignore_env_url = true;
	request.profiles_only = false;
	for (i = 0; i < run->cli->settings.profile_count; i++) {
		const char *profile = run->cli->settings.profiles[i];
		struct settings settings;
		struct engine engine;
		struct err err;

		cfg_init(&settings);
		err_init(&err);
		request.profile = profile;
		if (cfg_load(&settings, &request, &err) == 0 && engine_open(&engine, &settings, &err) == 0) {
			engine_observe_only(&engine);
			ping_target(run, &engine, profile);
			engine_close(&engine);
		} else {
			struct ping_result r;

			memset(&r, 0, sizeof(r));
			snprintf(r.profile, sizeof(r.profile), "%s", profile);
			r.target = strdup("?");
			r.backend = "unknown";
			r.status = PING_ERROR;
			r.exit_code = err.code ? err.code : EXIT_USAGE;
			snprintf(r.message, sizeof(r.message), "%s", err.message);
			cfg_scrub(&settings, r.message, sizeof(r.message));
			print_result(run, &r);
			keep_result(run, &r);
		}
		cfg_release(&settings);
	}
}

int cmd_ping(struct cli *cli, struct err *err)
{
	struct ping_run run;
	const char *level = cli_value(cli, "level");
	int code = EXIT_OK;
	size_t i;

	memset(&run, 0, sizeof(run));
	run.cli = cli;
	run.level = STAGE_QUERY;
	run.timeout = 3;
	run.count = 1;
	run.interval = 1;
	if (cli_seconds(cli, "timeout", &run.timeout, err) != 0 || cli_seconds(cli, "wait", &run.wait, err) != 0 ||
	    cli_count(cli, "count", 1, &run.count, err) != 0 || cli_seconds(cli, "interval", &run.interval, err) != 0 ||
	    (level && parse_level(level, &run.level, err) != 0))
		return EXIT_USAGE;
	if (run.timeout <= 0)
		return err_set(err, EXIT_USAGE, "--timeout must be more than 0"), EXIT_USAGE;

	if (cli_switch(cli, "all")) {
		if (cli->request.url) {
			err_set(err, EXIT_USAGE, "--all pings the config file's profiles; it does not take --url");
			return EXIT_USAGE;
		}
		if (cli->settings.profile_count == 0) {
			err_set(err, EXIT_USAGE, "--all needs a config file with profiles%s%s",
				cli->settings.config_file ? "; none in " : "",
				cli->settings.config_file ? cli->settings.config_file : "");
			return EXIT_USAGE;
		}
		ping_all(&run);
	} else {
		struct engine engine;

		if (engine_open(&engine, &cli->settings, err) != 0)
			return err->code;
		engine_observe_only(&engine);
		ping_target(&run, &engine, NULL);
		engine_close(&engine);
	}

	for (i = 0; i < run.result_count && code == EXIT_OK; i++)
		code = run.results[i].exit_code;
	print_summary(&run);
	if (cli->json) {
		struct strbuf out;

		strbuf_init(&out);
		render_json(&run, run.results, run.result_count, code, &out);
		fputs(out.buf, stdout);
		strbuf_release(&out);
		cli->json_written = true;
	}
	for (i = 0; i < run.result_count; i++)
		free(run.results[i].target);
	free(run.results);
	free(watchdog_text);
	watchdog_text = NULL;
	return code;
}
