/* MySQL/MariaDB driver module: libmariadb's non-blocking API, every wait a
 * poll() on its socket, the cancel pipe and the interrupt descriptor,
 * bounded by the caller's deadline. This file: connecting, waiting, errors,
 * ping, transactions, cancel. drv_mysql_exec.c runs statements and
 * batches, drv_mysql_stats.c reads pool stats, drv_mysql_module.c is the
 * driver table the module hands to the engine. */
#include "drv_mysql.h"
#include "clock.h"
#include "dialect.h"
#include "strbuf.h"

#include <ctype.h>
#include <errno.h>
#include <errmsg.h>
#include <mysqld_error.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

double my_forever(void)
{
	return clock_now() + 86400.0 * 365;
}

/* ---- errors ---- */

/* §2.3: a server error (below 2000, or 3000 and up: MySQL 8's 3000s,
 * MariaDB's 4000s such as 4025 for a CHECK constraint) means the server
 * answered and refused; a client error (2000-2999) means no answer,
 * except TLS refusals (2026 other than a stalled handshake) and an auth
 * plugin that cannot load or is not allowed (2059). */
static int exit_code_of(unsigned int code, const char *message)
{
	if (my_server_error(code))
		return EXIT_FAILED;
	if (code == CR_SSL_CONNECTION_ERROR)
		return strstr(message, "timed out") ? EXIT_NO_ANSWER : EXIT_FAILED;
	if (code == CR_AUTH_PLUGIN_CANNOT_LOAD || code == CR_PLUGIN_NOT_ALLOWED)
		return EXIT_FAILED;
	return EXIT_NO_ANSWER;
}

int my_error(struct driver_conn *conn, struct err *err)
{
	unsigned int code = mysql_errno(conn->my);
	const char *message = mysql_error(conn->my);

	if (code == 0)
		return err_set(err, EXIT_NO_ANSWER, "the connection to the server was lost");
	if (code == CR_PLUGIN_NOT_ALLOWED)
		/* the library's own text names a wrong plugin (3.3.20: a cut "ql_native_password") */
		message = "the server asked for an authentication method that would send the password readably";
	if (conn->thread_id == 0) {
		/* connecting: as the mysql client shows it (ping prints no SQLSTATE of its own) */
		err_set(err, exit_code_of(code, message), "ERROR %u (%s): %s", code, mysql_sqlstate(conn->my), message);
	} else {
		/* a statement's: run and the shell add "ERROR: " and the SQLSTATE */
		err_set(err, exit_code_of(code, message), "%s (MySQL error %u)", message, code);
		snprintf(err->sqlstate, sizeof(err->sqlstate), "%s", mysql_sqlstate(conn->my));
	}
	if (code == CR_PLUGIN_NOT_ALLOWED)
		err_hint(err, "the server asked for an authentication method that sends the password where a listener could "
			      "read it; dbctl allows those only over verified TLS (ssl-mode=VERIFY_CA or VERIFY_IDENTITY)");
	if (code == ER_XAER_RMFAIL && strstr(message, "PREPARED"))
		err_hint(err, "a prepared XA transaction outlives ROLLBACK and the connection: XA COMMIT or XA ROLLBACK "
			      "it by its xid (XA RECOVER lists it)");
	if (code == CR_SERVER_GONE_ERROR || code == CR_SERVER_LOST)
		err_hint(err, "the server closed the connection (idle past wait_timeout, restarted, or a statement "
			      "larger than max_allowed_packet)");
	return -1;
}

/* ---- waiting ---- */

static void drain(int fd)
{
	char buf[64];

	while (fd >= 0 && read(fd, buf, sizeof(buf)) > 0)
		;
}

static void kill_query(struct driver_conn *conn);

/* Gives up on the connection: shut the socket, so that the library fails
 * at once, and never use it again. */
static void abandon(struct driver_conn *conn)
{
	int fd = (int)mysql_get_socket(conn->my);

	conn->broken = true;
	if (fd >= 0)
		shutdown(fd, SHUT_RDWR);
}

/* Interrupted once COMMIT was sent: the server may have committed, and
 * nothing the client does now can tell or undo it (exit 5). */
static int commit_unknown(struct err *err, const char *why)
{
	err_set(err, EXIT_UNKNOWN, "interrupted after COMMIT was sent, and %s: the transaction may have committed",
		why);
	err_hint(err, "check the database before running it again: nothing says whether COMMIT took effect");
	return 0;
}

