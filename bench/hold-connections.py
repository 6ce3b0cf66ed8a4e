#!/usr/bin/env python3
"""Holds many connections to a TLS server from one thread (asyncio), for the starvation live test and bench modes.

    hold-connections.py PORT SECONDS KIND=COUNT [KIND=COUNT ...] [--ca=CA.pem] [--source=ADDRESS]

KIND is one of
  idle-tcp    a TCP connection that sends nothing; reopened as soon as the server drops it
  silent-tls  a TLS connection that finishes its handshake and sends nothing; reopened when dropped
  keepalive   a TLS connection that sends one GET /healthz, reads the answer and stays open (not reopened)

--ready=N prints "holding" once N connections were opened (reopenings included) rather than once every one was: a
server that refuses most of them never lets every one open.

--source binds every connection to that local address first (any of 127/8 on Linux), so one source address can be
told from another, as the per-source caps do.

Prints "holding" once every connection was opened once (keepalive ones answered), then "opened N" every second
(connections opened so far, reopenings included) and "failed M" (keepalive attempts that were refused or dropped
before their answer) until SECONDS have passed. Only loopback is ever a target.
"""
import asyncio
import ssl
import sys
import time

HOST = "127.0.0.1"
# The local address connections are bound to (--source), or None for the kernel's choice.
SOURCE = None


def connect(port, **tls):
    local = {"local_addr": (SOURCE, 0)} if SOURCE else {}
    return asyncio.wait_for(asyncio.open_connection(HOST, port, **tls, **local), 10)


async def reconnecting(port, stop, counters, first, context):
    """A connection that sends nothing (after its TLS handshake when context is set), reopened when dropped."""
    while time.monotonic() < stop:
        try:
            tls = {"ssl": context, "server_hostname": "localhost"} if context else {}
            reader, writer = await connect(port, **tls)
        except (OSError, ssl.SSLError, asyncio.TimeoutError):
            await asyncio.sleep(0.05)
            continue
        opened(counters, first)
        await hold_until_dropped(reader, writer, stop)


async def keepalive(port, stop, counters, first, context):
    while time.monotonic() < stop:
        try:
            reader, writer = await connect(port, ssl=context, server_hostname="localhost")
            writer.write(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
            await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
        except (OSError, ssl.SSLError, asyncio.TimeoutError, asyncio.IncompleteReadError):
            counters["failed"] += 1
            await asyncio.sleep(0.05)
            continue
        opened(counters, first)
        await hold_until_dropped(reader, writer, stop)
        return


def opened(counters, first):
    counters["opened"] += 1
    if not first.done():
        first.set_result(None)


async def hold_until_dropped(reader, writer, stop):
    try:
        while time.monotonic() < stop:
            try:
                if await asyncio.wait_for(reader.read(1), 1) == b"":
                    break
            except asyncio.TimeoutError:
                continue
    except (OSError, ssl.SSLError):
        pass
    writer.close()


async def main():
    global SOURCE
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    options = dict(a[2:].split("=", 1) for a in sys.argv[1:] if a.startswith("--"))
    ca, SOURCE = options.get("ca"), options.get("source")
    port, seconds = int(args[0]), float(args[1])
    context = ssl.create_default_context(cafile=ca)
    stop = time.monotonic() + seconds
    counters = {"opened": 0, "failed": 0}
    tasks, firsts = [], []
    for spec in args[2:]:
        kind, count = spec.split("=")
        for _ in range(int(count)):
            first = asyncio.get_running_loop().create_future()
            firsts.append(first)
            if kind == "idle-tcp":
                tasks.append(asyncio.create_task(reconnecting(port, stop, counters, first, None)))
            elif kind == "silent-tls":
                tasks.append(asyncio.create_task(reconnecting(port, stop, counters, first, context)))
            elif kind == "keepalive":
                tasks.append(asyncio.create_task(keepalive(port, stop, counters, first, context)))
            else:
                sys.exit(f"unknown kind {kind!r}: idle-tcp, silent-tls or keepalive")
    if "ready" in options:
        while counters["opened"] < int(options["ready"]) and time.monotonic() < stop:
            await asyncio.sleep(0.1)
    else:
        await asyncio.wait(firsts, timeout=max(1, stop - time.monotonic()))
    print("holding", flush=True)
    while time.monotonic() < stop:
        await asyncio.sleep(1)
        print(f"opened {counters['opened']} failed {counters['failed']}", flush=True)
    for task in tasks:
        task.cancel()


if __name__ == "__main__":
    asyncio.run(main())
