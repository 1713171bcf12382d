#!/usr/bin/env bash
# scripts/test.sh — the whole test suite, from a fresh machine:
#   installs the Debian packages (scripts/deps.sh), builds with ASan+UBSan,
#   checks formatting and a clang -Werror build, runs the Criterion unit tests,
#   replays every fuzz target over its seeds and committed crashers,
#   starts a real Kafka broker (scripts/kafka.sh), runs every end-to-end test
#   in tests/e2e/ against it, and stops the broker, pass or fail.
# Ends with one line "N passed, N failed". Exit status 0 only if all passed.
#
#   scripts/test.sh [e2e-test-name ...]    (default: all)
# Environment: SLUICE_BUILD_TYPE (asan), SLUICE_TEST_BUILD (build-test).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
start=$(date +%s)
BUILD=${SLUICE_TEST_BUILD:-$ROOT/build-test}
TYPE=${SLUICE_BUILD_TYPE:-asan}
passed=0
failed=0
failures=()

step() { echo "== $*"; }
record() { # name rc
	if (($2 == 0)); then
		passed=$((passed + 1))
		echo "PASS $1"
	else
		failed=$((failed + 1))
		failures+=("$1")
		echo "FAIL $1"
	fi
}

step "dependencies"
scripts/deps.sh

step "build ($TYPE)"
cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE="$TYPE" >/dev/null
ninja -C "$BUILD" >"$BUILD.log" 2>&1 || {
	cat "$BUILD.log"
	exit 1
}

step "format-check"
rc=0
ninja -C "$BUILD" format-check >/dev/null 2>&1 || rc=$?
record format-check $rc

step "clang -Werror build"
rc=0
{ cmake -S . -B "$BUILD-clang" -G Ninja -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Release &&
	ninja -C "$BUILD-clang"; } >"$BUILD-clang.log" 2>&1 || rc=$?
((rc == 0)) || tail -30 "$BUILD-clang.log"
record clang-build $rc

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

step "unit tests (Criterion)"
for t in $(cd "$BUILD" && ctest -N | sed -n 's/^ *Test *#[0-9]*: //p'); do
	rc=0
	(cd "$BUILD" && ctest --output-on-failure -R "^$t\$") >"$BUILD/unit-$t.log" 2>&1 || rc=$?
	((rc == 0)) || cat "$BUILD/unit-$t.log"
	grep -h "Synthesis" "$BUILD/unit-$t.log" | sed "s/^/  $t: /" || true
	record "unit/$t" $rc
done

step "fuzz targets: replay seeds and committed crashers (clang, ASan+UBSan)"
rc=0
SLUICE_FUZZ_BUILD=$BUILD-fuzz scripts/fuzz.sh replay || rc=$?
record fuzz-replay $rc

step "Kafka"
export SLUICE_KAFKA_DIR=$BUILD/kafka
trap 'scripts/kafka.sh stop' EXIT
eval "$(scripts/kafka.sh start)"
echo "broker: TLS $SLUICE_BROKERS, mTLS $SLUICE_BROKERS_MTLS, plaintext $SLUICE_BROKERS_PLAINTEXT"

step "end-to-end tests"
export SLUICE_BIN=$BUILD
tests=("$@")
if ((${#tests[@]} == 0)); then
	for f in tests/e2e/test_*.sh; do tests+=("$(basename "$f" .sh)"); done
fi
for t in "${tests[@]}"; do
	t0=$(date +%s)
	rc=0
	bash "tests/e2e/$t.sh" || rc=$?
	echo "  ($(($(date +%s) - t0)) s)"
	record "e2e/$t" $rc
done

echo
echo "took $(($(date +%s) - start)) s"
if ((failed)); then echo "failed: ${failures[*]}"; fi
echo "$passed passed, $failed failed"
((failed == 0))
