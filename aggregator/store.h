/*
 * store — the aggregator's event store: time-partitioned segments of
 * checksummed blocks (columns of the fields with few values, and
 * zlib-compressed frames of events with a token filter each), an id
 * filter per segment, and the unflushed events kept in memory
 * (docs/storage.md describes the files).
 *
 * One writer (the ingest thread) calls ag_store_seen, ag_store_add and
 * ag_store_flush; any number of readers scan. Blocks and sealed segment
 * indexes never change once written, so readers take the read lock only to
 * snapshot the block list and to look at the in-memory events.
 */
#ifndef AG_STORE_H
#define AG_STORE_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "fields.h"
#include "query.h"
#include "sl_buf.h"

struct ag_idset {
	uint64_t (*v)[2]; /* open addressing; {0,0} is empty */
	size_t cap, n;
};

struct ag_segment;
struct flush_buf;
struct colbuild;

/* One compressed block of a segment; immutable once published. */
struct ag_block {
	struct ag_segment *seg;
	uint64_t off; /* of the block header in the segment file */
	uint32_t count, raw_len, zlen, bloom_len;
	uint32_t col_len, col_raw; /* the column section and its directory; 0: none */
	uint32_t nframes;          /* 0: one frame, the first format's body */
	uint32_t flags;            /* BLK_* of store.c */
	uint32_t frame0;           /* the number of its first frame in its segment */
	int64_t tmin, tmax;
	/* BLK_SEGFILT: its frames' filters while its segment is open (u32
	 * frames; per frame u32 sizes of its filter of fields' keys and of
	 * words, then the two filters); NULL once the segment's index holds
	 * them. Read with an atomic load: sealing retires it. */
	uint8_t *mf;
};

/* An event waiting in memory for its block. */
#define AG_NO_SPANS UINT32_MAX

struct ag_pending {
	int64_t time_ns;
	uint64_t seq;
	uint32_t off, len;    /* in the segment's pending buffer */
	uint32_t key0, nkeys; /* in the segment's pending keys */
	uint32_t nfield;      /* the first nfield are the fields', then words */
	/* bit k: key k (k < 64) is the previous pending event's key k, so a
	 * frame holding both events has it already */
	uint64_t rep;
	/* where its members' values are (struct ag_event's span), in the
	 * segment's pending spans; nspan AG_NO_SPANS: not known */
	uint32_t span0, nspan;
	uint64_t id[2];
};

/* A group of a sealed segment's frame filters (store.c, seg_filters). */
struct ag_fgroup {
	uint32_t size, nf, word;
	uint64_t salt;
	uint64_t rows; /* where its rows are in the index file */
	uint32_t *fno; /* its frames' numbers in the segment */
};

struct ag_segment {
	char *path; /* of the .seg file; the index is path with .idx */
	int fd;
	char cls[32]; /* retention class the events fell under */
	int64_t day;  /* days since the epoch of its events' time */
	uint64_t gen;
	size_t ix; /* its place in the store's segment list */
	int sealed;
	uint32_t nfr; /* frames of its blocks */
	/* sealed: its frames' filters laid out by bit in its index, read with
	 * pread through ifd (reading them through the mapping would map whole
	 * large folios of the page cache into the process); fg: its groups
	 * (nfg; NULL: none). Set under the store's write lock. */
	struct ag_fgroup *fg;
	size_t nfg;
	int ifd;
	uint64_t size, nevents, raw_bytes;
	int64_t tmin, tmax; /* of the events of its blocks (INT64_MAX, INT64_MIN: none) */
	int64_t last_write_ms;
	/* sealed: the mapped index file */
	uint8_t *map;
	size_t map_len;
	const uint8_t *ids;  /* index of the second format: nids sorted 16-byte ids */
	const uint8_t *perm; /* else: the events (numbered in the segment), sorted
	                      * by id, perm_w bytes each; their ids are in the
	                      * blocks' id sections */
	unsigned perm_w;
	uint64_t nids;
	uint64_t *bl_first, *bl_off; /* per block: its first event, its offset */
	size_t nbl;
	const uint8_t *id_bloom;
	size_t id_bloom_len;
	/* open: the ids of its blocks and of its pending events */
	struct ag_idset open_ids;
	/* pending (unflushed) events */
	struct sl_buf pend;
	struct ag_pending *pe;
	size_t npe, cap_pe;
	uint64_t *keys;
	size_t nkeys, cap_keys;
	uint32_t *spans;
	size_t nspans, cap_spans;
	/* the columns of the pending events: one builder per block they will
	 * make, in order; cb_bytes is the line bytes of the last one's events */
	struct colbuild **cbs;
	size_t ncb, cap_cb, cb_bytes;
};

