/* The shell's result printer: streams rows into the output writers; on a
 * terminal, a result taller than the screen goes through $PAGER. */
#include "printer.h"

#include "strbuf.h"

#include <stdlib.h>
#include <string.h>

void printer_init(struct printer *printer, FILE *stream)
{
	memset(printer, 0, sizeof(*printer));
	printer->stream = stream;
	printer->options.format = OUTPUT_TABLE;
	printer->options.footer = true;
	printer->options.null_text = "(null)";
	printer->show_tags = true;
	printer->screen_lines = 24;
}

static void free_held(struct printer *printer)
{
	long i;

	for (i = 0; i < printer->held_rows * printer->column_count; i++)
		free(printer->held[i]);
	free(printer->held);
	printer->held = NULL;
	printer->held_rows = 0;
}

static void free_names(struct printer *printer)
{
	int i;

	for (i = 0; printer->names && i < printer->column_count; i++)
		free(printer->names[i]);
	free(printer->names);
	free(printer->numeric);
	printer->names = NULL;
	printer->numeric = NULL;
}

/* ---- the piped shell's JSON document ---- */

static void document_write(struct printer *printer, const char *text, size_t len)
{
	if (fwrite(text, 1, len, printer->stream) != len)
		printer->item_failed = true;
}

static void document_puts(struct printer *printer, const char *text)
{
	document_write(printer, text, strlen(text));
}

static void document_string(struct printer *printer, const char *text, size_t len)
{
	struct strbuf sb;
	char *copy = strndup(text, len);

	strbuf_init(&sb);
	strbuf_add_json_string(&sb, copy ? copy : "");
	document_write(printer, sb.buf, sb.len);
	strbuf_release(&sb);
	free(copy);
}

void printer_document_begin(struct printer *printer)
{
	printer->document = true;
	printer->options.member = true;
	document_puts(printer, "[");
}

static void close_text(struct printer *printer)
{
	if (printer->item_text_open)
		document_puts(printer, "]");
	printer->item_text_open = false;
}

/* tag NULL: the statement ended without one (a COPY, a failure) */
static void close_item(struct printer *printer, const char *tag)
{
	if (!printer->item_open)
		return;
	close_text(printer);
	document_puts(printer, ", \"command\": ");
	if (tag && *tag)
		document_string(printer, tag, strlen(tag));
	else
		document_puts(printer, "null");
	document_puts(printer, "}");
	printer->item_open = false;
}

static void open_item(struct printer *printer)
{
	close_item(printer, NULL);
	document_puts(printer, printer->document_items++ ? ",\n{" : "\n{");
	printer->item_open = true;
}

void printer_document_statement(struct printer *printer, int line)
{
	char head[64];

	open_item(printer);
	snprintf(head, sizeof(head), "\"statement\": %ld, \"line\": %d", printer->document_items, line);
	document_puts(printer, head);
}

int printer_document_end(struct printer *printer, const char *members, size_t members_len)
{
	if (members && members_len) {
		if (!printer->item_open)
			open_item(printer);
		else
			document_puts(printer, ", ");
		close_text(printer);
		document_write(printer, members, members_len);
		document_puts(printer, "}");
		printer->item_open = false;
	}
	close_item(printer, NULL);
	document_puts(printer, printer->document_items ? "\n]\n" : "]\n");
	printer->document = false;
	return fflush(printer->stream) != 0 || printer->item_failed ? -1 : 0;
}

/* A result, text or end that came with no statement announced still gets an object. */
static void document_item(struct printer *printer)
{
	if (!printer->item_open)
		printer_document_statement(printer, 0);
}

/* How many screen lines `rows` rows take in the current format. */
static long lines_for(const struct printer *printer, long rows)
{
	if (printer->options.format == OUTPUT_TABLE && printer->options.expanded)
		return rows * (printer->column_count + 1);
	return rows + 3;   /* header, separator, footer */
}

/* Starts writing the result to the screen or, when it is too tall, the pager. */
static int start_output(struct printer *printer, bool use_pager)
{
	FILE *stream = printer->stream;
	long i;
	int rc = 0;

	fflush(printer->stream);
	if (use_pager) {
		printer->pager_stream = popen(printer->pager, "w");
		if (printer->pager_stream)
			stream = printer->pager_stream;
	}
	output_begin(&printer->out, stream, &printer->options, printer->column_count,
		     (const char *const *)printer->names);
	output_set_numeric(&printer->out, printer->numeric);
	for (i = 0; i < printer->held_rows && rc == 0; i++)
		rc = output_row(&printer->out, (const char *const *)printer->held + i * printer->column_count);
	free_held(printer);
	printer->in_result = true;
	return rc;
}

