/*
 * frame — the columnar encoding of a frame's events (docs/storage.md,
 * "The data of a frame").
 *
 * A frame's events are JSON objects written compactly ({"k":v,"k2":v2}, no
 * spaces), as the shipper writes them. The encoder splits each event into
 * its top-level members and stores the values of each key together, in
 * event order: values of one key look alike, so deflate finds far more of
 * the same bytes than in whole lines, and the keys are written once a frame.
 * A column whose every value in the frame is a lower-case hex string of one
 * length is kept as bytes, one of canonical integers as varint deltas, and a
 * "time" column equal to the event times the frame already carries is not
 * kept at all, nor an "id" equal to the id the block keeps for the event.
 * An event that is not in that compact form is kept whole.
 *
 * Decoding gives back every event byte for byte, in the layout the readers
 * of a frame use: per event an entry (time in ns, i64; length, u32; both
 * little-endian), then the events one after the other.
 */
#ifndef AG_FRAME_H
#define AG_FRAME_H

#include <stddef.h>
#include <stdint.h>

#include "sl_buf.h"

struct ag_literal; /* query.h */

#define AG_FRAME_ENT 12 /* bytes of an entry of the decoded layout */

struct ag_fcol;
struct member;

/* The columns of the frame's block (docs/storage.md): a frame column whose
 * every value is the block column's value of its event takes them from
 * there and stores none. */
struct ag_frame_ext {
	/* a handle (>= 0) for the block column named k[0..kl), or -1 */
	int (*find)(void *ud, const char *k, size_t kl);
	/* encoding: whether v[0..vl) is the value of column h for event ev of
	 * the block, written as the event has it */
	int (*match)(void *ud, int h, uint32_t ev, const char *v, size_t vl);
	/* decoding: column h's codes, one per event of the block (*ncodes of
	 * them; 0: the event has no value, c: val[c - 1] of len[c - 1] bytes,
	 * written as the events have it), valid until the decoding ends.
	 * Returns the number of values, or -1 */
	long (*values)(void *ud, int h, const uint8_t **codes, size_t *ncodes,
	               const char *const **val, const uint32_t **len);
	void *ud;
	uint32_t first; /* the block's number of the frame's first event */
};

/* The encoder's scratch, reused from frame to frame. Zero it to start; free
 * with ag_frame_enc_free. */
struct ag_frame_enc {
	struct ag_fcol *col;
	size_t ncol, cap_col;
	uint32_t *col_slot; /* hash of a key -> column + 1 */
	size_t col_slots;
	struct sl_buf shapes; /* each: varint members, then their columns */
	uint32_t *shape_slot; /* hash of a shape -> offset in shapes + 1 */
	size_t shape_slots, nshape;
	struct sl_buf ev;    /* per event: varint shape (0: kept whole) */
	struct sl_buf times; /* per event: zigzag varint delta of its time */
	struct sl_buf whole; /* events kept whole: varint length, bytes */
	struct member *m;    /* the members of the event being split */
	size_t cap_m;
	uint32_t *members; /* their columns (the previous event's until then) */
	size_t cap_members, prev_nm;
	uint32_t prev_shape;
	struct sl_buf tmp; /* a column's values being converted */
	const struct ag_frame_ext *ext;
	int64_t last_t;
	size_t n;
};

/* Starts a new frame (keeps the memory); ext (NULL: none; the caller's,
 * until ag_frame_enc_finish) are its block's columns. */
void ag_frame_enc_reset(struct ag_frame_enc *e, const struct ag_frame_ext *ext);
/* Adds an event: its time, its id (the 128 bits its "id" is stored under,
 * kept by the block outside the frame; NULL: none) and its JSON
 * line[0..len). span[0..nspan): where the values of its members are, as
 * ag_event_parse of line gave them (struct ag_event), so the encoder need
 * not find them again; NULL when line was not parsed (or did not parse). */
void ag_frame_enc_add(struct ag_frame_enc *e, int64_t t, const uint64_t id[2], const char *line,
                      size_t len, const uint32_t *span, size_t nspan);
/* Appends the encoded frame to out. With hex (not NULL), the values of the
 * hex columns (random ids: deflate cannot make them smaller, only spend time
 * on them) are appended to hex instead, for the caller to store beside the
 * compressed encoding; decoding then needs them back. The encoder must be
 * reset before the next frame. */
void ag_frame_enc_finish(struct ag_frame_enc *e, struct sl_buf *out, struct sl_buf *hex);
void ag_frame_enc_free(struct ag_frame_enc *e);

/* 1 if a key, a text value or a whole event of the encoded frame p[0..n)
 * holds a \u escape, or p is not a frame's encoding; else 0. \u is the only
 * JSON escape that writes a letter, a digit, '_' or a byte >= 0x80, so
 * without one every such character of the events is in p as itself. */
int ag_frame_escapes(const uint8_t *p, size_t n);

/* Decodes p[0..n) into out (reset first): the entries, then the events.
 * x[0..xn): the hex values ag_frame_enc_finish put outside the encoding
 * (NULL, 0 for an encoding that holds them). ids: the events' ids as the
 * block keeps them (16 bytes each: two
 * little-endian u64), or NULL when the frame was encoded without; ext: the
 * block's columns, or NULL. Decoding stops (-1) past max bytes of out: a
 * few damaged bytes could otherwise ask for gigabytes. Returns the number
 * of events, or -1 when the data is inconsistent. */
long ag_frame_decode(const uint8_t *p, size_t n, const uint8_t *x, size_t xn, const uint8_t *ids,
                     const struct ag_frame_ext *ext, size_t max, struct sl_buf *out);
/* ag_frame_decode, but an event whose line cannot hold lit (a search's
 * literal: ASCII letters in any case if lit->ci) may be decoded as an
 * empty line (length 0): one whose text values, and whole text, lack it.
 * Every event is decoded when the frame's other parts could write lit
 * (its keys, the block's values, a \u escape) or lit could be spelled by
 * hex digits, numbers or times. lit NULL: every event. The data after the
 * last event it decodes is not walked, so not checked either: the caller
 * has checked the frame's checksum. */
long ag_frame_decode_some(const uint8_t *p, size_t n, const uint8_t *x, size_t xn,
                          const uint8_t *ids, const struct ag_frame_ext *ext, size_t max,
                          const struct ag_literal *lit, struct sl_buf *out);
/* Decodes only the event times from the first bytes of an encoded frame
 * (AG_FRAME_TIMES_MAX(count) of them are enough) into t[0..count). Returns
 * 0, or -1 when they are not count times. */
int ag_frame_times(const uint8_t *p, size_t n, uint32_t count, int64_t *t);
#define AG_FRAME_TIMES_MAX(count) (20 + (size_t)(count)*10)

#endif
