#!/bin/sh
# Hostile and wrong arguments, on the real binary (issue 7; SPEC §3): each
# must end finrst with exit status 2, nothing on stdout, and exactly one
# line on stderr that starts with "finrst: " and names the argument (the
# option, and the value where there is one). An argument holding a line
# feed or an escape must not break that line or reach the terminal raw.
# tests/unit/test_args.c checks the parser's messages one by one; this
# checks what a user sees. Needs neither root nor BPF: finrst stops before
# it loads anything.
#
# Usage: tests/ops/badargs.sh --finrst PATH
# Exit 0 pass, 1 fail.
set -eu

name=ops.badargs
finrst=""
# shellcheck source-path=SCRIPTDIR source=../lib/finrst.sh
. "$(dirname "$0")/../lib/finrst.sh"
fr_args "--finrst" "$@"
fr_work

nl='
'
esc=$(printf '\033')

# check NEEDLE1 NEEDLE2 -- ARGS...: finrst ARGS must exit 2 with one
# stderr line containing both needles, and print nothing on stdout
check() {
	n1=$1 n2=$2
	shift 3
	st=0
	# -d 1: should an argument wrongly pass, finrst ends by itself
	timeout 20 "$finrst" -d 1 "$@" </dev/null >"$work/out" 2>"$work/err" || st=$?
	lines=$(wc -l <"$work/err")
	# the arguments for the reader: control bytes visible, ^J for a LF
	# shellcheck disable=SC2016 # ${...} is sed's (at the last line), not an expansion
	what=$(printf '%s ' "$@" | cat -v | sed -n 'H;${x;s/^\n//;s/\n/^J/g;p}')
	if [ $st -ne 2 ]; then
		fail "finrst $what: exit status $st, expected 2; stderr: $(head -c 300 "$work/err")"
	elif [ -s "$work/out" ]; then
		fail "finrst $what: $(wc -c <"$work/out") bytes on stdout, expected none"
	elif [ "$lines" -ne 1 ] || [ "$(tail -c1 "$work/err" | od -An -c | tr -d ' ')" != '\n' ]; then
		fail "finrst $what: $lines lines on stderr, expected exactly one:$nl$(od -c "$work/err" | head -n 8)"
	elif ! head -n1 "$work/err" | grep -q '^finrst: '; then
		fail "finrst $what: the line does not start with 'finrst: ': $(cat "$work/err")"
	elif ! grep -qF -- "$n1" "$work/err" || ! grep -qF -- "$n2" "$work/err"; then
		fail "finrst $what: the line does not name '$n1' and '$n2': $(cat "$work/err")"
	elif LC_ALL=C tr -d '\n\040-\176\200-\377' <"$work/err" | grep -q .; then
		fail "finrst $what: control bytes on stderr:$nl$(od -c "$work/err" | head -n 8)"
	else
		printf 'ok: %s -> 2: %s\n' "$what" "$(cat "$work/err")"
	fi
}

check "--port" "'70000'" -- -P 70000
check "--port" "'abc'" -- -P abc
check "--port" "'-1'" -- --port=-1
check "--netns" "'/nonexistent'" -- --netns /nonexistent
check "--duration" "'-1'" -- -d -1
check "--duration" "'1x'" -- --duration 1x
check "--metrics" "'999999'" -- --metrics 999999
check "--metrics" "'localhost'" -- --metrics localhost:9464
check "--pid" "'0'" -- -p 0
check "--hooks" "'ebpf'" -- --hooks=ebpf
check "--ringbuf-kb" "'1000'" -- --ringbuf-kb 1000
# duplicates that are rejected
check "duplicate --port" "'80'" -- -P 80 -P 80
check "duplicate --metrics" "'19402'" -- --metrics 19401 --metrics 19402
# unknown options, a missing value, a stray argument, a conflict
check "unknown option" "'--bogus'" -- --bogus
check "unknown option" "'-x'" -- -x
check "--json" "takes no argument" -- --json=yes
check "--port" "needs an argument" -- -P
check "unexpected argument" "'extra'" -- -j extra
check "-4" "-6" -- -4 -6
# hostile bytes in a value: one line still, control bytes shown as '?'
check "--port" "'8?0'" -- -P "8${nl}0"
check "--netns" "'/x?[31m'" -- --netns "/x${esc}[31m"

fr_end
