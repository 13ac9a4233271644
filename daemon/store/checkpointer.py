"""WAL checkpoints off the write path.

SQLite checkpoints a WAL database from the connection that commits, by default: once the log passes 1,000
pages (4 MB), the COMMIT that crossed the line copies every page back into the database file and fsyncs it
before it returns. Our writer commits a group of requests at a time, so that COMMIT held every request of
its group: under a steady load of orders it took 5–15 ms once every second or so, against ~1.3 ms for an
ordinary one, and was 40 % of all the time the writer spent in COMMIT (bench/phases-style timing of the
writer, 24,000 orders). The requests of that group waited for it, and the event loop, all of whose requests
were in that group, sat idle.

Here a thread with its own connection checkpoints PASSIVE (it never waits for, or blocks, the writer or a
reader) every INTERVAL_SECONDS while writes come in, and never while none do: each pass copies what the
last interval committed, so none takes long. The writer keeps SQLite's own
checkpoint as a backstop, at a higher mark (BACKSTOP_PAGES): a passive checkpoint that runs beside a writer
cannot reset the log (the writer is always past it), so under a load that never pauses the log grows until
that backstop runs, and then it finds nearly every page already copied.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from pathlib import Path

log = logging.getLogger(__name__)

INTERVAL_SECONDS = 0.1
BACKSTOP_PAGES = 4_000  # 16 MB of log: the writer's own checkpoint, for a load that never pauses


class Checkpointer:
    def __init__(self, path: Path, interval: float = INTERVAL_SECONDS) -> None:
        self._path = path
        self._interval = interval
        self._written = threading.Event()  # a commit since the last checkpoint
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="heard-checkpoint", daemon=True)
        self._failing = False
        self.checkpoints = 0  # passive checkpoints run so far
        self.failures = 0  # and attempts that failed

    def start(self) -> None:
        self._thread.start()

    def written(self) -> None:
        """The writer committed: a checkpoint is due within the interval."""
        self._written.set()

    def stop(self) -> None:
        """Blocking: the thread's last checkpoint (if one is running) ends first."""
        self._stopping.set()
        self._written.set()
        if self._thread.is_alive():
            self._thread.join()

    def _run(self) -> None:
        conn: sqlite3.Connection | None = None
        try:
            while True:
                self._written.wait()
                # An interval's commits share one checkpoint; a stop cuts the wait short.
                if self._stopping.wait(self._interval):
                    return
                self._written.clear()
                conn = self._checkpoint(conn)
        finally:
            if conn is not None:
                conn.close()

    def _checkpoint(self, conn: sqlite3.Connection | None) -> sqlite3.Connection | None:
        """One passive checkpoint; the connection to keep for the next (opened on first use)."""
        try:
            if conn is None:
                conn = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
            busy, frames, copied = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        except sqlite3.Error as exc:
            # Nothing is lost: the writer's backstop checkpoints, and the next pass tries again.
            if not self._failing:
                log.warning("checkpoint failed error=%r; the writer checkpoints at its backstop meanwhile", exc)
            self._failing = True
            self.failures += 1
            return conn
        if self._failing:
            log.info("checkpoints work again")
        self._failing = False
        self.checkpoints += 1
        log.debug("checkpoint busy=%s log_frames=%s copied=%s", busy, frames, copied)
        return conn
