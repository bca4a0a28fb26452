"""One shape for every partial failure in a snapshot, and its one reader.

A source, a region of a regional source, a user of a per-user source, a service-activity entity
and an access key's last-use lookup all record a failure the same way::

    {"status": "error", "error": {"code": "AccessDenied", "message": "..."}}

and success as ``{"status": "ok", ...}``. ``failure_of`` is how the model reads any of them: an
entry that says neither counts as failed, so a damaged snapshot can never pass for data.

Error codes and messages come from AWS (or from whoever wrote the snapshot): control characters
in them (terminal escape sequences, carriage returns, NULs) are removed when an error is recorded
and again when one is read, so that no report and no terminal shows them raw.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Mapping

OK = "ok"
ERROR = "error"
# C0 and C1 control characters, DEL, and the Unicode bidirectional overrides that reorder displayed text.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]+")
# ANSI/VT escape sequences: CSI (ESC [ ... final), OSC (ESC ] ... BEL or ESC \), and two-character ones.
_ESCAPE_SEQUENCE = re.compile(r"\x1b(\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)?|[@-Z\\-_])")


def printable(text: str) -> str:
    """``text`` without terminal escape sequences and control characters (each run becomes one space)."""
    return _CONTROL.sub(" ", _ESCAPE_SEQUENCE.sub("", text)).strip()


@dataclass(frozen=True)
class Failure:
    """Why something could not be read: the AWS error code and message (or the collector's own)."""

    code: str
    message: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "code", printable(self.code))
        object.__setattr__(self, "message", printable(self.message))

    def describe(self) -> str:
        return f"{self.code}: {self.message}"


def ok_entry(**fields: Any) -> dict[str, Any]:
    """The entry recording what was read, at any level: ``{"status": "ok", **fields}``."""
    return {"status": OK, **fields}


def error_entry(code: str, message: str) -> dict[str, Any]:
    """The entry recording a failure, at any level (control characters removed)."""
    return {"status": ERROR, "error": {"code": printable(str(code)), "message": printable(str(message))}}


def failure_of(entry: Any) -> Failure | None:
    """None when the entry was read; its Failure when it records one, or when it is not an entry at all."""
    if isinstance(entry, Mapping) and entry.get("status") == OK:
        return None
    if isinstance(entry, Mapping) and entry.get("status") == ERROR:
        error = entry.get("error")
        if not isinstance(error, Mapping):
            return Failure("Unknown", "the failure was recorded without an error")
        return Failure(str(error.get("code") or "Unknown"), str(error.get("message") or ""))
    found = entry.get("status") if isinstance(entry, Mapping) else type(entry).__name__
    return Failure("Unreadable", f"the snapshot entry has no status 'ok' or 'error' (found {found!r})")
