/* PostgreSQL driver module: libpq, with every wait bounded by the caller's deadline. */
#include "drv_pg_dump.h"
#include "dialect.h"
#include "clock.h"
#include "driver.h"
#include "resolve.h"
#include "strbuf.h"

#include <arpa/inet.h>
#include <errno.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

/* After an interrupt (and the cancel it sent), how long a reply may still
 * take: a server answers a cancel in milliseconds, a pooler that holds the
 * query in its queue never does. */
#define INTERRUPT_GRACE_SECONDS 2.0

struct driver_conn {
	PGconn *pg;
	PGcancel *cancel;   /* made at connect time: PQcancel is async-signal-safe, PQgetCancel is not */
	const struct driver_target *target;   /* borrowed: the engine's, for interrupts and notices */
	double interrupt_seen;    /* when a wait first saw an interrupt; 0 before */
	volatile sig_atomic_t cancel_sent;   /* by pg_cancel, maybe from a signal handler */
	bool commit_in_flight;    /* the query being answered ends the transaction with COMMIT */
	bool abandoned;           /* an interrupt ended the wait: dbctl shut the socket itself */
	long notice_item;         /* the batch statement whose replies are being read; -1 none */
	long notice_batch_count;  /* statements in that batch */
};

/* libpq ends messages with a newline and may add more lines; keep them, trim the end. */
static void copy_message(char *out, size_t size, const char *message)
{
	size_t len;

	snprintf(out, size, "%s", message ? message : "");
	len = strlen(out);
	while (len && (out[len - 1] == '\n' || out[len - 1] == ' '))
		out[--len] = '\0';
}

/* libpq's conninfo parse errors quote what they choked on: the whole URI, a
 * percent-encoded token, a word of a keyword string; any of them can be the
 * password. Keep libpq's words and drop what it quotes, except one-character
 * quotes ("]", "=") that name the syntax it expected. */
static void copy_parse_reason(char *out, size_t size, const char *message)
{
	const char *p, *close;
	size_t len = 0;

	for (p = message; *p && len + 6 < size; p++) {
		if (p[0] == ':' && p[1] == ' ' && p[2] == '"')
			break;   /* ': "the input"' ends libpq's URI messages */
		if (*p == '"' && (close = strchr(p + 1, '"')) != NULL) {
			if (close - p > 2)
				memcpy(out + len, "\"...\"", 5), len += 5;
			else
				memcpy(out + len, p, (size_t)(close - p) + 1), len += (size_t)(close - p) + 1;
			p = close;
			continue;
		}
		out[len++] = *p;
	}
	out[len] = '\0';
	while (len && (out[len - 1] == '\n' || out[len - 1] == ' '))
		out[--len] = '\0';
}

static int pg_result_error(const PGresult *res, const PGconn *pg, int code, struct err *err)
{
	const char *primary = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *hint = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_HINT) : NULL;
	const char *detail = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL) : NULL;
	const char *where = res ? PQresultErrorField(res, PG_DIAG_CONTEXT) : NULL;

	if (primary)
		err_set(err, code, "%s", primary);
	else
		err_set(err, code, "%s", "");
	if (!primary)
		copy_message(err->message, sizeof(err->message), PQerrorMessage(pg));
	if (state)
		snprintf(err->sqlstate, sizeof(err->sqlstate), "%s", state);
	if (hint)
		err_hint(err, "%s", hint);
	if (detail)
		snprintf(err->detail, sizeof(err->detail), "%s", detail);
	if (where)
		copy_message(err->where, sizeof(err->where), where);
	return -1;
}

/* Builds "-c name=value" options; spaces and backslashes escaped as libpq's options expect. */
static void add_guc(struct strbuf *options, const char *name, const char *value)
{
	const char *p;

	if (options->len)
		strbuf_addch(options, ' ');
	strbuf_addf(options, "-c %s=", name);
	for (p = value; *p; p++) {
		if (*p == ' ' || *p == '\\')
			strbuf_addch(options, '\\');
		strbuf_addch(options, *p);
	}
}

static enum reach_stage stage_of(ConnStatusType status)
{
	switch (status) {
	case CONNECTION_STARTED:
	case CONNECTION_BAD:
		return STAGE_NONE;
	case CONNECTION_MADE:
	case CONNECTION_AWAITING_RESPONSE:
	case CONNECTION_SSL_STARTUP:
	case CONNECTION_GSS_STARTUP:
		return STAGE_REACH;
	case CONNECTION_OK:
		return STAGE_AUTH;
	default:
		return STAGE_SERVER;   /* AUTH_OK, SETENV, CHECK_*: the server has spoken */
	}
}

static void pg_cancel(struct driver_conn *conn);

/* Every wait of this driver: the socket in the direction libpq asked for,
 * beside the interrupt descriptor, so that Ctrl-C/SIGTERM end it. */
static enum driver_wait wait_socket(const struct driver_target *target, PGconn *pg, bool for_write, double deadline,
				    int outlives)
{
	int fd = PQsocket(pg);

	if (fd < 0)
		return DRIVER_WAIT_READY;   /* nothing to wait on yet: let libpq take its next step */
	return driver_wait_fd(target, fd, for_write, deadline, outlives);
}

/* Waits until libpq has the next result ready. After an interrupt the
 * cancel is already on its way: a statement gets INTERRUPT_GRACE_SECONDS
 * to answer it, a COMMIT as long as it takes (its answer says whether the
 * run committed), and a second interrupt ends either wait. A wait ended so
 * shuts the socket: libpq then fails at once instead of blocking. */
static void wait_result(struct driver_conn *conn)
{
	while (!conn->abandoned && PQisBusy(conn->pg)) {
		double deadline = clock_now() + 86400;
		enum driver_wait waited;

		if (driver_interrupts(conn->target) > 0) {
			if (conn->interrupt_seen == 0)
				conn->interrupt_seen = clock_now();
			if (!conn->commit_in_flight)
				deadline = conn->interrupt_seen + INTERRUPT_GRACE_SECONDS;
		}
		waited = wait_socket(conn->target, conn->pg, false, deadline, 1);
		if (waited == DRIVER_WAIT_WOKEN) {
			/* the interrupt came while this statement ran; the handler
			 * may not know this connection (a migration's tracking
			 * statements): cancel it here */
			if (!conn->cancel_sent)
				pg_cancel(conn);
			continue;   /* and the deadline shortens now */
		}
		if (waited != DRIVER_WAIT_READY && driver_interrupts(conn->target) > 0) {
			conn->abandoned = true;
			shutdown(PQsocket(conn->pg), SHUT_RDWR);
		}
		if (!PQconsumeInput(conn->pg))
			break;
	}
}

