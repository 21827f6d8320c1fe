#!/bin/sh
# Integration test of `finrst --metrics` against the real Prometheus tools:
#   - the exposition passes `promtool check metrics` (before and after load)
#     and is served as text/plain; other paths get 404, other methods 405;
#   - a real Prometheus server scrapes it every second and sees the target
#     up and exactly the teardowns the load generator made (100 unread_data
#     closes, 50 linger_zero closes);
#   - the `port` label stays bounded: a scan of 5000 closed ports labels
#     none of them (a client's port is labelled only if it is a listener
#     seen here), and 80 listeners on 80 ports fill the 64 dynamic values,
#     the rest fold into "other": at most 64 + "other" + the
#     --metrics-ports in all.
# Everything runs in a private network namespace (loopback only); finrst
# and Prometheus listen on free ports in 19400-19499 of the host's
# 127.0.0.1, never on Prometheus's default 9090.
#
# With --tls (the test metrics.prometheus_tls), all of it over HTTPS with
# basic auth and a client certificate (finrst --web-config, issue 21): the
# certificates are made by openssl (tls.sh), Prometheus scrapes with
# tls_config and basic_auth, and the counts must be the same.
#
# Usage: tests/metrics/prometheus.sh --finrst PATH --loadgen PATH [--tls]
# Exit status 0 (PASS), 1 (FAIL), 77 (skipped: not root, or a tool is
# missing: Debian packages prometheus (prometheus, promtool), curl, jq,
# and openssl with --tls).
set -eu

name=metrics.prometheus
finrst=""
loadgen=""
tls=false
usage="usage: $0 --finrst PATH --loadgen PATH [--tls]"
while [ $# -gt 0 ]; do
	case $1 in
	--finrst) [ $# -ge 2 ] || { echo "$0: --finrst needs a PATH" >&2; exit 2; }
		finrst=$2; shift 2 ;;
	--loadgen) [ $# -ge 2 ] || { echo "$0: --loadgen needs a PATH" >&2; exit 2; }
		loadgen=$2; shift 2 ;;
	--tls) tls=true; name=metrics.prometheus_tls; shift ;;
	-h | --help) sed -n '2,22s/^# \{0,1\}//p' "$0"; exit 0 ;;
	*) echo "$0: unknown argument $1" >&2
		echo "$usage" >&2
		exit 2 ;;
	esac
done
if [ -z "$finrst" ] || [ -z "$loadgen" ]; then
	echo "$usage" >&2
	exit 2
fi

# shellcheck source-path=SCRIPTDIR source=../lib/finrst.sh
. "$(dirname "$0")/../lib/finrst.sh"
# shellcheck source-path=SCRIPTDIR source=tls.sh
. "$(dirname "$0")/tls.sh"
need="prometheus:prometheus promtool:prometheus curl:curl jq:jq ip:iproute2 ss:iproute2"
! $tls || need="$need openssl:openssl"
# shellcheck disable=SC2086 # a word per tool
fr_init $need
[ -x "$finrst" ] || { echo "FAIL $name: no finrst at $finrst"; exit 1; }
[ -x "$loadgen" ] || { echo "FAIL $name: no load generator at $loadgen"; exit 1; }

# How finrst is reached: plain HTTP, or (--tls) HTTPS with the CA, a
# client certificate and basic auth. fcurl: curl's options for it;
# web_args: finrst's. (Paths under $work: no spaces.)
scheme=http
fcurl=""
web_args=""
if $tls; then
	make_tls "$work/tls"
	write_web_config "$work/tls/web.yml" RequireAndVerifyClientCert
	printf '%s' "$web_password" >"$work/tls/password"
	scheme=https
	fcurl="--cacert $work/tls/ca.crt --cert $work/tls/client.crt --key $work/tls/client.key --user $web_user:$web_password"
	web_args="--web-config $work/tls/web.yml"
fi

# Ports that always get their own `port` value (--metrics-ports); none here,
# but the cardinality bound below counts them.
metrics_ports=""
dynamic_ports=64	# distinct dynamic ports before folding into "other"

# http_code [CURL ARGS...] URL: the status code only
http_code() {
	curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$@" || true
}

# prom_query QUERY: the value of the first sample of an instant query,
# "none" when the result is empty
prom_query() {
	curl -fsS --max-time 5 -G --data-urlencode "query=$1" \
		"http://127.0.0.1:$pport/api/v1/query" 2>/dev/null |
		jq -r '.data.result[0].value[1] // "none"' 2>/dev/null ||
		echo "error"
}

