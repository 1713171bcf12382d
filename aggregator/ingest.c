/*
 * ingest — consume, de-duplicate, store durably, then commit.
 */
#include "ingest.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#include "fields.h"
#include "query.h"
#include "sl_buf.h"
#include "sl_id.h"
#include "sl_json.h"
#include "sl_log.h"
#include "sl_time.h"

static void error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
	sl_warn("kafka: %s", reason);
}

/* The id of an event that has none: from its place in Kafka (and in the
 * message, for the second and later events of a batch). */
static void kafka_id(const rd_kafka_message_t *m, unsigned idx, char *id)
{
	char src[160];
	if (idx)
		snprintf(src, sizeof src, "%s/%" PRId32 "/%" PRId64 "/%u",
		         rd_kafka_topic_name(m->rkt), m->partition, m->offset, idx);
	else
		snprintf(src, sizeof src, "%s/%" PRId32 "/%" PRId64, rd_kafka_topic_name(m->rkt),
		         m->partition, m->offset);
	sl_id_make("kafka", src, 0, id);
}

/* Wraps a payload that is not a JSON object as an event with parse_error. */
static void wrap_raw(const rd_kafka_message_t *m, const char *payload, size_t len, unsigned idx,
                     struct sl_buf *out, char *id, int64_t *t)
{
	char ts[SL_TIME_LEN];
	struct sl_jw w;
	*t = sl_time_now_ns();
	sl_time_format(*t, ts);
	kafka_id(m, idx, id);
	sl_jw_begin(&w, out);
	sl_jw_cstr(&w, "time", ts);
	sl_jw_cstr(&w, "id", id);
	sl_jw_cstr(&w, "source", "kafka");
	sl_jw_cstr(&w, "level", "info");
	sl_jw_str(&w, "message", payload, len);
	sl_jw_cstr(&w, "parse_error", "not a JSON event object");
	sl_jw_end(&w);
}

/* Re-serializes a parsed object on one line (payloads with raw newlines). */
static void gen_value(yajl_gen g, yajl_val v)
{
	if (YAJL_IS_OBJECT(v)) {
		yajl_gen_map_open(g);
		for (size_t i = 0; i < v->u.object.len; i++) {
			yajl_gen_string(g, (const unsigned char *)v->u.object.keys[i],
			                strlen(v->u.object.keys[i]));
			gen_value(g, v->u.object.values[i]);
		}
		yajl_gen_map_close(g);
	} else if (YAJL_IS_ARRAY(v)) {
		yajl_gen_array_open(g);
		for (size_t i = 0; i < v->u.array.len; i++)
			gen_value(g, v->u.array.values[i]);
		yajl_gen_array_close(g);
	} else if (YAJL_IS_STRING(v)) {
		yajl_gen_string(g, (const unsigned char *)v->u.string, strlen(v->u.string));
	} else if (YAJL_IS_NUMBER(v)) {
		yajl_gen_number(g, v->u.number.r, strlen(v->u.number.r));
	} else if (YAJL_IS_TRUE(v) || YAJL_IS_FALSE(v)) {
		yajl_gen_bool(g, YAJL_IS_TRUE(v));
	} else {
		yajl_gen_null(g);
	}
}

struct batch {
	struct ag_event ev;
	struct sl_buf line, tmp;
	uint64_t *keys;
	size_t nkeys, cap_keys, nfield;
	/* offsets consumed since the last commit */
	rd_kafka_topic_partition_list_t *offs;
};

/* Appends h to b->keys (grows; freed when the thread ends). */
static void key_add(void *ud, uint64_t h)
{
	struct batch *b = ud;
	if (b->nkeys == b->cap_keys) {
		b->cap_keys = b->cap_keys ? b->cap_keys * 2 : 128;
		b->keys = sl_realloc(b->keys, b->cap_keys * sizeof *b->keys);
	}
	b->keys[b->nkeys++] = h;
}

/* Stores one event (payload[0..len)) unless its id is stored already.
 * Events without a time or an id get them (the ingest time; an id from the
 * Kafka position), written first into the stored line. */
