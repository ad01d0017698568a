#!/usr/bin/env bash
# The ocpp16 transport against an independent OCPP-J client: the npm package
# ocpp-rpc in strict mode (it validates our answers and calls against the
# OCPP 1.6 schemas). Nothing is skipped: the test fails if npm cannot
# install the package.
source "$(dirname "$0")/ocpp16_lib.sh"
command -v node >/dev/null || fail "node is not installed"
command -v npm >/dev/null || fail "npm is not installed"
NPM_DIR=$GLV_BUILD_DIR/npm
if [ ! -d "$NPM_DIR/node_modules/ocpp-rpc" ]; then
    npm install --prefix "$NPM_DIR" --no-audit --no-fund ocpp-rpc >"$WORK/npm.log" 2>&1 ||
        fail "npm install ocpp-rpc failed: $(tail -5 "$WORK/npm.log")"
fi
write_config "  listeners:
    ocpp: {security_profile: 1}"
migrate
ctl charger add RPC-CP --password interop-secret >/dev/null || fail "charger add"
ctl token add INTEROP-TAG --status Accepted >/dev/null || fail "token add"
start_daemon "$WORK/galvani.yaml"
out=$(NODE_PATH=$NPM_DIR/node_modules timeout 60 node "$GLV_SOURCE_DIR/tests/interop/ocpp16_rpc_client.js" \
    "$WS_PORT" "$HTTP_PORT" RPC-CP interop-secret 2>&1) || fail "ocpp-rpc client: $out"
TX=$(sed -n 's/^ok transaction //p' <<<"$out")
[ -n "$TX" ] || fail "ocpp-rpc client: $out"
expect_sql "SELECT meter_start || ' ' || meter_stop FROM ocpp16_transactions WHERE transaction_id = $TX" "0 500"
expect_sql "SELECT count(*) FROM ocpp16_meter_values WHERE transaction_id = $TX" 1
stop_daemon
echo "ok"
