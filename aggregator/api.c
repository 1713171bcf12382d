/*
 * api — request parsing, search, count (totals, top values, histograms),
 * tail streams, metrics.
 */
#include "api.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/keyvalq_struct.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "bloom.h"
#include "query.h"
#include "sl_buf.h"
#include "sl_json.h"
#include "sl_log.h"
#include "sl_time.h"

#define MAX_BUCKETS       10000
#define MAX_TOP           1000
#define MAX_CONTEXT       100
#define MAX_VALUES        1000000                      /* distinct values count --by keeps */
#define MAX_SPAN_MS       (100LL * 366 * 86400 * 1000) /* durations: ns fit in 63 bits */
#define TAIL_POLL_MS      200
#define TAIL_HEARTBEAT_MS 15000     /* an empty line after this long without events */
#define TAIL_BACKLOG      (8 << 20) /* unsent bytes after which a slow client skips */
#define TAIL_TIMEOUT_S    (7 * 86400)

static const char *reason(int code)
{
	switch (code) {
	case 200:
		return "OK";
	case 400:
		return "Bad Request";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 429:
		return "Too Many Requests";
	case 503:
		return "Service Unavailable";
	default:
		return "Internal Server Error";
	}
}

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
	evhttp_send_reply(req, code, reason(code), out);
	evbuffer_free(out);
	sl_buf_free(&b);
}

/* A time bound: RFC 3339, or a duration meaning that long ago. */
static int parse_bound(const char *s, int64_t *ns)
{
	int64_t ms;
	if (sl_duration_parse(s, &ms) == 0) {
		if (ms < 0 || ms > MAX_SPAN_MS)
			return -1;
		*ns = sl_time_now_ns() - ms * 1000000;
		return 0;
	}
	return sl_time_parse(s, strlen(s), ns);
}

struct request {
	struct ag_qnode *q;
	int64_t from, until; /* ns; 0: open */
	int64_t limit;
	const char *by; /* count: top values of this field */
	int64_t top;
	int64_t every_ms; /* count: histogram step */
	int64_t context;  /* search: events around each hit */
	struct evkeyvalq params;
};

static void request_free(struct request *r)
{
	ag_query_free(r->q);
	evhttp_clear_headers(&r->params);
}

static int parse_int(const char *s, int64_t *out)
{
	char *end;
	long long v = strtoll(s, &end, 10);
	if (*end || end == s || v < 0)
		return -1;
	*out = v;
	return 0;
}

/* Reads the parameters. Returns 0, or -1 after replying (r is then freed).
 * On 0 the caller frees r with request_free. */
