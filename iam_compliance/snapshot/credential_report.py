"""The IAM credential report as the snapshot keeps it: its columns, the root row, and parsing its CSV."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Iterable, Mapping, Sequence

from iam_compliance.timeutil import parse_timestamp

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


# --- reconciling the report with IAM ---------------------------------------------------------------------------
#
# AWS serves a credential report for up to 4 hours after generating it. Users deleted since are still in it,
# users created since are not, and a user deleted and re-created under the same name has the old user's row.
# ``reconcile`` is the one place that decides which row, if any, describes each IAM user.


def _second(value: Any) -> datetime | None:
    """A timestamp to the whole second (the report's precision); None when unreadable."""
    if isinstance(value, datetime):
        parsed = value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    else:
        try:
            parsed = parse_timestamp(str(value))
        except ValueError:
            return None
    return parsed.astimezone(timezone.utc).replace(microsecond=0)


def describes(row: Mapping[str, str], user: Mapping[str, Any]) -> bool:
    """The report row describes this IAM user (a GetAccountAuthorizationDetails entry): same name, and not
    an earlier user of that name (the creation times differ). An unreadable time counts as the same user,
    so the row's own checks report it rather than a silent switch of source."""
    if row.get("user") != user.get("UserName"):
        return False
    reported, created = _second(row.get("user_creation_time", "")), _second(user.get("CreateDate", ""))
    # A second's leeway: the two APIs may round the same instant differently.
    return reported is None or created is None or abs((reported - created).total_seconds()) <= 1


@dataclass(frozen=True)
class Reconciliation:
    """Which IAM users the credential report describes, which it lacks and which it still lists after deletion."""

    reported: dict[str, dict[str, str]]  # user name -> its report row
    unreported: dict[str, dict[str, Any]]  # user name -> GAAD entry: created after the report was generated
    stale: list[str]  # report rows of users no longer in IAM (deleted, or re-created since), by name


def reconcile(rows: Iterable[dict[str, str]], users: Iterable[dict[str, Any]]) -> Reconciliation:
    """Match the report's user rows (root is ignored) to the users GetAccountAuthorizationDetails lists."""
    by_name = {row["user"]: row for row in rows if row.get("user") != ROOT_USER}
    reported: dict[str, dict[str, str]] = {}
    unreported: dict[str, dict[str, Any]] = {}
    for user in users:
        name = user["UserName"]
        row = by_name.get(name)
        if row is not None and describes(row, user):
            reported[name] = row
        else:
            unreported[name] = user
    return Reconciliation(reported, unreported, sorted(name for name in by_name if name not in reported))


# --- a report row built from per-user calls ---------------------------------------------------------------------

LIVE_OPERATIONS = ("GetUser", "GetLoginProfile", "ListMFADevices", "ListAccessKeys", "GetAccessKeyLastUsed",
                   "ListSigningCertificates")


def _report_date(value: Any, missing: str = "N/A") -> str:
    parsed = _second(value) if value else None
    return parsed.strftime("%Y-%m-%dT%H:%M:%S+00:00") if parsed else missing


def _slots(credentials: Sequence[Mapping[str, Any]], date_field: str) -> list[Mapping[str, Any]]:
    """Credentials in report slot order (oldest first), as many as the report has columns for."""
    return sorted(credentials, key=lambda c: str(_report_date(c.get(date_field))))[:2]


def row_from_calls(user: Mapping[str, Any], calls: Mapping[str, Any]) -> dict[str, str]:
    """The report row AWS would write for ``user`` (its GetAccountAuthorizationDetails entry), from the answers
    of the per-user calls the collector made for it (``unreported_users`` source): the same columns, same values.

    ``calls``: PasswordLastUsed (GetUser), LoginProfile (GetLoginProfile, None when the user has no password),
    MFADevices, AccessKeys (each with its LastUsed record), Certificates.
    """
    profile = calls.get("LoginProfile")
    row = {
        "user": str(user["UserName"]),
        "arn": str(user["Arn"]),
        "user_creation_time": _report_date(user.get("CreateDate")),
        "password_enabled": "true" if profile else "false",
        "password_last_used": _report_date(calls.get("PasswordLastUsed"), "no_information") if profile else "N/A",
        "password_last_changed": _report_date(profile.get("CreateDate")) if profile else "N/A",
        "password_next_rotation": "not_supported",  # depends on the password policy; no check reads it
        "mfa_active": "true" if calls.get("MFADevices") else "false",
    }
    keys = _slots(list(calls.get("AccessKeys", [])), "CreateDate")
    for slot in (1, 2):
        row.update(_key_columns(slot, keys[slot - 1] if len(keys) >= slot else None))
    row.update(_certificate_columns(calls.get("Certificates", [])))
    return row


def _certificate_columns(certificates: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """The cert_N columns for the listed signing certificates (oldest upload first)."""
    ordered = _slots(list(certificates), "UploadDate")
    columns: dict[str, str] = {}
    for slot in (1, 2):
        cert = ordered[slot - 1] if len(ordered) >= slot else None
        columns[f"cert_{slot}_active"] = "true" if cert and cert.get("Status") == "Active" else "false"
        columns[f"cert_{slot}_last_rotated"] = _report_date(cert.get("UploadDate")) if cert else "N/A"
    return columns


# --- a report row brought up to date with what the audit listed ----------------------------------------------


def _key_columns(slot: int, key: Mapping[str, Any] | None) -> dict[str, str]:
    last_used = dict((key or {}).get("LastUsed") or {})
    used = bool(last_used.get("LastUsedDate"))
    return {
        f"access_key_{slot}_active": "true" if key and key.get("Status") == "Active" else "false",
        f"access_key_{slot}_last_rotated": _report_date(key.get("CreateDate")) if key else "N/A",
        f"access_key_{slot}_last_used_date": _report_date(last_used.get("LastUsedDate")) if used else "N/A",
        f"access_key_{slot}_last_used_region": str(last_used.get("Region") or "N/A") if used else "N/A",
        f"access_key_{slot}_last_used_service": str(last_used.get("ServiceName") or "N/A") if used else "N/A",
    }


def _live_key_columns(row: Mapping[str, str], keys: Sequence[Mapping[str, Any]]) -> dict[str, str] | None:
    """The key columns as the keys listed during the audit say: a key matched to its report slot keeps the
    report's last use and takes its current status; a slot whose key is gone is empty; a key created since
    fills a free slot with its GetAccessKeyLastUsed record. None when a newer key's last use is unknown."""
    slots: dict[int, Mapping[str, Any]] = {k["ReportSlot"]: k for k in keys if k.get("ReportSlot") in (1, 2)}
    newer = sorted((k for k in keys if k.get("ReportSlot") not in (1, 2)), key=lambda k: _report_date(k.get("CreateDate")))
    if any(k.get("LastUsed", {}).get("status") != "ok" for k in newer):
        return None
    slots.update(zip([s for s in (1, 2) if s not in slots], newer))
    columns: dict[str, str] = {}
    for slot in (1, 2):
        key = slots.get(slot)
        if key is not None and key.get("ReportSlot") == slot:
            columns.update({c: row.get(c, "") for c in _key_columns(slot, None)})
            columns[f"access_key_{slot}_active"] = "true" if key.get("Status") == "Active" else "false"
        else:
            columns.update(_key_columns(slot, key))
    return columns


def with_listed_credentials(
    row: dict[str, str], keys: Sequence[Mapping[str, Any]] | None, certificates: Sequence[Mapping[str, Any]] | None,
    virtual_mfa: bool,
) -> dict[str, str]:
    """The report row with what the audit listed for the user itself (``None``: not listed), which is newer
    than the report: keys deleted, deactivated or created since (ListAccessKeys), signing certificates
    (ListSigningCertificates), and a virtual MFA device assigned since (ListVirtualMFADevices)."""
    row = dict(row)
    if keys is not None:
        row.update(_live_key_columns(row, keys) or {})
    if certificates is not None:
        row.update(_certificate_columns(certificates))
    if virtual_mfa:
        row["mfa_active"] = "true"
    return row
