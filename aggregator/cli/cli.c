/*
 * sluice command-line client: talks to the aggregator's HTTP query API
 * (GET /api/v1/search, GET /api/v1/count) and renders the answers.
 */
#include "cli.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <yajl/yajl_tree.h>

#include "http.h"

/* Error and count answers are kept whole, up to this much. A count answer
 * can hold 10,000 buckets of a histogram (~70 bytes each) and 1,000 top
 * values: far more than an error's 64 KiB. */
#define SL_CLI_BODY_MAX (16 * 1024 * 1024)
/* Width of the SERVICE column in table output. */
#define SL_CLI_SERVICE_WIDTH 16
/* Nested objects deeper than this are printed as JSON, not flattened. */
#define SL_CLI_MAX_DEPTH       8
#define SL_CLI_CONNECT_TIMEOUT 10

#define SL_CLI_RESET "\033[0m"
#define SL_CLI_DIM   "\033[2m"

static const char usage_global[] =
    "Usage: sluice [--server URL] [--token T] [--cacert F] COMMAND [ARGS]\n"
    "       sluice search QUERY [--since DUR] [--from T] [--until T] [--limit N] [-C N]\n"
    "                           [--output table|json|raw]\n"
    "       sluice count QUERY [--since DUR] [--from T] [--until T] [--by FIELD [--top N]]\n"
    "                          [--every DUR] [--output text|json]\n"
    "       sluice tail QUERY [--output table|json|raw]\n"
    "       sluice --version | --help | COMMAND --help\n";

static const char usage_search[] =
    "Usage: sluice search QUERY [--since DUR] [--from T] [--until T] [--limit N] [-C N]\n"
    "                           [--output table|json|raw]\n";

static const char usage_count[] =
    "Usage: sluice count QUERY [--since DUR] [--from T] [--until T] [--by FIELD [--top N]]\n"
    "                          [--every DUR] [--output text|json]\n";

static const char usage_tail[] = "Usage: sluice tail QUERY [--output table|json|raw]\n";

static const char help_global[] =
    "\n"
    "Query the events stored by a sluice aggregator.\n"
    "\n"
    "Commands:\n"
    "  search QUERY    print the events matching QUERY, newest first\n"
    "  count QUERY     print the number of events matching QUERY, top values, a histogram\n"
    "  tail QUERY      print new events matching QUERY as they arrive, until Ctrl-C\n"
    "\n"
    "Global options (also accepted after COMMAND):\n"
    "  --server URL    aggregator URL (default: $SLUICE_SERVER, else " SL_CLI_DEFAULT_SERVER ")\n"
    "  --token T       send \"Authorization: Bearer T\" (default: $SLUICE_TOKEN)\n"
    "  --cacert F      CA certificate file for https servers (default: $SLUICE_CACERT)\n"
    "  --help          print this help and exit\n"
    "  --version       print the version and exit\n"
    "\n"
    "Run 'sluice COMMAND --help' for the options of a command.\n"
    "Exit status: 0 on success, 1 when the server reports an error,\n"
    "2 on bad usage or when the server cannot be reached.\n";

static const char help_filters[] =
    "  --since DUR     only events from the last DUR (a duration such as 15m or 2h)\n"
    "  --from T        only events from time T on (RFC 3339)\n"
    "  --until T       only events up to time T (RFC 3339)\n";

static const char help_search_head[] =
    "\n"
    "Print the events matching QUERY, newest first. Quote QUERY to keep it one\n"
    "argument; several words are joined with a space.\n"
    "\n"
    "Options:\n";

static const char help_search_tail[] =
    "  --limit N       print at most N events (default: 100; 0: no limit)\n"
    "  -C, --context N also print N events before and after each hit from the same\n"
    "                  source (host and path), like grep -C; groups are separated by --\n"
    "  --output FMT    table: TIME LEVEL SERVICE MESSAGE, one line per event\n"
    "                  json:  the events as received, one JSON object per line\n"
    "                  raw:   the message of each event\n"
    "                  (default: table on a terminal, json otherwise)\n"
    "  --help          print this help and exit\n";

static const char help_count_head[] =
    "\n"
    "Print the number of events matching QUERY. Quote QUERY to keep it one\n"
    "argument; several words are joined with a space.\n"
    "\n"
    "Options:\n";

static const char help_count_tail[] =
    "  --by FIELD      also count the events by the values of FIELD (the top ones)\n"
    "  --top N         how many values --by shows (default 10)\n"
    "  --every DUR     also count per time step DUR (1m, 1h, ...): a bar chart on a\n"
    "                  terminal, TIME COUNT lines otherwise\n"
    "  --output FMT    text: just the number and the tables (default);\n"
    "                  json: the server's answer, {\"count\": N, ...}\n"
    "  --help          print this help and exit\n";

static const char help_tail[] =
    "\n"
    "Print new events matching QUERY as they arrive, oldest first, until Ctrl-C.\n"
    "\n"
    "Options:\n"
    "  --output FMT    table, json or raw, as for search\n"
    "  --help          print this help and exit\n";

/* Keys of an event that table output shows in its own columns, or hides. */
static const char *const reserved_keys[] = {
    "time", "id", "host", "source", "path", "offset", "service", "level", "message",
};

/* ------------------------------------------------------------------ */
/* Argument parsing                                                   */
/* ------------------------------------------------------------------ */

static int out_of_memory(void)
{
	fputs("sluice: out of memory\n", stderr);
	return SL_CLI_EXIT_ERROR;
}

static const char *cmd_usage(enum sl_cli_cmd cmd)
{
	switch (cmd) {
	case SL_CLI_CMD_SEARCH:
		return usage_search;
	case SL_CLI_CMD_COUNT:
		return usage_count;
	case SL_CLI_CMD_TAIL:
		return usage_tail;
	default:
		return usage_global;
	}
}

