#!/usr/bin/env bash
# Everything Clawback needs on a fresh Debian 12 (root): system packages, a venv, the project.
#   scripts/bootstrap.sh            # runtime + test dependencies
# Idempotent: checks before installing, so a prepared machine skips the network.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v dovecot >/dev/null 2>&1 || need+=(dovecot-imapd dovecot-managesieved dovecot-sieve dovecot-lmtpd)
dpkg -s dovecot-imapd dovecot-lmtpd dovecot-managesieved dovecot-sieve >/dev/null 2>&1 || need+=(dovecot-imapd dovecot-managesieved dovecot-sieve dovecot-lmtpd)
[ -x /usr/lib/postgresql/15/bin/initdb ] || need+=(postgresql)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || need+=(python3-venv)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "missing system packages: ${need[*]} (run as root, or install them)" >&2; exit 1
  fi
  echo "installing: ${need[*]}"
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${need[@]}"
fi
# Debian's packages start nothing here (no systemd); the suite starts private instances.

PY="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
stamp=.venv/.installed-$(sha256sum pyproject.toml | cut -c1-16)
if [ ! -f "$stamp" ]; then
  .venv/bin/pip install -q --upgrade pip
  .venv/bin/pip install -q -e '.[dev]'
  rm -f .venv/.installed-*
  touch "$stamp"
fi
