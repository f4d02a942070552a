/* libFuzzer target for the statement lexer: any bytes, any dialect (PostgreSQL, SQLite, Redis, MySQL: the first byte's low two bits), must
 * split or be refused with exit 3, never crash, leak or read out of bounds.
 * Build and run: make fuzz (FUZZ_SECONDS=60). */
#include "../../src/sqlscan.h"

#include <stdint.h>
#include <stdlib.h>

static bool any_variable(void *context, const char *name, char quote, struct strbuf *out)
{
	(void)context;
	if (name[0] != 'v')
		return false;
	strbuf_addstr(out, quote == '\'' ? "'x''y'" : quote == '"' ? "\"x\"\"y\"" : "x;y");
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sqlscan scan;
	struct sqlscan_statement statement;
	struct strbuf copy, source_line;
	struct digest digest;
	struct err err;
	FILE *in;
	int rc;

	if (size < 1)
		return 0;
	in = fmemopen((void *)(data + 1), size - 1, "r");
	if (!in)
		return 0;
	sqlscan_init(&scan, in, "fuzz", (enum sqlscan_dialect)(data[0] % 4));
	scan.variable = any_variable;
	/* the run pass's settings: a snapshot limit, the server's string setting */
	digest_init(&digest);
	scan.digest = &digest;
	if (data[0] & 0x10)
		scan.limit = (long long)(size / 2);
	scan.track_strings = (data[0] & 0x20) == 0;
	scan.backslash_strings = (data[0] & 0x40) != 0;
	scan.no_backslash_escapes = (data[0] & 0x80) != 0;   /* MySQL: a session that starts with NO_BACKSLASH_ESCAPES */
	sqlscan_statement_init(&statement);
	strbuf_init(&copy);
	strbuf_init(&source_line);
	err_init(&err);
	while ((rc = sqlscan_next(&scan, &statement, &err)) == 1) {
		int line, column, caret;

		sqlscan_locate(&statement, (int)(statement.text.len % 97) + 1, &line, &column, &source_line, &caret);
		if (line < statement.line)
			abort();
		while (statement.kind == SQLSCAN_COPY_IN && (rc = sqlscan_copy_line(&scan, &copy, &err)) == 1)
			;
		if (rc < 0)
			break;
	}
	if (rc < 0 && err.code != EXIT_USAGE)
		abort();
	strbuf_release(&source_line);
	strbuf_release(&copy);
	sqlscan_statement_release(&statement);
	sqlscan_release(&scan);
	fclose(in);
	return 0;
}
