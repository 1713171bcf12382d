/*
 * test_parsers_nginx — the nginx parser's `log_format` option: a format
 * string compiled into a matcher, known variables to the combined reader's
 * fields, others to nginx.<variable>, and the errors a bad format gives.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <yajl/yajl_tree.h>

#include "parser.h"
#include "sl_config.h"

#define NS        1000000000LL
#define INGEST_NS (1718452800LL * NS) /* 2024-06-15T12:00:00Z */

static struct sl_cfg cfg;
static struct sl_event ev;
static struct sl_buf out;
static yajl_val doc;
static int rc;
static const struct sl_event_ctx ctx = {
    .host = "h", .source = "file", .path = "/var/log/nginx/access.log", .identity = "1:2:3"};

static void setup(void)
{
	memset(&cfg, 0, sizeof cfg);
	memset(&ev, 0, sizeof ev);
	memset(&out, 0, sizeof out);
	sl_event_reset(&ev);
	doc = NULL;
}

static void teardown(void)
{
	sl_cfg_free(&cfg);
	sl_event_free(&ev);
	sl_buf_free(&out);
	if (doc)
		yajl_tree_free(doc);
}

TestSuite(nginx, .init = setup, .fini = teardown);

/* The parser_options node for a log_format (single-quoted YAML). */
static const struct sl_cfg_node *opts(const char *fmt)
{
	char text[2048];
	sl_cfg_free(&cfg);
	memset(&cfg, 0, sizeof cfg);
	snprintf(text, sizeof text, "v: {log_format: '%s'}\n", fmt);
	cr_assert_eq(sl_cfg_load_string(&cfg, "t", text, strlen(text)), 0, "%s", cfg.err);
	return sl_cfg_get(cfg.root, "v");
}

/* create() with these options must fail; returns its message. */
static const char *create_error(const struct sl_cfg_node *o)
{
	static char err[512];
	err[0] = '\0';
	void *st = sl_parser_nginx.create(o, err, sizeof err);
	cr_assert_null(st, "create accepted the options");
	return err;
}

/* Parses rec with log_format fmt (NULL: none); the event is in doc. */
static void parse(const char *fmt, const char *rec)
{
	char err[512] = "";
	void *st = sl_parser_nginx.create(fmt ? opts(fmt) : NULL, err, sizeof err);
	cr_assert_not_null(st, "create: %s", err);
	sl_event_reset(&ev);
	ev.ref_ns = INGEST_NS;
	sl_buf_reset(&out);
	rc = sl_parser_nginx.parse(st, rec, strlen(rec), &ev);
	sl_parser_nginx.destroy(st);
	sl_event_write(&ev, &ctx, 0, INGEST_NS, &out);
	if (doc)
		yajl_tree_free(doc);
	char yerr[256];
	doc = yajl_tree_parse(out.data, yerr, sizeof yerr);
	cr_assert_not_null(doc, "event is not JSON (%s): %s", yerr, out.data);
	/* an event never has a key twice */
	for (size_t i = 0; i < doc->u.object.len; i++)
		for (size_t j = i + 1; j < doc->u.object.len; j++)
			cr_assert_str_neq(doc->u.object.keys[i], doc->u.object.keys[j],
			                  "key twice in %s", out.data);
}

static yajl_val get(const char *key)
{
	for (size_t i = 0; i < doc->u.object.len; i++)
		if (!strcmp(doc->u.object.keys[i], key))
			return doc->u.object.values[i];
	return NULL;
}

static const char *str(const char *key)
{
	yajl_val v = get(key);
	cr_assert_not_null(v, "no \"%s\" in %s", key, out.data);
	cr_assert(YAJL_IS_STRING(v), "\"%s\" is not a string in %s", key, out.data);
	return v->u.string;
}

static const char *num(const char *key)
{
	yajl_val v = get(key);
	cr_assert_not_null(v, "no \"%s\" in %s", key, out.data);
	cr_assert(YAJL_IS_NUMBER(v), "\"%s\" is not a number in %s", key, out.data);
	return v->u.number.r;
}

#define COMBINED                                                                                   \
	"$remote_addr - $remote_user [$time_local] \"$request\" $status $body_bytes_sent "         \
	"\"$http_referer\" \"$http_user_agent\""