static void take_one(struct ag_ingest *in, const rd_kafka_message_t *m, const char *payload,
                     size_t len, unsigned idx, struct batch *b)
{
	char idbuf[SL_ID_HEX], ts[SL_TIME_LEN];
	int64_t t = 0;
	/* the event as stored: the payload itself, unless it is written again
	 * (into b->line) */
	const char *line = payload;
	size_t llen = len;
	sl_buf_reset(&b->line);
	if (memchr(payload, '\n', len)) {
		/* raw newlines between tokens: write the object again on one line */
		sl_buf_reset(&b->tmp);
		sl_buf_append(&b->tmp, payload, len);
		yajl_val tree = yajl_tree_parse(b->tmp.data, NULL, 0);
		if (tree && YAJL_IS_OBJECT(tree)) {
			yajl_gen g = yajl_gen_alloc(NULL);
			gen_value(g, tree);
			const unsigned char *gb;
			size_t gl;
			yajl_gen_get_buf(g, &gb, &gl);
			sl_buf_append(&b->line, gb, gl);
			yajl_gen_free(g);
		}
		if (tree)
			yajl_tree_free(tree);
		line = b->line.data;
		llen = b->line.len;
	}
	int wrapped = 0; /* its time is the ingest time */
	if (!llen || ag_event_parse(&b->ev, line, llen)) {
		in->malformed++;
		wrapped = 1;
		sl_buf_reset(&b->line);
		wrap_raw(m, payload, len, idx, &b->line, idbuf, &t);
		line = b->line.data;
		llen = b->line.len;
		ag_event_parse(&b->ev, line, llen);
	}
	const struct ag_field *tf = ag_event_get(&b->ev, "time");
	const struct ag_field *idf = ag_event_get(&b->ev, "id");
	int add_time = !tf, add_id = !idf; /* a non-string id: its text is the id */
	int own_time =
	    !wrapped && tf && tf->type == AG_F_STR && !sl_time_parse(tf->val, tf->vlen, &t);
	if (!own_time)
		t = sl_time_now_ns();
	uint64_t id[2];
	if (add_id) {
		kafka_id(m, idx, idbuf);
		ag_id_parse(idbuf, id);
	} else {
		ag_id_parse(idf->val, id);
	}
	/* the duplicate check's table reads are cache misses: started here,
	 * they arrive while the index keys are made (wasted on a duplicate,
	 * which is rare) */
	ag_store_prefetch(in->store, id);
	if (add_time || add_id) {
		struct sl_jw w;
		sl_buf_reset(&b->tmp);
		sl_jw_begin(&w, &b->tmp);
		if (add_time) {
			sl_time_format(t, ts);
			sl_jw_cstr(&w, "time", ts);
		}
		if (add_id)
			sl_jw_cstr(&w, "id", idbuf);
		sl_jw_end(&w);
		/* splice: {"time":..,"id":.. + the rest of the object after its '{' */
		const char *rest = memchr(line, '{', llen) + 1;
		size_t rl = llen - (size_t)(rest - line);
		size_t k = 0;
		while (k < rl && (rest[k] == ' ' || rest[k] == '\t' || rest[k] == '\r'))
			k++;
		b->tmp.len--; /* drop its '}' */
		if (k < rl && rest[k] != '}')
			sl_buf_putc(&b->tmp, ',');
		sl_buf_append(&b->tmp, rest, rl);
		struct sl_buf sw = b->line;
		b->line = b->tmp;
		b->tmp = sw;
		line = b->line.data;
		llen = b->line.len;
		ag_event_parse(&b->ev, line, llen);
	}
	b->nkeys = 0;
	b->nfield = ag_index_keys(&b->ev, key_add, b);
	if (ag_store_seen(in->store, id, own_time ? t : 0)) {
		in->duplicates++;
		return;
	}
	ag_store_add_event(in->store, "default", line, llen, t, id, b->keys, b->nkeys, b->nfield,
	                   &b->ev);
	in->stored++;
}

/* 1 if s[0..n) is one JSON object on one line: how the shipper's batches
 * (kafka.batch_bytes) look, one event a line, unlike a pretty-printed object
 * whose first line is a lone '{'. */
