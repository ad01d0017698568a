#!/usr/bin/env bash
# ocpp16 security profiles, one per listener: 1 (Basic auth on ws://, right
# and wrong password, wrong user, none), 2 (TLS + Basic auth; TLS 1.1
# refused), 3 (TLS client certificate whose CN is the identity; a
# certificate for another CN and one from a foreign CA refused); the
# registry's profile must match the listener's; unknown chargers rejected
# with 404 under the default policy; a password rotated with set_password
# (ChangeConfiguration of AuthorizationKey), which change_configuration
# refuses, and kept out of the command records.
source "$(dirname "$0")/ocpp16_lib.sh"
security_listeners CP-3 CP-OTHER
migrate
ctl charger add CP-1 --profile 1 --password right-password >/dev/null || fail "charger add CP-1"
ctl charger add CP-2 --profile 2 --password tls-password >/dev/null || fail "charger add CP-2"
ctl charger add CP-3 --profile 3 >/dev/null || fail "charger add CP-3"
ctl charger add CP-OTHER --profile 3 >/dev/null || fail "charger add CP-OTHER"
start_daemon "$WORK/galvani.yaml"

py <<'PY'
import ssl
TLS = WORK + "/tls/"
def refused(status, *args, **kw):
    try:
        c.ChargePoint(*args, **kw).close()
    except c.HandshakeRefused as e:
        expect(e.status == status, "expected %d, got %d (%s)" % (status, e.status, e.head))
        if status == 401:
            expect("www-authenticate: basic" in e.head.lower(), "401 asks for Basic auth")
        return
    except (ssl.SSLError, ConnectionResetError, BrokenPipeError) as e:
        expect(status == 0, "TLS refusal where HTTP %d was expected: %r" % (status, e))
        return
    expect(False, "connection accepted, expected %d" % status)

# profile 1
cp = c.ChargePoint(WS_PORT, "CP-1", "right-password")
expect(cp.result("BootNotification", c.boot_payload())["status"] == "Accepted", "profile 1 boot")
cp.close()
refused(401, WS_PORT, "CP-1", "wrong-password")
refused(401, WS_PORT, "CP-1")
refused(401, WS_PORT, "CP-1", "right-password", user="CP-2")
refused(404, WS_PORT, "NOBODY", "whatever")
refused(403, WS_PORT, "CP-2", "tls-password")  # a profile 2 charger on the profile 1 listener

# profile 2
tls = {"ca": TLS + "ca.pem"}
cp = c.ChargePoint(WSS_PORT, "CP-2", "tls-password", tls=tls)
expect(cp.result("BootNotification", c.boot_payload())["status"] == "Accepted", "profile 2 boot")
cp.close()
refused(401, WSS_PORT, "CP-2", "wrong", tls=tls)
refused(403, WSS_PORT, "CP-1", "right-password", tls=tls)
refused(0, WSS_PORT, "CP-2", "tls-password", tls={"ca": TLS + "ca.pem", "max_version": ssl.TLSVersion.TLSv1_1})

# profile 3
cp = c.ChargePoint(WSS3_PORT, "CP-3", tls={"ca": TLS + "ca.pem", "cert": TLS + "CP-3.pem", "key": TLS + "CP-3.key"})
expect(cp.result("BootNotification", c.boot_payload())["status"] == "Accepted", "profile 3 boot")
cp.close()
refused(403, WSS3_PORT, "CP-3", tls={"ca": TLS + "ca.pem", "cert": TLS + "CP-OTHER.pem", "key": TLS + "CP-OTHER.key"})
refused(0, WSS3_PORT, "CP-3", tls={"ca": TLS + "ca.pem", "cert": TLS + "rogue.pem", "key": TLS + "rogue.key"})
refused(0, WSS3_PORT, "CP-3", tls={"ca": TLS + "ca.pem"})

# password rotation: change_configuration refuses AuthorizationKey, and
# set_password is ChangeConfiguration(AuthorizationKey)
cp = c.ChargePoint(WS_PORT, "CP-1", "right-password")
cp.result("BootNotification", c.boot_payload())
cp.on("ChangeConfiguration", lambda p: {"status": "Accepted"})
out = http("POST", "/test/ocpp16/command/CP-1/change_configuration",
           {"key": "AuthorizationKey", "value": "not-a-real-key-0000"})
expect(out["error"]["code"] == "invalid_args" and "set_password" in out["error"]["message"],
       "change_configuration of AuthorizationKey refused: %r" % out)
out = http("POST", "/test/ocpp16/command/CP-1/set_password", {"password": "short"})
expect(out["error"]["code"] == "invalid_args", "a short password refused: %r" % out)
out = http("POST", "/test/ocpp16/command/CP-1/set_password", {"password": "0123456789abcdef-x", "key": "k"})
expect(out["error"]["code"] == "invalid_args", "set_password with other members refused: %r" % out)
import threading
out = {}
t = threading.Thread(target=lambda: out.update(http("POST", "/test/ocpp16/command/CP-1/set_password",
                                                     {"password": "0123456789abcdef-new"})))
t.start()
cp.serve_for(3)
t.join()
expect(out.get("result") == {"status": "Accepted"}, "rotation answered: %r" % out)
expect(cp.received_calls[-1] == ("ChangeConfiguration", {"key": "AuthorizationKey", "value": "0123456789abcdef-new"}), "call sent")
cp.close()
refused(401, WS_PORT, "CP-1", "right-password")
cp = c.ChargePoint(WS_PORT, "CP-1", "0123456789abcdef-new")
cp.close()
PY
grep -q "0123456789abcdef-new" "$WORK/daemon.log" && fail "the new key appears in the log"
expect_sql "SELECT count(*) FROM glv_charger_commands WHERE args::text ~ '0123456789abcdef'" 0
expect_sql "SELECT args::text FROM glv_charger_commands WHERE command = 'set_password' AND status = 'succeeded'" \
    '{"password": "***"}'
grep -q "CP-1: AuthorizationKey rotated" "$WORK/daemon.log" || fail "rotation not logged"
stop_daemon
echo "ok"