static int parse_request(struct ag_api *api, struct evhttp_request *req, struct request *r)
{
	const char *query = evhttp_uri_get_query(evhttp_request_get_evhttp_uri(req));
	char err[512];
	memset(r, 0, sizeof *r);
	r->params.tqh_first = NULL;
	r->params.tqh_last = &r->params.tqh_first;
	r->limit = 100;
	r->top = 10;
	if (query && evhttp_parse_query_str(query, &r->params)) {
		send_error(req, 400, "malformed query string");
		goto fail;
	}
	const char *q = evhttp_find_header(&r->params, "q");
	const char *since = evhttp_find_header(&r->params, "since");
	const char *from = evhttp_find_header(&r->params, "from");
	const char *until = evhttp_find_header(&r->params, "until");
	const char *limit = evhttp_find_header(&r->params, "limit");
	const char *top = evhttp_find_header(&r->params, "top");
	const char *every = evhttp_find_header(&r->params, "every");
	const char *context = evhttp_find_header(&r->params, "context");
	r->by = evhttp_find_header(&r->params, "by");
	if (!q)
		q = "*";
	if ((int64_t)strlen(q) > api->cfg->api.max_query) {
		snprintf(err, sizeof err, "query is longer than api.max_query (%" PRId64 " bytes)",
		         api->cfg->api.max_query);
		send_error(req, 400, err);
		goto fail;
	}
	if (since && parse_bound(since, &r->from)) {
		send_error(req, 400, "since: expected a duration like 15m, 2h or 7d");
		goto fail;
	}
	if (from && parse_bound(from, &r->from)) {
		send_error(req, 400, "from: expected an RFC 3339 time or a duration");
		goto fail;
	}
	if (until && parse_bound(until, &r->until)) {
		send_error(req, 400, "until: expected an RFC 3339 time or a duration");
		goto fail;
	}
	if (limit && parse_int(limit, &r->limit)) {
		send_error(req, 400, "limit: expected a whole number (0: no limit)");
		goto fail;
	}
	if (r->limit == 0 || r->limit > api->cfg->api.max_results)
		r->limit = api->cfg->api.max_results;
	if (top && (parse_int(top, &r->top) || r->top < 1 || r->top > MAX_TOP)) {
		send_error(req, 400, "top: expected a number from 1 to 1000");
		goto fail;
	}
	if (every && (sl_duration_parse(every, &r->every_ms) || r->every_ms < 1 ||
	              r->every_ms > MAX_SPAN_MS)) {
		send_error(req, 400,
		           "every: expected a duration like 1m or 1h (at most 100 years)");
		goto fail;
	}
	if (context && (parse_int(context, &r->context) || r->context > MAX_CONTEXT)) {
		send_error(req, 400, "context: expected a number from 0 to 100");
		goto fail;
	}
	if (r->by && !*r->by) {
		send_error(req, 400, "by: expected a field name");
		goto fail;
	}
	r->q = ag_query_parse(q, err, sizeof err);
	if (!r->q) {
		send_error(req, 400, err);
		goto fail;
	}
	return 0;
fail:
	request_free(r);
	return -1;
}

static void scan_init(struct ag_api *api, const struct request *r, struct ag_scan *sc)
{
	memset(sc, 0, sizeof *sc);
	sc->q = r->q;
	sc->from = r->from;
	sc->until = r->until;
	sc->deadline_ms = sl_mono_ms() + api->cfg->api.timeout;
}

/* A search or count, parsed on the loop thread, answered by a worker: the
 * worker fills out (or code and err), the loop thread sends the reply. */
struct job {
	struct ag_api *api;
	struct evhttp_request *req;
	int count; /* count, else search */
	struct request r;
	int code;
	char err[512];
	const char *ctype;
	struct evbuffer *out;
	uint64_t blocks_read, blocks_skipped;
	struct job *next;
};

static void job_fail(struct job *j, int code, const char *msg)
{
	j->code = code;
	snprintf(j->err, sizeof j->err, "%s", msg);
}

static void job_timeout(struct job *j)
{
	char err[256];
	snprintf(err, sizeof err,
	         "the search ran longer than api.timeout (%" PRId64
	         " ms); narrow it with a time range or more terms",
	         j->api->cfg->api.timeout);
	job_fail(j, 503, err);
}

/* ================================================================== */
/* search                                                             */
/* ================================================================== */

/* Adds to out the events of the hit's source around it, as
 * {"kind":"before|hit|after","group":G,"event":{...}} lines. */
static void add_context(struct ag_api *api, const struct request *r, const struct ag_hit *hit,
                        size_t group, int64_t deadline_ms, struct evbuffer *out);

static void run_search(struct job *j)
{
	struct ag_api *api = j->api;
	struct ag_scan sc;
	struct ag_hit *hits = NULL;
	scan_init(api, &j->r, &sc);
	long n = ag_store_search(api->store, &sc, (size_t)j->r.limit, &hits);
	if (n < 0) {
		job_fail(j, 500, "the store could not be read; see the aggregator's log");
		goto out;
	}
	if (sc.timed_out) {
		job_timeout(j);
		goto out;
	}
	j->out = evbuffer_new();
	for (long i = 0; i < n; i++) {
		if (j->r.context) {
			add_context(api, &j->r, &hits[i], (size_t)i, sc.deadline_ms, j->out);
			continue;
		}
		evbuffer_add(j->out, hits[i].line, hits[i].len);
		evbuffer_add(j->out, "\n", 1);
	}
	j->code = 200;
	j->ctype = "application/x-ndjson";
	j->blocks_read = sc.blocks_read;
	j->blocks_skipped = sc.blocks_skipped;
out:
	ag_hits_free(hits, n > 0 ? (size_t)n : 0);
}

