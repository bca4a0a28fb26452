"""Per-user credential sources: the users the credential report lacks, access keys, X.509 signing certificates.

AWS serves a credential report for up to 4 hours after generating it, so it can lack users created
since. ``snapshot.credential_report.reconcile`` decides which report row describes each IAM user
(GetAccountAuthorizationDetails); rows of users deleted since are left out (the model lists them).

- ``unreported_users``: for each user the report lacks, the calls that give what its row would say
  (GetUser, GetLoginProfile, ListMFADevices, ListAccessKeys with GetAccessKeyLastUsed,
  ListSigningCertificates). No call at all when the report lists every user.
- ``access_keys`` / ``signing_certificates``: neither the report nor GetAccountAuthorizationDetails
  carries key ids, the status of inactive keys or certificate ids, so these are listed per user, only
  for users whose report row shows a slot (``*_active`` true, or a ``*_last_rotated`` date: an
  inactive key keeps its date while ``*_active`` says false). Users the report lacks are taken from
  ``unreported_users``, which listed them already.

Last use of a key comes from the credential report: a key is matched to its report slot by
creation time (``access_key_N_last_rotated`` is the key's CreateDate, to the second). Only a key
that matches no slot, or shares its creation second with another key, costs a
GetAccessKeyLastUsed call.

All are built on the credential report: when it could not be read they fail too, naming it,
rather than report "no keys". A call that fails for one user is recorded for that user only (its
items ERROR); other failures (network, credentials) fail the whole source.

Data (``AccessKeys`` for access_keys, ``Certificates`` for signing_certificates)::

    {"users": {
        "<user>": {"status": "ok", "UserArn": "<arn>", "AccessKeys": [
            {"AccessKeyId": ..., "Status": ..., "CreateDate": ..., "ReportSlot": 1},
            {"AccessKeyId": ..., "Status": ..., "CreateDate": ...,
             "LastUsed": {"status": "ok", "LastUsedDate": ..., "ServiceName": ..., "Region": ...}
                       | {"status": "error", "error": {"code": ..., "message": ...}}}]},
        "<user>": {"status": "error", "UserArn": "<arn>", "error": {"code": "AccessDenied", "message": "..."}}}}

unreported_users adds, per user, ``PasswordLastUsed``, ``LoginProfile`` ({"CreateDate"} or null),
``MFADevices``, ``AccessKeys`` (each with ``LastUsed``) and ``Certificates``; a failed user entry
also names the ``Operation`` that failed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Callable

from botocore.exceptions import ClientError

from iam_compliance.collection.aws import AwsContext
from iam_compliance.collection.declaration import DataSource
from iam_compliance.collection.errors import DependencyUnavailable, failed
from iam_compliance.collection.paging import IAM_PAGE_SIZE, items
from iam_compliance.snapshot.credential_report import ROOT_USER, Reconciliation, reconcile
from iam_compliance.snapshot.failures import error_entry, failure_of, ok_entry
from iam_compliance.timeutil import parse_timestamp

SLOTS = (1, 2)  # the credential report has two columns per credential kind


def _reconciled(ctx: AwsContext) -> Reconciliation:
    """The report rows that describe current IAM users, and the users the report lacks (snapshot.credential_report).

    Fails when the report could not be read. Without authorization_details there is no list of IAM users: the
    report's rows are then taken as they are.
    """
    rows = [row for row in ctx.dependency("credential_report")["rows"] if row.get("user") != ROOT_USER]
    try:
        users = ctx.dependency("authorization_details")["users"]
    except DependencyUnavailable:
        return Reconciliation({row["user"]: row for row in rows}, {}, [])
    return reconcile(rows, users)


def _shows_slot(row: dict[str, str], kind: str, slot: int) -> bool:
    """A slot is empty only when the report says so plainly; any unexpected value means "look"."""
    active = row.get(f"{kind}_{slot}_active", "").strip().lower()
    rotated = row.get(f"{kind}_{slot}_last_rotated", "").strip()
    return not (active == "false" and rotated in ("N/A", ""))


def _whole_second(value: datetime) -> datetime:
    """IAM reports credential times to the second; finer parts would break the match with the report."""
    return value.replace(microsecond=0)


def _per_user(
    ctx: AwsContext, kind: str, field: str, fetch: Callable[[str, dict[str, str]], list[dict]],
) -> dict:
    """``{"users": {name: entry}}`` for each user whose report row shows a slot of this kind (``fetch`` lists
    them, a failed call recorded as the entry), and for each user the report lacks (taken from the per-user
    calls of the unreported_users source, which already listed them)."""
    reconciled = _reconciled(ctx)
    users: dict[str, dict] = {}
    for name, row in sorted(reconciled.reported.items()):
        if any(_shows_slot(row, kind, s) for s in SLOTS):
            try:
                users[name] = ok_entry(UserArn=row["arn"], **{field: fetch(name, row)})
            except ClientError as exc:
                users[name] = {**failed(exc), "UserArn": row["arn"]}
    if reconciled.unreported:
        live = ctx.dependency("unreported_users")["users"]
        for name, user in sorted(reconciled.unreported.items()):
            entry = live.get(name) or error_entry("NotCollected", "the per-user calls were not made")
            if failure_of(entry) is not None:
                users[name] = {**entry, "UserArn": user["Arn"]}  # the failed call and its error, as recorded there
            elif entry.get(field):
                users[name] = ok_entry(UserArn=user["Arn"], **{field: entry[field]})
    return {"users": users}


def _report_slots(row: dict[str, str]) -> dict[int, datetime]:
    """Creation time of the key in each report slot that has a readable date."""
    slots: dict[int, datetime] = {}
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


def _listed_keys(iam: Any, user_name: str) -> list[dict]:
    """The user's keys: id, status and creation to the second (at most two, so one page; any Marker is followed)."""
    return [{"AccessKeyId": k["AccessKeyId"], "Status": k["Status"], "CreateDate": _whole_second(k["CreateDate"])}
            for k in items(iam, "list_access_keys", "AccessKeyMetadata", IAM_PAGE_SIZE, UserName=user_name)]


