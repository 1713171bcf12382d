/*
 * fuzz_frame — the columnar frame encoding (aggregator/frame.c) gives back
 * every event byte for byte: the input is split into lines, each encoded
 * with a time taken from its bytes, decoded, and compared. The input itself
 * is also decoded as a frame, which must fail cleanly or give well-formed
 * entries. Decoding only the events that may hold a word of the input
 * (ag_frame_decode_some) gives each line whole or empty, and every line
 * holding the word whole.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fields.h"
#include "frame.h"
#include "query.h"

/* A block whose columns are the one-letter keys; the value of column c for
 * event ev is "c0", "c1" or "c2" (ev % 3). */
static int x_find(void *ud, const char *k, size_t kl)
{
	return kl == 1 ? (unsigned char)k[0] : -1;
}

static int x_match(void *ud, int h, uint32_t ev, const char *v, size_t vl)
{
	return vl == 4 && v[0] == '"' && v[1] == (char)h && v[2] == (char)('0' + ev % 3) &&
	       v[3] == '"';
}

static long x_values(void *ud, int h, const uint8_t **codes, size_t *ncodes,
                     const char *const **val, const uint32_t **len)
{
	static uint8_t c[4096];
	static char text[256][3][4];
	static const char *v[256][3];
	static const uint32_t l[3] = {4, 4, 4};
	for (uint32_t ev = 0; ev < 4096; ev++)
		c[ev] = (uint8_t)(ev % 3 + 1);
	for (int k = 0; k < 3; k++) {
		memcpy(text[h][k], (char[4]){'"', (char)h, (char)('0' + k), '"'}, 4);
		v[h][k] = text[h][k];
	}
	*codes = c;
	*ncodes = 4096;
	*val = v[h];
	*len = l;
	return 3;
}

static const struct ag_frame_ext ext = {x_find, x_match, x_values, NULL, 0};

/* the length of event i's line in a decoded frame */
static uint32_t line_len(const struct sl_buf *out, size_t i)
{
	return sl_get32((const uint8_t *)out->data + i * AG_FRAME_ENT + 8);
}

static void check_layout(const struct sl_buf *out, long n)
{
	size_t off = (size_t)n * AG_FRAME_ENT;
	for (long i = 0; i < n; i++)
		off += line_len(out, (size_t)i);
	if (off != out->len)
		abort();
}

/* the first token of 3..8 bytes ag_tokenize finds (wl 0: none) */
struct word {
	char w[8];
	size_t wl;
};

