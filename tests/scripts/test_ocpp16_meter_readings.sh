#!/usr/bin/env bash
# Meter values are stored one row per sampling time (migration 002):
# - rows of the 001 layout (one per sampled value) are carried over by the
#   migration, grouped by time, with the energy register picked out;
# - a later message for a stored time that brings new sampled values merges
#   them into the row and emits transaction.meter;
# - one that brings nothing new is a resend: nothing stored, no event;
# - MeterValue elements of one message that share a timestamp are one row,
#   a value sent twice in it is stored once.
source "$(dirname "$0")/ocpp16_lib.sh"
write_config "  listeners:
    ocpp: {security_profile: 0}"
migrate

# ---- the migration, from a database still at ocpp16 migration 1 ----
MIG001=$GLV_SOURCE_DIR/plugins/ocpp16/sql/001_transactions.sql
OLD_TABLE=$(sed -n '/^CREATE TABLE ocpp16_meter_values/,/^);/p' "$MIG001")
[ -n "$OLD_TABLE" ] || fail "no ocpp16_meter_values table in $MIG001"
sql "DROP VIEW ocpp16_meter_values; DROP TABLE ocpp16_meter_readings;
     DELETE FROM glv_schema_version WHERE component = 'ocpp16' AND version = 2;
     $OLD_TABLE
     INSERT INTO ocpp16_meter_values (charger, connector_id, transaction_id, sampled_at,
         measurand, phase, location, context, value, unit, raw_value, format) VALUES
     ('OLD-1', 1, 7, '2024-05-01T10:00:00Z', 'Energy.Active.Import.Register', '', 'Outlet',
      'Sample.Periodic', 1500, 'Wh', '1.5', 'Raw'),
     ('OLD-1', 1, 7, '2024-05-01T10:00:00Z', 'Current.Import', 'L1', 'Outlet',
      'Sample.Periodic', 16, 'A', '16', 'Raw'),
     ('OLD-1', 1, 7, '2024-05-01T10:01:00Z', 'Voltage', '', 'Outlet',
      'Sample.Periodic', NULL, 'V', 'x', 'SignedData'),
     ('OLD-2', 0, 0, '2024-05-01T10:00:00Z', 'Energy.Active.Import.Register', '', 'Outlet',
      'Sample.Clock', 99, 'Wh', '99', 'Raw')" >/dev/null || fail "set up the 001 layout"
migrate
grep -q "applied ocpp16 migration 2" "$WORK/migrate.log" || fail "migration 2 not applied: $(cat "$WORK/migrate.log")"
expect_sql "SELECT count(*) FROM ocpp16_meter_readings" 3
expect_sql "SELECT energy_wh, json_array_length(samples) FROM ocpp16_meter_readings
            WHERE charger = 'OLD-1' AND sampled_at = '2024-05-01T10:00:00Z'" "1500|2"
# stored without the defaults (no phase, location Outlet, context
# Sample.Periodic, format Raw)
expect_sql "SELECT samples->1->>'phase', (samples->0)::jsonb ?| '{phase,location,context,format}'
            FROM ocpp16_meter_readings
            WHERE charger = 'OLD-1' AND sampled_at = '2024-05-01T10:00:00Z'" "L1|f"
expect_sql "SELECT energy_wh IS NULL, samples->0->'value' FROM ocpp16_meter_readings
            WHERE charger = 'OLD-1' AND sampled_at = '2024-05-01T10:01:00Z'" "t|null"
# the view gives the old rows back as they were
expect_sql "SELECT string_agg(measurand || '/' || phase || '/' || coalesce(value::text, '-') || '/' || raw_value, ' ' ORDER BY sampled_at, measurand)
            FROM ocpp16_meter_values WHERE charger = 'OLD-1'" \
    "Current.Import/L1/16/16 Energy.Active.Import.Register//1500/1.5 Voltage//-/x"
expect_sql "SELECT context, location, format FROM ocpp16_meter_values WHERE charger = 'OLD-2' AND transaction_id = 0" "Sample.Clock|Outlet|Raw"

