/*
 * fields — flattening JSON events in one pass over the text.
 *
 * The scanner accepts and decodes exactly what yajl 2.1 (the project's JSON
 * library, which flattened events before) accepts and decodes, strings
 * validated as UTF-8 the way yajl checks them; tests/fuzz/fuzz_fields.c
 * compares the two on every input. It exists because yajl's lexer was a
 * fifth of the aggregator's ingest instructions: ingest needs every field of
 * every event, but no tree, no copies and no callbacks through a table.
 */
#include "fields.h"
#include "sl_json.h"

#include <endian.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

int ag_num_parse(const char *s, size_t n, double *out)
{
	char tmp[64], *end;
	if (!n || n >= sizeof tmp)
		return -1;
	/* JSON-style: optional '-', a digit first; no hex, inf or nan */
	size_t i = s[0] == '-' || s[0] == '+' ? 1 : 0;
	if (i >= n || !((s[i] >= '0' && s[i] <= '9') || (s[i] == '.' && i + 1 < n)))
		return -1;
	for (size_t j = i; j < n; j++)
		if (!strchr("0123456789.eE+-", s[j]))
			return -1;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	errno = 0;
	double v = strtod(tmp, &end);
	if (*end || !isfinite(v))
		return -1;
	*out = v;
	return 0;
}

size_t ag_num_canon(double v, char out[32])
{
	if (v == 0)
		v = 0; /* -0 == 0 */
	if (v >= -0x1p53 && v <= 0x1p53 && v == (double)(int64_t)v) {
		/* an integer of at most 16 digits: "%.17g" writes its digits */
		char d[20];
		size_t n = 0, k = 0;
		uint64_t u = (uint64_t)(v < 0 ? -v : v);
		do
			d[n++] = (char)('0' + u % 10);
		while (u /= 10);
		if (v < 0)
			out[k++] = '-';
		while (n)
			out[k++] = d[--n];
		out[k] = '\0';
		return k;
	}
	int n = snprintf(out, 32, "%.17g", v);
	return n < 0 ? 0 : (size_t)n;
}

/* Appends a field; grows ev->f and ev->arena, which ev owns (freed by
 * ag_event_free). Pointers into the arena are fixed up after parsing. */
static void push_field(struct ag_event *ev, enum ag_ftype t, const char *v, size_t vlen, double num)
{
	if (ev->n == ev->cap) {
		ev->cap = ev->cap ? ev->cap * 2 : 32;
		ev->f = sl_realloc(ev->f, ev->cap * sizeof *ev->f);
	}
	struct ag_field *f = &ev->f[ev->n++];
	/* offsets now, pointers once the arena stops moving */
	size_t at = ev->arena.len, kl = ev->path.len;
	char *w = sl_buf_reserve(&ev->arena, kl + vlen + 2);
	if (kl)
		memcpy(w, ev->path.data, kl);
	w[kl] = '\0';
	memcpy(w + kl + 1, v, vlen);
	w[kl + 1 + vlen] = '\0';
	ev->arena.len += kl + vlen + 2;
	f->key = (const char *)(uintptr_t)at;
	f->klen = kl;
	f->val = (const char *)(uintptr_t)(at + kl + 1);
	f->vlen = vlen;
	f->num = num;
	f->type = t;
}

/* After a scalar: an object value ends its key; an array element does not. */
static void end_value(struct ag_event *ev)
{
	if (!ev->in_array && ev->depth)
		ev->path.len = ev->stack[ev->depth - 1];
}

static int cb_null(void *ctx)
{
	struct ag_event *ev = ctx;
	if (ev->done)
		return 0; /* a second value after the object */
	push_field(ev, AG_F_NULL, "null", 4, 0);
	end_value(ev);
	return 1;
}

