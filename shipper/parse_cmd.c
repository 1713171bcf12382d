/*
 * parse_cmd — `sluice-shipper parse [--type TYPE] [--parser NAME] [FILE...]`.
 */
#include "parse_cmd.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pipeline.h"
#include "sl_buf.h"
#include "sl_time.h"

static void usage(FILE *fp)
{
	fprintf(fp,
	        "usage: sluice-shipper parse [--type TYPE] [--parser NAME] [--host H] [FILE...]\n"
	        "Prints the events an input of TYPE (default file) would ship for each line\n"
	        "of the FILEs (default: standard input), one JSON object a line.\n");
}

/* Ships one stream through a new pipe; returns 0 or -1. */
static int run(FILE *in, const char *path, const struct sl_pipe_opts *base, const char *host,
               int64_t max_line)
{
	char err[512];
	struct sl_pipe_opts po = *base;
	po.path = path;
	struct sl_pipe *p = sl_pipe_new(&po, err, sizeof err);
	if (!p) {
		fprintf(stderr, "sluice-shipper parse: %s\n", err);
		return -1;
	}
	struct sl_event_ctx ctx = {.host = host, .source = po.type, .path = path, .identity = path};
	struct sl_buf out = {0};
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	uint64_t off = 0;
	for (;;) {
		n = getline(&line, &cap, in);
		int64_t now = sl_mono_ms();
		if (n > 0) {
			size_t len = (size_t)n;
			uint64_t end = off + len;
			if (line[len - 1] == '\n')
				len--;
			if (len && line[len - 1] == '\r')
				len--;
			int truncated = (int64_t)len > max_line;
			sl_pipe_feed(p, line, truncated ? (size_t)max_line : len, off, end,
			             truncated, now);
			off = end;
		} else {
			sl_pipe_flush(p, now, 1);
		}
		struct sl_pipe_rec *r;
		while ((r = sl_pipe_peek(p))) {
			sl_buf_reset(&out);
			sl_event_write(&r->ev, &ctx, r->off, sl_time_now_ns(), &out);
			sl_buf_putc(&out, '\n');
			fwrite(out.data, 1, out.len, stdout);
			sl_pipe_pop(p);
		}
		if (n <= 0)
			break;
	}
	int rc = ferror(in) ? -1 : 0;
	if (rc)
		fprintf(stderr, "sluice-shipper parse: %s: read error\n", path);
	free(line);
	sl_buf_free(&out);
	sl_pipe_free(p);
	return rc;
}

int sh_parse_main(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"type", required_argument, NULL, 't'},
	    {"parser", required_argument, NULL, 'p'},
	    {"host", required_argument, NULL, 'H'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	struct sl_pipe_opts po = {
	    .type = "file", .parser = "", .max_record = 1 << 20, .flush_ms = 1000};
	const char *host = "localhost";
	int opt;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "t:p:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 't':
			po.type = optarg;
			break;
		case 'p':
			po.parser = optarg;
			break;
		case 'H':
			host = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	int rc = 0;
	if (optind == argc)
		return run(stdin, "-", &po, host, (int64_t)po.max_record) ? 1 : 0;
	for (int i = optind; i < argc; i++) {
		FILE *f = fopen(argv[i], "rb");
		if (!f) {
			fprintf(stderr, "sluice-shipper parse: %s: %s\n", argv[i], strerror(errno));
			rc = 1;
			continue;
		}
		if (run(f, argv[i], &po, host, (int64_t)po.max_record))
			rc = 1;
		fclose(f);
	}
	fflush(stdout);
	return rc;
}
