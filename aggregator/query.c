/*
 * query — parser (recursive descent over the query text), evaluator over
 * flattened events, and the index keys that let a search skip blocks.
 */
#include "query.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <ctype.h>
#include <pcre2.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bloom.h"
#include "sl_buf.h"
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#include "sl_json.h"

#define MAX_DEPTH 64
/* Exact values longer than this, and of these fields, are not indexed:
 * a query for them checks only that the field is present in the block. */
#define MAX_INDEXED_VALUE 256
static const char *const unindexed_values[] = {"time", "offset", "message"};

static int tokchar(unsigned char c)
{
	return isalnum(c) || c == '_' || c >= 0x80;
}

void ag_tokenize(const char *s, size_t n, int (*fn)(void *, const char *, size_t), void *ud)
{
	size_t i = 0;
	while (i < n) {
		while (i < n && !tokchar((unsigned char)s[i]))
			i++;
		size_t st = i;
		while (i < n && tokchar((unsigned char)s[i]))
			i++;
		if (i > st && fn(ud, s + st, i - st))
			return;
	}
}

/* The next token of s[0..n) at or after *pos: sets *ts, *tl and moves *pos
 * past it. Returns 0 at the end. */
static int next_token(const char *s, size_t n, size_t *pos, const char **ts, size_t *tl)
{
	size_t i = *pos;
	while (i < n && !tokchar((unsigned char)s[i]))
		i++;
	size_t st = i;
	while (i < n && tokchar((unsigned char)s[i]))
		i++;
	*pos = i;
	if (i == st)
		return 0;
	*ts = s + st;
	*tl = i - st;
	return 1;
}

void ag_query_free(struct ag_qnode *n)
{
	if (!n)
		return;
	for (size_t i = 0; i < n->n; i++)
		ag_query_free(n->kids[i]);
	free(n->kids);
	for (size_t i = 0; i < n->ntok; i++)
		free(n->tokens[i]);
	free(n->tokens);
	free(n->field);
	free(n->value);
	free(n->lo_s);
	free(n->hi_s);
	if (n->md)
		pcre2_match_data_free(n->md);
	if (n->re)
		pcre2_code_free(n->re);
	free(n);
}

/* ================================================================== */
/* Parser                                                             */
/* ================================================================== */

struct parser {
	const char *q;
	size_t n, i;
	char *err;
	size_t errlen;
	int failed, depth;
};

__attribute__((format(printf, 3, 4))) static void perr(struct parser *p, size_t at, const char *fmt,
                                                       ...)
{
	if (p->failed)
		return;
	p->failed = 1;
	size_t line = 1, col = 1;
	for (size_t k = 0; k < at && k < p->n; k++) {
		if (p->q[k] == '\n') {
			line++;
			col = 1;
		} else {
			col++;
		}
	}
	int w = snprintf(p->err, p->errlen, "query:%zu:%zu: ", line, col);
	if (w < 0 || (size_t)w >= p->errlen)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(p->err + w, p->errlen - (size_t)w, fmt, ap);
	va_end(ap);
}

/* Allocates a node; the caller owns it (ag_query_free). */
static struct ag_qnode *node_new(enum ag_qkind kind)
{
	struct ag_qnode *n = sl_calloc(1, sizeof *n);
	n->kind = kind;
	return n;
}

/* Appends kid to n->kids (n takes kid; the array is freed with n). */
static void kid_add(struct ag_qnode *n, struct ag_qnode *kid)
{
	n->kids = sl_realloc(n->kids, (n->n + 1) * sizeof *n->kids);
	n->kids[n->n++] = kid;
}

/* AND/OR of a and b, flattening nested nodes of the same kind. Takes both. */
static struct ag_qnode *combine(enum ag_qkind kind, struct ag_qnode *a, struct ag_qnode *b)
{
	struct ag_qnode *n = a;
	if (a->kind != kind) {
		n = node_new(kind);
		kid_add(n, a);
	}
	if (b->kind == kind) {
		for (size_t i = 0; i < b->n; i++)
			kid_add(n, b->kids[i]);
		b->n = 0;
		ag_query_free(b);
	} else {
		kid_add(n, b);
	}
	return n;
}

struct ag_qnode *ag_query_and(struct ag_qnode *a, struct ag_qnode *b)
{
	if (!a)
		return b;
	if (!b)
		return a;
	return combine(AG_Q_AND, a, b);
}

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static void skip_ws(struct parser *p)
{
	while (p->i < p->n && is_space(p->q[p->i]))
		p->i++;
}

static int at_end_of_term(const struct parser *p, size_t i)
{
	return i >= p->n || is_space(p->q[i]) || p->q[i] == '(' || p->q[i] == ')';
}

static int is_kw(const struct parser *p, const char *kw)
{
	size_t l = strlen(kw);
	return p->i + l <= p->n && !memcmp(p->q + p->i, kw, l) && at_end_of_term(p, p->i + l);
}

static int fieldchar(unsigned char c)
{
	return isalnum(c) || c == '_' || c == '.' || c == '@' || c == '-' || c >= 0x80;
}

/* Appends a lower-cased copy of a token to q->tokens (freed with q). */
static int push_token(void *ud, const char *s, size_t n)
{
	struct ag_qnode *q = ud;
	q->tokens = sl_realloc(q->tokens, (q->ntok + 1) * sizeof *q->tokens);
	char *t = sl_strndup(s, n);
	for (size_t i = 0; i < n; i++)
		t[i] = (char)tolower((unsigned char)t[i]);
	q->tokens[q->ntok++] = t;
	return 0;
}

/* A phrase node from text (the caller owns it), or NULL with an error at `at`. */
static struct ag_qnode *phrase_node(struct parser *p, const char *s, size_t n, size_t at)
{
	struct ag_qnode *t = node_new(AG_Q_PHRASE);
	ag_tokenize(s, n, push_token, t);
	if (!t->ntok) {
		perr(p, at, "'%.*s' has no letters or digits to search for", (int)n, s);
		ag_query_free(t);
		return NULL;
	}
	return t;
}

