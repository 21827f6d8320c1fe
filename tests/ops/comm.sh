#!/bin/sh
# Hostile command names (issue 7): a process whose comm holds control
# bytes (\n \t \x01 ESC DEL), a quote, a backslash, invalid UTF-8 (\xff,
# \xc3\x28, a surrogate, an overlong form, a truncated sequence) and valid
# UTF-8 (é, an emoji) makes real teardowns on 127.0.0.1 in a network
# namespace of our own (finrst-weirdcomm: an unread-data RST and a graceful
# close, four records). Then:
#   - finrst -j: stdout is valid UTF-8, every line parses as JSON, and the
#     four records of each helper carry its pid and its comm exactly as
#     user/json.c writes it: control bytes as \n \t \u00XX, '"' and '\'
#     escaped, well-formed UTF-8 as is, each byte of an ill-formed
#     sequence as \ufffd (checked on the raw bytes and on the decoded
#     string);
#   - finrst (text): no control byte but the line ends reaches the
#     terminal, the output is valid UTF-8, and the COMM column and the
#     explanation show the comm with every byte outside printable ASCII
#     as '?'.
#
# Usage: tests/ops/comm.sh --finrst PATH --weirdcomm PATH
# Exit 0 pass, 1 fail, 77 skipped (not root, or ip/python3 missing).
set -eu

name=ops.comm
finrst="" weirdcomm=""
# shellcheck source-path=SCRIPTDIR source=../lib/finrst.sh
. "$(dirname "$0")/../lib/finrst.sh"
fr_args "--finrst --weirdcomm" "$@"
fr_init ip:iproute2 python3:python3
fr_netns

