#!/usr/bin/env bash
# Install the Debian packages a target needs, only when something is missing.
# Usage: scripts/system-deps.sh run|test
# Works as root or through sudo on Debian / Raspberry Pi OS Bookworm.
set -euo pipefail
target="${1:-run}"

# package:probe pairs; the probe is a command or an absolute file path.
need_run=(
  "python3-venv:python3-venv-probe"
)
need_test=()
# Each part adds its packages in scripts/system-deps.d/{run,test} (need_run+=/need_test+=).
for part in run "$target"; do [ -f "$(dirname "$0")/system-deps.d/$part" ] || continue
  # shellcheck disable=SC1090
  source "$(dirname "$0")/system-deps.d/$part"
done

missing=()
probe_ok() {
  local probe="$1"
  case "$probe" in
    python3-venv-probe) python3 -c 'import ensurepip, venv' >/dev/null 2>&1 ;;
    /*) [ -e "$probe" ] ;;
    *) command -v "$probe" >/dev/null 2>&1 ;;
  esac
}
list=("${need_run[@]}")
if [ "$target" = test ]; then list+=("${need_test[@]}"); fi
for pair in "${list[@]}"; do
  pkg="${pair%%:*}"; probe="${pair#*:}"
  probe_ok "$probe" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "installing Debian packages: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