static void print_help(enum sl_cli_cmd cmd)
{
	switch (cmd) {
	case SL_CLI_CMD_SEARCH:
		fputs(usage_search, stdout);
		fputs(help_search_head, stdout);
		fputs(help_filters, stdout);
		fputs(help_search_tail, stdout);
		break;
	case SL_CLI_CMD_COUNT:
		fputs(usage_count, stdout);
		fputs(help_count_head, stdout);
		fputs(help_filters, stdout);
		fputs(help_count_tail, stdout);
		break;
	case SL_CLI_CMD_TAIL:
		fputs(usage_tail, stdout);
		fputs(help_tail, stdout);
		break;
	default:
		fputs(usage_global, stdout);
		fputs(help_global, stdout);
		break;
	}
}

__attribute__((format(printf, 2, 3))) static int usage_error(enum sl_cli_cmd cmd, const char *fmt,
                                                             ...)
{
	va_list ap;

	fputs("sluice: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fputs(cmd_usage(cmd), stderr);
	fputs("Try 'sluice --help' for more information.\n", stderr);
	return SL_CLI_EXIT_USAGE;
}

/*
 * Matches argv[*i] against "--name VALUE" and "--name=VALUE".
 * Returns 0 when it is not that option, 1 when it is (*val set, *i moved to
 * the last argument used), -1 when the value is missing.
 */
static int opt_value(const char *name, int argc, char **argv, int *i, const char **val)
{
	const char *a = argv[*i];
	size_t n = strlen(name);

	if (strncmp(a, "--", 2) != 0 || strncmp(a + 2, name, n) != 0)
		return 0;
	if (a[2 + n] == '=') {
		*val = a + 3 + n;
		return 1;
	}
	if (a[2 + n] != '\0')
		return 0;
	if (*i + 1 >= argc)
		return -1;
	*i += 1;
	*val = argv[*i];
	return 1;
}

/*
 * Handles the global options --server, --token and --cacert at argv[*i].
 * Returns 1 when handled, 0 when argv[*i] is none of them, -1 on a usage
 * error (already reported, *exit_code set).
 */
static int global_opt(struct sl_cli_opts *o, enum sl_cli_cmd cmd, int argc, char **argv, int *i,
                      int *exit_code)
{
	static const char *const names[] = {"server", "token", "cacert"};
	const char **dst[] = {&o->server, &o->token, &o->cacert};
	size_t k;
	int r;

	for (k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
		r = opt_value(names[k], argc, argv, i, dst[k]);
		if (r < 0) {
			*exit_code = usage_error(cmd, "option --%s needs a value", names[k]);
			return -1;
		}
		if (r > 0)
			return 1;
	}
	return 0;
}

/*
 * Appends word to o->query, separated by a space. o->query is
 * (re)allocated here and freed by sl_cli_opts_free(). Returns 0 or -1 when
 * out of memory.
 */
static int query_append(struct sl_cli_opts *o, const char *word)
{
	size_t old = o->query ? strlen(o->query) : 0;
	size_t add = strlen(word);
	char *q;

	q = realloc(o->query, old + (o->query ? 1 : 0) + add + 1);
	if (!q)
		return -1;
	if (o->query) {
		q[old] = ' ';
		memcpy(q + old + 1, word, add + 1);
	} else {
		memcpy(q, word, add + 1);
	}
	o->query = q;
	return 0;
}

static int parse_limit(const char *s, long *out)
{
	char *end;
	long v;

	if (!isdigit((unsigned char)s[0]))
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end != '\0' || v < 0)
		return -1;
	*out = v;
	return 0;
}

static int parse_output(enum sl_cli_cmd cmd, const char *s, enum sl_cli_output *out)
{
	if (strcmp(s, "json") == 0)
		*out = SL_CLI_OUT_JSON;
	else if (cmd != SL_CLI_CMD_COUNT && strcmp(s, "table") == 0)
		*out = SL_CLI_OUT_TABLE;
	else if (cmd != SL_CLI_CMD_COUNT && strcmp(s, "raw") == 0)
		*out = SL_CLI_OUT_RAW;
	else if (cmd == SL_CLI_CMD_COUNT && strcmp(s, "text") == 0)
		*out = SL_CLI_OUT_TEXT;
	else
		return -1;
	return 0;
}

static const char *env_or_null(const char *name)
{
	const char *v = getenv(name);

	return v && v[0] ? v : NULL;
}

static int is_help(const char *a)
{
	return strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0;
}

/* Whether a is one of the command options (--since, --limit, ...). */
static int is_cmd_opt(const char *a)
{
	static const char *const names[] = {"since", "from",  "until", "limit",  "output",
	                                    "by",    "every", "top",   "context"};
	size_t k, n;

	if (strncmp(a, "--", 2) != 0)
		return 0;
	for (k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
		n = strlen(names[k]);
		if (strncmp(a + 2, names[k], n) == 0 && (a[2 + n] == '\0' || a[2 + n] == '='))
			return 1;
	}
	return 0;
}

static enum sl_cli_cmd cmd_from_name(const char *name)
{
	if (strcmp(name, "search") == 0)
		return SL_CLI_CMD_SEARCH;
	if (strcmp(name, "count") == 0)
		return SL_CLI_CMD_COUNT;
	if (strcmp(name, "tail") == 0)
		return SL_CLI_CMD_TAIL;
	return SL_CLI_CMD_NONE;
}

/*
 * Parses the arguments after the command name (argv[i] onwards).
 * Returns 0 or -1 with *exit_code set. Allocates o->query (see
 * sl_cli_parse()).
 */
