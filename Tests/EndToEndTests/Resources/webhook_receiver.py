"""A webhook receiver for the end-to-end tests: checks Standard Webhooks signatures with its
own HMAC code (not incidentd's), answers by path, and records every request as a JSON line.

  /ok      200
  /flaky   500 to the first two requests of each webhook-id, then 204
  /gone    410 Gone
  /slow    sleeps 30 s (a timeout)

Usage: webhook_receiver.py SECRET PORT_FILE LOG_FILE
"""
import base64
import hashlib
import hmac
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

secret_text, port_file, log_file = sys.argv[1:4]
key = base64.b64decode(secret_text[len("whsec_"):])
seen = {}
lock = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length", "0")))
        msg_id = self.headers.get("webhook-id", "")
        timestamp = self.headers.get("webhook-timestamp", "")
        expected = base64.b64encode(
            hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
        ).decode()
        signatures = [s.split(",", 1)[1] for s in self.headers.get("webhook-signature", "").split() if "," in s]
        valid = any(hmac.compare_digest(expected, s) for s in signatures)
        fresh = timestamp.isdigit() and abs(time.time() - int(timestamp)) < 300
        with lock:
            seen[msg_id] = seen.get(msg_id, 0) + 1
            count = seen[msg_id]
        if self.path == "/slow":
            time.sleep(30)
        status = {"/ok": 200, "/gone": 410}.get(self.path, 500)
        if self.path == "/flaky":
            status = 500 if count <= 2 else 204
        record = {"path": self.path, "id": msg_id, "valid": valid and fresh, "status": status,
                  "contentType": self.headers.get("content-type"), "body": body.decode()}
        with lock, open(log_file, "a") as log:
            log.write(json.dumps(record) + "\n")
        self.send_response(status)
        self.send_header("content-length", "2")
        self.end_headers()
        self.wfile.write(b"no")

    def log_message(self, *args):
        pass


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
with open(port_file + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
import os
os.rename(port_file + ".tmp", port_file)
server.serve_forever()
