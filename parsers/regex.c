/*
 * regex — a user PCRE2 pattern (JIT-compiled): named groups become fields.
 * Groups named time, level, message (or msg) and service fill the event;
 * "__" in a group name stands for a dot (http__status -> http.status).
 *
 *   parser_options:
 *     pattern: '^(?<time>\S+) (?<level>\w+) (?<message>.*)$'
 *     time_format: '%d/%b/%Y:%H:%M:%S %z'   # optional; default: any known form
 *     types: {http__status: number}          # number, bool or string (default)
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats.h"

enum role { R_FIELD, R_TIME, R_LEVEL, R_MESSAGE, R_SERVICE };
enum type { T_STRING, T_NUMBER, T_BOOL };

struct group {
	int num;
	char *field;
	enum role role;
	enum type type;
};

struct regex_state {
	pcre2_code *re;
	pcre2_match_data *md;
	struct group *groups;
	int n;
	char *time_format;
};

static void regex_destroy(void *state)
{
	struct regex_state *st = state;
	if (!st)
		return;
	pcre2_code_free(st->re);
	pcre2_match_data_free(st->md);
	for (int i = 0; i < st->n; i++)
		free(st->groups[i].field);
	free(st->groups);
	free(st->time_format);
	free(st);
}

/* Reads types: {group: number|bool|string} into the groups. */
static int read_types(struct regex_state *st, const struct sl_cfg_node *types, char *err,
                      size_t errlen)
{
	if (types->type != SL_CFG_MAP) {
		snprintf(err, errlen, "parser_options.types: expected a map of group: type");
		return -1;
	}
	for (size_t i = 0; i < types->n; i++) {
		const struct sl_cfg_node *t = types->kids[i];
		struct group *g = NULL;
		for (int k = 0; k < st->n; k++) {
			char name[128];
			/* compare with the group's own name (dots back to "__") */
			size_t o = 0;
			for (const char *c = st->groups[k].field; *c && o + 2 < sizeof name; c++) {
				if (*c == '.') {
					name[o++] = '_';
					name[o++] = '_';
				} else {
					name[o++] = *c;
				}
			}
			name[o] = '\0';
			if (!strcmp(name, t->key) || !strcmp(st->groups[k].field, t->key))
				g = &st->groups[k];
		}
		if (!g) {
			snprintf(err, errlen,
			         "parser_options.types.%s: no such named group in the pattern",
			         t->key);
			return -1;
		}
		const char *v = t->type == SL_CFG_SCALAR ? t->value : "";
		if (!strcmp(v, "number") || !strcmp(v, "int") || !strcmp(v, "float"))
			g->type = T_NUMBER;
		else if (!strcmp(v, "bool"))
			g->type = T_BOOL;
		else if (!strcmp(v, "string"))
			g->type = T_STRING;
		else {
			snprintf(err, errlen,
			         "parser_options.types.%s: expected number, bool or string",
			         t->key);
			return -1;
		}
	}
	return 0;
}

