/* Result writers: aligned table (with expanded records), csv, json and tsv,
 * fed one row at a time so that a large result never sits in memory whole. */
#ifndef DBCTL_OUTPUT_H
#define DBCTL_OUTPUT_H

#include "strbuf.h"

#include <stdbool.h>
#include <stdio.h>

enum output_format {
	OUTPUT_TABLE,   /* aligned columns, header, "(N rows)" footer */
	OUTPUT_CSV,     /* RFC 4180; header line; NULL is an empty unquoted field, '' is "" */
	OUTPUT_JSON,    /* one array of objects per result; NULL is null; every value a string */
	OUTPUT_TSV,     /* header line; tab-separated; \t \n \r \\ escaped; NULL is \N (COPY's text form) */
};

struct output_options {
	enum output_format format;
	bool expanded;             /* table only: one "-[ RECORD n ]-" block per row, as psql's \x */
	bool footer;               /* table only: "(N rows)" after the result */
	const char *null_text;     /* table only: how NULL shows; borrowed */
	long chunk_rows;           /* table only: rows aligned together; 0 means 1000 */
	bool member;               /* json only: the array is a member of an enclosing object: no newline after ']' */
};

struct output {
	FILE *stream;                    /* borrowed */
	struct output_options options;
	int column_count;
	char **names;                    /* owned copies of the column names */
	bool *numeric;                   /* owned; table: columns right-aligned as psql aligns numbers; NULL none */
	size_t *header_widths;           /* owned; table: the first chunk's widths, which later chunks keep to
					  * (psql's FETCH_COUNT prints the header once) */
	char **pending;                  /* owned; table: up to chunk_rows rows of cells, row-major, NULL = SQL NULL */
	long pending_rows;
	long rows;                       /* rows written so far */
	bool header_written;
	bool failed;                     /* a write to stream failed (closed pipe, full disk) */
};

/* Parses "table", "csv", "json", "tsv" (aligned/unaligned are not ours); false when unknown. */
bool output_parse_format(const char *name, enum output_format *out);
const char *output_format_name(enum output_format format);

/* Starts a result of column_count columns; names are copied. */
void output_begin(struct output *out, FILE *stream, const struct output_options *options, int column_count,
		  const char *const *names);

/* Marks columns whose values are numbers, right-aligned in the table format
 * as psql does; numeric may be NULL (none). Call after output_begin. */
void output_set_numeric(struct output *out, const bool *numeric);

/* One row; cells[i] NULL is SQL NULL; copied when the table format must hold it
 * until its chunk is aligned. Returns -1 once a write has failed. */
int output_row(struct output *out, const char *const *cells);

/* Writes what is pending and the footer, frees everything; -1 when a write failed. */
int output_end(struct output *out);

/* Frees without writing (after an error mid-result). */
void output_abandon(struct output *out);

/* Display width of a UTF-8 string in terminal columns (code points; East Asian
 * wide and fullwidth characters count 2, combining marks 0). */
size_t output_display_width(const char *text);

#endif
