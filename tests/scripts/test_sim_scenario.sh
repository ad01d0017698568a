#!/usr/bin/env bash
# galvani-sim against the plain-Python OCPP 1.6 test server: a scripted
# scenario with CSMS-initiated calls, offline queueing across a dropped
# connection (order and unchanged payloads checked in the server log), a
# resend after a lost answer, Basic auth, and a small load run.
set -euo pipefail
SRC="${GLV_SOURCE_DIR:?}"
SIM="${GLV_BUILD_DIR:?}/tools/galvani-sim/galvani-sim"
[ -x "$SIM" ] || { echo "galvani-sim not built: $SIM" >&2; exit 1; }
work=$(mktemp -d)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT

start_server() { # name args...
    local name=$1
    shift
    python3 "$SRC/tests/scripts/sim_test_server.py" --port-file "$work/$name.port" \
        --log "$work/$name.jsonl" "$@" &
    pids+=($!)
    for _ in $(seq 50); do [ -s "$work/$name.port" ] && break; sleep 0.1; done
    [ -s "$work/$name.port" ] || { echo "test server $name did not start" >&2; exit 1; }
}

start_server main --fragment
PORT=$(cat "$work/main.port")
URL="ws://127.0.0.1:$PORT/ocpp"

echo "== scenario: charger calls and CSMS-initiated calls"
cat >"$work/calls.txt" <<'SCEN'
connect
boot expect Accepted
status 0 Available
status 1 Available
status 2 Available
authorize DEMO-RFID-1 expect Accepted
authorize BAD-RFID expect Invalid
start 1 DEMO-RFID-1 meter 1000 expect Accepted
meter 1 every 200ms for 3
data-transfer galvani.test call '["RemoteStartTransaction",{"connectorId":2,"idTag":"REMOTE-1"}]' expect Accepted
expect-call RemoteStartTransaction within 5s
data-transfer galvani.test call '["ChangeConfiguration",{"key":"HeartbeatInterval","value":"30"}]' expect Accepted
expect-call ChangeConfiguration within 5s
data-transfer galvani.test call '["GetConfiguration",{"key":["HeartbeatInterval","NoSuchKey"]}]' expect Accepted
expect-call GetConfiguration within 5s
data-transfer galvani.test call '["TriggerMessage",{"requestedMessage":"StatusNotification","connectorId":1}]' expect Accepted
expect-call TriggerMessage within 5s
data-transfer galvani.test call '["NoSuchCall",{}]' expect Accepted
expect-call NoSuchCall within 5s
stop 1 meter 2500 reason Local expect Accepted
send-raw '[2,"raw-1","NoSuchAction",{}]'
expect-error NotImplemented within 5s
send-raw 'this is not json'
expect-error FormationViolation within 5s
heartbeat
flush
data-transfer galvani.test call '["Reset",{"type":"Soft"}]' expect Accepted
expect-call Reset within 5s
wait 3s
SCEN
"$SIM" --url "$URL" --id DEMO-CP-1 --scenario "$work/calls.txt" -q

python3 - "$work/main.jsonl" <<'PY'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1]) if '"DEMO-CP-1"' in l]
def calls(direction, action):
    return [r for r in recs if r["dir"] == direction and isinstance(r["frame"], list)
            and r["frame"][0] == 2 and r["frame"][2] == action]
def answer_to(msg_id):
    for r in recs:
        f = r["frame"]
        if r["dir"] == "in" and isinstance(f, list) and f[0] in (3, 4) and f[1] == msg_id:
            return f
    raise SystemExit("no answer to " + msg_id)
rs = calls("out", "RemoteStartTransaction")[0]
assert answer_to(rs[ "frame"][1])[2] == {"status": "Accepted"}
starts = [c["frame"][3] for c in calls("in", "StartTransaction")]
assert any(s["connectorId"] == 2 and s["idTag"] == "REMOTE-1" for s in starts), starts
cc = calls("out", "ChangeConfiguration")[0]
assert answer_to(cc["frame"][1])[2] == {"status": "Accepted"}
gc = answer_to(calls("out", "GetConfiguration")[0]["frame"][1])[2]
assert gc["configurationKey"][0] == {"key": "HeartbeatInterval", "readonly": False, "value": "30"}, gc
assert gc["unknownKey"] == ["NoSuchKey"], gc
nc = answer_to(calls("out", "NoSuchCall")[0]["frame"][1])
assert nc[0] == 4 and nc[2] == "NotImplemented", nc
boots = calls("in", "BootNotification")
assert len(boots) == 2 and boots[1]["conn"] != boots[0]["conn"], "Reset must reboot: reconnect + boot"
mv = calls("in", "MeterValues")
assert len(mv) >= 3
for m in mv[:3]:
    names = [s["measurand"] for s in m["frame"][3]["meterValue"][0]["sampledValue"]]
    assert names == ["Energy.Active.Import.Register", "Power.Active.Import", "Current.Import",
                     "Voltage", "SoC"], names
