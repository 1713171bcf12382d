/*
 * tail — file discovery, identity, rotation and line reading.
 */
#include "tail.h"

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <glob.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "checkpoint.h"
#include "sl_id.h"
#include "sl_log.h"
#include "sl_time.h"

#define FP_LEN 256

void sh_tail_init(struct sh_tail *t, struct sh_config *cfg, struct sh_checkpoints *cp)
{
	memset(t, 0, sizeof *t);
	t->cfg = cfg;
	t->cp = cp;
}

static int excluded(const struct sh_input *in, const char *path)
{
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	for (size_t i = 0; i < in->exclude.n; i++)
		if (!fnmatch(in->exclude.v[i], path, 0) || !fnmatch(in->exclude.v[i], base, 0))
			return 1;
	return 0;
}

static struct sh_file *find_by_inode(struct sh_tail *t, dev_t dev, ino_t ino)
{
	for (struct sh_file *f = t->files; f; f = f->next)
		if (!f->closed && f->dev == dev && f->ino == ino)
			return f;
	return NULL;
}

/* Sets the identity once the first line (or FP_LEN bytes) is there.
 * Returns 0 when the file has an identity. */
/* Hash of the file's first line (or first FP_LEN bytes). Returns 0, or -1
 * while the file has neither. */
static int fingerprint(int fd, uint64_t *fp)
{
	char head[FP_LEN];
	ssize_t n = pread(fd, head, sizeof head, 0);
	if (n <= 0)
		return -1;
	char *nl = memchr(head, '\n', (size_t)n);
	size_t len = nl ? (size_t)(nl - head) + 1 : (size_t)n;
	if (!nl && n < FP_LEN)
		return -1;
	*fp = sl_hash64(head, len);
	return 0;
}

static int identify(struct sh_tail *t, struct sh_file *f)
{
	if (fingerprint(f->fd, &f->fp))
		return -1;
	snprintf(f->identity, sizeof f->identity, "%" PRIu64 ":%" PRIu64 ":%016" PRIx64,
	         (uint64_t)f->dev, (uint64_t)f->ino, f->fp);
	free(f->key);
	size_t kl = strlen(t->cfg->node) + 1 + strlen(f->identity) + 1;
	f->key = sl_malloc(kl);
	snprintf(f->key, kl, "%s/%s", t->cfg->node, f->identity);
	f->ctx.identity = f->identity;
	int64_t saved = sh_cp_lookup(t->cp, f->identity);
	struct stat st;
	uint64_t size = fstat(f->fd, &st) == 0 ? (uint64_t)st.st_size : 0;
	if (saved >= 0 && (uint64_t)saved <= size)
		f->start_at = (uint64_t)saved;
	else if (saved >= 0)
		f->start_at = 0; /* shrank while we were away */
	/* else start_at was set at open from read_from */
	f->buf_off = f->start_at;
	f->acked = f->start_at;
	sl_buf_reset(&f->buf);
	sl_debug("%s: identity %s, starting at %" PRIu64, f->path, f->identity, f->start_at);
	return 0;
}

/* Gives f a descriptor again; the path must still lead to the same inode.
 * Returns 0, or -1 (the path is gone or is another file now). */
