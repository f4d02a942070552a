/* libFuzzer target for URL masking and scrubbing: any text and any secret,
 * in buffers of every fill, must never crash or write out of bounds; and
 * whatever password libpq would take from a text it parses, the scrubber
 * must know (differential check against PQconninfoParse).
 * Build and run: make fuzz (FUZZ_SECONDS=60). */
#include "../../src/err.h"
#include "../../src/url.h"

#include <libpq-fe.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static char *libpq_password(const char *text)
{
	PQconninfoOption *options, *o;
	char *error = NULL, *password = NULL;

	options = PQconninfoParse(text, &error);
	PQfreemem(error);
	if (!options)
		return NULL;
	for (o = options; o->keyword; o++)
		if (strcmp(o->keyword, "password") == 0 && o->val && *o->val)
			password = strdup(o->val);
	PQconninfoFree(options);
	return password;
}

/* The scrubber knows libpq's password: url_password gives it, url_secrets lists it. */
static void check_against_libpq(const char *text)
{
	char *expected = libpq_password(text), *got, **secrets;
	bool listed = false;
	size_t i;

	if (!expected || url_userinfo_unencoded(text)) {
		free(expected);
		return;
	}
	got = url_password(text);
	secrets = url_secrets(text);
	for (i = 0; secrets && secrets[i]; i++)
		listed = listed || strcmp(secrets[i], expected) == 0;
	if (!got || strcmp(got, expected) != 0 || !listed)
		abort();
	/* and the masked text no longer gives libpq that password */
	{
		char *masked = url_mask(text), *after = libpq_password(masked);

		if (after && strlen(expected) >= ERR_SCRUB_SHORT && !strchr(expected, '*') && strcmp(after, expected) == 0)
			abort();
		free(after);
		free(masked);
	}
	free(got);
	url_secrets_free(secrets);
	free(expected);
}

/* err_scrub on the text in buffers filled to the brim and beyond. */
static void check_scrub(const char *text, const char *secret)
{
	size_t len = strlen(text), sizes[] = { 1, 2, 3, 4, len > 2 ? len - 2 : 1, len ? len : 1, len + 1, len + 8 };
	size_t i;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t size = sizes[i];
		char *buf = malloc(size);
		const char *list[3] = { secret, text, "" };

		memcpy(buf, text, size - 1 < len ? size - 1 : len);
		buf[size - 1 < len ? size - 1 : len] = '\0';
		err_scrub(buf, size, secret);
		if (strlen(buf) >= size)
			abort();
		/* a long secret never survives a scrub (one with a '*' can be
		 * rebuilt from the masks themselves: "a***" from "aa***") */
		if (strlen(secret) >= ERR_SCRUB_SHORT && !strchr(secret, '*') && strstr(buf, secret))
			abort();
		err_scrub_list(buf, size, list, 3);
		/* a quoted raw text becomes its masked form, longer or shorter */
		err_replace(buf, size, secret, "***");
		err_replace(buf, size, "*", text);
		if (strlen(buf) >= size)
			abort();
		/* no NUL inside size: the last byte ends the text */
		memset(buf, 'x', size);
		err_scrub(buf, size, "xx");
		if (strlen(buf) >= size)
			abort();
		free(buf);
	}
}

/* The same for Redis: the password drv_redis takes (userinfo, else
 * ?password=) is gone from the masked text, as url_parse reads it. */
static char *redis_password(const char *text)
{
	struct url url;
	struct err err;
	char *password = NULL;

	if (url_parse(text, &url, &err) != 0)
		return NULL;
	if (url.password && *url.password)
		password = strdup(url.password);
	else if (url.query)
		password = url_query_get(url.query, "password");
	url_release(&url);
	return password;
}

static void check_redis_masked(const char *text)
{
	char *expected, *masked, *after;

	if (url_backend_of(text) != URL_BACKEND_REDIS || url_userinfo_unencoded(text))
		return;
	expected = redis_password(text);
	if (!expected || strlen(expected) < ERR_SCRUB_SHORT || strchr(expected, '*')) {
		free(expected);
		return;
	}
	masked = url_mask(text);
	after = redis_password(masked);
	if (after && strcmp(after, expected) == 0)
		abort();
	free(after);
	free(masked);
	free(expected);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *input, *text, *secret, *masked, *split, **secrets;
	size_t i;

	input = malloc(size + 1);
	memcpy(input, data, size);
	input[size] = '\0';
	/* "TEXT\x01SECRET": the secret for err_scrub; without \x01, the URL's own */
	text = input;
	split = strchr(input, '\x01');
	if (split)
		*split = '\0';
	secret = split ? split + 1 : NULL;

	masked = url_mask(text);
	free(masked);
	masked = url_mask_word(text);
	free(masked);
	free(url_password(text));
	secrets = url_secrets(text);
	for (i = 0; secrets && secrets[i]; i++)
		check_scrub(text, secrets[i]);
	url_secrets_free(secrets);
	if (secret && *secret)
		check_scrub(text, secret);
	(void)url_userinfo_unencoded(text);
	check_against_libpq(text);
	check_redis_masked(text);
	{
		char *copy = strdup(text);

		url_hide(copy);
		if (strlen(copy) != strlen(text))
			abort();
		free(copy);
	}
	free(input);
	return 0;
}
