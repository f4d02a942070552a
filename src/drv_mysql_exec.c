/* MySQL/MariaDB driver module: running statements. query streams rows
 * (mysql_use_result: one row in memory at a time), exec collects them
 * through the same path, exec_batch sends a batch as one multi-statement
 * COM_QUERY (findings §2.5: the server stops at the first failing
 * statement, so counting results says which one failed). */
#include "drv_mysql.h"
#include "clock.h"
#include "drv_mysql_syntax.h"
#include "strbuf.h"

#include <errmsg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Each _start/_cont pair driven to its end; false with err set. */
#define MY_DRIVE(conn, deadline, err, start, cont)                              \
	do {                                                                   \
		int drive_status_ = (start);                                   \
		while (drive_status_) {                                        \
			int drive_ready_ = my_await((conn), drive_status_, (deadline), (err)); \
			if (!drive_ready_)                                     \
				return -1;                                     \
			drive_status_ = (cont);                                \
		}                                                              \
	} while (0)

/* The server's lowest max_allowed_packet: a message shorter than this
 * always fits, so that small runs need not ask. */
#define MY_SMALLEST_PACKET 1024UL

/* At most this many statements a message (findings §2.5: batches of
 * 10,000 were the fastest measured). script.c's batches hold 2,000 today,
 * so this binds only for a caller that batches more. */
#define MY_BATCH_STATEMENTS 10000

/* The session's max_allowed_packet and sql_mode, read together once, when
 * the first message that could exceed the packet is about to go or the
 * runner asks for sql_mode: a ping pays no extra round trip, a run one. */
int my_read_session(struct driver_conn *conn, struct err *err)
{
	struct driver_result result;

	if (conn->max_packet)
		return 0;
	if (my_exec(conn, "SELECT @@SESSION.max_allowed_packet, @@SESSION.sql_mode", &result, err) != 0)
		return -1;
	if (result.row_count == 1 && result.column_count == 2 && result.cells[0] && result.cells[1]) {
		conn->max_packet = strtoul(result.cells[0], NULL, 10);
		free(conn->sql_mode);
		conn->sql_mode = strdup(result.cells[1]);
	}
	driver_result_release(&result);
	if (conn->max_packet < MY_SMALLEST_PACKET)
		conn->max_packet = MY_SMALLEST_PACKET;
	return 0;
}

/* The longest COM_QUERY text the server takes. Its packet holds a command
 * byte and the text, and must stay below max_allowed_packet: observed on
 * 10.11 with 65536, a 65534-byte statement runs and a 65535-byte one has
 * the server drop the connection (2006, no error for the statement). */
static unsigned long longest_query(const struct driver_conn *conn)
{
	return (conn->max_packet ? conn->max_packet : MY_SMALLEST_PACKET) - 2;
}

/* ---- did the transaction write? ----
 *
 * The transaction tracker's W and w come from the statement's kind: the
 * rows a stored function writes when a SELECT calls it (or a view's
 * function) count as a read, and DDL after them would commit them unasked.
 * The session's own Handler_write, Handler_update and Handler_delete count
 * every row written in any engine, functions and triggers included, and
 * need no privilege (information_schema.INNODB_TRX's trx_rows_modified
 * needs PROCESS, and sees InnoDB only; telling builtin functions from
 * stored ones in the text misses a view that calls one). MariaDB counts
 * internal temporary tables apart (Handler_tmp_write); MySQL counts them
 * in, so a GROUP BY there reads as a write: the safe way to be wrong. So
 * are rows a failed statement wrote before its savepoint undid them. The
 * counters are read before the statement after the one that opened the
 * transaction (BEGIN, in the shell) and again when asked; only on a
 * connection whose user asks (watch_writes): one round trip a transaction. */
#define MY_WRITE_COUNTERS \
	"SHOW SESSION STATUS WHERE Variable_name IN ('Handler_write', 'Handler_update', 'Handler_delete')"

static int read_write_counters(struct driver_conn *conn, unsigned long long *out)
{
	struct driver_result result;
	struct err ignored;
	long i;
	int rc = -1;

	err_init(&ignored);
	if (my_exec(conn, MY_WRITE_COUNTERS, &result, &ignored) != 0)
		return -1;
	if (result.column_count == 2 && result.row_count == 3) {
		*out = 0;
		for (i = 0; i < result.row_count; i++)
			if (result.cells[i * 2 + 1])
				*out += strtoull(result.cells[i * 2 + 1], NULL, 10);
		rc = 0;
	}
	driver_result_release(&result);
	return rc;
}

