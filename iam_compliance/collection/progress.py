"""Collection progress on a terminal: the source being read, entities done out of total, time elapsed.

Large accounts take minutes to collect (one call or job per user and role); a person at a terminal
sees where it is. Nothing is printed when stderr is not a terminal or in CI (``CI=true``), so logs
and pipelines stay clean, and at most a few updates a second are written.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from contextlib import contextmanager
from typing import IO, Iterator

UPDATE_EVERY = 0.5  # seconds between two updates of the line


def enabled(stream: IO[str] | None = None) -> bool:
    stream = stream or sys.stderr
    if os.environ.get("CI", "").strip().lower() in ("true", "1"):
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


class Progress:
    """One source's progress line, rewritten in place (``\\r``); thread-safe, as pool workers tick it."""

    def __init__(self, source: str, total: int = 0, stream: IO[str] | None = None, show: bool | None = None):
        self.source, self.total, self.done = source, total, 0
        self.stream = stream or sys.stderr
        self.show = enabled(self.stream) if show is None else show
        self.started = time.monotonic()
        self._last = 0.0
        self._lock = threading.Lock()

    def line(self) -> str:
        count = f" {self.done:,}/{self.total:,}" if self.total else ""
        return f"collecting {self.source}:{count} {time.monotonic() - self.started:.0f} s"

    def advance(self, count: int = 1) -> None:
        with self._lock:
            self.done += count
            now = time.monotonic()
            if self.show and (now - self._last >= UPDATE_EVERY or self.done == self.total):
                self._last = now
                self.stream.write("\r" + self.line() + "\x1b[K")
                self.stream.flush()

    def finish(self) -> None:
        if self.show and self._last:
            self.stream.write("\r" + self.line() + "\x1b[K\n")
            self.stream.flush()


_current = threading.local()


@contextmanager
def source(name: str) -> Iterator[None]:
    """The collector reads source ``name``: per-entity work inside it reports under that name."""
    _current.name = name
    try:
        yield
    finally:
        _current.name = None


def for_entities(total: int) -> Progress:
    """A progress line for ``total`` per-entity calls of the source being read."""
    return Progress(getattr(_current, "name", None) or "data", total)
