#!/usr/bin/env bash
# scripts/fuzz.sh — builds the libFuzzer targets (clang, ASan+UBSan) and runs
# them.
#   scripts/fuzz.sh run [SECONDS] [TARGET...]   fuzz each target SECONDS (60)
#   scripts/fuzz.sh replay [TARGET...]          run every seed and committed
#                                               crasher once (the test suite)
# Targets are tests/fuzz/fuzz_<name>.c; seeds tests/fuzz/corpus/<name>/;
# crashers found are kept in tests/fuzz/crashers/<name>/ (commit them: replay
# then guards against the bug coming back).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
BUILD=${SLUICE_FUZZ_BUILD:-$ROOT/build-fuzz}
mode=${1:-run}
shift || true
secs=60
if [[ $mode == run && ${1:-} =~ ^[0-9]+$ ]]; then
	secs=$1
	shift
fi
cmake -S . -B "$BUILD" -G Ninja -DCMAKE_C_COMPILER=clang -DSLUICE_FUZZ=ON -DSLUICE_TESTS=OFF \
	-DCMAKE_BUILD_TYPE=Debug >/dev/null
ninja -C "$BUILD" >"$BUILD.log" 2>&1 || {
	tail -30 "$BUILD.log"
	exit 1
}
targets=("$@")
if ((${#targets[@]} == 0)); then
	for f in tests/fuzz/fuzz_*.c; do targets+=("$(basename "$f" .c | sed 's/^fuzz_//')"); done
fi
failed=0
for t in "${targets[@]}"; do
	bin=$(find "$BUILD" -name "fuzz_$t" -type f -executable | head -1)
	[[ -n $bin ]] || {
		echo "fuzz_$t: not built"
		failed=1
		continue
	}
	corpus=tests/fuzz/corpus/$t
	crashers=tests/fuzz/crashers/$t
	mkdir -p "$corpus"
	if [[ $mode == replay ]]; then
		inputs=("$corpus")
		[[ -d $crashers ]] && inputs+=("$crashers")
		if "$bin" -runs=0 "${inputs[@]}" >"$BUILD/replay-$t.log" 2>&1; then
			echo "fuzz_$t: replayed $(find "${inputs[@]}" -type f | wc -l) inputs"
		else
			echo "fuzz_$t: FAILED on a stored input"
			tail -30 "$BUILD/replay-$t.log"
			failed=1
		fi
	else
		mkdir -p "$crashers" "$BUILD/corpus-$t"
		echo "fuzz_$t: ${secs}s"
		"$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
			-artifact_prefix="$crashers/" "$BUILD/corpus-$t" "$corpus" \
			>"$BUILD/fuzz-$t.log" 2>&1 || {
			echo "fuzz_$t: crashed, input kept in $crashers/"
			tail -30 "$BUILD/fuzz-$t.log"
			failed=1
		}
		grep -E "^#[0-9]+.*(DONE|cov:)" "$BUILD/fuzz-$t.log" | tail -1 | sed "s/^/  /"
	fi
done
exit $failed
