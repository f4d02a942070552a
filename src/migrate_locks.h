/* A dry run's lock evidence: after each statement, which tables the
 * session now holds a stronger lock on than before, and which were
 * rewritten, read from the server rather than guessed from the text. */
#ifndef DBCTL_MIGRATE_LOCKS_H
#define DBCTL_MIGRATE_LOCKS_H

#include "dialect.h"
#include "driver.h"
#include "err.h"

#include <stdbool.h>
#include <stddef.h>

struct migrate_locks_table {
	char *id;          /* owned; the server's id of the table */
	char *name;        /* owned; schema-qualified, quoted as the server quotes it */
	char *storage;     /* owned; where its rows live when the snapshot was read */
	int strongest;     /* index in the dialect's modes of the strongest lock held so far; -1 none */
	bool rewritten;    /* reported as rewritten already */
	/* this observation's: the strongest mode held (-2 none, -1 unknown), its name, storage changed */
	int held;
	const char *held_mode;
	bool moved;
};

struct migrate_locks {
	const struct dialect_lock_evidence *sql;
	struct migrate_locks_table *tables;   /* owned; sorted by id */
	size_t count;
	bool ready;                            /* the snapshot was read */
};

/* One table whose lock grew, or that was rewritten, since the last observation. */
struct migrate_locks_finding {
	const char *table;       /* qualified name */
	const char *mode;        /* as a report names it: "ACCESS EXCLUSIVE" */
	bool stronger;           /* mode is stronger than what was held before */
	bool rewritten;
};

typedef void migrate_locks_report(void *context, const struct migrate_locks_finding *finding);

void migrate_locks_init(struct migrate_locks *locks, const struct dialect_lock_evidence *sql);
void migrate_locks_release(struct migrate_locks *locks);

/* Reads every table's storage id once; before any statement to be measured. */
int migrate_locks_snapshot(struct migrate_locks *locks, const struct driver *driver, struct driver_conn *conn,
			   struct err *err) MUST_CHECK;

/* Reads the locks the session holds now and reports (report may be NULL:
 * absorbing what dbctl's own statements took) each table whose strongest
 * lock grew or whose storage changed. Tables created since the snapshot
 * are not reported: nobody else can be waiting for them. */
int migrate_locks_observe(struct migrate_locks *locks, const struct driver *driver, struct driver_conn *conn,
			  migrate_locks_report *report, void *context, struct err *err) MUST_CHECK;

#endif