/* Before a statement goes: in a transaction whose counters are not read
 * yet, read them; outside one, forget them. */
static void watch_before_send(struct driver_conn *conn)
{
	if (!conn->watch_writes || conn->deferred || conn->writes_state == MY_WRITES_TAKING)
		return;
	if (!(my_server_status(conn->my) & SERVER_STATUS_IN_TRANS)) {
		conn->writes_state = MY_WRITES_NONE;
		return;
	}
	if (conn->writes_state != MY_WRITES_NONE)
		return;
	conn->writes_state = MY_WRITES_TAKING;
	conn->writes_state = read_write_counters(conn, &conn->writes_base) == 0 ? MY_WRITES_TAKEN : MY_WRITES_UNKNOWN;
}

void my_watch_writes(struct driver_conn *conn)
{
	conn->watch_writes = true;
}

/* The tracker's state: characters 4 (w: non-transactional write) and 5
 * (W: transactional write); then, when watched, the write counters. */
int my_transaction_wrote(struct driver_conn *conn)
{
	unsigned long long now;

	if (conn->broken)
		return -1;
	if (conn->tracker_on && (conn->trx_state[3] == 'w' || conn->trx_state[4] == 'W'))
		return 1;
	if (!conn->watch_writes || !(my_server_status(conn->my) & SERVER_STATUS_IN_TRANS))
		return conn->tracker_on ? 0 : -1;
	if (conn->writes_state == MY_WRITES_NONE) {
		/* nothing was sent since the statement that opened it */
		watch_before_send(conn);
		return conn->tracker_on ? 0 : -1;
	}
	if (conn->writes_state != MY_WRITES_TAKEN || read_write_counters(conn, &now) != 0)
		return -1;
	return now != conn->writes_base;
}

static int send_query(struct driver_conn *conn, const char *sql, size_t length, struct err *err)
{
	int ret = 0;

	if (conn->broken)
		return err_set(err, EXIT_NO_ANSWER, "the connection was closed after an earlier failure");
	if (length > longest_query(conn) && my_read_session(conn, err) != 0)
		return -1;
	if (length > longest_query(conn)) {
		err_set(err, EXIT_FAILED, "the statement is %zu bytes, and the server's max_allowed_packet (%lu) "
			"takes at most %lu: it was not sent", length, conn->max_packet, longest_query(conn));
		err_hint(err, "raise it on the server (SET GLOBAL max_allowed_packet = ..., for new connections), "
			      "or split the statement");
		return -1;
	}
	watch_before_send(conn);
	conn->killed = conn->kill_failed = false;
	conn->interrupt_seen = 0;
	my_note_xa(conn, sql, length);
	MY_DRIVE(conn, my_forever(), err, mysql_real_query_start(&ret, conn->my, sql, (unsigned long)length),
		 mysql_real_query_cont(&ret, conn->my, drive_ready_));
	return ret != 0 ? my_error(conn, err) : 0;
}

/* Reads the rest of a result whose rows are no longer wanted. */
static int drop_result(struct driver_conn *conn, MYSQL_RES *res, struct err *err)
{
	MY_DRIVE(conn, my_forever(), err, mysql_free_result_start(res), mysql_free_result_cont(res, drive_ready_));
	return 0;
}

/* Reads a result's rows to its end, keeping none: an error can still come
 * among them (1969 max_statement_time, 1317 KILL QUERY), and freeing the
 * result would swallow it. */
static int discard_rows(struct driver_conn *conn, MYSQL_RES *res, struct err *err)
{
	MYSQL_ROW row;

	do {
		int status = mysql_fetch_row_start(&row, res);

		while (status) {
			int ready = my_await(conn, status, my_forever(), err);

			if (!ready)
				return -1;
			status = mysql_fetch_row_cont(&row, res, ready);
		}
	} while (row);
	if (mysql_errno(conn->my)) {
		my_error(conn, err);
		(void)drop_result(conn, res, &(struct err){ 0 });
		return -1;
	}
	return drop_result(conn, res, err);
}