static int on_columns(void *context, int count, const char *const *names, const bool *numeric)
{
	struct printer *printer = context;
	int i;

	free_names(printer);
	printer->column_count = count;
	printer->result_rows = 0;
	printer->names = calloc((size_t)count + 1, sizeof(char *));
	if (!printer->names)
		return -1;
	for (i = 0; i < count; i++)
		printer->names[i] = strdup(names[i]);
	if (numeric) {
		printer->numeric = calloc((size_t)count + 1, sizeof(bool));
		if (!printer->numeric)
			return -1;
		memcpy(printer->numeric, numeric, (size_t)count * sizeof(bool));
	}
	if (printer->document) {
		document_item(printer);
		close_text(printer);
		document_puts(printer, ", \"rows\": ");
	}
	if (!printer->pager)
		return start_output(printer, false);
	return 0;   /* rows are held until we know whether they fit the screen */
}

static int hold_row(struct printer *printer, const char *const *cells)
{
	char **grown = realloc(printer->held, (size_t)(printer->held_rows + 1) * (size_t)printer->column_count *
						      sizeof(char *));
	int i;

	if (!grown)
		return -1;
	printer->held = grown;
	for (i = 0; i < printer->column_count; i++)
		grown[printer->held_rows * printer->column_count + i] = cells[i] ? strdup(cells[i]) : NULL;
	printer->held_rows++;
	return 0;
}

static int fail_quietly_if_pager_quit(struct printer *printer, int rc)
{
	if (rc != 0 && printer->pager_stream)
		printer->pager_quit = true;
	return rc;
}

static int on_row(void *context, const char *const *cells)
{
	struct printer *printer = context;

	printer->result_rows++;
	if (printer->in_result)
		return fail_quietly_if_pager_quit(printer, output_row(&printer->out, cells));
	if (hold_row(printer, cells) != 0)
		return -1;
	if (lines_for(printer, printer->held_rows) > printer->screen_lines)
		return fail_quietly_if_pager_quit(printer, start_output(printer, true));
	return 0;
}

static void close_pager(struct printer *printer)
{
	if (printer->pager_stream) {
		pclose(printer->pager_stream);
		printer->pager_stream = NULL;
	}
}

static int finish_result(struct printer *printer)
{
	int rc = 0;

	if (!printer->in_result && printer->names)
		rc = start_output(printer, false);
	if (printer->in_result) {
		if (output_end(&printer->out) != 0)
			rc = -1;
		printer->in_result = false;
	}
	close_pager(printer);
	free_names(printer);
	printer->column_count = 0;
	return rc;
}

static int on_done(void *context, const char *tag, long affected)
{
	struct printer *printer = context;
	bool had_result = printer->names != NULL;
	int rc = finish_result(printer);

	(void)affected;
	if (printer->document) {
		close_item(printer, tag);
		return rc != 0 || printer->item_failed ? -1 : 0;
	}
	if (rc == 0 && !had_result && printer->show_tags && tag && *tag && fprintf(printer->stream, "%s\n", tag) < 0)
		rc = -1;
	if (printer->pager_quit)
		rc = 0;
	return rc;
}

static int on_text(void *context, const char *text)
{
	struct printer *printer = context;
	size_t len = strlen(text);

	if (printer->document) {
		document_item(printer);
		document_puts(printer, printer->item_text_open ? ", " : ", \"text\": [");
		printer->item_text_open = true;
		document_string(printer, text, len && text[len - 1] == '\n' ? len - 1 : len);
		return printer->item_failed ? -1 : 0;
	}
	/* COPY TO STDOUT lines end in their own newline; a Redis reply does not */
	if (fputs(text, printer->stream) < 0 || ((len == 0 || text[len - 1] != '\n') && fputc('\n', printer->stream) < 0))
		return -1;
	return 0;
}

void printer_sink(struct printer *printer, struct driver_row_sink *sink)
{
	sink->columns = on_columns;
	sink->row = on_row;
	sink->done = on_done;
	sink->text = on_text;
	sink->context = printer;
}

/* What was not shown yet is dropped, as psql shows nothing of a failed
 * statement's rows; no footer, which would read as success. */
void printer_abandon(struct printer *printer)
{
	/* the document stays valid JSON: its rows array is closed on what came */
	if (printer->document && printer->in_result)
		document_puts(printer, printer->out.rows ? "\n]" : "[]");
	if (printer->in_result)
		output_abandon(&printer->out);
	printer->in_result = false;
	close_pager(printer);
	free_held(printer);
	free_names(printer);
	printer->column_count = 0;
	printer->pager_quit = false;
}

void printer_release(struct printer *printer)
{
	printer_abandon(printer);
}
