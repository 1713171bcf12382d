/*
 * fuzz_config — the YAML config loader: parsing, interpolation, and an
 * option table with every option type, as the programs use it.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sl_config.h"

struct sub {
	char *s;
	int64_t d;
};

struct target {
	char *str;
	int64_t i, dur, size;
	int b, e;
	struct sl_strlist list;
	struct sl_strmap map;
	struct sub sub;
	const struct sl_cfg_node *node;
};

static const char *const choices[] = {"one", "two", NULL};

static const struct sl_opt sub_opts[] = {
    {"s", SL_OPT_STR, offsetof(struct sub, s), "x"},
    {"d", SL_OPT_DURATION, offsetof(struct sub, d), "1s"},
    {0},
};

static const struct sl_opt opts[] = {
    {"str", SL_OPT_STR, offsetof(struct target, str), "${FUZZ_UNSET:-dflt}"},
    {"i", SL_OPT_INT, offsetof(struct target, i), "1", 0, 100},
    {"dur", SL_OPT_DURATION, offsetof(struct target, dur), "5s"},
    {"size", SL_OPT_SIZE, offsetof(struct target, size), "1MiB"},
    {"b", SL_OPT_BOOL, offsetof(struct target, b), "true"},
    {"e", SL_OPT_ENUM, offsetof(struct target, e), "one", .choices = choices},
    {"list", SL_OPT_STRLIST, offsetof(struct target, list), NULL},
    {"map", SL_OPT_STRMAP, offsetof(struct target, map), NULL},
    {"sub", SL_OPT_SECTION, offsetof(struct target, sub), .sub = sub_opts},
    {"node", SL_OPT_NODE, offsetof(struct target, node), NULL},
    {0},
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sl_cfg cfg;
	struct target t;
	memset(&t, 0, sizeof t);
	if (sl_cfg_load_string(&cfg, "fuzz.yaml", (const char *)data, size) == 0) {
		sl_cfg_apply(&cfg, cfg.root, "", opts, &t);
		sl_cfg_find(cfg.root, "sub.s");
		sl_cfg_node_equal(cfg.root, cfg.root);
	}
	/* every message is one line naming the file */
	if (cfg.err[0] && strncmp(cfg.err, "fuzz.yaml", 9))
		abort();
	sl_opt_free(opts, &t);
	sl_cfg_free(&cfg);
	return 0;
}
