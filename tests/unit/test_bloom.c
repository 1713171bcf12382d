/*
 * test_bloom — ag_hash, which the filters on disk depend on, gives the
 * values it always gave: against fixed values and against a byte-by-byte
 * rendering of its definition, at every length and alignment.
 */
#include <criterion/criterion.h>
#include <stdint.h>
#include <string.h>

#include "bloom.h"

/* the definition: 8 bytes a step, little-endian, then the tail, fmix */
static uint64_t ref_hash(const unsigned char *s, size_t n)
{
	uint64_t h = 0x9E3779B97F4A7C15ULL ^ ((uint64_t)n * 0xbf58476d1ce4e5b9ULL);
	for (; n >= 8; s += 8, n -= 8) {
		uint64_t k = 0;
		for (int i = 7; i >= 0; i--)
			k = (k << 8) | s[i];
		k *= 0x87c37b91114253d5ULL;
		k = (k << 31) | (k >> 33);
		h = (h ^ (k * 0x4cf5ad432745937fULL));
		h = ((h << 27) | (h >> 37)) * 5 + 0x52dce729;
	}
	uint64_t t = 0;
	for (size_t i = n; i-- > 0;)
		t = (t << 8) | s[i];
	h ^= t * 0x87c37b91114253d5ULL;
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h;
}

Test(bloom, hash_values_never_change)
{
	cr_assert_eq(ag_hash("", 0), 0x9ca066f1a4ab2eeaULL);
	cr_assert_eq(ag_hash("klevel", 6), 0x76b283cf629e0acbULL);
	cr_assert_eq(ag_hash("vservice\0checkout-api", 21), 0x1789679eb5fdecb5ULL);
}

Test(bloom, hash_is_its_definition)
{
	unsigned char buf[128];
	uint64_t r = 88172645463325252ULL;
	for (int round = 0; round < 20000; round++) {
		for (size_t i = 0; i < sizeof buf; i++) {
			r ^= r << 13;
			r ^= r >> 7;
			r ^= r << 17;
			buf[i] = (unsigned char)r;
		}
		size_t at = (size_t)round % 8, n = (size_t)round % (sizeof buf - 8);
		cr_assert_eq(ag_hash(buf + at, n), ref_hash(buf + at, n), "length %zu", n);
	}
}
