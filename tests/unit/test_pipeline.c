/*
 * test_pipeline — sl_pipe: record offsets, multi-line assembly with its
 * flush timeout and caps, container wrappers (partial lines, fields from
 * the path), the input types' default parsers, redaction, and the error
 * messages sl_pipe_new gives for bad options.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yajl/yajl_tree.h>

#include "pipeline.h"
#include "sl_config.h"

#define NOW_NS (1718452800LL * 1000000000LL) /* 2024-06-15T12:00:00Z */

static struct sl_cfg cfg;
static struct sl_buf out;
static yajl_val doc;

static void setup(void)
{
	memset(&cfg, 0, sizeof cfg);
	memset(&out, 0, sizeof out);
	doc = NULL;
}

static void teardown(void)
{
	sl_cfg_free(&cfg);
	sl_buf_free(&out);
	if (doc)
		yajl_tree_free(doc);
}

TestSuite(pipeline, .init = setup, .fini = teardown);

/* A YAML value as a config node (valid until teardown). */
static const struct sl_cfg_node *node(const char *yaml)
{
	char text[1024];
	sl_cfg_free(&cfg);
	memset(&cfg, 0, sizeof cfg);
	snprintf(text, sizeof text, "v: %s\n", yaml);
	cr_assert_eq(sl_cfg_load_string(&cfg, "t", text, strlen(text)), 0, "%s", cfg.err);
	return sl_cfg_get(cfg.root, "v");
}

static struct sl_pipe *pipe_new(struct sl_pipe_opts o)
{
	char err[512] = "";
	if (!o.max_record)
		o.max_record = 1 << 20;
	if (!o.flush_ms)
		o.flush_ms = 1000;
	o.ref_ns = NOW_NS;
	struct sl_pipe *p = sl_pipe_new(&o, err, sizeof err);
	cr_assert_not_null(p, "sl_pipe_new: %s", err);
	return p;
}

static const char *new_error(struct sl_pipe_opts o)
{
	static char err[512];
	err[0] = '\0';
	struct sl_pipe *p = sl_pipe_new(&o, err, sizeof err);
	cr_assert_null(p, "sl_pipe_new accepted bad options");
	return err;
}

/* Feeds text line by line (offsets from 0); returns the offset past it. */
static uint64_t feed(struct sl_pipe *p, const char *text, uint64_t off, int64_t now)
{
	const char *s = text;
	while (*s) {
		const char *nl = strchr(s, '\n');
		size_t n = nl ? (size_t)(nl - s) : strlen(s);
		uint64_t end = off + n + (nl ? 1 : 0);
		sl_pipe_feed(p, s, n, off, end, 0, now);
		off = end;
		s += n + (nl ? 1 : 0);
	}
	return off;
}

/* The head record as parsed JSON (NULL when none); pops it into *r. */
static yajl_val next(struct sl_pipe *p, uint64_t *off, uint64_t *end)
{
	static const struct sl_event_ctx ctx = {
	    .host = "h", .source = "file", .path = "/x", .identity = "i"};
	struct sl_pipe_rec *r = sl_pipe_peek(p);
	if (!r)
		return NULL;
	if (off)
		*off = r->off;
	if (end)
		*end = r->end;
	sl_buf_reset(&out);
	sl_event_write(&r->ev, &ctx, r->off, NOW_NS, &out);
	sl_pipe_pop(p);
	if (doc)
		yajl_tree_free(doc);
	char err[128];
	doc = yajl_tree_parse(out.data, err, sizeof err);
	cr_assert_not_null(doc, "%s: %s", err, out.data);
	return doc;
}

static const char *str(yajl_val d, const char *key)
{
	for (size_t i = 0; i < d->u.object.len; i++)
		if (!strcmp(d->u.object.keys[i], key) && YAJL_IS_TRUE(d->u.object.values[i]))
			return "true";
	for (size_t i = 0; i < d->u.object.len; i++)
		if (!strcmp(d->u.object.keys[i], key))
			return YAJL_IS_STRING(d->u.object.values[i])
			           ? d->u.object.values[i]->u.string
			           : d->u.object.values[i]->u.number.r;
	return NULL;
}

Test(pipeline, single_lines_keep_offsets)
{
	struct sl_pipe *p = pipe_new((struct sl_pipe_opts){.type = "file"});
	feed(p, "a\nbb\n", 0, 0);
	uint64_t off, end;
	cr_assert_not_null(next(p, &off, &end));
	cr_assert_eq(off, 0);
	cr_assert_eq(end, 2);
	cr_assert_str_eq(str(doc, "message"), "a");
	cr_assert_not_null(next(p, &off, &end));
	cr_assert_eq(off, 2);
	cr_assert_eq(end, 5);
	cr_assert_null(next(p, NULL, NULL));
	cr_assert_eq(sl_pipe_pending(p), 0);
	sl_pipe_free(p);
}