static int parse_cmd_args(struct sl_cli_opts *o, int i, int argc, char **argv, int *exit_code)
{
	enum sl_cli_cmd cmd = o->cmd;
	int positional = 0, only_positional = 0, r;
	const char *v, *a;

	for (; i < argc; i++) {
		a = argv[i];
		if (!only_positional && cmd == SL_CLI_CMD_SEARCH && strncmp(a, "-C", 2) == 0 &&
		    (a[2] == '\0' || isdigit((unsigned char)a[2]))) {
			v = a[2] ? a + 2 : (i + 1 < argc ? argv[++i] : NULL);
			if (!v || parse_limit(v, &o->context) < 0) {
				*exit_code =
				    usage_error(cmd, "-C needs a number of events, like -C 3");
				return -1;
			}
			continue;
		}
		if (only_positional || (strncmp(a, "--", 2) != 0 && strcmp(a, "-h") != 0)) {
			/* Not an option: a single dash may start a query, e.g. -level:debug. */
			if (query_append(o, a) < 0) {
				*exit_code = out_of_memory();
				return -1;
			}
			positional++;
			continue;
		}
		if (strcmp(a, "--") == 0) {
			only_positional = 1;
			continue;
		}
		if (is_help(a)) {
			print_help(cmd);
			*exit_code = SL_CLI_EXIT_OK;
			return -1;
		}
		r = global_opt(o, cmd, argc, argv, &i, exit_code);
		if (r < 0)
			return -1;
		if (r > 0)
			continue;
		if ((r = opt_value("since", argc, argv, &i, &v)) > 0) {
			o->since = v;
		} else if (r == 0 && (r = opt_value("from", argc, argv, &i, &v)) > 0) {
			o->from = v;
		} else if (r == 0 && (r = opt_value("until", argc, argv, &i, &v)) > 0) {
			o->until = v;
		} else if (r == 0 && (r = opt_value("output", argc, argv, &i, &v)) > 0) {
			if (parse_output(cmd, v, &o->output) < 0) {
				*exit_code =
				    usage_error(cmd, "invalid --output '%s': expected %s", v,
				                cmd != SL_CLI_CMD_COUNT ? "table, json or raw"
				                                        : "text or json");
				return -1;
			}
		} else if (r == 0 && cmd == SL_CLI_CMD_SEARCH &&
		           (r = opt_value("context", argc, argv, &i, &v)) > 0) {
			if (parse_limit(v, &o->context) < 0) {
				*exit_code = usage_error(
				    cmd, "invalid --context '%s': expected a non-negative integer",
				    v);
				return -1;
			}
		} else if (r == 0 && cmd == SL_CLI_CMD_COUNT &&
		           (r = opt_value("by", argc, argv, &i, &v)) > 0) {
			o->by = v;
		} else if (r == 0 && cmd == SL_CLI_CMD_COUNT &&
		           (r = opt_value("every", argc, argv, &i, &v)) > 0) {
			o->every = v;
		} else if (r == 0 && cmd == SL_CLI_CMD_COUNT &&
		           (r = opt_value("top", argc, argv, &i, &v)) > 0) {
			if (parse_limit(v, &o->top) < 0 || o->top == 0) {
				*exit_code = usage_error(
				    cmd, "invalid --top '%s': expected a positive integer", v);
				return -1;
			}
		} else if (r == 0 && cmd == SL_CLI_CMD_SEARCH &&
		           (r = opt_value("limit", argc, argv, &i, &v)) > 0) {
			if (parse_limit(v, &o->limit) < 0) {
				*exit_code = usage_error(
				    cmd, "invalid --limit '%s': expected a non-negative integer",
				    v);
				return -1;
			}
		} else if (r < 0) {
			*exit_code = usage_error(cmd, "option %s needs a value", a);
			return -1;
		} else {
			*exit_code = usage_error(cmd, "unknown option '%s'", a);
			return -1;
		}
	}
	if (positional == 0) {
		*exit_code = usage_error(cmd, "missing QUERY");
		return -1;
	}
	return 0;
}

int sl_cli_parse(struct sl_cli_opts *o, int argc, char **argv, int *exit_code)
{
	const char *a;
	int i, r;

	memset(o, 0, sizeof(*o));
	o->limit = SL_CLI_DEFAULT_LIMIT;
	o->context = -1;

	for (i = 1; i < argc; i++) {
		a = argv[i];
		if (a[0] != '-' || a[1] == '\0')
			break;
		if (strcmp(a, "--") == 0) {
			i++;
			break;
		}
		r = global_opt(o, SL_CLI_CMD_NONE, argc, argv, &i, exit_code);
		if (r < 0)
			return -1;
		if (r > 0)
			continue;
		if (is_help(a)) {
			print_help(SL_CLI_CMD_NONE);
			*exit_code = SL_CLI_EXIT_OK;
			return -1;
		}
		if (strcmp(a, "--version") == 0 || strcmp(a, "-V") == 0) {
			printf("sluice %s\n", SLUICE_VERSION);
			*exit_code = SL_CLI_EXIT_OK;
			return -1;
		}
		if (is_cmd_opt(a))
			*exit_code =
			    usage_error(SL_CLI_CMD_NONE, "option '%s' goes after COMMAND", a);
		else
			*exit_code = usage_error(SL_CLI_CMD_NONE, "unknown option '%s'", a);
		return -1;
	}
	if (i >= argc) {
		*exit_code = usage_error(SL_CLI_CMD_NONE, "missing COMMAND");
		return -1;
	}
	if (strcmp(argv[i], "help") == 0) {
		/* "sluice help [COMMAND]" */
		enum sl_cli_cmd c = i + 1 < argc ? cmd_from_name(argv[i + 1]) : SL_CLI_CMD_NONE;

		if (i + 1 < argc && c == SL_CLI_CMD_NONE) {
			*exit_code = usage_error(c, "unknown command '%s'", argv[i + 1]);
			return -1;
		}
		print_help(c);
		*exit_code = SL_CLI_EXIT_OK;
		return -1;
	}
	o->cmd = cmd_from_name(argv[i]);
	if (o->cmd == SL_CLI_CMD_NONE) {
		*exit_code = usage_error(SL_CLI_CMD_NONE, "unknown command '%s'", argv[i]);
		return -1;
	}
	if (parse_cmd_args(o, i + 1, argc, argv, exit_code) < 0)
		return -1;

	if (!o->server)
		o->server = env_or_null("SLUICE_SERVER");
	if (!o->server)
		o->server = SL_CLI_DEFAULT_SERVER;
	if (!o->token)
		o->token = env_or_null("SLUICE_TOKEN");
	if (!o->cacert)
		o->cacert = env_or_null("SLUICE_CACERT");
	if (o->token && o->token[0] == '\0')
		o->token = NULL;
	if (o->cacert && o->cacert[0] == '\0')
		o->cacert = NULL;
	if (o->server[0] == '\0') {
		*exit_code = usage_error(SL_CLI_CMD_NONE, "empty --server URL");
		return -1;
	}
	for (a = o->token; a && *a; a++) {
		if ((unsigned char)*a < 0x20 || *a == 0x7f) {
			*exit_code =
			    usage_error(SL_CLI_CMD_NONE, "the token contains control characters");
			return -1;
		}
	}
	return 0;
}

