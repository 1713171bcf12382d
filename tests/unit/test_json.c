/*
 * test_json — sl_json: string escaping, UTF-8 repair and the object writer;
 * every output is checked to be JSON that yajl accepts; and sl_buf.h's
 * sl_mem_eq.
 */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_parse.h>
#include <yajl/yajl_tree.h>

#include "sl_buf.h"
#include "sl_json.h"

#define FFFD "\xEF\xBF\xBD"

/* sl_json_str of in[0..n) must be exactly want (with its quotes). */
static void str_is(const char *in, size_t n, const char *want)
{
	struct sl_buf b = {0};
	sl_json_str(&b, in, n);
	cr_assert_not_null(b.data);
	cr_assert_eq(b.len, strlen(want), "length %zu, want %zu: [%s] vs [%s]", b.len, strlen(want),
	             b.data, want);
	cr_assert_str_eq(b.data, want);
	sl_buf_free(&b);
}

#define STR_IS(lit, want) str_is(lit, sizeof(lit) - 1, want)

/* ---- escaping ---- */

Test(json, plain_ascii)
{
	STR_IS("", "\"\"");
	STR_IS("hello world", "\"hello world\"");
	STR_IS("/path/to?x=1&y=<2>", "\"/path/to?x=1&y=<2>\"");
}

Test(json, quote_and_backslash)
{
	STR_IS("a\"b", "\"a\\\"b\"");
	STR_IS("a\\b", "\"a\\\\b\"");
	STR_IS("\"\\\"", "\"\\\"\\\\\\\"\"");
}

Test(json, short_escapes)
{
	STR_IS("\n", "\"\\n\"");
	STR_IS("\r", "\"\\r\"");
	STR_IS("\t", "\"\\t\"");
	STR_IS("\b", "\"\\b\"");
	STR_IS("\f", "\"\\f\"");
	STR_IS("a\r\nb\tc", "\"a\\r\\nb\\tc\"");
}

Test(json, other_control_chars)
{
	STR_IS("\x01", "\"\\u0001\"");
	STR_IS("\x07", "\"\\u0007\"");
	STR_IS("\x0b", "\"\\u000b\"");
	STR_IS("\x1b[0m", "\"\\u001b[0m\"");
	STR_IS("\x1f", "\"\\u001f\"");
	/* every control character is escaped, none is left raw */
	for (int c = 1; c < 0x20; c++) {
		char in[1] = {(char)c};
		struct sl_buf b = {0};
		sl_json_str(&b, in, 1);
		for (size_t i = 0; i < b.len; i++)
			cr_assert_geq((unsigned char)b.data[i], 0x20, "char %#x left raw", c);
		sl_buf_free(&b);
	}
}

Test(json, nul_inside)
{
	STR_IS("a\0b", "\"a\\u0000b\"");
	STR_IS("\0", "\"\\u0000\"");
	STR_IS("\0\0", "\"\\u0000\\u0000\"");
}

Test(json, del_kept)
{
	STR_IS("\x7f", "\"\x7f\"");
	STR_IS("a\x7f"
	       "b",
	       "\"a\x7f"
	       "b\"");
}

Test(json, valid_utf8_kept)
{
	STR_IS("caf\xC3\xA9", "\"caf\xC3\xA9\"");                           /* 2 bytes */
	STR_IS("\xE2\x82\xAC 5", "\"\xE2\x82\xAC 5\"");                     /* 3 bytes */
	STR_IS("\xF0\x9F\x98\x80!", "\"\xF0\x9F\x98\x80!\"");               /* 4 bytes */
	STR_IS("\xC2\x80", "\"\xC2\x80\"");                                 /* U+0080 */
	STR_IS("\xDF\xBF", "\"\xDF\xBF\"");                                 /* U+07FF */
	STR_IS("\xE0\xA0\x80", "\"\xE0\xA0\x80\"");                         /* U+0800 */
	STR_IS("\xED\x9F\xBF", "\"\xED\x9F\xBF\"");                         /* U+D7FF */
	STR_IS("\xEE\x80\x80", "\"\xEE\x80\x80\"");                         /* U+E000 */
	STR_IS("\xEF\xBF\xBF", "\"\xEF\xBF\xBF\"");                         /* U+FFFF */
	STR_IS("\xF0\x90\x80\x80", "\"\xF0\x90\x80\x80\"");                 /* U+10000 */
	STR_IS("\xF4\x8F\xBF\xBF", "\"\xF4\x8F\xBF\xBF\"");                 /* U+10FFFF */
	STR_IS("\xE6\x97\xA5\xE6\x9C\xAC", "\"\xE6\x97\xA5\xE6\x9C\xAC\""); /* 日本 */
}