static PGresult *next_result(struct driver_conn *conn)
{
	wait_result(conn);
	return PQgetResult(conn->pg);
}

/* Fills err for a connection that is gone: lost, or shut by an interrupt,
 * and after COMMIT was sent, of unknown outcome. */
static int connection_gone(struct driver_conn *conn, struct err *err)
{
	if (conn->commit_in_flight) {
		char reason[256];

		/* libpq's first line says why (a FATAL from the server, a reset) */
		copy_message(reason, sizeof(reason), PQerrorMessage(conn->pg));
		reason[strcspn(reason, "\n")] = '\0';
		err_set(err, EXIT_UNKNOWN, "%s COMMIT was sent: the transaction may have committed%s%s%s",
			conn->abandoned ? "interrupted again while waiting for COMMIT's answer, after"
					: "the connection was lost after",
			!conn->abandoned && reason[0] ? " (" : "", !conn->abandoned ? reason : "",
			!conn->abandoned && reason[0] ? ")" : "");
		err_hint(err, "check the database before running it again: nothing says whether COMMIT took effect");
	} else if (conn->abandoned) {
		err_set(err, EXIT_INTERRUPTED, "interrupted: the server did not answer the cancel, so dbctl closed the "
					       "connection (the server rolls the transaction back)");
	} else {
		err_set(err, EXIT_NO_ANSWER, "%s", "");
		copy_message(err->message, sizeof(err->message), PQerrorMessage(conn->pg));
	}
	return -1;
}

/* libpq's default prints notices raw on stderr: hand them to the caller. */
static void on_notice(void *context, const PGresult *res)
{
	struct driver_conn *conn = context;
	const char *severity = PQresultErrorField(res, PG_DIAG_SEVERITY);
	const char *primary = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	char text[1024];
	long item;

	snprintf(text, sizeof(text), "%s: %s", severity ? severity : "NOTICE", primary ? primary : "");
	/* libpq reads a notice that follows a statement's end before that
	 * statement's result is collected: it is the counted statement's or the
	 * next one's, and only the batch's last has no next one */
	item = conn->notice_item;
	if (item >= 0 && item + 1 < conn->notice_batch_count)
		item = -2;
	conn->target->notice(conn->target->notice_context, text, item);
}

static const char *phase_of(enum reach_stage stage)
{
	return stage == STAGE_NONE ? "connecting" : "waiting for the server to answer";
}

/* ---- connecting: hosts resolved within the deadline, failures told apart as pg_isready does ---- */

static const char *conninfo_value(const PQconninfoOption *options, const char *keyword, const char *env)
{
	const PQconninfoOption *o;

	for (o = options; o->keyword; o++)
		if (strcmp(o->keyword, keyword) == 0 && o->val)
			return o->val;
	return getenv(env);
}

/* The next element of a libpq comma-separated list; *list moves past it. */
static size_t next_element(const char **list, char *out, size_t size)
{
	size_t len = strcspn(*list, ",");

	snprintf(out, size, "%.*s", (int)len, *list);
	*list += len + ((*list)[len] == ',');
	return len;
}

static size_t element_count(const char *list)
{
	size_t n = 1;

	for (; *list; list++)
		n += *list == ',';
	return n;
}

/* A bad port is bad config (exit 3), as in a Redis URL; libpq would make it a
 * failed connection. The value is not quoted: a raw '/' or '@' in a password
 * can make libpq read part of the password as the port. */
static int check_ports(const char *ports, struct err *err)
{
	const char *p = ports;
	char port[64];

	while (p && *p) {
		size_t len = next_element(&p, port, sizeof(port));
		long value = strtol(port, NULL, 10);

		if (len && (len >= 6 || port[strspn(port, "0123456789")] || value < 1 || value > 65535))
			return err_set(err, EXIT_USAGE, "invalid port number in the PostgreSQL URL: expected 1 to 65535");
	}
	return 0;
}

/* The host, hostaddr and port lists libpq is to use instead of the URL's. */
struct pg_hosts {
	struct strbuf host, hostaddr, port;
	size_t entries;
	bool resolved;   /* false: leave the URL's as they are */
};

static bool is_host_name(const char *host)
{
	return *host && *host != '/' && *host != '@';   /* not a unix socket directory or abstract socket */
}

static void add_host(struct pg_hosts *hosts, const char *host, const char *addr, const char *port)
{
	const char *comma = hosts->entries++ ? "," : "";

	strbuf_addf(&hosts->host, "%s%s", comma, host);
	strbuf_addf(&hosts->hostaddr, "%s%s", comma, addr);
	if (port)
		strbuf_addf(&hosts->port, "%s%s", comma, port);
}

/* libpq's getaddrinfo cannot be bounded, so every host name is resolved here,
 * side by side, within the deadline; libpq then gets one host entry per
 * address, with hostaddr set, and only connects (host still names the
 * server for TLS and .pgpass). A name that does not resolve is skipped as
 * libpq would skip it; a service file may name hosts we do not see, so a
 * service is left to libpq. */
static int resolve_hosts(const PQconninfoOption *options, const struct driver_target *target, double deadline,
			 struct pg_hosts *hosts, struct err *err)
{
	const char *host_list = conninfo_value(options, "host", "PGHOST");
	const char *hostaddr = conninfo_value(options, "hostaddr", "PGHOSTADDR");
	const char *port_list = conninfo_value(options, "port", "PGPORT"), *h, *pp;
	const char *service = conninfo_value(options, "service", "PGSERVICE");
	struct resolve_job **jobs;
	struct err first_failure;
	size_t n, ports, i;
	int rc = 0;

