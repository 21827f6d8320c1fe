#!/bin/sh
# Soak (issue 7): finrst -j --metrics through at least 1,000,000 teardowns
# (finrst-loadgen -m mixed, in a network namespace of our own), records
# into a pipe that counts them, Prometheus scrapes of --metrics every 2 s.
# Samples finrst's VmRSS and its open fds every 0.5 s:
#   - after the warm-up (the first 10 % of the run) RSS stays within
#     +-10 % of its value at the end of the warm-up;
#   - the fd count never exceeds its value at the ready line;
#   - no record is lost silently or counted twice: records + lost equal
#     the teardowns made plus the RSTs for no socket the kernel counted
#     (finrst_rst_sent_no_socket_total, scraped at the end), the teardown
#     lines the pipe counted are at most the teardowns made, and finrst
#     exits 0 on SIGINT.
# Prints the measured numbers.
#
# Usage: tests/ops/soak.sh --finrst PATH --loadgen PATH [-n CONNECTIONS]
# (default 500000 connections, 1,000,000 teardowns)
# Exit 0 pass, 1 fail, 77 skipped (not root, or ip/ss/curl missing).
set -eu

name=ops.soak
finrst="" loadgen="" conns=500000
# shellcheck source-path=SCRIPTDIR source=../lib/finrst.sh
. "$(dirname "$0")/../lib/finrst.sh"
fr_args "--finrst --loadgen [-n]" "$@"
fr_init ip:iproute2 ss:iproute2 curl:curl
fr_netns

# the records go through a pipe to a counter: no file of 800 MB. finrst
# writes into the fifo $work/f.out; a finrst that exits before its ready
# line ends the counter, so each try starts one
mkfifo "$work/f.out"
# shellcheck disable=SC2317 # start_finrst_metrics calls it ($fr_before_try)
count_records() {
	grep -c '^{"event":"teardown",' <"$work/f.out" >"$work/count" &
	cpid=$!
	track "$cpid"
}
fr_before_try=count_records
start_finrst_metrics f 19700 19799 -j --netns "$ino"
fr_before_try=""
fds0=$(nfds "$pid")
rss0=$(rss_kb "$pid")
echo "finrst -j --metrics 127.0.0.1:$mport --netns $ino: $(sed -n 's/^finrst: ready //p' "$work/f.err"); at ready: RSS $rss0 kB, $fds0 fds"

scrape() {
	curl -fsS --max-time 5 -o "$1" "http://127.0.0.1:$mport/metrics" 2>"$work/curl.err"
}

t0=$(now_ms)
ip netns exec "$ns" "$loadgen" -m mixed -t 8 -n "$conns" -p 7900 \
	>"$work/load" 2>&1 &
lpid=$!
track "$lpid"
# samples: "ms rss_kb fds", every 0.5 s; a scrape every 2 s, right after
# a sample, so that its connection is closed by the next one
: >"$work/samples"
n=0 scrapes=0
while kill -0 "$lpid" 2>/dev/null; do
	echo "$(($(now_ms) - t0)) $(rss_kb "$pid") $(nfds "$pid")" >>"$work/samples"
	n=$((n + 1))
	if [ $((n % 4)) = 0 ]; then
		scrape "$work/m.mid" || { show "$work/curl.err"; fail "a scrape during the run failed"; }
		scrapes=$((scrapes + 1))
	fi
	sleep 0.5
done
st=0
reap "$lpid" || st=$?
[ $st = 0 ] || { show "$work/load"; die "finrst-loadgen failed (status $st)"; }
sleep 0.5	# the last records: finrst drains every 10 ms
echo "$(($(now_ms) - t0)) $(rss_kb "$pid") $(nfds "$pid")" >>"$work/samples"
scrape "$work/metrics" || { show "$work/curl.err"; die "the last scrape failed"; }
scrapes=$((scrapes + 1))
m_nosock=$(awk '$1 == "finrst_rst_sent_no_socket_total" { print $2 }' "$work/metrics")
[ -n "$m_nosock" ] || { show "$work/metrics"; die "no finrst_rst_sent_no_socket_total in the scrape"; }

