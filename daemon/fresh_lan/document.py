"""Where one JSON document ends in a byte stream, found as the bytes arrive.

Fresh's LAN clients send one JSON document and wait for the answer; newer ones half-close the connection,
older ones (and a person with telnet) do not. So the end of the document is found by its structure: the
bracket that closes the first one, outside strings. The scan keeps its place between chunks, so a document
split across many TCP segments costs one pass over its bytes.
"""

from __future__ import annotations

import re

_IN_TEXT = re.compile(rb'["\\]')  # inside a string only a quote (its end) or a backslash (an escape) matter
_OUTSIDE = re.compile(rb'["{}\[\]]')  # outside strings: brackets and the start of a string
_NOT_SPACE = re.compile(rb"[^ \t\r\n]")


class NotADocument(ValueError):
    """The bytes cannot begin a JSON object or array: garbage, answered at once."""


class DocumentEnd:
    """Feed bytes; `end` is the index just past the first whole JSON object or array, once it is known."""

    def __init__(self) -> None:
        self.buffer = bytearray()
        self.end: int | None = None
        self._pos = 0
        self._depth = 0
        self._in_string = False
        self._started = False

    def feed(self, chunk: bytes) -> int | None:
        """Add bytes; the end of the document if it is now whole. Raises NotADocument on garbage."""
        self.buffer += chunk
        if self.end is None:
            self._scan()
        return self.end

    def _scan(self) -> None:
        buf = self.buffer
        if not self._started:
            first = _NOT_SPACE.search(buf, self._pos)
            if first is None:
                self._pos = len(buf)
                return
            if first.group() not in (b"{", b"["):
                raise NotADocument("a JSON object must start with '{'")
            self._started = True
            self._pos = first.start()
        pos = self._pos
        while True:
            if self._in_string:
                found = _IN_TEXT.search(buf, pos)
                if found is None:
                    pos = len(buf)
                    break
                if found.group() == b"\\":
                    if found.end() >= len(buf):  # the escaped byte has not arrived yet
                        pos = found.start()
                        break
                    pos = found.end() + 1
                    continue
                self._in_string = False
                pos = found.end()
                continue
            found = _OUTSIDE.search(buf, pos)
            if found is None:
                pos = len(buf)
                break
            char = found.group()
            pos = found.end()
            if char == b'"':
                self._in_string = True
            elif char in (b"{", b"["):
                self._depth += 1
            else:
                self._depth -= 1
                if self._depth == 0:
                    self.end = pos
                    break
        self._pos = pos

    @property
    def blank(self) -> bool:
        """Nothing but whitespace so far."""
        return not self._started