	strbuf_init(&hosts->host);
	strbuf_init(&hosts->hostaddr);
	strbuf_init(&hosts->port);
	hosts->entries = 0;
	hosts->resolved = false;
	if (check_ports(port_list, err) != 0)
		return -1;
	if (!host_list || !*host_list || (hostaddr && *hostaddr) || (service && *service))
		return 0;
	n = element_count(host_list);
	ports = port_list && *port_list ? element_count(port_list) : 0;
	if (ports > 1 && ports != n)   /* bad config, which libpq would make a failed connection */
		return err_set(err, EXIT_USAGE, "the PostgreSQL URL has %zu ports for %zu hosts", ports, n);
	jobs = calloc(n, sizeof(*jobs));
	if (!jobs)
		return err_set(err, EXIT_FAILED, "out of memory");
	for (h = host_list, i = 0; i < n; i++) {
		char host[256];

		next_element(&h, host, sizeof(host));
		jobs[i] = is_host_name(host) ? resolve_start(host) : NULL;
	}
	err_init(&first_failure);
	for (h = host_list, pp = port_list, i = 0; i < n; i++) {
		char host[256], port[64], addrs[RESOLVE_MAX_ADDRS][RESOLVE_ADDR_SIZE];
		size_t count = 0, a;
		struct err lookup;

		next_element(&h, host, sizeof(host));
		if (ports > 1)
			next_element(&pp, port, sizeof(port));
		if (!jobs[i]) {
			add_host(hosts, host, "", ports > 1 ? port : NULL);
			continue;
		}
		err_init(&lookup);
		if (rc == 0 && resolve_finish(jobs[i], target, deadline, addrs, &count, &lookup) != 0) {
			if (lookup.code == EXIT_INTERRUPTED || strncmp(lookup.message, "timed out", 9) == 0)
				rc = -1, *err = lookup;   /* the rest are finished below, at once */
			else if (!first_failure.message[0])
				first_failure = lookup;
			continue;
		}
		if (rc != 0) {
			if (resolve_finish(jobs[i], NULL, 0, addrs, &count, &lookup) != 0) {
				/* abandoned: the deadline is gone */
			}
			continue;
		}
		for (a = 0; a < count; a++)
			add_host(hosts, host, addrs[a], ports > 1 ? port : NULL);
	}
	free(jobs);
	if (rc == 0 && hosts->entries == 0) {
		*err = first_failure;
		rc = -1;
	}
	if (rc == 0 && ports == 1)
		strbuf_addstr(&hosts->port, port_list);
	hosts->resolved = rc == 0;
	return rc;
}

static void pg_hosts_release(struct pg_hosts *hosts)
{
	strbuf_release(&hosts->host);
	strbuf_release(&hosts->hostaddr);
	strbuf_release(&hosts->port);
}

/* libpq puts a server's error in its message as "SEVERITY:  SQLSTATE: text"
 * at verbose verbosity, with a LOCATION line. Takes the SQLSTATE out into
 * sqlstate (the server answered) and drops what the default verbosity would
 * not show. The SQLSTATE is what tells a server's refusal from a listener
 * that closed or talked nonsense: neither has one. */
