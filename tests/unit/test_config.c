/*
 * test_config — sl_config: YAML loading, interpolation, typed option tables
 * and the "FILE:LINE: key.path: message" error contract.
 */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sl_config.h"

/* ---- a small option table covering every option type ---- */

struct t_tls {
	char *ca;
	int verify;
};

struct t_kafka {
	struct sl_strlist brokers;
	char *topic;
	struct t_tls tls;
};

struct t_conf {
	char *name;
	int64_t workers;
	int debug;
	int64_t timeout;
	int64_t max_size;
	int mode;
	struct sl_strlist paths;
	struct sl_strmap labels;
	struct t_kafka kafka;
	const struct sl_cfg_node *inputs;
};

struct t_input {
	char *type;
	struct sl_strlist paths;
};

static const char *const modes[] = {"fast", "safe", "off", NULL};

static const struct sl_opt tls_opts[] = {
    {.key = "ca", .type = SL_OPT_STR, .off = offsetof(struct t_tls, ca), .def = "/etc/ca.crt"},
    {.key = "verify", .type = SL_OPT_BOOL, .off = offsetof(struct t_tls, verify), .def = "true"},
    {0},
};

static const struct sl_opt kafka_opts[] = {
    {.key = "brokers", .type = SL_OPT_STRLIST, .off = offsetof(struct t_kafka, brokers)},
    {.key = "topic", .type = SL_OPT_STR, .off = offsetof(struct t_kafka, topic), .def = "logs"},
    {.key = "tls", .type = SL_OPT_SECTION, .off = offsetof(struct t_kafka, tls), .sub = tls_opts},
    {0},
};

static const struct sl_opt conf_opts[] = {
    {.key = "name",
     .type = SL_OPT_STR,
     .off = offsetof(struct t_conf, name),
     .flags = SL_OPT_REQUIRED},
    {.key = "workers",
     .type = SL_OPT_INT,
     .off = offsetof(struct t_conf, workers),
     .def = "4",
     .min = 1,
     .max = 64},
    {.key = "debug", .type = SL_OPT_BOOL, .off = offsetof(struct t_conf, debug), .def = "false"},
    {.key = "timeout",
     .type = SL_OPT_DURATION,
     .off = offsetof(struct t_conf, timeout),
     .def = "30s"},
    {.key = "max_size",
     .type = SL_OPT_SIZE,
     .off = offsetof(struct t_conf, max_size),
     .def = "64KiB"},
    {.key = "mode",
     .type = SL_OPT_ENUM,
     .off = offsetof(struct t_conf, mode),
     .def = "safe",
     .choices = modes},
    {.key = "paths", .type = SL_OPT_STRLIST, .off = offsetof(struct t_conf, paths)},
    {.key = "labels", .type = SL_OPT_STRMAP, .off = offsetof(struct t_conf, labels)},
    {.key = "kafka",
     .type = SL_OPT_SECTION,
     .off = offsetof(struct t_conf, kafka),
     .sub = kafka_opts},
    {.key = "inputs", .type = SL_OPT_NODE, .off = offsetof(struct t_conf, inputs)},
    {0},
};

static const struct sl_opt input_opts[] = {
    {.key = "type", .type = SL_OPT_STR, .off = offsetof(struct t_input, type), .def = "file"},
    {.key = "paths",
     .type = SL_OPT_STRLIST,
     .off = offsetof(struct t_input, paths),
     .flags = SL_OPT_REQUIRED},
    {0},
};

static struct sl_cfg cfg;
static struct t_conf conf;

static void load_ok(const char *yaml)
{
	int rc = sl_cfg_load_string(&cfg, "t.yaml", yaml, strlen(yaml));
	cr_assert_eq(rc, 0, "load failed: %s", cfg.err);
}

/* Loads and applies; returns the apply result. */
static int load_apply(const char *yaml)
{
	load_ok(yaml);
	return sl_cfg_apply(&cfg, cfg.root, "", conf_opts, &conf);
}

static void apply_ok(const char *yaml)
{
	int rc = load_apply(yaml);
	cr_assert_eq(rc, 0, "apply failed: %s", cfg.err);
}

/* Loads (which must succeed), applies (which must fail) with err exactly. */
static void apply_err(const char *yaml, const char *want)
{
	cr_assert_eq(load_apply(yaml), -1, "apply of:\n%s\nshould fail", yaml);
	cr_assert_str_eq(cfg.err, want);
}

