/*
 * aggregator config — option tables and validation.
 */
#include "config.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "sl_log.h"

#define STO(f) offsetof(struct ag_config, storage.f) - offsetof(struct ag_config, storage)
static const struct sl_opt storage_opts[] = {
    {"dir", SL_OPT_STR, STO(dir), "/var/lib/sluice/aggregator", .desc = "where events are stored"},
    {"block_size", SL_OPT_SIZE, STO(block_size), "1MiB", 4096, 64 << 20,
     .desc = "events (raw JSON bytes) per compressed block"},
    {"segment_max", SL_OPT_SIZE, STO(segment_max), "1GiB", 1 << 20, 1LL << 40,
     .desc = "raw bytes after which a segment file is sealed"},
    {"compression", SL_OPT_INT, STO(compression), "3", 1, 9,
     .desc = "zlib level of the blocks (1 fastest, 9 smallest)"},
    {0},
};

#define API(f) offsetof(struct ag_config, api.f) - offsetof(struct ag_config, api)
static const struct sl_opt api_opts[] = {
    {"listen", SL_OPT_STR, API(listen), "127.0.0.1:7070",
     .desc = "host:port of the HTTP API, /metrics and /healthz"},
    {"max_query", SL_OPT_SIZE, API(max_query), "4KiB", 16, 1 << 20,
     .desc = "longest query accepted"},
    {"max_results", SL_OPT_INT, API(max_results), "1000000", 1, 1000000000,
     .desc = "most events one search returns, even with limit=0"},
    {"timeout", SL_OPT_DURATION, API(timeout), "30s", 100, 3600000,
     .desc = "longest a search or count may run before it is answered with an error"},
    {"max_tails", SL_OPT_INT, API(max_tails), "64", 1, 100000,
     .desc = "most tail streams open at once"},
    {"workers", SL_OPT_INT, API(workers), "2", 1, 64,
     .desc = "threads that run searches and counts (the event loop stays free)"},
    {"scan_threads", SL_OPT_INT, API(scan_threads), "0", 0, 64,
     .desc = "threads one search or count reads blocks on (0: one per CPU, at most 8)"},
    {0},
};

#define TUN(f) offsetof(struct ag_config, tuning.f) - offsetof(struct ag_config, tuning)
static const struct sl_opt tuning_opts[] = {
    {"batch_max", SL_OPT_INT, TUN(batch_max), "20000", 1, 10000000,
     .desc = "events written and fsynced together before offsets are committed"},
    {"batch_wait", SL_OPT_DURATION, TUN(batch_wait), "200ms", 1, 60000,
     .desc = "how long a batch waits to fill"},
    {"flush_interval", SL_OPT_DURATION, TUN(flush_interval), "5s", 10, 600000,
     .desc = "longest events stay in memory (searchable) before their block is written and "
             "their offsets committed"},
    {"log_level", SL_OPT_STR, TUN(log_level), "info", .desc = "debug, info, warn or error"},
    {0},
};

static const struct sl_opt top_opts[] = {
    {"kafka", SL_OPT_SECTION, offsetof(struct ag_config, kafka), .sub = sl_kafka_consumer_opts},
    {"storage", SL_OPT_SECTION, offsetof(struct ag_config, storage), .sub = storage_opts},
    {"api", SL_OPT_SECTION, offsetof(struct ag_config, api), .sub = api_opts},
    {"tuning", SL_OPT_SECTION, offsetof(struct ag_config, tuning), .sub = tuning_opts},
    {"retention", SL_OPT_NODE, offsetof(struct ag_config, retention),
     .desc = "retention rules (not applied yet)"},
    {"alerts", SL_OPT_NODE, offsetof(struct ag_config, alerts),
     .desc = "alert rules and channels (not applied yet)"},
    {"auth", SL_OPT_NODE, offsetof(struct ag_config, auth),
     .desc = "tokens and roles (not applied yet)"},
    {0},
};

void ag_config_help(void)
{
	sl_opt_print(top_opts, "", stdout);
}

int ag_config_load(struct ag_config *c, const char *path)
{
	memset(c, 0, sizeof *c);
	if (sl_cfg_load(&c->cfg, path))
		return -1;
	if (sl_cfg_apply(&c->cfg, c->cfg.root, "", top_opts, c))
		return -1;
	if (!*c->storage.dir)
		return sl_cfg_error(&c->cfg, sl_cfg_find(c->cfg.root, "storage.dir"), "storage.dir",
		                    "must not be empty");
	if (!strchr(c->api.listen, ':'))
		return sl_cfg_error(&c->cfg, sl_cfg_find(c->cfg.root, "api.listen"), "api.listen",
		                    "expected host:port, got \"%s\"", c->api.listen);
	if (sl_log_level_parse(c->tuning.log_level) < 0)
		return sl_cfg_error(&c->cfg, sl_cfg_find(c->cfg.root, "tuning.log_level"),
		                    "tuning.log_level", "expected debug, info, warn or error");
	return sl_kafka_check(&c->cfg, &c->kafka);
}

void ag_config_free(struct ag_config *c)
{
	sl_opt_free(top_opts, c);
	sl_cfg_free(&c->cfg);
	memset(c, 0, sizeof *c);
}
