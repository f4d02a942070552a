/* URL parsing for Redis and SQLite targets, and masking of passwords for any target. */
#include "url.h"
#include "strbuf.h"
#include "sqlscan_charset.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static char *copy_span(const char *s, size_t len)
{
	struct strbuf sb;

	strbuf_init(&sb);
	strbuf_add(&sb, s, len);
	return strbuf_detach(&sb);
}

static int hex_value(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Decodes %XX; returns NULL on a malformed escape, and on %00, which would
 * cut the C string short: "app%00x" must not quietly become "app" (libpq
 * refuses it too). */
static char *percent_decode(const char *s, size_t len)
{
	struct strbuf sb;
	size_t i;

	strbuf_init(&sb);
	for (i = 0; i < len; i++) {
		int hi, lo;

		if (s[i] != '%') {
			strbuf_addch(&sb, s[i]);
			continue;
		}
		hi = i + 2 < len ? hex_value((unsigned char)s[i + 1]) : -1;
		lo = i + 2 < len ? hex_value((unsigned char)s[i + 2]) : -1;
		if (hi < 0 || lo < 0 || hi * 16 + lo == 0) {
			strbuf_release(&sb);
			return NULL;
		}
		strbuf_addch(&sb, (char)(hi * 16 + lo));
		i += 2;
	}
	return strbuf_detach(&sb);
}

void url_release(struct url *url)
{
	free(url->scheme);
	free(url->user);
	free(url->password);
	free(url->host);
	free(url->path);
	free(url->query);
	memset(url, 0, sizeof(*url));
}

/* The authority ends at the first '/', '?' or '#' after the last '@' that
 * precedes them: raw '@' and '/' in Redis passwords are common enough in
 * hand-written URLs to be worth tolerating (libpq does not: see
 * url_userinfo_unencoded). */
static size_t authority_length(const char *a)
{
	size_t end = strcspn(a, "/?#");
	const char *at = NULL, *p;

	for (p = a; *p && *p != '?' && *p != '#'; p++)
		if (*p == '@')
			at = p;
	if (at && (size_t)(at - a) >= end)
		end = (size_t)(at - a) + 1 + strcspn(at + 1, "/?#");
	return end;
}

int url_parse(const char *text, struct url *out, struct err *err)
{
	const char *colon = strchr(text, ':'), *rest, *at = NULL, *p, *hostport;
	size_t auth_len, i;
	char *decoded;

	memset(out, 0, sizeof(*out));
	if (!colon || colon == text || strncmp(colon, "://", 3) != 0)
		return err_set(err, EXIT_USAGE, "invalid URL: expected scheme://...");
	out->scheme = copy_span(text, (size_t)(colon - text));
	for (i = 0; out->scheme[i]; i++)
		out->scheme[i] = (char)tolower((unsigned char)out->scheme[i]);

	rest = colon + 3;
	auth_len = authority_length(rest);
	for (p = rest; p < rest + auth_len; p++)
		if (*p == '@')
			at = p;
	hostport = rest;
	if (at) {
		const char *pass = memchr(rest, ':', (size_t)(at - rest));
		size_t user_len = pass ? (size_t)(pass - rest) : (size_t)(at - rest);

		out->user = percent_decode(rest, user_len);
		if (pass)
			out->password = percent_decode(pass + 1, (size_t)(at - pass - 1));
		if (!out->user || (pass && !out->password))
			goto bad_escape;
		hostport = at + 1;
	}
	{
		const char *end = rest + auth_len, *port_colon = NULL;

		if (*hostport == '[') {
			const char *close = memchr(hostport, ']', (size_t)(end - hostport));

			if (!close)
				goto bad_host;
			out->host = copy_span(hostport + 1, (size_t)(close - hostport - 1));
			if (close + 1 < end && close[1] == ':')
				port_colon = close + 1;
			else if (close + 1 != end)
				goto bad_host;
		} else {
			port_colon = memchr(hostport, ':', (size_t)(end - hostport));
			if (port_colon != NULL || end > hostport) {
				size_t host_len = port_colon ? (size_t)(port_colon - hostport) : (size_t)(end - hostport);

				if (host_len)
					out->host = percent_decode(hostport, host_len);
			}
		}
		if (port_colon && port_colon + 1 < end) {
			long port = 0;

			for (p = port_colon + 1; p < end; p++) {
				if (!isdigit((unsigned char)*p) || port > 65535)
					return url_release(out), err_set(err, EXIT_USAGE, "invalid URL: bad port number");
				port = port * 10 + (*p - '0');
			}
			if (port < 1 || port > 65535)
				return url_release(out), err_set(err, EXIT_USAGE, "invalid URL: port out of range");
			out->port = (int)port;
		}
		rest = end;
	}
	if (*rest == '/') {
		size_t path_len = strcspn(rest + 1, "?#");

		decoded = percent_decode(rest + 1, path_len);
		if (!decoded)
			goto bad_escape;
		out->path = decoded;
		rest += 1 + path_len;
	}
	if (*rest == '?') {
		size_t q_len = strcspn(rest + 1, "#");

		out->query = copy_span(rest + 1, q_len);
	}
	return 0;

bad_escape:
	url_release(out);
	return err_set(err, EXIT_USAGE, "invalid URL: malformed %%-escape or %%00");
bad_host:
	url_release(out);
	return err_set(err, EXIT_USAGE, "invalid URL: malformed host");
}

enum url_backend url_backend_of(const char *text)
{
	static const struct {
		const char *prefix;
		enum url_backend backend;
	} schemes[] = {
		{ "postgresql:", URL_BACKEND_POSTGRESQL },
		{ "postgres:", URL_BACKEND_POSTGRESQL },
		{ "redis:", URL_BACKEND_REDIS },
		{ "rediss:", URL_BACKEND_REDIS },
		{ "unix:", URL_BACKEND_REDIS },
		{ "sqlite:", URL_BACKEND_SQLITE },
		{ "mysql:", URL_BACKEND_MYSQL },
		{ "mariadb:", URL_BACKEND_MYSQL },
	};
	size_t i;

	for (i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++)
		if (strncasecmp(text, schemes[i].prefix, strlen(schemes[i].prefix)) == 0)
			return schemes[i].backend;
	/* libpq also takes "host=... dbname=..." keyword strings */
	if (!strstr(text, "://") && strchr(text, '='))
		return URL_BACKEND_POSTGRESQL;
	return URL_BACKEND_UNKNOWN;
}

const char *url_backend_name(enum url_backend backend)
{
	switch (backend) {
	case URL_BACKEND_POSTGRESQL: return "postgresql";
	case URL_BACKEND_REDIS: return "redis";
	case URL_BACKEND_SQLITE: return "sqlite";
	case URL_BACKEND_MYSQL: return "mysql";
	case URL_BACKEND_UNKNOWN: break;
	}
	return "unknown";
}

char *url_query_get(const char *query, const char *key)
{
	size_t key_len = strlen(key);
	const char *p = query;

	while (p && *p) {
		size_t pair_len = strcspn(p, "&");

		if (pair_len > key_len && strncmp(p, key, key_len) == 0 && p[key_len] == '=')
			return percent_decode(p + key_len + 1, pair_len - key_len - 1);
		p += pair_len;
		if (*p == '&')
			p++;
	}
	return NULL;
}

/* ---- where the secrets are ----
 * Masking follows the parser that will read the text: libpq for postgresql://
 * URIs and keyword strings, url_parse (dbctl's own, used for Redis) for other
 * URLs. Where a text does not read cleanly, the userinfo of anything with an
 * '@' is masked up to its last '@'. */

/* A byte range of the text that holds a secret. */
struct span {
	size_t start, len;
	bool url_encoded;   /* percent-encoded (URL), or a libpq keyword value */
	bool password_key;  /* the value of a key named exactly "password" */
	bool fallback;      /* found by secret_key_spans, not by the text's parser */
};

struct spans {
	struct span *at;
	size_t count, alloc;
};

static void spans_add(struct spans *spans, size_t start, size_t len, bool url_encoded, bool password_key)
{
	if (len == 0)
		return;
	if (spans->count == spans->alloc) {
		spans->alloc = spans->alloc ? 2 * spans->alloc : 8;
		spans->at = realloc(spans->at, spans->alloc * sizeof(*spans->at));
		if (!spans->at)
			abort();
	}
	spans->at[spans->count].start = start;
	spans->at[spans->count].len = len;
	spans->at[spans->count].url_encoded = url_encoded;
	spans->at[spans->count].password_key = password_key;
	spans->at[spans->count].fallback = false;
	spans->count++;
}

/* Keys whose value is a secret: libpq's password and sslpassword, and the
 * misspellings people type (libpq refuses them, but they were meant as one). */
static bool has_part(const char *key, size_t len, const char *part)
{
	size_t part_len = strlen(part), i;

	for (i = 0; i + part_len <= len; i++)
		if (strncasecmp(key + i, part, part_len) == 0)
			return true;
	return false;
}

/* Any length: a long key glued to "password" is still one. "pw", "pas" and
 * "psw" are in no libpq or Redis key: "pw=", "pasword=", "pswd=" are typos. */
static bool is_secret_key(const char *key, size_t len)
{
	static const char *const parts[] = { "pass", "pwd", "pw", "pas", "psw", "secret" };
	size_t i;

	for (i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
		if (has_part(key, len, parts[i]))
			return true;
	return false;
}

static bool is_password_key(const char *key, size_t len)
{
	return len == 8 && strncmp(key, "password", 8) == 0;
}

/* "a=1&password=x" (libpq decodes keys too: pass%77ord is password). */
static void query_spans(const char *text, const char *query, struct spans *out)
{
	const char *p = query;

	while (*p) {
		size_t pair = strcspn(p, "&");
		const char *eq = memchr(p, '=', pair);

		if (eq) {
			char *key = percent_decode(p, (size_t)(eq - p));
			const char *name = key ? key : p;
			size_t name_len = key ? strlen(key) : (size_t)(eq - p);

			if (is_secret_key(name, name_len))
				spans_add(out, (size_t)(eq + 1 - text), pair - (size_t)(eq + 1 - p), true,
					  is_password_key(name, name_len));
			free(key);
		}
		p += pair;
		if (*p == '&')
			p++;
	}
}

/* An '@' after the authority that belongs to no query value: in a query key,
 * a query word without '=', or (when '#' ends the query) the fragment. */
static bool stray_at(const char *query, bool fragment)
{
	const char *p = query;

	while (*p && !(fragment && *p == '#')) {
		size_t pair = strcspn(p, fragment ? "&#" : "&");
		const char *eq = memchr(p, '=', pair), *at_sign = memchr(p, '@', pair);

		if (at_sign && (!eq || at_sign < eq))
			return true;
		p += pair;
		if (*p == '&')
			p++;
	}
	return *p == '#' && strchr(p, '@') != NULL;
}

/* The same for what follows a url_parse authority (path, query, fragment). */
static bool stray_at_after_authority(const char *after)
{
	size_t len = strcspn(after, "?#");

	if (memchr(after, '@', len))
		return true;
	if (after[len] == '#')
		return strchr(after + len, '@') != NULL;
	return after[len] == '?' && stray_at(after + len + 1, true);
}

/* A URL with an '@' where its parser does not expect one (a raw '@', '/', '?'
 * or '#' in the password): from the user name's ':' (or the start of the
 * authority) to the last '@' is taken as secret, and every query password. */
static void unsure_spans(const char *text, size_t auth_start, struct spans *out)
{
	const char *auth = text + auth_start, *last_at = strrchr(auth, '@'), *colon, *query;
	size_t head;

	if (last_at) {
		head = strcspn(auth, "@/");
		colon = memchr(auth, ':', head);
		colon = colon ? colon + 1 : auth;
		spans_add(out, (size_t)(colon - text), (size_t)(last_at - colon), true, false);
	}
	query = strchr(auth, '?');
	if (query)
		query_spans(text, query + 1, out);
}

/* libpq's URI rule: the userinfo runs to the first '@' unless a '/' comes
 * first ('?' and '#' do not end it); the user name ends at its first ':'. */
static size_t pg_uri_prefix(const char *text)
{
	if (strncasecmp(text, "postgresql://", 13) == 0)
		return 13;
	if (strncasecmp(text, "postgres://", 11) == 0)
		return 11;
	return 0;
}

static const char *pg_netloc(const char *rest, const char **userinfo_end)
{
	const char *p = rest + strcspn(rest, "@/");

	*userinfo_end = *p == '@' ? p : NULL;
	return *p == '@' ? p + 1 : rest;
}

static void pg_uri_spans(const char *text, size_t prefix, struct spans *out)
{
	const char *rest = text + prefix, *at, *netloc = pg_netloc(rest, &at), *query;

	query = strchr(netloc, '?');
	if (memchr(netloc, '@', query ? (size_t)(query - netloc) : strlen(netloc)) || (query && stray_at(query + 1, false))) {
		unsure_spans(text, prefix, out);
		return;
	}
	if (at) {
		const char *colon = memchr(rest, ':', (size_t)(at - rest));

		if (colon)
			spans_add(out, (size_t)(colon + 1 - text), (size_t)(at - colon - 1), true, false);
	}
	/* hosts, ports and the database name all end at the first '?' */
	if (query)
		query_spans(text, query + 1, out);
}

/* Other URLs, as url_parse reads them (Redis). */
static void generic_uri_spans(const char *text, struct spans *out)
{
	const char *rest = strstr(text, "://") + 3, *at = NULL, *p, *query;
	size_t auth_len = authority_length(rest);
	struct url url;
	struct err err;
	bool parses = url_parse(text, &url, &err) == 0;

	if (parses)
		url_release(&url);
	if (!parses || stray_at_after_authority(rest + auth_len)) {
		unsure_spans(text, (size_t)(rest - text), out);
		return;
	}
	for (p = rest; p < rest + auth_len; p++)
		if (*p == '@')
			at = p;
	if (at) {
		const char *colon = memchr(rest, ':', (size_t)(at - rest));

		if (colon)
			spans_add(out, (size_t)(colon + 1 - text), (size_t)(at - colon - 1), true, false);
	}
	query = strchr(rest + auth_len, '?');
	if (query)
		query_spans(text, query + 1, out);
}

static void find_spans(const char *text, struct spans *out, int depth);

/* libpq's keyword rule: "key = value" pairs, values bare (backslash escapes)
 * or single-quoted. A word without '=' makes libpq refuse the string and
 * quote the word: it is masked when it follows a password word ("password
 * secret", "= password secret") or looks like credentials. */
static void keyword_spans(const char *text, struct spans *out, int depth)
{
	const char *p = text;
	bool after_secret = false;

	while (*p) {
		const char *key, *value, *q;
		size_t key_len, value_len;
		bool secret;

		while (isspace((unsigned char)*p))
			p++;
		if (!*p)
			break;
		key = p;
		while (*p && *p != '=' && !isspace((unsigned char)*p))
			p++;
		key_len = (size_t)(p - key);
		for (q = p; isspace((unsigned char)*q); q++)
			;
		if (*q != '=') {
			if (after_secret || memchr(key, '@', key_len) || memchr(key, ':', key_len))
				spans_add(out, (size_t)(key - text), key_len, false, false);
			after_secret = is_secret_key(key, key_len);
			continue;
		}
		for (p = q + 1; isspace((unsigned char)*p); p++)
			;
		value = p;
		if (*p == '\'') {
			for (p++; *p && *p != '\''; p++)
				if (*p == '\\' && p[1])
					p++;
			if (*p)
				p++;
		} else {
			for (; *p && !isspace((unsigned char)*p); p++)
				if (*p == '\\' && p[1])
					p++;
		}
		value_len = (size_t)(p - value);
		secret = is_secret_key(key, key_len);
		if (secret) {
			spans_add(out, (size_t)(value - text), value_len, false, is_password_key(key, key_len));
		} else if (depth < 3 && value_len > 3) {
			/* dbname=postgresql://... is expanded by libpq: mask inside it */
			char *inner = copy_span(value, value_len);

			if (strstr(inner, "://")) {
				struct spans nested = { 0 };
				size_t i;

				find_spans(inner, &nested, depth + 1);
				for (i = 0; i < nested.count; i++)
					spans_add(out, (size_t)(value - text) + nested.at[i].start, nested.at[i].len,
						  nested.at[i].url_encoded, false);
				free(nested.at);
			}
			free(inner);
		}
		after_secret = secret || is_secret_key(value, value_len);
	}
}

/* "scheme:" at the start of text. */
static bool looks_like_scheme(const char *text)
{
	const char *p = text;

	if (!isalpha((unsigned char)*p))
		return false;
	while (isalnum((unsigned char)*p) || *p == '+' || *p == '-' || *p == '.')
		p++;
	return *p == ':';
}

static bool is_keyword_string(const char *text)
{
	const char *eq = strchr(text, '='), *sep = strstr(text, "://");

	return eq && !looks_like_scheme(text) && (!sep || eq < sep);
}

/* Neither URL nor keyword string, but with an '@': "app:secret@host",
 * "postgresql:/u:secret@h". */
static void loose_spans(const char *text, struct spans *out)
{
	const char *last_at = strrchr(text, '@'), *colon;

	if (!last_at)
		return;
	colon = memchr(text, ':', (size_t)(last_at - text));
	colon = colon ? colon + 1 : text;
	spans_add(out, (size_t)(colon - text), (size_t)(last_at - colon), true, false);
}

/* Whatever the text is, "password=..." (or "Pwd=...") inside it: a .NET
 * "Server=h;Password=x", a key glued to something else. */
static bool covered(const struct spans *spans, size_t from, size_t at)
{
	size_t i;

	for (i = from; i < spans->count; i++)
		if (at >= spans->at[i].start && at < spans->at[i].start + spans->at[i].len)
			return true;
	return false;
}

static void secret_key_spans(const char *text, size_t mark, struct spans *out)
{
	const char *p = text;

	while (*p) {
		const char *word = p, *value;
		size_t len = strspn(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_");

		if (len == 0) {
			p++;
			continue;
		}
		p += len;
		if (!is_secret_key(word, len))
			continue;
		for (value = p; *value == ' ' || *value == '\t'; value++)
			;
		if (*value++ != '=')
			continue;
		while (*value == ' ' || *value == '\t')
			value++;
		if (!covered(out, mark, (size_t)(value - text)) && strcspn(value, " \t\n;&") > 0) {
			spans_add(out, (size_t)(value - text), strcspn(value, " \t\n;&"), false, false);
			out->at[out->count - 1].fallback = true;
		}
	}
}

static void find_spans(const char *text, struct spans *out, int depth)
{
	size_t prefix = pg_uri_prefix(text), mark = out->count;

	if (is_keyword_string(text))
		keyword_spans(text, out, depth);
	else if (prefix)
		pg_uri_spans(text, prefix, out);
	else if (strstr(text, "://"))
		generic_uri_spans(text, out);
	else
		loose_spans(text, out);
	secret_key_spans(text, mark, out);
}

static int span_order(const void *a, const void *b)
{
	const struct span *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

static void spans_of(const char *text, struct spans *out)
{
	memset(out, 0, sizeof(*out));
	find_spans(text, out, 0);
	if (out->count > 1)
		qsort(out->at, out->count, sizeof(*out->at), span_order);
}

char *url_mask(const char *text)
{
	struct spans spans;
	struct strbuf out;
	size_t pos = 0, i;

	spans_of(text, &spans);
	strbuf_init(&out);
	for (i = 0; i < spans.count; i++) {
		size_t start = spans.at[i].start, end = start + spans.at[i].len;

		if (start >= pos) {
			strbuf_add(&out, text + pos, start - pos);
			strbuf_addstr(&out, "***");
		}
		if (end > pos)
			pos = end;
	}
	strbuf_addstr(&out, text + pos);
	free(spans.at);
	return strbuf_detach(&out);
}

/* "password:secret", "--password=secret", "PGPASSWORD=secret": the length of
 * the key before the separator, or 0. */
static size_t secret_key_prefix(const char *word)
{
	size_t key_len = strspn(word, "-_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789");

	return is_secret_key(word, key_len) && word[key_len] && strchr(":= \t", word[key_len]) ? key_len : 0;
}

bool url_is_secret_key(const char *word)
{
	word += strspn(word, "-");
	return is_secret_key(word, strlen(word));
}

char **url_word_secrets(const char *word)
{
	size_t key_len = secret_key_prefix(word);
	char **list;

	if (!key_len)
		return url_secrets(word);
	if (!word[key_len + 1])
		return NULL;
	list = calloc(2, sizeof(*list));
	if (!list)
		abort();
	list[0] = copy_span(word + key_len + 1, strlen(word + key_len + 1));
	return list;
}

char *url_mask_word(const char *word)
{
	size_t key_len = secret_key_prefix(word);
	struct strbuf out;

	if (key_len) {
		strbuf_init(&out);
		strbuf_add(&out, word, key_len + 1);
		if (word[key_len + 1])
			strbuf_addstr(&out, "***");
		return strbuf_detach(&out);
	}
	return url_mask(word);
}

void url_hide(char *text)
{
	struct spans spans;
	size_t i;

	spans_of(text, &spans);
	for (i = 0; i < spans.count; i++)
		memset(text + spans.at[i].start, 'x', spans.at[i].len);
	free(spans.at);
}

/* A keyword value as libpq reads it: quotes dropped, backslash escapes undone. */
static char *keyword_value(const char *s, size_t len)
{
	struct strbuf sb;
	size_t i = 0;

	strbuf_init(&sb);
	if (len && s[0] == '\'') {
		i = 1;
		if (len > 1 && s[len - 1] == '\'')
			len--;
	}
	for (; i < len; i++) {
		/* libpq drops a backslash that ends the string */
		if (s[i] == '\\' && ++i == len)
			break;
		strbuf_addch(&sb, s[i]);
	}
	return strbuf_detach(&sb);
}

/* The value a span stands for, as the library will use it. */
static char *span_value(const char *text, const struct span *span)
{
	char *value;

	if (!span->url_encoded)
		return keyword_value(text + span->start, span->len);
	value = percent_decode(text + span->start, span->len);
	return value ? value : copy_span(text + span->start, span->len);
}

static void add_secret(char ***list, size_t *count, char *secret)
{
	size_t i;

	for (i = 0; i < *count; i++) {
		if (strcmp((*list)[i], secret) == 0) {
			free(secret);
			return;
		}
	}
	*list = realloc(*list, (*count + 2) * sizeof(**list));
	if (!*list)
		abort();
	(*list)[(*count)++] = secret;
	(*list)[*count] = NULL;
}

char **url_secrets(const char *text)
{
	struct spans spans;
	char **list = NULL;
	size_t count = 0, i;

	spans_of(text, &spans);
	for (i = 0; i < spans.count; i++) {
		char *value = span_value(text, &spans.at[i]);

		add_secret(&list, &count, copy_span(text + spans.at[i].start, spans.at[i].len));
		if (*value)
			add_secret(&list, &count, url_encode(value));
		if (*value)
			add_secret(&list, &count, value);
		else
			free(value);
	}
	free(spans.at);
	return list;
}

void url_secrets_free(char **secrets)
{
	size_t i;

	for (i = 0; secrets && secrets[i]; i++)
		free(secrets[i]);
	free(secrets);
}

char *url_password(const char *text)
{
	struct spans spans;
	const struct span *pick = NULL;
	size_t i;
	bool libpq = is_keyword_string(text) || pg_uri_prefix(text);
	char *value;

	spans_of(text, &spans);
	/* libpq: a later password=... wins over the userinfo; Redis: the userinfo wins */
	for (i = 0; i < spans.count; i++)
		if (libpq && spans.at[i].password_key)
			pick = &spans.at[i];
	for (i = 0; i < spans.count && !pick; i++)
		if (!spans.at[i].fallback)
			pick = &spans.at[i];
	if (!pick && spans.count)
		pick = &spans.at[0];
	value = pick ? span_value(text, pick) : NULL;
	free(spans.at);
	return value;
}

bool url_userinfo_unencoded(const char *text)
{
	size_t prefix = pg_uri_prefix(text);
	const char *rest, *at, *netloc;

	if (prefix && strncmp(text, "postgres", 8) == 0) {
		netloc = pg_netloc(text + prefix, &at);
		return memchr(netloc, '@', strcspn(netloc, "?")) != NULL;
	}
	if (strncasecmp(text, "redis://", 8) != 0 && strncasecmp(text, "rediss://", 9) != 0)
		return false;
	rest = strchr(text, ':') + 3;
	return stray_at_after_authority(rest + authority_length(rest));
}

char *url_encode(const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	struct strbuf sb;

	strbuf_init(&sb);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
			strbuf_addch(&sb, (char)c);
		} else {
			strbuf_addch(&sb, '%');
			strbuf_addch(&sb, hex[c >> 4]);
			strbuf_addch(&sb, hex[c & 15]);
		}
	}
	return strbuf_detach(&sb);
}

/* ---- mysql:// and mariadb:// ---- */

void url_mysql_release(struct url_mysql *url)
{
	free(url->user);
	free(url->password);
	free(url->host);
	free(url->socket);
	free(url->database);
	free(url->ssl_ca);
	free(url->ssl_cert);
	free(url->ssl_key);
	free(url->charset);
	memset(url, 0, sizeof(*url));
}

const char *url_ssl_mode_name(enum url_ssl_mode mode)
{
	switch (mode) {
	case URL_SSL_DISABLED: return "DISABLED";
	case URL_SSL_PREFERRED: return "PREFERRED";
	case URL_SSL_REQUIRED: return "REQUIRED";
	case URL_SSL_VERIFY_CA: return "VERIFY_CA";
	case URL_SSL_VERIFY_IDENTITY: return "VERIFY_IDENTITY";
	}
	return "?";
}

/* MySQL's names, libpq's (for sslmode=) and go-sql-driver's tls= values. */
static int ssl_mode_of(const char *key, const char *value, enum url_ssl_mode *mode)
{
	static const struct {
		const char *name;
		enum url_ssl_mode mode;
	} names[] = {
		{ "DISABLED", URL_SSL_DISABLED }, { "PREFERRED", URL_SSL_PREFERRED }, { "REQUIRED", URL_SSL_REQUIRED },
		{ "VERIFY_CA", URL_SSL_VERIFY_CA }, { "VERIFY_IDENTITY", URL_SSL_VERIFY_IDENTITY },
		{ "disable", URL_SSL_DISABLED }, { "prefer", URL_SSL_PREFERRED }, { "require", URL_SSL_REQUIRED },
		{ "verify-ca", URL_SSL_VERIFY_CA }, { "verify-full", URL_SSL_VERIFY_IDENTITY },
	};
	size_t i;

	if (strcmp(key, "tls") == 0) {
		if (strcmp(value, "false") == 0)
			*mode = URL_SSL_DISABLED;
		else if (strcmp(value, "preferred") == 0)
			*mode = URL_SSL_PREFERRED;
		else if (strcmp(value, "skip-verify") == 0)
			*mode = URL_SSL_REQUIRED;
		else if (strcmp(value, "true") == 0)
			*mode = URL_SSL_VERIFY_IDENTITY;
		else
			return -1;
		return 0;
	}
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcasecmp(value, names[i].name) == 0) {
			*mode = names[i].mode;
			return 0;
		}
	return -1;
}

static int mysql_port(const char *s, size_t len, int *port)
{
	long value = 0;
	size_t i;

	if (len == 0 || len > 5)
		return -1;
	for (i = 0; i < len; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		value = value * 10 + (s[i] - '0');
	}
	if (value < 1 || value > 65535)
		return -1;
	*port = (int)value;
	return 0;
}

/* "host", "host:port", "[v6]", "[v6]:port" (len bytes of s). */
static int mysql_host_port(const char *s, size_t len, struct url_mysql *out, struct err *err)
{
	const char *colon = NULL;
	size_t host_len = len;

	if (len && s[0] == '[') {
		const char *close = memchr(s, ']', len);

		if (!close)
			return err_set(err, EXIT_USAGE, "invalid MySQL URL: malformed host ('[' without ']')");
		if (close + 1 < s + len) {
			if (close[1] != ':')
				return err_set(err, EXIT_USAGE, "invalid MySQL URL: malformed host");
			colon = close + 1;
		}
		out->host = copy_span(s + 1, (size_t)(close - s - 1));
	} else {
		colon = memchr(s, ':', len);
		if (colon)
			host_len = (size_t)(colon - s);
		if (host_len) {
			out->host = percent_decode(s, host_len);
			if (!out->host)
				return err_set(err, EXIT_USAGE, "invalid MySQL URL: malformed %%-escape or %%00 in the host");
		}
	}
	if (colon && mysql_port(colon + 1, (size_t)(s + len - colon - 1), &out->port) != 0)
		return err_set(err, EXIT_USAGE, "invalid MySQL URL: bad port number (expected 1 to 65535)");
	return 0;
}

static int mysql_param(const char *key, char *value, struct url_mysql *out, struct err *err)
{
	char **slot = NULL;

	if (strcmp(key, "ssl-mode") == 0 || strcmp(key, "sslmode") == 0 || strcmp(key, "tls") == 0) {
		if (ssl_mode_of(key, value, &out->ssl_mode) != 0) {
			err_set(err, EXIT_USAGE, "invalid MySQL URL: %s must be %s", key,
				strcmp(key, "tls") == 0 ? "true, false, preferred or skip-verify"
							: "DISABLED, PREFERRED, REQUIRED, VERIFY_CA or VERIFY_IDENTITY");
			free(value);
			return -1;
		}
		free(value);
		return 0;
	}
	if (strcmp(key, "connect_timeout") == 0) {
		char *end;
		double seconds = strtod(value, &end);
		bool bad = end == value || *end || !(seconds > 0) || seconds > 86400;

		free(value);
		if (bad)
			return err_set(err, EXIT_USAGE, "invalid MySQL URL: connect_timeout must be a number of seconds > 0");
		out->connect_timeout = seconds;
		return 0;
	}
	if (strcmp(key, "charset") == 0) {
		const char *p;

		for (p = value; *p; p++)
			if (!isalnum((unsigned char)*p) && *p != '_')
				break;
		if (!*value || *p) {
			free(value);
			return err_set(err, EXIT_USAGE, "invalid MySQL URL: charset must be a character set name (utf8mb4)");
		}
		if (sqlscan_charset_unsafe(value, strlen(value))) {
			err_set(err, EXIT_USAGE, "invalid MySQL URL: charset=%s is refused: " SQLSCAN_CHARSET_WHY, value);
			err_hint(err, "leave charset out (utf8mb4), or name a character set such as latin1");
			free(value);
			return -1;
		}
		free(out->charset);
		out->charset = value;
		return 0;
	}
	if (strcmp(key, "socket") == 0 || strcmp(key, "unix_socket") == 0)
		slot = &out->socket;
	else if (strcmp(key, "ssl-ca") == 0)
		slot = &out->ssl_ca;
	else if (strcmp(key, "ssl-cert") == 0)
		slot = &out->ssl_cert;
	else if (strcmp(key, "ssl-key") == 0)
		slot = &out->ssl_key;
	if (!slot) {
		free(value);
		/* the key only: a value may be a secret (password=...) */
		err_set(err, EXIT_USAGE, "invalid MySQL URL: unknown parameter '%s'", key);
		err_hint(err, "known: ssl-mode, ssl-ca, ssl-cert, ssl-key, charset, connect_timeout, socket");
		return -1;
	}
	if (!*value) {
		free(value);
		return err_set(err, EXIT_USAGE, "invalid MySQL URL: %s is empty", key);
	}
	free(*slot);
	*slot = value;
	return 0;
}

static int mysql_query(const char *q, size_t len, struct url_mysql *out, struct err *err)
{
	const char *p = q, *end = q + len;

	while (p < end) {
		const char *amp = memchr(p, '&', (size_t)(end - p)), *eq;
		size_t pair = amp ? (size_t)(amp - p) : (size_t)(end - p);
		char key[64], *value;

		if (pair) {
			eq = memchr(p, '=', pair);
			if (!eq || eq == p || (size_t)(eq - p) >= sizeof(key)) {
				size_t shown = eq ? (size_t)(eq - p) : 0;

				return err_set(err, EXIT_USAGE, "invalid MySQL URL: parameter '%.*s' has no value",
					       (int)(shown < 40 ? shown : 40), p);
			}
			memcpy(key, p, (size_t)(eq - p));
			key[eq - p] = '\0';
			value = percent_decode(eq + 1, (size_t)(p + pair - eq - 1));
			if (!value)
				return err_set(err, EXIT_USAGE, "invalid MySQL URL: malformed %%-escape or %%00 in %s", key);
			if (mysql_param(key, value, out, err) != 0)
				return -1;
		}
		p += pair + (amp ? 1 : 0);
	}
	return 0;
}

int url_mysql_parse(const char *text, struct url_mysql *out, struct err *err)
{
	const char *rest, *first, *at = NULL, *host, *p, *path_end;
	size_t scheme_len;

	memset(out, 0, sizeof(*out));
	out->port = 3306;
	out->ssl_mode = URL_SSL_PREFERRED;
	if (strncasecmp(text, "mysql://", 8) == 0)
		scheme_len = 8;
	else if (strncasecmp(text, "mariadb://", 10) == 0)
		scheme_len = 10;
	else
		return err_set(err, EXIT_USAGE, "invalid MySQL URL: expected mysql:// or mariadb://");
	rest = text + scheme_len;
	/* userinfo: up to the last '@' before the path, query or fragment
	 * (an encoded password has none of "/?#"; unix(/path) comes after it) */
	first = rest + strcspn(rest, "/?#");
	for (p = rest; p < first; p++)
		if (*p == '@')
			at = p;
	if (at) {
		const char *colon = memchr(rest, ':', (size_t)(at - rest));
		size_t user_len = colon ? (size_t)(colon - rest) : (size_t)(at - rest);

		if (user_len)
			out->user = percent_decode(rest, user_len);
		if (colon)
			out->password = percent_decode(colon + 1, (size_t)(at - colon - 1));
		if ((user_len && !out->user) || (colon && !out->password))
			goto bad_escape;
		host = at + 1;
	} else {
		host = rest;
	}
	if (strncmp(host, "tcp(", 4) == 0 || strncmp(host, "unix(", 5) == 0) {
		bool tcp = host[0] == 't';
		const char *inside = host + (tcp ? 4 : 5), *close = strchr(inside, ')');

		if (!close)
			{
			err_set(err, EXIT_USAGE, "invalid MySQL URL: '%s(' without ')'", tcp ? "tcp" : "unix");
			goto fail;
		}
		if (tcp) {
			if (mysql_host_port(inside, (size_t)(close - inside), out, err) != 0)
				goto fail;
		} else {
			out->socket = percent_decode(inside, (size_t)(close - inside));
			if (!out->socket)
				goto bad_escape;
			if (!*out->socket)
				{
			err_set(err, EXIT_USAGE, "invalid MySQL URL: unix() names no socket");
			goto fail;
		}
		}
		p = close + 1;
		if (*p && *p != '/' && *p != '?')
			{
			err_set(err, EXIT_USAGE, "invalid MySQL URL: unexpected text after '%s(...)'", tcp ? "tcp" : "unix");
			goto fail;
		}
	} else {
		size_t len = strcspn(host, "/?#");

		if (mysql_host_port(host, len, out, err) != 0)
			goto fail;
		p = host + len;
	}
	if (*p == '/') {
		path_end = p + 1 + strcspn(p + 1, "?#");
		if (path_end > p + 1) {
			out->database = percent_decode(p + 1, (size_t)(path_end - p - 1));
			if (!out->database)
				goto bad_escape;
			if (strchr(out->database, '/'))
				{
			err_set(err, EXIT_USAGE, "invalid MySQL URL: the database name holds a '/'");
			goto fail;
		}
		}
		p = path_end;
	}
	if (*p == '?' && mysql_query(p + 1, strcspn(p + 1, "#"), out, err) != 0)
		goto fail;
	if (out->socket && out->host) {
		err_set(err, EXIT_USAGE, "invalid MySQL URL: both a host and a socket");
		err_hint(err, "a host means TCP; for the unix socket leave the host out: mysql://user@/db?socket=/path");
		goto fail;
	}
	if (!out->socket && !out->host)
		out->host = copy_span("localhost", 9);
	if (!out->charset)
		out->charset = copy_span("utf8mb4", 7);
	return 0;

bad_escape:
	err_set(err, EXIT_USAGE, "invalid MySQL URL: malformed %%-escape or %%00");
fail:
	url_mysql_release(out);
	return -1;
}