static int attach(struct sh_tail *t, struct sh_file *f, int64_t now)
{
	int fd = open(f->path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -1;
	struct stat st;
	if (fstat(fd, &st) || st.st_dev != f->dev || st.st_ino != f->ino) {
		close(fd);
		return -1;
	}
	f->fd = fd;
	f->dormant = 0;
	f->wants_fd = 0;
	f->attached_at = now;
	f->idle_since = 0;
	t->n_open++;
	if (!f->identity[0])
		identify(t, f);
	return 0;
}

/* Closes f's descriptor to make room for another file; f keeps its offsets
 * and buffered bytes, and is reopened when it grows (see sh_tail_scan). */
static void detach(struct sh_tail *t, struct sh_file *f)
{
	close(f->fd);
	f->fd = -1;
	f->dormant = 1;
	t->n_open--;
}

/* Starts tracking a file the globs found. It gets a descriptor now if one is
 * free under max_open_files, else it waits dormant. */
static void new_file(struct sh_tail *t, size_t idx, const char *path, const struct stat *st,
                     int64_t now)
{
	struct sh_input *in = &t->cfg->inputs[idx];
	struct sh_file *f = sl_calloc(1, sizeof *f);
	char err[256];
	f->input = in;
	f->input_idx = idx;
	f->path = sl_strdup(path);
	f->dev = st->st_dev;
	f->ino = st->st_ino;
	f->fd = -1;
	/* Files there at start-up honour read_from; files that appear later are
	 * new, and are read from their first byte. */
	f->start_at =
	    (t->first_scan_done || in->read_from == SH_FROM_HEAD) ? 0 : (uint64_t)st->st_size;
	f->ctx.host = t->cfg->node;
	f->ctx.source = in->type;
	f->ctx.path = f->path;
	f->ctx.service = in->service;
	f->ctx.static_fields = in->static_json;
	struct sl_pipe_opts po = sh_input_pipe_opts(in, f->path, (size_t)t->cfg->tuning.max_line);
	f->pipe = sl_pipe_new(&po, err, sizeof err);
	if (!f->pipe) {
		/* the config was validated with the same options: not expected */
		sl_error("%s: %s", path, err);
		free(f->path);
		free(f);
		return;
	}
	f->next = t->files;
	t->files = f;
	if (t->n_open < (size_t)t->cfg->tuning.max_open_files && attach(t, f, now) == 0) {
		sl_info("%s: watching", path);
		return;
	}
	f->dormant = 1;
	f->wants_fd = 1;
	if (!t->warned_cap++)
		sl_warn("max_open_files (%" PRId64 ") reached: idle files are closed and "
		        "reopened when they grow",
		        t->cfg->tuning.max_open_files);
}

static void close_file(struct sh_tail *t, struct sh_file *f)
{
	if (f->closed)
		return;
	if (f->fd >= 0) {
		close(f->fd);
		t->n_open--;
	}
	f->fd = -1;
	f->closed = 1;
	sl_info("%s: closed (%s)", f->path, f->gone ? "rotated or deleted, drained" : "stopped");
}

/* Hands descriptors to dormant files that grew, closing idle (or long-held)
 * ones when max_open_files is reached, so every file gets its turn. */
static void share_fds(struct sh_tail *t, int64_t now)
{
	size_t cap = (size_t)t->cfg->tuning.max_open_files, waiting = 0;
	for (struct sh_file *f = t->files; f; f = f->next)
		waiting += f->wants_fd && !f->closed;
	if (!waiting)
		return;
	/* idle ones first, then those held longest */
	for (int pass = 0; pass < 2 && t->n_open + waiting > cap; pass++) {
		for (struct sh_file *f = t->files; f && t->n_open + waiting > cap; f = f->next) {
			if (f->fd < 0 || f->closed || f->gone)
				continue;
			int idle = f->idle_since != 0;
			int long_held = now - f->attached_at > 10000;
			if (pass == 0 ? idle : long_held) {
				detach(t, f);
				/* a busy file that gave up its turn wants it back */
				f->wants_fd = !idle;
			}
		}
	}
	for (struct sh_file *f = t->files; f && t->n_open < cap; f = f->next) {
		if (!f->wants_fd || f->closed)
			continue;
		if (attach(t, f, now) != 0) {
			sl_warn("%s: changed while closed for max_open_files; lines after offset "
			        "%" PRIu64 " could not be read",
			        f->path, f->buf_off + f->buf.len);
			f->gone = 1;
			close_file(t, f);
		}
	}
}

void sh_tail_scan(struct sh_tail *t)
{
	int64_t now = sl_mono_ms();
	/* rotated or deleted: the path no longer leads to our inode */
	for (struct sh_file *f = t->files; f; f = f->next) {
		if (f->closed || f->gone)
			continue;
		struct stat st;
		if (stat(f->path, &st) != 0 || st.st_dev != f->dev || st.st_ino != f->ino) {
			if (f->dormant) {
				sl_warn("%s: rotated while closed for max_open_files; lines after "
				        "offset %" PRIu64 " could not be read",
				        f->path, f->buf_off + f->buf.len);
				f->gone = 1;
				close_file(t, f);
				continue;
			}
			f->gone = 1;
			f->idle_since = now;
			sl_info("%s: rotated or deleted; draining the old file", f->path);
		} else if (f->dormant && (uint64_t)st.st_size != f->buf_off + f->buf.len) {
			f->wants_fd = 1; /* grew (or shrank: copytruncate) while closed */
		} else if (f->fd >= 0 && f->identity[0]) {
			/* truncated and written again past our offset between two looks:
			 * the size alone cannot tell, the first line can */
			uint64_t fp;
			if (fingerprint(f->fd, &fp) || fp != f->fp)
				f->rewritten = 1;
		}
	}
	for (size_t i = 0; i < t->cfg->n_inputs; i++) {
		struct sh_input *in = &t->cfg->inputs[i];
		for (size_t p = 0; p < in->paths.n; p++) {
			glob_t g;
			int rc = glob(in->paths.v[p], GLOB_NOSORT | GLOB_BRACE, NULL, &g);
			if (rc == GLOB_NOMATCH)
				continue;
			if (rc != 0) {
				sl_warn("glob %s failed (%d)", in->paths.v[p], rc);
				continue;
			}
			for (size_t k = 0; k < g.gl_pathc; k++) {
				const char *path = g.gl_pathv[k];
				struct stat st;
				if (excluded(in, path) || stat(path, &st) != 0 ||
				    !S_ISREG(st.st_mode))
					continue;
				if (find_by_inode(t, st.st_dev, st.st_ino))
					continue;
				new_file(t, i, path, &st, now);
			}
			globfree(&g);
		}
	}
	share_fds(t, now);
	t->first_scan_done = 1;
}

void sh_file_push(struct sh_file *f, uint64_t end)
{
	if (f->fifo_len == f->fifo_cap) {
		size_t cap = f->fifo_cap ? f->fifo_cap * 2 : 64;
		__typeof__(f->fifo) nf = sl_malloc(cap * sizeof *nf);
		for (size_t i = 0; i < f->fifo_len; i++)
			nf[i] = f->fifo[(f->fifo_head + i) % f->fifo_cap];
		free(f->fifo);
		f->fifo = nf;
		f->fifo_cap = cap;
		f->fifo_head = 0;
	}
	size_t at = (f->fifo_head + f->fifo_len) % f->fifo_cap;
	f->fifo[at].end = end;
	f->fifo[at].gen = f->gen;
	f->fifo_len++;
}

void sh_file_ack(struct sh_file *f, int ok)
{
	if (!f->fifo_len)
		return;
	uint64_t end = f->fifo[f->fifo_head].end;
	uint32_t gen = f->fifo[f->fifo_head].gen;
	f->fifo_head = (f->fifo_head + 1) % f->fifo_cap;
	f->fifo_len--;
	if (!ok)
		f->ack_failed = 1;
	if (ok && !f->ack_failed && gen == f->gen && end > f->acked)
		f->acked = end;
}

/* Starts the file over: it was truncated, or its first line changed. */
static void restart(struct sh_file *f, const char *why)
{
	sl_warn("%s: %s; reading it again from the start", f->path, why);
	f->gen++;
	f->rewritten = 0;
	f->identity[0] = '\0';
	f->start_at = 0;
	f->buf_off = 0;
	f->acked = 0;
	f->ack_failed = 0;
	f->skipping = 0;
	sl_buf_reset(&f->buf);
}

/* Hands the pipe's finished records to emit. Returns 1 if emit asked to stop
 * (the record stays at the head of the pipe for the next turn). */
static int drain(struct sh_file *f, sh_emit_fn emit, void *ud)
{
	struct sl_pipe_rec *r;
	while ((r = sl_pipe_peek(f->pipe))) {
		if (emit(ud, f, r))
			return 1;
		sl_pipe_pop(f->pipe);
	}
	return 0;
}

/* Feeds the complete lines in f->buf to the pipe and emits what comes out.
 * Returns 1 if emit asked to stop. */
static int feed_lines(struct sh_tail *t, struct sh_file *f, sh_emit_fn emit, void *ud, int final,
                      int64_t now)
{
	size_t pos = 0;
	size_t max_line = (size_t)t->cfg->tuning.max_line;
	int stop = drain(f, emit, ud);
	while (!stop && pos < f->buf.len) {
		char *s = f->buf.data + pos;
		size_t avail = f->buf.len - pos;
		char *nl = memchr(s, '\n', avail);
		if (f->skipping) {
			if (!nl) {
				pos = f->buf.len;
				break;
			}
			pos += (size_t)(nl - s) + 1;
			f->skipping = 0;
			continue;
		}
		size_t len, used;
		int truncated = 0, skip_after = 0;
		if (nl) {
			len = used = (size_t)(nl - s);
			used++;
			if (len > max_line) {
				len = max_line;
				truncated = 1;
			}
		} else if (avail >= max_line) {
			/* over-long line: ship its head, drop the rest up to its newline */
			len = max_line;
			used = avail;
			truncated = skip_after = 1;
		} else if (final && avail) {
			len = used = avail; /* last line of a drained file, without newline */
		} else {
			break;
		}
		size_t rlen = len;
		if (rlen && s[rlen - 1] == '\r' && !truncated)
			rlen--;
		uint64_t off = f->buf_off + pos;
		sl_pipe_feed(f->pipe, s, rlen, off, off + used, truncated, now);
		f->skipping = skip_after;
		pos += used;
		f->lines++;
		t->lines_total++;
		if (sl_pipe_pending(f->pipe) >= 8)
			stop = drain(f, emit, ud);
	}
	f->bytes += pos;
	t->bytes_total += pos;
	f->buf_off += pos;
	sl_buf_consume(&f->buf, pos);
	if (final)
		sl_pipe_flush(f->pipe, now, 1);
	return stop || drain(f, emit, ud);
}

static int64_t read_turn(struct sh_tail *t, struct sh_file *f, sh_emit_fn emit, void *ud,
                         int64_t now)
{
	if (f->closed || f->fd < 0)
		return 0;
	if (!f->identity[0] && identify(t, f) != 0) {
		if (f->gone && now - f->idle_since > t->cfg->tuning.scan_interval)
			close_file(t, f);
		return 0;
	}
	struct stat st;
	if (fstat(f->fd, &st) == 0) {
		uint64_t size = (uint64_t)st.st_size;
		uint64_t pos = f->buf_off + f->buf.len;
		if (size < pos || f->rewritten) {
			/* ship what was read of the old content before starting over */
			sl_pipe_flush(f->pipe, now, 1);
			if (drain(f, emit, ud) || emit(ud, f, NULL))
				return -1;
			restart(f, f->rewritten ? "first line changed (truncated and rewritten)"
			                        : "file shrank (copytruncate?)");
			return 0;
		}
	}
	/* records and lines left from a backpressure stop go first */
	if (feed_lines(t, f, emit, ud, 0, now))
		return -1;
	size_t chunk = (size_t)t->cfg->tuning.read_chunk;
	char *w = sl_buf_reserve(&f->buf, chunk);
	ssize_t n = pread(f->fd, w, chunk, (off_t)(f->buf_off + f->buf.len));
	if (n < 0) {
		sl_warn("%s: read error: %s", f->path, strerror(errno));
		return 0;
	}
	if (n == 0) {
		if (!f->idle_since)
			f->idle_since = now;
		sl_pipe_flush(f->pipe, now, 0);
		if (drain(f, emit, ud))
			return -1;
		/* a rotated file is let go once it has been quiet for a scan interval */
		if (f->gone && now - f->idle_since > t->cfg->tuning.scan_interval) {
			if (feed_lines(t, f, emit, ud, 1, now))
				return -1;
			if (!f->buf.len && !sl_pipe_pending(f->pipe))
				close_file(t, f);
		} else if (f->buf.len && !f->skipping &&
		           now - f->idle_since > t->cfg->tuning.partial_timeout) {
			/* a last line whose newline does not come: ship what is there;
			 * whatever follows later starts a record of its own */
			if (feed_lines(t, f, emit, ud, 1, now))
				return -1;
		}
		return 0;
	}
	f->idle_since = 0;
	sl_buf_commit(&f->buf, (size_t)n);
	if (feed_lines(t, f, emit, ud, 0, now))
		return -1;
	return n;
}

/* One turn of a file, read through the shared buffer t->rbuf: between turns
 * f->buf keeps only what is left (a partial line, or lines a backpressure
 * stop left behind), so a thousand files do not each hold a read_chunk. */
static int64_t read_file(struct sh_tail *t, struct sh_file *f, sh_emit_fn emit, void *ud,
                         int64_t now)
{
	struct sl_buf own = f->buf;
	sl_buf_reset(&t->rbuf);
	if (own.len)
		sl_buf_append(&t->rbuf, own.data, own.len);
	f->buf = t->rbuf;
	int64_t n = read_turn(t, f, emit, ud, now);
	t->rbuf = f->buf;
	sl_buf_reset(&own);
	if (t->rbuf.len)
		sl_buf_append(&own, t->rbuf.data, t->rbuf.len);
	else if (own.cap > 65536)
		sl_buf_free(&own);
	f->buf = own;
	return n;
}

int64_t sh_tail_read(struct sh_tail *t, sh_emit_fn emit, void *ud)
{
	int64_t total = 0, now = sl_mono_ms();
	for (struct sh_file *f = t->files; f; f = f->next) {
		int64_t n = read_file(t, f, emit, ud, now);
		/* the file's turn ends: send what it batched */
		if (n < 0 || emit(ud, f, NULL))
			return -1;
		total += n;
	}
	return total;
}

static void file_free(struct sh_file *f)
{
	if (f->fd >= 0 && !f->closed)
		close(f->fd);
	free(f->path);
	free(f->key);
	free(f->fifo);
	sl_pipe_free(f->pipe);
	sl_buf_free(&f->buf);
	free(f);
}

void sh_tail_reload(struct sh_tail *t, struct sh_config *ncfg)
{
	const struct sl_cfg_node *old_in = t->cfg->inputs_node, *new_in = ncfg->inputs_node;
	for (struct sh_file *f = t->files; f; f = f->next) {
		if (f->closed)
			continue;
		size_t j, found = 0;
		for (j = 0; j < ncfg->n_inputs && !found; j++)
			found = sl_cfg_node_equal(old_in->kids[f->input_idx], new_in->kids[j]);
		if (found) {
			struct sh_input *in = &ncfg->inputs[j - 1];
			f->input = in;
			f->input_idx = j - 1;
			f->ctx.host = ncfg->node;
			f->ctx.source = in->type;
			f->ctx.service = in->service;
			f->ctx.static_fields = in->static_json;
			continue;
		}
		sl_info("%s: its input changed or went away in the new config; letting go",
		        f->path);
		f->released = 1;
		if (f->identity[0])
			sh_cp_remember(t->cp, f->identity, f->acked);
		close_file(t, f);
	}
	t->cfg = ncfg;
	t->warned_cap = 0;
}

void sh_tail_reap(struct sh_tail *t)
{
	struct sh_file **pp = &t->files;
	while (*pp) {
		struct sh_file *f = *pp;
		if (f->closed && f->fifo_len == 0 && !f->batch_n) {
			if (f->released && f->identity[0])
				sh_cp_remember(t->cp, f->identity, f->acked);
			*pp = f->next;
			file_free(f);
		} else {
			pp = &f->next;
		}
	}
}

void sh_tail_free(struct sh_tail *t)
{
	while (t->files) {
		struct sh_file *f = t->files;
		t->files = f->next;
		file_free(f);
	}
	sl_buf_free(&t->rbuf);
}