void sl_cli_opts_free(struct sl_cli_opts *o)
{
	free(o->query);
	o->query = NULL;
}

/* ------------------------------------------------------------------ */
/* Event rendering                                                    */
/* ------------------------------------------------------------------ */

/* Reads exactly n decimal digits at s into *v. Returns 1 on success. */
static int read_digits(const char *s, int n, int *v)
{
	int k;

	*v = 0;
	for (k = 0; k < n; k++) {
		if (!isdigit((unsigned char)s[k]))
			return 0;
		*v = *v * 10 + (s[k] - '0');
	}
	return 1;
}

int sl_cli_format_time(const char *in, char *out)
{
	int year, mon, day, hour, min, sec, ms = 0, nd = 0, oh, om, off = 0;
	const char *p = in;
	char buf[64];
	struct tm tm;
	time_t t;

	if (!read_digits(p, 4, &year) || p[4] != '-' || !read_digits(p + 5, 2, &mon) ||
	    p[7] != '-' || !read_digits(p + 8, 2, &day))
		return -1;
	if (p[10] != 'T' && p[10] != 't' && p[10] != ' ')
		return -1;
	p += 11;
	if (!read_digits(p, 2, &hour) || p[2] != ':' || !read_digits(p + 3, 2, &min) ||
	    p[5] != ':' || !read_digits(p + 6, 2, &sec))
		return -1;
	p += 8;
	if (*p == '.') {
		for (p++; isdigit((unsigned char)*p); p++, nd++) {
			if (nd < 3)
				ms = ms * 10 + (*p - '0');
		}
		if (nd == 0)
			return -1;
		for (; nd < 3; nd++)
			ms *= 10;
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		if (!read_digits(p + 1, 2, &oh) || p[3] != ':' || !read_digits(p + 4, 2, &om) ||
		    oh > 23 || om > 59)
			return -1;
		off = (oh * 60 + om) * (*p == '-' ? -1 : 1);
		p += 6;
	} else {
		return -1;
	}
	if (*p != '\0' || mon < 1 || mon > 12 || day < 1 || day > 31 || hour > 23 || min > 59 ||
	    sec > 60)
		return -1;

	if (off != 0) {
		memset(&tm, 0, sizeof(tm));
		tm.tm_year = year - 1900;
		tm.tm_mon = mon - 1;
		tm.tm_mday = day;
		tm.tm_hour = hour;
		tm.tm_min = min;
		tm.tm_sec = sec;
		t = timegm(&tm) - (time_t)off * 60;
		if (!gmtime_r(&t, &tm))
			return -1;
		year = tm.tm_year + 1900;
		mon = tm.tm_mon + 1;
		day = tm.tm_mday;
		hour = tm.tm_hour;
		min = tm.tm_min;
		sec = tm.tm_sec;
	}
	if (snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", year, mon, day, hour,
	             min, sec, ms) != SL_CLI_TIME_LEN)
		return -1;
	memcpy(out, buf, SL_CLI_TIME_LEN + 1);
	return 0;
}

static yajl_val obj_get(yajl_val obj, const char *key)
{
	size_t k;

	if (!YAJL_IS_OBJECT(obj))
		return NULL;
	for (k = 0; k < obj->u.object.len; k++) {
		if (strcmp(obj->u.object.keys[k], key) == 0)
			return obj->u.object.values[k];
	}
	return NULL;
}

/* Returns obj[key] when it is a string, else NULL. */
static const char *get_str(yajl_val obj, const char *key)
{
	yajl_val v = obj_get(obj, key);

	return YAJL_IS_STRING(v) ? v->u.string : NULL;
}

static int is_reserved(const char *key)
{
	size_t k;

	for (k = 0; k < sizeof(reserved_keys) / sizeof(reserved_keys[0]); k++) {
		if (strcmp(key, reserved_keys[k]) == 0)
			return 1;
	}
	return 0;
}

/*
 * Writes s with control characters escaped (\n, \r, \t, \xHH) so that it
 * stays on one line; with quote set, '"' and '\\' are escaped as well.
 * Returns the number of characters (UTF-8 code points) written.
 */