struct ag_store_opts {
	size_t block_size;    /* raw bytes of events per block */
	uint64_t segment_max; /* raw bytes after which a segment is sealed */
	int level;            /* zlib level */
	int64_t seal_idle_ms; /* an open segment not written for this long is sealed */
	size_t recent;        /* events kept for tail */
	size_t scan_threads;  /* threads one search or count reads blocks on */
};

struct ag_recent {
	uint64_t seq;
	int64_t time_ns;
	char *line; /* cap bytes, reused by the events that take the slot */
	uint32_t len, cap;
};

struct ag_store {
	char *dir;
	struct ag_store_opts o;
	pthread_rwlock_t lock;
	int batch; /* writer: holds the write lock for ag_store_batch_begin */
	struct ag_segment **segs;
	size_t nsegs, cap_segs;
	struct ag_block **blocks;
	size_t nblocks, cap_blocks;
	uint64_t next_gen;
	uint64_t seq; /* events added since start */
	size_t pending_bytes;
	int64_t pending_since_ms; /* when the oldest pending event came; 0: none */
	/* the newest events, for tail: kept only while a reader follows
	 * (ag_store_follow), from event ring_from on */
	struct ag_recent *ring;
	size_t followers;
	uint64_t ring_from;
	/* counters */
	uint64_t events, disk_bytes, raw_bytes; /* disk: blocks and indexes */
	uint64_t dropped_duplicates;
	uint64_t blocks_read, blocks_skipped; /* added to atomically */
	/* scans running (atomic), and the frame filters of sealed segments
	 * they may still read, freed when none runs */
	size_t scans;
	uint8_t **retired;
	size_t nretired, cap_retired;
	struct ag_event add_ev;           /* writer: ag_store_add parses into it */
	struct libdeflate_compressor *zc; /* writer: compresses frames */
	struct flush_buf *fb;             /* writer: ag_store_flush's scratch */
	struct ag_idset spare_ids;        /* writer: a sealed segment's id table, for the next */
};

/* Fills o with the defaults. */
void ag_store_defaults(struct ag_store_opts *o);
/* Opens (creating) the store in dir: loads sealed segment indexes, recovers
 * and seals segments a crash left open (cutting a torn tail), imports a
 * first-slice events.ndjson. Returns 0, or -1 with a message logged. Close
 * with ag_store_close() either way. */
int ag_store_open(struct ag_store *s, const char *dir, const struct ag_store_opts *o);
/* Flushes and seals what is open, then frees everything. */
void ag_store_close(struct ag_store *s);

/* Id of an event as 128 bits: 32 hex digits taken as they are, anything else
 * hashed. */
void ag_id_parse(const char *id, uint64_t out[2]);
/* 1 if an event with this id is stored or pending. time_ns: the event's
 * own time (the same whenever the event comes again), which spares the
 * sealed segments whose events are all older or newer; 0 when the event has
 * none (it gets the ingest time, different each time). Writer thread only. */
int ag_store_seen(struct ag_store *s, const uint64_t id[2], int64_t time_ns);
/* Starts loading what ag_store_seen will read for id into the CPU's cache
 * (the ids of open segments are a table too large for it): call it, do
 * other work, then ag_store_seen. Writer thread only. */
void ag_store_prefetch(const struct ag_store *s, const uint64_t id[2]);
/* Adds one event (a JSON object line without newline, its time, id and index
 * keys, the first nfield of them the fields', the rest its words: what
 * ag_index_keys gives and returns) to the pending events of the segment for its retention class cls
 * (letters, digits, '_') and day: searchable at once, durable after the next
 * ag_store_flush. Writer thread only. Parses the line for the block's
 * columns; ag_store_add_event takes it parsed. */
void ag_store_add(struct ag_store *s, const char *cls, const char *line, size_t len,
                  int64_t time_ns, const uint64_t id[2], const uint64_t *keys, size_t nkeys,
                  size_t nfield);
/* ag_store_add of an event the caller has parsed: ev is line flattened by
 * ag_event_parse (NULL: it did not parse), read during the call only. */
void ag_store_add_event(struct ag_store *s, const char *cls, const char *line, size_t len,
                        int64_t time_ns, const uint64_t id[2], const uint64_t *keys, size_t nkeys,
                        size_t nfield, const struct ag_event *ev);
