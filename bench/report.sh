#!/bin/bash
# bench/report.sh OUT: the summary of a bench/run.sh run (results.tsv,
# extra.txt, delivery_cpu.txt in OUT): the table, the ratios to the
# ceilings, and each target of the issue met or missed.
# bench/report.sh --machine DIR: what the run ran on (printed first).
# Plain POSIX awk (Debian's default is mawk): no asort, no gensub.
set -euo pipefail

machine() {
	local dir=$1
	echo "== machine"
	echo "cpu: $(nproc) x $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)"
	echo "kernel: $(uname -r); clock ticks: $(getconf CLK_TCK)/s"
	echo "temp dir: $dir on $(df -T "$dir" | awk 'NR == 2 { print $2 " (" $1 ")" }')"
	echo "load average before the run: $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "busy processes: $(ps -eo pcpu=,comm= --sort=-pcpu | awk '$1 > 5 { printf "%s(%s%%) ", $2, $1 }')"
	echo "wrk: $(wrk -v 2>&1 | sed -n '1s/ \[.*//p'); node: $(node --version 2>/dev/null || echo none); webhook: $(webhook -version 2>/dev/null || echo none)"
	echo "libmicrohttpd $(pkg-config --modversion libmicrohttpd), jansson $(pkg-config --modversion jansson)"
	echo "scheduling: ${BENCH_RT:+SCHED_FIFO (BENCH_RT=1)}${BENCH_RT:-normal (SCHED_OTHER)}"
}

# The per-configuration table and the ratios, from results.tsv.
table() {
	awk -F'\t' '
	function sort(a, n,    i, j, t) {
		for (i = 2; i <= n; i++)
			for (j = i; j > 1 && a[j - 1] > a[j]; j--) {
				t = a[j]; a[j] = a[j - 1]; a[j - 1] = t
			}
	}
	# median of the values stored as key SUBSEP 1..n
	function median(arr, key, n,    v, i) {
		if (n == 0) return ""
		for (i = 1; i <= n; i++) v[i] = arr[key, i] + 0
		sort(v, n)
		return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
	}
	# The median of the per-round ratios of name to the ceiling kind
	# measured in the same round with the same size, mode, cores and
	# connections; "-" when there is none.
	function ratio(name, kind,    i, k, m, same, v) {
		same = sizeof[name] SUBSEP modeof[name] SUBSEP coresof[name] SUBSEP connsof[name]
		for (i = 1; i <= runs[name]; i++) {
			k = row_round[name, i] SUBSEP kind SUBSEP same
			if (k in rate && rate[k] > 0) v[++m] = r[name, i] / rate[k]
		}
		if (!m) return "-"
		sort(v, m)
		return sprintf("%.3f", m % 2 ? v[(m + 1) / 2] : (v[m / 2] + v[m / 2 + 1]) / 2)
	}
	function maxof(arr, key, n,    i, m) {
		m = ""
		for (i = 1; i <= n; i++)
			if (arr[key, i] != "-" && (m == "" || arr[key, i] + 0 > m)) m = arr[key, i] + 0
		return m
	}
	{
		rate[$1, $3, $4, $5, $6, $18] = $8
		if (!($2 in seen)) { seen[$2] = 1; order[++ncase] = $2 }
		kindof[$2] = $3; sizeof[$2] = $4; modeof[$2] = $5; coresof[$2] = $6
		connsof[$2] = $18
		n = ++runs[$2]
		r[$2, n] = $8; p50[$2, n] = $9; p99[$2, n] = $10; cpu[$2, n] = $12
		busy[$2, n] = $8 * $12 / 1e4
		hwm[$2, n] = $13; drain[$2, n] = $14; gen[$2, n] = $16; oth[$2, n] = $17
		err[$2] += $15; lo[$2] = (n == 1 || $8 < lo[$2]) ? $8 : lo[$2]
		hi[$2] = (n == 1 || $8 > hi[$2]) ? $8 : hi[$2]
		row_round[$2, n] = $1
	}
	END {
		printf "%-20s %9s %15s %8s %8s %8s %8s %8s %8s %5s %8s %9s %6s %5s %6s\n",
		       "configuration", "events/s", "(min-max)", "/parse", "/durable", "/bare",
		       "p50 ms", "p99 ms", "us/ev", "srv%", "RSS MB", "drain max",
		       "errors", "gen%", "other%"
		for (c = 1; c <= ncase; c++) {
			name = order[c]; n = runs[name]
			mp = ratio(name, "parse")
			mb = ratio(name, "bare")
			md = ratio(name, "durable")
			dr = maxof(drain, name, n)
			printf "%-20s %9.0f %15s %8s %8s %8s %8.2f %8.2f %8.1f %5.0f %8.1f %9s %6d %5.0f %6.0f\n",
			       name, median(r, name, n), sprintf("(%.0f-%.0f)", lo[name], hi[name]),
			       mp, md, mb, median(p50, name, n) / 1000, median(p99, name, n) / 1000,
			       median(cpu, name, n), median(busy, name, n),
			       median(hwm, name, n) / 1024,
			       dr == "" ? "-" : sprintf("%.0f", dr), err[name],
			       median(gen, name, n), median(oth, name, n)
			# for the targets below
			# every field present ("-" when none): get() counts fields
			printf "%s %s %s %s %s %s\n", name, median(r, name, n), mp, mb,
			       dr == "" ? "-" : dr, md > "/dev/stderr"
		}
	}' "$1/results.tsv"
}

