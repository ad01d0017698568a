# Shared set-up of the ocpp16 transport tests (sourced): a private schema in
# the test PostgreSQL, a configuration with the ocpp16, localauth and
# ocpp16_probe plugins, migrations, and a Python charge point
# (tests/scripts/ocpp16_client.py).
source "$(dirname "${BASH_SOURCE[0]}")/daemon_lib.sh"
: "${GLV_TEST_PG:?GLV_TEST_PG is not set: eval \"\$(tools/pg-private env DIR)\" first}"
export GLV_PLUGIN_PATH=${GLV_PLUGIN_BUILD_DIR:?}:${GLV_TEST_PLUGIN_DIR:?}
export PYTHONPATH=$GLV_SOURCE_DIR/tests/scripts${PYTHONPATH:+:$PYTHONPATH}
SCHEMA=ocpp16_$$_$RANDOM
HTTP_PORT=$(free_port)
WS_PORT=$(free_port)
WSS_PORT=$(free_port)
WSS3_PORT=$(free_port)
CONNINFO="$GLV_TEST_PG options=-csearch_path=$SCHEMA"
psql "$GLV_TEST_PG" -X -q -v ON_ERROR_STOP=1 -c "CREATE SCHEMA $SCHEMA" >/dev/null ||
    fail "cannot create schema $SCHEMA"
drop_schema() {
    psql "$GLV_TEST_PG" -X -q -c "DROP SCHEMA IF EXISTS $SCHEMA CASCADE" >/dev/null 2>&1 || true
}
trap 'drop_schema; cleanup' EXIT

sql() { psql "$CONNINFO" -X -qAt -v ON_ERROR_STOP=1 -c "$1"; }
ctl() { "$GALVANICTL" -c "$WORK/galvani.yaml" "$@"; }

# expect_sql SQL EXPECTED
expect_sql() {
    local got
    got=$(sql "$1") || fail "query failed: $1"
    [ "$got" = "$2" ] || fail "$1: got '$got', expected '$2'"
}

# write_config [EXTRA-OCPP16-YAML-LINES] [EXTRA-LISTENER-YAML]: the plain
# listener "ocpp" on $WS_PORT with profile 1 unless the extra lines say more.
write_config() {
    local extra=${1:-} listeners=${2:-}
    cat >"$WORK/galvani.yaml" <<YAML
galvani:
  log_level: info
  hook_timeout: 2s
  plugins:
    - name: localauth
    - name: ocpp16
    - name: ocpp16_probe
database:
  conninfo: "$CONNINFO"
  pool_size: 4
http:
  listen: ["127.0.0.1:$HTTP_PORT"]
websocket:
  ping_interval: 0
  listeners:
    - name: ocpp
      address: "127.0.0.1:$WS_PORT"
$listeners
ocpp16:
$extra
YAML
}

migrate() { ctl db migrate >"$WORK/migrate.log" 2>&1 || fail "db migrate: $(cat "$WORK/migrate.log")"; }

# py SCRIPT: runs Python with the client module imported as `c` and
# WS_PORT, HTTP_PORT, WSS_PORT, WSS3_PORT, WORK in scope.
py() {
    python3 - "$@" <<PY || fail "python step failed (see above)"
import json, os, sys, time, urllib.request
import ocpp16_client as c
WS_PORT, HTTP_PORT, WSS_PORT, WSS3_PORT = $WS_PORT, $HTTP_PORT, $WSS_PORT, $WSS3_PORT
WORK = "$WORK"
def http(method, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request("http://127.0.0.1:%d%s" % (HTTP_PORT, path), data=data, method=method)
    with urllib.request.urlopen(req, timeout=60) as r:
        return json.loads(r.read().decode())
def events():
    return http("GET", "/test/ocpp16/events")
def expect(cond, what):
    if not cond:
        print("FAIL: " + what, file=sys.stderr)
        sys.exit(1)
$(cat)
PY
}
