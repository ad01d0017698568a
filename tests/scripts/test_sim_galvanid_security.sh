#!/usr/bin/env bash
# galvani-sim's TLS options against galvanid: security profile 2 (wss:// and
# Basic auth; a wrong password and a plain-listener charger refused) and
# profile 3 (a client certificate whose CN is the identity; a certificate
# for another CN, one from a foreign CA and none at all refused).
# Certificates are made at run time with openssl.
source "$(dirname "$0")/ocpp16_lib.sh"
TLS=$WORK/tls
mkdir -p "$TLS"
(
    cd "$TLS"
    K='-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes'
    openssl req -x509 $K -keyout ca.key -out ca.pem -days 2 -subj /CN=galvani-test-ca
    openssl req -x509 $K -keyout rca.key -out rca.pem -days 2 -subj /CN=other-ca
    printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' >server.ext
    openssl req $K -keyout server.key -out server.csr -subj /CN=localhost
    openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 2 -extfile server.ext
    for cn in SIM-TLS-3 SIM-TLS-OTHER; do
        openssl req $K -keyout $cn.key -out $cn.csr -subj "/CN=$cn"
        openssl x509 -req -in $cn.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out $cn.pem -days 2
    done
    openssl req $K -keyout rogue.key -out rogue.csr -subj /CN=SIM-TLS-3
    openssl x509 -req -in rogue.csr -CA rca.pem -CAkey rca.key -CAcreateserial -out rogue.pem -days 2
) >/dev/null 2>&1 || fail "openssl could not make the test certificates"

write_config "  listeners:
    ocpp: {security_profile: 1}
    ocpp-tls: {security_profile: 2}
    ocpp-mtls: {security_profile: 3}" "    - name: ocpp-tls
      address: \"127.0.0.1:$WSS_PORT\"
      tls: {certificate: \"$TLS/server.pem\", key: \"$TLS/server.key\"}
    - name: ocpp-mtls
      address: \"127.0.0.1:$WSS3_PORT\"
      tls:
        certificate: \"$TLS/server.pem\"
        key: \"$TLS/server.key\"
        client_ca: \"$TLS/ca.pem\"
        client_certificates: required"
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
