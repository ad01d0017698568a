#!/usr/bin/env bash
# examples/hello builds out of tree against include/galvani/ alone and runs.
source "$(dirname "$0")/daemon_lib.sh"
cp -r "$GLV_SOURCE_DIR/examples/hello" "$WORK/hello"
make -s -C "$WORK/hello" GALVANI_INCLUDE="$GLV_SOURCE_DIR/include" >/dev/null || fail "make"
[ -f "$WORK/hello/hello.so" ] || fail "hello.so not built"
HTTP_PORT=$(free_port)
WS_PORT=$(free_port)
cat >"$WORK/galvani.yaml" <<YAML
galvani:
  plugins:
    - name: hello
      path: $WORK/hello/hello.so
http: {listen: ["127.0.0.1:$HTTP_PORT"]}
websocket: {listeners: [{name: ocpp, address: "127.0.0.1:$WS_PORT"}]}
hello:
  greeting: Hi
YAML
"$GALVANID" -t -c "$WORK/galvani.yaml" | grep -q "plugin hello 1.0.0" || fail "-t"
start_daemon "$WORK/galvani.yaml"
expect_json "http://127.0.0.1:$HTTP_PORT/hello/world" "d['message']" "Hi, world!"
expect_json "http://127.0.0.1:$HTTP_PORT/hello/again" "d['count']" 1
stop_daemon
echo "example hello: all checks passed"
