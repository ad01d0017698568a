#!/usr/bin/env bash
# ocpp16 end to end against galvanid and PostgreSQL: boot, status,
# authorize, start, meter values, stop with transactionData, the rows in the
# database and the events on the bus; resends after a killed connection;
# a StopTransaction for an unknown transaction; malformed frames answered
# with the right CALLERROR; data transfer through a filter; the pending
# policy for unknown chargers; a silent charger closed after two heartbeat
# intervals.
source "$(dirname "$0")/ocpp16_lib.sh"
write_config "  heartbeat_interval: 2s
  boot_retry_interval: 1s
  unknown_chargers: pending
  authorize_timeout: 500ms
  listeners:
    ocpp: {security_profile: 1}"
migrate
ctl charger add CP-1 --password cp1-secret --connectors 2 >/dev/null || fail "charger add"
ctl token add TAG-OK --status Accepted >/dev/null || fail "token add"
ctl token add TAG-BLOCKED --status Blocked >/dev/null || fail "token add"
start_daemon "$WORK/galvani.yaml"

py <<'PY'
cp = c.ChargePoint(WS_PORT, "CP-1", "cp1-secret")
expect(cp.head.lower().find("sec-websocket-protocol: ocpp1.6") >= 0, "subprotocol ocpp1.6 chosen")
r = cp.result("BootNotification", c.boot_payload())
expect(r["status"] == "Accepted" and r["interval"] == 2, "boot accepted with interval 2: %r" % r)
expect("currentTime" in cp.result("Heartbeat", {}), "heartbeat")
cp.result("StatusNotification", {"connectorId": 1, "errorCode": "NoError", "status": "Preparing"})
r = cp.result("Authorize", {"idTag": "TAG-OK"})
expect(r["idTagInfo"]["status"] == "Accepted", "TAG-OK accepted: %r" % r)
expect(cp.result("Authorize", {"idTag": "TAG-BLOCKED"})["idTagInfo"]["status"] == "Blocked", "blocked")
expect(cp.result("Authorize", {"idTag": "NOBODY"})["idTagInfo"]["status"] == "Invalid", "unknown tag Invalid")
expect(cp.result("Authorize", {"idTag": "SLOW-TAG"})["idTagInfo"]["status"] == "Invalid",
       "a token.authorize timeout gives the fallback")
start = {"connectorId": 1, "idTag": "TAG-OK", "meterStart": 1000, "timestamp": "2024-05-01T10:00:00Z"}
r = cp.result("StartTransaction", start)
tx = r["transactionId"]
expect(r["idTagInfo"]["status"] == "Accepted", "start accepted")
mv = {"connectorId": 1, "transactionId": tx, "meterValue": [{"timestamp": "2024-05-01T10:05:00Z",
      "sampledValue": [{"value": "1.5", "unit": "kWh", "measurand": "Energy.Active.Import.Register"},
                       {"value": "7200", "measurand": "Power.Active.Import", "unit": "W"}]}]}
expect(cp.result("MeterValues", mv) == {}, "meter values answered")
# the connection dies before the answers of a resend round arrive: resend all
cp.kill()
cp = c.ChargePoint(WS_PORT, "CP-1", "cp1-secret")
r2 = cp.result("StartTransaction", start)
expect(r2["transactionId"] == tx, "resent StartTransaction keeps transactionId %d: %r" % (tx, r2))
expect(cp.result("MeterValues", mv) == {}, "resent meter values answered")
stop = {"transactionId": tx, "idTag": "TAG-OK", "meterStop": 4500, "timestamp": "2024-05-01T10:30:00Z",
        "reason": "Local", "transactionData": [{"timestamp": "2024-05-01T10:30:00Z",
        "sampledValue": [{"value": "4500", "context": "Transaction.End"}]}]}
