/* JSON writer. */
#include "json.h"

#include <math.h>
#include <stdio.h>

void json_init(struct json *json)
{
	strbuf_init(&json->out);
	json->depth = 0;
	json->has_items[0] = false;
}

void json_release(struct json *json)
{
	strbuf_release(&json->out);
}

static void item_start(struct json *json, const char *key)
{
	if (json->has_items[json->depth])
		strbuf_addch(&json->out, ',');
	json->has_items[json->depth] = true;
	if (key) {
		strbuf_add_json_string(&json->out, key);
		strbuf_addch(&json->out, ':');
	}
}

static void open_level(struct json *json, const char *key, char bracket)
{
	item_start(json, key);
	strbuf_addch(&json->out, bracket);
	if (json->depth < 31)
		json->depth++;
	json->has_items[json->depth] = false;
}

void json_object_begin(struct json *json, const char *key)
{
	open_level(json, key, '{');
}

void json_object_end(struct json *json)
{
	json->depth--;
	strbuf_addch(&json->out, '}');
}

void json_array_begin(struct json *json, const char *key)
{
	open_level(json, key, '[');
}

void json_array_end(struct json *json)
{
	json->depth--;
	strbuf_addch(&json->out, ']');
}

void json_string(struct json *json, const char *key, const char *value)
{
	item_start(json, key);
	strbuf_add_json_string(&json->out, value);
}

void json_int(struct json *json, const char *key, long value)
{
	item_start(json, key);
	strbuf_addf(&json->out, "%ld", value);
}

void json_double(struct json *json, const char *key, double value)
{
	item_start(json, key);
	if (isfinite(value))
		strbuf_addf(&json->out, "%.3f", value);
	else
		strbuf_addstr(&json->out, "null");
}

void json_bool(struct json *json, const char *key, bool value)
{
	item_start(json, key);
	strbuf_addstr(&json->out, value ? "true" : "false");
}

void json_null(struct json *json, const char *key)
{
	item_start(json, key);
	strbuf_addstr(&json->out, "null");
}

void json_raw(struct json *json, const char *key, const char *value)
{
	item_start(json, key);
	strbuf_addstr(&json->out, value);
}
