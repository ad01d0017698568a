#!/usr/bin/env python3
"""A small OCPP 1.6-J central system for testing galvani-sim alone.

Plain Python 3 (socket, hashlib, base64, ssl): RFC 6455 server side, one
thread per charger. It answers the charger's calls, writes every frame it
sees to a JSON-lines log, and sends calls to a charger on demand: a
DataTransfer with vendorId "galvani.test", messageId "call" and data
'["Action", {payload}]' is answered Accepted and then that call is sent.

    sim_test_server.py --port-file F --log L [--password PW]
                       [--tls CERT KEY [--client-ca CA]]
"""
import argparse
import base64
import datetime
import hashlib
import json
import os
import resource
import socket
import ssl
import struct
import sys
import threading

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


class Server:
    def __init__(self, args):
        self.args = args
        self.lock = threading.Lock()
        self.log = open(args.log, "a", buffering=1) if args.log else None
        self.next_tx = 1000
        self.tx_by_start = {}  # (identity, connectorId, timestamp) -> transactionId
        self.conn_seq = 0

    def write_log(self, identity, conn, direction, text):
        if not self.log:
            return
        try:
            frame = json.loads(text)
        except ValueError:
            frame = text
        rec = {"t": round(datetime.datetime.now().timestamp(), 3), "id": identity,
               "conn": conn, "dir": direction, "frame": frame}
        with self.lock:
            self.log.write(json.dumps(rec) + "\n")

    def transaction_id(self, identity, payload):
        key = (identity, payload.get("connectorId"), payload.get("timestamp"),
               payload.get("idTag"))
        with self.lock:
            if key not in self.tx_by_start:  # a resend gets the same id
                self.tx_by_start[key] = self.next_tx
                self.next_tx += 1
            return self.tx_by_start[key]


def now_iso():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


