/*
 * store — segments, blocks, recovery, id filters, scans.
 *
 * A segment file (.seg) is a sequence of blocks, each a 64-byte header and a
 * body: the block's columns (fields with few values: a directory and
 * bit-packed codes per event), a frame table, and frames of at most 256 KiB
 * of events, each its token filter and its zlib stream. A sealed
 * segment also has an index file (.idx, written once: temp file, fsync,
 * rename): the block table, the sorted ids of its events and an id filter.
 * See docs/storage.md.
 */
#include "store.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <libdeflate.h>
#include <zlib.h>

#include "bloom.h"
#include "frame.h"
#include "sl_id.h"
#include "sl_log.h"
#include "sl_time.h"

#define BLK_MAGIC  0x32424c53u /* "SLB2": with a column section */
#define BLK_MAGIC1 0x31424c53u /* "SLB1": read, never written */
/* block flags (header 56..60, index entry 52..56): the keys of each frame's
 * filter are salted by frame (frame_salt), so frames that hold nearly the
 * same keys do not share their false positives */
#define BLK_SALTED 1u
/* the frames' filters are not in the block but the segment's: in memory
 * while it is open, then in its index laid out by bit (seg_filters); they
 * are salted not by frame but by stripe of the segment (stripe_salt). The
 * frame table says no filter, so that a reader without this flag reads the
 * block (without filters) rather than taking it for damage. */
#define BLK_SEGFILT 2u
#define IDX_MAGIC   0x33584c53u /* "SLX3": the ids are the blocks' */
#define IDX_MAGIC2                                                                                 \
	0x32584c53u                  /* "SLX2": sorted ids; still written for a                    \
	                              * segment with blocks of no id section */
#define IDX_MAGIC1       0x31584c53u /* "SLX1": its blocks are SLB1 */
#define BLK_HDR          64
#define IDX_HDR          64
#define IDX_ENT          56
#define IDX_ENT1         48           /* SLX1 */
#define FRAME_RAW        (256u << 10) /* raw bytes of events per frame */
#define FRAME_ENT        16
#define EV_ENT           AG_FRAME_ENT /* per event in a frame's raw data: i64 time, u32 len */
#define FRAME_COLUMNAR   1            /* first byte of a frame's data: the columnar encoding */
#define FRAME_PRE        5            /* that byte and the encoding's length (u32) */
#define FRAME_COLUMNAR_X 2            /* ... the encoding, its hex values beside the zlib stream */
#define FRAME_PRE_X      9            /* that byte, the encoding's length, the hex values' length */
#define BLOOM_BITS       10           /* per key of fields in a frame's filter */
/* per word of message in a frame's filter of words (BLK_SEGFILT): words
 * are a quarter of the keys and what most searches ask for, so their
 * filter errs ~0.06% instead of ~1% for 1.3 bytes per event more */
#define WORD_BITS     17
#define ID_BLOOM_BITS 16
#define NS_PER_DAY    (86400LL * 1000000000LL)

static uint32_t crc(const void *p, size_t n)
{
	return (uint32_t)crc32(0L, p, (uInt)n);
}

/* ================================================================== */
/* Ids                                                                */
/* ================================================================== */

/* hex digit (either case) -> its value, anything else -> 16 */
static uint8_t hexv[256];

static void hexv_init(void)
{
	for (int c = 0; c < 256; c++)
		hexv[c] = (uint8_t)(c >= '0' && c <= '9'   ? c - '0'
		                    : c >= 'a' && c <= 'f' ? c - 'a' + 10
		                    : c >= 'A' && c <= 'F' ? c - 'A' + 10
		                                           : 16);
}

void ag_id_parse(const char *id, uint64_t out[2])
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, hexv_init);
	char tmp[SL_ID_HEX];
	if (strlen(id) != 32) {
		sl_id_make("", id, 0, tmp);
		id = tmp;
	}
	uint64_t w[2];
	unsigned bad = 0;
	for (int h = 0; h < 2; h++) { /* in a register: a half is 16 digits */
		uint64_t x = 0;
		for (int i = 0; i < 16; i++) {
			unsigned v = hexv[(unsigned char)id[16 * h + i]];
			bad |= v;
			x = x << 4 | (v & 15);
		}
		w[h] = x;
	}
	if (bad & 16) {
		sl_id_make("", id, 0, tmp);
		ag_id_parse(tmp, out);
		return;
	}
	out[0] = w[0];
	out[1] = w[1];
	if (!out[0] && !out[1])
		out[1] = 1; /* {0,0} marks an empty slot */
}

static uint64_t id_hash(const uint64_t id[2])
{
	return ag_hash(id, 16);
}

static void idset_grow(struct ag_idset *set);

static size_t idset_slot(const struct ag_idset *set, const uint64_t id[2])
{
	return (size_t)(id[0] ^ (id[1] * 0x9E3779B97F4A7C15ULL)) & (set->cap - 1);
}

/* Adds id (the set grows; freed by idset_free); returns 1 if it was there
 * already. */
static int idset_add(struct ag_idset *set, const uint64_t id[2])
{
	if ((set->n + 1) * 2 > set->cap)
		idset_grow(set);
	size_t mask = set->cap - 1, i = idset_slot(set, id);
	while (set->v[i][0] || set->v[i][1]) {
		if (set->v[i][0] == id[0] && set->v[i][1] == id[1])
			return 1;
		i = (i + 1) & mask;
	}
	set->v[i][0] = id[0];
	set->v[i][1] = id[1];
	set->n++;
	return 0;
}

static int idset_has(const struct ag_idset *set, const uint64_t id[2])
{
	if (!set->cap)
		return 0;
	size_t mask = set->cap - 1, i = idset_slot(set, id);
	while (set->v[i][0] || set->v[i][1]) {
		if (set->v[i][0] == id[0] && set->v[i][1] == id[1])
			return 1;
		i = (i + 1) & mask;
	}
	return 0;
}

/* A zeroed table of cap ids, mapped on its own (unmapped by idset_free).
 * A segment's table grows to 128 MiB and more, and each id added or checked
 * lands on a random page of it: in 2 MiB pages where the kernel gives them,
 * that is one TLB entry per 2 MiB instead of per 4 KiB. */
static uint64_t (*idset_map(size_t cap))[2]
{
	size_t len = cap * sizeof(uint64_t[2]);
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		sl_error("out of memory: %zu bytes for an open segment's ids", len);
		abort();
	}
#ifdef MADV_HUGEPAGE
	if (len >= (2u << 20))
		madvise(p, len, MADV_HUGEPAGE); /* a hint: 4 KiB pages work too */
#endif
	return p;
}

/* Replaces set->v with a table twice the size (freeing the old one). */
static void idset_grow(struct ag_idset *set)
{
	struct ag_idset bigger = {.cap = set->cap ? set->cap * 2 : 1 << 12};
	bigger.v = idset_map(bigger.cap);
	for (size_t i = 0; i < set->cap; i++)
		if (set->v[i][0] || set->v[i][1])
			idset_add(&bigger, set->v[i]);
	if (set->v)
		munmap(set->v, set->cap * sizeof *set->v);
	*set = bigger;
}

static void idset_free(struct ag_idset *set)
{
	if (set->v)
		munmap(set->v, set->cap * sizeof *set->v);
	memset(set, 0, sizeof *set);
}

/* Gives a sealed segment's table to the store as its spare, which the next
 * open segment takes whole (ids_add): the next segment of a steady stream
 * needs as many ids, and so does not grow its table again (each growth
 * re-adds every id and touches fresh pages). */
static void idset_retire(struct ag_store *s, struct ag_idset *set)
{
	if (set->cap > s->spare_ids.cap) {
		idset_free(&s->spare_ids);
		s->spare_ids = *set;
		memset(set, 0, sizeof *set);
	}
	idset_free(set);
}

/* Adds id to g's set of ids, which takes the store's spare table first. */
static void ids_add(struct ag_store *s, struct ag_segment *g, const uint64_t id[2])
{
	if (!g->open_ids.cap && s->spare_ids.cap) {
		g->open_ids = s->spare_ids;
		memset(g->open_ids.v, 0, g->open_ids.cap * sizeof *g->open_ids.v);
		g->open_ids.n = 0;
		memset(&s->spare_ids, 0, sizeof s->spare_ids);
	}
	idset_add(&g->open_ids, id);
}

static int id_cmp(const uint8_t *a, const uint64_t id[2])
{
	uint64_t x0 = sl_get64(a), x1 = sl_get64(a + 8);
	if (x0 != id[0])
		return x0 < id[0] ? -1 : 1;
	if (x1 != id[1])
		return x1 < id[1] ? -1 : 1;
	return 0;
}

static int read_all(int fd, void *p, size_t n, uint64_t off);

/* The id of event pos of sealed segment g (from its block's id section)
 * into out. Returns 0 or -1. */
static int seg_id_at(const struct ag_segment *g, uint64_t pos, uint8_t out[16])
{
	size_t lo = 0, hi = g->nbl;
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		if (g->bl_first[mid] <= pos)
			lo = mid;
		else
			hi = mid;
	}
	if (!g->nbl || pos < g->bl_first[lo] || pos >= g->bl_first[lo + 1])
		return -1;
	return read_all(g->fd, out, 16, g->bl_off[lo] + BLK_HDR + 16 * (pos - g->bl_first[lo]));
}

static uint64_t get_w(const uint8_t *p, unsigned w)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < w; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

/* The i-th id, in id order, of sealed segment g into out: from its sorted
 * ids (an SLX2 index) or through its event order (SLX3). Returns 0 or -1. */
static int sealed_id(const struct ag_segment *g, uint64_t i, uint8_t out[16])
{
	if (!g->perm) {
		memcpy(out, g->ids + i * 16, 16);
		return 0;
	}
	return seg_id_at(g, get_w(g->perm + i * g->perm_w, g->perm_w), out);
}

/* Whether sealed segment g holds an event with id (a binary search). A
 * read error counts as "no": storing an event twice is better than losing
 * it. */
