# benchmarks/lib/report.sh — the markdown table, the plot and --compare
# (sourced by benchmarks/run).

render_markdown() {
	local png=
	if command -v gnuplot >/dev/null; then png=$(basename "${OUT%.md}.png"); fi
	awk -F'\t' -v mode=md -v png="$png" -f "$BENCH/lib/report.awk" "$META" "$RESULTS"
}

# render_plot PNG: throughput (MB/CPU-s, log scale) and latency (ms, log
# scale) per suite, as horizontal-label bar charts, with gnuplot
render_plot() {
	local png=$1 tput=$WORK/plot-tput.dat lat=$WORK/plot-lat.dat
	awk -F'\t' -v mode=plot-tput -f "$BENCH/lib/report.awk" "$META" "$RESULTS" >"$tput"
	awk -F'\t' -v mode=plot-lat -f "$BENCH/lib/report.awk" "$META" "$RESULTS" >"$lat"
	[[ -s $tput || -s $lat ]] || return 0
	local nt nl
	nt=$(wc -l <"$tput")
	nl=$(wc -l <"$lat")
	gnuplot <<EOF
set terminal pngcairo size 1400,$((300 + 26 * (nt + nl))) font "sans,10" noenhanced
set output "$png"
set datafile separator "\t"
set multiplot layout 2,1 title "sluice benchmarks — $(awk -F'\t' '$1 == "commit" { print $2 }' "$META"), $(awk -F'\t' '$1 == "date" { print $2 }' "$META")"
set style fill solid 0.8 border -1
set grid xtics
set logscale x
set ytics nomirror
unset key
set xlabel "MB per CPU-second (median, log scale; higher is better)"
set title "throughput"
set yrange [$nt-0.4:-0.6]
plot "$tput" using 2:0:(0):2:(\$0-0.35):(\$0+0.35):ytic(1) with boxxyerror lc rgb "#4a7ebb"
set xlabel "milliseconds (median; e2e: p50/p99; log scale; lower is better)"
set title "latency"
set yrange [$nl-0.4:-0.6]
plot "$lat" using 2:0:(0):2:(\$0-0.35):(\$0+0.35):ytic(1) with boxxyerror lc rgb "#c0504d"
unset multiplot
EOF
}

# compare_results OLD.md NEW.md: prints every ratio of both, flags those more
# than 10% worse in NEW (by each ratio's "better" direction); exits 1 if any
compare_results() {
	local old=$1 new=$2
	[[ -f $old ]] || { echo "run: $old not found" >&2; return 2; }
	[[ -f $new ]] || { echo "run: $new not found" >&2; return 2; }
	awk -F'|' '
		function trim(s) { gsub(/^[ \t]+|[ \t]+$/, "", s); return s }
		FNR == 1 { file++; inr = 0 }
		/^## / { inr = ($0 ~ /^## Ratios/) }
		inr && /^\|/ && NF >= 5 {
			name = trim($2); v = trim($3); b = trim($4)
			if (name == "ratio" || name ~ /^-+$/) next
			if (file == 1) { O[name] = v } else { N[name] = v; B[name] = b; order[++n] = name }
		}
		file == 1 && /^- corpus:/ { oc = $0 }
		file == 2 && /^- corpus:/ { nc = $0 }
		END {
			if (oc != nc) printf "\nWARNING: the two runs used different corpora; their ratios may not be comparable:\n  old %s\n  new %s\n", oc, nc
			printf "\n## Compared with %s\n\n| ratio | old | new | change | |\n|---|---:|---:|---:|---|\n", old
			worse = 0
			for (i = 1; i <= n; i++) {
				k = order[i]; o = O[k]; v = N[k]; flag = ""; ch = ""
				if ((k in O) && o ~ /^[0-9.]+$/ && v ~ /^[0-9.]+$/ && o + 0 > 0) {
					ch = sprintf("%+.1f%%", (v / o - 1) * 100)
					if ((B[k] == "higher" && v + 0 < o * 0.9) || (B[k] == "lower" && v + 0 > o * 1.1)) {
						flag = "**WORSE by more than 10%**"; worse++
					}
				}
				printf "| %s | %s | %s | %s | %s |\n", k, (k in O) ? o : "—", v, ch, flag
			}
			printf "\n%d ratio(s) more than 10%% worse\n", worse
			exit(worse > 0)
		}' old="$old" "$old" "$new"
}