struct ctx_ev {
	double offset;
	int64_t time_ns;
	char *line;
	size_t len;
};

struct ctx_collect {
	struct ctx_ev *v;
	size_t n, cap;
};

/* Keeps a copy of each event of the source (freed by add_context). */
static int ctx_add(void *ud, const char *line, size_t len, int64_t t, const struct ag_event *ev,
                   const struct ag_pos *pos)
{
	struct ctx_collect *c = ud;
	const struct ag_field *o = ev ? ag_event_get(ev, "offset") : NULL;
	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 64;
		c->v = sl_realloc(c->v, c->cap * sizeof *c->v);
	}
	c->v[c->n].offset = o && o->type == AG_F_NUM ? o->num : 0;
	c->v[c->n].time_ns = t;
	c->v[c->n].line = sl_strndup(line, len);
	c->v[c->n].len = len;
	c->n++;
	return c->n >= 100000; /* enough */
}

static int by_position(const void *a, const void *b)
{
	const struct ctx_ev *x = a, *y = b;
	if (x->offset != y->offset)
		return x->offset < y->offset ? -1 : 1;
	if (x->time_ns != y->time_ns)
		return x->time_ns < y->time_ns ? -1 : 1;
	return 0;
}

static void ctx_line(struct evbuffer *out, const char *kind, size_t group, const char *line,
                     size_t len)
{
	evbuffer_add_printf(out, "{\"kind\":\"%s\",\"group\":%zu,\"event\":", kind, group);
	evbuffer_add(out, line, len);
	evbuffer_add(out, "}\n", 2);
}

/* An EQ node field == value (string). Caller frees it. */
static struct ag_qnode *eq_node(const char *field, const char *value, size_t vlen)
{
	struct ag_qnode *n = sl_calloc(1, sizeof *n);
	n->kind = AG_Q_EQ;
	n->field = sl_strdup(field);
	n->value = sl_strndup(value, vlen);
	n->vlen = vlen;
	return n;
}

static void add_context(struct ag_api *api, const struct request *r, const struct ag_hit *hit,
                        size_t group, int64_t deadline_ms, struct evbuffer *out)
{
	struct ag_event ev = {0};
	struct ctx_collect c = {0};
	struct ag_qnode *q = NULL;
	if (ag_event_parse(&ev, hit->line, hit->len))
		goto alone;
	/* the same source: host and path (or source when there is no path) */
	const char *keys[] = {"host", "path"};
	for (size_t i = 0; i < 2; i++) {
		const struct ag_field *f = ag_event_get(&ev, keys[i]);
		if (f && f->type == AG_F_STR)
			q = ag_query_and(q, eq_node(keys[i], f->val, f->vlen));
	}
	const struct ag_field *off = ag_event_get(&ev, "offset");
	if (!q || !off || off->type != AG_F_NUM)
		goto alone;
	double hoff = off->num;
	struct ag_scan sc = {.q = q, .need_event = 1};
	sc.deadline_ms = deadline_ms; /* the search's own: context shares its time */
	/* neighbours are near in time: look an hour around the hit */
	sc.from = hit->time_ns - 3600LL * 1000000000LL;
	sc.until = hit->time_ns + 3600LL * 1000000000LL;
	ag_store_scan(api->store, &sc, ctx_add, &c);
	if (c.n)
		qsort(c.v, c.n, sizeof *c.v, by_position);
	size_t at = c.n;
	for (size_t i = 0; i < c.n; i++)
		if (c.v[i].offset == hoff) {
			at = i;
			break;
		}
	if (at == c.n)
		goto alone;
	size_t lo = at > (size_t)r->context ? at - (size_t)r->context : 0;
	for (size_t i = lo; i < at; i++)
		ctx_line(out, "before", group, c.v[i].line, c.v[i].len);
	ctx_line(out, "hit", group, hit->line, hit->len);
	for (size_t i = at + 1; i < c.n && i <= at + (size_t)r->context; i++)
		ctx_line(out, "after", group, c.v[i].line, c.v[i].len);
	goto out;
alone:
	ctx_line(out, "hit", group, hit->line, hit->len);
out:
	for (size_t i = 0; i < c.n; i++)
		free(c.v[i].line);
	free(c.v);
	ag_query_free(q);
	ag_event_free(&ev);
}

