#!/usr/bin/env bash
# A small load run against galvanid: 200 chargers provisioned with
# galvanictl charger import, galvani-sim --mode load for 15 s, latencies
# taken after a warm-up and again after SIGUSR1. Every charger boots, the
# simulator reports zero errors, and the meter values in the database are
# those the simulator had acknowledged (plus, at most, the calls still in
# flight when the run ended).
source "$(dirname "$0")/ocpp16_lib.sh"
write_config "  listeners:
    ocpp: {security_profile: 0}"
migrate
# load mode's cards are SIMTAG000000 to SIMTAG999999: all of them in the
# local list, so every transaction is Accepted and sends meter values
sql "INSERT INTO localauth_tokens (id_token) SELECT 'SIMTAG' || lpad(i::text, 6, '0') FROM generate_series(0, 999999) i" ||
    fail "cannot load the simulator's cards"
N=200
for i in $(seq 1 $N); do printf 'LOAD-%05d,0\n' "$i"; done >"$WORK/chargers.csv"
ctl charger import "$WORK/chargers.csv" >"$WORK/import.log" || fail "charger import: $(cat "$WORK/import.log")"
grep -q "^$N chargers imported: $N added" "$WORK/import.log" || fail "import: $(cat "$WORK/import.log")"
start_daemon "$WORK/galvani.yaml"

sim_bg load --url "ws://127.0.0.1:$WS_PORT/ocpp" --count $N --id-prefix LOAD- --mode load \
    --duration 15s --ramp 100 --heartbeat 5s --meter-interval 2s --tx-rate 10 --tx-duration 4s \
    --warmup 5s --report-json "$WORK/load.json"
# latencies start again once more, later than the warm-up
sleep 8
kill -USR1 "$SIM_PID"
sim_wait load "$SIM_PID"

python3 - "$WORK/load.json" $N <<'PY' >"$WORK/acked" || fail "load report: $(cat "$WORK/load.json")"
import json, sys
r = json.load(open(sys.argv[1]))
n = int(sys.argv[2])
assert r["connections_held"] == n, ("held", r["connections_held"])
assert r["boots_accepted"] >= n, ("boots", r["boots_accepted"])
assert r["errors_total"] == 0, r["errors"]
a = r["actions"]
assert a["StartTransaction"]["answered"] > 20, a["StartTransaction"]
assert a["MeterValues"]["answered"] > 0, a["MeterValues"]
# --warmup 5s, then SIGUSR1 after about 8 s: the boots, all within the 2 s
# ramp, have no latency sample; the meter values sent later have
assert 7 < r["latency_after_s"] < 12, r["latency_after_s"]
assert a["BootNotification"]["latency_ms"]["max"] == 0, a["BootNotification"]
assert a["MeterValues"]["latency_ms"]["p50"] > 0, a["MeterValues"]
for name, x in a.items():
    assert x.get("callerrors", 0) == 0, (name, x)
print(a["MeterValues"]["answered"], a["StartTransaction"]["answered"], a["StopTransaction"]["answered"])
PY
read -r MV ST SP <"$WORK/acked"
expect_sql "SELECT count(*) FROM glv_chargers WHERE identity LIKE 'LOAD-%' AND vendor IS NOT NULL" $N
# calls in flight when the run ended may have been committed without their
# answer reaching the simulator: they are the only allowed surplus
P=$(sed -n 's/^ *calls still waiting for an answer at the end: \([0-9]*\)$/\1/p' "$WORK/sim-load.log")
P=${P:-0}
# expect_acked WHAT ACKED SQL: ACKED <= count <= ACKED + P
expect_acked() {
    local got
    got=$(sql "$3") || fail "query failed: $3"
    [ "$got" -ge "$2" ] && [ "$got" -le $(($2 + P)) ] ||
        fail "$1: $got in the database, $2 acknowledged, $P calls in flight at the end"
}
expect_acked "transactions" "$ST" "SELECT count(*) FROM ocpp16_transactions"
expect_acked "stopped transactions" "$SP" "SELECT count(*) FROM ocpp16_transactions WHERE stopped_at IS NOT NULL"
# one Energy.Active.Import.Register sample per acknowledged MeterValues
expect_acked "meter values" "$MV" "SELECT count(*) FROM ocpp16_meter_values WHERE context = 'Sample.Periodic' AND measurand = 'Energy.Active.Import.Register'"
expect_sql "SELECT count(*) = count(DISTINCT (charger, connector_id, transaction_id, sampled_at, measurand, phase, location, context)) FROM ocpp16_meter_values" t
stop_daemon
echo "ok: $N chargers, $MV meter values, $ST transactions, $P calls in flight at the end"
