/* The JSON writer: commas, nesting, escaping. */
#include "../../src/json.h"
#include "tap.h"

int main(void)
{
	struct json json;

	json_init(&json);
	json_object_begin(&json, NULL);
	json_string(&json, "s", "a\"b\\c\n\x01");
	json_int(&json, "i", -3);
	json_null(&json, "n");
	json_array_begin(&json, "a");
	json_bool(&json, NULL, true);
	json_double(&json, NULL, 1.5);
	json_object_begin(&json, NULL);
	json_object_end(&json);
	json_array_end(&json);
	json_string(&json, "z", NULL);
	json_object_end(&json);
	is_str(json.out.buf, "{\"s\":\"a\\\"b\\\\c\\n\\u0001\",\"i\":-3,\"n\":null,\"a\":[true,1.500,{}],\"z\":null}",
	       "nested document with escapes");
	json_release(&json);
	return done_testing();
}