# Each case: name | the comm's bytes in hex | the JSON string finrst must
# write, for printf %b (every backslash of the output doubled, bytes above
# 0x7f as \0NNN octal) | the text COMM column.
#   A: a \n \t \x01 ESC DEL " \ \xff \xc3 ( z é
#   B: U+1F600 (4 bytes), \xed\xa0\x80 (a surrogate: 3 x FFFD), \xc0\xaf
#      (an overlong '/': 2 x FFFD), wxyz, \xe2\x82 (truncated: 2 x FFFD)
cat >"$work/cases" <<'CASES'
A|610a09011b7f225cffc3287ac3a9|a\\n\\t\\u0001\\u001b\\u007f\\"\\\\\\ufffd\\ufffd(z\0303\0251|a?????"\??(z??
B|f09f9880eda080c0af7778797ae282|\0360\0237\0230\0200\\ufffd\\ufffd\\ufffd\\ufffd\\ufffdwxyz\\ufffd\\ufffd|?????????wxyz??
CASES

# run_helpers PORT: each case's helper, on PORT, PORT + 1, ...; its pid
# in $work/CASE.pid
run_helpers() {
	port=$1
	while IFS='|' read -r c hex json text; do
		if ! ip netns exec "$ns" "$weirdcomm" "$hex" "$port" </dev/null \
			>"$work/$c.helper" 2>&1; then
			show "$work/$c.helper"
			die "finrst-weirdcomm $hex $port failed"
		fi
		sed -n 's/^pid=//p' "$work/$c.helper" >"$work/$c.pid"
		port=$((port + 1))
	done <"$work/cases"
}

# wait_lines FILE N: until FILE has N lines (10 s at most)
wait_lines() {
	i=0
	while [ "$(wc -l <"$1")" -lt "$2" ] && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
}

# --- JSON --------------------------------------------------------------------
start_finrst json -j --netns "$ino"
run_helpers 7950
wait_lines "$work/json.out" 8
stop_finrst "$pid" || fail "finrst -j exited with status $? on SIGINT"

port=7950
while IFS='|' read -r c hex json text; do
	hpid=$(cat "$work/$c.pid")
	# the exact bytes of the comm member
	printf '"pid":%s,"comm":"%b",' "$hpid" "$json" >"$work/$c.want"
	n=$(grep -cF -f "$work/$c.want" "$work/json.out" || true)
	if [ "$n" = 4 ]; then
		ok "comm $c ($hex): 4 records with the bytes $(cat "$work/$c.want")"
	else
		fail "comm $c ($hex): $n records with the bytes $(od -An -c "$work/$c.want" | tr -s ' \n' ' '), expected 4; the records of port $port:"
		grep "\"lport\":$port,\\|\"rport\":$port," "$work/json.out" | cut -c1-400 | show
	fi
	port=$((port + 1))
done <"$work/cases"

# every line JSON, the raw bytes strict UTF-8, the decoded comm exact
if python3 - "$work/json.out" "$work/cases" "$work" >"$work/py.out" 2>&1 <<'PY'
import json, sys

path, work = sys.argv[1], sys.argv[3]
cases = open(sys.argv[2]).read()
raw = open(path, "rb").read()
text = raw.decode("utf-8", errors="strict")   # raises on invalid UTF-8
recs = [json.loads(line) for line in text.splitlines()]


def expected(b):
    """What user/json.c makes of a comm: well-formed UTF-8 (RFC 3629) as
    is, each byte of an ill-formed sequence as U+FFFD."""
    out, i = [], 0
    while i < len(b):
        for n in (1, 2, 3, 4):
            try:
                ch = b[i:i + n].decode("utf-8", errors="strict")
            except UnicodeDecodeError:
                continue
            if len(ch) == 1:
                out.append(ch)
                i += n
                break
        else:
            out.append("\ufffd")
            i += 1
    return "".join(out)


port = 7950
bad = 0
for line in cases.splitlines():
    c, hexs = line.split("|")[:2]
    want = expected(bytes.fromhex(hexs))
    pid = int(open(f"{work}/{c}.pid").read())
    mine = [r for r in recs if r.get("event") == "teardown" and
            port in (r.get("lport"), r.get("rport"))]
    good = [r for r in mine if r["comm"] == want and r["pid"] == pid]
    causes = sorted(r["cause"] for r in mine)
    if len(good) != 4 or causes != ["close", "peer_close", "peer_reset",
                                    "unread_data"]:
        print(f"comm {c}: want {want!r} pid {pid}; port {port} records:",
              [(r["comm"], r["pid"], r["cause"]) for r in mine])
        bad += 1
    else:
        print(f"ok: comm {c}: 4 records decode to {want!r} "
              f"(unread_data, peer_reset, close, peer_close)")
    port += 1
print(f"{len(recs)} lines, {len(raw)} bytes: valid UTF-8, each line JSON")
sys.exit(1 if bad else 0)
PY
then
	cat "$work/py.out"
else
	fail "the JSON records, decoded:"
	show "$work/py.out"
fi

# --- text --------------------------------------------------------------------
start_finrst text --netns "$ino"
run_helpers 7960
wait_lines "$work/text.out" 9	# the header and eight records
stop_finrst "$pid" || fail "finrst exited with status $? on SIGINT"

# control bytes: only the line feeds may be there
ctl=$(tr -d '\n' <"$work/text.out" | LC_ALL=C tr -d '\040-\176\200-\377' | wc -c)
if [ "$ctl" -ne 0 ]; then
	fail "the text output holds $ctl control bytes:"
	LC_ALL=C grep -n '[[:cntrl:]]' "$work/text.out" | od -c | head -n 20 | show
else
	ok "text: no control byte but the line ends ($(wc -l <"$work/text.out") lines)"
fi
if python3 -c 'import sys; open(sys.argv[1], "rb").read().decode("utf-8")' \
	"$work/text.out" 2>"$work/py.err"; then
	ok "text: valid UTF-8"
else
	fail "text: not valid UTF-8: $(tail -n1 "$work/py.err")"
fi
while IFS='|' read -r c hex json text; do
	hpid=$(cat "$work/$c.pid")
	# the COMM column, then the PID column; and the explanation
	n=$(grep -cF "  $text " "$work/text.out" || true)
	e=$(grep -cF "${text}[$hpid]" "$work/text.out" || true)
	if [ "$n" = 4 ] && [ "$e" = 4 ]; then
		ok "text: comm $c shown as '$text' in 4 lines, and in their explanation as '${text}[$hpid]'"
	else
		fail "text: comm $c: $n lines with '  $text ', $e with '${text}[$hpid]' (expected 4 each):"
		cat -v "$work/text.out" | cut -c1-200 | show
	fi
done <"$work/cases"

fr_end
