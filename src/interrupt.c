/* Interrupt state shared by the runner and the drivers' waits. */
#include "interrupt.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

static volatile sig_atomic_t count;
/* Never drained: once written it stays readable, so no wait can miss it. */
static int wake[2] = { -1, -1 };

void interrupt_init(void)
{
	if (wake[0] >= 0 || pipe(wake) != 0)
		return;
	fcntl(wake[0], F_SETFD, FD_CLOEXEC);
	fcntl(wake[1], F_SETFD, FD_CLOEXEC);
	fcntl(wake[1], F_SETFL, O_NONBLOCK);
	fcntl(wake[0], F_SETFL, O_NONBLOCK);   /* for interrupt_reset's drain; waits poll it */
}

void interrupt_raise(void)
{
	int saved = errno;

	if (count < 1000)
		count++;
	if (wake[1] >= 0 && write(wake[1], "!", 1) < 0) {
		/* a full pipe is readable already */
	}
	errno = saved;
}

void interrupt_reset(void)
{
	char drain[64];

	count = 0;
	while (wake[0] >= 0 && read(wake[0], drain, sizeof(drain)) > 0) {
		/* until empty */
	}
}

const volatile sig_atomic_t *interrupt_counter(void)
{
	return &count;
}

int interrupt_fd(void)
{
	return wake[0];
}
