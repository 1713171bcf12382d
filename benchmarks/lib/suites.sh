# benchmarks/lib/suites.sh — the suites of benchmarks/run (sourced after
# lib/common.sh). Each suite_NAME records its samples with rec/na/record_ru;
# every row a suite can produce is recorded, as n/a with a reason when a tool
# is missing or a run failed, so the table always has the same rows.

# ------------------------------------------------------------------ baselines

# cat, wc -l, rg, gzip -6, zstd -3, jq -c . over the JSON corpus
suite_baselines() {
	local r c=json.log
	cat "$JSON" >/dev/null # warm the page cache
	for ((r = 1; r <= RUNS; r++)); do
		note "run $r/$RUNS"
		measure baselines $c cat "$JSON_MB" -- cat "$JSON" || true
		measure baselines $c "wc -l" "$JSON_MB" -- wc -l "$JSON" || true
		if command -v rg >/dev/null; then
			measure baselines $c "rg (needle)" "$JSON_MB" -- rg -c -F "$NEEDLE" "$JSON" || true
		else
			na baselines $c "rg (needle)" "ripgrep not installed"
		fi
		measure baselines $c "gzip -6" "$JSON_MB" -- gzip -6 -c "$JSON" || true
		if command -v zstd >/dev/null; then
			measure baselines $c "zstd -3" "$JSON_MB" -- zstd -3 -q -c "$JSON" || true
		else
			na baselines $c "zstd -3" "zstd not installed"
		fi
		if command -v jq >/dev/null; then
			measure baselines $c "jq -c ." "$JSON_MB" -- jq -c . "$JSON" || true
		else
			na baselines $c "jq -c ." "jq not installed"
		fi
		# yajl's own parse + emit; it takes one JSON value, so the same
		# lines as one array
		if command -v json_reformat >/dev/null; then
			[[ -s $WORK/json.array ]] ||
				awk 'BEGIN { printf "[" } NR > 1 { printf "," } { printf "%s", $0 } END { print "]" }' \
					"$JSON" >"$WORK/json.array"
			measure baselines $c "json_reformat -m" "$JSON_MB" -- \
				sh -c 'exec json_reformat -m <"$1"' sh "$WORK/json.array" || true
		else
			na baselines $c "json_reformat -m" "yajl-tools not installed"
		fi
	done
}

# ------------------------------------------------------------------ shipper

# peer_rsyslog CASE GLOB LINES TOPIC: rsyslog imfile -> mmjsonparse -> omkafka
peer_rsyslog() {
	local c=$1 glob=$2 lines=$3 topic=$4 t=rsyslog dir ru rc=0
	local bin=$PEERS/rsyslog/usr/sbin/rsyslogd mods=$PEERS/rsyslog/usr/lib/x86_64-linux-gnu/rsyslog
	if [[ -f $PEERS/rsyslog.missing ]]; then na shipper "$c" $t "$(cat "$PEERS/rsyslog.missing")"; return; fi
	if [[ ! -x $bin ]]; then na shipper "$c" $t "not installed (benchmarks/peers/install.sh)"; return; fi
	dir=$(mktemp -d "$WORK/rsyslog.XXXXXX")
	sed -e "s|@STATE@|$dir|" -e "s|@GLOB@|$glob|" -e "s|@BROKERS@|$SLUICE_BROKERS|" \
		-e "s|@TOPIC@|$topic|" -e "s|@CA@|$SLUICE_TLS_CA|" "$BENCH/peers/rsyslog.conf.in" >"$dir/rsyslog.conf"
	ru=$dir/ru
	start_bg "$WORK/rsyslog.log" "$ru" "$bin" -n -f "$dir/rsyslog.conf" -M "$mods" -i "$dir/pid"
	local pid=$BG_PID
	if ! WAIT_PID=$pid WAIT_INTERVAL=0.5 wait_until "$TIMEOUT" topic_has "$topic" "$lines"; then
		stop_bg "$pid" || true
		na shipper "$c" $t "delivered $(topic_count "$topic") of $lines lines within ${TIMEOUT}s"
		return
	fi
	stop_bg "$pid" || rc=$?
	if ((rc != 0)); then na shipper "$c" $t "rsyslogd exited $rc (see $WORK/rsyslog.log)"; return; fi
	record_ru shipper "$c" $t "$JSON_MB" "$ru"
	rm -rf "$dir"
}

