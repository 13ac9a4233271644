"""The pure domain: entities, events, commands and the fold. No I/O, no clock, no logging."""

from daemon.domain import compiled

compiled.install()  # before any other module of the package is imported (compiled.py says why)
