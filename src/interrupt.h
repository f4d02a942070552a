/* The process's Ctrl-C/SIGTERM state: how many arrived, and a descriptor
 * that becomes readable at the first, so that a driver's wait on its socket
 * wakes up instead of sleeping through it. */
#ifndef DBCTL_INTERRUPT_H
#define DBCTL_INTERRUPT_H

#include <signal.h>

/* Makes the wake-up pipe; call once, before any handler can run. */
void interrupt_init(void);

/* Counts one interrupt and wakes every wait; async-signal-safe. */
void interrupt_raise(void);

/* Forgets every interrupt, for a process that outlives them (the
 * interactive shell, before its next statement); no wait may be running. */
void interrupt_reset(void);

/* For struct driver_target: the count, and the descriptor (-1 without one). */
const volatile sig_atomic_t *interrupt_counter(void);
int interrupt_fd(void);

#endif
