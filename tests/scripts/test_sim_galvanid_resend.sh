#!/usr/bin/env bash
# galvani-sim's drop-after-send against galvanid: StartTransaction,
# MeterValues and StopTransaction written, the connection killed before the
# answer, reconnect, resend. The resent start gets the same transactionId,
# nothing is stored twice, and the stop keeps its first answer.
source "$(dirname "$0")/ocpp16_lib.sh"
write_config "  listeners:
    ocpp: {security_profile: 0}"
migrate
ctl charger add SIM-RESEND-1 --profile 0 >/dev/null || fail "charger add"
ctl token add RESEND-OK --status Accepted >/dev/null || fail "token add"
start_daemon "$WORK/galvani.yaml"

sim resend --url "ws://127.0.0.1:$WS_PORT/ocpp" --id SIM-RESEND-1 --scenario "$SCENARIOS/galvanid_resend.txt"

# the simulator resent each message whose answer was lost, on a new connection
n=$(grep -c "ocpp16: SIM-RESEND-1: connected" "$WORK/daemon.log")
[ "$n" -eq 4 ] || fail "expected 4 connections, got $n"
expect_sql "SELECT count(*) FROM ocpp16_transactions" 2
expect_sql "SELECT string_agg(meter_start || '-' || meter_stop, ',' ORDER BY transaction_id) FROM ocpp16_transactions" \
    "2000-3000,3000-3100"
TX=$(sql "SELECT min(transaction_id) FROM ocpp16_transactions")
# the first transaction's meter values: three samples, each stored once
expect_sql "SELECT count(DISTINCT sampled_at) FROM ocpp16_meter_values WHERE transaction_id = $TX AND context = 'Sample.Periodic' AND measurand = 'Energy.Active.Import.Register'" 3
expect_sql "SELECT count(*) = count(DISTINCT (transaction_id, sampled_at, measurand, phase, location, context)) FROM ocpp16_meter_values" t
expect_sql "SELECT count(*) FROM ocpp16_meter_values WHERE transaction_id NOT IN (SELECT transaction_id FROM ocpp16_transactions)" 0
expect_sql "SELECT count(*) FROM ocpp16_unknown_stops" 0
expect_json "http://127.0.0.1:$HTTP_PORT/test/ocpp16/events" \
    "(d['counts']['transaction.started'], d['counts']['transaction.stopped'])" "(2, 2)"

# the simulator's log: each message whose answer was lost was written twice
# with one message id and the same text
python3 - "$WORK/sim-resend.log" <<'PY' || fail "the simulator log does not show identical resends"
import re, sys
sent = {}
for line in open(sys.argv[1]):
    m = re.search(r'>> (\[2,"([^"]+)","(\w+)",.*)$', line)
    if m:
        sent.setdefault((m.group(2), m.group(3)), []).append(m.group(1))
twice = sorted(k[1] for k, v in sent.items() if len(v) == 2 and v[0] == v[1])
assert twice == ["MeterValues", "StartTransaction", "StopTransaction"], twice
assert all(len(v) <= 2 for v in sent.values()), sent
PY
stop_daemon
echo "ok"
