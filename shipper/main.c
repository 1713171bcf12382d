/*
 * sluice-shipper — tails log files, turns every line into an event and
 * produces it to Kafka; a file's checkpoint advances only past records Kafka
 * has acknowledged (idempotent producer, acks=all).
 *
 * One thread, one loop: rescan globs on a timer, read a chunk from every file
 * in turn, serve librdkafka's delivery reports, write checkpoints on a timer.
 * While more than tuning.max_inflight bytes wait for acknowledgement (Kafka
 * slow or down), reading pauses: the log files are the buffer.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "checkpoint.h"
#include "config.h"
#include "metrics.h"
#include "watch.h"
#include "parse_cmd.h"
#include "parser.h"
#include "sl_kafka.h"
#include "sl_log.h"
#include "sl_time.h"
#include "tail.h"

#define MAX_EVENT 900000 /* stays under the brokers' default message.max.bytes */

struct shipper {
	struct sh_config cfg;
	struct sh_checkpoints cp;
	struct sh_tail tail;
	rd_kafka_t *rk;
	rd_kafka_topic_t *rkt;
	struct sl_buf out;
	struct sl_buf batch;      /* events of batch_of for one Kafka message */
	struct sh_file *batch_of; /* NULL: batch is empty */
	int64_t inflight_bytes;
	uint64_t produced, acked, failed;
	int fatal;
	int kafka_up;           /* a delivery succeeded since the last "all brokers down" */
	int64_t checkpoint_ms;  /* mono ms of the last checkpoint written */
	struct sh_config *live; /* the config in force: &cfg, or a reloaded one */
	struct sh_config **old; /* replaced by reloads, freed at exit */
	size_t n_old;
	struct sh_metrics metrics;
	struct sh_watch watch;
	struct sl_buf mtext;
};

static volatile sig_atomic_t stop_requested, reload_requested;

static void on_hup(int sig)
{
	reload_requested = 1;
}

static void on_signal(int sig)
{
	stop_requested = sig;
}

static void dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
	struct shipper *s = opaque;
	struct sh_file *f = m->_private;
	s->inflight_bytes -= (int64_t)m->len;
	if (m->err) {
		s->failed++;
		sl_error("%s: delivery failed: %s", f ? f->path : "?", rd_kafka_err2str(m->err));
		s->fatal = 1;
	} else {
		/* a batch is one event a line */
		const char *p = m->payload, *e = p + m->len;
		unsigned n = 0;
		while (p < e && (p = memchr(p, '\n', (size_t)(e - p)))) {
			n++;
			p++;
		}
		s->acked += n ? n : 1;
		s->kafka_up = 1;
	}
	if (f)
		sh_file_ack(f, m->err == 0);
}

static void error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
	struct shipper *s = opaque;
	if (err == RD_KAFKA_RESP_ERR__FATAL) {
		char buf[512];
		rd_kafka_fatal_error(rk, buf, sizeof buf);
		sl_error("kafka: fatal: %s", buf);
		s->fatal = 1;
		return;
	}
	if (err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN)
		s->kafka_up = 0;
	sl_warn("kafka: %s", reason);
}

/* Cuts an event that would not fit in one Kafka message: the message is
 * halved until it fits, and as a last resort the parsed fields are dropped. */
static void shrink(struct shipper *s, struct sh_file *f, struct sl_pipe_rec *r)
{
	while (s->out.len > MAX_EVENT) {
		if (r->ev.message.len > 1024) {
			r->ev.message.len /= 2;
			r->ev.truncated = 1;
		} else {
			sl_buf_reset(&r->ev.fields);
			r->ev.parse_error = "event too large: its fields were dropped";
		}
		sl_buf_reset(&s->out);
		sl_event_write(&r->ev, &f->ctx, r->off, sl_time_now_ns(), &s->out);
	}
}

/* Hands one Kafka message (one event, or a batch of newline-separated
 * events of one file) to librdkafka. Returns 0, or 1 when its queue is full
 * (nothing was taken) or on a fatal error. */
