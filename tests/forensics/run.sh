#!/bin/sh
# --stack (issue 5): a program closes a connection with unread data from a
# function of known name (finrst-closer, closer.c). finrst must name that
# function among the user frames of the RST's record, and
# tcp_send_active_reset among its kernel frames, in JSON and in text mode.
# The kernel's counters must agree: one RST out, one TCPAbortOnClose.
#
# Usage: tests/forensics/run.sh --finrst PATH --closer PATH
# Exit 0 pass, 1 fail, 77 skipped (not root, or jq/ip/nstat missing).
# The harness (namespace, finrst in the background, cleanup) is tests/lib/finrst.sh.
set -eu

finrst="" closer=""
while [ $# -gt 0 ]; do
	case $1 in
	--finrst) finrst=$2; shift 2 ;;
	--closer) closer=$2; shift 2 ;;
	*) echo "usage: $0 --finrst PATH --closer PATH" >&2; exit 2 ;;
	esac
done
if [ ! -x "$finrst" ] || [ ! -x "$closer" ]; then
	echo "$0: need --finrst and --closer" >&2
	exit 2
fi
name=forensics
# shellcheck source-path=SCRIPTDIR source=../lib/finrst.sh
. "$(dirname "$0")/../lib/finrst.sh"
fr_init jq:jq ip:iproute2 nstat:iproute2
fr_netns
export NSTAT_HISTORY="$work/nstat.history"

# run MODE ARGS...: finrst with ARGS around one finrst-closer run; sets
# out (finrst's stdout) and ports ("lport rport pid" of the closed end)
run() {
	mode=$1
	shift
	start_finrst "$mode" --netns "/run/netns/$ns" "$@"
	out=$work/$mode.out
	ip netns exec "$ns" nstat -n >/dev/null
	# stdin stays open until finrst has drained the record (its maps
	# must still be there): a pipe from sleep
	ports=$(sleep 1 | ip netns exec "$ns" "$closer")
	kernel=$(ip netns exec "$ns" nstat -az TcpOutRsts TcpExtTCPAbortOnClose |
		awk '$1 == "TcpOutRsts" {r = $2} $1 == "TcpExtTCPAbortOnClose" {a = $2}
		     END {print r + 0, a + 0}')
	stop_finrst "$pid" || fail "$mode: finrst exited $?"
	grep -q '^finrst: records=.* lost=0 ' "$work/$mode.err" ||
		fail "$mode: exit line: $(grep records= "$work/$mode.err")"
}

run json -j --stack
# shellcheck disable=SC2086 # three numbers
set -- $ports
lport=$1 rport=$2 cpid=$3
[ "$kernel" = "1 1" ] ||
	fail "kernel: expected TcpOutRsts 1 and TCPAbortOnClose 1, actual $kernel"
rec=$(jq -c "select(.event == \"teardown\" and .lport == $lport and .rport == $rport)" "$out")
if [ -z "$rec" ]; then
	fail "json: no record for 127.0.0.1:$lport->$rport"
	cat "$out"
else
	echo "$rec" | jq -e '.cause == "unread_data" and .outcome == "rst_sent" and .unread_bytes == 1000' >/dev/null ||
		fail "json: expected rst_sent/unread_data with 1000 unread bytes: $rec"
	echo "$rec" | jq -e ".pid == $cpid" >/dev/null ||
		fail "json: expected pid $cpid: $rec"
	kern=$(echo "$rec" | jq -r '.stack[] | select(.kernel) | .sym')
	user=$(echo "$rec" | jq -r '.stack[] | select(.kernel | not) | "\(.sym) \(.module)"')
	echo "kernel frames: $(printf '%s\n' "$kern" | paste -sd ' ' -)"
	echo "user frames:"; echo "$user" | sed 's/^/  /'
	echo "$kern" | grep -qx 'tcp_send_active_reset' ||
		fail "json: tcp_send_active_reset not among the kernel frames"
	echo "$kern" | grep -qx '__tcp_close' ||
		fail "json: __tcp_close (its caller) not among the kernel frames"
	echo "$user" | grep -q "^finrst_test_close_unread .*/$(basename "$closer")\$" ||
		fail "json: finrst_test_close_unread (in $(basename "$closer")) not among the user frames"
	echo "$user" | grep -q '^main ' ||
		fail "json: main not among the user frames"
	# the frame that called close() comes right after the libc wrapper
	first=$(echo "$rec" | jq -r '[.stack[] | select(.kernel | not)][1].sym')
	[ "$first" = finrst_test_close_unread ] ||
		fail "json: second user frame: expected finrst_test_close_unread, actual $first"
	# the peer's record: a RST received has no stack
	peer=$(jq -c "select(.event == \"teardown\" and .lport == $rport)" "$out")
	echo "$peer" | jq -e '.outcome == "rst_received" and (has("stack") | not)' >/dev/null ||
		fail "json: the peer's rst_received record must have no stack: $peer"
	[ "$fails" = 0 ] && ok "json: the RST's stack names finrst_test_close_unread and tcp_send_active_reset"
fi

# text mode: the frames indented under the record's line
run text --stack
if ! grep -q "unread_data" "$out"; then
	fail "text: no unread_data line"
	cat "$out"
else
	sed -n '/unread_data/,$p' "$out" | sed -n '2,40p' >"$work/frames"
	grep -q '^    kernel  tcp_send_active_reset+0x[0-9a-f]*$' "$work/frames" ||
		fail "text: no '    kernel  tcp_send_active_reset+0x..' line under the record"
	grep -q "^    user    finrst_test_close_unread+0x[0-9a-f]* (.*/$(basename "$closer"))\$" "$work/frames" ||
		fail "text: no '    user    finrst_test_close_unread+0x.. (...)' line under the record"
	[ "$fails" = 0 ] && ok "text: frames under the record"
fi

# --rst-only with --stack: the same RST, and nothing for the listener
run rstonly -j --stack --rst-only
n=$(jq -s 'map(select(.outcome == "fin")) | length' "$out")
[ "$n" = 0 ] || fail "--rst-only: $n fin records"
n=$(jq -s 'map(select(.cause == "unread_data" and (.stack | length) > 0)) | length' "$out")
[ "$n" = 1 ] || fail "--rst-only --stack: expected 1 unread_data record with a stack, actual $n"

fr_end
