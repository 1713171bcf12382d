/*
 * sl_id — deterministic ids: XXH3-128 (libxxhash) of host, source, offset.
 */
#include "sl_id.h"

#include <string.h>
#include <xxhash.h>

void sl_id_make(const char *host, const char *source, uint64_t offset, char out[SL_ID_HEX])
{
	unsigned char in[1024];
	size_t hl = strlen(host), sl = strlen(source);
	if (hl > 400)
		hl = 400;
	if (sl > 580)
		sl = 580;
	size_t n = 0;
	memcpy(in, host, hl);
	n += hl;
	in[n++] = 0;
	memcpy(in + n, source, sl);
	n += sl;
	in[n++] = 0;
	for (int i = 7; i >= 0; i--)
		in[n++] = (unsigned char)(offset >> (i * 8));
	XXH128_canonical_t c;
	XXH128_canonicalFromHash(&c, XXH3_128bits(in, n));
	static const char hex[] = "0123456789abcdef";
	for (int i = 0; i < 16; i++) {
		out[2 * i] = hex[c.digest[i] >> 4];
		out[2 * i + 1] = hex[c.digest[i] & 15];
	}
	out[32] = '\0';
}

uint64_t sl_hash64(const void *p, size_t n)
{
	const unsigned char *s = p;
	uint64_t h = 14695981039346656037ULL;
	for (size_t i = 0; i < n; i++) {
		h ^= s[i];
		h *= 1099511628211ULL;
	}
	return h;
}
