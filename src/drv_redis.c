/* Redis driver module: hiredis 0.14, blocking calls bounded by socket timeouts set from the deadline. */
#include "dialect.h"
#include "clock.h"
#include "driver.h"
#include "redisargs.h"
#include "resolve.h"
#include "strbuf.h"
#include "url.h"

#include <errno.h>
#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <signal.h>
#include <sys/socket.h>

/* A deadline for waits the caller did not bound: a script's replies. */
#define NO_DEADLINE (clock_now() + 86400.0 * 365)

struct driver_conn {
	redisContext *redis;
	const struct driver_target *target;   /* borrowed: the engine's, for interrupts */
	volatile sig_atomic_t exec_in_flight; /* EXEC was sent: Redis runs it to the end whatever we do */
	bool interrupted;          /* a wait ended on an interrupt */
	bool in_multi;             /* a MULTI of the shell's user is queueing commands */
	struct redisargs args;     /* exec_batch: one line's arguments, memory kept between lines */
	struct strbuf resp;        /* exec_batch: the batch in RESP, memory kept between batches */
	size_t pending;            /* replies of a deferred batch not read yet */
};

/* Where and as whom to connect, from redis://, rediss:// or unix:// URLs. */
struct redis_target {
	struct url url;
	char *socket_path;   /* owned; unix:// only */
	char *password;      /* owned; NULL when none */
	long db;
};

static void redis_target_release(struct redis_target *t)
{
	url_release(&t->url);
	free(t->socket_path);
	free(t->password);
}

static int parse_target(const struct driver_target *target, struct redis_target *out, struct err *err)
{
	char *value;

	memset(out, 0, sizeof(*out));
	if (url_parse(target->url, &out->url, err) != 0)
		return -1;
	if (strcmp(out->url.scheme, "rediss") == 0) {
		redis_target_release(out);
		err_set(err, EXIT_USAGE, "rediss:// (TLS) is not supported: Debian 12's hiredis 0.14 has no TLS");
		err_hint(err, "reach a TLS Redis through a local stunnel or spiped and use redis://");
		return -1;
	}
	if (strcmp(out->url.scheme, "unix") == 0) {
		if (!out->url.path || !*out->url.path) {
			redis_target_release(out);
			return err_set(err, EXIT_USAGE, "unix:// URL needs a socket path: unix:///path/to/redis.sock");
		}
		out->socket_path = malloc(strlen(out->url.path) + 2);
		sprintf(out->socket_path, "/%s", out->url.path);
		value = url_query_get(out->url.query, "db");
		out->db = value ? atol(value) : 0;
		free(value);
	} else if (out->url.path && *out->url.path) {
		char *end;

		out->db = strtol(out->url.path, &end, 10);
		if (*end || out->db < 0) {
			redis_target_release(out);
			return err_set(err, EXIT_USAGE, "invalid Redis database number in URL: expected redis://host:port/N");
		}
	}
	if (*target->password)
		out->password = strdup(target->password);
	else if (out->url.password && *out->url.password)
		out->password = strdup(out->url.password);
	else
		out->password = url_query_get(out->url.query, "password");
	return 0;
}

static struct timeval timeval_until(double deadline)
{
	int ms = clock_ms_left(deadline);
	struct timeval tv;

	if (ms < 1)
		ms = 1;
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	return tv;
}

/* Every read of this driver: the reply hiredis already holds, else a wait
 * on the socket beside the interrupt descriptor, then one read. -1 with
 * errno EAGAIN on timeout, -2 when more interrupts came than it outlives. */
static int wait_reply(redisContext *redis, const struct driver_target *target, void **reply, double deadline,
		      int outlives)
{
	*reply = NULL;
	for (;;) {
		enum driver_wait waited;

		if (redisGetReplyFromReader(redis, reply) != REDIS_OK)
			return -1;
		if (*reply)
			return 0;
		waited = driver_wait_fd(target, redis->fd, false, deadline, outlives);
		if (waited == DRIVER_WAIT_WOKEN)
			continue;
		if (waited == DRIVER_WAIT_INTERRUPTED)
			return -2;
		if (waited == DRIVER_WAIT_TIMEOUT) {
			errno = EAGAIN;
			return -1;
		}
		if (redisBufferRead(redis) != REDIS_OK)
			return -1;
	}
}