# ---- merging, resends and grouping through galvanid ----
printf 'MR-1,0\n' >"$WORK/chargers.csv"
ctl charger import "$WORK/chargers.csv" >"$WORK/import.log" || fail "charger import: $(cat "$WORK/import.log")"
ctl token add TAG-OK --status Accepted >/dev/null || fail "token add"
start_daemon "$WORK/galvani.yaml"
py <<'PY'
cp = c.ChargePoint(WS_PORT, "MR-1")
expect(cp.result("BootNotification", c.boot_payload())["status"] == "Accepted", "boot")
tx = cp.result("StartTransaction", {"connectorId": 1, "idTag": "TAG-OK", "meterStart": 0,
                                    "timestamp": "2024-05-01T10:00:00Z"})["transactionId"]
T = "2024-05-01T10:05:00Z"
energy = {"value": "2.5", "unit": "kWh", "measurand": "Energy.Active.Import.Register"}
power = {"value": "7200", "unit": "W", "measurand": "Power.Active.Import"}
soc = {"value": "40", "unit": "Percent", "measurand": "SoC", "location": "EV"}
def meter(*values, ts=T):
    return {"connectorId": 1, "transactionId": tx,
            "meterValue": [{"timestamp": ts, "sampledValue": list(values)}]}
def count():
    return events()["counts"].get("transaction.meter", 0)

n0 = count()
expect(cp.result("MeterValues", meter(energy, power)) == {}, "first message")
expect(count() == n0 + 1, "first message: one transaction.meter")
ev = events()["last"]["transaction.meter"]
expect(ev["energy_wh"] == 2500, "event: %r" % ev)
expect([(s["timestamp"], s["measurand"]) for s in ev["samples"]] ==
       [("2024-05-01T10:05:00.000Z", "Energy.Active.Import.Register"),
        ("2024-05-01T10:05:00.000Z", "Power.Active.Import")], "event samples: %r" % ev)

# the same time again with SoC: merged into the row, an event for it
expect(cp.result("MeterValues", meter(soc, energy)) == {}, "merging message")
expect(count() == n0 + 2, "merging message: one more transaction.meter")

# a resend of either: nothing new, no event
expect(cp.result("MeterValues", meter(energy, power)) == {}, "resend")
expect(cp.result("MeterValues", meter(soc)) == {}, "subset resend")
expect(count() == n0 + 2, "resends emit nothing")

# two elements with one timestamp (one in another offset), a value twice
p = {"connectorId": 1, "transactionId": tx, "meterValue": [
    {"timestamp": "2024-05-01T10:06:00Z", "sampledValue": [energy, energy]},
    {"timestamp": "2024-05-01T12:06:00+02:00", "sampledValue": [power]}]}
expect(cp.result("MeterValues", p) == {}, "grouped message")
expect(count() == n0 + 3, "grouped message: one transaction.meter")
cp.close()
open(WORK + "/tx", "w").write(str(tx))
PY
TX=$(cat "$WORK/tx")
expect_sql "SELECT count(*) FROM ocpp16_meter_readings WHERE transaction_id = $TX" 2
expect_sql "SELECT json_array_length(samples), energy_wh FROM ocpp16_meter_readings
            WHERE transaction_id = $TX AND sampled_at = '2024-05-01T10:05:00Z'" "3|2500"
expect_sql "SELECT string_agg(measurand, ',' ORDER BY measurand) FROM ocpp16_meter_values
            WHERE transaction_id = $TX AND sampled_at = '2024-05-01T10:06:00Z'" \
    "Energy.Active.Import.Register,Power.Active.Import"
# what galvanid stores is what the migration stores: defaults left out
expect_sql "SELECT samples::jsonb = '[{\"measurand\":\"Energy.Active.Import.Register\",\"unit\":\"Wh\",\"raw\":\"2.5\",\"value\":2500},
                                     {\"measurand\":\"Power.Active.Import\",\"unit\":\"W\",\"raw\":\"7200\",\"value\":7200},
                                     {\"location\":\"EV\",\"measurand\":\"SoC\",\"raw\":\"40\",\"unit\":\"Percent\",\"value\":40}]'::jsonb
            FROM ocpp16_meter_readings WHERE transaction_id = $TX AND sampled_at = '2024-05-01T10:05:00Z'" t
expect_sql "SELECT samples::text FROM ocpp16_meter_readings
            WHERE transaction_id = $TX AND sampled_at = '2024-05-01T10:06:00Z'" \
    '[{"measurand":"Energy.Active.Import.Register","unit":"Wh","raw":"2.5","value":2500},{"measurand":"Power.Active.Import","unit":"W","raw":"7200","value":7200}]'
expect_sql "SELECT location FROM ocpp16_meter_values WHERE transaction_id = $TX AND measurand = 'SoC'" EV
stop_daemon
