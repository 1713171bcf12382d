/*
 * redact — PCRE2 patterns replaced in every record before it is parsed, so
 * no field derived from it carries the secret and nothing leaves the node
 * with it. Built-in rules (on unless `builtin: false`): passwords in URLs
 * (scheme://user:secret@host), bearer tokens, AWS access key ids. Each
 * built-in has a cheap pre-check (memmem/memchr) so clean records skip its regex.
 *
 *   redact:
 *     builtin: true        # or false, or a list of names
 *     rules:
 *       - {pattern: 'ssn=\d+', replace: 'ssn=[REDACTED]'}
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <ctype.h>
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "formats.h"

/* What one pass over a record found: a built-in rule whose flag is not set
 * cannot match, and its regex is skipped. */
enum {
	F_URL = 1,    /* "://" followed by an '@' before a space */
	F_BEARER = 2, /* "bearer" in any case */
	F_AWS = 4,    /* AKIA/ASIA/... with room for a key after it */
	F_ALL = 7,
};

/* memchr-driven (vectorized by libc): a clean record costs a few passes. */
static unsigned scan_flags(const char *s, size_t n)
{
	unsigned f = 0;
	const char *end = s + n, *p;
	/* the URL rule needs "://" before an '@': none in most records; JSON has a ':'
	 * after every key, so this saves a memchr per key */
	const char *at = memrchr(s, '@', n);
	for (p = s; at && (p = memchr(p, ':', (size_t)(at - p))); p++) {
		if (end - p < 4 || p[1] != '/' || p[2] != '/')
			continue;
		for (const char *q = p + 3; q < end && *q != ' ' && *q != '\t'; q++)
			if (*q == '@') {
				f |= F_URL;
				break;
			}
		if (f & F_URL)
			break;
	}
	for (int c = 0; c < 2 && !(f & F_BEARER); c++)
		for (p = s; (p = memchr(p, c ? 'B' : 'b', (size_t)(end - p))); p++)
			if (end - p >= 6 && (p[1] | 0x20) == 'e' && (p[2] | 0x20) == 'a' &&
			    (p[3] | 0x20) == 'r' && (p[4] | 0x20) == 'e' && (p[5] | 0x20) == 'r') {
				f |= F_BEARER;
				break;
			}
	for (p = s; end - p >= 20 && (p = memchr(p, 'A', (size_t)(end - p - 19))); p++)
		if (p[3] == 'A' && p[1] && strchr("KSGIRN", p[1])) {
			f |= F_AWS;
			break;
		}
	return f;
}

struct rule {
	pcre2_code *re;
	char *replace;
	unsigned flag; /* built-ins: the scan_flags bit it needs; 0: always run */
};

struct sl_redact {
	struct rule *rules;
	size_t n;
	pcre2_match_data *md;
	struct sl_buf a, b;
};

static const struct {
	const char *name, *pattern, *replace;
	unsigned flag;
} builtins[] = {
    {"url_password", "([A-Za-z][A-Za-z0-9+.-]*://[^:/?#@\\s]*):[^@/\\s]+@", "$1:[REDACTED]@",
     F_URL},
    {"bearer", "(?i)(\\bbearer\\s+)[A-Za-z0-9\\-._~+/]+=*", "$1[REDACTED]", F_BEARER},
    {"aws_key", "\\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[0-9A-Z]{16}\\b", "[REDACTED]",
     F_AWS},
};

/* Appends a compiled rule; r owns it (sl_redact_free). */
static int add_rule(struct sl_redact *r, const char *pattern, const char *replace, unsigned flag,
                    const char *what, char *err, size_t errlen)
{
	pcre2_code *re = sl_regex_compile(pattern, PCRE2_ZERO_TERMINATED, what, err, errlen);
	if (!re)
		return -1;
	r->rules = sl_realloc(r->rules, (r->n + 1) * sizeof *r->rules);
	r->rules[r->n].re = re;
	r->rules[r->n].replace = sl_strdup(replace);
	r->rules[r->n].flag = flag;
	r->n++;
	return 0;
}

static int builtin_on(const struct sl_cfg_node *b, const char *name, int *on, char *err,
                      size_t errlen)
{
	if (!b) {
		*on = 1;
		return 0;
	}
	if (b->type == SL_CFG_SCALAR) {
		if (!strcasecmp(b->value, "true") || !strcasecmp(b->value, "yes")) {
			*on = 1;
			return 0;
		}
		if (!strcasecmp(b->value, "false") || !strcasecmp(b->value, "no")) {
			*on = 0;
			return 0;
		}
	} else if (b->type == SL_CFG_SEQ) {
		*on = 0;
		for (size_t i = 0; i < b->n; i++)
			if (b->kids[i]->type == SL_CFG_SCALAR && !strcmp(b->kids[i]->value, name))
				*on = 1;
		return 0;
	}
	snprintf(err, errlen,
	         "redact.builtin: expected true, false or a list of url_password, "
	         "bearer, aws_key");
	return -1;
}

