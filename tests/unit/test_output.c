/* The result writers: psql's aligned and expanded layouts, csv, tsv, json, widths and failed writes. */
#include "../../src/output.h"
#include "tap.h"

#include <stdlib.h>

#define COUNT(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* Runs a whole result through the writer and returns what it wrote (free it); *status gets output_end's. */
static char *render(const struct output_options *options, int columns, const char *const *names, int rows,
		    const char *const *cells, int *status)
{
	struct output out;
	char *text = NULL;
	size_t len = 0;
	FILE *stream = open_memstream(&text, &len);
	int i, row_status = 0;

	output_begin(&out, stream, options, columns, names);
	for (i = 0; i < rows; i++)
		if (output_row(&out, cells + (size_t)i * (size_t)columns) != 0)
			row_status = -1;
	*status = output_end(&out) || row_status ? -1 : 0;
	fclose(stream);
	return text;
}

static void check(const struct output_options *options, int columns, const char *const *names, int rows,
		  const char *const *cells, const char *want, const char *name)
{
	int status;
	char *got = render(options, columns, names, rows, cells, &status);

	is_str(got, want, name);
	if (status != 0)
		ok(0, "%s: output_end failed", name);
	free(got);
}

static void test_table(void)
{
	struct output_options options = { .format = OUTPUT_TABLE, .footer = true };
	const char *names[] = { "id", "name" };
	const char *cells[] = { "1", "x", NULL, "日本", "33", "a\nbc" };
	const char *wide[] = { "1", "x", NULL, "日本", "22", "abc" };
	const char *names2[] = { "hea\nder", "x" };
	const char *cells2[] = { "multi\nline", "v" };
	const char *names3[] = { "tab", "esc" };
	const char *cells3[] = { "a\tb", "\x1b[31m" };

	/* all expectations below are what psql 15 printed for the same values */
	check(&options, 2, names, 3, cells,
	      " id | name \n"
	      "----+------\n"
	      " 1  | x\n"
	      "    | 日本\n"
	      " 33 | a   +\n"
	      "    | bc\n"
	      "(3 rows)\n\n",
	      "table: NULL, wide characters, a multi-line last cell");

	options.null_text = "(null)";
	check(&options, 2, names, 3, wide,
	      "   id   | name \n"
	      "--------+------\n"
	      " 1      | x\n"
	      " (null) | 日本\n"
	      " 22     | abc\n"
	      "(3 rows)\n\n",
	      "table: null_text widens its column, names centred");

	check(&options, 2, names2, 1, cells2,
	      "  hea +| x \n"
	      "  der  |   \n"
	      "-------+---\n"
	      " multi+| v\n"
	      " line  | \n"
	      "(1 row)\n\n",
	      "table: multi-line name and first cell, singular footer");

	check(&options, 2, names3, 1, cells3,
	      "    tab    |   esc    \n"
	      "-----------+----------\n"
	      " a       b | \\x1B[31m\n"
	      "(1 row)\n\n",
	      "table: tab expanded, control characters escaped");

	check(&options, 1, names, 0, NULL, " id \n----\n(0 rows)\n\n", "table: zero rows");

	options.footer = false;
	check(&options, 1, names, 1, cells, " id \n----\n 1\n\n", "table: no footer keeps psql's empty line");
}

static void test_chunks(void)
{
	struct output_options options = { .format = OUTPUT_TABLE, .footer = true, .chunk_rows = 2 };
	const char *names[] = { "c", "d" };
	const char *cells[] = { "aaa", "1", "b", "2", "c", "3", "dd", "4", "eeeee", "5" };

	check(&options, 2, names, 5, cells,
	      "  c  | d \n"
	      "-----+---\n"
	      " aaa | 1\n"
	      " b   | 2\n"
	      " c   | 3\n"
	      " dd  | 4\n"
	      " eeeee | 5\n"
	      "(5 rows)\n\n",
	      "table: chunks of 2, header once, later chunks never narrower than it");

	options.expanded = true;
	check(&options, 2, names, 3, cells,
	      "-[ RECORD 1 ]\nc | aaa\nd | 1\n"
	      "-[ RECORD 2 ]\nc | b\nd | 2\n"
	      "-[ RECORD 3 ]\nc | c\nd | 3\n"
	      "\n",
	      "expanded: record numbers run across chunks");
}

