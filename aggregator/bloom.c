/*
 * bloom — blocked Bloom filters.
 */
#include "bloom.h"

#include <endian.h>
#include <string.h>

/* p[0..8) as a little-endian number, in one load */
static uint64_t load64(const unsigned char *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return le64toh(v);
}

static uint64_t fmix(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h;
}

uint64_t ag_hash(const void *p, size_t n)
{
	/* 8 bytes a step, little-endian, so the files are the same on every
	 * machine; the stored filters depend on this function never changing */
	const unsigned char *s = p;
	uint64_t h = 0x9E3779B97F4A7C15ULL ^ ((uint64_t)n * 0xbf58476d1ce4e5b9ULL);
	while (n >= 8) {
		uint64_t k = load64(s) * 0x87c37b91114253d5ULL;
		k = (k << 31) | (k >> 33);
		h = (h ^ (k * 0x4cf5ad432745937fULL));
		h = ((h << 27) | (h >> 37)) * 5 + 0x52dce729;
		s += 8;
		n -= 8;
	}
	/* the last n < 8 bytes, little-endian, in loads that stay inside them */
	uint64_t t = 0;
	if (n >= 4) {
		uint32_t a, b;
		memcpy(&a, s, 4);
		memcpy(&b, s + n - 4, 4); /* overlaps a where n < 8: the same bytes */
		t = le32toh(a) | (uint64_t)le32toh(b) << (8 * (n - 4));
	} else if (n) {
		t = s[0] | (uint64_t)s[n / 2] << (8 * (n / 2)) |
		    (uint64_t)s[n - 1] << (8 * (n - 1));
	}
	h ^= t * 0x87c37b91114253d5ULL;
	return fmix(h);
}

size_t ag_bloom_size(size_t nkeys, unsigned bits_per_key)
{
	size_t bits = nkeys * bits_per_key;
	size_t blocks = (bits + AG_BLOOM_BLOCK * 8 - 1) / (AG_BLOOM_BLOCK * 8);
	return (blocks ? blocks : 1) * AG_BLOOM_BLOCK;
}

size_t ag_bloom_block_of(size_t size, uint64_t h)
{
	size_t nblocks = size / AG_BLOOM_BLOCK;
	return (size_t)(((h >> 32) * (uint64_t)nblocks) >> 32) * AG_BLOOM_BLOCK;
}

/* bit i of the key: 9 bits each from a second mix of h */
static unsigned bit_at(uint64_t h2, int i)
{
	return (unsigned)((h2 >> (i * 9)) & 511);
}

static uint64_t mix2(uint64_t h)
{
	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 32;
	return h;
}

void ag_bloom_add(uint8_t *f, size_t size, uint64_t h)
{
	if (!size)
		return;
	uint8_t *blk = f + ag_bloom_block_of(size, h);
	uint64_t h2 = mix2(h);
	for (int i = 0; i < AG_BLOOM_K; i++) {
		unsigned b = bit_at(h2, i);
		blk[b >> 3] |= (uint8_t)(1u << (b & 7));
	}
}

int ag_bloom_test_block(const uint8_t *blk, uint64_t h)
{
	uint64_t h2 = mix2(h);
	for (int i = 0; i < AG_BLOOM_K; i++) {
		unsigned b = bit_at(h2, i);
		if (!(blk[b >> 3] & (1u << (b & 7))))
			return 0;
	}
	return 1;
}

void ag_bloom_bits(size_t size, uint64_t h, uint32_t bits[AG_BLOOM_K])
{
	uint32_t base = (uint32_t)ag_bloom_block_of(size, h) * 8;
	uint64_t h2 = mix2(h);
	for (int i = 0; i < AG_BLOOM_K; i++)
		bits[i] = base + bit_at(h2, i);
}

int ag_bloom_test(const uint8_t *f, size_t size, uint64_t h)
{
	if (!size)
		return 1;
	return ag_bloom_test_block(f + ag_bloom_block_of(size, h), h);
}
