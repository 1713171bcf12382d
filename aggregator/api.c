/*
 * api — request parsing, search and count over the store.
 */
#include "api.h"

#include <event2/buffer.h>
#include <event2/keyvalq_struct.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_tree.h>

#include "query.h"
#include "sl_buf.h"
#include "sl_json.h"
#include "sl_log.h"
#include "sl_time.h"

static void send_error(struct evhttp_request *req, int code, const char *msg)
{
	struct sl_buf b = {0};
	struct sl_jw w;
	sl_jw_begin(&w, &b);
	sl_jw_cstr(&w, "error", msg);
	sl_jw_end(&w);
	sl_buf_putc(&b, '\n');
	struct evbuffer *out = evbuffer_new();
	evbuffer_add(out, b.data, b.len);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
	                  "application/json");
	evhttp_send_reply(req, code, code == 404 ? "Not Found" : "Bad Request", out);
	evbuffer_free(out);
	sl_buf_free(&b);
}

/* A time bound: RFC 3339, or a duration meaning that long ago. */
static int parse_bound(const char *s, int64_t *ns)
{
	int64_t ms;
	if (sl_duration_parse(s, &ms) == 0) {
		*ns = sl_time_now_ns() - ms * 1000000;
		return 0;
	}
	return sl_time_parse(s, strlen(s), ns);
}

struct request {
	struct ag_qnode *q;
	int64_t from, until; /* ns; 0: open */
	int64_t limit;
};

/* Reads q, since, from, until, limit. Returns 0, or -1 after replying. */
static int parse_request(struct ag_api *api, struct evhttp_request *req, struct request *r)
{
	struct evkeyvalq params = {0};
	const char *query = evhttp_uri_get_query(evhttp_request_get_evhttp_uri(req));
	char err[512];
	memset(r, 0, sizeof *r);
	r->limit = 100;
	if (query && evhttp_parse_query_str(query, &params)) {
		send_error(req, 400, "malformed query string");
		return -1;
	}
	const char *q = evhttp_find_header(&params, "q");
	const char *since = evhttp_find_header(&params, "since");
	const char *from = evhttp_find_header(&params, "from");
	const char *until = evhttp_find_header(&params, "until");
	const char *limit = evhttp_find_header(&params, "limit");
	int rc = -1;
	if (!q)
		q = "*";
	if ((int64_t)strlen(q) > api->cfg->api.max_query) {
		snprintf(err, sizeof err, "query is longer than api.max_query (%" PRId64 " bytes)",
		         api->cfg->api.max_query);
		send_error(req, 400, err);
		goto out;
	}
	if (since && parse_bound(since, &r->from)) {
		send_error(req, 400, "since: expected a duration like 15m, 2h or 7d");
		goto out;
	}
	if (from && parse_bound(from, &r->from)) {
		send_error(req, 400, "from: expected an RFC 3339 time or a duration");
		goto out;
	}
	if (until && parse_bound(until, &r->until)) {
		send_error(req, 400, "until: expected an RFC 3339 time or a duration");
		goto out;
	}
	if (limit) {
		char *end;
		r->limit = strtoll(limit, &end, 10);
		if (*end || end == limit || r->limit < 0) {
			send_error(req, 400, "limit: expected a whole number (0: no limit)");
			goto out;
		}
	}
	if (r->limit == 0 || r->limit > api->cfg->api.max_results)
		r->limit = api->cfg->api.max_results;
	r->q = ag_query_parse(q, err, sizeof err);
	if (!r->q) {
		send_error(req, 400, err);
		goto out;
	}
	rc = 0;
out:
	evhttp_clear_headers(&params);
	return rc;
}

struct hit {
	int64_t time_ns;
	size_t idx;
};

static int newest_first(const void *a, const void *b)
{
	const struct hit *x = a, *y = b;
	if (x->time_ns != y->time_ns)
		return x->time_ns < y->time_ns ? 1 : -1;
	return x->idx < y->idx ? 1 : -1;
}

/* Walks the store under the read lock; collects matches when hits != NULL.
 * Returns the number of matches. */
static size_t scan(struct ag_store *st, const struct request *r, struct hit **hits, size_t *cap)
{
	struct sl_buf line = {0};
	size_t count = 0;
	for (size_t i = 0; i < st->n; i++) {
		const struct ag_entry *e = &st->v[i];
		if ((r->from && e->time_ns < r->from) || (r->until && e->time_ns > r->until))
			continue;
		if (ag_store_read(st, i, &line))
			continue;
		yajl_val ev = yajl_tree_parse(line.data, NULL, 0);
		if (!ev)
			continue;
		int ok = ag_query_match(r->q, ev);
		yajl_tree_free(ev);
		if (!ok)
			continue;
		if (hits) {
			if (count == *cap) {
				*cap = *cap ? *cap * 2 : 1024;
				*hits = sl_realloc(*hits, *cap * sizeof **hits);
			}
			(*hits)[count].time_ns = e->time_ns;
			(*hits)[count].idx = i;
		}
		count++;
	}
	sl_buf_free(&line);
	return count;
}