/* ================================================================== */
/* count                                                              */
/* ================================================================== */

struct value_count {
	char *key; /* the value as JSON text */
	uint64_t n;
};

struct counter {
	const struct request *r;
	uint64_t total;
	/* by: open addressing on key */
	struct value_count *vals;
	size_t cap, nvals;
	/* every: buckets from bmin */
	uint64_t other; /* events whose value came after MAX_VALUES others */
	uint64_t *buckets;
	int64_t bmin; /* bucket index of buckets[0] */
	size_t nb;
	int too_many;
	struct sl_buf key; /* scratch */
};

/* Counts value k; copies of new values and the table belong to c (freed by
 * run_count). */
static void vc_add(struct counter *c, const char *k, size_t kl, uint64_t n)
{
	if ((c->nvals + 1) * 2 > c->cap) {
		size_t ncap = c->cap ? c->cap * 2 : 256;
		struct value_count *nv = sl_calloc(ncap, sizeof *nv);
		for (size_t i = 0; i < c->cap; i++) {
			if (!c->vals[i].key)
				continue;
			size_t j =
			    (size_t)ag_hash(c->vals[i].key, strlen(c->vals[i].key)) & (ncap - 1);
			while (nv[j].key)
				j = (j + 1) & (ncap - 1);
			nv[j] = c->vals[i];
		}
		free(c->vals);
		c->vals = nv;
		c->cap = ncap;
	}
	size_t j = (size_t)ag_hash(k, kl) & (c->cap - 1);
	while (c->vals[j].key) {
		if (!strncmp(c->vals[j].key, k, kl) && !c->vals[j].key[kl]) {
			c->vals[j].n += n;
			return;
		}
		j = (j + 1) & (c->cap - 1);
	}
	if (c->nvals >= MAX_VALUES) {
		c->other += n; /* a field with too many values: count the rest as other */
		return;
	}
	c->vals[j].key = sl_strndup(k, kl);
	c->vals[j].n = n;
	c->nvals++;
}

/* Counts n events: their time and their first value of the by field (the
 * first value of an array; NULL: none). */
static int count_one(void *ud, uint64_t n, int64_t t, const struct ag_field *f)
{
	struct counter *c = ud;
	c->total += n;
	if (c->r->by) {
		sl_buf_reset(&c->key);
		if (!f)
			sl_buf_puts(&c->key, "null");
		else if (f->type == AG_F_STR)
			sl_json_str(&c->key, f->val, f->vlen);
		else
			sl_buf_append(&c->key, f->val, f->vlen);
		vc_add(c, c->key.data, c->key.len, n);
	}
	if (c->r->every_ms) {
		int64_t b = sl_floordiv(t, c->r->every_ms * 1000000);
		if (!c->nb) {
			c->bmin = b;
			c->nb = 1;
			c->buckets = sl_calloc(1, sizeof *c->buckets);
		}
		if (b < c->bmin || b >= c->bmin + (int64_t)c->nb) {
			int64_t lo = b < c->bmin ? b : c->bmin;
			int64_t hi =
			    b >= c->bmin + (int64_t)c->nb ? b + 1 : c->bmin + (int64_t)c->nb;
			if (hi - lo > MAX_BUCKETS) {
				c->too_many = 1;
				return 1;
			}
			uint64_t *nb = sl_calloc((size_t)(hi - lo), sizeof *nb);
			memcpy(nb + (c->bmin - lo), c->buckets, c->nb * sizeof *nb);
			free(c->buckets);
			c->buckets = nb;
			c->bmin = lo;
			c->nb = (size_t)(hi - lo);
		}
		c->buckets[b - c->bmin] += n;
	}
	return 0;
}

