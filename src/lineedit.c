/* Line editor module over libedit: emacs keys, history with Ctrl-R search,
 * Tab completion through the shell's callback. */
#include "lineedit.h"

#include <errno.h>
#include <fcntl.h>
#include <histedit.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct line_editor {
	EditLine *el;
	History *history;
	HistEvent event;
	const char *prompt;              /* borrowed for one read */
	lineedit_complete_fn complete;
	void *complete_context;
	FILE *out;
};

static char *prompt_of(EditLine *el)
{
	struct line_editor *editor = NULL;

	el_get(el, EL_CLIENTDATA, &editor);
	return (char *)(editor && editor->prompt ? editor->prompt : "");
}

/* Completion words are names: letters, digits, _, $, . for schema.table,
 * and " or ` for a name typed quoted. */
static bool is_word_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '$' ||
	       c == '.' || c == '\\' || c == '"' || c == '`' || (unsigned char)c >= 0x80;
}

static void free_candidates(char **candidates)
{
	size_t i;

	for (i = 0; candidates && candidates[i]; i++)
		free(candidates[i]);
	free(candidates);
}

static void list_candidates(struct line_editor *editor, char **candidates)
{
	size_t i, width = 0, columns, count = 0;

	for (i = 0; candidates[i]; i++, count++)
		if (strlen(candidates[i]) > width)
			width = strlen(candidates[i]);
	columns = 80 / (width + 2);
	if (columns == 0)
		columns = 1;
	fputc('\n', editor->out);
	for (i = 0; i < count; i++)
		fprintf(editor->out, "%-*s%s", (int)width + 2, candidates[i],
			(i + 1) % columns == 0 || i + 1 == count ? "\n" : "");
}

/* Tab: one candidate is completed; several are completed to their common
 * prefix, and listed when that adds nothing. */
static unsigned char on_tab(EditLine *el, int ch)
{
	struct line_editor *editor = NULL;
	const LineInfo *info = el_line(el);
	const char *start = info->cursor;
	char *line, *word;
	char **candidates;
	size_t word_len, common, i;
	unsigned char result = CC_REFRESH;

	(void)ch;
	el_get(el, EL_CLIENTDATA, &editor);
	if (!editor || !editor->complete)
		return CC_ERROR;
	while (start > info->buffer && is_word_char(start[-1]))
		start--;
	line = strndup(info->buffer, (size_t)(info->cursor - info->buffer));
	word = strndup(start, (size_t)(info->cursor - start));
	if (!line || !word) {
		free(line);
		free(word);
		return CC_ERROR;
	}
	word_len = strlen(word);
	candidates = editor->complete(editor->complete_context, line, word);
	if (!candidates || !candidates[0]) {
		result = CC_ERROR;   /* a bell: nothing fits */
	} else if (!candidates[1]) {
		el_insertstr(el, candidates[0] + word_len);
		el_insertstr(el, " ");
	} else {
		common = strlen(candidates[0]);
		for (i = 1; candidates[i]; i++) {
			size_t j = 0;

			while (j < common && candidates[i][j] == candidates[0][j])
				j++;
			common = j;
		}
		if (common > word_len) {
			char *prefix = strndup(candidates[0] + word_len, common - word_len);

			if (prefix)
				el_insertstr(el, prefix);
			free(prefix);
		} else {
			list_candidates(editor, candidates);
			result = CC_REDISPLAY;
		}
	}
	free_candidates(candidates);
	free(line);
	free(word);
	return result;
}

static struct line_editor *editor_open(const char *program, FILE *in, FILE *out, FILE *errors)
{
	struct line_editor *editor = calloc(1, sizeof(*editor));

	if (!editor)
		return NULL;
	editor->out = out;
	editor->el = el_init(program, in, out, errors);
	editor->history = history_init();
	if (!editor->el || !editor->history) {
		if (editor->el)
			el_end(editor->el);
		if (editor->history)
			history_end(editor->history);
		free(editor);
		return NULL;
	}
	history(editor->history, &editor->event, H_SETSIZE, 2000);
	history(editor->history, &editor->event, H_SETUNIQUE, 1);
	el_set(editor->el, EL_CLIENTDATA, editor);
	el_set(editor->el, EL_EDITOR, "emacs");
	el_set(editor->el, EL_PROMPT, prompt_of);
	el_set(editor->el, EL_HIST, history, editor->history);
	/* wide literals: el_set converts narrow ones into copies it never frees */
	el_wset(editor->el, EL_ADDFN, L"dbctl-complete", L"complete a name or keyword", on_tab);
	el_set(editor->el, EL_BIND, "^I", "dbctl-complete", NULL);
	/* Ctrl-R searches history backwards, as in readline */
	el_set(editor->el, EL_BIND, "^R", "em-inc-search-prev", NULL);
	/* ~/.editrc, as every libedit program reads it */
	el_source(editor->el, NULL);
	return editor;
}

static int editor_read(struct line_editor *editor, const char *prompt, const char **line)
{
	const char *text;
	int count = 0;
	size_t len;

	editor->prompt = prompt;
	errno = 0;
	text = el_gets(editor->el, &count);
	if (!text)
		return count < 0 && errno == EINTR ? -1 : 0;
	/* the line is the editor's; dropping its newline in place is allowed */
	len = strlen(text);
	if (len && text[len - 1] == '\n')
		((char *)text)[len - 1] = '\0';
	*line = text;
	return 1;
}

static void editor_add_history(struct line_editor *editor, const char *line)
{
	history(editor->history, &editor->event, H_ENTER, line);
}

static int editor_load_history(struct line_editor *editor, const char *path)
{
	return history(editor->history, &editor->event, H_LOAD, path) < 0 ? -1 : 0;
}

/* Written through a descriptor opened 0600, and fixed to 0600 if it existed wider. */
static int editor_save_history(struct line_editor *editor, const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	FILE *file;
	int rc;

	if (fd < 0)
		return -1;
	if (fchmod(fd, 0600) != 0) {
		close(fd);
		return -1;
	}
	file = fdopen(fd, "w");
	if (!file) {
		close(fd);
		return -1;
	}
	rc = history(editor->history, &editor->event, H_SAVE_FP, file) < 0 ? -1 : 0;
	if (fclose(file) != 0)
		rc = -1;
	return rc;
}

static void editor_set_completion(struct line_editor *editor, lineedit_complete_fn complete, void *context)
{
	editor->complete = complete;
	editor->complete_context = context;
}

static void editor_close(struct line_editor *editor)
{
	if (!editor)
		return;
	el_end(editor->el);
	history_end(editor->history);
	free(editor);
}

static const struct lineedit libedit_editor = {
	.abi_version = LINEEDIT_ABI_VERSION,
	.open = editor_open,
	.read = editor_read,
	.add_history = editor_add_history,
	.load_history = editor_load_history,
	.save_history = editor_save_history,
	.set_completion = editor_set_completion,
	.close = editor_close,
};

__attribute__((visibility("default"))) const struct lineedit *dbctl_lineedit_entry(void);
const struct lineedit *dbctl_lineedit_entry(void)
{
	return &libedit_editor;
}
