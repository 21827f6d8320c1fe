# shellcheck shell=sh
# The harness of finrst's shell tests (tests/ops, tests/metrics,
# tests/forensics) and of the benchmark (tools/bench/run); POSIX sh,
# sourced. It gives a work directory, a network namespace, finrst (or
# another program) started in the background and waited for until it is
# ready, and the cleanup: on every exit path (pass, fail, die, an
# interruption, finrst failing to start) the processes it started are
# killed, the namespace is deleted and the work directory removed.
#
# The sourcing script sets name= (the test's name: in its messages, and in
# the names of the namespace and of the work directory) before it sources
# this file, and finrst= (the binary under test) before it starts finrst;
# it calls fr_init (fr_work when it needs neither root nor a namespace)
# and, for a namespace, fr_netns. After sourcing it may redefine skip,
# fail, die and ok: the library reports through them.
#
# Set for the caller: work, ns and ino (fr_netns), pid (the last process
# started), mport (start_finrst_metrics), fails (the failed checks).
# The library's own variables start with _fr_.

: "${name:?the sourcing script sets name= first}"
fails=0
pids=""
ns=""
work=""
pid=""

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
# show [FILE...]: files' content (or stdin), indented, for the reader of a
# failure
show() {
	sed 's/^/    /' "$@"
}

# --- processes ---------------------------------------------------------------

# track PID...: processes of ours, killed at exit unless reaped before
track() {
	pids="$pids $*"
}

# forget PID: a process we waited for, no longer ours to kill at exit
forget() {
	pids=$(echo " $pids " | sed "s/ $1 / /; s/^ *//; s/ *$//")
}

# reap PID: wait for a process we started, forget it; its exit status
reap() {
	forget "$1"
	wait "$1"
}

# fr_cleanup: the EXIT trap. Nothing in it may stop it half-way (no set
# -e here): a namespace or a process left behind outlives the script.
# shellcheck disable=SC2317 # called from the EXIT trap
fr_cleanup() {
	set +e
	for _fr_p in $pids; do
		kill -KILL "$_fr_p" 2>/dev/null
	done
	for _fr_p in $pids; do
		wait "$_fr_p" 2>/dev/null
	done
	pids=""
	[ -z "$ns" ] || ip netns del "$ns" 2>/dev/null
	[ -z "$work" ] || rm -rf "$work"
}

# fr_args SPEC ARGS...: the test's command line. SPEC lists its options:
# "--NAME" is an executable path the test needs, kept in the variable NAME
# (dashes as underscores); "[-n]" an optional number, kept in conns (the
# caller sets its default first). Anything else, or a path that is not
# executable, is a usage error (exit 2).
# shellcheck disable=SC2034 # conns: the sourcing test's variable
fr_args() {
	_fr_spec=$1
	shift
	while [ $# -gt 0 ]; do
		case " $_fr_spec " in
		*" $1 "* | *" [$1] "*) ;;
		*) echo "usage: $0 $_fr_spec" >&2; exit 2 ;;
		esac
		[ $# -ge 2 ] || { echo "$0: $1 needs a value" >&2; exit 2; }
		case $1 in
		-n) conns=$2 ;;
		*)
			_fr_v=$(printf '%s' "${1#--}" | tr - _)
			eval "$_fr_v=\$2"
			;;
		esac
		shift 2
	done
	for _fr_o in $_fr_spec; do
		case $_fr_o in
		--*) ;;
		*) continue ;;
		esac
		_fr_v=$(printf '%s' "${_fr_o#--}" | tr - _)
		eval "_fr_p=\${$_fr_v:-}"
		# shellcheck disable=SC2154 # _fr_p: set by the eval above
		[ -x "$_fr_p" ] || { echo "$0: need $_fr_o PATH (usage: $0 $_fr_spec)" >&2; exit 2; }
	done
}

# fr_work: the traps, and a work directory $work of our own (needs no root)
fr_work() {
	trap 'fr_cleanup' EXIT
	trap 'echo "FAIL $name: interrupted"; exit 1' INT TERM HUP PIPE
	work=$(mktemp -d "${TMPDIR:-/tmp}/finrst-$name.XXXXXX")
}

