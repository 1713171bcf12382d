#!/usr/bin/env bash
# Rotation by rename (the old file is drained, the new one read from its
# start), copytruncate, and a file deleted after being read: every line once.
source "$(dirname "$0")/lib.sh"
setup_pipeline
start_aggregator
start_shipper
log=$T/logs/app.log
seq -f 'before rotation %g' 1 1000 >"$log"
wait_count '*' 1000 60
# rename rotation: more lines to the old file after the rename, then a new file
mv "$log" "$T/logs/app.log.1"
seq -f 'late line to the rotated file %g' 1 500 >>"$T/logs/app.log.1"
seq -f 'after rename %g' 1 700 >"$log"
wait_count '*' 2200 60
[[ $(cli count late) == 500 ]] || fail "lines written to the renamed file after rotation"
[[ $(cli count rename) == 700 ]] || fail "lines of the new file"
# copytruncate: copy, truncate in place, write new lines
sleep 2
cp "$log" "$T/logs/app.log.2"
: >"$log"
sleep 2
seq -f 'after truncate %g' 1 300 >>"$log"
wait_count '*' 2500 60
[[ $(cli count truncate) == 300 ]] || fail "lines after copytruncate"
# a deleted file is let go; a new file appears
rm "$log"
seq -f 'brand new file %g' 1 50 >"$T/logs/other.log"
wait_count '*' 2550 60
sleep 2
[[ $(cli count '*') == 2550 ]] || fail "duplicates after rotation: $(cli count '*')"
stop_pid "$SHIP_PID"
echo ok