int my_await(struct driver_conn *conn, int status, double deadline, struct err *err)
{
	bool connected = conn->thread_id != 0;

	for (;;) {
		struct pollfd pfd[3];
		int seen = conn->kill_conn ? 0 : driver_interrupts(conn->target), n = 1, ms, rc;
		double until = deadline;
		int fd = (int)mysql_get_socket(conn->my);

		if (seen < conn->interrupts_cancelled)
			conn->interrupts_cancelled = seen;   /* the count was reset */
		if (seen > 0) {
			double grace = conn->committing ? MY_COMMIT_GRACE_SECONDS : MY_INTERRUPT_GRACE_SECONDS;

			if (!connected || seen > 1) {
				abandon(conn);
				if (conn->committing)
					return commit_unknown(err, "a second interrupt came");
				err_set(err, EXIT_INTERRUPTED, !connected ? "interrupted while connecting: nothing was sent"
					: conn->kill_failed ? "interrupted: the statement could not be cancelled, so dbctl "
							      "closed the connection (the server rolls the transaction back)"
							    : "interrupted: the server did not answer the cancel, so dbctl "
							      "closed the connection (the server rolls the transaction back)");
				return 0;
			}
			if (conn->interrupt_seen == 0)
				conn->interrupt_seen = clock_now();
			/* one KILL QUERY per interrupt: the statements after it (the
			 * ROLLBACK, the reset) are not cancelled again */
			if (seen > conn->interrupts_cancelled) {
				conn->interrupts_cancelled = seen;
				if (!conn->killed)
					conn->cancel_requested = 1;
			}
			if (conn->interrupt_seen + grace < until)
				until = conn->interrupt_seen + grace;
		}
		if (conn->cancel_requested && connected) {
			conn->cancel_requested = 0;
			drain(conn->cancel_pipe[0]);
			if (!conn->killed && !conn->committing)
				kill_query(conn);
		}
		ms = clock_ms_left(until);
		if (status & MYSQL_WAIT_TIMEOUT) {
			int lib = (int)mysql_get_timeout_value_ms(conn->my);

			if (lib < ms)
				ms = lib;
		}
		if (seen > 0 && ms > 100)
			ms = 100;   /* a second interrupt has no descriptor to wake us */
		pfd[0].fd = fd;
		pfd[0].events = (short)((status & MYSQL_WAIT_READ ? POLLIN : 0) | (status & MYSQL_WAIT_WRITE ? POLLOUT : 0) |
					(status & MYSQL_WAIT_EXCEPT ? POLLPRI : 0));
		pfd[0].revents = 0;
		if (conn->cancel_pipe[0] >= 0) {
			pfd[n].fd = conn->cancel_pipe[0];
			pfd[n].events = POLLIN;
			pfd[n++].revents = 0;
		}
		if (seen == 0 && !conn->kill_conn && conn->target && conn->target->interrupt_fd >= 0) {
			pfd[n].fd = conn->target->interrupt_fd;
			pfd[n].events = POLLIN;
			pfd[n++].revents = 0;
		}
		rc = poll(pfd, (nfds_t)n, ms);
		if (rc < 0 && errno != EINTR)
			return status & (MYSQL_WAIT_READ | MYSQL_WAIT_WRITE);   /* let the library meet the error */
		if (rc > 0 && pfd[0].revents) {
			int ready = 0;

			if (pfd[0].revents & (POLLIN | POLLHUP | POLLERR))
				ready |= MYSQL_WAIT_READ;
			if (pfd[0].revents & (POLLOUT | POLLHUP | POLLERR))
				ready |= MYSQL_WAIT_WRITE;
			if (pfd[0].revents & POLLPRI)
				ready |= MYSQL_WAIT_EXCEPT;
			return (ready & status) ? (ready & status) : ready;
		}
		if (rc > 0 && n > 1 && conn->cancel_pipe[0] >= 0 && pfd[1].revents)
			conn->cancel_requested = 1;
		if (rc == 0 && (status & MYSQL_WAIT_TIMEOUT) && clock_ms_left(until) > 0 && seen == 0)
			return MYSQL_WAIT_TIMEOUT;   /* the library's own timer */
		if (clock_ms_left(until) == 0) {
			if (until < deadline && conn->committing) {
				abandon(conn);
				return commit_unknown(err, "its answer did not come");
			}
			if (until < deadline) {
				abandon(conn);
				err_set(err, EXIT_INTERRUPTED, "interrupted: the server did not answer the cancel in %g s, "
					"so dbctl closed the connection (the server rolls the transaction back)",
					MY_INTERRUPT_GRACE_SECONDS);
				return 0;
			}
			if (!connected)
				return 0;   /* the connect loop says how far it got */
			abandon(conn);
			err_set(err, EXIT_NO_ANSWER, "timed out waiting for the server's answer");
			err->stage = STAGE_AUTH;
			return 0;
		}
	}
}

