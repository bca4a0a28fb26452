"""One shape for every partial failure in a snapshot, and its one reader.

A source, a region of a regional source, a user of a per-user source, a service-activity entity
and an access key's last-use lookup all record a failure the same way::

    {"status": "error", "error": {"code": "AccessDenied", "message": "..."}}

and success as ``{"status": "ok", ...}``. ``failure_of`` is how the model reads any of them: an
entry that says neither counts as failed, so a damaged snapshot can never pass for data.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

OK = "ok"
ERROR = "error"


@dataclass(frozen=True)
class Failure:
    """Why something could not be read: the AWS error code and message (or the collector's own)."""

    code: str
    message: str

    def describe(self) -> str:
        return f"{self.code}: {self.message}"


def ok_entry(**fields: Any) -> dict[str, Any]:
    """The entry recording what was read, at any level: ``{"status": "ok", **fields}``."""
    return {"status": OK, **fields}


def error_entry(code: str, message: str) -> dict[str, Any]:
    """The entry recording a failure, at any level."""
    return {"status": ERROR, "error": {"code": code, "message": message}}


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
