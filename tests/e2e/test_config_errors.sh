#!/usr/bin/env bash
# Config mistakes name the file, the line and the key, and nothing starts;
# the example configs pass --check.
source "$(dirname "$0")/lib.sh"

"$SHIPPER" --config "$ROOT/conf/shipper.yaml" --check >/dev/null || fail "conf/shipper.yaml fails --check"
"$AGGREGATOR" --config "$ROOT/conf/aggregator.yaml" --check >/dev/null ||
	fail "conf/aggregator.yaml fails --check"
"$SHIPPER" --version | grep -q '^sluice-shipper ' || fail "shipper --version"
"$AGGREGATOR" --help | grep -q -- '--check' || fail "aggregator --help"

# expect PROGRAM FILE-CONTENT EXPECTED-STDERR
expect() {
	local prog=$1 want=$3 rc=0
	printf '%s\n' "$2" >"$T/c.yaml"
	out=$("$prog" --config "$T/c.yaml" --check 2>&1) || rc=$?
	((rc == 1)) || fail "$(basename "$prog") exited $rc on a bad config: $out"
	[[ $out == "$want" ]] || fail "$(basename "$prog"): want '$want', got '$out'"
}

expect "$SHIPPER" 'inputs:
  - paths: ["/tmp/x"]
kafka:
  brokers: [a:1]
  tls: {ca: /x, verfy: true}' "$T/c.yaml:5: kafka.tls.verfy: unknown key"

expect "$SHIPPER" 'inputs:
  - paths: ["/tmp/x"]
  - paths: []
    parser: json' "$T/c.yaml:3: inputs[1].paths: needs at least one glob"

expect "$SHIPPER" 'inputs:
  - paths: ["/tmp/x"]
    parser: nosuch' "$T/c.yaml:3: inputs[0].parser: unknown parser \"nosuch\""

expect "$SHIPPER" 'inputs:
  - paths: ["/tmp/x"]
    read_from: middle' "$T/c.yaml:3: inputs[0].read_from: expected one of head, tail, got \"middle\""

expect "$SHIPPER" 'inputs:
  - paths: ["/tmp/x"]
tuning:
  scan_interval: 5 minutes' "$T/c.yaml:4: tuning.scan_interval: expected a duration like 500ms, 30s, 15m, 2h or 7d, got \"5 minutes\""

expect "$SHIPPER" 'state_dir: /tmp' "$T/c.yaml:1: inputs: is required"

expect "$AGGREGATOR" 'storage:
  dir: /tmp/x
api:
  max_results: 0' "$T/c.yaml:4: api.max_results: 0 is out of range (1..1000000000)"

expect "$AGGREGATOR" 'kafka:
  brokers: [a:1]
  brokers: [b:2]' "$T/c.yaml:3: kafka.brokers: duplicate key"

expect "$AGGREGATOR" 'api:
  listen: ${SLUICE_TEST_UNSET_VAR:-nocolon}' "$T/c.yaml:2: api.listen: expected host:port, got \"nocolon\""

# environment interpolation reaches the program
SLUICE_API_LISTEN=127.0.0.1:1 "$AGGREGATOR" --config "$ROOT/conf/aggregator.yaml" --check >/dev/null ||
	fail "interpolated config fails"

# a YAML syntax error names line and column
printf 'kafka:\n  brokers: [a:1\nstorage: {}\n' >"$T/c.yaml"
out=$("$AGGREGATOR" --config "$T/c.yaml" --check 2>&1) && fail "syntax error accepted"
[[ $out == "$T/c.yaml:3:"*"YAML syntax error"* ]] || fail "syntax error message: $out"

# a missing file
out=$("$SHIPPER" --config "$T/none.yaml" 2>&1) && fail "missing config accepted"
[[ $out == "$T/none.yaml: cannot open: No such file or directory" ]] || fail "missing file message: $out"
echo ok
