/* pq_ping URL: the smallest libpq client that does what `dbctl ping` does for
 * PostgreSQL: connect (blocking PQconnectdb), SELECT 1, check the answer, exit.
 * The baseline of bench/ping.sh's "within 1.15x of C libpq" target. */
#include <libpq-fe.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
	PGconn *conn;
	PGresult *res;
	int ok;

	if (argc != 2) {
		fprintf(stderr, "usage: pq_ping URL\n");
		return 3;
	}
	conn = PQconnectdb(argv[1]);
	if (PQstatus(conn) != CONNECTION_OK) {
		fprintf(stderr, "pq_ping: %s", PQerrorMessage(conn));
		PQfinish(conn);
		return 2;
	}
	res = PQexec(conn, "SELECT 1");
	ok = PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1 && strcmp(PQgetvalue(res, 0, 0), "1") == 0;
	if (!ok)
		fprintf(stderr, "pq_ping: %s", PQerrorMessage(conn));
	PQclear(res);
	PQfinish(conn);
	return ok ? 0 : 1;
}
