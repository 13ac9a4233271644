"""One printer's worker: takes its print jobs from the effect journal in creation order and prints each
until the printer confirms it, with backoff, failover to a backup, and visible drops.

A job is done only when a status query after it answers online (a printer switched off mid-job raises
nothing). Before its bytes go out, the attempt is written to the journal (`retry`: attempts + 1): a job
that went out and was never confirmed — the printer died, or the daemon was killed between send and
confirmation — is sent again, marked RESENT, so that a chit is never lost and a possible duplicate is
never silent. A job for a ticket bumped or voided while it waited is dropped (status `dropped`, with
the reason), and so is a job its backup printer took.
"""

from __future__ import annotations

import asyncio
import collections
import itertools
import logging
from collections.abc import Callable
from typing import Any

import msgspec

from daemon.config import PrinterConfig
from daemon.domain.events import ORDER
from daemon.domain.model import Order, TicketStatus
from daemon.reactions.print_rule import PRINT
from daemon.reactions.printer_thread import PrinterThread
from daemon.store.journal import Effect, EffectRecord
from daemon.store.store import Store
from daemon.tasks import wait_event
from drivers.printers.connection import PrinterConnection, PrinterStatus, PrinterUnavailable
from drivers.printers.layout import layout
from drivers.printers.render import Profile, render

log = logging.getLogger(__name__)

BACKOFF_FIRST, BACKOFF_MAX = 0.25, 4.0  # seconds between tries on a dead printer
IDLE_POLL_SECONDS = 5.0  # status is asked this often when there is nothing to print
# Jobs held in memory; more wait in the journal only and are read back when these are done, so a long
# outage during a rush costs disk, not the daemon's memory.
MAX_QUEUED = 500
RESENT = "RESENT - may repeat a chit"
BATCH = 16  # jobs at the head of the queue printed as one piece of work (see PrinterWorker._attempt)
# Chits about a ticket's work: pointless once the ticket is bumped or voided. Void and cancel notices,
# and reprints someone asked for, always print.
_WORK_CHITS = ("ticket", "fire", "update", "unseen")


class Job(msgspec.Struct, frozen=True, gc=False):
    """What the queue keeps of a print job: enough to order it and to know when it is no longer wanted.
    The chit itself (up to a large order's worth of text) stays in the journal and is read at print time,
    so a long queue costs the daemon little memory."""

    id: str
    seq: int  # creation order in the journal
    created_ms: int
    chit: str
    order_id: str
    ticket_id: str
    keep: bool  # a notice or reprint someone asked for: printed whatever became of the ticket
    stands_in: bool  # a backup's copy of another printer's job

    @classmethod
    def of(cls, record: EffectRecord) -> Job:
        p = record.effect.payload
        chit = str(p.get("chit") or "")
        keep = chit not in _WORK_CHITS or "REPRINT" in (p.get("marks") or ())
        return cls(
            record.effect.id,
            record.seq,
            record.created_ms,
            chit,
            str(p.get("order_id")),
            str(p.get("ticket_id")),
            keep,
            bool(p.get("backup_for")),
        )


