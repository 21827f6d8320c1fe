#!/bin/sh
# finrst --web-config with bad files (issue 21): each one exits with status
# 2 before anything is loaded, with one line on stderr that names the file
# and the key at fault (SPEC §3: bad arguments), and no control byte of the
# file in it. Also --web-config without --metrics, twice, or naming a
# missing file, a directory or a FIFO. Needs no root: finrst reads the
# file before it looks at privileges or the kernel.
#
# Usage: tests/metrics/webconfig_bad.sh --finrst PATH
# Exit 0 pass, 1 fail.
set -eu

name=metrics.webconfig_bad
finrst=""
# shellcheck source-path=SCRIPTDIR source=../lib/finrst.sh
. "$(dirname "$0")/../lib/finrst.sh"
# shellcheck source-path=SCRIPTDIR source=tls.sh
. "$(dirname "$0")/tls.sh"
fr_args "--finrst" "$@"
fr_work
cases=0

# bad WHAT EXPECT [FINRST ARGS...]: finrst ARGS exits 2 with one line on
# stderr holding EXPECT (a fixed string) and no control byte
bad() {
	_what=$1 _want=$2
	shift 2
	cases=$((cases + 1))
	_rc=0
	timeout 10 "$finrst" "$@" >"$work/out" 2>"$work/err" || _rc=$?
	_lines=$(wc -l <"$work/err")
	if [ "$_rc" != 2 ]; then
		fail "$_what: exit status $_rc, expected 2; stderr:"
		show "$work/err"
	elif [ "$_lines" != 1 ]; then
		fail "$_what: $_lines lines on stderr, expected 1:"
		show "$work/err"
	elif ! grep -qF -- "$_want" "$work/err"; then
		fail "$_what: the line does not say '$_want':"
		show "$work/err"
	elif LC_ALL=C grep -q '[[:cntrl:]]' "$work/err"; then
		fail "$_what: a control byte in the line"
	elif [ -s "$work/out" ]; then
		fail "$_what: printed on stdout"
	else
		ok "$_what: $(cat "$work/err")"
	fi
}

# bad_file WHAT KEY CONTENT: a file with CONTENT (printf format, no
# arguments) makes finrst --metrics --web-config FILE exit 2 naming FILE
# and KEY
bad_file() {
	_f=$work/case$((cases + 1)).yml
	# shellcheck disable=SC2059 # the content is the format
	printf -- "$3" >"$_f"
	bad "$1" "invalid --web-config $_f: " --metrics 127.0.0.1:1 \
		--web-config "$_f"
	grep -qF -- "$2" "$work/err" ||
		fail "$1: the line does not name $2"
}

# the PEM files of the good cases, with relative paths
printf -- '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n' >"$work/cert.pem"
printf -- '-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n' >"$work/key.pem"
tls='tls_server_config:\n  cert_file: cert.pem\n  key_file: key.pem\n'
hash=$web_hash

bad_file "not YAML" "line 2: not YAML: did not find expected" 'tls_server_config: [cert.pem\n'
bad_file "a tab for indentation" "not YAML" 'tls_server_config:\n\tcert_file: x\n'
bad_file "a list at the top" "expected a mapping" '- tls_server_config\n'
bad_file "an unknown key" "line 1: http_server_config: not supported" \
	'http_server_config:\n  http2: false\n'
bad_file "an unknown TLS key" "tls_server_config.min_version: not supported" \
	"${tls}  min_version: TLS13\n"
bad_file "a client_auth_type finrst does not do" \
	"tls_server_config.client_auth_type: 'RequestClientCert' is not supported" \
	"${tls}  client_auth_type: RequestClientCert\n"
bad_file "cert_file without key_file" "tls_server_config.key_file: missing" \
	'tls_server_config:\n  cert_file: cert.pem\n'
bad_file "key_file without cert_file" "tls_server_config.cert_file: missing" \
	'tls_server_config:\n  key_file: key.pem\n'
bad_file "RequireAndVerifyClientCert without client_ca_file" \
	"tls_server_config.client_ca_file: missing" \
	"${tls}  client_auth_type: RequireAndVerifyClientCert\n"
bad_file "client_ca_file with NoClientCert" \
	"tls_server_config.client_auth_type: client_ca_file is set" \
	"${tls}  client_ca_file: cert.pem\n"
bad_file "a client CA without TLS" "tls_server_config.cert_file: missing" \
	'tls_server_config:\n  client_ca_file: cert.pem\n  client_auth_type: RequireAndVerifyClientCert\n'
bad_file "cert_file that does not exist" \
	"tls_server_config.cert_file: cannot read '$work/nonexistent.pem': No such file or directory" \
	'tls_server_config:\n  cert_file: nonexistent.pem\n  key_file: key.pem\n'
bad_file "key_file that holds a certificate" \
	"tls_server_config.key_file: '$work/cert.pem' holds no PEM PRIVATE KEY" \
	'tls_server_config:\n  cert_file: cert.pem\n  key_file: cert.pem\n'
bad_file "cert_file that is a directory" \
	"tls_server_config.cert_file: cannot read '/': not a regular file" \
	'tls_server_config:\n  cert_file: /\n  key_file: key.pem\n'
bad_file "cert_file as a mapping" \
	"line 2: tls_server_config.cert_file: expected a string" \
	'tls_server_config:\n  cert_file: {a: b}\n  key_file: key.pem\n'
bad_file "a duplicate key" "line 4: tls_server_config.cert_file: duplicate key" \
	"${tls}  cert_file: cert.pem\n"
bad_file "a plain-text password" \
	"line 2: basic_auth_users.alice: not a bcrypt hash" \
	'basic_auth_users:\n  alice: hunter2\n'
bad_file "a truncated hash" "basic_auth_users.alice: not a bcrypt hash" \
	"basic_auth_users:\n  alice: '$(echo "$hash" | cut -c1-59)'\n"
# shellcheck disable=SC2016 # a hash, not an expansion
bad_file "an MD5 hash" "basic_auth_users.alice: not a bcrypt hash" \
	'basic_auth_users:\n  alice: $apr1$abcdefgh$0123456789012345678901\n'
bad_file "basic_auth_users as a list" "basic_auth_users: expected a mapping" \
	'basic_auth_users:\n  - alice\n'
bad_file "a user twice" "basic_auth_users.alice: duplicate user" \
	"basic_auth_users:\n  alice: '$hash'\n  alice: '$hash'\n"
bad_file "a user name with a colon" "basic_auth_users.a:b: a user name must" \
	"basic_auth_users:\n  'a:b': '$hash'\n"
bad_file "escapes in a key" "basic_auth_users.?[31mred: not a bcrypt hash" \
	'basic_auth_users:\n  "\\e[31mred": x\n'
bad_file "two documents" "more than one YAML document" \
	"${tls}---\nbasic_auth_users: {}\n"
bad "a file that does not exist" \
	"invalid --web-config $work/none.yml: No such file or directory" \
	--metrics 127.0.0.1:1 --web-config "$work/none.yml"
bad "a directory" "invalid --web-config $work: not a regular file" \
	--metrics 127.0.0.1:1 --web-config "$work"
mkfifo "$work/fifo.yml"
bad "a FIFO (no hang)" "invalid --web-config $work/fifo.yml: not a regular file" \
	--metrics 127.0.0.1:1 --web-config "$work/fifo.yml"
bad "--web-config without --metrics" "--web-config needs --metrics" \
	--web-config "$work/case1.yml"
bad "--web-config twice" "duplicate --web-config" \
	--metrics 127.0.0.1:1 --web-config a --web-config b
echo "$cases bad configurations"
fr_end