# scrape FILE: GET /metrics from finrst into FILE
scrape() {
	# shellcheck disable=SC2086 # $fcurl: a word per option
	curl -fsS --max-time 5 $fcurl -D "$1.headers" -o "$1" \
		"$scheme://127.0.0.1:$mport/metrics" 2>"$1.err"
}

# lint FILE WHEN: promtool check metrics; any non-zero exit is a failure
lint() {
	if promtool check metrics <"$1" >"$work/promtool.out" 2>&1; then
		echo "ok: promtool check metrics ($2)"
	else
		fail "promtool check metrics ($2) exited with status $?:"
		show "$work/promtool.out"
	fi
}

# --- the namespace and finrst ----------------------------------------------
fr_netns

# finrst on a free port (the library tries again should another process
# take it first)
# shellcheck disable=SC2086 # the ports list is one word or none, the
# --web-config two words or none
start_finrst_metrics finrst 19400 19499 --netns "$ino" \
	${metrics_ports:+--metrics-ports "$metrics_ports"} $web_args
fpid=$pid
echo "finrst: $(sed -n 's/^finrst: ready //p' "$work/finrst.err"), metrics on $scheme://127.0.0.1:$mport, netns $ns (inode $ino)"

# --- a. the exposition is valid --------------------------------------------
if scrape "$work/m.start"; then
	lint "$work/m.start" "at start"
	ctype=$(sed -n 's/^[Cc]ontent-[Tt]ype: *//p' "$work/m.start.headers" | tr -d '\r')
	case $ctype in
	text/plain*) echo "ok: Content-Type: $ctype" ;;
	*) fail "GET /metrics: Content-Type is '$ctype', expected text/plain; version=0.0.4" ;;
	esac
else
	show "$work/m.start.err"
	die "GET $scheme://127.0.0.1:$mport/metrics failed right after the ready line"
fi

# --- b. other paths and methods --------------------------------------------
# expect_code CODE METHOD PATH
expect_code() {
	# shellcheck disable=SC2086 # $fcurl: a word per option
	code=$(http_code $fcurl -X "$2" "$scheme://127.0.0.1:$mport$3")
	if [ "$code" = "$1" ]; then
		echo "ok: $2 $3 -> $code"
	else
		fail "$2 $3 returned HTTP $code, expected $1"
	fi
}
expect_code 404 GET /
expect_code 404 GET /metricsx
expect_code 405 POST /metrics

# --- c. a real Prometheus scraping it every second --------------------------
pport=$(free_port 19400 19499 "$mport") || die "no second free port in 19400-19499"
job=finrst
cat >"$work/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: $job
    static_configs:
      - targets: ['127.0.0.1:$mport']
EOF
# the README's scrape configuration (Metrics), with this test's files
if $tls; then
	cat >>"$work/prometheus.yml" <<EOF
    scheme: https
    tls_config:
      ca_file: $work/tls/ca.crt
      cert_file: $work/tls/client.crt
      key_file: $work/tls/client.key
    basic_auth:
      username: $web_user
      password_file: $work/tls/password
EOF
fi
mkdir "$work/tsdb"
# (its log: $work/prometheus.err)
start_bg prometheus prometheus --config.file="$work/prometheus.yml" \
	--storage.tsdb.path="$work/tsdb" \
	--web.listen-address="127.0.0.1:$pport"
