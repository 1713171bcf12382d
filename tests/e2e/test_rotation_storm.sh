#!/usr/bin/env bash
# Rotation storm: two writers at a high rate while, every second, one file is
# rotated by rename and the other by copytruncate. Every line of the renamed
# files arrives exactly once. For copytruncate the inherent window is
# measured, not hidden: lines the writer put in the file after the copy and
# before the truncation exist nowhere (logrotate's loss), and lines that were
# in the copy but not yet read when the file was truncated are not shipped
# (the copies do not match the glob). Nothing may be doubled.
source "$(dirname "$0")/lib.sh"
setup_pipeline
start_aggregator
start_shipper
N=100000
writer() { # tag
	awk -v tag="$1" -v n=$N -v out="$T/logs/$1.log" 'BEGIN {
		for (i = 1; i <= n; i++) {
			printf "writer %s line %d\n", tag, i >> out
			if (i % 200 == 0) close(out)
			if (i % 5000 == 0) system("sleep 0.25")
		}
	}'
}
writer r &
wr=$!
PIDS+=("$wr")
writer c &
wc_pid=$!
PIDS+=("$wc_pid")
rotations=0
while kill -0 "$wr" 2>/dev/null || kill -0 "$wc_pid" 2>/dev/null; do
	sleep 1
	rotations=$((rotations + 1))
	[[ -f $T/logs/r.log ]] && mv "$T/logs/r.log" "$T/logs/r.log.$rotations"
	if [[ -f $T/logs/c.log ]]; then
		cp "$T/logs/c.log" "$T/logs/c.log.$rotations"
		: >"$T/logs/c.log"
	fi
done
wait "$wr" "$wc_pid" || true
echo "$rotations rotations of each kind"
in_r=$(cat "$T"/logs/r.log* | wc -l)
[[ $in_r == "$N" ]] || fail "the rename writer's lines are not all in its files ($in_r)"
wait_count 'writer AND r' "$N" 180
sleep 5
[[ $(cli count 'writer AND r') == "$N" ]] || fail "rename rotation: $(cli count 'writer AND r') of $N"
cli search 'writer AND c' --limit 0 --output raw | sort >"$T/c.got"
[[ -z $(uniq -d "$T/c.got") ]] || fail "copytruncate: doubled lines: $(uniq -d "$T/c.got" | head -3)"
cat "$T"/logs/c.log* | sort -u >"$T/c.files"
seq -f 'writer c line %g' 1 $N | sort >"$T/c.written"
got_c=$(wc -l <"$T/c.got")
in_files=$(wc -l <"$T/c.files")
phantom=$(comm -13 "$T/c.written" "$T/c.got" | wc -l)
((phantom == 0)) || fail "copytruncate: $phantom shipped lines the writer never wrote"
unread_copy=$(comm -23 "$T/c.files" "$T/c.got" | wc -l)
# lines that were in the file only between the copy and the truncation
window_read=$(comm -23 "$T/c.got" "$T/c.files" | wc -l)
window_lost=$((N - in_files - window_read))
echo "copytruncate: $N lines written, $got_c shipped once; not shipped: $unread_copy" \
	"that reached the copy before the shipper read them, $window_lost written between" \
	"copy and truncate (the shipper read $window_read such lines in time)"
((got_c + unread_copy + window_lost == N)) || fail "copytruncate accounting does not add up"
# the current file is read to its end
tail_line=$(tail -1 "$T/logs/c.log")
[[ -z $tail_line ]] || grep -qxF "$tail_line" "$T/c.got" || fail "last line of c.log not shipped"
stop_pid "$SHIP_PID"
echo ok
