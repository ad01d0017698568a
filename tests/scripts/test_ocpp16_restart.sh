#!/usr/bin/env bash
# galvanid killed with SIGKILL in the middle of a transaction and started
# again: every message the charger got an answer for is in the database,
# and after the charger resends what was unanswered (and, as chargers do,
# some that were answered) nothing is stored twice and the transaction keeps
# its transactionId.
source "$(dirname "$0")/ocpp16_lib.sh"
write_config "  listeners:
    ocpp: {security_profile: 0}"
migrate
ctl charger add CP-K --profile 0 >/dev/null || fail "charger add"
ctl token add TAG-K --status Accepted >/dev/null || fail "token add"
start_daemon "$WORK/galvani.yaml"

cat >"$WORK/plan.py" <<'PY'
def meter(tx, i):
    return {"connectorId": 1, "transactionId": tx, "meterValue": [{
        "timestamp": "2024-06-01T08:%02d:%02dZ" % (i // 60, i % 60),
        "sampledValue": [{"value": str(1000 + 10 * i), "unit": "Wh"},
                         {"value": "11000", "measurand": "Power.Active.Import", "unit": "W"}]}]}
START = {"connectorId": 1, "idTag": "TAG-K", "meterStart": 1000, "timestamp": "2024-06-01T08:00:00Z"}
N = 40
PY
DPID=$DAEMON_PID py <<'PY'
import signal
exec(open(WORK + "/plan.py").read())
cp = c.ChargePoint(WS_PORT, "CP-K")
cp.result("BootNotification", c.boot_payload())
tx = cp.result("StartTransaction", START)["transactionId"]
acked = 0
for i in range(N):
    if i == 25:
        # the charger sends and the server dies before or after committing it
        cp.send_text(json.dumps([2, "m-%d" % i, "MeterValues", meter(tx, i)]))
        os.kill(int(os.environ["DPID"]), signal.SIGKILL)
        break
    cp.result("MeterValues", meter(tx, i))
    acked = i + 1
open(WORK + "/state", "w").write("%d %d\n" % (tx, acked))
PY
wait "$DAEMON_PID" 2>/dev/null || true
DAEMON_PID=
read -r TX ACKED <"$WORK/state"
[ "$ACKED" -eq 25 ] || fail "expected 25 answered meter values before the kill, got $ACKED"
# every answered message is there
expect_sql "SELECT count(DISTINCT sampled_at) >= $ACKED FROM ocpp16_meter_values WHERE transaction_id = $TX" t
expect_sql "SELECT count(*) FROM ocpp16_transactions" 1

start_daemon "$WORK/galvani.yaml"
py <<'PY'
exec(open(WORK + "/plan.py").read())
tx, acked = map(int, open(WORK + "/state").read().split())
cp = c.ChargePoint(WS_PORT, "CP-K")
cp.result("BootNotification", c.boot_payload())
# the queue a charger keeps: the StartTransaction again (it never knew), then
# from the last answered message on
r = cp.result("StartTransaction", START)
expect(r["transactionId"] == tx, "same transactionId after the restart: %r vs %d" % (r, tx))
for i in range(acked - 3, N):
    expect(cp.result("MeterValues", meter(tx, i)) == {}, "meter value %d answered" % i)
stop = {"transactionId": tx, "meterStop": 1000 + 10 * N, "timestamp": "2024-06-01T09:00:00Z", "idTag": "TAG-K"}
s1 = cp.result("StopTransaction", stop)
expect(cp.result("StopTransaction", stop) == s1, "stop resent")
cp.close()
PY
expect_sql "SELECT count(*) FROM ocpp16_transactions" 1
expect_sql "SELECT count(*) FROM ocpp16_meter_values WHERE transaction_id = $TX" 80
expect_sql "SELECT count(DISTINCT (sampled_at, measurand)) FROM ocpp16_meter_values WHERE transaction_id = $TX" 80
expect_sql "SELECT max(value) FROM ocpp16_meter_values WHERE transaction_id = $TX AND measurand = 'Energy.Active.Import.Register'" 1390
expect_sql "SELECT meter_stop FROM ocpp16_transactions WHERE transaction_id = $TX" 1400
stop_daemon
echo "ok"
