# shellcheck shell=sh
# What the tests of --web-config share (prometheus.sh --tls, webconfig.sh);
# POSIX sh, sourced after tests/lib/finrst.sh.
#
# make_tls DIR: a throwaway PKI made with openssl, in DIR:
#   ca.crt, ca.key          a CA that signs the two below
#   server.crt, server.key  for finrst: CN and SAN 127.0.0.1 (and localhost)
#   client.crt, client.key  a scraper's certificate (clientAuth)
#   rogue.crt, rogue.key    a self-signed client certificate no CA vouches for
# EC P-256 keys: quick to make. Dies if openssl fails.

# The user and password every test configures, and the password's bcrypt
# hash (cost 10, as `htpasswd -nBC 10` writes it: $2y$)
# (for the sourcing tests)
# shellcheck disable=SC2034
web_password=scrape-me
web_user=prometheus
# shellcheck disable=SC2016 # a hash, not an expansion
web_hash='$2y$10$Qm9yZWFsaXMgdGVzdCBzYOoxN4nXCkVCxhBI1965Nr/MWTdj.2lvi'

# _tls_key_csr DIR NAME CN: NAME.key and NAME.csr
_tls_key_csr() {
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
		-nodes -subj "/CN=$3" -keyout "$1/$2.key" -out "$1/$2.csr" \
		>>"$1/openssl.log" 2>&1
}

# _tls_sign DIR NAME EXTFILE: NAME.crt from NAME.csr, signed by the CA
_tls_sign() {
	openssl x509 -req -in "$1/$2.csr" -CA "$1/ca.crt" -CAkey "$1/ca.key" \
		-CAcreateserial -days 2 -extfile "$3" -out "$1/$2.crt" \
		>>"$1/openssl.log" 2>&1
}

make_tls() {
	mkdir -p "$1"
	printf 'basicConstraints=critical,CA:FALSE\nsubjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' \
		>"$1/server.ext"
	printf 'basicConstraints=critical,CA:FALSE\nextendedKeyUsage=clientAuth\n' \
		>"$1/client.ext"
	if ! openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
		-nodes -days 2 -subj "/CN=finrst test CA" \
		-keyout "$1/ca.key" -out "$1/ca.crt" >>"$1/openssl.log" 2>&1 ||
		! _tls_key_csr "$1" server 127.0.0.1 ||
		! _tls_sign "$1" server "$1/server.ext" ||
		! _tls_key_csr "$1" client "$web_user" ||
		! _tls_sign "$1" client "$1/client.ext" ||
		! openssl req -x509 -newkey ec \
			-pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
			-subj "/CN=rogue" -keyout "$1/rogue.key" \
			-out "$1/rogue.crt" >>"$1/openssl.log" 2>&1; then
		show "$1/openssl.log"
		die "openssl could not make the test certificates"
	fi
}

# write_web_config FILE CLIENT_AUTH: a web configuration for the PKI of
# make_tls in FILE's directory (relative paths: finrst reads them from
# there), with basic auth for $web_user; CLIENT_AUTH is NoClientCert or
# RequireAndVerifyClientCert
write_web_config() {
	{
		echo "# finrst --web-config (exporter-toolkit format)"
		echo "tls_server_config:"
		echo "  cert_file: server.crt"
		echo "  key_file: server.key"
		echo "  client_auth_type: $2"
		[ "$2" = NoClientCert ] || echo "  client_ca_file: ca.crt"
		echo "basic_auth_users:"
		echo "  $web_user: '$web_hash'"
	} >"$1"
}
