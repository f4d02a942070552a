/* sqlite_ping FILE: open a SQLite database and read its schema count, the
 * same read `sqlite3 FILE 'select count(*) from sqlite_schema'` does, without
 * the shell's start-up. A reference row for bench/ping.sh (no target). */
#include <sqlite3.h>
#include <stdio.h>

int main(int argc, char **argv)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	int rc;

	if (argc != 2) {
		fprintf(stderr, "usage: sqlite_ping FILE\n");
		return 3;
	}
	if (sqlite3_open_v2(argv[1], &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
		fprintf(stderr, "sqlite_ping: %s\n", sqlite3_errmsg(db));
		return 2;
	}
	rc = sqlite3_prepare_v2(db, "select count(*) from sqlite_schema", -1, &st, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc != SQLITE_ROW)
		fprintf(stderr, "sqlite_ping: %s\n", sqlite3_errmsg(db));
	sqlite3_finalize(st);
	sqlite3_close(db);
	return rc == SQLITE_ROW ? 0 : 1;
}
