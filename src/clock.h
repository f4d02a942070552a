/* Monotonic time in seconds, and deadlines built from it. */
#ifndef DBCTL_CLOCK_H
#define DBCTL_CLOCK_H

/* Seconds on the monotonic clock; only differences mean anything. */
double clock_now(void);

/* Milliseconds left until deadline (>= 0), capped to fit poll()'s int. */
int clock_ms_left(double deadline);

/* The earlier of now + seconds and deadline; seconds < 0 means "no limit". */
double clock_deadline(double seconds, double deadline);

#endif
