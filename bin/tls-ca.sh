#!/usr/bin/env bash
# Makes a self-signed certificate authority and certificates signed by it, for trials of TLS on one machine
# (never for production: the CA's key sits next to the certificates).
#
#   bin/tls-ca.sh [DIR] [NAME...]                   one shared certificate: DIR/node.pem, DIR/node-key.pem
#   bin/tls-ca.sh DIR --node ID[,ID...] [NAME...]   a node's own certificate: DIR/node-ID.pem, DIR/node-ID-key.pem
#   bin/tls-ca.sh DIR --client NAME                 a key-value client's certificate: DIR/client-NAME.pem,
#                                                   DIR/client-NAME-key.pem (for "tls": {"client_auth": ...})
#
# DIR (default ./tls) receives ca.pem (give it to clients: curl --cacert DIR/ca.pem, and to every node as tls.ca_file)
# and ca-key.pem. Every certificate is valid for localhost, 127.0.0.1, ::1 and each NAME given (DNS names or IP
# addresses), for 30 days, as a server and as a client. Keys are EC P-256 in PKCS#8 PEM.
#
# With --node the certificate also names its node(s) in subject alternative name URIs urn:raftline:node:<id> (and its
# subject is CN=raftline-node-<id>): peers accept Raft messages from it only for those ids. Make one per node of a
# cluster whose nodes run in separate processes; a process running several nodes (the local cluster) gets one naming
# them all (--node 1,2,3 writes node-1-2-3.pem). Without --node the certificate names no node: it serves client
# ports, and between nodes only with "security": {"peer_identity": "any_member"}.
#
# With --client the certificate is a client's only (extended key usage clientAuth, no host names): subject
# CN=raftline-client-NAME and a subject alternative name URI urn:raftline:client:NAME. Nodes whose tls.client_auth is
# "request" or "required" let a key-value client in by it (curl --cert DIR/client-NAME.pem --key
# DIR/client-NAME-key.pem --cacert DIR/ca.pem); peers never accept it as a node's, even with "any_member".
#
#   bin/tls-ca.sh DIR --revoke CERT.pem             revokes a certificate DIR's CA signed and writes DIR/crl.pem
#   bin/tls-ca.sh DIR --crl                         writes DIR/crl.pem again (a CRL is valid for 30 days: renew it)
#
# --revoke records the certificate in a minimal CA database (DIR/ca-db/index.txt, with openssl ca) and writes the
# certificate revocation list of every certificate revoked so far, DIR/crl.pem, signed by the CA. Give it to every
# node as "tls": {"crl_files": ["DIR/crl.pem"]}; nodes read it again with their certificates (tls.reload_interval_ms),
# and from then on refuse the revoked certificate at the TLS handshake, a client's or a node's.
#
# An existing CA in DIR is reused, so certificates made later stay trusted by the same clients and nodes.
set -euo pipefail

dir="${1:-tls}"
shift || true
if [[ "$dir" == --* ]]; then
  echo "usage: bin/tls-ca.sh [DIR] [--node ID[,ID...] | --client NAME | --revoke CERT.pem | --crl] [NAME...] (DIR comes first)" >&2
  exit 2
