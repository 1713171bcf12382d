/*
 * test_parsers_crashers — replays the inputs the fuzzers once crashed on
 * (tests/fuzz/crashers/<target>/): each must now parse into one valid JSON
 * event. Targets named after a parser run that parser; "pipeline" and
 * "multiline" inputs run through a pipe of every input type.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_tree.h>

#include "parser.h"
#include "pipeline.h"

static const struct sl_event_ctx ctx = {
    .host = "h", .source = "file", .path = "/p", .identity = "1:2:3"};

static char *slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	cr_assert_not_null(f, "%s", path);
	char *b = malloc(1 << 20);
	*n = fread(b, 1, 1 << 20, f);
	fclose(f);
	return b;
}

static void valid_json(const struct sl_buf *out, const char *what)
{
	char err[128];
	yajl_val v = yajl_tree_parse(out->data, err, sizeof err);
	cr_assert(v && YAJL_IS_OBJECT(v), "%s: invalid event: %s", what, out->data);
	yajl_tree_free(v);
}

static void run_parser(const struct sl_parser_ops *ops, const char *path)
{
	char err[256];
	void *st = ops->create(NULL, err, sizeof err);
	if (!st)
		return; /* needs options (regex) */
	size_t n;
	char *data = slurp(path, &n);
	struct sl_event ev = {0};
	struct sl_buf out = {0};
	sl_event_reset(&ev);
	ops->parse(st, data, n, &ev);
	sl_event_write(&ev, &ctx, 0, 1, &out);
	valid_json(&out, path);
	sl_event_free(&ev);
	sl_buf_free(&out);
	ops->destroy(st);
	free(data);
}

static void run_pipes(const char *path)
{
	static const char *const types[] = {"file",  "docker", "cri",   "postgres",
	                                    "mysql", "redis",  "syslog"};
	size_t n;
	char *data = slurp(path, &n);
	for (size_t t = 0; t < sizeof types / sizeof types[0]; t++) {
		char err[256];
		struct sl_pipe_opts o = {.type = types[t], .path = "/x/y.log", .max_record = 256};
		struct sl_pipe *p = sl_pipe_new(&o, err, sizeof err);
		cr_assert_not_null(p, "%s", err);
		struct sl_buf out = {0};
		const char *s = data, *end = data + n;
		while (s <= end) {
			const char *nl = memchr(s, '\n', (size_t)(end - s));
			const char *le = nl ? nl : end;
			size_t ln = (size_t)(le - s) > 256 ? 256 : (size_t)(le - s);
			uint64_t off = (uint64_t)(s - data);
			sl_pipe_feed(p, s, ln, off, off + (size_t)(le - s) + 1, 0, 0);
			if (!nl)
				break;
			s = nl + 1;
		}
		sl_pipe_flush(p, 0, 1);
		struct sl_pipe_rec *r;
		while ((r = sl_pipe_peek(p))) {
			sl_buf_reset(&out);
			sl_event_write(&r->ev, &ctx, r->off, 1, &out);
			valid_json(&out, path);
			sl_pipe_pop(p);
		}
		sl_buf_free(&out);
		sl_pipe_free(p);
	}
	free(data);
}

Test(crashers, replay)
{
	const char *root = "tests/fuzz/crashers";
	DIR *d = opendir(root);
	if (!d)
		return;
	struct dirent *e;
	int n = 0;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		const struct sl_parser_ops *ops = sl_parser_find(e->d_name);
		int pipes = !strcmp(e->d_name, "pipeline") || !strcmp(e->d_name, "multiline");
		if (!ops && !pipes)
			continue; /* another module's target (query, http) */
		char dir[512];
		snprintf(dir, sizeof dir, "%s/%s", root, e->d_name);
		DIR *sd = opendir(dir);
		struct dirent *f;
		while (sd && (f = readdir(sd))) {
			if (f->d_name[0] == '.')
				continue;
			char path[1024];
			snprintf(path, sizeof path, "%s/%s", dir, f->d_name);
			if (ops)
				run_parser(ops, path);
			else
				run_pipes(path);
			n++;
		}
		if (sd)
			closedir(sd);
	}
	closedir(d);
	cr_log_info("%d crashers replayed", n);
}