static void handle_search(struct ag_api *api, struct evhttp_request *req)
{
	struct request r;
	if (parse_request(api, req, &r))
		return;
	struct hit *hits = NULL;
	size_t cap = 0;
	struct evbuffer *out = evbuffer_new();
	struct sl_buf line = {0};
	pthread_rwlock_rdlock(&api->store->lock);
	size_t n = scan(api->store, &r, &hits, &cap);
	if (n)
		qsort(hits, n, sizeof *hits, newest_first);
	if ((int64_t)n > r.limit)
		n = (size_t)r.limit;
	for (size_t i = 0; i < n; i++) {
		if (ag_store_read(api->store, hits[i].idx, &line) == 0) {
			evbuffer_add(out, line.data, line.len);
			evbuffer_add(out, "\n", 1);
		}
	}
	pthread_rwlock_unlock(&api->store->lock);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
	                  "application/x-ndjson");
	evhttp_send_reply(req, 200, "OK", out);
	evbuffer_free(out);
	sl_buf_free(&line);
	free(hits);
	ag_query_free(r.q);
}

static void handle_count(struct ag_api *api, struct evhttp_request *req)
{
	struct request r;
	if (parse_request(api, req, &r))
		return;
	pthread_rwlock_rdlock(&api->store->lock);
	size_t n = scan(api->store, &r, NULL, NULL);
	pthread_rwlock_unlock(&api->store->lock);
	struct evbuffer *out = evbuffer_new();
	evbuffer_add_printf(out, "{\"count\": %zu}\n", n);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
	                  "application/json");
	evhttp_send_reply(req, 200, "OK", out);
	evbuffer_free(out);
	ag_query_free(r.q);
}

static void handle_metrics(struct ag_api *api, struct evhttp_request *req)
{
	struct evbuffer *out = evbuffer_new();
	struct ag_ingest *in = api->ingest;
	pthread_rwlock_rdlock(&api->store->lock);
	size_t events = api->store->n;
	uint64_t bytes = api->store->size;
	pthread_rwlock_unlock(&api->store->lock);
	evbuffer_add_printf(out,
	                    "# TYPE sluice_aggregator_consumed_total counter\n"
	                    "sluice_aggregator_consumed_total %" PRIu64 "\n"
	                    "# TYPE sluice_aggregator_stored_total counter\n"
	                    "sluice_aggregator_stored_total %" PRIu64 "\n"
	                    "# TYPE sluice_aggregator_duplicates_total counter\n"
	                    "sluice_aggregator_duplicates_total %" PRIu64 "\n"
	                    "# TYPE sluice_aggregator_malformed_total counter\n"
	                    "sluice_aggregator_malformed_total %" PRIu64 "\n"
	                    "# TYPE sluice_aggregator_events gauge\n"
	                    "sluice_aggregator_events %zu\n"
	                    "# TYPE sluice_aggregator_store_bytes gauge\n"
	                    "sluice_aggregator_store_bytes %" PRIu64 "\n"
	                    "# TYPE sluice_aggregator_requests_total counter\n"
	                    "sluice_aggregator_requests_total %lu\n",
	                    in->consumed, in->stored, in->duplicates, in->malformed, events, bytes,
	                    api->requests);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
	                  "text/plain; version=0.0.4");
	evhttp_send_reply(req, 200, "OK", out);
	evbuffer_free(out);
}

static void dispatch(struct evhttp_request *req, void *arg)
{
	struct ag_api *api = arg;
	api->requests++;
	const char *path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req));
	if (!path)
		path = "/";
	if (evhttp_request_get_command(req) != EVHTTP_REQ_GET) {
		send_error(req, 405, "only GET is served");
		return;
	}
	if (!strcmp(path, "/api/v1/search"))
		handle_search(api, req);
	else if (!strcmp(path, "/api/v1/count"))
		handle_count(api, req);
	else if (!strcmp(path, "/metrics"))
		handle_metrics(api, req);
	else if (!strcmp(path, "/healthz")) {
		struct evbuffer *out = evbuffer_new();
		int ok = !api->ingest->failed;
		evbuffer_add_printf(out, ok ? "ok\n" : "ingest failed\n");
		evhttp_send_reply(req, ok ? 200 : 503, ok ? "OK" : "Unavailable", out);
		evbuffer_free(out);
	} else
		send_error(req, 404, "no such endpoint");
}

int ag_api_start(struct ag_api *api, struct event_base *base, struct ag_config *cfg,
                 struct ag_store *store, struct ag_ingest *ingest)
{
	memset(api, 0, sizeof *api);
	api->cfg = cfg;
	api->store = store;
	api->ingest = ingest;
	char host[256];
	const char *colon = strrchr(cfg->api.listen, ':');
	size_t hl = (size_t)(colon - cfg->api.listen);
	if (hl >= sizeof host)
		hl = sizeof host - 1;
	memcpy(host, cfg->api.listen, hl);
	host[hl] = '\0';
	int port = atoi(colon + 1);
	api->http = evhttp_new(base);
	evhttp_set_gencb(api->http, dispatch, api);
	evhttp_set_max_headers_size(api->http, 16384);
	evhttp_set_max_body_size(api->http, 65536);
	evhttp_set_timeout(api->http, 60);
	if (evhttp_bind_socket(api->http, host, (ev_uint16_t)port)) {
		sl_error("api.listen %s: cannot listen", cfg->api.listen);
		return -1;
	}
	sl_info("API listening on http://%s", cfg->api.listen);
	return 0;
}

void ag_api_stop(struct ag_api *api)
{
	if (api->http)
		evhttp_free(api->http);
	api->http = NULL;
}