static size_t put_escaped(FILE *out, const char *s, int quote)
{
	size_t cols = 0;
	unsigned char c;

	for (; *s; s++) {
		c = (unsigned char)*s;
		if (c == '\n') {
			fputs("\\n", out);
			cols += 2;
		} else if (c == '\r') {
			fputs("\\r", out);
			cols += 2;
		} else if (c == '\t') {
			fputs("\\t", out);
			cols += 2;
		} else if (c < 0x20 || c == 0x7f) {
			fprintf(out, "\\x%02x", c);
			cols += 4;
		} else if (quote && (c == '"' || c == '\\')) {
			fputc('\\', out);
			fputc(c, out);
			cols += 2;
		} else {
			fputc(c, out);
			if ((c & 0xc0) != 0x80)
				cols++;
		}
	}
	return cols;
}

static void print_json(FILE *out, yajl_val v)
{
	size_t k;

	if (YAJL_IS_STRING(v)) {
		fputc('"', out);
		put_escaped(out, v->u.string, 1);
		fputc('"', out);
	} else if (YAJL_IS_NUMBER(v)) {
		fputs(YAJL_GET_NUMBER(v), out);
	} else if (YAJL_IS_TRUE(v)) {
		fputs("true", out);
	} else if (YAJL_IS_FALSE(v)) {
		fputs("false", out);
	} else if (YAJL_IS_OBJECT(v)) {
		fputc('{', out);
		for (k = 0; k < v->u.object.len; k++) {
			if (k)
				fputc(',', out);
			fputc('"', out);
			put_escaped(out, v->u.object.keys[k], 1);
			fputs("\":", out);
			print_json(out, v->u.object.values[k]);
		}
		fputc('}', out);
	} else if (YAJL_IS_ARRAY(v)) {
		fputc('[', out);
		for (k = 0; k < v->u.array.len; k++) {
			if (k)
				fputc(',', out);
			print_json(out, v->u.array.values[k]);
		}
		fputc(']', out);
	} else {
		fputs("null", out);
	}
}

/* Prints a field value: plain strings bare, others quoted, non-strings as JSON. */
static void print_value(FILE *out, yajl_val v)
{
	const char *s;

	if (!YAJL_IS_STRING(v)) {
		print_json(out, v);
		return;
	}
	s = v->u.string;
	if (s[0] != '\0' && !strpbrk(s, " =\"\\\n\r\t")) {
		put_escaped(out, s, 0);
		return;
	}
	fputc('"', out);
	put_escaped(out, s, 1);
	fputc('"', out);
}

/* Prints " key=value" for v, flattening nested objects to dotted keys. */
static void print_field(FILE *out, const char **path, int depth, yajl_val v, int color)
{
	size_t k;
	int j;

	if (YAJL_IS_OBJECT(v) && v->u.object.len > 0 && depth < SL_CLI_MAX_DEPTH) {
		for (k = 0; k < v->u.object.len; k++) {
			path[depth] = v->u.object.keys[k];
			print_field(out, path, depth + 1, v->u.object.values[k], color);
		}
		return;
	}
	fputs(color ? " " SL_CLI_DIM : " ", out);
	for (j = 0; j < depth; j++) {
		if (j)
			fputc('.', out);
		put_escaped(out, path[j], 0);
	}
	fputc('=', out);
	print_value(out, v);
	if (color)
		fputs(SL_CLI_RESET, out);
}

static const char *level_color(const char *level)
{
	if (strcasecmp(level, "error") == 0 || strcasecmp(level, "fatal") == 0)
		return "\033[31m";
	if (strcasecmp(level, "warn") == 0 || strcasecmp(level, "warning") == 0)
		return "\033[33m";
	if (strcasecmp(level, "info") == 0)
		return "\033[32m";
	if (strcasecmp(level, "debug") == 0 || strcasecmp(level, "trace") == 0)
		return SL_CLI_DIM;
	return NULL;
}

static void print_table_row(FILE *out, yajl_val ev, int tty, int color)
{
	const char *path[SL_CLI_MAX_DEPTH];
	const char *time_s = get_str(ev, "time");
	const char *level = get_str(ev, "level");
	const char *service = get_str(ev, "service");
	const char *lc = NULL;
	yajl_val msg = obj_get(ev, "message");
	char tbuf[SL_CLI_TIME_LEN + 1], lbuf[16];
	size_t k, cols;

	if (!time_s)
		time_s = "-";
	else if (sl_cli_format_time(time_s, tbuf) == 0)
		time_s = tbuf;
	cols = put_escaped(out, time_s, 0);
	for (; cols < SL_CLI_TIME_LEN; cols++)
		fputc(' ', out);
	fputc(' ', out);

	if (!level || !level[0])
		level = "-";
	for (k = 0; level[k] && k < sizeof(lbuf) - 1; k++)
		lbuf[k] = (char)toupper((unsigned char)level[k]);
	lbuf[k] = '\0';
	if (color)
		lc = level_color(level);
	if (lc)
		fputs(lc, out);
	cols = put_escaped(out, lbuf, 0);
	for (; cols < 5; cols++)
		fputc(' ', out);
	if (lc)
		fputs(SL_CLI_RESET, out);
	fputc(' ', out);

	if (!service || !service[0])
		service = get_str(ev, "host");
	if (!service || !service[0])
		service = "-";
	cols = put_escaped(out, service, 0);
	for (; cols < SL_CLI_SERVICE_WIDTH; cols++)
		fputc(' ', out);
	fputc(' ', out);

	if (YAJL_IS_STRING(msg))
		put_escaped(out, msg->u.string, 0);
	else if (msg)
		print_json(out, msg);

	if (tty) {
		for (k = 0; k < ev->u.object.len; k++) {
			if (is_reserved(ev->u.object.keys[k]))
				continue;
			path[0] = ev->u.object.keys[k];
			print_field(out, path, 1, ev->u.object.values[k], color);
		}
	}
	fputc('\n', out);
}

