/*
 * test_id — sl_id_make: deterministic, 32 lower-case hex digits, XXH3-128 of
 * (host NUL source NUL offset as 8 bytes big-endian) in canonical byte order.
 */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <xxhash.h>

#include "sl_id.h"

/* The expected id, computed here independently with xxHash's streaming API. */
static void ref_id(const char *host, const char *source, uint64_t offset, char out[SL_ID_HEX])
{
	unsigned char be[8];
	for (int i = 0; i < 8; i++)
		be[i] = (unsigned char)(offset >> (56 - 8 * i));
	XXH3_state_t *st = XXH3_createState();
	cr_assert_not_null(st);
	cr_assert_eq(XXH3_128bits_reset(st), XXH_OK);
	XXH3_128bits_update(st, host, strlen(host) + 1); /* with its NUL */
	XXH3_128bits_update(st, source, strlen(source) + 1);
	XXH3_128bits_update(st, be, 8);
	XXH128_canonical_t c;
	XXH128_canonicalFromHash(&c, XXH3_128bits_digest(st));
	XXH3_freeState(st);
	for (int i = 0; i < 16; i++)
		snprintf(out + 2 * i, 3, "%02x", c.digest[i]);
}

static void id(const char *host, const char *source, uint64_t offset, char out[SL_ID_HEX])
{
	memset(out, 'Z', SL_ID_HEX);
	sl_id_make(host, source, offset, out);
}

Test(id, format_32_lower_hex)
{
	char out[SL_ID_HEX];
	id("web-1", "ino:12345:dev:2049", 4096, out);
	cr_assert_eq(strlen(out), 32);
	for (int i = 0; i < 32; i++)
		cr_assert(strchr("0123456789abcdef", out[i]) && out[i], "bad digit '%c' at %d",
		          out[i], i);
}

Test(id, deterministic)
{
	char a[SL_ID_HEX], b[SL_ID_HEX];
	id("web-1", "src", 77, a);
	id("web-1", "src", 77, b);
	cr_assert_str_eq(a, b);
	for (int i = 0; i < 100; i++) {
		id("h", "s", (uint64_t)i * 1000003u, a);
		id("h", "s", (uint64_t)i * 1000003u, b);
		cr_assert_str_eq(a, b);
	}
}

Test(id, differs_by_host_source_offset)
{
	char base[SL_ID_HEX], x[SL_ID_HEX];
	id("host", "source", 100, base);
	id("host2", "source", 100, x);
	cr_assert_str_neq(base, x, "host ignored");
	id("host", "source2", 100, x);
	cr_assert_str_neq(base, x, "source ignored");
	id("host", "source", 101, x);
	cr_assert_str_neq(base, x, "offset ignored");
	id("host", "source", 100ull << 32, x);
	cr_assert_str_neq(base, x, "high offset bits ignored");
}

Test(id, offset_zero_vs_one)
{
	char a[SL_ID_HEX], b[SL_ID_HEX];
	id("h", "s", 0, a);
	id("h", "s", 1, b);
	cr_assert_str_neq(a, b);
}

Test(id, separator_makes_fields_unambiguous)
{
	char a[SL_ID_HEX], b[SL_ID_HEX];
	id("a", "bc", 5, a);
	id("ab", "c", 5, b);
	cr_assert_str_neq(a, b);
	id("", "abc", 5, a);
	id("abc", "", 5, b);
	cr_assert_str_neq(a, b);
}

Test(id, known_answer)
{
	static const struct {
		const char *host, *source;
		uint64_t offset;
	} cases[] = {
	    {"web-1", "ino:12345:dev:2049", 4096},
	    {"", "", 0},
	    {"a", "bc", 1},
	    {"ab", "c", 1},
	    {"h\xC3\xA9", "/var/log/app.log", UINT64_MAX},
	    {"host", "src", 0x0102030405060708ull},
	};
	char got[SL_ID_HEX], want[SL_ID_HEX];
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		id(cases[i].host, cases[i].source, cases[i].offset, got);
		ref_id(cases[i].host, cases[i].source, cases[i].offset, want);
		cr_assert_str_eq(got, want, "case %zu", i);
	}
}

Test(id, known_answer_literal)
{
	/* fixed vectors (computed with `xxhsum -H2` over the bytes), so a
	 * broken build of the library cannot make both sides agree on garbage */
	char got[SL_ID_HEX];
	id("", "", 0, got); /* ten zero bytes */
	cr_assert_str_eq(got, "6b7b76bcbcfa7c6bfd5485081f482dca");
	id("web-1", "ino:12345:dev:2049", 4096, got);
	cr_assert_str_eq(got, "f8ccbf3f95bb1165c2266af4392b9b8c");
}

Test(id, hash64_basic)
{
	cr_assert_eq(sl_hash64("abc", 3), sl_hash64("abc", 3));
	cr_assert_neq(sl_hash64("abc", 3), sl_hash64("abd", 3));
	cr_assert_neq(sl_hash64("", 0), sl_hash64("\0", 1));
}

/* Regression: the FNV-1a 64 offset basis is 14695981039346656037; the code
 * uses 1469598103934665603 (last digit missing), common/sl_id.c:42, so
 * sl_hash64 is not the FNV-1a its header promises. */
Test(id, hash64_fnv1a)
{
	/* published FNV-1a 64 test vectors */
	cr_assert_eq(sl_hash64("", 0), 0xcbf29ce484222325ull);
	cr_assert_eq(sl_hash64("a", 1), 0xaf63dc4c8601ec8cull);
	cr_assert_eq(sl_hash64("foobar", 6), 0x85944171f73967e8ull);
}