static int object_line(const char *s, size_t n)
{
	while (n && (*s == ' ' || *s == '\t')) {
		s++;
		n--;
	}
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
		n--;
	return n >= 2 && s[0] == '{' && s[n - 1] == '}';
}

/* Stores the events of one message: one event, or a batch of events one a
 * line. */
static void take(struct ag_ingest *in, const rd_kafka_message_t *m, struct batch *b)
{
	const char *p = m->payload ? m->payload : "";
	size_t n = m->len;
	const char *nl = memchr(p, '\n', n);
	if (!nl || !object_line(p, (size_t)(nl - p))) {
		take_one(in, m, p, n, 0, b);
		return;
	}
	unsigned idx = 0;
	ag_store_batch_begin(in->store);
	while (n) {
		const char *e = memchr(p, '\n', n);
		size_t len = e ? (size_t)(e - p) : n;
		if (len && !(len == 1 && *p == '\r')) {
			take_one(in, m, p, len, idx++, b);
			/* searches wait for a run: keep it short */
			if (!(idx % 256)) {
				ag_store_batch_end(in->store);
				ag_store_batch_begin(in->store);
			}
		}
		p += len + (e != NULL);
		n -= len + (e != NULL);
	}
	ag_store_batch_end(in->store);
}

/* Flushes the store and commits the offsets consumed so far. Returns 0 or
 * -1 (nothing committed: the events come again after a restart). */
static int flush_and_commit(struct ag_ingest *in, struct batch *b)
{
	if (ag_store_flush(in->store)) {
		in->failed = 1;
		return -1;
	}
	if (b->offs->cnt) {
		rd_kafka_resp_err_t err = rd_kafka_commit(in->rk, b->offs, 0);
		if (err)
			sl_warn("kafka: offset commit failed (%s); those events may come again "
			        "and their duplicates will be dropped",
			        rd_kafka_err2str(err));
		rd_kafka_topic_partition_list_destroy(b->offs);
		b->offs = rd_kafka_topic_partition_list_new(8);
	}
	in->batches++;
	return 0;
}

static void *run(void *arg)
{
	struct ag_ingest *in = arg;
	size_t max = (size_t)in->cfg->tuning.batch_max;
	int64_t interval = in->cfg->tuning.flush_interval;
	size_t flush_bytes = (size_t)in->cfg->storage.block_size * 8;
	rd_kafka_message_t **msgs = sl_calloc(max, sizeof *msgs);
	struct batch b = {0};
	int64_t last_flush = sl_mono_ms();
	b.offs = rd_kafka_topic_partition_list_new(8);
	while (!in->stop) {
		size_t got = 0, bytes = 0;
		int64_t deadline = sl_mono_ms() + in->cfg->tuning.batch_wait;
		/* a batch ends at batch_max messages or at the bytes of a flush: a
		 * message can carry a shipper's batch of thousands of events */
		while (got < max && bytes < flush_bytes && !in->stop) {
			/* the clock only when the queue is empty: read for every
			 * message it cost as much CPU as the poll itself */
			rd_kafka_message_t *m = rd_kafka_consumer_poll(in->rk, 0);
			if (!m) {
				int64_t left = deadline - sl_mono_ms();
				if (left <= 0)
					break;
				m = rd_kafka_consumer_poll(in->rk, (int)left);
				if (!m)
					continue;
			}
			if (m->err) {
				if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
					sl_warn("kafka: %s", rd_kafka_message_errstr(m));
				rd_kafka_message_destroy(m);
				continue;
			}
			bytes += m->len;
			msgs[got++] = m;
		}
		for (size_t i = 0; i < got; i++) {
			take(in, msgs[i], &b);
			rd_kafka_topic_partition_t *p = rd_kafka_topic_partition_list_find(
			    b.offs, rd_kafka_topic_name(msgs[i]->rkt), msgs[i]->partition);
			if (!p)
				p = rd_kafka_topic_partition_list_add(
				    b.offs, rd_kafka_topic_name(msgs[i]->rkt), msgs[i]->partition);
			if (msgs[i]->offset + 1 > p->offset)
				p->offset = msgs[i]->offset + 1;
			rd_kafka_message_destroy(msgs[i]);
		}
		in->consumed += got;
		struct ag_store *st = in->store;
		int64_t now = sl_mono_ms();
		int due = st->pending_bytes >= flush_bytes ||
		          (st->pending_since_ms && now - st->pending_since_ms >= interval) ||
		          (!st->pending_bytes && b.offs->cnt) ||
		          now - last_flush >= 60000; /* also seals idle segments */
		if (due) {
			if (flush_and_commit(in, &b))
				break;
			last_flush = now;
		}
		if (got)
			sl_debug("batch: %zu consumed", got);
	}
	if (!in->failed)
		flush_and_commit(in, &b);
	rd_kafka_topic_partition_list_destroy(b.offs);
	free(msgs);
	free(b.keys);
	ag_event_free(&b.ev);
	sl_buf_free(&b.line);
	sl_buf_free(&b.tmp);
	return NULL;
}

