/* bench_run: times whole process invocations, interleaved.
 *
 *   bench_run [-n RUNS] [-w WARMUP] [-s SEED] [-e ERRLOG] SPEC > RAW.csv
 *
 * SPEC has one command a line: LABEL<TAB>ARGV0<TAB>ARGV1... (no PATH search:
 * ARGV0 is a path). Every round runs every command once, in an order shuffled
 * per round (-s 0: the file's order each round), so that machine noise and
 * "what ran just before" fall on all commands alike. Each run is spawned with
 * posix_spawn (stdin and stdout /dev/null, stderr appended to ERRLOG), timed
 * from just before the spawn to wait4()'s return on CLOCK_MONOTONIC, and
 * wait4()'s rusage gives that child's own peak RSS and CPU time.
 *
 * Output CSV: round,label,wall_us,cpu_us,maxrss_kib,exit (exit -N: signal N).
 * WARMUP rounds (default 3) run first and are not written. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

struct cmd {
	char *label;
	char **argv;
};

static struct cmd cmds[64];
static int ncmds;

static void die(const char *what)
{
	perror(what);
	exit(3);
}

static void read_spec(const char *path)
{
	FILE *f = fopen(path, "r");
	char *line = NULL, *p, *tab;
	size_t cap = 0;
	ssize_t len;

	if (!f)
		die(path);
	while ((len = getline(&line, &cap, f)) > 0) {
		int argc = 0;
		char **argv;

		if (line[len - 1] == '\n')
			line[--len] = '\0';
		if (!len || line[0] == '#')
			continue;
		if (ncmds == (int)(sizeof(cmds) / sizeof(cmds[0]))) {
			fprintf(stderr, "bench_run: too many commands\n");
			exit(3);
		}
		argv = calloc((size_t)len + 2, sizeof(char *));
		p = strdup(line);
		if (!argv || !p)
			die("calloc");
		tab = strchr(p, '\t');
		if (!tab) {
			fprintf(stderr, "bench_run: %s: no command after label '%s'\n", path, p);
			exit(3);
		}
		*tab = '\0';
		cmds[ncmds].label = p;
		for (p = tab + 1; p; p = tab) {
			tab = strchr(p, '\t');
			if (tab)
				*tab++ = '\0';
			argv[argc++] = p;
		}
		argv[argc] = NULL;
		cmds[ncmds++].argv = argv;
	}
	free(line);
	fclose(f);
	if (!ncmds) {
		fprintf(stderr, "bench_run: %s: no commands\n", path);
		exit(3);
	}
}

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static void run_one(const struct cmd *c, const posix_spawn_file_actions_t *fa, long round, FILE *out)
{
	struct rusage ru;
	double t0, t1;
	pid_t pid;
	int status, rc, code;

	t0 = now_us();
	rc = posix_spawn(&pid, c->argv[0], fa, NULL, c->argv, environ);
	if (rc != 0) {   /* recorded as a failed run (exit 127), not fatal */
		fprintf(stderr, "bench_run: %s: %s\n", c->argv[0], strerror(rc));
		if (out)
			fprintf(out, "%ld,%s,%.1f,0,0,127\n", round, c->label, now_us() - t0);
		return;
	}
	while (wait4(pid, &status, 0, &ru) < 0)
		if (errno != EINTR)
			die("wait4");
	t1 = now_us();
	code = WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
	if (out)
		fprintf(out, "%ld,%s,%.1f,%ld,%ld,%d\n", round, c->label, t1 - t0,
			(long)(ru.ru_utime.tv_sec * 1000000L + ru.ru_utime.tv_usec +
			       ru.ru_stime.tv_sec * 1000000L + ru.ru_stime.tv_usec),
			ru.ru_maxrss, code);
}

int main(int argc, char **argv)
{
	long runs = 200, warmup = 3, round;
	unsigned long seed = 1;
	const char *errlog = "/dev/null";
	posix_spawn_file_actions_t fa;
	int order[64], i, j, opt, t;

	while ((opt = getopt(argc, argv, "n:w:s:e:")) != -1) {
		switch (opt) {
		case 'n': runs = atol(optarg); break;
		case 'w': warmup = atol(optarg); break;
		case 's': seed = strtoul(optarg, NULL, 0); break;
		case 'e': errlog = optarg; break;
		default:
			fprintf(stderr, "usage: bench_run [-n RUNS] [-w WARMUP] [-s SEED] [-e ERRLOG] SPEC\n");
			return 3;
		}
	}
	if (optind != argc - 1 || runs < 1 || warmup < 0) {
		fprintf(stderr, "usage: bench_run [-n RUNS] [-w WARMUP] [-s SEED] [-e ERRLOG] SPEC\n");
		return 3;
	}
	read_spec(argv[optind]);
	srandom((unsigned)seed);
	if (posix_spawn_file_actions_init(&fa) ||
	    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0) ||
	    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0) ||
	    posix_spawn_file_actions_addopen(&fa, 2, errlog, O_WRONLY | O_CREAT | O_APPEND, 0644))
		die("posix_spawn_file_actions");

	printf("round,label,wall_us,cpu_us,maxrss_kib,exit\n");
	for (round = -warmup; round < runs; round++) {
		for (i = 0; i < ncmds; i++)
			order[i] = i;
		if (seed)   /* Fisher-Yates */
			for (i = ncmds - 1; i > 0; i--) {
				j = (int)(random() % (i + 1));
				t = order[i], order[i] = order[j], order[j] = t;
			}
		for (i = 0; i < ncmds; i++)
			run_one(&cmds[order[i]], &fa, round, round >= 0 ? stdout : NULL);
		if (round >= 0 && isatty(2) && (round + 1) % 20 == 0)
			fprintf(stderr, "\rbench_run: %ld/%ld rounds", round + 1, runs);
	}
	if (isatty(2))
		fputc('\n', stderr);
	posix_spawn_file_actions_destroy(&fa);
	return fflush(stdout) == 0 ? 0 : 3;
}
