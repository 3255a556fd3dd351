#!/usr/bin/env python3
"""An impostor: listens on a Unix socket as whoever runs it and records every byte a client
sends, answering each message with an error. Used by SecurityTests as another local user."""
import os, socket, sys

path, record = sys.argv[1], sys.argv[2]
try:
    os.unlink(path)
except FileNotFoundError:
    pass
server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
server.bind(path)
os.chmod(path, 0o777)
server.listen(8)
open(record, "ab").close()
os.chmod(record, 0o666)
print("listening", flush=True)
while True:
    connection, _ = server.accept()
    with connection:
        connection.settimeout(5)
        try:
            while True:
                data = connection.recv(65536)
                if not data:
                    break
                with open(record, "ab") as out:
                    out.write(data)
                connection.sendall(b'{"error":"org.varlink.service.MethodNotFound","parameters":{}}\0')
        except OSError:
            pass
