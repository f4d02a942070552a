/* A fast 64-bit digest of a byte stream, one multiply per 8 bytes. */
#include "digest.h"

#include <string.h>

#define DIGEST_PRIME UINT64_C(0x9e3779b97f4a7c15)

static uint64_t mix(uint64_t state, uint64_t word)
{
	state ^= word;
	state *= DIGEST_PRIME;
	return state ^ (state >> 29);
}

void digest_init(struct digest *d)
{
	memset(d, 0, sizeof(*d));
	d->state = UINT64_C(0xcbf29ce484222325);
}

void digest_update(struct digest *d, const void *data, size_t len)
{
	const unsigned char *p = data;
	uint64_t word;

	d->length += len;
	if (d->tail_len) {
		size_t take = 8 - d->tail_len < len ? 8 - d->tail_len : len;

		memcpy(d->tail + d->tail_len, p, take);
		d->tail_len += take;
		p += take;
		len -= take;
		if (d->tail_len < 8)
			return;
		memcpy(&word, d->tail, 8);
		d->state = mix(d->state, word);
		d->tail_len = 0;
	}
	for (; len >= 8; p += 8, len -= 8) {
		memcpy(&word, p, 8);
		d->state = mix(d->state, word);
	}
	memcpy(d->tail, p, len);
	d->tail_len = len;
}

uint64_t digest_final(const struct digest *d)
{
	unsigned char last[8] = { 0 };
	uint64_t word;

	memcpy(last, d->tail, d->tail_len);
	memcpy(&word, last, 8);
	/* the length tells "ab" from "ab\0" */
	return mix(mix(d->state, word), d->length);
}
