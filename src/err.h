/* Errors: a status struct that core code fills and main.c turns into an exit code. */
#ifndef DBCTL_ERR_H
#define DBCTL_ERR_H

#include <stdbool.h>
#include <stddef.h>

/* Exit codes shared by every command (pg_isready's meaning where they overlap). */
enum exit_code {
	EXIT_OK = 0,
	EXIT_FAILED = 1,      /* the database refused, or the operation failed and was rolled back */
	EXIT_NO_ANSWER = 2,   /* connect failed or timed out */
	EXIT_USAGE = 3,       /* bad usage, config or input: nothing was sent */
	EXIT_PENDING = 4,     /* migrate status: migrations pending */
	EXIT_UNKNOWN = 5,     /* the connection was lost after COMMIT/EXEC was sent: it may have been applied */
	EXIT_INTERRUPTED = 130,
};

/* How far a connection attempt got; ping's --level compares against it. */
enum reach_stage {
	STAGE_NONE = 0,   /* nothing answered */
	STAGE_REACH,      /* TCP connected / file opened */
	STAGE_SERVER,     /* a server of the right kind answered, maybe refusing us */
	STAGE_AUTH,       /* authenticated */
	STAGE_QUERY,      /* a real round trip succeeded */
};

struct err {
	int code;             /* enum exit_code; 0 while no error is set */
	enum reach_stage stage;
	char message[1024];
	char hint[512];
	char detail[512];     /* the server's DETAIL */
	char context[1024];   /* source line and caret under the error, when known */
	char where[512];      /* the server's CONTEXT (e.g. "COPY t, line 3") */
	char sqlstate[6];
	char file[256];       /* where in the input the error is, when known */
	int line;
	int column;
	long item;            /* driver batches: index of the failing statement; -1 unknown */
	int position;         /* the server's 1-based character position inside it; 0 unknown */
	/* the failure left changes that no rollback undoes (MySQL: an implicit
	 * commit, a non-transactional table): the outcome is partly applied */
	bool partly_applied;
};

#define ERR_FMT(a, b) __attribute__((format(printf, a, b)))
#define MUST_CHECK __attribute__((warn_unused_result))

void err_init(struct err *err);

/* Fills err and returns -1, so that callers can `return err_set(...)`. */
int err_set(struct err *err, int code, const char *fmt, ...) ERR_FMT(3, 4);

/* Adds a "hint:" line to an error already set. */
void err_hint(struct err *err, const char *fmt, ...) ERR_FMT(2, 3);

/* Prepends "context: " to the message of an error already set. */
void err_prefix(struct err *err, const char *fmt, ...) ERR_FMT(2, 3);

/* Secrets shorter than this are masked only where they stand as a word of
 * their own: masking every "e" of a message would garble it and tell the
 * reader the password. */
#define ERR_SCRUB_SHORT 4

/* Replaces every occurrence of secret in buf (capacity size; NUL-terminated,
 * or its last byte is taken as the end) with "***". The result is written
 * within size bytes: when masks make it longer, its tail is cut. */
void err_scrub(char *buf, size_t size, const char *secret);

/* The same for several secrets at once: at each position the longest one that
 * matches wins, so that a secret inside a longer one leaves no fragment of it.
 * NULL and empty entries are skipped. */
void err_scrub_list(char *buf, size_t size, const char *const *secrets, size_t count);

/* Replaces every occurrence of from (non-empty) in buf with to, within size
 * bytes as err_scrub does: a raw URL a message quotes becomes its masked
 * form, even where a password it holds is not scrubbed on its own. */
void err_replace(char *buf, size_t size, const char *from, const char *to);

#endif
