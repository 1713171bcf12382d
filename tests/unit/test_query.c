/*
 * test_query — ag_query_parse errors and ag_query_match over events.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <yajl/yajl_tree.h>

#include "fields.h"
#include "query.h"
#include <stdlib.h>

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

Test(query, err_operators)
{
	parse_err("(a b", "query:1:5: expected ')'");
	parse_err("level:error AND (a OR b", "query:1:24: expected ')'");
	parse_err("a )", "query:1:3: unexpected ')'");
	parse_err("()", "query:1:2: expected a term");
	parse_err("a OR", "query:1:3: expected a term after 'OR'");
	parse_err("OR a", "query:1:1: expected a term before 'OR'");
	parse_err("a AND", "query:1:3: expected a term after 'AND'");
	parse_err("a AND OR b", "query:1:7: expected a term after 'AND'");
	parse_err("NOT", "query:1:1: expected a term after 'NOT'");
	parse_err("a NOT )", "query:1:7: expected a term after 'NOT'");
	parse_err("a\n(b", "query:2:3: expected ')'");
}

Test(query, err_values)
{
	parse_err("x:[1 2]", "query:1:6: expected 'TO'");
	parse_err("x:[1 TO 2", "query:1:10: expected ']' or '}'");
	parse_err("x>", "query:1:3: expected a value after '>'");
	parse_err("x>= y", "query:1:4: expected a value after '>='");
	parse_err("x:/ab", "query:1:3: unterminated regex");
	parse_err("x:/a(b/", "query:1:7: bad regex: missing closing parenthesis");
	parse_err("path:/var/log/x", "query:1:6: a value starting with '/' is a regex; quote other "
	                             "values, like path:\"/var/log/app.log\"");
	parse_err("x:a*b", "query:1:4: '*' is only allowed at the end of a value");
	parse_err("x:(a OR b)",
	          "query:1:3: field:(...) is not supported; write (field:a OR field:b)");
	parse_err("_exists_:*", "query:1:10: expected a field name after '_exists_:'");
	parse_err("foo-*",
	          "query:1:4: a prefix is letters, digits and '_' only; quote the value for "
	          "a phrase");
}

Test(query, err_depth)
{
	char q[400];
	memset(q, '(', 100);
	strcpy(q + 100, "a");
	memset(q + 101, ')', 100);
	q[201] = '\0';
	char err[256];
	cr_assert_null(ag_query_parse(q, err, sizeof err));
	cr_assert(strstr(err, "nests too deeply"), "%s", err);
	q[0] = '\0';
	for (int i = 0; i < 80; i++)
		strcat(q, "NOT ");
	strcat(q, "a");
	cr_assert_null(ag_query_parse(q, err, sizeof err));
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
	cr_assert_eq(n->kids[0]->kind, AG_Q_EQ);
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
	MATCH("tags:a", EV); /* any element of an array */
	NO_MATCH("tags:b", EV);
	NO_MATCH("message:boom", EV);
	MATCH("message:\"Boom! the boomer went off\"", EV);
}

