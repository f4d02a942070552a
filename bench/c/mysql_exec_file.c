/* mysql_exec_file: the floor for running a SQL script on MySQL/MariaDB - the
 * whole file as ONE COM_QUERY message (CLIENT_MULTI_STATEMENTS), optionally
 * wrapped in START TRANSACTION/COMMIT like dbctl's transactional run.
 *
 *   mysql_exec_file [-t|-l] HOST PORT USER DB FILE     (password in $BENCH_MYSQL_PW)
 *
 * -l sends each line of FILE as a statement of its own instead, one round
 * trip each, on the one connection: the floor for a tool that must see a
 * statement succeed before it sends the next (a migrator writing a
 * migration's row after its DDL).
 *
 * Reads FILE whole, sends it with one mysql_real_query (one round trip, no
 * parsing on the client), drains every result with mysql_next_result, and
 * prints how many statements succeeded (the script's, not the wrapper's).
 * Exit 0 if all did, 1 on an error (the server stops at the first one). */
#include <mysql.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
	static const char head[] = "START TRANSACTION;\n", tail[] = "\nCOMMIT;";
	MYSQL *my;
	my_bool off = 0;
	FILE *f;
	char *sql;
	size_t hl = 0, len;
	long size, ok = 0;
	int tx = 0, lines = 0, st;
	const char *pw = getenv("BENCH_MYSQL_PW");

	if (argc > 1 && strcmp(argv[1], "-t") == 0) {
		tx = 1;
		argv++;
		argc--;
	} else if (argc > 1 && strcmp(argv[1], "-l") == 0) {
		lines = 1;
		argv++;
		argc--;
	}
	if (argc != 6) {
		fprintf(stderr, "usage: mysql_exec_file [-t|-l] HOST PORT USER DB FILE\n");
		return 2;
	}
	f = fopen(argv[5], "rb");
	if (!f || fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
		perror(argv[5]);
		return 2;
	}
	if (tx)
		hl = sizeof(head) - 1;
	sql = malloc(hl + (size_t)size + sizeof(tail));
	if (!sql || fread(sql + hl, 1, (size_t)size, f) != (size_t)size) {
		perror(argv[5]);
		return 2;
	}
	fclose(f);
	memcpy(sql, head, hl);
	len = hl + (size_t)size;
	if (tx) {
		memcpy(sql + len, tail, sizeof(tail) - 1);
		len += sizeof(tail) - 1;
	}

	my = mysql_init(NULL);
	if (!my)
		return 1;
	mysql_optionsv(my, MYSQL_OPT_SSL_ENFORCE, &off);
	if (!mysql_real_connect(my, argv[1], argv[3], pw, argv[4], (unsigned)atoi(argv[2]), NULL,
				CLIENT_MULTI_STATEMENTS)) {
		fprintf(stderr, "mysql_exec_file: %s\n", mysql_error(my));
		mysql_close(my);
		return 1;
	}
	if (lines) {
		char *line = sql, *end = sql + len;

		while (line < end) {
			char *nl = memchr(line, '\n', (size_t)(end - line));
			size_t n = (nl ? nl : end) - line;

			while (n && (line[n - 1] == ';' || line[n - 1] == ' ' || line[n - 1] == '\r'))
				n--;
			if (n) {
				MYSQL_RES *res;

				if (mysql_real_query(my, line, (unsigned long)n) != 0) {
					fprintf(stderr, "mysql_exec_file: %s\n", mysql_error(my));
					mysql_close(my);
					return 1;
				}
				res = mysql_store_result(my);
				if (res)
					mysql_free_result(res);
				ok++;
			}
			line = nl ? nl + 1 : end;
		}
		mysql_close(my);
		free(sql);
		printf("%ld\n", ok);
		return 0;
	}
	/* the packet limit is the server's max_allowed_packet (16 MiB default) */
	if (mysql_real_query(my, sql, (unsigned long)len) != 0) {
		fprintf(stderr, "mysql_exec_file: %s\n", mysql_error(my));
		mysql_close(my);
		return 1;
	}
	do {
		MYSQL_RES *res = mysql_store_result(my);

		if (res)
			mysql_free_result(res);
		else if (mysql_field_count(my) != 0)
			break;
		ok++;
	} while ((st = mysql_next_result(my)) == 0);
	if (mysql_errno(my)) {
		fprintf(stderr, "mysql_exec_file: %s\n", mysql_error(my));
		mysql_close(my);
		return 1;
	}
	mysql_close(my);
	free(sql);
	printf("%ld\n", ok - (tx ? 2 : 0));
	return 0;
}
