/*
 * frame — the columnar encoding of a frame's events. See frame.h; the
 * layout is in docs/storage.md ("The data of a frame").
 */
#include "frame.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "bloom.h"
#include "query.h"
#include "sl_time.h"

#define FRAME_VERSION   1    /* hex values inside the encoding */
#define FRAME_VERSION_X 2    /* hex values outside it (ag_frame_enc_finish) */
#define MAX_MEMBERS     4096 /* an event with more is kept whole */

enum { FT_TEXT, FT_HEX, FT_INT, FT_TIME, FT_ID, FT_BLOCK };

struct ag_fcol {
	struct sl_buf key;  /* the key as written, without its quotes */
	struct sl_buf vals; /* per value: varint length, the value as written */
	uint64_t hash;
	size_t nval, hexlen;
	int can_hex, can_int, can_time, can_id, ext; /* ext: its block column, or -1 */
};

struct member {
	const char *k, *v;
	size_t kl, vl;
};

/* ------------------------------------------------------------------ */
/* Varints                                                            */
/* ------------------------------------------------------------------ */

/* Writes v as a varint at w (room for 10 bytes); returns its length. */
static size_t varint_at(uint8_t *w, uint64_t v)
{
	size_t n = 0;
	while (v >= 0x80) {
		w[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	w[n++] = (uint8_t)v;
	return n;
}

static void put_varint(struct sl_buf *b, uint64_t v)
{
	uint8_t tmp[10];
	sl_buf_append(b, tmp, varint_at(tmp, v));
}

/* Appends n as a varint, then p[0..n): one reserve for both. */
static void put_len_bytes(struct sl_buf *b, const void *p, size_t n)
{
	uint8_t *w = (uint8_t *)sl_buf_reserve(b, n + 10);
	size_t vl = varint_at(w, n);
	memcpy(w + vl, p, n);
	sl_buf_commit(b, vl + n);
}

static uint64_t zigzag(int64_t v)
{
	return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

static int64_t unzigzag(uint64_t v)
{
	return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

/* Reads a varint at *p (< end) and advances *p. Returns 0, or -1 when it
 * runs past end or over 64 bits. */
static int get_varint(const uint8_t **p, const uint8_t *end, uint64_t *out)
{
	uint64_t v = 0;
	for (unsigned s = 0; s < 64 && *p < end; s += 7) {
		uint8_t c = *(*p)++;
		v |= (uint64_t)(c & 0x7f) << s;
		if (!(c & 0x80)) {
			*out = v;
			return 0;
		}
	}
	return -1;
}

/* ------------------------------------------------------------------ */
/* Splitting an event into members                                    */
/* ------------------------------------------------------------------ */

/* The first '"' of p[0..end), or NULL. Most strings of an event are a few
 * bytes: 16 a step inline, without a call to memchr. */
static const char *find_quote(const char *p, const char *end)
{
#ifdef __SSE2__
	const __m128i q = _mm_set1_epi8('"');
	for (; end - p >= 16; p += 16) {
		unsigned m = (unsigned)_mm_movemask_epi8(
		    _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(const void *)p), q));
		if (m)
			return p + __builtin_ctz(m);
	}
#endif
	return memchr(p, '"', (size_t)(end - p));
}

/* Index of the quote closing the string that opens at p[i], or 0. */
static size_t str_end(const char *p, size_t n, size_t i)
{
	for (i++; i < n;) {
		const char *q = find_quote(p + i, p + n);
		if (!q)
			return 0;
		/* escaped when an odd run of backslashes is before it (the run
		 * stops at the opening quote at the latest) */
		size_t j = (size_t)(q - p), b = j;
		while (p[b - 1] == '\\')
			b--;
		if (!((j - b) & 1))
			return j;
		i = j + 1;
	}
	return 0;
}

/* Index of the bracket closing the object or array that opens at p[i], or 0. */
static size_t nest_end(const char *p, size_t n, size_t i)
{
	size_t depth = 0;
	for (; i < n; i++) {
		char c = p[i];
		if (c == '"') {
			if (!(i = str_end(p, n, i)))
				return 0;
		} else if (c == '{' || c == '[') {
			depth++;
		} else if ((c == '}' || c == ']') && !--depth) {
			return i;
		}
	}
	return 0;
}

/* Splits p[0..n) of the form {"k":v,"k":v} (nothing between the tokens)
 * into *m (grown). Returns the number of members, or -1 when the line has
 * another form: rebuilding it from the members would not give it back. */
static long split(const char *p, size_t n, struct member **m, size_t *cap)
{
	if (n < 2 || p[0] != '{' || p[n - 1] != '}')
		return -1;
	if (n == 2)
		return 0;
	size_t i = 1, nm = 0;
	for (;;) {
		if (p[i] != '"')
			return -1;
		size_t ke = str_end(p, n, i);
		if (!ke || ke + 1 >= n || p[ke + 1] != ':')
			return -1;
		size_t vs = ke + 2, ve;
		if (vs >= n - 1)
			return -1;
		if (p[vs] == '"') {
			if (!(ve = str_end(p, n, vs)))
				return -1;
			ve++;
		} else if (p[vs] == '{' || p[vs] == '[') {
			if (!(ve = nest_end(p, n, vs)))
				return -1;
			ve++;
		} else {
			for (ve = vs; ve < n && p[ve] != ',' && p[ve] != '}'; ve++)
				;
			if (ve == vs)
				return -1;
		}
		if (ve >= n || nm == MAX_MEMBERS)
			return -1;
		if (nm == *cap) {
			*cap = *cap ? *cap * 2 : 32;
			*m = sl_realloc(*m, *cap * sizeof **m);
		}
		(*m)[nm++] = (struct member){p + i + 1, p + vs, ke - i - 1, ve - vs};
		if (p[ve] == '}' && ve == n - 1)
			return (long)nm;
		if (p[ve] != ',')
			return -1;
		i = ve + 1;
	}
}

/* split() for an event whose values' places the JSON parser gave (fields.h,
 * span): only the bytes around them are looked at. Returns what split()
 * returns, or -1 where the text is not compact JSON (split() may still
 * take it). */
static long split_spans(const char *p, size_t n, const uint32_t *sp, size_t ns, struct member **m,
                        size_t *cap)
{
	size_t nm = ns / 2;
	if (n < 2 || p[0] != '{' || p[n - 1] != '}' || nm > MAX_MEMBERS)
		return -1;
	if (!nm)
		return n == 2 ? 0 : -1;
	if (nm > *cap) {
		*cap = nm < 32 ? 32 : nm;
		*m = sl_realloc(*m, *cap * sizeof **m);
	}
	size_t ks = 1, ve = 0;
	for (size_t j = 0; j < nm; j++) {
		size_t vs = sp[2 * j];
		ve = sp[2 * j + 1];
		/* "key":value with nothing between: the key's quotes are at ks and
		 * vs - 2 (no blank is a quote), then ',' or the last '}' */
		if (vs < ks + 3 || ve <= vs || ve >= n || p[ks] != '"' || p[vs - 2] != '"' ||
		    p[vs - 1] != ':' || p[ve] != (j + 1 < nm ? ',' : '}'))
			return -1;
		(*m)[j] = (struct member){p + ks + 1, p + vs, vs - 2 - ks - 1, ve - vs};
		ks = ve + 1;
	}
	return ve == n - 1 ? (long)nm : -1;
}

/* ------------------------------------------------------------------ */
/* Encoding                                                           */
/* ------------------------------------------------------------------ */

static int is_hex_digit(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

/* a lower-case hex digit -> its value; any other byte -> 16 */
static uint8_t hexlc[256];

static void hexlc_init(void)
{
	for (int c = 0; c < 256; c++)
		hexlc[c] = (uint8_t)(!is_hex_digit((unsigned char)c) ? 16
		                     : c <= '9'                      ? c - '0'
		                                                     : c - 'a' + 10);
}

/* A lower-case hex string of an even, non-zero number of digits, quoted. */
static int is_hex_str(const char *v, size_t vl)
{
	if (vl < 4 || (vl & 1) || vl > 2 + 2 * 255 || v[0] != '"' || v[vl - 1] != '"')
		return 0;
	const char *d = v + 1, *end = v + vl - 1;
#ifdef __SSE2__
	/* 16 digits a step (a trace id is 32): each byte minus '0' at most 9,
	 * or minus 'a' at most 5 */
	for (; end - d >= 16; d += 16) {
		__m128i c = _mm_loadu_si128((const __m128i *)(const void *)d);
		__m128i x = _mm_sub_epi8(c, _mm_set1_epi8('0'));
		__m128i y = _mm_sub_epi8(c, _mm_set1_epi8('a'));
		__m128i ok = _mm_or_si128(_mm_cmpeq_epi8(_mm_min_epu8(x, _mm_set1_epi8(9)), x),
		                          _mm_cmpeq_epi8(_mm_min_epu8(y, _mm_set1_epi8(5)), y));
		if (_mm_movemask_epi8(ok) != 0xffff)
			return 0;
	}
#endif
	unsigned bad = 0;
	for (; d < end; d++)
		bad |= hexlc[(unsigned char)*d];
	return !(bad & 16);
}

/* An integer written as its canonical decimal: optional '-', no leading
 * zero, not "-0", at most 18 digits (so it fits an int64). */
static int is_canon_int(const char *v, size_t vl)
{
	size_t i = v[0] == '-';
	size_t d = vl - i;
	if (!d || d > 18 || (v[i] == '0' && (d > 1 || i)))
		return 0;
	for (; i < vl; i++)
		if (v[i] < '0' || v[i] > '9')
			return 0;
	return 1;
}

static int64_t parse_int(const char *v, size_t vl)
{
	size_t i = v[0] == '-';
	int64_t x = 0;
	for (size_t j = i; j < vl; j++)
		x = x * 10 + (v[j] - '0');
	return i ? -x : x;
}

static int is_time_of(const char *v, size_t vl, int64_t t)
{
	char s[SL_TIME_LEN];
	if (vl != 32 || v[0] != '"' || v[31] != '"')
		return 0;
	sl_time_format(t, s);
	return sl_mem_eq(v + 1, s, 30);
}

/* The value is the id written as 32 lower-case hex digits, quoted. */
static int is_id_of(const char *v, size_t vl, const uint64_t id[2])
{
	if (!id || vl != 34 || v[0] != '"' || v[33] != '"')
		return 0;
	unsigned bad = 0;
	for (int h = 0; h < 2; h++) { /* in a register: a half is 16 digits */
		uint64_t x = 0;
		for (int i = 0; i < 16; i++) {
			unsigned d = hexlc[(unsigned char)v[1 + 16 * h + i]];
			bad |= d;
			x = x << 4 | (d & 15);
		}
		if (x != id[h])
			return 0;
	}
	return !(bad & 16);
}

/* Puts v in the first free slot of table t (mask + 1 slots) from h on. */
static void slot_put(uint32_t *t, size_t mask, uint64_t h, uint32_t v)
{
	size_t i = (size_t)h & mask;
	while (t[i])
		i = (i + 1) & mask;
	t[i] = v;
}

static uint32_t find_col(struct ag_frame_enc *e, const char *k, size_t kl)
{
	uint64_t h = ag_hash(k, kl);
	size_t mask = e->col_slots - 1;
	for (size_t i = (size_t)h & mask; e->col_slots; i = (i + 1) & mask) {
		uint32_t s = e->col_slot[i];
		if (!s)
			break;
		struct ag_fcol *c = &e->col[s - 1];
		if (c->hash == h && c->key.len == kl && sl_mem_eq(c->key.data, k, kl))
			return s - 1;
	}
	if (e->ncol == e->cap_col) {
		size_t old = e->cap_col;
		e->cap_col = old ? old * 2 : 32;
		e->col = sl_realloc(e->col, e->cap_col * sizeof *e->col);
		memset(e->col + old, 0, (e->cap_col - old) * sizeof *e->col);
	}
	uint32_t id = (uint32_t)e->ncol++;
	struct ag_fcol *c = &e->col[id];
	sl_buf_reset(&c->key);
	sl_buf_reset(&c->vals);
	sl_buf_append(&c->key, k, kl);
	c->hash = h;
	c->nval = c->hexlen = 0;
	c->can_hex = c->can_int = c->can_time = c->can_id = 1;
	c->ext = e->ext ? e->ext->find(e->ext->ud, k, kl) : -1;
	if (e->ncol * 2 > e->col_slots) {
		free(e->col_slot);
		e->col_slots = e->col_slots ? e->col_slots * 2 : 64;
		e->col_slot = sl_calloc(e->col_slots, sizeof *e->col_slot);
		mask = e->col_slots - 1;
		for (size_t j = 0; j < e->ncol; j++)
			slot_put(e->col_slot, mask, e->col[j].hash, (uint32_t)j + 1);
	} else {
		slot_put(e->col_slot, mask, h, id + 1);
	}
	return id;
}

/* The shape (1..) of the members' columns e->members[0..nm), added if new. */
static uint32_t find_shape(struct ag_frame_enc *e, size_t nm)
{
	uint64_t h = ag_hash(e->members, nm * sizeof *e->members) ^ nm;
	size_t mask = e->shape_slots - 1;
	for (size_t i = (size_t)h & mask; e->shape_slots; i = (i + 1) & mask) {
		uint32_t s = e->shape_slot[i];
		if (!s)
			break;
		const uint32_t *w = (const uint32_t *)e->shapes.data + (s - 1);
		if (w[0] == nm && !memcmp(w + 2, e->members, nm * sizeof *e->members))
			return w[1];
	}
	uint32_t off = (uint32_t)(e->shapes.len / sizeof(uint32_t));
	uint32_t hdr[2] = {(uint32_t)nm, (uint32_t)++e->nshape};
	sl_buf_append(&e->shapes, hdr, sizeof hdr);
	sl_buf_append(&e->shapes, e->members, nm * sizeof *e->members);
	if (e->nshape * 2 > e->shape_slots) {
		free(e->shape_slot);
		e->shape_slots = e->shape_slots ? e->shape_slots * 2 : 64;
		e->shape_slot = sl_calloc(e->shape_slots, sizeof *e->shape_slot);
		mask = e->shape_slots - 1;
		/* re-insert every shape: walk the list */
		const uint32_t *w = (const uint32_t *)e->shapes.data;
		size_t words = e->shapes.len / sizeof(uint32_t);
		for (size_t o = 0; o < words; o += 2 + w[o])
			slot_put(e->shape_slot, mask, ag_hash(w + o + 2, w[o] * sizeof *w) ^ w[o],
			         (uint32_t)o + 1);
	} else {
		slot_put(e->shape_slot, mask, h, off + 1);
	}
	return hdr[1];
}

void ag_frame_enc_reset(struct ag_frame_enc *e, const struct ag_frame_ext *ext)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, hexlc_init);
	e->ext = ext;
	e->ncol = 0;
	if (e->col_slot)
		memset(e->col_slot, 0, e->col_slots * sizeof *e->col_slot);
	if (e->shape_slot)
		memset(e->shape_slot, 0, e->shape_slots * sizeof *e->shape_slot);
	e->nshape = 0;
	sl_buf_reset(&e->shapes);
	sl_buf_reset(&e->ev);
	sl_buf_reset(&e->times);
	sl_buf_reset(&e->whole);
	e->last_t = 0;
	e->n = 0;
	e->prev_nm = 0;
	e->prev_shape = 0;
}

void ag_frame_enc_add(struct ag_frame_enc *e, int64_t t, const uint64_t id[2], const char *line,
                      size_t len, const uint32_t *span, size_t nspan)
{
	put_varint(&e->times, zigzag((int64_t)((uint64_t)t - (uint64_t)e->last_t)));
	e->last_t = t;
	e->n++;
	/* split() takes what it can rebuild, valid JSON or not (a value with
	 * blanks before it, say): where the spans say "not compact", it
	 * decides */
	long nm = span ? split_spans(line, len, span, nspan, &e->m, &e->cap_m) : -1;
	if (nm < 0)
		nm = split(line, len, &e->m, &e->cap_m);
	if (nm < 0) {
		put_varint(&e->ev, 0);
		put_varint(&e->whole, len);
		sl_buf_append(&e->whole, line, len);
		return;
	}
	if ((size_t)nm > e->cap_members) {
		e->cap_members = (size_t)nm;
		e->members = sl_realloc(e->members, e->cap_members * sizeof *e->members);
	}
	/* an event's keys are mostly the previous event's, in the same order */
	int same = e->prev_shape && (size_t)nm == e->prev_nm;
	for (long j = 0; j < nm; j++) {
		const struct member *m = &e->m[j];
		if ((size_t)j < e->prev_nm) {
			const struct ag_fcol *c = &e->col[e->members[j]];
			if (c->key.len == m->kl && sl_mem_eq(c->key.data, m->k, m->kl))
				continue;
		}
		same = 0;
		e->members[j] = find_col(e, m->k, m->kl);
	}
	uint32_t shape = same ? e->prev_shape : find_shape(e, (size_t)nm);
	e->prev_nm = (size_t)nm;
	e->prev_shape = shape;
	put_varint(&e->ev, shape);
	for (long j = 0; j < nm; j++) {
		const struct member *m = &e->m[j];
		struct ag_fcol *c = &e->col[e->members[j]];
		put_len_bytes(&c->vals, m->v, m->vl);
		if (c->can_time && !is_time_of(m->v, m->vl, t))
			c->can_time = 0;
		int is_id = c->can_id && is_id_of(m->v, m->vl, id);
		c->can_id = is_id;
		if (c->ext >= 0 &&
		    !e->ext->match(e->ext->ud, c->ext, e->ext->first + (uint32_t)(e->n - 1), m->v,
		                   m->vl))
			c->ext = -1;
		if (c->can_hex) {
			/* an id is 32 hex digits: no need to look again */
			if (!(is_id || is_hex_str(m->v, m->vl)) ||
			    (c->nval && c->hexlen != (m->vl - 2) / 2))
				c->can_hex = 0;
			else
				c->hexlen = (m->vl - 2) / 2;
		}
		if (c->can_int && !is_canon_int(m->v, m->vl))
			c->can_int = 0;
		c->nval++;
	}
}

static int col_type(const struct ag_fcol *c)
{
	return c->can_time   ? FT_TIME
	       : c->can_id   ? FT_ID
	       : c->ext >= 0 ? FT_BLOCK
	       : c->can_hex  ? FT_HEX
	       : c->can_int  ? FT_INT
	                     : FT_TEXT;
}

/* Rewrites the values of c (varint length, text) in the form of its type
 * into e->tmp, then swaps the two buffers. */
static void col_convert(struct ag_frame_enc *e, struct ag_fcol *c, int type)
{
	const uint8_t *p = (const uint8_t *)c->vals.data, *end = p + c->vals.len;
	struct sl_buf *o = &e->tmp;
	sl_buf_reset(o);
	int64_t prev = 0;
	while (p < end) {
		uint64_t vl = 0;
		get_varint(&p, end, &vl);
		const char *v = (const char *)p;
		p += vl;
		if (type == FT_HEX) {
			uint8_t *w = (uint8_t *)sl_buf_reserve(o, c->hexlen);
			for (size_t i = 0; i < c->hexlen; i++)
				w[i] = (uint8_t)(hexlc[(unsigned char)v[1 + 2 * i]] << 4 |
				                 hexlc[(unsigned char)v[2 + 2 * i]]);
			sl_buf_commit(o, c->hexlen);
		} else if (type == FT_INT) {
			int64_t x = parse_int(v, vl);
			put_varint(o, zigzag(x - prev));
			prev = x;
		}
	}
	struct sl_buf t = c->vals;
	c->vals = *o;
	*o = t;
}

void ag_frame_enc_finish(struct ag_frame_enc *e, struct sl_buf *out, struct sl_buf *hex)
{
	sl_buf_putc(out, hex ? FRAME_VERSION_X : FRAME_VERSION);
	put_varint(out, e->n);
	sl_buf_append(out, e->times.data, e->times.len);
	put_varint(out, e->ncol);
	for (size_t i = 0; i < e->ncol; i++) {
		struct ag_fcol *c = &e->col[i];
		int type = col_type(c);
		if (type == FT_TIME || type == FT_ID || type == FT_BLOCK)
			sl_buf_reset(&c->vals);
		else if (type != FT_TEXT)
			col_convert(e, c, type);
		put_varint(out, c->key.len);
		sl_buf_append(out, c->key.data, c->key.len);
		sl_buf_putc(out, (char)type);
		if (type == FT_HEX)
			put_varint(out, c->hexlen);
		put_varint(out, c->vals.len);
	}
	put_varint(out, e->nshape);
	const uint32_t *w = (const uint32_t *)e->shapes.data;
	size_t words = e->shapes.len / sizeof(uint32_t);
	for (size_t o = 0; o < words; o += 2 + w[o]) {
		put_varint(out, w[o]);
		for (uint32_t j = 0; j < w[o]; j++)
			put_varint(out, w[o + 2 + j]);
	}
	sl_buf_append(out, e->ev.data, e->ev.len);
	for (size_t i = 0; i < e->ncol; i++) {
		const struct ag_fcol *c = &e->col[i];
		sl_buf_append(hex && col_type(c) == FT_HEX ? hex : out, c->vals.data, c->vals.len);
	}
	sl_buf_append(out, e->whole.data, e->whole.len);
}

void ag_frame_enc_free(struct ag_frame_enc *e)
{
	for (size_t i = 0; i < e->cap_col; i++) {
		sl_buf_free(&e->col[i].key);
		sl_buf_free(&e->col[i].vals);
	}
	free(e->col);
	free(e->col_slot);
	free(e->shape_slot);
	free(e->members);
	free(e->m);
	sl_buf_free(&e->shapes);
	sl_buf_free(&e->ev);
	sl_buf_free(&e->times);
	sl_buf_free(&e->whole);
	sl_buf_free(&e->tmp);
	memset(e, 0, sizeof *e);
}

/* ------------------------------------------------------------------ */
/* Decoding                                                           */
/* ------------------------------------------------------------------ */

struct dcol {
	const uint8_t *key, *p, *end;
	size_t klen, hexlen;
	size_t pre; /* its ,"key": in the decoder's prefixes */
	/* a block column's */
	const uint8_t *codes;
	size_t ncodes, nval;
	const char *const *val;
	const uint32_t *vlen;
	uint64_t len;
	int ext;
	int type;
	int64_t prev;
};

static int get_times(const uint8_t **p, const uint8_t *end, uint64_t n, uint8_t *ents, int64_t *t)
{
	uint64_t acc = 0;
	for (uint64_t i = 0; i < n; i++) {
		uint64_t d;
		if (get_varint(p, end, &d))
			return -1;
		acc += (uint64_t)unzigzag(d);
		if (ents)
			sl_put64(ents + i * AG_FRAME_ENT, acc);
		else if (t)
			t[i] = (int64_t)acc;
	}
	return 0;
}

int ag_frame_times(const uint8_t *p, size_t n, uint32_t count, int64_t *t)
{
	const uint8_t *end = p + n;
	uint64_t nev;
	if (n < 1 || (p[0] != FRAME_VERSION && p[0] != FRAME_VERSION_X))
		return -1;
	p++;
	if (get_varint(&p, end, &nev) || nev != count)
		return -1;
	return get_times(&p, end, nev, NULL, t);
}

/* Room for n more bytes at the end of o (written, then added to o->len
 * by the caller; no NUL is kept meanwhile). */
static inline char *room(struct sl_buf *o, size_t n)
{
	if (o->cap - o->len > n)
		return o->data + o->len;
	return sl_buf_reserve(o, n);
}

static inline void put(struct sl_buf *o, const void *p, size_t n)
{
	memcpy(room(o, n), p, n);
	o->len += n;
}

static void put_int(struct sl_buf *o, int64_t x)
{
	char s[24];
	size_t i = sizeof s;
	uint64_t u = x < 0 ? 0 - (uint64_t)x : (uint64_t)x;
	do {
		s[--i] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (x < 0)
		s[--i] = '-';
	put(o, s + i, sizeof s - i);
}

/* "00" .. "ff" */
static char hex2[256][2];

static void hex2_init(void)
{
	static const char hex[] = "0123456789abcdef";
	for (int b = 0; b < 256; b++) {
		hex2[b][0] = hex[b >> 4];
		hex2[b][1] = hex[b & 15];
	}
}

/* Moves c past its next n values. 0 or -1. */
static int skip_values(struct dcol *c, uint64_t n)
{
	uint64_t v;
	switch (c->type) {
	case FT_TEXT:
		for (; n; n--) {
			if (get_varint(&c->p, c->end, &v) || v > (uint64_t)(c->end - c->p))
				return -1;
			c->p += v;
		}
		return 0;
	case FT_HEX: /* hexlen is 1..255 (head_parse) */
		if (n > (uint64_t)(c->end - c->p) / c->hexlen)
			return -1;
		c->p += n * c->hexlen;
		return 0;
	case FT_INT:
		for (; n; n--) {
			if (get_varint(&c->p, c->end, &v))
				return -1;
			c->prev = (int64_t)((uint64_t)c->prev + (uint64_t)unzigzag(v));
		}
		return 0;
	default:
		return 0; /* nothing of the column's own to move past */
	}
}

/* Writes c's next value to o, for the event at time t with id (16 bytes)
 * and number bev in the block. 0 or -1. */
static int put_value(struct sl_buf *o, struct dcol *c, int64_t t, const uint8_t *id, size_t bev)
{
	uint64_t v;
	char *w;
	switch (c->type) {
	case FT_BLOCK: {
		uint8_t code = bev < c->ncodes ? c->codes[bev] : 0;
		if (!code || code > c->nval)
			return -1;
		put(o, c->val[code - 1], c->vlen[code - 1]);
		return 0;
	}
	case FT_ID:
		if (!id)
			return -1;
		w = room(o, 34);
		w[0] = '"';
		/* two little-endian u64, each written as 16 digits, high first */
		for (int i = 0; i < 8; i++) {
			memcpy(w + 1 + 2 * i, hex2[id[7 - i]], 2);
			memcpy(w + 17 + 2 * i, hex2[id[15 - i]], 2);
		}
		w[33] = '"';
		o->len += 34;
		return 0;
	case FT_TEXT:
		if (get_varint(&c->p, c->end, &v) || v > (uint64_t)(c->end - c->p))
			return -1;
		put(o, c->p, v);
		c->p += v;
		return 0;
	case FT_HEX:
		if (c->hexlen > (size_t)(c->end - c->p))
			return -1;
		w = room(o, 2 + 2 * c->hexlen);
		w[0] = '"';
		for (size_t i = 0; i < c->hexlen; i++)
			memcpy(w + 1 + 2 * i, hex2[c->p[i]], 2);
		w[1 + 2 * c->hexlen] = '"';
		o->len += 2 + 2 * c->hexlen;
		c->p += c->hexlen;
		return 0;
	case FT_INT:
		if (get_varint(&c->p, c->end, &v))
			return -1;
		c->prev = (int64_t)((uint64_t)c->prev + (uint64_t)unzigzag(v));
		put_int(o, c->prev);
		return 0;
	default:
		w = room(o, SL_TIME_LEN + 2);
		w[0] = '"';
		sl_time_format(t, w + 1);
		w[31] = '"';
		o->len += 32;
		return 0;
	}
}

/* A frame's encoding, parsed up to its whole events (ag_frame_head). */
struct fhead {
	uint64_t nev, ncol, nshape;
	struct dcol *col;   /* ncol; each with its key, type and data */
	uint32_t *shape_at; /* nshape + 1: where shape s's columns start in shape_w */
	uint32_t *shape_w;
	const uint8_t *evp;   /* the events' shapes */
	const uint8_t *whole; /* the whole events */
};

/* Events of a frame not decoded, not yet moved past: n[s] of shape s, for
 * the shapes s[0..ns). */
struct skipped {
	uint64_t *n;
	uint32_t *s;
	size_t ns;
};

/* Moves h's columns past the values of the events k holds, and empties
 * it. 0 or -1. */
static int skip_shapes(struct fhead *h, struct skipped *k)
{
	for (size_t i = 0; i < k->ns; i++) {
		uint32_t s = k->s[i];
		for (uint32_t j = h->shape_at[s - 1]; j < h->shape_at[s]; j++)
			if (skip_values(&h->col[h->shape_w[j]], k->n[s]))
				return -1;
		k->n[s] = 0;
	}
	k->ns = 0;
	return 0;
}

static void head_free(struct fhead *h)
{
	free(h->col);
	free(h->shape_at);
	free(h->shape_w);
}

/* Parses p[0..n) up to its whole events into h (free with head_free, also
 * on failure); the times go to the decoded layout's entries in out (NULL:
 * skipped; then max is not checked). x[0..xn) are the hex values kept
 * outside an encoding of FRAME_VERSION_X, which must all belong to its hex
 * columns; x NULL: not given (those columns get no data). Returns 0 or -1. */
static int head_parse(const uint8_t *p, size_t n, const uint8_t *x, size_t xn, size_t max,
                      struct sl_buf *out, struct fhead *h)
{
	const uint8_t *end = p + n, *xend = x ? x + xn : NULL;
	uint64_t nev, ncol, nshape;
	memset(h, 0, sizeof *h);
	if (n < 1 || (*p != FRAME_VERSION && *p != FRAME_VERSION_X))
		return -1;
	int outside = *p++ == FRAME_VERSION_X;
	if (get_varint(&p, end, &nev) || nev > (uint64_t)(end - p) ||
	    (out && nev * AG_FRAME_ENT > max))
		return -1;
	h->nev = nev;
	uint8_t *ents = NULL;
	if (out) {
		ents = (uint8_t *)sl_buf_reserve(out, nev * AG_FRAME_ENT);
		sl_buf_commit(out, nev * AG_FRAME_ENT);
	}
	if (get_times(&p, end, nev, ents, NULL) || get_varint(&p, end, &ncol) ||
	    ncol > (uint64_t)(end - p))
		return -1;
	struct dcol *col = h->col = sl_calloc(ncol ? ncol : 1, sizeof *col);
	h->ncol = ncol;
	for (uint64_t i = 0; i < ncol; i++) {
		uint64_t kl, type, hl = 0, dl;
		if (get_varint(&p, end, &kl) || kl >= (uint64_t)(end - p))
			return -1;
		col[i].key = p;
		col[i].klen = kl;
		p += kl;
		type = *p++;
		if (type > FT_BLOCK ||
		    (type == FT_HEX && (get_varint(&p, end, &hl) || !hl || hl > 255)) ||
		    get_varint(&p, end, &dl))
			return -1;
		col[i].type = (int)type;
		col[i].hexlen = hl;
		col[i].len = dl;
	}
	if (get_varint(&p, end, &nshape) || nshape > (uint64_t)(end - p))
		return -1;
	h->nshape = nshape;
	/* shapes: their columns, one after the other; shape_at[s] where s starts */
	h->shape_at = sl_malloc((nshape + 1) * sizeof *h->shape_at);
	size_t nw = 0, capw = 0;
	for (uint64_t s = 0; s < nshape; s++) {
		uint64_t nm, c;
		if (get_varint(&p, end, &nm) || nm > (uint64_t)(end - p))
			return -1;
		h->shape_at[s] = (uint32_t)nw;
		if (nw + nm > capw) {
			capw = (nw + nm) * 2 + 16;
			h->shape_w = sl_realloc(h->shape_w, capw * sizeof *h->shape_w);
		}
		for (uint64_t j = 0; j < nm; j++) {
			if (get_varint(&p, end, &c) || c >= ncol)
				return -1;
			h->shape_w[nw++] = (uint32_t)c;
		}
	}
	h->shape_at[nshape] = (uint32_t)nw;
	/* the events' shapes; then the columns' data, then the whole events */
	h->evp = p;
	for (uint64_t i = 0; i < nev; i++) {
		uint64_t s = 0;
		if (get_varint(&p, end, &s) || s > nshape)
			return -1;
	}
	for (uint64_t i = 0; i < ncol; i++) {
		uint64_t dl = col[i].len;
		if (outside && col[i].type == FT_HEX) {
			if (!x) /* not given: an empty column */
				continue;
			if (dl > (uint64_t)(xend - x))
				return -1;
			col[i].p = x;
			col[i].end = x += dl;
			continue;
		}
		if (dl > (uint64_t)(end - p))
			return -1;
		col[i].p = p;
		col[i].end = p + dl;
		p += dl;
	}
	h->whole = p;
	return x == xend || (outside && !x) ? 0 : -1;
}

/* 1 if p[0..n) holds a backslash followed by 'u' */
static int u_escape(const uint8_t *p, size_t n)
{
	const uint8_t *end = p + n, *b;
	for (; (b = memchr(p, '\\', (size_t)(end - p))) != NULL; p = b + 2)
		if (b + 1 == end || b[1] == 'u')
			return b + 1 < end;
	return 0;
}

int ag_frame_escapes(const uint8_t *p, size_t n)
{
	const uint8_t *end = p + n;
	struct fhead h;
	int rc = 1;
	if (head_parse(p, n, NULL, 0, 0, NULL, &h))
		goto out;
	for (uint64_t i = 0; i < h.ncol; i++) {
		struct dcol *c = &h.col[i];
		if (u_escape(c->key, c->klen))
			goto out;
		/* text: each value its length, then its bytes (walked only if
		 * the column's data has a backslash at all) */
		if (c->type != FT_TEXT || !memchr(c->p, '\\', (size_t)(c->end - c->p)))
			continue;
		for (uint64_t v; c->p < c->end; c->p += v)
			if (get_varint(&c->p, c->end, &v) || v > (uint64_t)(c->end - c->p) ||
			    u_escape(c->p, v))
				goto out;
	}
	for (uint64_t l; h.whole < end; h.whole += l)
		if (get_varint(&h.whole, end, &l) || l > (uint64_t)(end - h.whole) ||
		    u_escape(h.whole, l))
			goto out;
	rc = 0;
out:
	head_free(&h);
	return rc;
}

/* 1 if lit is a word with a letter no hex digit, number or RFC 3339 time
 * holds (g..y but t): then only text values, keys, the block's values and
 * whole events can write it */
static int lit_usable(const struct ag_literal *lit)
{
	int letter = 0;
	for (size_t i = 0; i < lit->n; i++) {
		unsigned char c = (unsigned char)lit->s[i], f = c | 0x20;
		if (!((c >= '0' && c <= '9') || (f >= 'a' && f <= 'z') || c == '_' || c >= 0x80))
			return 0;
		letter |= f >= 'g' && f <= 'y' && f != 't';
	}
	return letter;
}

/* Sets want[i] for the events of h that may hold lit (ag_frame_decode_some).
 * Returns 0, or 1 when any event may (or the frame cannot be judged). */
static int events_with(const struct fhead *h, const uint8_t *end, const struct ag_literal *lit,
                       uint8_t *want)
{
	if (!lit_usable(lit))
		return 1;
	uint64_t nev = h->nev, ncol = h->ncol, nw = (nev + 63) / 64;
	struct dcol *col = h->col;
	for (uint64_t i = 0; i < ncol; i++) {
		const struct dcol *c = &col[i];
		if (ag_literal_in(lit, (const char *)c->key, c->klen) ||
		    u_escape(c->key, c->klen) ||
		    (c->type == FT_TEXT && u_escape(c->p, (size_t)(c->end - c->p))))
			return 1;
		for (size_t v = 0; c->type == FT_BLOCK && v < c->nval; v++)
			if (ag_literal_in(lit, c->val[v], c->vlen[v]))
				return 1;
	}
	if (u_escape(h->whole, (size_t)(end - h->whole)))
		return 1;
	/* per text column, its values that hold lit (bit k: value k) */
	uint64_t **hit = sl_calloc(ncol ? ncol : 1, sizeof *hit), *vi = NULL, *smask = NULL;
	int rc = 1;
	for (uint64_t i = 0; i < ncol; i++) {
		const struct dcol *c = &col[i];
		if (c->type != FT_TEXT)
			continue;
		const uint8_t *v = c->p, *o;
		uint64_t k = 0, l;
		while ((o = (const uint8_t *)ag_literal_find(lit, (const char *)v,
		                                             (size_t)(c->end - v))) != NULL) {
			if (!hit[i])
				hit[i] = sl_calloc(nw ? nw : 1, sizeof **hit);
			for (;; k++) { /* the value o is in (or whose length it is in) */
				if (k >= nev || get_varint(&v, c->end, &l) ||
				    l > (uint64_t)(c->end - v))
					goto out;
				v += l;
				if (o < v)
					break;
			}
			hit[i][k / 64] |= 1ULL << (k % 64);
			k++;
		}
	}
	/* the columns with hits, and per shape a bit for each of them it has:
	 * only those are walked (every event is decoded when more than 64
	 * columns have hits, or a shape has one twice: a key repeated) */
	uint32_t hc[64], nh = 0;
	for (uint32_t i = 0; i < ncol; i++)
		if (hit[i]) {
			if (nh == 64)
				goto out;
			hc[nh++] = i;
		}
	smask = sl_calloc(h->nshape + 1, sizeof *smask);
	for (uint64_t s = 1; s <= h->nshape; s++)
		for (uint32_t j = h->shape_at[s - 1]; j < h->shape_at[s]; j++)
			for (uint32_t b = 0; b < nh; b++) {
				uint64_t bit = (uint64_t)(h->shape_w[j] == hc[b]) << b;
				if (smask[s] & bit)
					goto out;
				smask[s] |= bit;
			}
	vi = sl_calloc(nh ? nh : 1, sizeof *vi); /* per hit column, its next value */
	const uint8_t *evp = h->evp, *whole = h->whole;
	for (uint64_t i = 0; i < nev; i++) {
		uint64_t s = 0, l;
		get_varint(&evp, end, &s);
		if (!s) {
			if (get_varint(&whole, end, &l) || l > (uint64_t)(end - whole))
				goto out;
			want[i] = ag_literal_in(lit, (const char *)whole, l);
			whole += l;
			continue;
		}
		uint8_t w = 0;
		for (uint64_t m = smask[s]; m; m &= m - 1) {
			unsigned b = (unsigned)__builtin_ctzll(m);
			uint64_t k = vi[b]++;
			w |= k < nev && (hit[hc[b]][k / 64] >> (k % 64)) & 1;
		}
		want[i] = w;
	}
	rc = 0;
out:
	for (uint64_t i = 0; i < ncol; i++)
		free(hit[i]);
	free(hit);
	free(vi);
	free(smask);
	return rc;
}

long ag_frame_decode(const uint8_t *p, size_t n, const uint8_t *x, size_t xn, const uint8_t *ids,
                     const struct ag_frame_ext *ext, size_t max, struct sl_buf *out)
{
	return ag_frame_decode_some(p, n, x, xn, ids, ext, max, NULL, out);
}

long ag_frame_decode_some(const uint8_t *p, size_t n, const uint8_t *x, size_t xn,
                          const uint8_t *ids, const struct ag_frame_ext *ext, size_t max,
                          const struct ag_literal *lit, struct sl_buf *out)
{
	const uint8_t *end = p + n;
	struct fhead h;
	struct sl_buf pre = {0};
	uint8_t *want = NULL;      /* lit: the events that may hold it (NULL: all) */
	struct skipped skip = {0}; /* with want: events not decoded since the last
	                            * one that was */
	long rc = -1;
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, hex2_init);
	sl_buf_reset(out);
	if (head_parse(p, n, x ? x : (const uint8_t *)"", xn, max, out, &h))
		goto out;
	uint64_t nev = h.nev, ncol = h.ncol;
	struct dcol *col = h.col;
	const uint32_t *shape_at = h.shape_at, *shape_w = h.shape_w;
	for (uint64_t i = 0; i < ncol; i++) {
		if (col[i].type == FT_BLOCK) {
			long nv;
			if (!ext ||
			    (col[i].ext =
			         ext->find(ext->ud, (const char *)col[i].key, col[i].klen)) < 0 ||
			    (nv = ext->values(ext->ud, col[i].ext, &col[i].codes, &col[i].ncodes,
			                      &col[i].val, &col[i].vlen)) < 0)
				goto out;
			col[i].nval = (size_t)nv;
		}
		col[i].pre = pre.len;
		sl_buf_append(&pre, ",\"", 2);
		sl_buf_append(&pre, col[i].key, col[i].klen);
		sl_buf_append(&pre, "\":", 2);
	}
	const uint8_t *evp = h.evp;
	const uint8_t *whole = h.whole;
	uint64_t upto = nev; /* events after the last one wanted are not walked */
	if (lit && nev) {
		want = sl_malloc(nev);
		if (events_with(&h, end, lit, want)) {
			free(want);
			want = NULL;
		} else {
			while (upto && !want[upto - 1])
				upto--;
			skip.n = sl_calloc(h.nshape + 1, sizeof *skip.n);
			skip.s = sl_malloc((h.nshape + 1) * sizeof *skip.s);
		}
	}
	for (uint64_t i = 0; i < upto; i++) {
		uint64_t s = 0;
		size_t start = out->len;
		get_varint(&evp, end, &s);
		uint64_t t0 = sl_get64((const uint8_t *)out->data + i * AG_FRAME_ENT);
		if (want && !want[i]) { /* an empty line: only the cursors move */
			uint64_t l;
			if (!s && (get_varint(&whole, end, &l) || l > (uint64_t)(end - whole)))
				goto out;
			if (!s)
				whole += l;
			/* the columns move when the next wanted event comes */
			if (s && !skip.n[s]++)
				skip.s[skip.ns++] = (uint32_t)s;
		} else if (want && skip_shapes(&h, &skip)) {
			goto out;
		} else if (!s) {
			uint64_t l;
			if (get_varint(&whole, end, &l) || l > (uint64_t)(end - whole))
				goto out;
			put(out, whole, l);
			whole += l;
		} else {
			put(out, "{", 1);
			for (uint32_t j = shape_at[s - 1]; j < shape_at[s]; j++) {
				struct dcol *c = &col[shape_w[j]];
				/* ,"key": (no comma before the first) */
				size_t first = j == shape_at[s - 1];
				put(out, pre.data + c->pre + first, c->klen + 4 - first);
				if (put_value(out, c, (int64_t)t0, ids ? ids + 16 * i : NULL,
				              (ext ? ext->first : 0) + i) ||
				    out->len > max)
					goto out;
			}
			put(out, "}", 1);
		}
		if (out->len > max)
			goto out;
		sl_put32((uint8_t *)out->data + i * AG_FRAME_ENT + 8, (uint32_t)(out->len - start));
	}
	/* the rest are empty lines; the frame's checksum vouched for its data,
	 * which a whole decoding checks to the end */
	for (uint64_t i = upto; i < nev; i++)
		sl_put32((uint8_t *)out->data + i * AG_FRAME_ENT + 8, 0);
	if (upto == nev && whole != end)
		goto out;
	for (uint64_t i = 0; i < ncol && upto == nev; i++)
		if (col[i].p != col[i].end)
			goto out;
	rc = (long)nev;
out:
	*room(out, 1) = '\0'; /* an sl_buf's data ends with a NUL */
	head_free(&h);
	sl_buf_free(&pre);
	free(want);
	free(skip.n);
	free(skip.s);
	return rc;
}
