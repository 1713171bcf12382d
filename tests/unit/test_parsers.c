/*
 * test_parsers — the "json", "auto" and "plain" parsers, checked through the
 * serialized event (sl_event_write, parsed back with yajl_tree_parse).
 */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <yajl/yajl_tree.h>

#include "parser.h"
#include "sl_id.h"

#define NS        1000000000LL
#define INGEST_NS (1600000000LL * NS) /* 2020-09-13T12:26:40Z */
#define INGEST    "2020-09-13T12:26:40.000000000Z"
#define OFFSET    42

static struct sl_event ev;
static struct sl_buf out;
static yajl_val doc;
static struct sl_event_ctx ctx = {
    .host = "web-1",
    .source = "file",
    .path = "/var/log/app.log",
    .service = NULL,
    .identity = "1:2:00000000deadbeef",
    .static_fields = NULL,
};

static void setup(void)
{
	memset(&ev, 0, sizeof ev);
	memset(&out, 0, sizeof out);
	sl_event_reset(&ev);
	doc = NULL;
	ctx.service = NULL;
	ctx.static_fields = NULL;
}

static void teardown(void)
{
	if (doc)
		yajl_tree_free(doc);
	sl_event_free(&ev);
	sl_buf_free(&out);
}

TestSuite(parsers, .init = setup, .fini = teardown);

/* Parses rec[0..n) with the named parser, serializes the event and parses
 * that back into doc. Returns the parser's result. */
static int run_n(const char *parser, const char *rec, size_t n)
{
	const struct sl_parser_ops *p = sl_parser_find(parser);
	cr_assert_not_null(p, "no parser \"%s\"", parser);
	char err[256] = "";
	void *st = p->create(NULL, err, sizeof err);
	cr_assert_not_null(st, "%s: create: %s", parser, err);
	if (doc) {
		yajl_tree_free(doc);
		doc = NULL;
	}
	sl_event_reset(&ev);
	sl_buf_reset(&out);
	int rc = p->parse(st, rec, n, &ev);
	p->destroy(st);
	sl_event_write(&ev, &ctx, OFFSET, INGEST_NS, &out);
	char yerr[256];
	doc = yajl_tree_parse(out.data, yerr, sizeof yerr);
	cr_assert_not_null(doc, "event is not valid JSON (%s): %s", yerr, out.data);
	cr_assert(YAJL_IS_OBJECT(doc), "event is not an object: %s", out.data);
	return rc;
}

static int run(const char *parser, const char *rec)
{
	return run_n(parser, rec, strlen(rec));
}

/* First value under key (a whole key: "a.b" is one key), or NULL. */
static yajl_val get(const char *key)
{
	for (size_t i = 0; i < doc->u.object.len; i++)
		if (!strcmp(doc->u.object.keys[i], key))
			return doc->u.object.values[i];
	return NULL;
}

static int count(const char *key)
{
	int c = 0;
	for (size_t i = 0; i < doc->u.object.len; i++)
		c += !strcmp(doc->u.object.keys[i], key);
	return c;
}

static const char *gets(const char *key)
{
	yajl_val v = get(key);
	cr_assert_not_null(v, "no \"%s\" in %s", key, out.data);
	cr_assert(YAJL_IS_STRING(v), "\"%s\" is not a string in %s", key, out.data);
	return v->u.string;
}

static const char *getnum(const char *key)
{
	yajl_val v = get(key);
	cr_assert_not_null(v, "no \"%s\" in %s", key, out.data);
	cr_assert(YAJL_IS_NUMBER(v), "\"%s\" is not a number in %s", key, out.data);
	return v->u.number.r;
}

/* ---- registry and the envelope ---- */

Test(parsers, registry)
{
	cr_assert_eq(sl_parser_find("json"), &sl_parser_json);
	cr_assert_eq(sl_parser_find("auto"), &sl_parser_auto);
	cr_assert_eq(sl_parser_find("plain"), &sl_parser_plain);
	cr_assert_null(sl_parser_find("xml"));
	cr_assert_null(sl_parser_find(""));
	static const char *const names[] = {
	    "auto",          "plain",       "json",         "logfmt", "regex",    "nginx",
	    "nginx_error",   "apache",      "apache_error", "syslog", "postgres", "postgres_csv",
	    "postgres_json", "mysql_error", "mysql_slow",   "redis",  "docker",   "cri",
	};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		const struct sl_parser_ops *p = sl_parser_find(names[i]);
		cr_assert_not_null(p, "no parser %s", names[i]);
		cr_assert_str_eq(p->name, names[i]);
		cr_assert_not_null(p->desc);
	}
	int n = 0;
	while (sl_parsers[n])
		n++;
	cr_assert_eq(n, (int)(sizeof names / sizeof names[0]));
}