# shellcheck disable=SC2317 # await calls it
prom_ready() {
	[ "$(http_code "http://127.0.0.1:$pport/-/ready")" = 200 ]
}
if ! await "$pid" prom_ready; then
	tail -n 20 "$work/prometheus.err" | show
	die "prometheus on 127.0.0.1:$pport did not get ready within 30 s"
fi
echo "prometheus $(prometheus --version 2>&1 | sed -n '1s/^prometheus, version \([^ ]*\).*/\1/p') ready on 127.0.0.1:$pport"

# --- d. the load, counted by Prometheus -------------------------------------
run_load() {
	if ! ip netns exec "$ns" "$loadgen" "$@" >"$work/load" 2>&1; then
		show "$work/load"
		die "finrst-loadgen $* failed"
	fi
	echo "loadgen $*: $(cat "$work/load")"
}
run_load -m unread -n 100 -t 1 -a 1 -p 7200
run_load -m linger0 -n 50 -t 1 -a 1 -p 7300

q_unread='sum(finrst_teardowns_total{cause="unread_data"})'
q_linger='sum(finrst_teardowns_total{cause="linger_zero"})'
q_up="up{job=\"$job\"}"
i=0
while :; do
	unread=$(prom_query "$q_unread")
	linger=$(prom_query "$q_linger")
	up=$(prom_query "$q_up")
	[ "$unread" = 100 ] && [ "$linger" = 50 ] && [ "$up" = 1 ] && break
	i=$((i + 1))
	[ $i -ge 40 ] && break
	sleep 0.5
done
echo "prometheus: $q_unread = $unread, $q_linger = $linger, $q_up = $up"
if [ "$unread" != 100 ] || [ "$linger" != 50 ]; then
	fail "after 20 s Prometheus has $q_unread = $unread (expected 100) and $q_linger = $linger (expected 50); finrst's own teardown series:"
	scrape "$work/m.load" && grep '^finrst_teardowns_total' "$work/m.load" | show
fi
if [ "$up" != 1 ]; then
	fail "Prometheus has $q_up = $up, expected 1; its targets:"
	curl -fsS --max-time 5 "http://127.0.0.1:$pport/api/v1/targets" |
		jq -c '.data.activeTargets[] | {scrapeUrl, health, lastError}' |
		show
fi

# --- e. a port scan keeps the port label bounded ----------------------------
run_load -m scan -n 5000 -p 20000
# more listeners than the bound: 80 ports, one graceful connection each
p=7600
while [ $p -lt 7680 ]; do
	ip netns exec "$ns" "$loadgen" -m graceful -n 1 -t 1 -a 1 -p $p \
		>"$work/load" 2>&1 || {
		show "$work/load"
		die "finrst-loadgen -p $p failed"
	}
	p=$((p + 1))
done
echo "loadgen: 80 listeners on ports 7600-7679, one connection each"
sleep 2
scrape "$work/m.scan" || {
	show "$work/m.scan.err"
	die "GET /metrics failed after the scan"
}
lint "$work/m.scan" "after the load and the scan"
grep -v -e '^#' -e '^[[:space:]]*$' "$work/m.scan" >"$work/samples" || true
series=$(wc -l <"$work/samples")
# promtool does not look for a series exposed twice; Prometheus drops one
sed 's/ [^ ]*$//' "$work/samples" | sort | uniq -d >"$work/dups"
if [ -s "$work/dups" ]; then
	fail "series exposed more than once:"
	head -n 5 "$work/dups" | show
fi
grep -o '[{,]port="[^"]*"' "$work/samples" | cut -c2- | sort -u >"$work/ports" || true
nports=$(wc -l <"$work/ports")
nfixed=0
[ -z "$metrics_ports" ] || nfixed=$(echo "$metrics_ports" | tr ',' '\n' | wc -l)
bound=$((dynamic_ports + 1 + nfixed))
# for the reader: the scan's counts, summed over every port value
refused=$(awk '/^finrst_teardowns_total\{/ && /outcome="refused"/ { s += $NF } END { print s + 0 }' "$work/samples")
nosock=$(awk '/^finrst_rst_sent_no_socket_total[ {]/ { s += $NF } END { print s + 0 }' "$work/samples")
echo "after the scan: $series series, $nports distinct port values (bound $bound), refused teardowns $refused, rst_sent_no_socket $nosock"
if [ "$nports" -gt "$bound" ]; then
	fail "$nports distinct port label values after scanning 5000 ports and 80 listeners, more than $dynamic_ports + 1 + $nfixed = $bound"
fi
if ! grep -qx 'port="other"' "$work/ports"; then
	fail "no port=\"other\" series after scanning 5000 ports and 80 listeners; the port values:"
	tr '\n' ' ' <"$work/ports" | fold -w 76 | show
	echo
fi

# metrics only: no records on stdout
if [ -s "$work/finrst.out" ]; then
	fail "finrst --metrics without -j printed $(wc -l <"$work/finrst.out") lines on stdout, expected none:"
	head -n 3 "$work/finrst.out" | show
fi
# finrst stops cleanly on SIGINT
if ! kill -0 "$fpid" 2>/dev/null; then
	show "$work/finrst.err"
	fail "finrst exited during the test"
fi
if stop_finrst "$fpid"; then
	echo "finrst stopped: $(grep -v '^finrst: ready' "$work/finrst.err" | paste -sd ' ' -)"
else
	rc=$?
	show "$work/finrst.err"
	fail "finrst exited with status $rc on SIGINT"
fi

fr_end
