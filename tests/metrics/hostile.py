#!/usr/bin/env python3
"""Hostile clients of the metrics endpoint (tests/metrics/hostile.sh).

From SRC, keep N connections to HOST:PORT open for SECONDS: a third send a
request line a byte per second (slow headers), a third send garbage, a third
stay idle; each one the server closes is opened again at once. Prints how
many connections were opened in all.
"""
import socket
import sys
import time

src, host, port, n, seconds = (sys.argv[1], sys.argv[2], int(sys.argv[3]),
                               int(sys.argv[4]), float(sys.argv[5]))
DRIP = b"GET /metrics HTTP/1.1\r\nHost: x\r\n"
GARBAGE = b"\x00\xff garbage\r\n\r\n"
opened = 0


def connect(i):
    global opened
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind((src, 0))
    s.settimeout(0.5)
    try:
        s.connect((host, port))
        if i % 3 == 1:
            s.sendall(GARBAGE)
    except OSError:
        pass
    s.setblocking(False)
    opened += 1
    return s


socks = [connect(i) for i in range(n)]
end = time.time() + seconds
tick = 0
while time.time() < end:
    for i, s in enumerate(socks):
        try:
            if i % 3 == 0:
                s.send(DRIP[tick % len(DRIP):tick % len(DRIP) + 1])
            # a closed connection reads as EOF: open it again
            if not s.recv(4096):
                raise OSError("closed")
        except BlockingIOError:
            pass
        except OSError:
            s.close()
            socks[i] = connect(i)
    tick += 1
    time.sleep(1)
print(opened)
