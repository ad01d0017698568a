#!/usr/bin/env bash
# galvani-sim's TLS options against galvanid: security profile 2 (wss:// and
# Basic auth; a wrong password and a plain-listener charger refused) and
# profile 3 (a client certificate whose CN is the identity; a certificate
# for another CN, one from a foreign CA and none at all refused).
# Certificates are made at run time with openssl.
source "$(dirname "$0")/ocpp16_lib.sh"
security_listeners SIM-TLS-3 SIM-TLS-OTHER
migrate
ctl charger add SIM-TLS-1 --profile 1 --password plain-password-01 >/dev/null || fail "charger add 1"
ctl charger add SIM-TLS-2 --profile 2 --password tls-password-0002 >/dev/null || fail "charger add 2"
ctl charger add SIM-TLS-3 --profile 3 >/dev/null || fail "charger add 3"
ctl charger add SIM-TLS-OTHER --profile 3 >/dev/null || fail "charger add other"
start_daemon "$WORK/galvani.yaml"
BOOT=$SCENARIOS/galvanid_boot.txt
REFUSED=$SCENARIOS/galvanid_refused.txt
WSS="wss://127.0.0.1:$WSS_PORT/ocpp"
WSS3="wss://127.0.0.1:$WSS3_PORT/ocpp"

# profile 2
sim p2 --url "$WSS" --ca "$TLS/ca.pem" --id SIM-TLS-2 --password tls-password-0002 --scenario "$BOOT"
grep -q "SIM-TLS-2: connected from .* on ocpp-tls (profile 2)" "$WORK/daemon.log" ||
    fail "the profile 2 charger was not connected on the TLS listener"
sim p2-wrong --url "$WSS" --ca "$TLS/ca.pem" --id SIM-TLS-2 --password wrong-password-000 --scenario "$REFUSED"
grep -q "SIM-TLS-2: upgrade from .* on ocpp-tls refused (401)" "$WORK/daemon.log" || fail "no 401 for a wrong password"
sim p2-plain --url "$WSS" --ca "$TLS/ca.pem" --id SIM-TLS-1 --password plain-password-01 --scenario "$REFUSED"
grep -q "SIM-TLS-1: upgrade from .* on ocpp-tls refused (403)" "$WORK/daemon.log" || fail "no 403 for a profile 1 charger"
# the simulator checks the server: without the CA the handshake fails
sim p2-noca --url "$WSS" --id SIM-TLS-2 --password tls-password-0002 --scenario "$REFUSED"

# profile 3
sim p3 --url "$WSS3" --ca "$TLS/ca.pem" --id SIM-TLS-3 --cert "$TLS/SIM-TLS-3.pem" --key "$TLS/SIM-TLS-3.key" \
    --scenario "$BOOT"
grep -q "SIM-TLS-3: connected from .* on ocpp-mtls (profile 3)" "$WORK/daemon.log" ||
    fail "the profile 3 charger was not connected on the mTLS listener"
sim p3-cn --url "$WSS3" --ca "$TLS/ca.pem" --id SIM-TLS-3 --cert "$TLS/SIM-TLS-OTHER.pem" \
    --key "$TLS/SIM-TLS-OTHER.key" --scenario "$REFUSED"
grep -q "SIM-TLS-3: upgrade from .* on ocpp-mtls refused (403)" "$WORK/daemon.log" || fail "no 403 for another CN"
sim p3-rogue --url "$WSS3" --ca "$TLS/ca.pem" --id SIM-TLS-3 --cert "$TLS/rogue.pem" --key "$TLS/rogue.key" \
    --scenario "$REFUSED"
sim p3-none --url "$WSS3" --ca "$TLS/ca.pem" --id SIM-TLS-3 --scenario "$REFUSED"

# exactly the two good runs booted, and each once
expect_sql "SELECT string_agg(identity, ',' ORDER BY identity) FROM glv_chargers WHERE vendor IS NOT NULL" "SIM-TLS-2,SIM-TLS-3"
expect_json "http://127.0.0.1:$HTTP_PORT/test/ocpp16/events" "d['counts']['charger.booted']" 2
stop_daemon
echo "ok"
