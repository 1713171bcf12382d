/*
 * test_frame — the columnar frame encoding gives back every event byte for
 * byte (shipper events, and lines it must keep whole or type carefully),
 * keeps shipper events far smaller than their text, and rejects damaged
 * data instead of misreading it.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "fields.h"
#include "frame.h"
#include "sl_time.h"

static uint64_t le(const char *p, int n)
{
	uint64_t v = 0;
	for (int i = 0; i < n; i++)
		v |= (uint64_t)(uint8_t)p[i] << (8 * i);
	return v;
}

/* The id a block would keep for a line: its "id" when that is 32 hex
 * digits, else one made up from i. */
static void line_id(const char *line, size_t i, uint64_t id[2])
{
	const char *p = strstr(line, "\"id\":\"");
	id[0] = i * 0x9E3779B97F4A7C15ULL;
	id[1] = i;
	if (!p || strspn(p + 6, "0123456789abcdef") < 32)
		return;
	id[0] = id[1] = 0;
	for (int k = 0; k < 32; k++) {
		char c = p[6 + k];
		id[k / 16] = id[k / 16] << 4 | (uint64_t)(c <= '9' ? c - '0' : c - 'a' + 10);
	}
}

/* A block whose one column is "level": "error" for every 7th event, else
 * "info". */
static const char *level_of(uint32_t ev)
{
	return ev % 7 ? "\"info\"" : "\"error\"";
}

static int lv_find(void *ud, const char *k, size_t kl)
{
	return kl == 5 && !memcmp(k, "level", 5) ? 0 : -1;
}

static int lv_match(void *ud, int h, uint32_t ev, const char *v, size_t vl)
{
	return vl == strlen(level_of(ev)) && !memcmp(v, level_of(ev), vl);
}

static long lv_values(void *ud, int h, const uint8_t **codes, size_t *ncodes,
                      const char *const **val, const uint32_t **len)
{
	static uint8_t c[4096];
	static const char *const v[] = {"\"info\"", "\"error\""};
	static const uint32_t l[] = {6, 7};
	for (uint32_t ev = 0; ev < 4096; ev++)
		c[ev] = ev % 7 ? 1 : 2;
	*codes = c;
	*ncodes = 4096;
	*val = v;
	*len = l;
	return 2;
}

static const struct ag_frame_ext lv_ext = {lv_find, lv_match, lv_values, NULL, 0};

/* Encodes lines[0..n) with times t, decodes, and checks both give back; the
 * hex values inside the encoding (outside 0) or outside it. Returns the
 * length of the encoding and, outside, of the hex values. */
