/*
 * aggregator config — the sluice-aggregator YAML file (docs/configuration.md).
 */
#ifndef AG_CONFIG_H
#define AG_CONFIG_H

#include <stdint.h>

#include "sl_config.h"
#include "sl_kafka.h"

struct ag_config {
	struct sl_kafka_opts kafka;
	struct {
		char *dir;
		int64_t block_size;  /* raw bytes of events per block */
		int64_t segment_max; /* raw bytes per segment file */
		int64_t compression; /* zlib level */
	} storage;
	struct {
		char *listen;
		int64_t max_query; /* bytes */
		int64_t max_results;
		int64_t timeout;      /* ms a search or count may run */
		int64_t max_tails;    /* concurrent tail streams */
		int64_t workers;      /* threads that run searches and counts */
		int64_t scan_threads; /* threads one search or count reads blocks on; 0: CPUs */
	} api;
	struct {
		int64_t batch_max;      /* events written and fsynced together */
		int64_t batch_wait;     /* ms a batch waits to fill */
		int64_t flush_interval; /* ms events wait in memory before their block is written */
		char *log_level;
	} tuning;
	/* sections that later issues implement: accepted, not yet applied */
	const struct sl_cfg_node *retention, *alerts, *auth;
	struct sl_cfg cfg;
};

/* Loads and validates path. Returns 0, or -1 with the error in c->cfg.err.
 * Free with ag_config_free() either way. */
int ag_config_load(struct ag_config *c, const char *path);
void ag_config_free(struct ag_config *c);
void ag_config_help(void);

#endif
