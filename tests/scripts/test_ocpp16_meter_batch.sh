#!/usr/bin/env bash
# MeterValues of several chargers arriving together share one statement:
# each message is stored once and answered only after the COMMIT of its
# batch (its rows are in the database when the answer arrives); a message
# resent inside a batch, a sample repeated inside one message and a resend
# overtaken by a replacing connection store nothing twice, get the same
# answer and emit no second transaction.meter; a message outside any
# transaction is stored and emits nothing, as before. A resend reaches the
# database as a plain INSERT first and is merged after its unique violation.
source "$(dirname "$0")/ocpp16_lib.sh"
write_config "  listeners:
    ocpp: {security_profile: 0}"
# a commit delay long enough for every message of a burst, and for a
# replacing connection's resend, to join the first one's batch
sed -i -e 's/log_level: info/log_level: debug/' \
    -e 's/^  pool_size: 4$/  pool_size: 4\n  group_commit_max_delay: 300ms/' "$WORK/galvani.yaml"
grep -q 'group_commit_max_delay: 300ms' "$WORK/galvani.yaml" || fail "config edit"
migrate
N=20
for i in $(seq 0 $((N - 1))); do printf 'MB-%02d,0\n' "$i"; done >"$WORK/chargers.csv"
printf 'MB-R,0\n' >>"$WORK/chargers.csv"
ctl charger import "$WORK/chargers.csv" >"$WORK/import.log" || fail "charger import: $(cat "$WORK/import.log")"
ctl token add TAG-OK --status Accepted >/dev/null || fail "token add"
start_daemon "$WORK/galvani.yaml"

py <<PY
import subprocess
N = $N
CONNINFO = """$CONNINFO"""
def rows(where):
    out = subprocess.run(["psql", CONNINFO, "-X", "-qAt", "-c",
                          "SELECT count(*) FROM ocpp16_meter_values WHERE " + where],
                         check=True, capture_output=True, text=True).stdout
    return int(out.strip())
def mv(tx, ts, extra=()):
    sv = [{"value": "1.5", "unit": "kWh", "measurand": "Energy.Active.Import.Register"},
          {"value": "7200", "measurand": "Power.Active.Import", "unit": "W"},
          {"value": "16", "measurand": "Current.Import", "unit": "A", "phase": "L1"},
          {"value": "230", "measurand": "Voltage", "unit": "V", "phase": "L1-N"},
          {"value": "40", "measurand": "SoC", "unit": "Percent"}] + list(extra)
    p = {"connectorId": 1, "meterValue": [{"timestamp": ts, "sampledValue": sv}]}
    if tx is not None:
        p["transactionId"] = tx
    return p

# every write waits up to the commit delay: boot and start all at once
cps = [c.ChargePoint(WS_PORT, "MB-%02d" % i) for i in range(N)]
for i, cp in enumerate(cps):
    cp.send_text(json.dumps([2, "boot", "BootNotification", c.boot_payload()]))
for i, cp in enumerate(cps):
    expect(cp.wait_answer("boot")[2]["status"] == "Accepted", "boot MB-%02d" % i)
for cp in cps:
    cp.send_text(json.dumps([2, "start", "StartTransaction", {"connectorId": 1, "idTag": "TAG-OK",
                 "meterStart": 0, "timestamp": "2024-05-01T10:00:00Z"}]))
txs = [cp.wait_answer("start")[2]["transactionId"] for cp in cps]
base = events()["counts"].get("transaction.meter", 0)

# round 1: every charger at once; MB-00's message outside a transaction,
# MB-01's with one sample twice
for i, cp in enumerate(cps):
    extra = [{"value": "7200", "measurand": "Power.Active.Import", "unit": "W"}] if i == 1 else ()
    p = mv(None if i == 0 else txs[i], "2024-05-01T10:05:00Z", extra)
    mid = "r1-%d" % i
    cp.send_text(json.dumps([2, mid, "MeterValues", p]))
