/*
 * fuzz_nginx_format — the nginx parser's log_format option: the input's
 * first line is the format (compiled as parser_options.log_format; an error
 * is fine), every further line a record parsed with it. Each event must
 * serialize to one valid JSON object without a key twice.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_tree.h>

#include "parser.h"
#include "sl_config.h"

static struct sl_event ev;
static struct sl_buf out;

static void check_event(void)
{
	static const struct sl_event_ctx ctx = {
	    .host = "h", .source = "file", .path = "/p", .identity = "1:2:3"};
	sl_buf_reset(&out);
	sl_event_write(&ev, &ctx, 0, 1, &out);
	char err[128];
	yajl_val v = yajl_tree_parse(out.data, err, sizeof err);
	if (!v || !YAJL_IS_OBJECT(v)) {
		fprintf(stderr, "invalid event JSON (%s): %s\n", err, out.data);
		abort();
	}
	for (size_t i = 0; i < v->u.object.len; i++)
		for (size_t j = i + 1; j < v->u.object.len; j++)
			if (!strcmp(v->u.object.keys[i], v->u.object.keys[j])) {
				fprintf(stderr, "key \"%s\" twice: %s\n", v->u.object.keys[i],
				        out.data);
				abort();
			}
	yajl_tree_free(v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size;
	const char *nl = memchr(p, '\n', size);
	size_t fl = nl ? (size_t)(nl - p) : size;
	char *fmt = malloc(fl + 1);
	memcpy(fmt, p, fl);
	fmt[fl] = '\0'; /* a NUL inside cuts the format short, as YAML would not */
	struct sl_cfg_node val = {.type = SL_CFG_SCALAR, .key = "log_format", .value = fmt};
	struct sl_cfg_node *kids[] = {&val};
	struct sl_cfg_node opts = {.type = SL_CFG_MAP, .kids = kids, .n = 1};
	char err[512];
	void *st = sl_parser_nginx.create(&opts, err, sizeof err);
	free(fmt);
	if (!st) {
		if (!err[0])
			abort(); /* a failure must say why */
		return 0;
	}
	for (p = nl ? nl + 1 : end; p < end;) {
		const char *e = memchr(p, '\n', (size_t)(end - p));
		size_t n = e ? (size_t)(e - p) : (size_t)(end - p);
		sl_event_reset(&ev);
		ev.ref_ns = 1700000000LL * 1000000000LL;
		sl_parser_nginx.parse(st, p, n, &ev);
		check_event();
		p = e ? e + 1 : end;
	}
	sl_parser_nginx.destroy(st);
	return 0;
}