static int cb_bool(void *ctx, int b)
{
	struct ag_event *ev = ctx;
	if (ev->done)
		return 0; /* a second value after the object */
	push_field(ev, AG_F_BOOL, b ? "true" : "false", b ? 4 : 5, 0);
	end_value(ev);
	return 1;
}

static int cb_number(void *ctx, const char *s, size_t n)
{
	struct ag_event *ev = ctx;
	if (ev->done)
		return 0;
	double v = 0;
	size_t i = s[0] == '-';
	int64_t iv = 0;
	while (i < n && i < 18 && s[i] >= '0' && s[i] <= '9')
		iv = iv * 10 + (s[i++] - '0');
	if (i == n && n > (size_t)(s[0] == '-')) /* a short integer: no strtod */
		v = (double)(s[0] == '-' ? -iv : iv);
	else
		ag_num_parse(s, n, &v);
	push_field(ev, AG_F_NUM, s, n, v);
	end_value(ev);
	return 1;
}

static int cb_string(void *ctx, const unsigned char *s, size_t n)
{
	struct ag_event *ev = ctx;
	if (ev->done)
		return 0; /* a second value after the object */
	push_field(ev, AG_F_STR, (const char *)s, n, 0);
	end_value(ev);
	return 1;
}

/* Grows ev->stack (owned by ev) as maps nest. */
static void push_level(struct ag_event *ev)
{
	if (ev->depth == ev->stack_cap) {
		ev->stack_cap = ev->stack_cap ? ev->stack_cap * 2 : 16;
		ev->stack = sl_realloc(ev->stack, ev->stack_cap * sizeof *ev->stack);
	}
	ev->stack[ev->depth++] = ev->path.len;
}

static int cb_start_map(void *ctx)
{
	struct ag_event *ev = ctx;
	if (ev->done)
		return 0; /* a second value after the object */
	if (ev->in_array)
		return 1; /* objects inside arrays: their scalars take the array's key */
	push_level(ev);
	return 1;
}

static int cb_map_key(void *ctx, const unsigned char *k, size_t n)
{
	struct ag_event *ev = ctx;
	if (ev->in_array)
		return 1;
	size_t base = ev->stack[ev->depth - 1];
	ev->path.len = base;
	char *w = sl_buf_reserve(&ev->path, n + 2);
	if (base)
		*w++ = '.';
	memcpy(w, k, n);
	w[n] = '\0';
	ev->path.len = base + (base ? 1 : 0) + n;
	return 1;
}

static int cb_end_map(void *ctx)
{
	struct ag_event *ev = ctx;
	if (ev->in_array)
		return 1;
	ev->depth--;
	ev->path.len = ev->stack[ev->depth];
	end_value(ev);
	if (!ev->depth)
		ev->done = 1;
	return 1;
}

static int cb_start_array(void *ctx)
{
	struct ag_event *ev = ctx;
	if (ev->done)
		return 0; /* a second value after the object */
	if (!ev->depth)
		return 0; /* the event must be an object */
	ev->in_array++;
	return 1;
}

static int cb_end_array(void *ctx)
{
	struct ag_event *ev = ctx;
	ev->in_array--;
	end_value(ev);
	return 1;
}

/* JSON whitespace, as yajl's lexer skips it */
static int ws(unsigned char c)
{
	return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\v' || c == '\f';
}

static const unsigned char *skip_ws(const unsigned char *p, const unsigned char *end)
{
	while (p < end && ws(*p))
		p++;
	return p;
}

static int hexdig(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
		return (c | 0x20) - 'a' + 10;
	return -1;
}

static unsigned hex4(const unsigned char *s)
{
	return (unsigned)(hexdig(s[0]) << 12 | hexdig(s[1]) << 8 | hexdig(s[2]) << 4 |
	                  hexdig(s[3]));
}

/* Unescapes the (validated) string body s[0..n) into b as yajl does: a high
 * surrogate takes the \u escape after it as its low half whatever it is, and
 * without one becomes '?'. */
