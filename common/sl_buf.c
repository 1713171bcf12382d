/*
 * sl_buf — growable byte buffer, and the aborting allocators.
 */
#include "sl_buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void oom(size_t n)
{
	fprintf(stderr, "sluice: out of memory allocating %zu bytes\n", n);
	abort();
}

void *sl_malloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		oom(n);
	return p;
}

void *sl_calloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p)
		oom(n * size);
	return p;
}

void *sl_realloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q)
		oom(n);
	return q;
}

char *sl_strdup(const char *s)
{
	return s ? sl_strndup(s, strlen(s)) : NULL;
}

char *sl_strndup(const char *s, size_t n)
{
	if (!s)
		return NULL;
	char *d = sl_malloc(n + 1);
	memcpy(d, s, n);
	d[n] = '\0';
	return d;
}

char *sl_buf_reserve(struct sl_buf *b, size_t n)
{
	if (b->max && b->len + n > b->max)
		return NULL;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		while (cap < b->len + n + 1)
			cap *= 2;
		b->data = sl_realloc(b->data, cap);
		b->cap = cap;
	}
	return b->data + b->len;
}

void sl_buf_commit(struct sl_buf *b, size_t n)
{
	b->len += n;
	b->data[b->len] = '\0';
}

int sl_buf_append_slow(struct sl_buf *b, const void *p, size_t n)
{
	char *w = sl_buf_reserve(b, n);
	if (!w)
		return -1;
	if (n)
		memcpy(w, p, n);
	sl_buf_commit(b, n);
	return 0;
}

int sl_buf_puts(struct sl_buf *b, const char *s)
{
	return sl_buf_append(b, s, strlen(s));
}

int sl_buf_printf(struct sl_buf *b, const char *fmt, ...)
{
	va_list ap;
	char tmp[256];
	va_start(ap, fmt);
	int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -1;
	if ((size_t)n < sizeof tmp)
		return sl_buf_append(b, tmp, (size_t)n);
	char *w = sl_buf_reserve(b, (size_t)n);
	if (!w)
		return -1;
	va_start(ap, fmt);
	vsnprintf(w, (size_t)n + 1, fmt, ap);
	va_end(ap);
	sl_buf_commit(b, (size_t)n);
	return 0;
}

void sl_buf_consume(struct sl_buf *b, size_t n)
{
	if (n >= b->len) {
		sl_buf_reset(b);
		return;
	}
	memmove(b->data, b->data + n, b->len - n);
	b->len -= n;
	b->data[b->len] = '\0';
}

void sl_buf_reset(struct sl_buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

void sl_buf_free(struct sl_buf *b)
{
	size_t max = b->max;
	free(b->data);
	memset(b, 0, sizeof *b);
	b->max = max;
}