# peer_syslog_ng CASE DIR PATTERN LINES TOPIC: wildcard-file -> json-parser -> kafka-c
peer_syslog_ng() {
	local c=$1 base=$2 pattern=$3 lines=$4 topic=$5 t=syslog-ng dir ru rc=0
	local root=$PEERS/syslog-ng
	if [[ -f $PEERS/syslog-ng.missing ]]; then na shipper "$c" $t "$(cat "$PEERS/syslog-ng.missing")"; return; fi
	if [[ ! -x $root/usr/sbin/syslog-ng ]]; then na shipper "$c" $t "not installed (benchmarks/peers/install.sh)"; return; fi
	dir=$(mktemp -d "$WORK/syslog-ng.XXXXXX")
	sed -e "s|@DIR@|$base|" -e "s|@PATTERN@|$pattern|" -e "s|@BROKERS@|$SLUICE_BROKERS|" \
		-e "s|@TOPIC@|$topic|" -e "s|@CA@|$SLUICE_TLS_CA|" "$BENCH/peers/syslog-ng.conf.in" >"$dir/syslog-ng.conf"
	ru=$dir/ru
	start_bg "$WORK/syslog-ng.log" "$ru" env LD_LIBRARY_PATH="$root/usr/lib/syslog-ng" \
		"$root/usr/sbin/syslog-ng" -F -f "$dir/syslog-ng.conf" --module-path="$root/usr/lib/syslog-ng/3.38" \
		--persist-file="$dir/persist" --pidfile="$dir/pid" --control="$dir/ctl"
	local pid=$BG_PID
	if ! WAIT_PID=$pid WAIT_INTERVAL=0.5 wait_until "$TIMEOUT" topic_has "$topic" "$lines"; then
		stop_bg "$pid" || true
		na shipper "$c" $t "delivered $(topic_count "$topic") of $lines lines within ${TIMEOUT}s"
		return
	fi
	stop_bg "$pid" || rc=$?
	if ((rc != 0)); then na shipper "$c" $t "syslog-ng exited $rc (see $WORK/syslog-ng.log)"; return; fi
	record_ru shipper "$c" $t "$JSON_MB" "$ru"
	rm -rf "$dir"
}

topic_has() { (($(topic_count "$1") >= $2)); }

# sluice_ship SUITE CASE TOOL OUTPUT GLOB NFILES TOPIC PARSER [STDOUT [TYPE]]
sluice_ship() {
	local state
	state=$(mktemp -d "$WORK/shipper.XXXXXX")
	shipper_config "$state/shipper.yaml" "$state" "$5" "$4" "$7" "$8" "${10:-}"
	run_shipper "$1" "$2" "$3" "$JSON_MB" "$state/shipper.yaml" "$state" "$6" "$JSON_BYTES" "${9:-/dev/null}" || return 1
	rm -rf "$state"
}

SHIP_CASES=("tail -> null, 1 file" "tail -> null, 1000 files" "tail -> kafka, 1 file" "tail -> kafka, 1000 files")