Test(parsers, envelope)
{
	ctx.static_fields = ",\"env\":\"dev\"";
	cr_assert_eq(run("json", "{\"msg\":\"hello\"}"), 0);
	char id[SL_ID_HEX];
	sl_id_make(ctx.host, ctx.identity, OFFSET, id);
	cr_assert_str_eq(gets("id"), id);
	cr_assert_str_eq(gets("time"), INGEST);
	cr_assert_str_eq(gets("host"), "web-1");
	cr_assert_str_eq(gets("source"), "file");
	cr_assert_str_eq(gets("path"), "/var/log/app.log");
	cr_assert_str_eq(getnum("offset"), "42");
	cr_assert_str_eq(gets("level"), "info");
	cr_assert_str_eq(gets("message"), "hello");
	cr_assert_str_eq(gets("env"), "dev");
	cr_assert_null(get("service"));
	cr_assert_null(get("parse_error"));
	cr_assert_null(get("time_error"));
}

Test(parsers, envelope_service)
{
	ctx.service = "from-config";
	run("json", "{\"msg\":\"a\"}");
	cr_assert_str_eq(gets("service"), "from-config");
	run("json", "{\"msg\":\"a\",\"service\":\"from-record\"}");
	cr_assert_str_eq(gets("service"), "from-record");
	cr_assert_eq(count("service"), 1);
}

/* ---- time ---- */

Test(parsers, time_keys)
{
	run("json", "{\"time\":\"2023-11-14T22:13:20.5Z\"}");
	cr_assert_str_eq(gets("time"), "2023-11-14T22:13:20.500000000Z");
	run("json", "{\"ts\":\"2023-11-15T00:13:20+02:00\"}");
	cr_assert_str_eq(gets("time"), "2023-11-14T22:13:20.000000000Z");
	run("json", "{\"@timestamp\":\"2023-11-14T22:13:20.123Z\"}");
	cr_assert_str_eq(gets("time"), "2023-11-14T22:13:20.123000000Z");
	run("json", "{\"timestamp\":\"2023-11-14 22:13:20Z\"}");
	cr_assert_str_eq(gets("time"), "2023-11-14T22:13:20.000000000Z");
	cr_assert_null(get("timestamp"));
	cr_assert_null(get("time_error"));
}

Test(parsers, time_epoch_numbers)
{
	run("json", "{\"ts\":1700000000}");
	cr_assert_str_eq(gets("time"), "2023-11-14T22:13:20.000000000Z");
	run("json", "{\"time\":1700000000.25}");
	cr_assert_str_eq(gets("time"), "2023-11-14T22:13:20.250000000Z");
	run("json", "{\"@timestamp\":1700000000123}");
	cr_assert_str_eq(gets("time"), "2023-11-14T22:13:20.123000000Z");
	run("json", "{\"ts\":1700000000123456}");
	cr_assert_str_eq(gets("time"), "2023-11-14T22:13:20.123456000Z");
	run("json", "{\"ts\":1700000000123456789}");
	cr_assert_str_eq(gets("time"), "2023-11-14T22:13:20.123456789Z");
	run("json", "{\"ts\":\"1700000000\"}"); /* digits as a string */
	cr_assert_str_eq(gets("time"), "2023-11-14T22:13:20.000000000Z");
	cr_assert_null(get("ts"));
}

Test(parsers, time_first_one_wins)
{
	run("json", "{\"time\":\"2023-11-14T22:13:20Z\",\"ts\":1}");
	cr_assert_str_eq(gets("time"), "2023-11-14T22:13:20.000000000Z");
	cr_assert_str_eq(getnum("ts"), "1");
}

Test(parsers, time_unreadable)
{
	cr_assert_eq(run("json", "{\"msg\":\"m\",\"ts\":\"yesterday\"}"), 0);
	cr_assert_str_eq(gets("time"), INGEST);
	cr_assert_str_eq(gets("time_error"), "unreadable time, ingest time used");
	cr_assert_str_eq(gets("ts"), "yesterday", "the unreadable value is kept");
	cr_assert_null(get("parse_error"));
}

/* ---- level ---- */

static void level_is(const char *rec, const char *want)
{
	run("json", rec);
	cr_assert_str_eq(gets("level"), want, "%s", rec);
	cr_assert_eq(count("level"), 1, "%s -> %s", rec, out.data);
}