Test(json, invalid_utf8_lone_continuation)
{
	STR_IS("\x80", "\"" FFFD "\"");
	STR_IS("a\x80z", "\"a" FFFD "z\"");
	STR_IS("\xBF\xBF", "\"" FFFD FFFD "\"");
}

Test(json, invalid_utf8_truncated_at_end)
{
	STR_IS("x\xC3", "\"x" FFFD "\"");
	STR_IS("x\xE2\x82", "\"x" FFFD FFFD "\"");
	STR_IS("x\xF0\x9F\x98", "\"x" FFFD FFFD FFFD "\"");
	/* truncated, followed by ASCII: the ASCII survives */
	STR_IS("\xE2\x82z", "\"" FFFD FFFD "z\"");
	STR_IS("\xC3\"", "\"" FFFD "\\\"\"");
}

Test(json, invalid_utf8_overlong)
{
	STR_IS("\xC0\x80", "\"" FFFD FFFD "\"");
	STR_IS("\xC1\xBF", "\"" FFFD FFFD "\"");
	STR_IS("\xE0\x80\x80", "\"" FFFD FFFD FFFD "\"");
	STR_IS("\xF0\x80\x80\x80", "\"" FFFD FFFD FFFD FFFD "\"");
}

Test(json, invalid_utf8_surrogate)
{
	STR_IS("\xED\xA0\x80", "\"" FFFD FFFD FFFD "\"");
	STR_IS("a\xED\xBF\xBFz", "\"a" FFFD FFFD FFFD "z\"");
}

Test(json, invalid_utf8_high_bytes)
{
	STR_IS("\xF5\x80\x80\x80", "\"" FFFD FFFD FFFD FFFD "\"");
	STR_IS("\xF4\x90\x80\x80", "\"" FFFD FFFD FFFD FFFD "\""); /* > U+10FFFF */
	STR_IS("\xF8", "\"" FFFD "\"");
	STR_IS("\xFE\xFF", "\"" FFFD FFFD "\"");
	STR_IS("a\xFF"
	       "b\xC3\xA9",
	       "\"a" FFFD "b\xC3\xA9\"");
}

Test(json, escape_without_quotes)
{
	struct sl_buf b = {0};
	sl_json_escape(&b, "a\"b\n", 4);
	cr_assert_str_eq(b.data, "a\\\"b\\n");
	sl_buf_free(&b);
}

/* The escaper works 8 bytes at a time, re-reading the last 8 for a tail:
 * one special byte at every position of every length from 1 to 24 must come
 * out as a byte-at-a-time reference says. */
static void ref_escape(struct sl_buf *b, const unsigned char *s, size_t n)
{
	sl_buf_putc(b, '"');
	for (size_t i = 0; i < n; i++) {
		unsigned char c = s[i];
		if (c == '"' || c == '\\') {
			sl_buf_putc(b, '\\');
			sl_buf_putc(b, (char)c);
		} else if (c == '\n') {
			sl_buf_puts(b, "\\n");
		} else if (c == '\t') {
			sl_buf_puts(b, "\\t");
		} else if (c < 0x20) {
			sl_buf_printf(b, "\\u%04x", c);
		} else if (c >= 0x80) {
			sl_buf_puts(b, FFFD); /* alone among ASCII: never valid UTF-8 */
		} else {
			sl_buf_putc(b, (char)c);
		}
	}
	sl_buf_putc(b, '"');
}

Test(json, special_byte_at_every_position)
{
	static const unsigned char specials[] = {0x00, 0x01, '\t', '\n', 0x1f, '"', '\\',
	                                         0x80, 0xbf, 0xc3, 0xe2, 0xf0, 0xff};
	static const unsigned char plain[] = {' ', '!', '#', '[', ']', '~', 0x7f, 'a'};
	unsigned char s[24];
	struct sl_buf got = {0}, want = {0};
	for (size_t n = 1; n <= sizeof s; n++)
		for (size_t p = 0; p < n; p++)
			for (size_t k = 0; k < sizeof specials + sizeof plain; k++) {
				for (size_t i = 0; i < n; i++)
					s[i] = (unsigned char)('A' + (i % 26));
				s[p] =
				    k < sizeof specials ? specials[k] : plain[k - sizeof specials];
				sl_buf_reset(&got);
				sl_buf_reset(&want);
				sl_json_str(&got, (const char *)s, n);
				ref_escape(&want, s, n);
				cr_assert_eq(got.len, want.len, "len %zu pos %zu byte 0x%02x", n, p,
				             s[p]);
				cr_assert(!memcmp(got.data, want.data, got.len),
				          "len %zu pos %zu byte 0x%02x: %s vs %s", n, p, s[p],
				          got.data, want.data);
			}
	sl_buf_free(&got);
	sl_buf_free(&want);
}