/* State: allocated here, freed by regex_destroy. */
static void *regex_create(const struct sl_cfg_node *opts, char *err, size_t errlen)
{
	const char *pattern = NULL, *time_format = NULL;
	const struct sl_cfg_node *types = NULL;
	const struct sl_popt tab[] = {
	    {"pattern", SL_POPT_STR, &pattern},
	    {"time_format", SL_POPT_STR, &time_format},
	    {"types", SL_POPT_NODE, &types},
	    {0},
	};
	struct regex_state *st = sl_calloc(1, sizeof *st);
	if (sl_popt_read(opts, "parser_options.", tab, err, errlen))
		goto fail;
	if (!pattern) {
		snprintf(err, errlen, "parser_options.pattern: is required by the regex parser");
		goto fail;
	}
	st->re =
	    sl_regex_compile(pattern, PCRE2_ZERO_TERMINATED, "parser_options.pattern", err, errlen);
	if (!st->re)
		goto fail;
	st->md = pcre2_match_data_create_from_pattern(st->re, NULL);
	uint32_t count, size;
	PCRE2_SPTR table;
	pcre2_pattern_info(st->re, PCRE2_INFO_NAMECOUNT, &count);
	pcre2_pattern_info(st->re, PCRE2_INFO_NAMEENTRYSIZE, &size);
	pcre2_pattern_info(st->re, PCRE2_INFO_NAMETABLE, &table);
	if (!count) {
		snprintf(err, errlen, "parser_options.pattern: has no named groups (?<name>...)");
		goto fail;
	}
	st->groups = sl_calloc(count, sizeof *st->groups);
	for (uint32_t i = 0; i < count; i++) {
		PCRE2_SPTR e = table + i * size;
		struct group *g = &st->groups[st->n++];
		g->num = (e[0] << 8) | e[1];
		const char *name = (const char *)e + 2;
		g->role = !strcmp(name, "time")                              ? R_TIME
		          : !strcmp(name, "level")                           ? R_LEVEL
		          : !strcmp(name, "message") || !strcmp(name, "msg") ? R_MESSAGE
		          : !strcmp(name, "service")                         ? R_SERVICE
		                                                             : R_FIELD;
		/* "__" in a name is a dot */
		g->field = sl_malloc(strlen(name) + 1);
		size_t o = 0;
		for (const char *c = name; *c; c++) {
			if (c[0] == '_' && c[1] == '_') {
				g->field[o++] = '.';
				c++;
			} else {
				g->field[o++] = *c;
			}
		}
		g->field[o] = '\0';
	}
	if (types && read_types(st, types, err, errlen))
		goto fail;
	if (time_format) {
		int64_t ns;
		(void)ns;
		for (const char *c = time_format; *c; c++)
			if (*c == '%' && !strchr("YymdeHMSTbafzZs~%", *++c)) {
				snprintf(err, errlen,
				         "parser_options.time_format: unsupported %%%c (use %%Y "
				         "%%m %%d %%e "
				         "%%H %%M %%S %%T %%b %%a %%f %%z %%Z %%s %%y)",
				         *c ? *c : ' ');
				goto fail;
			}
		st->time_format = sl_strdup(time_format);
	}
	return st;
fail:
	regex_destroy(st);
	return NULL;
}

static int regex_parse(void *state, const char *s, size_t n, struct sl_event *ev)
{
	struct regex_state *st = state;
	if (pcre2_match(st->re, (PCRE2_SPTR)s, n, 0, 0, st->md, NULL) < 0) {
		sl_event_fail(ev, s, n, "no match for parser_options.pattern");
		return -1;
	}
	PCRE2_SIZE *ov = pcre2_get_ovector_pointer(st->md);
	uint32_t pairs = pcre2_get_ovector_count(st->md);
	int has_message = 0;
	for (int i = 0; i < st->n; i++) {
		const struct group *g = &st->groups[i];
		if ((uint32_t)g->num >= pairs || ov[2 * g->num] == PCRE2_UNSET)
			continue;
		const char *v = s + ov[2 * g->num];
		size_t vl = ov[2 * g->num + 1] - ov[2 * g->num];
		switch (g->role) {
		case R_TIME: {
			int ok = st->time_format
			             ? sl_time_scan(v, vl, st->time_format, ev->ref_ns,
			                            &ev->time_ns) == vl
			             : !sl_time_parse_ref(v, vl, ev->ref_ns, &ev->time_ns);
			if (!ok) {
				ev->time_ns = 0;
				ev->time_note = "unreadable time, ingest time used";
				sl_event_add_str(ev, "orig.time", 9, v, vl);
			}
			continue;
		}
		case R_LEVEL:
			ev->level = sl_level_parse(v, vl);
			if (ev->level == SL_LEVEL_NONE)
				sl_event_add_str(ev, "orig.level", 10, v, vl);
			continue;
		case R_MESSAGE:
			sl_event_set_message(ev, v, vl);
			has_message = 1;
			continue;
		case R_SERVICE:
			sl_buf_reset(&ev->service);
			sl_buf_append(&ev->service, v, vl);
			continue;
		case R_FIELD:
			break;
		}
		size_t fl = strlen(g->field);
		if (!vl && g->type != T_STRING)
			continue; /* an empty number is no number */
		if (g->type == T_NUMBER && sl_is_json_number(v, vl))
			sl_event_add_raw(ev, g->field, fl, v, vl);
		else if (g->type == T_BOOL && ((vl == 4 && !memcmp(v, "true", 4)) ||
		                               (vl == 5 && !memcmp(v, "false", 5))))
			sl_event_add_raw(ev, g->field, fl, v, vl);
		else
			sl_event_add_str(ev, g->field, fl, v, vl);
	}
	if (!has_message)
		sl_event_set_message(ev, s, n);
	return 0;
}

const struct sl_parser_ops sl_parser_regex = {
    .name = "regex",
    .desc = "a PCRE2 pattern (parser_options.pattern); named groups become fields",
    .create = regex_create,
    .parse = regex_parse,
    .destroy = regex_destroy,
};