static void take_server_sqlstate(char *message, char *sqlstate, size_t size)
{
	char *p = message, *line;

	sqlstate[0] = '\0';
	while ((p = strstr(p, ":  ")) != NULL) {
		p += 3;
		if (strspn(p, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ") == 5 && p[5] == ':' && p[6] == ' ') {
			if (!sqlstate[0])
				snprintf(sqlstate, size, "%.5s", p);
			memmove(p, p + 7, strlen(p + 7) + 1);
		}
	}
	while ((line = strstr(message, "\nLOCATION:  ")) != NULL) {
		char *end = strchr(line + 1, '\n');

		if (end)
			memmove(line, end, strlen(end) + 1);
		else
			*line = '\0';
	}
}

/* Why a connection failed, in pg_isready's terms: a server that sent an
 * error, or asked us for a password, answered (exit 1; --level server counts
 * it up), except 57P03 "not accepting connections", which pg_isready calls
 * rejecting; a listener that closed or sent garbage did not (exit 2). */
static void connect_failure(PGconn *pg, enum reach_stage reached, struct err *err)
{
	char sqlstate[8];
	bool answered;

	err_set(err, EXIT_NO_ANSWER, "%s", "");
	copy_message(err->message, sizeof(err->message), PQerrorMessage(pg));
	take_server_sqlstate(err->message, sqlstate, sizeof(sqlstate));
	answered = sqlstate[0] || reached >= STAGE_SERVER || PQconnectionNeedsPassword(pg) ||
		   PQconnectionUsedPassword(pg);
	snprintf(err->sqlstate, sizeof(err->sqlstate), "%s", sqlstate);
	err->code = answered ? EXIT_FAILED : EXIT_NO_ANSWER;
	err->stage = !answered ? (reached >= STAGE_REACH ? STAGE_REACH : STAGE_NONE)
		     : strcmp(sqlstate, "57P03") == 0 ? STAGE_REACH : STAGE_SERVER;
}

/* One PQconnectStartParams driven to its end within deadline: 0 and *out
 * connected, or -1 and err (a message starting "timed out" when the deadline
 * passed). */
static int connect_attempt(const struct driver_target *target, const char *const *keys, const char *const *values,
			   double deadline, PGconn **out, struct err *err)
{
	PostgresPollingStatusType poll_status = PGRES_POLLING_WRITING;
	enum reach_stage reached = STAGE_NONE;
	PGconn *pg = PQconnectStartParams(keys, values, 1);

	*out = NULL;
	if (!pg)
		return err_set(err, EXIT_FAILED, "out of memory");
	if (PQstatus(pg) == CONNECTION_BAD)
		poll_status = PGRES_POLLING_FAILED;
	PQsetErrorVerbosity(pg, PQERRORS_VERBOSE);   /* for connect_failure's SQLSTATE */

	while (poll_status != PGRES_POLLING_OK && poll_status != PGRES_POLLING_FAILED) {
		enum driver_wait waited = wait_socket(target, pg, poll_status == PGRES_POLLING_WRITING, deadline, 0);

		if (waited == DRIVER_WAIT_INTERRUPTED || waited == DRIVER_WAIT_TIMEOUT) {
			if (waited == DRIVER_WAIT_INTERRUPTED)
				err_set(err, EXIT_INTERRUPTED, "interrupted while %s: nothing was sent", phase_of(reached));
			else
				err_set(err, EXIT_NO_ANSWER, "timed out %s", phase_of(reached));
			err->stage = reached;
			PQfinish(pg);
			return -1;
		}
		poll_status = PQconnectPoll(pg);
		if (stage_of(PQstatus(pg)) > reached)
			reached = stage_of(PQstatus(pg));
	}
	if (poll_status == PGRES_POLLING_FAILED) {
		connect_failure(pg, reached, err);
		PQfinish(pg);
		return -1;
	}
	PQsetErrorVerbosity(pg, PQERRORS_DEFAULT);
	*out = pg;
	return 0;
}

static bool has_empty_element(const char *list)
{
	return !*list || *list == ',' || strstr(list, ",,") || list[strlen(list) - 1] == ',';
}

/* libpq's connect_timeout (URL or PGCONNECT_TIMEOUT) in seconds, 0 when
 * none; libpq 15 waits at least 2 s, so that a healthy server is not given up
 * on after a fraction of a second. */
static double host_connect_timeout(const PQconninfoOption *options)
{
	const char *text = conninfo_value(options, "connect_timeout", "PGCONNECT_TIMEOUT");
	long seconds = text ? strtol(text, NULL, 10) : 0;

	return seconds <= 0 ? 0 : seconds < 2 ? 2 : (double)seconds;
}

/* libpq applies connect_timeout to each host, but only in its blocking
 * connect: driven asynchronously, a host that accepts and never answers took
 * the whole deadline and the hosts after it were never tried (pg_isready
 * moves on to them). So each host entry gets an attempt of its own, bounded by
 * connect_timeout and the deadline. As in libpq, only a host that could not be
 * reached sends us on to the next; one that answered (a refusal, a wrong
 * password) ends the search. values[host_at..] are host, hostaddr, port. */
static int connect_each_host(const struct driver_target *target, const char **keys, const char **values, int host_at,
			     const struct pg_hosts *hosts, double per_host, double deadline, PGconn **out,
			     struct err *err)
{
	const char *h = hosts->host.buf, *a = hosts->hostaddr.buf, *p = hosts->port.buf;
	bool port_each = hosts->port.len && element_count(hosts->port.buf) > 1;
	char host[256], addr[RESOLVE_ADDR_SIZE], port[64];
	enum reach_stage farthest = STAGE_NONE;   /* --level reach: any host connected to counts */
	size_t i;
	int rc = -1;

	for (i = 0; i < hosts->entries; i++) {
		double until = clock_now() + per_host;

		next_element(&h, host, sizeof(host));
		next_element(&a, addr, sizeof(addr));
		values[host_at] = host;
		values[host_at + 1] = addr;
		if (port_each) {
			next_element(&p, port, sizeof(port));
			values[host_at + 2] = port;
		}
		rc = connect_attempt(target, keys, values, until < deadline ? until : deadline, out, err);
		if (rc != 0 && err->stage > farthest)
			farthest = err->stage;
		if (rc == 0 || err->code != EXIT_NO_ANSWER || clock_ms_left(deadline) == 0)
			break;
		if (strncmp(err->message, "timed out", 9) == 0) {   /* this host's connect_timeout, not the deadline */
			enum reach_stage stage = err->stage;

			bool named = *addr && strcmp(addr, host) != 0;

			err_set(err, EXIT_NO_ANSWER, "connection to server at \"%s\"%s%s%s failed: timeout expired"
				" (connect_timeout=%g)", host, named ? " (" : "", named ? addr : "", named ? ")" : "",
				per_host);
			err->stage = stage;
		}
	}
	if (rc != 0 && err->code == EXIT_NO_ANSWER && farthest > err->stage)
		err->stage = farthest;
	return rc;
}

static int pg_connect(const struct driver_target *target, double deadline, struct driver_conn **out,
		      struct err *err)
{
	const char *keys[12], *values[12];
	PQconninfoOption *parsed;
	struct pg_hosts hosts;
	struct driver_conn *conn;
	const char *session_attrs;
	double per_host;
	int host_at = -1, rc;
	struct strbuf options;
	char *parse_error = NULL;
	int n = 0;

	/* a URL libpq cannot parse is bad config (exit 3), not a failed connection */
	parsed = PQconninfoParse(target->url, &parse_error);
	if (!parsed) {
		char reason[512];

		/* the URL itself stays out: ping and --json show it masked, and a
		 * keyword string malformed enough to get here may defeat the masking */
		copy_parse_reason(reason, sizeof(reason), parse_error ? parse_error : "out of memory");
		err_set(err, EXIT_USAGE, "invalid PostgreSQL URL: %s", reason);
		PQfreemem(parse_error);
		return -1;
	}
	if (resolve_hosts(parsed, target, deadline, &hosts, err) != 0) {
		PQconninfoFree(parsed);
		pg_hosts_release(&hosts);
		return -1;
	}
	per_host = host_connect_timeout(parsed);
	session_attrs = conninfo_value(parsed, "target_session_attrs", "PGTARGETSESSIONATTRS");
	if (session_attrs && *session_attrs && strcmp(session_attrs, "any") != 0)
		per_host = 0;   /* libpq's passes over the hosts (prefer-standby) stay libpq's */
	PQconninfoFree(parsed);

	strbuf_init(&options);
	if (target->statement_timeout_ms > 0)
		strbuf_addf(&options, "-c statement_timeout=%ld", target->statement_timeout_ms);
	if (target->lock_timeout_ms > 0) {
		if (options.len)
			strbuf_addch(&options, ' ');
		strbuf_addf(&options, "-c lock_timeout=%ld", target->lock_timeout_ms);
	}
	if (*target->search_path)
		add_guc(&options, "search_path", target->search_path);

	/* our defaults first, then the URL (expanded; its values win), then an explicit password */
	keys[n] = "fallback_application_name", values[n++] = target->application_name;
	if (options.len)
		keys[n] = "options", values[n++] = options.buf;
	keys[n] = "dbname", values[n++] = target->url;
	if (hosts.resolved) {   /* after dbname: they replace the URL's */
		host_at = n;
		keys[n] = "host", values[n++] = hosts.host.buf;
		keys[n] = "hostaddr", values[n++] = hosts.hostaddr.buf;
		keys[n] = "port", values[n++] = hosts.port.len ? hosts.port.buf : NULL;
	}
	/* after the URL, so that it wins over the URL, PGCLIENTENCODING and
	 * role or database defaults: scripts are UTF-8 and the lexer reads them
	 * so; the server converts from the client encoding before it lexes, and
	 * SJIS or BIG5 can turn a backslash into half a character */
	keys[n] = "client_encoding", values[n++] = "UTF8";
	if (*target->password)
		keys[n] = "password", values[n++] = target->password;
	keys[n] = NULL, values[n] = NULL;

	conn = calloc(1, sizeof(*conn));
	if (!conn) {
		strbuf_release(&options);
		pg_hosts_release(&hosts);
		return err_set(err, EXIT_FAILED, "out of memory");
	}
	/* an empty host element is libpq's default, which only the URL's list can say */
	if (host_at >= 0 && per_host > 0 && hosts.entries > 1 && !has_empty_element(hosts.host.buf))
		rc = connect_each_host(target, keys, values, host_at, &hosts, per_host, deadline, &conn->pg, err);
	else
		rc = connect_attempt(target, keys, values, deadline, &conn->pg, err);
	strbuf_release(&options);
	pg_hosts_release(&hosts);
	if (rc != 0) {
		free(conn);
		return -1;
	}
	conn->cancel = PQgetCancel(conn->pg);
	conn->target = target;
	conn->notice_item = -1;
	if (target->notice)
		PQsetNoticeReceiver(conn->pg, on_notice, conn);
	*out = conn;
	return 0;
}

/* Sends a query and waits for its last result within deadline. *last is the
 * caller's to PQclear. 0 on a result (maybe an error result), -1 on timeout
 * or a lost connection. */
static int pg_query_until(struct driver_conn *conn, const char *sql, double deadline, PGresult **last,
			  struct err *err)
{
	PGresult *res;

	*last = NULL;
	if (!PQsendQuery(conn->pg, sql))
		goto lost;
	for (;;) {
		while (!PQisBusy(conn->pg)) {
			res = PQgetResult(conn->pg);
			if (!res)
				return *last ? 0 : -1;
			PQclear(*last);
			*last = res;
		}
		enum driver_wait waited = wait_socket(conn->target, conn->pg, false, deadline, 0);

		if (waited != DRIVER_WAIT_READY) {
			PQclear(*last);
			*last = NULL;
			if (waited == DRIVER_WAIT_INTERRUPTED)
				err_set(err, EXIT_INTERRUPTED, "interrupted while waiting for the server's answer");
			else
				err_set(err, EXIT_NO_ANSWER, "timed out waiting for the server's answer");
			err->stage = STAGE_AUTH;
			return -1;
		}
		if (!PQconsumeInput(conn->pg))
			goto lost;
	}
lost:
	PQclear(*last);
	*last = NULL;
	err_set(err, EXIT_NO_ANSWER, "%s", "");
	copy_message(err->message, sizeof(err->message), PQerrorMessage(conn->pg));
	err->stage = STAGE_AUTH;
	return -1;
}

static int pg_ping(struct driver_conn *conn, double deadline, char *version, size_t size, struct err *err)
{
	PGresult *res;
	const char *server_version;
	int rc = 0;

	if (pg_query_until(conn, "SELECT 1", deadline, &res, err) != 0)
		return -1;
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1 || strcmp(PQgetvalue(res, 0, 0), "1") != 0) {
		rc = pg_result_error(res, conn->pg, EXIT_FAILED, err);
		err->stage = STAGE_AUTH;
	}
	PQclear(res);
	server_version = PQparameterStatus(conn->pg, "server_version");
	snprintf(version, size, "PostgreSQL %s", server_version ? server_version : "?");
	return rc;
}

