/*
 * multiline — the rules that decide whether a line continues the record
 * being assembled: user start/continue regexes (PCRE2, JIT), the built-in
 * java, python and go stack trace rules, and a parser's own rule (postgres,
 * csvlog, mysql slow log). The assembly itself (buffers, offsets, flush
 * timeout, caps) is in pipeline.c.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <ctype.h>
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats.h"
#include "sl_time.h"

#define DEFAULT_MAX_LINES 1000

static int starts(const char *s, size_t n, const char *lit)
{
	size_t l = strlen(lit);
	return n >= l && !memcmp(s, lit, l);
}

static int indented(const char *s, size_t n)
{
	return n && (s[0] == ' ' || s[0] == '\t');
}

/* ---- java: indented "at" frames, "Caused by:", "... N more", and the
 * exception line itself (a qualified name ending in Exception or Error) ---- */

static int java_exception_line(const char *s, size_t n)
{
	size_t i = 0, dots = 0;
	while (i < n && (isalnum((unsigned char)s[i]) || s[i] == '_' || s[i] == '$' || s[i] == '.'))
		dots += s[i++] == '.';
	if (!dots || (i < n && s[i] != ':'))
		return 0;
	static const char *const ends[] = {"Exception", "Error", "Throwable"};
	for (size_t k = 0; k < 3; k++) {
		size_t l = strlen(ends[k]);
		if (i >= l && !memcmp(s + i - l, ends[k], l))
			return 1;
	}
	return 0;
}

static int java_join(void *ud, int *ml, const char *s, size_t n)
{
	int cur = *ml;
	*ml = 1;
	if (!cur)
		return 0;
	return indented(s, n) || starts(s, n, "Caused by: ") || starts(s, n, "Suppressed: ") ||
	       java_exception_line(s, n);
}

/* ---- python: "Traceback (most recent call last):" joins the record before
 * it (logger.exception), indented frames follow, the first line that is not
 * indented is the exception and closes it; chained exceptions stay in. ---- */

enum { PY_TEXT = 1, PY_FRAMES, PY_DONE };

static int python_join(void *ud, int *ml, const char *s, size_t n)
{
	int cur = *ml, tb = starts(s, n, "Traceback (most recent call last):");
	if (tb) {
		*ml = PY_FRAMES;
		return cur != 0;
	}
	switch (cur) {
	case PY_FRAMES:
		if (!n || indented(s, n))
			return 1;
		*ml = PY_DONE;
		return 1;
	case PY_DONE:
		if (!n || starts(s, n, "During handling of the above exception") ||
		    starts(s, n, "The above exception was the direct cause"))
			return 1;
		break;
	}
	*ml = PY_TEXT;
	return 0;
}

/* ---- go: a "panic:" or "fatal error:" line, then goroutine dumps ---- */

enum { GO_TEXT = 1, GO_PANIC };

static int go_frame(const char *s, size_t n)
{
	const char *paren = memchr(s, '(', n);
	if (!paren || s[n - 1] != ')')
		return 0;
	return !memchr(s, ' ', (size_t)(paren - s));
}

static int go_join(void *ud, int *ml, const char *s, size_t n)
{
	int cur = *ml;
	if (starts(s, n, "panic: ") || starts(s, n, "fatal error: ")) {
		*ml = GO_PANIC;
		return 0;
	}
	if (cur == GO_PANIC &&
	    (!n || indented(s, n) || starts(s, n, "goroutine ") || starts(s, n, "created by ") ||
	     starts(s, n, "[signal ") || starts(s, n, "exit status ") ||
	     starts(s, n, "...additional frames elided...") || go_frame(s, n)))
		return 1;
	*ml = GO_TEXT;
	return 0;
}

static const struct {
	const char *name;
	sl_join_fn fn;
} builtins[] = {
    {"java", java_join},
    {"python", python_join},
    {"go", go_join},
};

sl_join_fn sl_ml_builtin(const char *name)
{
	for (size_t i = 0; i < sizeof builtins / sizeof builtins[0]; i++)
		if (!strcmp(builtins[i].name, name))
			return builtins[i].fn;
	return NULL;
}

/* ---- user rules: start and continue regexes ---- */

struct user_rule {
	pcre2_code *start, *cont;
	pcre2_match_data *md;
};

static int re_match(const struct user_rule *u, pcre2_code *re, const char *s, size_t n)
{
	return pcre2_match(re, (PCRE2_SPTR)s, n, 0, 0, u->md, NULL) >= 0;
}

/* start only: a line matching start begins a record, others join it.
 * continue only: lines matching continue join, others begin a record.
 * both: start begins, continue joins, any other line is a record alone. */
static int user_join(void *ud, int *ml, const char *s, size_t n)
{
	struct user_rule *u = ud;
	int cur = *ml;
	*ml = 1;
	if (!cur)
		return 0;
	if (u->start && re_match(u, u->start, s, n))
		return 0;
	if (u->cont)
		return re_match(u, u->cont, s, n);
	return 1;
}