# field NAME LINE
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<" $2"; }

half_rate_lines() {
	local line kind acked secs
	while read -r line; do
		[[ $line == half_rate* ]] || continue
		kind=$(field kind "$line")
		acked=$(($(field requests "$line") - $(field non2xx "$line")))
		secs=$(awk -v us="$(field duration_us "$line")" 'BEGIN { print us / 1e6 }')
		awk -v k="$kind" -v t="$(field target "$line")" -v a="$acked" -v s="$secs" \
			-v p50="$(field p50_us "$line")" -v p99="$(field p99_us "$line")" \
			-v mx="$(field max_us "$line")" -v e="$(field non2xx "$line")" \
			'BEGIN { printf "  wrk %-7s target %6d ev/s, got %7.0f ev/s: p50 %.3f ms, p99 %.3f ms, max %.3f ms, non-2xx %d\n", k, t, a / s, p50 / 1000, p99 / 1000, mx / 1000, e }'
	done <"$1/extra.txt"
	{ grep '^durable_floor' "$1/extra.txt" || true; } | while read -r line; do
		if [ -z "$(field p99_us "$line")" ]; then
			echo "  durable floor: no result"
			continue
		fi
		awk -v t="$(field target "$line")" -v p50="$(field p50_us "$line")" \
			-v p99="$(field p99_us "$line")" -v mx="$(field max_us "$line")" \
			-v r="$(field rounds "$line")" -v n="$(field records "$line")" \
			-v f50="$(field fdatasync_p50_us "$line")" -v f99="$(field fdatasync_p99_us "$line")" \
			'BEGIN { printf "  durable floor target %6d rec/s: p50 %.3f ms, p99 %.3f ms, max %.3f ms; %.1f records per fdatasync (p50 %.3f ms, p99 %.3f ms)\n", t, p50 / 1000, p99 / 1000, mx / 1000, r ? n / r : 0, f50 / 1000, f99 / 1000 }'
	done
	{ grep '^rtw_send' "$1/extra.txt" || true; } | while read -r line; do
		if [ -z "$(field p99 "$line")" ]; then
			echo "  rtw-send: no result"
			continue
		fi
		printf '  rtw-send rtw target %6d ev/s, got %7.0f ev/s: p50 %.3f ms, p99 %.3f ms, max %.3f ms; %s of %s acknowledged\n' \
			"$(field target "$line")" "$(field events_per_s "$line")" \
			"$(field p50 "$line")" "$(field p99 "$line")" \
			"$(field max "$line")" "$(field acknowledged "$line")" \
			"$(field events "$line")"
	done
}

