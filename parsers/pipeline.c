/*
 * sl_pipe — the record path of one input file (see pipeline.h):
 *
 *   feed(line) -> wrapper (docker/cri: unwrap, join partial pieces)
 *              -> assembly (multi-line rule, caps, flush timeout)
 *              -> emit: redaction -> parser -> wrapper fields -> queue
 *
 * Each stage holds at most one unfinished piece (the partial wrapper line,
 * the record being assembled), so records leave in file order. The input
 * type picks the default parser and wrapper from a table; `postgres` and
 * `mysql` inputs choose their parser from the file name, or from the first
 * line when the name does not tell.
 */
#include "pipeline.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats.h"
#include "parser.h"

enum wrapper { W_NONE, W_DOCKER, W_CRI };
enum detect { D_NONE, D_POSTGRES, D_MYSQL };

static const struct type_def {
	const char *name;
	const char *parser; /* default parser */
	enum wrapper wrapper;
	enum detect detect;
} types[] = {
    {"file", "auto", W_NONE, D_NONE},
    {"docker", "auto", W_DOCKER, D_NONE},
    {"cri", "auto", W_CRI, D_NONE},
    {"postgres", "postgres", W_NONE, D_POSTGRES},
    {"mysql", "mysql_error", W_NONE, D_MYSQL},
    {"redis", "redis", W_NONE, D_NONE},
    {"syslog", "syslog", W_NONE, D_NONE},
};

/* Wrapper data carried by a line / record. */
struct meta {
	char stream[8];
	int64_t time_ns;
	int bad_time;
};

struct sl_pipe {
	const struct type_def *type;
	const struct sl_parser_ops *parser;
	void *pstate;
	int undecided; /* D_* detection still waits for the first line */
	const struct sl_cfg_node *parser_opts, *ml_node;
	struct sl_ml ml;
	struct sl_redact *redact;
	size_t max_record;
	int64_t flush_ms, ref_ns;
	struct sl_buf static_fields; /* container.* / k8s.* from the path */

	/* wrapper stage: a partial line being joined */
	struct sl_buf scratch, part;
	int part_on, part_trunc;
	uint64_t part_off, part_end;
	struct meta part_meta;
	int64_t part_ms;

	/* assembly stage: the record being assembled */
	struct sl_buf rec;
	int rec_on, rec_trunc, ml_state;
	uint64_t rec_off, rec_end;
	size_t rec_lines;
	struct meta rec_meta;
	int64_t rec_ms;

	struct sl_buf red; /* redaction output */

	struct sl_pipe_rec *q; /* ring of finished records; events keep their buffers */
	size_t head, len, cap;
};

static int ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);
	return a >= b && !strcmp(s + a - b, suffix);
}

/* Creates the parser and the multi-line rule (replacing any before). The pipe
 * owns both; sl_pipe_free releases them. Returns 0 or -1 with err. */
static int set_parser(struct sl_pipe *p, const struct sl_parser_ops *ops, char *err, size_t errlen)
{
	if (p->pstate) {
		sl_ml_free(&p->ml);
		p->parser->destroy(p->pstate);
		p->pstate = NULL;
	}
	p->parser = ops;
	p->pstate = ops->create(p->parser_opts, err, errlen);
	if (!p->pstate)
		return -1;
	return sl_ml_setup(&p->ml, p->ml_node, ops, p->pstate, err, errlen);
}

/* The parser a postgres/mysql input uses for path, or NULL: look at the
 * first line. */
static const char *detect_by_path(enum detect d, const char *path)
{
	if (d == D_POSTGRES) {
		if (ends_with(path, ".csv"))
			return "postgres_csv";
		if (ends_with(path, ".json"))
			return "postgres_json";
	} else if (d == D_MYSQL) {
		const char *base = strrchr(path, '/');
		if (strstr(base ? base : path, "slow"))
			return "mysql_slow";
	}
	return NULL;
}

static const char *detect_by_line(enum detect d, const char *s, size_t n)
{
	if (d == D_POSTGRES) {
		if (n && s[0] == '{')
			return "postgres_json";
		/* csvlog: "2024-01-02 03:04:05.123 UTC,"user",... */
		const char *comma = memchr(s, ',', n < 40 ? n : 40);
		if (n > 20 && s[4] == '-' && s[10] == ' ' && comma &&
		    !memchr(s, '[', (size_t)(comma - s)))
			return "postgres_csv";
		return "postgres";
	}
	if ((n >= 7 && !memcmp(s, "# Time:", 7)) || (n >= 12 && !memcmp(s, "# User@Host:", 12)) ||
	    (memmem(s, n, ", Version: ", 11) && memmem(s, n, "started with:", 13)))
		return "mysql_slow";
	return "mysql_error";
}

