/* bench_run: times whole process invocations, interleaved.
 *
 *   bench_run [-n RUNS] [-w WARMUP] [-s SEED] [-e ERRLOG] [-b BEFORE] [-a AFTER] SPEC > RAW.csv
 *
 * SPEC has one command a line: LABEL<TAB>ARGV0<TAB>ARGV1... (no PATH search:
 * ARGV0 is a path). An argument "<PATH" is not passed on: the command's
 * standard input comes from PATH instead of /dev/null.
 *
 * BEFORE and AFTER (optional) are hook files in the same format: the hook of
 * a command's label (or the one labelled "*", if the label has none) runs,
 * untimed, just before (BEFORE: reset the database, say) or just after
 * (AFTER: check the command's effect) each of its runs, warm-up included. A
 * failing BEFORE hook skips the run and records exit 2000 + its status; a
 * failing AFTER hook after a run that exited 0 records exit 1000 + its status
 * (a signal N counts as status 128 + N).
 *
 * Every round runs every command once, in an order shuffled per round (-s 0:
 * the file's order each round), so that machine noise and "what ran just
 * before" fall on all commands alike. Each run is spawned with posix_spawn
 * (stdin /dev/null or <PATH, stdout /dev/null, stderr appended to ERRLOG;
 * hooks alike), timed from just before the spawn to wait4()'s return on
 * CLOCK_MONOTONIC, and wait4()'s rusage gives that child's own peak RSS and
 * CPU time.
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
	char *stdin_path;   /* NULL: /dev/null */
	const struct cmd *before, *after;
};

#define MAX_CMDS 64

static struct cmd cmds[MAX_CMDS], befores[MAX_CMDS], afters[MAX_CMDS];
static int ncmds, nbefores, nafters;
static const char *errlog = "/dev/null";

static void die(const char *what)
{
	perror(what);
	exit(3);
}

