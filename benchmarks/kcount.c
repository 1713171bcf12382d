/*
 * kcount — how many messages a Kafka topic holds.
 *
 *   kcount BROKERS TOPIC [HEAD]
 *
 * Prints the sum over the topic's partitions of (high watermark - low
 * watermark), i.e. the number of messages produced to a fresh topic. Uses the
 * plaintext listener of the benchmark's own broker. benchmarks/run polls it to
 * see when a peer shipper (rsyslog, syslog-ng) has delivered a whole corpus.
 * With HEAD, it then prints the first HEAD messages of partition 0 (to look
 * at what a peer produced).
 * Built by benchmarks/run (cc -O2 kcount.c -lrdkafka).
 */
#include <inttypes.h>
#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
	if (argc != 3 && argc != 4) {
		fprintf(stderr, "usage: kcount BROKERS TOPIC [HEAD]\n");
		return 2;
	}
	char err[512];
	rd_kafka_conf_t *c = rd_kafka_conf_new();
	if (rd_kafka_conf_set(c, "bootstrap.servers", argv[1], err, sizeof err) ||
	    rd_kafka_conf_set(c, "log_level", "3", err, sizeof err)) {
		fprintf(stderr, "kcount: %s\n", err);
		return 1;
	}
	rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, c, err, sizeof err);
	if (!rk) {
		fprintf(stderr, "kcount: %s\n", err);
		return 1;
	}
	rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, argv[2], NULL);
	const struct rd_kafka_metadata *md = NULL;
	rd_kafka_resp_err_t e = rd_kafka_metadata(rk, 0, rkt, &md, 10000);
	if (e || md->topic_cnt != 1 || md->topics[0].err) {
		fprintf(stderr, "kcount: metadata: %s\n",
		        rd_kafka_err2str(e               ? e
		                         : md->topic_cnt ? md->topics[0].err
		                                         : RD_KAFKA_RESP_ERR_UNKNOWN));
		return 1;
	}
	int64_t total = 0;
	for (int i = 0; i < md->topics[0].partition_cnt; i++) {
		int64_t lo = 0, hi = 0;
		e = rd_kafka_query_watermark_offsets(rk, argv[2], md->topics[0].partitions[i].id,
		                                     &lo, &hi, 10000);
		if (e) {
			fprintf(stderr, "kcount: watermarks: %s\n", rd_kafka_err2str(e));
			return 1;
		}
		total += hi - lo;
	}
	printf("%" PRId64 "\n", total);
	int head = argc == 4 ? atoi(argv[3]) : 0;
	if (head > 0 && rd_kafka_consume_start(rkt, 0, RD_KAFKA_OFFSET_BEGINNING) == 0) {
		for (int got = 0, tries = 0; got < head && tries < 50; tries++) {
			rd_kafka_message_t *m = rd_kafka_consume(rkt, 0, 200);
			if (!m)
				continue;
			if (!m->err) {
				printf("%.*s\n", (int)m->len, (const char *)m->payload);
				got++;
			}
			rd_kafka_message_destroy(m);
		}
		rd_kafka_consume_stop(rkt, 0);
	}
	rd_kafka_metadata_destroy(md);
	rd_kafka_topic_destroy(rkt);
	rd_kafka_destroy(rk);
	return 0;
}