/* Ownership: the pipe is the caller's, freed by sl_pipe_free. */
struct sl_pipe *sl_pipe_new(const struct sl_pipe_opts *o, char *err, size_t errlen)
{
	const char *tname = o->type && *o->type ? o->type : "file";
	const struct type_def *type = NULL;
	for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
		if (!strcmp(types[i].name, tname))
			type = &types[i];
	if (!type) {
		snprintf(
		    err, errlen,
		    "type: unknown input type \"%s\" (file, docker, cri, postgres, mysql, redis, "
		    "syslog)",
		    tname);
		return NULL;
	}
	const char *path = o->path ? o->path : "";
	const char *name = o->parser && *o->parser ? o->parser : NULL;
	int undecided = 0;
	if (!name && type->detect) {
		name = detect_by_path(type->detect, path);
		undecided = !name && *path;
	}
	if (!name)
		name = type->parser;
	const struct sl_parser_ops *ops = sl_parser_find(name);
	if (!ops) {
		snprintf(err, errlen, "parser: unknown parser \"%s\"", name);
		return NULL;
	}
	struct sl_pipe *p = sl_calloc(1, sizeof *p);
	p->type = type;
	p->undecided = undecided;
	p->parser_opts = o->parser_opts;
	p->ml_node = o->multiline;
	p->max_record = o->max_record ? o->max_record : 1 << 20;
	p->flush_ms = o->flush_ms > 0 ? o->flush_ms : 1000;
	p->ref_ns = o->ref_ns;
	if (set_parser(p, ops, err, errlen))
		goto fail;
	if (p->ml.flush_ms >= 0)
		p->flush_ms = p->ml.flush_ms;
	if (p->ml.max_bytes && p->ml.max_bytes < p->max_record)
		p->max_record = p->ml.max_bytes;
	p->redact = sl_redact_new(o->redact, err, errlen);
	if (!p->redact)
		goto fail;
	if (type->wrapper == W_DOCKER)
		sl_docker_path_fields(path, &p->static_fields);
	else if (type->wrapper == W_CRI)
		sl_cri_path_fields(path, &p->static_fields);
	return p;
fail:
	sl_pipe_free(p);
	return NULL;
}

void sl_pipe_free(struct sl_pipe *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->cap; i++)
		sl_event_free(&p->q[i].ev);
	free(p->q);
	sl_ml_free(&p->ml);
	if (p->pstate)
		p->parser->destroy(p->pstate);
	sl_redact_free(p->redact);
	sl_buf_free(&p->static_fields);
	sl_buf_free(&p->scratch);
	sl_buf_free(&p->part);
	sl_buf_free(&p->rec);
	sl_buf_free(&p->red);
	free(p);
}

/* The slot for a new record at the tail of the ring. Ownership: the ring
 * grows here and keeps every slot's event buffers until sl_pipe_free. */
static struct sl_pipe_rec *push(struct sl_pipe *p)
{
	if (p->len == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 16;
		struct sl_pipe_rec *q = sl_calloc(cap, sizeof *q);
		for (size_t i = 0; i < p->cap; i++) /* queued ones first, then free slots */
			q[i] = p->q[(p->head + i) % p->cap];
		free(p->q);
		p->q = q;
		p->head = 0;
		p->cap = cap;
	}
	struct sl_pipe_rec *r = &p->q[(p->head + p->len) % p->cap];
	p->len++;
	sl_event_reset(&r->ev);
	return r;
}

/* Parses one finished record and queues its event. */
static void emit(struct sl_pipe *p, const char *text, size_t len, uint64_t off, uint64_t end,
                 int truncated, const struct meta *m, const char *wrap_error)
{
	struct sl_pipe_rec *r = push(p);
	struct sl_event *ev = &r->ev;
	r->off = off;
	r->end = end;
	if (p->redact && sl_redact_apply(p->redact, text, len, &p->red)) {
		text = p->red.data;
		len = p->red.len;
	}
	ev->ref_ns = p->ref_ns;
	if (wrap_error) {
		sl_event_fail(ev, text, len, wrap_error);
	} else {
		p->parser->parse(p->pstate, text, len, ev);
		if (m && m->stream[0])
			sl_event_add_cstr(ev, "stream", m->stream);
		if (m && m->time_ns) {
			ev->time_ns = m->time_ns;
			ev->time_note = NULL;
		} else if (m && m->bad_time && !ev->time_ns) {
			ev->time_note = "unreadable time, ingest time used";
		}
	}
	if (p->static_fields.len)
		sl_buf_append(&ev->fields, p->static_fields.data, p->static_fields.len);
	if (truncated)
		ev->truncated = 1;
}

static void emit_record(struct sl_pipe *p)
{
	if (!p->rec_on)
		return;
	size_t n = p->rec.len;
	/* a multi-line record does not end in blank lines */
	if (p->rec_lines > 1)
		while (n && (p->rec.data[n - 1] == '\n' || p->rec.data[n - 1] == '\r'))
			n--;
	emit(p, p->rec.data ? p->rec.data : "", n, p->rec_off, p->rec_end, p->rec_trunc,
	     &p->rec_meta, NULL);
	p->rec_on = 0;
	sl_buf_reset(&p->rec);
}

/* Appends s[0..n) to b, cutting at cap. Returns 1 if it was cut. */
static int append_capped(struct sl_buf *b, const char *s, size_t n, size_t cap)
{
	if (b->len >= cap)
		return n > 0;
	size_t room = cap - b->len;
	sl_buf_append(b, s, n < room ? n : room);
	return n > room;
}

