#!/usr/bin/env bash
# Make the broker's TLS files: a private CA and the broker's server certificate signed by it.
#
#   make-certs.sh --host NAME [--ip ADDR] [--dir DIR] [--days N] [--force]
#
# Run as root on the broker (sudo). Writes into DIR (default /etc/mosquitto/certs) the files
# mosquitto.conf names:
#   ca.crt      the CA certificate: copy it to every kiosk and clinic server (their rehab.toml's
#               ca_file); they trust the broker through it
#   ca.key      the CA's private key, 0600: never copy it to a kiosk
#   server.crt  the broker's certificate for NAME (and ADDR), signed by the CA
#   server.key  its key, 0640 root:mosquitto when the group mosquitto exists (the broker drops
#               to user mosquitto before reading it; openssl alone makes it 0600 root and the
#               broker stops with "Unable to load server key file ... Permission denied")
# NAME is the host name in the devices' broker URL (mqtts://NAME:8883): clients check it
# against the certificate. --ip ADDR adds an address (for clients that connect by address).
# NAME may itself be an address. Both certificates are valid for N days (default 3650).
# An existing CA is kept: the script refuses to run unless --force, which makes a new CA
# (and server certificate) that every kiosk then needs. Needs only the openssl command.
# Then (re)start the broker: `systemctl restart mosquitto` (a new listener needs a restart;
# new certificates alone are read again on `systemctl reload mosquitto`).
set -euo pipefail
host="" ip="" dir="/etc/mosquitto/certs" days=3650 force=0
while [ $# -gt 0 ]; do
  case "$1" in
    --host) host="${2:-}"; shift 2 || { echo "--host needs a value" >&2; exit 2; } ;;
    --ip) ip="${2:-}"; shift 2 || { echo "--ip needs a value" >&2; exit 2; } ;;
    --dir) dir="${2:-}"; shift 2 || { echo "--dir needs a value" >&2; exit 2; } ;;
    --days) days="${2:-}"; shift 2 || { echo "--days needs a value" >&2; exit 2; } ;;
    --force) force=1; shift ;;
    *) echo "unknown argument: $1" >&2
       echo "usage: $0 --host NAME [--ip ADDR] [--dir DIR] [--days N] [--force]" >&2; exit 2 ;;
  esac
done
is_ip() { [[ "$1" =~ ^[0-9]{1,3}(\.[0-9]{1,3}){3}$ || "$1" =~ ^[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*$ ]]; }
[[ "$host" =~ ^[A-Za-z0-9]([A-Za-z0-9.-]{0,252})$ ]] || is_ip "$host" || {
  echo "--host: the broker's host name as in the devices' mqtts:// URL" >&2; exit 2; }
[ -z "$ip" ] || is_ip "$ip" || { echo "--ip: an IPv4 or IPv6 address" >&2; exit 2; }
[[ "$days" =~ ^[1-9][0-9]{0,4}$ ]] || { echo "--days: a number of days" >&2; exit 2; }
command -v openssl >/dev/null || { echo "openssl not found: apt-get install openssl" >&2; exit 1; }
if [ "$force" = 0 ] && { [ -e "$dir/ca.crt" ] || [ -e "$dir/ca.key" ]; }; then
  echo "$dir/ca.crt already exists: every kiosk trusts it. --force makes a new CA (and" \
       "server certificate), whose ca.crt must then be copied to every kiosk." >&2
  exit 1
fi

[ -d "$dir" ] || mkdir -p -m 0755 "$dir"
umask 077
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
san="$(is_ip "$host" && echo "IP:$host" || echo "DNS:$host")"
[ -z "$ip" ] || [ "$ip" = "$host" ] || san="$san,IP:$ip"
cat > "$tmp/openssl.cnf" <<EOF
[req]
distinguished_name = dn
prompt = no
[dn]
[ca]
basicConstraints = critical, CA:true, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[server]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = $san
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
EOF
key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }
serial() { echo "0x$(openssl rand -hex 16)"; }
key "$tmp/ca.key"
openssl req -new -x509 -config "$tmp/openssl.cnf" -extensions ca -key "$tmp/ca.key" \
  -subj "/CN=rehab broker CA ($host)" -days "$days" -sha256 -set_serial "$(serial)" \
  -out "$tmp/ca.crt"
key "$tmp/server.key"
openssl req -new -config "$tmp/openssl.cnf" -key "$tmp/server.key" -subj "/CN=$host" \
  -out "$tmp/server.csr"
openssl x509 -req -in "$tmp/server.csr" -CA "$tmp/ca.crt" -CAkey "$tmp/ca.key" \
  -set_serial "$(serial)" -days "$days" -sha256 -extfile "$tmp/openssl.cnf" \
  -extensions server -out "$tmp/server.crt" 2>/dev/null
openssl verify -CAfile "$tmp/ca.crt" "$tmp/server.crt" >/dev/null

chmod 0644 "$tmp/ca.crt" "$tmp/server.crt"
chmod 0600 "$tmp/ca.key" "$tmp/server.key"
# The broker reads server.key as user mosquitto: group mosquitto may read it.
if chgrp mosquitto "$tmp/server.key" 2>/dev/null; then
  chmod 0640 "$tmp/server.key"
  key_note="0640, group mosquitto"
else
  key_note="0600: no group mosquitto here; the broker's user must be able to read it"
  echo "note: $dir/server.key is $key_note" >&2
fi
for f in ca.key ca.crt server.key server.crt; do mv -f "$tmp/$f" "$dir/$f"; done

cat <<EOF
Made in $dir: ca.crt, ca.key (keep it secret), server.crt for $host${ip:+ and $ip},
server.key ($key_note).
Copy $dir/ca.crt to every kiosk and clinic server, e.g. as /etc/rehab/ca.pem (mode 0644),
and put in its rehab.toml: ca_file = "/etc/rehab/ca.pem" and broker = "mqtts://$host:8883"
(the host must be $host${ip:+ or $ip}: clients check it against the certificate).
Then: systemctl restart mosquitto
EOF