/* Reads a quoted string at p->i (the opening quote) into out. */
static int read_quoted(struct parser *p, struct sl_buf *out)
{
	size_t qstart = p->i++;
	sl_buf_reset(out);
	sl_buf_puts(out, "");
	while (p->i < p->n && p->q[p->i] != '"') {
		if (p->q[p->i] == '\\' && p->i + 1 < p->n)
			p->i++;
		sl_buf_putc(out, p->q[p->i++]);
	}
	if (p->i >= p->n) {
		perr(p, qstart, "unterminated quote");
		return -1;
	}
	p->i++;
	return 0;
}

/* Compiles the /regex/ at p->i into a new node the caller owns; takes field
 * (may be NULL: message) and frees it on failure. */
static struct ag_qnode *read_regex(struct parser *p, char *field)
{
	size_t open = p->i++;
	struct sl_buf pat = {0};
	sl_buf_puts(&pat, "");
	while (p->i < p->n && p->q[p->i] != '/') {
		if (p->q[p->i] == '\\' && p->i + 1 < p->n && p->q[p->i + 1] == '/')
			p->i++;
		else if (p->q[p->i] == '\\' && p->i + 1 < p->n)
			sl_buf_putc(&pat, p->q[p->i++]);
		sl_buf_putc(&pat, p->q[p->i++]);
	}
	if (p->i >= p->n) {
		perr(p, open, "unterminated regex");
		goto fail;
	}
	p->i++;
	if (!at_end_of_term(p, p->i)) {
		perr(p, open,
		     "a value starting with '/' is a regex; quote other values, like "
		     "path:\"/var/log/app.log\"");
		goto fail;
	}
	int ec;
	PCRE2_SIZE eo;
	pcre2_code *re = pcre2_compile((PCRE2_SPTR)pat.data, pat.len,
	                               PCRE2_UTF | PCRE2_MATCH_INVALID_UTF, &ec, &eo, NULL);
	if (!re) {
		PCRE2_UCHAR msg[256];
		pcre2_get_error_message(ec, msg, sizeof msg);
		perr(p, open + 1 + (eo < pat.len ? eo : pat.len), "bad regex: %s", (char *)msg);
		goto fail;
	}
	pcre2_jit_compile(re, PCRE2_JIT_COMPLETE); /* falls back to the interpreter */
	struct ag_qnode *t = node_new(AG_Q_REGEX);
	t->re = re;
	t->md = pcre2_match_data_create_from_pattern(re, NULL);
	t->field = field;
	t->value = sl_strndup(pat.data, pat.len);
	t->vlen = pat.len;
	sl_buf_free(&pat);
	return t;
fail:
	sl_buf_free(&pat);
	free(field);
	return NULL;
}

/* A bare value: up to whitespace or a parenthesis; backslash escapes.
 * Sets *star to 1 when it ends in an unescaped '*' (not included). */
static int read_bare(struct parser *p, struct sl_buf *out, int *star)
{
	sl_buf_reset(out);
	sl_buf_puts(out, "");
	*star = 0;
	while (!at_end_of_term(p, p->i)) {
		char c = p->q[p->i];
		if (c == '"') {
			perr(p, p->i, "unexpected '\"'");
			return -1;
		}
		if (c == '\\' && p->i + 1 < p->n) {
			sl_buf_putc(out, p->q[p->i + 1]);
			p->i += 2;
			continue;
		}
		if (c == '*') {
			if (!at_end_of_term(p, p->i + 1)) {
				perr(p, p->i, "'*' is only allowed at the end of a value");
				return -1;
			}
			*star = 1;
			p->i++;
			break;
		}
		sl_buf_putc(out, c);
		p->i++;
	}
	return 0;
}

static void set_bound(char **s, double *v, int *all_num, const struct sl_buf *b)
{
	if (b->len == 1 && b->data[0] == '*')
		return; /* open */
	*s = sl_strndup(b->data, b->len);
	if (ag_num_parse(b->data, b->len, v))
		*all_num = 0;
}

/* [lo TO hi] or {lo TO hi} (exclusive), at p->i. Takes field. */
static struct ag_qnode *read_range(struct parser *p, char *field)
{
	struct ag_qnode *t = node_new(AG_Q_RANGE);
	struct sl_buf b = {0};
	int all_num = 1;
	t->field = field;
	t->lo_incl = p->q[p->i] == '[';
	p->i++;
	skip_ws(p);
	for (int k = 0; k < 2; k++) {
		if (p->i < p->n && p->q[p->i] == '"') {
			if (read_quoted(p, &b))
				goto fail;
		} else {
			size_t st = p->i;
			sl_buf_reset(&b);
			sl_buf_puts(&b, "");
			while (p->i < p->n && !is_space(p->q[p->i]) && !strchr("]}", p->q[p->i]))
				sl_buf_putc(&b, p->q[p->i++]);
			if (!b.len) {
				perr(p, st, "expected a range bound");
				goto fail;
			}
		}
		if (k == 0)
			set_bound(&t->lo_s, &t->lo, &all_num, &b);
		else
			set_bound(&t->hi_s, &t->hi, &all_num, &b);
		skip_ws(p);
		if (k == 0) {
			if (!(p->i + 2 <= p->n && !memcmp(p->q + p->i, "TO", 2) &&
			      (p->i + 2 == p->n || is_space(p->q[p->i + 2])))) {
				perr(p, p->i, "expected 'TO'");
				goto fail;
			}
			p->i += 2;
			skip_ws(p);
		}
	}
	if (p->i >= p->n || (p->q[p->i] != ']' && p->q[p->i] != '}')) {
		perr(p, p->i, "expected ']' or '}'");
		goto fail;
	}
	t->hi_incl = p->q[p->i] == ']';
	p->i++;
	t->is_num = all_num;
	sl_buf_free(&b);
	return t;
fail:
	sl_buf_free(&b);
	ag_query_free(t);
	return NULL;
}

/* field>N, field>=N, field<N, field<=N at p->i (the operator). Takes field. */
static struct ag_qnode *read_compare(struct parser *p, char *field)
{
	struct ag_qnode *t = node_new(AG_Q_RANGE);
	struct sl_buf b = {0};
	int star = 0, all_num = 1, gt = p->q[p->i] == '>', eq = 0;
	size_t op = p->i;
	t->field = field;
	p->i++;
	if (p->i < p->n && p->q[p->i] == '=') {
		eq = 1;
		p->i++;
	}
	size_t v = p->i;
	if (p->i < p->n && p->q[p->i] == '"') {
		if (read_quoted(p, &b))
			goto fail;
	} else if (read_bare(p, &b, &star)) {
		goto fail;
	}
	if (!b.len || star) {
		perr(p, v, "expected a value after '%.*s'", (int)(v - op), p->q + op);
		goto fail;
	}
	if (gt) {
		set_bound(&t->lo_s, &t->lo, &all_num, &b);
		t->lo_incl = eq;
	} else {
		set_bound(&t->hi_s, &t->hi, &all_num, &b);
		t->hi_incl = eq;
	}
	t->is_num = all_num;
	sl_buf_free(&b);
	return t;
fail:
	sl_buf_free(&b);
	ag_query_free(t);
	return NULL;
}

