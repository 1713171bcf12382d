/*
 * sl_buf — a growable byte buffer with an optional size cap.
 *
 * Used for building event JSON, line assembly and HTTP bodies. The buffer
 * owns its memory; sl_buf_free() releases it. Every append may move `data`:
 * pointers into the buffer are invalid after an append.
 */
#ifndef SL_BUF_H
#define SL_BUF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct sl_buf {
	char *data; /* always NUL-terminated when len > 0 or after any append */
	size_t len; /* bytes used, not counting the NUL */
	size_t cap; /* bytes allocated */
	size_t max; /* 0: no cap; else appends past max fail with -1 */
};

/* 1 if a[0..n) and b[0..n) are the same bytes. Inline up to 32 bytes (the
 * keys and most values of events, compared on every event at ingest, where
 * a call to memcmp costs more than the comparison); memcmp past that. */
static inline int sl_mem_eq(const void *a, const void *b, size_t n)
{
	const unsigned char *x = a, *y = b;
	if (n < 4) /* bytes 0, n/2 and n - 1 are all of them */
		return !n || (x[0] == y[0] && x[n / 2] == y[n / 2] && x[n - 1] == y[n - 1]);
	if (n < 8) {
		uint32_t p, q, r, t;
		memcpy(&p, x, 4);
		memcpy(&q, y, 4);
		memcpy(&r, x + n - 4, 4);
		memcpy(&t, y + n - 4, 4);
		return !((p ^ q) | (r ^ t));
	}
	if (n <= 32) { /* 8 bytes a step, the last step overlapping */
		uint64_t d = 0, p, q;
		for (size_t i = 0; i + 8 < n; i += 8) {
			memcpy(&p, x + i, 8);
			memcpy(&q, y + i, 8);
			d |= p ^ q;
		}
		memcpy(&p, x + n - 8, 8);
		memcpy(&q, y + n - 8, 8);
		return !(d | (p ^ q));
	}
	return !memcmp(a, b, n);
}

/* Append n bytes. Returns 0, or -1 if the cap would be exceeded (nothing
 * appended). Aborts on out-of-memory. The slow paths grow the buffer. */
int sl_buf_append_slow(struct sl_buf *b, const void *p, size_t n);
int sl_buf_puts(struct sl_buf *b, const char *s);

static inline int sl_buf_append(struct sl_buf *b, const void *p, size_t n)
{
	if (b->len + n < b->cap && (!b->max || b->len + n <= b->max)) {
		if (n)
			memcpy(b->data + b->len, p, n);
		b->len += n;
		b->data[b->len] = '\0';
		return 0;
	}
	return sl_buf_append_slow(b, p, n);
}

static inline int sl_buf_putc(struct sl_buf *b, char c)
{
	if (b->len + 1 < b->cap && (!b->max || b->len + 1 <= b->max)) {
		b->data[b->len++] = c;
		b->data[b->len] = '\0';
		return 0;
	}
	return sl_buf_append_slow(b, &c, 1);
}
int sl_buf_printf(struct sl_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Make room for n more bytes; returns a pointer to write them at (then add
 * them with sl_buf_commit), or NULL past the cap. */
char *sl_buf_reserve(struct sl_buf *b, size_t n);
void sl_buf_commit(struct sl_buf *b, size_t n);
/* Drop the first n bytes, moving the rest to the front. */
void sl_buf_consume(struct sl_buf *b, size_t n);
void sl_buf_reset(struct sl_buf *b);
/* Release the memory; the buffer may be reused after (it is zeroed, max kept). */
void sl_buf_free(struct sl_buf *b);

/* Allocation that aborts the process on out-of-memory (like redis' zmalloc). */
void *sl_malloc(size_t n);
void *sl_calloc(size_t n, size_t size);
void *sl_realloc(void *p, size_t n);
/* Returns a malloc'd copy the caller frees; NULL in gives NULL out. */
char *sl_strdup(const char *s);
char *sl_strndup(const char *s, size_t n);

/* Little-endian integers in byte arrays (the store's files). */
static inline void sl_put32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static inline void sl_put64(unsigned char *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static inline uint32_t sl_get32(const unsigned char *p)
{
	uint32_t v = 0;
	for (int i = 3; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

static inline uint64_t sl_get64(const unsigned char *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

#endif
