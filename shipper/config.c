/*
 * shipper config — option tables and validation.
 */
#include "config.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "parser.h"
#include "pipeline.h"
#include "sl_buf.h"
#include "sl_json.h"
#include "sl_log.h"

static const char *const from_choices[] = {"head", "tail", NULL};

static const char *const outputs[] = {"kafka", "null", "stdout", NULL};

static const struct sl_opt input_opts[] = {
    {"type", SL_OPT_STR, offsetof(struct sh_input, type), "file",
     .desc = "input type: file, docker, cri, postgres, mysql, redis, syslog"},
    {"paths", SL_OPT_STRLIST, offsetof(struct sh_input, paths), NULL, .flags = SL_OPT_REQUIRED,
     .desc = "glob patterns of the files to tail"},
    {"exclude", SL_OPT_STRLIST, offsetof(struct sh_input, exclude), NULL,
     .desc = "glob patterns (of the path or the file name) to skip"},
    {"service", SL_OPT_STR, offsetof(struct sh_input, service), "",
     .desc = "the events' service name"},
    {"parser", SL_OPT_STR, offsetof(struct sh_input, parser), "",
     .desc = "parser name (docs/parsers.md); default: the input type's own"},
    {"read_from", SL_OPT_ENUM, offsetof(struct sh_input, read_from), "head",
     .choices = from_choices, .desc = "where to start in a file seen for the first time"},
    {"fields", SL_OPT_STRMAP, offsetof(struct sh_input, fields), NULL,
     .desc = "static fields added to every event"},
    {"multiline", SL_OPT_NODE, offsetof(struct sh_input, multiline), NULL,
     .desc = "multi-line record rules (docs/parsers.md)"},
    {"parser_options", SL_OPT_NODE, offsetof(struct sh_input, parser_options), NULL,
     .desc = "options of the parser (docs/parsers.md)"},
    {"redact", SL_OPT_NODE, offsetof(struct sh_input, redact), NULL,
     .desc = "redaction rules applied before events leave the node"},
    {0},
};

static const struct sl_opt metrics_opts[] = {
    {"listen", SL_OPT_STR, 0, "", .desc = "host:port of /metrics and /healthz (empty: off)"},
    {0},
};

static const struct sl_opt tuning_opts[] = {
    {"scan_interval", SL_OPT_DURATION, offsetof(struct sh_tuning, scan_interval), "1s", 10, 3600000,
     .desc = "how often globs are re-scanned for new and rotated files"},
    {"checkpoint_interval", SL_OPT_DURATION, offsetof(struct sh_tuning, checkpoint_interval), "1s",
     10, 3600000, .desc = "how often acknowledged offsets are written"},
    {"max_inflight", SL_OPT_SIZE, offsetof(struct sh_tuning, max_inflight), "4MiB", 65536,
     1LL << 40, .desc = "bytes produced but not acknowledged before reading pauses"},
    {"max_line", SL_OPT_SIZE, offsetof(struct sh_tuning, max_line), "1MiB", 1024, 64 << 20,
     .desc = "longer lines are cut there and flagged truncated"},
    {"max_open_files", SL_OPT_INT, offsetof(struct sh_tuning, max_open_files), "1024", 1, 1000000,
     .desc = "descriptors held open at once"},
    {"read_chunk", SL_OPT_SIZE, offsetof(struct sh_tuning, read_chunk), "256KiB", 4096, 64 << 20,
     .desc = "bytes read from one file before turning to the next"},
    {"shutdown_timeout", SL_OPT_DURATION, offsetof(struct sh_tuning, shutdown_timeout), "10s", 0,
     3600000, .desc = "how long SIGTERM waits for in-flight deliveries"},
    {"linger", SL_OPT_DURATION, offsetof(struct sh_tuning, linger), "5ms", 0, 60000,
     .desc = "how long a batch waits to fill before it is sent"},
    {"partial_timeout", SL_OPT_DURATION, offsetof(struct sh_tuning, partial_timeout), "5s", 0,
     86400000, .desc = "how long a last line without newline waits for it before it ships"},
    {"log_level", SL_OPT_STR, offsetof(struct sh_tuning, log_level), "info",
     .desc = "debug, info, warn or error"},
    {0},
};