/*
 * Copies the line to a NUL-terminated buffer for yajl (freed here), and
 * frees the parse tree before returning.
 */
int sl_cli_print_event(FILE *out, const char *line, size_t len, enum sl_cli_output mode, int tty,
                       int color)
{
	char errbuf[128];
	char *copy = NULL;
	yajl_val ev = NULL, msg;
	int rc = -1;

	if (mode != SL_CLI_OUT_RAW && mode != SL_CLI_OUT_TABLE) {
		fwrite(line, 1, len, out);
		fputc('\n', out);
		return 0;
	}
	copy = malloc(len + 1);
	if (!copy)
		goto fail;
	memcpy(copy, line, len);
	copy[len] = '\0';
	ev = yajl_tree_parse(copy, errbuf, sizeof(errbuf));
	if (!YAJL_IS_OBJECT(ev)) {
		fwrite(line, 1, len, out);
		fputc('\n', out);
	} else if (mode == SL_CLI_OUT_RAW) {
		msg = obj_get(ev, "message");
		if (YAJL_IS_STRING(msg))
			fputs(msg->u.string, out);
		else if (msg && !YAJL_IS_NULL(msg))
			print_json(out, msg);
		fputc('\n', out);
	} else {
		print_table_row(out, ev, tty, color);
	}
	rc = 0;
fail:
	yajl_tree_free(ev);
	free(copy);
	return rc;
}

/* ------------------------------------------------------------------ */
/* HTTP                                                               */
/* ------------------------------------------------------------------ */

struct xfer {
	enum sl_cli_cmd cmd;
	enum sl_cli_output mode;
	int tty, color;
	long status; /* HTTP status, 0 until the answer's head has come */
	/* Partial line (search) or body (count, errors); freed by sl_cli_run(). */
	char *buf;
	size_t len, cap;
	int out_errno; /* errno of a failed write to stdout, 0 if none */
	int oom;
	int cut;         /* the body was longer than SL_CLI_BODY_MAX */
	int context;     /* search -C: lines are wrapped with kind and group */
	long last_group; /* -1 before the first */
};

/* Appends n bytes to x->buf, growing it (freed by sl_cli_run()). Keeps it NUL-terminated. */
static int buf_append(struct xfer *x, const char *data, size_t n)
{
	size_t cap;
	char *nb;

	if (x->len + n + 1 > x->cap) {
		cap = x->cap ? x->cap : 4096;
		while (cap < x->len + n + 1)
			cap *= 2;
		nb = realloc(x->buf, cap);
		if (!nb) {
			x->oom = 1;
			return -1;
		}
		x->buf = nb;
		x->cap = cap;
	}
	memcpy(x->buf + x->len, data, n);
	x->len += n;
	x->buf[x->len] = '\0';
	return 0;
}

/*
 * With -C the server sends {"kind":"before|hit|after","group":G,"event":{..}}:
 * finds kind, group and the event's text inside line. Returns 0 or -1.
 */
static int context_split(const char *line, size_t len, int *hit, long *group, const char **ev,
                         size_t *evlen)
{
	static const char pre[] = "{\"kind\":\"";
	const char *p = line, *end = line + len, *g;

	if (len < sizeof(pre) || memcmp(line, pre, sizeof(pre) - 1) != 0)
		return -1;
	p += sizeof(pre) - 1;
	*hit = end - p > 3 && memcmp(p, "hit", 3) == 0;
	g = strstr(p, "\"group\":");
	if (!g || g >= end)
		return -1;
	*group = strtol(g + 8, NULL, 10);
	p = strstr(g, "\"event\":");
	if (!p || p >= end || end[-1] != '}')
		return -1;
	*ev = p + 8;
	*evlen = (size_t)(end - 1 - *ev);
	return 0;
}

/* Prints one complete NDJSON line. Returns -1 to abort the transfer. */
static int emit_line(struct xfer *x, const char *line, size_t len)
{
	const char *ev;
	size_t evlen;
	long group;
	int hit;

	if (len > 0 && line[len - 1] == '\r')
		len--;
	if (len == 0)
		return 0;
	if (x->context && context_split(line, len, &hit, &group, &ev, &evlen) == 0) {
		if (x->last_group >= 0 && group != x->last_group)
			fputs(x->color ? SL_CLI_DIM "--" SL_CLI_RESET "\n" : "--\n", stdout);
		x->last_group = group;
		if (x->mode != SL_CLI_OUT_JSON) {
			if (x->mode == SL_CLI_OUT_TABLE)
				fputs(hit ? "> " : "  ", stdout);
			line = ev;
			len = evlen;
		}
	}
	if (sl_cli_print_event(stdout, line, len, x->mode, x->tty, x->color) < 0) {
		x->oom = 1;
		return -1;
	}
	if (ferror(stdout)) {
		x->out_errno = errno ? errno : EIO;
		return -1;
	}
	return 0;
}

/* Splits data into lines, buffering an incomplete last line in x->buf. */
static int feed_lines(struct xfer *x, const char *data, size_t n)
{
	const char *p = data, *end = data + n, *nl;

	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			return buf_append(x, p, (size_t)(end - p));
		if (x->len == 0) {
			if (emit_line(x, p, (size_t)(nl - p)) < 0)
				return -1;
		} else {
			if (buf_append(x, p, (size_t)(nl - p)) < 0)
				return -1;
			if (emit_line(x, x->buf, x->len) < 0)
				return -1;
			x->len = 0;
		}
		p = nl + 1;
	}
	return 0;
}

static int status_ok(long status)
{
	return status >= 200 && status < 300;
}

static int status_cb(void *userdata, long status)
{
	((struct xfer *)userdata)->status = status;
	return 0;
}

