#!/usr/bin/env bash
# test_benchmarks — the benchmark harness works: benchmarks/corpus is
# deterministic and plants its needles, and `benchmarks/run --quick` on a tiny
# corpus, against the test broker and this build, produces every row of its
# table (peers that cannot be installed show as n/a rows, which count as
# produced). No timing is ever asserted.
source "$(dirname "$0")/lib.sh"

# --- the corpus generator: same arguments, same bytes; needles as promised
for fmt in json nginx postgres docker cri syslog; do
	"$ROOT/benchmarks/corpus" --format $fmt --size 300KB --needles 7 --out "$T/c1"
	"$ROOT/benchmarks/corpus" --format $fmt --size 300KB --needles 7 --out "$T/c2"
	cmp -s "$T/c1/$fmt.log" "$T/c2/$fmt.log" || fail "corpus $fmt is not deterministic"
	cmp -s "$T/c1/$fmt.manifest" "$T/c2/$fmt.manifest" || fail "manifest $fmt differs between runs"
	got=$(grep -c zqxneedle7f3a "$T/c1/$fmt.log" || true)
	[[ $got == 7 ]] || fail "corpus $fmt: $got needle lines, want 7"
	grep -q '^needles 7$' "$T/c1/$fmt.manifest" || fail "manifest $fmt: needles"
	lines=$(wc -l <"$T/c1/$fmt.log")
	grep -q "^lines $lines\$" "$T/c1/$fmt.manifest" || fail "manifest $fmt: line count"
	sum=$(sha256sum "$T/c1/$fmt.log" | cut -d' ' -f1)
	grep -q "^sha256 $sum\$" "$T/c1/$fmt.manifest" || fail "manifest $fmt: sha256"
done
"$ROOT/benchmarks/corpus" --format json --size 300KB --needles 7 --seed 2 --out "$T/c3"
! cmp -s "$T/c1/json.log" "$T/c3/json.log" || fail "another seed gave the same corpus"
"$ROOT/benchmarks/corpus" --format json --size 300KB --needles 7 --files 10 --out "$T/c4"
[[ $(cat "$T"/c4/json/*.log | wc -l) == $(grep '^lines' "$T/c4/json.manifest" | cut -d' ' -f2) ]] ||
	fail "split corpus: line count"
[[ $(ls "$T"/c4/json/*.log | wc -l) == 10 ]] || fail "split corpus: want 10 files"

# --- the whole harness, quick, on a tiny corpus
OUT=$T/results.md
"$ROOT/benchmarks/run" --quick --size 1MB --bin "$SLUICE_BIN" --reuse-broker \
	--work "$T/work" --out "$OUT" >"$T/run.log" 2>&1 || fail "benchmarks/run exited $? (see $T/run.log)"
[[ -s $OUT ]] || fail "no results"
if command -v gnuplot >/dev/null; then
	[[ -s ${OUT%.md}.png ]] || fail "no plot ${OUT%.md}.png"
fi

# row CASE TOOL: a table row for it exists (numbers or n/a with a reason)
row() {
	grep -qF "| $1 | $2 | " "$OUT" || fail "missing row: $1 / $2"
}
for tool in cat "wc -l" "rg (needle)" "gzip -6" "zstd -3" "jq -c ." "json_reformat -m"; do row json.log "$tool"; done
for c in "tail -> null, 1 file" "tail -> null, 1000 files"; do row "$c" sluice; done
for c in "tail -> kafka, 1 file" "tail -> kafka, 1000 files"; do
	for tool in sluice rsyslog syslog-ng; do row "$c" $tool; done
done
row json "sluice (auto)"
for f in json nginx postgres docker cri syslog; do row $f "sluice ($f)"; done
row "events from Kafka" sluice-aggregator
row "events from file" "clickhouse (chdb)"
for tool in sluice "clickhouse (chdb)" "raw log (json.log)" "events as JSON lines" "gzip -6 of events" "zstd -3 of events"; do
	grep -qF "| $tool | " "$OUT" || fail "missing storage row: $tool"
done
for tool in sluice "rg (raw file)" "rg over zstd -dc" "clickhouse (chdb)"; do row needle "$tool"; done
for tool in sluice "rg (raw file)" "clickhouse (chdb)"; do row "field filter" "$tool"; done
for tool in sluice "rg -o, sort, uniq -c" "clickhouse (chdb)"; do row "count by level" "$tool"; done
row "line written -> searchable" sluice

# sluice's own rows must have numbers: the harness measured them
for r in "| tail -> null, 1 file | sluice |" "| tail -> kafka, 1 file | sluice |" \
	"| json | sluice (json) |" "| events from Kafka | sluice-aggregator |" \
	"| needle | sluice |" "| line written -> searchable | sluice |"; do
	grep -F "$r" "$OUT" | grep -q 'n/a' && fail "no figures for $r: $(grep -F "$r" "$OUT")"
done
# search answers are checked against the corpus manifest (hits = expected)
grep -F '| needle | sluice |' "$OUT" | grep -q '✗' && fail "sluice's needle search found the wrong number of events"
n=$(sed -n '/^## Ratios/,/^## /p' "$OUT" | grep -c '^| [a-z]' || true)
((n >= 20)) || fail "ratios table has $n rows"

# --compare: a file compared with itself has nothing worse
"$ROOT/benchmarks/run" --compare "$OUT" --with "$OUT" >"$T/compare.log" 2>&1 || fail "--compare flagged a file against itself"
grep -q '^0 ratio(s) more than 10% worse' "$T/compare.log" || fail "--compare output"
# and flags a ratio that got worse: an "old" file where the first
# higher-is-better ratio was twice as good
awk -F'|' 'BEGIN {OFS = "|"} !done && $4 ~ /higher/ && $3 + 0 > 0 {$3 = " " $3 * 2 " "; done = 1} {print}' \
	"$OUT" >"$T/old.md"
rc=0
"$ROOT/benchmarks/run" --compare "$T/old.md" --with "$OUT" >"$T/compare2.log" 2>&1 || rc=$?
((rc != 0)) || fail "--compare exited 0 although a ratio got worse"
grep -q '^1 ratio(s) more than 10% worse' "$T/compare2.log" || fail "--compare did not flag the worse ratio"
echo "PASS: $TEST_NAME"