Test(json, utf8_valid_prefix)
{
	cr_assert_eq(sl_utf8_valid_prefix("", 0), 0);
	cr_assert_eq(sl_utf8_valid_prefix("abc", 3), 3);
	cr_assert_eq(sl_utf8_valid_prefix("a\xC3\xA9z", 4), 4);
	cr_assert_eq(sl_utf8_valid_prefix("ab\xE2\x82", 4), 2);
	cr_assert_eq(sl_utf8_valid_prefix("ab\x80z", 4), 2);
	cr_assert_eq(sl_utf8_valid_prefix("\xF0\x9F\x98\x80", 4), 4);
	cr_assert_eq(sl_utf8_valid_prefix("\xF0\x9F\x98\x80", 3), 0);
}

/* ---- object writer ---- */

Test(json, jw_object_exact)
{
	struct sl_buf b = {0};
	struct sl_jw w;
	sl_jw_begin(&w, &b);
	sl_jw_cstr(&w, "a", "x");
	sl_jw_int(&w, "n", -42);
	sl_jw_raw(&w, "ok", "true", 4);
	sl_jw_str(&w, "k\"ey", "v\n\0w", 4);
	sl_jw_int(&w, "max", INT64_MAX);
	sl_jw_int(&w, "min", INT64_MIN);
	sl_jw_raw(&w, "arr", "[1,\"2\"]", 7);
	sl_jw_cstr(&w, "", "");
	sl_jw_end(&w);
	cr_assert_str_eq(b.data, "{\"a\":\"x\",\"n\":-42,\"ok\":true,\"k\\\"ey\":\"v\\n\\u0000w\","
	                         "\"max\":9223372036854775807,\"min\":-9223372036854775808,"
	                         "\"arr\":[1,\"2\"],\"\":\"\"}");
	cr_assert_eq(w.n, 8);
	char err[256];
	yajl_val v = yajl_tree_parse(b.data, err, sizeof err);
	cr_assert_not_null(v, "yajl: %s", err);
	cr_assert(YAJL_IS_OBJECT(v));
	cr_assert_eq(v->u.object.len, 8);
	yajl_tree_free(v);
	sl_buf_free(&b);
}

Test(json, jw_empty_object)
{
	struct sl_buf b = {0};
	struct sl_jw w;
	sl_jw_begin(&w, &b);
	sl_jw_end(&w);
	cr_assert_str_eq(b.data, "{}");
	sl_buf_free(&b);
}

Test(json, jw_appends_to_existing_buffer)
{
	struct sl_buf b = {0};
	struct sl_jw w;
	sl_buf_puts(&b, "[");
	sl_jw_begin(&w, &b);
	sl_jw_int(&w, "a", 1);
	sl_jw_end(&w);
	sl_buf_putc(&b, ',');
	sl_jw_begin(&w, &b);
	sl_jw_int(&w, "b", 2);
	sl_jw_end(&w);
	sl_buf_puts(&b, "]");
	cr_assert_str_eq(b.data, "[{\"a\":1},{\"b\":2}]");
	sl_buf_free(&b);
}

/* ---- a 4 MiB line ---- */

Test(json, four_mib_round_trip)
{
	/* 8 input bytes -> 10 output bytes: a b \" c EUR \n */
	static const char pat[8] = {'a', 'b', '"', 'c', '\xE2', '\x82', '\xAC', '\n'};
	const size_t n = 4u << 20;
	char *in = malloc(n + 1);
	cr_assert_not_null(in);
	for (size_t i = 0; i < n; i += 8)
		memcpy(in + i, pat, 8);
	in[n] = '\0';
	struct sl_buf b = {0};
	struct sl_jw w;
	sl_jw_begin(&w, &b);
	sl_jw_str(&w, "message", in, n);
	sl_jw_end(&w);
	cr_assert_eq(b.len, strlen("{\"message\":\"\"}") + n / 8 * 10);
	char err[256];
	yajl_val v = yajl_tree_parse(b.data, err, sizeof err);
	cr_assert_not_null(v, "yajl: %s", err);
	const char *path[] = {"message", NULL};
	yajl_val m = yajl_tree_get(v, path, yajl_t_string);
	cr_assert_not_null(m);
	cr_assert_eq(strlen(m->u.string), n);
	cr_assert(!memcmp(m->u.string, in, n), "4 MiB string differs after the round trip");
	yajl_tree_free(v);
	sl_buf_free(&b);
	free(in);
}

