# shellcheck shell=sh disable=SC2034,SC2154 # name, finrst: the caller's; ino: for it
# Shared by the tests in tests/ops (POSIX sh, sourced): the network
# namespace, finrst in the background, and cleanup on every exit path.
#
# The sourcing script sets name= (the test's name) and calls ops_init; it
# may append the pids of what it starts to $pids (killed at exit) and
# set ns= through ops_netns.

fails=0
pids=""
ns=""
work=""

# (printf, not echo: dash's echo would expand the backslashes of the
# escapes some messages quote)
skip() {
	printf 'SKIP %s: %s\n' "$name" "$*"
	exit 77
}
fail() {
	printf 'FAIL %s: %s\n' "$name" "$*"
	fails=$((fails + 1))
}
die() {
	printf 'FAIL %s: %s\n' "$name" "$*"
	exit 1
}
ok() {
	printf 'ok: %s\n' "$*"
}
# show FILE: a file's content, indented, for the reader of a failure
show() {
	sed 's/^/    /' "$@"
}

# shellcheck disable=SC2317 # called from the EXIT trap
ops_cleanup() {
	for p in $pids; do
		kill -KILL "$p" 2>/dev/null || true
	done
	for p in $pids; do
		wait "$p" 2>/dev/null || true
	done
	[ -z "$ns" ] || ip netns del "$ns" 2>/dev/null || true
	[ -z "$work" ] || rm -rf "$work"
}

# ops_init: needs root (exit 77 otherwise) and the named tools
# (tool:package ...); makes $work and sets the traps
ops_init() {
	[ "$(id -u)" = 0 ] || skip "needs root (BPF, network and mount namespaces)"
	for t in "$@"; do
		command -v "${t%%:*}" >/dev/null 2>&1 ||
			skip "${t%%:*} not found: install the Debian package ${t#*:}"
	done
	work=$(mktemp -d "${TMPDIR:-/tmp}/finrst-$name.XXXXXX")
	trap 'ops_cleanup' EXIT
	trap 'echo "FAIL $name: interrupted"; exit 1' INT TERM HUP PIPE
}

# ops_netns: a network namespace of our own, loopback up; sets ns and ino
ops_netns() {
	ns=finrst-$name-$$
	ip netns add "$ns" || die "ip netns add $ns failed"
	ip -n "$ns" link set lo up
	ino=$(stat -L -c %i "/run/netns/$ns")
}

# start_finrst TAG ARGS...: finrst in the background, stdout to
# $work/TAG.out (or to $out when set), stderr to $work/TAG.err; waits for
# its ready line (30 s at most); sets pid
start_finrst() {
	tag=$1
	shift
	: >"$work/$tag.err"
	"$finrst" "$@" >"${out:-$work/$tag.out}" 2>"$work/$tag.err" &
	pid=$!
	pids="$pids $pid"
	i=0
	until grep -q '^finrst: ready hooks=' "$work/$tag.err"; do
		i=$((i + 1))
		if [ $i -gt 300 ] || ! kill -0 "$pid" 2>/dev/null; then
			show "$work/$tag.err"
			die "finrst $* did not get ready"
		fi
		sleep 0.1
	done
}

# forget PID: a process we waited for, no longer ours to kill at exit
forget() {
	pids=$(echo " $pids " | sed "s/ $1 / /; s/^ *//; s/ *$//")
}

# stop_finrst PID: SIGINT, and its exit status (0 expected) within 10 s
stop_finrst() {
	forget "$1"
	kill -INT "$1" 2>/dev/null || true
	i=0
	while kill -0 "$1" 2>/dev/null && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	if kill -0 "$1" 2>/dev/null; then
		kill -KILL "$1" 2>/dev/null
		wait "$1" 2>/dev/null
		fail "finrst (pid $1) still running 10 s after SIGINT"
		return 1
	fi
	wait "$1"
}

# exit_counts ERRFILE: "RECORDS LOST SKIPPED" from finrst's exit line
# "finrst: records=N lost=M skipped=K", nothing if there is none
exit_counts() {
	sed -n 's/^finrst: records=\([0-9]*\) lost=\([0-9]*\) skipped=\([0-9]*\)$/\1 \2 \3/p' "$1" |
		head -n1
}

# why_count ERRFILE TEXT: the number before TEXT on one of the lines that
# explain the losses ("finrst: 12 records were lost because ..."), else 0
why_count() {
	n=$(grep -F "$2" "$1" | sed -n 's/^finrst: \([0-9]*\) .*/\1/p' | head -n1)
	echo "${n:-0}"
}

# free_port LO HI: a TCP port in LO..HI nothing listens on in this
# (the host's) network namespace, starting at a place that depends on $$
free_port() {
	span=$(($2 - $1 + 1))
	p=$(($1 + $$ % span))
	i=0
	while [ $i -lt $span ]; do
		if [ -z "$(ss -ltnH "sport = :$p")" ]; then
			echo "$p"
			return 0
		fi
		p=$((p + 1))
		[ $p -le "$2" ] || p=$1
		i=$((i + 1))
	done
	return 1
}

# ops_end: the verdict
ops_end() {
	if [ "$fails" -gt 0 ]; then
		echo "FAIL $name: $fails check(s) failed"
		exit 1
	fi
	echo "PASS $name"
	exit 0
}
