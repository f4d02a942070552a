/* Result writers: psql's aligned table and expanded records, csv, tsv and json, one row at a time. */
#include "output.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define OUTPUT_DEFAULT_CHUNK_ROWS 1000
#define OUTPUT_PENDING_MIN_ROWS 16

static const char *const output_format_names[] = {
	[OUTPUT_TABLE] = "table",
	[OUTPUT_CSV] = "csv",
	[OUTPUT_JSON] = "json",
	[OUTPUT_TSV] = "tsv",
};

#define OUTPUT_FORMAT_COUNT (sizeof(output_format_names) / sizeof(output_format_names[0]))

struct output_range {
	uint32_t first;
	uint32_t last;
};

/* East Asian wide and fullwidth blocks: a terminal gives each of these code points two columns. */
static const struct output_range output_wide_ranges[] = {
	{ 0x1100, 0x115F },   { 0x2E80, 0xA4CF },   { 0xAC00, 0xD7A3 },   { 0xF900, 0xFAFF },
	{ 0xFE30, 0xFE4F },   { 0xFF00, 0xFF60 },   { 0xFFE0, 0xFFE6 },   { 0x1F300, 0x1F64F },
	{ 0x1F900, 0x1F9FF }, { 0x20000, 0x3FFFD },
};

bool output_parse_format(const char *name, enum output_format *out)
{
	size_t i;

	for (i = 0; i < OUTPUT_FORMAT_COUNT; i++) {
		if (strcmp(name, output_format_names[i]) == 0) {
			*out = (enum output_format)i;
			return true;
		}
	}
	return false;
}

const char *output_format_name(enum output_format format)
{
	if ((size_t)format >= OUTPUT_FORMAT_COUNT)
		return "unknown";
	return output_format_names[format];
}

/* Allocation failure aborts, as in strbuf: a CLI has nothing better to do. */
static void *output_alloc(void *old, size_t count, size_t size)
{
	void *p;

	if (size && count > SIZE_MAX / size) {
		fputs("dbctl: out of memory\n", stderr);
		abort();
	}
	/* realloc(p, 0) may free p and return NULL, which would read as failure */
	p = realloc(old, count && size ? count * size : 1);
	if (!p) {
		fputs("dbctl: out of memory\n", stderr);
		abort();
	}
	return p;
}

static char *output_strdup(const char *s)
{
	size_t len = strlen(s);
	char *copy = output_alloc(NULL, len + 1, 1);

	memcpy(copy, s, len + 1);
	return copy;
}

/* Decodes one UTF-8 sequence of at most len bytes; returns its length, or 0 when it is not valid UTF-8. */
static size_t output_utf8_decode(const unsigned char *s, size_t len, uint32_t *cp)
{
	size_t need, i;
	uint32_t value, min;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] >= 0xC2 && s[0] <= 0xDF) {
		need = 2, value = s[0] & 0x1Fu, min = 0x80;
	} else if (s[0] >= 0xE0 && s[0] <= 0xEF) {
		need = 3, value = s[0] & 0x0Fu, min = 0x800;
	} else if (s[0] >= 0xF0 && s[0] <= 0xF4) {
		need = 4, value = s[0] & 0x07u, min = 0x10000;
	} else {
		return 0;
	}
	if (len < need)
		return 0;
	for (i = 1; i < need; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		value = value << 6 | (s[i] & 0x3Fu);
	}
	/* overlong forms, UTF-16 surrogates and values past U+10FFFF are not UTF-8 */
	if (value < min || (value >= 0xD800 && value <= 0xDFFF) || value > 0x10FFFF)
		return 0;
	*cp = value;
	return need;
}

static size_t output_codepoint_width(uint32_t cp)
{
	size_t i;

	if (cp >= 0x0300 && cp <= 0x036F)
		return 0;
	for (i = 0; i < sizeof(output_wide_ranges) / sizeof(output_wide_ranges[0]); i++)
		if (cp >= output_wide_ranges[i].first && cp <= output_wide_ranges[i].last)
			return 2;
	return 1;
}

