/*
 * json — one JSON object per line (and "auto": JSON when the line starts
 * with '{', plain text otherwise).
 *
 * Streams the record through yajl's callbacks: nested objects are flattened
 * to dotted keys, arrays are kept whole as JSON values, numbers and booleans
 * keep their type. The keys real loggers use map onto the event: time (time,
 * ts, timestamp, @timestamp, t), level (level, lvl, severity, log.level),
 * message (msg, message, @message) and service.
 */
#include <string.h>
#include <stdlib.h>
#include <strings.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_parse.h>

#include "formats.h"
#include "parser.h"
#include "sl_json.h"

#define MAX_DEPTH 64

#define ARENA_SIZE 16384

/* A bump allocator for yajl's per-record handle: yajl 2.1 has no reset, so
 * each record needs a new handle; its few blocks come from here and are
 * dropped all at once, without malloc/free. Blocks that do not fit go to
 * malloc. */
struct arena {
	size_t used;
	_Alignas(16) unsigned char mem[ARENA_SIZE];
};

struct json_state {
	struct arena arena;
	yajl_alloc_funcs afs;
	struct sl_event *ev;
	struct sl_buf key;           /* dotted path of the current key */
	size_t stack[MAX_DEPTH + 1]; /* key length at each map depth */
	int depth;                   /* map nesting */
	int arr;                     /* array nesting, when forwarding to gen */
	yajl_gen gen;                /* writes arrays back as JSON */
	struct sl_buf fix;           /* scratch for UTF-8 repair */
	const char *error;
	const struct sl_json_map *map; /* postgres_json & co: key map, or NULL */
	const char *prefix;            /* for keys the map does not name */
	struct sl_buf mkey;            /* scratch: prefix + key */
};

static int is(const struct sl_buf *k, const char *s)
{
	return k->len == strlen(s) && !memcmp(k->data, s, k->len);
}

enum alias { A_NONE, A_MESSAGE, A_TIME, A_LEVEL, A_SERVICE };

/* The reserved alias a key is, by length first (this runs for every key). */
static enum alias alias_of(const char *k, size_t n)
{
#define EQ(lit) (!memcmp(k, lit, sizeof lit - 1))
	switch (n) {
	case 1:
		return k[0] == 't' ? A_TIME : A_NONE;
	case 2:
		return EQ("ts") ? A_TIME : A_NONE;
	case 3:
		return EQ("msg") ? A_MESSAGE : EQ("lvl") ? A_LEVEL : A_NONE;
	case 4:
		return EQ("time") ? A_TIME : A_NONE;
	case 5:
		return EQ("level") ? A_LEVEL : A_NONE;
	case 7:
		return EQ("message") ? A_MESSAGE : EQ("service") ? A_SERVICE : A_NONE;
	case 8:
		return EQ("@message") ? A_MESSAGE : EQ("severity") ? A_LEVEL : A_NONE;
	case 9:
		return EQ("timestamp") ? A_TIME : EQ("log.level") ? A_LEVEL : A_NONE;
	case 10:
		return EQ("@timestamp") ? A_TIME : A_NONE;
	}
	return A_NONE;
#undef EQ
}

static void add_value(struct sl_event *ev, const char *k, size_t kn, const char *v, size_t n,
                      int is_string)
{
	if (is_string)
		sl_event_add_str(ev, k, kn, v, n);
	else
		sl_event_add_raw(ev, k, kn, v, n);
}

/* A scalar under a key map: mapped keys to their roles, others prefixed. */
static int mapped_scalar(struct json_state *st, const char *v, size_t n, int is_string)
{
	struct sl_event *ev = st->ev;
	struct sl_buf *k = &st->key;
	const struct sl_json_map *m = st->map;
	if (st->depth == 1)
		while (m->key && !is(k, m->key))
			m++;
	if (st->depth == 1 && m->key) {
		if (m->role == SL_JM_MESSAGE && is_string && !ev->has_message) {
			sl_event_set_message(ev, v, n);
			return 1;
		}
		if (m->role == SL_JM_TIME && !ev->time_ns &&
		    sl_time_parse_ref(v, n, ev->ref_ns, &ev->time_ns)) {
			ev->time_ns = 0;
			ev->time_note = "unreadable time, ingest time used";
		}
		if (m->role == SL_JM_LEVEL && ev->level == SL_LEVEL_NONE)
			ev->level = sl_level_parse(v, n);
		if (m->field)
			add_value(ev, m->field, strlen(m->field), v, n, is_string);
		return 1;
	}
	sl_buf_reset(&st->mkey);
	sl_buf_puts(&st->mkey, st->prefix);
	sl_buf_append(&st->mkey, k->data, k->len);
	add_value(ev, st->mkey.data, st->mkey.len, v, n, is_string);
	return 1;
}

