/* Error struct helpers: formatting, hints, context prefixes, secret scrubbing. */
#include "err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void err_init(struct err *err)
{
	memset(err, 0, sizeof(*err));
	err->item = -1;
}

int err_set(struct err *err, int code, const char *fmt, ...)
{
	va_list ap;

	err->code = code;
	err->hint[0] = '\0';
	err->detail[0] = '\0';
	err->context[0] = '\0';
	err->where[0] = '\0';
	err->sqlstate[0] = '\0';
	err->file[0] = '\0';
	err->line = err->column = 0;
	err->item = -1;
	err->position = 0;
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
	return -1;
}

void err_hint(struct err *err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err->hint, sizeof(err->hint), fmt, ap);
	va_end(ap);
}

void err_prefix(struct err *err, const char *fmt, ...)
{
	char prefix[512], old[sizeof(err->message)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	memcpy(old, err->message, sizeof(old));
	snprintf(err->message, sizeof(err->message), "%s: %s", prefix, old);
}

void err_scrub(char *buf, size_t size, const char *secret)
{
	size_t secret_len, mask_len = 3;
	char *hit;

	if (!secret || !*secret)
		return;
	secret_len = strlen(secret);
	for (hit = strstr(buf, secret); hit; hit = strstr(hit + mask_len, secret)) {
		size_t tail = strlen(hit + secret_len) + 1;

		if ((size_t)(hit - buf) + mask_len + tail > size)
			tail = size - (size_t)(hit - buf) - mask_len;
		memmove(hit + mask_len, hit + secret_len, tail);
		memcpy(hit, "***", mask_len);
		buf[size - 1] = '\0';
	}
}
