"""The yardstick of ARCHITECTURE §9: a bare aiohttp handler that parses the order and inserts it (one order
row, one row per item) with raw sqlite3 and group commit, at the same durability (WAL, synchronous=FULL)."""

from __future__ import annotations

import argparse
import asyncio
import json
import queue
import sqlite3
import threading
from pathlib import Path
from typing import Any

from aiohttp import web

Job = tuple[dict[str, Any], asyncio.Future[None]]


class GroupWriter:
    def __init__(self, path: Path, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.jobs: queue.SimpleQueue[Job] = queue.SimpleQueue()
        self.conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self.conn.execute("PRAGMA journal_mode=wal")
        self.conn.execute("PRAGMA synchronous=FULL")
        self.conn.execute("CREATE TABLE IF NOT EXISTS orders (id TEXT PRIMARY KEY, name TEXT, body TEXT)")
        self.conn.execute(
            "CREATE TABLE IF NOT EXISTS items (order_id TEXT, line TEXT, name TEXT, qty INTEGER, mods TEXT)"
        )
        threading.Thread(target=self.run, daemon=True).start()

    def run(self) -> None:
        while True:
            group = [self.jobs.get()]
            while len(group) < 512:
                try:
                    group.append(self.jobs.get_nowait())
                except queue.Empty:
                    break
            self.conn.execute("BEGIN IMMEDIATE")
            self.conn.executemany(
                "INSERT INTO orders VALUES (?, ?, ?)", [(o["id"], o["name"], json.dumps(o)) for o, _ in group]
            )
            self.conn.executemany(
                "INSERT INTO items VALUES (?, ?, ?, ?, ?)",
                [
                    (o["id"], i.get("lineId"), i["name"], i["qty"], json.dumps(i.get("mods")))
                    for o, _ in group
                    for i in o["items"]
                ],
            )
            self.conn.execute("COMMIT")
            self.loop.call_soon_threadsafe(_resolve, [f for _, f in group])


def _resolve(futures: list[asyncio.Future[None]]) -> None:
    for future in futures:
        future.set_result(None)


def _fail(futures: list[asyncio.Future[None]], exc: Exception) -> None:
    for future in futures:
        future.set_exception(exc)


WRITER = web.AppKey("writer", GroupWriter)


async def create(request: web.Request) -> web.Response:
    order = json.loads(await request.read())
    future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    request.app[WRITER].jobs.put((order, future))
    await future
    return web.json_response({"orderId": order["id"]}, status=201)


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--db", type=Path, required=True)
    args = parser.parse_args()

    async def start(app: web.Application) -> None:
        app[WRITER] = GroupWriter(args.db, asyncio.get_running_loop())

    app = web.Application()
    app.on_startup.append(start)
    app.router.add_post("/integrators/kds-orders", create)
    app.router.add_get("/readyz", healthz)
    web.run_app(app, host="127.0.0.1", port=args.port, access_log=None, print=None, backlog=1024)


if __name__ == "__main__":
    main()
