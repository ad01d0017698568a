#!/usr/bin/env bash
# Password rotation with set_password, sent from another galvanid node than
# the one holding galvani-sim's connection: the command row keeps
# {"password": "***"} and neither node logs the password, the charger got
# the real one, the new password works at the next connection and the old
# one gets 401.
source "$(dirname "$0")/ocpp16_lib.sh"
write_config "  listeners:
    ocpp: {security_profile: 1}"
migrate
ctl charger add SIM-PW-1 --profile 1 --password old-password-0001 >/dev/null || fail "charger add"
NEW=new-password-0123456789
start_daemon "$WORK/galvani.yaml"
# a second node on the same database, with its own ports
HTTP2=$(free_port)
WS2=$(free_port)
sed -e "s/127.0.0.1:$HTTP_PORT/127.0.0.1:$HTTP2/" -e "s/127.0.0.1:$WS_PORT/127.0.0.1:$WS2/" \
    "$WORK/galvani.yaml" >"$WORK/node2.yaml"
"$GALVANID" -c "$WORK/node2.yaml" >"$WORK/node2.log" 2>&1 &
NODE2=$!
SIM_PIDS+=("$NODE2")
deadline=$((SECONDS + 20))
until curl -fsS "http://127.0.0.1:$HTTP2/healthz" >/dev/null 2>&1; do
    [ "$SECONDS" -lt "$deadline" ] && kill -0 "$NODE2" 2>/dev/null || fail "the second node did not start"
    sleep 0.05
done

sim_bg rotate --url "ws://127.0.0.1:$WS_PORT/ocpp" --id SIM-PW-1 --password old-password-0001 \
    --scenario "$SCENARIOS/galvanid_password.txt"
SIMP=$SIM_PID
wait_events "c.get('charger.booted')" 1
out=$(curl -fsS -X POST --data "{\"password\": \"$NEW\"}" \
    "http://127.0.0.1:$HTTP2/test/ocpp16/command/SIM-PW-1/set_password") || fail "set_password request"
[ "$(json_get "d['result']" <<<"$out")" = "{'status': 'Accepted'}" ] || fail "set_password: $out"
sim_wait rotate "$SIMP"
expect_sql "SELECT args::text || ' ' || status || ' ' || (origin_node <> target_node) FROM glv_charger_commands" \
    '{"password": "***"} succeeded true'
expect_sql "SELECT count(*) FROM glv_charger_commands WHERE args::text LIKE '%$NEW%' OR result::text LIKE '%$NEW%'" 0
grep -q "$NEW" "$WORK/daemon.log" "$WORK/node2.log" && fail "a node logged the password"
grep -q "SIM-PW-1: AuthorizationKey rotated" "$WORK/daemon.log" || fail "the rotation was not logged"
# the simulator received the real password: it is its next Basic-auth password
grep -q "\"value\":\"$NEW\"" "$WORK/sim-rotate.log" || fail "the charger did not get the new password"

sim new --url "ws://127.0.0.1:$WS_PORT/ocpp" --id SIM-PW-1 --password "$NEW" --scenario "$SCENARIOS/galvanid_boot.txt"
sim old --url "ws://127.0.0.1:$WS_PORT/ocpp" --id SIM-PW-1 --password old-password-0001 \
    --scenario "$SCENARIOS/galvanid_refused.txt"
grep -q "SIM-PW-1: upgrade from .* refused (401)" "$WORK/daemon.log" || fail "the old password was not refused with 401"
kill -TERM "$NODE2"
wait "$NODE2" || fail "the second node did not stop cleanly"
stop_daemon
echo "ok"
