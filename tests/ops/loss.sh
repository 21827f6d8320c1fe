#!/bin/sh
# Loss accounting (issue 7): with the smallest ring buffer finrst allows
# (--ringbuf-kb 16) and a burst of graceful teardowns in a network
# namespace of our own, records are lost, and every one is reported:
#   - records printed + the exit line's lost= equal the records the kernel
#     made: the teardowns the load generator made (two socket ends per
#     connection it reports) plus the RSTs for no socket in the namespace
#     (a graceful churn still has a few: finrst_rst_sent_no_socket_total
#     counts them in the kernel, before the ring buffer); lost must be
#     > 0, to a full ring buffer: a burst that loses nothing proves
#     nothing, so that fails too;
#   - finrst_events_lost_total, scraped from --metrics in the same run
#     before finrst stops, equals the ring-buffer and socket-storage losses
#     of the exit line (the exit-time reconciliation comes after);
#   - the metrics count teardowns in the kernel, before the ring buffer:
#     the sum of finrst_teardowns_total plus the records the kernel never
#     let finrst finish equals the teardowns made.
#
# Usage: tests/ops/loss.sh --finrst PATH --loadgen PATH [-n CONNECTIONS]
# Exit 0 pass, 1 fail, 77 skipped (not root, or ip/ss/curl missing).
set -eu

name=ops.loss
finrst="" loadgen="" conns=20000
# shellcheck source-path=SCRIPTDIR source=../lib/finrst.sh
. "$(dirname "$0")/../lib/finrst.sh"
fr_args "--finrst --loadgen [-n]" "$@"
fr_init ip:iproute2 ss:iproute2 curl:curl
fr_netns

# the smallest ring buffer finrst accepts: 4 pages
kb=$((4 * $(getconf PAGESIZE) / 1024))

# finrst with -j and --metrics on a free port of the host's loopback
start_finrst_metrics f 19600 19699 -j --ringbuf-kb "$kb" --netns "$ino"
echo "finrst -j --ringbuf-kb $kb --metrics 127.0.0.1:$mport --netns $ino: $(sed -n 's/^finrst: ready //p' "$work/f.err")"

# the burst: graceful closes only (FIN both ways), so that every record
# is a teardown and no RST record shares the ring buffer
if ! ip netns exec "$ns" "$loadgen" -m graceful -t 8 -n "$conns" -p 7800 \
	>"$work/load" 2>&1; then
	show "$work/load"
	die "finrst-loadgen failed"
fi
made=$(sed -n 's/^connections=\([0-9]*\) .*/\1/p' "$work/load")
[ -n "$made" ] || { show "$work/load"; die "no connections= line from finrst-loadgen"; }
teardowns=$((2 * made))
echo "loadgen: $(cat "$work/load") -> $teardowns teardowns"

# finrst drains every 10 ms; then the kernel's counts, before the exit
sleep 0.5
curl -fsS --max-time 5 -o "$work/metrics" "http://127.0.0.1:$mport/metrics" 2>"$work/curl.err" ||
	{ show "$work/curl.err"; die "GET http://127.0.0.1:$mport/metrics failed"; }
m_lost=$(awk '$1 == "finrst_events_lost_total" { print $2 }' "$work/metrics")
m_teardowns=$(awk '/^finrst_teardowns_total\{/ { s += $NF } END { print s + 0 }' "$work/metrics")
m_nosock=$(awk '$1 == "finrst_rst_sent_no_socket_total" { print $2 }' "$work/metrics")
if [ -z "$m_lost" ] || [ -z "$m_nosock" ]; then
	show "$work/metrics"
	die "no finrst_events_lost_total or finrst_rst_sent_no_socket_total in the scrape"
fi

stop_finrst "$pid" || fail "finrst exited with status $? on SIGINT"
counts=$(exit_counts "$work/f.err")
[ -n "$counts" ] || { show "$work/f.err"; die "no exit line"; }
# shellcheck disable=SC2086 # three numbers
set -- $counts
records=$1 lost=$2 skipped=$3
full=$(why_count "$work/f.err" "because the ring buffer was full")
nostorage=$(why_count "$work/f.err" "went untracked")
silent=$(why_count "$work/f.err" "ran none of finrst's programs")
lines=$(wc -l <"$work/f.out")
printed=$(grep -c '^{"event":"teardown",' "$work/f.out" || true)
rsts=$(grep -c '^{"event":"rst",' "$work/f.out" || true)
made_records=$((teardowns + m_nosock))
echo "finrst stderr: $(grep -v '^finrst: ready' "$work/f.err" | paste -sd ' ' -)"
echo "made: $teardowns teardowns + $m_nosock RSTs for no socket = $made_records records; printed: $printed teardowns + $rsts RSTs; lost $lost (ring buffer full $full, no storage $nostorage, unseen $silent); skipped $skipped; metrics: teardowns $m_teardowns, events lost $m_lost"

if [ "$lines" != "$records" ]; then
	fail "stdout has $lines lines, the exit line says records=$records"
fi
if [ $((printed + rsts)) -ne "$lines" ]; then
	fail "$((lines - printed - rsts)) of the $lines lines are neither teardown nor rst records:"
	grep -v -e '^{"event":"teardown",' -e '^{"event":"rst",' "$work/f.out" | head -n 3 | cut -c1-300 | show
fi
if [ $((records + lost)) -ne "$made_records" ]; then
	fail "records $records + lost $lost = $((records + lost)), but the kernel made $made_records ($teardowns teardowns, $m_nosock RSTs): $((made_records - records - lost)) unaccounted"
else
	ok "records $records + lost $lost = $teardowns teardowns + $m_nosock RSTs for no socket"
fi
if [ "$m_nosock" -eq 0 ] && [ $((printed + lost)) -ne "$teardowns" ]; then
	fail "no RST: teardown records $printed + lost $lost should be the $teardowns teardowns"
fi
if [ "$lost" -le 0 ] || [ "$full" -le 0 ]; then
	fail "a $kb KiB ring buffer lost nothing ($lost lost, $full to a full ring buffer) in a burst of $teardowns teardowns: the test proves nothing; raise -n"
else
	ok "$full records lost to the full $kb KiB ring buffer, and reported"
fi
if [ $((full + nostorage + silent)) -ne "$lost" ]; then
	fail "lost=$lost, but the lines that explain it add up to $((full + nostorage + silent))"
fi
if [ "$m_lost" -ne $((full + nostorage)) ]; then
	fail "finrst_events_lost_total is $m_lost, the exit line's ring buffer + storage losses $((full + nostorage))"
else
	ok "finrst_events_lost_total $m_lost = the exit line's ring buffer + storage losses"
fi
if [ $((m_teardowns + silent)) -ne "$teardowns" ]; then
	fail "sum(finrst_teardowns_total) $m_teardowns + unseen $silent = $((m_teardowns + silent)), but $teardowns teardowns were made"
else
	ok "sum(finrst_teardowns_total) $m_teardowns + unseen $silent = $teardowns teardowns made"
fi

fr_end