static size_t round_trip_in(const char *const *lines, const int64_t *t, size_t n, int outside)
{
	struct ag_frame_enc e = {0};
	struct sl_buf enc = {0}, out = {0}, hex = {0};
	uint8_t *ids = calloc(n + 1, 16);
	/* and again with each event's members where the parser found them:
	 * the encoding must be the same bytes */
	struct ag_frame_enc e2 = {0};
	struct sl_buf enc2 = {0}, hex2 = {0};
	struct ag_event ev = {0};
	ag_frame_enc_reset(&e, &lv_ext);
	ag_frame_enc_reset(&e2, &lv_ext);
	for (size_t i = 0; i < n; i++) {
		uint64_t id[2];
		line_id(lines[i], i, id);
		for (int k = 0; k < 16; k++)
			ids[16 * i + (size_t)k] = (uint8_t)(id[k / 8] >> (8 * (k % 8)));
		size_t len = strlen(lines[i]);
		ag_frame_enc_add(&e, t[i], id, lines[i], len, NULL, 0);
		int parsed = !ag_event_parse(&ev, lines[i], len);
		ag_frame_enc_add(&e2, t[i], id, lines[i], len, parsed ? ev.span : NULL,
		                 parsed ? ev.nspan : 0);
	}
	ag_frame_enc_finish(&e, &enc, outside ? &hex : NULL);
	ag_frame_enc_finish(&e2, &enc2, outside ? &hex2 : NULL);
	cr_assert(enc.len == enc2.len && !memcmp(enc.data, enc2.data, enc.len),
	          "the encoding differs with the parser's spans");
	cr_assert(hex.len == hex2.len && (!hex.len || !memcmp(hex.data, hex2.data, hex.len)));
	sl_buf_free(&enc2);
	sl_buf_free(&hex2);
	ag_frame_enc_free(&e2);
	ag_event_free(&ev);
	const uint8_t *x = outside ? (const uint8_t *)hex.data : NULL;
	size_t xl = hex.len;
	cr_assert_eq(ag_frame_decode((const uint8_t *)enc.data, enc.len, x, xl, ids, &lv_ext,
	                             SIZE_MAX, &out),
	             (long)n);
	size_t off = n * AG_FRAME_ENT;
	for (size_t i = 0; i < n; i++) {
		const char *ent = out.data + i * AG_FRAME_ENT;
		size_t l = (size_t)le(ent + 8, 4);
		cr_assert_eq((int64_t)le(ent, 8), t[i]);
		cr_assert_eq(l, strlen(lines[i]), "event %zu: length %zu, want %zu", i, l,
		             strlen(lines[i]));
		cr_assert(!memcmp(out.data + off, lines[i], l), "event %zu: %.*s", i, (int)l,
		          out.data + off);
		off += l;
	}
	cr_assert_eq(off, out.len);
	int64_t *t2 = calloc(n + 1, sizeof *t2);
	cr_assert_eq(ag_frame_times((const uint8_t *)enc.data, enc.len, (uint32_t)n, t2), 0);
	cr_assert(!memcmp(t2, t, n * sizeof *t));
	/* a decoding longer than the caller allows is refused */
	struct sl_buf o2 = {0};
	cr_assert_eq(
	    ag_frame_decode((const uint8_t *)enc.data, enc.len, x, xl, ids, &lv_ext, out.len, &o2),
	    (long)n);
	cr_assert_eq(ag_frame_decode((const uint8_t *)enc.data, enc.len, x, xl, ids, &lv_ext,
	                             out.len - 1, &o2),
	             -1);
	/* hex values that are not all the encoding's are refused: one short,
	 * one too many, or given to an encoding that holds its own */
	if (xl) {
		cr_assert_eq(ag_frame_decode((const uint8_t *)enc.data, enc.len, x, xl - 1, ids,
		                             &lv_ext, SIZE_MAX, &o2),
		             -1);
		sl_buf_putc(&hex, 'x');
		cr_assert_eq(ag_frame_decode((const uint8_t *)enc.data, enc.len,
		                             (const uint8_t *)hex.data, xl + 1, ids, &lv_ext,
		                             SIZE_MAX, &o2),
		             -1);
	} else if (!outside) {
		cr_assert_eq(ag_frame_decode((const uint8_t *)enc.data, enc.len,
		                             (const uint8_t *)"ab", 2, ids, &lv_ext, SIZE_MAX, &o2),
		             -1);
	}
	sl_buf_free(&o2);
	/* every shorter prefix of the encoding is refused */
	for (size_t cut = 0; cut < enc.len; cut += 1 + cut / 50)
		cr_assert_eq(ag_frame_decode((const uint8_t *)enc.data, cut, x, xl, ids, &lv_ext,
		                             SIZE_MAX, &out),
		             -1, "cut %zu", cut);
	size_t len = enc.len + xl;
	free(ids);
	free(t2);
	sl_buf_free(&enc);
	sl_buf_free(&hex);
	sl_buf_free(&out);
	ag_frame_enc_free(&e);
	return len;
}

/* round_trip_in both ways: the same bytes, only in two places. */
static size_t round_trip(const char *const *lines, const int64_t *t, size_t n)
{
	size_t in = round_trip_in(lines, t, n, 0);
	cr_assert_eq(round_trip_in(lines, t, n, 1), in);
	return in;
}

Test(frame, shipper_events_round_trip_and_shrink)
{
	enum { N = 500 };
	static char buf[N][512];
	const char *lines[N];
	int64_t t[N];
	size_t text = 0;
	for (int i = 0; i < N; i++) {
		char ts[SL_TIME_LEN];
		t[i] = 1793491200014331919LL + (int64_t)i * 21474836;
		sl_time_format(t[i], ts);
		snprintf(buf[i], sizeof buf[i],
		         "{\"time\":\"%s\",\"id\":\"%016llx%016llx\",\"host\":\"web-%d\","
		         "\"offset\":%d,\"level\":\"%s\",\"message\":\"request %d done\","
		         "\"http\":{\"status\":%d},\"ok\":%s,\"ratio\":%d.5,"
		         "\"span_id\":\"%016llx\"}",
		         ts, (unsigned long long)i * 0x9E3779B97F4A7C15ULL,
		         (unsigned long long)i * 0xC2B2AE3D27D4EB4FULL, i % 3, i * 211,
		         i % 7 ? "info" : "error", i, 200 + i % 5, i % 2 ? "true" : "false", i,
		         (unsigned long long)(i + 1) * 0xFF51AFD7ED558CCDULL);
		lines[i] = buf[i];
		text += strlen(buf[i]);
	}
	size_t enc = round_trip(lines, t, N);
	/* "level" comes from the block: without the block it cannot be read */
	struct ag_frame_enc e = {0};
	struct sl_buf b = {0}, out = {0};
	ag_frame_enc_reset(&e, &lv_ext);
	for (int i = 0; i < N; i++)
		ag_frame_enc_add(&e, t[i], NULL, lines[i], strlen(lines[i]), NULL, 0);
	ag_frame_enc_finish(&e, &b, NULL);
	cr_assert(memmem(b.data, b.len, "level\x05", 6), "level is not a block column");
	cr_assert_eq(
	    ag_frame_decode((const uint8_t *)b.data, b.len, NULL, 0, NULL, NULL, SIZE_MAX, &out),
	    -1);
	sl_buf_free(&b);
	sl_buf_free(&out);
	ag_frame_enc_free(&e);
	/* keys once, ids as bytes, times not repeated: well under two thirds */
	cr_assert_lt(enc, text * 2 / 3, "encoded %zu of %zu", enc, text);
}