/* Loading itself must fail with err exactly. */
static void load_err(const char *yaml, const char *want)
{
	cr_assert_eq(sl_cfg_load_string(&cfg, "t.yaml", yaml, strlen(yaml)), -1,
	             "load of:\n%s\nshould fail", yaml);
	cr_assert_str_eq(cfg.err, want);
}

static void setup(void)
{
	memset(&cfg, 0, sizeof cfg);
	memset(&conf, 0, sizeof conf);
}

static void teardown(void)
{
	sl_opt_free(conf_opts, &conf);
	sl_cfg_free(&cfg);
}

TestSuite(config, .init = setup, .fini = teardown);

/* ---- tree ---- */

Test(config, tree_lines_and_types)
{
	load_ok("# comment\n"
	        "a: 1\n"
	        "b:\n"
	        "  c: x\n"
	        "  d: [p, q]\n");
	cr_assert_not_null(cfg.root);
	cr_assert_eq(cfg.root->type, SL_CFG_MAP);
	cr_assert_eq(cfg.root->n, 2);
	const struct sl_cfg_node *a = sl_cfg_get(cfg.root, "a");
	cr_assert_not_null(a);
	cr_assert_eq(a->type, SL_CFG_SCALAR);
	cr_assert_str_eq(a->value, "1");
	cr_assert_str_eq(a->key, "a");
	cr_assert_eq(a->line, 2);
	const struct sl_cfg_node *b = sl_cfg_get(cfg.root, "b");
	cr_assert_eq(b->type, SL_CFG_MAP);
	const struct sl_cfg_node *c = sl_cfg_get(b, "c");
	cr_assert_str_eq(c->value, "x");
	cr_assert_eq(c->line, 4);
	const struct sl_cfg_node *d = sl_cfg_get(b, "d");
	cr_assert_eq(d->type, SL_CFG_SEQ);
	cr_assert_eq(d->n, 2);
	cr_assert_str_eq(d->kids[1]->value, "q");
	cr_assert_eq(d->line, 5);
	cr_assert_null(sl_cfg_get(cfg.root, "nope"));
	cr_assert_null(sl_cfg_get(a, "a"), "sl_cfg_get on a scalar");
	cr_assert_null(sl_cfg_get(NULL, "a"));
}

Test(config, empty_document_takes_defaults)
{
	load_ok("# nothing here\n");
	cr_assert_null(cfg.root);
	cr_assert_eq(sl_cfg_apply(&cfg, NULL, "", kafka_opts, &conf.kafka), 0, "%s", cfg.err);
	cr_assert_str_eq(conf.kafka.topic, "logs");
	cr_assert_str_eq(conf.kafka.tls.ca, "/etc/ca.crt");
	cr_assert_eq(conf.kafka.tls.verify, 1);
	cr_assert_eq(conf.kafka.brokers.n, 0);
	sl_opt_free(kafka_opts, &conf.kafka);
}

Test(config, document_must_be_a_map)
{
	load_err("- a\n- b\n", "t.yaml:1: (top): the document must be a map of keys");
}

Test(config, load_file_missing)
{
	cr_assert_eq(sl_cfg_load(&cfg, "/nonexistent/sluice-t.yaml"), -1);
	cr_assert_str_eq(cfg.err,
	                 "/nonexistent/sluice-t.yaml: cannot open: No such file or directory");
}

/* ---- every option type ---- */

Test(config, all_types)
{
	apply_ok("name: svc\n"
	         "workers: 8\n"
	         "debug: yes\n"
	         "timeout: 1h30m\n"
	         "max_size: 10GiB\n"
	         "mode: fast\n"
	         "paths: [/a.log, /b.log]\n"
	         "labels: {env: prod, team: core}\n"
	         "kafka:\n"
	         "  brokers: b1:9092\n"
	         "  tls:\n"
	         "    verify: off\n"
	         "inputs:\n"
	         "  - type: file\n");
	cr_assert_str_eq(conf.name, "svc");
	cr_assert_eq(conf.workers, 8);
	cr_assert_eq(conf.debug, 1);
	cr_assert_eq(conf.timeout, 5400000);
	cr_assert_eq(conf.max_size, 10LL << 30);
	cr_assert_eq(conf.mode, 0);
	cr_assert_eq(conf.paths.n, 2);
	cr_assert_str_eq(conf.paths.v[0], "/a.log");
	cr_assert_str_eq(conf.paths.v[1], "/b.log");
	cr_assert_eq(conf.labels.n, 2);
	cr_assert_str_eq(conf.labels.k[0], "env");
	cr_assert_str_eq(conf.labels.v[0], "prod");
	cr_assert_str_eq(conf.labels.k[1], "team");
	cr_assert_str_eq(conf.labels.v[1], "core");
	/* a single scalar is a list of one */
	cr_assert_eq(conf.kafka.brokers.n, 1);
	cr_assert_str_eq(conf.kafka.brokers.v[0], "b1:9092");
	cr_assert_str_eq(conf.kafka.topic, "logs");
	cr_assert_str_eq(conf.kafka.tls.ca, "/etc/ca.crt");
	cr_assert_eq(conf.kafka.tls.verify, 0);
	cr_assert_not_null(conf.inputs);
	cr_assert_eq(conf.inputs->type, SL_CFG_SEQ);
	cr_assert_eq(conf.inputs->n, 1);
}