int ag_ingest_start(struct ag_ingest *in, struct ag_config *cfg, struct ag_store *store)
{
	char err[512];
	memset(in, 0, sizeof *in);
	in->cfg = cfg;
	in->store = store;
	rd_kafka_conf_t *c = sl_kafka_conf(&cfg->kafka, err, sizeof err);
	if (!c) {
		sl_error("kafka: %s", err);
		return -1;
	}
	const char *props[][2] = {
	    {"group.id", cfg->kafka.group},        {"enable.auto.commit", "false"},
	    {"enable.auto.offset.store", "false"}, {"auto.offset.reset", "earliest"},
	    {"client.id", "sluice-aggregator"},    {"enable.partition.eof", "false"},
	};
	for (size_t i = 0; i < sizeof props / sizeof props[0]; i++) {
		if (rd_kafka_conf_set(c, props[i][0], props[i][1], err, sizeof err)) {
			sl_error("kafka: %s", err);
			rd_kafka_conf_destroy(c);
			return -1;
		}
	}
	/* librdkafka pre-fetches up to 64 MiB by default, which with batched
	 * messages is most of the aggregator's memory and no faster than 16 MiB;
	 * kafka.librdkafka may still set it */
	const char *qmax = "queued.max.messages.kbytes";
	int user_set = 0;
	for (size_t i = 0; i < cfg->kafka.librdkafka.n; i++)
		user_set |= !strcmp(cfg->kafka.librdkafka.k[i], qmax);
	if (!user_set)
		rd_kafka_conf_set(c, qmax, "16384", err, sizeof err);
	rd_kafka_conf_set_log_cb(c, sl_kafka_log_cb);
	rd_kafka_conf_set_error_cb(c, error_cb);
	in->rk = rd_kafka_new(RD_KAFKA_CONSUMER, c, err, sizeof err);
	if (!in->rk) {
		sl_error("kafka: %s", err);
		return -1;
	}
	rd_kafka_poll_set_consumer(in->rk);
	rd_kafka_topic_partition_list_t *topics = rd_kafka_topic_partition_list_new(1);
	rd_kafka_topic_partition_list_add(topics, cfg->kafka.topic, RD_KAFKA_PARTITION_UA);
	rd_kafka_resp_err_t e = rd_kafka_subscribe(in->rk, topics);
	rd_kafka_topic_partition_list_destroy(topics);
	if (e) {
		sl_error("kafka: subscribe to %s: %s", cfg->kafka.topic, rd_kafka_err2str(e));
		return -1;
	}
	if (pthread_create(&in->thread, NULL, run, in)) {
		sl_error("cannot start the ingest thread");
		return -1;
	}
	in->running = 1;
	return 0;
}

void ag_ingest_stop(struct ag_ingest *in)
{
	if (!in->rk)
		return;
	in->stop = 1;
	if (in->running)
		pthread_join(in->thread, NULL);
	rd_kafka_consumer_close(in->rk);
	rd_kafka_destroy(in->rk);
	in->rk = NULL;
}