fi
ids=""
client=""
revoke=""
crl=""
names=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --revoke)
      if [[ $# -lt 2 || ! -f "$2" ]]; then
        echo "bin/tls-ca.sh: --revoke needs the PEM file of a certificate this CA signed (like --revoke DIR/client-app1.pem)" >&2
        exit 2
      fi
      revoke="$2"
      crl=1
      shift 2
      ;;
    --crl)
      crl=1
      shift
      ;;
    --node)
      if [[ $# -lt 2 || ! "$2" =~ ^[1-9][0-9]{0,8}(,[1-9][0-9]{0,8})*$ ]]; then
        echo "bin/tls-ca.sh: --node needs node ids > 0 separated by commas (like --node 2 or --node 1,2,3)" >&2
        exit 2
      fi
      ids="$2"
      shift 2
      ;;
    --client)
      if [[ $# -lt 2 || ! "$2" =~ ^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$ ]]; then
        echo "bin/tls-ca.sh: --client needs a name of letters, digits, '.', '_' or '-' (like --client app1)" >&2
        exit 2
      fi
      client="$2"
      shift 2
      ;;
    *)
      names+=("$1")
      shift
      ;;
  esac
done
if [[ -n "$ids" && -n "$client" ]]; then
  echo "bin/tls-ca.sh: --node and --client exclude each other (a client's certificate never speaks for a node)" >&2
  exit 2
fi
if [[ -n "$client" && ${#names[@]} -gt 0 ]]; then
  echo "bin/tls-ca.sh: --client takes no host names (a client's certificate serves no port)" >&2
  exit 2
fi
if [[ -n "$crl" ]]; then
  if [[ -n "$ids" || -n "$client" || ${#names[@]} -gt 0 ]]; then
    echo "bin/tls-ca.sh: --revoke and --crl take no --node, --client or host names" >&2
    exit 2
  fi
  if [[ ! -f "$dir/ca.pem" || ! -f "$dir/ca-key.pem" ]]; then
    echo "bin/tls-ca.sh: no CA in $dir (ca.pem and ca-key.pem): make certificates with it first" >&2
    exit 2
  fi
  umask 077
  mkdir -p "$dir/ca-db"
  [[ -f "$dir/ca-db/index.txt" ]] || : > "$dir/ca-db/index.txt"
  [[ -f "$dir/ca-db/crlnumber" ]] || echo 01 > "$dir/ca-db/crlnumber"
  config="$(mktemp)"
  trap 'rm -f "$config"' EXIT
  # Paths come from the environment, so that any directory name is safe in openssl's configuration syntax.
  cat > "$config" <<'CONF'
[ ca ]
default_ca = raftline
[ raftline ]
database = $ENV::RAFTLINE_CA_DIR/ca-db/index.txt
crlnumber = $ENV::RAFTLINE_CA_DIR/ca-db/crlnumber
new_certs_dir = $ENV::RAFTLINE_CA_DIR/ca-db
certificate = $ENV::RAFTLINE_CA_DIR/ca.pem
private_key = $ENV::RAFTLINE_CA_DIR/ca-key.pem
default_md = sha256
default_crl_days = 30
CONF
  export RAFTLINE_CA_DIR="$dir"
  if [[ -n "$revoke" ]]; then
    if ! openssl verify -CAfile "$dir/ca.pem" "$revoke" >/dev/null 2>&1; then
      echo "bin/tls-ca.sh: $revoke is not a certificate signed by the CA in $dir" >&2
      exit 2
    fi
    serial="$(openssl x509 -in "$revoke" -noout -serial | cut -d= -f2)"
    if grep -q "^R[[:space:]].*[[:space:]]$serial[[:space:]]" "$dir/ca-db/index.txt"; then
      echo "already revoked: $revoke (serial $serial)"
    else
      openssl ca -config "$config" -revoke "$revoke" 2>/dev/null
      echo "revoked     : $revoke (serial $serial)"
    fi
  fi
  # Written aside and renamed, so that a node reloading it never reads half a file.
  openssl ca -config "$config" -gencrl -out "$dir/crl.pem.new" 2>/dev/null
  chmod 644 "$dir/crl.pem.new"
  mv -f "$dir/crl.pem.new" "$dir/crl.pem"
  echo "CRL         : $dir/crl.pem ($(grep -c '^R' "$dir/ca-db/index.txt") revoked; valid for 30 days, renew with --crl)"
  echo "configuration: \"tls\": {..., \"crl_files\": [\"$dir/crl.pem\"]}"
  exit 0
fi
mkdir -p "$dir"
umask 077

if [[ ! -f "$dir/ca.pem" || ! -f "$dir/ca-key.pem" ]]; then
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$dir/ca-key.pem"
  openssl req -x509 -new -key "$dir/ca-key.pem" -sha256 -days 30 -subj "/CN=Raftline trial CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -out "$dir/ca.pem"
fi

san="DNS:localhost,IP:127.0.0.1,IP:::1"
for name in "${names[@]+"${names[@]}"}"; do
  if [[ "$name" =~ ^[0-9.]+$ || "$name" == *:* ]]; then
    san="$san,IP:$name"
  else
    san="$san,DNS:$name"
  fi
done

usage="serverAuth,clientAuth"
if [[ -n "$client" ]]; then
  base="client-$client"
  subject="/CN=raftline-client-$client"
  san="URI:urn:raftline:client:$client"
  usage="clientAuth"
elif [[ -n "$ids" ]]; then
  base="node-${ids//,/-}"
  subject="/CN=raftline-node-${ids%%,*}"
  for id in ${ids//,/ }; do
    san="$san,URI:urn:raftline:node:$id"
  done
else
  base="node"
  subject="/CN=raftline node"
fi

openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$dir/$base-key.pem"
openssl req -new -key "$dir/$base-key.pem" -subj "$subject" -out "$dir/$base.csr"
extensions="$(mktemp)"
trap 'rm -f "$extensions"' EXIT
printf 'subjectAltName=%s\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=%s\n' \
  "$san" "$usage" > "$extensions"
openssl x509 -req -in "$dir/$base.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca-key.pem" -CAcreateserial -sha256 -days 30 \
  -extfile "$extensions" -out "$dir/$base.pem" 2>/dev/null
rm -f "$dir/$base.csr" "$dir/ca.srl"
chmod 644 "$dir/ca.pem" "$dir/$base.pem"

echo "CA          : $dir/ca.pem (clients: curl --cacert $dir/ca.pem)"
echo "certificate : $dir/$base.pem for $san"
echo "key         : $dir/$base-key.pem"
if [[ -n "$client" ]]; then
  echo "client      : curl --cert $dir/$base.pem --key $dir/$base-key.pem --cacert $dir/ca.pem https://localhost:8081/v1/kv/k"
else
  echo "configuration: \"tls\": {\"cert_file\": \"$dir/$base.pem\", \"key_file\": \"$dir/$base-key.pem\", \"ca_file\": \"$dir/ca.pem\"}"
fi
