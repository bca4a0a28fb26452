"""The snapshot: one versioned JSON document holding everything the checks read.

Layout::

    {
      "schema_version": 2,
      "generator": "iam-compliance 0.1.0",
      "account_id": "123456789012", "partition": "aws", "caller_arn": "arn:aws:iam::...",
      "collected_at": "2026-11-29T16:00:00+00:00",
      "sources": {
        "<source>": {"status": "ok", "data": ...}
                  | {"status": "error", "error": {"code": "AccessDenied", "message": "..."}}
      }
    }

A source that reads several regions, users, entities or keys records each of them in the same
two shapes, so that one failure spoils only its own items (``iam_compliance.snapshot.failures``).
Version 2 gave per-user and per-key failures that shape (version 1 had ``errors`` maps).
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

from iam_compliance.jsonio import write_text_atomic
from iam_compliance.snapshot.failures import ERROR, OK
from iam_compliance.timeutil import parse_timestamp, to_iso

SCHEMA_VERSION = 2
REQUIRED_FIELDS = {
    "schema_version": int,
    "generator": str,
    "account_id": str,
    "partition": str,
    "caller_arn": str,
    "collected_at": str,
    "sources": dict,
}


class SnapshotError(Exception):
    """The snapshot file is missing, unreadable or not a valid snapshot."""


def json_safe(value: Any) -> Any:
    """Turn a boto3 response into plain JSON data (datetimes become UTC ISO strings, bytes text)."""
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if isinstance(value, datetime):
        return to_iso(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return value


def dumps(doc: dict) -> str:
    return json.dumps(doc, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def save(doc: dict, path: Path) -> Path:
    """Write the snapshot atomically with file mode 0600 (it describes the account's credentials)."""
    return write_text_atomic(dumps(doc), path, mode=0o600)


def sha256_of(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def load(path: Path) -> dict:
    """Read and validate a snapshot file; every problem becomes a SnapshotError naming the file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SnapshotError(f"Cannot read snapshot {path}: {exc}") from None
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SnapshotError(
            f"Snapshot {path} is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}."
        ) from None
    problems = validate(doc)
    if problems or not isinstance(doc, dict):
        raise SnapshotError(f"Snapshot {path} is not a valid iam-compliance snapshot: " + "; ".join(problems))
    return doc


def validate(doc: Any) -> list[str]:
    """Structural checks only; the content of each source is checked where it is read."""
    if not isinstance(doc, dict):
        return ["the top level is not a JSON object"]
    problems = []
    for field, kind in REQUIRED_FIELDS.items():
        if not isinstance(doc.get(field), kind) or isinstance(doc.get(field), bool):
            problems.append(f"field '{field}' is missing or not a {kind.__name__}")
    if problems:
        return problems
    if doc["schema_version"] != SCHEMA_VERSION:
        problems.append(f"schema_version {doc['schema_version']} is not supported (this suite reads {SCHEMA_VERSION})")
    try:
        parse_timestamp(doc["collected_at"])
    except ValueError:
        problems.append(f"collected_at {doc['collected_at']!r} is not an ISO 8601 timestamp")
    for name, source in doc["sources"].items():
        if not isinstance(source, dict) or source.get("status") not in (OK, ERROR):
            problems.append(f"source '{name}' has no status 'ok' or 'error'")
        elif source["status"] == OK and "data" not in source:
            problems.append(f"source '{name}' is ok but has no data")
        elif source["status"] == ERROR and not isinstance(source.get("error"), dict):
            problems.append(f"source '{name}' failed but records no error")
    return problems
