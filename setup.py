"""The build's one step that pyproject.toml cannot say: the domain's hot modules compiled with mypyc.

Why: an order's validation, command and fold are plain, fully typed Python that runs for every order on the
event loop (docs/benchmarks.md). mypyc turns those modules into C extensions from the same sources, the way
mypy and black ship: ~9 % fewer instructions in validation, ~22 % in the command, ~18 % in the fold, no
change of behaviour (the whole suite runs on the compiled modules). Everything else stays interpreted.

The sources stay the truth. Without mypyc, a C compiler or Python's headers the build says why and installs
the same modules as Python; so does `HEARD_PURE_PYTHON=1` (which the daemon also honours when it imports
them: daemon/domain/compiled.py).
"""

from __future__ import annotations

import os
import shutil
import sys
import sysconfig
from pathlib import Path
from typing import Any

from setuptools import setup

# The modules every order passes through. A module that defines msgspec Structs stays interpreted: msgspec
# reads a Struct's annotations, which a compiled class does not keep in the form it reads.
COMPILED = [
    "daemon/domain/checks.py",
    "daemon/domain/codec.py",
    "daemon/domain/commands.py",
    "daemon/domain/course_fold.py",
    "daemon/domain/courses.py",
    "daemon/domain/fold.py",
    "daemon/domain/intake.py",
    "daemon/domain/kds_order.py",
    "daemon/domain/routing.py",
    "daemon/domain/settle.py",
    "daemon/domain/values.py",
]


def why_not_compiled() -> str | None:
    """None when the compiled build can run here, else the reason it cannot (printed, never fatal)."""
    if os.environ.get("HEARD_PURE_PYTHON") == "1":
        return "HEARD_PURE_PYTHON=1"
    try:
        import mypyc.build  # noqa: F401
    except ImportError:
        return "mypyc is not installed (it comes with mypy)"
    compiler = (sysconfig.get_config_var("CC") or "cc").split()[0]
    if shutil.which(compiler) is None:
        return f"no C compiler ({compiler}); apt-get install gcc"
    if not (Path(sysconfig.get_paths()["include"]) / "Python.h").exists():
        return f"no Python headers for {sys.executable}; apt-get install python3-dev"
    return None


def ext_modules() -> list[Any]:
    reason = why_not_compiled()
    if reason is not None:
        print(f"heard: the domain is installed as Python, not compiled: {reason}", file=sys.stderr)
        return []
    from mypyc.build import mypycify

    try:  # mypyc type-checks first; `make lint` reports the same errors, so the install goes on without it
        return mypycify(COMPILED, opt_level="3", group_name="heard_domain")  # type: ignore[no-any-return]
    except (SystemExit, Exception) as exc:
        print(f"heard: the domain is installed as Python, not compiled: mypyc failed ({exc})", file=sys.stderr)
        return []


setup(ext_modules=ext_modules())