suite_shipper() {
	local r c topic glob n out
	for ((r = 1; r <= RUNS; r++)); do
		note "run $r/$RUNS"
		for c in "${SHIP_CASES[@]}"; do
			if [[ $c == *"1 file" ]]; then glob=$JSON n=1; else glob="$CORPUS/split/json/*.log" n=1000; fi
			out=${c#tail -> }
			out=${out%%,*}
			topic=bench-$out-$n-$r-$$
			[[ $out == kafka ]] && new_topic "$topic"
			if sluice_ship shipper "$c" sluice "$out" "$glob" $n "$topic" json && [[ $out == kafka ]]; then
				# messages, not events: sluice puts a batch of a file's events in
				# one message (the ingest suite checks every event arrives)
				local got
				got=$(topic_count "$topic")
				((got > 0)) || note "WARNING: $topic is empty"
				[[ $n == 1 ]] && INGEST_TOPIC=$topic
			fi
			[[ $out == kafka ]] || continue
			topic=bench-rsyslog-$n-$r-$$
			new_topic "$topic"
			peer_rsyslog "$c" "$glob" "$JSON_LINES" "$topic"
			topic=bench-syslogng-$n-$r-$$
			new_topic "$topic"
			if ((n == 1)); then
				peer_syslog_ng "$c" "$CORPUS" json.log "$JSON_LINES" "$topic"
			else
				peer_syslog_ng "$c" "$CORPUS/split/json" "*.log" "$JSON_LINES" "$topic"
			fi
		done
	done
}

# ------------------------------------------------------------------ parsers

PARSER_FORMATS=(json nginx postgres docker cri syslog)

# parser_rows FORMAT: the parser names measured on a format
parser_rows() {
	case $1 in
	json) echo "auto json" ;;
	*) echo "$1" ;;
	esac
}

suite_parsers() {
	local f p r state cfg mode bytes mbs lines
	for f in "${PARSER_FORMATS[@]}"; do
		bytes=$(manifest "$CORPUS/$f.manifest" bytes)
		mbs=$(mb "$bytes")
		lines=$(manifest "$CORPUS/$f.manifest" lines)
		for p in $(parser_rows "$f"); do
			state=$(mktemp -d "$WORK/parser.XXXXXX")
			cfg=$state/shipper.yaml
			# the parser by name; else an input type of that name (docker, cri, ...)
			mode=
			shipper_config "$cfg" "$state" "$CORPUS/$f.log" null none "$p"
			if "$SHIPPER" --config "$cfg" --check >/dev/null 2>&1; then
				mode=parser
			else
				shipper_config "$cfg" "$state" "$CORPUS/$f.log" null none "" "$p"
				"$SHIPPER" --config "$cfg" --check >/dev/null 2>&1 && mode=type
			fi
			if [[ -z $mode ]]; then
				na parsers "$f" "sluice ($p)" "parser not built yet"
				rm -rf "$state"
				continue
			fi
			for ((r = 1; r <= RUNS; r++)); do
				rm -f "$state/checkpoints"
				run_shipper parsers "$f" "sluice ($p)" "$mbs" "$cfg" "$state" 1 "$bytes" || break
				rec parsers "$f" "sluice ($p)" lines_per_mb "$(fdiv "$lines" "$mbs" 3)"
			done
			rm -rf "$state"
		done
	done
}

# ------------------------------------------------------------------ ingest

# the sluice events of json.log, as the aggregator and ClickHouse get them
prepare_events() {
	[[ -n ${EVENTS:-} ]] && return
	step "events: sluice-shipper (output: stdout) over json.log"
	EVENTS=$WORK/events.jsonl
	sluice_ship - - - stdout "$JSON" 1 none json "$EVENTS" || { echo "run: could not make events" >&2; exit 1; }
	EVENTS_BYTES=$(stat -c %s "$EVENTS")
	EVENTS_MB=$(mb "$EVENTS_BYTES")
	meta events "$EVENTS_BYTES bytes of JSON events ($(wc -l <"$EVENTS") lines) from json.log"
	if [[ -z ${INGEST_TOPIC:-} ]]; then
		step "events: sluice-shipper (output: kafka) over json.log"
		INGEST_TOPIC=bench-ingest-$$
		new_topic "$INGEST_TOPIC"
		sluice_ship - - - kafka "$JSON" 1 "$INGEST_TOPIC" json || { echo "run: could not fill $INGEST_TOPIC" >&2; exit 1; }
	fi
}

