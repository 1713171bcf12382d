/*
 * sl_json — the event JSON writer.
 *
 * Writes one flat JSON object into an sl_buf. Strings are escaped per RFC 8259
 * (quote, backslash, every control character including NUL) and invalid UTF-8
 * is repaired: each offending byte becomes U+FFFD, nothing is dropped.
 */
#ifndef SL_JSON_H
#define SL_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "sl_buf.h"

/* Append s[0..n) as a quoted JSON string. */
void sl_json_str(struct sl_buf *b, const char *s, size_t n);
/* Append s[0..n) escaped, without the quotes. */
void sl_json_escape(struct sl_buf *b, const char *s, size_t n);
/* Length of the prefix of s[0..n) that needs no escaping (n: all of it). */
size_t sl_json_plain(const char *s, size_t n);
/* Appends s[0..n) with every invalid UTF-8 byte replaced by U+FFFD (no JSON
 * escaping). */
void sl_utf8_repair(struct sl_buf *b, const char *s, size_t n);
/* Length of the longest valid UTF-8 prefix of s[0..n). */
size_t sl_utf8_valid_prefix(const char *s, size_t n);
/* Appends code point cp (at most U+10FFFF) to b as UTF-8. */
void sl_utf8_put(struct sl_buf *b, unsigned cp);

/* Object writer: sl_jw_begin, then fields, then sl_jw_end. Keys are written
 * escaped. The writer borrows the buffer; it allocates nothing itself. */
struct sl_jw {
	struct sl_buf *b;
	int n; /* fields written so far */
};

void sl_jw_begin(struct sl_jw *w, struct sl_buf *b);
void sl_jw_str(struct sl_jw *w, const char *key, const char *v, size_t n);
void sl_jw_cstr(struct sl_jw *w, const char *key, const char *v);
void sl_jw_int(struct sl_jw *w, const char *key, int64_t v);
/* A value that is already valid JSON (number, true, false, null). */
void sl_jw_raw(struct sl_jw *w, const char *key, const char *raw, size_t n);
void sl_jw_end(struct sl_jw *w);

#endif