static int produce(struct shipper *s, struct sh_file *f, const char *p, size_t len, uint64_t end,
                   unsigned events)
{
	if (rd_kafka_produce(s->rkt, RD_KAFKA_PARTITION_UA, RD_KAFKA_MSG_F_COPY, (void *)p, len,
	                     f->key, strlen(f->key), f) != 0) {
		rd_kafka_resp_err_t e = rd_kafka_last_error();
		if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
			sl_error("%s: produce failed: %s", f->path, rd_kafka_err2str(e));
			s->fatal = 1;
		}
		return 1;
	}
	sh_file_push(f, end);
	s->inflight_bytes += (int64_t)len;
	s->produced += events;
	return 0;
}

/* Sends the batch, if any. Returns 1 if it has to wait. */
static int flush_batch(struct shipper *s)
{
	struct sh_file *f = s->batch_of;
	if (!f)
		return 0;
	if (produce(s, f, s->batch.data, s->batch.len, f->batch_end, f->batch_n))
		return 1;
	sl_buf_reset(&s->batch);
	f->batch_n = 0;
	s->batch_of = NULL;
	return 0;
}

/* Produces one finished record (r == NULL: the file's turn ended, send its
 * batch). With kafka.batch_bytes, events of one file travel together, one
 * JSON object a line, in messages of up to that size: far less work per
 * event for librdkafka, the broker and the aggregator. Returns 1 to pause
 * reading. */
static int emit(void *ud, struct sh_file *f, struct sl_pipe_rec *r)
{
	struct shipper *s = ud;
	if (!r)
		return s->live->output == SH_OUT_KAFKA ? flush_batch(s) : 0;
	if (s->inflight_bytes >= s->live->tuning.max_inflight || s->fatal || stop_requested)
		return 1;
	sl_buf_reset(&s->out);
	sl_event_write(&r->ev, &f->ctx, r->off, sl_time_now_ns(), &s->out);
	if (s->out.len > MAX_EVENT)
		shrink(s, f, r);
	if (s->live->output != SH_OUT_KAFKA) {
		if (s->live->output == SH_OUT_STDOUT) {
			sl_buf_putc(&s->out, '\n');
			fwrite(s->out.data, 1, s->out.len, stdout);
		}
		sh_file_push(f, r->end);
		sh_file_ack(f, 1);
		s->produced++;
		s->acked++;
		return 0;
	}
	size_t limit = (size_t)s->live->kafka.batch_bytes;
	if (!limit)
		return produce(s, f, s->out.data, s->out.len, r->end, 1);
	if (s->batch_of && (s->batch_of != f || s->batch.len + s->out.len + 1 > limit) &&
	    flush_batch(s))
		return 1;
	sl_buf_append(&s->batch, s->out.data, s->out.len);
	sl_buf_putc(&s->batch, '\n');
	s->batch_of = f;
	f->batch_end = r->end;
	f->batch_n++;
	if (s->batch.len >= limit)
		flush_batch(s); /* if it must wait, it goes before anything else */
	return 0;
}

/* Appends a Prometheus label value, escaped. */
static void label(struct sl_buf *b, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			sl_buf_putc(b, '\\');
		if (*v == '\n')
			sl_buf_puts(b, "\\n");
		else
			sl_buf_putc(b, *v);
	}
}

#define METRIC(b, type, name, help, fmt, ...)                                                      \
	sl_buf_printf(b, "# HELP " name " " help "\n# TYPE " name " " type "\n" name " " fmt "\n", \
	              __VA_ARGS__)

