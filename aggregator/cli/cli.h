/*
 * sluice command-line client: argument parsing, HTTP requests to the
 * aggregator's query API and rendering of the results.
 */
#ifndef SLUICE_AGGREGATOR_CLI_CLI_H
#define SLUICE_AGGREGATOR_CLI_CLI_H

#include <stddef.h>
#include <stdio.h>

/* Process exit codes. */
#define SL_CLI_EXIT_OK    0 /* success, also when there are no results */
#define SL_CLI_EXIT_ERROR 1 /* the server reported an error, or a local failure */
#define SL_CLI_EXIT_USAGE 2 /* bad usage, or the server could not be reached */

#define SL_CLI_DEFAULT_SERVER "http://127.0.0.1:7070"
#define SL_CLI_DEFAULT_LIMIT  100L

/* Width of the TIME column: YYYY-MM-DDTHH:MM:SS.mmmZ */
#define SL_CLI_TIME_LEN 24

enum sl_cli_cmd {
	SL_CLI_CMD_NONE = 0,
	SL_CLI_CMD_SEARCH,
	SL_CLI_CMD_COUNT,
	SL_CLI_CMD_TAIL,
};

enum sl_cli_output {
	SL_CLI_OUT_DEFAULT = 0, /* search: table on a tty, json otherwise; count: text */
	SL_CLI_OUT_TABLE,
	SL_CLI_OUT_JSON,
	SL_CLI_OUT_RAW,
	SL_CLI_OUT_TEXT,
};

struct sl_cli_opts {
	/* These point into argv or the environment; they are never freed. */
	const char *server;
	const char *token;
	const char *cacert;
	const char *since;
	const char *from;
	const char *until;
	enum sl_cli_cmd cmd;
	enum sl_cli_output output;
	long limit;        /* search only; 0 means no limit */
	long context;      /* search -C: events shown around each hit, -1: none */
	const char *by;    /* count --by FIELD */
	const char *every; /* count --every DUR */
	long top;          /* count --top N, 0: the server's default */
	char *query;       /* owned: freed by sl_cli_opts_free() */
};

/*
 * Parses argv into *o (which it initialises first) and applies the
 * $SLUICE_SERVER, $SLUICE_TOKEN and $SLUICE_CACERT defaults.
 * Returns 0 when the command should run. Otherwise returns -1 and stores
 * the exit code in *exit_code: --help and --version print to stdout and
 * give SL_CLI_EXIT_OK, usage errors print to stderr and give
 * SL_CLI_EXIT_USAGE.
 * o->query is allocated here; the caller frees it with sl_cli_opts_free(),
 * also when -1 is returned.
 */
int sl_cli_parse(struct sl_cli_opts *o, int argc, char **argv, int *exit_code);

/* Frees what sl_cli_parse() allocated in *o. Safe to call twice. */
void sl_cli_opts_free(struct sl_cli_opts *o);

/*
 * Runs the parsed command against the server and writes its output to
 * stdout; errors go to stderr. Returns the process exit code.
 */
int sl_cli_run(const struct sl_cli_opts *o);

/* Parses argv, runs the command, returns the process exit code. */
int sl_cli_main(int argc, char **argv);

/*
 * Shortens an RFC 3339 timestamp to UTC YYYY-MM-DDTHH:MM:SS.mmmZ
 * (fraction truncated to milliseconds, offsets converted to UTC) into out,
 * which must hold SL_CLI_TIME_LEN + 1 bytes. Returns 0, or -1 when in is
 * not an RFC 3339 timestamp (out is then untouched).
 */
int sl_cli_format_time(const char *in, char *out);

/*
 * Renders one NDJSON event line (len bytes, no newline) to out in mode
 * SL_CLI_OUT_JSON, SL_CLI_OUT_RAW or SL_CLI_OUT_TABLE. With tty set the
 * table is colored and extra fields are appended. A line that is not a
 * JSON object is printed as is. Returns 0, or -1 when out of memory.
 */
int sl_cli_print_event(FILE *out, const char *line, size_t len, enum sl_cli_output mode, int tty,
                       int color);

#endif /* SLUICE_AGGREGATOR_CLI_CLI_H */
