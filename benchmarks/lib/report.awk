# benchmarks/lib/report.awk — turns WORK/meta and WORK/results.tsv into the
# markdown of benchmarks/RESULTS.md (mode=md), or the data files of the plot
# (mode=plot-tput, mode=plot-lat). Run by lib/report.sh:
#   awk -F'\t' -v mode=md -f report.awk META RESULTS
# Samples are "suite case tool metric value"; metric n/a carries a reason.

function nsort(a, n,    i, j, t) {
	for (i = 2; i <= n; i++) {
		t = a[i]
		for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]
		a[j + 1] = t
	}
}
# stat(list, what): what is min, max, med, n, or pNN (nearest rank)
function stat(list, what,    a, n, i, r) {
	n = split(list, a, " ")
	if (n == 0) return ""
	for (i = 1; i <= n; i++) a[i] += 0
	nsort(a, n)
	if (what == "n") return n
	if (what == "min") return a[1]
	if (what == "max") return a[n]
	if (what == "med") return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
	if (what ~ /^p/) {
		r = int((substr(what, 2) / 100) * n + 0.999999)
		if (r < 1) r = 1
		if (r > n) r = n
		return a[r]
	}
}
function fmt(v) {
	if (v == "") return "—"
	v += 0
	if (v >= 1000) return sprintf("%.0f", v)
	if (v >= 100) return sprintf("%.0f", v)
	if (v >= 10) return sprintf("%.1f", v)
	return sprintf("%.2f", v)
}
function get(s, c, t, m) { return V[s SUBSEP c SUBSEP t SUBSEP m] }
function med(s, c, t, m) { return stat(get(s, c, t, m), "med") }

FNR == NR {
	M[$1] = $2
	next
}
{
	k = $1 SUBSEP $2 SUBSEP $3
	if (!(k in seen)) {
		seen[k] = 1
		nrows[$1]++
		ROW[$1, nrows[$1]] = $2 SUBSEP $3
	}
	if ($4 == "n/a") {
		if (!(k in NA)) NA[k] = $5
		NAN[k]++
		next
	}
	mk = k SUBSEP $4
	if (mk in V) V[mk] = V[mk] " " $5
	else V[mk] = $5
}

function rowname(s, i,    p) {
	split(ROW[s, i], p, SUBSEP)
	RC = p[1]
	RT = p[2]
}
function nanote(k) {
	return (k in NA) ? " (" NAN[k] " failed: " NA[k] ")" : ""
}

function throughput_table(s, title,    i, k, mc, extra) {
	if (!nrows[s]) return
	printf "\n## %s\n\n", title
	extra = (s == "ingest") ? " events/s (median) |" : (s == "parsers") ? " lines/CPU-s (median) |" : ""
	printf "| case | tool | MB/CPU-s min | median | max | MB/s (median) | CPU s (median) | peak RSS MiB (max) |%s runs |\n", extra
	printf "|---|---|---:|---:|---:|---:|---:|---:|%s---:|\n", extra != "" ? "---:|" : ""
	for (i = 1; i <= nrows[s]; i++) {
		rowname(s, i)
		k = s SUBSEP RC SUBSEP RT
		mc = get(s, RC, RT, "mb_per_cpu_s")
		if (mc == "") {
			printf "| %s | %s | n/a: %s | | | | | |%s |\n", RC, RT, NA[k], extra != "" ? " |" : ""
			continue
		}
		printf "| %s | %s | %s | **%s** | %s | %s | %s | %s |", RC, RT, fmt(stat(mc, "min")),
			fmt(stat(mc, "med")), fmt(stat(mc, "max")), fmt(med(s, RC, RT, "mb_per_s")),
			fmt(med(s, RC, RT, "cpu_s")), fmt(stat(get(s, RC, RT, "rss_mib"), "max"))
		if (s == "ingest") printf " %s |", fmt(med(s, RC, RT, "events_per_s"))
		if (s == "parsers") printf " %s |", fmt(stat(mc, "med") * med(s, RC, RT, "lines_per_mb"))
		printf " %d%s |\n", stat(mc, "n"), nanote(k)
	}
}

