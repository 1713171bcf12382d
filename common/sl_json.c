/*
 * sl_json — escaping with UTF-8 repair, and the flat object writer.
 */
#include "sl_json.h"

#include <stdio.h>
#include <string.h>

/* Bytes that end a plain run: control characters, '"', '\\', and any byte
 * >= 0x80 (which needs UTF-8 validation). */
static const unsigned char special[256] = {
#define S4(x)  x, x, x, x
#define S16(x) S4(x), S4(x), S4(x), S4(x)
    S16(1), S16(1), /* 0x00-0x1f */
    0,      0,      1,      0,      0,      0,      0,      0,
    0,      0,      0,      0,      0,      0,      0,      0, /* 0x20-0x2f: '"' */
    S16(0),                                                    /* 0x30-0x3f */
    S16(0),                                                    /* 0x40-0x4f */
    0,      0,      0,      0,      0,      0,      0,      0,
    0,      0,      0,      0,      1,      0,      0,      0,      /* 0x50-0x5f: '\\' */
    S16(0), S16(0),                                                 /* 0x60-0x7f */
    S16(1), S16(1), S16(1), S16(1), S16(1), S16(1), S16(1), S16(1), /* 0x80-0xff */
#undef S16
#undef S4
};

/* Length of the valid UTF-8 sequence at s (1..4), or 0 if invalid. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF)
		return (n >= 2 && (s[1] & 0xC0) == 0x80) ? 2 : 0;
	if (c >= 0xE0 && c <= 0xEF) {
		if (n < 3 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80)
			return 0;
		if (c == 0xE0 && s[1] < 0xA0)
			return 0; /* overlong */
		if (c == 0xED && s[1] > 0x9F)
			return 0; /* surrogate */
		return 3;
	}
	if (c >= 0xF0 && c <= 0xF4) {
		if (n < 4 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80 ||
		    (s[3] & 0xC0) != 0x80)
			return 0;
		if (c == 0xF0 && s[1] < 0x90)
			return 0; /* overlong */
		if (c == 0xF4 && s[1] > 0x8F)
			return 0; /* > U+10FFFF */
		return 4;
	}
	return 0;
}

size_t sl_utf8_valid_prefix(const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0;
	while (i < n) {
		uint64_t w;
		if (i + 8 <= n && (memcpy(&w, u + i, 8), !(w & 0x8080808080808080ULL))) {
			i += 8;
			continue;
		}
		size_t k = utf8_seq(u + i, n - i);
		if (!k)
			break;
		i += k;
	}
	return i;
}

void sl_utf8_put(struct sl_buf *b, unsigned cp)
{
	char u[4];
	size_t k;
	if (cp < 0x80) {
		u[0] = (char)cp;
		k = 1;
	} else if (cp < 0x800) {
		u[0] = (char)(0xC0 | (cp >> 6));
		u[1] = (char)(0x80 | (cp & 0x3F));
		k = 2;
	} else if (cp < 0x10000) {
		u[0] = (char)(0xE0 | (cp >> 12));
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		u[2] = (char)(0x80 | (cp & 0x3F));
		k = 3;
	} else {
		u[0] = (char)(0xF0 | (cp >> 18));
		u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
		u[3] = (char)(0x80 | (cp & 0x3F));
		k = 4;
	}
	sl_buf_append(b, u, k);
}

void sl_utf8_repair(struct sl_buf *b, const char *s, size_t n)
{
	size_t i = 0;
	while (i < n) {
		size_t ok = sl_utf8_valid_prefix(s + i, n - i);
		sl_buf_append(b, s + i, ok);
		i += ok;
		if (i < n) {
			sl_buf_append(b, "\xEF\xBF\xBD", 3);
			i++;
		}
	}
}

#define ONES  0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL
#define LOWS  0x7f7f7f7f7f7f7f7fULL

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
/* The high bit of each byte of w that is special (see the table): >= 0x80,
 * below 0x20, '"' or '\\'. Exact per byte: no carry crosses a byte. */
static inline uint64_t special_mask(uint64_t w)
{
	uint64_t q = w ^ (ONES * '"'), bs = w ^ (ONES * '\\');
	uint64_t ge20 = (w & LOWS) + ONES * (0x80 - 0x20); /* high bit: byte >= 0x20 */
	uint64_t qnz = ((q & LOWS) + LOWS) | q;            /* high bit: byte != '"' */
	uint64_t bnz = ((bs & LOWS) + LOWS) | bs;          /* high bit: byte != '\\' */
	return (w | ~(ge20 & qnz & bnz)) & HIGHS;
}

/* The first special byte at or after i (n when none), 8 bytes at a time;
 * the tail re-reads the last 8 bytes rather than go byte by byte. */
