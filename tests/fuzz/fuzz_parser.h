/*
 * fuzz_parser.h — the body shared by the tests/fuzz/fuzz_<parser>.c targets.
 * Define FUZZ_PARSER (the registered name) and optionally FUZZ_OPTIONS (YAML
 * for parser_options) before including it. Each input is one record; the
 * event it becomes must serialize to one valid JSON object.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_tree.h>

#include "parser.h"
#include "sl_config.h"

static const struct sl_parser_ops *fz_ops;
static void *fz_state;
static struct sl_event fz_ev;
static struct sl_buf fz_out;
static struct sl_cfg fz_cfg;

static void fz_init(void)
{
	char err[512];
	const struct sl_cfg_node *opts = NULL;
#ifdef FUZZ_OPTIONS
	static const char yaml[] = "v: " FUZZ_OPTIONS "\n";
	if (sl_cfg_load_string(&fz_cfg, "fuzz", yaml, strlen(yaml))) {
		fprintf(stderr, "%s\n", fz_cfg.err);
		abort();
	}
	opts = sl_cfg_get(fz_cfg.root, "v");
#endif
	fz_ops = sl_parser_find(FUZZ_PARSER);
	if (!fz_ops)
		abort();
	fz_state = fz_ops->create(opts, err, sizeof err);
	if (!fz_state) {
		fprintf(stderr, "%s\n", err);
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!fz_ops)
		fz_init();
	sl_event_reset(&fz_ev);
	fz_ev.ref_ns = 1700000000LL * 1000000000LL;
	fz_ops->parse(fz_state, (const char *)data, size, &fz_ev);
	/* the multi-line rule, if any, on every line of the input */
	if (fz_ops->join) {
		int ml = 0;
		const char *p = (const char *)data, *end = p + size;
		while (p < end) {
			const char *nl = memchr(p, '\n', (size_t)(end - p));
			const char *le = nl ? nl : end;
			fz_ops->join(fz_state, &ml, p, (size_t)(le - p));
			if (!ml)
				abort(); /* the rule must leave a state */
			p = nl ? nl + 1 : end;
		}
	}
	static const struct sl_event_ctx ctx = {
	    .host = "h", .source = "file", .path = "/p", .identity = "1:2:3"};
	sl_buf_reset(&fz_out);
	sl_event_write(&fz_ev, &ctx, 0, 1, &fz_out);
	char err[128];
	yajl_val v = yajl_tree_parse(fz_out.data, err, sizeof err);
	if (!v || !YAJL_IS_OBJECT(v)) {
		fprintf(stderr, "invalid event JSON (%s): %s\n", err, fz_out.data);
		abort();
	}
	yajl_tree_free(v);
	return 0;
}