static int collect_result(PGresult *res, struct driver_result *out)
{
	int rows = PQntuples(res), cols = PQnfields(res), r, c;
	const char *affected = PQcmdTuples(res);

	out->column_count = cols;
	out->row_count = rows;
	out->column_names = calloc((size_t)cols + 1, sizeof(char *));
	out->cells = calloc((size_t)rows * (size_t)cols + 1, sizeof(char *));
	if (!out->column_names || !out->cells)
		return -1;
	for (c = 0; c < cols; c++)
		out->column_names[c] = strdup(PQfname(res, c));
	for (r = 0; r < rows; r++)
		for (c = 0; c < cols; c++)
			if (!PQgetisnull(res, r, c))
				out->cells[(long)r * cols + c] = strdup(PQgetvalue(res, r, c));
	out->affected = affected && *affected ? atol(affected) : -1;
	snprintf(out->tag, sizeof(out->tag), "%s", PQcmdStatus(res));
	return 0;
}

/* Does the query end with COMMIT? Then its answer decides the outcome. */
static bool ends_with_commit(const char *text)
{
	size_t len = strlen(text);

	while (len && (text[len - 1] == ';' || text[len - 1] == ' ' || text[len - 1] == '\n'))
		len--;
	return len >= 6 && strncasecmp(text + len - 6, "COMMIT", 6) == 0 &&
	       (len == 6 || text[len - 7] == ' ' || text[len - 7] == ';' || text[len - 7] == '\n');
}

/* PQexec's meaning (the last result; the first error wins), through this
 * driver's waits. */
static int pg_exec(struct driver_conn *conn, const char *text, struct driver_result *out, struct err *err)
{
	PGresult *res, *last = NULL, *failed = NULL;
	ExecStatusType status;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	out->affected = -1;
	conn->commit_in_flight = ends_with_commit(text);
	if (!PQsendQuery(conn->pg, text)) {
		conn->commit_in_flight = false;   /* not sent: nothing can have committed */
		rc = PQstatus(conn->pg) == CONNECTION_BAD ? connection_gone(conn, err) : pg_result_error(NULL, conn->pg,
													EXIT_FAILED, err);
		conn->commit_in_flight = false;
		return rc;
	}
	while ((res = next_result(conn)) != NULL) {
		status = PQresultStatus(res);
		if (status == PGRES_COPY_IN)
			PQputCopyEnd(conn->pg, "COPY FROM STDIN has no data here");
		if (status == PGRES_COPY_OUT) {
			char *row;

			/* libpq stays in COPY OUT until its data is read */
			while (PQgetCopyData(conn->pg, &row, 0) > 0)
				PQfreemem(row);
		}
		if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK && status != PGRES_EMPTY_QUERY &&
		    status != PGRES_COPY_IN && status != PGRES_COPY_OUT && !failed) {
			failed = res;
			continue;
		}
		PQclear(last);
		last = res;
	}
	/* COMMIT's own answer came before the connection went: that settles it */
	if (!failed && last && conn->commit_in_flight && strcmp(PQcmdStatus(last), "COMMIT") == 0)
		conn->commit_in_flight = false;
	if (PQstatus(conn->pg) == CONNECTION_BAD && (conn->commit_in_flight || conn->abandoned || !failed))
		rc = connection_gone(conn, err);
	else if (failed)
		rc = pg_result_error(failed, conn->pg, PQstatus(conn->pg) == CONNECTION_BAD ? EXIT_NO_ANSWER : EXIT_FAILED,
				     err);
	else if (!last || collect_result(last, out) != 0)
		rc = err_set(err, EXIT_FAILED, "out of memory");
	conn->commit_in_flight = false;
	PQclear(failed);
	PQclear(last);
	return rc;
}

static int pg_simple(struct driver_conn *conn, const char *sql, struct err *err)
{
	struct driver_result result;
	int rc = pg_exec(conn, sql, &result, err);

	driver_result_release(&result);
	return rc;
}

static int pg_begin(struct driver_conn *conn, struct err *err)
{
	return pg_simple(conn, "BEGIN", err);
}

static int pg_commit(struct driver_conn *conn, struct err *err)
{
	return pg_simple(conn, "COMMIT", err);
}

static int pg_rollback(struct driver_conn *conn, struct err *err)
{
	return pg_simple(conn, "ROLLBACK", err);
}

static void pg_cancel(struct driver_conn *conn)
{
	char ignored[256];

	conn->cancel_sent = 1;
	if (conn->cancel)
		PQcancel(conn->cancel, ignored, sizeof(ignored));
}

/* Client backends by state; non-superusers see other users' rows with a NULL
 * state, counted under "other". Reserved slots: superuser_reserved_connections,
 * plus reserved_connections on 16+. */