static int io_error(redisContext *redis, double deadline, enum reach_stage stage, struct err *err)
{
	bool timed_out = errno == EAGAIN || errno == EWOULDBLOCK || clock_ms_left(deadline) == 0;

	if (timed_out)
		err_set(err, EXIT_NO_ANSWER, "timed out waiting for the server's answer");
	else
		err_set(err, EXIT_NO_ANSWER, "%s", redis->errstr[0] ? redis->errstr : "connection lost");
	err->stage = stage;
	return -1;
}

/* An error reply: the server answered, and refused. NOAUTH/WRONGPASS mean we
 * are not authenticated; LOADING, BUSY, MASTERDOWN mean it cannot serve yet. */
static int reply_error_text(const char *text, struct err *err)
{
	bool auth = strncmp(text, "NOAUTH", 6) == 0 || strncmp(text, "WRONGPASS", 9) == 0 ||
		    strstr(text, "invalid password") != NULL || strstr(text, "invalid username") != NULL;

	err_set(err, EXIT_FAILED, "%s", text);
	err->stage = auth ? STAGE_SERVER : STAGE_AUTH;
	return -1;
}

static int reply_error(const redisReply *reply, struct err *err)
{
	return reply_error_text(reply->str, err);
}

/* ---- replies read only to learn whether they failed ---- */

/* A script's replies are QUEUED, or EXEC's array of one reply per command:
 * hiredis would build an object for each (100,000 allocations for 100,000
 * commands, and the whole array in memory at once). These functions build
 * none; they note the reply's type and its first error, here. */
struct reply_check {
	int type;             /* REDIS_REPLY_*: the reply's own type */
	long failed_item;     /* an array's first element that is an error; -1 none */
	char message[1024];   /* the reply's error, or that element's */
};

static char reply_checked;   /* what the reader gets back instead of an object */

static void *check_reply(const redisReadTask *task, const char *text, size_t len)
{
	struct reply_check *check = task->privdata;
	bool top = !task->parent, element = task->parent && !task->parent->parent;

	if (top)
		check->type = task->type;
	if (task->type == REDIS_REPLY_ERROR && (top || (element && check->failed_item < 0))) {
		if (element)
			check->failed_item = task->idx;
		snprintf(check->message, sizeof(check->message), "%.*s", (int)len, text);
	}
	return &reply_checked;
}

static void *check_string(const redisReadTask *task, char *text, size_t len)
{
	return check_reply(task, text, len);
}

static void *check_array(const redisReadTask *task, int elements)
{
	(void)elements;
	return check_reply(task, "", 0);
}

static void *check_integer(const redisReadTask *task, long long value)
{
	(void)value;
	return check_reply(task, "", 0);
}

static void *check_nil(const redisReadTask *task)
{
	return check_reply(task, "", 0);
}

static void check_free(void *reply)
{
	(void)reply;   /* nothing was allocated */
}

static redisReplyObjectFunctions check_functions = { check_string, check_array, check_integer, check_nil, check_free };

static int send_buffered(redisContext *redis);

/* Reads the next reply into check, through check_functions. On failure the
 * connection is broken (redis->err is set) and the reader may hold part of
 * a reply made of &reply_checked: it is replaced by a new one, so that
 * freeReplyObject never sees one. */
static int read_checked(struct driver_conn *conn, struct reply_check *check)
{
	redisContext *redis = conn->redis;
	redisReader *reader = redis->reader;
	redisReplyObjectFunctions *saved_fn = reader->fn;
	void *saved_privdata = reader->privdata, *reply = NULL;
	int rc;

	check->type = REDIS_REPLY_NIL;
	check->failed_item = -1;
	check->message[0] = '\0';
	reader->fn = &check_functions;
	reader->privdata = check;
	/* EXEC's answer is waited for through a first interrupt */
	rc = send_buffered(redis);
	if (rc == 0)
		rc = wait_reply(redis, conn->target, &reply, NO_DEADLINE, conn->exec_in_flight ? 1 : 0);
	if (rc != 0) {
		int saved_errno = errno;   /* io_error tells a timeout by it */

		conn->interrupted = rc == -2;
		redis->reader = redisReaderCreate();
		if (!redis->reader)
			abort();
		redisReaderFree(reader);
		errno = saved_errno;
		return -1;
	}
	reader->fn = saved_fn;
	reader->privdata = saved_privdata;
	return 0;
}