idle_lines() {
	local line
	while read -r line; do
		[[ $line == idle* ]] || continue
		awk -v k="$(field kind "$line")" -v c="$(field connections "$line")" \
			-v a="$(field answered_2xx "$line")" -v o="$(field still_open "$line")" \
			-v rss="$(field vmrss_kb "$line")" -v hwm="$(field vmhwm_kb "$line")" \
			'BEGIN { printf "  %-13s %s connections, %s answered 2xx, %s still open: VmRSS %.1f MB, VmHWM %.1f MB\n", k, c, a, o, rss / 1024, hwm / 1024 }'
	done <"$1/extra.txt"
}

# verdict NAME VALUE OP LIMIT UNIT: one target line.
verdict() {
	local name=$1 value=$2 op=$3 limit=$4 unit=$5 ok
	if [ -z "$value" ]; then
		printf '  %-58s not measured\n' "$name"
		return
	fi
	ok=$(awk -v v="$value" -v l="$limit" -v op="$op" \
		'BEGIN { print (op == ">=" ? v >= l : v < l) ? "MET" : "MISSED" }')
	printf '  %-58s %-6s %s %s (target %s %s)\n' "$name" "$ok" "$value" "$unit" "$op" "$limit"
}

# p99_ms_of REGEX FILE: the p99_us= field of the matching lines, in ms.
p99_ms_of() {
	awk -v re="$1" '$0 ~ re && / p99_us=/ { sub(/.* p99_us=/, ""); sub(/ .*/, ""); print $0 / 1000 }' "$2"
}

# The median of the numbers on standard input (of an even count, the
# lower middle one), to 3 decimals; nothing for no numbers.
median() {
	sort -n | awk '{ v[NR] = $1 } END { if (NR) printf "%.3f", v[int((NR + 1) / 2)] }'
}

targets() {
	local out=$1 figures=$2 web two one half_p99 durable_p99 floor_p99 idle_hwm drain
	get() { awk -v n="$1" -v f="$2" '$1 == n { print $f }' "$figures"; }
	echo "== targets (issue 4)"
	verdict "keep-alive, 1 core: rtwebhookd / parse ceiling" "$(get rtw-1k-ka 3)" ">=" 0.90 ""
	awk '$1 ~ /^rtw-1k-ka-[0-9]+conn$/ && $3 != "-" { c = $1; sub(/^rtw-1k-ka-/, "", c); sub(/conn$/, "", c)
		printf "  %-58s        %s (same, %s connections)\n", "keep-alive, 1 core, the daemon'"'"'s core busier", $3, c }' "$figures"
	verdict "no keep-alive, 1 core: rtwebhookd / parse ceiling" "$(get rtw-1k-close 3)" ">=" 0.90 ""
	durable_lines "$figures"
	half_p99=$(p99_ms_of '^half_rate kind=rtw ' "$out/extra.txt" | median)
	verdict "p99 at half the maximum rate (median of rounds)" "$half_p99" "<" 1 "ms"
	durable_p99=$(p99_ms_of '^half_rate kind=durable ' "$out/extra.txt" | median)
	[ -n "$durable_p99" ] && printf '  %-58s        %s ms (what HTTP + parse + group commit allow)\n' \
		"p99 of the durable ceiling, same rate (median of rounds)" "$durable_p99"
	floor_p99=$(p99_ms_of '^durable_floor ' "$out/extra.txt" | median)
	[ -n "$floor_p99" ] && printf '  %-58s        %s ms (what the disk allows)\n' \
		"p99 of a durable answer, same rate, no HTTP (durable_floor)" "$floor_p99"
	drain=$(awk -v d="$(get rtw-1k-ka 5)" 'BEGIN { if (d != "" && d != "-") printf "%.0f", d }')
	verdict "sink drain after max-rate load (worst round)" "$drain" "<" 2000 "ms"
	idle_hwm=$(awk '/^idle kind=rtw / { sub(/.*vmhwm_kb=/, ""); printf "%.1f", $0 / 1024 }' "$out/extra.txt")
	verdict "peak RSS at 1000 idle connections" "$idle_hwm" "<" 32 "MB"
	one=$(get rtw-1k-ka 2)
	two=$(get rtw-1k-ka-2c 2)
	[ -n "$one" ] && [ -n "$two" ] &&
		two=$(awk -v a="$two" -v b="$one" 'BEGIN { printf "%.2f", a / b }')
	verdict "2 cores / 1 core (rtwebhookd, keep-alive)" "${one:+$two}" ">=" 1.6 "x"
	awk '$1 == "parse-1k-ka" { a = $2 } $1 == "parse-1k-ka-2c" { b = $2 }
		END { if (a && b) printf "  %-58s        %.2f x (what the setup allows)\n", "2 cores / 1 core (parse ceiling, same setup)", b / a }' "$figures"
	web=$(get webhook-1k-ka 2)
	[ -n "$web" ] && [ -n "$one" ] &&
		web=$(awk -v a="$one" -v b="$web" 'BEGIN { printf "%.1f", a / b }')
	verdict "rtwebhookd / adnanh/webhook events/s" "${one:+$web}" ">=" 20 "x"
	parse_verdict "$out"
}