static const char pg_stats_sql[] =
	"SELECT current_setting('max_connections')::int,"
	" (SELECT coalesce(sum(setting::int), 0) FROM pg_settings"
	"   WHERE name IN ('superuser_reserved_connections', 'reserved_connections')),"
	" count(*),"
	" count(*) FILTER (WHERE state = 'active'),"
	" count(*) FILTER (WHERE state = 'idle'),"
	" count(*) FILTER (WHERE state = 'idle in transaction'),"
	" count(*) FILTER (WHERE state = 'idle in transaction (aborted)'),"
	" count(*) FILTER (WHERE backend_type IS NOT NULL AND (state IS NULL OR state NOT IN"
	"   ('active', 'idle', 'idle in transaction', 'idle in transaction (aborted)'))),"
	" coalesce(round(extract(epoch FROM now() - min(state_change)"
	"   FILTER (WHERE state LIKE 'idle in transaction%')))::bigint, 0),"
	" current_setting('server_version'),"
	" count(*) FILTER (WHERE backend_type IS NULL)"
	/* Without pg_read_all_stats, other roles' rows show no backend_type or
	 * state. Those attached to a database are counted as clients (most are;
	 * an autovacuum or parallel worker would be counted too), so that in_use
	 * is an upper bound and free a lower one, and said to be so. */
	" FROM pg_stat_activity WHERE backend_type = 'client backend' OR (backend_type IS NULL AND datid IS NOT NULL)";

static int pg_server_stats(struct driver_conn *conn, struct driver_server_stats *out, struct err *err)
{
	static const char *const names[] = { "active", "idle", "idle_in_transaction", "idle_in_transaction_aborted",
					     "other_state", "oldest_idle_in_transaction_s" };
	PGresult *res = PQexec(conn->pg, pg_stats_sql);
	int i;

	memset(out, 0, sizeof(*out));
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
		pg_result_error(res, conn->pg, EXIT_FAILED, err);
		PQclear(res);
		return -1;
	}
	snprintf(out->version, sizeof(out->version), "PostgreSQL %s", PQgetvalue(res, 0, 9));
	out->max_connections = atol(PQgetvalue(res, 0, 0));
	out->reserved = atol(PQgetvalue(res, 0, 1));
	out->in_use = atol(PQgetvalue(res, 0, 2));
	out->in_use_hidden = atol(PQgetvalue(res, 0, 10));
	for (i = 0; i < 6; i++)
		driver_stat_add(out, names[i], true, "%s", PQgetvalue(res, 0, 3 + i));
	driver_stat_add(out, "hidden_from_this_role", true, "%ld", out->in_use_hidden);
	PQclear(res);
	return 0;
}


/* ---- scripts ---- */

