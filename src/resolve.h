/* Name resolution bounded by a deadline: getaddrinfo has no timeout of its own. */
#ifndef DBCTL_RESOLVE_H
#define DBCTL_RESOLVE_H

#include "driver.h"
#include "err.h"

#include <stddef.h>

#define RESOLVE_ADDR_SIZE 64   /* a numeric IPv4 or IPv6 address, NUL included */
#define RESOLVE_MAX_ADDRS 8

struct resolve_job;

/* Starts resolving host (a name, or a numeric address: answered at once) for
 * TCP, in a child process. Several jobs run side by side. Never NULL; finish
 * it with resolve_finish. */
struct resolve_job *resolve_start(const char *host);

/* Waits for the job until deadline (absolute clock_now() seconds), or an
 * interrupt of target's (NULL: none), and frees it (a lookup still running is
 * killed). Fills addrs with up
 * to RESOLVE_MAX_ADDRS numeric addresses in getaddrinfo's order. 0, or -1
 * with err: EXIT_NO_ANSWER, stage STAGE_NONE, a message starting "timed out"
 * when the deadline passed; EXIT_INTERRUPTED when interrupted. */
int resolve_finish(struct resolve_job *job, const struct driver_target *target, double deadline,
		   char (*addrs)[RESOLVE_ADDR_SIZE], size_t *count,
		   struct err *err) MUST_CHECK;

#endif
