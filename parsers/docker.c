/*
 * docker — Docker's json-file log driver: {"log":"...\n","stream":"stdout",
 * "time":"..."} per line. The pipe (type docker) uses sl_docker_decode to
 * unwrap lines, join the pieces Docker split (a "log" without a trailing
 * newline continues in the next line) and take the stream and the time; as a
 * parser ("parser: docker") each line is unwrapped and its log parsed as
 * "auto" (JSON object or text).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_tree.h>

#include "formats.h"
#include "sl_json.h"
#include "sl_time.h"

static void skip_ws(const char *s, size_t n, size_t *p)
{
	while (*p < n && (s[*p] == ' ' || s[*p] == '\t' || s[*p] == '\r' || s[*p] == '\n'))
		(*p)++;
}

static int hex4(const char *s, size_t n, size_t p, unsigned *out)
{
	unsigned v = 0;
	if (p + 4 > n)
		return -1;
	for (size_t i = p; i < p + 4; i++) {
		char c = s[i];
		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned)(c - 'A' + 10);
		else
			return -1;
	}
	*out = v;
	return 0;
}

/* Reads a JSON string at s[*p] (the opening quote), decoding it into out
 * (NULL: skipped). Returns 0, or -1 if malformed. */
static int read_str(const char *s, size_t n, size_t *p, struct sl_buf *out)
{
	size_t i = *p + 1;
	while (i < n) {
		size_t st = i;
		while (i < n && s[i] != '"' && s[i] != '\\')
			i++;
		if (out && i > st)
			sl_buf_append(out, s + st, i - st);
		if (i >= n)
			return -1;
		if (s[i] == '"') {
			*p = i + 1;
			return 0;
		}
		if (++i >= n)
			return -1;
		char c = s[i++], lit;
		switch (c) {
		case '"':
		case '\\':
		case '/':
			lit = c;
			break;
		case 'b':
			lit = '\b';
			break;
		case 'f':
			lit = '\f';
			break;
		case 'n':
			lit = '\n';
			break;
		case 'r':
			lit = '\r';
			break;
		case 't':
			lit = '\t';
			break;
		case 'u': {
			unsigned cp, lo;
			if (hex4(s, n, i, &cp))
				return -1;
			i += 4;
			if (cp >= 0xD800 && cp < 0xDC00 && i + 6 <= n && s[i] == '\\' &&
			    s[i + 1] == 'u' && !hex4(s, n, i + 2, &lo) && lo >= 0xDC00 &&
			    lo < 0xE000) {
				cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
				i += 6;
			} else if (cp >= 0xD800 && cp < 0xE000) {
				cp = 0xFFFD; /* a lone surrogate */
			}
			if (out)
				sl_utf8_put(out, cp);
			continue;
		}
		default:
			return -1;
		}
		if (out)
			sl_buf_putc(out, lit);
	}
	return -1;
}

/* Skips any JSON value (depth-limited). Returns 0 or -1. */
static int skip_value(const char *s, size_t n, size_t *p, int depth)
{
	if (depth > 32 || *p >= n)
		return -1;
	char c = s[*p];
	if (c == '"')
		return read_str(s, n, p, NULL);
	if (c == '{' || c == '[') {
		char close = c == '{' ? '}' : ']';
		(*p)++;
		skip_ws(s, n, p);
		if (*p < n && s[*p] == close) {
			(*p)++;
			return 0;
		}
		for (;;) {
			if (c == '{') {
				if (*p >= n || s[*p] != '"' || read_str(s, n, p, NULL))
					return -1;
				skip_ws(s, n, p);
				if (*p >= n || s[(*p)++] != ':')
					return -1;
				skip_ws(s, n, p);
			}
			if (skip_value(s, n, p, depth + 1))
				return -1;
			skip_ws(s, n, p);
			if (*p < n && s[*p] == ',') {
				(*p)++;
				skip_ws(s, n, p);
				continue;
			}
			if (*p < n && s[*p] == close) {
				(*p)++;
				return 0;
			}
			return -1;
		}
	}
	size_t st = *p;
	while (*p < n && s[*p] != ',' && s[*p] != '}' && s[*p] != ']' && s[*p] != ' ')
		(*p)++;
	return *p > st ? 0 : -1;
}

