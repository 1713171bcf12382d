/*
 * bloom — blocked Bloom filters for the per-block token index and the
 * per-segment id filter.
 *
 * A filter is an array of 64-byte blocks; a key sets or tests AG_BLOOM_K bits
 * of one block, so a lookup touches one cache line (or one 64-byte read).
 * About 10 bits per key give a false-positive rate near 1%.
 */
#ifndef AG_BLOOM_H
#define AG_BLOOM_H

#include <stddef.h>
#include <stdint.h>

#define AG_BLOOM_BLOCK 64
#define AG_BLOOM_K     7

/* 64-bit hash of p[0..n), 8 bytes a step with a murmur finalizer. The
 * filters on disk depend on it: never change it without a format version. */
uint64_t ag_hash(const void *p, size_t n);
/* Bytes a filter for nkeys keys at bits_per_key takes (a multiple of 64). */
size_t ag_bloom_size(size_t nkeys, unsigned bits_per_key);
/* Sets the bits of hash h in the filter f of size bytes. */
void ag_bloom_add(uint8_t *f, size_t size, uint64_t h);
/* 1 if h may be in the filter, 0 if it is certainly not. An empty filter
 * (size 0) may hold anything. */
int ag_bloom_test(const uint8_t *f, size_t size, uint64_t h);
/* Offset of the 64-byte block h falls in, for testing from a file. */
size_t ag_bloom_block_of(size_t size, uint64_t h);
/* ag_bloom_test on the one block h falls in. */
int ag_bloom_test_block(const uint8_t *blk, uint64_t h);
/* The AG_BLOOM_K bits ag_bloom_add sets for h in a filter of size bytes,
 * as bit numbers of the filter (byte i holds bits 8i .. 8i + 7, the lowest
 * first): where a filter laid out by bit (one row per bit, one column per
 * filter) is read for h. */
void ag_bloom_bits(size_t size, uint64_t h, uint32_t bits[AG_BLOOM_K]);

#endif