print("calls scenario: server log checks passed")
PY

echo "== scenario: offline queueing and resend after a lost answer"
cat >"$work/offline.txt" <<'SCEN'
connect
boot expect Accepted
start 1 OFFLINE-TAG meter 5000 expect Accepted
meter 1 every 200ms for 2
drop
meter 1 every 300ms for 3
stop 1 meter 6000 reason Local expect Accepted
wait 500ms
reconnect
flush within 10s
drop-after-send StartTransaction
start 2 RESEND-TAG meter 100 expect Accepted
reconnect
flush within 10s
stop 2 meter 200 expect Accepted
SCEN
"$SIM" --url "$URL" --id OFF-CP-1 --scenario "$work/offline.txt" -q

python3 - "$work/main.jsonl" <<'PY'
import json, sys, datetime
recs = [json.loads(l) for l in open(sys.argv[1]) if '"OFF-CP-1"' in l]
ins = [r for r in recs if r["dir"] == "in" and isinstance(r["frame"], list) and r["frame"][0] == 2]
conns = sorted({r["conn"] for r in ins})
assert len(conns) == 3, conns
def ts(s):
    return datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc).timestamp()
first = [r for r in ins if r["conn"] == conns[0]]
second = [r for r in ins if r["conn"] == conns[1]]
actions = [r["frame"][2] for r in second]
# the queued transaction messages come first, in the order they happened:
# the three MeterValues taken offline, then the stop; before them, at
# most the last online MeterValues when the drop came before its answer,
# sent again unchanged
n = actions.index("StopTransaction")
assert n >= 3 and actions[:n] == ["MeterValues"] * n, actions
early = second[:n - 3]
assert len(early) <= 1, actions
for r in early:
    assert any(f["frame"][2:] == r["frame"][2:] for f in first), r
offline = second[n - 3:n]
start_answer = [r for r in recs if r["dir"] == "out" and r["frame"][0] == 3 and "transactionId" in r["frame"][2]][0]
txid = start_answer["frame"][2]["transactionId"]
stamps = []
for r in offline:
    p = r["frame"][3]
    assert p["transactionId"] == txid, p
    stamps.append(ts(p["meterValue"][0]["timestamp"]))
stop = second[n]["frame"][3]
assert stop["transactionId"] == txid and stop["meterStop"] == 6000, stop
# original timestamps: taken while offline, ~300 ms apart, before the reconnect
assert stamps == sorted(stamps) and stamps[2] - stamps[0] > 0.45, stamps
assert ts(stop["timestamp"]) < second[0]["t"] - 0.3, (stop["timestamp"], second[0]["t"])
# the StartTransaction whose answer was lost is resent unchanged
st = [r for r in ins if r["frame"][2] == "StartTransaction" and r["frame"][3]["idTag"] == "RESEND-TAG"]
assert len(st) == 2 and st[0]["conn"] != st[1]["conn"], st
assert st[0]["frame"] == st[1]["frame"], (st[0]["frame"], st[1]["frame"])
print("offline scenario: order, original timestamps and identical resend verified")
PY

echo "== scenario: failing expectation gives exit 1 and the line"
printf 'connect\nboot expect Rejected\n' >"$work/fail.txt"
if "$SIM" --url "$URL" --id FAIL-CP --scenario "$work/fail.txt" -q >"$work/fail.out"; then
    echo "expected a failure" >&2; exit 1
fi
grep -q "FAIL line 2: BootNotification: expected Rejected, got Accepted" "$work/fail.out"

echo "== security profile 1: Basic auth"
start_server auth --password 'sixteen-char-pass'
APORT=$(cat "$work/auth.port")
printf 'connect\nboot expect Accepted\n' >"$work/auth_ok.txt"
"$SIM" --url "ws://127.0.0.1:$APORT/ocpp" --id AUTH-CP --password 'sixteen-char-pass' \
    --scenario "$work/auth_ok.txt" -q
printf 'connect expect rejected\n' >"$work/auth_bad.txt"
"$SIM" --url "ws://127.0.0.1:$APORT/ocpp" --id AUTH-CP --password 'wrong-password-1234' \
    --scenario "$work/auth_bad.txt" -q

echo "== load: 200 chargers, 10 s"
"$SIM" --url "$URL" --count 200 --id-prefix LOAD- --mode load --duration 10s --ramp 200 \
    --heartbeat 2s --meter-interval 2s --tx-rate 20 --tx-duration 4s --report-json "$work/load.json"
python3 - "$work/load.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
assert r["connections_held"] == 200, r["connections_held"]
assert r["boots_accepted"] >= 200, r["boots_accepted"]
assert r["errors_total"] == 0, r["errors"]
assert r["actions"]["StartTransaction"]["answered"] > 50, r["actions"]["StartTransaction"]
assert r["actions"]["MeterValues"]["answered"] > 0
print("load: 200 held, %d boots, 0 errors" % r["boots_accepted"])
PY
echo "sim scenario tests passed"
