#!/usr/bin/env bash
# galvanictl tariff price: a matching CDR passes --check, an overbilled one is
# shown with its difference and fails, bad input names the field.
set -euo pipefail
CTL=${GLV_BUILD_DIR:?}/tools/galvanictl
DATA=${GLV_SOURCE_DIR:?}/tests/data/tariff
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

out=$("$CTL" tariff price --tariff "$DATA/energy_tariff.json" --cdr "$DATA/session_cdr.json" --check) ||
    fail "matching CDR refused: $out"
grep -q "amounts match the CDR" <<<"$out" || fail "no match line: $out"
grep -Eq "total_parking_cost excl. VAT +2.00 +2.00 +0.00" <<<"$out" || fail "parking row: $out"

# The partner billed 0.10 more energy: shown and refused by --check.
sed 's/"total_cost": {"excl_vat": 4.50/"total_cost": {"excl_vat": 4.60/' "$DATA/session_cdr.json" >"$WORK/over.json"
if out=$("$CTL" tariff price --tariff "$DATA/energy_tariff.json" --cdr "$WORK/over.json" --check); then
    fail "--check accepted an overbilled CDR"
fi
grep -Eq "total_cost excl. VAT +4.50 +4.60 +-0.10" <<<"$out" || fail "difference not shown: $out"

# JSON output in OCPI's shape
json=$("$CTL" tariff price --tariff "$DATA/energy_tariff.json" --cdr "$DATA/session_cdr.json" --json)
python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert d["total_cost"]["incl_vat"] == 4.95, d; assert d["charging_periods"], d' "$json" ||
    fail "JSON output: $json"

# An invalid tariff is refused with the field named, exit 1.
sed 's/"type": "ENERGY"/"type": "KILOWATTS"/' "$DATA/energy_tariff.json" >"$WORK/bad.json"
rc=0
err=$("$CTL" tariff price --tariff "$WORK/bad.json" --cdr "$DATA/session_cdr.json" 2>&1) || rc=$?
[ "$rc" -eq 1 ] || fail "invalid tariff exit code $rc: $err"
grep -q "elements\[0\].price_components\[0\].type" <<<"$err" || fail "field not named: $err"

# Usage errors exit 2.
rc=0
"$CTL" tariff price >/dev/null 2>&1 || rc=$?
[ "$rc" -eq 2 ] || fail "usage exit code $rc"
echo "galvanictl tariff: all checks passed"