/* "*3\r\n" or "$5\r\n" at p; returns the end. */
static char *resp_header(char *p, char type, size_t n)
{
	char digits[24];
	size_t len = 0;

	do {
		digits[sizeof(digits) - ++len] = (char)('0' + n % 10);
		n /= 10;
	} while (n);
	*p++ = type;
	memcpy(p, digits + sizeof(digits) - len, len);
	p += len;
	*p++ = '\r';
	*p++ = '\n';
	return p;
}

/* One command in RESP, the bytes redisAppendCommandArgv would send, written
 * in place: a batch is 2,000 of them. */
static void resp_add_command(struct strbuf *out, const struct redisargs *args)
{
	size_t need = 24, i;
	char *p;

	for (i = 0; i < (size_t)args->count; i++)
		need += 24 + args->lengths[i] + 2;
	strbuf_grow(out, need);
	p = resp_header(out->buf + out->len, '*', (size_t)args->count);
	for (i = 0; i < (size_t)args->count; i++) {
		p = resp_header(p, '$', args->lengths[i]);
		memcpy(p, args->values[i], args->lengths[i]);
		p += args->lengths[i];
		*p++ = '\r';
		*p++ = '\n';
	}
	*p = '\0';
	out->len = (size_t)(p - out->buf);
}

/* Reads n replies of a batch: counts the good ones in *completed up to the
 * first error, which fills err (item: its index) and sets *failed; the
 * rest are read all the same, to keep replies and commands in step. -1
 * when the connection fails (err set, item: the reply it failed at). */
static int read_replies(struct driver_conn *conn, size_t n, size_t *completed, bool *failed, struct err *err)
{
	size_t i;

	for (i = 0; i < n; i++) {
		struct reply_check check;

		if (read_checked(conn, &check) != 0) {
			if (conn->interrupted)
				err_set(err, EXIT_INTERRUPTED, "interrupted");
			else
				io_error(conn->redis, clock_now() + 1, STAGE_AUTH, err);
			err->item = (long)i;
			return -1;
		}
		if (check.type == REDIS_REPLY_ERROR && !*failed) {
			reply_error_text(check.message, err);
			err->item = (long)i;
			*failed = true;
		} else if (!*failed) {
			(*completed)++;
		}
	}
	return 0;
}

/* Reads and drops what a deferred batch left unread, so that the reply read
 * next is the next command's: EXEC, DISCARD after an interruption, the
 * shell's commands. */
static int skip_pending(struct driver_conn *conn, struct err *err)
{
	struct err ignored;
	size_t completed = 0, n = conn->pending;
	bool failed = false;

	conn->pending = 0;
	err_init(&ignored);
	if (n > 0 && read_replies(conn, n, &completed, &failed, &ignored) != 0)
		return io_error(conn->redis, clock_now() + 1, STAGE_AUTH, err);
	return 0;
}

static int send_buffered(redisContext *redis)
{
	int done = 0;

	do {
		if (redisBufferWrite(redis, &done) != REDIS_OK)
			return -1;
	} while (!done);
	return 0;
}

/* Sends count commands in one write and reads every reply; replies[] are the
 * caller's to free with freeReplyObject. */
static int pipeline(redisContext *redis, const struct driver_target *target, int count, const char *const *lines[],
		    redisReply **replies, double deadline, enum reach_stage stage, struct err *err)
{
	int i, argc;

	redisSetTimeout(redis, timeval_until(deadline));
	for (i = 0; i < count; i++) {
		for (argc = 0; lines[i][argc]; argc++)
			;
		if (redisAppendCommandArgv(redis, argc, (const char **)lines[i], NULL) != REDIS_OK)
			return io_error(redis, deadline, stage, err);
	}
	if (send_buffered(redis) != 0)
		return io_error(redis, deadline, stage, err);
	for (i = 0; i < count; i++) {
		void *reply = NULL;
		int rc = wait_reply(redis, target, &reply, deadline, 0);

		replies[i] = NULL;
		if (rc != 0) {
			while (i-- > 0)
				freeReplyObject(replies[i]);
			if (rc == -2) {
				err_set(err, EXIT_INTERRUPTED, "interrupted while waiting for the server to answer");
				err->stage = stage;
				return -1;
			}
			return io_error(redis, deadline, stage, err);
		}
		replies[i] = reply;
	}
	return 0;
}