Test(config, defaults)
{
	apply_ok("name: x\n");
	cr_assert_eq(conf.workers, 4);
	cr_assert_eq(conf.debug, 0);
	cr_assert_eq(conf.timeout, 30000);
	cr_assert_eq(conf.max_size, 65536);
	cr_assert_eq(conf.mode, 1);
	cr_assert_eq(conf.paths.n, 0);
	cr_assert_eq(conf.labels.n, 0);
	cr_assert_str_eq(conf.kafka.topic, "logs");
	cr_assert_eq(conf.kafka.tls.verify, 1);
	cr_assert_null(conf.inputs);
}

Test(config, empty_value_is_absent)
{
	apply_ok("name: x\nworkers:\ntimeout: \"\"\nkafka:\n  topic: \"\"\n");
	cr_assert_eq(conf.workers, 4);
	cr_assert_eq(conf.timeout, 30000);
	/* except for strings, where "" is a value */
	cr_assert_str_eq(conf.kafka.topic, "");
}

Test(config, bool_words)
{
	static const char *const yes[] = {"true", "yes", "on", "1", "TRUE", "Yes"};
	static const char *const no[] = {"false", "no", "off", "0", "False", "OFF"};
	char y[64];
	for (size_t i = 0; i < 6; i++) {
		snprintf(y, sizeof y, "name: x\ndebug: %s\n", yes[i]);
		apply_ok(y);
		cr_assert_eq(conf.debug, 1, "%s", yes[i]);
		teardown();
		setup();
		snprintf(y, sizeof y, "name: x\ndebug: %s\n", no[i]);
		conf.debug = 7;
		apply_ok(y);
		cr_assert_eq(conf.debug, 0, "%s", no[i]);
		teardown();
		setup();
	}
}

Test(config, int_bounds_inclusive)
{
	apply_ok("name: x\nworkers: 1\n");
	cr_assert_eq(conf.workers, 1);
	teardown();
	setup();
	apply_ok("name: x\nworkers: 64\n");
	cr_assert_eq(conf.workers, 64);
}

Test(config, strlist_block_sequence)
{
	apply_ok("name: x\npaths:\n  - /one\n  - /two\n  - /three\n");
	cr_assert_eq(conf.paths.n, 3);
	cr_assert_str_eq(conf.paths.v[2], "/three");
}

Test(config, nested_inputs_applied_per_item)
{
	apply_ok("name: x\n"
	         "inputs:\n"
	         "  - paths: [/a]\n"
	         "  - type: docker\n"
	         "    paths: /b\n");
	cr_assert_eq(conf.inputs->n, 2);
	struct t_input in[2] = {0};
	char path[32];
	for (size_t i = 0; i < 2; i++) {
		snprintf(path, sizeof path, "inputs[%zu]", i);
		cr_assert_eq(sl_cfg_apply(&cfg, conf.inputs->kids[i], path, input_opts, &in[i]), 0,
		             "%s", cfg.err);
	}
	cr_assert_str_eq(in[0].type, "file");
	cr_assert_str_eq(in[0].paths.v[0], "/a");
	cr_assert_str_eq(in[1].type, "docker");
	cr_assert_eq(in[1].paths.n, 1);
	cr_assert_str_eq(in[1].paths.v[0], "/b");
	sl_opt_free(input_opts, &in[0]);
	sl_opt_free(input_opts, &in[1]);
}

/* ---- interpolation ---- */

static void interp(const char *in, const char *want)
{
	const char *why = NULL;
	char *out = sl_cfg_interpolate(in, &why);
	cr_assert_not_null(out, "interpolate(\"%s\") failed: %s", in, why ? why : "?");
	cr_assert_str_eq(out, want, "interpolate(\"%s\")", in);
	free(out);
}

