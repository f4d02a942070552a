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

	/* issue 9: whatever the bytes, the document is UTF-8 */
	{
		static const struct {
			const char *in, *out, *name;
		} cases[] = {
			{ "d\xff" "b", "\"d\\ufffdb\"", "a lone 0xff byte is replaced" },
			{ "caf\xc3\xa9", "\"caf\xc3\xa9\"", "well-formed UTF-8 is kept as is" },
			{ "\xe2\x82\xac\xf0\x9f\x98\x80", "\"\xe2\x82\xac\xf0\x9f\x98\x80\"", "3- and 4-byte sequences kept" },
			{ "\xc3", "\"\\ufffd\"", "a sequence cut by the end of the string" },
			{ "\xc0\xaf", "\"\\ufffd\\ufffd\"", "an overlong '/' is two replacements" },
			{ "\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\"", "an encoded surrogate is refused" },
			{ "\xf4\x90\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\"", "past U+10FFFF is refused" },
			{ "a\xe2\x82" "b", "\"a\\ufffd\\ufffdb\"", "a truncated sequence before ASCII" },
		};
		size_t i;

		for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			json_init(&json);
			json_string(&json, NULL, cases[i].in);
			is_str(json.out.buf, cases[i].out, cases[i].name);
			json_release(&json);
		}
	}
	return done_testing();
}