/* field:VALUE with p->i just after the ':'. Takes field. */
static struct ag_qnode *read_field_value(struct parser *p, char *field)
{
	struct sl_buf b = {0};
	struct ag_qnode *t = NULL;
	int star = 0;
	size_t v = p->i;
	if (at_end_of_term(p, v) && !(v < p->n && p->q[v] == '(')) {
		perr(p, v, "expected a value after ':'");
		goto fail;
	}
	char c = p->q[v];
	if (!strcmp(field, "_exists_")) {
		if (read_bare(p, &b, &star))
			goto fail;
		if (!b.len || star) {
			perr(p, v, "expected a field name after '_exists_:'");
			goto fail;
		}
		free(field);
		t = node_new(AG_Q_EXISTS);
		t->field = sl_strndup(b.data, b.len);
		sl_buf_free(&b);
		return t;
	}
	if (c == '(') {
		perr(p, v, "field:(...) is not supported; write (field:a OR field:b)");
		goto fail;
	}
	if (c == '/')
		return read_regex(p, field);
	if (c == '[' || c == '{')
		return read_range(p, field);
	if (c == '"') {
		if (read_quoted(p, &b))
			goto fail;
		if (!at_end_of_term(p, p->i)) {
			perr(p, p->i, "unexpected '%c' after a quoted value", p->q[p->i]);
			goto fail;
		}
	} else if (read_bare(p, &b, &star)) {
		goto fail;
	}
	if (star && !b.len) {
		t = node_new(AG_Q_EXISTS);
	} else if (star) {
		t = node_new(AG_Q_PREFIX);
	} else {
		t = node_new(AG_Q_EQ);
		t->is_num = !ag_num_parse(b.data, b.len, &t->num);
	}
	t->field = field;
	t->value = sl_strndup(b.data, b.len);
	t->vlen = b.len;
	sl_buf_free(&b);
	return t;
fail:
	sl_buf_free(&b);
	free(field);
	return NULL;
}

static struct ag_qnode *parse_or(struct parser *p);

static struct ag_qnode *parse_primary(struct parser *p)
{
	skip_ws(p);
	size_t st = p->i;
	if (p->i >= p->n) {
		perr(p, p->i, "expected a term");
		return NULL;
	}
	char c = p->q[p->i];
	if (c == '(') {
		if (++p->depth > MAX_DEPTH) {
			perr(p, p->i, "the query nests too deeply");
			return NULL;
		}
		p->i++;
		skip_ws(p);
		if (p->i < p->n && p->q[p->i] == ')') {
			perr(p, p->i, "expected a term");
			return NULL;
		}
		struct ag_qnode *n = parse_or(p);
		if (!n)
			return NULL;
		skip_ws(p);
		if (p->i >= p->n || p->q[p->i] != ')') {
			perr(p, p->i, "expected ')'");
			ag_query_free(n);
			return NULL;
		}
		p->i++;
		p->depth--;
		return n;
	}
	if (c == ')') {
		perr(p, p->i, "unexpected ')'");
		return NULL;
	}
	if (is_kw(p, "AND") || is_kw(p, "OR")) {
		perr(p, p->i, "expected a term before '%s'", c == 'A' ? "AND" : "OR");
		return NULL;
	}
	if (c == '"') {
		struct sl_buf b = {0};
		struct ag_qnode *n = NULL;
		if (read_quoted(p, &b) == 0) {
			if (!at_end_of_term(p, p->i))
				perr(p, p->i, "unexpected '%c' after a quoted phrase", p->q[p->i]);
			else
				n = phrase_node(p, b.data, b.len, st);
		}
		sl_buf_free(&b);
		return n;
	}
	if (c == '/')
		return read_regex(p, NULL);
	size_t j = p->i;
	while (j < p->n && fieldchar((unsigned char)p->q[j]))
		j++;
	if (j > p->i && j < p->n && (p->q[j] == ':' || p->q[j] == '<' || p->q[j] == '>')) {
		char *field = sl_strndup(p->q + p->i, j - p->i);
		p->i = j;
		if (p->q[j] == ':') {
			p->i++;
			return read_field_value(p, field);
		}
		return read_compare(p, field);
	}
	/* a bare word */
	struct sl_buf b = {0};
	struct ag_qnode *n = NULL;
	int star;
	if (read_bare(p, &b, &star) == 0) {
		if (star && !b.len) {
			n = node_new(AG_Q_ALL);
		} else if (star) {
			for (size_t k = 0; k < b.len; k++) {
				if (!tokchar((unsigned char)b.data[k])) {
					perr(p, st + k,
					     "a prefix is letters, digits and '_' only; "
					     "quote the value for a phrase");
					goto out;
				}
				b.data[k] = (char)tolower((unsigned char)b.data[k]);
			}
			n = node_new(AG_Q_WPREFIX);
			n->value = sl_strndup(b.data, b.len);
			n->vlen = b.len;
		} else {
			n = phrase_node(p, b.data, b.len, st);
		}
	}
out:
	sl_buf_free(&b);
	return n;
}

static struct ag_qnode *parse_unary(struct parser *p)
{
	skip_ws(p);
	int neg = 0;
	if (is_kw(p, "NOT")) {
		size_t at = p->i;
		p->i += 3;
		skip_ws(p);
		if (p->i >= p->n || p->q[p->i] == ')' || is_kw(p, "AND") || is_kw(p, "OR")) {
			perr(p, at + 3 < p->n ? p->i : at, "expected a term after 'NOT'");
			return NULL;
		}
		neg = 1;
	} else if (p->i + 1 < p->n && p->q[p->i] == '-' && !is_space(p->q[p->i + 1]) &&
	           p->q[p->i + 1] != ')') {
		p->i++;
		neg = 1;
	}
	if (!neg)
		return parse_primary(p);
	if (++p->depth > MAX_DEPTH) {
		perr(p, p->i, "the query nests too deeply");
		return NULL;
	}
	struct ag_qnode *kid = parse_unary(p);
	p->depth--;
	if (!kid)
		return NULL;
	struct ag_qnode *n = node_new(AG_Q_NOT);
	kid_add(n, kid);
	return n;
}