Test(nginx, custom_format_known_and_unknown_variables)
{
	parse(COMBINED " $request_time $upstream_addr $upstream_response_time rid=$request_id",
	      "10.1.2.3 - alice [15/Jun/2024:13:59:58 +0200] \"GET /cart?id=7 HTTP/1.1\" 200 512 "
	      "\"https://shop.example/\" \"Mozilla/5.0 (X11; Linux)\" 0.042 10.0.0.2:8080 0.040 "
	      "rid=5f2c");
	cr_assert_eq(rc, 0);
	cr_assert_str_eq(str("time"), "2024-06-15T11:59:58.000000000Z");
	cr_assert_str_eq(str("level"), "info");
	cr_assert_str_eq(str("client.ip"), "10.1.2.3");
	cr_assert_str_eq(str("http.user"), "alice");
	cr_assert_str_eq(str("http.method"), "GET");
	cr_assert_str_eq(str("http.path"), "/cart");
	cr_assert_str_eq(str("http.query"), "id=7");
	cr_assert_str_eq(str("http.protocol"), "HTTP/1.1");
	cr_assert_str_eq(num("http.status"), "200");
	cr_assert_str_eq(num("http.bytes"), "512");
	cr_assert_str_eq(str("http.referer"), "https://shop.example/");
	cr_assert_str_eq(str("http.user_agent"), "Mozilla/5.0 (X11; Linux)");
	cr_assert_str_eq(num("http.duration"), "0.042");
	cr_assert_str_eq(num("http.upstream_duration"), "0.040");
	cr_assert_str_eq(str("nginx.upstream_addr"), "10.0.0.2:8080");
	cr_assert_str_eq(str("nginx.request_id"), "5f2c");
	cr_assert_null(get("parse_error"));
	cr_assert(strstr(str("message"), "rid=5f2c"), "the whole line is the message");
}

Test(nginx, combined_by_name_and_status_levels)
{
	parse("combined", "::1 - - [15/Jun/2024:11:00:00 +0000] \"POST /api HTTP/2.0\" 503 0 \"-\" "
	                  "\"-\"");
	cr_assert_eq(rc, 0);
	cr_assert_str_eq(str("level"), "error");
	cr_assert_str_eq(str("client.ip"), "::1");
	cr_assert_str_eq(num("http.status"), "503");
	cr_assert_str_eq(num("http.bytes"), "0");
	cr_assert_null(get("http.user"), "\"-\" adds nothing");
	cr_assert_null(get("http.referer"));
	cr_assert_null(get("http.user_agent"));
	parse("combined",
	      "::1 - - [15/Jun/2024:11:00:00 +0000] \"GET /x HTTP/1.1\" 404 9 \"-\" \"-\"");
	cr_assert_str_eq(str("level"), "warn");
}

Test(nginx, numbers_typed_where_nginx_has_numbers)
{
	parse("$pid $connection $connection_requests $request_length $bytes_sent $upstream_status "
	      "$sent_http_x",
	      "812 17 3 420 1337 502 abc");
	cr_assert_eq(rc, 0);
	cr_assert_str_eq(num("nginx.pid"), "812");
	cr_assert_str_eq(num("nginx.connection"), "17");
	cr_assert_str_eq(num("nginx.connection_requests"), "3");
	cr_assert_str_eq(num("nginx.request_length"), "420");
	cr_assert_str_eq(num("nginx.bytes_sent"), "1337");
	cr_assert_str_eq(num("nginx.upstream_status"), "502");
	cr_assert_str_eq(str("nginx.sent_http_x"), "abc");
	cr_assert_str_eq(str("level"), "info", "no $status: info");
}

Test(nginx, iso_time_msec_and_uri_variables)
{
	parse("[$time_iso8601] $request_method $request_uri $server_protocol $status",
	      "[2024-06-15T13:59:58+02:00] DELETE /v1/items/9?force=1 HTTP/1.1 204");
	cr_assert_eq(rc, 0);
	cr_assert_str_eq(str("time"), "2024-06-15T11:59:58.000000000Z");
	cr_assert_str_eq(str("http.method"), "DELETE");
	cr_assert_str_eq(str("http.path"), "/v1/items/9");
	cr_assert_str_eq(str("http.query"), "force=1");
	cr_assert_str_eq(str("http.protocol"), "HTTP/1.1");
	parse("$msec $uri", "1718452798.123 /a");
	cr_assert_str_eq(str("time"), "2024-06-15T11:59:58.123000000Z");
	cr_assert_str_eq(str("http.path"), "/a");
	parse("[$time_local] $msec", "[15/Jun/2024:11:59:58 +0000] 1718452798.123");
	cr_assert_str_eq(str("time"), "2024-06-15T11:59:58.123000000Z", "$msec is the finer one");
	parse("$msec [$time_local]", "1718452798.123 [15/Jun/2024:11:59:58 +0000]");
	cr_assert_str_eq(str("time"), "2024-06-15T11:59:58.123000000Z");
	/* ${name}: written $${name} in the config, where ${VAR} is the environment */
	parse("$${msec}|$${status}", "1718452798.5|200");
	cr_assert_eq(rc, 0);
	cr_assert_str_eq(str("time"), "2024-06-15T11:59:58.500000000Z");
	cr_assert_str_eq(num("http.status"), "200");
}

