"""heard-daemon's entry point: what the process settles before it imports the daemon.

peewee imports a PostgreSQL driver at its own import whenever one is installed, and the package installs
psycopg for heard-hq (one package, four commands). In the daemon that import alone took ~22 MB of the
device's 80 MB idle budget (ARCHITECTURE §9), for a driver the daemon never uses: its database is SQLite.
So the daemon's process marks the drivers as absent before anything imports peewee; heard-hq, heardctl
and the tests, which are other entry points, import them as they always did.
"""

from __future__ import annotations

import sys

POSTGRES_DRIVERS = ("psycopg", "psycopg2")


def main() -> None:
    for driver in POSTGRES_DRIVERS:
        # None in sys.modules makes `import driver` raise ImportError, which peewee takes as "not installed".
        # setdefault: a driver something imported already (an embedding process) is left alone.
        sys.modules.setdefault(driver, None)  # type: ignore[arg-type]
    from daemon.main import main as run_daemon

    run_daemon()
