/* dbctl shell on a terminal: the interactive, transactional session. */
#ifndef DBCTL_SHELL_H
#define DBCTL_SHELL_H

#include "engine.h"
#include "output.h"

#include <stdbool.h>

struct shell_options {
	enum output_format format;
	bool expanded;
	bool autocommit;
	const char *profile;         /* for the prompt; NULL when none was chosen */
	const char *history_path;    /* NULL: no history file */
	/* masks known passwords in buf, as every other command's errors are masked */
	void (*scrub)(void *context, char *buf, size_t size);
	void *scrub_context;
};

/* Runs the read-eval-print loop until \q or end of input; returns the exit code. */
int shell_interactive(struct engine *engine, const struct shell_options *options, struct err *err);

#endif
