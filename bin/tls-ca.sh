#!/usr/bin/env bash
# Makes a self-signed certificate authority and one server certificate signed by it, for trials of TLS on one machine
# (never for production: the CA's key sits next to the certificates).
#
#   bin/tls-ca.sh [DIR] [NAME...]
#
# DIR (default ./tls) receives ca.pem (give it to clients: curl --cacert DIR/ca.pem), ca-key.pem, node.pem and
# node-key.pem (the configuration's tls.cert_file and tls.key_file). The server certificate is valid for localhost,
# 127.0.0.1, ::1 and every NAME given (DNS names or IP addresses), for 30 days. Keys are EC P-256 in PKCS#8 PEM.
# An existing CA in DIR is reused, so certificates made for more names stay trusted by the same clients.
set -euo pipefail

dir="${1:-tls}"
shift || true
mkdir -p "$dir"
umask 077

if [[ ! -f "$dir/ca.pem" || ! -f "$dir/ca-key.pem" ]]; then
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$dir/ca-key.pem"
  openssl req -x509 -new -key "$dir/ca-key.pem" -sha256 -days 30 -subj "/CN=Raftline trial CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -out "$dir/ca.pem"
fi

san="DNS:localhost,IP:127.0.0.1,IP:::1"
for name in "$@"; do
  if [[ "$name" =~ ^[0-9.]+$ || "$name" == *:* ]]; then
    san="$san,IP:$name"
  else
    san="$san,DNS:$name"
  fi
done

openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$dir/node-key.pem"
openssl req -new -key "$dir/node-key.pem" -subj "/CN=raftline node" -out "$dir/node.csr"
extensions="$(mktemp)"
trap 'rm -f "$extensions"' EXIT
printf 'subjectAltName=%s\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth,clientAuth\n' \
  "$san" > "$extensions"
openssl x509 -req -in "$dir/node.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca-key.pem" -CAcreateserial -sha256 -days 30 \
  -extfile "$extensions" -out "$dir/node.pem" 2>/dev/null
rm -f "$dir/node.csr" "$dir/ca.srl"
chmod 644 "$dir/ca.pem" "$dir/node.pem"

echo "CA          : $dir/ca.pem (clients: curl --cacert $dir/ca.pem)"
echo "certificate : $dir/node.pem for $san"
echo "key         : $dir/node-key.pem"
echo "configuration: \"tls\": {\"cert_file\": \"$dir/node.pem\", \"key_file\": \"$dir/node-key.pem\", \"ca_file\": \"$dir/ca.pem\"}"