static void unescape(struct sl_buf *b, const unsigned char *s, size_t n)
{
	size_t beg = 0, i = 0;
	while (i < n) {
		if (s[i] != '\\') {
			i++;
			continue;
		}
		sl_buf_append(b, s + beg, i - beg);
		char c = (char)s[++i];
		const char *rep = strchr("\"\\/bfnrt", c);
		if (c != 'u') {
			sl_buf_putc(b, "\"\\/\b\f\n\r\t"[rep - "\"\\/bfnrt"]);
		} else {
			unsigned cp = hex4(s + i + 1);
			i += 4;
			if ((cp & 0xfc00) == 0xd800) {
				if (i + 2 < n && s[i + 1] == '\\' && s[i + 2] == 'u') {
					unsigned lo = hex4(s + i + 3);
					cp = ((cp & 0x3f) << 10 | (((cp >> 6) & 0xf) + 1) << 16 |
					      (lo & 0x3ff));
					i += 6;
					sl_utf8_put(b, cp);
				} else {
					sl_buf_putc(b, '?');
				}
			} else {
				sl_utf8_put(b, cp);
			}
		}
		beg = ++i;
	}
	if (beg < n)
		sl_buf_append(b, s + beg, n - beg);
}

/* How many of the 8 bytes at p come before the first quote, backslash,
 * control character or non-ASCII byte (the bytes a string's scan stops at):
 * 8 when none does. The lowest flagged byte is exact: the borrows of the
 * subtractions only run upwards. */
static unsigned plain8(const unsigned char *p)
{
	const uint64_t ones = 0x0101010101010101ULL, high = 0x8080808080808080ULL;
	uint64_t w, q, b;
	memcpy(&w, p, 8);
	w = le64toh(w);
	q = w ^ (ones * '"');
	b = w ^ (ones * '\\');
	uint64_t m = (((q - ones) & ~q) | ((b - ones) & ~b) | ((w - ones * 0x20) & ~w) | w) & high;
	return m ? (unsigned)__builtin_ctzll(m) >> 3 : 8;
}

#ifdef __SSE2__
/* The same for the 16 bytes at p, as a mask (bit i: byte i stops the scan).
 * A signed compare with 0x20 flags control characters and non-ASCII bytes
 * alike. */
static unsigned stops16(const unsigned char *p)
{
	__m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
	__m128i m = _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')),
	                         _mm_cmpeq_epi8(v, _mm_set1_epi8('\\')));
	m = _mm_or_si128(m, _mm_cmplt_epi8(v, _mm_set1_epi8(0x20)));
	return (unsigned)_mm_movemask_epi8(m);
}
#endif

/* The first byte of p[0..end) a string's scan stops at, or end. The loops
 * only test for a stop before moving on, so the next load does not wait for
 * where the last one stopped. */
static const unsigned char *skip_plain(const unsigned char *p, const unsigned char *end)
{
#ifdef __SSE2__
	for (; end - p >= 16; p += 16) {
		unsigned m = stops16(p);
		if (m)
			return p + __builtin_ctz(m);
	}
#endif
	for (; end - p >= 8; p += 8) {
		unsigned k = plain8(p);
		if (k < 8)
			return p + k;
	}
	while (p < end && *p >= 0x20 && *p < 0x80 && *p != '"' && *p != '\\')
		p++;
	return p;
}

/* Scans the string whose opening quote is at *pp: sets *s and *n to its
 * text (unescaped into esc when it has escapes) and moves *pp past its
 * closing quote. Returns 0, or -1 when it is not a valid string. */
