#!/usr/bin/env bash
# galvanid with PostgreSQL: -t and start refuse an unmigrated database with
# the command to run; galvanictl db migrate fixes it; /healthz follows the
# database; SIGKILL and restart come back healthy.
source "$(dirname "$0")/daemon_lib.sh"
: "${GLV_TEST_PG:?start the private PostgreSQL (tools/dev test does)}"
export GLV_PLUGIN_PATH=${GLV_PLUGIN_BUILD_DIR:?}
SCHEMA=glv_daemon_db_$$
psql "$GLV_TEST_PG" -qc "SET client_min_messages = warning; DROP SCHEMA IF EXISTS $SCHEMA CASCADE; CREATE SCHEMA $SCHEMA" || fail "create schema"
trap 'psql "$GLV_TEST_PG" -qc "DROP SCHEMA IF EXISTS $SCHEMA CASCADE" >/dev/null 2>&1; cleanup' EXIT
HTTP_PORT=$(free_port)
WS_PORT=$(free_port)
cat >"$WORK/galvani.yaml" <<YAML
galvani:
  plugins:
    - name: tariff-ocpi
database:
  conninfo: "$GLV_TEST_PG options='-csearch_path=$SCHEMA'"
  pool_size: 2
http: {listen: ["127.0.0.1:$HTTP_PORT"]}
websocket: {listeners: [{name: ocpp, address: "127.0.0.1:$WS_PORT"}]}
YAML

if out=$("$GALVANID" -t -c "$WORK/galvani.yaml" 2>&1); then fail "-t accepted an empty database"; fi
grep -q "run \`galvanictl db migrate\`" <<<"$out" || fail "-t did not say what to run: $out"
if out=$(timeout 20 "$GALVANID" -c "$WORK/galvani.yaml" 2>&1); then fail "galvanid started on an empty database"; fi
grep -q "galvanictl db migrate" <<<"$out" || fail "start refusal: $out"

out=$("$GALVANICTL" -c "$WORK/galvani.yaml" db migrate) || fail "migrate: $out"
grep -q "applied core migration 1" <<<"$out" || fail "migrate output: $out"
out=$("$GALVANICTL" -c "$WORK/galvani.yaml" db migrate) || fail "second migrate: $out"
grep -q "database is up to date" <<<"$out" || fail "second migrate output: $out"
"$GALVANID" -t -c "$WORK/galvani.yaml" | grep -q "database: reachable, schema up to date" || fail "-t after migrate"

start_daemon "$WORK/galvani.yaml"
expect_json "http://127.0.0.1:$HTTP_PORT/healthz" "d['status']" ok
kill -KILL "$DAEMON_PID"
wait "$DAEMON_PID" 2>/dev/null || true
DAEMON_PID=
start_daemon "$WORK/galvani.yaml"
expect_json "http://127.0.0.1:$HTTP_PORT/healthz" "d['status']" ok
stop_daemon
echo "daemon with database: all checks passed"