static struct ag_qnode *parse_and(struct parser *p)
{
	struct ag_qnode *n = parse_unary(p);
	if (!n)
		return NULL;
	for (;;) {
		skip_ws(p);
		if (p->i >= p->n || p->q[p->i] == ')' || is_kw(p, "OR"))
			return n;
		if (is_kw(p, "AND")) {
			size_t at = p->i;
			p->i += 3;
			skip_ws(p);
			if (p->i >= p->n || p->q[p->i] == ')' || is_kw(p, "AND") ||
			    is_kw(p, "OR")) {
				perr(p, p->i >= p->n ? at : p->i, "expected a term after 'AND'");
				ag_query_free(n);
				return NULL;
			}
		}
		struct ag_qnode *r = parse_unary(p);
		if (!r) {
			ag_query_free(n);
			return NULL;
		}
		n = combine(AG_Q_AND, n, r);
	}
}

static struct ag_qnode *parse_or(struct parser *p)
{
	struct ag_qnode *n = parse_and(p);
	if (!n)
		return NULL;
	for (;;) {
		skip_ws(p);
		if (!is_kw(p, "OR"))
			return n;
		size_t at = p->i;
		p->i += 2;
		skip_ws(p);
		if (p->i >= p->n || p->q[p->i] == ')' || is_kw(p, "AND") || is_kw(p, "OR")) {
			perr(p, p->i >= p->n ? at : p->i, "expected a term after 'OR'");
			ag_query_free(n);
			return NULL;
		}
		struct ag_qnode *r = parse_and(p);
		if (!r) {
			ag_query_free(n);
			return NULL;
		}
		n = combine(AG_Q_OR, n, r);
	}
}

struct ag_qnode *ag_query_parse(const char *q, char *err, size_t errlen)
{
	struct parser p = {.q = q, .n = strlen(q), .err = err, .errlen = errlen};
	if (errlen)
		err[0] = '\0';
	skip_ws(&p);
	if (p.i >= p.n)
		return node_new(AG_Q_ALL);
	struct ag_qnode *n = parse_or(&p);
	if (!n)
		return NULL;
	skip_ws(&p);
	if (p.i < p.n) { /* only a ')' stops parse_or early */
		perr(&p, p.i, "unexpected ')'");
		ag_query_free(n);
		return NULL;
	}
	return n;
}

/* ================================================================== */
/* Evaluation                                                         */
/* ================================================================== */

static int tok_eq(const char *a, size_t al, const char *lower)
{
	for (size_t i = 0; i < al; i++)
		if (!lower[i] || (char)tolower((unsigned char)a[i]) != lower[i])
			return 0;
	return lower[al] == '\0';
}

static int phrase_in(const struct ag_qnode *q, const char *s, size_t n)
{
	size_t pos = 0, tl;
	const char *ts;
	while (next_token(s, n, &pos, &ts, &tl)) {
		if (!tok_eq(ts, tl, q->tokens[0]))
			continue;
		size_t p2 = pos, k = 1;
		for (; k < q->ntok; k++) {
			if (!next_token(s, n, &p2, &ts, &tl) || !tok_eq(ts, tl, q->tokens[k]))
				break;
		}
		if (k == q->ntok)
			return 1;
	}
	return 0;
}

static int wprefix_in(const struct ag_qnode *q, const char *s, size_t n)
{
	size_t pos = 0, tl;
	const char *ts;
	while (next_token(s, n, &pos, &ts, &tl)) {
		if (tl < q->vlen)
			continue;
		size_t k = 0;
		while (k < q->vlen && (char)tolower((unsigned char)ts[k]) == q->value[k])
			k++;
		if (k == q->vlen)
			return 1;
	}
	return 0;
}

/* The threads of a scan share the query: each takes the node's match data
 * while it matches, and one that finds it taken uses its own. */
static int regex_in(const struct ag_qnode *q, const char *s, size_t n)
{
	struct ag_qnode *w = (struct ag_qnode *)q;
	pcre2_match_data *md = __atomic_exchange_n(&w->md, NULL, __ATOMIC_ACQ_REL);
	if (!md && !(md = pcre2_match_data_create(1, NULL)))
		abort(); /* out of memory, as sl_malloc */
	int r = pcre2_match(q->re, (PCRE2_SPTR)s, n, 0, 0, md, NULL) >= 0;
	md = __atomic_exchange_n(&w->md, md, __ATOMIC_ACQ_REL);
	if (md)
		pcre2_match_data_free(md);
	return r;
}

static int cmp_bytes(const char *a, size_t al, const char *b)
{
	size_t bl = strlen(b);
	int c = memcmp(a, b, al < bl ? al : bl);
	if (c)
		return c;
	return al < bl ? -1 : al > bl;
}

static int in_range(const struct ag_qnode *q, const struct ag_field *f)
{
	if (q->is_num) {
		if (f->type != AG_F_NUM)
			return 0;
		if (q->lo_s && (f->num < q->lo || (!q->lo_incl && f->num == q->lo)))
			return 0;
		if (q->hi_s && (f->num > q->hi || (!q->hi_incl && f->num == q->hi)))
			return 0;
		return 1;
	}
	if (f->type != AG_F_STR)
		return 0;
	if (q->lo_s) {
		int c = cmp_bytes(f->val, f->vlen, q->lo_s);
		if (c < 0 || (c == 0 && !q->lo_incl))
			return 0;
	}
	if (q->hi_s) {
		int c = cmp_bytes(f->val, f->vlen, q->hi_s);
		if (c > 0 || (c == 0 && !q->hi_incl))
			return 0;
	}
	return 1;
}