function storage_table(s,    i, k, b, ev, n) {
	if (!nrows[s]) return
	n = M["storage_events"] + 0
	ev = med(s, "events", "events as JSON lines", "bytes")
	printf "\n## storage (the JSON corpus's events: %d events)\n\n", n
	printf "| stored as | MB | bytes/event | events JSON ÷ stored |\n|---|---:|---:|---:|\n"
	for (i = 1; i <= nrows[s]; i++) {
		rowname(s, i)
		k = s SUBSEP RC SUBSEP RT
		b = med(s, RC, RT, "bytes")
		if (b == "") {
			printf "| %s | n/a: %s | | |\n", RT, NA[k]
			continue
		}
		printf "| %s | %s | %s | %s |\n", RT, fmt(b / 1e6), (n ? fmt(b / n) : "—"),
			(ev != "" && b > 0) ? sprintf("%.2f", ev / b) : "—"
	}
}

function search_table(s,    i, k, w, h, e, mark) {
	if (!nrows[s]) return
	printf "\n## search\n\n"
	printf "sluice and rg: one process from start to exit (the `sluice` CLI asks the aggregator over HTTP). ClickHouse: the query inside one warm chdb process (its best case). Hits are checked against the corpus manifest; ✗ marks a wrong answer.\n\n"
	printf "| query | tool | latency ms min | median | max | hits | expected | runs |\n|---|---|---:|---:|---:|---:|---:|---:|\n"
	for (i = 1; i <= nrows[s]; i++) {
		rowname(s, i)
		if (RT == "expected" || RC == "peak RSS") continue
		k = s SUBSEP RC SUBSEP RT
		w = get(s, RC, RT, "wall_s")
		e = med(s, RC, "expected", "hits")
		if (w == "") {
			printf "| %s | %s | n/a: %s | | | | %s | |\n", RC, RT, NA[k], e
			continue
		}
		h = med(s, RC, RT, "hits")
		mark = (h != "" && e != "" && h + 0 != e + 0) ? " ✗" : ""
		printf "| %s | %s | %s | **%s** | %s | %s%s | %s | %d%s |\n", RC, RT, fmt(stat(w, "min") * 1000),
			fmt(stat(w, "med") * 1000), fmt(stat(w, "max") * 1000), h, mark, e, stat(w, "n"), nanote(k)
	}
	w = med(s, "peak RSS", "sluice-aggregator", "rss_mib")
	if (w != "")
		printf "\nPeak RSS of the aggregator that answered these queries (VmHWM, from its start; every query above ran %d times): %s MiB.\n", stat(get(s, "needle", "sluice", "wall_s"), "n"), fmt(w)
}

function latency_table(s,    i, k, l) {
	if (!nrows[s]) return
	printf "\n## end-to-end latency\n\n"
	printf "| case | tool | p50 ms | p99 ms | max ms | samples |\n|---|---|---:|---:|---:|---:|\n"
	for (i = 1; i <= nrows[s]; i++) {
		rowname(s, i)
		k = s SUBSEP RC SUBSEP RT
		l = get(s, RC, RT, "latency_ms")
		if (l == "") {
			printf "| %s | %s | n/a: %s | | | |\n", RC, RT, NA[k]
			continue
		}
		printf "| %s | %s | **%s** | **%s** | %s | %d%s |\n", RC, RT, fmt(stat(l, "p50")), fmt(stat(l, "p99")),
			fmt(stat(l, "max")), stat(l, "n"), nanote(k)
	}
}

# ratio NAME BETTER METRIC  SUITE_A CASE_A TOOL_A  SUITE_B CASE_B TOOL_B
function ratio(name, better, metric, sa, ca, ta, sb, cb, tb,    a, b, v) {
	if (metric == "p50") {
		a = stat(get(sa, ca, ta, "latency_ms"), "p50")
		b = stat(get(sb, cb, tb, "latency_ms"), "p50")
	} else {
		a = med(sa, ca, ta, metric)
		b = med(sb, cb, tb, metric)
	}
	v = (a != "" && b != "" && b + 0 > 0) ? sprintf("%.3f", a / b) : "n/a"
	printf "| %s | %s | %s |\n", name, v, better
}