/* 40 rows in one chunk make the held rows grow past their first allocation. */
static void test_many_rows(void)
{
	struct output_options options = { .format = OUTPUT_TABLE, .footer = true };
	const char *names[] = { "n" };
	const char *cells[40];
	char want[16 + 40 * 3 + 16] = " n \n---\n";
	int i;

	for (i = 0; i < COUNT(cells); i++) {
		cells[i] = "v";
		strcat(want, " v\n");
	}
	strcat(want, "(40 rows)\n\n");
	check(&options, 1, names, COUNT(cells), cells, want, "table: 40 rows in the default chunk");
}

static void test_expanded(void)
{
	struct output_options options = { .format = OUTPUT_TABLE, .expanded = true, .footer = true,
					  .null_text = "NULL" };
	const char *names[] = { "column_name_long", "b" };
	const char *cells[] = { "1", "some long value", NULL, "日本" };
	const char *names2[] = { "abcdefghijklmn", "b" };
	const char *cells2[] = { "1", "some long value", NULL, "x\ny" };
	const char *names3[] = { "a", "b" };
	const char *cells3[] = { "1", "" };
	const char *names4[] = { "n1\nn2", "a\nb\nc" };
	const char *cells4[] = { "v1\nv2\nv3", "w" };

	check(&options, 2, names, 2, cells,
	      "-[ RECORD 1 ]----+----------------\n"
	      "column_name_long | 1\n"
	      "b                | some long value\n"
	      "-[ RECORD 2 ]----+----------------\n"
	      "column_name_long | NULL\n"
	      "b                | 日本\n"
	      "\n",
	      "expanded: two records");

	check(&options, 2, names2, 2, cells2,
	      "-[ RECORD 1 ]--+----------------\n"
	      "abcdefghijklmn | 1\n"
	      "b              | some long value\n"
	      "-[ RECORD 2 ]--+----------------\n"
	      "abcdefghijklmn | NULL\n"
	      "b              | x              +\n"
	      "               | y\n"
	      "\n",
	      "expanded: multi-line value");

	check(&options, 2, names3, 1, cells3, "-[ RECORD 1 ]\na | 1\nb | \n\n",
	      "expanded: label wider than the record, as psql");

	check(&options, 2, names4, 1, cells4,
	      "-[ RECORD 1 ]\n"
	      "n1+| v1+\n"
	      "n2 | v2+\n"
	      "   | v3\n"
	      "a +| w\n"
	      "b +|\n"
	      "c  |\n"
	      "\n",
	      "expanded: multi-line names");

	check(&options, 1, names, 0, NULL, "(0 rows)\n\n", "expanded: zero rows");
}

static void test_csv_tsv_json(void)
{
	struct output_options options = { .format = OUTPUT_CSV };
	const char *names[] = { "a", "b,c" };
	const char *cells[] = { "x,y", "q\"uote", "line\nbreak", "", NULL, "plain", "\\.", "cr\r" };
	const char *tnames[] = { "a", "b" };
	const char *tcells[] = { "t\tb\\s", NULL, "n\nr\r", "" };
	const char *jcells[] = { "q\"\\\n\t\b\f\r\x01", NULL, "日本", "" };
	const char *dup[] = { "a", "a" };
	const char *dcells[] = { "1", "2" };

	check(&options, 2, names, 4, cells,
	      "a,\"b,c\"\n"
	      "\"x,y\",\"q\"\"uote\"\n"
	      "\"line\nbreak\",\"\"\n"
	      ",plain\n"
	      "\"\\.\",\"cr\r\"\n",
	      "csv: quoting, empty string vs NULL");
	check(&options, 2, names, 0, NULL, "a,\"b,c\"\n", "csv: zero rows is the header alone");

	options.format = OUTPUT_TSV;
	check(&options, 2, tnames, 2, tcells, "a\tb\nt\\tb\\\\s\t\\N\nn\\nr\\r\t\n", "tsv: escapes and \\N");

	options.format = OUTPUT_JSON;
	check(&options, 2, tnames, 2, jcells,
	      "[\n"
	      "{\"a\": \"q\\\"\\\\\\n\\t\\u0008\\u000c\\r\\u0001\", \"b\": null},\n"
	      "{\"a\": \"日本\", \"b\": \"\"}\n"
	      "]\n",
	      "json: escapes, null, one object per line");
	check(&options, 2, tnames, 0, NULL, "[]\n", "json: zero rows");
	check(&options, 2, dup, 1, dcells, "[\n{\"a\": \"1\", \"a\": \"2\"}\n]\n", "json: duplicate names kept");
	options.member = true;
	check(&options, 2, dup, 1, dcells, "[\n{\"a\": \"1\", \"a\": \"2\"}\n]", "json member: no newline after ]");
	check(&options, 2, tnames, 0, NULL, "[]", "json member: zero rows");
}