int sl_docker_decode(const char *s, size_t n, struct sl_buf *scratch, struct sl_wrap *w)
{
	size_t p = 0;
	int have_log = 0;
	memset(w, 0, sizeof *w);
	sl_buf_reset(scratch);
	sl_buf_putc(scratch, '\0');
	scratch->len = 0;
	skip_ws(s, n, &p);
	if (p >= n || s[p++] != '{')
		return -1;
	skip_ws(s, n, &p);
	if (p < n && s[p] == '}')
		return -1;
	while (p < n) {
		size_t ks = p + 1;
		if (s[p] != '"' || read_str(s, n, &p, NULL))
			return -1;
		size_t klen = p - ks - 1;
		skip_ws(s, n, &p);
		if (p >= n || s[p++] != ':')
			return -1;
		skip_ws(s, n, &p);
		if (klen == 3 && !memcmp(s + ks, "log", 3) && p < n && s[p] == '"') {
			sl_buf_reset(scratch);
			if (read_str(s, n, &p, scratch))
				return -1;
			have_log = 1;
		} else if (klen == 6 && !memcmp(s + ks, "stream", 6) && p < n && s[p] == '"') {
			size_t vs = p + 1;
			if (read_str(s, n, &p, NULL))
				return -1;
			size_t vl = p - vs - 1;
			if (vl < sizeof w->stream)
				memcpy(w->stream, s + vs, vl);
		} else if (klen == 4 && !memcmp(s + ks, "time", 4) && p < n && s[p] == '"') {
			size_t vs = p + 1;
			if (read_str(s, n, &p, NULL))
				return -1;
			if (sl_time_parse(s + vs, p - vs - 1, &w->time_ns)) {
				w->time_ns = 0;
				w->bad_time = 1;
			}
		} else if (skip_value(s, n, &p, 0)) {
			return -1;
		}
		skip_ws(s, n, &p);
		if (p < n && s[p] == ',') {
			p++;
			skip_ws(s, n, &p);
			continue;
		}
		if (p < n && s[p] == '}') {
			p++;
			break;
		}
		return -1;
	}
	skip_ws(s, n, &p);
	if (p != n || !have_log)
		return -1;
	w->text = scratch->data ? scratch->data : "";
	w->len = scratch->len;
	if (w->len && w->text[w->len - 1] == '\n') {
		w->len--;
		if (w->len && w->text[w->len - 1] == '\r')
			w->len--;
	} else {
		w->partial = 1;
	}
	return 0;
}

/* Reads a small file whole; returns a malloc'd NUL-terminated copy the caller
 * frees, or NULL. */
static char *slurp(const char *path, size_t max)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	char *b = sl_malloc(max + 1);
	size_t n = fread(b, 1, max, f);
	int bad = ferror(f) || !feof(f);
	fclose(f);
	if (bad) {
		free(b);
		return NULL;
	}
	b[n] = '\0';
	return b;
}

static void add_static(struct sl_buf *out, const char *k, const char *v, size_t vn)
{
	sl_buf_putc(out, ',');
	sl_json_str(out, k, strlen(k));
	sl_buf_putc(out, ':');
	sl_json_str(out, v, vn);
}

void sl_docker_path_fields(const char *path, struct sl_buf *out)
{
	const char *c = path ? strstr(path, "/containers/") : NULL;
	if (!c)
		return;
	const char *id = c + strlen("/containers/");
	const char *slash = strchr(id, '/');
	if (!slash || slash == id)
		return;
	add_static(out, "container.id", id, (size_t)(slash - id));
	char cfg[4096];
	snprintf(cfg, sizeof cfg, "%.*s/config.v2.json", (int)(slash - path), path);
	char *text = slurp(cfg, 4 << 20);
	if (!text)
		return;
	yajl_val doc = yajl_tree_parse(text, NULL, 0);
	if (doc) {
		const char *name_path[] = {"Name", NULL};
		const char *image_path[] = {"Config", "Image", NULL};
		yajl_val name = yajl_tree_get(doc, name_path, yajl_t_string);
		yajl_val image = yajl_tree_get(doc, image_path, yajl_t_string);
		if (name) {
			const char *nm = name->u.string;
			if (*nm == '/')
				nm++;
			add_static(out, "container.name", nm, strlen(nm));
		}
		if (image)
			add_static(out, "container.image", image->u.string,
			           strlen(image->u.string));
		yajl_tree_free(doc);
	}
	free(text);
}

/* ---- as a parser: one line unwrapped, its log parsed as "auto" ---- */

struct docker_state {
	void *inner;
	struct sl_buf scratch;
};

/* State: allocated here, freed by docker_destroy. */
static void *docker_create(const struct sl_cfg_node *opts, char *err, size_t errlen)
{
	if (opts) {
		snprintf(err, errlen, "parser_options: the docker parser takes none");
		return NULL;
	}
	struct docker_state *st = sl_calloc(1, sizeof *st);
	st->inner = sl_parser_auto.create(NULL, err, errlen);
	return st;
}

static void docker_destroy(void *state)
{
	struct docker_state *st = state;
	if (!st)
		return;
	sl_parser_auto.destroy(st->inner);
	sl_buf_free(&st->scratch);
	free(st);
}

static int docker_parse(void *state, const char *rec, size_t len, struct sl_event *ev)
{
	struct docker_state *st = state;
	struct sl_wrap w;
	if (sl_docker_decode(rec, len, &st->scratch, &w)) {
		sl_event_fail(ev, rec, len, "not a Docker json-file line");
		return -1;
	}
	int rc = sl_parser_auto.parse(st->inner, w.text, w.len, ev);
	if (w.stream[0])
		sl_event_add_cstr(ev, "stream", w.stream);
	if (w.time_ns) {
		ev->time_ns = w.time_ns;
		ev->time_note = NULL;
	} else if (w.bad_time && !ev->time_ns) {
		ev->time_note = "unreadable time, ingest time used";
	}
	return rc;
}

const struct sl_parser_ops sl_parser_docker = {
    .name = "docker",
    .desc = "Docker json-file lines: the log unwrapped (parsed as auto), stream and time kept",
    .create = docker_create,
    .parse = docker_parse,
    .destroy = docker_destroy,
};