function ratios(    sk, s1, s1k, s1000, k1) {
	printf "\n## Ratios (medians of this run; sluice ÷ baseline or peer)\n\n"
	printf "| ratio | value | better |\n|---|---:|---|\n"
	sk = "tail -> kafka, 1 file"
	s1000 = "tail -> kafka, 1000 files"
	ratio("shipper tail->kafka 1 file, MB/CPU-s: sluice / rsyslog", "higher", "mb_per_cpu_s", "shipper", sk, "sluice", "shipper", sk, "rsyslog")
	ratio("shipper tail->kafka 1 file, MB/CPU-s: sluice / syslog-ng", "higher", "mb_per_cpu_s", "shipper", sk, "sluice", "shipper", sk, "syslog-ng")
	ratio("shipper tail->kafka 1000 files, MB/CPU-s: sluice / rsyslog", "higher", "mb_per_cpu_s", "shipper", s1000, "sluice", "shipper", s1000, "rsyslog")
	ratio("shipper tail->kafka 1000 files, MB/CPU-s: sluice / syslog-ng", "higher", "mb_per_cpu_s", "shipper", s1000, "sluice", "shipper", s1000, "syslog-ng")
	ratio("shipper tail->kafka 1 file, peak RSS: sluice / rsyslog", "lower", "rss_mib", "shipper", sk, "sluice", "shipper", sk, "rsyslog")
	ratio("shipper tail->kafka 1 file, peak RSS: sluice / syslog-ng", "lower", "rss_mib", "shipper", sk, "sluice", "shipper", sk, "syslog-ng")
	ratio("shipper tail->null 1 file, MB/CPU-s: sluice / cat", "higher", "mb_per_cpu_s", "shipper", "tail -> null, 1 file", "sluice", "baselines", "json.log", "cat")
	ratio("shipper tail->null 1 file, MB/CPU-s: sluice / jq -c .", "higher", "mb_per_cpu_s", "shipper", "tail -> null, 1 file", "sluice", "baselines", "json.log", "jq -c .")
	ratio("shipper tail->null 1000 files / 1 file, MB/CPU-s", "higher", "mb_per_cpu_s", "shipper", "tail -> null, 1000 files", "sluice", "shipper", "tail -> null, 1 file", "sluice")
	ratio("parser json, MB/CPU-s: sluice / json_reformat -m", "higher", "mb_per_cpu_s", "parsers", "json", "sluice (json)", "baselines", "json.log", "json_reformat -m")
	ratio("parser json, MB/CPU-s: sluice / jq -c .", "higher", "mb_per_cpu_s", "parsers", "json", "sluice (json)", "baselines", "json.log", "jq -c .")
	ratio("parser json, MB/CPU-s: sluice / gzip -6", "higher", "mb_per_cpu_s", "parsers", "json", "sluice (json)", "baselines", "json.log", "gzip -6")
	ratio("ingest, MB/CPU-s: sluice / clickhouse", "higher", "mb_per_cpu_s", "ingest", "events from Kafka", "sluice-aggregator", "ingest", "events from file", "clickhouse (chdb)")
	ratio("ingest, MB/CPU-s: sluice / zstd -3", "higher", "mb_per_cpu_s", "ingest", "events from Kafka", "sluice-aggregator", "baselines", "json.log", "zstd -3")
	ratio("storage bytes: sluice / zstd -1", "lower", "bytes", "storage", "events", "sluice", "storage", "events", "zstd -1 of events")
	ratio("storage bytes: sluice / zstd -3", "lower", "bytes", "storage", "events", "sluice", "storage", "events", "zstd -3 of events")
	ratio("storage bytes: sluice / gzip -6", "lower", "bytes", "storage", "events", "sluice", "storage", "events", "gzip -6 of events")
	ratio("storage bytes: sluice / clickhouse", "lower", "bytes", "storage", "events", "sluice", "storage", "events", "clickhouse (chdb)")
	ratio("search needle latency: sluice / rg", "lower", "wall_s", "search", "needle", "sluice", "search", "needle", "rg (raw file)")
	ratio("search needle latency: sluice / clickhouse", "lower", "wall_s", "search", "needle", "sluice", "search", "needle", "clickhouse (chdb)")
	ratio("search field filter latency: sluice / rg", "lower", "wall_s", "search", "field filter", "sluice", "search", "field filter", "rg (raw file)")
	ratio("search field filter latency: sluice / clickhouse", "lower", "wall_s", "search", "field filter", "sluice", "search", "field filter", "clickhouse (chdb)")
	ratio("search count by level latency: sluice / rg+sort+uniq", "lower", "wall_s", "search", "count by level", "sluice", "search", "count by level", "rg -o, sort, uniq -c")
	ratio("search count by level latency: sluice / clickhouse", "lower", "wall_s", "search", "count by level", "sluice", "search", "count by level", "clickhouse (chdb)")
}