Test(nginx, upstream_lists_stay_text)
{
	parse("$status $upstream_response_time \"$http_user_agent\"",
	      "502 0.001, 0.002 : 0.003 \"x\"");
	cr_assert_eq(rc, 0);
	cr_assert_null(get("http.upstream_duration"));
	cr_assert_str_eq(str("nginx.upstream_response_time"), "0.001, 0.002 : 0.003");
}

Test(nginx, a_field_given_twice_is_kept_once)
{
	/* $request gives http.method: $request_method falls back to its own name */
	parse("$request_method \"$request\" $status $status", "GET \"GET /a HTTP/1.1\" 200 200");
	cr_assert_eq(rc, 0);
	cr_assert_str_eq(str("http.method"), "GET");
	cr_assert_str_eq(str("nginx.request"), "GET /a HTTP/1.1");
	cr_assert_str_eq(num("http.status"), "200");
	cr_assert_str_eq(num("nginx.status"), "200");
	parse("$x $x $x", "1 2 3");
	cr_assert_str_eq(num("nginx.x"), "1");
	parse("$host $http_host", "a.example b.example");
	cr_assert_str_eq(str("http.host"), "a.example");
	cr_assert_str_eq(str("nginx.http_host"), "b.example");
}

Test(nginx, line_that_does_not_match)
{
	parse(COMBINED, "not an access log line");
	cr_assert_eq(rc, -1);
	cr_assert_str_eq(str("parse_error"), "line does not match log_format");
	cr_assert_str_eq(str("message"), "not an access log line");
	cr_assert_null(get("client.ip"));
	/* a long line of near misses fails, in bounded work */
	char rec[4096];
	memset(rec, '"', sizeof rec - 1);
	rec[sizeof rec - 1] = '\0';
	parse("$a $b $c $d $e $f $g $h $i $j \"$k\" $l", rec);
	cr_assert_eq(rc, -1);
}

Test(nginx, status_must_be_a_status)
{
	/* found by fuzz_nginx_format: "004" was written as a bare JSON 004 */
	parse("$status $x", "004 1");
	cr_assert_eq(rc, -1);
	parse("$status $x", "599 1");
	cr_assert_str_eq(num("http.status"), "599");
	cr_assert_str_eq(str("level"), "error");
}

Test(nginx, escaped_quotes_and_bytes_kept_as_written)
{
	parse(COMBINED, "1.2.3.4 - - [15/Jun/2024:11:00:00 +0000] \"GET /q HTTP/1.1\" 200 1 \"-\" "
	                "\"a\\x22b \\xC3\"");
	cr_assert_eq(rc, 0);
	cr_assert_str_eq(str("http.user_agent"), "a\\x22b \\xC3");
}

Test(nginx, no_options_reads_combined_as_before)
{
	parse(NULL, "1.2.3.4 - - [15/Jun/2024:11:00:00 +0000] \"GET /q HTTP/1.1\" 200 1 \"-\" "
	            "\"ua\" 0.5 urt=0.4");
	cr_assert_eq(rc, 0);
	cr_assert_str_eq(num("http.duration"), "0.5");
	cr_assert_str_eq(num("http.upstream_duration"), "0.4");
}

Test(nginx, format_errors_name_the_key)
{
	cr_assert_str_eq(create_error(opts("$remote_addr [$time_local] $")),
	                 "parser_options.log_format: invalid variable name at offset 27");
	cr_assert_str_eq(create_error(opts("$${status")),
	                 "parser_options.log_format: invalid variable name at offset 0");
	cr_assert_str_eq(create_error(opts("")), "parser_options.log_format: empty");
	cr_assert_str_eq(create_error(opts("just text")),
	                 "parser_options.log_format: no $variable in it");
	char many[1024] = "";
	for (int i = 0; i < 65; i++)
		snprintf(many + strlen(many), sizeof many - strlen(many), "$v%d ", i);
	cr_assert_str_eq(create_error(opts(many)),
	                 "parser_options.log_format: more than 64 variables");
	sl_cfg_free(&cfg);
	memset(&cfg, 0, sizeof cfg);
	static const char y[] = "v: {log_fromat: x}\n";
	cr_assert_eq(sl_cfg_load_string(&cfg, "t", y, strlen(y)), 0);
	cr_assert_str_eq(create_error(sl_cfg_get(cfg.root, "v")),
	                 "parser_options.log_fromat: unknown key");
}
