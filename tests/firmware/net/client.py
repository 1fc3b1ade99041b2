"""WebSocket clients for net.sh, from the standard library only.

  python3 client.py bad-input PORT
      a text frame (close 1003), an oversized frame (close 1009), garbage instead of an
      upgrade (400), a disconnect mid-message; fails on any other answer.
  python3 client.py round-trips PORT CONNECTIONS SECONDS
      CONNECTIONS clients at once, each a hello then get_stage requests one after the
      other for SECONDS: one JSON line with the round trips per second (all clients) and
      the p50/p99 of a round trip.
"""

import base64
import json
import os
import socket
import struct
import sys
import threading
import time

# [[0, 1, 14, {0: 1, 1: 1}]]: hello, versions 1 to 1.
HELLO = bytes.fromhex("8184 0001 0ea2 0001 0101".replace(" ", ""))
# [[0, 65, 8]]: get_stage; its answer [[1, 65, 2]] (operational).
GET_STAGE = bytes.fromhex("818300184108")
STAGE = bytes.fromhex("818301184102")


def connect(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    key = base64.b64encode(os.urandom(16))
    s.sendall(b"GET /api/ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
              b"Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
              b"Sec-WebSocket-Key: " + key + b"\r\n\r\n")
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = s.recv(1)
        if not chunk:
            sys.exit("closed during the upgrade")
        head += chunk
    assert head.startswith(b"HTTP/1.1 101"), head
    return s


def frame(opcode, payload, length=None):
    n = len(payload) if length is None else length
    mask = os.urandom(4)
    if n < 126:
        head = struct.pack("!BB", 0x80 | opcode, 0x80 | n)
    elif n < 65536:
        head = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, n)
    else:
        head = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, n)
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


def exactly(s, n):
    data = b""
    while len(data) < n:
        chunk = s.recv(n - len(data))
        if not chunk:
            raise EOFError("closed")
        data += chunk
    return data


def message(s):
    """The next frame from the server: (opcode, payload)."""
    b0, b1 = exactly(s, 2)
    n = b1 & 0x7F
    if n == 126:
        n = struct.unpack("!H", exactly(s, 2))[0]
    elif n == 127:
        n = struct.unpack("!Q", exactly(s, 8))[0]
    return b0 & 0x0F, exactly(s, n)


def close_code(s):
    opcode, payload = message(s)
    assert opcode == 0x8 and len(payload) == 2, (opcode, payload)
    return struct.unpack("!H", payload)[0]


def bad_input(port):
    s = connect(port)
    s.sendall(frame(0x1, b"hello"))
    code = close_code(s)
    assert code == 1003, code
    print("text frame: closed with", code)
    s.close()

    s = connect(port)
    s.sendall(frame(0x2, b"", length=1 << 20))
    code = close_code(s)
    assert code == 1009, code
    print("oversized frame (1 MiB announced): closed with", code)
    s.close()

    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.sendall(bytes(range(256)) * 2 + b"\r\n\r\n")
    answer = s.recv(64)
    assert answer.startswith(b"HTTP/1.1 400"), answer
    print("garbage instead of an upgrade:", answer.split(b"\r\n")[0].decode())
    s.close()

    s = connect(port)
    # A message's first 40 bytes of 106, then gone.
    s.sendall(frame(0x2, bytes(100))[:40])
    s.close()
    print("disconnect mid-message: done")


def round_trips(port, connections, seconds):
    times = []
    lock = threading.Lock()
    errors = []

    def client():
        try:
            s = connect(port)
            s.sendall(frame(0x2, HELLO))
            message(s)
            mine = []
            end = time.perf_counter() + seconds
            while time.perf_counter() < end:
                start = time.perf_counter()
                s.sendall(frame(0x2, GET_STAGE))
                opcode, payload = message(s)
                mine.append(time.perf_counter() - start)
                assert (opcode, payload) == (0x2, STAGE), (opcode, payload)
            s.close()
            with lock:
                times.extend(mine)
        except Exception as e:  # noqa: BLE001 (reported below)
            with lock:
                errors.append(repr(e))

    threads = [threading.Thread(target=client) for _ in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        sys.exit("round trips failed: " + "; ".join(errors))
    times.sort()
    pick = lambda q: times[min(len(times) - 1, int(q * len(times)))] * 1000  # noqa: E731
    print(json.dumps({
        "connections": connections,
        "seconds": seconds,
        "round_trips": len(times),
        "per_second": round(len(times) / seconds),
        "p50_ms": round(pick(0.50), 3),
        "p99_ms": round(pick(0.99), 3),
    }))


if __name__ == "__main__":
    what, port = sys.argv[1], int(sys.argv[2])
    if what == "bad-input":
        bad_input(port)
    elif what == "round-trips":
        round_trips(port, int(sys.argv[3]), float(sys.argv[4]))
    else:
        sys.exit(__doc__)
