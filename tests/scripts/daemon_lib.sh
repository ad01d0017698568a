# Shared helpers for the daemon tests (sourced).
set -euo pipefail
: "${GLV_BUILD_DIR:?run through ctest}" "${GLV_SOURCE_DIR:?}"
GALVANID=$GLV_BUILD_DIR/core/galvanid
GALVANICTL=$GLV_BUILD_DIR/tools/galvanictl
WORK=$(mktemp -d)
DAEMON_PID=
cleanup() {
    if [ -n "$DAEMON_PID" ] && kill -0 "$DAEMON_PID" 2>/dev/null; then
        kill -KILL "$DAEMON_PID" 2>/dev/null || true
    fi
    release_ports
    rm -rf "$WORK"
}
trap cleanup EXIT

fail() {
    echo "FAIL: $*" >&2
    [ -f "$WORK/daemon.log" ] && { echo "--- daemon log:" >&2; tail -n 30 "$WORK/daemon.log" >&2; }
    exit 1
}

# A free TCP port on 127.0.0.1, below the kernel's ephemeral range (so no
# outgoing connection of a client or of PostgreSQL can take it meanwhile),
# reserved until this test ends with a lock file, so that tests running side
# by side never pick the same one.
PORT_LOCKS=${TMPDIR:-/tmp}/galvani-test-ports
mkdir -p "$PORT_LOCKS" 2>/dev/null || true
free_port() {
    python3 - "$PORT_LOCKS" "$WORK" <<'PY'
import os, random, socket, sys
locks, owner = sys.argv[1], sys.argv[2]
low = 20000
try:
    with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
        low = min(low, int(f.read().split()[0]) - 2000)
except OSError:
    pass
for _ in range(500):
    port = random.randint(10000, low)
    lock = os.path.join(locks, str(port))
    try:
        fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except FileExistsError:
        # a lock whose test is gone is free again
        try:
            if not os.path.isdir(open(lock).read().strip()):
                os.unlink(lock)
        except OSError:
            pass
        continue
    os.write(fd, owner.encode())
    os.close(fd)
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", port))
    except OSError:
        os.unlink(lock)
        continue
    finally:
        s.close()
    print(port)
    sys.exit(0)
sys.exit("no free port found")
PY
}
release_ports() {
    local lock
    for lock in "$PORT_LOCKS"/*; do
        [ -f "$lock" ] && [ "$(cat "$lock" 2>/dev/null)" = "$WORK" ] && rm -f "$lock"
    done
    return 0
}

# start_daemon CONFIG: runs galvanid in the background and waits for /healthz.
start_daemon() {
    "$GALVANID" -c "$1" >"$WORK/daemon.log" 2>&1 &
    DAEMON_PID=$!
    for _ in $(seq 1 200); do
        if curl -fsS "http://127.0.0.1:$HTTP_PORT/healthz" >/dev/null 2>&1; then
            return 0
        fi
        kill -0 "$DAEMON_PID" 2>/dev/null || fail "galvanid exited during start-up"
        sleep 0.05
    done
    fail "galvanid did not become healthy"
}

# stop_pid PID: SIGTERM to a galvanid, expect exit 0 within 10 s.
stop_pid() {
    kill -TERM "$1"
    local rc=0
    for _ in $(seq 1 200); do
        kill -0 "$1" 2>/dev/null || break
        sleep 0.05
    done
    kill -0 "$1" 2>/dev/null && fail "galvanid $1 did not stop within 10 s of SIGTERM"
    wait "$1" || rc=$?
    [ "$rc" -eq 0 ] || fail "galvanid $1 exited $rc after SIGTERM"
}

# stop_daemon: stop_pid for the daemon start_daemon started.
stop_daemon() {
    stop_pid "$DAEMON_PID"
    DAEMON_PID=
}

# expect_json URL JQ-LIKE-PYTHON-EXPR EXPECTED [METHOD]
expect_json() {
    local url=$1 expr=$2 want=$3 method=${4:-GET}
    local body got
    body=$(curl -sS -X "$method" "$url") || fail "$method $url failed"
    got=$(printf '%s' "$body" | python3 -c "import json,sys; d=json.load(sys.stdin); print($expr)") ||
        fail "$method $url: unexpected body: $body"
    [ "$got" = "$want" ] || fail "$method $url: $expr is '$got', expected '$want' (body: $body)"
}
