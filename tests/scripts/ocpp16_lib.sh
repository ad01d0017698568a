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

# security_listeners CN OTHER-CN: TLS material in $TLS ($WORK/tls): a test
# CA and a foreign one, a server certificate for 127.0.0.1, client
# certificates CN.pem and OTHER-CN.pem from the test CA and rogue.pem (CN
# again) from the foreign one; then the configuration with three listeners,
# ocpp (profile 1) on $WS_PORT, ocpp-tls (profile 2) on $WSS_PORT and
# ocpp-mtls (profile 3, client certificates required) on $WSS3_PORT.
TLS=$WORK/tls
security_listeners() {
    local cn=$1 other=$2
    mkdir -p "$TLS"
    (
        cd "$TLS"
        K='-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes'
        openssl req -x509 $K -keyout ca.key -out ca.pem -days 2 -subj /CN=galvani-test-ca
        openssl req -x509 $K -keyout rca.key -out rca.pem -days 2 -subj /CN=other-ca
        printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' >server.ext
        openssl req $K -keyout server.key -out server.csr -subj /CN=localhost
        openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 2 -extfile server.ext
        for c in "$cn" "$other"; do
            openssl req $K -keyout "$c.key" -out "$c.csr" -subj "/CN=$c"
            openssl x509 -req -in "$c.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -out "$c.pem" -days 2
        done
        openssl req $K -keyout rogue.key -out rogue.csr -subj "/CN=$cn"
        openssl x509 -req -in rogue.csr -CA rca.pem -CAkey rca.key -CAcreateserial -out rogue.pem -days 2
    ) >/dev/null 2>&1 || fail "openssl could not make the test certificates"
    write_config "  listeners:
    ocpp: {security_profile: 1}
    ocpp-tls: {security_profile: 2}
    ocpp-mtls: {security_profile: 3}" "    - name: ocpp-tls
      address: \"127.0.0.1:$WSS_PORT\"
      tls: {certificate: \"$TLS/server.pem\", key: \"$TLS/server.key\"}
    - name: ocpp-mtls
      address: \"127.0.0.1:$WSS3_PORT\"
      tls:
        certificate: \"$TLS/server.pem\"
        key: \"$TLS/server.key\"
        client_ca: \"$TLS/ca.pem\"
        client_certificates: required"
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

# ---- galvani-sim against galvanid ----
SIM=$GLV_BUILD_DIR/tools/galvani-sim/galvani-sim
SCENARIOS=$GLV_SOURCE_DIR/tests/scenarios
SIM_PIDS=()
sim_cleanup() {
    local p
    for p in "${SIM_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
}
trap 'sim_cleanup; drop_schema; cleanup' EXIT

# sim NAME ARGS...: runs galvani-sim to the end (log in $WORK/sim-NAME.log);
# fails the test with the log's tail when it exits non-zero.
sim() {
    local name=$1 rc=0
    shift
    "$SIM" "$@" >"$WORK/sim-$name.log" 2>&1 || rc=$?
    if [ "$rc" -ne 0 ]; then
        echo "--- galvani-sim $name (exit $rc):" >&2
        tail -n 40 "$WORK/sim-$name.log" >&2
        fail "galvani-sim $name exited $rc"
    fi
}

# sim_bg NAME ARGS...: starts galvani-sim in the background; SIM_PID is its pid.
sim_bg() {
    local name=$1
    shift
    "$SIM" "$@" >"$WORK/sim-$name.log" 2>&1 &
    SIM_PID=$!
    SIM_PIDS+=("$SIM_PID")
}

# sim_wait NAME PID: waits for a background galvani-sim, fails unless it exits 0.
sim_wait() {
    local rc=0
    wait "$2" || rc=$?
    if [ "$rc" -ne 0 ]; then
        echo "--- galvani-sim $1 (exit $rc):" >&2
        tail -n 40 "$WORK/sim-$1.log" >&2
        fail "galvani-sim $1 exited $rc"
    fi
}

# wait_sql SQL EXPECTED [SECONDS]: polls until the query answers EXPECTED.
wait_sql() {
    local deadline=$((SECONDS + ${3:-20})) got=
    while [ "$SECONDS" -lt "$deadline" ]; do
        got=$(sql "$1" 2>/dev/null) || got=
        [ "$got" = "$2" ] && return 0
        sleep 0.1
    done
    fail "$1: got '$got', expected '$2' within ${3:-20} s"
}

# send_command IDENTITY COMMAND JSON-ARGS: command_send through ocpp16_probe;
# prints the {"result", "error"} answer.
send_command() {
    curl -fsS -X POST --data "$3" "http://127.0.0.1:$HTTP_PORT/test/ocpp16/command/$1/$2" ||
        fail "command $2 to $1: HTTP request failed"
}

# wait_events PYTHON-EXPR EXPECTED [SECONDS]: polls /test/ocpp16/events
# (d = the answer) until the expression prints EXPECTED.
wait_events() {
    local deadline=$((SECONDS + ${3:-20})) got=
    while [ "$SECONDS" -lt "$deadline" ]; do
        got=$(curl -fsS "http://127.0.0.1:$HTTP_PORT/test/ocpp16/events" 2>/dev/null |
            python3 -c "import json,sys; d=json.load(sys.stdin); c=d['counts']; print($1)" 2>/dev/null) || got=
        [ "$got" = "$2" ] && return 0
        sleep 0.1
    done
    fail "events: $1 is '$got', expected '$2' within ${3:-20} s"
}

# json_get PYTHON-EXPR: evaluates the expression on the JSON of stdin (d).
json_get() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