/* ---- connecting ---- */

static const char *unset_if_empty(const char *s)
{
	return s && *s ? s : NULL;
}

/* Plugins that prove the password without sending it; and those that
 * send it, or send it to a key the server chose. */
#define MY_AUTH_PLUGINS "mysql_native_password,client_ed25519"
#define MY_AUTH_PLUGINS_VERIFIED "caching_sha2_password,sha256_password,mysql_clear_password,dialog"

/* Every option set explicitly, so that nothing depends on the library's
 * version or environment: no option file is read (MYSQL_READ_DEFAULT_* is
 * never set), the password is always passed (with NULL the library reads
 * MYSQL_PWD), the port too (with 0 it reads MYSQL_TCP_PORT), and a host
 * means TCP (for "localhost" the library would take its default socket,
 * or MYSQL_UNIX_PORT). */
static int set_options(struct driver_conn *conn, double deadline, bool session, struct err *err)
{
	const struct url_mysql *url = &conn->url;
	const struct driver_target *target = conn->target;
	unsigned int protocol = url->socket ? MYSQL_PROTOCOL_SOCKET : MYSQL_PROTOCOL_TCP;
	double left = deadline - clock_now();
	unsigned int backstop;
	my_bool yes = 1, no = 0;
	struct strbuf init;
	int rc = 0;

	/* TLS handshake and DNS block outside the poll loop, bounded only by
	 * this whole-second timeout (the watchdog covers the rest) */
	if (url->connect_timeout > 0 && url->connect_timeout < left)
		left = url->connect_timeout;
	backstop = left <= 1 ? 1 : left > 86400 ? 86400 : (unsigned int)ceil(left);
	rc |= mysql_optionsv(conn->my, MYSQL_OPT_NONBLOCK, 0);
	rc |= mysql_optionsv(conn->my, MYSQL_OPT_PROTOCOL, &protocol);
	rc |= mysql_optionsv(conn->my, MYSQL_OPT_CONNECT_TIMEOUT, &backstop);
	rc |= mysql_optionsv(conn->my, MYSQL_SET_CHARSET_NAME, url->charset);
	rc |= mysql_optionsv(conn->my, MYSQL_OPT_LOCAL_INFILE, &no);
	if (url->ssl_mode != URL_SSL_DISABLED) {
		my_bool verify = url->ssl_mode >= URL_SSL_VERIFY_CA;

		rc |= mysql_optionsv(conn->my, MYSQL_OPT_SSL_ENFORCE, &yes);
		rc |= mysql_optionsv(conn->my, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &verify);
		if (url->ssl_ca)
			rc |= mysql_optionsv(conn->my, MYSQL_OPT_SSL_CA, url->ssl_ca);
		if (url->ssl_cert)
			rc |= mysql_optionsv(conn->my, MYSQL_OPT_SSL_CERT, url->ssl_cert);
		if (url->ssl_key)
			rc |= mysql_optionsv(conn->my, MYSQL_OPT_SSL_KEY, url->ssl_key);
	}
	/* The library checks REQUIRED's TLS only after authenticating, and
	 * follows a server's switch to any plugin: one that sends the password
	 * in a form a listener can read (mysql_clear_password, dialog, or the
	 * RSA exchange of sha256_password and caching_sha2_password with a key
	 * the server hands out) is allowed only over a verified TLS channel,
	 * where that server is the one named. */
	rc |= mysql_optionsv(conn->my, MARIADB_OPT_RESTRICTED_AUTH,
			     url->ssl_mode >= URL_SSL_VERIFY_CA ? MY_AUTH_PLUGINS "," MY_AUTH_PLUGINS_VERIFIED : MY_AUTH_PLUGINS);
	if (target->application_name && *target->application_name)
		rc |= mysql_optionsv(conn->my, MYSQL_OPT_CONNECT_ATTR_ADD, "program_name", target->application_name);
	if (!session)
		return rc ? err_set(err, EXIT_FAILED, "libmariadb refused an option") : 0;
	/* the session settings as one statement run at connect (no extra
	 * round trip); both lock timeouts take whole seconds */
	strbuf_init(&init);
	if (target->statement_timeout_ms > 0)
		strbuf_addf(&init, ", max_statement_time=%.3f", target->statement_timeout_ms / 1000.0);
	if (target->lock_timeout_ms > 0) {
		long seconds = (target->lock_timeout_ms + 999) / 1000;

		strbuf_addf(&init, ", lock_wait_timeout=%ld, innodb_lock_wait_timeout=%ld", seconds, seconds);
	}
	if (!target->observe_only) {
		strbuf_addstr(&init, ", session_track_transaction_info='STATE'");
		conn->tracker_on = true;
	}
	if (init.len) {
		struct strbuf sql;

		strbuf_init(&sql);
		strbuf_addf(&sql, "SET SESSION %s", init.buf + 2);
		rc |= mysql_optionsv(conn->my, MYSQL_INIT_COMMAND, sql.buf);
		strbuf_release(&sql);
	}
	strbuf_release(&init);
	return rc ? err_set(err, EXIT_FAILED, "libmariadb refused an option") : 0;
}

