/*
 * sl_event — builder and serializer for the event contract of DESIGN.md.
 */
#include "event.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sl_id.h"
#include "sl_json.h"
#include "sl_time.h"

/* Whether key is one the writer emits itself (time, id, host, source, path,
 * offset, service, level, message, parse_error, time_error, truncated): a
 * parsed field of that name is kept as "orig.<key>", so an event never has a
 * key twice. By length first: this runs for every field. */
static int is_reserved(const char *k, size_t n)
{
#define EQ(lit) (!memcmp(k, lit, sizeof lit - 1))
	switch (n) {
	case 2:
		return EQ("id");
	case 4:
		return EQ("time") || EQ("host") || EQ("path");
	case 5:
		return EQ("level");
	case 6:
		return EQ("source") || EQ("offset");
	case 7:
		return EQ("service") || EQ("message");
	case 9:
		return EQ("truncated");
	case 10:
		return EQ("time_error");
	case 11:
		return EQ("parse_error");
	}
	return 0;
#undef EQ
}

void sl_event_reset(struct sl_event *ev)
{
	ev->time_ns = 0;
	ev->level = SL_LEVEL_NONE;
	sl_buf_reset(&ev->message);
	ev->has_message = 0;
	sl_buf_reset(&ev->service);
	sl_buf_reset(&ev->fields);
	ev->parse_error = NULL;
	ev->time_note = NULL;
	ev->truncated = 0;
	ev->ref_ns = 0;
}

void sl_event_free(struct sl_event *ev)
{
	sl_buf_free(&ev->message);
	sl_buf_free(&ev->service);
	sl_buf_free(&ev->fields);
}

void sl_event_set_message(struct sl_event *ev, const char *p, size_t n)
{
	sl_buf_reset(&ev->message);
	sl_buf_append(&ev->message, p, n);
	ev->has_message = 1;
}

static void add_key(struct sl_event *ev, const char *key, size_t klen)
{
	size_t orig = is_reserved(key, klen) ? 5 : 0;
	char *w;
	if (sl_json_plain(key, klen) == klen && (w = sl_buf_reserve(&ev->fields, klen + 9))) {
		memcpy(w, ",\"orig.", 2 + orig);
		memcpy(w + 2 + orig, key, klen);
		memcpy(w + 2 + orig + klen, "\":", 2);
		sl_buf_commit(&ev->fields, 4 + orig + klen);
		return;
	}
	sl_buf_append(&ev->fields, ",\"orig.", 2 + orig);
	sl_json_escape(&ev->fields, key, klen);
	sl_buf_puts(&ev->fields, "\":");
}

void sl_event_add_str(struct sl_event *ev, const char *key, size_t klen, const char *v, size_t vlen)
{
	add_key(ev, key, klen);
	sl_json_str(&ev->fields, v, vlen);
}

void sl_event_add_raw(struct sl_event *ev, const char *key, size_t klen, const char *raw,
                      size_t rlen)
{
	add_key(ev, key, klen);
	sl_buf_append(&ev->fields, raw, rlen);
}

void sl_event_add_cstr(struct sl_event *ev, const char *key, const char *v)
{
	sl_event_add_str(ev, key, strlen(key), v, strlen(v));
}

int sl_is_json_number(const char *s, size_t n)
{
	size_t i = 0;
	if (i < n && s[i] == '-')
		i++;
	if (i >= n)
		return 0;
	if (s[i] == '0') {
		i++;
	} else if (s[i] >= '1' && s[i] <= '9') {
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
	} else {
		return 0;
	}
	if (i < n && s[i] == '.') {
		i++;
		if (i >= n || s[i] < '0' || s[i] > '9')
			return 0;
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		if (i >= n || s[i] < '0' || s[i] > '9')
			return 0;
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
	}
	return i == n;
}

void sl_event_add_num(struct sl_event *ev, const char *key, const char *v, size_t n)
{
	if (sl_is_json_number(v, n))
		sl_event_add_raw(ev, key, strlen(key), v, n);
	else
		sl_event_add_str(ev, key, strlen(key), v, n);
}