static inline size_t plain_run(const unsigned char *u, size_t i, size_t n)
{
	uint64_t w, m;
	for (; i + 8 <= n; i += 8) {
		memcpy(&w, u + i, 8);
		if ((m = special_mask(w)))
			return i + ((size_t)__builtin_ctzll(m) >> 3);
	}
	if (i < n && n >= 8) {
		memcpy(&w, u + n - 8, 8);
		m = special_mask(w) & (~0ULL << (8 * (i - (n - 8))));
		return m ? n - 8 + ((size_t)__builtin_ctzll(m) >> 3) : n;
	}
	while (i < n && !special[u[i]])
		i++;
	return i;
}
#else
static inline size_t plain_run(const unsigned char *u, size_t i, size_t n)
{
	while (i < n && !special[u[i]])
		i++;
	return i;
}
#endif

size_t sl_json_plain(const char *s, size_t n)
{
	return plain_run((const unsigned char *)s, 0, n);
}

/* Room for n more bytes at the end of b (NULL past its cap); the inline
 * fast path of sl_buf_reserve. Add them with commit(). */
static inline char *room(struct sl_buf *b, size_t n)
{
	if (b->len + n < b->cap && (!b->max || b->len + n <= b->max))
		return b->data + b->len;
	return sl_buf_reserve(b, n);
}

static inline void commit(struct sl_buf *b, size_t n)
{
	b->len += n;
	b->data[b->len] = '\0';
}

/* s[0..n) escaped, where s[0..i) is known to need no escaping. */
static void escape_from(struct sl_buf *b, const char *s, size_t n, size_t i)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t run = 0;
	for (;;) {
		i = plain_run(u, i, n);
		if (i >= n)
			break;
		unsigned char c = u[i];
		if (c >= 0x80) {
			size_t k = utf8_seq(u + i, n - i);
			if (k) { /* valid UTF-8 is copied with the run */
				i += k;
				continue;
			}
			if (i > run)
				sl_buf_append(b, s + run, i - run);
			sl_buf_append(b, "\xEF\xBF\xBD", 3);
			run = ++i;
			continue;
		}
		if (i > run)
			sl_buf_append(b, s + run, i - run);
		switch (c) {
		case '"':
			sl_buf_append(b, "\\\"", 2);
			break;
		case '\\':
			sl_buf_append(b, "\\\\", 2);
			break;
		case '\n':
			sl_buf_append(b, "\\n", 2);
			break;
		case '\r':
			sl_buf_append(b, "\\r", 2);
			break;
		case '\t':
			sl_buf_append(b, "\\t", 2);
			break;
		case '\b':
			sl_buf_append(b, "\\b", 2);
			break;
		case '\f':
			sl_buf_append(b, "\\f", 2);
			break;
		default: {
			static const char hex[] = "0123456789abcdef";
			char e[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
			sl_buf_append(b, e, 6);
		}
		}
		run = ++i;
	}
	if (n > run)
		sl_buf_append(b, s + run, n - run);
}

void sl_json_escape(struct sl_buf *b, const char *s, size_t n)
{
	escape_from(b, s, n, 0);
}

void sl_json_str(struct sl_buf *b, const char *s, size_t n)
{
	size_t p = plain_run((const unsigned char *)s, 0, n);
	char *w;
	if (p == n && (w = room(b, n + 2))) { /* the common case: one copy */
		w[0] = '"';
		memcpy(w + 1, s, n);
		w[n + 1] = '"';
		commit(b, n + 2);
		return;
	}
	sl_buf_putc(b, '"');
	escape_from(b, s, n, p);
	sl_buf_putc(b, '"');
}

void sl_jw_begin(struct sl_jw *w, struct sl_buf *b)
{
	w->b = b;
	w->n = 0;
	sl_buf_putc(b, '{');
}

/* ,"k": with the key copied in the same pass that measures it; a key that
 * needs escaping (none of the callers' literals does) takes the escaper. */
static void key(struct sl_jw *w, const char *k)
{
	char t[72];
	size_t n = 0;
	if (w->n++)
		t[n++] = ',';
	t[n++] = '"';
	while (*k && n < 64 && !special[(unsigned char)*k])
		t[n++] = *k++;
	if (*k) {
		sl_buf_append(w->b, t, n);
		sl_json_escape(w->b, k, strlen(k));
		n = 0;
	}
	t[n++] = '"';
	t[n++] = ':';
	sl_buf_append(w->b, t, n);
}

void sl_jw_str(struct sl_jw *w, const char *k, const char *v, size_t n)
{
	key(w, k);
	sl_json_str(w->b, v, n);
}

void sl_jw_cstr(struct sl_jw *w, const char *k, const char *v)
{
	sl_jw_str(w, k, v, strlen(v));
}

void sl_jw_int(struct sl_jw *w, const char *k, int64_t v)
{
	char d[24], *p = d + sizeof d;
	uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
	do
		*--p = (char)('0' + u % 10);
	while (u /= 10);
	if (v < 0)
		*--p = '-';
	key(w, k);
	sl_buf_append(w->b, p, (size_t)(d + sizeof d - p));
}

void sl_jw_raw(struct sl_jw *w, const char *k, const char *raw, size_t n)
{
	key(w, k);
	sl_buf_append(w->b, raw, n);
}

void sl_jw_end(struct sl_jw *w)
{
	sl_buf_putc(w->b, '}');
}
