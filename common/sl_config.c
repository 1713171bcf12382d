/*
 * sl_config — YAML loading through libyaml's document API, interpolation,
 * and the generic option-table filler.
 */
#include "sl_config.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "sl_buf.h"
#include "sl_time.h"

/* ---- interpolation ---- */

char *sl_cfg_interpolate(const char *s, const char **why)
{
	struct sl_buf b = {0};
	sl_buf_puts(&b, "");
	for (const char *p = s; *p;) {
		if (p[0] == '$' && p[1] == '$') {
			sl_buf_putc(&b, '$');
			p += 2;
			continue;
		}
		if (p[0] != '$' || p[1] != '{') {
			const char *q = strchr(p + 1, '$');
			size_t n = q ? (size_t)(q - p) : strlen(p);
			sl_buf_append(&b, p, n);
			p += n;
			continue;
		}
		const char *name = p + 2, *end = strchr(name, '}');
		if (!end) {
			*why = "unterminated ${ in value";
			goto fail;
		}
		const char *colon = strstr(name, ":-");
		size_t nlen =
		    (colon && colon < end) ? (size_t)(colon - name) : (size_t)(end - name);
		if (!nlen) {
			*why = "empty variable name in ${}";
			goto fail;
		}
		for (size_t i = 0; i < nlen; i++) {
			if (!isalnum((unsigned char)name[i]) && name[i] != '_') {
				*why = "bad character in ${VAR} name";
				goto fail;
			}
		}
		char var[256];
		if (nlen >= sizeof var) {
			*why = "variable name too long";
			goto fail;
		}
		memcpy(var, name, nlen);
		var[nlen] = '\0';
		const char *val = getenv(var);
		if (val && *val)
			sl_buf_puts(&b, val);
		else if (colon && colon < end)
			sl_buf_append(&b, colon + 2, (size_t)(end - colon - 2));
		p = end + 1;
	}
	return b.data;
fail:
	sl_buf_free(&b);
	return NULL;
}

/* ---- tree ---- */

static void node_free(struct sl_cfg_node *n)
{
	if (!n)
		return;
	for (size_t i = 0; i < n->n; i++)
		node_free(n->kids[i]);
	free(n->kids);
	free(n->key);
	free(n->value);
	free(n);
}

void sl_cfg_free(struct sl_cfg *cfg)
{
	node_free(cfg->root);
	free(cfg->file);
	cfg->root = NULL;
	cfg->file = NULL;
}

int sl_cfg_error(struct sl_cfg *cfg, const struct sl_cfg_node *at, const char *path,
                 const char *fmt, ...)
{
	char msg[768];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	snprintf(cfg->err, sizeof cfg->err, "%s:%d: %s: %s", cfg->file ? cfg->file : "config",
	         at ? at->line : 1, path && *path ? path : "(top)", msg);
	return -1;
}

/* Builds our node from libyaml's node id; depth guards against alias loops. */
static struct sl_cfg_node *convert(struct sl_cfg *cfg, yaml_document_t *doc, int id, int depth,
                                   const char *path)
{
	yaml_node_t *y = yaml_document_get_node(doc, id);
	if (!y)
		return NULL;
	if (depth > 32) {
		struct sl_cfg_node at = {.line = (int)y->start_mark.line + 1};
		sl_cfg_error(cfg, &at, path, "nested too deeply");
		return NULL;
	}
	struct sl_cfg_node *n = sl_calloc(1, sizeof *n);
	n->line = (int)y->start_mark.line + 1;
	char sub[512];
	switch (y->type) {
	case YAML_SCALAR_NODE: {
		n->type = SL_CFG_SCALAR;
		char *raw = sl_strndup((const char *)y->data.scalar.value, y->data.scalar.length);
		const char *why = NULL;
		n->value = sl_cfg_interpolate(raw, &why);
		free(raw);
		if (!n->value) {
			sl_cfg_error(cfg, n, path, "%s", why);
			goto fail;
		}
		break;
	}
	case YAML_SEQUENCE_NODE: {
		n->type = SL_CFG_SEQ;
		size_t cnt = (size_t)(y->data.sequence.items.top - y->data.sequence.items.start);
		n->kids = sl_calloc(cnt, sizeof *n->kids);
		for (size_t i = 0; i < cnt; i++) {
			snprintf(sub, sizeof sub, "%s[%zu]", path, i);
			n->kids[i] =
			    convert(cfg, doc, y->data.sequence.items.start[i], depth + 1, sub);
			if (!n->kids[i])
				goto fail;
			n->n++;
		}
		break;
	}
	case YAML_MAPPING_NODE: {
		n->type = SL_CFG_MAP;
		size_t cnt = (size_t)(y->data.mapping.pairs.top - y->data.mapping.pairs.start);
		n->kids = sl_calloc(cnt, sizeof *n->kids);
		for (size_t i = 0; i < cnt; i++) {
			yaml_node_pair_t *pr = &y->data.mapping.pairs.start[i];
			yaml_node_t *k = yaml_document_get_node(doc, pr->key);
			if (!k || k->type != YAML_SCALAR_NODE) {
				sl_cfg_error(cfg, n, path, "map keys must be plain strings");
				goto fail;
			}
			char *key =
			    sl_strndup((const char *)k->data.scalar.value, k->data.scalar.length);
			snprintf(sub, sizeof sub, "%s%s%s", path, *path ? "." : "", key);
			for (size_t j = 0; j < n->n; j++) {
				if (!strcmp(n->kids[j]->key, key)) {
					struct sl_cfg_node at = {.line =
					                             (int)k->start_mark.line + 1};
					sl_cfg_error(cfg, &at, sub, "duplicate key");
					free(key);
					goto fail;
				}
			}
			n->kids[i] = convert(cfg, doc, pr->value, depth + 1, sub);
			if (!n->kids[i]) {
				free(key);
				goto fail;
			}
			n->kids[i]->key = key;
			n->kids[i]->line = (int)k->start_mark.line + 1; /* the key's line */
			n->n++;
		}
		break;
	}
	default:
		goto fail;
	}
	return n;
fail:
	node_free(n);
	return NULL;
}

