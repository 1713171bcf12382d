/*
 * sl_kafka — option tables and librdkafka configuration.
 */
#include "sl_kafka.h"
#include "sl_log.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

static const struct sl_opt tls_opts[] = {
    {"enabled", SL_OPT_BOOL, offsetof(struct sl_kafka_tls, enabled), "true",
     .desc = "use TLS to the brokers (false: plaintext)"},
    {"ca", SL_OPT_STR, offsetof(struct sl_kafka_tls, ca), "",
     .desc = "CA bundle that signs the broker certificates (default: system CAs)"},
    {"cert", SL_OPT_STR, offsetof(struct sl_kafka_tls, cert), "",
     .desc = "client certificate (PEM), for mTLS"},
    {"key", SL_OPT_STR, offsetof(struct sl_kafka_tls, key), "",
     .desc = "client private key (PEM), for mTLS"},
    {"verify_hostname", SL_OPT_BOOL, offsetof(struct sl_kafka_tls, verify_hostname), "true",
     .desc = "check the broker certificate names the broker host"},
    {0},
};

static const struct sl_opt sasl_opts[] = {
    {"mechanism", SL_OPT_STR, offsetof(struct sl_kafka_sasl, mechanism), "",
     .desc = "SCRAM-SHA-256, SCRAM-SHA-512 or PLAIN; empty: no SASL"},
    {"username", SL_OPT_STR, offsetof(struct sl_kafka_sasl, username), ""},
    {"password", SL_OPT_STR, offsetof(struct sl_kafka_sasl, password), ""},
    {0},
};

#define COMMON_ROWS                                                                                \
	{"brokers", SL_OPT_STRLIST, offsetof(struct sl_kafka_opts, brokers), "127.0.0.1:9093",     \
	 .desc = "bootstrap brokers, host:port"},                                                  \
	    {"topic", SL_OPT_STR, offsetof(struct sl_kafka_opts, topic), "logs",                   \
	     .desc = "topic the events go through"},                                               \
	    {"tls", SL_OPT_SECTION, offsetof(struct sl_kafka_opts, tls), .sub = tls_opts},         \
	    {"sasl", SL_OPT_SECTION, offsetof(struct sl_kafka_opts, sasl), .sub = sasl_opts},      \
	{                                                                                          \
		"librdkafka", SL_OPT_STRMAP, offsetof(struct sl_kafka_opts, librdkafka),           \
		    .desc = "extra librdkafka properties, passed through"                          \
	}

static const char *const compressions[] = {"lz4", "zstd", "gzip", "snappy", "none", NULL};

const struct sl_opt sl_kafka_producer_opts[] = {
    COMMON_ROWS,
    {"compression", SL_OPT_STR, offsetof(struct sl_kafka_opts, compression), "lz4",
     .desc = "lz4, zstd, gzip, snappy or none"},
    {"batch_bytes", SL_OPT_SIZE, offsetof(struct sl_kafka_opts, batch_bytes), "900000", 0, 900000,
     .desc = "0: one event per Kafka message; else a file's events travel together, one a "
             "line, in messages up to this size"},
    {0},
};

const struct sl_opt sl_kafka_consumer_opts[] = {
    COMMON_ROWS,
    {"group", SL_OPT_STR, offsetof(struct sl_kafka_opts, group), "sluice",
     .desc = "consumer group of the aggregators"},
    {0},
};

static int set(rd_kafka_conf_t *c, const char *k, const char *v, char *err, size_t errlen)
{
	if (rd_kafka_conf_set(c, k, v, err, errlen) != RD_KAFKA_CONF_OK)
		return -1;
	return 0;
}

rd_kafka_conf_t *sl_kafka_conf(const struct sl_kafka_opts *o, char *err, size_t errlen)
{
	rd_kafka_conf_t *c = rd_kafka_conf_new();
	char brokers[4096] = "";
	for (size_t i = 0; i < o->brokers.n; i++) {
		if (i)
			strncat(brokers, ",", sizeof brokers - strlen(brokers) - 1);
		strncat(brokers, o->brokers.v[i], sizeof brokers - strlen(brokers) - 1);
	}
	if (set(c, "bootstrap.servers", brokers, err, errlen))
		goto fail;
	int sasl = o->sasl.mechanism && *o->sasl.mechanism;
	const char *proto =
	    o->tls.enabled ? (sasl ? "SASL_SSL" : "SSL") : (sasl ? "SASL_PLAINTEXT" : "PLAINTEXT");
	if (set(c, "security.protocol", proto, err, errlen))
		goto fail;
	if (o->tls.enabled) {
		if (o->tls.ca && *o->tls.ca && set(c, "ssl.ca.location", o->tls.ca, err, errlen))
			goto fail;
		if (o->tls.cert && *o->tls.cert &&
		    set(c, "ssl.certificate.location", o->tls.cert, err, errlen))
			goto fail;
		if (o->tls.key && *o->tls.key &&
		    set(c, "ssl.key.location", o->tls.key, err, errlen))
			goto fail;
		if (set(c, "enable.ssl.certificate.verification", "true", err, errlen) ||
		    set(c, "ssl.endpoint.identification.algorithm",
		        o->tls.verify_hostname ? "https" : "none", err, errlen))
			goto fail;
	}
	if (sasl && !strncmp(o->sasl.mechanism, "SCRAM", 5) && rd_kafka_version() < 0x020601ff)
		sl_warn("librdkafka %s answers SCRAM challenges in a way Kafka 4.x brokers reject "
		        "(fixed in librdkafka 2.6.1): SCRAM works only against brokers up to 3.9",
		        rd_kafka_version_str());
	if (sasl) {
		if (set(c, "sasl.mechanisms", o->sasl.mechanism, err, errlen) ||
		    set(c, "sasl.username", o->sasl.username, err, errlen) ||
		    set(c, "sasl.password", o->sasl.password, err, errlen))
			goto fail;
	}
	if (o->compression) {
		int ok = 0;
		for (int i = 0; compressions[i]; i++)
			ok |= !strcmp(compressions[i], o->compression);
		if (!ok) {
			snprintf(err, errlen,
			         "compression must be lz4, zstd, gzip, snappy or none");
			goto fail;
		}
		if (set(c, "compression.codec", o->compression, err, errlen))
			goto fail;
	}
	for (size_t i = 0; i < o->librdkafka.n; i++)
		if (set(c, o->librdkafka.k[i], o->librdkafka.v[i], err, errlen))
			goto fail;
	return c;
fail:
	rd_kafka_conf_destroy(c);
	return NULL;
}

int sl_kafka_check(struct sl_cfg *cfg, const struct sl_kafka_opts *o)
{
	char err[512];
	if (o->brokers.n == 0)
		return sl_cfg_error(cfg, sl_cfg_find(cfg->root, "kafka.brokers"), "kafka.brokers",
		                    "needs at least one broker");
	rd_kafka_conf_t *kc = sl_kafka_conf(o, err, sizeof err);
	if (!kc)
		return sl_cfg_error(cfg, sl_cfg_find(cfg->root, "kafka"), "kafka", "%s", err);
	rd_kafka_conf_destroy(kc);
	return 0;
}

void sl_kafka_log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
	if (level <= 3)
		sl_error("librdkafka: %s: %s", fac, buf);
	else if (level <= 4)
		sl_warn("librdkafka: %s: %s", fac, buf);
	else
		sl_debug("librdkafka: %s: %s", fac, buf);
}