/* Renders /metrics and /healthz from the loop's own state. */
static void publish_metrics(struct shipper *s, int64_t now)
{
	struct sl_buf *b = &s->mtext;
	size_t watched = 0;
	uint64_t lag_total = 0;
	sl_buf_reset(b);
	sl_buf_puts(b, "# HELP sluice_shipper_file_lag_bytes bytes of the file not yet "
	               "acknowledged by Kafka\n# TYPE sluice_shipper_file_lag_bytes gauge\n");
	for (struct sh_file *f = s->tail.files; f; f = f->next) {
		if (f->closed)
			continue;
		watched++;
		struct stat st;
		uint64_t size = f->fd >= 0 && fstat(f->fd, &st) == 0 ? (uint64_t)st.st_size
		                                                     : f->buf_off + f->buf.len;
		uint64_t lag = size > f->acked ? size - f->acked : 0;
		lag_total += lag;
		sl_buf_puts(b, "sluice_shipper_file_lag_bytes{path=\"");
		label(b, f->path);
		sl_buf_printf(b, "\"} %" PRIu64 "\n", lag);
	}
	METRIC(b, "gauge", "sluice_shipper_lag_bytes", "bytes of all files not yet acknowledged",
	       "%" PRIu64, lag_total);
	METRIC(b, "gauge", "sluice_shipper_files_watched", "files being tailed", "%zu", watched);
	METRIC(b, "gauge", "sluice_shipper_files_open", "files holding a descriptor", "%zu",
	       s->tail.n_open);
	METRIC(b, "counter", "sluice_shipper_lines_read_total", "lines read", "%" PRIu64,
	       s->tail.lines_total);
	METRIC(b, "counter", "sluice_shipper_bytes_read_total", "bytes read", "%" PRIu64,
	       s->tail.bytes_total);
	METRIC(b, "counter", "sluice_shipper_events_produced_total", "events handed to Kafka",
	       "%" PRIu64, s->produced);
	METRIC(b, "counter", "sluice_shipper_events_acked_total", "events Kafka acknowledged",
	       "%" PRIu64, s->acked);
	METRIC(b, "counter", "sluice_shipper_events_failed_total", "events Kafka refused",
	       "%" PRIu64, s->failed);
	METRIC(b, "gauge", "sluice_shipper_inflight_bytes", "bytes awaiting acknowledgement",
	       "%" PRId64, s->inflight_bytes);
	METRIC(b, "gauge", "sluice_shipper_checkpoint_age_seconds",
	       "seconds since checkpoints were last written", "%.3f",
	       s->checkpoint_ms ? (double)(now - s->checkpoint_ms) / 1000.0 : -1.0);
	METRIC(b, "gauge", "sluice_shipper_kafka_up",
	       "1 while Kafka acknowledges, 0 after all brokers went down", "%d", s->kafka_up);
	const char *health = s->fatal                          ? "failed: see the log"
	                     : s->live->output != SH_OUT_KAFKA ? "ok"
	                     : s->kafka_up                     ? "ok"
	                                   : "degraded: kafka unreachable, reading paused";
	sh_metrics_publish(&s->metrics, b, !s->fatal, health);
}

/* SIGHUP: reads the config file again. Inputs and tuning take effect at
 * once; a changed node, state_dir, output, kafka or metrics section needs a
 * restart, and a config with a mistake is refused: both leave the running
 * config as it is. Replaced configs are kept until exit (files' contexts and
 * pipes may still point into them). */
static void reload(struct shipper *s, const char *path)
{
	static const char *const fixed[] = {"node", "state_dir", "output", "kafka", "metrics"};
	struct sh_config *n = sl_calloc(1, sizeof *n);
	if (sh_config_load(n, path)) {
		sl_error("reload refused, still running the previous config: %s", n->cfg.err);
		goto refuse;
	}
	for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++) {
		if (!sl_cfg_node_equal(sl_cfg_get(s->live->cfg.root, fixed[i]),
		                       sl_cfg_get(n->cfg.root, fixed[i]))) {
			sl_error("reload refused: \"%s\" changed, which needs a restart", fixed[i]);
			goto refuse;
		}
	}
	sh_tail_reload(&s->tail, n);
	s->old = sl_realloc(s->old, (s->n_old + 1) * sizeof *s->old);
	s->old[s->n_old++] = s->live;
	s->live = n;
	sl_info("configuration reloaded: %zu inputs", n->n_inputs);
	return;
refuse:
	sh_config_free(n);
	free(n);
}