int sl_cfg_load_string(struct sl_cfg *cfg, const char *name, const char *text, size_t len)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	int rc = -1;
	memset(cfg, 0, sizeof *cfg);
	cfg->file = sl_strdup(name);
	if (!yaml_parser_initialize(&parser)) {
		snprintf(cfg->err, sizeof cfg->err, "%s: cannot initialise the YAML parser", name);
		return -1;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &doc)) {
		snprintf(cfg->err, sizeof cfg->err, "%s:%zu:%zu: YAML syntax error: %s%s%s", name,
		         parser.problem_mark.line + 1, parser.problem_mark.column + 1,
		         parser.problem ? parser.problem : "unknown", parser.context ? " " : "",
		         parser.context ? parser.context : "");
		yaml_parser_delete(&parser);
		return -1;
	}
	yaml_node_t *root = yaml_document_get_root_node(&doc);
	if (!root) {
		rc = 0; /* empty document: every option takes its default */
		goto out;
	}
	cfg->root = convert(cfg, &doc, 1, 0, "");
	if (!cfg->root)
		goto out;
	if (cfg->root->type != SL_CFG_MAP) {
		sl_cfg_error(cfg, cfg->root, "", "the document must be a map of keys");
		goto out;
	}
	rc = 0;
out:
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	return rc;
}

int sl_cfg_load(struct sl_cfg *cfg, const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		memset(cfg, 0, sizeof *cfg);
		snprintf(cfg->err, sizeof cfg->err, "%s: cannot open: %s", path, strerror(errno));
		return -1;
	}
	struct sl_buf b = {0};
	char chunk[65536];
	size_t n;
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		sl_buf_append(&b, chunk, n);
	int err = ferror(f);
	fclose(f);
	if (err) {
		sl_buf_free(&b);
		memset(cfg, 0, sizeof *cfg);
		snprintf(cfg->err, sizeof cfg->err, "%s: read error", path);
		return -1;
	}
	int rc = sl_cfg_load_string(cfg, path, b.data ? b.data : "", b.len);
	sl_buf_free(&b);
	return rc;
}

const struct sl_cfg_node *sl_cfg_get(const struct sl_cfg_node *map, const char *key)
{
	if (!map || map->type != SL_CFG_MAP)
		return NULL;
	for (size_t i = 0; i < map->n; i++)
		if (!strcmp(map->kids[i]->key, key))
			return map->kids[i];
	return NULL;
}

const struct sl_cfg_node *sl_cfg_find(const struct sl_cfg_node *root, const char *dotted)
{
	const struct sl_cfg_node *n = root;
	char part[256];
	while (n && *dotted) {
		size_t len = strcspn(dotted, ".");
		if (len >= sizeof part)
			break;
		memcpy(part, dotted, len);
		part[len] = '\0';
		const struct sl_cfg_node *next = sl_cfg_get(n, part);
		if (!next)
			break;
		n = next;
		dotted += len + (dotted[len] == '.');
	}
	return n;
}

int sl_cfg_node_equal(const struct sl_cfg_node *a, const struct sl_cfg_node *b)
{
	if (!a || !b)
		return a == b;
	if (a->type != b->type || a->n != b->n)
		return 0;
	if ((a->key || b->key) && (!a->key || !b->key || strcmp(a->key, b->key)))
		return 0;
	if (a->type == SL_CFG_SCALAR)
		return !strcmp(a->value, b->value);
	for (size_t i = 0; i < a->n; i++)
		if (!sl_cfg_node_equal(a->kids[i], b->kids[i]))
			return 0;
	return 1;
}