/* Reads a spec (or hook) file into out[]; returns how many commands. */
static int read_spec(const char *path, struct cmd *out, int max)
{
	FILE *f = fopen(path, "r");
	char *line = NULL, *p, *tab;
	size_t cap = 0;
	ssize_t len;
	int n = 0;

	if (!f)
		die(path);
	while ((len = getline(&line, &cap, f)) > 0) {
		int argc = 0;
		char **argv;

		if (line[len - 1] == '\n')
			line[--len] = '\0';
		if (!len || line[0] == '#')
			continue;
		if (n == max) {
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
		out[n].label = p;
		out[n].stdin_path = NULL;
		for (p = tab + 1; p; p = tab) {
			tab = strchr(p, '\t');
			if (tab)
				*tab++ = '\0';
			if (p[0] == '<' && argc > 0)
				out[n].stdin_path = p + 1;
			else
				argv[argc++] = p;
		}
		argv[argc] = NULL;
		out[n++].argv = argv;
	}
	free(line);
	fclose(f);
	if (!n) {
		fprintf(stderr, "bench_run: %s: no commands\n", path);
		exit(3);
	}
	return n;
}

static const struct cmd *find_hook(const struct cmd *hooks, int n, const char *label)
{
	const struct cmd *any = NULL;
	int i;

	for (i = 0; i < n; i++) {
		if (strcmp(hooks[i].label, label) == 0)
			return &hooks[i];
		if (strcmp(hooks[i].label, "*") == 0)
			any = &hooks[i];
	}
	return any;
}

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

/* stdin from c->stdin_path or /dev/null, stdout /dev/null, stderr appended to errlog */
static void file_actions(const struct cmd *c, posix_spawn_file_actions_t *fa)
{
	if (posix_spawn_file_actions_init(fa) ||
	    posix_spawn_file_actions_addopen(fa, 0, c->stdin_path ? c->stdin_path : "/dev/null", O_RDONLY, 0) ||
	    posix_spawn_file_actions_addopen(fa, 1, "/dev/null", O_WRONLY, 0) ||
	    posix_spawn_file_actions_addopen(fa, 2, errlog, O_WRONLY | O_CREAT | O_APPEND, 0644))
		die("posix_spawn_file_actions");
}

/* An untimed hook: its exit status, 128 + N for signal N, 127 if it could not start. */
static int run_hook(const struct cmd *h)
{
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int status, rc;

	file_actions(h, &fa);
	rc = posix_spawn(&pid, h->argv[0], &fa, NULL, h->argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc != 0) {
		fprintf(stderr, "bench_run: %s: %s\n", h->argv[0], strerror(rc));
		return 127;
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			die("waitpid");
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static void run_one(const struct cmd *c, long round, FILE *out)
{
	posix_spawn_file_actions_t fa;
	struct rusage ru;
	double t0, t1;
	pid_t pid;
	int status, rc, code;

	if (c->before && (rc = run_hook(c->before)) != 0) {
		fprintf(stderr, "bench_run: %s: before hook failed (%d); run skipped\n", c->label, rc);
		if (out)
			fprintf(out, "%ld,%s,0,0,0,%d\n", round, c->label, 2000 + rc);
		return;
	}
	file_actions(c, &fa);
	t0 = now_us();
	rc = posix_spawn(&pid, c->argv[0], &fa, NULL, c->argv, environ);
	if (rc != 0) {   /* recorded as a failed run (exit 127), not fatal */
		posix_spawn_file_actions_destroy(&fa);
		fprintf(stderr, "bench_run: %s: %s\n", c->argv[0], strerror(rc));
		if (out)
			fprintf(out, "%ld,%s,%.1f,0,0,127\n", round, c->label, now_us() - t0);
		return;
	}
	while (wait4(pid, &status, 0, &ru) < 0)
		if (errno != EINTR)
			die("wait4");
	t1 = now_us();
	posix_spawn_file_actions_destroy(&fa);
	code = WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
	if (c->after && (rc = run_hook(c->after)) != 0) {
		fprintf(stderr, "bench_run: %s: after hook failed (%d)\n", c->label, rc);
		if (code == 0)
			code = 1000 + rc;
	}
	if (out)
		fprintf(out, "%ld,%s,%.1f,%ld,%ld,%d\n", round, c->label, t1 - t0,
			(long)(ru.ru_utime.tv_sec * 1000000L + ru.ru_utime.tv_usec +
			       ru.ru_stime.tv_sec * 1000000L + ru.ru_stime.tv_usec),
			ru.ru_maxrss, code);
}

int main(int argc, char **argv)
{
	static const char usage[] =
		"usage: bench_run [-n RUNS] [-w WARMUP] [-s SEED] [-e ERRLOG] [-b BEFORE] [-a AFTER] SPEC\n";
	long runs = 200, warmup = 3, round;
	unsigned long seed = 1;
	const char *before = NULL, *after = NULL;
	int order[MAX_CMDS], i, j, opt, t;

	while ((opt = getopt(argc, argv, "n:w:s:e:b:a:")) != -1) {
		switch (opt) {
		case 'n': runs = atol(optarg); break;
		case 'w': warmup = atol(optarg); break;
		case 's': seed = strtoul(optarg, NULL, 0); break;
		case 'e': errlog = optarg; break;
		case 'b': before = optarg; break;
		case 'a': after = optarg; break;
		default:
			fputs(usage, stderr);
			return 3;
		}
	}
	if (optind != argc - 1 || runs < 1 || warmup < 0) {
		fputs(usage, stderr);
		return 3;
	}
	ncmds = read_spec(argv[optind], cmds, MAX_CMDS);
	if (before)
		nbefores = read_spec(before, befores, MAX_CMDS);
	if (after)
		nafters = read_spec(after, afters, MAX_CMDS);
	for (i = 0; i < ncmds; i++) {
		cmds[i].before = find_hook(befores, nbefores, cmds[i].label);
		cmds[i].after = find_hook(afters, nafters, cmds[i].label);
	}
	srandom((unsigned)seed);

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
			run_one(&cmds[order[i]], round, round >= 0 ? stdout : NULL);
		if (round >= 0 && isatty(2) && (round + 1) % 20 == 0)
			fprintf(stderr, "\rbench_run: %ld/%ld rounds", round + 1, runs);
	}
	if (isatty(2))
		fputc('\n', stderr);
	return fflush(stdout) == 0 ? 0 : 3;
}
