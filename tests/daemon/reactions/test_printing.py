"""Printing end to end: tickets become chits on emulated printers, exactly once, through outages."""

from __future__ import annotations

import dataclasses
import string
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient

from daemon.api.context import STORE
from daemon.config import Config, PrinterConfig
from daemon.reactions import printer_worker
from daemon.reactions.printer_worker import PrinterWorker
from daemon.reactions.printing import PRINTING
from drivers.printers.emulator import EmulatedPrinter, PtyPrinter, TcpPrinter
from tests.conftest import ManualClock
from tests.daemon.reactions.conftest import StartKitchen, kitchen, network, order, pos_headers, wait_for


def _chits(printer: EmulatedPrinter, words: str) -> int:
    return len(printer.chits_with(words))


async def _post(client: TestClient, pos: dict[str, str], body: dict, path: str = "/integrators/kds-orders") -> None:
    method = client.post if path == "/integrators/kds-orders" else client.put
    resp = await method(path, json=body, headers=pos)
    assert resp.status in (200, 201), await resp.text()


async def test_one_chit_per_ticket(
    config: Config, printers: dict[str, TcpPrinter], start_kitchen: StartKitchen
) -> None:
    main = printers["main"].printer
    client = await start_kitchen(kitchen(config, network("main", printers["main"])))
    pos = pos_headers(client)

    await _post(client, pos, order("A", "Hamburger", "Fries"))
    await _post(client, pos, order("B", "Steak"))
    await wait_for(lambda: client.app[PRINTING].workers["main"].printed == 2, "two chits confirmed")
    again = await client.post("/integrators/kds-orders", json=order("A", "Hamburger", "Fries"), headers=pos)

    assert again.status == 409
    [a] = main.chits_with("Guest A")
    assert a.has("1 x Hamburger") and not a.has("Fries")  # fries go to the fry station, which has no printer
    assert _chits(main, "Guest B") == 1
    journal = await client.app[STORE].journal.list(kind="print")
    assert sorted((r.effect.id.split(":")[2], r.status) for r in journal) == [("ticket", "done"), ("ticket", "done")]


async def test_update_void_and_cancel_print_notices(
    config: Config, printers: dict[str, TcpPrinter], start_kitchen: StartKitchen
) -> None:
    main = printers["main"].printer
    client = await start_kitchen(kitchen(config, network("main", printers["main"])))
    pos = pos_headers(client)
    await _post(client, pos, order("A", "Hamburger"))
    await _post(client, pos, order("B", "Steak"))
    await wait_for(lambda: len(main.chits) == 2, "two tickets")

    await _put_full(client, pos, order("A", "Hamburger", "Chicken sandwich"))
    await _post(client, pos, {"id": "B"}, "/integrators/kds-orders/cancel")
    await wait_for(lambda: len(main.chits) == 4, "update and cancel")

    [update] = main.chits_with("UPDATE")
    assert update.has("ADD: 1 x Chicken sandwich") and not update.has("Hamburger")
    [cancel] = main.chits_with("CANCELED")
    assert cancel.has("Guest B") and cancel.has("DO NOT MAKE")


async def _put_full(client: TestClient, pos: dict[str, str], body: dict) -> None:
    resp = await client.put("/integrators/kds-orders", json=body, headers=pos)
    assert resp.status == 200, await resp.text()


async def test_offline_backup_recovery_prints_each_ticket_once(
    config: Config,
    printers: dict[str, TcpPrinter],
    start_kitchen: StartKitchen,
    clock: ManualClock,
    chef: dict[str, str],
) -> None:
    main, spare = printers["main"].printer, printers["spare"].printer
    cfg = kitchen(
        config,
        network("main", printers["main"], failover_after_seconds=20),
        network("spare", printers["spare"], backup_for="main"),
    )
    client = await start_kitchen(cfg)
    pos = pos_headers(client)
    worker = client.app[PRINTING].workers["main"]
    main.go_offline()

    await _post(client, pos, order("A"))
    await _post(client, pos, order("C"))
    await wait_for(lambda: worker.jobs and worker.last_error, "main found offline")
    bump = await client.post("/api/v1/kds/stations/grill/orders/C/ticket/bump", headers=chef)
    assert bump.status == 200
    clock.advance(21)  # past failover_after_seconds
    await wait_for(lambda: _chits(spare, "Guest A") == 1, "A printed on the backup")
    main.go_online()
    await _post(client, pos, order("D"))
    await wait_for(lambda: _chits(main, "Guest D") == 1 and not worker.jobs, "D printed on main once it is back")

    assert [c.has("BACKUP for") for c in spare.chits] == [True]
    assert spare.chits_with("Guest A")[0].has("main")
    assert _chits(main, "Guest A") == _chits(main, "Guest C") == _chits(spare, "Guest C") == 0
    assert (_chits(main, "Guest D"), _chits(spare, "Guest D")) == (1, 0)
    dropped = await client.app[STORE].journal.list(kind="print", status="dropped")
    reasons = sorted(r.last_error for r in dropped)
    assert reasons == ["sent to backup printer spare", "ticket bumped before it printed"]
    listing = await (await client.get("/api/v1/printers", headers=chef)).json()
    assert {p["id"]: (p["online"], p["jobs_waiting"]) for p in listing} == {"main": (True, 0), "spare": (True, 0)}