static int field_matches(const struct ag_qnode *q, const struct ag_field *f)
{
	switch (q->kind) {
	case AG_Q_EQ:
		if (f->type == AG_F_NUM)
			return q->is_num && f->num == q->num;
		return f->vlen == q->vlen && !memcmp(f->val, q->value, q->vlen);
	case AG_Q_PREFIX:
		return f->vlen >= q->vlen && !memcmp(f->val, q->value, q->vlen);
	case AG_Q_REGEX:
		return regex_in(q, f->val, f->vlen);
	case AG_Q_RANGE:
		return in_range(q, f);
	case AG_Q_PHRASE:
		return f->type == AG_F_STR && phrase_in(q, f->val, f->vlen);
	case AG_Q_WPREFIX:
		return f->type == AG_F_STR && wprefix_in(q, f->val, f->vlen);
	default:
		return 0;
	}
}

int ag_query_match_event(const struct ag_qnode *n, const struct ag_event *ev)
{
	switch (n->kind) {
	case AG_Q_ALL:
		return 1;
	case AG_Q_AND:
		for (size_t i = 0; i < n->n; i++)
			if (!ag_query_match_event(n->kids[i], ev))
				return 0;
		return 1;
	case AG_Q_OR:
		for (size_t i = 0; i < n->n; i++)
			if (ag_query_match_event(n->kids[i], ev))
				return 1;
		return 0;
	case AG_Q_NOT:
		return !ag_query_match_event(n->kids[0], ev);
	case AG_Q_EXISTS: {
		size_t fl = strlen(n->field);
		for (size_t i = 0; i < ev->n; i++) {
			const struct ag_field *f = &ev->f[i];
			if (f->klen >= fl && !memcmp(f->key, n->field, fl) &&
			    (f->klen == fl || f->key[fl] == '.'))
				return 1;
		}
		return 0;
	}
	default: {
		/* words, phrases and regexes without a field look at message */
		const char *key = n->field ? n->field : "message";
		for (size_t i = 0; i < ev->n; i++)
			if (!strcmp(ev->f[i].key, key) && field_matches(n, &ev->f[i]))
				return 1;
		return 0;
	}
	}
}

/* Writes the yajl tree x as JSON into b (b grows; the caller frees it). */
static void tree_json(struct sl_buf *b, yajl_val x)
{
	if (YAJL_IS_OBJECT(x)) {
		sl_buf_putc(b, '{');
		for (size_t i = 0; i < x->u.object.len; i++) {
			if (i)
				sl_buf_putc(b, ',');
			sl_json_str(b, x->u.object.keys[i], strlen(x->u.object.keys[i]));
			sl_buf_putc(b, ':');
			tree_json(b, x->u.object.values[i]);
		}
		sl_buf_putc(b, '}');
	} else if (YAJL_IS_ARRAY(x)) {
		sl_buf_putc(b, '[');
		for (size_t i = 0; i < x->u.array.len; i++) {
			if (i)
				sl_buf_putc(b, ',');
			tree_json(b, x->u.array.values[i]);
		}
		sl_buf_putc(b, ']');
	} else if (YAJL_IS_STRING(x)) {
		sl_json_str(b, x->u.string, strlen(x->u.string));
	} else if (YAJL_IS_NUMBER(x)) {
		sl_buf_puts(b, x->u.number.r);
	} else {
		sl_buf_puts(b, YAJL_IS_TRUE(x) ? "true" : YAJL_IS_FALSE(x) ? "false" : "null");
	}
}

int ag_query_match(const struct ag_qnode *n, yajl_val v)
{
	/* serializes and flattens the tree: for tests and tools */
	struct sl_buf b = {0};
	struct ag_event ev = {0};
	int m = 0;
	if (!YAJL_IS_OBJECT(v))
		return 0;
	tree_json(&b, v);
	if (ag_event_parse(&ev, b.data, b.len) == 0)
		m = ag_query_match_event(n, &ev);
	ag_event_free(&ev);
	sl_buf_free(&b);
	return m;
}

int ag_query_is_all(const struct ag_qnode *n)
{
	if (n->kind == AG_Q_ALL)
		return 1;
	if (n->kind == AG_Q_AND) {
		for (size_t i = 0; i < n->n; i++)
			if (!ag_query_is_all(n->kids[i]))
				return 0;
		return 1;
	}
	if (n->kind == AG_Q_OR) {
		for (size_t i = 0; i < n->n; i++)
			if (ag_query_is_all(n->kids[i]))
				return 1;
	}
	return 0;
}

/* ================================================================== */
/* Columns                                                            */
/* ================================================================== */

/* Sets the first nev bits of b to on, the rest of its last word to 0. */
static void bits_fill(uint64_t *b, size_t nev, int on)
{
	size_t nw = (nev + 63) / 64;
	memset(b, on ? 0xff : 0, nw * sizeof *b);
	if (on && nev % 64)
		b[nw - 1] = (UINT64_C(1) << (nev % 64)) - 1;
}

static struct ag_column *column_of(const struct ag_columns *cs, const char *key)
{
	for (size_t i = 0; i < cs->n; i++)
		if (!strcmp(cs->c[i].key, key))
			return &cs->c[i];
	return NULL;
}

/* The codes of column c, loaded if need be; NULL if they cannot be. */
static const uint8_t *codes_of(const struct ag_columns *cs, struct ag_column *c)
{
	if (!c->codes && (!cs->load || cs->load(cs->ud, c)))
		return NULL;
	return c->codes;
}

/* Sets bit j of yes (ORs it in) for each event j whose code is one m marks
 * (m[code] is 0 or 1): 64 events a word, built in a register. */
static void bits_of_codes(uint64_t *yes, const uint8_t *codes, size_t nev, const uint8_t m[256])
{
	size_t w = 0, j = 0;
#ifdef __SSE2__
	/* most leaves match one code or a few (level:error): compare 16 codes
	 * at a time with each */
	uint8_t one[4];
	size_t n1 = 0;
	for (unsigned c = 0; c < 256; c++) {
		if (m[c] && n1 < 4)
			one[n1] = (uint8_t)c;
		n1 += m[c] != 0;
	}
	size_t n0 = 256 - n1;
	int inv = n1 > 4 && n0 <= 4; /* "every code but these": the others */
	if (inv)
		for (unsigned c = 0, k = 0; c < 256; c++)
			if (!m[c])
				one[k++] = (uint8_t)c;
	size_t nc = inv ? n0 : n1;
	for (; nc <= 4 && nev - j >= 64; w++, j += 64) {
		uint64_t b = 0;
		for (size_t k = 0; k < 64; k += 16) {
			__m128i x = _mm_loadu_si128((const __m128i *)(const void *)(codes + j + k));
			__m128i hit = _mm_setzero_si128();
			for (size_t i = 0; i < nc; i++)
				hit = _mm_or_si128(hit,
				                   _mm_cmpeq_epi8(x, _mm_set1_epi8((char)one[i])));
			b |= (uint64_t)(unsigned)_mm_movemask_epi8(hit) << k;
		}
		yes[w] |= inv ? ~b : b;
	}
#endif
	for (; j < nev; w++) {
		size_t e = nev - j < 64 ? nev - j : 64;
		uint64_t b = 0;
		for (size_t k = 0; k < e; k++)
			b |= (uint64_t)m[codes[j + k]] << k;
		yes[w] |= b;
		j += e;
	}
}

