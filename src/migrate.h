/* Migrations against a database: the tracking table, status, the lock, and
 * applying or reverting sections each with its tracking row in one transaction. */
#ifndef DBCTL_MIGRATE_H
#define DBCTL_MIGRATE_H

#include "engine.h"
#include "migrate_files.h"
#include "script.h"

enum migrate_state {
	MIGRATE_APPLIED,
	MIGRATE_PENDING,
	MIGRATE_MODIFIED,       /* applied, and the file changed since */
	MIGRATE_MISSING_FILE,   /* applied, and no file has its version */
	MIGRATE_OUT_OF_ORDER,   /* pending, older than the newest applied */
	MIGRATE_FAILED,         /* a transaction:false section stopped part way */
};

struct migrate_entry {
	char *version;                  /* owned; normalised: "001" is "1"; any length */
	char *row_version;              /* owned; as the tracking row stores it ("001" from dbmate); "" when no row */
	char name[256];
	const struct migration *file;   /* NULL for MIGRATE_MISSING_FILE */
	enum migrate_state state;
	char applied_at[64];            /* "" when not applied */
	long duration_ms;               /* -1 unknown */
	long failed_statement;          /* MIGRATE_FAILED: index of the statement that failed; -1 golang-migrate's dirty */
	bool failed_down;               /* MIGRATE_FAILED: its down section stopped part way (up is still in) */
	char error[512];
	char note[64];                  /* "baseline": recorded as applied without running it; else "" */
	char checksum[65];              /* as recorded; "" when unknown */
	bool checksum_unknown;          /* adopted from dbmate/golang-migrate: filled in by the next up */
	/* status: MIGRATE_FAILED at a statement marked running, while another
	 * session holds the migration lock: its runner is at it right now */
	bool running_now;
};

struct migrate_status {
	struct migrate_entry *entries;  /* owned; by version */
	size_t count;
	size_t applied, pending, modified, missing, out_of_order, failed;
	size_t other_environment;       /* files for other environments, not run here (not in entries) */
	/* owned; the repeatable migrations by name: APPLIED (up to date),
	 * PENDING (never run), MODIFIED (changed: runs again), MISSING_FILE,
	 * FAILED (a transaction:false one stopped part way: runs again) */
	struct migrate_entry *repeatables;
	size_t repeatable_count;
	size_t repeatable_due;          /* of those, how many the next up runs */
	size_t running;                 /* status: of the failed, those running_now (not in failed) */
	bool table_exists;
	long version_limit;             /* the version column's varchar length; 0 no limit */
};

/* AUTO: the advisory lock, or the lease when the driver sees a pooler or
 * proxy between dbctl and the server. */
enum migrate_lock_mode { MIGRATE_LOCK_AUTO, MIGRATE_LOCK_ADVISORY, MIGRATE_LOCK_TABLE };

enum migrate_event_kind {
	MIGRATE_EVENT_LOCK_WAIT,        /* another runner holds the lock */
	MIGRATE_EVENT_LOCKED,
	MIGRATE_EVENT_APPLYING,
	MIGRATE_EVENT_APPLIED,
	MIGRATE_EVENT_REVERTING,
	MIGRATE_EVENT_REVERTED,
	MIGRATE_EVENT_WARNING,
	MIGRATE_EVENT_PLAN,             /* dry run: what would happen */
	MIGRATE_EVENT_LOCKS,            /* dry run: a statement took a stronger lock on a table, or rewrote it */
};

struct migrate_event {
	enum migrate_event_kind kind;
	const char *version;
	const char *name;
	const char *message;            /* warnings and plan lines */
	double seconds;
	bool transaction;
	bool repeatable;                /* the migration is a repeatable one: version is "R__name" */
	/* MIGRATE_EVENT_LOCKS: the statement's place, the table, the lock held now */
	const char *file;
	int line;
	const char *table;
	const char *mode;               /* "ACCESS EXCLUSIVE"; NULL when only rewritten is news */
	bool rewritten;
};

struct migrate_options {
	const char *table;
	bool dry_run;
	bool single_transaction;
	bool drift_warn;                /* --on-drift=warn */
	bool out_of_order_apply;        /* --out-of-order=apply */
	bool retry_failed;              /* retry a failed transaction:false section though unchanged */
	bool allow_missing_down;        /* revert a migration without a down section by deleting its row */
	double lock_timeout;
	double lease_seconds;           /* --lease: the lease's length under --lock=table; 0 the default (600) */
	long migration_lock_timeout_ms; /* each migration's wait for a table lock; 0: the session's own */
	enum migrate_lock_mode lock_mode;
	long lock_id;                   /* 0: derived from the database and table */
	void (*on_event)(void *context, const struct migrate_event *event);
	void (*on_statement)(void *context, const char *file, const struct sqlscan_statement *statement);
	void *context;
};

struct migrate_result {
	long applied;
	long reverted;
	long statements;
};

/* Reads the tracking table (creating nothing) and compares it with the files. */
int migrate_status(struct engine *engine, const struct migration_set *files, const struct migrate_options *options,
		   struct migrate_status *out, struct err *err) MUST_CHECK;
void migrate_status_release(struct migrate_status *status);

/* The version down would revert first, or NULL. Points into status. */
const char *migrate_newest_revertible(const struct migrate_status *status);

/* Applies pending migrations up to target (NULL: all). */
int migrate_up(struct engine *engine, const struct migration_set *files, const char *target,
	       const struct migrate_options *options, struct migrate_result *result, struct err *err) MUST_CHECK;

/* Reverts applied migrations, newest first: count of them, or down to (not
 * including) target_version when it is not NULL ("0" reverts everything). */
int migrate_down(struct engine *engine, const struct migration_set *files, long count, const char *target_version,
		 const struct migrate_options *options, struct migrate_result *result, struct err *err) MUST_CHECK;

/* Records the file's current checksum for an applied or failed version. */
int migrate_accept(struct engine *engine, const struct migration_set *files, const char *version,
		   const struct migrate_options *options, struct err *err) MUST_CHECK;

/* Records every migration up to version as applied without running it, on
 * a tracking table that records none yet; *recorded is how many. */
/* Lexes a section and checks its statements against the mode it runs in
 * (as up and down check them before running anything), without a
 * connection: -1 with exit 3 and the statement's place. */
int migrate_check_section(const struct engine *engine, const struct migration *m,
			  const struct migration_section *section, struct err *err) MUST_CHECK;

int migrate_baseline(struct engine *engine, const struct migration_set *files, const char *version,
		     const struct migrate_options *options, long *recorded, struct err *err) MUST_CHECK;

#endif