/* Around a run of ag_store_add calls (the events of one Kafka message):
 * the write lock is taken once for all of them instead of once each, so
 * readers wait for the run. Writer thread only; no flush inside. */
void ag_store_batch_begin(struct ag_store *s);
void ag_store_batch_end(struct ag_store *s);
/* Writes every pending event into blocks, fsyncs them and publishes them to
 * readers; seals segments that are full or idle. Returns 0, or -1 (the
 * pending events are then kept). Writer thread only. */
int ag_store_flush(struct ag_store *s);

/* ---- reading ---- */

/* Where an event is stored: its segment, then its block's offset << 24 plus
 * its number in the block (a block holds fewer than 2^24 events); pending
 * events 2^63 plus their number, after every block of a segment under
 * 512 GiB. Of two events, the one stored later compares greater. */
struct ag_pos {
	uint64_t gen, at;
};

/* Called for each matching event; line is valid during the call only, ev is
 * the parsed event (with need_event; else NULL when the match needed no
 * parsing), pos where it is stored (NULL from ag_store_recent). Return 1 to
 * stop the scan. */
typedef int (*ag_scan_fn)(void *ud, const char *line, size_t len, int64_t time_ns,
                          const struct ag_event *ev, const struct ag_pos *pos);

struct ag_scan {
	const struct ag_qnode *q;
	int64_t from, until; /* ns, inclusive; 0: open */
	int need_event;      /* always parse events (callers that read fields) */
	int need_time;       /* ag_store_count: fn needs every event's time */
	/* ... only the step of time_step ns it falls in (0: the time itself):
	 * the events of a block within one step are counted at its oldest */
	int64_t time_step;
	/* newest blocks are read first; a callback may raise floor to skip blocks
	 * whose newest event is older (top-N searches) */
	int64_t floor;
	int64_t deadline_ms; /* sl_mono_ms() after which the scan gives up; 0: none */
	int timed_out;       /* set when it did */
	uint64_t blocks_read, blocks_skipped, events_seen;
	uint64_t blocks_columns; /* blocks whose columns were read */
	uint64_t frames_skipped; /* inflated, but not decoded: no event could match */
};

/* Visits the matching events, pending ones first, then blocks newest first.
 * Returns 0, or -1 on a read error (logged). Any thread. */
int ag_store_scan(struct ag_store *s, struct ag_scan *sc, ag_scan_fn fn, void *ud);

/* Called for n events a count matches (n > 1 only for events counted from
 * columns): their time (0 for events counted from columns unless
 * sc->need_time, or the block is only partly in the time range; with
 * sc->time_step, a time in the same step as theirs) and their
 * first value of the by field (NULL: none, or no by field was asked).
 * Return 1 to stop. */
typedef int (*ag_count_fn)(void *ud, uint64_t n, int64_t time_ns, const struct ag_field *by);

/* Like ag_store_scan, for counts: a block whose columns answer the query
 * (and hold the by field, when by is not NULL) is counted from them
 * without reading its events. Returns 0, or -1 on a read error. Any
 * thread. */
int ag_store_count(struct ag_store *s, struct ag_scan *sc, const char *by, ag_count_fn fn,
                   void *ud);

/* A search result: a copy of the event line. */
struct ag_hit {
	int64_t time_ns;
	struct ag_pos pos; /* where it is stored: orders hits of the same time */
	char *line;
	size_t len;
};

/* The newest `limit` (0: all) matching events, newest first, in *hits (the
 * caller frees each line and the array with ag_hits_free). Returns the count,
 * or -1 on a read error. */
long ag_store_search(struct ag_store *s, struct ag_scan *sc, size_t limit, struct ag_hit **hits);
void ag_hits_free(struct ag_hit *hits, size_t n);

/* A reader of ag_store_recent starts (on = 1) or stops (on = 0) following
 * new events. The store copies each new event into its ring only while at
 * least one reader follows: no tail open, no copy. */
void ag_store_follow(struct ag_store *s, int on);

/* Calls fn for each recent event with seq > *cursor, oldest first, and
 * moves *cursor. *cursor == UINT64_MAX starts at the newest event. Returns
 * the number of events that fell out of the ring unseen. The caller follows
 * (ag_store_follow) from before its first call. */
uint64_t ag_store_recent(struct ag_store *s, uint64_t *cursor, ag_scan_fn fn, void *ud);

#endif
