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