/* A connect step's wait: driver_wait_fd on the library's socket, bounded
 * by the library's own timer when it set one (no statement is in flight, so
 * no KILL QUERY to send: the first interrupt ends the connect). Returns the
 * events for _cont, or 0 (err set only for an interrupt). */
static int connect_wait(struct driver_conn *conn, int status, double deadline, struct err *err)
{
	double until = deadline;
	bool lib_timer = false;

	if (status & MYSQL_WAIT_TIMEOUT) {
		double lib = clock_now() + mysql_get_timeout_value_ms(conn->my) / 1000.0;

		if (lib < until) {
			until = lib;
			lib_timer = true;
		}
	}
	switch (driver_wait_fd(conn->kill_conn ? NULL : conn->target, (int)mysql_get_socket(conn->my),
			       (status & MYSQL_WAIT_WRITE) && !(status & MYSQL_WAIT_READ), until, 0)) {
	case DRIVER_WAIT_READY:
		return status & (MYSQL_WAIT_READ | MYSQL_WAIT_WRITE | MYSQL_WAIT_EXCEPT);
	case DRIVER_WAIT_TIMEOUT:
		return lib_timer ? MYSQL_WAIT_TIMEOUT : 0;
	case DRIVER_WAIT_INTERRUPTED:
	case DRIVER_WAIT_WOKEN:
		break;
	}
	abandon(conn);
	err_set(err, EXIT_INTERRUPTED, "interrupted while connecting: nothing was sent");
	return 0;
}

/* libmariadb 3.3 refuses a server without TLS before authenticating only
 * when it verifies the certificate: under ssl-mode=REQUIRED it sends the
 * handshake response (the user, the hashed password) in plaintext and
 * finds out afterwards. So dbctl reads the greeting first, without taking
 * it from the library (MSG_PEEK), before the library's first read (which
 * comes straight after the TCP connect, not after a wait of its own).
 * Returns 1 when it offers TLS (CLIENT_SSL), 0 when it does not, -1 when it
 * is no greeting this can judge (an error packet, a malformed one, a closed
 * socket: the library reports those), -2 with err set (timed out,
 * interrupted). */
#define MY_CLIENT_SSL 0x800

static int greeting_offers_tls(struct driver_conn *conn, double deadline, struct err *err)
{
	int fd = (int)mysql_get_socket(conn->my), soerr = 0;
	socklen_t soerr_len = sizeof(soerr);

	if (fd < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &soerr_len) != 0 || soerr != 0)
		return -1;   /* the connect failed: the library says how */
	for (;;) {
		unsigned char buf[16384];   /* a greeting is ~100 bytes; a server version longer than this is refused */
		ssize_t n;
		size_t len, at;

		switch (driver_wait_fd(conn->kill_conn ? NULL : conn->target, fd, false, deadline, 0)) {
		case DRIVER_WAIT_READY:
			break;
		case DRIVER_WAIT_TIMEOUT:
			return err_set(err, EXIT_NO_ANSWER, "timed out waiting for the server to answer"), -2;
		case DRIVER_WAIT_INTERRUPTED:
		case DRIVER_WAIT_WOKEN:
			return err_set(err, EXIT_INTERRUPTED, "interrupted while connecting: nothing was sent"), -2;
		}
		n = recv(fd, buf, sizeof(buf), MSG_PEEK | MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
			continue;
		if (n <= 0)
			return -1;
		if (n >= 5) {
			len = (size_t)buf[0] | (size_t)buf[1] << 8 | (size_t)buf[2] << 16;
			if (buf[4] == 0xff)
				return -1;   /* an error packet: the server refused, and the library says how */
			/* what cannot be read cannot be trusted to offer TLS: under
			 * REQUIRED, "cannot tell" is a refusal, never the library's turn */
			if (buf[4] != 10)
				return 0;
			for (at = 5; at < (size_t)n && at < len + 4 && buf[at]; at++)
				;   /* the server's version, NUL-terminated */
			if (at >= len + 4 || at >= sizeof(buf) - 16)
				return 0;
			/* NUL, thread id (4), scramble (8), filler (1), capabilities (2) */
			if (at + 15 < (size_t)n)
				return (buf[at + 14] | buf[at + 15] << 8) & MY_CLIENT_SSL ? 1 : 0;
		}
		(void)poll(NULL, 0, 5);   /* readable, but the rest of the greeting is on its way */
		if (clock_ms_left(deadline) == 0)
			return err_set(err, EXIT_NO_ANSWER, "timed out waiting for the server to answer"), -2;
	}
}