Test(pipeline, multiline_waits_for_the_next_start_or_the_timeout)
{
	struct sl_pipe *p =
	    pipe_new((struct sl_pipe_opts){.multiline = node("java"), .flush_ms = 500});
	feed(p, "ERROR boom\n\tat A.b(A.java:1)\n", 0, 1000);
	cr_assert_null(sl_pipe_peek(p), "a record being assembled is not emitted");
	cr_assert_eq(sl_pipe_pending(p), 1);
	sl_pipe_flush(p, 1400, 0);
	cr_assert_null(sl_pipe_peek(p), "not before the flush timeout");
	sl_pipe_flush(p, 1500, 0);
	uint64_t off, end;
	cr_assert_not_null(next(p, &off, &end));
	cr_assert_str_eq(str(doc, "message"), "ERROR boom\n\tat A.b(A.java:1)");
	cr_assert_str_eq(str(doc, "level"), "error");
	cr_assert_eq(off, 0);
	cr_assert_eq(end, 29);
	/* a continuation after the flush starts a record of its own */
	feed(p, "\tat late\nnext\n", 29, 2000);
	cr_assert_not_null(next(p, &off, NULL));
	cr_assert_str_eq(str(doc, "message"), "\tat late");
	cr_assert_eq(off, 29);
	sl_pipe_flush(p, 0, 1);
	cr_assert_not_null(next(p, NULL, NULL));
	cr_assert_str_eq(str(doc, "message"), "next");
	sl_pipe_free(p);
}

Test(pipeline, record_cap_cuts_and_flags)
{
	struct sl_pipe *p = pipe_new(
	    (struct sl_pipe_opts){.multiline = node("{continue: '^ '}"), .max_record = 16});
	feed(p, "0123456789\n abcdefghij\n more\nnext\n", 0, 0);
	uint64_t off, end;
	cr_assert_not_null(next(p, &off, &end));
	cr_assert_str_eq(str(doc, "message"), "0123456789\n abcd");
	cr_assert_str_eq(str(doc, "truncated"), "true");
	cr_assert_eq(end, 29, "the dropped lines still count for the checkpoint");
	sl_pipe_free(p);
}

Test(pipeline, max_lines)
{
	struct sl_pipe *p =
	    pipe_new((struct sl_pipe_opts){.multiline = node("{start: '^S', max_lines: 2}")});
	feed(p, "S1\na\nb\nS2\n", 0, 0);
	cr_assert_not_null(next(p, NULL, NULL));
	cr_assert_str_eq(str(doc, "message"), "S1\na");
	cr_assert_str_eq(str(doc, "truncated"), "true");
	sl_pipe_free(p);
}

Test(pipeline, docker_partials_joined)
{
	struct sl_pipe *p = pipe_new((struct sl_pipe_opts){.type = "docker"});
	const char *l1 = "{\"log\":\"ab\",\"stream\":\"stderr\",\"time\":\"2024-01-02T03:04:05Z\"}";
	const char *l2 =
	    "{\"log\":\"cd\\n\",\"stream\":\"stderr\",\"time\":\"2024-01-02T03:04:06Z\"}";
	sl_pipe_feed(p, l1, strlen(l1), 100, 200, 0, 0);
	cr_assert_null(sl_pipe_peek(p));
	sl_pipe_feed(p, l2, strlen(l2), 200, 300, 0, 0);
	uint64_t off, end;
	cr_assert_not_null(next(p, &off, &end));
	cr_assert_str_eq(str(doc, "message"), "abcd");
	cr_assert_str_eq(str(doc, "stream"), "stderr");
	cr_assert_str_eq(str(doc, "time"), "2024-01-02T03:04:05.000000000Z");
	cr_assert_eq(off, 100);
	cr_assert_eq(end, 300);
	/* a partial left at the end goes out on the timeout */
	sl_pipe_feed(p, l1, strlen(l1), 300, 400, 0, 10);
	sl_pipe_flush(p, 10 + 1000, 0);
	cr_assert_not_null(next(p, &off, &end));
	cr_assert_str_eq(str(doc, "message"), "ab");
	cr_assert_eq(end, 400);
	sl_pipe_free(p);
}

