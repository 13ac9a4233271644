"""Which of the domain's modules run compiled (setup.py builds them with mypyc), and the guard that keeps a
checkout from running compiled code older than its source.

In a checkout (`pip install -e`, as `make` does) a compiled module sits beside its source. Once a source
is edited the compiled modules are stale until the next `make`, and Python would still import them. So in
a checkout, when any source of the package is newer than the compiled modules, every compiled module is
imported from its source instead: one stale module is enough, because compiled modules call each other
directly rather than through the module's attributes. `HEARD_PURE_PYTHON=1` does the same anywhere, on purpose.

This is about how modules are loaded, not domain logic: it reads file times once, at import.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from importlib.machinery import EXTENSION_SUFFIXES, ModuleSpec
from importlib.util import spec_from_file_location
from pathlib import Path
from types import ModuleType

PACKAGE = Path(__file__).parent


def compiled_files() -> dict[str, Path]:
    """Module name → its compiled file, for the compiled modules of this package built for this Python."""
    found: dict[str, Path] = {}
    for path in PACKAGE.iterdir():
        for suffix in EXTENSION_SUFFIXES:  # the most specific first: .cpython-311-x86_64-linux-gnu.so
            stem = path.name[: -len(suffix)]
            if path.name.endswith(suffix) and "." not in stem:
                found.setdefault(f"{__package__}.{stem}", path)
                break
    return found


def reason_for_sources(files: dict[str, Path]) -> str | None:
    """Why the sources are imported instead of the compiled modules; None when the compiled ones are used."""
    if not files:
        return "not compiled here (`pip install -v --no-build-isolation -e .` shows why: setup.py)"
    if os.environ.get("HEARD_PURE_PYTHON") == "1":
        return "HEARD_PURE_PYTHON=1"
    if not (PACKAGE.parent.parent / "pyproject.toml").exists():
        return None  # an installed package: its files are as the build made them
    # Any source of the package counts, not only the compiled ones: compiled code was type-checked against
    # the others (a Struct's fields, a constant) and may rely on what it saw.
    built = min(path.stat().st_mtime for path in files.values())
    stale = sorted(source.stem for source in PACKAGE.glob("*.py") if source.stat().st_mtime > built)
    if stale:
        return f"edited since the last build ({', '.join(stale)}): run make to compile them again"
    return None


class _FromSources:
    """A finder ahead of the others that imports the named modules from their .py files."""

    def __init__(self, names: set[str]) -> None:
        self.names = names

    def find_spec(
        self, fullname: str, path: Sequence[str] | None = None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        if fullname not in self.names:
            return None
        return spec_from_file_location(fullname, PACKAGE / f"{fullname.rsplit('.', 1)[1]}.py")


def install() -> None:
    """Called once by the package's __init__, before any of its modules is imported."""
    global REASON
    files = compiled_files()
    REASON = reason_for_sources(files)
    if REASON is not None and files:
        sys.meta_path.insert(0, _FromSources(set(files)))


def describe() -> str:
    """One line for logs and benchmarks: how the domain runs in this process."""
    from daemon.domain import fold

    if fold.__file__ is not None and not fold.__file__.endswith(".py"):
        return "compiled (mypyc)"
    return f"Python: {REASON}"


REASON: str | None = None