static int by_count_desc(const void *a, const void *b)
{
	const struct value_count *x = a, *y = b;
	if (x->n != y->n)
		return x->n < y->n ? 1 : -1;
	return strcmp(x->key, y->key);
}

static void run_count(struct job *j)
{
	struct ag_api *api = j->api;
	struct request *r = &j->r;
	struct ag_scan sc;
	struct counter c = {.r = r};
	scan_init(api, r, &sc);
	sc.need_time = r->every_ms != 0;
	sc.time_step = r->every_ms * 1000000;
	if (ag_store_count(api->store, &sc, r->by, count_one, &c)) {
		job_fail(j, 500, "the store could not be read; see the aggregator's log");
		goto out;
	}
	if (sc.timed_out) {
		job_timeout(j);
		goto out;
	}
	if (c.too_many) {
		job_fail(j, 400,
		         "every: more than 10000 buckets; use a longer step or a "
		         "shorter time range");
		goto out;
	}
	struct evbuffer *out = j->out = evbuffer_new();
	evbuffer_add_printf(out, "{\"count\": %" PRIu64, c.total);
	if (r->by) {
		struct sl_buf b = {0};
		sl_json_str(&b, r->by, strlen(r->by));
		evbuffer_add_printf(out, ", \"by\": %s, \"values\": %zu, \"top\": [", b.data,
		                    c.nvals);
		sl_buf_free(&b);
		size_t k = 0;
		for (size_t i = 0; i < c.cap; i++)
			if (c.vals[i].key)
				c.vals[k++] = c.vals[i];
		if (k)
			qsort(c.vals, k, sizeof *c.vals, by_count_desc);
		for (size_t i = 0; i < k && i < (size_t)r->top; i++)
			evbuffer_add_printf(out, "%s{\"value\": %s, \"count\": %" PRIu64 "}",
			                    i ? ", " : "", c.vals[i].key, c.vals[i].n);
		evbuffer_add_printf(out, "]");
		if (c.other)
			evbuffer_add_printf(out, ", \"other\": %" PRIu64, c.other);
		c.cap = k; /* for freeing */
	}
	if (r->every_ms) {
		evbuffer_add_printf(out, ", \"every_ms\": %" PRId64 ", \"buckets\": [",
		                    r->every_ms);
		for (size_t i = 0; i < c.nb; i++) {
			char ts[SL_TIME_LEN];
			int64_t bt;
			if (__builtin_mul_overflow(c.bmin + (int64_t)i, r->every_ms * 1000000, &bt))
				bt = c.bmin < 0 ? INT64_MIN : INT64_MAX;
			sl_time_format(bt, ts);
			evbuffer_add_printf(out, "%s{\"time\": \"%s\", \"count\": %" PRIu64 "}",
			                    i ? ", " : "", ts, c.buckets[i]);
		}
		evbuffer_add_printf(out, "]");
	}
	evbuffer_add_printf(out, "}\n");
	j->code = 200;
	j->ctype = "application/json";
out:
	for (size_t i = 0; i < c.cap; i++)
		free(c.vals[i].key);
	free(c.vals);
	free(c.buckets);
	sl_buf_free(&c.key);
}

/* ================================================================== */
/* tail                                                               */
/* ================================================================== */

struct ag_tail {
	struct ag_api *api;
	struct evhttp_request *req;
	struct evhttp_connection *conn;
	struct request r;
	struct event *timer;
	uint64_t cursor;
	struct ag_event ev;
	struct evbuffer *out;
	int64_t last_send_ms;
	struct ag_tail *next;
};