/* Sets the bits of the events whose value of column c matches leaf n: the
 * event evaluator decides once per distinct value. */
static void column_leaf(const struct ag_qnode *n, const struct ag_column *c, const uint8_t *codes,
                        size_t nev, uint64_t *yes)
{
	uint8_t m[256] = {0}; /* code 0: absent, which no field leaf matches */
	for (size_t i = 0; i < c->ndict && i < 255; i++) {
		struct ag_event one = {.f = (struct ag_field *)&c->dict[i], .n = 1};
		m[i + 1] = (uint8_t)ag_query_match_event(n, &one);
	}
	bits_fill(yes, nev, 0);
	bits_of_codes(yes, codes, nev, m);
}

void ag_query_columns(const struct ag_qnode *n, const struct ag_columns *cs, uint64_t *yes,
                      uint64_t *maybe)
{
	size_t nw = (cs->nev + 63) / 64;
	switch (n->kind) {
	case AG_Q_ALL:
		bits_fill(yes, cs->nev, 1);
		bits_fill(maybe, cs->nev, 1);
		return;
	case AG_Q_AND:
	case AG_Q_OR:
	case AG_Q_NOT: {
		int is_and = n->kind == AG_Q_AND;
		uint64_t *y = sl_malloc(2 * (nw ? nw : 1) * sizeof *y), *m = y + nw;
		bits_fill(yes, cs->nev, is_and);
		bits_fill(maybe, cs->nev, is_and);
		for (size_t i = 0; i < n->n; i++) {
			ag_query_columns(n->kids[i], cs, y, m);
			for (size_t w = 0; w < nw; w++) {
				if (n->kind == AG_Q_NOT) {
					yes[w] = ~m[w];
					maybe[w] = ~y[w];
				} else if (is_and) {
					yes[w] &= y[w];
					maybe[w] &= m[w];
				} else {
					yes[w] |= y[w];
					maybe[w] |= m[w];
				}
			}
		}
		if (n->kind == AG_Q_NOT && cs->nev % 64) {
			yes[nw - 1] &= (UINT64_C(1) << (cs->nev % 64)) - 1;
			maybe[nw - 1] &= (UINT64_C(1) << (cs->nev % 64)) - 1;
		}
		free(y);
		return;
	}
	case AG_Q_EXISTS: {
		/* the field or a field under it: every such name must be a column */
		size_t fl = strlen(n->field);
		bits_fill(yes, cs->nev, 0);
		int unknown = !cs->complete;
		for (size_t i = 0; i < cs->n; i++) {
			struct ag_column *c = &cs->c[i];
			if (c->klen < fl || memcmp(c->key, n->field, fl) ||
			    (c->klen != fl && c->key[fl] != '.'))
				continue;
			const uint8_t *codes = c->is_col ? codes_of(cs, c) : NULL;
			if (!codes) {
				unknown = 1;
				continue;
			}
			uint8_t present[256];
			memset(present, 1, sizeof present);
			present[0] = 0; /* code 0: the event lacks it */
			bits_of_codes(yes, codes, cs->nev, present);
		}
		if (unknown)
			bits_fill(maybe, cs->nev, 1);
		else
			memcpy(maybe, yes, nw * sizeof *yes);
		return;
	}
	default: {
		/* words, phrases and regexes without a field look at message */
		struct ag_column *c = column_of(cs, n->field ? n->field : "message");
		const uint8_t *codes = c && c->is_col ? codes_of(cs, c) : NULL;
		if (codes) {
			column_leaf(n, c, codes, cs->nev, yes);
			memcpy(maybe, yes, nw * sizeof *yes);
		} else {
			bits_fill(yes, cs->nev, 0);
			/* a field none of the events has matches none of them */
			bits_fill(maybe, cs->nev, c || !cs->complete);
		}
		return;
	}
	}
}

/* ================================================================== */
/* Index keys                                                         */
/* ================================================================== */

/* Keys: 'w' token (lower-cased message tokens), 'k' field name (and each
 * dotted prefix of it), 'v' name NUL text (strings, booleans, null), 'n' name
 * NUL canonical number. */
static uint64_t key_hash(char kind, const char *name, size_t nl, const char *v, size_t vl)
{
	char small[512];
	size_t total = 1 + nl + (v ? 1 + vl : 0);
	char *b = total <= sizeof small ? small : sl_malloc(total);
	b[0] = kind;
	memcpy(b + 1, name, nl);
	if (v) {
		b[1 + nl] = '\0';
		memcpy(b + 2 + nl, v, vl);
	}
	uint64_t h = ag_hash(b, total);
	if (b != small)
		free(b);
	return h;
}

static uint64_t word_hash(const char *t, size_t n)
{
	char small[256];
	if (n + 1 > sizeof small)
		n = sizeof small - 1; /* long tokens: their first 255 bytes */
	small[0] = 'w';
	/* tolower of the C locale (the aggregator sets no other), without a
	 * call per byte */
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)t[i];
		small[1 + i] = (char)((unsigned)(c - 'A') < 26u ? c + ('a' - 'A') : c);
	}
	return ag_hash(small, n + 1);
}

static int value_indexed(const char *name, size_t vlen)
{
	if (vlen > MAX_INDEXED_VALUE)
		return 0;
	for (size_t i = 0; i < sizeof unindexed_values / sizeof *unindexed_values; i++)
		if (!strcmp(name, unindexed_values[i]))
			return 0;
	return 1;
}

struct keys_ud {
	void (*add)(void *, uint64_t);
	void *ud;
};