class Conn:
    def __init__(self, server, sock):
        self.server = server
        self.sock = sock
        self.identity = "?"
        self.out_seq = 0
        self.send_lock = threading.Lock()
        with server.lock:
            server.conn_seq += 1
            self.conn = server.conn_seq

    def recv_exact(self, n):
        buf = b""
        while len(buf) < n:
            chunk = self.sock.recv(n - len(buf))
            if not chunk:
                raise EOFError
            buf += chunk
        return buf

    def handshake(self):
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise EOFError
            data += chunk
            if len(data) > 16384:
                raise EOFError
        head = data.split(b"\r\n\r\n", 1)[0].decode("latin-1")
        lines = head.split("\r\n")
        path = lines[0].split(" ")[1]
        headers = {}
        for line in lines[1:]:
            k, _, v = line.partition(":")
            headers[k.strip().lower()] = v.strip()
        self.identity = path.rstrip("/").split("/")[-1]
        protos = [p.strip() for p in headers.get("sec-websocket-protocol", "").split(",")]
        if "ocpp1.6" not in protos or "sec-websocket-key" not in headers:
            self.sock.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
            return False
        if self.server.args.password is not None:
            want = "Basic " + base64.b64encode(
                (self.identity + ":" + self.server.args.password).encode()).decode()
            if headers.get("authorization") != want:
                self.sock.sendall(b"HTTP/1.1 401 Unauthorized\r\n"
                                  b"WWW-Authenticate: Basic realm=\"ocpp\"\r\n"
                                  b"Content-Length: 0\r\n\r\n")
                self.server.write_log(self.identity, self.conn, "refused", "401")
                return False
        accept = base64.b64encode(hashlib.sha1(
            (headers["sec-websocket-key"] + GUID).encode()).digest()).decode()
        self.sock.sendall(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                           "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n"
                           "Sec-WebSocket-Protocol: ocpp1.6\r\n\r\n" % accept).encode())
        self.server.write_log(self.identity, self.conn, "open", path)
        return True

    def send_frame(self, opcode, payload):
        n = len(payload)
        if n < 126:
            hdr = struct.pack("!BB", 0x80 | opcode, n)
        elif n < 65536:
            hdr = struct.pack("!BBH", 0x80 | opcode, 126, n)
        else:
            hdr = struct.pack("!BBQ", 0x80 | opcode, 127, n)
        with self.send_lock:
            self.sock.sendall(hdr + payload)

    def send_text(self, obj):
        text = json.dumps(obj)
        self.server.write_log(self.identity, self.conn, "out", text)
        data = text.encode()
        if self.server.args.fragment and len(data) > 8:
            # exercise reassembly: two fragments
            half = len(data) // 2
            with self.send_lock:
                self.sock.sendall(struct.pack("!BB", 0x01, half) + data[:half]
                                  if half < 126 else
                                  struct.pack("!BBH", 0x01, 126, half) + data[:half])
                rest = data[half:]
                n = len(rest)
                hdr = struct.pack("!BB", 0x80, n) if n < 126 else struct.pack("!BBH", 0x80, 126, n)
                self.sock.sendall(hdr + rest)
        else:
            self.send_frame(1, data)

    def read_message(self):
        message = b""
        while True:
            b0, b1 = self.recv_exact(2)
            fin, opcode = b0 & 0x80, b0 & 0x0F
            if not b1 & 0x80:
                raise EOFError("unmasked client frame")
            n = b1 & 0x7F
            if n == 126:
                n = struct.unpack("!H", self.recv_exact(2))[0]
            elif n == 127:
                n = struct.unpack("!Q", self.recv_exact(8))[0]
            mask = self.recv_exact(4)
            data = bytearray(self.recv_exact(n))
            for i in range(n):
                data[i] ^= mask[i & 3]
            if opcode == 8:
                self.send_frame(8, bytes(data[:2]))
                return None
            if opcode == 9:
                self.send_frame(10, bytes(data))
                continue
            if opcode == 10:
                continue
            message += bytes(data)
            if fin:
                return message.decode("utf-8", "replace")

    def answer(self, action, payload):
        if action == "BootNotification":
            return {"status": self.server.args.boot_status, "currentTime": now_iso(),
                    "interval": self.server.args.interval}
        if action == "Heartbeat":
            return {"currentTime": now_iso()}
        if action == "Authorize":
            tag = payload.get("idTag", "")
            return {"idTagInfo": {"status": "Invalid" if tag.startswith("BAD") else "Accepted"}}
        if action == "StartTransaction":
            return {"transactionId": self.server.transaction_id(self.identity, payload),
                    "idTagInfo": {"status": "Accepted"}}
        if action == "StopTransaction":
            return {"idTagInfo": {"status": "Accepted"}}
        if action == "DataTransfer":
            if payload.get("vendorId") == "galvani.test":
                return {"status": "Accepted"}
            return {"status": "UnknownVendorId"}
        if action in ("StatusNotification", "MeterValues", "FirmwareStatusNotification",
                      "DiagnosticsStatusNotification", "LogStatusNotification",
                      "SignedFirmwareStatusNotification", "SecurityEventNotification"):
            return {}
        if action == "SignCertificate":
            return {"status": "Accepted"}
        return None

    def handle(self, text):
        try:
            frame = json.loads(text)
        except ValueError:
            self.send_text([4, "-1", "FormationViolation", "not JSON", {}])
            return
        if not isinstance(frame, list) or len(frame) < 3 or frame[0] not in (2, 3, 4):
            self.send_text([4, "-1", "FormationViolation", "not an OCPP-J frame", {}])
            return
        if frame[0] != 2:
            return  # answers to our calls are only logged
        if len(frame) != 4 or not isinstance(frame[3], dict) or not isinstance(frame[2], str):
            self.send_text([4, str(frame[1]), "FormationViolation", "bad call", {}])
            return
        _, msg_id, action, payload = frame
        result = self.answer(action, payload)
        if result is None:
            self.send_text([4, msg_id, "NotImplemented", action, {}])
            return
        self.send_text([3, msg_id, result])
        if action == "DataTransfer" and payload.get("vendorId") == "galvani.test" \
                and payload.get("messageId") == "call":
            req = json.loads(payload.get("data", "[]"))
            self.out_seq += 1
            self.send_text([2, "csms-%d" % self.out_seq, req[0], req[1]])

    def run(self):
        try:
            if not self.handshake():
                return
            while True:
                text = self.read_message()
                if text is None:
                    break
                self.server.write_log(self.identity, self.conn, "in", text)
                self.handle(text)
        except (EOFError, OSError, ValueError):
            pass
        finally:
            self.server.write_log(self.identity, self.conn, "closed", "")
            try:
                self.sock.close()
            except OSError:
                pass


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file")
    ap.add_argument("--log")
    ap.add_argument("--password")
    ap.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
    ap.add_argument("--client-ca")
    ap.add_argument("--boot-status", default="Accepted")
    ap.add_argument("--interval", type=int, default=300)
    ap.add_argument("--fragment", action="store_true", help="send answers in two fragments")
    args = ap.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    threading.stack_size(256 * 1024)
    ctx = None
    if args.tls:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        ctx.load_cert_chain(args.tls[0], args.tls[1])
        if args.client_ca:
            ctx.load_verify_locations(args.client_ca)
            ctx.verify_mode = ssl.CERT_REQUIRED
    server = Server(args)
    lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsock.bind(("127.0.0.1", args.port))
    lsock.listen(4096)
    if args.port_file:
        with open(args.port_file + ".tmp", "w") as f:
            f.write(str(lsock.getsockname()[1]))
        os.rename(args.port_file + ".tmp", args.port_file)
    while True:
        sock, _ = lsock.accept()

        def serve(s=sock):
            try:
                if ctx:
                    s.settimeout(10)
                    s = ctx.wrap_socket(s, server_side=True)
                    s.settimeout(None)
            except (ssl.SSLError, OSError) as e:
                server.write_log("?", 0, "tls-refused", str(e))
                s.close()
                return
            Conn(server, s).run()

        threading.Thread(target=serve, daemon=True).start()


if __name__ == "__main__":
    sys.exit(main())
