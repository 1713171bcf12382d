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
/* Validates the kafka: section as loaded into o: at least one broker, and
 * every property accepted by librdkafka. Returns 0, or -1 with
 * "file:line: kafka...: message" in cfg->err. */
int sl_kafka_check(struct sl_cfg *cfg, const struct sl_kafka_opts *o);
/* librdkafka's log callback, into sl_log at the matching level. */
void sl_kafka_log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf);

#endif
