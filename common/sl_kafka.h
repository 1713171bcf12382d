/*
 * sl_kafka — the kafka: section shared by both programs, and the librdkafka
 * configuration built from it (TLS with CA verification, optional client
 * certificate for mTLS, optional SASL/SCRAM, raw librdkafka overrides).
 */
#ifndef SL_KAFKA_H
#define SL_KAFKA_H

#include <librdkafka/rdkafka.h>

#include "sl_config.h"

struct sl_kafka_tls {
	int enabled;
	char *ca, *cert, *key;
	int verify_hostname;
};

struct sl_kafka_sasl {
	char *mechanism; /* "" (off), SCRAM-SHA-256, SCRAM-SHA-512, PLAIN */
	char *username, *password;
};

struct sl_kafka_opts {
	struct sl_strlist brokers;
	char *topic;
	char *group;         /* aggregator only */
	char *compression;   /* shipper only: lz4 zstd gzip snappy none */
	int64_t batch_bytes; /* shipper only: events of one file per message, up to this */
	struct sl_kafka_tls tls;
	struct sl_kafka_sasl sasl;
	struct sl_strmap librdkafka; /* extra properties, passed through */
};

extern const struct sl_opt sl_kafka_producer_opts[];
extern const struct sl_opt sl_kafka_consumer_opts[];

/* Builds a new rd_kafka_conf_t (the caller owns it, and hands it to
 * rd_kafka_new, or destroys it) from the options. Returns NULL with a message
 * in err on a bad property. */
rd_kafka_conf_t *sl_kafka_conf(const struct sl_kafka_opts *o, char *err, size_t errlen);

#endif
