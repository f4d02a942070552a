/* Runs a backend's lint rules over a migration section, statement by
 * statement, and drops what the file silences. */
#include "lint.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Whether text holds "dbctl:allow" followed, on the same line, by the rule's name. */
static bool silenced(const char *text, const char *rule)
{
	const char *at = text;
	size_t length = strlen(rule);

	while ((at = strstr(at, "dbctl:allow")) != NULL) {
		const char *p = at + strlen("dbctl:allow");

		while (*p && *p != '\n') {
			while (*p == ' ' || *p == '\t' || *p == ',')
				p++;
			if (strncasecmp(p, rule, length) == 0 && !(isalnum((unsigned char)p[length]) || p[length] == '-'))
				return true;
			while (*p && *p != '\n' && *p != ' ' && *p != '\t' && *p != ',')
				p++;
		}
		at = p;
	}
	return false;
}

struct sink {
	struct lint_report *report;
	const char *path;
	const char *text;
	int line, column;
};

static void found(void *context, const struct lint_rule *rule, const char *subject)
{
	struct sink *sink = context;
	struct lint_report *report = sink->report;
	struct lint_finding *f;

	if (silenced(sink->text, rule->name))
		return;
	if (report->count == report->capacity) {
		size_t capacity = report->capacity ? report->capacity * 2 : 16;
		struct lint_finding *grown = realloc(report->findings, capacity * sizeof(*grown));

		if (!grown)
			abort();
		report->findings = grown;
		report->capacity = capacity;
	}
	f = &report->findings[report->count++];
	f->rule = rule;
	snprintf(f->file, sizeof(f->file), "%s", sink->path);
	f->line = sink->line;
	f->column = sink->column;
	snprintf(f->subject, sizeof(f->subject), "%s", subject);
}

int lint_section(const struct lint_rules *rules, enum sqlscan_dialect lexer, const char *path, const char *text,
		 int first_line, struct lint_report *report, struct err *err)
{
	struct sqlscan_statement statement;
	struct lint_context context;
	struct strbuf data;
	struct sqlscan scan;
	struct sink sink = { report, path, text, 0, 0 };
	size_t i;
	int rc;
	FILE *in = fmemopen((void *)text, strlen(text), "r");

	if (!in)
		return err_set(err, EXIT_FAILED, "out of memory");
	memset(&context, 0, sizeof(context));
	sqlscan_init(&scan, in, path, lexer);
	scan.line_number = first_line - 1;
	sqlscan_statement_init(&statement);
	strbuf_init(&data);
	while ((rc = sqlscan_next(&scan, &statement, err)) == 1) {
		report->statements++;
		sink.line = statement.line;
		sink.column = statement.column;
		if (rules)
			rules->statement(&context, statement.text.buf, found, &sink);
		while (statement.kind == SQLSCAN_COPY_IN && (rc = sqlscan_copy_line(&scan, &data, err)) == 1)
			;
		if (rc < 0)
			break;
	}
	for (i = 0; i < context.created_count; i++)
		free(context.created[i]);
	free(context.created);
	strbuf_release(&data);
	sqlscan_statement_release(&statement);
	sqlscan_release(&scan);
	fclose(in);
	return rc < 0 ? -1 : 0;
}

void lint_report_release(struct lint_report *report)
{
	free(report->findings);
	memset(report, 0, sizeof(*report));
}