static const struct sl_opt top_opts[] = {
    {"node", SL_OPT_STR, offsetof(struct sh_config, node), "",
     .desc = "the events' host (default: the machine's host name)"},
    {"state_dir", SL_OPT_STR, offsetof(struct sh_config, state_dir), "/var/lib/sluice",
     .desc = "where checkpoints are kept"},
    {"output", SL_OPT_ENUM, offsetof(struct sh_config, output), "kafka", .choices = outputs,
     .desc = "kafka; null (drop, for benchmarks); stdout (JSON lines, for debugging)"},
    {"inputs", SL_OPT_NODE, offsetof(struct sh_config, inputs_node), NULL, .flags = SL_OPT_REQUIRED,
     .desc = "list of inputs (see inputs[].*)"},
    {"kafka", SL_OPT_SECTION, offsetof(struct sh_config, kafka), .sub = sl_kafka_producer_opts},
    {"metrics", SL_OPT_SECTION, offsetof(struct sh_config, metrics), .sub = metrics_opts},
    {"tuning", SL_OPT_SECTION, offsetof(struct sh_config, tuning), .sub = tuning_opts},
    {0},
};

struct sl_pipe_opts sh_input_pipe_opts(const struct sh_input *in, const char *path,
                                       size_t max_record)
{
	struct sl_pipe_opts po = {
	    .type = in->type,
	    .parser = in->parser,
	    .path = path,
	    .parser_opts = in->parser_options,
	    .multiline = in->multiline,
	    .redact = in->redact,
	    .max_record = max_record,
	    .flush_ms = 1000,
	};
	return po;
}

void sh_config_help(void)
{
	sl_opt_print(top_opts, "", stdout);
	sl_opt_print(input_opts, "inputs[]", stdout);
}

static int load_inputs(struct sh_config *c)
{
	const struct sl_cfg_node *n = c->inputs_node;
	if (n->type != SL_CFG_SEQ || n->n == 0)
		return sl_cfg_error(&c->cfg, n, "inputs", "expected a non-empty list of inputs");
	c->inputs = sl_calloc(n->n, sizeof *c->inputs);
	for (size_t i = 0; i < n->n; i++) {
		struct sh_input *in = &c->inputs[i];
		char path[64];
		snprintf(path, sizeof path, "inputs[%zu]", i);
		c->n_inputs++;
		if (sl_cfg_apply(&c->cfg, n->kids[i], path, input_opts, in))
			return -1;
		const struct sl_cfg_node *at = n->kids[i];
		if (*in->parser && !sl_parser_find(in->parser)) {
			char sub[96];
			snprintf(sub, sizeof sub, "%s.parser", path);
			return sl_cfg_error(&c->cfg, sl_cfg_get(at, "parser"), sub,
			                    "unknown parser \"%s\"", in->parser);
		}
		if (in->paths.n == 0) {
			char sub[96];
			snprintf(sub, sizeof sub, "%s.paths", path);
			return sl_cfg_error(&c->cfg, sl_cfg_get(at, "paths"), sub,
			                    "needs at least one glob");
		}
		/* the record path validates the type, multiline, parser options and
		 * redaction rules exactly as the shipper will use them */
		char err[512];
		struct sl_pipe_opts po = sh_input_pipe_opts(in, "", 1 << 20);
		struct sl_pipe *pipe = sl_pipe_new(&po, err, sizeof err);
		if (!pipe)
			return sl_cfg_error(&c->cfg, at, path, "%s", err);
		sl_pipe_free(pipe);
		struct sl_buf b = {0};
		sl_buf_puts(&b, "");
		for (size_t k = 0; k < in->fields.n; k++) {
			sl_buf_putc(&b, ',');
			sl_json_str(&b, in->fields.k[k], strlen(in->fields.k[k]));
			sl_buf_putc(&b, ':');
			sl_json_str(&b, in->fields.v[k], strlen(in->fields.v[k]));
		}
		in->static_json = b.data;
	}
	return 0;
}

int sh_config_load(struct sh_config *c, const char *path)
{
	memset(c, 0, sizeof *c);
	if (sl_cfg_load(&c->cfg, path))
		return -1;
	if (sl_cfg_apply(&c->cfg, c->cfg.root, "", top_opts, c))
		return -1;
	if (load_inputs(c))
		return -1;
	if (!*c->node) {
		char h[256] = "localhost";
		gethostname(h, sizeof h - 1);
		free(c->node);
		c->node = sl_strdup(h);
	}
	if (!*c->state_dir)
		return sl_cfg_error(&c->cfg, sl_cfg_find(c->cfg.root, "state_dir"), "state_dir",
		                    "must not be empty");
	if (sl_log_level_parse(c->tuning.log_level) < 0)
		return sl_cfg_error(&c->cfg, sl_cfg_find(c->cfg.root, "tuning.log_level"),
		                    "tuning.log_level", "expected debug, info, warn or error");
	return sl_kafka_check(&c->cfg, &c->kafka);
}

void sh_config_free(struct sh_config *c)
{
	for (size_t i = 0; i < c->n_inputs; i++) {
		sl_opt_free(input_opts, &c->inputs[i]);
		free(c->inputs[i].static_json);
	}
	free(c->inputs);
	sl_opt_free(top_opts, c);
	sl_cfg_free(&c->cfg);
	memset(c, 0, sizeof *c);
}