Test(parsers, level_keys)
{
	level_is("{\"level\":\"warn\"}", "warn");
	level_is("{\"level\":\"WARNING\"}", "warn");
	level_is("{\"lvl\":\"ERROR\"}", "error");
	level_is("{\"lvl\":\"eror\"}", "error");
	level_is("{\"severity\":\"critical\"}", "fatal");
	level_is("{\"severity\":\"notice\"}", "info");
	level_is("{\"level\":\"dbug\"}", "debug");
	level_is("{\"level\":\" trace \"}", "trace");
	level_is("{\"log\":{\"level\":\"debug\"}}", "debug");
	level_is("{\"msg\":\"no level\"}", "info");
}

Test(parsers, level_numbers)
{
	/* pino / bunyan */
	level_is("{\"level\":10}", "trace");
	level_is("{\"level\":20}", "debug");
	level_is("{\"level\":30}", "info");
	level_is("{\"level\":40}", "warn");
	level_is("{\"level\":50}", "error");
	level_is("{\"level\":60}", "fatal");
	level_is("{\"level\":\"50\"}", "error");
	/* syslog severities */
	level_is("{\"severity\":0}", "fatal");
	level_is("{\"severity\":3}", "error");
	level_is("{\"severity\":4}", "warn");
	level_is("{\"severity\":6}", "info");
	level_is("{\"severity\":7}", "debug");
}

/* ---- message ---- */

Test(parsers, message_keys)
{
	run("json", "{\"msg\":\"from msg\"}");
	cr_assert_str_eq(gets("message"), "from msg");
	cr_assert_null(get("msg"));
	run("json", "{\"message\":\"from message\"}");
	cr_assert_str_eq(gets("message"), "from message");
	cr_assert_eq(count("message"), 1);
	run("json", "{\"@message\":\"from @message\"}");
	cr_assert_str_eq(gets("message"), "from @message");
	cr_assert_null(get("@message"));
	run("json", "{\"a\":1}");
	cr_assert_str_eq(gets("message"), "");
}

Test(parsers, message_non_string_kept_as_field)
{
	run("json", "{\"msg\":5}");
	cr_assert_str_eq(gets("message"), "");
	cr_assert_str_eq(getnum("msg"), "5");
}

Test(parsers, message_escapes_decoded_and_reencoded)
{
	run("json", "{\"msg\":\"caf\\u00e9 \\\"q\\\"\\ttab\\n\\u0000end\"}");
	cr_assert_not_null(
	    strstr(out.data, "\"message\":\"caf\xC3\xA9 \\\"q\\\"\\ttab\\n\\u0000end\""), "%s",
	    out.data);
}

Test(parsers, invalid_utf8_in_strings_repaired)
{
	cr_assert_eq(run("json", "{\"msg\":\"a\xFF"
	                         "b\",\"k\":\"\xC0\x80\"}"),
	             0);
	cr_assert_str_eq(gets("message"), "a\xEF\xBF\xBD"
	                                  "b");
	cr_assert_str_eq(gets("k"), "\xEF\xBF\xBD\xEF\xBF\xBD");
}

/* ---- fields ---- */

Test(parsers, nested_objects_flattened)
{
	cr_assert_eq(run("json", "{\"a\":{\"b\":{\"c\":1},\"d\":\"x\"},\"e\":\"y\","
	                         "\"http\":{\"req\":{\"method\":\"GET\"},\"status\":200}}"),
	             0);
	cr_assert_str_eq(getnum("a.b.c"), "1");
	cr_assert_str_eq(gets("a.d"), "x");
	cr_assert_str_eq(gets("e"), "y");
	cr_assert_str_eq(gets("http.req.method"), "GET");
	cr_assert_str_eq(getnum("http.status"), "200");
	cr_assert_null(get("a"));
	cr_assert_null(get("http"));
}

Test(parsers, arrays_kept_as_json)
{
	cr_assert_eq(run("json", "{\"tags\":[\"a\",\"b\"],\"n\":[1,[2,{\"k\":null,\"t\":true}]],"
	                         "\"o\":{\"list\":[]},\"after\":1}"),
	             0);
	yajl_val tags = get("tags");
	cr_assert(YAJL_IS_ARRAY(tags), "%s", out.data);
	cr_assert_eq(tags->u.array.len, 2);
	cr_assert_str_eq(tags->u.array.values[1]->u.string, "b");
	yajl_val n = get("n");
	cr_assert(YAJL_IS_ARRAY(n));
	cr_assert_eq(n->u.array.len, 2);
	yajl_val inner = n->u.array.values[1];
	cr_assert(YAJL_IS_ARRAY(inner));
	cr_assert(YAJL_IS_OBJECT(inner->u.array.values[1]));
	const char *kp[] = {"t", NULL};
	cr_assert_not_null(yajl_tree_get(inner->u.array.values[1], kp, yajl_t_true));
	yajl_val list = get("o.list");
	cr_assert(YAJL_IS_ARRAY(list));
	cr_assert_eq(list->u.array.len, 0);
	cr_assert_str_eq(getnum("after"), "1");
	cr_assert_not_null(strstr(out.data, "\"tags\":[\"a\",\"b\"]"), "%s", out.data);
}

