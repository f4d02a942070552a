/* The shell's line editor, a module (dbctl-edit.so, libedit) so that only
 * `dbctl shell` on a terminal pays for loading libedit and ncurses. */
#ifndef DBCTL_LINEEDIT_H
#define DBCTL_LINEEDIT_H

#include <stdio.h>

#define LINEEDIT_ABI_VERSION 1
#define LINEEDIT_ENTRY_SYMBOL "dbctl_lineedit_entry"

struct line_editor;   /* defined by the module */

/* Candidates for the word before the cursor: a NULL-terminated array of
 * malloc()ed strings, which the editor frees; NULL for none. `line` is the
 * text from the start of the line up to the cursor, `word` its last word. */
typedef char **(*lineedit_complete_fn)(void *context, const char *line, const char *word);

struct lineedit {
	int abi_version;
	struct line_editor *(*open)(const char *program, FILE *in, FILE *out, FILE *errors);
	/* 1 with *line (the editor's, valid until the next call, newline removed),
	 * 0 at end of input (Ctrl-D), -1 when a signal interrupted the reading (Ctrl-C) */
	int (*read)(struct line_editor *editor, const char *prompt, const char **line);
	void (*add_history)(struct line_editor *editor, const char *line);
	/* The history file is created with mode 0600 (it may hold data); 0 or -1. */
	int (*load_history)(struct line_editor *editor, const char *path);
	int (*save_history)(struct line_editor *editor, const char *path);
	void (*set_completion)(struct line_editor *editor, lineedit_complete_fn complete, void *context);
	void (*close)(struct line_editor *editor);
};

typedef const struct lineedit *(*lineedit_entry_fn)(void);

#endif
