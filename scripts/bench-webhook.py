#!/usr/bin/env python3
"""make bench's webhook receiver: answers every POST 204 at once, on a loopback port it
prints when ready, until killed. Keep-alive (HTTP/1.1), one thread per connection, as a
receiver in front of a queue would be."""
import http.server
import socketserver
import sys


class Receiver(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        self.rfile.read(int(self.headers.get("content-length", 0)))
        self.send_response(204)
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    request_queue_size = 128


server = Server(("127.0.0.1", 0), Receiver)
print(server.server_address[1], flush=True)
sys.stdout.close()
server.serve_forever()
