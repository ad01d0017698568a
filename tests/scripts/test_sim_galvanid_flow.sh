#!/usr/bin/env bash
# galvani-sim against galvanid and PostgreSQL: a profile 1 charger
# provisioned with galvanictl boots, reports status, has an Accepted, a
# Blocked and an unknown token authorized through localauth, runs a
# transaction with meter values and stops it; the rows are checked.
source "$(dirname "$0")/ocpp16_lib.sh"
write_config "  listeners:
    ocpp: {security_profile: 1}"
migrate
ctl charger add SIM-FLOW-1 --profile 1 --password flow-password-0001 --connectors 2 >/dev/null ||
    fail "charger add"
ctl token add FLOW-OK --status Accepted >/dev/null || fail "token add FLOW-OK"
ctl token add FLOW-BLOCKED --status Accepted >/dev/null || fail "token add FLOW-BLOCKED"
ctl token block FLOW-BLOCKED >/dev/null || fail "token block"
start_daemon "$WORK/galvani.yaml"

sim flow --url "ws://127.0.0.1:$WS_PORT/ocpp" --id SIM-FLOW-1 --password flow-password-0001 \
    --connectors 2 --scenario "$SCENARIOS/galvanid_flow.txt"

expect_sql "SELECT vendor IS NOT NULL AND model IS NOT NULL, connectors FROM glv_chargers WHERE identity = 'SIM-FLOW-1'" "t|2"
expect_sql "SELECT count(*) FROM ocpp16_transactions" 1
expect_sql "SELECT charger, connector_id, id_tag, meter_start, meter_stop, stop_reason, id_tag_info->>'status' FROM ocpp16_transactions" \
    "SIM-FLOW-1|1|FLOW-OK|1000|2500|Local|Accepted"
expect_sql "SELECT stopped_at > started_at FROM ocpp16_transactions" t
TX=$(sql "SELECT transaction_id FROM ocpp16_transactions")
# three MeterValues, each with energy, power, current, voltage and SoC
expect_sql "SELECT count(DISTINCT sampled_at) FROM ocpp16_meter_values WHERE transaction_id = $TX AND context = 'Sample.Periodic' AND measurand = 'Energy.Active.Import.Register'" 3
expect_sql "SELECT string_agg(DISTINCT measurand, ',' ORDER BY measurand) FROM ocpp16_meter_values WHERE transaction_id = $TX AND context = 'Sample.Periodic'" \
    "Current.Import,Energy.Active.Import.Register,Power.Active.Import,SoC,Voltage"
expect_sql "SELECT bool_and(value BETWEEN 1000 AND 2500) FROM ocpp16_meter_values WHERE transaction_id = $TX AND measurand = 'Energy.Active.Import.Register' AND context = 'Sample.Periodic'" t
expect_sql "SELECT count(*) FROM ocpp16_meter_values WHERE transaction_id = 0" 0
expect_sql "SELECT count(*) FROM ocpp16_unknown_stops" 0
# the neutral events
expect_json "http://127.0.0.1:$HTTP_PORT/test/ocpp16/events" \
    "(d['counts']['charger.booted'], d['counts']['transaction.started'], d['counts']['transaction.stopped'], d['counts']['transaction.meter'] >= 3, d['counts']['evse.status'] >= 3)" \
    "(1, 1, 1, True, True)"
expect_json "http://127.0.0.1:$HTTP_PORT/test/ocpp16/events" \
    "(d['last']['transaction.stopped']['energy_wh'], d['last']['transaction.stopped']['transaction_id'])" "(1500, '$TX')"
# the simulator's answers were those of localauth: checked by the scenario's
# expectations; the Blocked token never opened a transaction
expect_sql "SELECT count(*) FROM ocpp16_transactions WHERE id_tag <> 'FLOW-OK'" 0
grep -q "FLOW-BLOCKED" "$WORK/sim-flow.log" || fail "the simulator log lacks the Blocked authorization"
stop_daemon
echo "ok"
