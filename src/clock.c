/* Monotonic clock helpers for deadlines. */
#include "clock.h"

#include <time.h>

double clock_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int clock_ms_left(double deadline)
{
	double left = (deadline - clock_now()) * 1000.0;

	if (left <= 0)
		return 0;
	if (left > 1e9)
		return 1000000000;
	return (int)left + 1;   /* round up: waking early only spins once more */
}

double clock_deadline(double seconds, double deadline)
{
	double own;

	if (seconds < 0)
		return deadline;
	own = clock_now() + seconds;
	return own < deadline ? own : deadline;
}