class PrinterWorker:
    def __init__(
        self,
        config: PrinterConfig,
        connection: PrinterConnection,
        store: Store,
        now_ms: Callable[[], int],
    ) -> None:
        self.config = config
        self.id = config.id
        self._connection = connection
        self._store = store
        self._now_ms = now_ms
        self._thread = PrinterThread(config.id)
        self._profile: Profile | None = None
        self.backup: PrinterWorker | None = None
        self.jobs: collections.deque[Job] = collections.deque()
        self._queued: set[str] = set()
        self._overflow = 0  # pending jobs in the journal after those in memory (printed after them)
        self._last_seq = 0  # the journal seq of the newest job queued
        self._loading = True  # reading the journal (from the start until the first read is done)
        self._wake = asyncio.Event()
        self.online: bool | None = None
        self.paper = "unknown"
        self.last_error = ""
        self.last_status_ms: int | None = None
        self.dead_since_ms: int | None = None
        self.printed = 0
        self.dropped = 0

    # ---- the queue ------------------------------------------------------------------------------------
    def offer(self, record: EffectRecord) -> None:
        """A pending job for this printer (from the journal at start, or newly recorded)."""
        if record.effect.id in self._queued or record.status != "pending" or record.seq <= self._last_seq:
            return
        if self._loading or self._overflow or len(self.jobs) >= MAX_QUEUED:
            # It waits in the journal behind the others and is read back in its turn: jobs print in
            # creation order however many waited. (Counted even if the read under way finds it too: an
            # extra read that finds nothing is all that costs.)
            self._overflow += 1
            return
        self._queue(record)

    def _queue(self, record: EffectRecord) -> None:
        self._queued.add(record.effect.id)
        self._last_seq = record.seq
        self.jobs.append(Job.of(record))
        self._wake.set()

    async def load(self) -> None:
        """At start (after a restart or a crash), and when jobs overflowed memory: the journal's next
        pending jobs, as many as memory holds, in creation order."""
        journal = self._store.journal
        self._loading, self._overflow = True, 0
        try:
            room = MAX_QUEUED - len(self.jobs)
            records = await journal.pending(PRINT, target=self.id, after_seq=self._last_seq, limit=room)
            for record in records:
                if record.effect.id not in self._queued:
                    self._queue(record)
            # More may wait: how many, for the status page (and so that they are read in their turn).
            more = await journal.count_pending(PRINT, self.id, self._last_seq) if len(records) == room else 0
        finally:
            self._loading = False
        self._overflow += more

    @property
    def waiting(self) -> int:
        return len(self.jobs) + self._overflow

    # ---- the loop -------------------------------------------------------------------------------------
    async def run(self) -> None:
        self._profile = await self._thread.call(Profile, self.config.profile)
        await self.load()
        backoff = BACKOFF_FIRST
        while True:
            if not self.jobs and self._overflow:
                await self.load()
                continue
            if not self.jobs:
                self._wake.clear()
                # Not wait_for(): on Python 3.11 it drops a stop that lands in the turn a job arrives.
                if not await wait_event(self._wake, IDLE_POLL_SECONDS):
                    await self._poll()
                continue
            batch = list(itertools.islice(self.jobs, BATCH))
            try:
                await self._attempt(batch)
            except PrinterUnavailable as exc:
                await self._failed(str(exc))
                await asyncio.sleep(backoff)  # a timer between tries, not synchronisation
                backoff = min(backoff * 2, BACKOFF_MAX)
                continue
            except Exception:
                # A bug (or a store that refuses writes) must not kill the printer: log, wait, try again.
                log.exception("print job failed printer=%s job=%s", self.id, batch[0].id)
                await asyncio.sleep(BACKOFF_MAX)
                continue
            for job in batch:
                self._forget(job)
            backoff = BACKOFF_FIRST

    async def _attempt(self, batch: list[Job]) -> None:
        """Print the jobs at the head of the queue, in order, as one piece of work: a status question
        before and after, the bytes in one send, one durable write of their attempts before and one of
        their confirmation after. In a quiet kitchen a batch is one chit; in a rush, the chits that
        queued while the last batch printed (and what a crash or a dead printer leaves unconfirmed is
        the whole batch, printed again marked RESENT: a possible duplicate, never a lost chit)."""
        records = await self._store.journal.get_many([job.id for job in batch])
        # Jobs settled meanwhile (dropped by a reprint's, or a backup's, reason) are left out.
        jobs = [(job, r) for job in batch if (r := records.get(job.id)) is not None and r.status == "pending"]
        if not jobs:
            return
        status = await self._status()
        if not status.online:
            raise PrinterUnavailable("out of paper" if status.paper == "out" else "offline (cover open or error)")
        # Asked after the printer answered, just before the bytes go out: a ticket bumped (or seen) while
        # the status question was on the wire is not printed.
        wanted: list[tuple[Job, EffectRecord]] = []
        for (job, record), reason in zip(jobs, await self._unwanted_of([job for job, _ in jobs]), strict=True):
            if reason:
                await self._drop(job, reason)
            else:
                wanted.append((job, record))
        if not wanted:
            return
        # attempts counts the times the bytes went out unconfirmed: the journal's own count, durable.
        data = await self._thread.call(self._render_all, [(r.effect.payload, r.attempts > 0) for _, r in wanted])
        ids = [job.id for job, _ in wanted]
        # Durable before the bytes go out: after a crash from here on, the jobs are known to have been sent.
        await self._store.journal.retry_all(ids, "sent; waiting for the printer to confirm", self._now_ms())
        await self._thread.call(self._connection.send, data)
        status = await self._status()
        if not status.online:
            raise PrinterUnavailable("went offline while printing (the chits will print again, marked RESENT)")
        await self._store.journal.done_all(ids, attempt_counted=True)
        self.printed += len(ids)
        # DEBUG: a line per chit costs ~100 µs at a rush's rate, and the journal already records each job's
        # outcome (GET /api/v1/printers counts, the effect's status); problems are logged at WARNING.
        log.debug("printed printer=%s jobs=%s", self.id, ",".join(ids))

    def _render_all(self, chits: list[tuple[dict[str, Any], bool]]) -> bytes:
        return b"".join(self._render(payload, resent) for payload, resent in chits)

    def _render(self, payload: dict[str, Any], resent: bool) -> bytes:
        assert self._profile is not None
        chit = dict(payload)
        if resent:
            chit["marks"] = [*payload.get("marks", ()), RESENT]
        return render(layout(chit, self._profile.columns), self._profile)

    async def _status(self) -> PrinterStatus:
        try:
            status = await self._thread.call(self._connection.status)
        except PrinterUnavailable:
            self.online = False
            raise
        self.online, self.paper, self.last_status_ms = status.online, status.paper, self._now_ms()
        if status.online:
            if self.dead_since_ms is not None:
                log.info("printer back online printer=%s", self.id)
            self.dead_since_ms = None
            self.last_error = ""
        return status

    async def _poll(self) -> None:
        try:
            await self._status()
        except PrinterUnavailable as exc:
            self._note_dead(str(exc))

    # ---- when it fails ---------------------------------------------------------------------------------
    def _note_dead(self, error: str) -> None:
        if error != self.last_error:
            log.warning("printer unavailable printer=%s error=%s", self.id, error)
        self.last_error = error
        self.online = False
        if self.dead_since_ms is None:
            self.dead_since_ms = self._now_ms()

    async def _failed(self, error: str) -> None:
        self._note_dead(error)
        jobs = list(self.jobs)
        for job, reason in zip(jobs, await self._unwanted_of(jobs), strict=True):
            if reason:
                await self._drop(job, reason)
                self._forget(job)
        if self.backup is None:
            return
        limit = self.config.failover_after_seconds * 1000
        now = self._now_ms()
        for job in list(self.jobs):
            if job.stands_in:
                continue  # a job already standing in for another printer waits here: no chains, no loops
            waiting_since = max(job.created_ms, self.dead_since_ms or now)
            if now - waiting_since >= limit:
                await self._fail_over(job, self.backup)

    async def _fail_over(self, job: Job, backup: PrinterWorker) -> None:
        """Record the job for the backup, then drop it here: in that order, a crash between the two leaves
        two pending copies, and this printer finds its copy's backup before printing it (never lost)."""
        record = await self._store.journal.get(job.id)
        if record is None or record.status != "pending":
            self._forget(job)
            return
        payload = dict(record.effect.payload)
        payload["marks"] = [f"BACKUP for {self.id}", *payload.get("marks", ())]
        payload["backup_for"] = self.id
        copy = Effect(_backup_id(job.id, backup.id), PRINT, backup.id, payload, record.effect.order_key)
        await self._store.journal.record([copy])
        await self._drop(job, f"sent to backup printer {backup.id}")
        self._forget(job)
        log.warning("print job failed over printer=%s backup=%s job=%s", self.id, backup.id, job.id)

    async def _unwanted_of(self, jobs: list[Job]) -> list[str | None]:
        """Why each job should not print any more (None: it should), with one read of the journal for
        their backup copies."""
        backup = self.backup
        if backup is None:
            return [await self._unwanted_here(job) for job in jobs]
        copies = await self._store.journal.get_many([_backup_id(job.id, backup.id) for job in jobs])
        return [
            f"printed by backup printer {backup.id}"
            if _backup_id(job.id, backup.id) in copies
            else await self._unwanted_here(job)
            for job in jobs
        ]

    async def _unwanted_here(self, job: Job) -> str | None:
        """Why the ticket's state makes this job pointless, or None."""
        if job.keep:
            return None
        order = await self._store.load(ORDER, job.order_id)
        ticket = order.tickets.get(job.ticket_id) if isinstance(order, Order) else None
        if ticket is None:
            return None  # nothing known against it: print rather than lose it
        if ticket.status in (TicketStatus.BUMPED, TicketStatus.VOIDED):
            return f"ticket {ticket.status.value} before it printed"
        if job.chit == "unseen" and ticket.seen_ms is not None:
            return "a screen showed the ticket before it printed"
        return None

    async def _drop(self, job: Job, reason: str) -> None:
        if await self._store.journal.drop(job.id, reason):
            self.dropped += 1
            log.info("print job dropped printer=%s job=%s reason=%s", self.id, job.id, reason)

    def _forget(self, job: Job) -> None:
        if self.jobs and self.jobs[0] is job:
            self.jobs.popleft()
        elif job in self.jobs:
            self.jobs.remove(job)
        self._queued.discard(job.id)

    def stop(self) -> None:
        self._thread.stop(self._connection.close)

    def status_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.config.kind,
            "profile": self.config.profile,
            "backup_for": self.config.backup_for,
            "online": self.online,
            "paper": self.paper,
            "jobs_waiting": self.waiting,
            "last_error": self.last_error or None,
            "last_status_ms": self.last_status_ms,
            "printed": self.printed,
            "dropped": self.dropped,
        }


def _backup_id(effect_id: str, backup: str) -> str:
    return f"{effect_id}:backup:{backup}"