for i, cp in enumerate(cps):
    a = cp.wait_answer("r1-%d" % i)
    # answered after COMMIT: the message's rows are there when the answer is
    tx = 0 if i == 0 else txs[i]
    got = rows("charger = 'MB-%02d' AND transaction_id = %d AND sampled_at = '2024-05-01T10:05:00Z'" % (i, tx))
    expect(a == [3, "r1-%d" % i, {}], "MB-%02d answered {}: %r" % (i, a))
    expect(got == 5, "MB-%02d: %d rows when answered, expected 5" % (i, got))
n = events()["counts"].get("transaction.meter", 0)
expect(n - base == N - 1, "round 1: %d transaction.meter, expected %d" % (n - base, N - 1))

# round 2: MB-02 resends its round-1 message in the same burst as fresh
# messages from the others
for i, cp in enumerate(cps):
    ts = "2024-05-01T10:05:00Z" if i == 2 else "2024-05-01T10:06:00Z"
    cp.send_text(json.dumps([2, "r2-%d" % i, "MeterValues", mv(txs[i], ts)]))
for i, cp in enumerate(cps):
    a = cp.wait_answer("r2-%d" % i)
    expect(a == [3, "r2-%d" % i, {}], "round 2 MB-%02d answered {}: %r" % (i, a))
    ts = "2024-05-01T10:05:00Z" if i == 2 else "2024-05-01T10:06:00Z"
    got = rows("charger = 'MB-%02d' AND sampled_at = '%s'" % (i, ts))
    expect(got == 5, "round 2 MB-%02d: %d rows, expected 5" % (i, got))
m = events()["counts"].get("transaction.meter", 0)
expect(m - n == N - 1, "round 2: %d transaction.meter, expected %d (no second for the resend)" % (m - n, N - 1))

# a resend from a replacing connection while the first copy waits for its
# commit: both in one group-commit transaction, stored once
a = c.ChargePoint(WS_PORT, "MB-R")
expect(a.result("BootNotification", c.boot_payload())["status"] == "Accepted", "boot MB-R")
rtx = a.result("StartTransaction", {"connectorId": 1, "idTag": "TAG-OK", "meterStart": 0,
                                    "timestamp": "2024-05-01T10:00:00Z"})["transactionId"]
p = mv(rtx, "2024-05-01T10:07:00Z")
a.send_text(json.dumps([2, "first", "MeterValues", p]))
b = c.ChargePoint(WS_PORT, "MB-R")
r = b.call("MeterValues", p, msg_id="again")
expect(r == [3, "again", {}], "resend on the replacing connection answered {}: %r" % r)
expect(rows("charger = 'MB-R'") == 5, "MB-R stored once: %d rows" % rows("charger = 'MB-R'"))
k = events()["counts"].get("transaction.meter", 0)
expect(k - m == 1, "MB-R: %d transaction.meter, expected 1" % (k - m))
b.close()
for cp in cps:
    cp.close()
PY
expect_sql "SELECT count(*) FROM ocpp16_meter_values" $((N * 5 + (N - 1) * 5 + 5))
expect_sql "SELECT count(*) = count(DISTINCT (charger, connector_id, transaction_id, sampled_at, measurand, phase, location, context)) FROM ocpp16_meter_values" t
# how many messages share a statement depends on how the kernel delivers
# the bursts to the loop: reported, not asserted (the rows and answers above
# are what must hold whatever the batching)
MAX=$(sed -n 's/.* \([0-9][0-9]*\) MeterValues in one statement$/\1/p' "$WORK/daemon.log" | sort -n | tail -n 1)
# the resends reached the database as a plain INSERT first, whose unique
# violation sent their batch to the merging statement
grep -q "MeterValues hold a reading already stored; merging" "$WORK/daemon.log" ||
    fail "no batch went from the plain INSERT to the merge"
stop_daemon
echo "ok: $N chargers in batches of up to ${MAX:-1} MeterValues, resends stored once"