/* One non-blocking connect driven to its end within deadline. */
static int connect_handle(struct driver_conn *conn, double deadline, bool session, struct err *err)
{
	enum reach_stage reached = STAGE_NONE;
	bool greeted = conn->url.ssl_mode < URL_SSL_REQUIRED;
	MYSQL *ret = NULL;
	int status;

	conn->my = mysql_init(NULL);
	if (!conn->my)
		return err_set(err, EXIT_FAILED, "out of memory");
	if (set_options(conn, deadline, session, err) != 0)
		return -1;
	status = mysql_real_connect_start(&ret, conn->my, conn->url.socket ? NULL : conn->url.host,
					  unset_if_empty(conn->url.user), conn->password, conn->url.database,
					  conn->url.socket ? 0 : (unsigned int)conn->url.port, conn->url.socket,
					  CLIENT_MULTI_STATEMENTS | CLIENT_MULTI_RESULTS);
	while (status) {
		int ready;

		/* the first wait for reading: TCP connected, the greeting is due */
		if ((status & MYSQL_WAIT_READ) && reached < STAGE_REACH)
			reached = STAGE_REACH;
		ready = connect_wait(conn, status, deadline, err);
		if (!ready) {
			if (!err->code)
				err_set(err, EXIT_NO_ANSWER, "timed out %s", reached == STAGE_NONE ? "connecting"
							: "waiting for the server to answer");
			err->stage = reached;
			return -1;
		}
		if (!greeted) {
			int tls;

			greeted = true;
			tls = greeting_offers_tls(conn, deadline, err);
			if (tls == -2) {
				abandon(conn);
				err->stage = STAGE_REACH;
				return -1;
			}
			if (tls == 0) {
				abandon(conn);
				err_set(err, EXIT_FAILED, "the server does not offer TLS, and ssl-mode=%s requires it: "
					"dbctl hung up before authenticating", url_ssl_mode_name(conn->url.ssl_mode));
				err_hint(err, "enable TLS on the server (ssl_cert, ssl_key), or use ssl-mode=PREFERRED");
				err->stage = STAGE_AUTH;
				return -1;
			}
		}
		status = mysql_real_connect_cont(&ret, conn->my, ready);
	}
	if (!ret) {
		unsigned int code = mysql_errno(conn->my);

		my_error(conn, err);
		err->stage = my_server_error(code) ? STAGE_SERVER : err->code == EXIT_FAILED ? STAGE_SERVER
				: reached == STAGE_REACH && code != CR_CONNECTION_ERROR ? STAGE_REACH : STAGE_NONE;
		return -1;
	}
	return 0;
}

int my_connect(const struct driver_target *target, double deadline, struct driver_conn **out,
		      struct err *err)
{
	struct driver_conn *conn = calloc(1, sizeof(*conn));

	*out = NULL;
	if (!conn)
		return err_set(err, EXIT_FAILED, "out of memory");
	conn->cancel_pipe[0] = conn->cancel_pipe[1] = -1;
	conn->target = target;
	if (url_mysql_parse(target->url, &conn->url, err) != 0) {
		free(conn);
		return -1;
	}
	/* the library would fail at connecting (2019), which reads as no answer:
	 * the URL is wrong, and nothing need be sent to say so */
	if (!mariadb_get_charset_by_name(conn->url.charset)) {
		err_set(err, EXIT_USAGE, "invalid MySQL URL: charset=%s is not a character set the client library knows",
			conn->url.charset);
		err_hint(err, "leave charset out (utf8mb4), or name one such as utf8mb4 or latin1");
		url_mysql_release(&conn->url);
		free(conn);
		return -1;
	}
	conn->password = target->password && *target->password ? target->password
			 : conn->url.password ? conn->url.password : "";
	if (pipe(conn->cancel_pipe) != 0 || fcntl(conn->cancel_pipe[0], F_SETFL, O_NONBLOCK) != 0 ||
	    fcntl(conn->cancel_pipe[1], F_SETFL, O_NONBLOCK) != 0 || fcntl(conn->cancel_pipe[0], F_SETFD, FD_CLOEXEC) ||
	    fcntl(conn->cancel_pipe[1], F_SETFD, FD_CLOEXEC)) {
		err_set(err, EXIT_FAILED, "cannot make a pipe: %s", strerror(errno));
		conn->thread_id = 0;
		my_close_conn(conn);
		return -1;
	}
	if (connect_handle(conn, deadline, true, err) != 0) {
		my_close_conn(conn);
		return -1;
	}
	/* the library falls back to plaintext silently when the server has no TLS */
	if (conn->url.ssl_mode >= URL_SSL_REQUIRED && !mysql_get_ssl_cipher(conn->my)) {
		err_set(err, EXIT_FAILED, "the server did not use TLS, and ssl-mode=%s requires it",
			url_ssl_mode_name(conn->url.ssl_mode));
		err_hint(err, "enable TLS on the server (ssl_cert, ssl_key), or use ssl-mode=PREFERRED");
		err->stage = STAGE_AUTH;
		my_close_conn(conn);
		return -1;
	}
	conn->thread_id = mysql_thread_id(conn->my);
	memcpy(conn->trx_state, "________", 9);
	*out = conn;
	return 0;
}