static int add_word(void *ud, const char *s, size_t n)
{
	struct keys_ud *k = ud;
	k->add(k->ud, word_hash(s, n));
	return 0;
}

/* value_indexed() of a field, comparing names only where their first bytes agree */
static int index_value(const struct ag_field *f)
{
	if (f->vlen > MAX_INDEXED_VALUE)
		return 0;
	for (size_t i = 0; i < sizeof unindexed_values / sizeof *unindexed_values; i++)
		if (f->key[0] == unindexed_values[i][0] && !strcmp(f->key, unindexed_values[i]))
			return 0;
	return 1;
}

/* The keys of the fields at the first KC_FIELDS positions of the previous
 * event the thread indexed: events of one source have the same fields in
 * the same order, and most values of a field repeat, so hashing a key again
 * is mostly a comparison with the one before. */
#define KC_FIELDS 64
#define KC_TEXT   48 /* names and values longer than this are not kept */
struct kc_ent {
	char key[KC_TEXT], val[KC_TEXT];
	uint8_t klen, vlen; /* KC_TEXT + 1: nothing kept */
	uint8_t nprefix;    /* dotted prefixes of key, at most 8 kept */
	char vkind;         /* 'v' or 'n' */
	uint64_t kh, vh, ph[8];
};
static _Thread_local struct kc_ent kc[KC_FIELDS];

size_t ag_index_keys(const struct ag_event *ev, void (*add)(void *ud, uint64_t h), void *ud)
{
	struct keys_ud k = {add, ud};
	size_t nfield = 0;
#define ADD(h) (add(ud, (h)), nfield++)
	for (size_t i = 0; i < ev->n; i++) {
		const struct ag_field *f = &ev->f[i];
		struct kc_ent *c = i < KC_FIELDS ? &kc[i] : NULL;
		int same = c && f->klen <= KC_TEXT && f->klen == c->klen &&
		           sl_mem_eq(f->key, c->key, f->klen);
		if (!same) {
			size_t np = 0;
			uint64_t ph[8], kh = key_hash('k', f->key, f->klen, NULL, 0);
			ADD(kh);
			for (size_t j = 0; j < f->klen; j++) {
				if (f->key[j] != '.')
					continue;
				uint64_t h = key_hash('k', f->key, j, NULL, 0);
				ADD(h);
				if (np < 8)
					ph[np] = h;
				np++;
			}
			if (c && f->klen <= KC_TEXT && np <= 8) {
				memcpy(c->key, f->key, f->klen);
				c->klen = (uint8_t)f->klen;
				c->kh = kh;
				c->nprefix = (uint8_t)np;
				memcpy(c->ph, ph, np * sizeof *ph);
				c->vlen = KC_TEXT + 1;
				same = 1;
			} else if (c) {
				c->klen = c->vlen = KC_TEXT + 1;
			}
		} else {
			ADD(c->kh);
			for (size_t j = 0; j < c->nprefix; j++)
				ADD(c->ph[j]);
		}
		if (!index_value(f))
			continue;
		/* the value's text: a number's canonical form */
		char cn[32];
		const char *v = f->val;
		size_t vl = f->vlen;
		char kind = 'v';
		if (f->type == AG_F_NUM) {
			vl = ag_num_canon(f->num, cn);
			v = cn;
			kind = 'n';
		}
		if (same && vl <= KC_TEXT && vl == c->vlen && kind == c->vkind &&
		    sl_mem_eq(v, c->val, vl)) {
			ADD(c->vh);
			continue;
		}
		uint64_t vh = key_hash(kind, f->key, f->klen, v, vl);
		ADD(vh);
		if (same && vl <= KC_TEXT) {
			memcpy(c->val, v, vl);
			c->vlen = (uint8_t)vl;
			c->vkind = kind;
			c->vh = vh;
		}
	}
	/* the words last: an event's other keys are then at the places the
	 * previous event of the same fields had them (ag_store_add_event) */
	for (size_t i = 0; i < ev->n; i++) {
		const struct ag_field *f = &ev->f[i];
		if (f->type == AG_F_STR && f->klen == 7 && !memcmp(f->key, "message", 7))
			ag_tokenize(f->val, f->vlen, add_word, &k);
	}
	return nfield;
#undef ADD
}

/* 1 if any of a[0..nw) is set */
static int bits_some(const uint64_t *a, size_t nw)
{
	for (size_t i = 0; i < nw; i++)
		if (a[i])
			return 1;
	return 0;
}

/* 1 if all of a[0..nw) are set */
static int bits_full(const uint64_t *a, size_t nw)
{
	for (size_t i = 0; i < nw; i++)
		if (~a[i])
			return 0;
	return 1;
}

void ag_query_may_bits(const struct ag_qnode *n,
                       void (*rows)(void *ud, uint64_t h, int word, uint64_t *bits), void *ud,
                       uint64_t *out, size_t nw)
{
	/* scratch: two words a filter on the stack for one filter (a frame's
	 * own, tested per frame), else allocated */
	uint64_t small[2], *t = NULL;
	if (n->kind == AG_Q_ALL || n->kind == AG_Q_NOT) {
		memset(out, 0xff, nw * sizeof *out);
		return;
	}
	if (n->kind == AG_Q_AND || n->kind == AG_Q_OR || n->kind == AG_Q_PHRASE ||
	    n->kind == AG_Q_EQ)
		t = nw == 1 ? small : sl_malloc(2 * nw * sizeof *t);
	switch (n->kind) {
	case AG_Q_AND:
	case AG_Q_OR: {
		int conj = n->kind == AG_Q_AND;
		memset(out, conj ? 0xff : 0, nw * sizeof *out);
		/* a side is asked only while the answer can still change */
		for (size_t i = 0; i < n->n; i++) {
			ag_query_may_bits(n->kids[i], rows, ud, t, nw);
			for (size_t w = 0; w < nw; w++)
				out[w] = conj ? out[w] & t[w] : out[w] | t[w];
			if (conj ? !bits_some(out, nw) : bits_full(out, nw))
				break;
		}
		break;
	}
	case AG_Q_PHRASE:
		memset(out, 0xff, nw * sizeof *out);
		for (size_t i = 0; i < n->ntok && bits_some(out, nw); i++) {
			rows(ud, word_hash(n->tokens[i], strlen(n->tokens[i])), 1, t);
			for (size_t w = 0; w < nw; w++)
				out[w] &= t[w];
		}
		break;
	case AG_Q_EQ: {
		size_t fl = strlen(n->field);
		rows(ud, key_hash('k', n->field, fl, NULL, 0), 0, out);
		if (!value_indexed(n->field, n->vlen) || !bits_some(out, nw))
			break;
		rows(ud, key_hash('v', n->field, fl, n->value, n->vlen), 0, t);
		if (n->is_num) {
			char c[32];
			size_t cl = ag_num_canon(n->num, c);
			rows(ud, key_hash('n', n->field, fl, c, cl), 0, t + nw);
			for (size_t w = 0; w < nw; w++)
				t[w] |= t[nw + w];
		}
		for (size_t w = 0; w < nw; w++)
			out[w] &= t[w];
		break;
	}
	default: {
		const char *f = n->field ? n->field : "message";
		rows(ud, key_hash('k', f, strlen(f), NULL, 0), 0, out);
		break;
	}
	}
	if (t != small)
		free(t);
}

