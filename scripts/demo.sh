#!/usr/bin/env bash
# The demo: a demo organisation on the embedded default (SQLite + Maildir), a worker, the web UI.
set -euo pipefail
cd "$(dirname "$0")/.."
export CLAWBACK_HOME="${CLAWBACK_HOME:-$PWD/var}"
.venv/bin/clawback demo "$@"
.venv/bin/clawback worker >"$CLAWBACK_HOME/worker.log" 2>&1 &
WORKER=$!
trap 'kill $WORKER 2>/dev/null || true' EXIT INT TERM
echo "worker running (pid $WORKER, log $CLAWBACK_HOME/worker.log); web UI on http://127.0.0.1:8000/ (Ctrl-C stops both)"
.venv/bin/clawback serve --host 127.0.0.1 --port 8000