/* ---- option tables ---- */

static const char *const type_names[] = {
    [SL_OPT_STR] = "string",        [SL_OPT_INT] = "integer", [SL_OPT_BOOL] = "boolean",
    [SL_OPT_DURATION] = "duration", [SL_OPT_SIZE] = "size",   [SL_OPT_ENUM] = "choice",
    [SL_OPT_STRLIST] = "list",      [SL_OPT_STRMAP] = "map",  [SL_OPT_SECTION] = "section",
    [SL_OPT_NODE] = "any",
};

static int parse_int(const char *s, int64_t *v)
{
	char *end;
	errno = 0;
	long long x = strtoll(s, &end, 10);
	if (errno || end == s || *end)
		return -1;
	*v = x;
	return 0;
}

static int parse_bool(const char *s, int *v)
{
	static const char *const yes[] = {"true", "yes", "on", "1"};
	static const char *const no[] = {"false", "no", "off", "0"};
	for (int i = 0; i < 4; i++) {
		if (!strcasecmp(s, yes[i])) {
			*v = 1;
			return 0;
		}
		if (!strcasecmp(s, no[i])) {
			*v = 0;
			return 0;
		}
	}
	return -1;
}

static void list_push(struct sl_strlist *l, const char *s)
{
	l->v = sl_realloc(l->v, (l->n + 1) * sizeof *l->v);
	l->v[l->n++] = sl_strdup(s);
}

/* Sets one option from a scalar text (from the file, or the default when
 * n is NULL). */
static int set_scalar(struct sl_cfg *cfg, const struct sl_cfg_node *n, const char *path,
                      const struct sl_opt *o, const char *text, void *target)
{
	char *dst = (char *)target + o->off;
	int64_t v;
	switch (o->type) {
	case SL_OPT_STR:
		free(*(char **)dst);
		*(char **)dst = sl_strdup(text);
		return 0;
	case SL_OPT_BOOL:
		if (parse_bool(text, (int *)dst))
			return sl_cfg_error(cfg, n, path, "expected true or false, got \"%s\"",
			                    text);
		return 0;
	case SL_OPT_INT:
		if (parse_int(text, &v))
			return sl_cfg_error(cfg, n, path, "expected an integer, got \"%s\"", text);
		break;
	case SL_OPT_DURATION:
		if (sl_duration_parse(text, &v))
			return sl_cfg_error(cfg, n, path,
			                    "expected a duration like 500ms, 30s, 15m, 2h or 7d, "
			                    "got \"%s\"",
			                    text);
		break;
	case SL_OPT_SIZE:
		if (sl_size_parse(text, &v))
			return sl_cfg_error(
			    cfg, n, path, "expected a size like 512KiB, 64MiB or 10GiB, got \"%s\"",
			    text);
		break;
	case SL_OPT_ENUM:
		for (int i = 0; o->choices[i]; i++) {
			if (!strcmp(o->choices[i], text)) {
				*(int *)dst = i;
				return 0;
			}
		}
		{
			char all[256] = "";
			for (int i = 0; o->choices[i]; i++) {
				if (i)
					strncat(all, ", ", sizeof all - strlen(all) - 1);
				strncat(all, o->choices[i], sizeof all - strlen(all) - 1);
			}
			return sl_cfg_error(cfg, n, path, "expected one of %s, got \"%s\"", all,
			                    text);
		}
	case SL_OPT_STRLIST: {
		struct sl_strlist *l = (struct sl_strlist *)dst;
		sl_strlist_free(l);
		if (*text)
			list_push(l, text);
		return 0;
	}
	default:
		return sl_cfg_error(cfg, n, path, "expected a %s", type_names[o->type]);
	}
	if (o->max > o->min && (v < o->min || v > o->max))
		return sl_cfg_error(cfg, n, path, "%s is out of range (%lld..%lld)", text,
		                    (long long)o->min, (long long)o->max);
	*(int64_t *)dst = v;
	return 0;
}

