/* redis_ping HOST PORT PASSWORD: the smallest hiredis (0.14) client that does
 * what `dbctl ping` does for Redis: connect, AUTH, PING, check PONG, exit.
 * Takes the password decoded (no URL parsing) so that it costs nothing. */
#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
	redisContext *c;
	redisReply *r;
	int ok;

	if (argc != 4) {
		fprintf(stderr, "usage: redis_ping HOST PORT PASSWORD\n");
		return 3;
	}
	c = redisConnect(argv[1], atoi(argv[2]));
	if (!c || c->err) {
		fprintf(stderr, "redis_ping: %s\n", c ? c->errstr : "out of memory");
		return 2;
	}
	r = redisCommand(c, "AUTH %s", argv[3]);
	if (!r || r->type == REDIS_REPLY_ERROR) {
		fprintf(stderr, "redis_ping: AUTH: %s\n", r ? r->str : c->errstr);
		return 1;
	}
	freeReplyObject(r);
	r = redisCommand(c, "PING");
	ok = r && r->type == REDIS_REPLY_STATUS && strcmp(r->str, "PONG") == 0;
	if (!ok)
		fprintf(stderr, "redis_ping: PING: %s\n", r ? (r->str ? r->str : "?") : c->errstr);
	freeReplyObject(r);
	redisFree(c);
	return ok ? 0 : 1;
}
