"""Fixtures of the store's tests: a store open on a real SQLite file."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from daemon.store.store import Store


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    s = Store(tmp_path / "heard.db", "device-a")
    await s.open()
    yield s
    await s.close()
