#!/usr/bin/env bash
# The whole suite: lint, types, then pytest on SQLite and on PostgreSQL (started here).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:$PATH"
export CLAWBACK_HOME="${CLAWBACK_HOME:-$(mktemp -d /tmp/clawback-test.XXXXXX)}"

echo "== ruff"; ruff check clawback benchmarks; ruff format --check clawback benchmarks
echo "== mypy"; mypy clawback
echo "== manage.py check / migrations"; python manage.py makemigrations --check --dry-run >/dev/null

echo "== pytest (SQLite)"
pytest -q -p no:cacheprovider "$@"

PGDIR="$(mktemp -d /tmp/clawback-pg.XXXXXX)"
PGPORT="${CLAWBACK_TEST_PGPORT:-15432}"
trap 'bash scripts/postgres.sh down "$PGDIR"; rm -rf "$PGDIR"' EXIT
DATABASE_URL="$(bash scripts/postgres.sh up "$PGDIR" "$PGPORT")"
export DATABASE_URL
echo "== pytest (PostgreSQL)"
pytest -q -p no:cacheprovider "$@"
