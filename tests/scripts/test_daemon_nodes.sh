#!/usr/bin/env bash
# Two galvanid nodes on one machine behind one WebSocket port and one HTTP
# port (reuse_port): without reuse_port the second refuses to start; with it
# the kernel spreads 40 galvani-sim chargers over both, each node answers on
# the shared HTTP port, a command sent through either node reaches a charger
# held by the other, a node id in use is refused, and the chargers of a node
# that stops come back on the other one.
source "$(dirname "$0")/ocpp16_lib.sh"
SHARED_HTTP=$(free_port)
HTTP_B=$(free_port)
HTTP_C=$(free_port)
N=40
NODE_PIDS=()
ctl() { "$GALVANICTL" -c "$WORK/a.yaml" "$@"; }
trap 'for p in "${NODE_PIDS[@]}"; do kill -KILL "$p" 2>/dev/null || true; done; sim_cleanup; drop_schema; cleanup' EXIT

# node_config FILE HTTP-PORTS REUSE-PORT [NODE-ID]: the plain listener on
# $WS_PORT and HTTP on the given ports of 127.0.0.1.
node_config() {
    local listen port
    listen=$(for port in $2; do printf '"127.0.0.1:%s", ' "$port"; done)
    cat >"$1" <<YAML
galvani:
  log_level: info
${4:+  node_id: "$4"}
  plugins:
    - name: localauth
    - name: ocpp16
    - name: ocpp16_probe
database:
  conninfo: "$CONNINFO"
  pool_size: 2
http:
  listen: [${listen%, }]
  reuse_port: $3
websocket:
  ping_interval: 0
  listeners:
    - name: ocpp
      address: "127.0.0.1:$WS_PORT"
      reuse_port: $3
ocpp16:
  listeners:
    ocpp: {security_profile: 0}
YAML
}

# start_node NAME PRIVATE-HTTP-PORT: runs galvanid -c $WORK/NAME.yaml, waits
# for /healthz on the private port; NODE_PID is its pid.
start_node() {
    "$GALVANID" -c "$WORK/$1.yaml" >"$WORK/$1.log" 2>&1 &
    NODE_PID=$!
    NODE_PIDS+=("$NODE_PID")
    for _ in $(seq 1 200); do
        curl -fsS "http://127.0.0.1:$2/healthz" >/dev/null 2>&1 && return 0
        kill -0 "$NODE_PID" 2>/dev/null || fail "node $1 exited during start-up: $(tail -n 5 "$WORK/$1.log")"
        sleep 0.05
    done
    fail "node $1 did not become healthy"
}

# refused NAME EXPECTED-TEXT: galvanid -c $WORK/NAME.yaml exits 1 at start
# and says EXPECTED-TEXT.
refused() {
    local rc=0
    timeout 20 "$GALVANID" -c "$WORK/$1.yaml" >"$WORK/$1.log" 2>&1 || rc=$?
    [ "$rc" -eq 1 ] || fail "node $1 exited $rc, expected 1: $(tail -n 5 "$WORK/$1.log")"
    grep -q -- "$2" "$WORK/$1.log" || fail "node $1: no '$2' in: $(cat "$WORK/$1.log")"
}


node_of() { curl -fsS "http://127.0.0.1:$1/healthz" | json_get "d['node']"; }

# command PORT IDENTITY: trigger Heartbeat through the node on PORT.
command() {
    curl -fsS -X POST --data '{"requestedMessage": "Heartbeat"}' \
        "http://127.0.0.1:$1/test/ocpp16/command/$2/trigger" || fail "command to $2 through port $1"
}

node_config "$WORK/a.yaml" "$SHARED_HTTP $HTTP_PORT" false
migrate
for i in $(seq -f "%03g" 1 $N); do echo "NODE-$i"; done >"$WORK/chargers.csv"
ctl charger import "$WORK/chargers.csv" >/dev/null || fail "charger import"

# Without reuse_port a second process cannot bind the addresses, HTTP nor
# WebSocket.
start_node a "$HTTP_PORT"
node_config "$WORK/b.yaml" "$SHARED_HTTP $HTTP_B" false
refused b "http.listen: cannot listen on 127.0.0.1:$SHARED_HTTP: Address already in use"
node_config "$WORK/b.yaml" "$HTTP_B" false
refused b "websocket: listener ocpp: cannot listen on 127.0.0.1:$WS_PORT: Address already in use"
grep -q "reuse_port: true" "$WORK/b.log" || fail "the refusal does not name reuse_port: $(cat "$WORK/b.log")"
# nor with reuse_port while the first holds the address without it
node_config "$WORK/b.yaml" "$HTTP_B" true
refused b "cannot listen on 127.0.0.1:$WS_PORT: Address already in use"
stop_pid "$NODE_PID"
NODE_PIDS=()