# fr_init [TOOL:PACKAGE...]: needs root (exit 77 otherwise) and the named
# tools (exit 77 naming the Debian package of a missing one); then fr_work
fr_init() {
	[ "$(id -u)" = 0 ] || skip "needs root (BPF, network and mount namespaces)"
	for _fr_t in "$@"; do
		command -v "${_fr_t%%:*}" >/dev/null 2>&1 ||
			skip "${_fr_t%%:*} not found: install the Debian package ${_fr_t#*:}"
	done
	fr_work
}

# fr_netns: a network namespace of our own, loopback up, deleted at exit;
# sets ns and ino (the inode of /run/netns/$ns, for finrst --netns)
fr_netns() {
	ns=finrst-$name-$$
	ip netns add "$ns" || die "ip netns add $ns failed"
	ip -n "$ns" link set lo up
	# shellcheck disable=SC2034 # for the caller
	ino=$(stat -L -c %i "/run/netns/$ns")
}

# await PID CMD...: run CMD every 0.1 s until it succeeds (return 0), PID
# has exited (1) or 30 s have passed (2)
await() {
	_fr_apid=$1
	shift
	_fr_ai=0
	until "$@"; do
		kill -0 "$_fr_apid" 2>/dev/null || return 1
		_fr_ai=$((_fr_ai + 1))
		[ "$_fr_ai" -le 300 ] || return 2
		sleep 0.1
	done
}

# ready_line FILE: finrst's ready line ("finrst: ready hooks=...") is in FILE
ready_line() {
	grep -q '^finrst: ready hooks=' "$1"
}

# start_bg TAG CMD...: CMD in the background, its stdout to $work/TAG.out
# (a file, or a fifo the caller made there and opened a reader of), its
# stderr to $work/TAG.err, both emptied first (no stale ready line from an
# earlier run); sets pid, killed at exit
start_bg() {
	_fr_bt=$1
	shift
	: >"$work/$_fr_bt.err"
	[ -p "$work/$_fr_bt.out" ] || : >"$work/$_fr_bt.out"
	"$@" >"$work/$_fr_bt.out" 2>"$work/$_fr_bt.err" &
	pid=$!
	track "$pid"
}

# _fr_ready TAG WHAT: wait for the ready line of $pid in $work/TAG.err:
# 0 once it came; 1 when the process exited before (reaped, its exit status
# in _fr_rc); dies (WHAT did not get ready) when 30 s pass without it
_fr_ready() {
	_fr_rc=0
	await "$pid" ready_line "$work/$1.err" || _fr_rc=$?
	case $_fr_rc in
	0) return 0 ;;
	2) show "$work/$1.err"
	   die "$2 did not get ready within 30 s" ;;
	esac
	_fr_rc=0
	reap "$pid" || _fr_rc=$?
	return 1
}

# _fr_start WHAT TAG CMD...: start_bg TAG CMD, then its ready line, or die
_fr_start() {
	_fr_what=$1 _fr_st=$2
	shift 2
	start_bg "$_fr_st" "$@"
	_fr_ready "$_fr_st" "$_fr_what" && return 0
	show "$work/$_fr_st.err"
	die "$_fr_what exited with status $_fr_rc before it was ready"
}

# start_finrst TAG ARGS...: finrst ARGS in the background (start_bg:
# $work/TAG.out, $work/TAG.err, pid), waited for until its ready line (30 s
# at most); dies, showing its stderr, if that does not come
start_finrst() {
	_fr_t=$1
	shift
	_fr_start "finrst $*" "$_fr_t" "${finrst:?the script sets finrst=}" "$@"
}

# start_cmd TAG CMD...: the same for a command that runs finrst (say
# nice -n 7 finrst ...)
start_cmd() {
	_fr_t=$1
	shift
	_fr_start "$*" "$_fr_t" "$@"
}

