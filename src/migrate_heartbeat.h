/* The lease's heartbeat: while migrations run under --lock=table, a thread
 * renews the lease on a connection of its own, so that a migration longer
 * than the lease does not lose it half way, and says when it was lost. */
#ifndef DBCTL_MIGRATE_HEARTBEAT_H
#define DBCTL_MIGRATE_HEARTBEAT_H

#include "driver.h"
#include "err.h"

#include <stdbool.h>
#include <stddef.h>

struct migrate_heartbeat;

/* Starts renewing every interval seconds with renew_sql (one statement that
 * returns a row when the lease was renewed), on conn, which the heartbeat
 * uses alone until it stops. lease is the lease's length: with no
 * successful renewal for that long, the lease counts as lost. */
int migrate_heartbeat_start(struct migrate_heartbeat **out, const struct driver *driver, struct driver_conn *conn,
			    const char *renew_sql, double interval, double lease, struct err *err) MUST_CHECK;

/* Whether the lease was lost; why gets the reason. Safe to call at any time. */
bool migrate_heartbeat_lost(struct migrate_heartbeat *heartbeat, char *why, size_t size);

/* Stops the thread (waiting for a renewal in flight) and frees it; NULL is fine. */
void migrate_heartbeat_stop(struct migrate_heartbeat *heartbeat);

#endif