def _listed_certificates(iam: Any, user_name: str) -> list[dict]:
    """The user's X.509 signing certificates: id, status, upload time (the PEM body is not kept)."""
    certificates = [
        {"CertificateId": c["CertificateId"], "Status": c["Status"], "UploadDate": _whole_second(c["UploadDate"])}
        for c in items(iam, "list_signing_certificates", "Certificates", IAM_PAGE_SIZE, UserName=user_name)
    ]
    return sorted(certificates, key=lambda c: c["CertificateId"])


def access_keys(ctx: AwsContext) -> dict:
    """Each listed user's keys: id, status, creation, and the report slot or GetAccessKeyLastUsed record."""
    iam = ctx.client("iam")

    def fetch(user_name: str, row: dict[str, str]) -> list[dict]:
        listed = _listed_keys(iam, user_name)
        created = [k["CreateDate"] for k in listed]
        slots = _report_slots(row)
        for record in listed:
            matches = [slot for slot, rotated in slots.items() if rotated == record["CreateDate"]]
            if len(matches) == 1 and created.count(record["CreateDate"]) == 1:
                record["ReportSlot"] = matches[0]
            else:
                record["LastUsed"] = _last_used(iam, record["AccessKeyId"])
        return sorted(listed, key=lambda k: k["AccessKeyId"])

    return _per_user(ctx, "access_key", "AccessKeys", fetch)


def signing_certificates(ctx: AwsContext) -> dict:
    """Each listed user's X.509 signing certificates: id, status, upload time (the PEM body is not kept)."""
    iam = ctx.client("iam")
    return _per_user(ctx, "cert", "Certificates", lambda user_name, _row: _listed_certificates(iam, user_name))


def _login_profile(iam: Any, user_name: str) -> dict | None:
    """The user's console password (its creation time), or None when it has none."""
    try:
        profile = iam.get_login_profile(UserName=user_name)["LoginProfile"]
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "NoSuchEntity":  # IAM's answer for "no password"
            return None
        raise
    return {"CreateDate": _whole_second(profile["CreateDate"])}


def _credential_calls(iam: Any, user_name: str) -> dict:
    """What the credential report would say about one user, from IAM's per-user calls (any failure raises)."""
    password_last_used = iam.get_user(UserName=user_name)["User"].get("PasswordLastUsed")
    devices = items(iam, "list_mfa_devices", "MFADevices", IAM_PAGE_SIZE, UserName=user_name)
    keys = _listed_keys(iam, user_name)
    for key in keys:
        record = iam.get_access_key_last_used(AccessKeyId=key["AccessKeyId"])["AccessKeyLastUsed"]
        if record.get("LastUsedDate"):
            record["LastUsedDate"] = _whole_second(record["LastUsedDate"])
        key["LastUsed"] = ok_entry(**record)
    return {
        "PasswordLastUsed": _whole_second(password_last_used) if password_last_used else None,
        "LoginProfile": _login_profile(iam, user_name),
        "MFADevices": sorted(({"SerialNumber": d["SerialNumber"], "EnableDate": _whole_second(d["EnableDate"])}
                              for d in devices), key=lambda d: d["SerialNumber"]),
        "AccessKeys": sorted(keys, key=lambda k: k["AccessKeyId"]),
        "Certificates": _listed_certificates(iam, user_name),
    }


def unreported_users(ctx: AwsContext) -> dict:
    """The credential state of the users the credential report lacks (created after it was generated).

    No call is made when the report lists every IAM user. A call that fails for one user is recorded for
    that user, with the operation that failed, so that only the checks needing its credentials ERROR.
    """
    reconciled = _reconciled(ctx)
    iam = ctx.client("iam")
    users: dict[str, dict] = {}
    for name, user in sorted(reconciled.unreported.items()):
        try:
            users[name] = ok_entry(UserArn=user["Arn"], **_credential_calls(iam, name))
        except ClientError as exc:
            users[name] = {**failed(exc), "UserArn": user["Arn"], "Operation": exc.operation_name}
    return {"users": users}


# Users created after the report are found in authorization_details.
READS = ("credential_report", "authorization_details")

DECLARATIONS = [
    DataSource("unreported_users", unreported_users,
               "Password, MFA, access keys and signing certificates of the users the credential report lacks "
               "(created after AWS generated it).",
               actions=("iam:GetUser", "iam:GetLoginProfile", "iam:ListMFADevices", "iam:ListAccessKeys",
                        "iam:GetAccessKeyLastUsed", "iam:ListSigningCertificates"), reads=READS),
    DataSource("access_keys", access_keys,
               "Access keys of the users that have any: id, status, creation and last use (report slot or lookup).",
               actions=("iam:ListAccessKeys", "iam:GetAccessKeyLastUsed"), reads=(*READS, "unreported_users")),
    DataSource("signing_certificates", signing_certificates,
               "X.509 signing certificates of the users that have any: id, status and upload time.",
               actions=("iam:ListSigningCertificates",), reads=(*READS, "unreported_users")),
]
