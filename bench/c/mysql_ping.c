/* mysql_ping HOST PORT USER DB: the smallest libmariadb client that does what
 * `dbctl ping` does for MySQL/MariaDB: mysql_init, a blocking
 * mysql_real_connect over TCP without TLS, SELECT 1, check the answer, close.
 * The password comes from $BENCH_MYSQL_PW (never from argv, which ps shows).
 * The floor of bench/mysql.sh's "ping within 1.15x of C" target. */
#include <mysql.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
	MYSQL *my;
	MYSQL_RES *res;
	MYSQL_ROW row;
	my_bool off = 0;
	const char *pw = getenv("BENCH_MYSQL_PW");
	int ok;

	if (argc != 5) {
		fprintf(stderr, "usage: mysql_ping HOST PORT USER DB (password in $BENCH_MYSQL_PW)\n");
		return 3;
	}
	my = mysql_init(NULL);
	if (!my)
		return 2;
	/* plaintext, as the dbctl and mysqladmin --skip-ssl rows: the 3.3 client
	 * otherwise negotiates TLS when the server offers it */
	mysql_optionsv(my, MYSQL_OPT_SSL_ENFORCE, &off);
	if (!mysql_real_connect(my, argv[1], argv[3], pw, argv[4], (unsigned)atoi(argv[2]), NULL, 0)) {
		fprintf(stderr, "mysql_ping: %s\n", mysql_error(my));
		mysql_close(my);
		return 2;
	}
	ok = mysql_query(my, "SELECT 1") == 0 && (res = mysql_store_result(my)) != NULL;
	if (ok) {
		row = mysql_fetch_row(res);
		ok = row && row[0] && strcmp(row[0], "1") == 0;
		mysql_free_result(res);
	}
	if (!ok)
		fprintf(stderr, "mysql_ping: %s\n", mysql_error(my));
	mysql_close(my);
	return ok ? 0 : 1;
}