static int first_word(void *ud, const char *s, size_t n)
{
	struct word *w = ud;
	if (n < 3 || n > 8)
		return 0;
	memcpy(w->w, s, n);
	w->wl = n;
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ag_frame_enc enc;
	struct sl_buf payload = {0}, out = {0}, hex = {0};
	/* decoding arbitrary bytes, also with their last quarter as the hex
	 * values kept outside */
	long n = ag_frame_decode(data, size, NULL, 0, NULL, &ext, 64 * size + (1 << 20), &out);
	if (n >= 0)
		check_layout(&out, n);
	n = ag_frame_decode(data, size - size / 4, data + size - size / 4, size / 4, NULL, &ext,
	                    64 * size + (1 << 20), &out);
	if (n >= 0)
		check_layout(&out, n);
	(void)ag_frame_escapes(data, size);
	/* round trip: lines of the input, times from their first bytes */
	static struct ag_frame_enc enc2;
	static struct ag_event ev;
	ag_frame_enc_reset(&enc, &ext);
	ag_frame_enc_reset(&enc2, &ext);
	const char *p = (const char *)data, *end = p + size;
	size_t lines = 0;
	int64_t times[4096];
	static uint8_t ids[4096 * 16];
	while (p < end && lines < 4096) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		int64_t t = 0;
		memcpy(&t, p, len < 8 ? len : 8);
		if (lines % 3 == 0) /* plausible times too, so "time" columns form */
			t = 1793491200014331919LL + (int64_t)lines * 1000003;
		/* its id: what follows "id":" when that is 32 hex digits */
		uint64_t id[2] = {(uint64_t)t, lines};
		const char *q = memmem(p, len, "\"id\":\"", 6);
		if (q && (size_t)(q - p) + 38 <= len) {
			id[0] = id[1] = 0;
			for (int k = 0; k < 32; k++) {
				unsigned char c = (unsigned char)q[6 + k];
				int v = c >= '0' && c <= '9'   ? c - '0'
				        : c >= 'a' && c <= 'f' ? c - 'a' + 10
				                               : 0;
				id[k / 16] = id[k / 16] << 4 | (uint64_t)v;
			}
		}
		for (int k = 0; k < 16; k++)
			ids[16 * lines + (size_t)k] = (uint8_t)(id[k / 8] >> (8 * (k % 8)));
		times[lines++] = t;
		ag_frame_enc_add(&enc, t, id, p, len, NULL, 0);
		/* again with the members where the parser found them */
		int parsed = !ag_event_parse(&ev, p, len);
		ag_frame_enc_add(&enc2, t, id, p, len, parsed ? ev.span : NULL,
		                 parsed ? ev.nspan : 0);
		p += len + (nl != NULL);
	}
	/* odd sizes keep the hex values outside the encoding */
	int outside = size & 1;
	ag_frame_enc_finish(&enc, &payload, outside ? &hex : NULL);
	/* which must not change a byte */
	struct sl_buf payload2 = {0}, hex2 = {0};
	ag_frame_enc_finish(&enc2, &payload2, outside ? &hex2 : NULL);
	if (payload2.len != payload.len || memcmp(payload2.data, payload.data, payload.len) ||
	    hex2.len != hex.len || (hex.len && memcmp(hex2.data, hex.data, hex.len)))
		abort();
	sl_buf_free(&payload2);
	sl_buf_free(&hex2);
	/* without a backslash in the lines, no text of the encoding has one */
	if (!memchr(data, '\\', size) &&
	    ag_frame_escapes((const uint8_t *)payload.data, payload.len))
		abort();
	n = ag_frame_decode((const uint8_t *)payload.data, payload.len,
	                    outside ? (const uint8_t *)hex.data : NULL, hex.len, ids, &ext,
	                    SIZE_MAX, &out);
	if (n != (long)lines)
		abort();
	check_layout(&out, n);
	/* decoded again, only the events that may hold a word of the input:
	 * each line whole or empty, and whole when it holds the word */
	struct word w = {0};
	ag_tokenize((const char *)data, size, first_word, &w);
	struct ag_literal lit = {w.w, w.wl, (int)(size & 2)};
	struct sl_buf some = {0};
	if (w.wl) {
		long ns = ag_frame_decode_some((const uint8_t *)payload.data, payload.len,
		                               outside ? (const uint8_t *)hex.data : NULL, hex.len,
		                               ids, &ext, SIZE_MAX, &lit, &some);
		if (ns != n)
			abort();
		check_layout(&some, ns);
	}
	p = (const char *)data;
	size_t off = (size_t)n * AG_FRAME_ENT, so = off;
	for (size_t i = 0; i < lines; i++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		int64_t t = (int64_t)sl_get64((const uint8_t *)out.data + i * AG_FRAME_ENT);
		if (t != times[i] || line_len(&out, i) != len || memcmp(out.data + off, p, len))
			abort();
		off += len;
		if (w.wl) {
			uint32_t l = line_len(&some, i);
			if ((l && (l != len || memcmp(some.data + so, p, len))) ||
			    (!l && len && ag_literal_in(&lit, p, len)))
				abort();
			so += l;
		}
		p += len + (nl != NULL);
	}
	sl_buf_free(&some);
	int64_t t2[4096];
	if (ag_frame_times((const uint8_t *)payload.data, payload.len, (uint32_t)lines, t2) ||
	    memcmp(t2, times, lines * sizeof *t2))
		abort();
	sl_buf_free(&payload);
	sl_buf_free(&out);
	sl_buf_free(&hex);
	return 0;
}
