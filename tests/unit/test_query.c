/*
 * test_query — ag_query_parse errors and ag_query_match over events.
 */
#include <criterion/criterion.h>
#include <string.h>
#include <yajl/yajl_tree.h>

#include "query.h"

static yajl_val ev_parse(const char *json)
{
	char err[256];
	yajl_val v = yajl_tree_parse(json, err, sizeof err);
	cr_assert_not_null(v, "bad test event %s: %s", json, err);
	return v;
}

/* 1 if query q matches the event given as JSON. */
static int matches(const char *q, const char *json)
{
	char err[256] = "";
	struct ag_qnode *n = ag_query_parse(q, err, sizeof err);
	cr_assert_not_null(n, "query \"%s\" should parse: %s", q, err);
	yajl_val v = ev_parse(json);
	int m = ag_query_match(n, v);
	yajl_tree_free(v);
	ag_query_free(n);
	return m;
}

#define MATCH(q, ev)    cr_assert(matches(q, ev), "\"%s\" should match %s", q, ev)
#define NO_MATCH(q, ev) cr_assert(!matches(q, ev), "\"%s\" should not match %s", q, ev)

static void parse_err(const char *q, const char *want)
{
	char err[256] = "";
	struct ag_qnode *n = ag_query_parse(q, err, sizeof err);
	if (n)
		ag_query_free(n);
	cr_assert_null(n, "query \"%s\" should not parse", q);
	cr_assert_str_eq(err, want, "query \"%s\"", q);
}

/* ---- parse errors: "query:1:COL: message", COL 1-based ---- */

Test(query, err_missing_value)
{
	/* the column is where the value should start, just after the ':' */
	parse_err("level: x", "query:1:7: expected a value after ':'");
	parse_err("level:", "query:1:7: expected a value after ':'");
	parse_err("boom level:", "query:1:12: expected a value after ':'");
	parse_err("a:\tb", "query:1:3: expected a value after ':'");
}

Test(query, err_unterminated_quote)
{
	/* the column of the opening quote */
	parse_err("\"disk full", "query:1:1: unterminated quote");
	parse_err("msg:\"abc", "query:1:5: unterminated quote");
	parse_err("boom \"a b", "query:1:6: unterminated quote");
	parse_err("\"a\\\"", "query:1:1: unterminated quote"); /* the quote is escaped */
}

Test(query, err_unsupported_operators)
{
	parse_err("a OR b", "query:1:3: 'OR' is not supported yet");
	parse_err("OR", "query:1:1: 'OR' is not supported yet");
	parse_err("NOT a", "query:1:1: 'NOT' is not supported yet");
	parse_err("a AND NOT b", "query:1:7: 'NOT' is not supported yet");
	parse_err("(a b)", "query:1:1: '(' is not supported yet");
	parse_err("a )", "query:1:3: ')' is not supported yet");
	parse_err("-debug", "query:1:1: '-' is not supported yet");
}

Test(query, err_stray_quote)
{
	parse_err("foo\"bar", "query:1:4: unexpected '\"'");
	parse_err("level:err\"", "query:1:10: unexpected '\"'");
}

Test(query, err_nothing_to_search)
{
	parse_err("!!!", "query:1:1: '!!!' has no letters or digits to search for");
	parse_err("ok \"...\"", "query:1:4: '...' has no letters or digits to search for");
}

Test(query, operator_words_inside_terms_are_words)
{
	/* only whole upper-case words are operators */
	MATCH("ORANGE", "{\"message\":\"orange juice\"}");
	MATCH("or", "{\"message\":\"this or that\"}");
	MATCH("NOTE", "{\"message\":\"a note\"}");
	MATCH("ANDROID", "{\"message\":\"android phone\"}");
	MATCH("a-b", "{\"message\":\"a-b\"}");
}

/* ---- structure ---- */

Test(query, tree_shape)
{
	char err[256];
	struct ag_qnode *n = ag_query_parse("level:error \"Disk Full\" * boom", err, sizeof err);
	cr_assert_not_null(n, "%s", err);
	cr_assert_eq(n->kind, AG_Q_AND);
	cr_assert_eq(n->n, 4);
	cr_assert_eq(n->kids[0]->kind, AG_Q_FIELD);
	cr_assert_str_eq(n->kids[0]->field, "level");
	cr_assert_str_eq(n->kids[0]->value, "error");
	cr_assert_eq(n->kids[1]->kind, AG_Q_PHRASE);
	cr_assert_eq(n->kids[1]->ntok, 2);
	cr_assert_str_eq(n->kids[1]->tokens[0], "disk");
	cr_assert_str_eq(n->kids[1]->tokens[1], "full");
	cr_assert_eq(n->kids[2]->kind, AG_Q_ALL);
	cr_assert_eq(n->kids[3]->kind, AG_Q_PHRASE);
	cr_assert_eq(n->kids[3]->ntok, 1);
	ag_query_free(n);
}

static int collect_tok(void *ud, const char *s, size_t n)
{
	char *acc = ud;
	strncat(acc, s, n);
	strcat(acc, "|");
	return 0;
}

static int stop_after_first(void *ud, const char *s, size_t n)
{
	(*(int *)ud)++;
	return 1;
}

