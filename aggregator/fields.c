/*
 * fields — flattening JSON events with yajl's streaming parser.
 */
#include "fields.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_parse.h>

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

static const yajl_callbacks callbacks = {
    cb_null,      cb_bool,    NULL,       NULL,           cb_number,    cb_string,
    cb_start_map, cb_map_key, cb_end_map, cb_start_array, cb_end_array,
};

int ag_event_parse(struct ag_event *ev, const char *json, size_t len)
{
	ev->n = 0;
	ev->depth = 0;
	ev->in_array = 0;
	ev->done = 0;
	sl_buf_reset(&ev->arena);
	sl_buf_reset(&ev->path);
	size_t i = 0;
	while (i < len && (json[i] == ' ' || json[i] == '\t' || json[i] == '\r' || json[i] == '\n'))
		i++;
	if (i >= len || json[i] != '{')
		return -1;
	if (!ev->yh) {
		/* one handle parses event after event: values separated by "\n" */
		ev->yh = yajl_alloc(&callbacks, NULL, ev);
		if (!ev->yh)
			return -1;
		yajl_config(ev->yh, yajl_allow_multiple_values, 1);
	}
	/* the newline ends a number or a literal the text may end with */
	if (yajl_parse(ev->yh, (const unsigned char *)json, len) != yajl_status_ok ||
	    yajl_parse(ev->yh, (const unsigned char *)"\n", 1) != yajl_status_ok || !ev->done) {
		/* a handle in error, or in the middle of a value, cannot go on */
		yajl_free(ev->yh);
		ev->yh = NULL;
		ev->n = 0;
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
	if (ev->yh)
		yajl_free(ev->yh);
	free(ev->f);
	free(ev->stack);
	sl_buf_free(&ev->arena);
	sl_buf_free(&ev->path);
	memset(ev, 0, sizeof *ev);
}

const struct ag_field *ag_event_get(const struct ag_event *ev, const char *key)
{
	size_t n = strlen(key);
	for (size_t i = 0; i < ev->n; i++)
		if (ev->f[i].klen == n && !memcmp(ev->f[i].key, key, n))
			return &ev->f[i];
	return NULL;
}