static void tail_free(struct ag_tail *t)
{
	struct ag_api *api = t->api;
	for (struct ag_tail **p = &api->tails; *p; p = &(*p)->next)
		if (*p == t) {
			*p = t->next;
			break;
		}
	api->ntails--;
	ag_store_follow(api->store, 0);
	if (t->timer)
		event_free(t->timer);
	if (t->out)
		evbuffer_free(t->out);
	ag_event_free(&t->ev);
	request_free(&t->r);
	free(t);
}

static void tail_closed(struct evhttp_connection *conn, void *arg)
{
	struct ag_tail *t = arg;
	evhttp_connection_set_closecb(conn, NULL, NULL);
	/* libevent detaches an unfinished request from a connection the client
	 * closed and leaves it to us: ending the reply frees it */
	if (!evhttp_request_get_connection(t->req))
		evhttp_send_reply_end(t->req);
	tail_free(t);
}

static int tail_one(void *ud, const char *line, size_t len, int64_t time_ns,
                    const struct ag_event *unused, const struct ag_pos *unused_pos)
{
	struct ag_tail *t = ud;
	if (!t)
		return 0; /* skipping */
	if ((t->r.from && time_ns < t->r.from) || (t->r.until && time_ns > t->r.until))
		return 0;
	if (!ag_query_is_all(t->r.q)) {
		if (ag_event_parse(&t->ev, line, len) || !ag_query_match_event(t->r.q, &t->ev))
			return 0;
	}
	evbuffer_add(t->out, line, len);
	evbuffer_add(t->out, "\n", 1);
	return 0;
}

static void tail_poll(evutil_socket_t fd, short what, void *arg)
{
	struct ag_tail *t = arg;
	struct bufferevent *bev = evhttp_connection_get_bufferevent(t->conn);
	if (bev && evbuffer_get_length(bufferevent_get_output(bev)) > TAIL_BACKLOG) {
		/* the client does not read: skip ahead rather than buffer without end */
		uint64_t now = UINT64_MAX, before = t->cursor;
		ag_store_recent(t->api->store, &now, tail_one, NULL);
		t->cursor = now;
		sl_warn("tail: a slow client skipped %" PRIu64 " events", now - before);
		return;
	}
	uint64_t dropped = ag_store_recent(t->api->store, &t->cursor, tail_one, t);
	if (dropped)
		sl_warn("tail: a slow client missed %" PRIu64 " events", dropped);
	int64_t now = sl_mono_ms();
	if (!evbuffer_get_length(t->out) && now - t->last_send_ms >= TAIL_HEARTBEAT_MS)
		evbuffer_add(t->out, "\n", 1); /* an empty line: the client is still there */
	if (evbuffer_get_length(t->out)) {
		evhttp_send_reply_chunk(t->req, t->out);
		t->last_send_ms = now;
	}
}

/* Allocates the tail stream (freed by tail_free when the client goes away or
 * the API stops). */
static void handle_tail(struct ag_api *api, struct evhttp_request *req)
{
	if ((int64_t)api->ntails >= api->cfg->api.max_tails) {
		send_error(req, 429, "too many tail streams open (api.max_tails)");
		return;
	}
	struct ag_tail *t = sl_calloc(1, sizeof *t);
	if (parse_request(api, req, &t->r)) {
		free(t);
		return;
	}
	t->api = api;
	t->req = req;
	t->cursor = UINT64_MAX;
	ag_store_follow(api->store, 1);
	t->out = evbuffer_new();
	t->next = api->tails;
	api->tails = t;
	api->ntails++;
	t->conn = evhttp_request_get_connection(req);
	evhttp_connection_set_closecb(t->conn, tail_closed, t);
	/* a stream is quiet for as long as nothing matches: no idle timeout */
	evhttp_connection_set_timeout(t->conn, TAIL_TIMEOUT_S);
	t->last_send_ms = sl_mono_ms();
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
	                  "application/x-ndjson");
	evhttp_send_reply_start(req, 200, "OK");
	t->timer = event_new(api->base, -1, EV_PERSIST, tail_poll, t);
	struct timeval tv = {0, TAIL_POLL_MS * 1000};
	event_add(t->timer, &tv);
	tail_poll(-1, 0, t); /* starts the cursor at the newest event */
}

