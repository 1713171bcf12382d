/*
 * sl_event — builder and serializer for the event contract of DESIGN.md.
 */
#include "event.h"

#include <stdlib.h>
#include <string.h>

#include "sl_id.h"
#include "sl_json.h"
#include "sl_time.h"

/* Keys the writer emits itself: a parsed field of the same name is kept as
 * "orig.<key>", so an event never has a key twice. */
static const char *const reserved[] = {"time",    "id",          "host",       "source",
                                       "path",    "offset",      "service",    "level",
                                       "message", "parse_error", "time_error", "truncated"};

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
	sl_buf_putc(&ev->fields, ',');
	sl_buf_putc(&ev->fields, '"');
	for (size_t i = 0; i < sizeof reserved / sizeof reserved[0]; i++) {
		if (strlen(reserved[i]) == klen && !memcmp(reserved[i], key, klen)) {
			sl_buf_puts(&ev->fields, "orig.");
			break;
		}
	}
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

void sl_event_write(const struct sl_event *ev, const struct sl_event_ctx *ctx, uint64_t offset,
                    int64_t ingest_ns, struct sl_buf *out)
{
	char ts[SL_TIME_LEN], id[SL_ID_HEX];
	struct sl_jw w;
	sl_time_format(ev->time_ns ? ev->time_ns : ingest_ns, ts);
	sl_id_make(ctx->host, ctx->identity, offset, id);
	sl_jw_begin(&w, out);
	sl_jw_str(&w, "time", ts, 30);
	sl_jw_str(&w, "id", id, 32);
	sl_jw_cstr(&w, "host", ctx->host);
	sl_jw_cstr(&w, "source", ctx->source);
	sl_jw_cstr(&w, "path", ctx->path);
	sl_jw_int(&w, "offset", (int64_t)offset);
	if (ev->service.len)
		sl_jw_str(&w, "service", ev->service.data, ev->service.len);
	else if (ctx->service && *ctx->service)
		sl_jw_cstr(&w, "service", ctx->service);
	sl_jw_cstr(&w, "level",
	           sl_level_name(ev->level == SL_LEVEL_NONE ? SL_LEVEL_INFO : ev->level));
	sl_jw_str(&w, "message", ev->message.data ? ev->message.data : "", ev->message.len);
	if (ev->fields.len)
		sl_buf_append(out, ev->fields.data, ev->fields.len);
	if (ctx->static_fields)
		sl_buf_puts(out, ctx->static_fields);
	if (ev->parse_error)
		sl_jw_cstr(&w, "parse_error", ev->parse_error);
	if (ev->time_note)
		sl_jw_cstr(&w, "time_error", ev->time_note);
	if (ev->truncated)
		sl_jw_raw(&w, "truncated", "true", 4);
	sl_jw_end(&w);
}
