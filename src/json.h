/* A small streaming JSON writer into a strbuf, with commas handled for the caller. */
#ifndef DBCTL_JSON_H
#define DBCTL_JSON_H

#include "strbuf.h"

#include <stdbool.h>

struct json {
	struct strbuf out;
	int depth;
	bool has_items[32];   /* per nesting level: does it need a comma before the next item */
};

void json_init(struct json *json);
void json_release(struct json *json);

/* key is NULL inside arrays and for the top-level value. */
void json_object_begin(struct json *json, const char *key);
void json_object_end(struct json *json);
void json_array_begin(struct json *json, const char *key);
void json_array_end(struct json *json);
void json_string(struct json *json, const char *key, const char *value);   /* NULL value writes null */
void json_int(struct json *json, const char *key, long value);
void json_double(struct json *json, const char *key, double value);
void json_bool(struct json *json, const char *key, bool value);
void json_null(struct json *json, const char *key);
/* value is already valid JSON text (e.g. a number) */
void json_raw(struct json *json, const char *key, const char *value);

#endif