static size_t output_width_n(const char *text, size_t len)
{
	const unsigned char *p = (const unsigned char *)text;
	size_t width = 0, used;
	uint32_t cp;

	while (len > 0) {
		used = output_utf8_decode(p, len, &cp);
		if (used == 0) {
			/* a stray byte still takes a cell on the terminal (as a replacement glyph) */
			width++;
			used = 1;
		} else {
			width += output_codepoint_width(cp);
		}
		p += used;
		len -= used;
	}
	return width;
}

size_t output_display_width(const char *text)
{
	return output_width_n(text, strlen(text));
}

/* Widest line of a text whose lines are separated by '\n'. */
static size_t output_text_width(const char *text)
{
	size_t widest = 0, len, width;

	for (;;) {
		len = strcspn(text, "\n");
		width = output_width_n(text, len);
		if (width > widest)
			widest = width;
		if (!text[len])
			return widest;
		text += len + 1;
	}
}

/*
 * The text a table cell shows, as psql's pg_wcsformat makes it: a raw control character would move the
 * cursor or reach the terminal as an escape sequence, so tabs expand to the next multiple of 8 columns,
 * CR shows as \r, other C0 controls and DEL as \xXX, C1 controls as \uXXXX. Newlines stay: they split
 * the cell into lines. The caller frees the result.
 */
static char *output_display_copy(const char *text)
{
	const unsigned char *p = (const unsigned char *)text;
	size_t len = strlen(text), column = 0, used;
	struct strbuf sb;
	uint32_t cp;

	strbuf_init(&sb);
	while (len > 0) {
		used = 1;
		if (*p == '\n') {
			strbuf_addch(&sb, '\n');
			column = 0;
		} else if (*p == '\t') {
			do {
				strbuf_addch(&sb, ' ');
				column++;
			} while (column % 8);
		} else if (*p == '\r') {
			strbuf_addstr(&sb, "\\r");
			column += 2;
		} else if (*p < 0x20 || *p == 0x7F) {
			strbuf_addf(&sb, "\\x%02X", *p);
			column += 4;
		} else if ((used = output_utf8_decode(p, len, &cp)) == 0) {
			strbuf_addch(&sb, (char)*p);
			column++;
			used = 1;
		} else if (cp >= 0x80 && cp <= 0x9F) {
			strbuf_addf(&sb, "\\u%04X", (unsigned)cp);
			column += 6;
		} else {
			strbuf_add(&sb, p, used);
			column += output_codepoint_width(cp);
		}
		p += used;
		len -= used;
	}
	return strbuf_detach(&sb);
}

static void output_free_strings(char **strings, size_t count)
{
	size_t i;

	if (!strings)
		return;
	for (i = 0; i < count; i++)
		free(strings[i]);
	free(strings);
}

static void output_pad(struct strbuf *sb, char c, size_t count)
{
	while (count-- > 0)
		strbuf_addch(sb, c);
}

/* Every write goes through here, so that one failure stops all later output. */
static int output_write(struct output *out, const struct strbuf *sb)
{
	if (out->failed)
		return -1;
	if (sb->len > 0 && fwrite(sb->buf, 1, sb->len, out->stream) != sb->len) {
		out->failed = true;
		return -1;
	}
	return 0;
}

static int output_write_str(struct output *out, const char *text)
{
	struct strbuf sb;
	int status;

	strbuf_init(&sb);
	strbuf_addstr(&sb, text);
	status = output_write(out, &sb);
	strbuf_release(&sb);
	return status;
}

static long output_chunk_rows(const struct output *out)
{
	return out->options.chunk_rows > 0 ? out->options.chunk_rows : OUTPUT_DEFAULT_CHUNK_ROWS;
}

static char **output_display_names(struct output *out)
{
	char **labels = output_alloc(NULL, (size_t)out->column_count, sizeof(*labels));
	int i;

	for (i = 0; i < out->column_count; i++)
		labels[i] = output_display_copy(out->names[i]);
	return labels;
}

