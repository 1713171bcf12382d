/*
 * sl_pipe — the record path of one input file, shared by the shipper and by
 * `sluice-shipper parse`: physical lines go in, finished events come out.
 *
 *   line -> container wrapper (docker json-file / CRI: decode, join partial
 *           lines, take time and stream) -> multiline assembly (start /
 *           continuation rules, flush timeout, line cap) -> parser ->
 *           normalization -> redaction -> event
 *
 * Offsets: every record carries the byte offset of its first physical line
 * (off) and the offset just past its last one (end). The shipper checkpoints
 * `end` once Kafka acknowledged the record, so a record still being assembled
 * is never acknowledged: after a crash its lines are read again.
 *
 * Use: sl_pipe_feed() each line; then, while sl_pipe_peek() returns a record,
 * ship it and sl_pipe_pop() it (a record that could not be shipped yet stays
 * at the head). sl_pipe_flush() on a timer emits multi-line records whose
 * flush timeout passed, and with force=1 everything (end of file, shutdown).
 */
#ifndef SL_PIPELINE_H
#define SL_PIPELINE_H

#include <stddef.h>
#include <stdint.h>

#include "event.h"
#include "sl_config.h"

struct sl_pipe;

struct sl_pipe_opts {
	const char *type;   /* input type: file docker cri postgres mysql redis syslog */
	const char *parser; /* parser name, or NULL/"" for the type's default */
	const char *path;   /* the file, for container.id / k8s.* from the path */
	const struct sl_cfg_node *parser_opts; /* may be NULL */
	const struct sl_cfg_node *multiline;   /* may be NULL: the type's default */
	const struct sl_cfg_node *redact;      /* may be NULL: built-in rules only */
	size_t max_record;                     /* bytes; longer records are cut, flagged */
	int64_t flush_ms;                      /* multi-line flush timeout */
	int64_t ref_ns; /* "now" for year-less timestamps (0: the clock), for tests */
};

struct sl_pipe_rec {
	struct sl_event ev; /* finished event, ready for sl_event_write */
	uint64_t off, end;
};

/* Creates a pipe. Returns NULL with a message in err on a bad option. Free
 * with sl_pipe_free(), which releases every queued record. */
struct sl_pipe *sl_pipe_new(const struct sl_pipe_opts *o, char *err, size_t errlen);
void sl_pipe_free(struct sl_pipe *p);
/* One physical line without its newline; off its first byte, end the offset
 * past its newline. now_ms is a monotonic clock, for flush timeouts. */
void sl_pipe_feed(struct sl_pipe *p, const char *line, size_t len, uint64_t off, uint64_t end,
                  int truncated, int64_t now_ms);
void sl_pipe_flush(struct sl_pipe *p, int64_t now_ms, int force);
/* The oldest finished record, or NULL. Valid until sl_pipe_pop(). */
struct sl_pipe_rec *sl_pipe_peek(struct sl_pipe *p);
void sl_pipe_pop(struct sl_pipe *p);
/* Records waiting in the pipe (assembled or being assembled), for lag. */
size_t sl_pipe_pending(const struct sl_pipe *p);

#endif