# start_finrst_metrics TAG LO HI ARGS...: start_finrst TAG --metrics
# 127.0.0.1:PORT ARGS on a free PORT in LO..HI, set in mport. Another
# process may take the port between the check and finrst's bind: when
# finrst exits before its ready line and the port is taken, it tries again
# (three tries in all). Before each try it runs the function named by
# $fr_before_try, if set (the reader of a fifo at $work/TAG.out, say: the
# exit of a finrst that failed ends it).
start_finrst_metrics() {
	_fr_mt=$1 _fr_lo=$2 _fr_hi=$3
	shift 3
	_fr_tries=0
	while :; do
		mport=$(free_port "$_fr_lo" "$_fr_hi") ||
			die "no free port in $_fr_lo-$_fr_hi"
		[ -z "${fr_before_try:-}" ] || "$fr_before_try"
		_fr_mw="finrst --metrics 127.0.0.1:$mport $*"
		start_bg "$_fr_mt" "$finrst" --metrics "127.0.0.1:$mport" "$@"
		_fr_ready "$_fr_mt" "$_fr_mw" && return 0
		_fr_tries=$((_fr_tries + 1))
		if [ $_fr_tries -ge 3 ] || [ -z "$(ss -ltnH "sport = :$mport")" ]; then
			show "$work/$_fr_mt.err"
			die "$_fr_mw exited with status $_fr_rc before it was ready"
		fi
	done
}

# stop_finrst PID: SIGINT, and its exit status (0 expected) within 10 s;
# still running then: SIGKILL, a failed check, status 1
stop_finrst() {
	forget "$1"
	kill -INT "$1" 2>/dev/null || true
	_fr_si=0
	while kill -0 "$1" 2>/dev/null && [ $_fr_si -lt 100 ]; do
		sleep 0.1
		_fr_si=$((_fr_si + 1))
	done
	if kill -0 "$1" 2>/dev/null; then
		kill -KILL "$1" 2>/dev/null
		wait "$1" 2>/dev/null
		fail "finrst (pid $1) still running 10 s after SIGINT"
		return 1
	fi
	wait "$1"
}

# --- what finrst says ----------------------------------------------------------

# exit_counts ERRFILE: "RECORDS LOST SKIPPED" from finrst's exit line
# "finrst: records=N lost=M skipped=K", nothing if there is none
exit_counts() {
	sed -n 's/^finrst: records=\([0-9]*\) lost=\([0-9]*\) skipped=\([0-9]*\)$/\1 \2 \3/p' "$1" |
		head -n1
}

# why_count ERRFILE TEXT: the number before TEXT on one of the lines that
# explain the losses ("finrst: 12 records were lost because ..."), else 0
why_count() {
	_fr_n=$(grep -F "$2" "$1" | sed -n 's/^finrst: \([0-9]*\) .*/\1/p' | head -n1)
	echo "${_fr_n:-0}"
}

# --- the host ------------------------------------------------------------------

# free_port LO HI [EXCLUDE]: a TCP port in LO..HI, not EXCLUDE, that
# nothing listens on in this (the host's) network namespace, starting at a
# place that depends on $$
free_port() {
	_fr_span=$(($2 - $1 + 1))
	_fr_p=$(($1 + $$ % _fr_span))
	_fr_i=0
	while [ $_fr_i -lt $_fr_span ]; do
		if [ "$_fr_p" != "${3:-}" ] &&
			[ -z "$(ss -ltnH "sport = :$_fr_p")" ]; then
			echo "$_fr_p"
			return 0
		fi
		_fr_p=$((_fr_p + 1))
		[ $_fr_p -le "$2" ] || _fr_p=$1
		_fr_i=$((_fr_i + 1))
	done
	return 1
}

# now_ms: a monotonic-enough wall clock in milliseconds
now_ms() {
	echo $(($(date +%s%N) / 1000000))
}

# rss_kb PID: the resident set of a process, in kB
rss_kb() {
	awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null
}

# nfds PID: the number of file descriptors a process has open
nfds() {
	# shellcheck disable=SC2012 # fd names are numbers
	ls "/proc/$1/fd" 2>/dev/null | wc -l
}

# fr_end: the verdict
fr_end() {
	if [ "$fails" -gt 0 ]; then
		echo "FAIL $name: $fails check(s) failed"
		exit 1
	fi
	echo "PASS $name"
	exit 0
}
