/* Redis's dialect: commands, not SQL. MULTI/EXEC applies what it can and
 * undoes nothing, errors are replies, and there is no catalogue to complete
 * from but the command table. Linked into the redis module. */
#include "dialect.h"

/* Used when the server cannot list its commands (COMMAND LIST is Redis 7). */
static const char *const command_names[] = {
	"APPEND", "AUTH", "DBSIZE", "DECR", "DEL", "DISCARD", "EXEC", "EXISTS", "EXPIRE", "GET", "HDEL", "HGET",
	"HGETALL", "HSET", "INCR", "INFO", "KEYS", "LPOP", "LPUSH", "LRANGE", "MGET", "MSET", "MULTI", "PING",
	"RPOP", "RPUSH", "SADD", "SCAN", "SELECT", "SET", "SMEMBERS", "TTL", "TYPE", "UNWATCH", "WATCH", "ZADD",
	"ZRANGE", NULL,
};

const struct dialect redis_dialect = {
	.lexer = SQLSCAN_REDIS,
	.rolls_back = false,
	.commit_word = "EXEC",
	.committed = "applied the commands",
	.commit_hint = "",
	.left_open = "the script left a transaction (MULTI) open at its end: the commands it queued were discarded, "
		     "none of them ran",
	.left_open_hint = "end it with EXEC in the script; the commands before MULTI stayed applied",
	.error_style = DIALECT_ERRORS_REPLY,
	.error_prefix = "",   /* a reply carries its own: "ERR ...", "WRONGTYPE ..." */
	.identifier_quote = '"',
	.prompt_idle = "",
	.prompt_transaction = "(TX)",
	.prompt_failed = "",
	.prompt_names_host = true,
	.completion_sql = "COMMAND LIST",
	.completes_commands = true,
	.command_names = command_names,
	.no_catalogue = "Redis has no catalog: try SCAN 0 MATCH pattern, or TYPE key",
};