static int kafka_start(struct shipper *s)
{
	char err[512], num[32];
	rd_kafka_conf_t *c = sl_kafka_conf(&s->live->kafka, err, sizeof err);
	if (!c) {
		sl_error("kafka: %s", err);
		return -1;
	}
	snprintf(num, sizeof num, "%" PRId64, s->live->tuning.max_inflight / 1024 + 1024);
	const char *props[][2] = {
	    {"enable.idempotence", "true"},
	    {"acks", "all"},
	    {"message.timeout.ms", "0"}, /* never give up: the files are the buffer */
	    {"queue.buffering.max.messages", "2000000"},
	    {"queue.buffering.max.kbytes", num},
	    {"batch.size", "1000000"},
	    {"client.id", "sluice-shipper"},
	};
	for (size_t i = 0; i < sizeof props / sizeof props[0]; i++) {
		if (rd_kafka_conf_set(c, props[i][0], props[i][1], err, sizeof err)) {
			sl_error("kafka: %s", err);
			rd_kafka_conf_destroy(c);
			return -1;
		}
	}
	snprintf(num, sizeof num, "%" PRId64, s->live->tuning.linger);
	rd_kafka_conf_set(c, "linger.ms", num, err, sizeof err);
	rd_kafka_conf_set_dr_msg_cb(c, dr_cb);
	rd_kafka_conf_set_error_cb(c, error_cb);
	rd_kafka_conf_set_log_cb(c, sl_kafka_log_cb);
	rd_kafka_conf_set_opaque(c, s);
	s->rk = rd_kafka_new(RD_KAFKA_PRODUCER, c, err, sizeof err);
	if (!s->rk) {
		sl_error("kafka: %s", err);
		return -1;
	}
	s->rkt = rd_kafka_topic_new(s->rk, s->live->kafka.topic, NULL);
	return 0;
}