static int set_node(struct sl_cfg *cfg, const struct sl_cfg_node *n, const char *path,
                    const struct sl_opt *o, void *target)
{
	char *dst = (char *)target + o->off;
	switch (o->type) {
	case SL_OPT_NODE:
		*(const struct sl_cfg_node **)dst = n;
		return 0;
	case SL_OPT_SECTION:
		if (n->type != SL_CFG_MAP)
			return sl_cfg_error(cfg, n, path, "expected a map of keys");
		return sl_cfg_apply(cfg, n, path, o->sub, dst);
	case SL_OPT_STRLIST:
		if (n->type == SL_CFG_SEQ) {
			struct sl_strlist *l = (struct sl_strlist *)dst;
			sl_strlist_free(l);
			for (size_t i = 0; i < n->n; i++) {
				if (n->kids[i]->type != SL_CFG_SCALAR)
					return sl_cfg_error(cfg, n->kids[i], path,
					                    "expected a list of strings");
				list_push(l, n->kids[i]->value);
			}
			return 0;
		}
		break;
	case SL_OPT_STRMAP:
		if (n->type == SL_CFG_MAP) {
			struct sl_strmap *m = (struct sl_strmap *)dst;
			sl_strmap_free(m);
			m->k = sl_calloc(n->n, sizeof *m->k);
			m->v = sl_calloc(n->n, sizeof *m->v);
			for (size_t i = 0; i < n->n; i++) {
				if (n->kids[i]->type != SL_CFG_SCALAR)
					return sl_cfg_error(cfg, n->kids[i], path,
					                    "expected a map of plain values");
				m->k[i] = sl_strdup(n->kids[i]->key);
				m->v[i] = sl_strdup(n->kids[i]->value);
				m->n++;
			}
			return 0;
		}
		return sl_cfg_error(cfg, n, path, "expected a map of key: value");
	default:
		break;
	}
	if (n->type != SL_CFG_SCALAR)
		return sl_cfg_error(cfg, n, path, "expected a single %s value",
		                    type_names[o->type]);
	return set_scalar(cfg, n, path, o, n->value, target);
}

int sl_cfg_apply(struct sl_cfg *cfg, const struct sl_cfg_node *map, const char *path,
                 const struct sl_opt *opts, void *target)
{
	char sub[512];
	if (map && map->type != SL_CFG_MAP)
		return sl_cfg_error(cfg, map, path, "expected a map of keys");
	if (map) {
		for (size_t i = 0; i < map->n; i++) {
			const struct sl_opt *o = opts;
			while (o->type != SL_OPT_END && strcmp(o->key, map->kids[i]->key))
				o++;
			if (o->type == SL_OPT_END) {
				snprintf(sub, sizeof sub, "%s%s%s", path, *path ? "." : "",
				         map->kids[i]->key);
				return sl_cfg_error(cfg, map->kids[i], sub, "unknown key");
			}
		}
	}
	for (const struct sl_opt *o = opts; o->type != SL_OPT_END; o++) {
		snprintf(sub, sizeof sub, "%s%s%s", path, *path ? "." : "", o->key);
		const struct sl_cfg_node *n = sl_cfg_get(map, o->key);
		/* an explicit empty value ("key:") counts as absent */
		if (n && n->type == SL_CFG_SCALAR && !*n->value && o->type != SL_OPT_STR)
			n = NULL;
		if (n) {
			if (set_node(cfg, n, sub, o, target))
				return -1;
			continue;
		}
		if (o->flags & SL_OPT_REQUIRED)
			return sl_cfg_error(cfg, map, sub, "is required");
		if (o->type == SL_OPT_SECTION) {
			if (sl_cfg_apply(cfg, NULL, sub, o->sub, (char *)target + o->off))
				return -1;
		} else if (o->def && set_scalar(cfg, map, sub, o, o->def, target)) {
			return -1;
		}
	}
	return 0;
}

void sl_strlist_free(struct sl_strlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

void sl_strmap_free(struct sl_strmap *m)
{
	for (size_t i = 0; i < m->n; i++) {
		free(m->k[i]);
		free(m->v[i]);
	}
	free(m->k);
	free(m->v);
	memset(m, 0, sizeof *m);
}

void sl_opt_free(const struct sl_opt *opts, void *target)
{
	for (const struct sl_opt *o = opts; o->type != SL_OPT_END; o++) {
		char *dst = (char *)target + o->off;
		switch (o->type) {
		case SL_OPT_STR:
			free(*(char **)dst);
			*(char **)dst = NULL;
			break;
		case SL_OPT_STRLIST:
			sl_strlist_free((struct sl_strlist *)dst);
			break;
		case SL_OPT_STRMAP:
			sl_strmap_free((struct sl_strmap *)dst);
			break;
		case SL_OPT_SECTION:
			sl_opt_free(o->sub, dst);
			break;
		default:
			break;
		}
	}
}

void sl_opt_print(const struct sl_opt *opts, const char *prefix, void *fp)
{
	char key[256];
	for (const struct sl_opt *o = opts; o->type != SL_OPT_END; o++) {
		snprintf(key, sizeof key, "%s%s%s", prefix, *prefix ? "." : "", o->key);
		if (o->type == SL_OPT_SECTION) {
			sl_opt_print(o->sub, key, fp);
			continue;
		}
		fprintf(fp, "  %-28s %-9s %-14s %s\n", key, type_names[o->type],
		        o->def ? o->def : (o->flags & SL_OPT_REQUIRED ? "(required)" : "-"),
		        o->desc ? o->desc : "");
	}
}
