/* fork, exec and read both pipes to their ends. */
#include "subprocess.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

char **subprocess_environment(const char *const *drop, const char *const *extra, size_t extra_count)
{
	size_t count = 0, n = 0, i, j;
	char **env;

	for (i = 0; environ[i]; i++)
		count++;
	env = calloc(count + extra_count + 1, sizeof(*env));
	if (!env)
		abort();
	for (i = 0; environ[i]; i++) {
		bool dropped = false;

		for (j = 0; drop && drop[j] && !dropped; j++)
			dropped = strncmp(environ[i], drop[j], strlen(drop[j])) == 0;
		if (!dropped && !(env[n++] = strdup(environ[i])))
			abort();
	}
	for (i = 0; i < extra_count; i++)
		if (extra[i] && !(env[n++] = strdup(extra[i])))
			abort();
	return env;
}

void subprocess_environment_release(char **env)
{
	size_t i;

	for (i = 0; env && env[i]; i++)
		free(env[i]);
	free(env);
}

static void collect(int out_fd, int err_fd, struct strbuf *out, struct strbuf *errors)
{
	struct pollfd fds[2] = { { out_fd, POLLIN, 0 }, { err_fd, POLLIN, 0 } };
	char buffer[65536];

	while (fds[0].fd >= 0 || fds[1].fd >= 0) {
		int i;

		if (poll(fds, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (i = 0; i < 2; i++) {
			ssize_t got;

			if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			got = read(fds[i].fd, buffer, sizeof(buffer));
			if (got > 0) {
				strbuf_add(i == 0 ? out : errors, buffer, (size_t)got);
			} else if (got == 0 || errno != EINTR) {
				close(fds[i].fd);
				fds[i].fd = -1;
			}
		}
	}
	if (fds[0].fd >= 0)
		close(fds[0].fd);
	if (fds[1].fd >= 0)
		close(fds[1].fd);
}

int subprocess_run(const char *path, char *const argv[], char *const env[], struct strbuf *out, struct strbuf *errors)
{
	int out_pipe[2], err_pipe[2], status = 0;
	pid_t child;

	if (pipe(out_pipe) != 0) {
		strbuf_addf(errors, "%s", strerror(errno));
		return -1;
	}
	if (pipe(err_pipe) != 0) {
		strbuf_addf(errors, "%s", strerror(errno));
		close(out_pipe[0]);
		close(out_pipe[1]);
		return -1;
	}
	child = fork();
	if (child == 0) {
		int null = open("/dev/null", O_RDONLY);

		if (null >= 0)
			dup2(null, 0);
		dup2(out_pipe[1], 1);
		dup2(err_pipe[1], 2);
		close(out_pipe[0]);
		close(err_pipe[0]);
		close(out_pipe[1]);
		close(err_pipe[1]);
		execve(path, argv, env);
		_exit(127);
	}
	close(out_pipe[1]);
	close(err_pipe[1]);
	if (child < 0) {
		strbuf_addf(errors, "%s", strerror(errno));
		close(out_pipe[0]);
		close(err_pipe[0]);
		return -1;
	}
	collect(out_pipe[0], err_pipe[0], out, errors);
	while (waitpid(child, &status, 0) < 0 && errno == EINTR)
		;
	while (errors->len && errors->buf[errors->len - 1] == '\n')
		errors->buf[--errors->len] = '\0';
	if (!WIFEXITED(status)) {
		if (!errors->len)
			strbuf_addf(errors, "killed by signal %d", WIFSIGNALED(status) ? WTERMSIG(status) : 0);
		return -1;
	}
	return WEXITSTATUS(status);
}

int subprocess_capture(const char *path, char *const argv[], char *const env[], struct strbuf *out, struct err *err)
{
	struct strbuf errors;
	int rc = 0;

	strbuf_init(&errors);
	if (subprocess_run(path, argv, env, out, &errors) != 0)
		rc = err_set(err, EXIT_FAILED, "%s failed: %s", path, errors.len ? errors.buf : "no message");
	strbuf_release(&errors);
	return rc;
}

bool subprocess_find(const char *name, char *path, size_t size)
{
	const char *dirs = getenv("PATH"), *p;
	struct stat st;

	for (p = dirs ? dirs : "/usr/bin:/bin"; *p;) {
		size_t len = strcspn(p, ":");

		snprintf(path, size, "%.*s/%s", (int)len, len ? p : ".", name);
		if (stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0)
			return true;
		p += len + (p[len] == ':');
	}
	return false;
}
