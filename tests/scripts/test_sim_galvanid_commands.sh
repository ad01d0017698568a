#!/usr/bin/env bash
# Remote commands through command_send (the ocpp16_probe route) answered by
# galvani-sim: start makes the simulator start a transaction, reset makes it
# stop it, reboot and boot again, and trigger reaches the rebooted charger;
# each command is recorded with its result.
source "$(dirname "$0")/ocpp16_lib.sh"
write_config "  listeners:
    ocpp: {security_profile: 1}"
migrate
ctl charger add SIM-CMD-1 --profile 1 --password command-password-1 --connectors 2 >/dev/null ||
    fail "charger add"
ctl token add REMOTE-OK --status Accepted >/dev/null || fail "token add"
start_daemon "$WORK/galvani.yaml"

sim_bg commands --url "ws://127.0.0.1:$WS_PORT/ocpp" --id SIM-CMD-1 --password command-password-1 \
    --reconnect 200ms,1s --scenario "$SCENARIOS/galvanid_commands.txt"
SIMP=$SIM_PID
wait_events "(c.get('charger.booted'), c.get('evse.status', 0) >= 3)" "(1, True)"

out=$(send_command SIM-CMD-1 start '{"idTag": "REMOTE-OK", "connectorId": 2}')
[ "$(json_get "d['result']" <<<"$out")" = "{'status': 'Accepted'}" ] || fail "start: $out"
wait_sql "SELECT connector_id || ' ' || id_tag || ' ' || (id_tag_info->>'status') FROM ocpp16_transactions WHERE stopped_at IS NULL" \
    "2 REMOTE-OK Accepted"
TX=$(sql "SELECT transaction_id FROM ocpp16_transactions")

out=$(send_command SIM-CMD-1 reset '{"type": "Soft"}')
[ "$(json_get "d['result']" <<<"$out")" = "{'status': 'Accepted'}" ] || fail "reset: $out"
# the transaction is stopped for the reset, then the charger boots again
wait_sql "SELECT stop_reason FROM ocpp16_transactions WHERE transaction_id = $TX" SoftReset
wait_events "c.get('charger.booted')" 2
[ "$(grep -c "SIM-CMD-1: connected" "$WORK/daemon.log")" -eq 2 ] || fail "the reset did not reconnect"

out=$(send_command SIM-CMD-1 trigger '{"requestedMessage": "StatusNotification", "connectorId": 1}')
[ "$(json_get "d['result']" <<<"$out")" = "{'status': 'Accepted'}" ] || fail "trigger: $out"
sim_wait commands "$SIMP"

expect_sql "SELECT string_agg(command || ':' || status || ':' || (result->>'status'), ',' ORDER BY id) FROM glv_charger_commands" \
    "start:succeeded:Accepted,reset:succeeded:Accepted,trigger:succeeded:Accepted"
expect_sql "SELECT count(*) FROM ocpp16_transactions" 1
# a charger that is gone answers offline
out=$(send_command SIM-CMD-1 reset '{"type": "Hard"}')
[ "$(json_get "d['error']['code']" <<<"$out")" = offline ] || fail "reset offline: $out"
stop_daemon
echo "ok"
