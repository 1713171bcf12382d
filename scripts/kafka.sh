#!/usr/bin/env bash
# scripts/kafka.sh — a real single-node Apache Kafka (KRaft) on loopback for
# tests, benchmarks and the quickstart.
#
#   eval "$(scripts/kafka.sh start)"   # prints export lines (see below)
#   scripts/kafka.sh topic NAME [PARTITIONS]
#   scripts/kafka.sh status
#   scripts/kafka.sh stop
#   scripts/kafka.sh resume            # start a stopped broker again, same ports and data
#
# The broker's jars come from Maven Central through scripts/kafka/pom.xml and
# are kept in $SLUICE_CACHE (default ~/.cache/sluice) between runs. A throwaway
# CA, a broker certificate and a client certificate are made with openssl on
# every start. Four listeners, each on a free port of 127.0.0.1:
#   PLAINTEXT  -> SLUICE_BROKERS_PLAINTEXT
#   SSL        -> SLUICE_BROKERS        (server certificate only)
#   MTLS       -> SLUICE_BROKERS_MTLS   (client certificate required)
#   SASL       -> SLUICE_BROKERS_SASL   (SASL_SSL, SCRAM-SHA-512 user
#                 SLUICE_SASL_USER / SLUICE_SASL_PASSWORD)
#   CONTROLLER -> KRaft controller, internal
# State (data, logs, certificates, pid) lives in $SLUICE_KAFKA_DIR (default
# <repo>/.run/kafka); `stop` reads the pid from there and kills only that.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
KAFKA_VERSION=${SLUICE_KAFKA_VERSION:-4.1.1}
CACHE=${SLUICE_CACHE:-$HOME/.cache/sluice}
LIBS=$CACHE/kafka-$KAFKA_VERSION/libs
DIR=${SLUICE_KAFKA_DIR:-$ROOT/.run/kafka}
PASS=sluice-test
SASL_USER=sluice
SASL_PASS=sluice-scram-secret
PARTITIONS=${SLUICE_PARTITIONS:-4}
TOPIC=${SLUICE_TOPIC:-logs}

log() { echo "kafka.sh: $*" >&2; }
die() {
	log "error: $*"
	exit 1
}

fetch_jars() {
	if [[ -f $LIBS/.complete ]]; then return; fi
	command -v mvn >/dev/null || die "mvn not found (scripts/deps.sh installs it)"
	log "fetching Kafka $KAFKA_VERSION jars from Maven Central into $LIBS"
	mkdir -p "$LIBS"
	mvn -q -B -f "$ROOT/scripts/kafka/pom.xml" dependency:copy-dependencies \
		-Dkafka.version="$KAFKA_VERSION" -DoutputDirectory="$LIBS" -DincludeScope=runtime >&2 ||
		die "maven could not fetch the Kafka jars"
	touch "$LIBS/.complete"
}

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