/* ---- statements ---- */

void my_track(struct driver_conn *conn)
{
	const char *data;
	size_t length;

	if (!(my_server_status(conn->my) & SERVER_STATUS_IN_TRANS))
		memcpy(conn->trx_state, "________", 9);
	if (mysql_session_track_get_first(conn->my, SESSION_TRACK_TRANSACTION_STATE, &data, &length) == 0 &&
	    length == 8) {
		memcpy(conn->trx_state, data, 8);
		conn->trx_state[8] = '\0';
	}
}

/* Sends sql and reads every result, discarding rows. */
int my_run(struct driver_conn *conn, const char *sql, double deadline, struct err *err)
{
	int ret = 0, status, more = 0;

	if (conn->broken)
		return err_set(err, EXIT_NO_ANSWER, "the connection was closed after an earlier failure");
	conn->killed = conn->kill_failed = false;
	conn->interrupt_seen = 0;
	status = mysql_real_query_start(&ret, conn->my, sql, (unsigned long)strlen(sql));
	while (status) {
		int ready = my_await(conn, status, deadline, err);

		if (!ready)
			return -1;
		status = mysql_real_query_cont(&ret, conn->my, ready);
	}
	if (ret != 0)
		return my_error(conn, err);
	do {
		MYSQL_RES *res = NULL;

		if (mysql_field_count(conn->my) > 0) {
			status = mysql_store_result_start(&res, conn->my);
			while (status) {
				int ready = my_await(conn, status, deadline, err);

				if (!ready)
					return -1;
				status = mysql_store_result_cont(&res, conn->my, ready);
			}
			if (!res)
				return my_error(conn, err);
			mysql_free_result(res);
		}
		my_track(conn);
		status = mysql_next_result_start(&more, conn->my);
		while (status) {
			int ready = my_await(conn, status, deadline, err);

			if (!ready)
				return -1;
			status = mysql_next_result_cont(&more, conn->my, ready);
		}
		if (more > 0)
			return my_error(conn, err);
	} while (more == 0);
	return 0;
}

/* "MariaDB 10.11.19-MariaDB-0+deb12u1" or "MySQL 8.0.36". */
static void version_of(MYSQL *my, char *out, size_t size)
{
	const char *info = mysql_get_server_info(my);

	snprintf(out, size, "%s %s", info && strstr(info, "MariaDB") ? "MariaDB" : "MySQL", info ? info : "?");
}

int my_ping(struct driver_conn *conn, double deadline, char *version, size_t size, struct err *err)
{
	MYSQL_RES *res = NULL;
	MYSQL_ROW row;
	int ret = 0, status;
	bool one;

	version_of(conn->my, version, size);
	status = mysql_real_query_start(&ret, conn->my, "SELECT 1", 8);
	while (status) {
		int ready = my_await(conn, status, deadline, err);

		if (!ready)
			return -1;
		status = mysql_real_query_cont(&ret, conn->my, ready);
	}
	if (ret == 0) {
		status = mysql_store_result_start(&res, conn->my);
		while (status) {
			int ready = my_await(conn, status, deadline, err);

			if (!ready)
				return -1;
			status = mysql_store_result_cont(&res, conn->my, ready);
		}
	}
	if (!res) {
		my_error(conn, err);
		err->stage = STAGE_AUTH;
		return -1;
	}
	row = mysql_fetch_row(res);
	one = row && row[0] && strcmp(row[0], "1") == 0;
	mysql_free_result(res);
	if (!one) {
		err_set(err, EXIT_FAILED, "SELECT 1 did not return 1");
		err->stage = STAGE_AUTH;
		return -1;
	}
	return 0;
}