static void free_replies(redisReply **replies, int count)
{
	int i;

	for (i = 0; i < count; i++)
		freeReplyObject(replies[i]);
}

/* hiredis resolves names with a getaddrinfo no timeout bounds: resolve
 * within the deadline first, then hand hiredis each address in turn. */
static int connect_tcp(struct driver_conn *conn, const char *host, int port, double deadline, struct err *err)
{
	char addrs[RESOLVE_MAX_ADDRS][RESOLVE_ADDR_SIZE];
	size_t count, i;

	if (resolve_finish(resolve_start(host), conn->target, deadline, addrs, &count, err) != 0)
		return -1;
	for (i = 0; i < count; i++) {
		if (conn->redis)
			redisFree(conn->redis);
		conn->redis = redisConnectWithTimeout(addrs[i], port, timeval_until(deadline));
		if (conn->redis && !conn->redis->err)
			break;
	}
	return 0;
}

static int redis_connect(const struct driver_target *target, double deadline, struct driver_conn **out,
			 struct err *err)
{
	struct redis_target t;
	struct driver_conn *conn;
	const char *auth_user[] = { "AUTH", NULL, NULL, NULL }, *select_db[] = { "SELECT", NULL, NULL };
	const char *const *lines[2];
	redisReply *replies[2];
	char db_text[24];
	int count = 0, i, rc = -1;

	if (parse_target(target, &t, err) != 0)
		return -1;
	conn = calloc(1, sizeof(*conn));
	if (!conn) {
		redis_target_release(&t);
		return err_set(err, EXIT_FAILED, "out of memory");
	}
	redisargs_init(&conn->args);
	strbuf_init(&conn->resp);
	conn->target = target;
	if (t.socket_path)
		conn->redis = redisConnectUnixWithTimeout(t.socket_path, timeval_until(deadline));
	else if (connect_tcp(conn, t.url.host ? t.url.host : "127.0.0.1", t.url.port ? t.url.port : 6379, deadline,
			     err) != 0) {
		err->stage = STAGE_NONE;
		goto out;
	}
	if (!conn->redis || conn->redis->err) {
		err_set(err, EXIT_NO_ANSWER, "%s", conn->redis ? conn->redis->errstr : "out of memory");
		if (clock_ms_left(deadline) == 0)
			err_set(err, EXIT_NO_ANSWER, "timed out connecting");
		/* hiredis's own wait for the TCP handshake gives up at a signal */
		if (driver_interrupts(target) > 0)
			err_set(err, EXIT_INTERRUPTED, "interrupted while connecting: nothing was sent");
		err->stage = STAGE_NONE;
		goto out;
	}

	/* AUTH and SELECT share one round trip */
	if (t.password) {
		if (t.url.user && *t.url.user) {
			auth_user[1] = t.url.user;
			auth_user[2] = t.password;
		} else {
			auth_user[1] = t.password;
		}
		lines[count++] = auth_user;
	}
	if (t.db) {
		snprintf(db_text, sizeof(db_text), "%ld", t.db);
		select_db[1] = db_text;
		lines[count++] = select_db;
	}
	if (count && pipeline(conn->redis, target, count, lines, replies, deadline, STAGE_REACH, err) != 0)
		goto out;
	for (i = 0; i < count; i++) {
		if (replies[i]->type == REDIS_REPLY_ERROR) {
			reply_error(replies[i], err);
			err->stage = STAGE_SERVER;
			free_replies(replies, count);
			goto out;
		}
	}
	free_replies(replies, count);
	*out = conn;
	conn = NULL;
	rc = 0;
out:
	if (conn) {
		if (conn->redis)
			redisFree(conn->redis);
		redisargs_release(&conn->args);
		strbuf_release(&conn->resp);
		free(conn);
	}
	redis_target_release(&t);
	return rc;
}

