"""Patches that give moto the IAM behaviour real AWS has and moto lacks (see shared moto notes).

- the credential report: its generation time (moto's is a constant of 2015), a ``<root_account>`` row, the AWS values for users without a
  password (``N/A``), key last-used region/service and signing-certificate upload dates, and
  (when a seeder dates the report) none of the keys and users created after it;
- GetAccountSummary: the root flags (MFA, access keys, signing certificates, password);
- server certificates: real ``UploadDate`` and ``Expiration`` instead of moto's constants;
- service last accessed (Generate/GetServiceLastAccessedDetails), which moto lacks (activity.py);
- IAM Access Analyzer ListAnalyzers, which moto lacks (access_analyzer.py);
- ACM summaries without dates for the certificates seeded so (regional.py).

Patches are class-level so they also reach a ThreadedMotoServer in the same process.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Iterator
from unittest import mock

from moto.iam.models import AccountSummary, IAMBackend
from moto.iam.responses import IamResponse

from iam_compliance.snapshot.credential_report import COLUMNS, ROOT_USER
from iam_compliance.simulated.moto_account.access_analyzer import access_analyzer
from iam_compliance.simulated.moto_account.activity import service_last_accessed
from iam_compliance.simulated.moto_account.certs import not_after
from iam_compliance.simulated.moto_account.regional import undated_acm_summaries

DATE_FORMAT = "%Y-%m-%dT%H:%M:%S+00:00"


@dataclass
class RootState:
    """What AWS knows about the root user and moto cannot hold."""

    created: datetime
    password: bool = True
    password_last_used: datetime | None = None
    mfa: bool = False
    access_keys: list[dict] = field(default_factory=list)  # {"active", "created", "last_used", "service", "region"}
    signing_certificates: list[dict] = field(default_factory=list)  # {"active", "uploaded"}


ROOTS: dict[str, RootState] = {}

# When an account's credential report was generated, if a seeder says so. AWS serves a report for up
# to 4 hours, so access keys and users created since are missing from it; unset, the report is as
# of the request (moto's own behaviour).
REPORT_TIMES: dict[str, datetime] = {}


def _date(value: datetime | None, missing: str = "N/A") -> str:
    if value is None:
        return missing
    if value.tzinfo is not None:
        value = value.astimezone(timezone.utc)
    return value.strftime(DATE_FORMAT)


def _key_columns(keys: list[dict]) -> dict[str, str]:
    columns = {}
    for slot in (1, 2):
        key = keys[slot - 1] if len(keys) >= slot else {}
        used = key.get("last_used")
        columns.update({
            f"access_key_{slot}_active": "true" if key.get("active") else "false",
            f"access_key_{slot}_last_rotated": _date(key["created"]) if key else "N/A",
            f"access_key_{slot}_last_used_date": _date(used) if used else "N/A",
            f"access_key_{slot}_last_used_region": (key.get("region") or "N/A") if used else "N/A",
            f"access_key_{slot}_last_used_service": (key.get("service") or "N/A") if used else "N/A",
        })
    return columns


def _cert_columns(certs: list[dict]) -> dict[str, str]:
    columns = {}
    for slot in (1, 2):
        cert = certs[slot - 1] if len(certs) >= slot else None
        columns[f"cert_{slot}_active"] = "true" if cert and cert["active"] else "false"
        columns[f"cert_{slot}_last_rotated"] = _date(cert["uploaded"]) if cert else "N/A"
    return columns


def _user_row(user: Any, as_of: datetime | None = None) -> dict[str, str]:
    keys = [
        {
            "active": key.status == "Active",
            "created": key.create_date,
            "last_used": key.last_used.timestamp if key.last_used else None,
            "service": getattr(key.last_used, "service", None),
            "region": getattr(key.last_used, "region", None),
        }
        for key in user.access_keys
        if as_of is None or key.create_date <= as_of
    ]
    certs = [{"active": c.status == "Active", "uploaded": c.upload_date} for c in user.signing_certificates.values()]
    has_password = bool(user.password)
    return {
        "user": user.name,
        "arn": user.arn,
        "user_creation_time": _date(user.create_date),
        "password_enabled": "true" if has_password else "false",
        "password_last_used": _date(user.password_last_used, "no_information") if has_password else "N/A",
        "password_last_changed": _date(getattr(user, "password_last_changed", None) or user.create_date)
        if has_password else "N/A",
        "password_next_rotation": "N/A",
        "mfa_active": "true" if user.mfa_devices else "false",
        **_key_columns(keys),
        **_cert_columns(certs),
    }


def _root_row(account_id: str, partition: str, root: RootState) -> dict[str, str]:
    return {
        "user": ROOT_USER,
        "arn": f"arn:{partition}:iam::{account_id}:root",
        "user_creation_time": _date(root.created),
        "password_enabled": "not_supported",
        "password_last_used": _date(root.password_last_used, "no_information"),
        "password_last_changed": "not_supported",
        "password_next_rotation": "not_supported",
        "mfa_active": "true" if root.mfa else "false",
        **_key_columns(root.access_keys),
        **_cert_columns(root.signing_certificates),
    }


def _csv_line(row: dict[str, str]) -> str:
    return ",".join(row[column] for column in COLUMNS) + "\n"


def credential_report(backend: IAMBackend) -> str:
    """The report as AWS writes it: root first, then every user."""
    if not backend.credential_report:
        from moto.iam.exceptions import ReportNotPresentException

        raise ReportNotPresentException("Credential report not present")
    lines = [",".join(COLUMNS) + "\n"]
    root = ROOTS.get(backend.account_id)
    if root is not None:
        lines.append(_csv_line(_root_row(backend.account_id, backend.partition, root)))
    as_of = REPORT_TIMES.get(backend.account_id)
    lines += [_csv_line(_user_row(user, as_of)) for user in backend.users.values()
              if as_of is None or user.create_date <= as_of]
    return "".join(lines)


def _with_generation_time(original: Any) -> Any:
    """GetCredentialReport's GeneratedTime: when the seeder dated the report, else now (moto says 2015-02-02)."""

    def handler(self: IamResponse) -> Any:
        result = original(self)
        generated = REPORT_TIMES.get(self.backend.account_id) or datetime.now(timezone.utc).replace(microsecond=0)
        result.result["GeneratedTime"] = generated.replace(tzinfo=timezone.utc) if generated.tzinfo is None else generated
        return result

    return handler