/* ================================================================== */
/* workers                                                            */
/* ================================================================== */

struct ag_pool {
	pthread_t *threads;
	size_t n;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct job *todo, **todo_tail, *done;
	int stop;
	struct event *done_ev;
};

static void job_free(struct job *j)
{
	if (j->out)
		evbuffer_free(j->out);
	request_free(&j->r);
	free(j);
}

static void *worker(void *arg)
{
	struct ag_api *api = arg;
	struct ag_pool *p = api->pool;
	pthread_mutex_lock(&p->mu);
	for (;;) {
		while (!p->todo && !p->stop)
			pthread_cond_wait(&p->cv, &p->mu);
		if (p->stop)
			break;
		struct job *j = p->todo;
		p->todo = j->next;
		if (!p->todo)
			p->todo_tail = &p->todo;
		pthread_mutex_unlock(&p->mu);
		if (j->count)
			run_count(j);
		else
			run_search(j);
		pthread_mutex_lock(&p->mu);
		j->next = p->done;
		p->done = j;
		event_active(p->done_ev, EV_READ, 1);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

/* Sends a finished job's reply and frees the job. Loop thread. */
static void job_reply(struct job *j)
{
	if (j->code != 200) {
		send_error(j->req, j->code, j->err);
	} else {
		struct evkeyvalq *h = evhttp_request_get_output_headers(j->req);
		evhttp_add_header(h, "Content-Type", j->ctype);
		if (!j->count) {
			char v[64];
			snprintf(v, sizeof v, "%" PRIu64, j->blocks_read);
			evhttp_add_header(h, "X-Sluice-Blocks-Read", v);
			snprintf(v, sizeof v, "%" PRIu64, j->blocks_skipped);
			evhttp_add_header(h, "X-Sluice-Blocks-Skipped", v);
		}
		evhttp_send_reply(j->req, 200, "OK", j->out);
	}
	job_free(j);
}

static void on_done(evutil_socket_t fd, short what, void *arg)
{
	struct ag_pool *p = arg;
	pthread_mutex_lock(&p->mu);
	struct job *j = p->done;
	p->done = NULL;
	pthread_mutex_unlock(&p->mu);
	while (j) {
		struct job *next = j->next;
		job_reply(j);
		j = next;
	}
}

/* Parses the request and queues it for a worker; the job (freed by
 * job_reply) owns the parsed request. A client that goes away meanwhile
 * leaves the request to us (libevent detaches it), and the reply frees it. */
static void submit(struct ag_api *api, struct evhttp_request *req, int count)
{
	struct job *j = sl_calloc(1, sizeof *j);
	if (parse_request(api, req, &j->r)) {
		free(j);
		return;
	}
	j->api = api;
	j->req = req;
	j->count = count;
	struct ag_pool *p = api->pool;
	pthread_mutex_lock(&p->mu);
	*p->todo_tail = j;
	p->todo_tail = &j->next;
	pthread_cond_signal(&p->cv);
	pthread_mutex_unlock(&p->mu);
}

/* Starts n workers. Returns 0 or -1. */
static int pool_start(struct ag_api *api, size_t n)
{
	struct ag_pool *p = sl_calloc(1, sizeof *p);
	api->pool = p;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	p->todo_tail = &p->todo;
	p->done_ev = event_new(api->base, -1, 0, on_done, p);
	p->threads = sl_calloc(n, sizeof *p->threads);
	for (; p->n < n; p->n++)
		if (pthread_create(&p->threads[p->n], NULL, worker, api)) {
			sl_error("cannot start an API worker thread");
			return -1;
		}
	return 0;
}

/* Stops the workers after their current job; answers what is queued. */
static void pool_stop(struct ag_api *api)
{
	struct ag_pool *p = api->pool;
	if (!p)
		return;
	pthread_mutex_lock(&p->mu);
	p->stop = 1;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	for (size_t i = 0; i < p->n; i++)
		pthread_join(p->threads[i], NULL);
	on_done(-1, 0, p);
	for (struct job *j = p->todo, *next; j; j = next) {
		next = j->next;
		job_fail(j, 503, "the aggregator is shutting down");
		job_reply(j);
	}
	event_free(p->done_ev);
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->cv);
	free(p->threads);
	free(p);
	api->pool = NULL;
}

/* ================================================================== */
/* metrics, dispatch                                                  */
/* ================================================================== */

static void handle_metrics(struct ag_api *api, struct evhttp_request *req)
{
	struct evbuffer *out = evbuffer_new();
	struct ag_ingest *in = api->ingest;
	struct ag_store *s = api->store;
	pthread_rwlock_rdlock(&s->lock);
	uint64_t events = s->events, bytes = s->disk_bytes, raw = s->raw_bytes;
	size_t segs = s->nsegs, blocks = s->nblocks, pending = s->pending_bytes;
	pthread_rwlock_unlock(&s->lock);
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
	                    "sluice_aggregator_events %" PRIu64 "\n"
	                    "# TYPE sluice_aggregator_store_bytes gauge\n"
	                    "sluice_aggregator_store_bytes %" PRIu64 "\n"
	                    "# TYPE sluice_aggregator_store_raw_bytes gauge\n"
	                    "sluice_aggregator_store_raw_bytes %" PRIu64 "\n"
	                    "# TYPE sluice_aggregator_pending_bytes gauge\n"
	                    "sluice_aggregator_pending_bytes %zu\n"
	                    "# TYPE sluice_aggregator_segments gauge\n"
	                    "sluice_aggregator_segments %zu\n"
	                    "# TYPE sluice_aggregator_blocks gauge\n"
	                    "sluice_aggregator_blocks %zu\n"
	                    "# TYPE sluice_aggregator_blocks_read_total counter\n"
	                    "sluice_aggregator_blocks_read_total %" PRIu64 "\n"
	                    "# TYPE sluice_aggregator_blocks_skipped_total counter\n"
	                    "sluice_aggregator_blocks_skipped_total %" PRIu64 "\n"
	                    "# TYPE sluice_aggregator_requests_total counter\n"
	                    "sluice_aggregator_requests_total %lu\n",
	                    in->consumed, in->stored, in->duplicates, in->malformed, events, bytes,
	                    raw, pending, segs, blocks, s->blocks_read, s->blocks_skipped,
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
	/* a reply goes out in more than one write (headers, body, chunks):
	 * without this, a client that keeps its connection for the next
	 * request waits out its delayed acknowledgement (40 ms) every time */
	struct bufferevent *bev =
	    evhttp_connection_get_bufferevent(evhttp_request_get_connection(req));
	int one = 1;
	if (bev)
		setsockopt(bufferevent_getfd(bev), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	const char *path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req));
	if (!path)
		path = "/";
	if (evhttp_request_get_command(req) != EVHTTP_REQ_GET) {
		send_error(req, 405, "only GET is served");
		return;
	}
	if (!strcmp(path, "/api/v1/search"))
		submit(api, req, 0);
	else if (!strcmp(path, "/api/v1/count"))
		submit(api, req, 1);
	else if (!strcmp(path, "/api/v1/tail"))
		handle_tail(api, req);
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
	api->base = base;
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
	if (pool_start(api, cfg->api.workers > 0 ? (size_t)cfg->api.workers : 1))
		return -1;
	sl_info("API listening on http://%s", cfg->api.listen);
	return 0;
}

void ag_api_stop(struct ag_api *api)
{
	pool_stop(api);
	while (api->tails) {
		struct ag_tail *t = api->tails;
		evhttp_connection_set_closecb(t->conn, NULL, NULL);
		evhttp_send_reply_end(t->req);
		tail_free(t);
	}
	if (api->http)
		evhttp_free(api->http);
	api->http = NULL;
}