/* PING proves the server serves us; INFO server, in the same round trip, tells its version. */
static int redis_ping(struct driver_conn *conn, double deadline, char *version, size_t size, struct err *err)
{
	static const char *ping[] = { "PING", NULL }, *info[] = { "INFO", "server", NULL };
	const char *const *lines[] = { ping, info };
	redisReply *replies[2];
	const char *found;
	int rc = 0;

	version[0] = '\0';
	if (pipeline(conn->redis, conn->target, 2, lines, replies, deadline, STAGE_REACH, err) != 0)
		return -1;
	if (replies[0]->type == REDIS_REPLY_ERROR)
		rc = reply_error(replies[0], err);
	else if (replies[0]->type != REDIS_REPLY_STATUS || strcmp(replies[0]->str, "PONG") != 0)
		rc = err_set(err, EXIT_FAILED, "unexpected answer to PING");
	if (rc == 0 && replies[1]->type == REDIS_REPLY_STRING &&
	    (found = strstr(replies[1]->str, "redis_version:")) != NULL)
		snprintf(version, size, "Redis %.*s", (int)strcspn(found + 14, "\r\n"), found + 14);
	free_replies(replies, 2);
	return rc;
}

static void reply_to_text(const redisReply *reply, struct strbuf *out)
{
	switch (reply->type) {
	case REDIS_REPLY_NIL:
		break;
	case REDIS_REPLY_INTEGER:
		strbuf_addf(out, "%lld", reply->integer);
		break;
	default:
		strbuf_add(out, reply->str ? reply->str : "", reply->str ? reply->len : 0);
	}
}

/* Splits one command line and sends it: 1 with the reply (the caller frees
 * it) and the command's name, 0 for a blank line, -1 with err set. */
static int send_line(struct driver_conn *conn, const char *text, redisReply **reply, char *name, size_t name_size,
		     struct err *err)
{
	struct redisargs args;

	if (redisargs_split(text, &args, err) != 0)
		return -1;
	if (args.count == 0) {
		redisargs_release(&args);
		return 0;
	}
	snprintf(name, name_size, "%s", args.values[0]);
	redisSetTimeout(conn->redis, (struct timeval){ 0, 0 });
	if (skip_pending(conn, err) != 0) {
		redisargs_release(&args);
		return -1;
	}
	*reply = redisCommandArgv(conn->redis, args.count, (const char **)args.values, args.lengths);
	redisargs_release(&args);
	if (!*reply)
		return io_error(conn->redis, clock_now() + 1, STAGE_AUTH, err);
	return 1;
}

/* One command line; an array reply becomes one row per element. */
static int redis_exec(struct driver_conn *conn, const char *text, struct driver_result *out, struct err *err)
{
	redisReply *reply = NULL;
	char name[32];
	size_t i, rows;
	int rc;

	memset(out, 0, sizeof(*out));
	out->affected = -1;
	rc = send_line(conn, text, &reply, name, sizeof(name), err);
	if (rc <= 0)
		return rc;
	rc = 0;
	if (reply->type == REDIS_REPLY_ERROR) {
		rc = reply_error(reply, err);
		freeReplyObject(reply);
		return rc;
	}
	rows = reply->type == REDIS_REPLY_ARRAY ? reply->elements : 1;
	out->column_count = 1;
	out->column_names = calloc(2, sizeof(char *));
	out->column_names[0] = strdup("reply");
	out->cells = calloc(rows + 1, sizeof(char *));
	for (i = 0; i < rows; i++) {
		const redisReply *item = reply->type == REDIS_REPLY_ARRAY ? reply->element[i] : reply;
		struct strbuf cell;

		if (item->type == REDIS_REPLY_NIL)
			continue;
		strbuf_init(&cell);
		reply_to_text(item, &cell);
		out->cells[i] = strbuf_detach(&cell);
	}
	out->row_count = (long)rows;
	freeReplyObject(reply);
	return 0;
}

/* ---- interactive queries ---- */

/* A bulk string as redis-cli quotes it: printable bytes as they are, the rest escaped. */
static void quote_bulk(const char *data, size_t len, struct strbuf *out)
{
	size_t i;

	strbuf_addch(out, '"');
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)data[i];

		switch (c) {
		case '\\':
		case '"':
			strbuf_addch(out, '\\');
			strbuf_addch(out, (char)c);
			break;
		case '\n':
			strbuf_addstr(out, "\\n");
			break;
		case '\r':
			strbuf_addstr(out, "\\r");
			break;
		case '\t':
			strbuf_addstr(out, "\\t");
			break;
		default:
			if (c < 0x20 || c == 0x7f)
				strbuf_addf(out, "\\x%02x", c);
			else
				strbuf_addch(out, (char)c);
		}
	}
	strbuf_addch(out, '"');
}