function plot_tput(s,    i, mc) {
	for (i = 1; i <= nrows[s]; i++) {
		rowname(s, i)
		mc = get(s, RC, RT, "mb_per_cpu_s")
		if (mc != "") printf "\"%s: %s / %s\"\t%s\n", s, RC, RT, stat(mc, "med")
	}
}

END {
	if (mode == "plot-tput") {
		plot_tput("baselines"); plot_tput("shipper"); plot_tput("parsers"); plot_tput("ingest")
		exit
	}
	if (mode == "plot-lat") {
		for (i = 1; i <= nrows["search"]; i++) {
			rowname("search", i)
			w = get("search", RC, RT, "wall_s")
			if (w != "") printf "\"search: %s / %s\"\t%s\n", RC, RT, stat(w, "med") * 1000
		}
		for (i = 1; i <= nrows["latency"]; i++) {
			rowname("latency", i)
			l = get("latency", RC, RT, "latency_ms")
			if (l != "") {
				printf "\"e2e p50: %s\"\t%s\n", RT, stat(l, "p50")
				printf "\"e2e p99: %s\"\t%s\n", RT, stat(l, "p99")
			}
		}
		exit
	}
	printf "# sluice benchmarks\n\n"
	if (M["note"] != "") printf "> %s\n\n", M["note"]
	printf "- command: `%s`\n", M["command"]
	printf "- commit: %s; build: %s\n", M["commit"], M["build"]
	printf "- machine: %s, %s cores, %s memory; %s; %s\n", M["cpu"], M["cores"], M["memory"], M["os"], M["kernel"]
	printf "- load average: %s\n", M["load"]
	printf "- date: %s; runs per measurement: %s%s\n", M["date"], M["runs"], (M["quick"] == 1) ? " (--quick)" : ""
	printf "- corpus: %s\n", M["corpus"]
	if (M["events"] != "") printf "- events: %s\n", M["events"]
	printf "- broker: %s\n", M["broker"]
	if (M["versions"] != "") printf "- measured against: %s\n", M["versions"]
	printf "\nMB = 10^6 bytes of input. MB/CPU-s = input MB per CPU-second (user+sys of the process, all threads, and of the children it waited for; from wait4). Peak RSS from wait4 too. Wall times include start-up and noticing the end (polled every 0.1 s, Kafka topics every 0.5 s; sluice-shipper's checkpoints are written every 1 s), so CPU figures are the ones to compare. Bold: the headline figure (median). What each suite runs and measures: benchmarks/README.md.\n"
	if (png != "") printf "\n![throughput and latency per suite](%s)\n", png
	ratios()
	throughput_table("baselines", "baselines (json.log, one process each)")
	throughput_table("shipper", "shipper (json.log: JSON application logs)")
	throughput_table("parsers", "parsers (sluice-shipper, output: null, one file per format)")
	throughput_table("ingest", "aggregator ingest")
	storage_table("storage")
	search_table("search")
	latency_table("latency")
}