static int add_user_rules(struct sl_redact *r, const struct sl_cfg_node *rules, const char *key,
                          char *err, size_t errlen)
{
	if (rules->type != SL_CFG_SEQ) {
		snprintf(err, errlen, "%s: expected a list of {pattern, replace}", key);
		return -1;
	}
	for (size_t i = 0; i < rules->n; i++) {
		char prefix[64], what[80];
		snprintf(prefix, sizeof prefix, "%s[%zu].", key, i);
		const char *pattern = NULL, *replace = "[REDACTED]";
		const struct sl_popt tab[] = {
		    {"pattern", SL_POPT_STR, &pattern},
		    {"replace", SL_POPT_STR, &replace},
		    {0},
		};
		if (sl_popt_read(rules->kids[i], prefix, tab, err, errlen))
			return -1;
		if (!pattern) {
			snprintf(err, errlen, "%spattern: is required", prefix);
			return -1;
		}
		snprintf(what, sizeof what, "%spattern", prefix);
		if (add_rule(r, pattern, replace, 0, what, err, errlen))
			return -1;
	}
	return 0;
}

/* Ownership: the returned rule set is the caller's, freed by sl_redact_free. */
struct sl_redact *sl_redact_new(const struct sl_cfg_node *node, char *err, size_t errlen)
{
	struct sl_redact *r = sl_calloc(1, sizeof *r);
	const struct sl_cfg_node *builtin = NULL, *rules = NULL;
	if (node && node->type == SL_CFG_SEQ) {
		rules = node;
	} else if (node) {
		const struct sl_popt tab[] = {
		    {"builtin", SL_POPT_NODE, &builtin},
		    {"rules", SL_POPT_NODE, &rules},
		    {0},
		};
		if (sl_popt_read(node, "redact.", tab, err, errlen))
			goto fail;
	}
	for (size_t i = 0; i < sizeof builtins / sizeof builtins[0]; i++) {
		int on;
		if (builtin_on(builtin, builtins[i].name, &on, err, errlen))
			goto fail;
		if (on && add_rule(r, builtins[i].pattern, builtins[i].replace, builtins[i].flag,
		                   "redact.builtin", err, errlen))
			goto fail;
	}
	if (rules && add_user_rules(r, rules, node->type == SL_CFG_SEQ ? "redact" : "redact.rules",
	                            err, errlen))
		goto fail;
	r->md = pcre2_match_data_create(32, NULL);
	return r;
fail:
	sl_redact_free(r);
	return NULL;
}

void sl_redact_free(struct sl_redact *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++) {
		pcre2_code_free(r->rules[i].re);
		free(r->rules[i].replace);
	}
	free(r->rules);
	pcre2_match_data_free(r->md);
	sl_buf_free(&r->a);
	sl_buf_free(&r->b);
	free(r);
}

/* Runs one rule over in[0..n) into out. Returns 1 if it replaced anything. */
static int substitute(struct sl_redact *r, const struct rule *ru, const char *in, size_t n,
                      struct sl_buf *out)
{
	if (pcre2_match(ru->re, (PCRE2_SPTR)in, n, 0, 0, r->md, NULL) < 0)
		return 0;
	size_t cap = n + 64;
	for (int tries = 0; tries < 3; tries++) {
		sl_buf_reset(out);
		char *w = sl_buf_reserve(out, cap + 1);
		PCRE2_SIZE olen = cap;
		int rc = pcre2_substitute(
		    ru->re, (PCRE2_SPTR)in, n, 0,
		    PCRE2_SUBSTITUTE_GLOBAL | PCRE2_SUBSTITUTE_OVERFLOW_LENGTH, r->md, NULL,
		    (PCRE2_SPTR)ru->replace, PCRE2_ZERO_TERMINATED, (PCRE2_UCHAR *)w, &olen);
		if (rc >= 0) {
			sl_buf_commit(out, olen);
			return rc > 0;
		}
		if (rc != PCRE2_ERROR_NOMEMORY)
			return 0;
		cap = olen + 1;
	}
	return 0;
}

int sl_redact_apply(struct sl_redact *r, const char *s, size_t n, struct sl_buf *out)
{
	const char *cur = s;
	size_t len = n;
	int changed = 0, scanned = 0;
	unsigned flags = 0;
	for (size_t i = 0; i < r->n; i++) {
		const struct rule *ru = &r->rules[i];
		if (ru->flag && !scanned++)
			flags = scan_flags(s, n);
		if (ru->flag && !(flags & ru->flag))
			continue;
		struct sl_buf *dst = (cur == r->a.data) ? &r->b : &r->a;
		if (substitute(r, ru, cur, len, dst)) {
			cur = dst->data;
			len = dst->len;
			changed = 1;
		}
	}
	if (!changed)
		return 0;
	sl_buf_reset(out);
	sl_buf_append(out, cur, len);
	return 1;
}
