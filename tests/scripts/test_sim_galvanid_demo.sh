#!/usr/bin/env bash
# The README's "Demo data" command line, taken from README.md, run against
# galvanid with conf/galvani.yaml (only the addresses and the database
# changed) and the demo data set of tools/demo/load: DEMO-CP-1 charges with
# DEMO-RFID-1.
source "$(dirname "$0")/ocpp16_lib.sh"
sed -e "s|conninfo: .*|conninfo: \"$CONNINFO\"|" -e "s|0.0.0.0:8080|127.0.0.1:$HTTP_PORT|" \
    -e "s|0.0.0.0:9000|127.0.0.1:$WS_PORT|" "$GLV_SOURCE_DIR/conf/galvani.yaml" >"$WORK/galvani.yaml"
grep -q "127.0.0.1:$WS_PORT" "$WORK/galvani.yaml" || fail "conf/galvani.yaml no longer listens on 0.0.0.0:9000"
migrate
GALVANICTL="$GALVANICTL -c $WORK/galvani.yaml" "$GLV_SOURCE_DIR/tools/demo/load" >"$WORK/demo.log" 2>&1 ||
    fail "tools/demo/load: $(cat "$WORK/demo.log")"
start_daemon "$WORK/galvani.yaml"

line=$(sed -n '/^## Demo data/,/^## /p' "$GLV_SOURCE_DIR/README.md" | grep '^build/tools/galvani-sim/galvani-sim ') ||
    fail "README.md: no galvani-sim command line under Demo data"
line=${line//ws:\/\/127.0.0.1:9000/ws://127.0.0.1:$WS_PORT}
line=${line/#build\//$GLV_BUILD_DIR/}
read -r -a argv <<<"$line"
(cd "$GLV_SOURCE_DIR" && "${argv[@]}") >"$WORK/sim-demo.log" 2>&1 ||
    { tail -n 30 "$WORK/sim-demo.log" >&2; fail "the README's command line failed"; }
expect_sql "SELECT charger || ' ' || id_tag || ' ' || meter_start || ' ' || meter_stop FROM ocpp16_transactions" \
    "DEMO-CP-1 DEMO-RFID-1 1000 2500"
expect_sql "SELECT count(DISTINCT sampled_at) FROM ocpp16_meter_values WHERE context = 'Sample.Periodic' AND measurand = 'Energy.Active.Import.Register'" 3
stop_daemon
echo "ok"
