/*
 * metrics — the shipper's /metrics (Prometheus text) and /healthz, served by
 * evhttp on a thread of its own so a slow scraper never stalls shipping.
 *
 * The main loop renders the text once a second (sh_metrics_publish) from
 * its own state; the server thread only hands out the latest copy, so no
 * shipper state is shared between threads.
 */
#ifndef SH_METRICS_H
#define SH_METRICS_H

#include <pthread.h>

#include "sl_buf.h"

struct event_base;
struct evhttp;

struct sh_metrics {
	struct event_base *base;
	struct evhttp *http;
	pthread_t thread;
	int running;
	pthread_mutex_t lock;
	struct sl_buf text; /* guarded by lock */
	int healthy;        /* guarded by lock */
	char health[256];   /* guarded by lock */
};

/* Listens on listen ("host:port"). Returns 0, or -1 with a message logged.
 * Stop with sh_metrics_stop(), which frees everything. */
int sh_metrics_start(struct sh_metrics *m, const char *listen);
/* Replaces the served text (copied) and health. */
void sh_metrics_publish(struct sh_metrics *m, const struct sl_buf *text, int healthy,
                        const char *health);
void sh_metrics_stop(struct sh_metrics *m);

#endif
