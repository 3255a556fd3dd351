#!/usr/bin/env python3
"""One good client's calls while 20 peers each send 20 MiB without a message terminator.

The daemon refuses a message over 1 MiB and closes the connection; each peer reconnects and
sends on until its 20 MiB are out. Prints the good client's p50, p99 and worst call (GetInfo,
one connection) as "p50 p99 worst" in milliseconds, then the flood's seconds.
"""
import socket, sys, threading, time, json
path = sys.argv[1]
PEERS, PER_PEER = 20, 20 * 1024 * 1024
chunk = b"x" * 65536
sent = [0] * PEERS
def flood(i):
    while sent[i] < PER_PEER:
        s = socket.socket(socket.AF_UNIX); s.connect(path)
        try:
            while sent[i] < PER_PEER:
                s.sendall(chunk); sent[i] += len(chunk)
        except OSError:
            pass
        finally:
            s.close()
def call(s):
    s.sendall(json.dumps({"method": "org.varlink.service.GetInfo"}).encode() + b"\0")
    reply = b""
    while not reply.endswith(b"\0"):
        reply += s.recv(65536)
good = socket.socket(socket.AF_UNIX); good.connect(path)
call(good)
threads = [threading.Thread(target=flood, args=(i,)) for i in range(PEERS)]
start = time.time()
for t in threads: t.start()
lat = []
while any(t.is_alive() for t in threads):
    t0 = time.perf_counter(); call(good); lat.append((time.perf_counter() - t0) * 1000)
    time.sleep(0.005)
for t in threads: t.join()
lat.sort()
print(f"{lat[len(lat)//2]:.1f} {lat[int(len(lat)*0.99)]:.1f} {lat[-1]:.1f} {time.time()-start:.1f}")
