/*
 * sl_json — escaping with UTF-8 repair, and the flat object writer.
 */
#include "sl_json.h"

#include <inttypes.h>
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
		size_t k = utf8_seq(u + i, n - i);
		if (!k)
			break;
		i += k;
	}
	return i;
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

void sl_json_escape(struct sl_buf *b, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, run = 0;
	while (i < n) {
		if (!special[u[i]]) {
			i++;
			continue;
		}
		if (i > run)
			sl_buf_append(b, s + run, i - run);
		unsigned char c = u[i];
		if (c >= 0x80) {
			size_t k = utf8_seq(u + i, n - i);
			if (k) {
				sl_buf_append(b, s + i, k);
				i += k;
			} else {
				sl_buf_append(b, "\xEF\xBF\xBD", 3);
				i++;
			}
			run = i;
			continue;
		}
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
		default:
			sl_buf_printf(b, "\\u%04x", c);
		}
		i++;
		run = i;
	}
	if (n > run)
		sl_buf_append(b, s + run, n - run);
}

void sl_json_str(struct sl_buf *b, const char *s, size_t n)
{
	sl_buf_putc(b, '"');
	sl_json_escape(b, s, n);
	sl_buf_putc(b, '"');
}

void sl_jw_begin(struct sl_jw *w, struct sl_buf *b)
{
	w->b = b;
	w->n = 0;
	sl_buf_putc(b, '{');
}

static void key(struct sl_jw *w, const char *k)
{
	if (w->n++)
		sl_buf_putc(w->b, ',');
	sl_json_str(w->b, k, strlen(k));
	sl_buf_putc(w->b, ':');
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
	key(w, k);
	sl_buf_printf(w->b, "%" PRId64, v);
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
