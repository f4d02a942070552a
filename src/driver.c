/* Helpers shared by every driver module: result and statistics containers. */
#include "driver.h"

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