s1 = cp.result("StopTransaction", stop)
s2 = cp.result("StopTransaction", stop)
expect(s1 == s2 and s1["idTagInfo"]["status"] == "Accepted", "resent stop answered alike: %r %r" % (s1, s2))
u = cp.result("StopTransaction", {"transactionId": 999999, "meterStop": 10, "timestamp": "2024-05-01T11:00:00Z"})
expect(u == {}, "a stop of an unknown transaction is answered: %r" % u)
# vendor data transfer through a filter
d = cp.result("DataTransfer", {"vendorId": "org.galvani.test", "data": "ping"})
expect(d == {"status": "Accepted", "data": "echo:ping"}, "data transfer: %r" % d)
expect(cp.result("DataTransfer", {"vendorId": "com.other"})["status"] == "UnknownVendorId", "unknown vendor")
cp.result("SecurityEventNotification", {"type": "SettingSystemTime", "timestamp": "2024-05-01T10:00:00Z"})
cp.result("FirmwareStatusNotification", {"status": "Downloaded"})
# malformed input
cp.send_text('[2,"bad-1","Heartbeat",{"extra":1}]')
m = cp.recv_message()
expect(m[:3] == [4, "bad-1", "OccurenceConstraintViolation"], "unknown property: %r" % m)
cp.send_text('[2,"bad-2","StatusNotification",{"connectorId":"1","errorCode":"NoError","status":"Available"}]')
m = cp.recv_message()
expect(m[:3] == [4, "bad-2", "TypeConstraintViolation"], "wrong type: %r" % m)
cp.send_text('[2,"bad-3","Authorize",{"idTag":"THIS-TAG-IS-FAR-TOO-LONG-FOR-OCPP"}]')
m = cp.recv_message()
expect(m[:3] == [4, "bad-3", "PropertyConstraintViolation"], "too long: %r" % m)
cp.send_text('[2,"bad-4","FlyToTheMoon",{}]')
m = cp.recv_message()
expect(m[:3] == [4, "bad-4", "NotImplemented"], "unknown action: %r" % m)
cp.send_text('[2,"bad-5","Reset",{"type":"Hard"}]')
m = cp.recv_message()
expect(m[:3] == [4, "bad-5", "NotSupported"], "central system action from a charger: %r" % m)
cp.send_text('[2,"bad-6","Heartbeat"]')
m = cp.recv_message()
expect(m[:3] == [4, "bad-6", "FormationViolation"], "three elements: %r" % m)
cp.send_text('this is not json')
expect(cp.result("Heartbeat", {}) is not None, "unanswerable garbage is dropped, the connection lives")
cp.close()

ev = events()
n = ev["counts"]
expect(n.get("transaction.started") == 1, "one transaction.started: %r" % n)
expect(n.get("transaction.stopped") == 2, "stopped once plus the unknown one: %r" % n)
expect(n.get("transaction.meter") == 1, "resent meter values not emitted again: %r" % n)
st = ev["last"]["evse.status"]
expect(st["status"] == "occupied" and st["ocpp_status"] == "Preparing" and st["evse_id"] == 1, "evse.status: %r" % st)
ts = ev["last"]["transaction.started"]
expect(ts["transaction_id"] == str(tx) and ts["meter_start_wh"] == 1000 and ts["id_token"] == "TAG-OK", "started: %r" % ts)
ts = [e for e in [ev["last"]["transaction.stopped"]]][0]
expect(ts["unknown"] is True, "the last stop was the unknown one: %r" % ts)
expect(ev["last"]["charger.security_event"]["type"] == "SettingSystemTime", "security event")
expect(ev["last"]["charger.booted"]["vendor"] == "galvani-test", "booted event")
expect(ev["last"]["charger.disconnected"]["reason"] == "closed", "disconnect reason")
open(WORK + "/tx", "w").write(str(tx))
PY
TX=$(cat "$WORK/tx")
expect_sql "SELECT count(*) FROM ocpp16_transactions" 1
expect_sql "SELECT connector_id || ' ' || id_tag || ' ' || meter_start || ' ' || meter_stop || ' ' || stop_reason FROM ocpp16_transactions WHERE transaction_id = $TX" "1 TAG-OK 1000 4500 Local"
expect_sql "SELECT count(*) FROM ocpp16_meter_values WHERE transaction_id = $TX" 3
expect_sql "SELECT value || ' ' || unit FROM ocpp16_meter_values WHERE transaction_id = $TX AND measurand = 'Energy.Active.Import.Register' AND context = 'Sample.Periodic'" "1500 Wh"
expect_sql "SELECT charger || ' ' || transaction_id || ' ' || meter_stop FROM ocpp16_unknown_stops" "CP-1 999999 10"
expect_sql "SELECT vendor || ' ' || model || ' ' || firmware FROM glv_chargers WHERE identity = 'CP-1'" "galvani-test T1 1.0.0"

