/*
 * sl_pipe — first slice: each physical line is one record, parsed by the
 * input's parser. Container wrappers, multiline assembly and redaction plug
 * in here (see pipeline.h).
 */
#include "pipeline.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parser.h"

struct sl_pipe {
	const struct sl_parser_ops *parser;
	void *pstate;
	struct sl_pipe_rec *q; /* ring of finished records; events keep their buffers */
	size_t head, len, cap;
};

struct sl_pipe *sl_pipe_new(const struct sl_pipe_opts *o, char *err, size_t errlen)
{
	const char *type = o->type && *o->type ? o->type : "file";
	if (strcmp(type, "file")) {
		snprintf(err, errlen, "unknown input type \"%s\"", type);
		return NULL;
	}
	const char *name = o->parser && *o->parser ? o->parser : "auto";
	const struct sl_parser_ops *ops = sl_parser_find(name);
	if (!ops) {
		snprintf(err, errlen, "unknown parser \"%s\"", name);
		return NULL;
	}
	struct sl_pipe *p = sl_calloc(1, sizeof *p);
	p->parser = ops;
	p->pstate = ops->create(o->parser_opts, err, errlen);
	if (!p->pstate) {
		free(p);
		return NULL;
	}
	return p;
}

void sl_pipe_free(struct sl_pipe *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->cap; i++)
		sl_event_free(&p->q[i].ev);
	free(p->q);
	p->parser->destroy(p->pstate);
	free(p);
}

/* The slot for a new record at the tail of the ring. */
static struct sl_pipe_rec *push(struct sl_pipe *p)
{
	if (p->len == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 16;
		struct sl_pipe_rec *q = sl_calloc(cap, sizeof *q);
		for (size_t i = 0; i < p->len; i++)
			q[i] = p->q[(p->head + i) % p->cap];
		for (size_t i = p->len; i < p->cap; i++) /* keep the free slots' buffers */
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

void sl_pipe_feed(struct sl_pipe *p, const char *line, size_t len, uint64_t off, uint64_t end,
                  int truncated, int64_t now_ms)
{
	struct sl_pipe_rec *r = push(p);
	r->off = off;
	r->end = end;
	p->parser->parse(p->pstate, line, len, &r->ev);
	r->ev.truncated = truncated;
}

void sl_pipe_flush(struct sl_pipe *p, int64_t now_ms, int force)
{
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
	return p->len;
}