void sl_event_add_int(struct sl_event *ev, const char *key, int64_t v)
{
	char b[24];
	int n = snprintf(b, sizeof b, "%lld", (long long)v);
	sl_event_add_raw(ev, key, strlen(key), b, (size_t)n);
}

void sl_event_fail(struct sl_event *ev, const char *rec, size_t len, const char *why)
{
	int64_t ref = ev->ref_ns;
	sl_event_reset(ev);
	ev->ref_ns = ref;
	sl_event_set_message(ev, rec, len);
	ev->parse_error = why;
}

/* sl_time_format with the "YYYY-MM-DDTHH:MM:SS" of the last second kept:
 * consecutive events mostly share it, and strftime is costly per event. */
static void format_time(int64_t ns, char *out)
{
	static _Thread_local int64_t last_sec = INT64_MIN;
	static _Thread_local char last[SL_TIME_LEN];
	int64_t sec = ns / 1000000000, frac = ns % 1000000000;
	if (frac < 0) {
		frac += 1000000000;
		sec--;
	}
	if (sec != last_sec) {
		sl_time_format(ns, last);
		last_sec = sec;
	}
	memcpy(out, last, 20); /* through the '.' */
	for (int i = 28; i >= 20; i--) {
		out[i] = (char)('0' + frac % 10);
		frac /= 10;
	}
	out[29] = 'Z';
	out[30] = '\0';
}

/* The keys are literals: ,"key": is appended as is, the value escaped. */
#define KEY(out, k) sl_buf_append(out, ",\"" k "\":", sizeof k + 3)

static void put_cstr(struct sl_buf *out, const char *v)
{
	sl_json_str(out, v, strlen(v));
}

void sl_event_write(const struct sl_event *ev, const struct sl_event_ctx *ctx, uint64_t offset,
                    int64_t ingest_ns, struct sl_buf *out)
{
	char ts[SL_TIME_LEN], id[SL_ID_HEX];
	format_time(ev->time_ns ? ev->time_ns : ingest_ns, ts);
	sl_id_make(ctx->host, ctx->identity, offset, id);
	/* time and id are plain ASCII: written without the escaper */
	char head[96];
	memcpy(head, "{\"time\":\"", 9);
	memcpy(head + 9, ts, 30);
	memcpy(head + 39, "\",\"id\":\"", 8);
	memcpy(head + 47, id, 32);
	head[79] = '"';
	sl_buf_append(out, head, 80);
	KEY(out, "host");
	put_cstr(out, ctx->host);
	KEY(out, "source");
	put_cstr(out, ctx->source);
	KEY(out, "path");
	put_cstr(out, ctx->path);
	char d[24], *p = d + sizeof d;
	uint64_t u = offset;
	do
		*--p = (char)('0' + u % 10);
	while (u /= 10);
	KEY(out, "offset");
	sl_buf_append(out, p, (size_t)(d + sizeof d - p));
	if (ev->service.len) {
		KEY(out, "service");
		sl_json_str(out, ev->service.data, ev->service.len);
	} else if (ctx->service && *ctx->service) {
		KEY(out, "service");
		put_cstr(out, ctx->service);
	}
	KEY(out, "level");
	put_cstr(out, sl_level_name(ev->level == SL_LEVEL_NONE ? SL_LEVEL_INFO : ev->level));
	KEY(out, "message");
	sl_json_str(out, ev->message.data ? ev->message.data : "", ev->message.len);
	if (ev->fields.len)
		sl_buf_append(out, ev->fields.data, ev->fields.len);
	if (ctx->static_fields)
		sl_buf_puts(out, ctx->static_fields);
	if (ev->parse_error) {
		KEY(out, "parse_error");
		put_cstr(out, ev->parse_error);
	}
	if (ev->time_note) {
		KEY(out, "time_error");
		put_cstr(out, ev->time_note);
	}
	if (ev->truncated)
		sl_buf_puts(out, ",\"truncated\":true");
	sl_buf_putc(out, '}');
}