def _summary_with_root(original: Any) -> property:
    def summary_map(self: AccountSummary) -> dict:
        summary = dict(original.fget(self))
        root = ROOTS.get(self._iam_backend.account_id)
        if root is not None:
            summary["AccountMFAEnabled"] = int(root.mfa)
            summary["AccountAccessKeysPresent"] = int(bool(root.access_keys))
            summary["AccountSigningCertificatesPresent"] = int(bool(root.signing_certificates))
            summary["AccountPasswordPresent"] = int(root.password)
        return summary

    return property(summary_map)


def _certificate_dates(backend: IAMBackend, metadata: dict) -> dict:
    cert = backend.get_server_certificate(metadata["ServerCertificateName"])
    upload = getattr(cert, "upload_date", None) or datetime.now(timezone.utc)
    return {**metadata, "UploadDate": upload, "Expiration": not_after(cert.cert_body)}


def _with_real_certificate_dates(original: Any, *, listing: bool) -> Any:
    def handler(self: IamResponse) -> Any:
        result = original(self)
        body = result.result
        if listing:
            body["ServerCertificateMetadataList"] = [
                _certificate_dates(self.backend, m) for m in body["ServerCertificateMetadataList"]
            ]
        else:
            inner = body["ServerCertificate"]
            inner["ServerCertificateMetadata"] = _certificate_dates(self.backend, inner["ServerCertificateMetadata"])
        return result

    return handler


@contextlib.contextmanager
def moto_gaps() -> Iterator[None]:
    """Apply every patch for the duration of the block."""
    with contextlib.ExitStack() as stack:
        stack.enter_context(mock.patch.object(IAMBackend, "get_credential_report", credential_report))
        stack.enter_context(mock.patch.object(
            IamResponse, "get_credential_report", _with_generation_time(IamResponse.get_credential_report)))
        stack.enter_context(
            mock.patch.object(AccountSummary, "summary_map", _summary_with_root(AccountSummary.summary_map))
        )
        stack.enter_context(mock.patch.object(
            IamResponse, "list_server_certificates",
            _with_real_certificate_dates(IamResponse.list_server_certificates, listing=True),
        ))
        stack.enter_context(mock.patch.object(
            IamResponse, "get_server_certificate",
            _with_real_certificate_dates(IamResponse.get_server_certificate, listing=False),
        ))
        stack.enter_context(service_last_accessed())
        stack.enter_context(access_analyzer())
        stack.enter_context(undated_acm_summaries())
        try:
            yield
        finally:
            ROOTS.clear()
            REPORT_TIMES.clear()
