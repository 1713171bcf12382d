#!/usr/bin/env bash
# Golden files: every tests/cases/<format>/<name>.log goes through
# `sluice-shipper parse` (the shipper's record path, without Kafka) and must
# give exactly <name>.json. Arguments come from <name>.args, one per line
# (default: --parser <format>); the ingest time is fixed with --now.
#   SLUICE_GOLDEN_UPDATE=1 tests/e2e/test_golden.sh   rewrites the .json files
source "$(dirname "$0")/lib.sh"

cd "$ROOT"
NOW=2024-06-15T12:00:00Z
n=0
bad=()
for log in tests/cases/*/*.log; do
	dir=$(basename "$(dirname "$log")")
	base=${log%.log}
	args=(--parser "$dir")
	if [[ -f $base.args ]]; then mapfile -t args <"$base.args"; fi
	out=$T/$(basename "$dir")-$(basename "$base").json
	"$SHIPPER" parse --now "$NOW" --host golden "${args[@]}" "$log" >"$out" 2>"$T/stderr" ||
		fail "$log: parse failed: $(cat "$T/stderr")"
	if [[ -n ${SLUICE_GOLDEN_UPDATE:-} ]]; then
		cp "$out" "$base.json"
	elif ! cmp -s "$out" "$base.json"; then
		echo "--- $log: output differs from $base.json" >&2
		diff "$base.json" "$out" | head -20 >&2 || true
		bad+=("$log")
	fi
	# every line is one JSON object
	jq -e -s 'all(.[]; type == "object")' "$out" >/dev/null || fail "$log: output is not JSON lines"
	n=$((n + 1))
done
((${#bad[@]} == 0)) || fail "${#bad[@]} golden case(s) differ: ${bad[*]}"
echo "ok: $n cases"
