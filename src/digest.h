/* A fast 64-bit digest of a byte stream, to tell whether an input read twice
 * gave the same bytes both times (not a cryptographic hash: whoever can
 * write the file could as well have written it before the check). */
#ifndef DBCTL_DIGEST_H
#define DBCTL_DIGEST_H

#include <stddef.h>
#include <stdint.h>

struct digest {
	uint64_t state;
	uint64_t length;          /* bytes so far */
	unsigned char tail[8];    /* bytes waiting for a whole word */
	size_t tail_len;
};

void digest_init(struct digest *d);
/* The same bytes give the same value however they are cut into calls. */
void digest_update(struct digest *d, const void *data, size_t len);
uint64_t digest_final(const struct digest *d);

#endif
