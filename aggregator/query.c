/*
 * query — parser and evaluator.
 */
#include "query.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sl_buf.h"

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
	free(n);
}

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

static int fieldchar(unsigned char c)
{
	return isalnum(c) || c == '_' || c == '.' || c == '@' || c == '-';
}

struct ag_qnode *ag_query_parse(const char *q, char *err, size_t errlen)
{
	struct ag_qnode *root = sl_calloc(1, sizeof *root);
	root->kind = AG_Q_AND;
	size_t i = 0, n = strlen(q);
	struct sl_buf val = {0};
	while (i < n) {
		if (isspace((unsigned char)q[i])) {
			i++;
			continue;
		}
		size_t start = i;
		/* bare AND between terms */
		if (!strncmp(q + i, "AND", 3) && (i + 3 == n || isspace((unsigned char)q[i + 3]))) {
			i += 3;
			continue;
		}
		if ((!strncmp(q + i, "OR", 2) &&
		     (i + 2 == n || isspace((unsigned char)q[i + 2]))) ||
		    (!strncmp(q + i, "NOT", 3) &&
		     (i + 3 == n || isspace((unsigned char)q[i + 3]))) ||
		    q[i] == '(' || q[i] == ')' || q[i] == '-') {
			snprintf(err, errlen, "query:1:%zu: '%.*s' is not supported yet", i + 1,
			         q[i] == 'O'   ? 2
			         : q[i] == 'N' ? 3
			                       : 1,
			         q + i);
			goto fail;
		}
		struct ag_qnode *t = sl_calloc(1, sizeof *t);
		root->kids = sl_realloc(root->kids, (root->n + 1) * sizeof *root->kids);
		root->kids[root->n++] = t;
		/* field:value? */
		size_t j = i;
		while (j < n && fieldchar((unsigned char)q[j]))
			j++;
		int is_field = j > i && j < n && q[j] == ':';
		if (is_field) {
			t->kind = AG_Q_FIELD;
			t->field = sl_strndup(q + i, j - i);
			i = j + 1;
		} else {
			t->kind = AG_Q_PHRASE;
		}
		sl_buf_reset(&val);
		sl_buf_puts(&val, "");
		if (i < n && q[i] == '"') {
			size_t qstart = i++;
			while (i < n && q[i] != '"') {
				if (q[i] == '\\' && i + 1 < n)
					i++;
				sl_buf_putc(&val, q[i++]);
			}
			if (i >= n) {
				snprintf(err, errlen, "query:1:%zu: unterminated quote",
				         qstart + 1);
				goto fail;
			}
			i++;
		} else {
			while (i < n && !isspace((unsigned char)q[i])) {
				if (q[i] == '"') {
					snprintf(err, errlen, "query:1:%zu: unexpected '\"'",
					         i + 1);
					goto fail;
				}
				sl_buf_putc(&val, q[i++]);
			}
		}
		if (t->kind == AG_Q_FIELD) {
			if (!val.len && (i >= n || isspace((unsigned char)q[i])) &&
			    q[i - 1] == ':') {
				snprintf(err, errlen, "query:1:%zu: expected a value after ':'",
				         i + 1);
				goto fail;
			}
			t->value = sl_strndup(val.data, val.len);
		} else if (val.len == 1 && val.data[0] == '*') {
			t->kind = AG_Q_ALL;
		} else {
			ag_tokenize(val.data, val.len, push_token, t);
			if (!t->ntok) {
				snprintf(err, errlen,
				         "query:1:%zu: '%s' has no letters or digits to search for",
				         start + 1, val.data);
				goto fail;
			}
		}
	}
	sl_buf_free(&val);
	return root;
fail:
	sl_buf_free(&val);
	ag_query_free(root);
	return NULL;
}

/* ---- evaluation ---- */

struct phrase_state {
	const struct ag_qnode *q;
	int found;
	/* ring of the last 16 tokens; a phrase matches when they end with it */
	const char *rs[16];
	size_t rl[16];
	size_t seen;
};

static int tok_eq(const char *a, size_t al, const char *lower)
{
	size_t bl = strlen(lower);
	return al == bl && !strncasecmp(a, lower, al);
}

static int phrase_tok(void *ud, const char *s, size_t n)
{
	struct phrase_state *st = ud;
	const struct ag_qnode *q = st->q;
	st->rs[st->seen % 16] = s;
	st->rl[st->seen % 16] = n;
	st->seen++;
	size_t k = q->ntok < 16 ? q->ntok : 16; /* longer phrases: their first 16 tokens */
	if (st->seen < k)
		return 0;
	for (size_t i = 0; i < k; i++) {
		size_t at = (st->seen - k + i) % 16;
		if (!tok_eq(st->rs[at], st->rl[at], q->tokens[i]))
			return 0;
	}
	st->found = 1;
	return 1;
}

static yajl_val field(yajl_val ev, const char *name)
{
	if (!YAJL_IS_OBJECT(ev))
		return NULL;
	for (size_t i = 0; i < ev->u.object.len; i++)
		if (!strcmp(ev->u.object.keys[i], name))
			return ev->u.object.values[i];
	return NULL;
}

int ag_query_match(const struct ag_qnode *n, yajl_val ev)
{
	switch (n->kind) {
	case AG_Q_ALL:
		return 1;
	case AG_Q_AND:
		for (size_t i = 0; i < n->n; i++)
			if (!ag_query_match(n->kids[i], ev))
				return 0;
		return 1;
	case AG_Q_PHRASE: {
		yajl_val m = field(ev, "message");
		if (!YAJL_IS_STRING(m))
			return 0;
		struct phrase_state st = {.q = n};
		const char *s = m->u.string;
		ag_tokenize(s, strlen(s), phrase_tok, &st);
		return st.found;
	}
	case AG_Q_FIELD: {
		yajl_val v = field(ev, n->field);
		if (!v)
			return 0;
		if (YAJL_IS_STRING(v))
			return !strcmp(v->u.string, n->value);
		if (YAJL_IS_NUMBER(v))
			return !strcmp(v->u.number.r, n->value);
		if (YAJL_IS_TRUE(v))
			return !strcmp(n->value, "true");
		if (YAJL_IS_FALSE(v))
			return !strcmp(n->value, "false");
		if (YAJL_IS_NULL(v))
			return !strcmp(n->value, "null");
		return 0;
	}
	}
	return 0;
}