# unknown charger under the pending policy: registered as pending, answered
# Pending until an operator accepts it; other calls refused meanwhile
py <<'PY'
cp = c.ChargePoint(WS_PORT, "NEW-CP", "new-secret")
r = cp.result("BootNotification", c.boot_payload())
expect(r["status"] == "Pending" and r["interval"] == 1, "pending boot: %r" % r)
m = cp.call("Heartbeat", {})
expect(m[0] == 4 and m[2] == "SecurityError", "pending charger may only boot: %r" % m)
cp.close()
PY
expect_sql "SELECT status || ' ' || security_profile FROM glv_chargers WHERE identity = 'NEW-CP'" "pending 1"
ctl charger accept NEW-CP >/dev/null || fail "charger accept"
py <<'PY'
try:
    c.ChargePoint(WS_PORT, "NEW-CP", "another-password")
    expect(False, "the password given first is the one kept")
except c.HandshakeRefused as e:
    expect(e.status == 401, "wrong password after registration: %d" % e.status)
cp = c.ChargePoint(WS_PORT, "NEW-CP", "new-secret")
expect(cp.result("BootNotification", c.boot_payload())["status"] == "Accepted", "accepted after the operator's accept")
cp.result("Heartbeat", {})
cp.close()
PY

# a silent charger is closed within two heartbeat intervals (2 s each)
py <<'PY'
cp = c.ChargePoint(WS_PORT, "CP-1", "cp1-secret")
cp.result("BootNotification", c.boot_payload())
t0 = time.monotonic()
code = cp.wait_closed(10)
dt = time.monotonic() - t0
expect(3.5 <= dt <= 5.0, "closed after %.2f s of silence (heartbeat 2 s)" % dt)
time.sleep(0.3)
d = events()["last"]["charger.disconnected"]
expect(d["reason"] == "timeout" and d["charger"] == "CP-1", "disconnected for timeout: %r" % d)
PY
grep -q "CP-1: silent for" "$WORK/daemon.log" || fail "timeout not logged"

# a HeartbeatInterval the charger accepted through change_configuration moves
# its silence deadline with it: closed after two of the new intervals
py <<'PY'
import threading
cp = c.ChargePoint(WS_PORT, "CP-1", "cp1-secret")
cp.result("BootNotification", c.boot_payload())
cp.on("ChangeConfiguration", lambda p: {"status": "Accepted"})
out = {}
t = threading.Thread(target=lambda: out.update(http(
    "POST", "/test/ocpp16/command/CP-1/change_configuration",
    {"key": "HeartbeatInterval", "value": "4"})))
t.start()
cp.serve_for(1.0)
t.join()
expect(out.get("result") == {"status": "Accepted"}, "HeartbeatInterval changed: %r" % out)
t0 = time.monotonic()
cp.wait_closed(15)
dt = time.monotonic() - t0
expect(6.0 <= dt <= 9.5, "closed after %.2f s of silence (heartbeat now 4 s)" % dt)
PY
stop_daemon
echo "ok"
