/*
 * fields — one stored event, flattened for matching and indexing.
 *
 * ag_event_parse() scans a JSON object in one pass and records every scalar
 * as a field: nested objects become dotted keys ("http.status"),
 * each element of an array becomes one more field with the array's key, so
 * a key may appear several times. Strings are unescaped; numbers
 * keep the text they were written with and their value as a double.
 */
#ifndef AG_FIELDS_H
#define AG_FIELDS_H

#include <stddef.h>
#include <stdint.h>

#include "sl_buf.h"

enum ag_ftype { AG_F_STR, AG_F_NUM, AG_F_BOOL, AG_F_NULL };

struct ag_field {
	const char *key; /* dotted, NUL-terminated, points into the event's arena */
	const char *val; /* string value, number text, "true"/"false"/"null" */
	size_t klen, vlen;
	double num; /* AG_F_NUM */
	enum ag_ftype type;
};

struct ag_event {
	struct ag_field *f;
	size_t n, cap;
	struct sl_buf arena; /* keys and values; offsets until parsing ends */
	struct sl_buf path;  /* the dotted key being built */
	size_t *stack;       /* path length at each open map/array */
	size_t depth, stack_cap;
	int in_array;       /* depth of arrays the parser is inside */
	int done;           /* the top-level object ended */
	int key_nul;        /* a key holds a NUL (written \u0000) */
	struct sl_buf nest; /* the open containers, '{' or '[' each */
	struct sl_buf esc;  /* the last string with escapes, unescaped */
	/* where the values of the top-level object's members are in the text:
	 * value i is json[span[2 * i] .. span[2 * i + 1]) (the frame encoder
	 * splits events by them, frame.h); nspan is twice the members */
	uint32_t *span;
	size_t nspan, cap_span;
};

/* Parses the JSON object json[0..len) into ev, which is reset first and may
 * be reused for many events (its memory is kept). Returns 0, or -1 when the
 * text is not a JSON object (ev then holds no fields). Free with
 * ag_event_free(). */
int ag_event_parse(struct ag_event *ev, const char *json, size_t len);
/* Releases what ev holds; ev may be reused after. */
void ag_event_free(struct ag_event *ev);
/* The first field named key, or NULL. */
const struct ag_field *ag_event_get(const struct ag_event *ev, const char *key);
/* Parses s[0..n) fully as a JSON-style number into *out. Returns 0 or -1. */
int ag_num_parse(const char *s, size_t n, double *out);
/* Writes the canonical text of a number (equal numbers, equal text) into
 * out (32 bytes). Returns its length. */
size_t ag_num_canon(double v, char out[32]);

#endif
