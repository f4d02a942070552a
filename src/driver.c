/* Helpers shared by every driver module: result and statistics containers, interruptible waits. */
#include "driver.h"
#include "clock.h"

#include <errno.h>
#include <poll.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void driver_result_release(struct driver_result *result)
{
	long i, cells = result->row_count * result->column_count;
	int c;

	for (c = 0; c < result->column_count; c++)
		free(result->column_names[c]);
	free(result->column_names);
	for (i = 0; i < cells; i++)
		free(result->cells[i]);
	free(result->cells);
	memset(result, 0, sizeof(*result));
}

void driver_stat_add(struct driver_server_stats *stats, const char *key, bool numeric, const char *fmt, ...)
{
	struct driver_stat *item;
	va_list ap;

	if (stats->item_count >= (int)(sizeof(stats->items) / sizeof(stats->items[0])))
		return;
	item = &stats->items[stats->item_count++];
	snprintf(item->key, sizeof(item->key), "%s", key);
	item->numeric = numeric;
	va_start(ap, fmt);
	vsnprintf(item->value, sizeof(item->value), fmt, ap);
	va_end(ap);
}

int driver_interrupts(const struct driver_target *target)
{
	return target && target->interrupts ? (int)*target->interrupts : 0;
}

/* The wake-up descriptor stays readable after the first interrupt; a wait
 * that outlives it leaves it out and looks at the count every 100 ms. */
enum driver_wait driver_wait_fd(const struct driver_target *target, int fd, bool for_write, double deadline,
				int outlives)
{
	struct pollfd pfd[2];
	int at_start = driver_interrupts(target);

	for (;;) {
		int seen = driver_interrupts(target), n = 1, ms = clock_ms_left(deadline), rc;

		if (seen > outlives)
			return DRIVER_WAIT_INTERRUPTED;
		if (seen != at_start)
			return DRIVER_WAIT_WOKEN;
		pfd[0].fd = fd;
		pfd[0].events = for_write ? POLLOUT : POLLIN;
		pfd[0].revents = 0;
		if (seen == 0 && target && target->interrupt_fd >= 0) {
			pfd[1].fd = target->interrupt_fd;
			pfd[1].events = POLLIN;
			pfd[1].revents = 0;
			n = 2;
		} else if (seen > 0 && ms > 100) {
			ms = 100;
		}
		rc = poll(pfd, (nfds_t)n, ms);
		if (rc < 0 && errno != EINTR)
			return DRIVER_WAIT_READY;   /* let the library meet the error itself */
		if (rc > 0 && pfd[0].revents)
			return DRIVER_WAIT_READY;
		if (rc >= 0 && clock_ms_left(deadline) == 0 && !(n == 2 && pfd[1].revents))
			return DRIVER_WAIT_TIMEOUT;
	}
}