/* ---- randomized: every output is valid JSON, decoding to the repaired input ---- */

static uint64_t rng = 0x9E3779B97F4A7C15ull;

static uint32_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 16);
}

/* Independent reference of the repair: decodes code points by hand. */
static size_t ref_seq(const unsigned char *s, size_t n)
{
	if (s[0] < 0x80)
		return 1;
	size_t len;
	uint32_t cp, min;
	if ((s[0] & 0xE0) == 0xC0) {
		len = 2;
		cp = s[0] & 0x1F;
		min = 0x80;
	} else if ((s[0] & 0xF0) == 0xE0) {
		len = 3;
		cp = s[0] & 0x0F;
		min = 0x800;
	} else if ((s[0] & 0xF8) == 0xF0) {
		len = 4;
		cp = s[0] & 0x07;
		min = 0x10000;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3F);
	}
	if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	return len;
}

static void ref_repair(const unsigned char *s, size_t n, struct sl_buf *out)
{
	size_t i = 0;
	while (i < n) {
		size_t k = ref_seq(s + i, n - i);
		if (k) {
			sl_buf_append(out, s + i, k);
			i += k;
		} else {
			sl_buf_append(out, FFFD, 3);
			i++;
		}
	}
}

struct collect {
	struct sl_buf key, val;
	int nkeys, nvals, bad;
};

static int c_key(void *ctx, const unsigned char *s, size_t n)
{
	struct collect *c = ctx;
	sl_buf_reset(&c->key);
	sl_buf_append(&c->key, s, n);
	c->nkeys++;
	return 1;
}

static int c_str(void *ctx, const unsigned char *s, size_t n)
{
	struct collect *c = ctx;
	sl_buf_reset(&c->val);
	sl_buf_append(&c->val, s, n);
	c->nvals++;
	return 1;
}

static int c_other(void *ctx)
{
	((struct collect *)ctx)->bad++;
	return 1;
}

static int c_ok(void *ctx)
{
	return 1;
}

static const yajl_callbacks collect_cb = {
    .yajl_null = c_other,
    .yajl_string = c_str,
    .yajl_map_key = c_key,
    .yajl_start_map = c_ok,
    .yajl_end_map = c_ok,
    .yajl_start_array = c_other,
};

