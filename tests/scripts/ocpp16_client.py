"""A small OCPP 1.6-J charge point for the ocpp16 tests: WebSocket (RFC 6455)
over plain TCP or TLS with the Python standard library, Basic auth, client
certificates, raw frames for malformed input, and CALLs from the central
system answered by handlers."""
import base64
import json
import os
import socket
import ssl
import struct
import time


class HandshakeRefused(Exception):
    def __init__(self, status, head):
        super().__init__("HTTP %d" % status)
        self.status = status
        self.head = head


class Closed(Exception):
    pass


class ChargePoint:
    def __init__(self, port, identity, password=None, user=None, tls=None, host="127.0.0.1",
                 protocols="ocpp1.6", timeout=10.0):
        """tls: None or {"ca": file, "cert": file, "key": file}."""
        self.identity = identity
        self.handlers = {}
        self.received_calls = []
        self.next_id = 0
        raw = socket.create_connection((host, port), timeout=timeout)
        if tls is not None:
            ctx = ssl.create_default_context(cafile=tls.get("ca"))
            ctx.check_hostname = False
            if tls.get("cert"):
                ctx.load_cert_chain(tls["cert"], tls["key"])
            if tls.get("max_version"):
                ctx.maximum_version = tls["max_version"]
            raw = ctx.wrap_socket(raw, server_hostname="localhost")
        self.sock = raw
        self.buf = b""
        key = base64.b64encode(os.urandom(16)).decode()
        lines = ["GET /ocpp/%s HTTP/1.1" % identity, "Host: %s:%d" % (host, port),
                 "Upgrade: websocket", "Connection: Upgrade", "Sec-WebSocket-Key: " + key,
                 "Sec-WebSocket-Version: 13"]
        if protocols:
            lines.append("Sec-WebSocket-Protocol: " + protocols)
        if password is not None:
            cred = "%s:%s" % (user if user is not None else identity, password)
            lines.append("Authorization: Basic " + base64.b64encode(cred.encode()).decode())
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        while b"\r\n\r\n" not in self.buf:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise HandshakeRefused(0, self.buf.decode(errors="replace"))
            self.buf += chunk
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        head = head.decode(errors="replace")
        status = int(head.split(" ", 2)[1])
        if status != 101:
            self.sock.close()
            raise HandshakeRefused(status, head)
        self.head = head

    # ---- frames ----
    def _read_exact(self, n, deadline):
        while len(self.buf) < n:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no frame in time")
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                raise TimeoutError("no frame in time")
            if not chunk:
                raise Closed("connection ended")
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def send_frame(self, opcode, payload):
        head = bytes([0x80 | opcode])
        n = len(payload)
        if n < 126:
            head += bytes([0x80 | n])
        elif n < 65536:
            head += bytes([0x80 | 126]) + struct.pack(">H", n)
        else:
            head += bytes([0x80 | 127]) + struct.pack(">Q", n)
        mask = os.urandom(4)
        body = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(head + mask + body)

    def send_text(self, text):
        self.send_frame(0x1, text.encode())

    def recv_frame(self, timeout=10.0):
        """Returns (opcode, payload bytes); answers pings."""
        deadline = time.monotonic() + timeout
        while True:
            b0, b1 = self._read_exact(2, deadline)
            n = b1 & 0x7F
            if n == 126:
                n = struct.unpack(">H", self._read_exact(2, deadline))[0]
            elif n == 127:
                n = struct.unpack(">Q", self._read_exact(8, deadline))[0]
            payload = self._read_exact(n, deadline)
            opcode = b0 & 0x0F
            if opcode == 0x9:
                self.send_frame(0xA, payload)
                continue
            if opcode == 0xA:
                continue
            return opcode, payload

    def recv_message(self, timeout=10.0):
        opcode, payload = self.recv_frame(timeout)
        if opcode == 0x8:
            code = struct.unpack(">H", payload[:2])[0] if len(payload) >= 2 else 1005
            raise Closed("close %d %s" % (code, payload[2:].decode(errors="replace")))
        return json.loads(payload.decode())

    def wait_closed(self, timeout=10.0):
        """Reads until the server closes; returns the close code (1006: no close frame)."""
        try:
            while True:
                opcode, payload = self.recv_frame(timeout)
                if opcode == 0x8:
                    code = struct.unpack(">H", payload[:2])[0] if len(payload) >= 2 else 1005
                    try:
                        self.send_frame(0x8, payload[:2])
                    except OSError:
                        pass
                    return code
        except Closed:
            return 1006

    # ---- OCPP-J ----
    def on(self, action, fn):
        """fn(payload) -> response payload, or ("error", code, description)."""
        self.handlers[action] = fn

    def _serve(self, msg):
        self.received_calls.append((msg[2], msg[3]))
        fn = self.handlers.get(msg[2])
        if fn is None:
            self.send_text(json.dumps([4, msg[1], "NotImplemented", "", {}]))
            return
        out = fn(msg[3])
        if isinstance(out, tuple):
            self.send_text(json.dumps([4, msg[1], out[1], out[2], {}]))
        else:
            self.send_text(json.dumps([3, msg[1], out]))

    def call(self, action, payload, timeout=10.0, msg_id=None):
        """Sends a CALL and returns the answer frame: [3, id, payload] or [4, id, code, ...]."""
        if msg_id is None:
            self.next_id += 1
            msg_id = "%s-%d" % (self.identity, self.next_id)
        self.send_text(json.dumps([2, msg_id, action, payload]))
        return self.wait_answer(msg_id, timeout)

    def wait_answer(self, msg_id, timeout=10.0):
        deadline = time.monotonic() + timeout
        while True:
            msg = self.recv_message(max(0.01, deadline - time.monotonic()))
            if msg[0] == 2:
                self._serve(msg)
                continue
            if msg[1] == msg_id:
                return msg

    def result(self, action, payload, timeout=10.0):
        """call() that expects a CALLRESULT and returns its payload."""
        msg = self.call(action, payload, timeout)
        if msg[0] != 3:
            raise AssertionError("%s answered %r" % (action, msg))
        return msg[2]

    def serve_for(self, seconds):
        """Answers CALLs from the central system for a while."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                msg = self.recv_message(max(0.01, deadline - time.monotonic()))
            except TimeoutError:
                return
            if msg[0] == 2:
                self._serve(msg)

    def close(self):
        try:
            self.send_frame(0x8, struct.pack(">H", 1000))
            self.wait_closed(2.0)
        except (OSError, Closed, TimeoutError):
            pass
        self.sock.close()

    def kill(self):
        """Drops the TCP connection without a close handshake."""
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()


def boot_payload(vendor="galvani-test", model="T1"):
    return {"chargePointVendor": vendor, "chargePointModel": model,
            "chargePointSerialNumber": "SN-1", "firmwareVersion": "1.0.0"}
