/*
 * store — the aggregator's event store (first slice: one append-only file).
 *
 * <dir>/events.ndjson holds one event per line. A batch is appended with one
 * write and made durable with fdatasync before ag_store_append returns; only
 * then does the ingest loop commit Kafka offsets. On open, a torn last line
 * (a crash mid-write) is cut off — its events were never committed to Kafka
 * and come again — and the in-memory index (time, offset, length per event)
 * and the set of stored ids are rebuilt by reading the file.
 *
 * One writer (the ingest thread), many readers (API requests): readers take
 * the read lock while they walk the index; the data they read is immutable.
 */
#ifndef AG_STORE_H
#define AG_STORE_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "sl_buf.h"

struct ag_entry {
	int64_t time_ns;
	uint64_t off;
	uint32_t len; /* without the newline */
};

struct ag_idset {
	uint64_t (*v)[2]; /* open addressing; {0,0} is empty */
	size_t cap, n;
};

struct ag_store {
	char *path; /* malloc'd */
	int fd;
	uint64_t size; /* durable bytes */
	struct ag_entry *v;
	size_t n, cap;
	pthread_rwlock_t lock;
	struct ag_idset ids;
	uint64_t dropped_duplicates;
};

/* Opens (creating) the store in dir, recovering and indexing it. Returns 0,
 * or -1 with a message logged. Close with ag_store_close(). */
int ag_store_open(struct ag_store *s, const char *dir);
void ag_store_close(struct ag_store *s);
/* Id of an event as 128 bits: 32 hex digits taken as they are, anything else
 * hashed. */
void ag_id_parse(const char *id, uint64_t out[2]);
/* 1 if the id is stored (or staged in the current batch), else adds it and
 * returns 0. A failed append is fatal to the process: the restart rebuilds
 * the set from the file. */
int ag_store_check_id(struct ag_store *s, const uint64_t id[2]);
/* Appends lines (n events, each ending in '\n', described by e with offsets
 * relative to the start of lines) durably and publishes them to readers.
 * Returns 0 or -1. */
int ag_store_append(struct ag_store *s, const struct sl_buf *lines, const struct ag_entry *e,
                    size_t n);
/* Reads event i's line into out (reset first). Call with the read lock held. */
int ag_store_read(const struct ag_store *s, size_t i, struct sl_buf *out);

#endif
