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

#include "sl_buf.h"
#include "sl_id.h"
#include "sl_json.h"
#include "sl_log.h"
#include "sl_time.h"

static void log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
	if (level <= 3)
		sl_error("librdkafka: %s: %s", fac, buf);
	else if (level <= 4)
		sl_warn("librdkafka: %s: %s", fac, buf);
	else
		sl_debug("librdkafka: %s: %s", fac, buf);
}

static void error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
	sl_warn("kafka: %s", reason);
}

/* Wraps a payload that is not a JSON object as an event with parse_error. */
static void wrap_raw(const rd_kafka_message_t *m, struct sl_buf *out, char *id, int64_t *t)
{
	char ts[SL_TIME_LEN], src[128];
	struct sl_jw w;
	*t = sl_time_now_ns();
	sl_time_format(*t, ts);
	snprintf(src, sizeof src, "%s/%" PRId32 "/%" PRId64, rd_kafka_topic_name(m->rkt),
	         m->partition, m->offset);
	sl_id_make("kafka", src, 0, id);
	sl_jw_begin(&w, out);
	sl_jw_cstr(&w, "time", ts);
	sl_jw_cstr(&w, "id", id);
	sl_jw_cstr(&w, "source", "kafka");
	sl_jw_cstr(&w, "level", "info");
	sl_jw_str(&w, "message", m->payload ? m->payload : "", m->len);
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

/* Adds one message to the batch unless its id is stored already. */
static void take(struct ag_ingest *in, const rd_kafka_message_t *m, struct sl_buf *lines,
                 struct ag_entry **ents, size_t *n, size_t *cap, struct sl_buf *tmp)
{
	char idbuf[SL_ID_HEX];
	const char *id = NULL;
	int64_t t = 0;
	size_t start = lines->len;
	sl_buf_reset(tmp);
	sl_buf_append(tmp, m->payload ? m->payload : "", m->len);
	yajl_val ev = yajl_tree_parse(tmp->data, NULL, 0);
	if (!ev || !YAJL_IS_OBJECT(ev)) {
		in->malformed++;
		wrap_raw(m, lines, idbuf, &t);
		id = idbuf;
	} else {
		const char *tp[] = {"time", NULL}, *ip[] = {"id", NULL};
		yajl_val tv = yajl_tree_get(ev, tp, yajl_t_string);
		yajl_val iv = yajl_tree_get(ev, ip, yajl_t_string);
		if (!tv || sl_time_parse(tv->u.string, strlen(tv->u.string), &t))
			t = sl_time_now_ns();
		if (iv) {
			id = iv->u.string;
		} else {
			char src[128];
			snprintf(src, sizeof src, "%s/%" PRId32 "/%" PRId64,
			         rd_kafka_topic_name(m->rkt), m->partition, m->offset);
			sl_id_make("kafka", src, 0, idbuf);
			id = idbuf;
		}
		if (memchr(tmp->data, '\n', tmp->len)) {
			yajl_gen g = yajl_gen_alloc(NULL);
			gen_value(g, ev);
			const unsigned char *gb;
			size_t gl;
			yajl_gen_get_buf(g, &gb, &gl);
			sl_buf_append(lines, gb, gl);
			yajl_gen_free(g);
		} else {
			sl_buf_append(lines, tmp->data, tmp->len);
		}
	}
	uint64_t bid[2];
	ag_id_parse(id, bid);
	if (ev)
		yajl_tree_free(ev);
	if (ag_store_check_id(in->store, bid)) {
		in->duplicates++;
		lines->len = start; /* drop it */
		if (lines->data)
			lines->data[start] = '\0';
		return;
	}
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 1024;
		*ents = sl_realloc(*ents, *cap * sizeof **ents);
	}
	(*ents)[*n].time_ns = t;
	(*ents)[*n].off = start;
	(*ents)[*n].len = (uint32_t)(lines->len - start);
	(*n)++;
	sl_buf_putc(lines, '\n');
}

static void *run(void *arg)
{
	struct ag_ingest *in = arg;
	size_t max = (size_t)in->cfg->tuning.batch_max;
	rd_kafka_message_t **msgs = sl_calloc(max, sizeof *msgs);
	struct sl_buf lines = {0}, tmp = {0};
	struct ag_entry *ents = NULL;
	size_t ecap = 0;
	while (!in->stop) {
		size_t got = 0;
		int64_t deadline = sl_mono_ms() + in->cfg->tuning.batch_wait;
		while (got < max && !in->stop) {
			int64_t left = deadline - sl_mono_ms();
			if (left <= 0)
				break;
			rd_kafka_message_t *m = rd_kafka_consumer_poll(in->rk, (int)left);
			if (!m)
				continue;
			if (m->err) {
				if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
					sl_warn("kafka: %s", rd_kafka_message_errstr(m));
				rd_kafka_message_destroy(m);
				continue;
			}
			msgs[got++] = m;
		}
		if (!got)
			continue;
		sl_buf_reset(&lines);
		size_t n = 0;
		for (size_t i = 0; i < got; i++)
			take(in, msgs[i], &lines, &ents, &n, &ecap, &tmp);
		if (n && ag_store_append(in->store, &lines, ents, n)) {
			in->failed = 1;
			break; /* nothing committed: the batch comes again after a restart */
		}
		in->consumed += got;
		in->stored += n;
		in->batches++;
		/* commit the offset after the last message of each partition */
		rd_kafka_topic_partition_list_t *offs = rd_kafka_topic_partition_list_new(8);
		for (size_t i = 0; i < got; i++) {
			rd_kafka_topic_partition_t *p = rd_kafka_topic_partition_list_find(
			    offs, rd_kafka_topic_name(msgs[i]->rkt), msgs[i]->partition);
			if (!p)
				p = rd_kafka_topic_partition_list_add(
				    offs, rd_kafka_topic_name(msgs[i]->rkt), msgs[i]->partition);
			if (msgs[i]->offset + 1 > p->offset)
				p->offset = msgs[i]->offset + 1;
		}
		rd_kafka_resp_err_t err = rd_kafka_commit(in->rk, offs, 0);
		if (err)
			sl_warn("kafka: offset commit failed (%s); the batch may come again and "
			        "its duplicates will be dropped",
			        rd_kafka_err2str(err));
		rd_kafka_topic_partition_list_destroy(offs);
		for (size_t i = 0; i < got; i++)
			rd_kafka_message_destroy(msgs[i]);
		sl_debug("batch: %zu consumed, %zu stored", got, n);
	}
	free(msgs);
	free(ents);
	sl_buf_free(&lines);
	sl_buf_free(&tmp);
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
	rd_kafka_conf_set_log_cb(c, log_cb);
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
