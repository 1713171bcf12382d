/*
 * api — the aggregator's HTTP API on libevent's evhttp (docs/api.md):
 *   GET /api/v1/search?q=&limit=&since=&from=&until=   NDJSON, newest first
 *   GET /api/v1/count?q=&since=&from=&until=&by=&top=&every=
 *   GET /api/v1/tail?q=                                 NDJSON, chunked, live
 *   GET /healthz, GET /metrics (Prometheus text)
 * Errors are {"error": "..."} with a 4xx/5xx status.
 */
#ifndef AG_API_H
#define AG_API_H

#include <event2/event.h>
#include <event2/http.h>

#include "config.h"
#include "ingest.h"
#include "store.h"

struct ag_tail;
struct ag_pool;

struct ag_api {
	struct evhttp *http;
	struct event_base *base;
	struct ag_config *cfg;
	struct ag_store *store;
	struct ag_ingest *ingest;
	unsigned long requests;
	struct ag_tail *tails; /* open tail streams */
	size_t ntails;
	struct ag_pool *pool; /* worker threads that run searches and counts */
};

/* Binds api.listen on base and starts api.workers threads for searches and
 * counts (base must have been made after evthread_use_pthreads()). Returns
 * 0, or -1 with a message logged. */
int ag_api_start(struct ag_api *api, struct event_base *base, struct ag_config *cfg,
                 struct ag_store *store, struct ag_ingest *ingest);
/* Stops the workers, ends the tail streams and frees the server. */
void ag_api_stop(struct ag_api *api);

#endif