static int scan_string(const unsigned char **pp, const unsigned char *end, struct sl_buf *esc,
                       const char **s, size_t *n)
{
	const unsigned char *p = *pp + 1, *body = p;
	int escapes = 0;
	for (;;) {
		p = skip_plain(p, end);
		if (p >= end)
			return -1;
		unsigned char c = *p;
		if (c == '"')
			break;
		if (c == '\\') {
			escapes = 1;
			if (++p >= end)
				return -1;
			c = *p++;
			if (c == 'u') {
				for (int i = 0; i < 4; i++, p++)
					if (p >= end || hexdig(*p) < 0)
						return -1;
			} else if (!c || !strchr("\"\\/bfnrt", c)) {
				return -1;
			}
			continue;
		}
		if (c < 0x20)
			return -1;
		/* UTF-8 as yajl checks it: the lead byte's length, continuations */
		int more = (c >> 5) == 6 ? 1 : (c >> 4) == 0xe ? 2 : (c >> 3) == 0x1e ? 3 : 0;
		if (!more)
			return -1;
		for (p++; more; more--, p++)
			if (p >= end || (*p >> 6) != 2)
				return -1;
	}
	*pp = p + 1;
	if (!escapes) {
		*s = (const char *)body;
		*n = (size_t)(p - body);
		return 0;
	}
	sl_buf_reset(esc);
	unescape(esc, body, (size_t)(p - body));
	*s = esc->data ? esc->data : "";
	*n = esc->len;
	return 0;
}

/* Moves p past a JSON number. Returns NULL when there is none. */
static const unsigned char *scan_number(const unsigned char *p, const unsigned char *end)
{
	if (p < end && *p == '-')
		p++;
	if (p < end && *p == '0') {
		p++;
	} else if (p < end && *p >= '1' && *p <= '9') {
		while (p < end && *p >= '0' && *p <= '9')
			p++;
	} else {
		return NULL;
	}
	if (p < end && *p == '.') {
		if (++p >= end || *p < '0' || *p > '9')
			return NULL;
		while (p < end && *p >= '0' && *p <= '9')
			p++;
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		if (++p < end && (*p == '+' || *p == '-'))
			p++;
		if (p >= end || *p < '0' || *p > '9')
			return NULL;
		while (p < end && *p >= '0' && *p <= '9')
			p++;
	}
	return p;
}

static int literal(const unsigned char **pp, const unsigned char *end, const char *word)
{
	size_t n = strlen(word);
	if ((size_t)(end - *pp) < n || memcmp(*pp, word, n))
		return 0;
	*pp += n;
	return 1;
}

/* Notes where a value of the top-level object starts or ends: p, in the
 * text that starts at base (grows ev->span, which ev owns). */
static void span_at(struct ag_event *ev, const unsigned char *base, const unsigned char *p)
{
	if (ev->nspan == ev->cap_span) {
		ev->cap_span = ev->cap_span ? ev->cap_span * 2 : 64;
		ev->span = sl_realloc(ev->span, ev->cap_span * sizeof *ev->span);
	}
	ev->span[ev->nspan++] = (uint32_t)(p - base);
}

/* Parses one JSON value after another with an explicit stack of the open
 * containers (ev->nest, '{' or '['), calling the callbacks above as yajl
 * did, from p on (base: the start of the text, which the spans count
 * from). Returns 0 when the text is one object and nothing else. */