Test(parsers, scalar_types_kept)
{
	run("json", "{\"i\":-3,\"f\":1.5e3,\"t\":true,\"fa\":false,\"z\":null,\"s\":\"42\"}");
	cr_assert_str_eq(getnum("i"), "-3");
	cr_assert_str_eq(getnum("f"), "1.5e3");
	cr_assert(YAJL_IS_TRUE(get("t")));
	cr_assert(YAJL_IS_FALSE(get("fa")));
	cr_assert(YAJL_IS_NULL(get("z")));
	cr_assert_not_null(get("z"));
	cr_assert_str_eq(gets("s"), "42");
}

Test(parsers, reserved_keys_renamed)
{
	run("json", "{\"host\":\"evil\",\"id\":\"x\",\"source\":\"s\",\"path\":\"/p\","
	            "\"offset\":9,\"msg\":\"m\"}");
	cr_assert_str_eq(gets("host"), "web-1");
	cr_assert_str_eq(gets("orig.host"), "evil");
	cr_assert_str_eq(gets("orig.id"), "x");
	cr_assert_str_eq(gets("orig.source"), "s");
	cr_assert_str_eq(gets("orig.path"), "/p");
	cr_assert_str_eq(getnum("orig.offset"), "9");
	cr_assert_eq(count("host"), 1);
	cr_assert_eq(count("id"), 1);
	cr_assert_eq(count("source"), 1);
	cr_assert_eq(count("path"), 1);
	cr_assert_eq(count("offset"), 1);
	/* nested keys are not reserved */
	run("json", "{\"k8s\":{\"host\":\"node-3\"}}");
	cr_assert_str_eq(gets("k8s.host"), "node-3");
	cr_assert_null(get("orig.host"));
}

Test(parsers, event_reuse_after_reset)
{
	run("json", "{\"a\":1,\"level\":\"error\",\"msg\":\"first\",\"ts\":1700000000}");
	cr_assert_str_eq(getnum("a"), "1");
	run("json", "{\"b\":2}");
	cr_assert_null(get("a"));
	cr_assert_str_eq(getnum("b"), "2");
	cr_assert_str_eq(gets("level"), "info");
	cr_assert_str_eq(gets("message"), "");
	cr_assert_str_eq(gets("time"), INGEST);
}

/* ---- errors: shipped with parse_error, the raw line as message ---- */

static void parse_error_is(const char *parser, const char *rec, const char *why)
{
	cr_assert_eq(run(parser, rec), -1, "%s: \"%s\" should not parse", parser, rec);
	cr_assert_str_eq(gets("parse_error"), why, "%s", rec);
	cr_assert_str_eq(gets("message"), rec);
	cr_assert_str_eq(gets("level"), "info");
	cr_assert_str_eq(gets("time"), INGEST);
}

Test(parsers, invalid_json)
{
	parse_error_is("json", "{\"a\":", "invalid JSON");
	parse_error_is("json", "{\"a\":1", "invalid JSON");
	parse_error_is("json", "{bad}", "invalid JSON");
	parse_error_is("json", "{\"a\":1}}", "invalid JSON");
	parse_error_is("json", "{\"a\":1} x", "invalid JSON");
	parse_error_is("json", "{\"level\":\"error\",\"msg\":\"x\",", "invalid JSON");
	parse_error_is("json", "", "invalid JSON");
	parse_error_is("json", "plain text", "invalid JSON");
	/* fields seen before the error are dropped */
	run("json", "{\"keep\":1,");
	cr_assert_null(get("keep"));
}

Test(parsers, non_object_json)
{
	parse_error_is("json", "[1,2]", "not a JSON object");
	parse_error_is("json", "42", "not a JSON object");
	parse_error_is("json", "\"str\"", "not a JSON object");
	parse_error_is("json", "true", "not a JSON object");
	parse_error_is("json", "null", "not a JSON object");
}

Test(parsers, too_deep)
{
	char rec[1024] = "";
	for (int i = 0; i < 70; i++)
		strcat(rec, "{\"a\":");
	strcat(rec, "1");
	for (int i = 0; i < 70; i++)
		strcat(rec, "}");
	parse_error_is("json", rec, "JSON nested too deeply");
}

