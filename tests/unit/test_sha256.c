/* SHA-256 against the FIPS 180-4 / NIST test vectors. */
#include "../../src/sha256.h"
#include "tap.h"

static void check(const char *input, size_t repeat, const char *want)
{
	struct sha256 ctx;
	char hex[65];
	size_t i;

	sha256_init(&ctx);
	for (i = 0; i < repeat; i++)
		sha256_update(&ctx, input, strlen(input));
	sha256_final_hex(&ctx, hex);
	is_str(hex, want, input[0] ? input : "(empty)");
}

int main(void)
{
	check("", 1, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	check("abc", 1, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	check("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 1,
	      "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	check("a", 1000000, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
	return done_testing();
}