/* redis-cli's human form: (integer) 1, (nil), "text", numbered nested arrays. */
static void render_reply(const redisReply *reply, size_t indent, struct strbuf *out)
{
	size_t i, digits = 1, n;

	switch (reply->type) {
	case REDIS_REPLY_NIL:
		strbuf_addstr(out, "(nil)");
		break;
	case REDIS_REPLY_INTEGER:
		strbuf_addf(out, "(integer) %lld", reply->integer);
		break;
	case REDIS_REPLY_STATUS:
		strbuf_add(out, reply->str, reply->len);
		break;
	case REDIS_REPLY_ERROR:
		strbuf_addstr(out, "(error) ");
		strbuf_add(out, reply->str, reply->len);
		break;
	case REDIS_REPLY_ARRAY:
		if (reply->elements == 0) {
			strbuf_addstr(out, "(empty array)");
			break;
		}
		for (n = reply->elements; n >= 10; n /= 10)
			digits++;
		for (i = 0; i < reply->elements; i++) {
			if (i > 0)
				strbuf_addf(out, "\n%*s", (int)indent, "");
			strbuf_addf(out, "%*zu) ", (int)digits, i + 1);
			render_reply(reply->element[i], indent + digits + 2, out);
		}
		break;
	default:
		quote_bulk(reply->str ? reply->str : "", reply->str ? reply->len : 0, out);
	}
}

static int redis_query(struct driver_conn *conn, const char *text, const struct driver_row_sink *sink, struct err *err)
{
	struct strbuf rendered;
	redisReply *reply = NULL;
	char name[32];
	bool ends_multi;
	int rc;

	rc = send_line(conn, text, &reply, name, sizeof(name), err);
	if (rc <= 0)
		return rc;
	rc = 0;
	/* EXEC and DISCARD end MULTI even when they fail (EXECABORT) */
	ends_multi = strcasecmp(name, "EXEC") == 0 || strcasecmp(name, "DISCARD") == 0;
	if (reply->type == REDIS_REPLY_ERROR) {
		rc = reply_error(reply, err);
	} else {
		if (strcasecmp(name, "MULTI") == 0)
			conn->in_multi = true;
		strbuf_init(&rendered);
		render_reply(reply, 0, &rendered);
		if (sink->text(sink->context, rendered.buf) != 0 || sink->done(sink->context, "", -1) != 0)
			rc = err_set(err, EXIT_FAILED, "stopped: the output could not be written");
		strbuf_release(&rendered);
	}
	if (ends_multi)
		conn->in_multi = false;
	freeReplyObject(reply);
	return rc;
}

static enum driver_transaction redis_transaction_state(struct driver_conn *conn)
{
	if (!conn->redis || conn->redis->err)
		return DRIVER_TRANSACTION_UNKNOWN;
	return conn->in_multi ? DRIVER_TRANSACTION_OPEN : DRIVER_TRANSACTION_NONE;
}

static int redis_simple(struct driver_conn *conn, const char *command, struct err *err)
{
	struct driver_result result;
	int rc = redis_exec(conn, command, &result, err);

	driver_result_release(&result);
	return rc;
}

static int redis_begin(struct driver_conn *conn, struct err *err)
{
	return redis_simple(conn, "MULTI", err);
}

/* EXEC runs what MULTI queued. Redis cannot undo a command that fails at run
 * time: the others stay applied, and err->item says which one failed. */