/* A scalar at the current key: reserved aliases first, else a field. */
static int scalar(struct json_state *st, const char *v, size_t n, int is_string)
{
	struct sl_event *ev = st->ev;
	struct sl_buf *k = &st->key;
	if (st->arr)
		return 1;
	if (st->depth == 0) {
		st->error = "not a JSON object";
		return 0;
	}
	if (st->map)
		return mapped_scalar(st, v, n, is_string);
	enum alias a = alias_of(k->data, k->len);
	if (a == A_MESSAGE) {
		if (!ev->has_message && is_string) {
			sl_event_set_message(ev, v, n);
			return 1;
		}
	} else if (a == A_TIME) {
		if (!ev->time_ns) {
			if (sl_time_parse_ref(v, n, ev->ref_ns, &ev->time_ns) == 0)
				return 1;
			ev->time_ns = 0;
			ev->time_note = "unreadable time, ingest time used";
		}
	} else if (a == A_LEVEL) {
		if (ev->level == SL_LEVEL_NONE) {
			ev->level = sl_level_parse(v, n);
			if (ev->level != SL_LEVEL_NONE)
				return 1;
		}
	} else if (a == A_SERVICE && is_string && !ev->service.len) {
		sl_buf_append(&ev->service, v, n);
		return 1;
	}
	if (is_string)
		sl_event_add_str(ev, k->data, k->len, v, n);
	else
		sl_event_add_raw(ev, k->data, k->len, v, n);
	return 1;
}

/* Strings inside arrays go through yajl_gen: repair invalid UTF-8 first. */
static int gen_string(struct json_state *st, const unsigned char *s, size_t n)
{
	if (sl_utf8_valid_prefix((const char *)s, n) == n)
		return yajl_gen_string(st->gen, s, n) == yajl_gen_status_ok;
	sl_buf_reset(&st->fix);
	sl_utf8_repair(&st->fix, (const char *)s, n);
	return yajl_gen_string(st->gen, (const unsigned char *)st->fix.data, st->fix.len) ==
	       yajl_gen_status_ok;
}

static int on_null(void *ctx)
{
	struct json_state *st = ctx;
	if (st->arr)
		return yajl_gen_null(st->gen) == yajl_gen_status_ok;
	return scalar(st, "null", 4, 0);
}

static int on_bool(void *ctx, int b)
{
	struct json_state *st = ctx;
	if (st->arr)
		return yajl_gen_bool(st->gen, b) == yajl_gen_status_ok;
	return b ? scalar(st, "true", 4, 0) : scalar(st, "false", 5, 0);
}

static int on_number(void *ctx, const char *s, size_t n)
{
	struct json_state *st = ctx;
	if (st->arr)
		return yajl_gen_number(st->gen, s, n) == yajl_gen_status_ok;
	return scalar(st, s, n, 0);
}

static int on_string(void *ctx, const unsigned char *s, size_t n)
{
	struct json_state *st = ctx;
	if (st->arr)
		return gen_string(st, s, n);
	return scalar(st, (const char *)s, n, 1);
}

static int on_start_map(void *ctx)
{
	struct json_state *st = ctx;
	if (st->arr)
		return yajl_gen_map_open(st->gen) == yajl_gen_status_ok;
	if (st->depth >= MAX_DEPTH) {
		st->error = "JSON nested too deeply";
		return 0;
	}
	st->stack[st->depth++] = st->key.len;
	return 1;
}

static int on_map_key(void *ctx, const unsigned char *s, size_t n)
{
	struct json_state *st = ctx;
	if (st->arr)
		return gen_string(st, s, n);
	size_t base = st->stack[st->depth - 1];
	st->key.len = base;
	if (base)
		sl_buf_putc(&st->key, '.');
	else
		sl_buf_reset(&st->key);
	sl_buf_append(&st->key, s, n);
	return 1;
}

static int on_end_map(void *ctx)
{
	struct json_state *st = ctx;
	if (st->arr)
		return yajl_gen_map_close(st->gen) == yajl_gen_status_ok;
	st->key.len = st->stack[--st->depth];
	if (st->key.data)
		st->key.data[st->key.len] = '\0';
	return 1;
}

static int on_start_array(void *ctx)
{
	struct json_state *st = ctx;
	if (st->depth == 0) {
		st->error = "not a JSON object";
		return 0;
	}
	if (st->arr++ == 0)
		yajl_gen_clear(st->gen);
	return yajl_gen_array_open(st->gen) == yajl_gen_status_ok;
}

static int on_end_array(void *ctx)
{
	struct json_state *st = ctx;
	if (yajl_gen_array_close(st->gen) != yajl_gen_status_ok)
		return 0;
	if (--st->arr == 0) {
		const unsigned char *buf;
		size_t len;
		yajl_gen_get_buf(st->gen, &buf, &len);
		if (st->map) {
			sl_buf_reset(&st->mkey);
			sl_buf_puts(&st->mkey, st->prefix);
			sl_buf_append(&st->mkey, st->key.data, st->key.len);
			sl_event_add_raw(st->ev, st->mkey.data, st->mkey.len, (const char *)buf,
			                 len);
		} else {
			sl_event_add_raw(st->ev, st->key.data, st->key.len, (const char *)buf, len);
		}
		yajl_gen_clear(st->gen);
		yajl_gen_reset(st->gen, NULL);
	}
	return 1;
}

