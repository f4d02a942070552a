/* URL parsing for Redis and SQLite targets, and masking of passwords for any target. */
#include "url.h"
#include "strbuf.h"

#include <ctype.h>
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

/* Decodes %XX; returns NULL on a malformed escape. */
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
		if (hi < 0 || lo < 0) {
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
 * precedes them: raw '@' and '/' in passwords are common enough in hand-written
 * URLs to be worth tolerating, as libpq does for '@'. */
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
	return err_set(err, EXIT_USAGE, "invalid URL: malformed %%-escape");
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

static int is_password_key(const char *key, size_t len)
{
	return (len == 8 && strncasecmp(key, "password", 8) == 0) ||
	       (len == 11 && strncasecmp(key, "sslpassword", 11) == 0);
}

/* Masks key=value pairs whose key is a password, for both "a=1&password=x"
 * query strings and "host=h password='x y'" keyword strings. */
static void mask_keyword_values(struct strbuf *out, const char *s, const char *separators)
{
	const char *p = s;

	while (*p) {
		size_t key_start = strspn(p, separators);
		const char *key = p + key_start, *eq, *value;
		size_t key_len;

		strbuf_add(out, p, key_start);
		if (!*key)
			break;
		key_len = strcspn(key, "= \t&");
		eq = key + key_len;
		while (*eq == ' ' || *eq == '\t')
			eq++;
		if (*eq != '=') {
			/* "password secret": malformed, but the next word is still a secret */
			if (*separators == ' ' && is_password_key(key, key_len)) {
				strbuf_add(out, key, key_len);
				strbuf_addstr(out, " ***");
				break;
			}
			strbuf_add(out, key, (size_t)(eq - key));
			p = eq;
			if (*p && !strchr(separators, *p))
				strbuf_addch(out, *p++);
			continue;
		}
		value = eq + 1;
		while (*separators == ' ' && (*value == ' ' || *value == '\t'))
			value++;
		strbuf_add(out, key, (size_t)(value - key));
		p = value;
		if (*separators == ' ' && *p == '\'') {
			for (p++; *p && *p != '\''; p++)
				if (*p == '\\' && p[1])
					p++;
			if (*p)
				p++;
		} else {
			p += strcspn(p, separators);
		}
		if (is_password_key(key, key_len))
			strbuf_addstr(out, "***");
		else
			strbuf_add(out, value, (size_t)(p - value));
	}
}

char *url_mask(const char *text)
{
	struct strbuf out;
	const char *sep = strstr(text, "://"), *rest, *at = NULL, *p, *query;
	size_t auth_len;

	strbuf_init(&out);
	if (!sep) {
		if (url_backend_of(text) == URL_BACKEND_POSTGRESQL)
			mask_keyword_values(&out, text, " \t\n");
		else
			strbuf_addstr(&out, text);
		return strbuf_detach(&out);
	}
	rest = sep + 3;
	auth_len = authority_length(rest);
	for (p = rest; p < rest + auth_len; p++)
		if (*p == '@')
			at = p;
	strbuf_add(&out, text, (size_t)(rest - text));
	if (at) {
		const char *colon = memchr(rest, ':', (size_t)(at - rest));

		if (colon) {
			strbuf_add(&out, rest, (size_t)(colon - rest) + 1);
			strbuf_addstr(&out, "***");
		} else {
			strbuf_add(&out, rest, (size_t)(at - rest));
		}
		rest = at;
	}
	query = strchr(rest, '?');
	if (!query) {
		strbuf_addstr(&out, rest);
		return strbuf_detach(&out);
	}
	strbuf_add(&out, rest, (size_t)(query - rest) + 1);
	mask_keyword_values(&out, query + 1, "&");
	return strbuf_detach(&out);
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

/* Finds password=... in a libpq keyword string; NULL when absent. */
static char *keyword_password(const char *text)
{
	const char *p = text;

	while ((p = strstr(p, "password")) != NULL) {
		const char *v = p + 8;
		struct strbuf sb;

		if (p != text && !isspace((unsigned char)p[-1])) {
			p = v;
			continue;
		}
		while (isspace((unsigned char)*v))
			v++;
		if (*v != '=' && v > p + 8 && *v) {
			/* "password secret" without '=': libpq refuses it, but it is typed as a secret */
			strbuf_init(&sb);
			strbuf_add(&sb, v, strcspn(v, " \t\n"));
			return strbuf_detach(&sb);
		}
		if (*v != '=') {
			p = v;
			continue;
		}
		v++;
		while (isspace((unsigned char)*v))
			v++;
		strbuf_init(&sb);
		if (*v == '\'') {
			for (v++; *v && *v != '\''; v++) {
				if (*v == '\\' && v[1])
					v++;
				strbuf_addch(&sb, *v);
			}
		} else {
			strbuf_add(&sb, v, strcspn(v, " \t\n"));
		}
		return strbuf_detach(&sb);
	}
	return NULL;
}

/* The password of a URL that does not parse, as typed: its text between the
 * userinfo's first ':' and the authority's last '@'. A malformed URL is the
 * one most likely to be echoed back by a library, so the scrubber still needs
 * to know its secret. NULL when there is none. */
static char *raw_userinfo_password(const char *text)
{
	const char *rest = strstr(text, "://") + 3, *at = NULL, *colon, *p;
	size_t auth_len = authority_length(rest);

	for (p = rest; p < rest + auth_len; p++)
		if (*p == '@')
			at = p;
	if (!at)
		return NULL;
	colon = memchr(rest, ':', (size_t)(at - rest));
	if (!colon || colon + 1 == at)
		return NULL;
	return copy_span(colon + 1, (size_t)(at - colon - 1));
}

char *url_password(const char *text)
{
	struct url url;
	struct err err;
	char *password;

	if (!strstr(text, "://"))
		return url_backend_of(text) == URL_BACKEND_POSTGRESQL ? keyword_password(text) : NULL;
	if (url_parse(text, &url, &err) != 0)
		return raw_userinfo_password(text);
	password = url.password;
	url.password = NULL;
	if (!password && url.query)
		password = url_query_get(url.query, "password");
	url_release(&url);
	return password;
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
