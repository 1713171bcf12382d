/*
 * popt — reading a parser's `parser_options` map, and PCRE2 error text.
 *
 * The shipper prefixes messages with "file:line: inputs[N]: ", so the text
 * here names the key inside the input ("parser_options.pattern: ...").
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "formats.h"

int sl_popt_read(const struct sl_cfg_node *opts, const char *prefix, const struct sl_popt *tab,
                 char *err, size_t errlen)
{
	if (!opts)
		return 0;
	if (opts->type != SL_CFG_MAP) {
		snprintf(err, errlen, "%.*s: expected a map", (int)(strlen(prefix) - 1), prefix);
		return -1;
	}
	for (size_t i = 0; i < opts->n; i++) {
		const struct sl_cfg_node *k = opts->kids[i];
		const struct sl_popt *o = tab;
		while (o->key && strcmp(o->key, k->key))
			o++;
		if (!o->key) {
			snprintf(err, errlen, "%s%s: unknown key", prefix, k->key);
			return -1;
		}
		switch (o->type) {
		case SL_POPT_STR:
			if (k->type != SL_CFG_SCALAR) {
				snprintf(err, errlen, "%s%s: expected a string", prefix, k->key);
				return -1;
			}
			*(const char **)o->target = k->value;
			break;
		case SL_POPT_BOOL: {
			const char *v = k->type == SL_CFG_SCALAR ? k->value : "";
			int *b = o->target;
			if (!strcasecmp(v, "true") || !strcasecmp(v, "yes") || !strcasecmp(v, "on"))
				*b = 1;
			else if (!strcasecmp(v, "false") || !strcasecmp(v, "no") ||
			         !strcasecmp(v, "off"))
				*b = 0;
			else {
				snprintf(err, errlen, "%s%s: expected true or false", prefix,
				         k->key);
				return -1;
			}
			break;
		}
		case SL_POPT_NODE:
			*(const struct sl_cfg_node **)o->target = k;
			break;
		default:
			break;
		}
	}
	return 0;
}

pcre2_code *sl_regex_compile(const char *pattern, size_t len, const char *what, char *err,
                             size_t errlen)
{
	int code;
	PCRE2_SIZE off;
	pcre2_code *re = pcre2_compile((PCRE2_SPTR)pattern, len,
	                               PCRE2_UTF | PCRE2_MATCH_INVALID_UTF, &code, &off, NULL);
	if (!re) {
		PCRE2_UCHAR msg[256];
		if (pcre2_get_error_message(code, msg, sizeof msg) < 0)
			strcpy((char *)msg, "unknown error");
		snprintf(err, errlen, "%s: invalid regex at offset %zu: %s", what, (size_t)off,
		         (char *)msg);
		return NULL;
	}
	pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);
	return re;
}