static const yajl_callbacks callbacks = {
    .yajl_null = on_null,
    .yajl_boolean = on_bool,
    .yajl_number = on_number,
    .yajl_string = on_string,
    .yajl_start_map = on_start_map,
    .yajl_map_key = on_map_key,
    .yajl_end_map = on_end_map,
    .yajl_start_array = on_start_array,
    .yajl_end_array = on_end_array,
};

#define HDR 16 /* each block starts with its size, keeping 16-byte alignment */

static int in_arena(struct arena *a, void *p)
{
	return (unsigned char *)p >= a->mem && (unsigned char *)p < a->mem + ARENA_SIZE;
}

static void *arena_malloc(void *ctx, size_t n)
{
	struct arena *a = ctx;
	size_t need = HDR + ((n + 15) & ~(size_t)15);
	if (n > ARENA_SIZE || a->used + need > ARENA_SIZE)
		return malloc(n);
	unsigned char *b = a->mem + a->used;
	memcpy(b, &n, sizeof n);
	a->used += need;
	return b + HDR;
}

static void arena_free(void *ctx, void *p)
{
	if (p && !in_arena(ctx, p))
		free(p);
}

static void *arena_realloc(void *ctx, void *p, size_t n)
{
	struct arena *a = ctx;
	if (!p)
		return arena_malloc(ctx, n);
	if (!in_arena(a, p))
		return realloc(p, n);
	size_t old;
	memcpy(&old, (unsigned char *)p - HDR, sizeof old);
	if (n <= old)
		return p;
	void *q = arena_malloc(ctx, n);
	if (q)
		memcpy(q, p, old);
	return q;
}

/* State: allocated here, freed by json_destroy. */
static void *json_create(const struct sl_cfg_node *opts, char *err, size_t errlen)
{
	struct json_state *st = sl_calloc(1, sizeof *st);
	st->afs.malloc = arena_malloc;
	st->afs.realloc = arena_realloc;
	st->afs.free = arena_free;
	st->afs.ctx = &st->arena;
	st->gen = yajl_gen_alloc(NULL);
	yajl_gen_config(st->gen, yajl_gen_validate_utf8, 0);
	return st;
}

static void json_destroy(void *state)
{
	struct json_state *st = state;
	if (!st)
		return;
	yajl_gen_free(st->gen);
	sl_buf_free(&st->key);
	sl_buf_free(&st->fix);
	sl_buf_free(&st->mkey);
	free(st);
}

static int json_parse(void *state, const char *rec, size_t len, struct sl_event *ev)
{
	struct json_state *st = state;
	st->ev = ev;
	st->depth = 0;
	st->arr = 0;
	st->error = NULL;
	sl_buf_reset(&st->key);
	yajl_gen_clear(st->gen);
	yajl_gen_reset(st->gen, NULL);
	st->arena.used = 0;
	yajl_handle h = yajl_alloc(&callbacks, &st->afs, st);
	yajl_config(h, yajl_dont_validate_strings, 1);
	yajl_status s = yajl_parse(h, (const unsigned char *)rec, len);
	if (s == yajl_status_ok)
		s = yajl_complete_parse(h);
	yajl_free(h);
	if (s != yajl_status_ok || st->depth != 0) {
		sl_event_fail(ev, rec, len, st->error ? st->error : "invalid JSON");
		return -1;
	}
	return 0;
}

int sl_json_parse_mapped(void *state, const char *rec, size_t len, struct sl_event *ev,
                         const struct sl_json_map *map, const char *prefix)
{
	struct json_state *st = state;
	st->map = map;
	st->prefix = prefix;
	int rc = json_parse(state, rec, len, ev);
	st->map = NULL;
	return rc;
}

const struct sl_parser_ops sl_parser_json = {
    .name = "json",
    .desc = "one JSON object per line; nested keys flattened with dots",
    .create = json_create,
    .parse = json_parse,
    .destroy = json_destroy,
};

/* ---- auto: JSON objects where the line is one, plain text elsewhere ---- */

static int auto_parse(void *state, const char *rec, size_t len, struct sl_event *ev)
{
	size_t i = 0;
	while (i < len && (rec[i] == ' ' || rec[i] == '\t'))
		i++;
	if (i < len && rec[i] == '{')
		return json_parse(state, rec, len, ev);
	return sl_parser_plain.parse(NULL, rec, len, ev);
}

const struct sl_parser_ops sl_parser_auto = {
    .name = "auto",
    .desc = "JSON when the line is a JSON object, plain text otherwise (the default)",
    .create = json_create,
    .parse = auto_parse,
    .destroy = json_destroy,
};