INGESTED=0
suite_ingest() {
	((INGESTED)) && return
	INGESTED=1
	prepare_events
	local r port store cfg ru rc c="events from Kafka" t=sluice-aggregator
	for ((r = 1; r <= RUNS; r++)); do
		note "run $r/$RUNS"
		store=$WORK/store.$r
		port=$(free_port)
		cfg=$WORK/aggregator.$r.yaml
		aggregator_config "$cfg" "$INGEST_TOPIC" "bench-g$r-$$" "$store" "$port"
		ru=$(mktemp "$WORK/ru.XXXXXX")
		start_bg "$WORK/aggregator.log" "$ru" "$AGGREGATOR" --config "$cfg"
		local pid=$BG_PID
		if ! WAIT_PID=$pid wait_until "$TIMEOUT" durable "$port" "$JSON_LINES" ||
			! count_is "$port" '*' "$JSON_LINES"; then
			if kill -0 "$pid" 2>/dev/null; then
				na ingest "$c" $t "stored $(api_count "$port" '*') of $JSON_LINES events within ${TIMEOUT}s"
			else
				na ingest "$c" $t "sluice-aggregator died (see $WORK/aggregator.log)"
			fi
			stop_bg "$pid" || true
			continue
		fi
		rc=0
		stop_bg "$pid" || rc=$?
		if ((rc != 0)); then na ingest "$c" $t "exited $rc (see $WORK/aggregator.log)"; continue; fi
		record_ru ingest "$c" $t "$EVENTS_MB" "$ru"
		rec ingest "$c" $t events_per_s "$(fdiv "$JSON_LINES" "$(tail -1 "$ru" | cut -d' ' -f4)" 0)"
		rm -f "$ru"
		rec storage events sluice bytes "$(du -sb "$store" | cut -f1)"
		SEARCH_STORE=$store SEARCH_CFG=$cfg SEARCH_PORT=$port
	done
	# ClickHouse: the same events from the file, into MergeTree
	c="events from file" t="clickhouse (chdb)"
	if [[ -f $PEERS/clickhouse.missing || ! -x $VENV/bin/python ]]; then
		na ingest "$c" "$t" "${PEERS_MISSING:-chdb not installed (benchmarks/peers/install.sh)}"
		na storage events "$t" "chdb not installed"
		return
	fi
	local dir out
	for ((r = 1; r <= RUNS; r++)); do
		dir=$WORK/clickhouse.$r
		rm -rf "$dir"
		out=$WORK/clickhouse.out
		MEASURE_STDOUT=$out measure ingest "$c" "$t" "$EVENTS_MB" -- \
			"$VENV/bin/python" "$BENCH/peers/clickhouse.py" ingest "$dir" "$EVENTS" || continue
		local rows
		rows=$(awk '$1 == "rows" { print $2 }' "$out")
		[[ $rows == "$JSON_LINES" ]] || note "WARNING: ClickHouse holds $rows rows, want $JSON_LINES"
		rec ingest "$c" "$t" events_per_s "$(fdiv "$rows" "$(awk -F'\t' -v t="$t" '$3 == t && $4 == "wall_s" { w = $5 } END { print w }' "$RESULTS")" 0)"
		rec storage events "$t" bytes "$(awk '$1 == "bytes" { print $2 }' "$out")"
		SEARCH_CH=$dir
	done
}

# ------------------------------------------------------------------ storage

suite_storage() {
	suite_ingest
	local n
	n=$JSON_LINES
	rec storage events "raw log (json.log)" bytes "$JSON_BYTES"
	rec storage events "events as JSON lines" bytes "$EVENTS_BYTES"
	rec storage events "gzip -6 of events" bytes "$(gzip -6 -c "$EVENTS" | wc -c)"
	if command -v zstd >/dev/null; then
		rec storage events "zstd -1 of events" bytes "$(zstd -1 -q -c "$EVENTS" | wc -c)"
		rec storage events "zstd -3 of events" bytes "$(zstd -3 -q -c "$EVENTS" | wc -c)"
	else
		na storage events "zstd -1 of events" "zstd not installed"
		na storage events "zstd -3 of events" "zstd not installed"
	fi
	meta storage_events "$n"
}

