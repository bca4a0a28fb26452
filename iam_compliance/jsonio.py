"""Reading input files within bounds, and writing JSON files atomically.

Every file the suite reads (snapshot, baseline, settings, waivers) comes through ``read_bounded_text``:
only a regular file, opened without blocking (a FIFO or a device would hang the run), and no larger
than the caller's limit. JSON is then parsed by ``parse_bounded_json``, which refuses numbers longer
than ``MAX_NUMBER_DIGITS`` and nesting deeper than the caller's limit with one sentence instead of a
traceback. Writes go to a temporary file renamed over the target, so a reader (a pipeline, a second
run) never sees half a file.
"""

from __future__ import annotations

import json
import os
import stat
import tempfile
from pathlib import Path
from typing import Any, Callable, TextIO

# No value in any file the suite reads needs more digits than this (a 12-digit account id, a count).
MAX_NUMBER_DIGITS = 40
MIB = 1024 * 1024


class InputFileError(ValueError):
    """A file that must not be read as given: not a regular file, too large, too deep, or not JSON.

    The message is one sentence naming the file and the problem.
    """


def read_bounded_text(path: Path, what: str, max_bytes: int) -> str:
    """The UTF-8 text of the regular file ``path``; ``what`` names it in errors ("snapshot", "settings file")."""
    path = Path(path)
    try:
        # O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer forever.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise InputFileError(f"Cannot read {what} {path}: {exc.strerror or exc}.") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise InputFileError(f"Cannot read {what} {path}: it is not a regular file ({_kind(info.st_mode)}).")
        if info.st_size > max_bytes:
            raise InputFileError(f"Cannot read {what} {path}: it is {info.st_size:,} bytes, more than the "
                                 f"{max_bytes:,}-byte limit for a {what}.")
        with os.fdopen(fd, "rb", closefd=True) as handle:
            fd = -1
            data = handle.read(max_bytes + 1)
    except OSError as exc:
        raise InputFileError(f"Cannot read {what} {path}: {exc.strerror or exc}.") from None
    finally:
        if fd >= 0:
            os.close(fd)
    if len(data) > max_bytes:  # the file grew while being read
        raise InputFileError(f"Cannot read {what} {path}: it is more than the {max_bytes:,}-byte limit for a {what}.")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputFileError(f"Cannot read {what} {path}: it is not UTF-8 text (byte {exc.start}).") from None


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a named pipe"), (stat.S_ISSOCK, "a socket"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device")):
        if test(mode):
            return name
    return "a special file"


def _bounded_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_NUMBER_DIGITS:
        raise _TooLong(text)
    return int(text)


def _bounded_float(text: str) -> float:
    if len(text) > MAX_NUMBER_DIGITS + 10:
        raise _TooLong(text)
    return float(text)


class _TooLong(ValueError):
    def __init__(self, text: str):
        super().__init__(text)
        self.digits = len(text)


def parse_bounded_json(text: str, where: str, max_depth: int) -> Any:
    """``json.loads`` with bounded numbers and nesting; ``where`` starts every error ("Snapshot x.json").

    Raises InputFileError: not JSON (with line and column), a number longer than MAX_NUMBER_DIGITS,
    or containers nested deeper than ``max_depth``.
    """
    try:
        doc = json.loads(text, parse_int=_bounded_int, parse_float=_bounded_float,
                         parse_constant=_no_constant)
    except _TooLong as exc:
        raise InputFileError(f"{where} has a number of {exc.digits:,} characters; numbers are limited to "
                             f"{MAX_NUMBER_DIGITS} digits.") from None
    except RecursionError:
        raise InputFileError(f"{where} nests arrays or objects more than {max_depth} levels deep.") from None
    except json.JSONDecodeError as exc:
        raise InputFileError(
            f"{where} is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}.") from None
    except ValueError as exc:  # NaN / Infinity
        raise InputFileError(f"{where} is not valid JSON: {exc}.") from None
    depth = nesting_depth(doc, max_depth)
    if depth > max_depth:
        raise InputFileError(f"{where} nests arrays or objects more than {max_depth} levels deep.")
    return doc


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def nesting_depth(value: Any, limit: int) -> int:
    """How deeply lists and dicts nest in ``value`` (a scalar is 0), counting no further than ``limit + 1``."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            children: Any = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        depth += 1
        deepest = max(deepest, depth)
        if depth > limit:
            return depth
        stack.extend((child, depth) for child in children)
    return deepest


def load_bounded_json(path: Path, what: str, max_bytes: int, max_depth: int) -> Any:
    """Read and parse a JSON input file within the given bounds; every problem is one InputFileError."""
    text = read_bounded_text(path, what, max_bytes)
    return parse_bounded_json(text, f"{what[:1].upper()}{what[1:]} {path}", max_depth)


# A baseline findings.json: large accounts give tens of thousands of records.
BASELINE_MAX_BYTES = 512 * MIB
BASELINE_MAX_DEPTH = 32


def load_baseline_json(path: Path) -> Any:
    """A baseline findings.json, bounded like every other input (for ``iam_compliance.results.findings``)."""
    return load_bounded_json(path, "baseline", BASELINE_MAX_BYTES, BASELINE_MAX_DEPTH)


def dumps(doc: Any, indent: int = 2) -> str:
    return json.dumps(doc, indent=indent, sort_keys=False, ensure_ascii=False) + "\n"


def write_atomic(path: Path, write: Callable[[TextIO], None], mode: int | None = None) -> Path:
    """Let ``write`` fill a temporary file beside ``path``, then rename it over ``path``: readers see the
    old file or the whole new one, never part of it. ``mode`` (e.g. 0o600) is set before any content."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}-", dir=path.parent)
    try:
        if mode is not None:
            os.fchmod(fd, mode)
        with os.fdopen(fd, "w", encoding="utf-8", buffering=1 << 20) as handle:
            write(handle)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def write_text_atomic(text: str, path: Path, mode: int | None = None) -> Path:
    """Write ``text`` to ``path`` atomically (see ``write_atomic``)."""

    def write(handle: TextIO) -> None:
        handle.write(text)

    return write_atomic(path, write, mode)


def write_json_atomic(doc: Any, path: Path, mode: int | None = None) -> Path:
    return write_text_atomic(dumps(doc), path, mode)
