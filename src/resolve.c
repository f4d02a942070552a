/* Name resolution in a child process, so that a DNS server that never answers costs no more than the deadline. */
#include "resolve.h"
#include "clock.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

/* A child rather than a thread: a lookup that outlives its deadline is
 * killed, not left running (one more with each retry of --wait or profile
 * of --all) until the process exits. */
struct resolve_job {
	char *host;
	pid_t child;          /* 0: the answer is already in text */
	int fd;               /* the child's answer; -1 when none */
	char text[RESOLVE_MAX_ADDRS * RESOLVE_ADDR_SIZE + 32];   /* "STATUS\nADDR\nADDR\n..." */
	size_t length;
};

/* getaddrinfo's status and up to RESOLVE_MAX_ADDRS numeric addresses, one a line. */
static size_t lookup(const char *host, int flags, char *out, size_t size)
{
	struct addrinfo hints, *result = NULL, *ai;
	char addr[RESOLVE_ADDR_SIZE];
	size_t len, count = 0;
	int status;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = flags;
	status = getaddrinfo(host, NULL, &hints, &result);
	len = (size_t)snprintf(out, size, "%d\n", status);
	for (ai = status == 0 ? result : NULL; ai && count < RESOLVE_MAX_ADDRS; ai = ai->ai_next) {
		if (getnameinfo(ai->ai_addr, ai->ai_addrlen, addr, sizeof(addr), NULL, 0, NI_NUMERICHOST) != 0)
			continue;
		len += (size_t)snprintf(out + len, size - len, "%s\n", addr);
		count++;
	}
	if (result)
		freeaddrinfo(result);
	return len;
}

static void child_lookup(const char *host, int fd)
{
	static const int reset[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE, SIGALRM };
	char text[RESOLVE_MAX_ADDRS * RESOLVE_ADDR_SIZE + 32];
	size_t len, done = 0, i;

	/* the parent's handlers (cancel, roll back, print) are not ours to run */
	for (i = 0; i < sizeof(reset) / sizeof(reset[0]); i++)
		signal(reset[i], SIG_DFL);
#ifdef __linux__
	prctl(PR_SET_PDEATHSIG, SIGKILL);
#endif
	len = lookup(host, 0, text, sizeof(text));
	while (done < len) {
		ssize_t n = write(fd, text + done, len - done);

		if (n <= 0)
			break;
		done += (size_t)n;
	}
	_exit(0);
}

struct resolve_job *resolve_start(const char *host)
{
	struct resolve_job *job = calloc(1, sizeof(*job));
	int fds[2];

	if (!job || !(job->host = strdup(host)))
		abort();
	job->fd = -1;
	/* a numeric address needs no lookup, and no child */
	job->length = lookup(host, AI_NUMERICHOST, job->text, sizeof(job->text));
	if (atoi(job->text) == 0)
		return job;
	job->length = 0;
	if (pipe(fds) == 0) {
		job->child = fork();   /* the child ends with _exit: nothing buffered is written twice */
		if (job->child == 0) {
			close(fds[0]);
			child_lookup(host, fds[1]);
		}
		close(fds[1]);
		if (job->child > 0) {
			fcntl(fds[0], F_SETFD, FD_CLOEXEC);
			job->fd = fds[0];
			return job;
		}
		close(fds[0]);
		job->child = 0;
	}
	/* no child to be had: unbounded, as libpq would be */
	job->length = lookup(host, 0, job->text, sizeof(job->text));
	return job;
}

/* Reads the child's answer until it ends, the deadline passes or an
 * interrupt comes (a lookup that hangs must not hold off Ctrl-C). */
enum answer { ANSWER_COMPLETE, ANSWER_TIMED_OUT, ANSWER_INTERRUPTED };

static enum answer read_answer(struct resolve_job *job, const struct driver_target *target, double deadline)
{
	for (;;) {
		ssize_t n;
		enum driver_wait waited = driver_wait_fd(target, job->fd, false, deadline, 0);

		if (waited == DRIVER_WAIT_TIMEOUT)
			return ANSWER_TIMED_OUT;
		if (waited != DRIVER_WAIT_READY)
			return ANSWER_INTERRUPTED;
		n = read(job->fd, job->text + job->length, sizeof(job->text) - 1 - job->length);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return ANSWER_COMPLETE;
		job->length += (size_t)n;
		if (job->length == sizeof(job->text) - 1)
			return ANSWER_COMPLETE;
	}
}

static void end_child(struct resolve_job *job, bool kill_it)
{
	if (job->fd >= 0)
		close(job->fd);
	if (job->child <= 0)
		return;
	if (kill_it)
		kill(job->child, SIGKILL);
	while (waitpid(job->child, NULL, 0) < 0 && errno == EINTR)
		;
}

int resolve_finish(struct resolve_job *job, const struct driver_target *target, double deadline,
		   char (*addrs)[RESOLVE_ADDR_SIZE], size_t *count, struct err *err)
{
	enum answer answer = job->child <= 0 ? ANSWER_COMPLETE : read_answer(job, target, deadline);
	bool complete = answer == ANSWER_COMPLETE;
	char *line, *next;
	int status, rc = 0;

	*count = 0;
	end_child(job, !complete);
	job->text[job->length] = '\0';
	status = atoi(job->text);
	if (answer == ANSWER_INTERRUPTED) {
		rc = err_set(err, EXIT_INTERRUPTED, "interrupted while resolving host name \"%s\": nothing was sent",
			     job->host);
	} else if (!complete) {
		rc = err_set(err, EXIT_NO_ANSWER, "timed out resolving host name \"%s\"", job->host);
	} else if (job->length == 0 || status != 0) {
		rc = err_set(err, EXIT_NO_ANSWER, "could not translate host name \"%s\" to address: %s", job->host,
			     job->length ? gai_strerror(status) : "the lookup failed");
	} else {
		line = strchr(job->text, '\n');
		for (; line && line[1] && *count < RESOLVE_MAX_ADDRS; line = next) {
			next = strchr(line + 1, '\n');
			if (!next)
				break;
			*next = '\0';
			snprintf(addrs[(*count)++], RESOLVE_ADDR_SIZE, "%s", line + 1);
			*next = '\n';
		}
		if (*count == 0)
			rc = err_set(err, EXIT_NO_ANSWER, "could not translate host name \"%s\" to address", job->host);
	}
	if (rc != 0)
		err->stage = STAGE_NONE;
	free(job->host);
	free(job);
	return rc;
}