Test(query, tokenize)
{
	char acc[256] = "";
	const char *s = "Hello, w\xC3\xB6rld_1 -- x.y  ";
	ag_tokenize(s, strlen(s), collect_tok, acc);
	cr_assert_str_eq(acc, "Hello|w\xC3\xB6rld_1|x|y|");
	int calls = 0;
	ag_tokenize("a b c", 5, stop_after_first, &calls);
	cr_assert_eq(calls, 1);
	acc[0] = '\0';
	ag_tokenize("   ", 3, collect_tok, acc);
	cr_assert_str_eq(acc, "");
}

/* ---- matching ---- */

static const char *const EV = "{\"message\":\"Boom! the boomer went off\",\"level\":\"error\","
                              "\"status\":500,\"latency\":1.50,\"ok\":true,\"bad\":false,"
                              "\"none\":null,\"service\":\"api\",\"http.method\":\"GET\","
                              "\"user\":\"John Smith\",\"tags\":[\"a\"],\"empty\":\"\"}";

Test(query, words_whole_tokens_case_insensitive)
{
	MATCH("boom", EV);
	MATCH("BOOM", EV);
	MATCH("Boom!", EV);
	MATCH("boomer", EV);
	MATCH("went", EV);
	NO_MATCH("boo", EV);
	NO_MATCH("boomers", EV);
	NO_MATCH("boom", "{\"message\":\"the boomer went off\"}");
	NO_MATCH("boom", "{\"message\":\"kaboom\"}");
	MATCH("boom", "{\"message\":\"(boom)\"}");
	MATCH("boom", "{\"message\":\"x=boom,y=1\"}");
	MATCH("42", "{\"message\":\"answer 42\"}");
	NO_MATCH("4", "{\"message\":\"answer 42\"}");
	MATCH("snake_case", "{\"message\":\"call snake_case()\"}");
	NO_MATCH("snake", "{\"message\":\"call snake_case()\"}");
}

Test(query, words_only_in_message)
{
	NO_MATCH("api", EV);   /* service */
	NO_MATCH("error", EV); /* level */
	NO_MATCH("boom", "{\"msg\":\"boom\"}");
	NO_MATCH("boom", "{\"message\":5}");
	NO_MATCH("boom", "[\"boom\"]");
}

Test(query, phrases)
{
	const char *ev = "{\"message\":\"ERROR: Disk   full, retrying in 5s\"}";
	MATCH("\"disk full\"", ev);
	MATCH("\"ERROR disk\"", ev);
	MATCH("\"full, retrying\"", ev);
	MATCH("\"retrying in 5s\"", ev);
	NO_MATCH("\"full disk\"", ev);
	NO_MATCH("\"disk retrying\"", ev);
	NO_MATCH("\"disk full now\"", ev);
	MATCH("\"b c\"", "{\"message\":\"a b x b c\"}");
	MATCH("\"a a\"", "{\"message\":\"a b a a\"}");
	NO_MATCH("\"a a\"", "{\"message\":\"a b a\"}");
	/* a bare word with punctuation inside is a phrase of its tokens */
	MATCH("foo-bar", "{\"message\":\"foo bar\"}");
	MATCH("foo-bar", "{\"message\":\"x foo-bar y\"}");
	NO_MATCH("foo-bar", "{\"message\":\"bar foo\"}");
}

Test(query, fields_exact)
{
	MATCH("level:error", EV);
	NO_MATCH("level:Error", EV);
	NO_MATCH("level:err", EV);
	MATCH("service:api", EV);
	MATCH("http.method:GET", EV);
	MATCH("user:\"John Smith\"", EV);
	NO_MATCH("user:John", EV);
	NO_MATCH("user:\"john smith\"", EV);
	MATCH("empty:\"\"", EV);
	NO_MATCH("missing:x", EV);
	NO_MATCH("tags:a", EV); /* arrays never equal a value */
	NO_MATCH("message:boom", EV);
	MATCH("message:\"Boom! the boomer went off\"", EV);
}

Test(query, fields_numbers_and_literals)
{
	MATCH("status:500", EV);
	NO_MATCH("status:50", EV);
	NO_MATCH("status:500.0", EV); /* numbers compare as written */
	MATCH("latency:1.50", EV);
	NO_MATCH("latency:1.5", EV);
	MATCH("ok:true", EV);
	NO_MATCH("ok:false", EV);
	MATCH("bad:false", EV);
	MATCH("none:null", EV);
	NO_MATCH("none:\"\"", EV);
	MATCH("code:\"500\"", "{\"code\":\"500\"}");
	MATCH("code:500", "{\"code\":\"500\"}");
}

Test(query, star)
{
	MATCH("*", EV);
	MATCH("*", "{}");
	MATCH("* level:error", EV);
	NO_MATCH("* level:warn", EV);
}

Test(query, and_of_terms)
{
	MATCH("boom level:error", EV);
	MATCH("boom AND level:error", EV);
	MATCH("level:error AND status:500 AND \"boomer went\"", EV);
	NO_MATCH("boom level:warn", EV);
	NO_MATCH("boom AND nothere", EV);
	NO_MATCH("level:error status:404", EV);
	MATCH("  boom    status:500  ", EV);
}

Test(query, empty_query_matches_everything)
{
	MATCH("", EV);
	MATCH("   ", "{}");
}