# ------------------------------------------------------------------ search

# ensure_aggregator: an aggregator over the last ingest run's store, for
# search and latency; sets AGG_PORT
ensure_aggregator() {
	[[ -n ${AGG_PORT:-} ]] && return 0
	suite_ingest
	[[ -n ${SEARCH_CFG:-} ]] || return 1
	"$AGGREGATOR" --config "$SEARCH_CFG" >>"$WORK/aggregator.log" 2>&1 &
	PIDS+=("$!")
	AGG_PID=$!
	WAIT_PID=$AGG_PID wait_until "$TIMEOUT" count_is "$SEARCH_PORT" '*' "$JSON_LINES" || return 1
	AGG_PORT=$SEARCH_PORT
}

SEARCH_CASES=("needle" "field filter" "count by level")

suite_search() {
	local q r c runs=$((RUNS * 3)) url hits
	local expect_needle expect_filter
	expect_needle=$(manifest "$CORPUS/json.manifest" needles)
	expect_filter=$(awk '$1 == "filter" { print $NF }' "$CORPUS/json.manifest")
	if command -v zstd >/dev/null; then zstd -3 -q -f "$JSON" -o "$WORK/json.log.zst"; fi
	if ! ensure_aggregator; then
		for c in "${SEARCH_CASES[@]}"; do na search "$c" sluice "no aggregator with the corpus (ingest failed)"; done
	fi
	url=http://127.0.0.1:${AGG_PORT:-0}
	for ((r = 1; r <= runs; r++)); do
		if [[ -n ${AGG_PORT:-} ]]; then
			MEASURE_STDOUT=$WORK/hits measure search needle sluice 0 -- \
				"$CLI" --server "$url" search "$NEEDLE" --limit 0 --output json &&
				rec search needle sluice hits "$(wc -l <"$WORK/hits")"
			MEASURE_STDOUT=$WORK/hits measure search "field filter" sluice 0 -- \
				"$CLI" --server "$url" count 'level:error service:checkout' &&
				rec search "field filter" sluice hits "$(tr -dc 0-9 <"$WORK/hits")"
			MEASURE_STDOUT=$WORK/hits measure search "count by level" sluice 0 -- \
				"$CLI" --server "$url" count '*' --by level &&
				rec search "count by level" sluice hits "$(awk 'NF == 2 { s += $1 } END { print s + 0 }' "$WORK/hits")"
		fi
		if command -v rg >/dev/null; then
			MEASURE_STDOUT=$WORK/hits measure search needle "rg (raw file)" 0 -- rg -F "$NEEDLE" "$JSON" &&
				rec search needle "rg (raw file)" hits "$(wc -l <"$WORK/hits")"
			if [[ -f $WORK/json.log.zst ]]; then
				MEASURE_STDOUT=$WORK/hits measure search needle "rg over zstd -dc" 0 -- \
					bash -c "zstd -dc '$WORK/json.log.zst' | rg -F '$NEEDLE'" &&
					rec search needle "rg over zstd -dc" hits "$(wc -l <"$WORK/hits")"
			else
				na search needle "rg over zstd -dc" "zstd not installed"
			fi
			MEASURE_STDOUT=$WORK/hits measure search "field filter" "rg (raw file)" 0 -- \
				rg -c -F '"level":"error","service":"checkout"' "$JSON" &&
				rec search "field filter" "rg (raw file)" hits "$(tr -dc 0-9 <"$WORK/hits")"
			MEASURE_STDOUT=$WORK/hits measure search "count by level" "rg -o, sort, uniq -c" 0 -- \
				bash -c "rg -o '\"level\":\"[a-z]+\"' '$JSON' | sort | uniq -c" &&
				rec search "count by level" "rg -o, sort, uniq -c" hits "$(awk '{ s += $1 } END { print s + 0 }' "$WORK/hits")"
		else
			for c in "needle|rg (raw file)" "needle|rg over zstd -dc" "field filter|rg (raw file)" "count by level|rg -o, sort, uniq -c"; do
				na search "${c%%|*}" "${c#*|}" "ripgrep not installed"
			done
		fi
	done
	# the aggregator's peak RSS over its life: start-up and every query above
	if [[ -n ${AGG_PID:-} && -r /proc/$AGG_PID/status ]]; then
		rec search "peak RSS" sluice-aggregator rss_mib \
			"$(awk '$1 == "VmHWM:" { printf "%.1f", $2 / 1024 }' "/proc/$AGG_PID/status")"
	fi
	for c in "${SEARCH_CASES[@]}"; do
		case $c in
		needle) rec search "$c" expected hits "$expect_needle" ;;
		"field filter") rec search "$c" expected hits "$expect_filter" ;;
		*) rec search "$c" expected hits "$JSON_LINES" ;;
		esac
	done
	# ClickHouse: each query $runs times in one process (its own timer)
	local t="clickhouse (chdb)"
	if [[ -z ${SEARCH_CH:-} ]]; then
		for c in "${SEARCH_CASES[@]}"; do na search "$c" "$t" "no ClickHouse table (chdb missing or ingest failed)"; done
		return
	fi
	if ! "$VENV/bin/python" "$BENCH/peers/clickhouse.py" query "$SEARCH_CH" "$runs" "$NEEDLE" >"$WORK/clickhouse.q" 2>>"$WORK/measure.log"; then
		for c in "${SEARCH_CASES[@]}"; do na search "$c" "$t" "query failed (see $WORK/measure.log)"; done
		return
	fi
	local name n ms
	while read -r name n ms; do
		case $name in needle) c=needle ;; filter) c="field filter" ;; *) c="count by level" ;; esac
		rec search "$c" "$t" hits "$n"
		for m in $ms; do rec search "$c" "$t" wall_s "$(fdiv "$m" 1000 6)"; done
	done <"$WORK/clickhouse.q"
}