/* 1 more results follow, 0 the last was read, -1 error (err set). */
static int next_result(struct driver_conn *conn, struct err *err)
{
	int more = 0;

	MY_DRIVE(conn, my_forever(), err, mysql_next_result_start(&more, conn->my),
		 mysql_next_result_cont(&more, conn->my, drive_ready_));
	if (more > 0)
		return my_error(conn, err);
	return more == 0 ? 1 : 0;
}

/* The current result's rows into sink (when it has columns). */
static int stream_result(struct driver_conn *conn, const struct driver_row_sink *sink, struct err *err)
{
	MYSQL_RES *res;
	MYSQL_FIELD *fields;
	MYSQL_ROW row = NULL;
	const char **names;
	bool *numeric;
	unsigned int count, i;
	int rc = 0;

	count = mysql_field_count(conn->my);
	if (count == 0)
		return 0;
	res = mysql_use_result(conn->my);
	if (!res)
		return my_error(conn, err);
	fields = mysql_fetch_fields(res);
	names = calloc(count + 1, sizeof(*names));
	numeric = calloc(count + 1, sizeof(*numeric));
	if (!names || !numeric) {
		free(names);
		free(numeric);
		(void)drop_result(conn, res, err);
		return err_set(err, EXIT_FAILED, "out of memory");
	}
	for (i = 0; i < count; i++) {
		names[i] = fields[i].name;
		numeric[i] = IS_NUM(fields[i].type) && fields[i].type != MYSQL_TYPE_TIMESTAMP;
	}
	if (sink->columns(sink->context, (int)count, names, numeric) != 0)
		rc = err_set(err, EXIT_FAILED, "stopped: the output could not be written");
	while (rc == 0) {
		int status = mysql_fetch_row_start(&row, res);

		while (status) {
			int ready = my_await(conn, status, my_forever(), err);

			if (!ready) {
				free(names);
				free(numeric);
				return -1;   /* the connection is abandoned: res goes with it */
			}
			status = mysql_fetch_row_cont(&row, res, ready);
		}
		if (!row) {
			if (mysql_errno(conn->my))
				rc = my_error(conn, err);
			break;
		}
		if (sink->row(sink->context, (const char *const *)row) != 0)
			rc = err_set(err, EXIT_FAILED, "stopped: the output could not be written");
	}
	free(names);
	free(numeric);
	if (rc != 0 && row) {
		/* the rest of the rows would still arrive: stop the statement first */
		conn->cancel_requested = 1;
	}
	if (drop_result(conn, res, err) != 0)
		return -1;
	return rc;
}

/* Past blanks and comments (not the executable kind, slash-star-bang: that is code). */
static const char *skip_blank(const char *p)
{
	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
			p++;
		if (*p == '#' || (p[0] == '-' && p[1] == '-' && (p[2] == ' ' || p[2] == '\t' || p[2] == '\n'))) {
			p += strcspn(p, "\n");
		} else if (p[0] == '/' && p[1] == '*' && p[2] != '!' && p[2] != 'M') {
			const char *end = strstr(p + 2, "*/");

			p = end ? end + 2 : p + strlen(p);
		} else {
			return p;
		}
	}
}