/* Header lines (a name with newlines takes several, marked with '+') and the rule under them. */
static void output_table_header(struct output *out, char **labels, const size_t *widths, struct strbuf *sb)
{
	int count = out->column_count, i;
	const char **cursor = output_alloc(NULL, (size_t)count, sizeof(*cursor));
	bool more = true;
	size_t len, width, spare;

	for (i = 0; i < count; i++)
		cursor[i] = labels[i];
	while (more) {
		more = false;
		for (i = 0; i < count; i++) {
			strbuf_addch(sb, ' ');
			if (!cursor[i]) {
				output_pad(sb, ' ', widths[i] + 1);
			} else {
				len = strcspn(cursor[i], "\n");
				width = output_width_n(cursor[i], len);
				spare = widths[i] > width ? widths[i] - width : 0;
				output_pad(sb, ' ', spare / 2);
				strbuf_add(sb, cursor[i], len);
				output_pad(sb, ' ', (spare + 1) / 2);
				if (cursor[i][len]) {
					strbuf_addch(sb, '+');
					cursor[i] += len + 1;
					more = true;
				} else {
					strbuf_addch(sb, ' ');
					cursor[i] = NULL;
				}
			}
			if (i < count - 1)
				strbuf_addch(sb, '|');
		}
		strbuf_addch(sb, '\n');
	}
	strbuf_addch(sb, '-');
	for (i = 0; i < count; i++) {
		output_pad(sb, '-', widths[i]);
		strbuf_addstr(sb, i < count - 1 ? "-+-" : "-");
	}
	strbuf_addch(sb, '\n');
	free(cursor);
}

/*
 * One row, as psql aligns it: left-aligned cells, the last one not padded unless a line of it
 * continues, where a '+' takes the place of the space before the separator.
 */
static void output_table_row(struct output *out, const char *const *cells, const size_t *widths, struct strbuf *sb)
{
	int count = out->column_count, i;
	const char **cursor = output_alloc(NULL, (size_t)count, sizeof(*cursor));
	bool more = true, last, continued;
	size_t len, width;

	for (i = 0; i < count; i++)
		cursor[i] = cells[i];
	while (more) {
		more = false;
		for (i = 0; i < count; i++) {
			last = i == count - 1;
			continued = false;
			strbuf_addch(sb, ' ');
			if (!cursor[i]) {
				if (!last)
					output_pad(sb, ' ', widths[i]);
			} else {
				len = strcspn(cursor[i], "\n");
				width = output_width_n(cursor[i], len);
				continued = cursor[i][len] != '\0';
				if (out->numeric && out->numeric[i] && !continued && widths[i] > width)
					output_pad(sb, ' ', widths[i] - width);
				strbuf_add(sb, cursor[i], len);
				cursor[i] = continued ? cursor[i] + len + 1 : NULL;
				if ((!last || continued) && widths[i] > width && !(out->numeric && out->numeric[i] && !continued))
					output_pad(sb, ' ', widths[i] - width);
			}
			if (continued)
				strbuf_addch(sb, '+');
			else if (!last)
				strbuf_addch(sb, ' ');
			if (!last)
				strbuf_addch(sb, '|');
			more = more || continued;
		}
		strbuf_addch(sb, '\n');
	}
	free(cursor);
}

/* "-[ RECORD n ]" laid over the rule "----+----" that spans "name | value", as psql draws it. */
static void output_record_line(long record, size_t name_width, size_t value_width, struct strbuf *sb)
{
	size_t start = sb->len, total = name_width + 3 + value_width, label, i;

	strbuf_addf(sb, "-[ RECORD %ld ]", record);
	label = sb->len - start;
	for (i = label; i < total; i++)
		strbuf_addch(sb, i == name_width + 1 ? '+' : '-');
	strbuf_addch(sb, '\n');
}

/* One "name | value" block; either side may run to several lines, marked with '+' as in psql's \x. */
static void output_record_field(const char *name, const char *value, size_t name_width, size_t value_width,
				struct strbuf *sb)
{
	size_t len, width;