Test(query, fields_numbers_and_literals)
{
	MATCH("status:500", EV);
	NO_MATCH("status:50", EV);
	MATCH("status:500.0", EV); /* numbers compare as numbers */
	MATCH("status:5e2", EV);
	MATCH("latency:1.50", EV);
	MATCH("latency:1.5", EV);
	NO_MATCH("latency:\"1.5x\"", EV);
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

Test(query, boolean_operators)
{
	MATCH("boom OR nothere", EV);
	MATCH("nothere OR boom", EV);
	NO_MATCH("nothere OR alsonot", EV);
	MATCH("NOT nothere", EV);
	NO_MATCH("NOT boom", EV);
	MATCH("-nothere boom", EV);
	NO_MATCH("-boom", EV);
	MATCH("-level:warn", EV);
	NO_MATCH("boom -level:error", EV);
	/* NOT binds tighter than AND, AND tighter than OR */
	MATCH("nothere AND alsonot OR boom", EV);
	NO_MATCH("nothere AND (alsonot OR boom)", EV);
	MATCH("(nothere OR boom) AND level:error", EV);
	MATCH("NOT (nothere OR alsonot)", EV);
	MATCH("NOT NOT boom", EV);
	MATCH("((boom))", EV);
	MATCH("level:error (status:404 OR status:500)", EV);
	MATCH("a-b", "{\"message\":\"a b\"}"); /* '-' inside a word is not NOT */
}

Test(query, prefixes_and_regexes)
{
	MATCH("boo*", EV);
	MATCH("BOOM*", EV);
	NO_MATCH("boomx*", EV);
	MATCH("service:a*", EV);
	NO_MATCH("service:A*", EV); /* field values are case-sensitive */
	MATCH("user:John*", EV);
	MATCH("user:/^John S/", EV);
	NO_MATCH("user:/^Smith/", EV);
	MATCH("/boomer w/", EV);
	MATCH("status:/^5/", EV); /* a regex sees a number's text */
	MATCH("http.method:/GET|POST/", EV);
	MATCH("service:*", EV);
	NO_MATCH("missing:*", EV);
}

Test(query, ranges)
{
	MATCH("status>499", EV);
	NO_MATCH("status>500", EV);
	MATCH("status>=500", EV);
	MATCH("status<=500", EV);
	NO_MATCH("status<500", EV);
	MATCH("latency<2", EV);
	MATCH("status:[500 TO 599]", EV);
	MATCH("status:[400 TO *]", EV);
	NO_MATCH("status:{500 TO 599]", EV);
	NO_MATCH("status:[100 TO 499]", EV);
	MATCH("status:[1e2 TO 1e3]", EV);
	/* strings compare byte-wise, numbers only with numbers */
	MATCH("service:[a TO b]", EV);
	MATCH("service>=api", EV);
	NO_MATCH("service>api", EV);
	NO_MATCH("service>5", EV);
	NO_MATCH("status>abc", EV);
	MATCH("time>=2026-11-29T10", "{\"time\":\"2026-11-29T10:00:00.5Z\"}");
}

Test(query, exists)
{
	MATCH("_exists_:level", EV);
	MATCH("_exists_:none", EV); /* null is present */
	NO_MATCH("_exists_:nothere", EV);
	MATCH("_exists_:http", "{\"http\":{\"status\":200}}");
	MATCH("_exists_:http.status", "{\"http\":{\"status\":200}}");
	NO_MATCH("_exists_:htt", "{\"http\":{\"status\":200}}");
	NO_MATCH("-_exists_:level", EV);
}

Test(query, nested_and_arrays)
{
	const char *ev = "{\"http\":{\"status\":502,\"req\":{\"m\":\"GET\"}},\"ids\":[1,2,[3]],"
	                 "\"message\":[\"first x\",\"second y\"]}";
	MATCH("http.status:502", ev);
	MATCH("http.req.m:GET", ev);
	MATCH("ids:2", ev);
	MATCH("ids:3", ev);
	MATCH("ids>2", ev);
	NO_MATCH("ids:4", ev);
	MATCH("second", ev);
	NO_MATCH("\"x second\"", ev); /* phrases do not span array elements */
}

Test(query, long_phrases)
{
	MATCH("\"a b c d e f g h i j k l m n o p q r s\"",
	      "{\"message\":\"z a b c d e f g h i j k l m n o p q r s\"}");
	NO_MATCH("\"a b c d e f g h i j k l m n o p q r s\"",
	         "{\"message\":\"z a b c d e f g h i j k l m n o p q r x\"}");
}

/* every key a query needs is among the event's index keys */
static void add_key(void *ud, uint64_t h)
{
	uint64_t **v = ud;
	size_t n = (size_t)(*v)[0];
	*v = realloc(*v, (n + 3) * sizeof **v);
	(*v)[n + 2] = h;
	(*v)[0] = n + 1;
}

/* keys[0]: their number; keys[1]: how many are fields' (the rest are
 * words), as ag_index_keys said; then the keys. A key is found only among
 * those of its kind. */
static int has_key(void *ud, uint64_t h, int word)
{
	uint64_t *v = ud;
	for (size_t i = 2; i < v[0] + 2; i++)
		if (v[i] == h && (i - 2 >= v[1]) == word)
			return 1;
	return 0;
}

static void may(const char *q, const char *json, int want)
{
	char err[256];
	struct ag_qnode *n = ag_query_parse(q, err, sizeof err);
	cr_assert_not_null(n, "%s", err);
	struct ag_event ev = {0};
	cr_assert_eq(ag_event_parse(&ev, json, strlen(json)), 0);
	uint64_t *keys = calloc(2, sizeof *keys);
	size_t nfield = ag_index_keys(&ev, add_key, &keys);
	keys[1] = nfield;
	int m = ag_query_may_match(n, has_key, keys);
	int real = ag_query_match_event(n, &ev);
	cr_assert(!real || m, "\"%s\" matches %s but the index says it cannot", q, json);
	cr_assert_eq(m, want, "may_match(\"%s\", %s) = %d", q, json, m);
	free(keys);
	ag_event_free(&ev);
	ag_query_free(n);
}

Test(query, index_keys)
{
	const char *ev = "{\"message\":\"Disk FULL now\",\"level\":\"error\",\"http\":{\"status\":"
	                 "502},\"ok\":true}";
	may("disk", ev, 1);
	may("\"disk full\"", ev, 1);
	may("diskx", ev, 0);
	may("level:error", ev, 1);
	may("level:warn", ev, 0);
	may("http.status:502.0", ev, 1);
	may("http.status:503", ev, 0);
	may("http.status>600", ev, 1); /* ranges only need the field */
	may("nofield>600", ev, 0);
	may("_exists_:http", ev, 1);
	may("_exists_:nofield", ev, 0);
	may("ok:true", ev, 1);
	may("diskx OR level:error", ev, 1);
	may("diskx AND level:error", ev, 0);
	may("NOT diskx", ev, 1);
	may("message:\"Disk FULL now\"", ev, 1);
	may("message:other", ev, 1); /* message values are not indexed */
}

/* inputs the fuzzer (tests/fuzz/fuzz_query.c) once crashed on: each must
 * parse or fail with a positioned error, and match without crashing */
Test(query, fuzz_crashers)
{
	const char *dirs[] = {"tests/fuzz/crashers/query", "tests/fuzz/corpus/query"};
	for (size_t d = 0; d < 2; d++) {
		DIR *dp = opendir(dirs[d]);
		if (!dp)
			continue;
		struct dirent *de;
		while ((de = readdir(dp))) {
			if (de->d_name[0] == '.')
				continue;
			char path[1024], q[8192], err[256];
			snprintf(path, sizeof path, "%s/%s", dirs[d], de->d_name);
			FILE *f = fopen(path, "rb");
			cr_assert_not_null(f, "%s", path);
			size_t n = fread(q, 1, sizeof q - 1, f);
			fclose(f);
			q[n] = '\0';
			struct ag_qnode *t = ag_query_parse(q, err, sizeof err);
			if (!t) {
				cr_assert(!strncmp(err, "query:", 6), "%s: %s", path, err);
				continue;
			}
			cr_assert(ag_query_match(t, NULL) == 0);
			ag_query_free(t);
		}
		closedir(dp);
	}
}

Test(query, event_parse_edges)
{
	struct ag_event ev = {0};
	const char *bad[] = {"",    "[]",       "{", "{} {}",    "{}1",
	                     "{}x", "{\"a\":}", "1", "{\"a\":1", "{\"a\":[1,2}"};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		cr_assert_eq(ag_event_parse(&ev, bad[i], strlen(bad[i])), -1, "'%s' parsed",
		             bad[i]);
		/* and the handle recovers for the next event */
		cr_assert_eq(ag_event_parse(&ev, "{\"b\":-12}", 9), 0, "after '%s'", bad[i]);
		cr_assert_eq(ev.n, 1);
		cr_assert_str_eq(ev.f[0].key, "b");
		cr_assert_eq(ev.f[0].num, -12);
	}
	const char *nested = " {\"a\":{\"b\":[1,{\"c\":2}],\"d\":\"x\"}} \n";
	cr_assert_eq(ag_event_parse(&ev, nested, strlen(nested)), 0);
	cr_assert_eq(ev.n, 3);
	cr_assert_str_eq(ev.f[0].key, "a.b");
	cr_assert_str_eq(ev.f[1].key, "a.b"); /* objects in arrays take the array's key */
	cr_assert_eq(ev.f[1].num, 2);
	cr_assert_str_eq(ev.f[2].key, "a.d");
	const char *nums = "{\"n\":1.5e3,\"m\":12345678901234567890}";
	cr_assert_eq(ag_event_parse(&ev, nums, strlen(nums)), 0);
	cr_assert_eq(ev.f[0].num, 1500);
	cr_assert_eq(ev.f[1].num, 12345678901234567890.0);
	ag_event_free(&ev);
}