Test(pipeline, docker_fields_from_the_path)
{
	char dir[] = "/tmp/sl-docker-XXXXXX", path[256], sub[200];
	cr_assert_not_null(mkdtemp(dir));
	snprintf(sub, sizeof sub, "%s/containers", dir);
	mkdir(sub, 0700);
	snprintf(sub, sizeof sub, "%s/containers/0123abcd", dir);
	mkdir(sub, 0700);
	snprintf(path, sizeof path, "%s/config.v2.json", sub);
	FILE *f = fopen(path, "w");
	fputs("{\"Name\":\"/shop-web\",\"Config\":{\"Image\":\"shop:1.2\"}}", f);
	fclose(f);
	snprintf(path, sizeof path, "%s/0123abcd-json.log", sub);
	struct sl_pipe *p = pipe_new((struct sl_pipe_opts){.type = "docker", .path = path});
	feed(p, "{\"log\":\"hi\\n\",\"stream\":\"stdout\",\"time\":\"2024-01-02T03:04:05Z\"}\n", 0,
	     0);
	cr_assert_not_null(next(p, NULL, NULL));
	cr_assert_str_eq(str(doc, "container.id"), "0123abcd");
	cr_assert_str_eq(str(doc, "container.name"), "shop-web");
	cr_assert_str_eq(str(doc, "container.image"), "shop:1.2");
	sl_pipe_free(p);
	unlink(path);
	snprintf(path, sizeof path, "%s/config.v2.json", sub);
	unlink(path);
	rmdir(sub);
	snprintf(sub, sizeof sub, "%s/containers", dir);
	rmdir(sub);
	rmdir(dir);
}

Test(pipeline, cri_partials_and_k8s_fields)
{
	struct sl_pipe *p = pipe_new((struct sl_pipe_opts){
	    .type = "cri", .path = "/var/log/pods/shop_web-7d9f_1b2c-33/app/0.log"});
	feed(p, "2024-01-02T03:04:05Z stdout P {\"msg\":\n2024-01-02T03:04:06Z stdout F \"hi\"}\n",
	     0, 0);
	uint64_t off, end;
	cr_assert_not_null(next(p, &off, &end));
	cr_assert_str_eq(str(doc, "message"), "hi");
	cr_assert_str_eq(str(doc, "k8s.namespace"), "shop");
	cr_assert_str_eq(str(doc, "k8s.pod"), "web-7d9f");
	cr_assert_str_eq(str(doc, "k8s.pod_uid"), "1b2c-33");
	cr_assert_str_eq(str(doc, "k8s.container"), "app");
	cr_assert_eq(off, 0);
	cr_assert_eq(end, 74);
	sl_pipe_free(p);
	p = pipe_new((struct sl_pipe_opts){
	    .type = "cri", .path = "/var/log/containers/web-7d9f_shop_app-0123abcd.log"});
	feed(p, "2024-01-02T03:04:05Z stdout F x\n", 0, 0);
	cr_assert_not_null(next(p, NULL, NULL));
	cr_assert_str_eq(str(doc, "k8s.namespace"), "shop");
	cr_assert_str_eq(str(doc, "k8s.pod"), "web-7d9f");
	cr_assert_str_eq(str(doc, "k8s.container"), "app");
	cr_assert_str_eq(str(doc, "container.id"), "0123abcd");
	sl_pipe_free(p);
}

Test(pipeline, postgres_type_picks_the_format)
{
	struct sl_pipe *p =
	    pipe_new((struct sl_pipe_opts){.type = "postgres", .path = "/x/pg.json"});
	feed(p,
	     "{\"timestamp\":\"2024-01-02 03:04:05.000 UTC\",\"error_severity\":\"ERROR\","
	     "\"message\":\"m\",\"statement\":\"SELECT 1\"}\n",
	     0, 0);
	cr_assert_not_null(next(p, NULL, NULL));
	cr_assert_str_eq(str(doc, "pg.statement"), "SELECT 1");
	cr_assert_str_eq(str(doc, "level"), "error");
	sl_pipe_free(p);
	/* no telling name: the first line decides (csvlog here) */
	p = pipe_new((struct sl_pipe_opts){.type = "postgres", .path = "/x/postgresql-Mon"});
	feed(p,
	     "2024-01-02 03:04:05.000 UTC,\"u\",\"d\",1,,s.1,1,,,,0,ERROR,42601,\"bad\nsql\","
	     ",,,,,\"SELEC\",,,\"psql\",\"client backend\",,0\n",
	     0, 0);
	sl_pipe_flush(p, 0, 1);
	cr_assert_not_null(next(p, NULL, NULL));
	cr_assert_str_eq(str(doc, "message"), "bad\nsql");
	cr_assert_str_eq(str(doc, "pg.sqlstate"), "42601");
	sl_pipe_free(p);
}

