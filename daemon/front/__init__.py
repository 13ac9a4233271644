"""The front: a second process that speaks HTTP for the POS's order writes, so they use the second core.

One interpreter does all of an order's work in the single-process daemon: aiohttp's parsing and answering (as
much as the whole baseline of ARCHITECTURE §9) and the store's (validation, the command, the fold, the
COMMIT). The front takes the first half to another process: the core hands it each client connection whose
first request is an order write (`link.py`), the front serves HTTP on it and sends every request over a
local socket as one small message (`wire.py`), and the core answers it through its own routes and
middlewares (`dispatch.py`), exactly as if it had come in directly. So the answers are the core's to the
byte, the state stays in one process, and the rest of the traffic (screens, WebSockets, peers) never
leaves the core. docs/architecture.md, "The front".
"""