static void usage(FILE *fp)
{
	fprintf(fp, "usage: sluice-shipper --config PATH [--check]\n"
	            "       sluice-shipper parse [--type TYPE] [--parser NAME] [FILE...]\n"
	            "       sluice-shipper --version | --help | --help-config\n"
	            "\n"
	            "Tails log files and ships every line as a JSON event to Kafka.\n"
	            "  -c, --config PATH  the YAML configuration (see conf/shipper.yaml)\n"
	            "      --check        validate the configuration and exit 0 or 1\n"
	            "      --help-config  list every configuration key\n");
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"config", required_argument, NULL, 'c'}, {"check", no_argument, NULL, 'k'},
	    {"version", no_argument, NULL, 'V'},      {"help", no_argument, NULL, 'h'},
	    {"help-config", no_argument, NULL, 'H'},  {0},
	};
	const char *config = NULL;
	int check = 0, opt;
	sl_log_init("sluice-shipper", SL_LOG_INFO);
	if (argc > 1 && !strcmp(argv[1], "parse"))
		return sh_parse_main(argc - 1, argv + 1);
	while ((opt = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			config = optarg;
			break;
		case 'k':
			check = 1;
			break;
		case 'V':
			printf("sluice-shipper %s (librdkafka %s)\n", SLUICE_VERSION,
			       rd_kafka_version_str());
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		case 'H':
			sh_config_help();
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (!config || optind != argc) {
		usage(stderr);
		return 2;
	}
	static struct shipper s;
	s.live = &s.cfg;
	if (sh_config_load(&s.cfg, config)) {
		fprintf(stderr, "%s\n", s.cfg.cfg.err);
		sh_config_free(&s.cfg);
		return 1;
	}
	if (check) {
		printf("%s: configuration OK (%zu inputs)\n", config, s.live->n_inputs);
		sh_config_free(&s.cfg);
		return 0;
	}
	sl_log_init("sluice-shipper",
	            (enum sl_log_level)sl_log_level_parse(s.live->tuning.log_level));
	int rc = 1;
	int kq[2] = {-1, -1};
	s.watch.fd = -1;
	if (sh_cp_open(&s.cp, s.live->state_dir))
		goto out;
	if (s.live->output == SH_OUT_KAFKA && kafka_start(&s))
		goto out;
	sh_tail_init(&s.tail, &s.cfg, &s.cp);
	sh_watch_init(&s.watch);
	if (*s.live->metrics.listen && sh_metrics_start(&s.metrics, s.live->metrics.listen))
		goto out;

	struct sigaction sa = {.sa_handler = on_signal};
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	struct sigaction hup = {.sa_handler = on_hup};
	sigaction(SIGHUP, &hup, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (s.live->output == SH_OUT_KAFKA)
		sl_info("shipping to %s topic %s as host %s", s.live->kafka.brokers.v[0],
		        s.live->kafka.topic, s.live->node);
	else
		sl_info("output %s, as host %s", s.live->output == SH_OUT_NULL ? "null" : "stdout",
		        s.live->node);

	int64_t next_scan = 0, next_cp = sl_mono_ms() + s.live->tuning.checkpoint_interval;
	uint64_t cp_acked = 0;
	/* librdkafka writes to kq[1] when its queue of delivery reports goes from
	 * empty to not empty, so an idle loop can sleep in poll() */
	if (s.rk && pipe2(kq, O_NONBLOCK | O_CLOEXEC) == 0) {
		rd_kafka_queue_t *mq = rd_kafka_queue_get_main(s.rk);
		rd_kafka_queue_io_event_enable(mq, kq[1], "k", 1);
		rd_kafka_queue_destroy(mq);
	}
	while (!stop_requested && !s.fatal) {
		int64_t now = sl_mono_ms();
		if (reload_requested) {
			reload_requested = 0;
			reload(&s, config);
			sh_watch_update(&s.watch, &s.tail);
			next_scan = now; /* new inputs are looked for at once */
		}
		int changed = sh_watch_drain(&s.watch);
		if (now >= next_scan || (changed & SH_WATCH_LAYOUT)) {
			sh_tail_scan(&s.tail);
			sh_watch_update(&s.watch, &s.tail);
			next_scan = now + s.live->tuning.scan_interval;
		}
		int64_t n = 0;
		if (s.inflight_bytes < s.live->tuning.max_inflight)
			n = sh_tail_read(&s.tail, emit, &s);
		if (s.rk)
			rd_kafka_poll(s.rk, 0);
		if (n == 0) {
			if (s.live->output == SH_OUT_STDOUT)
				fflush(stdout);
			/* idle: sleep until a file changes, Kafka reports, or a timer is
			 * due; at most 250 ms, for multi-line flush timeouts and file
			 * systems without inotify */
			int64_t wait = (next_scan < next_cp ? next_scan : next_cp) - now;
			wait = wait < 0 ? 0 : wait > 250 ? 250 : wait;
			struct pollfd pfd[2] = {{.fd = s.watch.fd, .events = POLLIN},
			                        {.fd = kq[0], .events = POLLIN}};
			poll(pfd, 2, (int)wait);
			char drainbuf[64];
			while (kq[0] >= 0 && read(kq[0], drainbuf, sizeof drainbuf) > 0)
				;
			if (s.rk)
				rd_kafka_poll(s.rk, 0);
		}
		if (now >= next_cp) {
			if (s.acked != cp_acked || !s.checkpoint_ms) {
				if (sh_cp_write(&s.cp, &s.tail) == 0)
					s.checkpoint_ms = now;
				cp_acked = s.acked;
			}
			if (s.metrics.running)
				publish_metrics(&s, now);
			sh_tail_reap(&s.tail);
			next_cp = now + s.live->tuning.checkpoint_interval;
		}
	}
	if (s.rk) {
		flush_batch(&s);
		sl_info("stopping: waiting up to %" PRId64 " ms for %d in-flight events",
		        s.live->tuning.shutdown_timeout, rd_kafka_outq_len(s.rk));
		rd_kafka_resp_err_t ferr =
		    rd_kafka_flush(s.rk, (int)s.live->tuning.shutdown_timeout);
		rd_kafka_poll(s.rk, 0);
		if (ferr)
			sl_warn(
			    "%d events not acknowledged; they will be re-read at the next start",
			    rd_kafka_outq_len(s.rk));
	}
	fflush(stdout);
	if (sh_cp_write(&s.cp, &s.tail) == 0 && !s.fatal)
		rc = 0;
	sl_info("stopped: %" PRIu64 " produced, %" PRIu64 " acknowledged, %" PRIu64 " failed",
	        s.produced, s.acked, s.failed);
out:
	if (s.rkt)
		rd_kafka_topic_destroy(s.rkt);
	if (s.rk)
		rd_kafka_destroy(s.rk);
	if (kq[0] >= 0) {
		close(kq[0]);
		close(kq[1]);
	}
	sh_watch_free(&s.watch);
	sh_metrics_stop(&s.metrics);
	sl_buf_free(&s.mtext);
	sh_tail_free(&s.tail);
	sl_buf_free(&s.out);
	sl_buf_free(&s.batch);
	sh_cp_free(&s.cp);
	for (size_t i = 0; i < s.n_old; i++) {
		sh_config_free(s.old[i]);
		if (s.old[i] != &s.cfg)
			free(s.old[i]);
	}
	free(s.old);
	sh_config_free(s.live);
	if (s.live != &s.cfg)
		free(s.live);
	return rc;
}