/* ag_query_may_match through ag_query_may_bits, one filter: its test */
struct one_filter {
	int (*test)(void *ud, uint64_t h, int word);
	void *ud;
};

static void one_row(void *ud, uint64_t h, int word, uint64_t *bits)
{
	const struct one_filter *o = ud;
	*bits = o->test(o->ud, h, word) ? ~0ULL : 0;
}

int ag_query_may_match(const struct ag_qnode *n, int (*test)(void *ud, uint64_t h, int word),
                       void *ud)
{
	struct one_filter o = {test, ud};
	uint64_t b;
	ag_query_may_bits(n, one_row, &o, &b, 1);
	return b != 0;
}

/* ================================================================== */
/* Prefilter                                                          */
/* ================================================================== */

/* Appends a copy of s to pf (freed by ag_prefilter_free). */
static void lit_add(struct ag_prefilter *pf, const char *s, size_t n, int ci)
{
	if (!n)
		return;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\' || c < 0x20)
			return; /* would be escaped in JSON text */
	}
	pf->lit = sl_realloc(pf->lit, (pf->n + 1) * sizeof *pf->lit);
	pf->lit[pf->n].s = sl_strndup(s, n);
	pf->lit[pf->n].n = n;
	pf->lit[pf->n].ci = ci;
	pf->n++;
}

static void field_lit(struct ag_prefilter *pf, const char *field)
{
	const char *dot = strrchr(field, '.');
	const char *last = dot ? dot + 1 : field;
	lit_add(pf, last, strlen(last), 0);
}

static void prefilter_walk(const struct ag_qnode *n, struct ag_prefilter *pf)
{
	switch (n->kind) {
	case AG_Q_AND:
		for (size_t i = 0; i < n->n; i++)
			prefilter_walk(n->kids[i], pf);
		break;
	case AG_Q_PHRASE:
		for (size_t i = 0; i < n->ntok; i++)
			lit_add(pf, n->tokens[i], strlen(n->tokens[i]), 1);
		break;
	case AG_Q_WPREFIX:
		lit_add(pf, n->value, n->vlen, 1);
		break;
	case AG_Q_EQ:
		field_lit(pf, n->field);
		if (!n->is_num)
			lit_add(pf, n->value, n->vlen, 0);
		break;
	case AG_Q_PREFIX:
		field_lit(pf, n->field);
		lit_add(pf, n->value, n->vlen, 0);
		break;
	case AG_Q_RANGE:
	case AG_Q_EXISTS:
		field_lit(pf, n->field);
		break;
	case AG_Q_REGEX:
		if (n->field)
			field_lit(pf, n->field);
		break;
	default: /* ALL, OR, NOT: nothing every match must contain */
		break;
	}
}

void ag_prefilter_build(const struct ag_qnode *q, struct ag_prefilter *pf)
{
	memset(pf, 0, sizeof *pf);
	prefilter_walk(q, pf);
}

void ag_prefilter_free(struct ag_prefilter *pf)
{
	for (size_t i = 0; i < pf->n; i++)
		free(pf->lit[i].s);
	free(pf->lit);
	memset(pf, 0, sizeof *pf);
}

/* ASCII letters folded to lower case; other bytes as they are */
static inline unsigned char fold(unsigned char c)
{
	return (unsigned char)((unsigned)c - 'A' < 26u ? c + 32 : c);
}

/* 1 if p[0..n) equals l[0..n) with ASCII letters folded */
static inline int ci_equal(const unsigned char *p, const unsigned char *l, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (fold(p[i]) != fold(l[i]))
			return 0;
	return 1;
}

int ag_literal_in(const struct ag_literal *l, const char *s, size_t n)
{
	return ag_literal_find(l, s, n) != NULL;
}

const char *ag_literal_find(const struct ag_literal *l, const char *s, size_t n)
{
	if (l->n > n)
		return NULL;
	if (!l->ci)
		return memmem(s, n, l->s, l->n);
	const unsigned char *ls = (const unsigned char *)l->s;
	unsigned char lo = fold(ls[0]),
	              up = (unsigned char)((unsigned)lo - 'a' < 26u ? lo - 32 : lo);
	const unsigned char *end = (const unsigned char *)s + n - l->n;
	/* the first byte in either case, then the rest (the second byte first:
	 * most candidates fail there) */
	const unsigned char *first = NULL;
	for (int pass = 0; pass < 1 + (lo != up); pass++) {
		unsigned char c = pass ? up : lo;
		if (first == (const unsigned char *)s)
			break;
		/* the second pass looks only before what the first found */
		const unsigned char *last = first ? first - 1 : end;
		for (const unsigned char *p = (const unsigned char *)s; p <= last; p++) {
			p = memchr(p, c, (size_t)(last - p) + 1);
			if (!p)
				break;
			if (ci_equal(p + 1, ls + 1, l->n - 1)) {
				first = p;
				break;
			}
		}
	}
	return (const char *)first;
}

int ag_prefilter_pass(const struct ag_prefilter *pf, const char *line, size_t len)
{
	if (!pf->n || memchr(line, '\\', len))
		return 1;
	for (size_t i = 0; i < pf->n; i++)
		if (!ag_literal_in(&pf->lit[i], line, len))
			return 0;
	return 1;
}
