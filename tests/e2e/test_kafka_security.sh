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
	echo "SCRAM: not shipped: $("$SHIPPER" --version | sed 's/.*(//; s/)//') predates the fix for Kafka 4.x"
	expect_refused scram 'SASL|[Aa]uthentication'
	total=500
fi
for c in zstd gzip snappy none; do expect_shipped "c$c"; done
expect_refused nocert 'SSL|handshake|certificate|Disconnected'
expect_refused badpass 'SASL|[Aa]uthentication'
expect_refused wrongca 'certificate verify failed|SSL handshake failed'
[[ $(cli count '*') == "$total" ]] || fail "total $(cli count '*')"
echo ok
