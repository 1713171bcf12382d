#!/usr/bin/env bash
# The shipper against the broker's secured listeners: mTLS with a client
# certificate (and refused without one), SASL/SCRAM over TLS (and refused
# with a wrong password), a CA that does not match (refused), and every
# compression codec. Refused connections ship nothing and are logged.
source "$(dirname "$0")/lib.sh"
setup_pipeline
: "${SLUICE_BROKERS_SASL:?scripts/kafka.sh start exports it}"
start_aggregator
n=0
# run_shipper NAME KAFKA-YAML: ships one file of 100 lines named NAME
run_shipper() {
	local name=$1 kafka=$2
	mkdir -p "$T/$name"
	seq -f "$name line %g" 1 100 >"$T/$name/x.log"
	cat >"$T/$name.yaml" <<EOC
node: sec-host
state_dir: $T/$name-state
inputs: [{paths: ["$T/$name/*.log"], service: $name}]
kafka:
  topic: $TOPIC
$kafka
tuning: {shutdown_timeout: 2s}
EOC
	"$SHIPPER" --config "$T/$name.yaml" >"$T/$name.log" 2>&1 &
	PIDS+=($!)
	eval "pid_$name=$!"
}
expect_shipped() { # name
	wait_count "service:$1" 100 60
}
expect_refused() { # name log-pattern
	local pid
	pid=$(eval echo "\$pid_$1")
	for _ in $(seq 100); do grep -q -E "$2" "$T/$1.log" && break; sleep 0.1; done
	grep -q -E "$2" "$T/$1.log" || fail "$1: no '$2' in its log: $(tail -3 "$T/$1.log")"
	[[ $(cli count "service:$1") == 0 ]] || fail "$1: shipped through a refused connection"
	kill -TERM "$pid"
	wait "$pid" || true
}

run_shipper mtls "  brokers: [\"$SLUICE_BROKERS_MTLS\"]
  tls: {ca: \"$SLUICE_TLS_CA\", cert: \"$SLUICE_TLS_CERT\", key: \"$SLUICE_TLS_KEY\"}"
run_shipper nocert "  brokers: [\"$SLUICE_BROKERS_MTLS\"]
  tls: {ca: \"$SLUICE_TLS_CA\"}"
run_shipper scram "  brokers: [\"$SLUICE_BROKERS_SASL\"]
  tls: {ca: \"$SLUICE_TLS_CA\"}
  sasl: {mechanism: SCRAM-SHA-512, username: $SLUICE_SASL_USER, password: $SLUICE_SASL_PASSWORD}"
run_shipper badpass "  brokers: [\"$SLUICE_BROKERS_SASL\"]
  tls: {ca: \"$SLUICE_TLS_CA\"}
  sasl: {mechanism: SCRAM-SHA-512, username: $SLUICE_SASL_USER, password: wrong}"
# a CA that did not sign the broker certificate
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=other -keyout "$T/o.key" -out "$T/other-ca.crt" 2>/dev/null
run_shipper wrongca "  brokers: [\"$SLUICE_BROKERS\"]
  tls: {ca: \"$T/other-ca.crt\"}"
for c in zstd gzip snappy none; do
	run_shipper "c$c" "  brokers: [\"$SLUICE_BROKERS\"]
  tls: {ca: \"$SLUICE_TLS_CA\"}
  compression: $c"
done

expect_shipped mtls
# librdkafka before 2.6.1 (Debian 12 has 2.0.2) computes a SCRAM proof that
# Kafka 4.x brokers reject; the shipper says so when it starts
if "$SHIPPER" --version | awk '{v = $NF; sub(/\)$/, "", v); split(v, p, "."); exit !((p[1] * 10000 + p[2] * 100 + p[3]) >= 20601)}'; then
	expect_shipped scram
	total=600
else
	grep -q "SCRAM works only against brokers up to 3.9" "$T/scram.log" || fail "no SCRAM warning"
	echo "SCRAM: refused by Kafka 4: $("$SHIPPER" --version | sed 's/.*(//; s/)//') predates the fix"
	expect_refused scram 'SASL|[Aa]uthentication'
	total=500
	# so SCRAM is shown working against a Kafka 3.9 broker (started here):
	# the shipper's checkpoint reaches the end of the file only once the
	# broker acknowledged every line over the authenticated connection
	k39=$T/kafka-3.9
	SLUICE_KAFKA_VERSION=3.9.1 SLUICE_KAFKA_DIR=$k39 "$ROOT/scripts/kafka.sh" start >"$T/k39.env" 2>"$T/k39.log" ||
		fail "Kafka 3.9.1 did not start: $(tail -3 "$T/k39.log")"
	PIDS+=("$(cat "$k39/kafka.pid")")
	brokers39=$(sed -n 's/^export SLUICE_BROKERS_SASL=//p' "$T/k39.env")
	run_shipper scram39 "  brokers: [\"$brokers39\"]
  tls: {ca: \"$k39/certs/ca.crt\"}
  sasl: {mechanism: SCRAM-SHA-512, username: $SLUICE_SASL_USER, password: $SLUICE_SASL_PASSWORD}"
	size=$(stat -c %s "$T/scram39/x.log")
	for _ in $(seq 600); do
		[[ $(awk -F'\t' 'NF >= 3 { s += $2 } END { print s + 0 }' "$T/scram39-state/checkpoints" 2>/dev/null) == "$size" ]] && break
		sleep 0.1
	done
	[[ $(awk -F'\t' 'NF >= 3 { s += $2 } END { print s + 0 }' "$T/scram39-state/checkpoints" 2>/dev/null) == "$size" ]] ||
		fail "scram39: not acknowledged by Kafka 3.9: $(tail -3 "$T/scram39.log")"
	echo "SCRAM-SHA-512 over TLS to Kafka 3.9.1: $size bytes acknowledged"
	SLUICE_KAFKA_VERSION=3.9.1 SLUICE_KAFKA_DIR=$k39 "$ROOT/scripts/kafka.sh" stop 2>>"$T/k39.log"
fi
for c in zstd gzip snappy none; do expect_shipped "c$c"; done
expect_refused nocert 'SSL|handshake|certificate|Disconnected'
expect_refused badpass 'SASL|[Aa]uthentication'
expect_refused wrongca 'certificate verify failed|SSL handshake failed'
[[ $(cli count '*') == "$total" ]] || fail "total $(cli count '*')"
echo ok
