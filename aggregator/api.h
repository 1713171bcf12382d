/*
 * api — the aggregator's HTTP API on libevent's evhttp:
 *   GET /api/v1/search?q=&limit=&since=&from=&until=   NDJSON, newest first
 *   GET /api/v1/count?q=&since=&from=&until=           {"count": N}
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

struct ag_api {
	struct evhttp *http;
	struct ag_config *cfg;
	struct ag_store *store;
	struct ag_ingest *ingest;
	unsigned long requests;
};

/* Binds api.listen on base. Returns 0, or -1 with a message logged. */
int ag_api_start(struct ag_api *api, struct event_base *base, struct ag_config *cfg,
                 struct ag_store *store, struct ag_ingest *ingest);
void ag_api_stop(struct ag_api *api);

#endif