static size_t word_at(const char *p, char *out, size_t size)
{
	size_t n = 0;

	while (((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')) && n + 1 < size) {
		out[n++] = (char)(*p >= 'a' ? *p - 32 : *p);
		p++;
	}
	out[n] = '\0';
	return n;
}

/* A command tag in the manner of the other backends: "INSERT 3",
 * "UPDATE 0", "CREATE TABLE", "SET". The server sends none itself. */
static void tag_of(const char *text, long affected, char *out, size_t size)
{
	const char *p = skip_blank(text);
	char first[16], second[16];
	size_t n = word_at(p, first, sizeof(first));

	out[0] = '\0';
	if (n == 0)
		return;
	if (strcmp(first, "INSERT") == 0 || strcmp(first, "UPDATE") == 0 || strcmp(first, "DELETE") == 0 ||
	    strcmp(first, "REPLACE") == 0) {
		snprintf(out, size, "%s %ld", first, affected < 0 ? 0 : affected);
	} else if (strcmp(first, "CREATE") == 0 || strcmp(first, "DROP") == 0 || strcmp(first, "ALTER") == 0) {
		p = skip_blank(p + n);
		if (word_at(p, second, sizeof(second)) > 0)
			snprintf(out, size, "%s %s", first, second);
		else
			snprintf(out, size, "%s", first);
	} else {
		snprintf(out, size, "%s", first);
	}
}

/* A statement as it goes into a message: without trailing blanks and its
 * own ';' (an empty statement between two is a syntax error). */
static size_t sent_length(const char *text, size_t length)
{
	while (length && strchr(" \t\r\n", text[length - 1]))
		length--;
	if (length && text[length - 1] == ';')
		length--;
	return length;
}

/* The session's strings take backslash escapes: the server's default, unless
 * sql_mode (when read) says NO_BACKSLASH_ESCAPES. Only a 1064's line count
 * depends on it. */
static bool backslash_escapes(const struct driver_conn *conn)
{
	return !conn->sql_mode || !strstr(conn->sql_mode, "NO_BACKSLASH_ESCAPES");
}

/* err is the server's 1064 for the statement just sent (not an error of
 * dbctl's own that left an older errno on the handle). */
static bool is_syntax_error(struct driver_conn *conn, const struct err *err)
{
	return mysql_errno(conn->my) == 1064 && strstr(err->message, "(MySQL error 1064)");
}

/* Places a 1064 in text, the statement the message started with. */
static void place(struct driver_conn *conn, const char *text, size_t length, struct err *err)
{
	if (is_syntax_error(conn, err))
		my_syntax_place(err, text, sent_length(text, length), backslash_escapes(conn));
}

int my_query(struct driver_conn *conn, const char *text, const struct driver_row_sink *sink, struct err *err)
{
	char tag[64];
	int more;

	if (send_query(conn, text, strlen(text), err) != 0) {
		place(conn, text, strlen(text), err);
		return -1;
	}
	do {
		bool rows = mysql_field_count(conn->my) > 0;
		long affected = rows ? -1 : (long)mysql_affected_rows(conn->my);

		if (stream_result(conn, sink, err) != 0)
			return -1;
		my_track(conn);
		tag_of(text, affected, tag, sizeof(tag));
		if (sink->done(sink->context, rows ? "" : tag, affected) != 0)
			return err_set(err, EXIT_FAILED, "stopped: the output could not be written");
		more = next_result(conn, err);
		if (more < 0)
			return -1;
	} while (more);
	return 0;
}

/* exec: the query path with a sink that keeps the last result whole. */
struct collect {
	struct driver_result *out;
	long allocated;
};

static int collect_columns(void *context, int count, const char *const *names, const bool *numeric)
{
	struct collect *c = context;
	int i;

	(void)numeric;
	driver_result_release(c->out);
	c->out->affected = -1;
	c->allocated = 0;
	c->out->column_names = calloc((size_t)count + 1, sizeof(char *));
	if (!c->out->column_names)
		return -1;
	c->out->column_count = count;
	for (i = 0; i < count; i++)
		c->out->column_names[i] = strdup(names[i]);
	return 0;
}

static int collect_row(void *context, const char *const *cells)
{
	struct collect *c = context;
	struct driver_result *out = c->out;
	int i;

	if (out->row_count == c->allocated) {
		long next = c->allocated ? c->allocated * 2 : 16;
		char **grown = realloc(out->cells, (size_t)(next * out->column_count + 1) * sizeof(char *));

		if (!grown)
			return -1;
		out->cells = grown;
		c->allocated = next;
	}
	for (i = 0; i < out->column_count; i++)
		out->cells[out->row_count * out->column_count + i] = cells[i] ? strdup(cells[i]) : NULL;
	out->row_count++;
	return 0;
}

static int collect_done(void *context, const char *tag, long affected)
{
	struct collect *c = context;

	if (affected >= 0) {
		/* a statement without rows replaces an earlier result, as in sqlite_exec */
		driver_result_release(c->out);
		c->allocated = 0;
		c->out->affected = affected;
	}
	snprintf(c->out->tag, sizeof(c->out->tag), "%s", tag);
	return 0;
}

static int collect_text(void *context, const char *text)
{
	(void)context;
	(void)text;
	return 0;
}

int my_exec(struct driver_conn *conn, const char *text, struct driver_result *out, struct err *err)
{
	struct collect c = { out, 0 };
	struct driver_row_sink sink = { collect_columns, collect_row, collect_done, collect_text, &c };

	memset(out, 0, sizeof(*out));
	out->affected = -1;
	if (my_query(conn, text, &sink, err) != 0) {
		driver_result_release(out);
		return -1;
	}
	return 0;
}

/* ---- batches ---- */

/* Reads the results of the message just sent, which holds the statements
 * from batch->completed on; counts them into batch. On failure err->item is
 * the failing statement. In a transaction, a result that arrives with
 * SERVER_STATUS_IN_TRANS cleared means that statement committed implicitly
 * (DDL, findings §5): what came before it cannot be rolled back any more,
 * so the batch fails there. */
static int read_results(struct driver_conn *conn, struct driver_batch *batch, bool in_trans, struct err *err)
{
	int more;

	do {
		size_t at = batch->completed;

		if (mysql_field_count(conn->my) > 0) {
			MYSQL_RES *res = mysql_use_result(conn->my);

			if (!res || discard_rows(conn, res, err) != 0) {
				if (!res)
					my_error(conn, err);
				goto failed;
			}
		} else {
			batch->affected += (long)mysql_affected_rows(conn->my);
		}
		my_track(conn);
		batch->completed++;
		if (in_trans && !(my_server_status(conn->my) & SERVER_STATUS_IN_TRANS)) {
			err_set(err, EXIT_FAILED, "statement %zu of the batch committed the open transaction implicitly "
				"(DDL and some other statements do on MySQL): it and the statements before it stay committed, "
				"those after it are rolled back",
				at + 1);
			err_hint(err, "run such statements with --no-transaction, or in a migration of their own");
			err->item = (long)at;
			err->partly_applied = true;
			/* the server runs the rest on its own: read them off, then fail */
			while (next_result(conn, &(struct err){ 0 }) > 0)
				if (mysql_field_count(conn->my) > 0) {
					MYSQL_RES *res = mysql_use_result(conn->my);

					if (res)
						(void)drop_result(conn, res, &(struct err){ 0 });
				}
			return -1;
		}
		more = next_result(conn, err);
		if (more < 0)
			goto failed;
	} while (more);
	return 0;

failed:
	err->item = (long)batch->completed;
	if (batch->completed < batch->count)
		place(conn, batch->texts[batch->completed], batch->lengths[batch->completed], err);
	return -1;
}

/* The statements joined with ";\n" into multi-statement COM_QUERYs, each
 * as large as the server's max_allowed_packet allows and of at most
 * MY_BATCH_STATEMENTS; a statement too large alone is refused unsent,
 * at its index, with the connection intact. The server stops at the first
 * failing statement of a message, so counting results names it. */
int my_exec_batch(struct driver_conn *conn, struct driver_batch *batch, struct err *err)
{
	struct strbuf sql;
	/* only the caller's own transaction: a script's BEGIN ... COMMIT
	 * (--no-transaction) ends its transaction as written */
	bool in_trans = conn->own_transaction && (my_server_status(conn->my) & SERVER_STATUS_IN_TRANS);
	size_t total = 0, i;
	int rc = 0;

	batch->completed = 0;
	batch->affected = 0;
	batch->deferred = false;
	batch->failed_earlier = false;
	if (batch->count == 0)
		return 0;
	if (batch->last_is_copy)
		return err_set(err, EXIT_USAGE, "COPY is PostgreSQL's: MySQL has LOAD DATA, which dbctl does not send");
	for (i = 0; i < batch->count; i++)
		total += sent_length(batch->texts[i], batch->lengths[i]) + 2;
	if (total > longest_query(conn) && my_read_session(conn, err) != 0) {
		err->item = 0;
		return -1;
	}
	strbuf_init(&sql);
	while (rc == 0 && batch->completed < batch->count) {
		size_t first = batch->completed, n = 0;

		/* the separator on a line of its own, so that a text ending in a
		 * -- comment does not swallow it, and right before the next text,
		 * so that a 1064's line numbers count from that text's first line */
		strbuf_reset(&sql);
		for (i = first; i < batch->count && n < MY_BATCH_STATEMENTS; i++, n++) {
			size_t len = sent_length(batch->texts[i], batch->lengths[i]);

			if (n && sql.len + 2 + len > longest_query(conn))
				break;
			if (n)
				strbuf_addstr(&sql, "\n;");
			strbuf_add(&sql, batch->texts[i], len);
		}
		rc = send_query(conn, sql.buf, sql.len, err);
		if (rc != 0) {
			/* the first statement of the message failed: its error comes with the send */
			err->item = (long)first;
			place(conn, batch->texts[first], batch->lengths[first], err);
		} else
			rc = read_results(conn, batch, in_trans, err);
	}
	strbuf_release(&sql);
	return rc;
}
