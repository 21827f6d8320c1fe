#!/bin/sh
# finrst --metrics --web-config (issue 21): who gets the metrics over TLS.
# With certificates made by openssl (tls.sh) and basic auth for one user:
#   - NoClientCert: the right user and password get 200 and the metrics; a
#     wrong password, an unknown user, no credentials, a malformed
#     Authorization header, and any path without credentials get 401 with
#     WWW-Authenticate: Basic; plain HTTP gets no answer;
#   - RequireAndVerifyClientCert: a client certificate from the CA (and the
#     password) gets 200; no certificate, or a self-signed one, fails the
#     TLS handshake (TLS 1.2: curl exit 35; TLS 1.3: no HTTP answer); the
#     certificate without the password gets 401;
#   - basic auth alone (no tls_server_config): plain HTTP, 200 with the
#     password and 401 without.
# finrst listens on a free port in 19500-19599 of the host's 127.0.0.1.
#
# Usage: tests/metrics/webconfig.sh --finrst PATH
# Exit 0 pass, 1 fail, 77 skipped (not root, or curl/openssl missing).
set -eu

name=metrics.webconfig
finrst=""
# shellcheck source-path=SCRIPTDIR source=../lib/finrst.sh
. "$(dirname "$0")/../lib/finrst.sh"
# shellcheck source-path=SCRIPTDIR source=tls.sh
. "$(dirname "$0")/tls.sh"
fr_args "--finrst" "$@"
fr_init curl:curl openssl:openssl ip:iproute2 ss:iproute2
fr_netns
make_tls "$work/tls"
tlsdir=$work/tls

# expect WHAT WANT [CURL ARGS...]: GET $path with those arguments; WANT
# is an HTTP status, or "handshake" (no HTTP answer; curl exit 35 with
# TLS 1.2, any failure with 1.3)
expect() {
	_what=$1 _want=$2
	shift 2
	_rc=0
	_code=$(curl -sS --max-time 5 -o "$work/body" -D "$work/headers" \
		-w '%{http_code}' --cacert "$tlsdir/ca.crt" "$@" \
		"https://127.0.0.1:$mport$path" \
		2>"$work/curl.err") || _rc=$?
	case $_want in
	handshake)
		if [ "$_code" = 000 ] && [ "$_rc" != 0 ]; then
			ok "$_what: no HTTP answer (curl exit $_rc: $(head -c 100 "$work/curl.err"))"
			return 0
		fi
		fail "$_what: HTTP $_code (curl exit $_rc), expected a failed handshake"
		return 0 ;;
	esac
	if [ "$_code" != "$_want" ]; then
		fail "$_what: HTTP $_code (curl exit $_rc), expected $_want"
		show "$work/curl.err"
		return 0
	fi
	case $_want in
	200)
		if grep -q '^finrst_build_info{' "$work/body"; then
			ok "$_what: 200 with the metrics"
		else
			fail "$_what: 200 without finrst_build_info"
		fi ;;
	401)
		if tr -d '\r' <"$work/headers" |
			grep -qix 'WWW-Authenticate: Basic realm="finrst"'; then
			ok "$_what: 401 with WWW-Authenticate"
		else
			fail "$_what: 401 without WWW-Authenticate: Basic realm=\"finrst\":"
			show "$work/headers"
		fi ;;
	*) ok "$_what: $_code" ;;
	esac
}

right="--user $web_user:$web_password"
path=/metrics

# --- TLS and basic auth, no client certificate -------------------------------
write_web_config "$tlsdir/auth.yml" NoClientCert
start_finrst_metrics finrst 19500 19599 --netns "$ino" \
	--web-config "$tlsdir/auth.yml"
fpid=$pid
echo "finrst on https://127.0.0.1:$mport, --web-config with NoClientCert"
# shellcheck disable=SC2086 # $right: two words
expect "the right password" 200 $right
expect "a wrong password" 401 --user "$web_user:scrape-you"
expect "an unknown user" 401 --user "grafana:$web_password"
expect "no credentials" 401
expect "an empty password" 401 --user "$web_user:"
expect "a malformed Authorization header" 401 -H 'Authorization: Basic !!!'
expect "a bearer token" 401 -H 'Authorization: Bearer abc'
path=/
expect "GET / without credentials" 401
# shellcheck disable=SC2086 # $right: two words
expect "GET / with them" 404 $right
path=/metrics
code=$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' \
	"http://127.0.0.1:$mport/metrics" || true)