# ------------------------------------------------------------------ latency

# line written to a tailed file -> found by /api/v1/count, through the
# shipper, Kafka (TLS) and the aggregator
suite_latency() {
	local c="line written -> searchable" t=sluice n i token t0 t1 state live
	n=$((QUICK ? 20 : 100))
	if ! ensure_aggregator; then
		na latency "$c" $t "no aggregator (ingest failed)"
		return
	fi
	live=$WORK/live
	mkdir -p "$live"
	: >"$live/app.log"
	state=$(mktemp -d "$WORK/shipper.XXXXXX")
	shipper_config "$state/shipper.yaml" "$state" "$live/*.log" kafka "$INGEST_TOPIC" json
	"$SHIPPER" --config "$state/shipper.yaml" >>"$WORK/shipper.log" 2>&1 &
	local spid=$!
	PIDS+=("$spid")
	probe() { # TOKEN: appends a line with TOKEN and waits until it is found
		printf '{"time":"%s","level":"info","service":"latency","msg":"probe %s"}\n' \
			"$(date -u +%Y-%m-%dT%H:%M:%S.%NZ)" "$1" >>"$live/app.log"
		local deadline=$((SECONDS + 30))
		while ((SECONDS < deadline)); do
			[[ $(api_count "$AGG_PORT" "$1") == 1 ]] && return 0
			sleep 0.005
		done
		return 1
	}
	if ! probe "warmup$$x0"; then
		na latency "$c" $t "the warm-up line was not searchable within 30 s"
	else
		for ((i = 1; i <= n; i++)); do
			token=probe$$x$i
			t0=$EPOCHREALTIME
			if ! probe "$token"; then
				na latency "$c" $t "probe $i not searchable within 30 s"
				break
			fi
			t1=$EPOCHREALTIME
			rec latency "$c" $t latency_ms "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", (b - a) * 1000 }')"
			sleep 0.0$((RANDOM % 10)) # do not beat in step with the pollers
		done
	fi
	stop_bg "$spid" || true
}