Test(frame, lines_kept_whole_or_typed_carefully)
{
	const char *lines[] = {
	    "{\"a\":1}",
	    "{}",
	    "",
	    "not json at all",
	    "{ \"a\": 1 }",                            /* spaces: kept whole */
	    "{\"a\":1,}",                              /* trailing comma */
	    "{\"a\":1}}",                              /* bracket after the end */
	    "{\"a\":\"x\",\"a\":[1,{\"b\":\"}\"}]}",   /* repeated key, nested */
	    "{\"a\\\"b\":\"c\\\"\",\"n\":{\"m\":[]}}", /* escapes in keys and values */
	    "{\"a\":007}",                             /* not a canonical integer */
	    "{\"a\":-0}",
	    "{\"a\":1234567890123456789}", /* too long for the varint column */
	    "{\"a\":-42}",
	    "{\"h\":\"ABCDEF00\"}", /* upper case hex stays text */
	    "{\"h\":\"abc\"}",      /* odd length */
	    "{\"h\":\"\"}",
	    "{\"time\":\"2026-11-01T00:00:00.014331919Z\"}",
	    "{\"time\":\"2026-11-01T00:00:00.014331919+00:00\"}",
	    "{\"time\":\"2026-11-01T00:00:00Z\"}",
	    "{\"x\":tru}",
	    "{\"x\":\"unterminated}",
	    "{\"x\":[1,2}",
	    "{\"\":null}",
	    "{\"a\":1,\"b\":2,\"c\":3}",
	    "{\"c\":3,\"b\":2,\"a\":1}",
	    "{\"a\":\"\xff\xfe\x01\"}",
	    "{\"id\":\"0123456789abcdef0123456789abcdef\"}", /* not the event's id */
	};
	size_t n = sizeof lines / sizeof *lines;
	int64_t t[sizeof lines / sizeof *lines];
	for (size_t i = 0; i < n; i++)
		t[i] = i == 16 ? 1793491200014331919LL : (int64_t)i * -7777777;
	round_trip(lines, t, n);
	round_trip(lines + 1, t, 1); /* a frame whose first event has no members */
}

Test(frame, typed_columns_mixed_with_other_values)
{
	/* the same keys as typed columns in some events and not in others */
	const char *lines[] = {
	    "{\"id\":\"00ff\",\"n\":5,\"time\":\"2026-11-01T00:00:00.014331919Z\"}",
	    "{\"id\":\"00ff00\",\"n\":\"5\",\"time\":\"2026-11-01T00:00:00.014331919Z\"}",
	    "{\"id\":\"0a\",\"n\":-9223372036854775,\"time\":\"x\"}",
	    "{\"id\":\"0a\",\"n\":999999999999999999}",
	    "{\"id\":\"ff\",\"n\":-999999999999999999}",
	};
	int64_t t[] = {1793491200014331919LL, 1793491200014331919LL, 5, 6, 7};
	round_trip(lines, t, 5);
	round_trip(lines + 3, t + 3, 2);
}

Test(frame, damaged_data_is_refused)
{
	struct sl_buf out = {0};
	const uint8_t junk[] = {1, 2, 0, 0, 5, 0};
	cr_assert_eq(ag_frame_decode(junk, sizeof junk, NULL, 0, NULL, NULL, SIZE_MAX, &out), -1);
	const uint8_t version[] = {3, 0, 0, 0};
	cr_assert_eq(ag_frame_decode(version, sizeof version, NULL, 0, NULL, NULL, SIZE_MAX, &out),
	             -1);
	const uint8_t empty[] = {1, 0, 0, 0}, empty_x[] = {2, 0, 0, 0};
	cr_assert_eq(ag_frame_decode(empty, sizeof empty, NULL, 0, NULL, NULL, SIZE_MAX, &out), 0);
	cr_assert_eq(ag_frame_decode(empty_x, sizeof empty_x, NULL, 0, NULL, NULL, SIZE_MAX, &out),
	             0);
	const uint8_t extra[] = {1, 0, 0, 0, 9};
	cr_assert_eq(ag_frame_decode(extra, sizeof extra, NULL, 0, NULL, NULL, SIZE_MAX, &out), -1);
	sl_buf_free(&out);
}