/* autocommit off for the transaction's length: a statement that commits
 * implicitly (DDL) then leaves the statements after it in a new
 * transaction, which the caller's ROLLBACK still undoes, instead of
 * autocommitting each one (multi-statement batches run on in the server
 * after the implicit commit, before dbctl can read that it happened). */
int my_begin(struct driver_conn *conn, struct err *err)
{
	int rc = my_run(conn, "SET autocommit=0; START TRANSACTION", my_forever(), err);

	conn->own_transaction = rc == 0;
	return rc;
}

/* After COMMIT or ROLLBACK, even a failed one: back to autocommit. */
static void autocommit_on(struct driver_conn *conn)
{
	struct err ignored;

	err_init(&ignored);
	if (!conn->broken)
		(void)my_run(conn, "SET autocommit=1", my_forever(), &ignored);
}

int my_commit(struct driver_conn *conn, struct err *err)
{
	bool nontransactional;
	int rc;

	/* an abandoned connection sends nothing: the server rolls back */
	if (conn->broken) {
		err_set(err, EXIT_NO_ANSWER, "COMMIT was not sent: the connection was closed after an earlier failure");
		err_hint(err, "the server rolls the transaction back when the connection closes: nothing was committed");
		return -1;
	}
	nontransactional = conn->tracker_on && conn->trx_state[3] == 'w';
	conn->own_transaction = false;
	conn->committing = true;
	rc = my_run(conn, "COMMIT", my_forever(), err);
	conn->committing = false;

	autocommit_on(conn);
	if (rc == 0) {
		/* all of it is applied, as asked; but it was never all or nothing */
		if (nontransactional && conn->target->notice)
			conn->target->notice(conn->target->notice_context,
					     "WARNING: the transaction changed non-transactional tables (MyISAM, Aria, "
					     "...), which no rollback undoes: it committed whole, but a failure would have "
					     "left those changes behind (use InnoDB tables for all or nothing)", -1);
		return 0;
	}
	/* sent, and no answer: it may have committed */
	if (err->code == EXIT_NO_ANSWER) {
		err_prefix(err, "COMMIT was sent and its answer lost: the transaction may have committed");
		err->code = EXIT_UNKNOWN;
		err_hint(err, "check the database before running it again: nothing says whether COMMIT took effect");
	}
	return -1;
}

static bool word_at(const char *p, const char *end, const char *word)
{
	size_t len = strlen(word);

	return (size_t)(end - p) >= len && strncasecmp(p, word, len) == 0 &&
	       (p + len == end || !(isalnum((unsigned char)p[len]) || p[len] == '_'));
}

/* A prepared XA branch outlives the connection (MariaDB keeps it for XA
 * RECOVER): its xid, as the script wrote it, names it in the message. */
void my_note_xa(struct driver_conn *conn, const char *sql, size_t length)
{
	const char *p = sql, *end = sql + length;

	for (; p < end; p++) {
		const char *q, *stop;

		if (!(p == sql || !(isalnum((unsigned char)p[-1]) || p[-1] == '_')) || !word_at(p, end, "XA"))
			continue;
		for (q = p + 2; q < end && isspace((unsigned char)*q); q++)
			;
		if (q == p + 2 || !word_at(q, end, "PREPARE"))
			continue;
		for (q += 7; q < end && isspace((unsigned char)*q); q++)
			;
		for (stop = q; stop < end && *stop != ';' && *stop != '\n'; stop++)
			;
		while (stop > q && isspace((unsigned char)stop[-1]))
			stop--;
		snprintf(conn->xa_prepared, sizeof(conn->xa_prepared), "%.*s", (int)(stop - q), q);
	}
}

/* What was done to non-transactional tables (MyISAM, Aria) stays: the
 * session tracker flags such a write ('w', findings §5.1) as it happens,
 * and ROLLBACK warns (1196). Then the rollback is not whole: it fails, with
 * err->partly_applied, after undoing all it could. */
int my_rollback(struct driver_conn *conn, struct err *err)
{
	bool nontransactional = conn->tracker_on && conn->trx_state[3] == 'w';
	int rc;

	conn->own_transaction = false;
	rc = my_run(conn, "ROLLBACK", my_forever(), err);

	if (rc == 0 && mysql_warning_count(conn->my) > 0)
		nontransactional = true;   /* 1196: the only warning ROLLBACK gives */
	if (rc != 0 && mysql_errno(conn->my) == ER_XAER_RMFAIL && strstr(mysql_error(conn->my), "PREPARED")) {
		/* ROLLBACK cannot touch it, nor can the disconnect: it commits
		 * whenever anyone runs XA COMMIT */
		const char *xid = conn->xa_prepared[0] ? conn->xa_prepared : "(its xid)";

		err_set(err, EXIT_FAILED, "a prepared XA transaction %s remains on the server: ROLLBACK cannot undo it, "
			"and it outlives the connection (XA RECOVER shows it)", conn->xa_prepared[0] ? conn->xa_prepared : "");
		err_hint(err, "XA COMMIT %s applies its changes, XA ROLLBACK %s discards them; end it in the script", xid,
			 xid);
		err->partly_applied = true;
		return -1;
	}
	autocommit_on(conn);
	if (rc != 0)
		return -1;
	if (!nontransactional)
		return 0;
	err_set(err, EXIT_FAILED, "ROLLBACK could not undo the changes to non-transactional tables (MyISAM, Aria, "
		"...): they stay applied (MySQL warning 1196)");
	err_hint(err, "convert them to InnoDB (ALTER TABLE ... ENGINE=InnoDB) for all or nothing");
	err->partly_applied = true;
	return -1;
}

