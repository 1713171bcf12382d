/*
 * sl_event — the event builder that parsers fill and the shipper serializes.
 *
 * A parser sets the reserved fields it finds (time, level, message, service)
 * and adds any other field with sl_event_add_*. A parsed key that would
 * collide with a key the writer emits itself (time, id, host, source, path,
 * offset, service, level, message, parse_error, time_error, truncated) is kept
 * as "orig.<key>", so no event has a key twice. sl_event_write() appends the one-line JSON
 * event. The builder owns copies of everything added, so the record buffer
 * may be reused after parse returns; reset it between records with
 * sl_event_reset() (keeps the memory) and release with sl_event_free().
 */
#ifndef SL_EVENT_H
#define SL_EVENT_H

#include <stddef.h>
#include <stdint.h>

#include "sl_buf.h"

enum sl_level {
	SL_LEVEL_NONE = -1,
	SL_LEVEL_TRACE,
	SL_LEVEL_DEBUG,
	SL_LEVEL_INFO,
	SL_LEVEL_WARN,
	SL_LEVEL_ERROR,
	SL_LEVEL_FATAL,
};

struct sl_event {
	int64_t time_ns;       /* 0: not set (the ingest time is used) */
	enum sl_level level;   /* SL_LEVEL_NONE: not set (info) */
	struct sl_buf message; /* the human text, raw bytes */
	int has_message;
	struct sl_buf service;   /* parsed service name, if any */
	struct sl_buf fields;    /* serialized ,"key":value fragments */
	const char *parse_error; /* static text, or NULL */
	const char *time_note;   /* static text when the record's time was unreadable */
	int truncated;           /* the record was cut at max_line */
	int64_t ref_ns;          /* reference "now" for year-less timestamps; 0: the clock */
};

/* Static context the shipper adds to every event of one input/file. */
struct sl_event_ctx {
	const char *host;
	const char *source; /* "file", "docker", ... */
	const char *path;
	const char *service;       /* from config; may be NULL */
	const char *identity;      /* the file identity, for the id */
	const char *static_fields; /* pre-serialized ,"k":"v" fragments, or NULL */
};

void sl_event_reset(struct sl_event *ev);
void sl_event_free(struct sl_event *ev);
void sl_event_set_message(struct sl_event *ev, const char *p, size_t n);
/* Adds "key": "value" (value escaped, UTF-8 repaired). */
void sl_event_add_str(struct sl_event *ev, const char *key, size_t klen, const char *v,
                      size_t vlen);
/* Adds "key": raw, where raw is already valid JSON (number, bool, array...). */
void sl_event_add_raw(struct sl_event *ev, const char *key, size_t klen, const char *raw,
                      size_t rlen);

/* Adds "key": v (v a NUL-terminated string). */
void sl_event_add_cstr(struct sl_event *ev, const char *key, const char *v);
/* Adds "key": number when v[0..n) is a JSON number, else "key": "v". */
void sl_event_add_num(struct sl_event *ev, const char *key, const char *v, size_t n);
void sl_event_add_int(struct sl_event *ev, const char *key, int64_t v);
/* Whether s[0..n) is a JSON number (RFC 8259 grammar). */
int sl_is_json_number(const char *s, size_t n);
/* Makes the event a parse failure: fields dropped, the raw record as message. */
void sl_event_fail(struct sl_event *ev, const char *rec, size_t len, const char *why);

/* Appends the event JSON (no newline) to out. offset is the record's byte
 * offset in its file; ingest_ns the time to use when the record has none. */
void sl_event_write(const struct sl_event *ev, const struct sl_event_ctx *ctx, uint64_t offset,
                    int64_t ingest_ns, struct sl_buf *out);

/* Level words, numbers and letters to a level (see normalize.c). */
enum sl_level sl_level_parse(const char *s, size_t n);
const char *sl_level_name(enum sl_level l);
/* Timestamps: RFC 3339 and common variants, epoch seconds/millis/micros/nanos
 * as digits. Returns 0 and *ns, or -1. */
int sl_time_parse_any(const char *s, size_t n, int64_t *ns);
/* sl_time_parse_any, then the common logger forms (CLF, syslog's year-less
 * "Jan  2 15:04:05", nginx/Go "2006/01/02", ctime, redis, postgres with a zone
 * name, python's comma millis). A time without a zone is UTC; a year-less one
 * takes the year of ref_ns (0: the clock), or the one before when that would
 * be more than a day in the future. Returns 0 and *ns, or -1. */
int sl_time_parse_ref(const char *s, size_t n, int64_t ref_ns, int64_t *ns);
/* Reads a time at the start of s[0..n) by fmt, a strptime subset: %Y %y %m %d
 * %e %H %M %S %T %b (month name) %a (day name, skipped) %f (optional .frac or
 * ,frac) %z (optional Z/+hh:mm/+hhmm) %Z (optional zone name; numeric or
 * UTC/GMT, others read as UTC) %s (epoch seconds) %~ ('T' or ' ') %%; a space
 * matches one or more spaces. Returns the bytes read (0: no match). */
size_t sl_time_scan(const char *s, size_t n, const char *fmt, int64_t ref_ns, int64_t *ns);

#endif
