#!/usr/bin/env python3
"""A loopback TCP server for the tcp poller's tests.

Listens on 127.0.0.1 (a free port, written to --port-file), optionally with
TLS (--cert, --key), and per connection: sends --banner at once, answers a
received --ask with --answer, then keeps the connection open until the
client closes it (or 10 s). Each connection is two JSON lines in --log:
{"connected": true} at once, {"received": TEXT} when it ends.
"""

import argparse
import asyncio
import json
import ssl
import os
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--cert")
    ap.add_argument("--key")
    ap.add_argument("--banner", default="")
    ap.add_argument("--ask", default="")
    ap.add_argument("--answer", default="")
    a = ap.parse_args()

    ctx = None
    if a.cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(a.cert, a.key)

    def log(rec):
        with open(a.log, "a") as f:
            f.write(json.dumps(rec) + "\n")

    async def handle(reader, writer):
        got = b""
        log({"connected": True})
        if a.banner:
            writer.write(a.banner.encode())
            await writer.drain()
        try:
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                chunk = await asyncio.wait_for(reader.read(4096), deadline - time.monotonic())
                if not chunk:
                    break
                got += chunk
                if a.ask and a.ask.encode() in got and a.answer:
                    writer.write(a.answer.encode())
                    await writer.drain()
        except (asyncio.TimeoutError, ConnectionError, ssl.SSLError):
            pass
        log({"received": got.decode(errors="replace")})
        writer.close()

    async def run():
        srv = await asyncio.start_server(handle, "127.0.0.1", 0, ssl=ctx)
        port = srv.sockets[0].getsockname()[1]
        with open(a.port_file + ".tmp", "w") as f:
            f.write("%d\n" % port)
        os.rename(a.port_file + ".tmp", a.port_file)
        async with srv:
            await srv.serve_forever()

    asyncio.run(run())


if __name__ == "__main__":
    main()