/* Async-signal-safe: one byte on the pipe; the wait loop in flight sends
 * KILL QUERY from a second connection (opening one is not signal-safe,
 * and mysql_kill would end the whole connection). */
void my_cancel(struct driver_conn *conn)
{
	int saved = errno;

	if (!conn)
		return;
	conn->cancel_requested = 1;
	if (conn->cancel_pipe[1] >= 0 && write(conn->cancel_pipe[1], "c", 1) < 0) {
		/* full pipe: a cancel is already pending */
	}
	errno = saved;
}

/* A second, short-lived connection as the same user: KILL QUERY of ours.
 * When it cannot be had (max_user_connections, max_connections reached)
 * the statement runs on and nothing would show that the Ctrl-C was heard:
 * say so, and why, and that a second one closes the connection. */
static void kill_query(struct driver_conn *conn)
{
	struct driver_conn killer;
	struct err ignored;
	char sql[64], text[1024];
	const char *step = "the KILL QUERY connection was refused";

	conn->killed = true;
	memset(&killer, 0, sizeof(killer));
	killer.target = conn->target;
	killer.url = conn->url;   /* borrowed: never released through killer */
	killer.password = conn->password;
	killer.cancel_pipe[0] = killer.cancel_pipe[1] = -1;
	killer.kill_conn = true;
	err_init(&ignored);
	if (connect_handle(&killer, clock_now() + 1.0, false, &ignored) == 0) {
		killer.thread_id = mysql_thread_id(killer.my);
		snprintf(sql, sizeof(sql), "KILL QUERY %lu", conn->thread_id);
		step = "KILL QUERY failed";
		if (my_run(&killer, sql, clock_now() + 1.0, &ignored) == 0)
			step = NULL;
	}
	if (killer.my)
		mysql_close(killer.my);
	if (!step)
		return;
	conn->kill_failed = true;
	if (conn->target && conn->target->notice) {
		snprintf(text, sizeof(text), "WARNING: the statement could not be cancelled: %s: %s; interrupt again "
			 "to close the connection (the server then rolls the transaction back)", step,
			 ignored.message[0] ? ignored.message : "no answer");
		conn->target->notice(conn->target->notice_context, text, -1);
	}
}

enum driver_transaction my_transaction_state(struct driver_conn *conn)
{
	if (conn->broken)
		return DRIVER_TRANSACTION_UNKNOWN;
	return my_server_status(conn->my) & SERVER_STATUS_IN_TRANS ? DRIVER_TRANSACTION_OPEN
									    : DRIVER_TRANSACTION_NONE;
}

/* mysql_real_escape_string honours NO_BACKSLASH_ESCAPES from the server status. */
char *my_quote(struct driver_conn *conn, const char *value, bool identifier)
{
	size_t len = strlen(value);
	char *out = malloc(2 * len + 3), *w;

	if (!out)
		return NULL;
	if (identifier) {
		w = out;
		*w++ = '`';
		for (; *value; value++) {
			if (*value == '`')
				*w++ = '`';
			*w++ = *value;
		}
		*w++ = '`';
		*w = '\0';
		return out;
	}
	out[0] = '\'';
	len = mysql_real_escape_string(conn->my, out + 1, value, (unsigned long)len);
	if (len == (size_t)-1) {
		free(out);
		return NULL;
	}
	out[len + 1] = '\'';
	out[len + 2] = '\0';
	return out;
}

void my_close_conn(struct driver_conn *conn)
{
	if (!conn)
		return;
	if (conn->my)
		mysql_close(conn->my);
	if (conn->cancel_pipe[0] >= 0)
		close(conn->cancel_pipe[0]);
	if (conn->cancel_pipe[1] >= 0)
		close(conn->cancel_pipe[1]);
	free(conn->sql_mode);
	url_mysql_release(&conn->url);
	free(conn);
}