static size_t count_chars(const char *s, size_t len)
{
	size_t i, chars = 0;

	for (i = 0; i < len; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			chars++;
	return chars;
}

/* Streams COPY ... FROM STDIN data; a bad source ends the COPY with an error
 * so that the server rolls it back. */
static int pg_copy_in(struct driver_conn *conn, struct driver_copy_source *source, struct err *input_err)
{
	const char *data;
	size_t length;
	int rc;

	while ((rc = source->next_line(source->context, &data, &length, input_err)) == 1)
		if (PQputCopyData(conn->pg, data, (int)length) != 1)
			break;
	return PQputCopyEnd(conn->pg, rc < 0 ? "dbctl: COPY data could not be read" : NULL) == 1 && rc >= 0 ? 0 : -1;
}

#define TERSE_ERRORS_ABOVE (1024 * 1024)

/* One simple-query message for the whole batch: one round trip, psql's own
 * protocol, and one result per statement, so that counting results says
 * which statement failed. The error position is relative to the message;
 * each statement's character offset turns it back into its own. */
static int pg_exec_batch(struct driver_conn *conn, struct driver_batch *batch, struct err *err)
{
	struct strbuf sql;
	size_t *offsets = calloc(batch->count + 1, sizeof(size_t)), chars = 0, i;
	struct err input_err;
	PGresult *res;
	PGVerbosity verbosity = PQERRORS_DEFAULT;
	bool failed = false, input_failed = false, terse;

	batch->completed = 0;
	batch->affected = 0;
	if (!offsets)
		return err_set(err, EXIT_FAILED, "out of memory");
	err_init(&input_err);
	strbuf_init(&sql);
	for (i = 0; i < batch->count; i++) {
		size_t len = batch->lengths[i];

		offsets[i] = chars;
		strbuf_add(&sql, batch->texts[i], len);
		chars += count_chars(batch->texts[i], len);
		if (len == 0 || batch->texts[i][len - 1] != ';') {
			strbuf_addch(&sql, ';');
			chars++;
		}
		strbuf_addch(&sql, '\n');
		chars++;
	}
	offsets[batch->count] = chars;
	/* libpq's default error text quotes the statement around the error's
	 * position, and builds it with two int arrays the size of the whole
	 * message: 8 times a huge statement. Our messages use the fields only. */
	terse = sql.len > TERSE_ERRORS_ABOVE;
	if (terse)
		verbosity = PQsetErrorVerbosity(conn->pg, PQERRORS_TERSE);
	if (!PQsendQuery(conn->pg, sql.buf)) {
		if (terse)
			PQsetErrorVerbosity(conn->pg, verbosity);
		strbuf_release(&sql);
		free(offsets);
		err_set(err, EXIT_NO_ANSWER, "%s", "");
		copy_message(err->message, sizeof(err->message), PQerrorMessage(conn->pg));
		return -1;
	}
	strbuf_release(&sql);
	/* rows a script's SELECT returns are not kept: one at a time, then dropped */
	PQsetSingleRowMode(conn->pg);
	conn->notice_item = 0;
	conn->notice_batch_count = (long)batch->count;
	while ((res = next_result(conn)) != NULL) {
		switch (PQresultStatus(res)) {
		case PGRES_SINGLE_TUPLE:
			break;
		case PGRES_COMMAND_OK:
		case PGRES_TUPLES_OK:
		case PGRES_EMPTY_QUERY:
			conn->notice_item++;
			if (!failed) {
				const char *affected = PQcmdTuples(res);

				batch->completed++;
				/* rows changed, not rows a SELECT returned */
				if (affected && *affected && PQresultStatus(res) == PGRES_COMMAND_OK)
					batch->affected += atol(affected);
			}
			break;
		case PGRES_COPY_IN:
			/* a COPY the lexer did not take for one has no data here: fail it */
			if (!batch->copy.next_line)
				PQputCopyEnd(conn->pg, "dbctl: COPY ... FROM STDIN not recognised in the script: no data to send");
			else if (pg_copy_in(conn, &batch->copy, &input_err) != 0 && input_err.message[0])
				input_failed = true;
			break;
		case PGRES_COPY_OUT: {
			char *row;

			while (PQgetCopyData(conn->pg, &row, 0) > 0)
				PQfreemem(row);
			break;
		}
		default:
			if (!failed) {
				const char *position = PQresultErrorField(res, PG_DIAG_STATEMENT_POSITION);
				size_t at = batch->completed < batch->count ? batch->completed : batch->count - 1;

				/* The server parses the whole message before it runs any of
				 * it: a syntax error comes before any statement completed,
				 * with a position in the message. That position, not the
				 * count of completed statements, says whose error it is. */
				if (position && atol(position) > 0) {
					long p = atol(position);

					for (at = 0; at + 1 < batch->count && (long)offsets[at + 1] < p; at++)
						;
				}
				failed = true;
				pg_result_error(res, conn->pg, PQstatus(conn->pg) == CONNECTION_BAD ? EXIT_NO_ANSWER : EXIT_FAILED,
						err);
				err->item = (long)at;
				if (position && atol(position) > (long)offsets[at])
					err->position = (int)(atol(position) - (long)offsets[at]);
			}
		}
		PQclear(res);
	}
	free(offsets);
	if (terse)
		PQsetErrorVerbosity(conn->pg, verbosity);
	conn->notice_item = -1;
	if (input_failed) {
		*err = input_err;
		err->item = (long)batch->count - 1;
		return -1;
	}
	if ((!failed || conn->abandoned) && PQstatus(conn->pg) == CONNECTION_BAD) {
		connection_gone(conn, err);
		err->item = (long)batch->completed;
		return -1;
	}
	if (failed && PQstatus(conn->pg) == CONNECTION_BAD)
		err->code = EXIT_NO_ANSWER;
	return failed ? -1 : 0;
}

/* ---- interactive queries ---- */

/* The types psql right-aligns (its column_type_alignment), by OID. */
static bool is_numeric_type(Oid type)
{
	switch (type) {
	case 20:   /* int8 */
	case 21:   /* int2 */
	case 23:   /* int4 */
	case 26:   /* oid */
	case 28:   /* xid */
	case 29:   /* cid */
	case 700:  /* float4 */
	case 701:  /* float8 */
	case 790:  /* money */
	case 1700: /* numeric */
	case 5069: /* xid8 */
		return true;
	default:
		return false;
	}
}

/* Hands one result's column names and kinds to the sink. */
static int send_columns(const PGresult *res, const struct driver_row_sink *sink)
{
	int count = PQnfields(res), c, rc;
	const char **names = calloc((size_t)count + 1, sizeof(*names));
	bool *numeric = calloc((size_t)count + 1, sizeof(*numeric));

	if (!names || !numeric) {
		free(names);
		free(numeric);
		return -1;
	}
	for (c = 0; c < count; c++) {
		names[c] = PQfname(res, c);
		numeric[c] = is_numeric_type(PQftype(res, c));
	}
	rc = sink->columns(sink->context, count, names, numeric);
	free(names);
	free(numeric);
	return rc;
}

static int send_row(const PGresult *res, const struct driver_row_sink *sink)
{
	int count = PQnfields(res), c, rc;
	const char **cells = calloc((size_t)count + 1, sizeof(*cells));

	if (!cells)
		return -1;
	for (c = 0; c < count; c++)
		cells[c] = PQgetisnull(res, 0, c) ? NULL : PQgetvalue(res, 0, c);
	rc = sink->row(sink->context, cells);
	free(cells);
	return rc;
}

/* COPY ... TO STDOUT: the data is text, passed on line by line as it comes. */
static int send_copy_out(PGconn *pg, const struct driver_row_sink *sink)
{
	char *data;
	int n, rc = 0;

	while ((n = PQgetCopyData(pg, &data, 0)) > 0) {
		if (rc == 0)
			rc = sink->text(sink->context, data);
		PQfreemem(data);
	}
	return rc;
}

/* Single-row mode: each row reaches the sink as it arrives and is freed, so a
 * result of millions of rows costs one row of memory. */
static int pg_query(struct driver_conn *conn, const char *text, const struct driver_row_sink *sink, struct err *err)
{
	PGresult *res;
	bool failed = false, stopped = false, columns_sent = false;

	if (!PQsendQuery(conn->pg, text)) {
		err_set(err, EXIT_NO_ANSWER, "%s", "");
		copy_message(err->message, sizeof(err->message), PQerrorMessage(conn->pg));
		return -1;
	}
	/* a COMMIT typed at the shell is waited for, and a lost answer called unknown, as pg_exec's */
	conn->commit_in_flight = ends_with_commit(text);
	PQsetSingleRowMode(conn->pg);
	while ((res = next_result(conn)) != NULL) {
		ExecStatusType status = PQresultStatus(res);
		int rc = 0;

		if (failed || stopped) {
			if (status == PGRES_COPY_IN)
				PQputCopyEnd(conn->pg, "dbctl: stopped");
			PQclear(res);
			continue;
		}
		switch (status) {
		case PGRES_SINGLE_TUPLE:
			if (!columns_sent)
				rc = send_columns(res, sink);
			columns_sent = true;
			if (rc == 0)
				rc = send_row(res, sink);
			break;
		case PGRES_TUPLES_OK:
			/* the end of a result set; it carries the columns when there were no rows */
			if (!columns_sent)
				rc = send_columns(res, sink);
			columns_sent = false;
			if (rc == 0)
				rc = sink->done(sink->context, PQcmdStatus(res), -1);
			break;
		case PGRES_COMMAND_OK:
		case PGRES_EMPTY_QUERY: {
			const char *affected = PQcmdTuples(res);

			if (strcmp(PQcmdStatus(res), "COMMIT") == 0)
				conn->commit_in_flight = false;   /* answered: that settles it */
			rc = sink->done(sink->context, PQcmdStatus(res), affected && *affected ? atol(affected) : -1);
			break;
		}
		case PGRES_COPY_OUT:
			rc = send_copy_out(conn->pg, sink);
			break;
		case PGRES_COPY_IN:
			PQputCopyEnd(conn->pg, "COPY FROM STDIN has no data here");
			break;
		default:
			failed = true;
			pg_result_error(res, conn->pg, PQstatus(conn->pg) == CONNECTION_BAD ? EXIT_NO_ANSWER : EXIT_FAILED,
					err);
			{
				const char *position = PQresultErrorField(res, PG_DIAG_STATEMENT_POSITION);

				err->position = position ? atoi(position) : 0;
			}
		}
		if (rc != 0) {
			stopped = true;
			pg_cancel(conn);
		}
		PQclear(res);
	}
	if (stopped && !failed) {
		conn->commit_in_flight = false;
		return err_set(err, EXIT_FAILED, "stopped: the output could not be written");
	}
	/* a server shutting down sends its FATAL as an error result, then closes */
	if (failed && PQstatus(conn->pg) == CONNECTION_BAD)
		err->code = EXIT_NO_ANSWER;
	if ((!failed || conn->abandoned || conn->commit_in_flight) && PQstatus(conn->pg) == CONNECTION_BAD) {
		connection_gone(conn, err);
		conn->commit_in_flight = false;
		return -1;
	}
	conn->commit_in_flight = false;
	return failed ? -1 : 0;
}

/* A transaction gets an xid at its first write, and only then. */
static int pg_transaction_wrote(struct driver_conn *conn)
{
	PGresult *res = PQexec(conn->pg, "SELECT txid_current_if_assigned() IS NOT NULL");
	int wrote = -1;

	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1)
		wrote = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	PQclear(res);
	return wrote;
}