	while (name || value) {
		if (!name) {
			output_pad(sb, ' ', name_width + 1);
		} else {
			len = strcspn(name, "\n");
			width = output_width_n(name, len);
			strbuf_add(sb, name, len);
			output_pad(sb, ' ', name_width > width ? name_width - width : 0);
			strbuf_addch(sb, name[len] ? '+' : ' ');
			name = name[len] ? name + len + 1 : NULL;
		}
		strbuf_addch(sb, '|');
		if (value) {
			len = strcspn(value, "\n");
			strbuf_addch(sb, ' ');
			strbuf_add(sb, value, len);
			if (value[len]) {
				width = output_width_n(value, len);
				output_pad(sb, ' ', value_width > width ? value_width - width : 0);
				strbuf_addch(sb, '+');
				value += len + 1;
			} else {
				value = NULL;
			}
		}
		strbuf_addch(sb, '\n');
	}
}

static void output_free_pending(struct output *out)
{
	size_t i, cells = (size_t)out->pending_rows * (size_t)out->column_count;

	for (i = 0; i < cells; i++)
		free(out->pending[i]);
	out->pending_rows = 0;
}

/* Expanded records for the rows held, with widths of this chunk only. */
static void output_expanded_flush(struct output *out, const char *null_display)
{
	size_t count = (size_t)out->column_count, name_width = 0, value_width = 0, width, i;
	char **labels = output_display_names(out);
	struct strbuf sb;
	long row;

	for (i = 0; i < count; i++) {
		width = output_text_width(labels[i]);
		if (width > name_width)
			name_width = width;
	}
	for (i = 0; i < (size_t)out->pending_rows * count; i++) {
		width = output_text_width(out->pending[i] ? out->pending[i] : null_display);
		if (width > value_width)
			value_width = width;
	}
	strbuf_init(&sb);
	for (row = 0; row < out->pending_rows && !out->failed; row++) {
		strbuf_reset(&sb);
		output_record_line(out->rows - out->pending_rows + row + 1, name_width, value_width, &sb);
		for (i = 0; i < count; i++) {
			const char *cell = out->pending[(size_t)row * count + i];

			output_record_field(labels[i], cell ? cell : null_display, name_width, value_width, &sb);
		}
		output_write(out, &sb);
	}
	strbuf_release(&sb);
	output_free_strings(labels, count);
}

/*
 * Aligned rows for the rows held. The first chunk sets the header; later ones widen a column past it
 * when they must, but never narrow it, so short chunks stay under their header.
 */
static void output_aligned_flush(struct output *out, const char *null_display)
{
	size_t count = (size_t)out->column_count, *widths = output_alloc(NULL, count, sizeof(*widths));
	size_t *header_widths = out->header_widths, i, width;
	const char **cells = output_alloc(NULL, count, sizeof(*cells));
	char **labels = NULL;
	struct strbuf sb;
	long row;

	if (!out->header_written) {
		labels = output_display_names(out);
		for (i = 0; i < count; i++)
			widths[i] = output_text_width(labels[i]);
	} else {
		memcpy(widths, header_widths, count * sizeof(*widths));
	}
	for (row = 0; row < out->pending_rows; row++) {
		for (i = 0; i < count; i++) {
			const char *cell = out->pending[(size_t)row * count + i];

			width = output_text_width(cell ? cell : null_display);
			if (width > widths[i])
				widths[i] = width;
		}
	}
	strbuf_init(&sb);
	if (!out->header_written) {
		memcpy(header_widths, widths, count * sizeof(*widths));
		output_table_header(out, labels, widths, &sb);
		output_write(out, &sb);
		out->header_written = true;
	}
	for (row = 0; row < out->pending_rows && !out->failed; row++) {
		strbuf_reset(&sb);
		for (i = 0; i < count; i++) {
			const char *cell = out->pending[(size_t)row * count + i];

			cells[i] = cell ? cell : null_display;
		}
		output_table_row(out, cells, widths, &sb);
		output_write(out, &sb);
	}
	strbuf_release(&sb);
	output_free_strings(labels, labels ? count : 0);
	free(cells);
	free(widths);
}

/* Writes the rows held for this chunk (and, before the first, the header), then lets them go. */
static int output_table_flush(struct output *out)
{
	char *null_display = output_display_copy(out->options.null_text ? out->options.null_text : "");

	if (out->options.expanded)
		output_expanded_flush(out, null_display);
	else
		output_aligned_flush(out, null_display);
	output_free_pending(out);
	free(null_display);
	return out->failed ? -1 : 0;
}