static void interp_fail(const char *in, const char *want_why)
{
	const char *why = NULL;
	char *out = sl_cfg_interpolate(in, &why);
	cr_assert_null(out, "interpolate(\"%s\") should fail, gave \"%s\"", in, out);
	cr_assert_str_eq(why, want_why);
}

Test(config, interpolate)
{
	setenv("SLT_FOO", "bar", 1);
	setenv("SLT_EMPTY", "", 1);
	unsetenv("SLT_UNSET");
	interp("plain", "plain");
	interp("", "");
	interp("${SLT_FOO}", "bar");
	interp("x${SLT_FOO}y${SLT_FOO}z", "xbarybarz");
	interp("${SLT_UNSET}", "");
	interp("a${SLT_UNSET}b", "ab");
	interp("${SLT_UNSET:-dflt}", "dflt");
	interp("${SLT_UNSET:-}", "");
	interp("${SLT_UNSET:-127.0.0.1:9093}", "127.0.0.1:9093");
	interp("${SLT_FOO:-dflt}", "bar");
	interp("${SLT_EMPTY:-dflt}", "dflt"); /* like the shell's :- */
	interp("$$", "$");
	interp("a$$b", "a$b");
	interp("$${SLT_FOO}", "${SLT_FOO}");
	interp("cost $5", "cost $5");
	interp("$", "$");
	interp("$SLT_FOO", "$SLT_FOO");
	interp_fail("${SLT_FOO", "unterminated ${ in value");
	interp_fail("abc ${", "unterminated ${ in value");
	interp_fail("${}", "empty variable name in ${}");
	interp_fail("${:-x}", "empty variable name in ${}");
	interp_fail("${A-B}", "bad character in ${VAR} name");
}

Test(config, interpolation_in_tree)
{
	setenv("SLT_TOPIC", "events", 1);
	unsetenv("SLT_UNSET");
	apply_ok("name: \"${SLT_UNSET:-svc}\"\n"
	         "kafka:\n"
	         "  topic: ${SLT_TOPIC}\n"
	         "  brokers: [\"${SLT_UNSET}\", \"x$$y\"]\n");
	cr_assert_str_eq(conf.name, "svc");
	cr_assert_str_eq(conf.kafka.topic, "events");
	cr_assert_eq(conf.kafka.brokers.n, 2);
	cr_assert_str_eq(conf.kafka.brokers.v[0], "");
	cr_assert_str_eq(conf.kafka.brokers.v[1], "x$y");
}

Test(config, interpolation_error_in_tree)
{
	load_err("name: x\n"
	         "kafka:\n"
	         "  tls:\n"
	         "    ca: \"${SLT_CA\"\n",
	         "t.yaml:4: kafka.tls.ca: unterminated ${ in value");
}

Test(config, interpolation_error_in_sequence)
{
	load_err("inputs:\n"
	         "  - paths: [/a]\n"
	         "  - type: file\n"
	         "    paths:\n"
	         "      - /b\n"
	         "      - \"/c/${\"\n",
	         "t.yaml:6: inputs[1].paths[1]: unterminated ${ in value");
}

/* ---- error messages: FILE:LINE: key.path: message ---- */

Test(config, err_unknown_key_top)
{
	apply_err("name: x\n"
	          "workers: 2\n"
	          "wrokers: 3\n",
	          "t.yaml:3: wrokers: unknown key");
}

Test(config, err_unknown_key_nested)
{
	apply_err("name: x\n"
	          "kafka:\n"
	          "  tls:\n"
	          "    ca: /x\n"
	          "    cafile: /y\n",
	          "t.yaml:5: kafka.tls.cafile: unknown key");
}

/* Regression: a map value's node carried the line of its value, not of
 * its key, so errors about a key whose value is a block map or list point at
 * the line after it (here "t.yaml:3"). common/sl_config.c:123/180: set
 * n->kids[i]->line from the key's start_mark once the value is converted. */
Test(config, err_unknown_key_with_block_value)
{
	/* the key is on line 2, its value on line 3 */
	apply_err("name: x\n"
	          "extra:\n"
	          "  a: 1\n",
	          "t.yaml:2: extra: unknown key");
}

