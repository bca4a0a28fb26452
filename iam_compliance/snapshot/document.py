"""The snapshot: one versioned JSON document holding everything the checks read.

Layout::

    {
      "schema_version": 3,
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
Version 2 gave per-user and per-key failures that shape (version 1 had ``errors`` maps). Version 3
writes every list of GetAccountAuthorizationDetails explicitly, even when empty, and is validated
against ``iam_compliance.snapshot.schema`` on load: a container a check reads may not be missing.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

from iam_compliance.jsonio import MIB, InputFileError, load_bounded_json, write_text_atomic
from iam_compliance.snapshot import schema
from iam_compliance.timeutil import to_iso

SCHEMA_VERSION = 3
# A 5,000-user account's snapshot is a few tens of MiB; policy documents nest about ten levels.
MAX_BYTES = 1024 * MIB
MAX_DEPTH = 64


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


def load(path: Path, validated: bool = True) -> dict:
    """Read and validate a snapshot file; every problem becomes a SnapshotError naming the file.

    Only a regular file of at most MAX_BYTES is read; numbers and nesting are bounded
    (``iam_compliance.jsonio``); then the document must match the schema
    (``iam_compliance.snapshot.schema``), and the first problem is reported with its JSON path.
    ``validated=False`` skips the schema (about 2 s of CPU for a 5,000-user account) for a file whose
    content is known to be one that was validated already, e.g. by its SHA-256 in an xdist worker.
    """
    path = Path(path)
    try:
        doc = load_bounded_json(path, "snapshot", MAX_BYTES, MAX_DEPTH)
    except InputFileError as exc:
        raise SnapshotError(str(exc)) from None
    problems = validate(doc) if validated else ([] if isinstance(doc, dict) else ["the top level is not a JSON object"])
    if problems:
        raise SnapshotError(f"Snapshot {path} is not a valid iam-compliance snapshot: {problems[0]}.")
    return dict(doc)


def validate(doc: Any) -> list[str]:
    """The first problem of ``doc`` as a snapshot (an empty list when it is valid).

    The version comes first (another version has another layout), then the schema, then coverage.
    """
    if not isinstance(doc, dict):
        return ["the top level is not a JSON object"]
    version = doc.get("schema_version")
    if isinstance(version, int) and not isinstance(version, bool) and version != SCHEMA_VERSION:
        return [f"schema_version {version} is not supported (this suite reads {SCHEMA_VERSION}); "
                "collect the account again"]
    problem = schema.schema_problem(doc) or schema.coverage_problem(doc)
    return [problem] if problem else []