/* The answer's body as it comes: nonzero stops the transfer. */
static int body_cb(void *userdata, const char *data, size_t n)
{
	struct xfer *x = userdata;
	size_t keep;

	if (!status_ok(x->status) || x->cmd == SL_CLI_CMD_COUNT) {
		keep = x->len < SL_CLI_BODY_MAX ? SL_CLI_BODY_MAX - x->len : 0;
		if (keep > n)
			keep = n;
		x->cut |= keep < n;
		return buf_append(x, data, keep) < 0;
	}
	if (feed_lines(x, data, n) < 0)
		return 1;
	if (x->cmd == SL_CLI_CMD_TAIL && fflush(stdout) != 0) {
		x->out_errno = errno ? errno : EIO;
		return 1;
	}
	return 0;
}

/*
 * Builds {server}/api/v1/{search|count}?q=..&.. with every value
 * URL-encoded. Returns a malloc'd string the caller frees, or NULL when
 * out of memory.
 */
static char *build_url(const struct sl_cli_opts *o)
{
	const char *names[10], *values[10];
	char limit[32], context[32], top[32];
	const char *path = o->cmd == SL_CLI_CMD_SEARCH ? "/api/v1/search"
	                   : o->cmd == SL_CLI_CMD_TAIL ? "/api/v1/tail"
	                                               : "/api/v1/count";
	char *url = NULL, *p;
	size_t slen = strlen(o->server), total, n = 0, k;

	while (slen > 0 && o->server[slen - 1] == '/')
		slen--;
	names[n] = "q";
	values[n++] = o->query;
	if (o->cmd == SL_CLI_CMD_SEARCH) {
		snprintf(limit, sizeof(limit), "%ld", o->limit);
		names[n] = "limit";
		values[n++] = limit;
		if (o->context >= 0) {
			snprintf(context, sizeof(context), "%ld", o->context);
			names[n] = "context";
			values[n++] = context;
		}
	}
	if (o->since) {
		names[n] = "since";
		values[n++] = o->since;
	}
	if (o->from) {
		names[n] = "from";
		values[n++] = o->from;
	}
	if (o->until) {
		names[n] = "until";
		values[n++] = o->until;
	}
	if (o->by) {
		names[n] = "by";
		values[n++] = o->by;
	}
	if (o->every) {
		names[n] = "every";
		values[n++] = o->every;
	}
	if (o->top > 0) {
		snprintf(top, sizeof(top), "%ld", o->top);
		names[n] = "top";
		values[n++] = top;
	}

	total = slen + strlen(path) + 1;
	for (k = 0; k < n; k++)
		total += 1 + strlen(names[k]) + 1 + 3 * strlen(values[k]);
	url = malloc(total);
	if (!url)
		return NULL;
	memcpy(url, o->server, slen);
	p = url + slen;
	p += sprintf(p, "%s", path);
	for (k = 0; k < n; k++) {
		p += sprintf(p, "%c%s=", k ? '&' : '?', names[k]);
		p += sl_http_escape(values[k], p);
	}
	return url;
}

/* Reports a non-2xx answer: the server's {"error": ...} text when there is one. */
static void report_server_error(struct xfer *x)
{
	char errbuf[128];
	yajl_val root = NULL, msg;
	const char *body = x->buf ? x->buf : "";
	size_t n;

	root = yajl_tree_parse(body, errbuf, sizeof(errbuf));
	msg = obj_get(root, "error");
	if (YAJL_IS_STRING(msg)) {
		fprintf(stderr, "sluice: %s\n", msg->u.string);
	} else {
		n = strcspn(body, "\r\n");
		if (n > 200)
			n = 200;
		if (n > 0)
			fprintf(stderr, "sluice: server answered HTTP %ld: %.*s\n", x->status,
			        (int)n, body);
		else
			fprintf(stderr, "sluice: server answered HTTP %ld\n", x->status);
	}
	yajl_tree_free(root);
}

/* Prints a JSON scalar value of a --by answer. */
static void print_scalar(yajl_val v)
{
	if (YAJL_IS_STRING(v))
		put_escaped(stdout, v->u.string, 0);
	else
		print_json(stdout, v);
}

/* Prints the top values of a --by answer: COUNT VALUE lines. */
static void print_top(yajl_val root)
{
	yajl_val top = obj_get(root, "top"), values = obj_get(root, "values");
	size_t k;

	if (!YAJL_IS_ARRAY(top))
		return;
	for (k = 0; k < top->u.array.len; k++) {
		yajl_val e = top->u.array.values[k];
		yajl_val c = obj_get(e, "count");

		printf("%12s  ", YAJL_IS_NUMBER(c) ? YAJL_GET_NUMBER(c) : "?");
		print_scalar(obj_get(e, "value"));
		fputc('\n', stdout);
	}
	if (YAJL_IS_NUMBER(values) && (size_t)YAJL_GET_INTEGER(values) > top->u.array.len)
		printf("%12s  (%lld values in all)\n", "", (long long)YAJL_GET_INTEGER(values));
}

/* Prints a histogram: TIME COUNT, with a bar scaled to the largest count on
 * a terminal. */
