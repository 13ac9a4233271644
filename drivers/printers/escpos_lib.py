"""python-escpos, imported once with its capabilities cache in a folder of ours.

Each import of python-escpos without ESCPOS_CAPABILITIES_PICKLE_DIR makes a new temporary folder
(mkdtemp) for its cache; on an appliance that restarts for years those pile up. One fixed folder, made
here, is reused by every start.
"""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path

_CACHE = Path(tempfile.gettempdir()) / "heard-escpos-capabilities"
_CACHE.mkdir(exist_ok=True)
os.environ.setdefault("ESCPOS_CAPABILITIES_PICKLE_DIR", str(_CACHE))

# python-escpos calls logging.basicConfig() when imported: that would configure the root logger before
# the daemon does (and the daemon's own basicConfig would then do nothing: no log at all). A handler
# held on the root logger for the import makes that call a no-op.
_root, _guard = logging.getLogger(), logging.NullHandler()
_root.addHandler(_guard)
try:
    from escpos import exceptions as escpos_exceptions
    from escpos.printer import Dummy, Network, Serial
finally:
    _root.removeHandler(_guard)

__all__ = ["Dummy", "Network", "Serial", "escpos_exceptions", "profile_names", "profile_known"]


def profile_known(name: str) -> bool:
    """Whether python-escpos has a capabilities profile of this name."""
    return name in profile_names()


def profile_names() -> list[str]:
    from escpos.capabilities import CAPABILITIES

    return sorted(CAPABILITIES["profiles"])
