/*
 * shipper config — the sluice-shipper YAML file (see docs/configuration.md).
 */
#ifndef SH_CONFIG_H
#define SH_CONFIG_H

#include <stdint.h>

#include "sl_config.h"
#include "pipeline.h"
#include "sl_kafka.h"

enum sh_read_from { SH_FROM_HEAD, SH_FROM_TAIL };
/* kafka: the real thing; null: serialize and drop (benchmarks); stdout: JSON
 * lines on standard output (debugging). null and stdout count an event as
 * acknowledged once written. */
enum sh_output { SH_OUT_KAFKA, SH_OUT_NULL, SH_OUT_STDOUT };

struct sh_input {
	char *type; /* "file" */
	struct sl_strlist paths, exclude;
	char *service, *parser;
	int read_from;           /* enum sh_read_from */
	struct sl_strmap fields; /* static fields added to every event */
	const struct sl_cfg_node *multiline, *parser_options, *redact; /* for sl_pipe */
	char *static_json; /* fields, pre-serialized as ,"k":"v" */
};

struct sh_tuning {
	int64_t scan_interval;       /* ms between glob rescans */
	int64_t checkpoint_interval; /* ms between checkpoint writes */
	int64_t max_inflight;        /* bytes produced but not yet acknowledged */
	int64_t max_line;            /* bytes; longer lines are cut and flagged */
	int64_t max_open_files;      /* descriptors held at once */
	int64_t read_chunk;          /* bytes read from one file per turn */
	int64_t shutdown_timeout;    /* ms to wait for in-flight deliveries */
	int64_t linger;              /* ms librdkafka waits to fill a batch */
	int64_t partial_timeout;     /* ms a line without newline waits for it */
	char *log_level;
};

struct sh_config {
	char *node;
	char *state_dir;
	int output; /* enum sh_output */
	const struct sl_cfg_node *inputs_node;
	struct sh_input *inputs;
	size_t n_inputs;
	struct sl_kafka_opts kafka;
	struct {
		char *listen;
	} metrics;
	struct sh_tuning tuning;
	struct sl_cfg cfg; /* the parsed file, kept for error messages */
};

/* Loads and validates path into c. Returns 0, or -1 with the one-line error
 * in c->cfg.err. Free with sh_config_free() in both cases. */
int sh_config_load(struct sh_config *c, const char *path);
void sh_config_free(struct sh_config *c);
void sh_config_help(void);
/* The record-path options of an input, for one file. */
struct sl_pipe_opts sh_input_pipe_opts(const struct sh_input *in, const char *path,
                                       size_t max_record);

#endif
