"""Per-user credential sources: IAM user access keys and X.509 signing certificates.

Neither the credential report nor GetAccountAuthorizationDetails carries access-key ids, key
status of inactive keys, or signing-certificate ids, so these need per-user calls. They are made
only for the users that need them:

- users whose credential report row shows a key (certificate) slot: ``*_active`` true, or a
  ``*_last_rotated`` date (an inactive key keeps its date while ``*_active`` says false);
- users that GetAccountAuthorizationDetails lists but the report does not (created after it).

Last use of a key comes from the credential report: a key is matched to its report slot by
creation time (``access_key_N_last_rotated`` is the key's CreateDate, to the second). Only a key
that matches no slot, or shares its creation second with another key, costs a
GetAccessKeyLastUsed call. The report may be up to 4 hours old, which is far below every
last-use threshold.

Both sources are built on the credential report: when it could not be read they fail too,
naming it, rather than report "no keys". A call that fails for one user is recorded for that
user only (its items ERROR); other failures (network, credentials) fail the whole source.

Data (``AccessKeys`` for access_keys, ``Certificates`` for signing_certificates)::

    {"users": {
        "<user>": {"status": "ok", "UserArn": "<arn>", "AccessKeys": [
            {"AccessKeyId": ..., "Status": ..., "CreateDate": ..., "ReportSlot": 1},
            {"AccessKeyId": ..., "Status": ..., "CreateDate": ...,
             "LastUsed": {"status": "ok", "LastUsedDate": ..., "ServiceName": ..., "Region": ...}
                       | {"status": "error", "error": {"code": ..., "message": ...}}}]},
        "<user>": {"status": "error", "UserArn": "<arn>", "error": {"code": "AccessDenied", "message": "..."}}}}
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Callable

from botocore.exceptions import ClientError

from iam_compliance.collection.aws import AwsContext
from iam_compliance.collection.declaration import DataSource
from iam_compliance.collection.errors import DependencyUnavailable, failed
from iam_compliance.collection.paging import IAM_PAGE_SIZE, items
from iam_compliance.collection.pool import map_bounded
from iam_compliance.snapshot.credential_report import ROOT_USER
from iam_compliance.snapshot.failures import ok_entry
from iam_compliance.timeutil import parse_timestamp

SLOTS = (1, 2)  # the credential report has two columns per credential kind


def _report_rows(ctx: AwsContext) -> dict[str, dict[str, str]]:
    """Credential report rows by user name (root excluded); fails when the report could not be read."""
    return {row["user"]: row for row in ctx.dependency("credential_report")["rows"] if row.get("user") != ROOT_USER}


def _users_missing_from_report(ctx: AwsContext, rows: dict[str, dict]) -> dict[str, str]:
    """Users (name -> ARN) created after the report was generated: their credentials are unknown to it.

    Without authorization_details there is no such list: the report's users are then all there is.
    """
    try:
        details = ctx.dependency("authorization_details")
    except DependencyUnavailable:
        return {}
    return {u["UserName"]: u["Arn"] for u in details["users"] if u["UserName"] not in rows}


def _shows_slot(row: dict[str, str], kind: str, slot: int) -> bool:
    """A slot is empty only when the report says so plainly; any unexpected value means "look"."""
    active = row.get(f"{kind}_{slot}_active", "").strip().lower()
    rotated = row.get(f"{kind}_{slot}_last_rotated", "").strip()
    return not (active == "false" and rotated in ("N/A", ""))


def _whole_second(value: datetime) -> datetime:
    """IAM reports credential times to the second; finer parts would break the match with the report."""
    return value.replace(microsecond=0)


def _per_user(
    ctx: AwsContext, kind: str, field: str, fetch: Callable[[str, dict[str, str] | None], list[dict]],
) -> dict:
    """Call ``fetch`` for each user that needs it: ``{"users": {name: entry}}``, a failed call recorded as the entry."""
    rows = _report_rows(ctx)
    targets: dict[str, tuple[str, dict[str, str] | None]] = {
        name: (row["arn"], row) for name, row in rows.items() if any(_shows_slot(row, kind, s) for s in SLOTS)}
    targets.update({name: (arn, None) for name, arn in _users_missing_from_report(ctx, rows).items()})

    def entry(name: str) -> dict:
        arn, row = targets[name]
        try:
            return ok_entry(UserArn=arn, **{field: fetch(name, row)})
        except ClientError as exc:
            return {**failed(exc), "UserArn": arn}

    names = sorted(targets)  # one call per user, a few at a time (iam_compliance.collection.pool)
    return {"users": dict(zip(names, map_bounded(entry, names)))}


def _report_slots(row: dict[str, str] | None) -> dict[int, datetime]:
    """Creation time of the key in each report slot that has a readable date."""
    slots: dict[int, datetime] = {}
    if row is None:
        return slots
    for slot in SLOTS:
        try:
            slots[slot] = parse_timestamp(row[f"access_key_{slot}_last_rotated"])
        except (KeyError, ValueError):
            continue  # N/A or unreadable: the key falls back to GetAccessKeyLastUsed
    return slots


def _last_used(iam: Any, key_id: str) -> dict:
    try:
        record = iam.get_access_key_last_used(AccessKeyId=key_id)["AccessKeyLastUsed"]
    except ClientError as exc:
        return failed(exc)  # only this key's last-use verdict is affected
    if record.get("LastUsedDate"):
        record["LastUsedDate"] = _whole_second(record["LastUsedDate"])
    return ok_entry(**record)


def access_keys(ctx: AwsContext) -> dict:
    """Each listed user's keys: id, status, creation, and the report slot or GetAccessKeyLastUsed record."""
    iam = ctx.client("iam")

    def fetch(user_name: str, row: dict[str, str] | None) -> list[dict]:
        # At most two keys per user, so one page; the paginator still follows any Marker.
        listed = items(iam, "list_access_keys", "AccessKeyMetadata", IAM_PAGE_SIZE, UserName=user_name)
        created = [_whole_second(k["CreateDate"]) for k in listed]
        slots = _report_slots(row)
        keys = []
        for key, when in zip(listed, created):
            record = {"AccessKeyId": key["AccessKeyId"], "Status": key["Status"], "CreateDate": when}
            matches = [slot for slot, rotated in slots.items() if rotated == when]
            if len(matches) == 1 and created.count(when) == 1:
                record["ReportSlot"] = matches[0]
            else:
                record["LastUsed"] = _last_used(iam, key["AccessKeyId"])
            keys.append(record)
        return sorted(keys, key=lambda k: k["AccessKeyId"])

    return _per_user(ctx, "access_key", "AccessKeys", fetch)


def signing_certificates(ctx: AwsContext) -> dict:
    """Each listed user's X.509 signing certificates: id, status, upload time (the PEM body is not kept)."""
    iam = ctx.client("iam")

    def fetch(user_name: str, row: dict[str, str] | None) -> list[dict]:
        certificates = [
            {"CertificateId": c["CertificateId"], "Status": c["Status"], "UploadDate": _whole_second(c["UploadDate"])}
            for c in items(iam, "list_signing_certificates", "Certificates", IAM_PAGE_SIZE, UserName=user_name)
        ]
        return sorted(certificates, key=lambda c: c["CertificateId"])

    return _per_user(ctx, "cert", "Certificates", fetch)


# Users created after the report are found in authorization_details.
READS = ("credential_report", "authorization_details")

DECLARATIONS = [
    DataSource("access_keys", access_keys,
               "Access keys of the users that have any: id, status, creation and last use (report slot or lookup).",
               actions=("iam:ListAccessKeys", "iam:GetAccessKeyLastUsed"), reads=READS),
    DataSource("signing_certificates", signing_certificates,
               "X.509 signing certificates of the users that have any: id, status and upload time.",
               actions=("iam:ListSigningCertificates",), reads=READS),
]
