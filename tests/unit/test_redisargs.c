/* redis-cli's argument splitting. */
#include "../../src/redisargs.h"
#include "tap.h"

static void check(const char *line, int count, const char *first, const char *last)
{
	struct redisargs args;
	struct err err;

	err_init(&err);
	ok(redisargs_split(line, &args, &err) == 0, "splits: %s", line);
	is_int(args.count, count, "argument count");
	if (args.count > 0) {
		is_str(args.values[0], first, "first argument");
		is_str(args.values[args.count - 1], last, "last argument");
	}
	redisargs_release(&args);
}

static void check_bad(const char *line)
{
	struct redisargs args;
	struct err err;

	err_init(&err);
	ok(redisargs_split(line, &args, &err) != 0, "refuses: %s (%s)", line, err.message);
	is_int(err.code, EXIT_USAGE, "as bad input");
}

int main(void)
{
	struct redisargs args;
	struct err err;

	check("SET key value", 3, "SET", "value");
	check("  GET   spaced  ", 2, "GET", "spaced");
	check("SET k \"two words\"", 3, "SET", "two words");
	check("SET k 'it\\'s'", 3, "SET", "it's");
	check("SET k \"tab\\there\"", 3, "SET", "tab\there");
	check("SET k 'no \\n escape'", 3, "SET", "no \\n escape");
	check("", 0, NULL, NULL);
	check_bad("SET k \"unterminated");
	check_bad("SET k 'unterminated");
	check_bad("SET k \"a\"b");

	err_init(&err);
	ok(redisargs_split("SET k \"\\x00\\x41\"", &args, &err) == 0, "hex escapes");
	is_int(args.lengths[2], 2, "a \\x00 byte is kept, length 2");
	ok(args.values[2][0] == 0 && args.values[2][1] == 'A', "bytes 0x00 0x41");
	redisargs_release(&args);
	return done_testing();
}
