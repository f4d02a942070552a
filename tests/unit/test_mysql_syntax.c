/* my_syntax_place: a MySQL 1064 placed in its statement from the server's
 * "near '...' at line N", whose N skips the newlines inside strings and
 * quoted names. The messages are the ones MariaDB 10.11 sends. */
#include "../../src/drv_mysql_syntax.h"
#include "tap.h"

#include <stdio.h>

#define PREFIX "You have an error in your SQL syntax; check the manual that corresponds to your MariaDB " \
	       "server version for the right syntax to use near '"

/* Places the error of message (near-text and line) in stmt; checks the
 * position and the rewritten message's near-part. */
static void check(const char *stmt, const char *near_and_line, bool backslash, int want_position,
		  const char *want_near, const char *name)
{
	struct err err = { 0 };
	char want[1024];

	snprintf(err.message, sizeof(err.message), PREFIX "%s (MySQL error 1064)", near_and_line);
	my_syntax_place(&err, stmt, strlen(stmt), backslash);
	is_int(err.position, want_position, name);
	snprintf(want, sizeof(want), PREFIX "%s (MySQL error 1064)", want_near);
	is_str(err.message, want, name);
}

int main(void)
{
	check("SELECT 1 + FROM t", "FROM t' at line 1", true, 12, "FROM t'", "one line");
	check("SELECT\n  1 +\n  FROM nowhere", "FROM nowhere' at line 3", true, 16, "FROM nowhere'",
	      "the near-text on line N");
	/* the server counts no newline inside a string or a quoted name */
	check("SELECT 'a\nb',\n  1 +\n  FROM nowhere", "FROM nowhere' at line 3", true, 23, "FROM nowhere'",
	      "a newline inside a string before the error");
	check("SELECT \"a\nb\",\n  1 +\n  FROM nowhere", "FROM nowhere' at line 3", true, 23, "FROM nowhere'",
	      "inside a double-quoted string");
	check("SELECT `a\nb`,\n  1 +\n  FROM nowhere", "FROM nowhere' at line 3", true, 23, "FROM nowhere'",
	      "inside a quoted name");
	check("SELECT 'a\\'\nb', 1 +\n  FROM nowhere", "FROM nowhere' at line 2", true, 23, "FROM nowhere'",
	      "an escaped quote does not end the string");
	/* with NO_BACKSLASH_ESCAPES the string ends at the quote after the backslash */
	check("SELECT 'a\\'\n, 1 +\n  FROM nowhere", "FROM nowhere' at line 3", false, 21, "FROM nowhere'",
	      "NO_BACKSLASH_ESCAPES: a backslash escapes nothing");
	/* but those inside comments it counts */
	check("SELECT /* a\nb */ 2 FROM\n  1 +\n  FROM nowhere", "1 +\n  FROM nowhere' at line 3", true, 27,
	      "1 +\n  FROM nowhere'", "a newline inside a comment counts");
	check("SELECT 1 -- c\n, 2 # x\n, 3 FROM\n  1 +\n  FROM t", "1 +\n  FROM t' at line 4", true, 34,
	      "1 +\n  FROM t'", "-- and # comments");
	check("SELECT '# not a comment\n', 1 +\n  FROM t", "FROM t' at line 2", true, 34, "FROM t'",
	      "a # inside a string");
	/* the near-text runs on into the next statements of the message */
	check("SELECT 1 + FROM t", "FROM t\n;INSERT INTO t VALUES (1)' at line 1", true, 12, "FROM t'",
	      "cut at the statement's end");
	check("SELECT 1 +", "' at line 1", true, 11, "'", "near '': at the end");
	check("SELECT 1 +", ";INSERT INTO t VALUES (1)' at line 2", true, 11, "'",
	      "the next statement's ';' on the line after: at the end");
	check("SELECT 1 + -- c", ";SELECT 2' at line 2", true, 16, "'", "at the end after a comment");
	/* 80 bytes, then "..." */
	check("SELECT 1 + FROM aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	      "FROM aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...' at line 1", true, 12,
	      "FROM aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...'", "a truncated near-text");
	/* characters, not bytes */
	check("SELECT 'é', 1 + FROM t", "FROM t' at line 1", true, 17, "FROM t'", "a multibyte character before");
	/* the same text twice: the one on line N */
	check("SELECT 1 + FROM t,\n1 + FROM t", "FROM t' at line 2", true, 24, "FROM t'", "the match on line N");
	/* a near-text not found: line N's start */
	check("SELECT 1\nFROM t WHERE", "xyz' at line 2", true, 10, "xyz'", "not found: the line's start");
	/* the server quotes the statement raw: a password in the near-text is masked */
	check("CREATE USER 'u'@'%' IDENTIFIED BYY 'S3cr\xc3\xa9t'", "BYY 'S3cr\xc3\xa9t'' at line 1", true, 32,
	      "BYY '******''", "a password in the near-text: one '*' a character");
	check("CREATE USER u IDENTIFIED BY 'S3cret' PASSWORD EXPIRE,\n  x", "'S3cret' PASSWORD EXPIRE,\n  x' at line 1",
	      true, 29, "'******' PASSWORD EXPIRE,\n  x'", "the near-text starting at the password");
	check("ALTER USER u IDENTIFIED BY 'S3cret'\nFROM", "qqq' at line 2", true, 37, "***'",
	      "a statement with a password, the near-text not found in it: all masked");
	check("SELECT 'S3cret' +", "'S3cret' +' at line 1", true, 8, "'S3cret' +'", "a plain string is not a password");
	{
		struct err err = { 0 };

		snprintf(err.message, sizeof(err.message), PREFIX "xyz' at line 5 (MySQL error 1064)");
		my_syntax_place(&err, "SELECT 1", 8, true);
		is_int(err.position, 0, "a line the statement does not have: no position");
		is_str(err.message, PREFIX "xyz' at line 5 (MySQL error 1064)", "... and the message as it was");
		snprintf(err.message, sizeof(err.message), "Table 't' doesn't exist (MySQL error 1146)");
		my_syntax_place(&err, "SELECT 1", 8, true);
		is_int(err.position, 0, "another message: left alone");
	}
	return done_testing();
}
