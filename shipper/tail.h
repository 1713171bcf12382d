/*
 * tail — finding the files an input names, knowing each file by its
 * identity, and reading complete lines from them.
 *
 * A file's identity is "dev:inode:fingerprint", the fingerprint being a hash
 * of its first line (or first 256 bytes), so a reused inode is a new file and
 * a renamed file is the same one. Rotation by rename: the old file is read to
 * its end, then closed. copytruncate: a file shorter than the read offset (or
 * whose first line changed) starts again at 0 as a new identity.
 *
 * Complete lines go through the file's sl_pipe (parsers/pipeline.h); each
 * finished record goes to the emit callback, which returns 0 to go on, or 1
 * to stop (backpressure): the record is kept and offered again next turn.
 * emit is also called with r == NULL at the end of each file's turn and
 * before a file starts over: it must then send what it batched for the
 * file (returning 1 if it could not yet).
 */
#ifndef SH_TAIL_H
#define SH_TAIL_H

#include <stdint.h>
#include <sys/types.h>

#include "config.h"
#include "event.h"
#include "parser.h"
#include "pipeline.h"
#include "sl_buf.h"

struct sh_file {
	struct sh_file *next;
	struct sh_input *input;
	size_t input_idx;
	char *path;
	dev_t dev;
	ino_t ino;
	int fd;
	char identity[80]; /* "" until the first line is there */
	uint64_t fp;       /* hash of the first line, part of the identity */
	int rewritten;     /* the first line changed: start over */
	char *key;         /* Kafka message key: host/identity */
	uint32_t gen;      /* bumped when the file restarts (truncation) */
	uint64_t buf_off;  /* file offset of buf.data[0] */
	struct sl_buf buf; /* bytes read, not yet emitted */
	int skipping;      /* inside an over-long line: drop up to its newline */
	uint64_t acked;    /* every record before this offset is acknowledged */
	int ack_failed;
	uint64_t start_at;  /* where reading starts for a new identity */
	int gone;           /* the path no longer leads here (rotated or deleted) */
	int64_t idle_since; /* mono ms of the last read that found nothing */
	int closed;
	int released;        /* let go by a config reload */
	int dormant;         /* no descriptor now (max_open_files); reopened on growth */
	int wants_fd;        /* dormant and has something to read */
	int64_t attached_at; /* mono ms the descriptor was opened */
	/* offsets past each produced record, in produce order, until acked */
	struct {
		uint64_t end;
		uint32_t gen;
	} * fifo;
	size_t fifo_cap, fifo_head, fifo_len;
	struct sl_pipe *pipe; /* lines -> records (wrappers, multiline, parser) */
	uint64_t batch_end;   /* offset past its last record in the shipper's batch */
	unsigned batch_n;     /* its events in the shipper's batch (0: none) */
	struct sl_event_ctx ctx;
	uint64_t lines, bytes; /* counters */
};

typedef int (*sh_emit_fn)(void *ud, struct sh_file *f, struct sl_pipe_rec *r);

struct sh_checkpoints;

struct sh_tail {
	struct sh_config *cfg;
	struct sh_file *files;
	size_t n_open;
	struct sh_checkpoints *cp;
	uint64_t lines_total, bytes_total; /* counters for /metrics */
	int first_scan_done;
	int warned_cap;
	struct sl_buf rbuf; /* read buffer of the file whose turn it is */
};

void sh_tail_init(struct sh_tail *t, struct sh_config *cfg, struct sh_checkpoints *cp);
/* Expands every input's globs: opens new files, notices rotated, deleted and
 * truncated ones. */
void sh_tail_scan(struct sh_tail *t);
/* Reads up to read_chunk bytes from each file and emits its complete lines.
 * Returns the number of bytes consumed, or -1 if emit asked to stop. */
int64_t sh_tail_read(struct sh_tail *t, sh_emit_fn emit, void *ud);
/* Records that the record ending at end was acknowledged (ok) or failed. */
void sh_file_ack(struct sh_file *f, int ok);
void sh_file_push(struct sh_file *f, uint64_t end);
/* Switches to a reloaded config: files of inputs that are unchanged keep
 * their state; files of inputs that changed or went are let go (their
 * acknowledged offsets are remembered, so a changed input resumes them). */
void sh_tail_reload(struct sh_tail *t, struct sh_config *ncfg);
/* Frees files that are closed and have nothing in flight. */
void sh_tail_reap(struct sh_tail *t);
void sh_tail_free(struct sh_tail *t);

#endif