static void print_buckets(yajl_val root, int tty, int color)
{
	yajl_val b = obj_get(root, "buckets");
	long long max = 1;
	size_t k;
	int j, w;

	if (!YAJL_IS_ARRAY(b))
		return;
	for (k = 0; k < b->u.array.len; k++) {
		yajl_val c = obj_get(b->u.array.values[k], "count");
		if (YAJL_IS_INTEGER(c) && YAJL_GET_INTEGER(c) > max)
			max = YAJL_GET_INTEGER(c);
	}
	for (k = 0; k < b->u.array.len; k++) {
		yajl_val e = b->u.array.values[k];
		yajl_val c = obj_get(e, "count");
		const char *t = get_str(e, "time");
		char tbuf[SL_CLI_TIME_LEN + 1];
		long long n = YAJL_IS_INTEGER(c) ? YAJL_GET_INTEGER(c) : 0;

		if (t && sl_cli_format_time(t, tbuf) == 0)
			t = tbuf;
		printf("%s %10lld", t ? t : "-", n);
		if (tty) {
			w = (int)((n * 50 + max - 1) / max);
			fputs(color ? "  \033[36m" : "  ", stdout);
			for (j = 0; j < w; j++)
				fputs("\u2588", stdout);
			if (color)
				fputs(SL_CLI_RESET, stdout);
		}
		fputc('\n', stdout);
	}
}

/* Prints the count answer held in x->buf. Returns the exit code. */
static int print_count(struct xfer *x)
{
	char errbuf[128];
	yajl_val root, count;
	int rc = SL_CLI_EXIT_ERROR;
	size_t n;

	if (x->cut) {
		fprintf(stderr,
		        "sluice: the server's answer is over %d MiB: ask for fewer buckets "
		        "(a longer --every, a shorter time range) or a smaller --top\n",
		        SL_CLI_BODY_MAX >> 20);
		return rc;
	}
	root = yajl_tree_parse(x->buf ? x->buf : "", errbuf, sizeof(errbuf));
	count = obj_get(root, "count");
	if (!YAJL_IS_NUMBER(count)) {
		fputs("sluice: unexpected answer from the server: no count\n", stderr);
		goto fail;
	}
	if (x->mode == SL_CLI_OUT_JSON) {
		if (!obj_get(root, "top") && !obj_get(root, "buckets")) {
			printf("{\"count\": %s}\n", YAJL_GET_NUMBER(count));
		} else {
			n = strcspn(x->buf, "\r\n");
			fwrite(x->buf, 1, n, stdout);
			fputc('\n', stdout);
		}
	} else {
		printf("%s\n", YAJL_GET_NUMBER(count));
		print_top(root);
		print_buckets(root, x->tty, x->color);
	}
	rc = SL_CLI_EXIT_OK;
fail:
	yajl_tree_free(root);
	return rc;
}

/* Reports a failed write to stdout; a closed pipe (e.g. "| head") is not an error. */
static int output_failed(int err)
{
	if (err == EPIPE)
		return SL_CLI_EXIT_OK;
	fprintf(stderr, "sluice: write error: %s\n", strerror(err));
	return SL_CLI_EXIT_ERROR;
}

/* Allocates the URL and x.buf; both are freed here before returning. */
int sl_cli_run(const struct sl_cli_opts *o)
{
	char err[512];
	struct xfer x;
	char *url = NULL;
	const char *term = getenv("TERM");
	enum sl_http_rc hr;
	int rc = SL_CLI_EXIT_ERROR;
	size_t n;

	memset(&x, 0, sizeof(x));
	x.cmd = o->cmd;
	x.mode = o->output;
	x.context = o->cmd == SL_CLI_CMD_SEARCH && o->context >= 0;
	x.last_group = -1;
	x.tty = isatty(STDOUT_FILENO);
	x.color = x.tty && !env_or_null("NO_COLOR") && !(term && strcmp(term, "dumb") == 0);
	if (x.mode == SL_CLI_OUT_DEFAULT)
		x.mode = o->cmd == SL_CLI_CMD_COUNT ? SL_CLI_OUT_TEXT
		                                    : (x.tty ? SL_CLI_OUT_TABLE : SL_CLI_OUT_JSON);

	url = build_url(o);
	if (!url) {
		rc = out_of_memory();
		goto fail;
	}
	struct sl_http_get g = {.url = url,
	                        .token = o->token,
	                        .cacert = o->cacert,
	                        .connect_timeout = SL_CLI_CONNECT_TIMEOUT,
	                        .status = status_cb,
	                        .body = body_cb,
	                        .ud = &x};
	hr = sl_http_do(&g, err, sizeof err);
	if (x.out_errno) {
		rc = output_failed(x.out_errno);
		goto fail;
	}
	if (x.oom) {
		rc = out_of_memory();
		goto fail;
	}
	if (hr == SL_HTTP_UNREACHABLE || hr == SL_HTTP_BROKEN) {
		if (hr == SL_HTTP_UNREACHABLE)
			fprintf(stderr, "sluice: cannot reach %s: %s\n", o->server, err);
		else
			fprintf(stderr, "sluice: reading the answer from %s failed: %s\n",
			        o->server, err);
		rc = SL_CLI_EXIT_USAGE;
		goto fail;
	}
	if (!status_ok(x.status)) {
		report_server_error(&x);
		goto fail;
	}
	if (o->cmd == SL_CLI_CMD_COUNT) {
		rc = print_count(&x);
		if (rc != SL_CLI_EXIT_OK)
			goto fail;
	} else if (x.len > 0) {
		/* Last line without a trailing newline. */
		n = x.len;
		x.len = 0;
		if (emit_line(&x, x.buf, n) < 0) {
			rc = x.oom ? out_of_memory() : output_failed(x.out_errno);
			goto fail;
		}
	}
	errno = 0;
	if (fflush(stdout) != 0 || ferror(stdout)) {
		rc = output_failed(errno ? errno : EIO);
		goto fail;
	}
	rc = SL_CLI_EXIT_OK;
fail:
	free(url);
	free(x.buf);
	return rc;
}

int sl_cli_main(int argc, char **argv)
{
	struct sl_cli_opts o;
	int rc;

	if (sl_cli_parse(&o, argc, argv, &rc) == 0)
		rc = sl_cli_run(&o);
	sl_cli_opts_free(&o);
	return rc;
}