async def test_reprint_marks_the_chit(
    config: Config, printers: dict[str, TcpPrinter], start_kitchen: StartKitchen, chef: dict[str, str]
) -> None:
    main = printers["main"].printer
    client = await start_kitchen(kitchen(config, network("main", printers["main"])))
    await _post(client, pos_headers(client), order("A"))
    await wait_for(lambda: len(main.chits) == 1, "the ticket")
    await client.post("/api/v1/kds/stations/grill/orders/A/ticket/bump", headers=chef)

    resp = await client.post("/api/v1/kds/stations/grill/orders/A/ticket/reprint", headers=chef)
    no_printer = await client.post("/api/v1/kds/stations/fry/orders/A/ticket/reprint", headers=chef)

    assert resp.status == 202
    await wait_for(lambda: len(main.chits) == 2, "the reprint")
    assert main.chits[1].has("REPRINT") and main.chits[1].has("Guest A") and not main.chits[0].has("REPRINT")
    assert no_printer.status in (404, 409)


async def test_paper_state_shows_in_the_printer_list(
    config: Config, printers: dict[str, TcpPrinter], start_kitchen: StartKitchen, chef: dict[str, str]
) -> None:
    main = printers["main"].printer
    client = await start_kitchen(kitchen(config, network("main", printers["main"])))
    main.set_paper("near_end")
    await _post(client, pos_headers(client), order("A"))
    await wait_for(lambda: len(main.chits) == 1, "the ticket")

    [listing] = await (await client.get("/api/v1/printers", headers=chef)).json()

    assert listing["paper"] == "near_end" and listing["online"] is True and listing["kind"] == "network"


async def test_a_serial_printer_prints_through_the_same_worker(
    config: Config, start_kitchen: StartKitchen, tmp_path: Path
) -> None:
    line = PtyPrinter(EmulatedPrinter("serial")).start()
    try:
        client = await start_kitchen(kitchen(config, PrinterConfig("main", "serial", path=line.path)))
        await _post(client, pos_headers(client), order("A"))
        await wait_for(lambda: len(line.printer.chits) == 1, "the ticket on the serial printer")
        assert line.printer.chits[0].has("Guest A")
    finally:
        line.stop()


async def test_the_demo_prints_to_a_file(config: Config, start_kitchen: StartKitchen) -> None:
    client = await start_kitchen(config)
    await _post(client, pos_headers(client), order("A"))
    chits = config.data_dir / "printer-kitchen.bin"

    await wait_for(lambda: chits.exists() and chits.read_bytes().count(b"\x1dV") == 2, "grill and expo chits")
    decoded = EmulatedPrinter()
    decoded.receive(chits.read_bytes())
    assert _chits(decoded, "Guest A") == 2
    assert dataclasses.is_dataclass(config)


async def test_a_held_course_prints_when_fired_and_a_void_prints_a_notice(
    config: Config, printers: dict[str, TcpPrinter], start_kitchen: StartKitchen, manager: dict[str, str]
) -> None:
    from daemon.domain import commands
    from daemon.domain.events import ORDER
    from tests.conftest import SEED_ORDER

    main = printers["main"].printer
    cfg = kitchen(config, network("main", printers["main"]))
    cfg = dataclasses.replace(
        cfg, stations=tuple(dataclasses.replace(s, printers=("main",)) if s.id == "cold" else s for s in cfg.stations)
    )
    client = await start_kitchen(cfg)
    store = client.app[STORE]
    await _post(client, pos_headers(client), {**SEED_ORDER, "table": "7"})  # course 2 (the shake) is held
    await wait_for(lambda: len(main.chits) == 1, "course 1 at the grill")
    assert not main.chits_with("Vanilla Shake")

    await store.execute(ORDER, "123", lambda o: commands.fire_course(o, 2))  # as the coursing API will
    await wait_for(lambda: len(main.chits) == 2, "the fire chit")
    void = await client.post("/api/v1/kds/stations/grill/orders/123/ticket/void", headers=manager)
    assert void.status == 200
    await wait_for(lambda: len(main.chits) == 3, "the void notice")

    fire = main.chits[1]
    assert fire.lines[0].text.strip() == "FIRE COURSE 2" and fire.has("TABLE 7") and fire.has("1 x Vanilla Shake")
    assert main.chits[2].has("*** VOID ***") and main.chits[2].has("Hamburger")