static enum driver_transaction pg_transaction_state(struct driver_conn *conn)
{
	switch (PQtransactionStatus(conn->pg)) {
	case PQTRANS_IDLE:
		return DRIVER_TRANSACTION_NONE;
	case PQTRANS_INTRANS:
	case PQTRANS_ACTIVE:
		return DRIVER_TRANSACTION_OPEN;
	case PQTRANS_INERROR:
		return DRIVER_TRANSACTION_FAILED;
	default:
		return DRIVER_TRANSACTION_UNKNOWN;
	}
}

/* PQescapeLiteral knows the connection's encoding and standard_conforming_strings. */
static char *pg_quote(struct driver_conn *conn, const char *value, bool identifier)
{
	char *quoted = identifier ? PQescapeIdentifier(conn->pg, value, strlen(value))
				  : PQescapeLiteral(conn->pg, value, strlen(value));
	char *copy;

	if (!quoted)
		return NULL;
	copy = strdup(quoted);
	PQfreemem(quoted);
	return copy;
}

static const char *pg_parameter(struct driver_conn *conn, const char *name)
{
	return PQparameterStatus(conn->pg, name);
}

/* This end of the socket as "addr" and port; an IPv4-mapped IPv6 address
 * reads as the IPv4 one, the way the server's host() may show it. 0 for a
 * unix socket (port 0), -1 when it cannot tell. */
static int local_end(PGconn *pg, char *addr, size_t size, long *port)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	const char *text;

	*port = 0;
	addr[0] = '\0';
	if (getsockname(PQsocket(pg), (struct sockaddr *)&ss, &len) != 0)
		return -1;
	if (ss.ss_family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)&ss;

		text = inet_ntop(AF_INET, &in->sin_addr, addr, (socklen_t)size);
		*port = ntohs(in->sin_port);
	} else if (ss.ss_family == AF_INET6) {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;

		text = inet_ntop(AF_INET6, &in6->sin6_addr, addr, (socklen_t)size);
		*port = ntohs(in6->sin6_port);
	} else {
		return 0;
	}
	if (!text)
		return -1;
	if (strncmp(addr, "::ffff:", 7) == 0 && strchr(addr + 7, '.'))
		memmove(addr, addr + 7, strlen(addr + 7) + 1);
	return 0;
}

/* A pooler or proxy (PgBouncer, pgpool, a TCP proxy) opens its own
 * connection to the server: the server then sees a client that is not this
 * socket. Only a socket the server sees as its peer is sure to be one
 * server session for its whole life. */
static int pg_session_shared(struct driver_conn *conn, double deadline, char *why, size_t size, struct err *err)
{
	PGresult *res;
	char addr[64];
	const char *seen_addr, *seen_port, *server_port, *port = PQport(conn->pg);
	long local_port;
	int shared = 0;

	why[0] = '\0';
	if (pg_query_until(conn, "SELECT host(inet_client_addr()), inet_client_port(), current_setting('port')",
			   deadline, &res, err) != 0)
		return -1;
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
		pg_result_error(res, conn->pg, EXIT_FAILED, err);
		PQclear(res);
		return -1;
	}
	seen_addr = PQgetisnull(res, 0, 0) ? NULL : PQgetvalue(res, 0, 0);
	seen_port = PQgetisnull(res, 0, 1) ? NULL : PQgetvalue(res, 0, 1);
	server_port = PQgetvalue(res, 0, 2);
	if (local_end(conn->pg, addr, sizeof(addr), &local_port) != 0) {
		shared = 1;
		snprintf(why, size, "dbctl cannot read its own end of the connection");
	} else if (local_port == 0) {
		/* a unix socket: the server's own is named after its port */
		if (seen_addr) {
			shared = 1;
			snprintf(why, size, "dbctl connected through a unix socket, the server sees a TCP client (%s:%s)",
				 seen_addr, seen_port ? seen_port : "?");
		} else if (port && *port && strcmp(port, server_port) != 0) {
			shared = 1;
			snprintf(why, size, "dbctl connected to the socket of port %s, the server listens on port %s", port,
				 server_port);
		}
	} else if (!seen_addr || !seen_port) {
		shared = 1;
		snprintf(why, size, "dbctl connected over TCP (%s:%ld), the server sees a unix-socket client", addr,
			 local_port);
	} else if (strcmp(seen_addr, addr) != 0 || atol(seen_port) != local_port) {
		shared = 1;
		snprintf(why, size, "the server sees this connection come from %s:%s, dbctl's end of it is %s:%ld",
			 seen_addr, seen_port, addr, local_port);
	}
	PQclear(res);
	return shared;
}

static void pg_close(struct driver_conn *conn)
{
	if (!conn)
		return;
	PQfreeCancel(conn->cancel);
	PQfinish(conn->pg);
	free(conn);
}

static int pg_dump_schema_of(struct driver_conn *conn, struct strbuf *out, struct err *err)
{
	return pg_dump_schema(conn->pg, out, err);
}

static const struct driver pg_driver = {
	.abi_version = DRIVER_ABI_VERSION,
	.name = "postgresql",
	.display_name = "PostgreSQL",
	.dialect = &pg_dialect,
	.connect = pg_connect,
	.ping = pg_ping,
	.exec = pg_exec,
	.begin = pg_begin,
	.commit = pg_commit,
	.rollback = pg_rollback,
	.cancel = pg_cancel,
	.server_stats = pg_server_stats,
	.exec_batch = pg_exec_batch,
	.quote = pg_quote,
	.parameter = pg_parameter,
	.query = pg_query,
	.transaction_state = pg_transaction_state,
	.transaction_wrote = pg_transaction_wrote,
	.close = pg_close,
	.session_shared = pg_session_shared,
	.dump_schema = pg_dump_schema_of,
};

__attribute__((visibility("default"))) const struct driver *dbctl_driver_entry(void);
const struct driver *dbctl_driver_entry(void)
{
	return &pg_driver;
}
