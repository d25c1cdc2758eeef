#!/usr/bin/env python3
"""A foreign client for the conformance matrix: receives a vpoll fd over an AF_UNIX socket
(SCM_RIGHTS) and waits on it with Python's own machinery, which no Java code controls.

usage: conformance_client.py SOCKPATH METHOD TIMEOUT_S
  METHOD: epoll | poll | select   (selectors.EpollSelector / PollSelector / SelectSelector)
          asyncio                 (an asyncio event loop, loop.add_reader)
prints LISTENING, READY, then "EVENTS READ" / "EVENTS WRITE" / "EVENTS READ|WRITE" / "EVENTS NONE"
"""
import asyncio
import os
import selectors
import socket
import sys

path, method, timeout = sys.argv[1], sys.argv[2], float(sys.argv[3])
try:
    os.unlink(path)
except FileNotFoundError:
    pass
listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
listener.bind(path)
listener.listen(1)
print("LISTENING", flush=True)
conn, _ = listener.accept()
_, fds, _, _ = socket.recv_fds(conn, 1, 1)
fd = fds[0]
conn.close()
listener.close()
os.unlink(path)


def names(mask):
    parts = [n for bit, n in ((selectors.EVENT_READ, "READ"), (selectors.EVENT_WRITE, "WRITE")) if mask & bit]
    return "|".join(parts) or "NONE"


if method == "asyncio":
    async def main():
        loop = asyncio.get_running_loop()
        readable = loop.create_future()
        loop.add_reader(fd, lambda: readable.done() or readable.set_result(True))
        print("READY", flush=True)
        try:
            await asyncio.wait_for(readable, timeout)
            return "READ"
        except asyncio.TimeoutError:
            return "NONE"
        finally:
            loop.remove_reader(fd)
    print("EVENTS " + asyncio.run(main()), flush=True)
else:
    selector = {"epoll": selectors.EpollSelector, "poll": selectors.PollSelector,
                "select": selectors.SelectSelector}[method]()
    selector.register(fd, selectors.EVENT_READ)
    print("READY", flush=True)
    ready = selector.select(timeout)
    print("EVENTS " + names(ready[0][1] if ready else 0), flush=True)
    selector.close()