Test(json, randomized_valid_json)
{
	/* biased byte pool: ASCII, escapes, UTF-8 lead and continuation bytes */
	static const unsigned char pool[] = {
	    'a',  'Z',  '0',  ' ',  '"',  '\\', '/',  '\n', '\r', '\t', '\b', '\f', 0x00,
	    0x01, 0x1f, 0x7f, 0x80, 0xBF, 0xC0, 0xC2, 0xC3, 0xA9, 0xDF, 0xE0, 0xE2, 0x82,
	    0xAC, 0xED, 0xA0, 0x9F, 0xEF, 0xF0, 0x90, 0xF4, 0x8F, 0xF5, 0xFF, 0xFE};
	unsigned char in[300];
	char key[64];
	for (int iter = 0; iter < 1000; iter++) {
		size_t n = next_rand() % sizeof in;
		for (size_t i = 0; i < n; i++)
			in[i] = (next_rand() & 1) ? (unsigned char)next_rand()
			                          : pool[next_rand() % sizeof pool];
		size_t kn = next_rand() % (sizeof key - 1);
		for (size_t i = 0; i < kn; i++) {
			key[i] = (char)(next_rand() % 255 + 1); /* keys are C strings */
		}
		key[kn] = '\0';

		struct sl_buf b = {0};
		struct sl_jw w;
		sl_jw_begin(&w, &b);
		sl_jw_str(&w, key, (const char *)in, n);
		sl_jw_end(&w);

		char err[256];
		yajl_val v = yajl_tree_parse(b.data, err, sizeof err);
		cr_assert_not_null(v, "iteration %d: yajl rejects the output: %s", iter, err);
		cr_assert(YAJL_IS_OBJECT(v));
		cr_assert_eq(v->u.object.len, 1);
		yajl_tree_free(v);

		/* decoded value and key equal the repaired input, NULs included */
		struct collect c = {0};
		yajl_handle h = yajl_alloc(&collect_cb, NULL, &c);
		cr_assert_eq(yajl_parse(h, (const unsigned char *)b.data, b.len), yajl_status_ok);
		cr_assert_eq(yajl_complete_parse(h), yajl_status_ok);
		yajl_free(h);
		cr_assert_eq(c.nkeys, 1);
		cr_assert_eq(c.nvals, 1);
		cr_assert_eq(c.bad, 0);
		struct sl_buf want = {0}, wkey = {0};
		sl_buf_puts(&want, "");
		sl_buf_puts(&wkey, "");
		ref_repair(in, n, &want);
		ref_repair((const unsigned char *)key, kn, &wkey);
		cr_assert_eq(c.val.len, want.len, "iteration %d: value length", iter);
		cr_assert(!memcmp(c.val.data ? c.val.data : "", want.data, want.len),
		          "iteration %d: value differs", iter);
		cr_assert_eq(c.key.len, wkey.len, "iteration %d: key length", iter);
		cr_assert(!memcmp(c.key.data ? c.key.data : "", wkey.data, wkey.len),
		          "iteration %d: key differs", iter);
		sl_buf_free(&want);
		sl_buf_free(&wkey);
		sl_buf_free(&c.key);
		sl_buf_free(&c.val);
		sl_buf_free(&b);
	}
}

/* ---- the buffer under the writer ---- */

Test(json, buf_basics)
{
	struct sl_buf b = {0};
	cr_assert_eq(sl_buf_puts(&b, "hello"), 0);
	cr_assert_eq(sl_buf_printf(&b, " %d", 42), 0);
	cr_assert_str_eq(b.data, "hello 42");
	cr_assert_eq(b.len, 8);
	sl_buf_consume(&b, 6);
	cr_assert_str_eq(b.data, "42");
	sl_buf_consume(&b, 10);
	cr_assert_eq(b.len, 0);
	cr_assert_str_eq(b.data, "");
	/* printf longer than its stack buffer */
	char big[1000];
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	cr_assert_eq(sl_buf_printf(&b, "<%s>", big), 0);
	cr_assert_eq(b.len, 1001);
	cr_assert_eq(b.data[0], '<');
	cr_assert_eq(b.data[1000], '>');
	cr_assert_eq(b.data[1001], '\0');
	sl_buf_free(&b);
	cr_assert_null(b.data);
}

Test(json, buf_cap)
{
	struct sl_buf b = {.max = 8};
	cr_assert_eq(sl_buf_puts(&b, "12345"), 0);
	cr_assert_eq(sl_buf_puts(&b, "6789"), -1);
	cr_assert_str_eq(b.data, "12345");
	cr_assert_eq(sl_buf_puts(&b, "678"), 0);
	cr_assert_eq(sl_buf_putc(&b, '9'), -1);
	cr_assert_str_eq(b.data, "12345678");
	sl_buf_free(&b);
	cr_assert_eq(b.max, 8);
}

/* ---- sl_mem_eq (sl_buf.h) ---- */

/* Every length up to past its inline cases, every byte position, at odd
 * alignments: equal buffers compare equal, one changed byte anywhere does
 * not, and the answer is memcmp's. */
Test(mem_eq, agrees_with_memcmp)
{
	unsigned char a[64], b[64];
	for (size_t i = 0; i < sizeof a; i++)
		a[i] = (unsigned char)(i * 37 + 11);
	for (size_t off = 0; off < 3; off++) {
		for (size_t n = 0; n <= 40; n++) {
			memcpy(b + off, a + off, n);
			cr_assert(sl_mem_eq(a + off, b + off, n), "n %zu off %zu", n, off);
			for (size_t j = 0; j < n; j++) {
				b[off + j] ^= 0x40;
				cr_assert(!sl_mem_eq(a + off, b + off, n), "n %zu byte %zu", n, j);
				cr_assert_eq(sl_mem_eq(a + off, b + off, n),
				             !memcmp(a + off, b + off, n));
				b[off + j] ^= 0x40;
			}
		}
	}
}
