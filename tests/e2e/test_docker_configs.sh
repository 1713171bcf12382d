#!/usr/bin/env bash
# The configs docker/compose.yaml mounts stay valid for both programs.
source "$(dirname "$0")/lib.sh"
SLUICE_BROKERS=kafka:9092 SLUICE_API_LISTEN=0.0.0.0:7070 SLUICE_STORAGE_DIR=/tmp/x \
	"$AGGREGATOR" --config "$ROOT/docker/compose-aggregator.yaml" --check >/dev/null ||
	fail "docker/compose-aggregator.yaml"
SLUICE_BROKERS=kafka:9092 SLUICE_LOG_GLOB='/logs/*.log' SLUICE_STATE_DIR=/tmp/x \
	"$SHIPPER" --config "$ROOT/docker/compose-shipper.yaml" --check >/dev/null ||
	fail "docker/compose-shipper.yaml"
echo ok
