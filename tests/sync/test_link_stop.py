"""A replication task ends when it is stopped, whatever it was doing in that loop turn.

The mesh test once hung for good in `Mesh.stop()`: a peer link's stream ended (a cable cut) in the very
loop turn `Peers.stop()` cancelled the link. The link was then waiting for its pinger to end, under
`suppress(CancelledError)`, which took the stop for the pinger's own cancellation; the link carried on
(backoff, reconnect) and the stop waited for it forever. On a kitchen device that is a daemon that never
finishes stopping when a peer's stream drops as it stops (both restarted by an update, a network blip).
These tests land the cancellation exactly in that turn, over real sockets."""

from __future__ import annotations

import asyncio
from pathlib import Path

from daemon.tasks import cancel_and_wait, wait_event
from tests.daemon.process import until
from tests.sync.mesh import Mesh


def _pinger_of(link: object) -> asyncio.Task[None]:
    """The task that pings the peer for one link's stream (it ends when the stream does)."""
    found = [
        t
        for t in asyncio.all_tasks()
        if getattr(t.get_coro(), "__qualname__", "") == "PeerLink._ping"
        and t.get_coro().cr_frame is not None  # type: ignore[union-attr]
        and t.get_coro().cr_frame.f_locals.get("self") is link  # type: ignore[union-attr]
    ]
    assert len(found) == 1, f"expected the streaming link's one pinger, found {len(found)}"
    return found[0]


async def test_a_link_stopped_in_the_turn_its_stream_drops_ends(tmp_path: Path) -> None:
    mesh = await Mesh.start(tmp_path, 2)
    try:
        url = mesh.cables[(0, 1)].url
        peers = mesh.devices[0].peers
        link, task = peers.links[url], peers._tasks[url]
        await until(lambda: link.streaming, what="device 0 streams from device 1")
        # When the stream ends the link cancels its pinger and waits for it; the stop (what
        # Peers.stop does to each link) lands in the turn the pinger ends, as it did in the mesh.
        _pinger_of(link).add_done_callback(lambda _: task.cancel())
        mesh.cut(0, 1)
        await until(task.done, timeout=5, what="the stopped link ends")
        assert task.cancelled()
        assert not link.streaming
    finally:
        async with asyncio.timeout(30):
            await mesh.stop()


async def test_a_link_stopped_as_the_peer_pokes_it_ends(tmp_path: Path) -> None:
    """The backoff wait is cut short by a poke (the peer connected to us); a stop in the same turn ends
    the link. `asyncio.wait_for` on 3.11 returned the poke and dropped the stop."""
    mesh = await Mesh.start(tmp_path, 2)
    try:
        mesh.devices[0].peers.max_backoff = 30.0
        url = mesh.cables[(0, 1)].url
        peers = mesh.devices[0].peers
        link, task = peers.links[url], peers._tasks[url]
        await until(lambda: link.streaming, what="device 0 streams from device 1")
        mesh.cut(0, 1)
        await until(lambda: _in_backoff(task), what="the link waits to try again")
        link.poke()
        task.cancel()
        await until(task.done, timeout=5, what="the stopped link ends")
        assert task.cancelled()
    finally:
        async with asyncio.timeout(30):
            await mesh.stop()


def _in_backoff(task: asyncio.Task[None]) -> bool:
    """Whether the link's run loop is suspended in its backoff wait (not connecting)."""
    coro = task.get_coro()
    names = []
    while coro is not None:
        frame = getattr(coro, "cr_frame", None)
        if frame is not None:
            names.append(frame.f_code.co_name)
        coro = getattr(coro, "cr_await", None)
    return names[:2] in (["run", "wait_event"], ["run", "wait_for"])


async def test_cancel_and_wait_never_takes_the_callers_cancel_for_the_helpers() -> None:
    helper = asyncio.ensure_future(asyncio.Event().wait())
    await asyncio.sleep(0)

    async def owner() -> None:
        await cancel_and_wait(helper)
        await asyncio.Event().wait()  # a swallowed cancel would leave the owner here for good

    task = asyncio.ensure_future(owner())
    # The owner's stop lands in the turn the helper ends (before the owner is woken by that end).
    helper.add_done_callback(lambda _: task.cancel())
    await until(task.done, timeout=5, what="the owner ends")
    assert task.cancelled()


async def test_wait_event_keeps_a_cancel_that_comes_with_the_event() -> None:
    event = asyncio.Event()
    task = asyncio.ensure_future(wait_event(event, 30))
    await asyncio.sleep(0)
    event.set()
    task.cancel()
    await until(task.done, timeout=5, what="the waiter ends")
    assert task.cancelled()
    assert await wait_event(event, 1) is True
    assert await wait_event(asyncio.Event(), 0.01) is False
