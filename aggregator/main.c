/*
 * sluice-aggregator — consumes events from Kafka, stores them durably
 * (offsets are committed only after fdatasync), drops events whose id is
 * already stored, and answers searches over HTTP.
 *
 * Two threads: ingest (ingest.c) and the libevent loop that serves the API
 * and handles signals (this file).
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <event2/event.h>
#include <event2/thread.h>

#include "api.h"
#include "config.h"
#include "ingest.h"
#include "sl_log.h"
#include "store.h"

struct aggregator {
	struct ag_config cfg;
	struct ag_store store;
	struct ag_ingest ingest;
	struct ag_api api;
	struct event_base *base;
};

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct aggregator *a = arg;
	sl_info("signal %d: stopping", (int)sig);
	event_base_loopbreak(a->base);
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct aggregator *a = arg;
	if (a->ingest.failed) {
		sl_error("ingest stopped on an error; exiting");
		event_base_loopbreak(a->base);
	}
}

static void usage(FILE *fp)
{
	fprintf(fp, "usage: sluice-aggregator --config PATH [--check]\n"
	            "       sluice-aggregator --version | --help | --help-config\n"
	            "\n"
	            "Consumes events from Kafka, stores them and serves searches.\n"
	            "  -c, --config PATH  the YAML configuration (see conf/aggregator.yaml)\n"
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
	int check = 0, opt, rc = 1;
	sl_log_init("sluice-aggregator", SL_LOG_INFO);
	while ((opt = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			config = optarg;
			break;
		case 'k':
			check = 1;
			break;
		case 'V':
			printf("sluice-aggregator %s (librdkafka %s)\n", SLUICE_VERSION,
			       rd_kafka_version_str());
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		case 'H':
			ag_config_help();
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
	static struct aggregator a;
	if (ag_config_load(&a.cfg, config)) {
		fprintf(stderr, "%s\n", a.cfg.cfg.err);
		ag_config_free(&a.cfg);
		return 1;
	}
	if (check) {
		printf("%s: configuration OK\n", config);
		ag_config_free(&a.cfg);
		return 0;
	}
	sl_log_init("sluice-aggregator",
	            (enum sl_log_level)sl_log_level_parse(a.cfg.tuning.log_level));
	/* a sealed segment keeps its two files open: the soft limit on open
	 * files (often 1,024) up to the hard one */
	struct rlimit nofile;
	if (!getrlimit(RLIMIT_NOFILE, &nofile) && nofile.rlim_cur < nofile.rlim_max) {
		nofile.rlim_cur = nofile.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &nofile))
			sl_warn("cannot raise the limit on open files: %s", strerror(errno));
	}
	if (a.cfg.retention || a.cfg.alerts || a.cfg.auth)
		sl_warn("retention, alerts and auth are accepted but not applied yet");
	signal(SIGPIPE, SIG_IGN);
	struct event *sigterm = NULL, *sigint = NULL, *tick = NULL;
	evthread_use_pthreads(); /* API workers wake the loop from their threads */
	a.base = event_base_new();
	struct ag_store_opts so;
	ag_store_defaults(&so);
	so.block_size = (size_t)a.cfg.storage.block_size;
	so.segment_max = (uint64_t)a.cfg.storage.segment_max;
	so.level = (int)a.cfg.storage.compression;
	if (a.cfg.api.scan_threads)
		so.scan_threads = (size_t)a.cfg.api.scan_threads;
	if (ag_store_open(&a.store, a.cfg.storage.dir, &so))
		goto out;
	if (ag_ingest_start(&a.ingest, &a.cfg, &a.store))
		goto out;
	if (ag_api_start(&a.api, a.base, &a.cfg, &a.store, &a.ingest))
		goto out;
	sigterm = evsignal_new(a.base, SIGTERM, on_signal, &a);
	sigint = evsignal_new(a.base, SIGINT, on_signal, &a);
	tick = event_new(a.base, -1, EV_PERSIST, on_tick, &a);
	struct timeval second = {1, 0};
	event_add(sigterm, NULL);
	event_add(sigint, NULL);
	event_add(tick, &second);
	event_base_dispatch(a.base);
	rc = a.ingest.failed ? 1 : 0;
out:
	ag_ingest_stop(&a.ingest);
	ag_api_stop(&a.api);
	if (sigterm)
		event_free(sigterm);
	if (sigint)
		event_free(sigint);
	if (tick)
		event_free(tick);
	sl_info("stopped: %llu stored, %llu duplicates dropped",
	        (unsigned long long)a.ingest.stored, (unsigned long long)a.ingest.duplicates);
	ag_store_close(&a.store);
	event_base_free(a.base);
	ag_config_free(&a.cfg);
	return rc;
}