Test(parsers, raw_message_keeps_bytes)
{
	/* an invalid record with a NUL and bad UTF-8 becomes the message, repaired */
	static const char rec[] = "{\"a\":\"\xFF\0";
	cr_assert_eq(run_n("json", rec, sizeof rec - 1), -1);
	cr_assert_not_null(strstr(out.data, "\"message\":\"{\\\"a\\\":\\\"\xEF\xBF\xBD\\u0000\""),
	                   "%s", out.data);
}

/* ---- auto ---- */

Test(parsers, auto_json)
{
	cr_assert_eq(run("auto", "{\"msg\":\"hi\",\"level\":\"warn\",\"x\":{\"y\":1}}"), 0);
	cr_assert_str_eq(gets("message"), "hi");
	cr_assert_str_eq(gets("level"), "warn");
	cr_assert_str_eq(getnum("x.y"), "1");
	cr_assert_eq(run("auto", "  \t{\"msg\":\"indented\"}"), 0);
	cr_assert_str_eq(gets("message"), "indented");
}

Test(parsers, auto_plain)
{
	cr_assert_eq(run("auto", "ERROR something broke"), 0);
	cr_assert_str_eq(gets("level"), "error");
	cr_assert_str_eq(gets("message"), "ERROR something broke");
	cr_assert_null(get("parse_error"));
	/* not an object, so not JSON to auto: shipped as text */
	cr_assert_eq(run("auto", "[1,2]"), 0);
	cr_assert_str_eq(gets("message"), "[1,2]");
	cr_assert_null(get("parse_error"));
}

Test(parsers, auto_broken_json)
{
	parse_error_is("auto", "{\"msg\":\"cut", "invalid JSON");
}

/* ---- plain ---- */

static void plain_is(const char *rec, const char *level)
{
	cr_assert_eq(run("plain", rec), 0);
	cr_assert_str_eq(gets("message"), rec);
	cr_assert_str_eq(gets("level"), level, "%s", rec);
	cr_assert_eq(count("level"), 1);
}

Test(parsers, plain_levels)
{
	plain_is("ERROR something", "error");
	plain_is("error: disk full", "error");
	plain_is("[warn] low memory", "warn");
	plain_is("<Info> started", "info");
	plain_is("2026-01-02T03:04:05Z DEBUG tick", "debug");
	plain_is("2026-01-02 03:04:05 FATAL dead", "fatal");
	plain_is("just some words", "info");
	plain_is("everything is fine", "info");
	plain_is("Alert rule created", "info");
	plain_is("", "info");
}

Test(parsers, plain_json_line_is_text)
{
	cr_assert_eq(run("plain", "{\"level\":\"error\"}"), 0);
	cr_assert_str_eq(gets("message"), "{\"level\":\"error\"}");
	cr_assert_null(get("parse_error"));
}

/* ---- regressions ---- */

/* Regression: an array holding invalid UTF-8 was copied into the event unrepaired
 * (yajl_dont_validate_strings is on, yajl_gen_validate_utf8 off, and the
 * generated array is appended raw), so the event is not valid JSON.
 * parsers/json.c:105/126 (strings inside arrays), :169, :193. */
Test(parsers, invalid_utf8_in_array_repaired)
{
	run("json", "{\"tags\":[\"ok\",\"bad\xFF\"]}");
	cr_assert(YAJL_IS_ARRAY(get("tags")));
}

/* Regression: keys the event writer always emits (time, level, message, service,
 * parse_error, time_error) were not in event.c's reserved list, so a record
 * whose value for them is not taken (unparsable level, non-string message,
 * unreadable time, a second message alias...) yields duplicate keys. */
Test(parsers, no_duplicate_envelope_keys)
{
	static const char *const recs[] = {
	    "{\"level\":\"bogus\"}",
	    "{\"message\":5}",
	    "{\"time\":\"yesterday\"}",
	    "{\"msg\":\"a\",\"message\":\"b\"}",
	    "{\"service\":3}",
	    "{\"parse_error\":\"x\"}",
	    "{\"time\":\"x\",\"time_error\":1}",
	};
	static const char *const keys[] = {"time",    "level",       "message",
	                                   "service", "parse_error", "time_error"};
	ctx.service = "svc";
	for (size_t i = 0; i < sizeof recs / sizeof recs[0]; i++) {
		run("json", recs[i]);
		for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++)
			cr_expect_leq(count(keys[k]), 1, "%s -> %s", recs[i], out.data);
	}
}
