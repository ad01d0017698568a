#!/usr/bin/env bash
# galvanid end to end without a database: -t, refusals with one clear line,
# plugins serving routes through the bus and services, SIGHUP, SIGTERM.
source "$(dirname "$0")/daemon_lib.sh"
export GLV_PLUGIN_PATH=${GLV_TEST_PLUGIN_DIR:?}
HTTP_PORT=$(free_port)
WS_PORT=$(free_port)

write_config() { # greeting
    cat >"$WORK/galvani.yaml" <<YAML
galvani:
  log_level: info
  hook_timeout: 2s
  plugins:
    - name: svc_consumer
    - name: svc_provider
http:
  listen: ["127.0.0.1:$HTTP_PORT"]
websocket:
  listeners:
    - name: ocpp
      address: "127.0.0.1:$WS_PORT"
svc_provider:
  greeting: "$1"
  api_key: "s3cret-value"
YAML
}

"$GALVANID" --version | grep -q "galvanid .* (plugin ABI 0.2)" || fail "--version"

# -t on a good file
write_config hello
out=$("$GALVANID" -t -v -c "$WORK/galvani.yaml") || fail "-t refused a valid file: $out"
grep -q "plugin svc_provider 1.0 (ABI 0.2)" <<<"$out" || fail "-t output: $out"
grep -q "database: not configured" <<<"$out" || fail "-t output: $out"
grep -q "s3cret-value" <<<"$out" && fail "-t -v printed a secret"
grep -q '"api_key":"\*\*\*"' <<<"$out" || fail "-t -v did not show the redacted secret: $out"

# -t refusals: each one line naming the problem
cat >"$WORK/bad.yaml" <<'YAML'
galvani:
  log_level: info
  colour: blue
YAML
if out=$("$GALVANID" -t -c "$WORK/bad.yaml" 2>&1); then fail "-t accepted an unknown key"; fi
grep -q "^galvanid: $WORK/bad.yaml:3:3: " <<<"$out" || fail "unknown key message: $out"
grep -q "colour" <<<"$out" || fail "unknown key not named: $out"

check_refusal() { # plugin expected-text
    cat >"$WORK/refuse.yaml" <<YAML
galvani:
  plugins:
    - name: $1
YAML
    local o
    if o=$("$GALVANID" -t -c "$WORK/refuse.yaml" 2>&1); then fail "-t accepted plugin $1"; fi
    [ "$(wc -l <<<"$o")" -eq 1 ] || fail "refusal of $1 is not one line: $o"
    grep -qF "$2" <<<"$o" || fail "refusal of $1 lacks '$2': $o"
}
check_refusal bad_magic "not a galvani plugin"
check_refusal abi_major_differs "major differs"
check_refusal abi_minor_newer "upgrade galvani"
check_refusal needs_missing "depends on plugin 'absent-plugin'"
# an init failure is reported by -t on its own line after what was found
sed -i 's/name: .*/name: init_fails/' "$WORK/refuse.yaml"
if out=$("$GALVANID" -t -c "$WORK/refuse.yaml" 2>&1); then fail "-t accepted init_fails"; fi
grep -qx "plugins: FAILED: plugin 'init_fails' failed to initialize: cannot reach the token server at tokens.example" <<<"$out" || fail "init failure: $out"

# a plugin whose start fails stops galvanid with its reason
cat >"$WORK/startfail.yaml" <<YAML
galvani:
  plugins: [{name: start_fails}]
http: {listen: ["127.0.0.1:$HTTP_PORT"]}
websocket: {listeners: [{name: ocpp, address: "127.0.0.1:$WS_PORT"}]}
YAML
if out=$(timeout 20 "$GALVANID" -c "$WORK/startfail.yaml" 2>&1); then fail "galvanid ran with a failing plugin"; fi
grep -q "plugin 'start_fails' failed to start: certificate file is unreadable" <<<"$out" || fail "start failure: $out"
# ...unless the plugin is optional
sed -i 's/{name: start_fails}/{name: start_fails, optional: true}/' "$WORK/startfail.yaml"
start_daemon "$WORK/startfail.yaml"
grep -q "optional plugin 'start_fails' failed to start" "$WORK/daemon.log" || fail "optional start failure not logged"
stop_daemon

# running: routes, bus and services
write_config hello
start_daemon "$WORK/galvani.yaml"
base=http://127.0.0.1:$HTTP_PORT
expect_json "$base/healthz" "d['status']" ok
expect_json "$base/test/greet/world" "d['greeting']" "hello, world"
expect_json "$base/test/consumer/greet" "d['provider']" "svc_provider"
expect_json "$base/test/authorize/LOCAL" "d['verdict']" handled POST
expect_json "$base/test/authorize/BLOCKED" "d['error']['message']" "token is blocked" POST
expect_json "$base/test/authorize/EXPIRED1" "d['error']['message']" "token expired" POST
expect_json "$base/test/authorize/GOOD" "d['verdict'] + str(d['payload']['seen_by_provider'])" passTrue POST
expect_json "$base/test/authorize/SILENT?timeout_ms=100" "d['verdict'] + ':' + d['error']['plugin']" timeout:svc_consumer POST
expect_json "$base/test/count" "d['happened']" 5
grep -q "filter order of test.authorize: svc_provider(0), svc_consumer(100)" "$WORK/daemon.log" || fail "filter order not logged"
metrics=$(curl -fsS "$base/metrics") || fail "GET /metrics"
grep -q "^glv_bus_filter_timeouts_total 1" <<<"$metrics" || fail "metrics lack the timeout counter"

# SIGHUP applies a valid change
write_config bonjour
kill -HUP "$DAEMON_PID"
for _ in $(seq 1 100); do
    grep -q "configuration reloaded" "$WORK/daemon.log" && break
    sleep 0.05
done
expect_json "$base/test/greet/world" "d['greeting']" "bonjour, world"
expect_json "$base/test/count" "d['reloads']" 1

# SIGHUP with a broken file keeps the running configuration
printf 'galvani:\n  log_level: [\n' >"$WORK/galvani.yaml"
kill -HUP "$DAEMON_PID"
for _ in $(seq 1 100); do
    grep -q "reload refused" "$WORK/daemon.log" && break
    sleep 0.05
done
grep -q "reload refused, keeping the running configuration: $WORK/galvani.yaml:" "$WORK/daemon.log" || fail "broken reload not reported with position"
expect_json "$base/test/greet/world" "d['greeting']" "bonjour, world"

stop_daemon
grep -q "stopped plugin svc_provider" "$WORK/daemon.log" || fail "plugins not stopped"
echo "daemon: all checks passed"
