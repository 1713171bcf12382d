/*
 * ingest — the Kafka consumer thread: poll a batch, drop events whose id is
 * already stored, append the rest durably, then commit the batch's offsets.
 */
#ifndef AG_INGEST_H
#define AG_INGEST_H

#include <pthread.h>
#include <stdint.h>

#include "config.h"
#include "store.h"

struct ag_ingest {
	struct ag_config *cfg;
	struct ag_store *store;
	rd_kafka_t *rk;
	pthread_t thread;
	int running; /* the thread was started */
	volatile int stop;
	volatile int failed; /* the thread ended on an error */
	/* counters, read by /metrics */
	volatile uint64_t consumed, stored, duplicates, malformed, batches;
};

/* Creates the consumer, subscribes and starts the thread. Returns 0 or -1. */
int ag_ingest_start(struct ag_ingest *in, struct ag_config *cfg, struct ag_store *store);
/* Asks the thread to stop after its current batch, joins it, closes the
 * consumer. */
void ag_ingest_stop(struct ag_ingest *in);

#endif
