#!/usr/bin/env bash
# Make broker credentials for one device (or a clinic account) on a Mosquitto broker.
#
#   make-credentials.sh device --clinic CLINIC --device DEVICE [--passwd FILE] [--acl FILE]
#                          [--broker URL] [--ca-file PATH]
#   make-credentials.sh clinic --clinic CLINIC [--user NAME] [--passwd FILE] [--acl FILE]
#                          [--broker URL] [--ca-file PATH]
#
# Adds a user with a random password to the password file (mosquitto_passwd), appends an
# ACL block that lets a device reach only rehab/v1/CLINIC/DEVICE/... (publish status, live,
# records, messages/out, visit/out; subscribe plan, messages/in, ack (the clinic's receipts)
# and visit/in (virtual visit signalling, docs/visits.md)) and a clinic account read its
# clinic only (and write plans, messages/in, receipts and visit/in), with the clinic's
# USER-tools (plan push, message, appoint) and USER-visit (the web app's visit relay)
# logins beside it, then prints the lines for the device's rehab.toml (or the clinic's):
# username, password, device (device only) and clinic, each `key = "value"`; with --broker
# URL (e.g. mqtts://broker.clinic.lan:8883) also `broker = "URL"`, with --ca-file PATH (where
# the CA certificate lies on the kiosk, e.g. /etc/rehab/ca.pem) also `ca_file = "PATH"`.
# That rehab.toml holds a password: make it 0600. Run as root (sudo); reload the broker
# afterwards: `systemctl reload mosquitto` (SIGHUP).
# The broker binds client id to username (use_username_as_clientid): each process needs its
# own login. A second clinic ingest process: `make-credentials.sh clinic --clinic C --user
# clinic-C-2`; both share the clinic's records through an MQTT 5 shared subscription.
# Ids are opaque: 1-64 of A-Z a-z 0-9 _ . - (never a patient's name).
set -euo pipefail
kind="${1:-}"; shift || true
clinic="" device="" user="" broker="" ca_file=""
passwd="/etc/mosquitto/rehab.passwd" acl="/etc/mosquitto/rehab.acl"
while [ $# -gt 0 ]; do
  case "$1" in
    --clinic) clinic="$2"; shift 2 ;;
    --device) device="$2"; shift 2 ;;
    --user) user="$2"; shift 2 ;;
    --passwd) passwd="$2"; shift 2 ;;
    --acl) acl="$2"; shift 2 ;;
    --broker) broker="$2"; shift 2 ;;
    --ca-file) ca_file="$2"; shift 2 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
valid_id() { [[ "$1" =~ ^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$ ]]; }
# Printed inside TOML basic strings: no quote, backslash or control character.
toml_ok() { [[ ! "$1" =~ [\"\\[:cntrl:]] ]]; }
toml_ok "$broker" || { echo "--broker: no quotes, backslashes or control characters" >&2; exit 2; }
toml_ok "$ca_file" || { echo "--ca-file: no quotes, backslashes or control characters" >&2; exit 2; }
[ -z "$broker" ] || [[ "$broker" =~ ^mqtts?://[^[:space:]]+$ ]] || {
  echo "--broker: mqtts://HOST[:PORT]" >&2; exit 2; }
valid_id "$clinic" || { echo "--clinic: 1-64 of A-Z a-z 0-9 _ . - required" >&2; exit 2; }
case "$kind" in
  device)
    valid_id "$device" || { echo "--device: 1-64 of A-Z a-z 0-9 _ . - required" >&2; exit 2; }
    user="$device" ;;
  clinic)
    user="${user:-clinic-$clinic}"
    valid_id "$user" || { echo "--user: 1-64 of A-Z a-z 0-9 _ . -" >&2; exit 2; } ;;
  *) echo "usage: $0 device|clinic --clinic C [--device D] [--user U] [--passwd F] [--acl F]" \
          "[--broker URL] [--ca-file PATH]" >&2; exit 2 ;;
esac
if grep -qs "^user $user\$" "$acl"; then
  echo "$user already has an ACL block in $acl" >&2; exit 1
fi
password="$(head -c 18 /dev/urandom | base64 | tr '+/' '-_')"
touch "$passwd"
mosquitto_passwd -b "$passwd" "$user" "$password"
base="rehab/v1/$clinic"
{
  echo ""
  echo "user $user"
  if [ "$kind" = device ]; then
    for leaf in status live records messages/out visit/out; do
      echo "topic write $base/$device/$leaf"
    done
    for leaf in plan messages/in ack visit/in; do echo "topic read $base/$device/$leaf"; done
  else
    echo "topic read $base/#"
    echo "topic write $base/+/plan"
    echo "topic write $base/+/messages/in"
    echo "topic write $base/+/ack"
    echo "topic write $base/+/visit/in"
  fi
} >> "$acl"
if [ "$kind" = clinic ]; then
  # The one-shot clinic tools (plan push, message, appoint) log in as USER-tools with the
  # same password: with client ids bound to usernames, a tool using the watcher's login
  # would take over its session. They only publish plans and messages.
  mosquitto_passwd -b "$passwd" "$user-tools" "$password"
  printf '\nuser %s\ntopic write %s/+/plan\ntopic write %s/+/messages/in\n' \
    "$user-tools" "$base" "$base" >> "$acl"
  # `rehab clinic serve`'s visit relay logs in as USER-visit with the same password
  # (clinic.visit.visit_login): it reads the kiosks' visit/out and writes their visit/in.
  mosquitto_passwd -b "$passwd" "$user-visit" "$password"
  printf '\nuser %s\ntopic read %s/+/visit/out\ntopic write %s/+/visit/in\n' \
    "$user-visit" "$base" "$base" >> "$acl"
fi
# The broker drops to user mosquitto: it must be able to read both files.
chmod 0640 "$passwd" "$acl" 2>/dev/null || true
chgrp mosquitto "$passwd" "$acl" 2>/dev/null || true
echo "username = \"$user\""
echo "password = \"$password\""
if [ "$kind" = device ]; then echo "device = \"$device\""; fi
echo "clinic = \"$clinic\""
if [ -n "$broker" ]; then echo "broker = \"$broker\""; fi
if [ -n "$ca_file" ]; then echo "ca_file = \"$ca_file\""; fi
exit 0
