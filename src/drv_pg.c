/* PostgreSQL driver module: libpq, with every wait bounded by the caller's deadline. */
#include "clock.h"
#include "driver.h"
#include "strbuf.h"

#include <errno.h>
#include <libpq-fe.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct driver_conn {
	PGconn *pg;
	PGcancel *cancel;   /* made at connect time: PQcancel is async-signal-safe, PQgetCancel is not */
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

/* Waits for the socket in the direction libpq asked for; 0 ready, 1 timed out. */
static int wait_socket(PGconn *pg, bool for_write, double deadline)
{
	struct pollfd pfd;
	int rc;

	pfd.fd = PQsocket(pg);
	if (pfd.fd < 0)
		return 0;   /* nothing to wait on yet: let libpq take its next step */
	pfd.events = for_write ? POLLOUT : POLLIN;
	do {
		rc = poll(&pfd, 1, clock_ms_left(deadline));
	} while (rc < 0 && errno == EINTR && clock_ms_left(deadline) > 0);
	return rc > 0 ? 0 : 1;
}

static const char *phase_of(enum reach_stage stage)
{
	return stage == STAGE_NONE ? "connecting" : "waiting for the server to answer";
}

static int pg_connect(const struct driver_target *target, double deadline, struct driver_conn **out,
		      struct err *err)
{
	const char *keys[8], *values[8];
	PQconninfoOption *parsed;
	PostgresPollingStatusType poll_status = PGRES_POLLING_WRITING;
	enum reach_stage reached = STAGE_NONE;
	struct driver_conn *conn;
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
		return err_set(err, EXIT_FAILED, "out of memory");
	}
	conn->pg = PQconnectStartParams(keys, values, 1);
	strbuf_release(&options);
	if (!conn->pg) {
		free(conn);
		return err_set(err, EXIT_FAILED, "out of memory");
	}
	if (PQstatus(conn->pg) == CONNECTION_BAD)
		poll_status = PGRES_POLLING_FAILED;

	while (poll_status != PGRES_POLLING_OK && poll_status != PGRES_POLLING_FAILED) {
		if (wait_socket(conn->pg, poll_status == PGRES_POLLING_WRITING, deadline) != 0) {
			err_set(err, EXIT_NO_ANSWER, "timed out %s", phase_of(reached));
			err->stage = reached;
			goto fail;
		}
		poll_status = PQconnectPoll(conn->pg);
		if (stage_of(PQstatus(conn->pg)) > reached)
			reached = stage_of(PQstatus(conn->pg));
	}
	if (poll_status == PGRES_POLLING_FAILED) {
		/* Something that got past the TCP handshake and then failed was the
		 * server refusing us (password, database, too many clients, starting
		 * up): pg_isready's "accepting", our exit 1. */
		bool answered = reached >= STAGE_REACH;

		err_set(err, answered ? EXIT_FAILED : EXIT_NO_ANSWER, "%s", "");
		copy_message(err->message, sizeof(err->message), PQerrorMessage(conn->pg));
		err->stage = answered ? STAGE_SERVER : STAGE_NONE;
		goto fail;
	}
	conn->cancel = PQgetCancel(conn->pg);
	*out = conn;
	return 0;
fail:
	PQfinish(conn->pg);
	free(conn);
	return -1;
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
		if (wait_socket(conn->pg, false, deadline) != 0) {
			PQclear(*last);
			*last = NULL;
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

static int pg_exec(struct driver_conn *conn, const char *text, struct driver_result *out, struct err *err)
{
	PGresult *res = PQexec(conn->pg, text);
	ExecStatusType status = PQresultStatus(res);
	int rc = 0;

	memset(out, 0, sizeof(*out));
	out->affected = -1;
	if (status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK || status == PGRES_EMPTY_QUERY) {
		if (collect_result(res, out) != 0)
			rc = err_set(err, EXIT_FAILED, "out of memory");
	} else {
		rc = pg_result_error(res, conn->pg, PQstatus(conn->pg) == CONNECTION_BAD ? EXIT_NO_ANSWER : EXIT_FAILED,
				     err);
	}
	PQclear(res);
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
	" count(*) FILTER (WHERE state IS NULL OR state NOT IN"
	"   ('active', 'idle', 'idle in transaction', 'idle in transaction (aborted)')),"
	" coalesce(round(extract(epoch FROM now() - min(state_change)"
	"   FILTER (WHERE state LIKE 'idle in transaction%')))::bigint, 0),"
	" current_setting('server_version')"
	" FROM pg_stat_activity WHERE backend_type = 'client backend'";

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
	for (i = 0; i < 6; i++)
		driver_stat_add(out, names[i], true, "%s", PQgetvalue(res, 0, 3 + i));
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
	while ((res = PQgetResult(conn->pg)) != NULL) {
		switch (PQresultStatus(res)) {
		case PGRES_SINGLE_TUPLE:
			break;
		case PGRES_COMMAND_OK:
		case PGRES_TUPLES_OK:
		case PGRES_EMPTY_QUERY:
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
	if (input_failed) {
		*err = input_err;
		err->item = (long)batch->count - 1;
		return -1;
	}
	if (!failed && PQstatus(conn->pg) == CONNECTION_BAD) {
		err_set(err, EXIT_NO_ANSWER, "%s", "");
		copy_message(err->message, sizeof(err->message), PQerrorMessage(conn->pg));
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
	PQsetSingleRowMode(conn->pg);
	while ((res = PQgetResult(conn->pg)) != NULL) {
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
	if (stopped && !failed)
		return err_set(err, EXIT_FAILED, "stopped: the output could not be written");
	/* a server shutting down sends its FATAL as an error result, then closes */
	if (failed && PQstatus(conn->pg) == CONNECTION_BAD)
		err->code = EXIT_NO_ANSWER;
	if (!failed && PQstatus(conn->pg) == CONNECTION_BAD) {
		err_set(err, EXIT_NO_ANSWER, "%s", "");
		copy_message(err->message, sizeof(err->message), PQerrorMessage(conn->pg));
		return -1;
	}
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

static void pg_close(struct driver_conn *conn)
{
	if (!conn)
		return;
	PQfreeCancel(conn->cancel);
	PQfinish(conn->pg);
	free(conn);
}

static const struct driver pg_driver = {
	.abi_version = DRIVER_ABI_VERSION,
	.name = "postgresql",
	.display_name = "PostgreSQL",
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
};

__attribute__((visibility("default"))) const struct driver *dbctl_driver_entry(void);
const struct driver *dbctl_driver_entry(void)
{
	return &pg_driver;
}
