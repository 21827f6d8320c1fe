#!/bin/sh
# Optional parts (issue 16), the paths the scenario tests do not take:
#   - the sweep, working: with --test-stale-entries a destroyed socket's
#     entry stays in the socket map (as when the kernel runs no program
#     for its end). Right after a burst of connections the map must hold
#     such entries (else this test proves nothing), and once the sweep has
#     run it must hold none: no socket of the namespace is alive then
#     (few stay: a new socket at a dead one's address takes its entry over).
#     The exit line says how many were swept, the records are exact (one
#     teardown per socket end) and lost= is 0;
#   - without --test-stale-entries a destroyed socket's entry stays too,
#     marked dead, for the next socket at its address to take over
#     (bpf/sock.bpf.h, sock_done): the sweep empties the map just the same,
#     and counts none of them as swept (their records were finished);
#   - --stack with the stack part refused: exit 1, one line saying
#     --stack cannot work, and why.
# The reconciliation and nosock-compat refused are scenario tests
# (finrst-scenario --refuse PART); the working paths are the suite itself.
#
# Usage: tests/ops/parts.sh --finrst PATH --loadgen PATH
# Exit 0 pass, 1 fail, 77 skipped (not root, or ip/bpftool/jq missing).
set -eu

name=ops.parts
finrst="" loadgen=""
# shellcheck source-path=SCRIPTDIR source=../lib/finrst.sh
. "$(dirname "$0")/../lib/finrst.sh"
fr_args "--finrst --loadgen" "$@"
fr_init ip:iproute2 bpftool:bpftool jq:jq
fr_netns

# socks_entries PID: the entries of that finrst's socket map (the hash of
# FR_MAX_SOCKS entries), found through its fds' fdinfo
socks_entries() {
	id=""
	for fi in /proc/"$1"/fdinfo/*; do
		if grep -q '^map_type:[[:space:]]*1$' "$fi" 2>/dev/null &&
			grep -q '^max_entries:[[:space:]]*262144$' "$fi"; then
			id=$(sed -n 's/^map_id:[[:space:]]*//p' "$fi")
			break
		fi
	done
	[ -n "$id" ] || { echo "no-map"; return; }
	bpftool -j map dump id "$id" | jq length
}

conns=300
for stale in yes no; do
	extra=""
	[ $stale = yes ] && extra=--test-stale-entries
	# shellcheck disable=SC2086 # $extra is one option or none
	start_finrst "sweep-$stale" -j --netns "$ino" $extra --test-sweep-every 6
	t0=$(date +%s)
	if ! ip netns exec "$ns" "$loadgen" -m graceful -t 2 -n $conns \
		-p 7900 >"$work/load" 2>&1; then
		show "$work/load"
		die "finrst-loadgen failed"
	fi
	made=$(sed -n 's/^connections=\([0-9]*\) .*/\1/p' "$work/load")
	[ -n "$made" ] || { show "$work/load"; die "no connections= line from finrst-loadgen"; }
	sleep 0.5
	before=$(socks_entries "$pid")
	elapsed=$(($(date +%s) - t0))
	if [ "$elapsed" -ge 5 ]; then
		fail "the burst took ${elapsed} s: the sweep may have run before the first count"
	elif [ "$before" = no-map ] || [ "$before" -lt 1 ]; then
		fail "$stale: expected entries of dead sockets after $made connections, socks holds $before"
	elif [ "$before" -gt $((2 * made)) ]; then
		fail "$stale: socks holds $before entries for $((2 * made)) socket ends"
	else
		ok "$stale: $made connections left $before entries of dead sockets"
	fi
	# the sweep runs every 6 s: wait for one, 15 s at most
	i=0
	after=$before
	while [ "$after" != 0 ] && [ $i -lt 30 ]; do
		sleep 0.5
		after=$(socks_entries "$pid")
		i=$((i + 1))
	done
	if [ "$after" = 0 ]; then
		ok "$stale: the sweep emptied the socket map"
	else
		fail "$stale: the sweep: socks still holds $after entries after 15 s"
	fi
	stop_finrst "$pid" || fail "finrst exited with status $?"
	err=$work/sweep-$stale.err
	counts=$(exit_counts "$err")
	# shellcheck disable=SC2086 # three numbers, or none
	set -- $counts
	[ $# = 3 ] || { show "$err"; die "no exit line"; }
	lost=$2
	teardowns=$(jq -c 'select(.event == "teardown")' "$work/sweep-$stale.out" | wc -l)
	[ "$teardowns" = $((2 * made)) ] ||
		fail "$stale: $teardowns teardown records for $((2 * made)) socket ends"
	[ "$lost" = 0 ] || { show "$err"; fail "$stale: lost=$lost"; }
	swept=$(why_count "$err" "socket map entries were swept")
	if [ $stale = yes ] && [ "$swept" -lt "$before" ]; then
		show "$err"
		fail "the exit line counts $swept entries swept, the map held $before"
	elif [ $stale = no ] && [ "$swept" != 0 ]; then
		show "$err"
		fail "nothing to sweep, yet finrst says $swept were swept"
	else
		ok "$stale: $teardowns teardown records, lost=0, swept=$swept"
	fi
done

# --stack when the kernel refuses its program: exit 1, and one line
set +e
"$finrst" --stack --test-refuse stack -d 1 >"$work/stack.out" 2>"$work/stack.err"
rc=$?
set -e
lines=$(wc -l <"$work/stack.err")
if [ $rc = 1 ] && [ "$lines" = 1 ] &&
	grep -q '^finrst: --stack cannot work on this kernel: .*part stack refused' "$work/stack.err"; then
	ok "--stack refused: $(cat "$work/stack.err")"
else
	show "$work/stack.err"
	fail "--stack refused: expected exit 1 and one line, got exit $rc and $lines lines"
fi

fr_end
