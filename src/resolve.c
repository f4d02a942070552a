/* Name resolution in a child process, so that a DNS server that never answers costs no more than the deadline. */
#include "resolve.h"
#include "clock.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
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
	pid_t child;          /* 0: the answer is already in text, or comes from a thread */
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

static void write_all(int fd, const char *text, size_t len)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = write(fd, text + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		done += (size_t)n;
	}
}

static void child_lookup(const char *host, int fd, pid_t parent, const sigset_t *parent_mask)
{
	static const int reset[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE, SIGALRM };
	char text[RESOLVE_MAX_ADDRS * RESOLVE_ADDR_SIZE + 32];
	size_t len, i;

	/* the parent's handlers (cancel, roll back, print) are not ours to run;
	 * signals stay blocked from the fork until they are reset, so that an
	 * interrupt sent to the process group never runs them here */
	for (i = 0; i < sizeof(reset) / sizeof(reset[0]); i++)
		signal(reset[i], SIG_DFL);
	pthread_sigmask(SIG_SETMASK, parent_mask, NULL);
#ifdef __linux__
	prctl(PR_SET_PDEATHSIG, SIGKILL);
#endif
	if (getppid() != parent)   /* the parent died before the line above */
		_exit(0);
	len = lookup(host, 0, text, sizeof(text));
	write_all(fd, text, len);
	close(fd);   /* the end of the answer, before this process's teardown */
	_exit(0);
}

/* The thread fallback's own copy of what it needs: the job may be freed,
 * and the read end closed, while the lookup still runs. */
struct thread_lookup {
	char *host;
	int fd;
};

static void *thread_lookup_run(void *arg)
{
	struct thread_lookup *t = arg;
	char text[RESOLVE_MAX_ADDRS * RESOLVE_ADDR_SIZE + 32];
	size_t len = lookup(t->host, 0, text, sizeof(text));

	/* an abandoned reader makes this EPIPE: dbctl ignores SIGPIPE */
	write_all(t->fd, text, len);
	close(t->fd);
	free(t->host);
	free(t);
	return NULL;
}

/* When no child can be had (a process limit, a sandbox that forbids fork):
 * a detached thread, which cannot be killed at the deadline but is not
 * waited for either. False when no thread can be had either. */
static bool start_thread(struct resolve_job *job, const int fds[2])
{
	struct thread_lookup *t = malloc(sizeof(*t));
	pthread_attr_t attr;
	pthread_t thread;
	sigset_t all, old;
	int rc;

	if (!t || !(t->host = strdup(job->host))) {
		free(t);
		return false;
	}
	t->fd = fds[1];
	/* a pager or editor started while the lookup runs must not hold it open;
	 * set before the thread may close it and its number be reused */
	fcntl(fds[1], F_SETFD, FD_CLOEXEC);
	/* the thread takes no signal: the main thread's handlers stay where they expect to run */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	rc = pthread_create(&thread, &attr, thread_lookup_run, t);
	pthread_attr_destroy(&attr);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		free(t->host);
		free(t);
		return false;
	}
	fcntl(fds[0], F_SETFD, FD_CLOEXEC);
	job->fd = fds[0];
	return true;
}

/* The first source of nsswitch.conf's "hosts:" line is "files". Without the
 * file, glibc asks DNS first. */
static bool files_come_first(void)
{
	FILE *f = fopen("/etc/nsswitch.conf", "re");
	char line[512], first[16];
	bool yes = false;

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, " hosts: %15s", first) == 1) {
			yes = strcmp(first, "files") == 0;
			break;
		}
	fclose(f);
	return yes;
}

static bool in_etc_hosts(const char *host)
{
	FILE *f = fopen("/etc/hosts", "re");
	char line[1024];
	bool found = false;

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		char *save = NULL, *word;

		line[strcspn(line, "#")] = '\0';
		if (!strtok_r(line, " \t\r\n", &save))   /* the address */
			continue;
		while (!found && (word = strtok_r(NULL, " \t\r\n", &save)))
			found = strcasecmp(word, host) == 0;
	}
	fclose(f);
	return found;
}

/* A name /etc/hosts answers before anything else is asked (localhost, say)
 * needs no child: getaddrinfo reads local files and never waits on the
 * network, and the fork (about 0.35 ms) would cost a Redis ping a fifth. */
static bool answered_by_files(const char *host)
{
	return in_etc_hosts(host) && files_come_first();
}

/* Once fork has failed, every later lookup goes to a thread: a child forked
 * while a thread's lookup runs would inherit the thread's end of its pipe and
 * hold back the end of its answer until that child exits. */
static bool fork_failed;

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
	if (answered_by_files(host)) {
		job->length = lookup(host, 0, job->text, sizeof(job->text));
		return job;
	}
	if (pipe(fds) == 0) {
		pid_t parent = getpid();
		sigset_t all, old;

		sigfillset(&all);
		pthread_sigmask(SIG_SETMASK, &all, &old);
		job->child = fork_failed ? -1 : fork();   /* the child ends with _exit: nothing buffered is written twice */
		if (job->child == 0) {
			close(fds[0]);
			child_lookup(host, fds[1], parent, &old);
		}
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		if (job->child > 0) {
			close(fds[1]);
			fcntl(fds[0], F_SETFD, FD_CLOEXEC);
			job->fd = fds[0];
			return job;
		}
		job->child = 0;
		fork_failed = true;
		if (start_thread(job, fds))
			return job;
		close(fds[0]);
		close(fds[1]);
	}
	/* no child and no thread to be had: unbounded, as libpq would be */
	job->length = lookup(host, 0, job->text, sizeof(job->text));
	return job;
}

enum answer { ANSWER_COMPLETE, ANSWER_TIMED_OUT, ANSWER_INTERRUPTED };

/* Reads the lookup's answer (child or thread) until it ends, the deadline
 * passes or an interrupt comes: a lookup that hangs must not hold off Ctrl-C. */

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

/* A child that has answered is still exiting: it is reaped by the next
 * lookup (or by init after dbctl exits) instead of being waited for. */
static pid_t exiting[RESOLVE_MAX_ADDRS];

static void reap_exiting(void)
{
	size_t i;

	for (i = 0; i < RESOLVE_MAX_ADDRS; i++)
		if (exiting[i] > 0 && waitpid(exiting[i], NULL, WNOHANG) != 0)
			exiting[i] = 0;
}

static void end_child(struct resolve_job *job, bool kill_it)
{
	size_t i;

	if (job->fd >= 0)
		close(job->fd);
	if (job->child <= 0)
		return;
	reap_exiting();
	if (kill_it)
		kill(job->child, SIGKILL);
	else if (waitpid(job->child, NULL, WNOHANG) != 0)
		return;
	for (i = 0; !kill_it && i < RESOLVE_MAX_ADDRS; i++)
		if (exiting[i] == 0) {
			exiting[i] = job->child;
			return;
		}
	while (waitpid(job->child, NULL, 0) < 0 && errno == EINTR)
		;
}

int resolve_finish(struct resolve_job *job, const struct driver_target *target, double deadline,
		   char (*addrs)[RESOLVE_ADDR_SIZE], size_t *count, struct err *err)
{
	enum answer answer = job->fd < 0 ? ANSWER_COMPLETE : read_answer(job, target, deadline);
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
