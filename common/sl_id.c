/*
 * sl_id — SHA-256 based deterministic ids.
 */
#include <stddef.h>

#include "sl_id.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

void sl_id_make(const char *host, const char *source, uint64_t offset, char out[SL_ID_HEX])
{
	unsigned char in[1024], md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
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
	/* one context and one fetched SHA-256 per thread: EVP_Digest would
	 * fetch the algorithm again for every event */
	static _Thread_local EVP_MD_CTX *ctx;
	static _Thread_local EVP_MD *sha256;
	if (!ctx) {
		ctx = EVP_MD_CTX_new();
		sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
	}
	if (!ctx || !sha256 || !EVP_DigestInit_ex2(ctx, sha256, NULL) ||
	    !EVP_DigestUpdate(ctx, in, n) || !EVP_DigestFinal_ex(ctx, md, &mdlen))
		EVP_Digest(in, n, md, &mdlen, EVP_sha256(), NULL);
	static const char hex[] = "0123456789abcdef";
	for (int i = 0; i < 16; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
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