Test(pipeline, mysql_type_picks_the_slow_log)
{
	struct sl_pipe *p =
	    pipe_new((struct sl_pipe_opts){.type = "mysql", .path = "/x/mysql.log"});
	feed(p,
	     "# Time: 2024-01-02T03:04:05Z\n# Query_time: 1.5  Lock_time: 0 Rows_sent: 1  "
	     "Rows_examined: 9\nSELECT 1;\n",
	     0, 0);
	sl_pipe_flush(p, 0, 1);
	cr_assert_not_null(next(p, NULL, NULL));
	cr_assert_str_eq(str(doc, "message"), "SELECT 1;");
	cr_assert_str_eq(str(doc, "mysql.query_time"), "1.5");
	cr_assert_str_eq(str(doc, "mysql.rows_examined"), "9");
	sl_pipe_free(p);
}

Test(pipeline, redaction_builtins_and_rules)
{
	struct sl_pipe *p = pipe_new((struct sl_pipe_opts){
	    .redact = node("{rules: [{pattern: 'pin=\\d+', replace: 'pin=*'}]}")});
	feed(p,
	     "db postgres://u:hunter2@h/x Authorization: Bearer abc.def AKIAABCDEFGHIJKLMNOP "
	     "pin=1234\n",
	     0, 0);
	cr_assert_not_null(next(p, NULL, NULL));
	cr_assert_str_eq(
	    str(doc, "message"),
	    "db postgres://u:[REDACTED]@h/x Authorization: Bearer [REDACTED] [REDACTED] pin=*");
	sl_pipe_free(p);
	p = pipe_new((struct sl_pipe_opts){.redact = node("{builtin: false}")});
	feed(p, "Bearer abc\n", 0, 0);
	cr_assert_not_null(next(p, NULL, NULL));
	cr_assert_str_eq(str(doc, "message"), "Bearer abc");
	sl_pipe_free(p);
}

Test(pipeline, option_errors_name_the_key)
{
	cr_assert_str_eq(
	    new_error((struct sl_pipe_opts){.type = "fil"}),
	    "type: unknown input type \"fil\" (file, docker, cri, postgres, mysql, redis, "
	    "syslog)");
	cr_assert_str_eq(new_error((struct sl_pipe_opts){.parser = "xml"}),
	                 "parser: unknown parser \"xml\"");
	cr_assert_str_eq(new_error((struct sl_pipe_opts){.multiline = node("{start: 'a(b'}")}),
	                 "multiline.start: invalid regex at offset 3: missing closing parenthesis");
	cr_assert_str_eq(new_error((struct sl_pipe_opts){.multiline = node("{strat: x}")}),
	                 "multiline.strat: unknown key");
	cr_assert_str_eq(new_error((struct sl_pipe_opts){.multiline = node("cobol")}),
	                 "multiline: unknown rule \"cobol\" (java, python, go, parser, none)");
	cr_assert_str_eq(
	    new_error((struct sl_pipe_opts){.multiline = node("{flush_timeout: soon}")}),
	    "multiline.flush_timeout: expected a duration like 500ms or 2s, got \"soon\"");
	cr_assert_str_eq(new_error((struct sl_pipe_opts){.parser = "regex"}),
	                 "parser_options.pattern: is required by the regex parser");
	cr_assert_str_eq(new_error((struct sl_pipe_opts){
	                     .parser = "regex", .parser_opts = node("{pattern: '(?<a>['}")}),
	                 "parser_options.pattern: invalid regex at offset 6: missing terminating ] "
	                 "for character "
	                 "class");
	cr_assert_str_eq(
	    new_error((struct sl_pipe_opts){.parser = "postgres",
	                                    .parser_opts = node("{log_line_prefix: '%m %Z'}")}),
	    "parser_options.log_line_prefix: unknown escape %Z at offset 3");
	cr_assert_str_eq(
	    new_error((struct sl_pipe_opts){.parser = "nginx", .parser_opts = node("{a: 1}")}),
	    "parser_options.a: unknown key");
	cr_assert_str_eq(
	    new_error((struct sl_pipe_opts){.redact = node("{rules: [{pattern: '('}]}")}),
	    "redact.rules[0].pattern: invalid regex at offset 1: missing closing "
	    "parenthesis");
	cr_assert_str_eq(
	    new_error((struct sl_pipe_opts){.redact = node("{rules: [{replace: x}]}")}),
	    "redact.rules[0].pattern: is required");
}
