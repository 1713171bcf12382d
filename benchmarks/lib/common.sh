# benchmarks/lib/common.sh — set-up and measuring helpers for benchmarks/run
# (sourced; expects BENCH, ROOT, CACHE, WORK, QUICK, SIZE, RUNS, BIN, REUSE,
# INSTALL from it).
#
# Results are samples appended to $WORK/results.tsv, one per line:
#   suite <TAB> case <TAB> tool <TAB> metric <TAB> value
# where value is a number, or the metric is "n/a" and value the reason.
# lib/report.sh turns them into the markdown table.

PIDS=()
PEERS=$CACHE/bench-peers
VENV=$CACHE/bench-venv
TOOLS=$BENCH/.build
RESULTS=$WORK/results.tsv
META=$WORK/meta

step() { echo "== $* ($(date +%T))" >&2; }
note() { echo "   $*" >&2; }

cleanup() {
	local rc=$? pid i
	for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
	for pid in "${PIDS[@]}"; do
		for ((i = 0; i < 50; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$pid" 2>/dev/null || true
	done
	if ((!REUSE)) && [[ -n ${SLUICE_KAFKA_DIR:-} && $SLUICE_KAFKA_DIR == "$WORK/kafka" ]]; then
		"$ROOT/scripts/kafka.sh" stop >/dev/null 2>&1 || true
	fi
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# rec SUITE CASE TOOL METRIC VALUE
rec() { [[ $1 == - ]] || printf '%s\t%s\t%s\t%s\t%s\n' "$@" >>"$RESULTS"; }
# na SUITE CASE TOOL REASON: the row exists, without numbers
na() {
	note "n/a: $1 / $2 / $3: $4"
	rec "$1" "$2" "$3" n/a "$4"
}
meta() { printf '%s\t%s\n' "$1" "$2" >>"$META"; }

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# fdiv A B [DIGITS]: A/B, or empty when B is 0
fdiv() { awk -v a="$1" -v b="$2" -v d="${3:-6}" 'BEGIN { if (b + 0 > 0) printf "%.*f\n", d, a / b }'; }

# record_ru SUITE CASE TOOL MB RUFILE: records the figures of one measured
# process (the last line of RUFILE, written by benchmarks/rusage). MB is the
# input it processed (0: none), for MB/CPU-s and MB/s.
record_ru() {
	local s=$1 c=$2 t=$3 mb=$4 f=$5 user sys rss wall rc cpu
	read -r user sys rss wall rc < <(tail -1 "$f")
	cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.6f", u + s }')
	rec "$s" "$c" "$t" cpu_s "$cpu"
	rec "$s" "$c" "$t" wall_s "$wall"
	rec "$s" "$c" "$t" rss_mib "$(fdiv "$rss" 1024 1)"
	if [[ $mb != 0 ]]; then
		rec "$s" "$c" "$t" mb_per_cpu_s "$(fdiv "$mb" "$cpu" 2)"
		rec "$s" "$c" "$t" mb_per_s "$(fdiv "$mb" "$wall" 2)"
	fi
}

# measure SUITE CASE TOOL MB -- CMD...: runs CMD once (stdout to /dev/null
# unless MEASURE_STDOUT names a file) and records it; a failing command
# records n/a instead.
measure() {
	local s=$1 c=$2 t=$3 mb=$4 f rc=0
	shift 5
	f=$(mktemp "$WORK/ru.XXXXXX")
	"$TOOLS/rusage" "$f" "$@" >"${MEASURE_STDOUT:-/dev/null}" 2>>"$WORK/measure.log" || rc=$?
	if ((rc != 0)) || [[ ! -s $f ]]; then
		na "$s" "$c" "$t" "exit status $rc ($1)"
		rm -f "$f"
		return 1
	fi
	record_ru "$s" "$c" "$t" "$mb" "$f"
	rm -f "$f"
}

# start_bg LOGFILE RUFILE CMD...: starts CMD under rusage in the background;
# sets BG_PID (the rusage wrapper, which forwards SIGTERM to CMD)
start_bg() {
	local log=$1 ru=$2
	shift 2
	"$TOOLS/rusage" "$ru" "$@" >>"$log" 2>&1 &
	BG_PID=$!
	PIDS+=("$BG_PID")
}

# stop_bg PID: SIGTERM (forwarded to the command) and wait; returns its status
stop_bg() {
	local rc=0
	kill -TERM "$1" 2>/dev/null || true
	wait "$1" || rc=$?
	return $rc
}

# wait_until SECONDS CMD...: polls CMD every WAIT_INTERVAL (0.1) s until it
# succeeds; gives up early when WAIT_PID is set and that process has exited
wait_until() {
	local deadline=$((SECONDS + $1))
	shift
	while ((SECONDS < deadline)); do
		"$@" && return 0
		if [[ -n ${WAIT_PID:-} ]] && ! kill -0 "$WAIT_PID" 2>/dev/null; then
			"$@" && return 0
			return 1
		fi
		sleep "${WAIT_INTERVAL:-0.1}"
	done
	return 1
}

# mb BYTES: decimal megabytes
mb() { fdiv "$1" 1000000 6; }

manifest() { awk -v k="$2" '$1 == k { print $2; exit }' "$1"; }

# ------------------------------------------------------------------ set-up

build_tools() {
	mkdir -p "$TOOLS"
	local src
	for src in rusage kcount; do
		if [[ ! -x $TOOLS/$src || $BENCH/$src.c -nt $TOOLS/$src ]]; then
			local libs=
			[[ $src == kcount ]] && libs=-lrdkafka
			cc -O2 -std=c11 -Wall -Wextra -o "$TOOLS/$src" "$BENCH/$src.c" $libs
		fi
	done
}

build_sluice() {
	if [[ -n $BIN ]]; then
		SLUICE_BUILD=$BIN
		# a build directory is brought up to date first: its binaries
		# could be older than the source being measured
		if [[ -f $BIN/build.ninja ]] &&
			! ninja -C "$BIN" sluice-shipper sluice-aggregator sluice >"$WORK/build.log" 2>&1; then
			tail -20 "$WORK/build.log" >&2
			echo "run: the build in $BIN failed" >&2
			exit 1
		fi
		meta build "given with --bin $BIN"
	else
		SLUICE_BUILD=$TOOLS/release
		local rc=0
		{ cmake -S "$ROOT" -B "$SLUICE_BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release &&
			ninja -C "$SLUICE_BUILD" sluice-shipper sluice-aggregator sluice; } >"$WORK/build.log" 2>&1 || rc=$?
		if ((rc != 0)); then
			if [[ -x $SLUICE_BUILD/shipper/sluice-shipper && -x $SLUICE_BUILD/aggregator/sluice-aggregator ]]; then
				note "WARNING: the Release build failed (see $WORK/build.log); using binaries from an earlier build"
				meta build "Release build FAILED; binaries from an earlier build of $SLUICE_BUILD"
			else
				tail -20 "$WORK/build.log" >&2
				echo "run: the Release build failed" >&2
				exit 1
			fi
		else
			meta build "Release (cmake -DCMAKE_BUILD_TYPE=Release, $SLUICE_BUILD)"
		fi
	fi
	SHIPPER=$SLUICE_BUILD/shipper/sluice-shipper
	AGGREGATOR=$SLUICE_BUILD/aggregator/sluice-aggregator
	CLI=$SLUICE_BUILD/aggregator/cli/sluice
	local b
	for b in "$SHIPPER" "$AGGREGATOR" "$CLI"; do
		[[ -x $b ]] || { echo "run: $b not found" >&2; exit 1; }
	done
}

start_broker() {
	if ((REUSE)); then
		: "${SLUICE_BROKERS:?--reuse-broker needs SLUICE_BROKERS etc. (eval \"\$(scripts/kafka.sh start)\")}"
		meta broker "reused ($SLUICE_BROKERS)"
	else
		export SLUICE_KAFKA_DIR=$WORK/kafka
		eval "$("$ROOT/scripts/kafka.sh" start)"
		meta broker "own (scripts/kafka.sh, $SLUICE_KAFKA_DIR)"
	fi
	: "${SLUICE_BROKERS_PLAINTEXT:?no plaintext listener exported}"
}

new_topic() { "$ROOT/scripts/kafka.sh" topic "$1" "${2:-4}" >/dev/null; }
topic_count() { "$TOOLS/kcount" "$SLUICE_BROKERS_PLAINTEXT" "$1" 2>/dev/null || echo 0; }

# versions_meta: which versions of the baselines and peers this run measured
versions_meta() {
	local v=() x
	x=$(rg --version 2>/dev/null | head -1) && [[ -n $x ]] && v+=("$x")
	x=$(zstd --version 2>/dev/null | sed 's/^\*\*\* //; s/, by.*//') && [[ -n $x ]] && v+=("$x")
	x=$(jq --version 2>/dev/null) && [[ -n $x ]] && v+=("$x")
	x=$(gzip --version 2>/dev/null | head -1) && [[ -n $x ]] && v+=("$x")
	x=$("$PEERS/rsyslog/usr/sbin/rsyslogd" -v 2>/dev/null | head -1 | awk '{ print "rsyslog " $2 }') && [[ -n $x ]] && v+=("$x")
	x=$(LD_LIBRARY_PATH=$PEERS/syslog-ng/usr/lib/syslog-ng "$PEERS/syslog-ng/usr/sbin/syslog-ng" --version 2>/dev/null |
		sed -n 's/^Installer-Version: /syslog-ng /p') && [[ -n $x ]] && v+=("$x")
	x=$("$VENV/bin/python" -c 'import chdb; print("chdb", chdb.__version__, "(ClickHouse", chdb.engine_version + ")")' 2>/dev/null) &&
		[[ -n $x ]] && v+=("$x")
	local IFS=';'
	meta versions "$(printf '%s; ' "${v[@]}" | sed 's/; $//')"
}

# shquote ARG: ARG as a shell word (single-quoted when it needs to be)
shquote() {
	local s=$1
	if [[ $s =~ ^[A-Za-z0-9_./=:,+@%-]+$ ]]; then
		printf '%s' "$s"
	else
		s=${s//\'/\'\\\'\'}
		printf "'%s'" "$s"
	fi
}

machine_meta() {
	meta cpu "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)"
	meta cores "$(nproc)"
	meta memory "$(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)"
	meta kernel "$(uname -sr)"
	meta os "$(. /etc/os-release 2>/dev/null && echo "${PRETTY_NAME:-?}")"
	meta load "$(cut -d' ' -f1-3 /proc/loadavg) (1/5/15 min, at the start)"
	local commit
	commit=$(git -C "$ROOT" rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
	if [[ -n $(git -C "$ROOT" status --porcelain --untracked-files=no 2>/dev/null) ]]; then
		commit="$commit (with uncommitted changes)"
	fi
	meta commit "$commit"
	meta date "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
	local cmd="benchmarks/run" a
	for a in "${ORIG_ARGS[@]}"; do cmd+=" $(shquote "$a")"; done
	meta command "$cmd"
	meta runs "$RUNS"
}

make_corpus() {
	CORPUS=$WORK/corpus
	mkdir -p "$CORPUS"
	local small fmt
	small=$(awk -v s="$SIZE_BYTES" 'BEGIN { printf "%.0f", int(s / 4) }')
	NEEDLES=50
	"$BENCH/corpus" --format json --size "$SIZE_BYTES" --needles $NEEDLES --out "$CORPUS"
	# the 1,000-file copy is for the shipper suite, the other formats for
	# the parsers suite: a large --size for the aggregator suites alone
	# (e.g. 3GB, ten million events) does not write them
	if want shipper; then
		"$BENCH/corpus" --format json --size "$SIZE_BYTES" --needles $NEEDLES --files 1000 --out "$CORPUS/split"
	fi
	if want parsers; then
		for fmt in nginx postgres docker cri syslog; do
			"$BENCH/corpus" --format $fmt --size "$small" --needles $NEEDLES --out "$CORPUS"
		done
	fi
	JSON=$CORPUS/json.log
	JSON_BYTES=$(manifest "$CORPUS/json.manifest" bytes)
	JSON_LINES=$(manifest "$CORPUS/json.manifest" lines)
	JSON_MB=$(mb "$JSON_BYTES")
	NEEDLE=$(manifest "$CORPUS/json.manifest" needle)
	local others=
	want parsers && others="; other formats $small bytes each"
	meta corpus "json $JSON_BYTES bytes, $JSON_LINES lines, sha256 $(manifest "$CORPUS/json.manifest" sha256 | cut -c1-16)…$others (benchmarks/corpus, seed 1)"
}

size_bytes() {
	awk -v s="$1" 'BEGIN {
		n = s + 0; u = s; sub(/^[0-9.]+/, "", u)
		m = 1
		if (u == "K" || u == "KB") m = 1e3; else if (u == "M" || u == "MB") m = 1e6
		else if (u == "G" || u == "GB") m = 1e9; else if (u == "KiB") m = 1024
		else if (u == "MiB") m = 1048576; else if (u == "GiB") m = 1073741824
		else if (u != "") { print "bad"; exit }
		printf "%.0f\n", n * m }'
}

prepare() {
	SIZE_BYTES=$(size_bytes "$SIZE")
	[[ $SIZE_BYTES =~ ^[0-9]+$ ]] || { echo "run: bad --size $SIZE" >&2; exit 2; }
	rm -rf "$WORK"
	mkdir -p "$WORK"
	: >"$RESULTS"
	: >"$META"
	machine_meta
	meta quick "$QUICK"
	[[ -z $NOTE ]] || meta note "$NOTE"
	if ((INSTALL)); then
		step "install tools and peers (benchmarks/peers/install.sh)"
		"$BENCH/peers/install.sh" || true
	fi
	versions_meta
	step "build"
	build_tools
	build_sluice
	step "corpus ($SIZE)"
	make_corpus
	step "Kafka"
	start_broker
	warm_broker
}

# warm_broker: a fresh broker loads its coordinators (idempotent producer ids,
# consumer groups) on first use; ship a few lines through it, unmeasured, so
# the first measured run does not pay for that
warm_broker() {
	local state topic=bench-warmup-$$ port cfg
	head -2000 "$JSON" >"$WORK/warmup.log"
	new_topic "$topic"
	state=$(mktemp -d "$WORK/warmup.XXXXXX")
	shipper_config "$state/shipper.yaml" "$state" "$WORK/warmup.log" kafka "$topic" json
	run_shipper - - - 0 "$state/shipper.yaml" "$state" 1 "$(stat -c %s "$WORK/warmup.log")" ||
		note "WARNING: the warm-up through Kafka failed (see $WORK/shipper.log)"
	port=$(free_port)
	cfg=$state/aggregator.yaml
	aggregator_config "$cfg" "$topic" "bench-warmup-$$" "$state/store" "$port"
	"$AGGREGATOR" --config "$cfg" >>"$WORK/aggregator.log" 2>&1 &
	local pid=$!
	PIDS+=("$pid")
	WAIT_PID=$pid wait_until 60 count_is "$port" '*' "$(wc -l <"$WORK/warmup.log")" ||
		note "WARNING: the warm-up aggregator did not store the warm-up lines"
	kill -TERM "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	rm -rf "$state" "$WORK/warmup.log"
}

# ------------------------------------------------------------------ sluice

# shipper_config FILE STATE GLOB OUTPUT TOPIC PARSER [TYPE]: PARSER empty
# leaves the parser to the input type
shipper_config() {
	local parser="parser: $6"
	[[ -n $6 ]] || parser="# parser: the input type's own"
	cat >"$1" <<EOF
node: bench
state_dir: $2
output: $4
inputs:
  - type: ${7:-file}
    paths: ["$3"]
    service: bench
    $parser
    read_from: head
kafka:
  brokers: ["$SLUICE_BROKERS"]
  topic: $5
  tls: {ca: "$SLUICE_TLS_CA"}
tuning:
  log_level: warn
EOF
}

# checkpoint_sum STATE: "files bytes" the shipper's checkpoints cover (for
# output: kafka only acknowledged bytes count)
checkpoint_sum() {
	[[ -f $1/checkpoints ]] || { echo "0 0"; return; }
	awk -F'\t' 'NF >= 3 { c++; s += $2 } END { printf "%d %.0f\n", c, s }' "$1/checkpoints"
}

# wait_shipper STATE NFILES BYTES: until the checkpoints cover every byte of
# every file. A parser that holds the last record back (multi-line records
# wait for the next line) is taken as done once its checkpoints stood still
# for 10 s past 90% of the bytes; SHIP_NOTE says so. Fails after TIMEOUT, or
# after 60 s without progress.
wait_shipper() {
	local state=$1 nfiles=$2 bytes=$3 deadline=$((SECONDS + TIMEOUT)) last=-1 since=$SECONDS n b
	SHIP_NOTE=
	while ((SECONDS < deadline)); do
		if [[ -n ${WAIT_PID:-} ]] && ! kill -0 "$WAIT_PID" 2>/dev/null; then return 1; fi
		read -r n b < <(checkpoint_sum "$state")
		if ((n >= nfiles && b >= bytes)); then return 0; fi
		if ((b != last)); then
			last=$b since=$SECONDS
		elif ((SECONDS - since >= 10 && b * 10 >= bytes * 9 && n >= nfiles)); then
			SHIP_NOTE="checkpoints stopped at $b of $bytes bytes (last record held back)"
			return 0
		elif ((SECONDS - since >= 60)); then
			return 1
		fi
		sleep 0.1
	done
	return 1
}

# run_shipper SUITE CASE TOOL MB CONFIG STATE NFILES BYTES [STDOUT]: starts the
# shipper, waits for its checkpoints to cover the corpus, stops it, records it
run_shipper() {
	local s=$1 c=$2 t=$3 mbs=$4 cfg=$5 state=$6 nfiles=$7 bytes=$8 out=${9:-/dev/null} ru rc=0
	ru=$(mktemp "$WORK/ru.XXXXXX")
	"$TOOLS/rusage" "$ru" "$SHIPPER" --config "$cfg" >"$out" 2>>"$WORK/shipper.log" &
	local pid=$!
	PIDS+=("$pid")
	if ! WAIT_PID=$pid wait_shipper "$state" "$nfiles" "$bytes"; then
		stop_bg "$pid" || true
		na "$s" "$c" "$t" "checkpoints reached $(checkpoint_sum "$state" | cut -d' ' -f2) of $bytes bytes (timeout)"
		rm -f "$ru"
		return 1
	fi
	stop_bg "$pid" || rc=$?
	if ((rc != 0)); then
		na "$s" "$c" "$t" "sluice-shipper exited $rc (see $WORK/shipper.log)"
		rm -f "$ru"
		return 1
	fi
	[[ -z $SHIP_NOTE ]] || note "$s / $c / $t: $SHIP_NOTE"
	record_ru "$s" "$c" "$t" "$mbs" "$ru"
	rm -f "$ru"
}

# aggregator_config FILE TOPIC GROUP STORE PORT
aggregator_config() {
	cat >"$1" <<EOF
kafka:
  brokers: ["$SLUICE_BROKERS"]
  topic: $2
  group: $3
  tls: {ca: "$SLUICE_TLS_CA"}
storage:
  dir: $4
api:
  listen: 127.0.0.1:$5
tuning:
  log_level: warn
EOF
}

# api_count PORT QUERY: the count the aggregator's HTTP API gives
api_count() {
	curl -fsG "http://127.0.0.1:$1/api/v1/count" --data-urlencode "q=$2" 2>/dev/null |
		sed -n 's/.*"count": *\([0-9]*\).*/\1/p'
}
count_is() { [[ $(api_count "$1" "$2") == "$3" ]]; }
# durable PORT N: the aggregator has stored N events and has nothing left to
# write (from /metrics, which costs it nothing: polling with a count would
# put the count's work into the ingest figures)
durable() {
	curl -fs "http://127.0.0.1:$1/metrics" 2>/dev/null | awk -v n="$2" '
		$1 == "sluice_aggregator_stored_total" { s = $2 }
		$1 == "sluice_aggregator_pending_bytes" { p = $2 }
		END { exit !(s == n && p == 0) }'
}
healthy() { curl -fs "http://127.0.0.1:$1/healthz" >/dev/null 2>&1; }

TIMEOUT=$((QUICK ? 120 : 900))