static int sealed_has(const struct ag_segment *g, const uint64_t id[2])
{
	uint64_t lo = 0, hi = g->nids;
	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2;
		uint8_t at[16];
		if (sealed_id(g, mid, at)) {
			sl_error("%s: cannot read an id to check a duplicate", g->path);
			return 0;
		}
		int c = id_cmp(at, id);
		if (!c)
			return 1;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

void ag_store_prefetch(const struct ag_store *s, const uint64_t id[2])
{
	for (size_t i = 0; i < s->nsegs; i++) {
		const struct ag_segment *g = s->segs[i];
		if (!g->sealed && g->open_ids.cap)
			__builtin_prefetch(g->open_ids.v[idset_slot(&g->open_ids, id)]);
	}
}

int ag_store_seen(struct ag_store *s, const uint64_t id[2], int64_t time_ns)
{
	uint64_t h = id_hash(id);
	for (size_t i = 0; i < s->nsegs; i++) {
		struct ag_segment *g = s->segs[i];
		if (g->sealed) {
			/* the same event again has the same time: a sealed segment
			 * whose events are all older or newer cannot hold it */
			if (time_ns && (time_ns < g->tmin || time_ns > g->tmax))
				continue;
			if (ag_bloom_test(g->id_bloom, g->id_bloom_len, h) && sealed_has(g, id))
				return 1;
		} else if (idset_has(&g->open_ids, id)) {
			return 1;
		}
	}
	return 0;
}

/* ================================================================== */
/* Files                                                              */
/* ================================================================== */

static int write_all(int fd, const void *p, size_t n, uint64_t off)
{
	const char *c = p;
	while (n) {
		ssize_t w = pwrite(fd, c, n, (off_t)off);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		c += w;
		n -= (size_t)w;
		off += (uint64_t)w;
	}
	return 0;
}

static int read_all(int fd, void *p, size_t n, uint64_t off)
{
	char *c = p;
	while (n) {
		ssize_t r = pread(fd, c, n, (off_t)off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		c += r;
		n -= (size_t)r;
		off += (uint64_t)r;
	}
	return 0;
}

static int fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int rc = fsync(fd);
	close(fd);
	return rc;
}

/* ================================================================== */
/* Columns (docs/storage.md, "Columns of a block")                    */
/* ================================================================== */

#define COL_VALUES    255  /* distinct values a column holds (codes are bytes) */
#define COL_VALUE_LEN 256  /* a longer value makes its field no column */
#define COL_KEYS      1024 /* field names a block lists; more: the list is partial */
#define COL_COMPLETE  1u   /* flags: every field name of the block is listed */

struct colval {
	uint64_t h;
	uint32_t key, off, len;
	enum ag_ftype type;
	uint8_t code; /* in its key's dictionary */
	double num;
};

struct colkey {
	uint32_t off, klen;               /* name in the arena */
	uint32_t last;                    /* 1 + the last event that had the field */
	int dead;                         /* several values in an event, too many or too long */
	uint32_t dict[COL_VALUES], ndict; /* indexes into vals */
	uint8_t last_code;
	uint8_t *codes; /* per event */
};

/* Builds the columns of one block as its events arrive; freed by
 * colbuild_free. */
struct colbuild {
	struct colkey *k;
	size_t nk, cap_k;
	struct colval *v;
	size_t nv, cap_v;
	struct sl_buf arena;
	uint32_t ktab[2 * COL_KEYS]; /* hash -> 1 + key */
	uint32_t *vtab;              /* hash -> 1 + value */
	size_t vcap;
	size_t nev, cap_ev; /* events added; room in each key's codes */
	int broken, partial;
	uint32_t pos[64]; /* 1 + the key of each field position of the last event */
	struct ag_event ev;
};

static void colbuild_reset(struct colbuild *cb)
{
	for (size_t i = 0; i < cb->nk; i++)
		free(cb->k[i].codes);
	cb->nk = cb->nv = 0;
	sl_buf_reset(&cb->arena);
	memset(cb->ktab, 0, sizeof cb->ktab);
	if (cb->vtab)
		memset(cb->vtab, 0, cb->vcap * sizeof *cb->vtab);
	memset(cb->pos, 0, sizeof cb->pos);
	cb->nev = cb->cap_ev = 0;
	cb->broken = cb->partial = 0;
}

static void colbuild_free(struct colbuild *cb)
{
	colbuild_reset(cb);
	free(cb->k);
	free(cb->v);
	free(cb->vtab);
	sl_buf_free(&cb->arena);
	ag_event_free(&cb->ev);
	memset(cb, 0, sizeof *cb);
}

/* The slot of cb->ktab holding the field name key[0..kl), or the empty one
 * where it would go. */
static size_t col_slot(const struct colbuild *cb, const char *key, size_t kl)
{
	size_t mask = sizeof cb->ktab / sizeof *cb->ktab - 1, i = (size_t)ag_hash(key, kl) & mask;
	for (; cb->ktab[i]; i = (i + 1) & mask) {
		const struct colkey *k = &cb->k[cb->ktab[i] - 1];
		if (k->klen == kl && sl_mem_eq(cb->arena.data + k->off, key, kl))
			break;
	}
	return i;
}

/* The key of a field name, added if new; UINT32_MAX when the list is full. */
static uint32_t col_key(struct colbuild *cb, const char *key, size_t kl, size_t pos)
{
	if (pos < 64 && cb->pos[pos]) {
		const struct colkey *k = &cb->k[cb->pos[pos] - 1];
		if (k->klen == kl && sl_mem_eq(cb->arena.data + k->off, key, kl))
			return cb->pos[pos] - 1;
	}
	size_t i = col_slot(cb, key, kl);
	if (!cb->ktab[i]) {
		if (cb->nk == COL_KEYS) {
			cb->partial = 1;
			return UINT32_MAX;
		}
		if (cb->nk == cb->cap_k) {
			cb->cap_k = cb->cap_k ? cb->cap_k * 2 : 32;
			cb->k = sl_realloc(cb->k, cb->cap_k * sizeof *cb->k);
		}
		struct colkey *k = &cb->k[cb->nk];
		k->off = (uint32_t)cb->arena.len;
		k->klen = (uint32_t)kl;
		k->last = 0;
		k->dead = 0;
		k->ndict = 0;
		k->last_code = 0;
		k->codes = sl_calloc(cb->cap_ev, 1);
		sl_buf_append(&cb->arena, key, kl);
		cb->ktab[i] = (uint32_t)++cb->nk;
	}
	if (pos < 64)
		cb->pos[pos] = cb->ktab[i];
	return cb->ktab[i] - 1;
}

static int colval_eq(const struct colbuild *cb, const struct colval *v, uint32_t key,
                     const struct ag_field *f)
{
	return v->key == key && v->type == f->type && v->len == f->vlen &&
	       sl_mem_eq(cb->arena.data + v->off, f->val, f->vlen);
}

/* The code of f's value in column key (added if new), or 0 when the column
 * is full. */
static uint8_t col_code(struct colbuild *cb, uint32_t key, const struct ag_field *f)
{
	struct colkey *k = &cb->k[key];
	if (k->last_code && colval_eq(cb, &cb->v[k->dict[k->last_code - 1]], key, f))
		return k->last_code;
	uint64_t h =
	    ag_hash(f->val, f->vlen) ^ (((uint64_t)key << 8 | f->type) * 0x9E3779B97F4A7C15ULL);
	if ((cb->nv + 1) * 2 > cb->vcap) {
		free(cb->vtab);
		cb->vcap = cb->vcap ? cb->vcap * 2 : 1024;
		cb->vtab = sl_calloc(cb->vcap, sizeof *cb->vtab);
		for (size_t j = 0; j < cb->nv; j++) {
			size_t i = (size_t)cb->v[j].h & (cb->vcap - 1);
			while (cb->vtab[i])
				i = (i + 1) & (cb->vcap - 1);
			cb->vtab[i] = (uint32_t)j + 1;
		}
	}
	size_t i = (size_t)h & (cb->vcap - 1);
	for (; cb->vtab[i]; i = (i + 1) & (cb->vcap - 1)) {
		const struct colval *v = &cb->v[cb->vtab[i] - 1];
		if (v->h == h && colval_eq(cb, v, key, f))
			return k->last_code = v->code;
	}
	if (k->ndict == COL_VALUES)
		return 0;
	if (cb->nv == cb->cap_v) {
		cb->cap_v = cb->cap_v ? cb->cap_v * 2 : 256;
		cb->v = sl_realloc(cb->v, cb->cap_v * sizeof *cb->v);
	}
	struct colval *v = &cb->v[cb->nv];
	*v = (struct colval){.h = h,
	                     .key = key,
	                     .off = (uint32_t)cb->arena.len,
	                     .len = (uint32_t)f->vlen,
	                     .type = f->type,
	                     .code = (uint8_t)(k->ndict + 1),
	                     .num = f->num};
	sl_buf_append(&cb->arena, f->val, f->vlen);
	cb->vtab[i] = (uint32_t)++cb->nv;
	k->dict[k->ndict++] = (uint32_t)cb->nv - 1;
	return k->last_code = (uint8_t)k->ndict;
}

/* Adds the next event (flattened; NULL: it did not parse) to the columns. */
static void col_event(struct colbuild *cb, const struct ag_event *ev)
{
	uint32_t j = (uint32_t)cb->nev++;
	if (cb->broken)
		return;
	if (!ev || ev->key_nul) {
		/* such a block has no columns (the evaluator sees a name with a
		 * NUL cut there) */
		cb->broken = 1;
		return;
	}
	if (cb->nev > cb->cap_ev) {
		size_t cap = cb->cap_ev ? cb->cap_ev * 2 : 256;
		for (size_t i = 0; i < cb->nk; i++) {
			cb->k[i].codes = sl_realloc(cb->k[i].codes, cap);
			memset(cb->k[i].codes + cb->cap_ev, 0, cap - cb->cap_ev);
		}
		cb->cap_ev = cap;
	}
	for (size_t i = 0; i < ev->n; i++) {
		const struct ag_field *f = &ev->f[i];
		uint32_t key = col_key(cb, f->key, f->klen, i);
		if (key == UINT32_MAX)
			continue;
		struct colkey *k = &cb->k[key];
		if (k->last == j + 1)
			k->dead = 1;
		k->last = j + 1;
		if (k->dead)
			continue;
		uint8_t code = f->vlen <= COL_VALUE_LEN ? col_code(cb, key, f) : 0;
		if (!code)
			k->dead = 1;
		else
			k->codes[j] = code;
	}
}

static void buf_put(struct sl_buf *b, const void *p, size_t n)
{
	sl_buf_append(b, p, n);
}

static void buf_u32(struct sl_buf *b, uint32_t v)
{
	uint8_t x[4];
	sl_put32(x, v);
	buf_put(b, x, 4);
}

static void buf_u16(struct sl_buf *b, uint16_t v)
{
	uint8_t x[2] = {(uint8_t)v, (uint8_t)(v >> 8)};
	buf_put(b, x, 2);
}

/* 1 if key k of the block is a column: one scalar value per event, and few
 * distinct values (at most 16, or one for every 8 events): a column of
 * values that barely repeat would cost more than it saves. */
static int col_kept(const struct colbuild *cb, const struct colkey *k)
{
	return !k->dead && (k->ndict <= 16 || k->ndict * 8 <= cb->nev);
}

/* Bits a code of a column of nd values takes (codes 0..nd). */
static unsigned code_bits(size_t nd)
{
	unsigned w = 1;
	while (((size_t)1 << w) <= nd)
		w++;
	return w;
}

/* Appends the codes of column k packed in w bits each (little-endian bit
 * order) to out. */
static void buf_pack(struct sl_buf *out, const uint8_t *codes, size_t nev, unsigned w)
{
	size_t len = (nev * w + 7) / 8;
	uint8_t *p = (uint8_t *)sl_buf_reserve(out, len);
	memset(p, 0, len);
	for (size_t j = 0, pos = 0; j < nev; j++, pos += w) {
		p[pos / 8] |= (uint8_t)(codes[j] << (pos % 8));
		if (pos % 8 + w > 8)
			p[pos / 8 + 1] |= (uint8_t)(codes[j] >> (8 - pos % 8));
	}
	sl_buf_commit(out, len);
}

/* Writes the column section of a block into out (reset first; left empty
 * for a block without columns): the directory, then the codes of each
 * column packed in as few bits as its values need (none when every event
 * has its one value). Nothing is compressed: a search reads a few KiB of
 * it per block, and unpacking costs far less than inflating. *dir_len gets
 * the directory's length. */
static void col_write(const struct colbuild *cb, struct sl_buf *out, uint32_t *dir_len)
{
	sl_buf_reset(out);
	*dir_len = 0;
	if (cb->broken || !cb->nev)
		return;
	struct sl_buf codes = {0};
	uint32_t *zoff = sl_calloc(cb->nk ? cb->nk : 1, 2 * sizeof *zoff);
	for (size_t i = 0; i < cb->nk; i++) {
		const struct colkey *k = &cb->k[i];
		if (!col_kept(cb, k))
			continue;
		size_t j = 0;
		while (k->ndict == 1 && j < cb->nev && k->codes[j] == 1)
			j++;
		zoff[2 * i] = (uint32_t)codes.len;
		zoff[2 * i + 1] = j == cb->nev ? 0 : code_bits(k->ndict);
		buf_pack(&codes, k->codes, cb->nev, zoff[2 * i + 1]);
	}
	buf_u32(out, (uint32_t)cb->nev);
	buf_u32(out, (uint32_t)cb->nk);
	buf_u32(out, cb->partial ? 0 : COL_COMPLETE);
	for (size_t i = 0; i < cb->nk; i++) {
		const struct colkey *k = &cb->k[i];
		buf_u16(out, (uint16_t)k->klen);
		buf_put(out, cb->arena.data + k->off, k->klen);
		sl_buf_putc(out, '\0');
		uint8_t nd = col_kept(cb, k) ? (uint8_t)k->ndict : 0;
		buf_put(out, &nd, 1);
		for (uint32_t d = 0; d < nd; d++) {
			const struct colval *v = &cb->v[k->dict[d]];
			uint8_t t = (uint8_t)v->type, num[8];
			buf_put(out, &t, 1);
			buf_u16(out, (uint16_t)v->len);
			buf_put(out, cb->arena.data + v->off, v->len);
			sl_buf_putc(out, '\0');
			if (v->type == AG_F_NUM) {
				uint64_t bits;
				memcpy(&bits, &v->num, 8);
				sl_put64(num, bits);
				buf_put(out, num, 8);
			}
		}
		if (nd) {
			buf_u32(out, zoff[2 * i]);
			buf_put(out, &(uint8_t){(uint8_t)zoff[2 * i + 1]}, 1);
		}
	}
	*dir_len = (uint32_t)out->len;
	buf_put(out, codes.data, codes.len);
	sl_buf_free(&codes);
	free(zoff);
}

/* The decoded columns of one block; reused, freed by colread_free. */
struct colread {
	const struct ag_block *blk; /* whose section it holds, or NULL */
	struct sl_buf sec;          /* the section as read */
	const uint8_t *streams;     /* the code streams, in sec */
	size_t streams_len;
	struct ag_column *c;
	uint32_t *zoff; /* per column: offset and bits of its packed codes */
	size_t cap_c;
	struct ag_field *f;
	size_t cap_f;
	uint8_t *codes; /* nev bytes per column, inflated when needed */
	size_t cap_codes;
	struct ag_columns cs;
	uint64_t *yes, *maybe;
	size_t cap_w;
	/* the values of blk's columns as events write them (cr_render), in
	 * the order of f; rend_blk: the block they are of */
	const struct ag_block *rend_blk;
	struct sl_buf rend;
	const char **rv;
	uint32_t *rl;
	size_t cap_r;
};

static void colread_free(struct colread *cr)
{
	sl_buf_free(&cr->rend);
	free(cr->rv);
	free(cr->rl);
	sl_buf_free(&cr->sec);
	free(cr->c);
	free(cr->zoff);
	free(cr->f);
	free(cr->codes);
	free(cr->yes);
	memset(cr, 0, sizeof *cr);
}

/* Unpacks groups * 8 codes of w bits (8 of them in w bytes, from the
 * lowest bit) from p into dst. Returns 1 if one is over nd. Inlined, so
 * that a constant w makes the shifts constants too. */
static inline __attribute__((always_inline)) unsigned
unpack8(const uint8_t *p, uint8_t *dst, size_t groups, unsigned w, unsigned nd)
{
	unsigned bad = 0, mask = (1u << w) - 1;
	for (size_t g = 0; g < groups; g++, p += w, dst += 8) {
		uint64_t v = 0;
#pragma GCC unroll 8
		for (unsigned b = 0; b < w; b++)
			v |= (uint64_t)p[b] << (8 * b);
		uint8_t x[8];
#pragma GCC unroll 8
		for (unsigned k = 0; k < 8; k++) {
			x[k] = (uint8_t)((unsigned)(v >> (k * w)) & mask);
			bad |= x[k] > nd;
		}
		memcpy(dst, x, 8);
	}
	return bad;
}

/* Unpacks the codes of column c (of cr) and checks them: the loader of
 * struct ag_columns. Returns 0 or -1. */
static int col_load(void *ud, struct ag_column *c)
{
	struct colread *cr = ud;
	size_t i = (size_t)(c - cr->c), nev = cr->cs.nev;
	uint32_t off = cr->zoff[2 * i], w = cr->zoff[2 * i + 1];
	size_t len = (nev * w + 7) / 8;
	if (!c->is_col || w > 8 || off > cr->streams_len || len > cr->streams_len - off)
		return -1;
	uint8_t *dst = cr->codes + i * nev;
	const uint8_t *p = cr->streams + off; /* the section has a zero byte past its end */
	/* in locals: a store to dst (bytes) could be any of them to the compiler */
	unsigned mask = (1u << w) - 1, bad = 0, have = 0, nd = (unsigned)c->ndict;
	if (!w)
		memset(dst, 1, nev); /* every event has the one value */
	/* the codes, w bits each from the lowest: 8 of them in w bytes; the
	 * loop over widths unrolled, so unpack8 has w as a constant */
	size_t j = 0, groups = w ? nev / 8 : 0;
#pragma GCC unroll 8
	for (unsigned k = 1; k <= 8; k++)
		if (w == k)
			bad = unpack8(p, dst, groups, k, nd);
	j = groups * 8;
	p += groups * w;
	/* the last few: a byte in when fewer bits are left */
	uint64_t acc = 0;
	for (; w && j < nev; j++) {
		if (have < w) {
			acc |= (uint64_t)*p++ << have;
			have += 8;
		}
		unsigned x = (unsigned)acc & mask;
		acc >>= w;
		have -= w;
		bad |= x > nd;
		dst[j] = (uint8_t)x;
	}
	if (bad)
		return -1;
	c->codes = dst;
	return 0;
}

/* Decodes the directory dir[0..n) of a block of nev events into cr->cs
 * (pointing into dir; codes are loaded when needed). Returns 0, or -1 when
 * it is inconsistent. */
static int col_decode(struct colread *cr, const uint8_t *p, size_t n, uint32_t nev)
{
	const uint8_t *e = p + n;
	if (n < 12 || sl_get32(p) != nev)
		return -1;
	uint32_t nk = sl_get32(p + 4), flags = sl_get32(p + 8);
	p += 12;
	if (nk > COL_KEYS)
		return -1;
	if (nk > cr->cap_c) {
		cr->cap_c = nk;
		cr->c = sl_realloc(cr->c, nk * sizeof *cr->c);
		cr->zoff = sl_realloc(cr->zoff, 2 * nk * sizeof *cr->zoff);
	}
	size_t nf = 0;
	for (uint32_t i = 0; i < nk; i++) {
		if (e - p < 2)
			return -1;
		size_t kl = (size_t)p[0] | (size_t)p[1] << 8;
		if ((size_t)(e - p) < 2 + kl + 2 || p[2 + kl] != '\0' || memchr(p + 2, '\0', kl))
			return -1;
		struct ag_column *c = &cr->c[i];
		c->key = (const char *)p + 2;
		c->klen = kl;
		c->codes = NULL;
		p += 2 + kl + 1;
		c->ndict = *p++;
		c->is_col = c->ndict > 0;
		c->dict =
		    (const struct ag_field *)(uintptr_t)nf; /* an index until f stops moving */
		if (nf + c->ndict > cr->cap_f) {
			cr->cap_f = (nf + c->ndict) * 2;
			cr->f = sl_realloc(cr->f, cr->cap_f * sizeof *cr->f);
		}
		for (size_t d = 0; d < c->ndict; d++) {
			if (e - p < 3)
				return -1;
			struct ag_field *f = &cr->f[nf++];
			size_t vl = (size_t)p[1] | (size_t)p[2] << 8, nl = p[0] == AG_F_NUM ? 8 : 0;
			if (p[0] > AG_F_NULL || (size_t)(e - p) < 3 + vl + 1 + nl ||
			    p[3 + vl] != '\0')
				return -1;
			*f = (struct ag_field){.key = c->key,
			                       .klen = kl,
			                       .val = (const char *)p + 3,
			                       .vlen = vl,
			                       .type = (enum ag_ftype)p[0]};
			if (nl) {
				uint64_t bits = sl_get64(p + 3 + vl + 1);
				memcpy(&f->num, &bits, 8);
			}
			p += 3 + vl + 1 + nl;
		}
		cr->zoff[2 * i] = cr->zoff[2 * i + 1] = 0;
		if (c->is_col) {
			if (e - p < 5)
				return -1;
			cr->zoff[2 * i] = sl_get32(p);
			cr->zoff[2 * i + 1] = p[4];
			p += 5;
		}
	}
	if (p != e)
		return -1;
	for (uint32_t i = 0; i < nk; i++)
		cr->c[i].dict = cr->f + (uintptr_t)cr->c[i].dict;
	if ((size_t)nk * nev > cr->cap_codes) {
		cr->cap_codes = (size_t)nk * nev;
		free(cr->codes);
		cr->codes = sl_malloc(cr->cap_codes);
	}
	cr->cs = (struct ag_columns){.c = cr->c,
	                             .n = nk,
	                             .complete = (flags & COL_COMPLETE) != 0,
	                             .nev = nev,
	                             .load = col_load,
	                             .ud = cr};
	size_t nw = (nev + 63) / 64;
	if (nw > cr->cap_w) {
		cr->cap_w = nw;
		free(cr->yes);
		cr->yes = sl_malloc(2 * nw * sizeof *cr->yes);
		cr->maybe = cr->yes + nw;
	}
	return 0;
}

/* Reads block b's column section and decodes its directory into cr (codes
 * are unpacked when a query needs them). Returns 0 or -1. */
static int block_columns(const struct ag_block *b, struct colread *cr)
{
	sl_buf_reset(&cr->sec);
	uint8_t *sp = (uint8_t *)sl_buf_reserve(&cr->sec, (size_t)b->col_len + 1);
	if (b->col_raw > b->col_len ||
	    read_all(b->seg->fd, sp, b->col_len, b->off + BLK_HDR + b->bloom_len))
		return -1;
	sp[b->col_len] = 0; /* for unpacking codes two bytes at a time */
	cr->streams = sp + b->col_raw;
	cr->streams_len = b->col_len - b->col_raw;
	cr->blk = cr->rend_blk = NULL;
	if (col_decode(cr, sp, b->col_raw, b->count))
		return -1;
	cr->blk = b;
	return 0;
}

/* ag_frame_ext over a block's column builder (writing) and over its
 * column section (reading; loaded when a frame first needs it). */
static int cb_find(void *ud, const char *key, size_t kl)
{
	const struct colbuild *cb = ud;
	if (cb->broken)
		return -1;
	uint32_t k = cb->ktab[col_slot(cb, key, kl)];
	return k && col_kept(cb, &cb->k[k - 1]) ? (int)k - 1 : -1;
}

static int cb_match(void *ud, int h, uint32_t ev, const char *v, size_t vl)
{
	const struct colbuild *cb = ud;
	const struct colkey *k = &cb->k[h];
	if (ev >= cb->nev || !k->codes[ev])
		return 0;
	const struct colval *cv = &cb->v[k->dict[k->codes[ev] - 1]];
	const char *t = cb->arena.data + cv->off;
	/* a string with escapes is longer as written than its text + 2 */
	if (cv->type == AG_F_STR)
		return vl == cv->len + 2 && v[0] == '"' && v[vl - 1] == '"' &&
		       sl_mem_eq(v + 1, t, cv->len);
	return vl == cv->len && sl_mem_eq(v, t, vl);
}

struct cr_ext {
	struct colread *cr;
	const struct ag_block *b;
};

static int cr_find(void *ud, const char *key, size_t kl)
{
	struct cr_ext *x = ud;
	struct colread *cr = x->cr;
	if (cr->blk != x->b && (!x->b->col_len || block_columns(x->b, cr)))
		return -1;
	for (size_t i = 0; i < cr->cs.n; i++)
		if (cr->c[i].is_col && cr->c[i].klen == kl && !memcmp(cr->c[i].key, key, kl))
			return (int)i;
	return -1;
}

/* Renders the values of every column of cr's block as events write them:
 * strings quoted (a column's strings have no escapes in the frames that
 * use it), the rest as they are; once a block. */
static void cr_render(struct colread *cr)
{
	if (cr->rend_blk == cr->blk)
		return;
	size_t nf = 0, text = 0;
	for (size_t k = 0; k < cr->cs.n; k++) {
		const struct ag_column *c = &cr->c[k];
		if (!c->is_col)
			continue;
		size_t end = (size_t)(c->dict - cr->f) + c->ndict;
		nf = end > nf ? end : nf;
		for (size_t d = 0; d < c->ndict; d++)
			text += c->dict[d].vlen + 2;
	}
	if (nf > cr->cap_r) {
		cr->cap_r = nf;
		cr->rv = sl_realloc(cr->rv, nf * sizeof *cr->rv);
		cr->rl = sl_realloc(cr->rl, nf * sizeof *cr->rl);
	}
	sl_buf_reset(&cr->rend);
	char *t = sl_buf_reserve(&cr->rend, text + 1);
	for (size_t k = 0; k < cr->cs.n; k++) {
		const struct ag_column *c = &cr->c[k];
		for (size_t d = 0; c->is_col && d < c->ndict; d++) {
			const struct ag_field *f = &c->dict[d];
			size_t at = (size_t)(f - cr->f);
			int q = f->type == AG_F_STR;
			cr->rv[at] = t;
			cr->rl[at] = (uint32_t)(f->vlen + 2 * q);
			if (q)
				*t++ = '"';
			memcpy(t, f->val, f->vlen);
			t += f->vlen;
			if (q)
				*t++ = '"';
		}
	}
	cr->rend_blk = cr->blk;
}

static long cr_values(void *ud, int h, const uint8_t **codes, size_t *ncodes,
                      const char *const **val, const uint32_t **len)
{
	struct cr_ext *x = ud;
	struct colread *cr = x->cr;
	struct ag_column *c = &cr->c[h];
	if (cr->blk != x->b || (!c->codes && col_load(cr, c)))
		return -1;
	cr_render(cr);
	*codes = c->codes;
	*ncodes = cr->cs.nev;
	*val = cr->rv + (c->dict - cr->f);
	*len = cr->rl + (c->dict - cr->f);
	return (long)c->ndict;
}

/* block_columns, and every column's codes inflated and checked. */
static int block_columns_check(const struct ag_block *b, struct colread *cr)
{
	if (block_columns(b, cr))
		return -1;
	for (size_t i = 0; i < cr->cs.n; i++)
		if (cr->c[i].is_col && col_load(cr, &cr->c[i]))
			return -1;
	return 0;
}

/* ================================================================== */
/* Segments                                                           */
/* ================================================================== */

static void day_str(int64_t day, char out[32])
{
	time_t t = (time_t)(day * 86400);
	struct tm tm;
	gmtime_r(&t, &tm);
	snprintf(out, 32, "%04d%02d%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

static int64_t day_of(int64_t ns)
{
	int64_t d = ns / NS_PER_DAY;
	if (ns < 0 && d * NS_PER_DAY != ns)
		d--;
	return d;
}

/* Allocates a segment (freed by seg_free) and adds it to the store. */
static struct ag_segment *seg_new(struct ag_store *s, const char *path, const char *cls,
                                  int64_t day, uint64_t gen)
{
	struct ag_segment *g = sl_calloc(1, sizeof *g);
	g->path = sl_strdup(path);
	g->fd = -1;
	g->ifd = -1;
	snprintf(g->cls, sizeof g->cls, "%s", cls);
	g->day = day;
	g->gen = gen;
	g->tmin = INT64_MAX;
	g->tmax = INT64_MIN;
	if (s->nsegs == s->cap_segs) {
		s->cap_segs = s->cap_segs ? s->cap_segs * 2 : 16;
		s->segs = sl_realloc(s->segs, s->cap_segs * sizeof *s->segs);
	}
	g->ix = s->nsegs;
	s->segs[s->nsegs++] = g;
	if (gen >= s->next_gen)
		s->next_gen = gen + 1;
	return g;
}

/* Frees the column builders of g's pending events. */
static void cbs_free(struct ag_segment *g)
{
	for (size_t i = 0; i < g->ncb; i++) {
		colbuild_free(g->cbs[i]);
		free(g->cbs[i]);
	}
	g->ncb = 0;
	g->cb_bytes = 0;
}

/* Frees the groups of a segment's frame filters (fgroups_read). */
static void fgroups_free(struct ag_fgroup *fg, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(fg[i].fno);
	free(fg);
}

static void seg_free(struct ag_segment *g)
{
	if (g->fd >= 0)
		close(g->fd);
	if (g->ifd >= 0)
		close(g->ifd);
	fgroups_free(g->fg, g->nfg);
	if (g->map)
		munmap(g->map, g->map_len);
	idset_free(&g->open_ids);
	free(g->bl_first);
	free(g->bl_off);
	sl_buf_free(&g->pend);
	free(g->pe);
	free(g->keys);
	free(g->spans);
	cbs_free(g);
	free(g->cbs);
	free(g->path);
	free(g);
}

/* Reads a block header's fields into b. */
static void hdr_decode(const uint8_t *h, struct ag_block *b)
{
	b->count = sl_get32(h + 12);
	b->raw_len = sl_get32(h + 16);
	b->zlen = sl_get32(h + 20);
	b->bloom_len = sl_get32(h + 24);
	b->col_len = sl_get32(h + 28);
	b->tmin = (int64_t)sl_get64(h + 32);
	b->tmax = (int64_t)sl_get64(h + 40);
	b->col_raw = sl_get32(h + 48);
	b->nframes = sl_get32(h + 52);
	b->flags = sl_get32(h + 56);
}

/* What the keys of frame i of a block whose oldest event is at tmin are
 * XORed with in its filter (BLK_SALTED). Without it a word a filter
 * wrongly lets through is let through by most frames of the store, whose
 * filters hold mostly the same keys at the same places: a needle measured
 * 3.8% of frames instead of ~1%. */
static uint64_t frame_salt(int64_t tmin, size_t i)
{
	uint64_t x = (uint64_t)tmin * 0x9E3779B97F4A7C15ULL + (i + 1) * 0xC2B2AE3D27D4EB4FULL;
	x ^= x >> 31;
	x *= 0xbf58476d1ce4e5b9ULL;
	return x ^ (x >> 29);
}

/* Bytes of a block's body: filter, columns, events. */
static uint64_t body_len(const struct ag_block *b)
{
	return (uint64_t)b->bloom_len + b->col_len + b->zlen;
}

/* Allocates a copy of tmpl (freed by ag_store_close) and publishes it; the
 * caller holds the write lock or is alone. */
static void block_add(struct ag_store *s, struct ag_segment *g, const struct ag_block *tmpl)
{
	struct ag_block *b = sl_malloc(sizeof *b);
	*b = *tmpl;
	b->seg = g;
	b->frame0 = g->nfr;
	g->nfr += b->nframes ? b->nframes : 1;
	if (s->nblocks == s->cap_blocks) {
		s->cap_blocks = s->cap_blocks ? s->cap_blocks * 2 : 256;
		s->blocks = sl_realloc(s->blocks, s->cap_blocks * sizeof *s->blocks);
	}
	s->blocks[s->nblocks++] = b;
	s->events += b->count;
	s->raw_bytes += b->raw_len;
	s->disk_bytes += BLK_HDR + body_len(b);
	g->nevents += b->count;
	g->raw_bytes += b->raw_len;
	if (b->tmin < g->tmin)
		g->tmin = b->tmin;
	if (b->tmax > g->tmax)
		g->tmax = b->tmax;
}

static void idx_path(const struct ag_segment *g, char *out, size_t n)
{
	snprintf(out, n, "%.*s.idx", (int)(strlen(g->path) - 4), g->path);
}

static int id_pair_cmp(const void *a, const void *b)
{
	const uint64_t *x = a, *y = b;
	if (x[0] != y[0])
		return x[0] < y[0] ? -1 : 1;
	if (x[1] != y[1])
		return x[1] < y[1] ? -1 : 1;
	return 0;
}

/* Whether a block keeps its events' ids in an id section (16 bytes each,
 * after its header, where the first format had its filter). */
static int has_ids(const struct ag_block *b)
{
	return b->nframes && b->bloom_len && b->bloom_len == 16ull * b->count;
}

/* Sets g's per-block tables (first event, offset; owned by g) from the
 * store's blocks of g, in order. Returns its number of events. */
static uint64_t seg_block_table(struct ag_store *s, struct ag_segment *g)
{
	size_t nb = 0;
	for (size_t i = 0; i < s->nblocks; i++)
		nb += s->blocks[i]->seg == g;
	free(g->bl_first);
	free(g->bl_off);
	g->bl_first = sl_malloc((nb + 1) * sizeof *g->bl_first);
	g->bl_off = sl_malloc((nb + 1) * sizeof *g->bl_off);
	g->nbl = 0;
	uint64_t ev = 0;
	for (size_t i = 0; i < s->nblocks; i++) {
		const struct ag_block *b = s->blocks[i];
		if (b->seg != g)
			continue;
		g->bl_first[g->nbl] = ev;
		g->bl_off[g->nbl++] = b->off;
		ev += b->count;
	}
	g->bl_first[g->nbl] = ev;
	return ev;
}

struct id_pos {
	uint64_t id[2];
	uint64_t pos;
};

static int id_pos_cmp(const void *a, const void *b)
{
	return id_pair_cmp(((const struct id_pos *)a)->id, ((const struct id_pos *)b)->id);
}

/* Sorts v[0..n) by id: moves its elements into 256 buckets by byte `shift`
 * of id[0] (in place: American flag sort), then each bucket by the next
 * byte, down to the top 16 bits; what is left of a bucket by insertion, or
 * by qsort when it is large. 256 buckets a pass keep the places being
 * written few enough to stay in cache: one pass over 65,536 buckets missed
 * it on nearly every move (2.3M ids, a full segment's: 383 -> 175 ms). */
static void id_pos_flag(struct id_pos *v, size_t n, unsigned shift)
{
	if (n < 64) { /* insertion: the few ids a bucket ends with */
		for (size_t i = 1; i < n; i++) {
			struct id_pos x = v[i];
			size_t j = i;
			for (; j && id_pair_cmp(x.id, v[j - 1].id) < 0; j--)
				v[j] = v[j - 1];
			v[j] = x;
		}
		return;
	}
	if (shift < 48) {
		qsort(v, n, sizeof *v, id_pos_cmp);
		return;
	}
	size_t at[257] = {0}, next[256];
	for (size_t i = 0; i < n; i++)
		at[((v[i].id[0] >> shift) & 0xff) + 1]++;
	for (size_t b = 0; b < 256; b++) {
		at[b + 1] += at[b];
		next[b] = at[b];
	}
	for (size_t b = 0; b < 256; b++)
		while (next[b] < at[b + 1]) {
			struct id_pos x = v[next[b]];
			size_t d = (size_t)((x.id[0] >> shift) & 0xff);
			while (d != b) { /* put x in its bucket, take what was there */
				struct id_pos y = v[next[d]];
				v[next[d]++] = x;
				x = y;
				d = (size_t)((x.id[0] >> shift) & 0xff);
			}
			v[next[b]++] = x;
		}
	for (size_t b = 0; b < 256; b++)
		if (at[b + 1] - at[b] > 1)
			id_pos_flag(v + at[b], at[b + 1] - at[b], shift - 8);
}

/* Sorts v[0..n) by id (ids are hashes, so the buckets by their top bits
 * are even). */
static void id_pos_sort(struct id_pos *v, size_t n)
{
	id_pos_flag(v, n, 56);
}

/* ------------------------------------------------------------------ */
/* The frames' filters of a segment (BLK_SEGFILT)                     */
/* ------------------------------------------------------------------ */

#define STRIPE_SHIFT 9 /* a stripe: 512 frames of a segment, one salt */
#define SEC_GRP      32

/* The size of a frame's filter for n keys: ag_bloom_size at bits per key,
 * rounded to the nearest of 16 sizes per doubling, so the frames of a
 * segment fall in few sizes (the filters of one size are laid out
 * together in the index). */
static uint32_t segfilt_size(size_t n, unsigned bits)
{
	size_t l = ag_bloom_size(n, bits) / AG_BLOOM_BLOCK;
	unsigned e = 0;
	while ((l >> e) > 31)
		e++;
	if (e)
		l = ((l + (1u << (e - 1))) >> e) << e;
	return (uint32_t)(l * AG_BLOOM_BLOCK);
}

/* What the keys of frame fno of g are XORed with in its filter: one salt
 * per stripe of 512 frames. Frames of one service hold mostly the same
 * keys, so with one salt for all, a word one filter wrongly lets through
 * most of them let through (a needle measured 3.8% of frames instead of
 * ~1%); frames laid out together must share theirs. */
static uint64_t stripe_salt(const struct ag_segment *g, uint32_t fno, int word)
{
	/* frame_salt's mix, of the segment and the kind for a time */
	int64_t seed = (int64_t)((uint64_t)g->day << 32 ^ g->gen << 1 ^ (uint64_t)word);
	return frame_salt(seed, fno >> STRIPE_SHIFT);
}

/* Sets the bits of the n keys of frame fno of g in its filter f (size
 * bytes, zeroed) of words or of fields' keys. */
static void segfilt_fill(const struct ag_segment *g, uint32_t fno, int word, uint8_t *f,
                         size_t size, const uint64_t *keys, size_t n)
{
	uint64_t salt = stripe_salt(g, fno, word);
	for (size_t i = 0; i < n; i++)
		ag_bloom_add(f, size, keys[i] ^ salt);
}

/* An 8x8 bit matrix transposed: bit j of byte i goes to bit i of byte j. */
static uint64_t transpose8(uint64_t x)
{
	uint64_t t;
	t = (x ^ (x >> 7)) & 0x00AA00AA00AA00AAULL;
	x ^= t ^ (t << 7);
	t = (x ^ (x >> 14)) & 0x0000CCCC0000CCCCULL;
	x ^= t ^ (t << 14);
	t = (x ^ (x >> 28)) & 0x00000000F0F0F0F0ULL;
	x ^= t ^ (t << 28);
	return x;
}

/* Frame fi's two filters in a block's mf (struct ag_block): f[0], size[0]
 * its fields' keys', f[1], size[1] its words'. mf is u32 frames, then per
 * frame u32 size of each and the two filters (frame_filters). */
static void mf_frame(const uint8_t *mf, size_t fi, const uint8_t *f[2], uint32_t size[2])
{
	const uint8_t *p = mf + 4;
	for (size_t i = 0; i < fi; i++)
		p += 8 + (size_t)sl_get32(p) + sl_get32(p + 4);
	size[0] = sl_get32(p);
	size[1] = sl_get32(p + 4);
	f[0] = p + 8;
	f[1] = p + 8 + size[0];
}

struct fent {
	uint32_t size, fno;
	int word;
	const uint8_t *f;
};

/* 0 when a and b go in one group of the filter section */
static int fent_group_cmp(const struct fent *x, const struct fent *y)
{
	uint32_t sx = x->fno >> STRIPE_SHIFT, sy = y->fno >> STRIPE_SHIFT;
	if (sx != sy)
		return sx < sy ? -1 : 1;
	if (x->word != y->word)
		return x->word - y->word;
	if (x->size != y->size)
		return x->size < y->size ? -1 : 1;
	return 0;
}

static int fent_cmp(const void *a, const void *b)
{
	const struct fent *x = a, *y = b;
	int c = fent_group_cmp(x, y);
	if (c)
		return c;
	return x->fno < y->fno ? -1 : x->fno > y->fno;
}

/* u64 words of the rows of a group of nf filters of size bytes: one bit
 * per frame and bit of the filter, packed, and one word more (a row is
 * read 64 bits at a time from any bit) */
static size_t sec_words(size_t nf, size_t size)
{
	return (8 * size * nf + 63) / 64 + 1;
}

/* Appends the filter section of g's index to out (nothing when no block of
 * g keeps its filters in the segment): u32 groups, then per group (the
 * filters of words or of fields' keys of one stripe's frames, of one size)
 * u32 size, u32 frames, u32 kind (1: words), u32 0, u64 salt, u64 offset
 * of its data in the section; a group's data is its frames' numbers
 * (u32 each, ascending, padded to 8 bytes), then its rows as little-endian
 * u64 words (sec_words): bit r * frames + j is bit r of its j-th frame's
 * filter, so a key is tested for all the frames of a group by reading 7
 * rows. */
static void seg_filters(struct ag_store *s, struct ag_segment *g, struct sl_buf *out)
{
	size_t n = 0, cap = 0;
	struct fent *fe = NULL;
	for (size_t i = 0; i < s->nblocks; i++) {
		const struct ag_block *b = s->blocks[i];
		if (b->seg != g || !(b->flags & BLK_SEGFILT) || !b->mf)
			continue;
		for (uint32_t k = 0; k < sl_get32(b->mf); k++) {
			const uint8_t *f[2];
			uint32_t size[2];
			mf_frame(b->mf, k, f, size);
			if (n + 2 > cap)
				fe = sl_realloc(fe, (cap = cap ? 2 * cap : 1024) * sizeof *fe);
			for (int w = 0; w < 2; w++)
				fe[n++] = (struct fent){size[w], b->frame0 + k, w, f[w]};
		}
	}
	if (!n)
		return;
	qsort(fe, n, sizeof *fe, fent_cmp);
	size_t ng = 0;
	for (size_t i = 0; i < n; i++)
		ng += !i || fent_group_cmp(&fe[i - 1], &fe[i]);
	size_t base = out->len, at = 4 + ng * SEC_GRP;
	uint8_t *h = (uint8_t *)sl_buf_reserve(out, at);
	memset(h, 0, at);
	sl_put32(h, (uint32_t)ng);
	sl_buf_commit(out, at);
	size_t gi = 0;
	for (size_t a = 0, z; a < n; a = z) {
		for (z = a + 1; z < n && !fent_group_cmp(&fe[a], &fe[z]); z++)
			;
		size_t nf = z - a, size = fe[a].size, nw = sec_words(nf, size);
		size_t fl = (4 * nf + 7) & ~(size_t)7, rl = 8 * nw;
		uint8_t *d = (uint8_t *)sl_buf_reserve(out, fl + rl);
		memset(d, 0, fl + rl);
		for (size_t k = 0; k < nf; k++)
			sl_put32(d + 4 * k, fe[a + k].fno);
		/* bit r * nf + j: bit r of frame j's filter; 8 frames at a time,
		 * each byte of theirs transposed into 8 rows' bytes, byte p of
		 * every frame before byte p + 1 (so the rows are written in order
		 * and the frames' bytes read stay in the cache) */
		uint64_t *rows = sl_calloc(nw, sizeof *rows);
		for (size_t p = 0; p < size; p++) {
			for (size_t c = 0; c < nf; c += 8) {
				uint64_t x = 0;
				for (size_t k = 0; k < 8 && c + k < nf; k++)
					x |= (uint64_t)fe[a + c + k].f[p] << (8 * k);
				if (!x)
					continue;
				x = transpose8(x);
				for (unsigned bt = 0; bt < 8; bt++) {
					uint64_t v = (x >> (8 * bt)) & 0xff,
					         bp = (8 * p + bt) * nf + c;
					rows[bp / 64] |= v << (bp % 64);
					if (bp % 64 > 56)
						rows[bp / 64 + 1] |= v >> (64 - bp % 64);
				}
			}
		}
		for (size_t r = 0; r < nw; r++)
			sl_put64(d + fl + 8 * r, rows[r]);
		free(rows);
		sl_buf_commit(out, fl + rl);
		uint8_t *e = (uint8_t *)out->data + base + 4 + gi * SEC_GRP;
		sl_put32(e, (uint32_t)size);
		sl_put32(e + 4, (uint32_t)nf);
		sl_put32(e + 8, (uint32_t)fe[a].word);
		sl_put64(e + 16, stripe_salt(g, fe[a].fno, fe[a].word));
		sl_put64(e + 24, (uint64_t)at);
		at += fl + rl;
		gi++;
	}
	free(fe);
}

/* Reads the groups of the filter section at off (len bytes) of the index
 * file fd, for a segment of nfr frames, into *fg (owned by the caller:
 * fgroups_free) and *nfg: their table and frames' numbers, not their rows.
 * Returns 0, or -1 when the section does not fit. */
static int fgroups_read(int fd, uint64_t off, uint64_t len, uint32_t nfr, struct ag_fgroup **fg,
                        size_t *nfg)
{
	uint8_t n4[4], *t = NULL;
	*fg = NULL;
	*nfg = 0;
	if (len < 4 || read_all(fd, n4, 4, off))
		return -1;
	uint64_t ng = sl_get32(n4);
	if (ng > (len - 4) / SEC_GRP)
		return -1;
	t = sl_malloc(ng * SEC_GRP + 1);
	struct ag_fgroup *g = sl_calloc(ng ? ng : 1, sizeof *g);
	if (read_all(fd, t, ng * SEC_GRP, off + 4))
		goto bad;
	for (uint64_t i = 0; i < ng; i++) {
		const uint8_t *e = t + i * SEC_GRP;
		uint64_t size = sl_get32(e), nf = sl_get32(e + 4), at = sl_get64(e + 24);
		uint64_t fl = (4 * nf + 7) & ~7ULL;
		if (!size || size % AG_BLOOM_BLOCK || !nf || nf > nfr || size > 1u << 24 ||
		    sl_get32(e + 8) > 1 || at > len || fl + 8 * sec_words(nf, size) > len - at)
			goto bad;
		g[i] = (struct ag_fgroup){.size = (uint32_t)size,
		                          .nf = (uint32_t)nf,
		                          .word = sl_get32(e + 8),
		                          .salt = sl_get64(e + 16),
		                          .rows = off + at + fl,
		                          .fno = sl_malloc(4 * nf)};
		if (read_all(fd, g[i].fno, 4 * nf, off + at))
			goto bad;
		for (uint64_t k = 0; k < nf; k++) /* little-endian u32 in place */
			if ((g[i].fno[k] = sl_get32((const uint8_t *)&g[i].fno[k])) >= nfr)
				goto bad;
	}
	free(t);
	*fg = g;
	*nfg = ng;
	return 0;
bad:
	free(t);
	fgroups_free(g, ng);
	return -1;
}

/* rows() of ag_query_may_bits for a sealed segment's filter section: the
 * frames (of the segment's nfr) whose filter may hold h; 7 rows of each
 * group of h's kind, one pread (err set on a read error: every frame then
 * may) */
struct sec_rows {
	const struct ag_fgroup *fg;
	size_t nfg;
	int fd;
	uint32_t nfr;
	int err;
	const char *path; /* of the segment, for errors */
};

static void sec_rows(void *ud, uint64_t h, int word, uint64_t *bits)
{
	struct sec_rows *q = ud;
	uint64_t *span = NULL, acc[9];
	size_t cap = 0;
	memset(bits, 0xff, (q->nfr + 63) / 64 * sizeof *bits);
	for (size_t i = 0; i < q->nfg; i++) {
		const struct ag_fgroup *g = &q->fg[i];
		uint32_t r[AG_BLOOM_K], nf = g->nf, lo = UINT32_MAX, hi = 0;
		if ((int)g->word != word)
			continue;
		ag_bloom_bits(g->size, h ^ g->salt, r);
		/* the 7 rows are within one 64-byte block of the filter: 512
		 * rows, read at once */
		for (int j = 0; j < AG_BLOOM_K; j++) {
			lo = r[j] < lo ? r[j] : lo;
			hi = r[j] > hi ? r[j] : hi;
		}
		uint64_t w0 = (uint64_t)lo * nf / 64, w1 = ((uint64_t)hi * nf + nf + 63) / 64 + 1;
		if (w1 - w0 > cap)
			span = sl_realloc(span, (cap = (size_t)(w1 - w0)) * sizeof *span);
		if (read_all(q->fd, span, (size_t)(w1 - w0) * 8, g->rows + 8 * w0)) {
			q->err = 1;
			memset(bits, 0xff, (q->nfr + 63) / 64 * sizeof *bits);
			break;
		}
		/* their AND, 64 frames at a time, each row nf bits from bit r * nf */
		size_t nw = (nf + 63) / 64;
		uint64_t *and = nw <= 9 ? acc : sl_malloc(nw * sizeof *and);
		for (size_t k = 0; k < nw; k++)
			and[k] = ~0ULL;
		for (int j = 0; j < AG_BLOOM_K; j++) {
			uint64_t b0 = (uint64_t)r[j] * nf, sh = b0 % 64;
			const uint8_t *rw = (const uint8_t *)(span + (b0 / 64 - w0));
			for (size_t k = 0; k < nw; k++) {
				uint64_t v = sl_get64(rw + 8 * k) >> sh;
				if (sh)
					v |= sl_get64(rw + 8 * k + 8) << (64 - sh);
				and[k] &= v;
			}
		}
		for (size_t k = 0; k < nw; k++) {
			size_t top = nf - 64 * k < 64 ? nf - 64 * k : 64;
			for (size_t j = 0; j < top; j++)
				if (!((and[k] >> j) & 1)) {
					uint32_t fno = g->fno[64 * k + j];
					bits[fno / 64] &= ~(1ULL << (fno % 64));
				}
		}
		if (and != acc)
			free(and);
	}
	free(span);
}

/* Writes the segment's index and maps it; the mapping belongs to g
 * (unmapped by seg_free). When every block of g has an id section the
 * index is SLX3: the block table, the events in the order of their ids
 * (read back from the blocks), and an id filter; else SLX2, with the ids
 * of its open id set, sorted, in place of the order. Returns 0 or -1. */
static int seg_write_index(struct ag_store *s, struct ag_segment *g, struct ag_fgroup **fg,
                           size_t *nfg, int *ifd)
{
	char path[4200], tmp[4300];
	idx_path(g, path, sizeof path);
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	size_t nb = 0;
	int slx3 = 1;
	for (size_t i = 0; i < s->nblocks; i++)
		if (s->blocks[i]->seg == g) {
			nb++;
			slx3 &= has_ids(s->blocks[i]);
		}
	uint64_t nev = seg_block_table(s, g);
	struct id_pos *ip = NULL;
	uint64_t(*ids)[2] = NULL;
	size_t nids = 0;
	unsigned w = 0;
	int rc = -1, fd = -1;
	uint8_t *buf = NULL;
	struct sl_buf filt = {0};
	if (slx3) {
		/* every event's id and number, from the id sections */
		ip = sl_malloc((nev ? nev : 1) * sizeof *ip);
		uint8_t *sec = NULL;
		size_t cap = 0;
		for (size_t k = 0; k < g->nbl; k++) {
			size_t cnt = (size_t)(g->bl_first[k + 1] - g->bl_first[k]);
			if (cnt * 16 > cap)
				sec = sl_realloc(sec, cap = cnt * 16);
			if (read_all(g->fd, sec, cnt * 16, g->bl_off[k] + BLK_HDR)) {
				sl_error("%s: cannot read ids: %s", g->path, strerror(errno));
				free(sec);
				goto out;
			}
			for (size_t i = 0; i < cnt; i++) {
				struct id_pos *e = &ip[g->bl_first[k] + i];
				e->id[0] = sl_get64(sec + 16 * i);
				e->id[1] = sl_get64(sec + 16 * i + 8);
				e->pos = g->bl_first[k] + i;
			}
		}
		free(sec);
		id_pos_sort(ip, nev);
		nids = nev;
		for (w = 1; w < 8 && nev > 1ull << (8 * w); w++)
			;
	} else {
		ids = sl_malloc((g->open_ids.n ? g->open_ids.n : 1) * sizeof *ids);
		for (size_t i = 0; i < g->open_ids.cap; i++)
			if (g->open_ids.v[i][0] || g->open_ids.v[i][1]) {
				ids[nids][0] = g->open_ids.v[i][0];
				ids[nids][1] = g->open_ids.v[i][1];
				nids++;
			}
		qsort(ids, nids, 16, id_pair_cmp);
		w = 16;
	}
	size_t blen = ag_bloom_size(nids, ID_BLOOM_BITS);
	seg_filters(s, g, &filt);
	/* the filter section is written from filt, after buf */
	size_t len = IDX_HDR + nb * IDX_ENT + nids * w + blen + filt.len;
	buf = sl_calloc(1, len - filt.len);
	uint8_t *p = buf + IDX_HDR;
	for (size_t i = 0; i < s->nblocks; i++) {
		const struct ag_block *b = s->blocks[i];
		if (b->seg != g)
			continue;
		sl_put64(p, b->off);
		sl_put32(p + 8, b->count);
		sl_put32(p + 12, b->raw_len);
		sl_put32(p + 16, b->zlen);
		sl_put32(p + 20, b->bloom_len);
		sl_put64(p + 24, (uint64_t)b->tmin);
		sl_put64(p + 32, (uint64_t)b->tmax);
		sl_put32(p + 40, b->col_len);
		sl_put32(p + 44, b->col_raw);
		sl_put32(p + 48, b->nframes);
		sl_put32(p + 52, b->flags);
		p += IDX_ENT;
	}
	uint8_t *bloom = buf + IDX_HDR + nb * IDX_ENT + nids * w;
	for (size_t i = 0; i < nids; i++) {
		const uint64_t *id = slx3 ? ip[i].id : ids[i];
		if (slx3) {
			for (unsigned k = 0; k < w; k++)
				p[k] = (uint8_t)(ip[i].pos >> (8 * k));
		} else {
			sl_put64(p, id[0]);
			sl_put64(p + 8, id[1]);
		}
		p += w;
		ag_bloom_add(bloom, blen, id_hash(id));
	}
	sl_put32(buf, slx3 ? IDX_MAGIC : IDX_MAGIC2);
	sl_put32(buf + 8, (uint32_t)nb);
	sl_put64(buf + 16, nids);
	sl_put64(buf + 24, blen);
	sl_put32(buf + 32, crc(buf + IDX_HDR, nb * IDX_ENT));
	sl_put32(buf + 36, slx3 ? w : 0);
	if (filt.len) { /* the frames' filters (SLX3 indexes before them: zeros) */
		sl_put64(buf + 40, len - filt.len);
		sl_put64(buf + 48, filt.len);
		sl_put32(buf + 56, crc(filt.data, filt.len));
	}
	sl_put32(buf + 4, crc(buf + 8, IDX_HDR - 8));
	fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (fd < 0 || write_all(fd, buf, len - filt.len, 0) ||
	    (filt.len && write_all(fd, filt.data, filt.len, len - filt.len)) || fsync(fd)) {
		sl_error("%s: cannot write: %s", tmp, strerror(errno));
		goto out;
	}
	if (rename(tmp, path) || fsync_dir(s->dir)) {
		sl_error("%s: cannot rename: %s", path, strerror(errno));
		goto out;
	}
	void *m = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED) {
		sl_error("%s: cannot map: %s", path, strerror(errno));
		goto out;
	}
	g->map = m;
	g->map_len = len;
	s->disk_bytes += len;
	g->ids = slx3 ? NULL : g->map + IDX_HDR + nb * IDX_ENT;
	g->perm = slx3 ? g->map + IDX_HDR + nb * IDX_ENT : NULL;
	g->perm_w = slx3 ? w : 0;
	g->nids = nids;
	g->id_bloom = g->map + IDX_HDR + nb * IDX_ENT + nids * w;
	g->id_bloom_len = blen;
	/* its filter section's groups and the file, kept open to read their
	 * rows: published by seg_seal, under the lock */
	if (filt.len && fgroups_read(fd, len - filt.len, filt.len, g->nfr, fg, nfg)) {
		sl_error("%s: cannot read its frame filters back", path);
		goto out;
	}
	if (filt.len) {
		*ifd = fd;
		fd = -1;
	}
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	sl_buf_free(&filt);
	free(buf);
	free(ip);
	free(ids);
	return rc;
}

/* Maps a sealed segment's index and publishes its blocks. Returns 0, or -1
 * when the index is missing or damaged (the segment is then recovered). */
static int seg_load_index(struct ag_store *s, struct ag_segment *g)
{
	char path[4200];
	idx_path(g, path, sizeof path);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	struct stat st;
	uint8_t *m = MAP_FAILED;
	if (fstat(fd, &st) || st.st_size < IDX_HDR)
		goto bad;
	m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED)
		goto bad;
	uint32_t nb = sl_get32(m + 8), magic = sl_get32(m);
	uint64_t nids = sl_get64(m + 16), blen = sl_get64(m + 24);
	uint64_t fso = magic == IDX_MAGIC ? sl_get64(m + 40) : 0,
	         fsl = magic == IDX_MAGIC ? sl_get64(m + 48) : 0;
	size_t ent = magic == IDX_MAGIC1 ? IDX_ENT1 : IDX_ENT;
	unsigned w = magic == IDX_MAGIC ? sl_get32(m + 36) : 16;
	if ((magic != IDX_MAGIC && magic != IDX_MAGIC2 && magic != IDX_MAGIC1) ||
	    sl_get32(m + 4) != crc(m + 8, IDX_HDR - 8) || !w ||
	    w > (magic == IDX_MAGIC ? 8u : 16u) ||
	    (uint64_t)st.st_size != IDX_HDR + (uint64_t)nb * ent + nids * w + blen + fsl ||
	    (fsl && fso != (uint64_t)st.st_size - fsl) ||
	    sl_get32(m + 32) != crc(m + IDX_HDR, (size_t)nb * ent))
		goto bad;
	if (magic == IDX_MAGIC) { /* every event is in the order */
		uint64_t nev = 0;
		int segfilt = 0;
		uint64_t nfr = 0; /* frames, as block_add numbers them */
		for (uint32_t i = 0; i < nb; i++) {
			const uint8_t *e = m + IDX_HDR + (size_t)i * ent;
			nev += sl_get32(e + 8);
			nfr += sl_get32(e + 48) ? sl_get32(e + 48) : 1;
			segfilt |= (sl_get32(e + 52) & BLK_SEGFILT) != 0;
		}
		/* blocks whose filters are the segment's, and none here: an index
		 * written by an older aggregator; made again with them, as one
		 * whose filter section does not fit */
		if (nev != nids || (segfilt && !fsl) || nfr > UINT32_MAX ||
		    (fsl && fgroups_read(fd, fso, fsl, (uint32_t)nfr, &g->fg, &g->nfg)))
			goto bad;
	}
	g->map = m;
	g->map_len = (size_t)st.st_size;
	s->disk_bytes += g->map_len;
	if (magic == IDX_MAGIC) {
		g->perm = m + IDX_HDR + (size_t)nb * ent;
		g->perm_w = w;
	} else {
		g->ids = m + IDX_HDR + (size_t)nb * ent;
	}
	g->nids = nids;
	g->id_bloom = m + IDX_HDR + (size_t)nb * ent + nids * w;
	g->id_bloom_len = (size_t)blen;
	g->sealed = 1;
	for (uint32_t i = 0; i < nb; i++) {
		const uint8_t *e = m + IDX_HDR + (size_t)i * ent;
		struct ag_block b = {
		    .off = sl_get64(e),
		    .count = sl_get32(e + 8),
		    .raw_len = sl_get32(e + 12),
		    .zlen = sl_get32(e + 16),
		    .bloom_len = sl_get32(e + 20),
		    .tmin = (int64_t)sl_get64(e + 24),
		    .tmax = (int64_t)sl_get64(e + 32),
		    .col_len = sl_get32(e + 40),
		    .col_raw = sl_get32(e + 44),
		    .nframes = ent == IDX_ENT ? sl_get32(e + 48) : 0,
		    .flags = ent == IDX_ENT ? sl_get32(e + 52) : 0,
		};
		block_add(s, g, &b);
		g->size = b.off + BLK_HDR + body_len(&b);
	}
	if (fsl) /* kept open to read the filters' rows */
		g->ifd = fd;
	else
		close(fd);
	seg_block_table(s, g);
	return 0;
bad:
	sl_warn("%s: damaged index; rebuilding it from the segment", path);
	if (m != MAP_FAILED)
		munmap(m, (size_t)st.st_size);
	close(fd);
	unlink(path);
	return -1;
}

/* One independently compressed frame of a block's events. */
struct frame {
	uint32_t first, count; /* its events: first .. first + count - 1 of the block */
	uint32_t raw_len, zlen, bloom_len;
	uint64_t off;  /* of its filter; the zlib stream follows */
	uint64_t salt; /* of its filter's keys (0: none) */
	const struct ag_block *blk;
	int may; /* scan: its filter lets the query match */
};

/* Reads the frame table of block b into *fr (grown; the caller frees it).
 * A block of the first format (no frame table) is one frame. Returns the
 * number of frames, or -1 when the table does not fit the block. */
static long block_frames(const struct ag_block *b, struct frame **fr, size_t *cap)
{
	size_t nf = b->nframes ? b->nframes : 1;
	if (nf > *cap) {
		*cap = nf;
		*fr = sl_realloc(*fr, nf * sizeof **fr);
	}
	if (!b->nframes) {
		(*fr)[0] = (struct frame){.count = b->count,
		                          .raw_len = b->raw_len,
		                          .zlen = b->zlen,
		                          .bloom_len = b->bloom_len,
		                          .off = b->off + BLK_HDR + b->col_len};
		return 1;
	}
	uint8_t small[64 * FRAME_ENT], *t = nf <= 64 ? small : sl_malloc(nf * FRAME_ENT);
	uint64_t at = b->off + BLK_HDR + b->bloom_len + b->col_len,
	         end = b->off + BLK_HDR + body_len(b);
	long rc = -1;
	if ((b->bloom_len && !has_ids(b)) || at + nf * FRAME_ENT > end ||
	    read_all(b->seg->fd, t, nf * FRAME_ENT, at))
		goto out;
	uint64_t off = at + nf * FRAME_ENT;
	uint32_t first = 0;
	for (size_t i = 0; i < nf; i++) {
		const uint8_t *e = t + i * FRAME_ENT;
		struct frame *f = &(*fr)[i];
		*f = (struct frame){.first = first,
		                    .count = sl_get32(e),
		                    .raw_len = sl_get32(e + 4),
		                    .zlen = sl_get32(e + 8),
		                    .bloom_len = sl_get32(e + 12),
		                    .off = off,
		                    .salt = b->flags & BLK_SALTED ? frame_salt(b->tmin, i) : 0,
		                    .blk = b};
		off += (uint64_t)f->bloom_len + f->zlen;
		if (f->count > b->count - first || off > end)
			goto out;
		first += f->count;
	}
	if (first == b->count && off == end)
		rc = (long)nf;
out:
	if (t != small)
		free(t);
	return rc;
}

/* What the first n bytes of a frame's data p (n >= the frame's length or
 * FRAME_PRE_X) say: 0 when it is the entries and events themselves in the
 * zlib format (frames before the columnar encoding); else the length of its
 * prefix, up to its hex values, with *el the encoding's length and *xl that
 * of the hex values (0 before they were kept apart). -1: damaged. */
static long frame_prefix(const uint8_t *p, uint64_t zlen, size_t n, uint32_t *el, uint32_t *xl)
{
	if (!n || (p[0] != FRAME_COLUMNAR && p[0] != FRAME_COLUMNAR_X))
		return 0;
	size_t pre = p[0] == FRAME_COLUMNAR_X ? FRAME_PRE_X : FRAME_PRE;
	if (zlen < pre || n < pre)
		return -1;
	*el = sl_get32(p + 1);
	*xl = pre == FRAME_PRE_X ? sl_get32(p + 5) : 0;
	return *xl > zlen - pre ? -1 : (long)pre;
}

/* Inflates src[0..n) (the zlib format) into exactly want bytes at dst.
 * Returns 0 or -1. */
static int inflate_exact(const void *src, size_t n, void *dst, size_t want)
{
	/* libdeflate reads the zlib format about twice as fast as zlib; a
	 * decompressor is a small allocation, one per call keeps it thread-safe */
	struct libdeflate_decompressor *d = libdeflate_alloc_decompressor();
	size_t got = 0;
	int ok = d && libdeflate_zlib_decompress(d, src, n, dst, want, &got) == LIBDEFLATE_SUCCESS;
	libdeflate_free_decompressor(d);
	return ok && got == want ? 0 : -1;
}

/* Whether a literal of pf can be in none of a columnar frame's events,
 * judged from its encoding p[0..n) before decoding it. Only literals of
 * token characters are judged: such a literal lies inside one key or one
 * value, and the encoding holds keys, text values and whole events as
 * written; hex, integer and time values (written from bytes, varints and
 * times) can only make hex digits, digits, 'T' and 'Z', and block column
 * values are the block's (cr, loaded if need be). A \u escape could write
 * any token character (the other escapes write none): an encoding with one
 * in its text is never judged (ag_frame_escapes). */
static int frame_lacks(const struct ag_prefilter *pf, const uint8_t *p, size_t n,
                       struct colread *cr, const struct ag_block *b)
{
	if (!pf)
		return 0;
	for (size_t i = 0; i < pf->n; i++) {
		const struct ag_literal *l = &pf->lit[i];
		/* hex values are written in lower case; a time's token characters
		 * are digits with one 'T' or 'Z' among them */
		int token = 1, hex = 1, other = 0, tz = 1;
		for (size_t j = 0; j < l->n; j++) {
			unsigned char c = (unsigned char)l->s[j];
			token &= isalnum(c) || c == '_' || c >= 0x80;
			hex &=
			    isdigit(c) || (c >= 'a' && c <= 'f') || (l->ci && c >= 'A' && c <= 'F');
			if (!isdigit(c)) {
				other++;
				tz &= c == 'T' || c == 'Z' || (l->ci && (c == 't' || c == 'z'));
			}
		}
		int typed = hex || other == 0 || (other == 1 && tz);
		if (!token || typed || ag_literal_in(l, (const char *)p, n))
			continue;
		if (b->col_len && cr->blk != b && block_columns(b, cr))
			continue;
		int in_cols = 0;
		for (size_t k = 0; b->col_len && k < cr->cs.n && !in_cols; k++)
			for (size_t d = 0; cr->c[k].is_col && d < cr->c[k].ndict && !in_cols; d++)
				in_cols =
				    ag_literal_in(l, cr->c[k].dict[d].val, cr->c[k].dict[d].vlen);
		if (!in_cols) /* missing, unless an escape writes it */
			return !ag_frame_escapes(p, n);
	}
	return 0;
}

/* Reads frame f of a block of segment g and decodes it into raw (reset
 * first; z is scratch; cr holds the block's columns, or is loaded with
 * them if the frame takes values from them): its data is either the columnar encoding
 * (frame.h) behind FRAME_PRE bytes, or (blocks written before it) the
 * entries and events themselves, in the zlib format. Returns 0; 1 when pf
 * (NULL: none) shows that none of its events can match, without decoding
 * them; or -1. With pf, an event without pf's longest literal (which every
 * match holds) may come out as an empty line. */
static int frame_read(const struct ag_segment *g, const struct frame *f, struct sl_buf *z,
                      struct sl_buf *raw, struct colread *cr, const struct ag_prefilter *pf)
{
	sl_buf_reset(z);
	sl_buf_reset(raw);
	char *zp = sl_buf_reserve(z, f->zlen);
	if (!f->zlen || read_all(g->fd, zp, f->zlen, f->off + f->bloom_len))
		return -1;
	uint32_t el = 0, xl = 0;
	long pl = frame_prefix((const uint8_t *)zp, f->zlen, f->zlen, &el, &xl);
	if (!pl) {
		char *rp = sl_buf_reserve(raw, f->raw_len);
		if (inflate_exact(zp, f->zlen, rp, f->raw_len))
			return -1;
		sl_buf_commit(raw, f->raw_len);
		return 0;
	}
	/* the encoding is mostly smaller than what it decodes to; a frame of
	 * a few short events can be larger (the keys, the column headers) */
	if (pl < 0 || el > 2 * f->raw_len + 4096)
		return -1;
	size_t pre = (size_t)pl;
	/* the events' ids and the hex values go after the encoding, in room
	 * decoding leaves alone (decoding writes to z) */
	size_t il = f->blk && has_ids(f->blk) ? 16 * (size_t)f->count : 0;
	char *ep = sl_buf_reserve(raw, (size_t)el + il + xl);
	if (inflate_exact(zp + pre + xl, f->zlen - pre - xl, ep, el))
		return -1;
	sl_buf_commit(raw, el);
	if (f->blk && frame_lacks(pf, (const uint8_t *)raw->data, raw->len, cr, f->blk))
		return 1;
	if (il && read_all(g->fd, ep + el, il, f->blk->off + BLK_HDR + 16ull * f->first))
		return -1;
	memcpy(ep + el + il, zp + pre, xl);
	/* decode into z, then give the decoded bytes to raw */
	struct cr_ext x = {cr, f->blk};
	struct ag_frame_ext ext = {
	    .find = cr_find, .values = cr_values, .ud = &x, .first = f->first};
	/* a search decodes only the events that may hold its longest literal
	 * (the others come out empty) */
	const struct ag_literal *lit = NULL;
	for (size_t i = 0; pf && i < pf->n; i++)
		if (!lit || pf->lit[i].n > lit->n)
			lit = &pf->lit[i];
	long n = ag_frame_decode_some((const uint8_t *)raw->data, raw->len,
	                              pre == FRAME_PRE_X ? (const uint8_t *)ep + el + il : NULL, xl,
	                              il ? (const uint8_t *)ep + el : NULL, f->blk ? &ext : NULL,
	                              f->raw_len, lit, z);
	struct sl_buf t = *z;
	*z = *raw;
	*raw = t;
	return n == (long)f->count && (lit ? raw->len <= f->raw_len : raw->len == f->raw_len) ? 0
	                                                                                      : -1;
}

/* Calls fn(ud, time, line, len, i) for each event of a frame's raw data,
 * i its number in the block. Returns 0, or -1 if the data is inconsistent. */
static int raw_each(const struct frame *f, const char *raw,
                    int (*fn)(void *, int64_t, const char *, size_t, uint32_t), void *ud)
{
	uint64_t off = (uint64_t)f->count * EV_ENT;
	if (off > f->raw_len)
		return -1;
	for (uint32_t i = 0; i < f->count; i++) {
		const uint8_t *e = (const uint8_t *)raw + (size_t)i * EV_ENT;
		uint32_t len = sl_get32(e + 8);
		if (off + len > f->raw_len)
			return -1;
		/* empty: an event frame_read did not decode */
		if (len && fn(ud, (int64_t)sl_get64(e), raw + off, len, f->first + i))
			return 0;
		off += len;
	}
	return 0;
}

struct hset {
	uint64_t *v;
	size_t cap, n;
	uint64_t *all; /* the n hashes in the order they came, to walk them */
	size_t cap_all;
};

/* Adds h to a set of nonzero hashes (0 is stored as 1); the set grows and
 * its owner frees hs->v and hs->all. */
static void hset_add(struct hset *hs, uint64_t h)
{
	if (!h)
		h = 1;
	if ((hs->n + 1) * 2 > hs->cap) {
		free(hs->v);
		hs->cap = hs->cap ? hs->cap * 2 : 4096;
		hs->v = sl_calloc(hs->cap, sizeof *hs->v);
		for (size_t j = 0; j < hs->n; j++) {
			size_t i = (size_t)hs->all[j] & (hs->cap - 1);
			while (hs->v[i])
				i = (i + 1) & (hs->cap - 1);
			hs->v[i] = hs->all[j];
		}
	}
	size_t i = (size_t)h & (hs->cap - 1);
	while (hs->v[i]) {
		if (hs->v[i] == h)
			return;
		i = (i + 1) & (hs->cap - 1);
	}
	hs->v[i] = h;
	if (hs->n == hs->cap_all) {
		hs->cap_all = hs->cap / 2;
		hs->all = sl_realloc(hs->all, hs->cap_all * sizeof *hs->all);
	}
	hs->all[hs->n++] = h;
}

/* Empties hs (keeps its memory). */
static void hset_clear(struct hset *hs)
{
	if (hs->cap)
		memset(hs->v, 0, hs->cap * sizeof *hs->v);
	hs->n = 0;
}

/* Appends the filters of frame fno of g to mf (struct ag_block's): the
 * sizes of its filters of fields' keys (the keys of hs) and of words (hw),
 * then the two filters. */
static void frame_filters(const struct ag_segment *g, uint32_t fno, const struct hset *hs,
                          const struct hset *hw, struct sl_buf *mf)
{
	uint32_t size[2] = {segfilt_size(hs->n, BLOOM_BITS), segfilt_size(hw->n, WORD_BITS)};
	buf_u32(mf, size[0]);
	buf_u32(mf, size[1]);
	for (int w = 0; w < 2; w++) {
		const struct hset *h = w ? hw : hs;
		uint8_t *f = (uint8_t *)sl_buf_reserve(mf, size[w]);
		memset(f, 0, size[w]);
		segfilt_fill(g, fno, w, f, size[w], h->all, h->n);
		sl_buf_commit(mf, size[w]);
	}
}

struct recover_ud {
	uint64_t (*ids)[2]; /* the ids of the block being checked */
	size_t n, cap;
	int parse_ids;      /* the block has no id section: read its events' "id" */
	int keys;           /* BLK_SEGFILT: its frames' filters are made again */
	struct hset hs, hw; /* a frame's keys of fields, its words */
	uint64_t *kv;       /* an event's keys */
	size_t nkv, cap_kv;
	struct sl_buf mf; /* the block's mf, being made */
	struct ag_event ev;
	struct colread cols;
	struct frame *fr;
	size_t cap_fr;
};

static void recover_key(void *ud, uint64_t h)
{
	struct recover_ud *r = ud;
	if (r->nkv == r->cap_kv)
		r->kv = sl_realloc(r->kv,
		                   (r->cap_kv = r->cap_kv ? 2 * r->cap_kv : 256) * sizeof *r->kv);
	r->kv[r->nkv++] = h;
}

/* Collects an event's id (the vector grows; seg_recover frees it), and
 * for a block whose filters are the segment's, its index keys. */
static int recover_event(void *ud, int64_t t, const char *line, size_t len, uint32_t i)
{
	struct recover_ud *r = ud;
	if (!r->parse_ids && !r->keys)
		return 0;
	int bad = ag_event_parse(&r->ev, line, len);
	if (r->keys) { /* the keys ingest gave it: those of the line it stored */
		r->nkv = 0;
		size_t nfield = ag_index_keys(&r->ev, recover_key, r);
		for (size_t k = 0; k < r->nkv; k++)
			hset_add(k < nfield ? &r->hs : &r->hw, r->kv[k]);
	}
	if (bad || !r->parse_ids)
		return 0;
	const struct ag_field *f = ag_event_get(&r->ev, "id");
	if (!f)
		return 0;
	if (r->n == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 1024;
		r->ids = sl_realloc(r->ids, r->cap * sizeof *r->ids);
	}
	ag_id_parse(f->val, r->ids[r->n++]);
	return 0;
}

/* Checks the block at off: header and body CRCs, and that it inflates. On
 * success fills b and the ids of its events into r. Returns 0 or -1. */
static int check_block(struct ag_segment *g, uint64_t off, uint64_t size, struct ag_block *b,
                       struct recover_ud *r, struct sl_buf *body, struct sl_buf *z,
                       struct sl_buf *raw)
{
	uint8_t h[BLK_HDR];
	if (off + BLK_HDR > size || read_all(g->fd, h, BLK_HDR, off) ||
	    (sl_get32(h) != BLK_MAGIC && sl_get32(h) != BLK_MAGIC1) ||
	    sl_get32(h + 4) != crc(h + 8, BLK_HDR - 8))
		return -1;
	*b = (struct ag_block){.seg = g, .off = off};
	hdr_decode(h, b);
	uint64_t blen = body_len(b);
	if (off + BLK_HDR + blen > size)
		return -1;
	sl_buf_reset(body);
	char *bp = sl_buf_reserve(body, (size_t)blen);
	if (read_all(g->fd, bp, (size_t)blen, off + BLK_HDR) ||
	    sl_get32(h + 8) != crc(bp, (size_t)blen))
		return -1;
	r->n = 0;
	long nf = block_frames(b, &r->fr, &r->cap_fr);
	if (nf < 0 || (b->col_len && block_columns_check(b, &r->cols)))
		return -1;
	/* the ids: the id section's, or (blocks without one) the events' "id";
	 * the frames' filters kept in memory until the segment is sealed are
	 * made again from the events' keys */
	r->parse_ids = !has_ids(b);
	r->keys = (b->flags & BLK_SEGFILT) != 0;
	sl_buf_reset(&r->mf);
	buf_u32(&r->mf, (uint32_t)nf);
	for (long i = 0; i < nf; i++) {
		hset_clear(&r->hs);
		hset_clear(&r->hw);
		if (frame_read(g, &r->fr[i], z, raw, &r->cols, NULL) ||
		    raw_each(&r->fr[i], raw->data, recover_event, r))
			return -1;
		if (r->keys) /* the same keys as at ingest: the same filters */
			frame_filters(g, g->nfr + (uint32_t)i, &r->hs, &r->hw, &r->mf);
	}
	if (r->keys) {
		b->mf = sl_malloc(r->mf.len);
		memcpy(b->mf, r->mf.data, r->mf.len);
	}
	if (!r->parse_ids) {
		if (b->count > r->cap) {
			r->cap = b->count;
			r->ids = sl_realloc(r->ids, r->cap * sizeof *r->ids);
		}
		for (uint32_t i = 0; i < b->count; i++) {
			r->ids[i][0] = sl_get64((const uint8_t *)bp + 16 * i);
			r->ids[i][1] = sl_get64((const uint8_t *)bp + 16 * i + 8);
		}
		r->n = b->count;
	}
	return 0;
}

/* The offset of the next good block after a damaged one at off, or size. */
static uint64_t resync(struct ag_segment *g, uint64_t off, uint64_t size, struct recover_ud *r,
                       struct sl_buf *body, struct sl_buf *z, struct sl_buf *raw)
{
	char win[1 << 16];
	struct ag_block b;
	for (uint64_t pos = off + 1; pos + BLK_HDR <= size;) {
		size_t want = size - pos < sizeof win ? (size_t)(size - pos) : sizeof win;
		if (read_all(g->fd, win, want, pos))
			return size;
		for (size_t k = 0; k + 4 <= want; k++) {
			if (memcmp(win + k, "SLB", 3) || (win[k + 3] != '1' && win[k + 3] != '2'))
				continue;
			if (check_block(g, pos + k, size, &b, r, body, z, raw) == 0) {
				free(b.mf); /* seg_recover checks it again */
				return pos + k;
			}
		}
		pos += want > 3 ? want - 3 : want;
	}
	return size;
}

/* Checks every block of a segment a crash left open (its buffers are freed
 * here; the blocks it publishes belong to the store). A damaged block with
 * good blocks after it is skipped (and logged); a torn or damaged tail is
 * cut off. Publishes the good blocks with their ids. An empty segment is
 * deleted (*gone set). Returns 0 or -1. */
static int seg_recover(struct ag_store *s, struct ag_segment *g, int *gone)
{
	struct stat st;
	uint64_t off = 0, size;
	struct sl_buf body = {0}, z = {0}, raw = {0};
	struct recover_ud r = {0};
	struct ag_block b;
	int rc = -1;
	*gone = 0;
	if (fstat(g->fd, &st))
		goto out;
	size = (uint64_t)st.st_size;
	while (off < size) {
		if (check_block(g, off, size, &b, &r, &body, &z, &raw)) {
			uint64_t next = resync(g, off, size, &r, &body, &z, &raw);
			if (next >= size)
				break; /* a torn tail */
			sl_error("%s: skipping %llu damaged bytes at offset %llu", g->path,
			         (unsigned long long)(next - off), (unsigned long long)off);
			off = next;
			continue; /* check_block succeeds again at next */
		}
		for (size_t i = 0; i < r.n; i++)
			idset_add(&g->open_ids, r.ids[i]);
		block_add(s, g, &b);
		off += BLK_HDR + body_len(&b);
	}
	if (off < size) {
		sl_warn("%s: cutting %llu bytes of a torn or damaged tail (never committed; "
		        "Kafka delivers those events again)",
		        g->path, (unsigned long long)(size - off));
		if (ftruncate(g->fd, (off_t)off) || fsync(g->fd)) {
			sl_error("%s: cannot truncate: %s", g->path, strerror(errno));
			goto out;
		}
	}
	g->size = off;
	if (!g->nevents) {
		unlink(g->path);
		*gone = 1;
	}
	rc = 0;
out:
	sl_buf_free(&body);
	sl_buf_free(&z);
	sl_buf_free(&raw);
	free(r.ids);
	free(r.hs.v);
	free(r.hs.all);
	free(r.hw.v);
	free(r.hw.all);
	free(r.kv);
	sl_buf_free(&r.mf);
	ag_event_free(&r.ev);
	colread_free(&r.cols);
	free(r.fr);
	return rc;
}

/* Frees the retired frame filters when no scan runs (a scan that starts
 * later cannot see them). Writer only. */
static void retired_free(struct ag_store *s)
{
	if (!s->nretired || __atomic_load_n(&s->scans, __ATOMIC_ACQUIRE))
		return;
	for (size_t i = 0; i < s->nretired; i++)
		free(s->retired[i]);
	s->nretired = 0;
}

/* Writes the index of an open segment and marks it sealed. Writer only. */
static int seg_seal(struct ag_store *s, struct ag_segment *g)
{
	if (g->sealed || g->fd < 0 || !g->nevents)
		return 0;
	struct ag_fgroup *fg = NULL;
	size_t nfg = 0;
	int ifd = -1;
	if (seg_write_index(s, g, &fg, &nfg, &ifd))
		return -1;
	g->sealed = 1;
	idset_retire(s, &g->open_ids);
	/* the frames' filters are the index's now: a scan that took the
	 * block list before may still read those in memory (retired_free) */
	pthread_rwlock_wrlock(&s->lock);
	g->fg = fg;
	g->nfg = nfg;
	g->ifd = ifd;
	for (size_t i = 0; i < s->nblocks; i++) {
		struct ag_block *b = s->blocks[i];
		if (b->seg != g || !b->mf)
			continue;
		if (s->nretired == s->cap_retired) {
			s->cap_retired = s->cap_retired ? 2 * s->cap_retired : 64;
			s->retired = sl_realloc(s->retired, s->cap_retired * sizeof *s->retired);
		}
		s->retired[s->nretired++] = b->mf;
		__atomic_store_n(&b->mf, NULL, __ATOMIC_RELEASE);
	}
	pthread_rwlock_unlock(&s->lock);
	retired_free(s);
	sl_debug("%s: sealed (%llu events)", g->path, (unsigned long long)g->nevents);
	return 0;
}

/* ================================================================== */
/* Open and close                                                     */
/* ================================================================== */

void ag_store_defaults(struct ag_store_opts *o)
{
	o->block_size = 1 << 20;
	o->segment_max = 1ULL << 30;
	o->level = 3;
	o->seal_idle_ms = 10 * 60 * 1000;
	o->recent = 16384;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	o->scan_threads = cpus < 1 ? 1 : cpus > 8 ? 8 : (size_t)cpus;
}

/* Parses "<cls>-<YYYYMMDD>-<gen>.seg". Returns 0 or -1. */
static int parse_seg_name(const char *name, char *cls, size_t clen, int64_t *day, uint64_t *gen)
{
	size_t n = strlen(name);
	if (n < 5 || strcmp(name + n - 4, ".seg"))
		return -1;
	const char *d2 = NULL, *d1 = NULL;
	for (const char *p = name + n - 4; p > name; p--) {
		if (p[-1] == '-') {
			if (!d2)
				d2 = p - 1;
			else {
				d1 = p - 1;
				break;
			}
		}
	}
	if (!d1 || !d2 || d2 - d1 != 9 || (size_t)(d1 - name) >= clen || d1 == name)
		return -1;
	int y, m, d;
	if (sscanf(d1 + 1, "%4d%2d%2d", &y, &m, &d) != 3)
		return -1;
	struct tm tm = {.tm_year = y - 1900, .tm_mon = m - 1, .tm_mday = d};
	*day = (int64_t)timegm(&tm) / 86400;
	char *end;
	*gen = strtoull(d2 + 1, &end, 10);
	if (strcmp(end, ".seg"))
		return -1;
	memcpy(cls, name, (size_t)(d1 - name));
	cls[d1 - name] = '\0';
	return 0;
}

static int import_first_slice(struct ag_store *s);

int ag_store_open(struct ag_store *s, const char *dir, const struct ag_store_opts *o)
{
	memset(s, 0, sizeof *s);
	pthread_rwlock_init(&s->lock, NULL);
	if (o)
		s->o = *o;
	else
		ag_store_defaults(&s->o);
	if (s->o.recent < 16)
		s->o.recent = 16;
	s->ring = sl_calloc(s->o.recent, sizeof *s->ring);
	s->dir = sl_strdup(dir);
	char tmp[4096];
	snprintf(tmp, sizeof tmp, "%s", dir);
	for (char *p = tmp + 1; *p; p++) {
		if (*p == '/') {
			*p = '\0';
			mkdir(tmp, 0750);
			*p = '/';
		}
	}
	if (mkdir(tmp, 0750) && errno != EEXIST) {
		sl_error("storage.dir %s: cannot create: %s", dir, strerror(errno));
		return -1;
	}
	DIR *d = opendir(dir);
	if (!d) {
		sl_error("storage.dir %s: cannot open: %s", dir, strerror(errno));
		return -1;
	}
	struct dirent *de;
	size_t recovered = 0;
	while ((de = readdir(d))) {
		char path[4200], cls[32];
		int64_t day;
		uint64_t gen;
		size_t nl = strlen(de->d_name);
		snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
		if (nl > 4 && !strcmp(de->d_name + nl - 4, ".tmp")) {
			unlink(path); /* an index a crash left half-written */
			continue;
		}
		if (parse_seg_name(de->d_name, cls, sizeof cls, &day, &gen))
			continue;
		struct ag_segment *g = seg_new(s, path, cls, day, gen);
		g->fd = open(path, O_RDWR | O_CLOEXEC);
		if (g->fd < 0) {
			sl_error("%s: cannot open: %s", path, strerror(errno));
			closedir(d);
			return -1;
		}
		if (seg_load_index(s, g) == 0)
			continue;
		int gone;
		recovered++;
		if (seg_recover(s, g, &gone))
			goto fail;
		if (gone) {
			s->nsegs--;
			seg_free(g);
			continue;
		}
		if (seg_seal(s, g))
			goto fail;
	}
	closedir(d);
	d = NULL;
	if (recovered)
		fsync_dir(dir);
	if (import_first_slice(s))
		return -1;
	sl_info("%s: %zu segments, %zu blocks, %llu events, %llu bytes on disk", dir, s->nsegs,
	        s->nblocks, (unsigned long long)s->events, (unsigned long long)s->disk_bytes);
	return 0;
fail:
	if (d)
		closedir(d);
	return -1;
}

static void flush_buf_free(struct flush_buf *fb);

void ag_store_close(struct ag_store *s)
{
	if (s->dir) {
		if (ag_store_flush(s) == 0)
			for (size_t i = 0; i < s->nsegs; i++)
				seg_seal(s, s->segs[i]);
	}
	for (size_t i = 0; i < s->nsegs; i++)
		seg_free(s->segs[i]);
	free(s->segs);
	for (size_t i = 0; i < s->nblocks; i++) {
		free(s->blocks[i]->mf);
		free(s->blocks[i]);
	}
	free(s->blocks);
	for (size_t i = 0; i < s->nretired; i++)
		free(s->retired[i]);
	free(s->retired);
	if (s->ring)
		for (size_t i = 0; i < s->o.recent; i++)
			free(s->ring[i].line);
	free(s->ring);
	free(s->dir);
	ag_event_free(&s->add_ev);
	libdeflate_free_compressor(s->zc);
	flush_buf_free(s->fb);
	idset_free(&s->spare_ids);
	pthread_rwlock_destroy(&s->lock);
	memset(s, 0, sizeof *s);
}

/* ================================================================== */
/* Writing                                                            */
/* ================================================================== */

/* The open segment for (cls, day), created (owned by the store) if there is
 * none; its file is created at the first flush. Caller holds the write lock. */
static struct ag_segment *open_segment_for(struct ag_store *s, const char *cls, int64_t day)
{
	for (size_t i = s->nsegs; i-- > 0;) {
		struct ag_segment *g = s->segs[i];
		if (!g->sealed && g->day == day && !strcmp(g->cls, cls))
			return g;
	}
	char path[4200], ds[32];
	day_str(day, ds);
	snprintf(path, sizeof path, "%s/%s-%s-%06llu.seg", s->dir, cls, ds,
	         (unsigned long long)s->next_gen);
	return seg_new(s, path, cls, day, s->next_gen);
}

void ag_store_add(struct ag_store *s, const char *cls, const char *line, size_t len,
                  int64_t time_ns, const uint64_t id[2], const uint64_t *keys, size_t nkeys,
                  size_t nfield)
{
	int bad = ag_event_parse(&s->add_ev, line, len);
	ag_store_add_event(s, cls, line, len, time_ns, id, keys, nkeys, nfield,
	                   bad ? NULL : &s->add_ev);
}

/* The column builder for the next pending event of g, of len bytes: a new
 * one where ag_store_flush will start a block (owned by g, freed by
 * cbs_free). */
static struct colbuild *cb_for(struct ag_store *s, struct ag_segment *g, size_t len)
{
	if (!g->ncb || (g->cbs[g->ncb - 1]->nev && g->cb_bytes + len > s->o.block_size)) {
		if (g->ncb == g->cap_cb) {
			g->cap_cb = g->cap_cb ? g->cap_cb * 2 : 16;
			g->cbs = sl_realloc(g->cbs, g->cap_cb * sizeof *g->cbs);
		}
		g->cbs[g->ncb++] = sl_calloc(1, sizeof **g->cbs);
		g->cb_bytes = 0;
	}
	g->cb_bytes += len;
	return g->cbs[g->ncb - 1];
}

void ag_store_add_event(struct ag_store *s, const char *cls, const char *line, size_t len,
                        int64_t time_ns, const uint64_t id[2], const uint64_t *keys, size_t nkeys,
                        size_t nfield, const struct ag_event *ev)
{
	if (!s->batch)
		pthread_rwlock_wrlock(&s->lock);
	struct ag_segment *g = open_segment_for(s, cls, day_of(time_ns));
	col_event(cb_for(s, g, len), ev);
	ids_add(s, g, id);
	if (g->npe == g->cap_pe) {
		g->cap_pe = g->cap_pe ? g->cap_pe * 2 : 1024;
		g->pe = sl_realloc(g->pe, g->cap_pe * sizeof *g->pe);
	}
	if (g->nkeys + nkeys > g->cap_keys) {
		g->cap_keys = g->cap_keys ? g->cap_keys * 2 : 16384;
		while (g->cap_keys < g->nkeys + nkeys)
			g->cap_keys *= 2;
		g->keys = sl_realloc(g->keys, g->cap_keys * sizeof *g->keys);
	}
	uint64_t rep = 0;
	if (g->npe && nkeys && g->pe[g->npe - 1].nkeys) { /* else g->keys may be NULL */
		const struct ag_pending *q = &g->pe[g->npe - 1];
		const uint64_t *prev = g->keys + q->key0;
		size_t m = nkeys < q->nkeys ? nkeys : q->nkeys;
		for (size_t k = 0; k < m && k < 64; k++)
			rep |= (uint64_t)(keys[k] == prev[k]) << k;
	}
	struct ag_pending *p = &g->pe[g->npe++];
	p->rep = rep;
	p->span0 = (uint32_t)g->nspans;
	p->nspan = AG_NO_SPANS;
	if (ev && ev->n) { /* ev->nspan 0: "{}" */
		if (g->nspans + ev->nspan > g->cap_spans) {
			g->cap_spans = g->cap_spans ? g->cap_spans * 2 : 16384;
			while (g->cap_spans < g->nspans + ev->nspan)
				g->cap_spans *= 2;
			g->spans = sl_realloc(g->spans, g->cap_spans * sizeof *g->spans);
		}
		memcpy(g->spans + g->nspans, ev->span, ev->nspan * sizeof *ev->span);
		g->nspans += ev->nspan;
		p->nspan = (uint32_t)ev->nspan;
	}
	p->time_ns = time_ns;
	p->seq = s->seq;
	p->off = (uint32_t)g->pend.len;
	p->len = (uint32_t)len;
	p->key0 = (uint32_t)g->nkeys;
	p->nkeys = (uint32_t)nkeys;
	p->nfield = (uint32_t)(nfield < nkeys ? nfield : nkeys);
	p->id[0] = id[0];
	p->id[1] = id[1];
	sl_buf_append(&g->pend, line, len);
	if (nkeys)
		memcpy(g->keys + g->nkeys, keys, nkeys * sizeof *keys);
	g->nkeys += nkeys;
	if (s->followers) {
		struct ag_recent *r = &s->ring[s->seq % s->o.recent];
		if (len + 1 > r->cap) {
			r->cap = (uint32_t)(len + 1 < 512 ? 512 : len + 1);
			free(r->line);
			r->line = sl_malloc(r->cap);
		}
		memcpy(r->line, line, len);
		r->line[len] = '\0';
		r->len = (uint32_t)len;
		r->seq = s->seq;
		r->time_ns = time_ns;
	}
	s->seq++;
	s->pending_bytes += len;
	if (!s->pending_since_ms)
		s->pending_since_ms = sl_mono_ms();
	if (!s->batch)
		pthread_rwlock_unlock(&s->lock);
}

void ag_store_batch_begin(struct ag_store *s)
{
	pthread_rwlock_wrlock(&s->lock);
	s->batch = 1;
}

void ag_store_batch_end(struct ag_store *s)
{
	s->batch = 0;
	pthread_rwlock_unlock(&s->lock);
}

/* Scratch of ag_store_flush, kept from block to block. */
struct flush_buf {
	struct sl_buf out, raw, cols, frames, table;
	struct sl_buf hex;  /* a frame's hex values (ag_frame_enc_finish) */
	struct sl_buf mf;   /* the block's frames' filters (struct ag_block's mf) */
	struct hset hs, hw; /* a frame's keys of fields, its words */
	struct colbuild cb;
	struct ag_frame_enc enc;
};

static void flush_buf_free(struct flush_buf *fb)
{
	if (!fb)
		return;
	sl_buf_free(&fb->out);
	sl_buf_free(&fb->raw);
	sl_buf_free(&fb->cols);
	sl_buf_free(&fb->frames);
	sl_buf_free(&fb->table);
	sl_buf_free(&fb->hex);
	sl_buf_free(&fb->mf);
	ag_frame_enc_free(&fb->enc);
	free(fb->hs.v);
	free(fb->hs.all);
	free(fb->hw.v);
	free(fb->hw.all);
	colbuild_free(&fb->cb);
	free(fb);
}

/* Builds block bytes for pending events [a, b) of g into fb->out (header
 * and body: columns, frame table, frames of at most FRAME_RAW raw bytes,
 * each its zlib stream), and its frames' filters into fb->mf (struct
 * ag_block's mf; fno is the number its first frame will have in g). cb
 * holds the columns of those events, built as they came; when it does not
 * (NULL, or other events) the events are parsed again here. Returns the
 * number of frames. */
static size_t build_block(struct ag_store *s, struct ag_segment *g, size_t a, size_t b,
                          const struct colbuild *cb, struct flush_buf *fb, uint32_t fno)
{
	struct sl_buf *out = &fb->out, *raw = &fb->raw, *fr = &fb->frames;
	struct hset *hs = &fb->hs, *hw = &fb->hw;
	size_t n = b - a, nf = 0;
	uint64_t raw_total = 0;
	int64_t tmin = INT64_MAX, tmax = INT64_MIN;
	for (size_t i = a; i < b; i++) {
		if (g->pe[i].time_ns < tmin)
			tmin = g->pe[i].time_ns;
		if (g->pe[i].time_ns > tmax)
			tmax = g->pe[i].time_ns;
	}
	if (!cb || cb->nev != n) {
		colbuild_reset(&fb->cb);
		for (size_t i = a; i < b; i++) {
			int bad =
			    ag_event_parse(&fb->cb.ev, g->pend.data + g->pe[i].off, g->pe[i].len);
			col_event(&fb->cb, bad ? NULL : &fb->cb.ev);
		}
		cb = &fb->cb;
	}
	sl_buf_reset(fr);
	sl_buf_reset(&fb->table);
	sl_buf_reset(&fb->mf);
	buf_u32(&fb->mf, 0); /* the frames, set at the end */
	for (size_t f0 = a, f1; f0 < b; f0 = f1) {
		size_t bytes = 0;
		for (f1 = f0; f1 < b && (f1 == f0 || bytes + g->pe[f1].len <= FRAME_RAW); f1++)
			bytes += g->pe[f1].len;
		size_t fn = f1 - f0, rl = fn * EV_ENT + bytes;
		hset_clear(hs);
		hset_clear(hw);
		struct ag_frame_ext ext = {.find = cb_find,
		                           .match = cb_match,
		                           .ud = (void *)cb,
		                           .first = (uint32_t)(f0 - a)};
		ag_frame_enc_reset(&fb->enc, &ext);
		for (size_t i = f0; i < f1; i++) {
			const struct ag_pending *p = &g->pe[i];
			ag_frame_enc_add(&fb->enc, p->time_ns, p->id, g->pend.data + p->off, p->len,
			                 p->nspan == AG_NO_SPANS ? NULL : g->spans + p->span0,
			                 p->nspan);
			/* the keys the event before (in this frame) had at the same
			 * places are in the set already */
			const uint64_t *keys = p->nkeys ? g->keys + p->key0 : NULL;
			uint64_t m = p->nkeys >= 64 ? ~0ULL : (1ULL << p->nkeys) - 1;
			if (i > f0)
				m &= ~p->rep;
			for (; m; m &= m - 1) {
				unsigned k = (unsigned)__builtin_ctzll(m);
				hset_add(k < p->nfield ? hs : hw, keys[k]);
			}
			for (uint32_t k = 64; k < p->nkeys; k++)
				hset_add(k < p->nfield ? hs : hw, keys[k]);
		}
		sl_buf_reset(raw);
		sl_buf_reset(&fb->hex);
		ag_frame_enc_finish(&fb->enc, raw, &fb->hex);
		frame_filters(g, fno + (uint32_t)nf, hs, hw, &fb->mf);
		if (!s->zc && !(s->zc = libdeflate_alloc_compressor(s->o.level))) {
			sl_error("out of memory for a compressor");
			abort();
		}
		size_t zl = libdeflate_zlib_compress_bound(s->zc, raw->len), xl = fb->hex.len;
		uint8_t *o = (uint8_t *)sl_buf_reserve(fr, FRAME_PRE_X + xl + zl);
		/* the columnar encoding (frame.h) in the zlib format, written by
		 * libdeflate (faster than zlib and about a tenth smaller at the
		 * same level), after the hex values kept as they are */
		o[0] = FRAME_COLUMNAR_X;
		sl_put32(o + 1, (uint32_t)raw->len);
		sl_put32(o + 5, (uint32_t)xl);
		if (xl)
			memcpy(o + FRAME_PRE_X, fb->hex.data, xl);
		zl = FRAME_PRE_X + xl +
		     libdeflate_zlib_compress(s->zc, raw->data, raw->len, o + FRAME_PRE_X + xl, zl);
		sl_buf_commit(fr, zl);
		buf_u32(&fb->table, (uint32_t)fn);
		buf_u32(&fb->table, (uint32_t)rl);
		buf_u32(&fb->table, (uint32_t)zl);
		buf_u32(&fb->table, 0); /* its filter is the segment's */
		raw_total += rl;
		nf++;
	}
	uint32_t col_dir;
	col_write(cb, &fb->cols, &col_dir);
	size_t cl = fb->cols.len, zl = fb->table.len + fr->len, il = 16 * n;
	sl_buf_reset(out);
	uint8_t *o = (uint8_t *)sl_buf_reserve(out, BLK_HDR + il + cl + zl);
	memset(o, 0, BLK_HDR);
	/* the id section: what the index orders and the frames' "id" refer to */
	for (size_t i = 0; i < n; i++) {
		sl_put64(o + BLK_HDR + 16 * i, g->pe[a + i].id[0]);
		sl_put64(o + BLK_HDR + 16 * i + 8, g->pe[a + i].id[1]);
	}
	if (cl)
		memcpy(o + BLK_HDR + il, fb->cols.data, cl);
	memcpy(o + BLK_HDR + il + cl, fb->table.data, fb->table.len);
	memcpy(o + BLK_HDR + il + cl + fb->table.len, fr->data, fr->len);
	sl_put32(o, BLK_MAGIC);
	sl_put32(o + 8, crc(o + BLK_HDR, il + cl + zl));
	sl_put32(o + 12, (uint32_t)n);
	sl_put32(o + 16, (uint32_t)raw_total);
	sl_put32(o + 20, (uint32_t)zl);
	sl_put32(o + 24, (uint32_t)il); /* the id section (the filters are the frames') */
	sl_put32(o + 28, (uint32_t)cl);
	sl_put64(o + 32, (uint64_t)tmin);
	sl_put64(o + 40, (uint64_t)tmax);
	sl_put32(o + 48, col_dir);
	sl_put32(o + 52, (uint32_t)nf);
	sl_put32(o + 56, BLK_SEGFILT);
	sl_put32(o + 4, crc(o + 8, BLK_HDR - 8));
	sl_buf_commit(out, BLK_HDR + il + cl + zl);
	sl_put32((uint8_t *)fb->mf.data, (uint32_t)nf);
	return nf;
}

int ag_store_flush(struct ag_store *s)
{
	if (!s->fb) {
		s->fb = sl_calloc(1, sizeof *s->fb);
		hset_add(&s->fb->hs, 1); /* allocate */
		hset_add(&s->fb->hw, 1);
	}
	struct flush_buf *fb = s->fb;
	int rc = -1;
	for (size_t gi = 0; gi < s->nsegs; gi++) {
		struct ag_segment *g = s->segs[gi];
		if (!g->npe)
			continue;
		if (g->fd < 0) {
			g->fd = open(g->path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
			if (g->fd < 0 || fsync_dir(s->dir)) {
				sl_error("%s: cannot create: %s", g->path, strerror(errno));
				goto out;
			}
		}
		/* write the blocks, then make them durable, then publish them */
		size_t nb = 0, cap = 16;
		struct ag_block *nbk = sl_malloc(cap * sizeof *nbk);
		uint64_t off = g->size;
		uint32_t fno = g->nfr;
		for (size_t a = 0; a < g->npe;) {
			size_t b = a, bytes = 0;
			while (b < g->npe && (b == a || bytes + g->pe[b].len <= s->o.block_size))
				bytes += g->pe[b++].len;
			size_t nf =
			    build_block(s, g, a, b, nb < g->ncb ? g->cbs[nb] : NULL, fb, fno);
			if (write_all(g->fd, fb->out.data, fb->out.len, off)) {
				sl_error("%s: write failed: %s", g->path, strerror(errno));
				for (size_t i = 0; i < nb; i++)
					free(nbk[i].mf);
				free(nbk);
				goto out;
			}
			if (nb == cap)
				nbk = sl_realloc(nbk, (cap *= 2) * sizeof *nbk);
			nbk[nb] = (struct ag_block){.seg = g, .off = off};
			hdr_decode((const uint8_t *)fb->out.data, &nbk[nb]);
			/* the frames' filters, in memory until the segment is sealed */
			nbk[nb].mf = sl_malloc(fb->mf.len);
			memcpy(nbk[nb].mf, fb->mf.data, fb->mf.len);
			fno += (uint32_t)nf;
			nb++;
			off += fb->out.len;
			a = b;
		}
		if (fdatasync(g->fd)) {
			sl_error("%s: fdatasync failed: %s", g->path, strerror(errno));
			for (size_t i = 0; i < nb; i++)
				free(nbk[i].mf);
			free(nbk);
			goto out;
		}
		pthread_rwlock_wrlock(&s->lock);
		for (size_t i = 0; i < nb; i++)
			block_add(s, g, &nbk[i]);
		g->size = off;
		g->npe = 0;
		g->nkeys = 0;
		g->nspans = 0;
		cbs_free(g);
		sl_buf_reset(&g->pend);
		g->last_write_ms = sl_mono_ms();
		pthread_rwlock_unlock(&s->lock);
		free(nbk);
	}
	s->pending_bytes = 0;
	s->pending_since_ms = 0;
	/* seal what is full or idle */
	int64_t now = sl_mono_ms();
	for (size_t gi = 0; gi < s->nsegs; gi++) {
		struct ag_segment *g = s->segs[gi];
		if (g->sealed || g->fd < 0)
			continue;
		int idle = s->o.seal_idle_ms && now - g->last_write_ms >= s->o.seal_idle_ms;
		if (g->raw_bytes >= s->o.segment_max || idle) {
			if (seg_seal(s, g))
				goto out;
			if (idle) /* no stream to keep a table for */
				idset_free(&s->spare_ids);
		}
	}
	retired_free(s); /* those a scan kept at the last seal */
	rc = 0;
out:
	return rc;
}

/* ================================================================== */
/* The first slice's events.ndjson                                    */
/* ================================================================== */

struct keyvec {
	uint64_t *v;
	size_t n, cap;
};

/* Appends h to the vector (grows k->v; its owner frees it). */
static void keyvec_add(void *ud, uint64_t h)
{
	struct keyvec *k = ud;
	if (k->n == k->cap) {
		k->cap = k->cap ? k->cap * 2 : 64;
		k->v = sl_realloc(k->v, k->cap * sizeof *k->v);
	}
	k->v[k->n++] = h;
}

/* Moves the events of a first-slice store (one NDJSON file) into segments,
 * then renames the file to events.ndjson.imported. */
static int import_first_slice(struct ag_store *s)
{
	char path[4200], done[4300];
	snprintf(path, sizeof path, "%s/events.ndjson", s->dir);
	snprintf(done, sizeof done, "%s.imported", path);
	FILE *f = fopen(path, "r");
	if (!f)
		return 0;
	char *line = NULL;
	size_t cap = 0, n = 0;
	ssize_t len;
	struct ag_event ev = {0};
	struct keyvec kv = {0};
	int rc = -1;
	while ((len = getline(&line, &cap, f)) > 0) {
		if (line[len - 1] != '\n')
			break; /* a torn last line */
		line[--len] = '\0';
		if (ag_event_parse(&ev, line, (size_t)len))
			continue;
		const struct ag_field *tf = ag_event_get(&ev, "time");
		const struct ag_field *idf = ag_event_get(&ev, "id");
		int64_t t = 0;
		if (tf && tf->type == AG_F_STR)
			sl_time_parse(tf->val, tf->vlen, &t);
		uint64_t id[2];
		ag_id_parse(idf ? idf->val : line, id);
		if (ag_store_seen(s, id, 0))
			continue;
		kv.n = 0;
		size_t nfield = ag_index_keys(&ev, keyvec_add, &kv);
		ag_store_add_event(s, "default", line, (size_t)len, t, id, kv.v, kv.n, nfield, &ev);
		n++;
		if (s->pending_bytes >= 64u << 20 && ag_store_flush(s))
			goto out;
	}
	if (ag_store_flush(s))
		goto out;
	for (size_t i = 0; i < s->nsegs; i++)
		if (seg_seal(s, s->segs[i]))
			goto out;
	if (rename(path, done) || fsync_dir(s->dir)) {
		sl_error("%s: cannot rename: %s", path, strerror(errno));
		goto out;
	}
	sl_info("%s: imported %zu events into segments", path, n);
	rc = 0;
out:
	free(line);
	free(kv.v);
	ag_event_free(&ev);
	fclose(f);
	return rc;
}

/* ================================================================== */
/* Reading                                                            */
/* ================================================================== */

struct bloom_probe {
	const struct ag_segment *g;
	const struct frame *f;
	int err;
};

/* Tests one key against a frame's filter with one 64-byte read (its
 * filter holds words and fields' keys alike). */
static int probe(void *ud, uint64_t h, int word)
{
	(void)word;
	struct bloom_probe *p = ud;
	uint8_t blk[AG_BLOOM_BLOCK];
	if (!p->f->bloom_len)
		return 1;
	h ^= p->f->salt;
	size_t at = ag_bloom_block_of(p->f->bloom_len, h);
	if (read_all(p->g->fd, blk, sizeof blk, p->f->off + at)) {
		p->err = 1;
		return 1;
	}
	return ag_bloom_test_block(blk, h);
}

struct mem_probe {
	const uint8_t *f[2]; /* its filters of fields' keys and of words */
	uint32_t size[2];
	uint64_t salt[2];
};

/* Tests one key against a frame's filters in memory (BLK_SEGFILT). */
static int mem_probe(void *ud, uint64_t h, int word)
{
	const struct mem_probe *p = ud;
	return ag_bloom_test(p->f[word], p->size[word], h ^ p->salt[word]);
}

struct scan_ctx {
	struct ag_scan *sc;
	ag_scan_fn fn;
	void *ud;
	struct ag_event ev;
	struct ag_prefilter pf;
	int parse, stop;
	/* of the block being read, from its columns (NULL: none): the events
	 * that certainly match and those that may */
	const uint64_t *yes, *maybe;
	/* ag_store_count */
	ag_count_fn count;
	const char *by;
	void *count_ud;
	/* where the events visited are stored, but for their number (visit
	 * adds it) */
	struct ag_pos pos;
	/* a scan on several threads: each has its own context and ag_scan (for
	 * its counters), top is the caller's (whose floor a search raises) */
	const struct ag_scan *top;
	struct scan_par *par;
	/* per segment (by its ix, nseg of them; 0 for a query of every
	 * event): its filter section (fg NULL: none), and the frames it lets
	 * the query match, computed by the first thread that needs them
	 * (seg_bits; NULL: not yet); shared by the scan's threads */
	struct sec_rows *sr;
	uint64_t **segbits;
	size_t nseg;
	pthread_mutex_t *segmu;
};

/* The frames of segment ix that its filter section lets the scan's query
 * match, or NULL when it has none. */
static const uint64_t *seg_bits(const struct scan_ctx *c, size_t ix)
{
	if (ix >= c->nseg || !c->sr[ix].fg || !c->sr[ix].nfr)
		return NULL;
	uint64_t *b = __atomic_load_n(&c->segbits[ix], __ATOMIC_ACQUIRE);
	if (b)
		return b;
	pthread_mutex_lock(c->segmu);
	if (!(b = c->segbits[ix])) {
		size_t nw = (c->sr[ix].nfr + 63) / 64;
		b = sl_malloc(nw * sizeof *b);
		struct sec_rows q = c->sr[ix]; /* its err is the call's */
		ag_query_may_bits(c->sc->q, sec_rows, &q, b, nw);
		if (q.err) {
			sl_error("%s: cannot read its frame filters: %s", c->sr[ix].path,
			         strerror(errno));
			memset(b, 0xff, nw * sizeof *b); /* every frame may */
		}
		__atomic_store_n(&c->segbits[ix], b, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(c->segmu);
	return b;
}

/* What the threads of one scan share: the callbacks run one at a time, and
 * one asking to stop stops them all. */
struct scan_par {
	pthread_mutex_t mu;
	int stop;
	size_t next; /* the next block a thread takes (atomic) */
};

static void cb_enter(struct scan_ctx *c)
{
	if (c->par)
		pthread_mutex_lock(&c->par->mu);
}

/* Ends a callback that returned r: a stop stops every thread. */
static void cb_leave(struct scan_ctx *c, int r)
{
	if (r) {
		c->stop = 1;
		if (c->par)
			__atomic_store_n(&c->par->stop, 1, __ATOMIC_RELAXED);
	}
	if (c->par)
		pthread_mutex_unlock(&c->par->mu);
}

static int stopped(const struct scan_ctx *c)
{
	return c->stop || (c->par && __atomic_load_n(&c->par->stop, __ATOMIC_RELAXED));
}

static int in_time(const struct ag_scan *sc, int64_t t)
{
	return (!sc->from || t >= sc->from) && (!sc->until || t <= sc->until);
}

static int bit(const uint64_t *b, uint32_t i)
{
	return (int)(b[i / 64] >> (i % 64)) & 1;
}

/* Whether frame f (number fi of block b, mf the frames' filters b held in
 * memory when the scan read it) may hold a match of the scan's query: by
 * the segment's filters (sealed: the bits the scan took from its index;
 * open: the filter in memory), or by the frame's own filter in the block.
 * A read error: yes. */
static int frame_may(const struct scan_ctx *c, const struct ag_block *b, const struct frame *f,
                     size_t fi, const uint8_t *mf)
{
	const uint64_t *sb = seg_bits(c, b->seg->ix);
	if (sb && !bit(sb, b->frame0 + (uint32_t)fi))
		return 0;
	if (b->flags & BLK_SEGFILT) {
		if (sb || !mf || sl_get32(mf) != b->nframes)
			return 1;
		uint32_t fno = b->frame0 + (uint32_t)fi;
		struct mem_probe m = {
		    .salt = {stripe_salt(b->seg, fno, 0), stripe_salt(b->seg, fno, 1)}};
		mf_frame(mf, fi, m.f, m.size);
		return ag_query_may_match(c->sc->q, mem_probe, &m);
	}
	struct bloom_probe p = {.g = b->seg, .f = f};
	return ag_query_may_match(c->sc->q, probe, &p) || p.err;
}

/* 1 if any of bits first .. first + n - 1 of b is set. */
static int bits_any(const uint64_t *b, uint32_t first, uint32_t n)
{
	for (uint32_t i = first; i < first + n;) {
		if (i % 64 == 0 && i + 64 <= first + n) {
			if (b[i / 64])
				return 1;
			i += 64;
		} else if (bit(b, i++)) {
			return 1;
		}
	}
	return 0;
}

static int visit(void *ud, int64_t t, const char *line, size_t len, uint32_t i)
{
	struct scan_ctx *c = ud;
	if ((c->maybe && !bit(c->maybe, i)) || !in_time(c->sc, t))
		return 0;
	if ((++c->sc->events_seen & 1023) == 0 && c->sc->deadline_ms &&
	    sl_mono_ms() > c->sc->deadline_ms) {
		c->sc->timed_out = 1;
		c->stop = 1;
		return 1;
	}
	const struct ag_event *ev = NULL;
	int sure = c->yes && bit(c->yes, i);
	if (c->parse && (!sure || c->sc->need_event)) {
		if (!sure && !ag_prefilter_pass(&c->pf, line, len))
			return 0;
		if (ag_event_parse(&c->ev, line, len))
			return 0;
		ev = &c->ev;
		if (!sure && !ag_query_match_event(c->sc->q, ev))
			return 0;
	}
	struct ag_pos pos = {c->pos.gen, c->pos.at + i};
	cb_enter(c);
	cb_leave(c, c->fn(c->ud, line, len, t, ev, &pos));
	return stopped(c);
}

static int newest_block_first(const void *a, const void *b)
{
	const struct ag_block *x = *(const struct ag_block *const *)a;
	const struct ag_block *y = *(const struct ag_block *const *)b;
	if (x->tmax != y->tmax)
		return x->tmax < y->tmax ? 1 : -1;
	return x < y ? 1 : -1;
}

/* Reads the times of frame f's events into t + f->first: inflates only the
 * entry table at the start of its events. Returns 0 or -1. */
static int frame_times(const struct ag_segment *g, const struct frame *f, struct sl_buf *ents,
                       int64_t *t)
{
	uint8_t pre[FRAME_PRE_X];
	uint64_t at = f->off + f->bloom_len, left = f->zlen;
	size_t n = f->zlen < FRAME_PRE_X ? (size_t)f->zlen : FRAME_PRE_X;
	uint32_t el = 0, xl = 0;
	long pl;
	if (!n || read_all(g->fd, pre, n, at) || (pl = frame_prefix(pre, f->zlen, n, &el, &xl)) < 0)
		return -1;
	int columnar = pl > 0;
	size_t need = (size_t)f->count * EV_ENT;
	if (columnar) {
		/* the times come first, as varints, after the hex values */
		need = el < AG_FRAME_TIMES_MAX(f->count) ? el : AG_FRAME_TIMES_MAX(f->count);
		at += (uint64_t)pl + xl;
		left -= (uint64_t)pl + xl;
	}
	uint8_t in[16384];
	z_stream zs = {0};
	sl_buf_reset(ents);
	if (inflateInit(&zs) != Z_OK)
		return -1;
	zs.next_out = (Bytef *)sl_buf_reserve(ents, need);
	zs.avail_out = (uInt)need;
	int ended = 0;
	while (zs.avail_out && !ended) {
		if (!zs.avail_in) {
			size_t k = left < sizeof in ? (size_t)left : sizeof in;
			if (!k || read_all(g->fd, in, k, at))
				break;
			at += k;
			left -= k;
			zs.next_in = in;
			zs.avail_in = (uInt)k;
		}
		int r = inflate(&zs, Z_NO_FLUSH);
		if (r == Z_STREAM_END)
			ended = 1;
		else if (r != Z_OK)
			break;
	}
	size_t got = need - zs.avail_out;
	inflateEnd(&zs);
	if (columnar)
		return ag_frame_times((const uint8_t *)ents->data, got, f->count, t + f->first);
	if (got != need)
		return -1;
	for (uint32_t i = 0; i < f->count; i++)
		t[f->first + i] =
		    (int64_t)sl_get64((const uint8_t *)ents->data + (size_t)i * EV_ENT);
	return 0;
}

/* Scratch of a scan's column and frame reads. */
struct scan_cols {
	struct colread cr;
	struct sl_buf ents;
	int64_t *t;
	size_t cap_t;
	struct frame *fr;
	size_t nf, cap_fr;
};

/* Counts the events of block b its columns say match (cs->yes, all of them
 * certain) without reading its events: calls c->count for each. Returns 1
 * when done, 0 when the columns cannot give the by field (the block must be
 * read), -1 on a read error. */
static int count_from_columns(struct scan_ctx *c, const struct ag_block *b, struct scan_cols *k)
{
	const struct ag_columns *cs = &k->cr.cs;
	struct ag_column *byc = NULL;
	if (c->by) {
		for (size_t i = 0; i < cs->n && !byc; i++)
			if (!strcmp(cs->c[i].key, c->by))
				byc = &cs->c[i];
		if (byc ? !byc->is_col : !cs->complete)
			return 0;
		if (byc && !byc->codes && col_load(&k->cr, byc))
			return -1;
	}
	const struct ag_scan *sc = c->sc;
	int partly = (sc->from && b->tmin < sc->from) || (sc->until && b->tmax > sc->until);
	int times = sc->need_time || partly;
	/* the time the totals are counted at (those of a block within one step
	 * of a histogram: the times of its events would all say that step) */
	int64_t at = 0;
	if (times && !partly && sc->time_step > 0 &&
	    sl_floordiv(b->tmin, sc->time_step) == sl_floordiv(b->tmax, sc->time_step)) {
		times = 0;
		at = b->tmin;
	}
	if (times) {
		if (b->count > k->cap_t) {
			k->cap_t = b->count;
			k->t = sl_realloc(k->t, k->cap_t * sizeof *k->t);
		}
		for (size_t f = 0; f < k->nf; f++)
			if (frame_times(b->seg, &k->fr[f], &k->ents, k->t))
				return -1;
	}
	uint64_t per[256] = {0}; /* without times: events per code of by */
	uint32_t tally[4][256];  /* the same, of the words whose 64 events match */
	size_t ncodes = byc ? byc->ndict + 1 : 0;
	for (size_t t = 0; t < 4; t++)
		memset(tally[t], 0, ncodes * sizeof tally[t][0]);
	if (times) /* a callback per event: the lock for all of them */
		cb_enter(c);
	for (size_t w = 0; w < (b->count + 63) / 64 && !c->stop; w++) {
		uint64_t m = k->cr.yes[w];
		if (!times && !byc) {
			per[0] += (uint64_t)__builtin_popcountll(m);
			continue;
		}
		if (!times && m == ~0ULL) {
			/* 64 events: count their codes, in four tallies so that
			 * runs of one code do not wait on one counter */
			const uint8_t *cd = byc->codes + w * 64;
			for (size_t i = 0; i < 64; i += 4) {
				tally[0][cd[i]]++;
				tally[1][cd[i + 1]]++;
				tally[2][cd[i + 2]]++;
				tally[3][cd[i + 3]]++;
			}
			continue;
		}
		for (; m && !c->stop; m &= m - 1) {
			size_t i = w * 64 + (size_t)__builtin_ctzll(m);
			uint8_t code = byc ? byc->codes[i] : 0;
			if (!times) {
				per[code]++;
				continue;
			}
			if (!in_time(sc, k->t[i]))
				continue;
			if (c->count(c->count_ud, 1, k->t[i], code ? &byc->dict[code - 1] : NULL))
				c->stop = 1;
		}
	}
	for (size_t code = 0; code < ncodes; code++)
		per[code] +=
		    (uint64_t)tally[0][code] + tally[1][code] + tally[2][code] + tally[3][code];
	if (!times)
		cb_enter(c);
	for (size_t code = 0; code < 256 && !c->stop; code++)
		if (per[code] &&
		    c->count(c->count_ud, per[code], at, code ? &byc->dict[code - 1] : NULL))
			c->stop = 1;
	cb_leave(c, c->stop);
	return 1;
}

/* Reads blocks of bl[0..keep) (newest first) for scan c: each the next no
 * thread of the scan has taken. Returns 0, or -1 on a read error (logged). */
static int scan_blocks(struct scan_ctx *c, struct ag_block **bl, size_t keep)
{
	struct ag_scan *sc = c->sc;
	struct sl_buf z = {0}, raw = {0};
	struct scan_cols k = {0};
	int rc = 0;
	size_t own = 0, *next = c->par ? &c->par->next : &own;
	for (size_t i; !stopped(c) && (i = __atomic_fetch_add(next, 1, __ATOMIC_RELAXED)) < keep;) {
		const struct ag_block *b = bl[i];
		int64_t floor = __atomic_load_n(&c->top->floor, __ATOMIC_RELAXED);
		if (floor && b->tmax < floor) {
			/* every block after it ends before it: none is read */
			size_t rest = __atomic_exchange_n(next, keep, __ATOMIC_RELAXED);
			sc->blocks_skipped += 1 + (rest < keep ? keep - rest : 0);
			break;
		}
		/* a sealed segment's filters are read for all its frames at once
		 * (seg_bits): a block none of whose frames they let a search
		 * through is not read at all (a count reads the columns first:
		 * they may answer it without the filters) */
		const uint64_t *sb = c->count ? NULL : seg_bits(c, b->seg->ix);
		if (sb && !bits_any(sb, b->frame0, b->nframes ? b->nframes : 1)) {
			sc->blocks_skipped++;
			continue;
		}
		/* the clock is read only before a block that costs a read */
		if (sc->deadline_ms && sl_mono_ms() > sc->deadline_ms) {
			sc->timed_out = 1;
			break;
		}
		const uint8_t *mf =
		    b->flags & BLK_SEGFILT ? __atomic_load_n(&b->mf, __ATOMIC_ACQUIRE) : NULL;
		long nf = block_frames(b, &k.fr, &k.cap_fr);
		if (nf < 0)
			goto bad;
		k.nf = (size_t)nf;
		c->yes = c->maybe = NULL;
		size_t sure = 0;
		/* a search probes the frames' filters first: most blocks have no
		 * frame a word can be in, and are skipped without reading their
		 * columns (a count reads the columns first: they may answer it) */
		int probed = !c->count;
		if (probed) {
			int any = 0;
			for (size_t f = 0; f < k.nf; f++)
				any |= k.fr[f].may = frame_may(c, b, &k.fr[f], f, mf);
			if (!any) {
				sc->blocks_skipped++;
				continue;
			}
		}
		if (b->col_len) {
			if (block_columns(b, &k.cr))
				goto bad;
			ag_query_columns(sc->q, &k.cr.cs, k.cr.yes, k.cr.maybe);
			size_t nw = (b->count + 63) / 64, w, any = 0;
			for (sure = 1, w = 0; w < nw; w++) {
				any |= k.cr.maybe[w] != 0;
				sure &= k.cr.maybe[w] == k.cr.yes[w];
			}
			sc->blocks_columns++;
			if (!any) {
				sc->blocks_skipped++;
				continue;
			}
			if (sure && c->count) {
				int r = count_from_columns(c, b, &k);
				if (r < 0)
					goto bad;
				if (r)
					continue;
			}
			c->yes = k.cr.yes;
			c->maybe = k.cr.maybe;
		}
		/* the frames' filters, for frames where the columns left doubt */
		int any_frame = 0;
		for (size_t f = 0; f < k.nf; f++) {
			struct frame *fr = &k.fr[f];
			fr->may = (!probed || fr->may) &&
			          (!c->maybe || bits_any(c->maybe, fr->first, fr->count));
			if (fr->may && !sure && !probed)
				fr->may = frame_may(c, b, fr, f, mf);
			any_frame |= fr->may;
		}
		if (!any_frame) {
			sc->blocks_skipped++;
			continue;
		}
		sc->blocks_read++;
		for (size_t f = 0; f < k.nf && !stopped(c); f++) {
			if (!k.fr[f].may)
				continue;
			int r = frame_read(b->seg, &k.fr[f], &z, &raw, &k.cr, &c->pf);
			c->pos = (struct ag_pos){b->seg->gen, b->off << 24};
			if (r < 0 || (!r && raw_each(&k.fr[f], raw.data, visit, c)))
				goto bad;
			sc->frames_skipped += r == 1;
		}
		continue;
	bad:
		sl_error("%s: block at %llu cannot be read", b->seg->path,
		         (unsigned long long)b->off);
		rc = -1;
		break;
	}
	sl_buf_free(&z);
	sl_buf_free(&raw);
	colread_free(&k.cr);
	sl_buf_free(&k.ents);
	free(k.t);
	free(k.fr);
	return rc;
}

/* A thread of a scan and its share of the blocks. */
struct scan_worker {
	pthread_t th;
	struct scan_ctx c;
	struct ag_scan sc;
	struct ag_block **bl;
	size_t keep;
	int rc;
};

static void *scan_worker_main(void *arg)
{
	struct scan_worker *w = arg;
	w->rc = scan_blocks(&w->c, w->bl, w->keep);
	return NULL;
}

/* scan_blocks over all of bl on up to s->o.scan_threads threads (the
 * caller's is one), each taking the next block when done with one (a
 * needle's few blocks to read are spread anyhow); their counters are added
 * to c->sc. */
static int scan_parallel(struct ag_store *s, struct scan_ctx *c, struct ag_block **bl, size_t keep)
{
	size_t n = s->o.scan_threads;
	if (n > keep / 4)
		n = keep / 4; /* a few blocks are not worth a thread */
	if (n <= 1)
		return scan_blocks(c, bl, keep);
	struct scan_par par = {.mu = PTHREAD_MUTEX_INITIALIZER};
	struct scan_worker *w = sl_calloc(n - 1, sizeof *w);
	c->par = &par;
	size_t started = 0;
	for (; started < n - 1; started++) {
		struct scan_worker *x = &w[started];
		*x = (struct scan_worker){.c = *c, .sc = *c->sc, .bl = bl, .keep = keep};
		x->sc.blocks_read = x->sc.blocks_skipped = x->sc.events_seen = 0;
		x->sc.blocks_columns = x->sc.frames_skipped = 0;
		x->c.sc = &x->sc;
		x->c.ev = (struct ag_event){0};
		ag_prefilter_build(c->sc->q, &x->c.pf);
		if (pthread_create(&x->th, NULL, scan_worker_main, x)) {
			ag_prefilter_free(&x->c.pf);
			break;
		}
	}
	/* the caller's thread takes blocks too (all of them if no thread
	 * could start) */
	int rc = scan_blocks(c, bl, keep);
	struct ag_scan *sc = c->sc;
	for (size_t i = 0; i < started; i++) {
		struct scan_worker *x = &w[i];
		pthread_join(x->th, NULL);
		rc |= x->rc;
		sc->blocks_read += x->sc.blocks_read;
		sc->blocks_skipped += x->sc.blocks_skipped;
		sc->blocks_columns += x->sc.blocks_columns;
		sc->frames_skipped += x->sc.frames_skipped;
		sc->events_seen += x->sc.events_seen;
		sc->timed_out |= x->sc.timed_out;
		ag_event_free(&x->c.ev);
		ag_prefilter_free(&x->c.pf);
	}
	c->par = NULL;
	free(w);
	return rc;
}

/* The scan of ag_store_scan and ag_store_count. */
static int scan(struct ag_store *s, struct scan_ctx *c)
{
	struct ag_scan *sc = c->sc;
	c->top = sc;
	c->parse = sc->need_event || !ag_query_is_all(sc->q);
	ag_prefilter_build(sc->q, &c->pf);
	/* pending events, then a snapshot of the blocks */
	pthread_rwlock_rdlock(&s->lock);
	for (size_t gi = 0; gi < s->nsegs && !c->stop; gi++) {
		const struct ag_segment *g = s->segs[gi];
		c->pos = (struct ag_pos){g->gen, 1ULL << 63};
		for (size_t i = g->npe; i-- > 0 && !c->stop;)
			visit(c, g->pe[i].time_ns, g->pend.data + g->pe[i].off, g->pe[i].len,
			      (uint32_t)i);
	}
	size_t nb = s->nblocks, ns = s->nsegs;
	struct ag_block **bl = sl_malloc((nb ? nb : 1) * sizeof *bl);
	if (nb)
		memcpy(bl, s->blocks, nb * sizeof *bl);
	/* the sealed segments' filter sections; until this scan ends, frame
	 * filters that sealing retires are not freed (retired_free) */
	struct sec_rows *sr = sl_calloc(ns ? ns : 1, sizeof *sr);
	for (size_t i = 0; i < ns; i++)
		sr[i] = (struct sec_rows){
		    s->segs[i]->fg,  s->segs[i]->nfg, s->segs[i]->ifd, s->segs[i]->nfr, 0,
		    s->segs[i]->path};
	__atomic_add_fetch(&s->scans, 1, __ATOMIC_ACQ_REL);
	pthread_rwlock_unlock(&s->lock);
	size_t keep = 0;
	pthread_mutex_t segmu = PTHREAD_MUTEX_INITIALIZER;
	c->sr = sr;
	c->segbits = sl_calloc(ns ? ns : 1, sizeof *c->segbits);
	c->nseg = ag_query_is_all(sc->q) ? 0 : ns; /* no filter can skip */
	c->segmu = &segmu;
	for (size_t i = 0; i < nb; i++) {
		const struct ag_block *b = bl[i];
		if ((sc->from && b->tmax < sc->from) || (sc->until && b->tmin > sc->until)) {
			sc->blocks_skipped++;
			continue;
		}
		bl[keep++] = bl[i];
	}
	qsort(bl, keep, sizeof *bl, newest_block_first);
	int rc = c->stop ? 0 : scan_parallel(s, c, bl, keep);
	for (size_t i = 0; i < ns; i++)
		free(c->segbits[i]);
	free(c->segbits);
	c->segbits = NULL;
	c->sr = NULL;
	pthread_mutex_destroy(&segmu);
	c->nseg = 0;
	free(sr);
	__atomic_sub_fetch(&s->scans, 1, __ATOMIC_ACQ_REL);
	__atomic_add_fetch(&s->blocks_read, sc->blocks_read, __ATOMIC_RELAXED);
	__atomic_add_fetch(&s->blocks_skipped, sc->blocks_skipped, __ATOMIC_RELAXED);
	free(bl);
	ag_event_free(&c->ev);
	ag_prefilter_free(&c->pf);
	return rc;
}

int ag_store_scan(struct ag_store *s, struct ag_scan *sc, ag_scan_fn fn, void *ud)
{
	struct scan_ctx c = {.sc = sc, .fn = fn, .ud = ud};
	return scan(s, &c);
}

/* A matching event a count had to read: its first value of the by field. */
static int count_event(void *ud, const char *line, size_t len, int64_t t, const struct ag_event *ev,
                       const struct ag_pos *pos)
{
	(void)line;
	(void)len;
	(void)pos;
	struct scan_ctx *c = ud;
	const struct ag_field *f = NULL;
	for (size_t i = 0; c->by && ev && i < ev->n && !f; i++)
		if (!strcmp(ev->f[i].key, c->by))
			f = &ev->f[i];
	return c->count(c->count_ud, 1, t, f);
}

int ag_store_count(struct ag_store *s, struct ag_scan *sc, const char *by, ag_count_fn fn, void *ud)
{
	struct scan_ctx c = {.sc = sc, .fn = count_event, .count = fn, .by = by, .count_ud = ud};
	c.ud = &c;
	if (by)
		sc->need_event = 1;
	return scan(s, &c);
}

struct top {
	struct ag_scan *sc;
	struct ag_hit *h; /* a min-heap (hit_older) once full */
	size_t n, cap, limit;
};

/* Events of the same time are ordered by where they are stored (later is
 * newer), not by which of a scan's threads found them first. */
static int hit_older(const struct ag_hit *a, const struct ag_hit *b)
{
	if (a->time_ns != b->time_ns)
		return a->time_ns < b->time_ns;
	if (a->pos.gen != b->pos.gen)
		return a->pos.gen < b->pos.gen;
	return a->pos.at < b->pos.at;
}

static void sift_down(struct ag_hit *h, size_t n, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		if (l < n && hit_older(&h[l], &h[m]))
			m = l;
		if (r < n && hit_older(&h[r], &h[m]))
			m = r;
		if (m == i)
			return;
		struct ag_hit t = h[i];
		h[i] = h[m];
		h[m] = t;
		i = m;
	}
}

static void sift_up(struct ag_hit *h, size_t i)
{
	while (i && hit_older(&h[i], &h[(i - 1) / 2])) {
		struct ag_hit t = h[i];
		h[i] = h[(i - 1) / 2];
		h[(i - 1) / 2] = t;
		i = (i - 1) / 2;
	}
}

/* Keeps a copy of the hit (owned by the heap, freed by ag_hits_free). */
static int top_add(void *ud, const char *line, size_t len, int64_t t, const struct ag_event *ev,
                   const struct ag_pos *pos)
{
	struct top *tp = ud;
	struct ag_hit hit = {.time_ns = t, .pos = *pos, .len = len};
	if (tp->limit && tp->n == tp->limit) {
		if (!hit_older(&tp->h[0], &hit))
			return 0;
		free(tp->h[0].line);
		hit.line = sl_strndup(line, len);
		tp->h[0] = hit;
		sift_down(tp->h, tp->n, 0);
		__atomic_store_n(&tp->sc->floor, tp->h[0].time_ns, __ATOMIC_RELAXED);
		return 0;
	}
	if (tp->n == tp->cap) {
		tp->cap = tp->cap ? tp->cap * 2 : 256;
		tp->h = sl_realloc(tp->h, tp->cap * sizeof *tp->h);
	}
	hit.line = sl_strndup(line, len);
	tp->h[tp->n++] = hit;
	sift_up(tp->h, tp->n - 1);
	if (tp->limit && tp->n == tp->limit)
		__atomic_store_n(&tp->sc->floor, tp->h[0].time_ns, __ATOMIC_RELAXED);
	return 0;
}

static int newest_hit_first(const void *a, const void *b)
{
	const struct ag_hit *x = a, *y = b;
	if (hit_older(x, y))
		return 1;
	return hit_older(y, x) ? -1 : 0;
}

long ag_store_search(struct ag_store *s, struct ag_scan *sc, size_t limit, struct ag_hit **hits)
{
	struct top tp = {.sc = sc, .limit = limit};
	sc->floor = 0;
	if (ag_store_scan(s, sc, top_add, &tp)) {
		ag_hits_free(tp.h, tp.n);
		*hits = NULL;
		return -1;
	}
	if (tp.n)
		qsort(tp.h, tp.n, sizeof *tp.h, newest_hit_first);
	*hits = tp.h;
	return (long)tp.n;
}

void ag_hits_free(struct ag_hit *hits, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(hits[i].line);
	free(hits);
}

void ag_store_follow(struct ag_store *s, int on)
{
	pthread_rwlock_wrlock(&s->lock);
	if (on && !s->followers++)
		s->ring_from = s->seq; /* the ring holds nothing older */
	else if (!on && s->followers)
		s->followers--;
	pthread_rwlock_unlock(&s->lock);
}

uint64_t ag_store_recent(struct ag_store *s, uint64_t *cursor, ag_scan_fn fn, void *ud)
{
	uint64_t dropped = 0;
	pthread_rwlock_rdlock(&s->lock);
	if (*cursor == UINT64_MAX || *cursor > s->seq)
		*cursor = s->seq;
	uint64_t first = s->seq > s->o.recent ? s->seq - s->o.recent : 0;
	if (first < s->ring_from)
		first = s->ring_from;
	if (*cursor < first) {
		dropped = first - *cursor;
		*cursor = first;
	}
	for (; *cursor < s->seq; (*cursor)++) {
		const struct ag_recent *r = &s->ring[*cursor % s->o.recent];
		if (fn(ud, r->line, r->len, r->time_ns, NULL, NULL)) {
			(*cursor)++;
			break;
		}
	}
	pthread_rwlock_unlock(&s->lock);
	return dropped;
}