static int redis_commit(struct driver_conn *conn, struct err *err)
{
	static const char exec[] = "*1\r\n$4\r\nEXEC\r\n";
	struct reply_check check;

	int rc;

	redisSetTimeout(conn->redis, (struct timeval){ 0, 0 });
	if (skip_pending(conn, err) != 0)
		return -1;
	/* a script's EXEC answers for every command: only its errors matter */
	if (redisAppendFormattedCommand(conn->redis, exec, sizeof(exec) - 1) != REDIS_OK)
		return io_error(conn->redis, clock_now() + 1, STAGE_AUTH, err);
	/* Once EXEC is on the wire Redis runs it to the end: from here an
	 * interrupt waits for its answer instead of closing the socket. A write
	 * that fails was not sent, and nothing was applied. */
	conn->exec_in_flight = 1;
	rc = send_buffered(conn->redis);
	if (rc != 0) {
		conn->exec_in_flight = 0;
		return io_error(conn->redis, clock_now() + 1, STAGE_AUTH, err);
	}
	rc = read_checked(conn, &check);
	conn->exec_in_flight = 0;
	if (rc != 0) {
		err_set(err, EXIT_UNKNOWN, "%s after EXEC was sent: Redis may have applied the commands",
			conn->interrupted ? "interrupted again while waiting for EXEC's answer"
					  : "the connection was lost");
		err_hint(err, "check the data before running it again: Redis runs a transaction it received to the end");
		return -1;
	}
	if (check.type == REDIS_REPLY_ERROR)
		return reply_error_text(check.message, err);
	if (check.type == REDIS_REPLY_ARRAY && check.failed_item >= 0) {
		reply_error_text(check.message, err);
		err->item = check.failed_item;
		return -1;
	}
	return 0;
}

static int redis_rollback(struct driver_conn *conn, struct err *err)
{
	return redis_simple(conn, "DISCARD", err);
}

/* Redis cannot stop a running command; shutting the socket stops our wait,
 * except for EXEC's: that one's answer says what was applied. */
static void redis_cancel(struct driver_conn *conn)
{
	if (conn->exec_in_flight)
		return;
	if (conn->redis && conn->redis->fd >= 0)
		shutdown(conn->redis->fd, SHUT_RDWR);
}

static const char *info_field(const char *info, const char *name, char *buf, size_t size)
{
	size_t name_len = strlen(name);
	const char *p = info;

	while ((p = strstr(p, name)) != NULL) {
		if ((p == info || p[-1] == '\n') && p[name_len] == ':') {
			snprintf(buf, size, "%.*s", (int)strcspn(p + name_len + 1, "\r\n"), p + name_len + 1);
			return buf;
		}
		p += name_len;
	}
	return NULL;
}

static int redis_server_stats(struct driver_conn *conn, struct driver_server_stats *out, struct err *err)
{
	static const char *info_all[] = { "INFO", "everything", NULL };
	static const char *maxclients[] = { "CONFIG", "GET", "maxclients", NULL };
	static const char *const fields[] = { "connected_clients", "blocked_clients", "maxclients",
					      "rejected_connections", "total_connections_received" };
	const char *const *lines[] = { info_all, maxclients };
	redisReply *replies[2];
	char value[64];
	size_t i;

	memset(out, 0, sizeof(*out));
	if (pipeline(conn->redis, conn->target, 2, lines, replies, clock_now() + 10, STAGE_AUTH, err) != 0)
		return -1;
	if (replies[0]->type != REDIS_REPLY_STRING) {
		int rc = replies[0]->type == REDIS_REPLY_ERROR ? reply_error(replies[0], err)
							       : err_set(err, EXIT_FAILED, "unexpected INFO reply");

		free_replies(replies, 2);
		return rc;
	}
	snprintf(out->version, sizeof(out->version), "Redis %s",
		 info_field(replies[0]->str, "redis_version", value, sizeof(value)) ? value : "?");
	out->max_connections = -1;
	/* CONFIG may be renamed away on managed services; INFO clients has maxclients since 7.0 */
	if (replies[1]->type == REDIS_REPLY_ARRAY && replies[1]->elements == 2)
		out->max_connections = atol(replies[1]->element[1]->str);
	else if (info_field(replies[0]->str, "maxclients", value, sizeof(value)))
		out->max_connections = atol(value);
	out->reserved = 0;
	out->in_use = info_field(replies[0]->str, "connected_clients", value, sizeof(value)) ? atol(value) : -1;
	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		if (strcmp(fields[i], "maxclients") == 0)
			driver_stat_add(out, fields[i], true, "%ld", out->max_connections);
		else if (info_field(replies[0]->str, fields[i], value, sizeof(value)))
			driver_stat_add(out, fields[i], true, "%s", value);
	}
	free_replies(replies, 2);
	return 0;
}