static void user_free(void *ud)
{
	struct user_rule *u = ud;
	if (!u)
		return;
	pcre2_code_free(u->start);
	pcre2_code_free(u->cont);
	pcre2_match_data_free(u->md);
	free(u);
}

static int parser_join_adapter(void *ud, int *ml, const char *s, size_t n);

struct parser_rule {
	const struct sl_parser_ops *ops;
	void *pstate;
};

static int parser_join_adapter(void *ud, int *ml, const char *s, size_t n)
{
	struct parser_rule *r = ud;
	return r->ops->join(r->pstate, ml, s, n);
}

/* Ownership: ml owns the adapter it allocates (ml->free releases it). */
static int use_parser_rule(struct sl_ml *ml, const struct sl_parser_ops *ops, void *pstate)
{
	if (!ops || !ops->join)
		return 0;
	struct parser_rule *r = sl_calloc(1, sizeof *r);
	r->ops = ops;
	r->pstate = pstate;
	ml->join = parser_join_adapter;
	ml->ud = r;
	ml->free = free;
	return 0;
}

/* Sets the rule from a name: a built-in, "none", or "parser". */
static int named_rule(struct sl_ml *ml, const char *name, const char *what,
                      const struct sl_parser_ops *ops, void *pstate, char *err, size_t errlen)
{
	if (!strcmp(name, "none"))
		return 0;
	if (!strcmp(name, "parser") || !*name)
		return use_parser_rule(ml, ops, pstate);
	ml->join = sl_ml_builtin(name);
	if (!ml->join) {
		snprintf(err, errlen, "%s: unknown rule \"%s\" (java, python, go, parser, none)",
		         what, name);
		return -1;
	}
	return 0;
}

/* Ownership: ml gets the compiled rule; sl_ml_free releases it. */
int sl_ml_setup(struct sl_ml *ml, const struct sl_cfg_node *node, const struct sl_parser_ops *ops,
                void *pstate, char *err, size_t errlen)
{
	memset(ml, 0, sizeof *ml);
	ml->flush_ms = -1;
	ml->max_lines = DEFAULT_MAX_LINES;
	if (!node)
		return use_parser_rule(ml, ops, pstate);
	if (node->type == SL_CFG_SCALAR)
		return named_rule(ml, node->value, "multiline", ops, pstate, err, errlen);
	if (node->type != SL_CFG_MAP) {
		snprintf(err, errlen, "multiline: expected a rule name or a map");
		return -1;
	}
	const char *start = NULL, *cont = NULL, *rule = NULL, *flush = NULL, *lines = NULL,
	           *bytes = NULL;
	const struct sl_popt tab[] = {
	    {"start", SL_POPT_STR, &start},
	    {"continue", SL_POPT_STR, &cont},
	    {"rule", SL_POPT_STR, &rule},
	    {"flush_timeout", SL_POPT_STR, &flush},
	    {"max_lines", SL_POPT_STR, &lines},
	    {"max_bytes", SL_POPT_STR, &bytes},
	    {0},
	};
	if (sl_popt_read(node, "multiline.", tab, err, errlen))
		return -1;
	if (flush && (sl_duration_parse(flush, &ml->flush_ms) || ml->flush_ms < 0)) {
		snprintf(
		    err, errlen,
		    "multiline.flush_timeout: expected a duration like 500ms or 2s, got \"%s\"",
		    flush);
		return -1;
	}
	if (lines) {
		char *end;
		long long v = strtoll(lines, &end, 10);
		if (*end || v < 1 || v > 1000000) {
			snprintf(err, errlen,
			         "multiline.max_lines: expected a number 1..1000000, got \"%s\"",
			         lines);
			return -1;
		}
		ml->max_lines = (size_t)v;
	}
	if (bytes) {
		int64_t v;
		if (sl_size_parse(bytes, &v) || v < 16) {
			snprintf(err, errlen,
			         "multiline.max_bytes: expected a size like 64KiB, got \"%s\"",
			         bytes);
			return -1;
		}
		ml->max_bytes = (size_t)v;
	}
	if (rule && (start || cont)) {
		snprintf(err, errlen,
		         "multiline.rule: give either rule or start/continue, not both");
		return -1;
	}
	if (!start && !cont)
		return named_rule(ml, rule ? rule : "parser", "multiline.rule", ops, pstate, err,
		                  errlen);
	struct user_rule *u = sl_calloc(1, sizeof *u);
	if (start && !(u->start = sl_regex_compile(start, PCRE2_ZERO_TERMINATED, "multiline.start",
	                                           err, errlen)))
		goto fail;
	if (cont && !(u->cont = sl_regex_compile(cont, PCRE2_ZERO_TERMINATED, "multiline.continue",
	                                         err, errlen)))
		goto fail;
	u->md = pcre2_match_data_create(1, NULL);
	ml->join = user_join;
	ml->ud = u;
	ml->free = user_free;
	return 0;
fail:
	user_free(u);
	return -1;
}

void sl_ml_free(struct sl_ml *ml)
{
	if (ml->free)
		ml->free(ml->ud);
	memset(ml, 0, sizeof *ml);
}
