#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
#
# The abuse loads of bench/bench-abuse.sh against a running dispatchd, with
# its RSS (VmRSS of /proc/PID/status, sampled every 50 ms) before, at the
# peak and after each load:
#  - ping flood: websocket clients of /api/v1/stream that send pings and never
#    read, reconnecting whenever the server closes them, for FLOOD_S seconds;
#  - slowloris: SLOW_CONNS connections sending a request head a byte a
#    second, until the server closes them (at most SLOW_S seconds);
#  - idle: IDLE_CONNS keep-alive connections that made one request each and
#    stay open (from 127.0.0.2, 127.0.0.3, ... at most 250 per address, under
#    the per-client cap), then closed.
# Talks to loopback only. One line per load on stdout:
#   load <TAB> detail <TAB> before_kb <TAB> peak_kb <TAB> after_kb
#
# Usage: abuse-load.py PID HOST PORT TOKEN
import asyncio
import base64
import os
import sys
import time

FLOOD_S = float(os.environ.get("FLOOD_S", "10"))
SLOW_CONNS = int(os.environ.get("SLOW_CONNS", "200"))
SLOW_S = float(os.environ.get("SLOW_S", "40"))
IDLE_CONNS = int(os.environ.get("IDLE_CONNS", "10000"))
PER_ADDRESS = 250
SETTLE_S = 3

pid, host, port, token = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]


def rss_kb():
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


class Sampler:
    def __init__(self):
        self.peak = rss_kb()
        self.task = asyncio.get_running_loop().create_task(self.run())

    async def run(self):
        while True:
            self.peak = max(self.peak, rss_kb())
            await asyncio.sleep(0.05)

    def stop(self):
        self.task.cancel()
        return max(self.peak, rss_kb())


async def measure(name, load):
    before = rss_kb()
    sampler = Sampler()
    detail = await load()
    await asyncio.sleep(SETTLE_S)
    peak = sampler.stop()
    after = rss_kb()
    print(f"{name}\t{detail}\t{before}\t{peak}\t{after}", flush=True)


async def websocket(path):
    reader, writer = await asyncio.open_connection(host, port)
    key = base64.b64encode(os.urandom(16)).decode()
    writer.write((f"GET {path} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\n"
                  f"Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                  f"Sec-WebSocket-Key: {key}\r\nAuthorization: Bearer {token}\r\n\r\n")
                 .encode())
    head = await reader.readuntil(b"\r\n\r\n")
    if not head.startswith(b"HTTP/1.1 101"):
        raise RuntimeError(head.decode(errors="replace"))
    return reader, writer


async def ping_flood():
    ping = b"\x89\x80" + os.urandom(4)   # masked, empty payload
    batch = ping * 1000
    sent = 0
    connections = 0
    deadline = time.monotonic() + FLOOD_S
    while time.monotonic() < deadline:
        _, writer = await websocket("/api/v1/stream")
        connections += 1
        try:
            while time.monotonic() < deadline:
                writer.write(batch)
                await writer.drain()
                sent += 1000
        except (ConnectionError, OSError):
            pass
        writer.close()
    return f"{sent} pings written on {connections} connections in {FLOOD_S:.0f} s"


async def slow_client(results):
    reader, writer = await asyncio.open_connection(host, port)
    start = time.monotonic()
    head = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 1000
    try:
        for byte in head:
            if time.monotonic() - start > SLOW_S:
                break
            writer.write(bytes([byte]))
            await writer.drain()
            try:
                if await asyncio.wait_for(reader.read(1), 1.0) == b"":
                    results.append(time.monotonic() - start)
                    return
            except asyncio.TimeoutError:
                pass
    except (ConnectionError, OSError):
        results.append(time.monotonic() - start)
    finally:
        writer.close()


async def slowloris():
    closed = []
    await asyncio.gather(*(slow_client(closed) for _ in range(SLOW_CONNS)))
    if not closed:
        return f"{SLOW_CONNS} connections, none closed by the server in {SLOW_S:.0f} s"
    return (f"{SLOW_CONNS} connections, {len(closed)} closed by the server after "
            f"{min(closed):.1f} to {max(closed):.1f} s")


async def idle_client(index, writers):
    source = f"127.0.0.{2 + index // PER_ADDRESS}"
    reader, writer = await asyncio.open_connection(host, port, local_addr=(source, 0))
    writer.write(f"GET /healthz HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
    head = await reader.readuntil(b"\r\n\r\n")
    length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
    await reader.readexactly(length)
    writers.append((reader, writer))


async def idle():
    writers = []
    for first in range(0, IDLE_CONNS, 500):
        await asyncio.gather(*(idle_client(i, writers)
                               for i in range(first, min(first + 500, IDLE_CONNS))))
    await asyncio.sleep(SETTLE_S)
    open_now = sum(1 for reader, _ in writers if not reader.at_eof())
    for _, writer in writers:
        writer.close()
    return f"{len(writers)} keep-alive connections, {open_now} still open when closed"


async def main():
    await measure("ping-flood", ping_flood)
    await measure("slowloris", slowloris)
    await measure("idle", idle)


asyncio.run(main())