/* The assembly stage: one logical line (wrapper already removed). */
static void assemble(struct sl_pipe *p, const char *s, size_t n, uint64_t off, uint64_t end,
                     int truncated, const struct meta *m, int64_t now)
{
	if (p->undecided) {
		char err[256];
		const char *name = detect_by_line(p->type->detect, s, n);
		const struct sl_parser_ops *ops = sl_parser_find(name);
		p->undecided = 0;
		if (ops != p->parser && set_parser(p, ops, err, sizeof err))
			set_parser(p, &sl_parser_plain, err, sizeof err); /* cannot fail */
	}
	if (!p->ml.join) {
		int cut = n > p->max_record;
		emit(p, s, cut ? p->max_record : n, off, end, truncated || cut, m, NULL);
		return;
	}
	if (!p->rec_on)
		p->ml_state = 0;
	int join = p->ml.join(p->ml.ud, &p->ml_state, s, n);
	if (join && p->rec_on && p->rec_lines < p->ml.max_lines) {
		p->rec_trunc |= append_capped(&p->rec, "\n", 1, p->max_record);
		p->rec_trunc |= append_capped(&p->rec, s, n, p->max_record) | truncated;
		p->rec_end = end;
		p->rec_lines++;
		p->rec_ms = now;
		return;
	}
	if (join && p->rec_on) {
		/* past max_lines: the line is dropped, the record flagged */
		p->rec_trunc = 1;
		p->rec_end = end;
		p->rec_ms = now;
		return;
	}
	emit_record(p);
	p->rec_on = 1;
	p->rec_off = off;
	p->rec_end = end;
	p->rec_lines = 1;
	p->rec_ms = now;
	p->rec_meta = m ? *m : (struct meta){0};
	p->rec_trunc = append_capped(&p->rec, s, n, p->max_record) | truncated;
}

static void flush_partial(struct sl_pipe *p, uint64_t end, int64_t now)
{
	if (!p->part_on)
		return;
	p->part_on = 0;
	assemble(p, p->part.data ? p->part.data : "", p->part.len, p->part_off, end, p->part_trunc,
	         &p->part_meta, now);
	sl_buf_reset(&p->part);
}

void sl_pipe_feed(struct sl_pipe *p, const char *line, size_t len, uint64_t off, uint64_t end,
                  int truncated, int64_t now_ms)
{
	if (p->type->wrapper == W_NONE) {
		assemble(p, line, len, off, end, truncated, NULL, now_ms);
		return;
	}
	struct sl_wrap w;
	int bad = p->type->wrapper == W_DOCKER ? sl_docker_decode(line, len, &p->scratch, &w)
	                                       : sl_cri_decode(line, len, &w);
	if (bad) {
		/* ship it as it is, in order */
		flush_partial(p, p->part_end, now_ms);
		emit_record(p);
		emit(p, line, len, off, end, truncated, NULL,
		     p->type->wrapper == W_DOCKER ? "not a Docker json-file line"
		                                  : "not a CRI log line");
		return;
	}
	/* stdout and stderr share the file: a piece of the other stream ends the
	 * open partial (joining them would mix the streams, and holding the
	 * partial while later records are acknowledged could lose it) */
	if (p->part_on && strncmp(p->part_meta.stream, w.stream, sizeof w.stream))
		flush_partial(p, p->part_end, now_ms);
	if (!p->part_on && !w.partial) {
		struct meta m = {.time_ns = w.time_ns, .bad_time = w.bad_time};
		memcpy(m.stream, w.stream, sizeof m.stream);
		assemble(p, w.text, w.len, off, end, truncated, &m, now_ms);
		return;
	}
	if (!p->part_on) {
		p->part_on = 1;
		p->part_off = off;
		p->part_trunc = 0;
		p->part_meta.time_ns = w.time_ns;
		p->part_meta.bad_time = w.bad_time;
		memcpy(p->part_meta.stream, w.stream, sizeof w.stream);
	}
	p->part_trunc |= append_capped(&p->part, w.text, w.len, p->max_record) | truncated;
	p->part_ms = now_ms;
	p->part_end = end;
	if (!w.partial)
		flush_partial(p, end, now_ms);
}

void sl_pipe_flush(struct sl_pipe *p, int64_t now_ms, int force)
{
	if (p->part_on && (force || now_ms - p->part_ms >= p->flush_ms))
		flush_partial(p, p->part_end, now_ms);
	if (p->rec_on && (force || now_ms - p->rec_ms >= p->flush_ms))
		emit_record(p);
}

struct sl_pipe_rec *sl_pipe_peek(struct sl_pipe *p)
{
	return p->len ? &p->q[p->head] : NULL;
}

void sl_pipe_pop(struct sl_pipe *p)
{
	if (!p->len)
		return;
	p->head = (p->head + 1) % p->cap;
	p->len--;
}

size_t sl_pipe_pending(const struct sl_pipe *p)
{
	return p->len + (size_t)p->rec_on + (size_t)p->part_on;
}