static void test_no_columns(void)
{
	struct output_options options = { .format = OUTPUT_TABLE, .footer = true };
	int status;
	char *got = render(&options, 0, NULL, 0, NULL, &status);

	is_str(got, "", "no columns: nothing at all, even with a footer");
	free(got);
}

static void test_width(void)
{
	is_int(output_display_width(""), 0, "width: empty");
	is_int(output_display_width("abc"), 3, "width: ascii");
	is_int(output_display_width("日本"), 4, "width: CJK counts 2");
	is_int(output_display_width("e\xcc\x81"), 1, "width: combining mark counts 0");
	is_int(output_display_width("\xef\xbc\xa1\xed\x95\x9c"), 4, "width: fullwidth A and hangul");
	is_int(output_display_width("\xf0\x9f\x98\x80\xf0\xa0\x80\x80"), 4, "width: emoji and U+20000");
	is_int(output_display_width("a\xff\xe6\x97"), 4, "width: invalid and truncated bytes count 1 each");
	is_int(output_display_width("\xed\xa0\x80"), 3, "width: an encoded surrogate is 3 invalid bytes");
}

static void test_formats(void)
{
	enum output_format format = OUTPUT_TABLE;

	ok(output_parse_format("tsv", &format) && format == OUTPUT_TSV, "parse: tsv");
	ok(output_parse_format("json", &format) && format == OUTPUT_JSON, "parse: json");
	ok(!output_parse_format("aligned", &format), "parse: aligned is not ours");
	is_str(output_format_name(OUTPUT_CSV), "csv", "name: csv");
	is_str(output_format_name(OUTPUT_TABLE), "table", "name: table");
}

static void test_failed_write(void)
{
	struct output_options options = { .format = OUTPUT_CSV };
	const char *names[] = { "a" };
	const char *cells[] = { "1" };
	FILE *stream = fopen("/dev/null", "r");
	struct output out;

	if (!stream) {
		ok(0, "cannot open /dev/null");
		return;
	}
	output_begin(&out, stream, &options, 1, names);
	is_int(output_row(&out, cells), -1, "failed write: csv row returns -1");
	is_int(output_row(&out, cells), -1, "failed write: and every row after");
	is_int(output_end(&out), -1, "failed write: output_end returns -1");

	/* the table holds rows, so the failure shows when its chunk is written at the end */
	options.format = OUTPUT_TABLE;
	output_begin(&out, stream, &options, 1, names);
	is_int(output_row(&out, cells), 0, "failed write: table row is only held");
	is_int(output_end(&out), -1, "failed write: table output_end returns -1");

	output_begin(&out, stream, &options, 1, names);
	output_row(&out, cells);
	output_abandon(&out);
	ok(out.names == NULL && out.pending == NULL, "abandon frees names and pending rows");
	fclose(stream);
}

/* psql right-aligns numeric columns; NULL and the header stay as they are */
static void test_numeric(void)
{
	static const char *const names[] = { "n", "t" };
	static const char *const cells[] = { "5", "a", "12345", "bb", NULL, "c" };
	static const bool numeric[] = { true, false };
	struct output_options options = { OUTPUT_TABLE, false, true, "(null)", 0, false };
	struct output out;
	char *text = NULL;
	size_t len = 0;
	FILE *stream = open_memstream(&text, &len);
	int i;

	output_begin(&out, stream, &options, 2, names);
	output_set_numeric(&out, numeric);
	for (i = 0; i < 3; i++)
		output_row(&out, cells + i * 2);
	ok(output_end(&out) == 0, "numeric: output_end");
	fclose(stream);
	is_str(text,
	       "   n    | t  \n"
	       "--------+----\n"
	       "      5 | a\n"
	       "  12345 | bb\n"
	       " (null) | c\n"
	       "(3 rows)\n\n",
	       "numeric columns are right-aligned, as psql aligns them");
	free(text);
}

int main(void)
{
	test_table();
	test_chunks();
	test_many_rows();
	test_expanded();
	test_csv_tsv_json();
	test_no_columns();
	test_width();
	test_formats();
	test_failed_write();
	test_numeric();
	return done_testing();
}