async def test_only_the_device_that_owns_a_printer_prints_on_it(
    config: Config, printers: dict[str, TcpPrinter], start_kitchen: StartKitchen, manager: dict[str, str]
) -> None:
    """The setup (shared by every device of the location) may name printers of other devices: those are
    theirs to print on. This device records chits only for the printers its own configuration declares."""
    main = printers["main"].printer
    client = await start_kitchen(kitchen(config, network("main", printers["main"])))
    body = {"name": "Grill", "kind": "prep", "printers": ["main", "printer-of-another-device"]}
    resp = await client.put("/api/v1/kds/stations/grill", json=body, headers=manager)
    assert resp.status == 200, await resp.text()

    await _post(client, pos_headers(client), order("A"))
    await wait_for(lambda: client.app[PRINTING].workers["main"].printed == 1, "the chit on main")

    journal = await client.app[STORE].journal.list(kind="print")
    assert [r.effect.target for r in journal] == ["main"]
    assert len(main.chits) == 1


async def _waiting_on_a_dead_printer(
    config: Config, printers: dict[str, TcpPrinter], start_kitchen: StartKitchen, guests: str
) -> tuple[EmulatedPrinter, TestClient, dict[str, str], PrinterWorker]:
    """A kitchen whose printer is off while an order per letter of `guests` comes in: their chits wait."""
    main = printers["main"].printer
    client = await start_kitchen(kitchen(config, network("main", printers["main"])))
    pos = pos_headers(client)
    worker = client.app[PRINTING].workers["main"]
    main.go_offline()
    for oid in guests:
        await _post(client, pos, order(oid))
    await wait_for(lambda: worker.waiting == len(guests) and worker.last_error, "chits waiting on a dead printer")
    return main, client, pos, worker


def _guests(printer: EmulatedPrinter) -> str:
    """Whose chits came out, in order (one letter per chit)."""
    return "".join(next(g for g in string.ascii_uppercase if c.has(f"Guest {g}")) for c in printer.chits)


async def test_chits_that_queued_print_together_in_order_once_each(
    config: Config, printers: dict[str, TcpPrinter], start_kitchen: StartKitchen
) -> None:
    """A rush (here: a printer back from an outage) prints what queued as one batch: one status question
    before and after it and one journal write each side, not two of each per chit."""
    main, client, _, worker = await _waiting_on_a_dead_printer(config, printers, start_kitchen, "ABCD")

    main.go_online()
    asked_before = main.status_queries
    await wait_for(lambda: worker.printed == 4, "the four chits confirmed")

    assert _guests(main) == "ABCD"
    assert not any(c.has("RESENT") for c in main.chits)
    # Two questions (printer, paper) per status; per chit it would have been 16, plus a failed try's 2.
    assert main.status_queries - asked_before <= 6
    journal = await client.app[STORE].journal.list(kind="print")
    assert sorted((r.status, r.attempts) for r in journal) == [("done", 1)] * 4  # sent once, and confirmed


async def test_a_batch_the_printer_never_confirmed_prints_again_marked_resent(
    config: Config, printers: dict[str, TcpPrinter], start_kitchen: StartKitchen
) -> None:
    main, _, _, worker = await _waiting_on_a_dead_printer(config, printers, start_kitchen, "AB")

    main.jam_at_next_cut(keep=True)  # A prints and jams; B's bytes are lost; no confirmation comes
    main.go_online()
    await wait_for(lambda: main.stalled and worker.last_error, "the jam noticed")
    main.stall(False)
    await wait_for(lambda: worker.printed == 2, "both confirmed after the jam")

    assert _guests(main) == "AAB"
    assert [c.has("RESENT") for c in main.chits] == [False, True, True]


async def test_a_backlog_larger_than_memory_prints_in_order_once_each(
    config: Config, printers: dict[str, TcpPrinter], start_kitchen: StartKitchen, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past MAX_QUEUED jobs wait in the journal only; they are read back in their turn, after the ones in
    memory and before any recorded later."""
    monkeypatch.setattr(printer_worker, "MAX_QUEUED", 3)
    monkeypatch.setattr(printer_worker, "BATCH", 2)
    main, client, pos, worker = await _waiting_on_a_dead_printer(config, printers, start_kitchen, "ABCDEFG")
    assert len(worker.jobs) == 3

    main.go_online()
    await wait_for(lambda: worker.printed == 5, "five printed")
    await _post(client, pos, order("H"))
    await wait_for(lambda: worker.printed == 8, "all printed")

    assert _guests(main) == "ABCDEFGH"
