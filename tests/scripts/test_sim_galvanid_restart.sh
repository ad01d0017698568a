#!/usr/bin/env bash
# galvanid killed with SIGKILL while galvani-sim is in a transaction, the
# simulator queueing offline, galvanid started again: after the simulator
# reconnects and flushes its queue, every meter value it sent is stored
# exactly once (those acknowledged before the kill among them), the ones
# queued offline in the order they were taken and with their original
# timestamps, and the transaction is stopped under its first id.
source "$(dirname "$0")/ocpp16_lib.sh"
write_config "  listeners:
    ocpp: {security_profile: 0}"
migrate
ctl charger add SIM-RESTART-1 --profile 0 >/dev/null || fail "charger add"
ctl token add RESTART-OK --status Accepted >/dev/null || fail "token add"
start_daemon "$WORK/galvani.yaml"

sim_bg restart --url "ws://127.0.0.1:$WS_PORT/ocpp" --id SIM-RESTART-1 --reconnect 200ms,1s \
    --scenario "$SCENARIOS/galvanid_restart.txt"
SIMP=$SIM_PID
E="measurand = 'Energy.Active.Import.Register' AND context = 'Sample.Periodic'"
wait_sql "SELECT count(*) >= 5 FROM ocpp16_meter_values WHERE $E" t 20
grep -q "meter 1 every 300ms for 4" "$WORK/sim-restart.log" &&
    fail "the first block of meter values ended before galvanid was killed"
kill -KILL "$DAEMON_PID"
wait "$DAEMON_PID" 2>/dev/null || true
DAEMON_PID=
# what the simulator had acknowledged when galvanid died is in the database
ACKED=$(grep -c "MeterValues -> answered" "$WORK/sim-restart.log" || true)
[ "$ACKED" -ge 5 ] || fail "only $ACKED meter values acknowledged before the kill"
STORED=$(sql "SELECT count(*) FROM ocpp16_meter_values WHERE $E")
[ "$STORED" -ge "$ACKED" ] || fail "$ACKED meter values acknowledged, $STORED stored"
# the second block runs while galvanid is away: its 4 meter values are
# queued offline (with what was left of the first block)
deadline=$((SECONDS + 30))
until grep -q "meter 1 every 300ms for 6" "$WORK/sim-restart.log"; do
    [ "$SECONDS" -lt "$deadline" ] || fail "the simulator did not reach the third block"
    kill -0 "$SIMP" 2>/dev/null || sim_wait restart "$SIMP"
    sleep 0.1
done
RESTART=$(sql "SELECT clock_timestamp()")
start_daemon "$WORK/galvani.yaml"
sim_wait restart "$SIMP"

TX=$(sql "SELECT transaction_id FROM ocpp16_transactions")
expect_sql "SELECT count(*) FROM ocpp16_transactions" 1
expect_sql "SELECT meter_start, meter_stop, stop_reason FROM ocpp16_transactions" "1000|9000|Local"
# all 30 samples, each measurand once per sample, all under the one id
expect_sql "SELECT count(DISTINCT sampled_at) FROM ocpp16_meter_values WHERE $E AND transaction_id = $TX" 30
expect_sql "SELECT count(*) FROM ocpp16_meter_values WHERE $E" 30
expect_sql "SELECT count(*) = count(DISTINCT (sampled_at, measurand, phase, location, context)) FROM ocpp16_meter_values" t
expect_sql "SELECT count(*) FROM ocpp16_meter_values WHERE transaction_id <> $TX" 0
# the offline ones: taken before galvanid was back, stored after, in order
OFF="$E AND sampled_at < '$RESTART' AND received_at > '$RESTART'"
n=$(sql "SELECT count(*) FROM ocpp16_meter_values WHERE $OFF")
[ "$n" -ge 3 ] || fail "expected at least 3 meter values taken offline and stored later, got $n"
expect_sql "SELECT array_agg(sampled_at ORDER BY received_at, sampled_at) = array_agg(sampled_at ORDER BY sampled_at) FROM ocpp16_meter_values WHERE $E" t
# the timestamps are the simulator's originals, ~300 ms apart, not the
# time they were stored
expect_sql "SELECT bool_and(d BETWEEN 0.2 AND 0.6) FROM (SELECT extract(epoch FROM sampled_at - lag(sampled_at) OVER (ORDER BY sampled_at)) AS d FROM ocpp16_meter_values WHERE $OFF) x WHERE d IS NOT NULL" t
expect_sql "SELECT max(received_at) - min(received_at) < interval '2 seconds' FROM ocpp16_meter_values WHERE $OFF" t
stop_daemon
echo "ok"