if [ "$code" = 200 ]; then
	fail "plain HTTP to the TLS port got 200"
else
	ok "plain HTTP to the TLS port: no answer (HTTP ${code:-000})"
fi
if stop_finrst "$fpid"; then
	ok "finrst stopped cleanly"
else
	show "$work/finrst.err"
	fail "finrst exited with status $? on SIGINT"
fi

# --- a client certificate required -------------------------------------------
write_web_config "$tlsdir/mtls.yml" RequireAndVerifyClientCert
start_finrst_metrics finrst 19500 19599 --netns "$ino" \
	--web-config "$tlsdir/mtls.yml"
fpid=$pid
echo "finrst on https://127.0.0.1:$mport, --web-config with RequireAndVerifyClientCert"
cert="--cert $tlsdir/client.crt --key $tlsdir/client.key"
rogue="--cert $tlsdir/rogue.crt --key $tlsdir/rogue.key"
# shellcheck disable=SC2086 # $cert, $right: a word per option
expect "the CA's client certificate and the password" 200 $cert $right
# shellcheck disable=SC2086
expect "the CA's client certificate, no password" 401 $cert
# shellcheck disable=SC2086
expect "no client certificate (TLS 1.2)" handshake --tls-max 1.2 $right
# shellcheck disable=SC2086
expect "no client certificate (TLS 1.3)" handshake --tlsv1.3 $right
# shellcheck disable=SC2086
expect "a self-signed client certificate (TLS 1.2)" handshake --tls-max 1.2 \
	$rogue $right
# shellcheck disable=SC2086
expect "a self-signed client certificate (TLS 1.3)" handshake --tlsv1.3 \
	$rogue $right
# TLS 1.2 refuses in the handshake itself: curl's "SSL connect error"
# shellcheck disable=SC2086
curl -s --max-time 5 -o /dev/null --cacert "$tlsdir/ca.crt" --tls-max 1.2 \
	$right "https://127.0.0.1:$mport/metrics" && rc=0 || rc=$?
if [ "$rc" = 35 ]; then
	ok "TLS 1.2 without a client certificate: curl exit 35 (handshake)"
else
	fail "TLS 1.2 without a client certificate: curl exit $rc, expected 35 (handshake failed)"
fi
# and the endpoint still serves after the refusals
# shellcheck disable=SC2086
expect "the certificate and the password, again" 200 $cert $right
if stop_finrst "$fpid"; then
	ok "finrst stopped cleanly"
else
	show "$work/finrst.err"
	fail "finrst exited with status $? on SIGINT"
fi

# --- basic auth without TLS ---------------------------------------------------
printf 'basic_auth_users:\n  %s: %s\n' "$web_user" "$web_hash" >"$work/auth-only.yml"
start_finrst_metrics finrst 19500 19599 --netns "$ino" \
	--web-config "$work/auth-only.yml"
fpid=$pid
echo "finrst on http://127.0.0.1:$mport, --web-config with basic_auth_users only"
for creds in right none; do
	set --
	[ $creds = none ] || set -- --user "$web_user:$web_password"
	code=$(curl -s --max-time 5 -o "$work/body" -w '%{http_code}' "$@" \
		"http://127.0.0.1:$mport/metrics" || true)
	want=200
	[ $creds = right ] || want=401
	if [ "$code" = $want ]; then
		ok "plain HTTP, credentials $creds: $code"
	else
		fail "plain HTTP, credentials $creds: HTTP $code, expected $want"
	fi
done
if stop_finrst "$fpid"; then
	ok "finrst stopped cleanly"
else
	show "$work/finrst.err"
	fail "finrst exited with status $? on SIGINT"
fi

fr_end