/* Commands are written together and their replies read afterwards: inside
 * MULTI each reply is QUEUED or an error that dooms the EXEC. The batch is
 * formatted into one RESP buffer (hiredis would build each command in an
 * sds of its own) and nothing of it is sent before every line has split.
 * With may_defer, the replies are read at the next call, after that call's
 * batch is sent: the server queues one batch while the script's next is
 * read and split, instead of each side waiting for the other. */
static int redis_exec_batch(struct driver_conn *conn, struct driver_batch *batch, struct err *err)
{
	struct err split_err;
	size_t earlier = conn->pending, i;
	bool split_failed = false, failed = false;
	int multi = -1;   /* the script's own MULTI (1), EXEC or DISCARD (0) last in the batch */

	batch->completed = 0;
	batch->affected = 0;
	batch->deferred = false;
	batch->failed_earlier = false;
	err_init(&split_err);
	redisSetTimeout(conn->redis, (struct timeval){ 0, 0 });
	strbuf_reset(&conn->resp);
	for (i = 0; i < batch->count && !split_failed; i++) {
		if (redisargs_parse(&conn->args, batch->texts[i], batch->lengths[i], &split_err) != 0) {
			split_err.item = (long)i;
			split_failed = true;
		} else {
			resp_add_command(&conn->resp, &conn->args);
			if (conn->args.count > 0 && strcasecmp(conn->args.values[0], "MULTI") == 0)
				multi = 1;
			else if (conn->args.count > 0 && (strcasecmp(conn->args.values[0], "EXEC") == 0 ||
							  strcasecmp(conn->args.values[0], "DISCARD") == 0))
				multi = 0;
		}
	}
	if (!split_failed && batch->count > 0) {
		if (redisAppendFormattedCommand(conn->redis, conn->resp.buf, conn->resp.len) != REDIS_OK ||
		    send_buffered(conn->redis) != 0)
			return io_error(conn->redis, clock_now() + 1, STAGE_AUTH, err);
		/* a MULTI left open at the end is the run's to report (--no-transaction) */
		if (multi >= 0)
			conn->in_multi = multi == 1;
	}
	/* the deferred batch's replies first: a failure there comes first */
	conn->pending = 0;
	if (earlier > 0) {
		batch->failed_earlier = true;
		if (read_replies(conn, earlier, &batch->completed, &failed, err) != 0)
			return -1;
		batch->failed_earlier = failed;
	}
	if (split_failed) {
		if (!failed)
			*err = split_err;
		return -1;
	}
	if (!failed && batch->may_defer && batch->count > 0) {
		conn->pending = batch->count;
		batch->deferred = true;
		return 0;
	}
	if (failed) {
		/* only to stay in step: the failure already found comes first */
		struct err ignored;
		size_t ignored_count = 0;
		bool ignored_failed = true;

		err_init(&ignored);
		if (read_replies(conn, batch->count, &ignored_count, &ignored_failed, &ignored) != 0) {
			*err = ignored;
			batch->failed_earlier = false;
		}
		return -1;
	}
	if (read_replies(conn, batch->count, &batch->completed, &failed, err) != 0 || failed)
		return -1;
	return 0;
}

static void redis_close(struct driver_conn *conn)
{
	if (!conn)
		return;
	redisFree(conn->redis);
	redisargs_release(&conn->args);
	strbuf_release(&conn->resp);
	free(conn);
}

static const struct driver redis_driver = {
	.abi_version = DRIVER_ABI_VERSION,
	.name = "redis",
	.display_name = "Redis",
	.dialect = &redis_dialect,
	.connect = redis_connect,
	.ping = redis_ping,
	.exec = redis_exec,
	.begin = redis_begin,
	.commit = redis_commit,
	.rollback = redis_rollback,
	.cancel = redis_cancel,
	.server_stats = redis_server_stats,
	.exec_batch = redis_exec_batch,
	.query = redis_query,
	.transaction_state = redis_transaction_state,
	.close = redis_close,
};

__attribute__((visibility("default"))) const struct driver *dbctl_driver_entry(void);
const struct driver *dbctl_driver_entry(void)
{
	return &redis_driver;
}