# What durability alone allows (the durable ceiling against the parse
# ceiling), and the daemon against it: not targets, the reading of them.
durable_lines() {
	awk '$1 ~ /^durable-/ && $3 != "-" {
		c = $1; sub(/^durable-/, "", c)
		printf "  %-58s        %s (what a group commit on this disk allows)\n", "durable ceiling / parse ceiling, " c, $3 }
	$1 ~ /^rtw-/ && $6 != "-" && $6 != "" {
		c = $1; sub(/^rtw-/, "", c)
		printf "  %-58s        %s\n", "rtwebhookd / durable ceiling, " c, $6 }' "$1"
}

# Parse once, never re-serialize: from the uprobe counts of parse_count.
parse_verdict() {
	local line loads lines dumps
	line=$(grep '^parse_count' "$1/extra.txt" || true)
	loads=$(field loads "$line")
	lines=$(field sink_lines "$line")
	dumps=$(field dumps "$line")
	if [ -z "$loads" ] || [ -z "$lines" ] || [ "$lines" = 0 ]; then
		printf '  %-58s not measured (perf probe)\n' "json_loadb per stored event, json_dump* calls"
		return
	fi
	awk -v l="$loads" -v n="$lines" -v d="$dumps" 'BEGIN {
		ok = l <= n && d == 0 ? "MET" : "MISSED"
		printf "  %-58s %-6s %.3f parses per event, %d dumps (target 1, 0)\n",
		       "json_loadb per stored event, json_dump* calls", ok, l / n, d }'
}

report() {
	local out=$1 figures
	figures=$(mktemp)
	echo "== load: median of rounds; /parse, /durable and /bare: median of the per-round ratios; drain: worst round, ms"
	table "$out" 2>"$figures"
	local one two
	awk -F'\t' '{ n++; o += $17 } END { if (n && o / n > 10)
		printf "warning: other processes kept %.0f%% of the machine busy on average during the runs: the figures are disturbed\n", o / n }' "$out/results.tsv"
	one=$(awk '$1 == "parse-1k-ka" { print $2 }' "$figures")
	two=$(awk '$1 == "parse-1k-ka-2c" { print $2 }' "$figures")
	[ -n "$one" ] && [ -n "$two" ] &&
		awk -v a="$two" -v b="$one" 'BEGIN { printf "parse ceiling, 2 cores / 1 core: %.2fx\n", a / b }'
	echo
	echo "== p99 at half the maximum rate (10 s each, alternating; wrk: unique 1.1 KB events; durable: the durable ceiling; durable floor: group commit alone on the same core and disk, no HTTP; rtw-send: synthetic meetings)"
	half_rate_lines "$out"
	echo
	echo "== parses per event at full speed (uprobes on jansson, keep-alive run + drain)"
	grep '^parse_count' "$out/extra.txt" | sed 's/^parse_count/ /' || echo "  not measured"
	echo
	echo "== peak RSS with 1000 idle keep-alive connections"
	idle_lines "$out"
	echo
	echo "== delivery_cpu (no sockets; CPU per event beyond the parse)"
	sed 's/^/  /' "$out/delivery_cpu.txt"
	echo
	targets "$out" "$figures"
	rm -f "$figures"
}

if [ "${1:-}" = --machine ]; then
	machine "$2"
else
	report "${1:?usage: report.sh OUT | --machine DIR}"
fi
