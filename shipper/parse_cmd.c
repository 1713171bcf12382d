/*
 * parse_cmd — `sluice-shipper parse`: files (or stdin) through the record
 * path of an input (sl_pipe: container wrapper, multi-line assembly, parser,
 * normalization, redaction), printed as JSON lines, without Kafka.
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
#include "sl_config.h"
#include "sl_time.h"

static void usage(FILE *fp)
{
	fprintf(fp,
	        "usage: sluice-shipper parse [OPTIONS] [FILE...]\n"
	        "Prints the events an input would ship for the FILEs (default: standard\n"
	        "input), one JSON object a line, through the same path the shipper uses.\n"
	        "  --type TYPE             input type: file (default), docker, cri, postgres,\n"
	        "                          mysql, redis, syslog\n"
	        "  --parser NAME           parser (default: the type's own)\n"
	        "  --multiline RULE        java, python, go, none, parser, or a YAML map like\n"
	        "                          '{start: \"^\\\\d{4}-\"}' (the input's `multiline`)\n"
	        "  --parser-options YAML   the input's `parser_options`, e.g.\n"
	        "                          '{log_line_prefix: \"%%m [%%p] \"}'\n"
	        "  --redact YAML           the input's `redact`\n"
	        "  --now RFC3339           fixed ingest time (and year for year-less times)\n"
	        "  --max-record SIZE       record cap (default 1MiB)\n"
	        "  --host NAME             the events' host (default localhost)\n");
}

/* Ships one stream through a new pipe; returns 0 or -1. */
static int run(FILE *in, const char *path, const struct sl_pipe_opts *base, const char *host,
               int64_t now_ns)
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
	size_t max_line = po.max_record;
	for (;;) {
		n = getline(&line, &cap, in);
		int64_t mono = sl_mono_ms();
		if (n > 0) {
			size_t len = (size_t)n;
			uint64_t end = off + len;
			if (line[len - 1] == '\n')
				len--;
			if (len && line[len - 1] == '\r')
				len--;
			int truncated = len > max_line;
			sl_pipe_feed(p, line, truncated ? max_line : len, off, end, truncated,
			             mono);
			off = end;
		} else {
			sl_pipe_flush(p, mono, 1);
		}
		struct sl_pipe_rec *r;
		while ((r = sl_pipe_peek(p))) {
			sl_buf_reset(&out);
			sl_event_write(&r->ev, &ctx, r->off, now_ns ? now_ns : sl_time_now_ns(),
			               &out);
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

/* Loads a YAML option value given on the command line (a scalar, a flow or
 * block map) into cfg and points *node at it. Returns 0, or -1 (printed). */
static int load_opt(struct sl_cfg *cfg, const char *name, const char *text,
                    const struct sl_cfg_node **node)
{
	/* the loader wants a map document: nest the value under one key */
	struct sl_buf doc = {0};
	sl_buf_puts(&doc, "v:\n  ");
	for (const char *c = text; *c; c++) {
		sl_buf_putc(&doc, *c);
		if (*c == '\n')
			sl_buf_puts(&doc, "  ");
	}
	sl_buf_putc(&doc, '\n');
	int rc = sl_cfg_load_string(cfg, name, doc.data, doc.len);
	sl_buf_free(&doc);
	if (rc) {
		fprintf(stderr, "sluice-shipper parse: %s\n", cfg->err);
		return -1;
	}
	*node = cfg->root ? sl_cfg_get(cfg->root, "v") : NULL;
	if (*node && (*node)->type == SL_CFG_SCALAR && !*(*node)->value)
		*node = NULL;
	return 0;
}

int sh_parse_main(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"type", required_argument, NULL, 't'},
	    {"parser", required_argument, NULL, 'p'},
	    {"multiline", required_argument, NULL, 'm'},
	    {"parser-options", required_argument, NULL, 'o'},
	    {"redact", required_argument, NULL, 'r'},
	    {"now", required_argument, NULL, 'n'},
	    {"max-record", required_argument, NULL, 'x'},
	    {"host", required_argument, NULL, 'H'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	struct sl_pipe_opts po = {
	    .type = "file", .parser = "", .max_record = 1 << 20, .flush_ms = 1000};
	const char *host = "localhost", *ml = NULL, *popts = NULL, *redact = NULL;
	int64_t now_ns = 0;
	int opt, rc = 0;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "t:p:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 't':
			po.type = optarg;
			break;
		case 'p':
			po.parser = optarg;
			break;
		case 'm':
			ml = optarg;
			break;
		case 'o':
			popts = optarg;
			break;
		case 'r':
			redact = optarg;
			break;
		case 'n':
			if (sl_time_parse(optarg, strlen(optarg), &now_ns)) {
				fprintf(
				    stderr,
				    "sluice-shipper parse: --now: expected RFC 3339, got \"%s\"\n",
				    optarg);
				return 2;
			}
			po.ref_ns = now_ns;
			break;
		case 'x': {
			int64_t v;
			if (sl_size_parse(optarg, &v) || v < 16) {
				fprintf(stderr,
				        "sluice-shipper parse: --max-record: expected a size, got "
				        "\"%s\"\n",
				        optarg);
				return 2;
			}
			po.max_record = (size_t)v;
			break;
		}
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
	struct sl_cfg c_ml = {0}, c_po = {0}, c_red = {0};
	if ((ml && load_opt(&c_ml, "--multiline", ml, &po.multiline)) ||
	    (popts && load_opt(&c_po, "--parser-options", popts, &po.parser_opts)) ||
	    (redact && load_opt(&c_red, "--redact", redact, &po.redact))) {
		rc = 2;
		goto done;
	}
	if (optind == argc) {
		rc = run(stdin, "-", &po, host, now_ns) ? 1 : 0;
		goto done;
	}
	for (int i = optind; i < argc; i++) {
		FILE *f = fopen(argv[i], "rb");
		if (!f) {
			fprintf(stderr, "sluice-shipper parse: %s: %s\n", argv[i], strerror(errno));
			rc = 1;
			continue;
		}
		if (run(f, argv[i], &po, host, now_ns))
			rc = 1;
		fclose(f);
	}
done:
	fflush(stdout);
	sl_cfg_free(&c_ml);
	sl_cfg_free(&c_po);
	sl_cfg_free(&c_red);
	return rc;
}
