#!/usr/bin/env bash
# ocpp16 remote commands through host->command_send (a test plugin's HTTP
# route): Reset and RemoteStartTransaction with a charging profile answered
# by the charger, a Rejected answer, a CALLERROR from the charger, a charger
# that does not answer (call timeout, then the next queued call goes out),
# args that do not fit the action, an unknown command, an offline charger,
# and the commands recorded in glv_charger_commands.
source "$(dirname "$0")/ocpp16_lib.sh"
write_config "  call_timeout: 1s
  listeners:
    ocpp: {security_profile: 0}"
migrate
ctl charger add CP-9 --profile 0 >/dev/null || fail "charger add"
ctl charger add CP-LAX --profile 0 --lenient >/dev/null || fail "charger add --lenient"
start_daemon "$WORK/galvani.yaml"

py <<'PY'
import threading
cp = c.ChargePoint(WS_PORT, "CP-9")
cp.result("BootNotification", c.boot_payload())
cp.on("Reset", lambda p: {"status": "Accepted"})
cp.on("RemoteStartTransaction", lambda p: {"status": "Accepted" if p["idTag"] == "TAG-1" else "Rejected"})
cp.on("UnlockConnector", lambda p: ("error", "InternalError", "motor stuck"))
silent = []
cp.on("ClearCache", lambda p: silent.append(p) or None)

def send(command, args, **kw):
    out = {}
    path = "/test/ocpp16/command/CP-9/" + command
    if kw.get("timeout_ms"):
        path += "?timeout_ms=%d" % kw["timeout_ms"]
    t = threading.Thread(target=lambda: out.update(http("POST", path, args)))
    t.start()
    return t, out

def run(command, args, serve=1.5):
    t, out = send(command, args)
    cp.serve_for(serve)
    t.join()
    return out

r = run("reset", {"type": "Soft"})
expect(r["result"] == {"status": "Accepted"} and r["error"] is None, "reset: %r" % r)
expect(cp.received_calls[-1] == ("Reset", {"type": "Soft"}), "Reset sent as is")
profile = {"chargingProfileId": 1, "stackLevel": 0, "chargingProfilePurpose": "TxProfile",
           "chargingProfileKind": "Absolute", "chargingSchedule": {"chargingRateUnit": "A",
           "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 16.0}]}}
r = run("start", {"connectorId": 1, "idTag": "TAG-1", "chargingProfile": profile})
expect(r["result"] == {"status": "Accepted"}, "remote start: %r" % r)
expect(cp.received_calls[-1][1]["chargingProfile"]["chargingSchedule"]["chargingSchedulePeriod"][0]["limit"] == 16.0,
       "charging profile passed through")
r = run("start", {"idTag": "TAG-2"})
expect(r["result"] == {"status": "Rejected"}, "a Rejected answer is a result: %r" % r)
r = run("unlock", {"connectorId": 1})
expect(r["error"]["code"] == "call_error" and r["error"]["ocpp_error"] == "InternalError" and
       r["error"]["message"] == "motor stuck", "CALLERROR from the charger: %r" % r)
# a call the charger never answers times out; the queued one behind it then goes out
cp.handlers["ClearCache"] = lambda p: None
def no_answer(msg):
    cp.received_calls.append((msg[2], msg[3]))
orig = cp._serve
cp._serve = lambda msg: no_answer(msg) if msg[2] == "ClearCache" else orig(msg)
t1, o1 = send("clear_cache", {})
time.sleep(0.2)
t2, o2 = send("reset", {"type": "Hard"})
cp.serve_for(2.5)
t1.join(); t2.join()
expect(o1["error"]["code"] == "timeout", "unanswered call times out: %r" % o1)
expect(o2["result"] == {"status": "Accepted"}, "the queued call went out after the timeout: %r" % o2)
expect([a for a, _ in cp.received_calls[-2:]] == ["ClearCache", "Reset"], "one call at a time, in order")
r = run("reset", {"type": "Gentle"}, 0.3)
expect(r["error"]["code"] == "invalid_args" and "type" in r["error"]["message"], "bad args: %r" % r)
r = run("teleport", {}, 0.3)
expect(r["error"]["code"] == "unsupported", "unknown command: %r" % r)
cp.close()
time.sleep(0.3)
r = http("POST", "/test/ocpp16/command/CP-9/reset", {"type": "Soft"})
expect(r["error"]["code"] == "offline", "offline charger: %r" % r)
PY
# the lenient switch: known vendor quirks accepted and logged for CP-LAX only
py <<'PY'
quirky = {"connectorId": 1, "idTag": "TAG-X", "meterStart": 1200.0, "timestamp": "2024-05-01 12:30:00",
          "reservationId": None}
for ident, lenient in (("CP-9", False), ("CP-LAX", True)):
    cp = c.ChargePoint(WS_PORT, ident)
    cp.result("BootNotification", dict(c.boot_payload(), vendorQuirk="x") if lenient else c.boot_payload())
    m = cp.call("StartTransaction", quirky)
    if lenient:
        expect(m[0] == 3 and isinstance(m[2]["transactionId"], int), "lenient charger accepted: %r" % m)
    else:
        expect(m[0] == 4 and m[2] in ("TypeConstraintViolation", "PropertyConstraintViolation",
                                      "OccurenceConstraintViolation"), "strict charger refused: %r" % m)
    cp.close()
PY
grep -q "CP-LAX: lenient: accepted" "$WORK/daemon.log" || fail "lenient quirks not logged"
grep -q "CP-9: lenient" "$WORK/daemon.log" && fail "a strict charger was treated leniently"
expect_sql "SELECT meter_start || ' ' || to_char(started_at AT TIME ZONE 'UTC', 'HH24:MI') FROM ocpp16_transactions WHERE charger = 'CP-LAX'" "1200 12:30"
expect_sql "SELECT count(*) FROM glv_charger_commands WHERE identity = 'CP-9' AND command = 'reset' AND status = 'succeeded'" 2
expect_sql "SELECT count(*) FROM glv_charger_commands WHERE identity = 'CP-9' AND command = 'start'" 2
stop_daemon
echo "ok"
