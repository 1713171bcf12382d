/*
 * sl_id — deterministic event ids.
 *
 * An event's id is XXH3-128 (xxHash's 128-bit hash, whose output the
 * library keeps stable across versions) of host NUL source NUL offset (8
 * bytes, big-endian), written as its canonical big-endian 16 bytes in 32
 * lower-case hex digits, where source is the identity of the file the record
 * came from (see shipper/tail.h). Re-reading the same record after a crash
 * gives the same id, which is what lets the aggregator drop duplicates.
 * Earlier builds used the first 128 bits of SHA-256 of the same bytes (about
 * 10x the cost): a record shipped by such a build and re-sent after an
 * upgrade gets a new id, so it can be stored twice.
 */
#ifndef SL_ID_H
#define SL_ID_H

#include <stddef.h>
#include <stdint.h>

#define SL_ID_HEX 33 /* 32 hex digits + NUL */

void sl_id_make(const char *host, const char *source, uint64_t offset, char out[SL_ID_HEX]);
/* 64-bit FNV-1a, for fingerprints and hash tables (not for ids). */
uint64_t sl_hash64(const void *p, size_t n);

#endif
