/* Prints query results for the shell: a driver row sink over the output
 * writers, with command tags, Redis replies, and a pager for long results. */
#ifndef DBCTL_PRINTER_H
#define DBCTL_PRINTER_H

#include "driver.h"
#include "output.h"

#include <stdbool.h>
#include <stdio.h>

struct printer {
	FILE *stream;                    /* borrowed: stdout */
	struct output_options options;
	bool show_tags;                  /* "INSERT 0 1", "CREATE TABLE" after statements without rows */
	const char *pager;               /* command to page long results through; NULL: never */
	int screen_lines;                /* results longer than this go through the pager */

	/* one result in flight */
	struct output out;
	bool in_result;
	FILE *pager_stream;              /* owned while open (popen) */
	bool pager_quit;                 /* the user left the pager early: not an error */
	char **held;                     /* owned; rows held while deciding on the pager, row-major */
	long held_rows;
	int column_count;
	char **names;                    /* owned */
	bool *numeric;                   /* owned; NULL when the backend does not say */
	long result_rows;                /* rows of the current result */

	/* piped JSON: the whole output is one array, an object per statement */
	bool document;
	long document_items;
	bool item_open;                  /* an object of the array is open */
	bool item_text_open;             /* its "text" array is open */
	bool item_failed;                /* a write failed: the document is cut short anyway */
};

void printer_init(struct printer *printer, FILE *stream);
/* Closes a pager left open and frees what is held. */
void printer_release(struct printer *printer);

/* A sink whose context is printer. */
void printer_sink(struct printer *printer, struct driver_row_sink *sink);

/* Ends a result cut short by an error or a cancel: shows what came, closes the pager. */
void printer_abandon(struct printer *printer);

/* The piped shell's JSON document: one array with an object per statement,
 *   {"statement": N, "line": L, "rows": [...], "text": [...], "command": TAG}
 * "rows" when the statement returned a result, "text" for replies that are
 * not a table (Redis, COPY TO STDOUT lines), "command" the command tag or
 * null. Begin before the first statement; announce each one before it is
 * sent; end with members (JSON text such as "\"error\":{...}", or NULL) that
 * go into the object of the statement that failed, or into an object of
 * their own when none was in flight. */
void printer_document_begin(struct printer *printer);
void printer_document_statement(struct printer *printer, int line);
int printer_document_end(struct printer *printer, const char *members, size_t members_len);

#endif