# With reuse_port both listen on the same HTTP and WebSocket addresses.
node_config "$WORK/a.yaml" "$SHARED_HTTP $HTTP_PORT" true
node_config "$WORK/b.yaml" "$SHARED_HTTP $HTTP_B" true
start_node a "$HTTP_PORT"
PID_A=$NODE_PID
start_node b "$HTTP_B"
PID_B=$NODE_PID
NODE_A=$(node_of "$HTTP_PORT")
NODE_B=$(node_of "$HTTP_B")
[ -n "$NODE_A" ] && [ "$NODE_A" != "$NODE_B" ] || fail "node ids '$NODE_A' and '$NODE_B'"
grep -q "listener ocpp on 127.0.0.1:$WS_PORT (port $WS_PORT, ws, reuse_port)" "$WORK/b.log" ||
    fail "node b does not log its reuse_port listener"

# One process per node id: a third one with node a's id is refused.
node_config "$WORK/c.yaml" "$SHARED_HTTP $HTTP_C" true "$NODE_A"
refused c "node id \"$NODE_A\" is in use"

# The shared HTTP port reaches both nodes.
seen=$(for _ in $(seq 1 40); do node_of "$SHARED_HTTP"; done | sort -u | tr '\n' ' ')
[ "$seen" = "$NODE_A $NODE_B " ] || [ "$seen" = "$NODE_B $NODE_A " ] ||
    fail "the shared HTTP port answered from: $seen"

# 40 chargers on the shared WebSocket port: both nodes hold some.
sim_bg load --url "ws://127.0.0.1:$WS_PORT/ocpp" --count $N --id-prefix NODE- --id-width 3 \
    --mode load --ramp 100 --duration 60s --heartbeat 30s --reconnect 200ms,1s -q
SIMP=$SIM_PID
wait_sql "SELECT count(*) FROM glv_charger_connections" "$N" 30
held_a=$(sql "SELECT count(*) FROM glv_charger_connections WHERE node = '$NODE_A'")
held_b=$(sql "SELECT count(*) FROM glv_charger_connections WHERE node = '$NODE_B'")
echo "node a holds $held_a chargers, node b $held_b"
[ "$held_a" -gt 0 ] && [ "$held_b" -gt 0 ] && [ $((held_a + held_b)) -eq $N ] ||
    fail "chargers per node: a $held_a, b $held_b"
metric() { curl -fsS "http://127.0.0.1:$1/metrics" | awk '$1 == "ws_connections" {print $2}'; }
[ "$(metric "$HTTP_PORT")" = "$held_a" ] || fail "node a's ws_connections: $(metric "$HTTP_PORT")"
[ "$(metric "$HTTP_B")" = "$held_b" ] || fail "node b's ws_connections: $(metric "$HTTP_B")"

# A command sent through one node reaches a charger held by the other.
ON_B=$(sql "SELECT min(identity) FROM glv_charger_connections WHERE node = '$NODE_B'")
ON_A=$(sql "SELECT min(identity) FROM glv_charger_connections WHERE node = '$NODE_A'")
out=$(command "$HTTP_PORT" "$ON_B")
[ "$(json_get "d['result']" <<<"$out")" = "{'status': 'Accepted'}" ] || fail "a → $ON_B: $out"
out=$(command "$HTTP_B" "$ON_A")
[ "$(json_get "d['result']" <<<"$out")" = "{'status': 'Accepted'}" ] || fail "b → $ON_A: $out"
expect_sql "SELECT string_agg(identity || ':' || (origin_node = '$NODE_A') || ':' || (target_node = '$NODE_B') || ':' || status, ',' ORDER BY id) FROM glv_charger_commands" \
    "$ON_B:true:true:succeeded,$ON_A:false:false:succeeded"

# Node b stops: its chargers reconnect through the same port to node a.
stop_pid "$PID_B"
wait_sql "SELECT count(*) FROM glv_charger_connections WHERE node = '$NODE_A'" "$N" 30
out=$(command "$HTTP_PORT" "$ON_B")
[ "$(json_get "d['result']" <<<"$out")" = "{'status': 'Accepted'}" ] || fail "a → $ON_B after b stopped: $out"
kill "$SIMP" 2>/dev/null || true
wait "$SIMP" 2>/dev/null || true
stop_pid "$PID_A"
NODE_PIDS=()
echo "ok"