static int output_table_row_add(struct output *out, const char *const *cells)
{
	size_t count = (size_t)out->column_count, rows = (size_t)out->pending_rows, i;
	char **slot;

	/* the array has room for max(16, next power of two) rows, so it grows when rows reaches one */
	if (rows == 0)
		out->pending = output_alloc(out->pending, OUTPUT_PENDING_MIN_ROWS * count, sizeof(*out->pending));
	else if (rows >= OUTPUT_PENDING_MIN_ROWS && (rows & (rows - 1)) == 0)
		out->pending = output_alloc(out->pending, rows * 2 * count, sizeof(*out->pending));
	slot = out->pending + rows * count;
	for (i = 0; i < count; i++)
		slot[i] = cells[i] ? output_display_copy(cells[i]) : NULL;
	out->pending_rows++;
	out->rows++;
	if (out->pending_rows >= output_chunk_rows(out))
		return output_table_flush(out);
	return 0;
}

/* RFC 4180. psql also quotes a lone \. , which COPY ... CSV would take for the end of the data. */
static void output_csv_field(struct strbuf *sb, const char *text)
{
	const char *p;

	if (*text && !text[strcspn(text, ",\"\r\n")] && strcmp(text, "\\.") != 0) {
		strbuf_addstr(sb, text);
		return;
	}
	strbuf_addch(sb, '"');
	for (p = text; *p; p++) {
		if (*p == '"')
			strbuf_addch(sb, '"');
		strbuf_addch(sb, *p);
	}
	strbuf_addch(sb, '"');
}

/* COPY's text form, so that a value never spans a tab or a line. */
static void output_tsv_field(struct strbuf *sb, const char *text)
{
	for (; *text; text++) {
		switch (*text) {
		case '\\': strbuf_addstr(sb, "\\\\"); break;
		case '\t': strbuf_addstr(sb, "\\t"); break;
		case '\n': strbuf_addstr(sb, "\\n"); break;
		case '\r': strbuf_addstr(sb, "\\r"); break;
		default: strbuf_addch(sb, *text);
		}
	}
}

/* One csv or tsv line; the header goes through here too, its names never NULL. */
static void output_text_line(struct output *out, const char *const *cells, struct strbuf *sb)
{
	int i;

	for (i = 0; i < out->column_count; i++) {
		if (out->options.format == OUTPUT_CSV) {
			if (i > 0)
				strbuf_addch(sb, ',');
			if (cells[i])
				output_csv_field(sb, cells[i]);
		} else {
			if (i > 0)
				strbuf_addch(sb, '\t');
			if (cells[i])
				output_tsv_field(sb, cells[i]);
			else
				strbuf_addstr(sb, "\\N");
		}
	}
	strbuf_addch(sb, '\n');
}

/* Written with the first row, or at the end when there is none, so that output_begin never writes. */
static int output_text_header(struct output *out)
{
	struct strbuf sb;
	int status = 0;

	if (out->header_written)
		return 0;
	strbuf_init(&sb);
	output_text_line(out, (const char *const *)out->names, &sb);
	status = output_write(out, &sb);
	strbuf_release(&sb);
	out->header_written = true;
	return status;
}

/*
 * Duplicate column names stay duplicate keys: RFC 8259 allows them, and renaming would hide what the
 * query returned. Members keep column order.
 */
static void output_json_object(struct output *out, const char *const *cells, struct strbuf *sb)
{
	int i;

	strbuf_addch(sb, '{');
	for (i = 0; i < out->column_count; i++) {
		if (i > 0)
			strbuf_addstr(sb, ", ");
		strbuf_add_json_string(sb, out->names[i]);
		strbuf_addstr(sb, ": ");
		if (cells[i])
			strbuf_add_json_string(sb, cells[i]);
		else
			strbuf_addstr(sb, "null");
	}
	strbuf_addch(sb, '}');
}