Test(config, err_unknown_key_in_sequence_item)
{
	load_ok("inputs:\n"
	        "  - paths: [/a]\n"
	        "  - paths: [/b]\n"
	        "    pats: [/c]\n");
	const struct sl_cfg_node *inputs = sl_cfg_get(cfg.root, "inputs");
	struct t_input in = {0};
	cr_assert_eq(sl_cfg_apply(&cfg, inputs->kids[1], "inputs[1]", input_opts, &in), -1);
	cr_assert_str_eq(cfg.err, "t.yaml:4: inputs[1].pats: unknown key");
	sl_opt_free(input_opts, &in);
}

Test(config, err_required_in_sequence_item)
{
	load_ok("inputs:\n"
	        "  - paths: [/a]\n"
	        "  - type: docker\n");
	const struct sl_cfg_node *inputs = sl_cfg_get(cfg.root, "inputs");
	struct t_input in = {0};
	cr_assert_eq(sl_cfg_apply(&cfg, inputs->kids[1], "inputs[1]", input_opts, &in), -1);
	cr_assert_str_eq(cfg.err, "t.yaml:3: inputs[1].paths: is required");
	sl_opt_free(input_opts, &in);
}

Test(config, err_wrong_type_in_sequence_item)
{
	load_ok("inputs:\n"
	        "  - paths: [/a]\n"
	        "  - type: file\n"
	        "    paths: {a: b}\n");
	const struct sl_cfg_node *inputs = sl_cfg_get(cfg.root, "inputs");
	struct t_input in = {0};
	cr_assert_eq(sl_cfg_apply(&cfg, inputs->kids[1], "inputs[1]", input_opts, &in), -1);
	cr_assert_str_eq(cfg.err, "t.yaml:4: inputs[1].paths: expected a single list value");
	sl_opt_free(input_opts, &in);
}

Test(config, err_required_top)
{
	apply_err("# header\n"
	          "workers: 2\n",
	          "t.yaml:2: name: is required");
}

Test(config, err_bad_duration)
{
	apply_err(
	    "name: x\n"
	    "kafka:\n"
	    "  topic: t\n"
	    "timeout: 5x\n",
	    "t.yaml:4: timeout: expected a duration like 500ms, 30s, 15m, 2h or 7d, got \"5x\"");
}

Test(config, err_bad_size)
{
	apply_err("name: x\nmax_size: 12 parsecs\n",
	          "t.yaml:2: max_size: expected a size like 512KiB, 64MiB or 10GiB, got \"12 "
	          "parsecs\"");
}

Test(config, err_int_out_of_range)
{
	apply_err("name: x\n"
	          "workers: 65\n",
	          "t.yaml:2: workers: 65 is out of range (1..64)");
	teardown();
	setup();
	apply_err("name: x\n"
	          "\n"
	          "workers: 0\n",
	          "t.yaml:3: workers: 0 is out of range (1..64)");
}

Test(config, err_int_not_a_number)
{
	apply_err("name: x\nworkers: 4x\n", "t.yaml:2: workers: expected an integer, got \"4x\"");
}

Test(config, err_bool)
{
	apply_err("name: x\ndebug: maybe\n",
	          "t.yaml:2: debug: expected true or false, got \"maybe\"");
}

Test(config, err_nested_bool)
{
	apply_err("name: x\nkafka:\n  tls:\n    verify: sure\n",
	          "t.yaml:4: kafka.tls.verify: expected true or false, got \"sure\"");
}

Test(config, err_wrong_enum)
{
	apply_err("name: x\n"
	          "mode: turbo\n",
	          "t.yaml:2: mode: expected one of fast, safe, off, got \"turbo\"");
}

Test(config, err_enum_is_case_sensitive)
{
	apply_err("name: x\nmode: FAST\n",
	          "t.yaml:2: mode: expected one of fast, safe, off, got \"FAST\"");
}

Test(config, err_strmap_wrong_shape)
{
	apply_err("name: x\nlabels: [a, b]\n", "t.yaml:2: labels: expected a map of key: value");
	teardown();
	setup();
	apply_err("name: x\nlabels:\n  a: {b: c}\n",
	          "t.yaml:3: labels: expected a map of plain values");
}

Test(config, err_strlist_of_maps)
{
	apply_err("name: x\npaths:\n  - /a\n  - {b: c}\n",
	          "t.yaml:4: paths: expected a list of strings");
}

Test(config, err_section_not_a_map)
{
	apply_err("name: x\nkafka: yes\n", "t.yaml:2: kafka: expected a map of keys");
}

Test(config, err_scalar_given_a_list)
{
	apply_err("name: [a, b]\n", "t.yaml:1: name: expected a single string value");
}