make_certs() {
	local d=$DIR/certs
	rm -rf "$d"
	mkdir -p "$d"
	(
		cd "$d"
		openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=sluice-test-ca" \
			-keyout ca.key -out ca.crt 2>/dev/null
		printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n' >san.ext
		openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" \
			-keyout broker.key -out broker.csr 2>/dev/null
		openssl x509 -req -in broker.csr -CA ca.crt -CAkey ca.key -CAcreateserial \
			-days 30 -extfile san.ext -out broker.crt 2>/dev/null
		openssl pkcs12 -export -in broker.crt -inkey broker.key -certfile ca.crt \
			-name broker -passout pass:$PASS -out broker.p12
		openssl req -newkey rsa:2048 -nodes -subj "/CN=sluice-client" \
			-keyout client.key -out client.csr 2>/dev/null
		openssl x509 -req -in client.csr -CA ca.crt -CAkey ca.key -CAcreateserial \
			-days 30 -out client.crt 2>/dev/null
		chmod 600 ./*.key
	)
}

java_cmd() {
	java -Xms128m -Xmx${SLUICE_KAFKA_HEAP:-768m} -XX:+UseSerialGC \
		-Dlog4j2.configurationFile="$DIR/log4j2.properties" \
		-cp "$LIBS/*" "$@"
}

is_running() {
	[[ -f $DIR/kafka.pid ]] && kill -0 "$(cat "$DIR/kafka.pid")" 2>/dev/null
}

print_env() {
	cat "$DIR/env"
}

# Starts the broker process on the configuration in $DIR.
launch() {
	# setsid: the broker gets its own session so a test's Ctrl-C does not hit it;
	# it is stopped by its pid.
	setsid java -Xms256m -Xmx${SLUICE_KAFKA_HEAP:-768m} -XX:+UseSerialGC \
		-Dlog4j2.configurationFile="$DIR/log4j2.properties" \
		-cp "$LIBS/*" kafka.Kafka "$DIR/server.properties" \
		>>"$DIR/stdout.log" 2>&1 </dev/null &
	echo $! >"$DIR/kafka.pid"
}

# Starts a stopped broker again with its data, ports and certificates, as
# after an outage.
resume() {
	if is_running; then return; fi
	[[ -f $DIR/server.properties ]] || die "nothing to resume in $DIR: run start"
	launch
	# shellcheck disable=SC1091
	source "$DIR/env"
	wait_ready "${SLUICE_BROKERS_PLAINTEXT##*:}" "$(wc -l <"$DIR/server.log")"
}

start() {
	if is_running; then
		print_env
		return
	fi
	command -v java >/dev/null || die "java not found (scripts/deps.sh installs it)"
	fetch_jars
	rm -rf "$DIR"
	mkdir -p "$DIR/data"
	make_certs
	local p_plain p_ssl p_mtls p_ctl p_sasl
	p_plain=$(free_port)
	p_sasl=$(free_port)
	p_ssl=$(free_port)
	p_mtls=$(free_port)
	p_ctl=$(free_port)
	cat >"$DIR/log4j2.properties" <<EOF
status = warn
appender.f.type = File
appender.f.name = F
appender.f.fileName = $DIR/server.log
appender.f.layout.type = PatternLayout
appender.f.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.f.ref = F
EOF
	cat >"$DIR/server.properties" <<EOF
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$p_ctl
controller.listener.names=CONTROLLER
listeners=PLAINTEXT://127.0.0.1:$p_plain,SSL://127.0.0.1:$p_ssl,MTLS://127.0.0.1:$p_mtls,SASL://127.0.0.1:$p_sasl,CONTROLLER://127.0.0.1:$p_ctl
advertised.listeners=PLAINTEXT://127.0.0.1:$p_plain,SSL://127.0.0.1:$p_ssl,MTLS://127.0.0.1:$p_mtls,SASL://127.0.0.1:$p_sasl
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,SSL:SSL,MTLS:SSL,SASL:SASL_SSL,CONTROLLER:PLAINTEXT
listener.name.sasl.sasl.enabled.mechanisms=SCRAM-SHA-512
listener.name.sasl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
inter.broker.listener.name=PLAINTEXT
log.dirs=$DIR/data
num.partitions=$PARTITIONS
auto.create.topics.enable=true
offsets.topic.replication.factor=1
offsets.topic.num.partitions=4
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
log.flush.interval.messages=9223372036854775807
ssl.keystore.type=PKCS12
ssl.keystore.location=$DIR/certs/broker.p12
ssl.keystore.password=$PASS
ssl.key.password=$PASS
ssl.truststore.type=PEM
ssl.truststore.location=$DIR/certs/ca.crt
ssl.client.auth=none
listener.name.mtls.ssl.client.auth=required
ssl.endpoint.identification.algorithm=
EOF
	local cid
	cid=$(java_cmd kafka.tools.StorageTool random-uuid 2>>"$DIR/format.log")
	java_cmd kafka.tools.StorageTool format -t "$cid" -c "$DIR/server.properties" \
		--add-scram "SCRAM-SHA-512=[name=$SASL_USER,password=$SASL_PASS]" >>"$DIR/format.log" 2>&1 || die "storage format failed: $(tail -5 "$DIR/format.log")"
	launch
	cat >"$DIR/env" <<EOF
export SLUICE_KAFKA_DIR=$DIR
export SLUICE_BROKERS=127.0.0.1:$p_ssl
export SLUICE_BROKERS_MTLS=127.0.0.1:$p_mtls
export SLUICE_BROKERS_PLAINTEXT=127.0.0.1:$p_plain
export SLUICE_TLS_CA=$DIR/certs/ca.crt
export SLUICE_TLS_CERT=$DIR/certs/client.crt
export SLUICE_TLS_KEY=$DIR/certs/client.key
export SLUICE_BROKERS_SASL=127.0.0.1:$p_sasl
export SLUICE_SASL_USER=$SASL_USER
export SLUICE_SASL_PASSWORD=$SASL_PASS
EOF
	wait_ready "$p_plain"
	create_topic "$TOPIC" "$PARTITIONS" "$p_plain"
	print_env
}

wait_ready() {
	local port=$1 skip=${2:-0} i
	for ((i = 0; i < 240; i++)); do
		if ! is_running; then
			die "broker exited during start-up: $(tail -20 "$DIR/server.log" "$DIR/stdout.log" 2>/dev/null)"
		fi
		if tail -n +$((skip + 1)) "$DIR/server.log" 2>/dev/null | grep -q "Kafka Server started" &&
			(exec 3<>/dev/tcp/127.0.0.1/"$port") 2>/dev/null; then
			return
		fi
		sleep 0.5
	done
	stop
	die "broker did not become ready within 120 s"
}

create_topic() {
	local name=$1 parts=$2 port=${3:-}
	if [[ -z $port ]]; then
		# shellcheck disable=SC1091
		source "$DIR/env"
		port=${SLUICE_BROKERS_PLAINTEXT##*:}
	fi
	java_cmd org.apache.kafka.tools.TopicCommand --bootstrap-server "127.0.0.1:$port" \
		--create --if-not-exists --topic "$name" --partitions "$parts" \
		--replication-factor 1 >>"$DIR/topics.log" 2>&1 ||
		die "could not create topic $name: $(tail -5 "$DIR/topics.log")"
}

stop() {
	if [[ ! -f $DIR/kafka.pid ]]; then return; fi
	local pid i
	pid=$(cat "$DIR/kafka.pid")
	if kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid" 2>/dev/null || true
		for ((i = 0; i < 60; i++)); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.5
		done
		kill -KILL "$pid" 2>/dev/null || true
	fi
	rm -f "$DIR/kafka.pid"
}

case ${1:-} in
start) start ;;
stop) stop ;;
resume) resume ;;
status)
	if is_running; then
		echo "running (pid $(cat "$DIR/kafka.pid"))"
		print_env
	else
		echo "stopped"
		exit 1
	fi
	;;
topic)
	is_running || die "broker is not running"
	create_topic "${2:?topic name}" "${3:-$PARTITIONS}"
	;;
fetch) fetch_jars ;;
*)
	echo "usage: $0 start|stop|resume|status|topic NAME [PARTITIONS]|fetch" >&2
	exit 2
	;;
esac
