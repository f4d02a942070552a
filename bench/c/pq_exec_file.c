/* pq_exec_file: the floor for running a SQL script on PostgreSQL - the whole
 * file as ONE simple-query message, wrapped in BEGIN/COMMIT.
 *
 *   pq_exec_file URL FILE
 *
 * Reads FILE whole, sends "BEGIN;\n" FILE "\nCOMMIT;" with one PQsendQuery
 * (one round trip, no parsing on the client), reads every result, and prints
 * how many statements succeeded. Exit 0 if all did, 1 on any error.
 * (psql -c "$(cat FILE)" would do the same, but one argv string is limited to
 * 128 KiB (MAX_ARG_STRLEN), and a 50,000-statement script is ~2.4 MB.) */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
	static const char head[] = "BEGIN;\n", tail[] = "\nCOMMIT;";
	PGconn *conn;
	PGresult *res;
	FILE *f;
	char *sql;
	long size, ok = 0, failed = 0;

	if (argc != 3) {
		fprintf(stderr, "usage: pq_exec_file URL FILE\n");
		return 2;
	}
	f = fopen(argv[2], "rb");
	if (!f || fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
		perror(argv[2]);
		return 2;
	}
	sql = malloc(sizeof(head) - 1 + (size_t)size + sizeof(tail));
	if (!sql || fread(sql + sizeof(head) - 1, 1, (size_t)size, f) != (size_t)size) {
		perror(argv[2]);
		return 2;
	}
	fclose(f);
	memcpy(sql, head, sizeof(head) - 1);
	memcpy(sql + sizeof(head) - 1 + size, tail, sizeof(tail));   /* with its NUL */

	conn = PQconnectdb(argv[1]);
	if (PQstatus(conn) != CONNECTION_OK) {
		fprintf(stderr, "pq_exec_file: %s", PQerrorMessage(conn));
		PQfinish(conn);
		return 1;
	}
	if (!PQsendQuery(conn, sql)) {
		fprintf(stderr, "pq_exec_file: %s", PQerrorMessage(conn));
		PQfinish(conn);
		return 1;
	}
	while ((res = PQgetResult(conn)) != NULL) {
		ExecStatusType st = PQresultStatus(res);

		if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK || st == PGRES_EMPTY_QUERY) {
			ok++;
		} else {
			if (!failed)
				fprintf(stderr, "pq_exec_file: %s", PQresultErrorMessage(res));
			failed++;
		}
		PQclear(res);
	}
	PQfinish(conn);
	free(sql);
	printf("%ld\n", ok - 2);   /* the script's statements, not BEGIN/COMMIT */
	return failed ? 1 : 0;
}
