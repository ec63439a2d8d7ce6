#!/usr/bin/env bash
# `make loadtest`: 200 panelists across 5 studies against gunicorn (4 workers)
# on this machine's PostgreSQL, then a count of every answer in the database.
# Starts everything, prints the figures, stops everything (also on failure).
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=.venv/bin
PORT=${LOADTEST_PORT:-8765}
USERS=${LOADTEST_USERS:-200}
STUDIES=${LOADTEST_STUDIES:-5}
RATE=${LOADTEST_RATE:-2}
WORK=$(mktemp -d)
DB=delphi_load

export DATABASE_URL="postgres://postgres@127.0.0.1:5432/${DB}"
export DEBUG=0 ALLOWED_HOSTS=127.0.0.1 SECURE_SSL_REDIRECT=0 SECURE_COOKIES=0 BEHIND_TLS_PROXY=0
SECRET_KEY=$($BIN/python -c 'import secrets; print(secrets.token_urlsafe(50))')
PARTICIPANT_LINK_KEY=$($BIN/python -c 'import secrets; print(secrets.token_urlsafe(50))')
BALLOT_KEY=$($BIN/python -c 'import secrets; print(secrets.token_urlsafe(50))')
export SECRET_KEY PARTICIPANT_LINK_KEY BALLOT_KEY
export LOADTEST_ACCOUNTS="$WORK/accounts.json" LOADTEST_SENT="$WORK/sent.json" LOADTEST_FIGURES="$WORK/figures.json"

GUNICORN_PID=
cleanup() {
  [ -n "$GUNICORN_PID" ] && kill "$GUNICORN_PID" 2>/dev/null && wait "$GUNICORN_PID" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

echo "== fresh database ${DB}"
dropdb -h 127.0.0.1 -U postgres --if-exists "$DB"
createdb -h 127.0.0.1 -U postgres "$DB"
$BIN/python manage.py migrate -v0 --noinput
$BIN/python -m tests.commands tests.load.setup --studies "$((STUDIES))" --panelists "$((USERS / STUDIES))" --output "$LOADTEST_ACCOUNTS"

echo "== gunicorn, 4 workers, on 127.0.0.1:${PORT}"
$BIN/gunicorn config.wsgi --workers 4 --bind "127.0.0.1:${PORT}" --log-level warning &
GUNICORN_PID=$!
for _ in $(seq 1 50); do curl -fs -o /dev/null "http://127.0.0.1:${PORT}/accounts/login/" && break; sleep 0.2; done

echo "== locust: ${USERS} panelists, ${RATE} new per second, at most 5 minutes"
status=0
$BIN/locust -f tests/load/locustfile.py --headless --only-summary -u "$USERS" -r "$RATE" --run-time 5m \
  --host "http://127.0.0.1:${PORT}" --loglevel WARNING || status=$?

echo "== answers in the database"
verified=0
$BIN/python -m tests.commands tests.load.verify "$LOADTEST_SENT" --panelists "$USERS" || verified=$?

echo "== figures ($(nproc) cores; times in ms)"
$BIN/python - "$LOADTEST_FIGURES" <<'PY'
import json, sys
rows = json.load(open(sys.argv[1]))
print(f"{'endpoint':<12}{'requests':>9}{'errors':>8}{'p50':>7}{'p95':>7}{'p99':>7}{'req/s':>8}")
for row in rows:
    print(f"{row['name']:<12}{row['requests']:>9}{row['errors']:>8}{row['p50']:>7.0f}{row['p95']:>7.0f}{row['p99']:>7.0f}{row['rps']:>8.1f}")
total, submit = rows[-1], next(row for row in rows if row["name"] == "submit")
print(f"errors: {total['errors']}; exceptions in the scenario: {total['exceptions']}")
if total["errors"] or total["exceptions"] or submit["p95"] > 300:
    sys.exit(f"FAILED: submit p95 {submit['p95']:.0f} ms (target <= 300)")
PY
exit $(( status || verified ))