stop_finrst "$pid" || fail "finrst exited with status $? on SIGINT"
reap "$cpid" || true	# grep -c exits 1 on a count of 0
made=$(sed -n 's/^connections=\([0-9]*\) .*/\1/p' "$work/load")
secs=$(sed -n 's/.* seconds=\([0-9.]*\) .*/\1/p' "$work/load")
teardowns=$((2 * made))
counts=$(exit_counts "$work/f.err")
[ -n "$counts" ] || { show "$work/f.err"; die "no exit line"; }
# shellcheck disable=SC2086 # three numbers
set -- $counts
records=$1 lost=$2 skipped=$3
printed=$(cat "$work/count")

# RSS after the warm-up: the first sample at or past 10 % of the run
summary=$(awk -v fds0="$fds0" '
	{ t[NR] = $1; r[NR] = $2; f[NR] = $3 }
	END {
		end = t[NR]
		for (i = 1; i <= NR && t[i] < end / 10; i++)
			;
		base = r[i]; lo = base; hi = base
		for (j = i; j <= NR; j++) {
			if (r[j] < lo) lo = r[j]
			if (r[j] > hi) hi = r[j]
		}
		fmax = 0
		for (j = 1; j <= NR; j++)
			if (f[j] > fmax) fmax = f[j]
		printf "%d %d %d %d %d %d %d %d\n", NR, t[i], base, lo, hi, r[NR], fmax, f[NR]
	}' "$work/samples")
# shellcheck disable=SC2086 # eight numbers
set -- $summary
nsamples=$1 warm_ms=$2 base=$3 lo=$4 hi=$5 rss_end=$6 fds_max=$7 fds_end=$8
echo "load: $(cat "$work/load")"
echo "soak: $teardowns teardowns in $secs s; finrst: records $records (teardown lines $printed), lost $lost, skipped $skipped; RSTs for no socket (kernel) $m_nosock; $scrapes scrapes"
echo "RSS: $rss0 kB at ready, $base kB after the warm-up ($warm_ms ms), min $lo, max $hi, $rss_end kB at the end ($nsamples samples); fds: $fds0 at ready, max $fds_max, $fds_end at the end"
grep -v '^finrst: ready' "$work/f.err" | show

[ "$teardowns" -ge 1000000 ] || [ "$conns" -lt 500000 ] ||
	fail "only $teardowns teardowns made, fewer than 1,000,000"
if [ $((records + lost)) -ne $((teardowns + m_nosock)) ]; then
	fail "records $records + lost $lost = $((records + lost)), but the kernel made $((teardowns + m_nosock)) ($teardowns teardowns, $m_nosock RSTs for no socket): $((teardowns + m_nosock - records - lost)) unaccounted"
else
	ok "records $records + lost $lost = $teardowns teardowns + $m_nosock RSTs for no socket"
fi
if [ "$printed" -gt "$teardowns" ] || [ $((records - printed)) -gt "$m_nosock" ] ||
	[ "$printed" -gt "$records" ]; then
	fail "teardown lines $printed, other records $((records - printed)): more than the $teardowns teardowns and $m_nosock RSTs made"
fi
# +-10 %, in integers: 10 * |x - base| <= base
if [ $((10 * (hi - base))) -gt "$base" ] || [ $((10 * (base - lo))) -gt "$base" ]; then
	fail "RSS left +-10 % of $base kB after the warm-up: min $lo, max $hi kB"
	show "$work/samples"
else
	ok "RSS within $lo..$hi kB after the warm-up, +-10 % of $base kB"
fi
if [ "$fds_max" -gt "$fds0" ]; then
	fail "open fds grew from $fds0 to $fds_max"
	show "$work/samples"
else
	ok "open fds: $fds0 at ready, never more (max $fds_max, end $fds_end)"
fi

fr_end