Test(config, err_yaml_syntax)
{
	load_err("name: x\nkey: a: b\n",
	         "t.yaml:2:7: YAML syntax error: mapping values are not allowed in this context");
}

Test(config, err_yaml_syntax_unclosed_flow)
{
	/* libyaml notices at the next ':' */
	load_err("name: x\n"
	         "paths: [a, b\n"
	         "workers: 3\n",
	         "t.yaml:3:8: YAML syntax error: did not find expected ',' or ']' while parsing a "
	         "flow sequence");
}

Test(config, err_yaml_syntax_tab)
{
	load_err("a:\n\tb: 1\n", "t.yaml:2:1: YAML syntax error: found character that cannot "
	                         "start any token while scanning for the next token");
}

Test(config, err_duplicate_key)
{
	load_err("name: a\n"
	         "workers: 2\n"
	         "name: b\n",
	         "t.yaml:3: name: duplicate key");
}

Test(config, err_duplicate_key_nested)
{
	load_err("name: a\n"
	         "kafka:\n"
	         "  topic: a\n"
	         "  tls:\n"
	         "    ca: /a\n"
	         "\n"
	         "    ca: /b\n",
	         "t.yaml:7: kafka.tls.ca: duplicate key");
}

Test(config, err_duplicate_key_in_sequence_item)
{
	load_err("inputs:\n"
	         "  - type: a\n"
	         "  - type: b\n"
	         "    type: c\n",
	         "t.yaml:4: inputs[1].type: duplicate key");
}

Test(config, err_name_used_for_file)
{
	const char *y = "name: x\nbogus: 1\n";
	cr_assert_eq(sl_cfg_load_string(&cfg, "/etc/sluice/shipper.yaml", y, strlen(y)), 0);
	cr_assert_eq(sl_cfg_apply(&cfg, cfg.root, "", conf_opts, &conf), -1);
	cr_assert_str_eq(cfg.err, "/etc/sluice/shipper.yaml:2: bogus: unknown key");
}

Test(config, sl_cfg_error_format)
{
	load_ok("a: 1\nb: 2\n");
	const struct sl_cfg_node *b = sl_cfg_get(cfg.root, "b");
	cr_assert_eq(sl_cfg_error(&cfg, b, "x.b", "bad %d", 7), -1);
	cr_assert_str_eq(cfg.err, "t.yaml:2: x.b: bad 7");
	sl_cfg_error(&cfg, NULL, "", "no node");
	cr_assert_str_eq(cfg.err, "t.yaml:1: (top): no node");
}

/* ---- the real example configs ---- */

static void check_brokers(const char *path, const char *want)
{
	cr_assert_eq(sl_cfg_load(&cfg, path), 0, "%s", cfg.err);
	cr_assert_not_null(cfg.root);
	const struct sl_cfg_node *brokers = sl_cfg_get(sl_cfg_get(cfg.root, "kafka"), "brokers");
	cr_assert_not_null(brokers, "%s: no kafka.brokers", path);
	const struct sl_cfg_node *b = brokers;
	if (brokers->type == SL_CFG_SEQ) {
		cr_assert_eq(brokers->n, 1);
		b = brokers->kids[0];
	}
	cr_assert_eq(b->type, SL_CFG_SCALAR);
	cr_assert_str_eq(b->value, want);
}

Test(config, example_shipper_defaults)
{
	unsetenv("SLUICE_BROKERS");
	check_brokers("conf/shipper.yaml", "127.0.0.1:9093");
	const struct sl_cfg_node *inputs = sl_cfg_get(cfg.root, "inputs");
	cr_assert_not_null(inputs);
	cr_assert_eq(inputs->type, SL_CFG_SEQ);
	cr_assert_geq(inputs->n, 1);
}

Test(config, example_shipper_env)
{
	setenv("SLUICE_BROKERS", "10.1.2.3:9999", 1);
	check_brokers("conf/shipper.yaml", "10.1.2.3:9999");
}

Test(config, example_aggregator_defaults)
{
	unsetenv("SLUICE_BROKERS");
	check_brokers("conf/aggregator.yaml", "127.0.0.1:9093");
	cr_assert_not_null(sl_cfg_get(cfg.root, "storage"));
}

Test(config, example_aggregator_env)
{
	setenv("SLUICE_BROKERS", "10.1.2.3:9999", 1);
	check_brokers("conf/aggregator.yaml", "10.1.2.3:9999");
}