void output_set_numeric(struct output *out, const bool *numeric)
{
	int i;

	free(out->numeric);
	out->numeric = NULL;
	if (!numeric || out->column_count == 0)
		return;
	out->numeric = output_alloc(NULL, (size_t)out->column_count, sizeof(bool));
	for (i = 0; i < out->column_count; i++)
		out->numeric[i] = numeric[i];
}

void output_begin(struct output *out, FILE *stream, const struct output_options *options, int column_count,
		  const char *const *names)
{
	int i;

	out->stream = stream;
	out->options = *options;
	out->column_count = column_count > 0 ? column_count : 0;
	out->names = NULL;
	out->header_widths = NULL;
	out->numeric = NULL;
	if (out->column_count > 0) {
		out->names = output_alloc(NULL, (size_t)out->column_count, sizeof(char *));
		out->header_widths = output_alloc(NULL, (size_t)out->column_count, sizeof(size_t));
		for (i = 0; i < out->column_count; i++) {
			out->names[i] = output_strdup(names[i]);
			out->header_widths[i] = 0;
		}
	}
	out->pending = NULL;
	out->pending_rows = 0;
	out->rows = 0;
	out->header_written = false;
	out->failed = false;
}

int output_row(struct output *out, const char *const *cells)
{
	struct strbuf sb;
	int status;

	if (out->failed)
		return -1;
	/* a result without columns (a command) prints nothing, not psql's "--" line */
	if (out->column_count == 0) {
		out->rows++;
		return 0;
	}
	if (out->options.format == OUTPUT_TABLE)
		return output_table_row_add(out, cells);

	strbuf_init(&sb);
	switch (out->options.format) {
	case OUTPUT_CSV:
	case OUTPUT_TSV:
		if (output_text_header(out) == 0)
			output_text_line(out, cells, &sb);
		break;
	case OUTPUT_JSON:
		strbuf_addstr(&sb, out->rows == 0 ? "[\n" : ",\n");
		output_json_object(out, cells, &sb);
		break;
	case OUTPUT_TABLE:
		break;
	}
	status = out->failed ? -1 : output_write(out, &sb);
	strbuf_release(&sb);
	out->rows++;
	return status;
}

/* Frees what begin allocated; rows and failed stay readable until the next output_begin. */
static void output_release(struct output *out)
{
	if (out->pending) {
		output_free_pending(out);
		free(out->pending);
	}
	output_free_strings(out->names, out->names ? (size_t)out->column_count : 0);
	free(out->header_widths);
	free(out->numeric);
	out->numeric = NULL;
	out->names = NULL;
	out->header_widths = NULL;
	out->pending = NULL;
	out->pending_rows = 0;
	out->column_count = 0;
	out->header_written = false;
}

static void output_table_end(struct output *out)
{
	char footer[64];

	/* with zero rows the table still shows its names; expanded has nothing to show */
	if (out->pending_rows > 0 || (!out->header_written && !out->options.expanded))
		output_table_flush(out);
	if (out->options.footer && (!out->options.expanded || out->rows == 0)) {
		snprintf(footer, sizeof(footer), "(%ld %s)\n", out->rows, out->rows == 1 ? "row" : "rows");
		output_write_str(out, footer);
	}
	/* psql ends every aligned result with an empty line, footer or not */
	output_write_str(out, "\n");
}

int output_end(struct output *out)
{
	if (out->column_count > 0 && !out->failed) {
		switch (out->options.format) {
		case OUTPUT_TABLE:
			output_table_end(out);
			break;
		case OUTPUT_CSV:
		case OUTPUT_TSV:
			output_text_header(out);
			break;
		case OUTPUT_JSON:
			if (out->options.member)
				output_write_str(out, out->rows == 0 ? "[]" : "\n]");
			else
				output_write_str(out, out->rows == 0 ? "[]\n" : "\n]\n");
			break;
		}
	}
	/* a closed pipe or a full disk often shows only when the buffer goes out */
	if (!out->failed && out->column_count > 0 && fflush(out->stream) != 0)
		out->failed = true;
	output_release(out);
	return out->failed ? -1 : 0;
}

void output_abandon(struct output *out)
{
	output_release(out);
}
