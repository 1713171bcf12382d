/*
 * fuzz_fields — differential target for the event scanner: ag_event_parse
 * must accept exactly the inputs yajl 2.1 accepts and give the same fields
 * (keys, values, types, numbers) as the yajl-callback flattener it replaced,
 * kept below as the reference.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_parse.h>

#include "fields.h"

/* the event as the reference builds it (the old struct ag_event) */
struct ref_event {
	struct ag_field *f;
	size_t n, cap;
	struct sl_buf arena;
	struct sl_buf path;
	size_t *stack;
	size_t depth, stack_cap;
	int in_array;
	int done;
	void *yh;
};

/* Appends a field; grows ev->f and ev->arena, which ev owns (freed by
 * ref_free). Pointers into the arena are fixed up after parsing. */
static void push_field(struct ref_event *ev, enum ag_ftype t, const char *v, size_t vlen,
                       double num)
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
static void end_value(struct ref_event *ev)
{
	if (!ev->in_array && ev->depth)
		ev->path.len = ev->stack[ev->depth - 1];
}

static int cb_null(void *ctx)
{
	struct ref_event *ev = ctx;
	if (ev->done)
		return 0; /* a second value after the object */
	push_field(ev, AG_F_NULL, "null", 4, 0);
	end_value(ev);
	return 1;
}

static int cb_bool(void *ctx, int b)
{
	struct ref_event *ev = ctx;
	if (ev->done)
		return 0; /* a second value after the object */
	push_field(ev, AG_F_BOOL, b ? "true" : "false", b ? 4 : 5, 0);
	end_value(ev);
	return 1;
}

static int cb_number(void *ctx, const char *s, size_t n)
{
	struct ref_event *ev = ctx;
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
	struct ref_event *ev = ctx;
	if (ev->done)
		return 0; /* a second value after the object */
	push_field(ev, AG_F_STR, (const char *)s, n, 0);
	end_value(ev);
	return 1;
}

/* Grows ev->stack (owned by ev) as maps nest. */
static void push_level(struct ref_event *ev)
{
	if (ev->depth == ev->stack_cap) {
		ev->stack_cap = ev->stack_cap ? ev->stack_cap * 2 : 16;
		ev->stack = sl_realloc(ev->stack, ev->stack_cap * sizeof *ev->stack);
	}
	ev->stack[ev->depth++] = ev->path.len;
}

static int cb_start_map(void *ctx)
{
	struct ref_event *ev = ctx;
	if (ev->done)
		return 0; /* a second value after the object */
	if (ev->in_array)
		return 1; /* objects inside arrays: their scalars take the array's key */
	push_level(ev);
	return 1;
}

static int cb_map_key(void *ctx, const unsigned char *k, size_t n)
{
	struct ref_event *ev = ctx;
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
	struct ref_event *ev = ctx;
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
	struct ref_event *ev = ctx;
	if (ev->done)
		return 0; /* a second value after the object */
	if (!ev->depth)
		return 0; /* the event must be an object */
	ev->in_array++;
	return 1;
}

static int cb_end_array(void *ctx)
{
	struct ref_event *ev = ctx;
	ev->in_array--;
	end_value(ev);
	return 1;
}

static const yajl_callbacks callbacks = {
    cb_null,      cb_bool,    NULL,       NULL,           cb_number,    cb_string,
    cb_start_map, cb_map_key, cb_end_map, cb_start_array, cb_end_array,
};

static int ref_parse(struct ref_event *ev, const char *json, size_t len)
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ag_event ev;
	static struct ref_event ref;
	const char *json = (const char *)data;
	int a = ag_event_parse(&ev, json, size), b = ref_parse(&ref, json, size);
	if (a != b)
		abort();
	if (a)
		return 0;
	if (ev.n != ref.n)
		abort();
	for (size_t i = 0; i < ev.n; i++) {
		const struct ag_field *x = &ev.f[i], *y = &ref.f[i];
		if (x->type != y->type || x->klen != y->klen || x->vlen != y->vlen ||
		    memcmp(x->key, y->key, x->klen + 1) || memcmp(x->val, y->val, x->vlen + 1) ||
		    memcmp(&x->num, &y->num, sizeof x->num))
			abort();
	}
	return 0;
}
