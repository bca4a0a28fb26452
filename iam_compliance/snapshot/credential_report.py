"""The IAM credential report as the snapshot keeps it: its columns, the root row, and parsing its CSV."""

from __future__ import annotations

import csv
import io

COLUMNS = (
    "user", "arn", "user_creation_time", "password_enabled", "password_last_used",
    "password_last_changed", "password_next_rotation", "mfa_active",
    "access_key_1_active", "access_key_1_last_rotated", "access_key_1_last_used_date",
    "access_key_1_last_used_region", "access_key_1_last_used_service",
    "access_key_2_active", "access_key_2_last_rotated", "access_key_2_last_used_date",
    "access_key_2_last_used_region", "access_key_2_last_used_service",
    "cert_1_active", "cert_1_last_rotated", "cert_2_active", "cert_2_last_rotated",
)
ROOT_USER = "<root_account>"


def parse(content: bytes | str) -> list[dict[str, str]]:
    """Rows keyed by column name, root first, then users by name; unknown columns are kept."""
    text = content.decode("utf-8") if isinstance(content, bytes) else content
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in ("user", "arn") if c not in (reader.fieldnames or [])]
    if missing:
        raise ValueError(f"the credential report has no column {', '.join(missing)}")
    rows = [{k: (v if v is not None else "") for k, v in row.items() if k is not None} for row in reader]
    return sorted(rows, key=lambda row: (row["user"] != ROOT_USER, row["user"]))