static int scan(struct ag_event *ev, const unsigned char *base, const unsigned char *p,
                const unsigned char *end)
{
	const char *s;
	size_t n;
	sl_buf_reset(&ev->nest);
	goto value;
value:
	p = skip_ws(p, end);
	if (p >= end)
		return -1;
	if (ev->nest.len == 1) /* inside the top-level object: a member's value */
		span_at(ev, base, p);
	switch (*p) {
	case '{':
		p++;
		if (!cb_start_map(ev))
			return -1;
		sl_buf_putc(&ev->nest, '{');
		p = skip_ws(p, end);
		if (p < end && *p == '}') {
			p++;
			goto close;
		}
		goto key;
	case '[':
		p++;
		if (!cb_start_array(ev))
			return -1;
		sl_buf_putc(&ev->nest, '[');
		p = skip_ws(p, end);
		if (p < end && *p == ']') {
			p++;
			goto close;
		}
		goto value;
	case '"':
		if (scan_string(&p, end, &ev->esc, &s, &n) ||
		    !cb_string(ev, (const unsigned char *)s, n))
			return -1;
		goto next;
	case 't':
		if (!literal(&p, end, "true") || !cb_bool(ev, 1))
			return -1;
		goto next;
	case 'f':
		if (!literal(&p, end, "false") || !cb_bool(ev, 0))
			return -1;
		goto next;
	case 'n':
		if (!literal(&p, end, "null") || !cb_null(ev))
			return -1;
		goto next;
	default: {
		const unsigned char *e = scan_number(p, end);
		if (!e || !cb_number(ev, (const char *)p, (size_t)(e - p)))
			return -1;
		p = e;
		goto next;
	}
	}
key:
	p = skip_ws(p, end);
	if (p >= end || *p != '"' || scan_string(&p, end, &ev->esc, &s, &n) ||
	    !cb_map_key(ev, (const unsigned char *)s, n))
		return -1;
	/* only an escape writes a NUL: the key is then in ev->esc */
	if (n && !ev->in_array && s == ev->esc.data && memchr(s, '\0', n))
		ev->key_nul = 1;
	p = skip_ws(p, end);
	if (p >= end || *p != ':')
		return -1;
	p++;
	goto value;
close:
	/* the container on top of ev->nest has just ended */
	if (ev->nest.data[--ev->nest.len] == '{' ? !cb_end_map(ev) : !cb_end_array(ev))
		return -1;
next:
	/* after a value: a comma, the end of its container, or the end */
	if (!ev->nest.len)
		return skip_ws(p, end) == end ? 0 : -1;
	if (ev->nest.len == 1)
		span_at(ev, base, p);
	p = skip_ws(p, end);
	if (p >= end)
		return -1;
	if (*p == ',') {
		p++;
		if (ev->nest.data[ev->nest.len - 1] == '{')
			goto key;
		goto value;
	}
	if (*p == (ev->nest.data[ev->nest.len - 1] == '{' ? '}' : ']')) {
		p++;
		goto close;
	}
	return -1;
}

int ag_event_parse(struct ag_event *ev, const char *json, size_t len)
{
	ev->n = 0;
	ev->depth = 0;
	ev->in_array = 0;
	ev->done = 0;
	ev->key_nul = 0;
	ev->nspan = 0;
	sl_buf_reset(&ev->arena);
	sl_buf_reset(&ev->path);
	size_t i = 0;
	while (i < len && (json[i] == ' ' || json[i] == '\t' || json[i] == '\r' || json[i] == '\n'))
		i++;
	if (i >= len || json[i] != '{' ||
	    scan(ev, (const unsigned char *)json, (const unsigned char *)json + i,
	         (const unsigned char *)json + len) ||
	    !ev->done) {
		ev->n = 0;
		ev->nspan = 0;
		return -1;
	}
	for (size_t k = 0; k < ev->n; k++) {
		ev->f[k].key = ev->arena.data + (uintptr_t)ev->f[k].key;
		ev->f[k].val = ev->arena.data + (uintptr_t)ev->f[k].val;
	}
	return 0;
}

void ag_event_free(struct ag_event *ev)
{
	free(ev->f);
	free(ev->stack);
	free(ev->span);
	sl_buf_free(&ev->arena);
	sl_buf_free(&ev->path);
	sl_buf_free(&ev->nest);
	sl_buf_free(&ev->esc);
	memset(ev, 0, sizeof *ev);
}

const struct ag_field *ag_event_get(const struct ag_event *ev, const char *key)
{
	size_t n = strlen(key);
	for (size_t i = 0; i < ev->n; i++)
		if (ev->f[i].klen == n && sl_mem_eq(ev->f[i].key, key, n))
			return &ev->f[i];
	return NULL;
}
