"""Read-only views of IAM user access keys and signing certificates (iam_compliance.collection.sources.credentials).

Each credential is one check item, keyed ``<user>/<id>``. When listing one user's credentials
failed, that user gets a single ``<user>/unavailable`` item whose every attribute raises
``SourceUnavailable``, so only that user's items ERROR.
"""

from __future__ import annotations

from datetime import datetime
from typing import TypeVar

from iam_compliance.model.iam import BadData, CredentialRow, Snapshot, SourceUnavailable
from iam_compliance.snapshot.failures import Failure, failure_of
from iam_compliance.timeutil import parse_timestamp

UNAVAILABLE = "unavailable"


class UserCredential:
    """A credential of an IAM user as its per-user listing describes it."""

    source = ""  # snapshot source
    field = ""  # list of credentials in each user's record
    id_field = ""
    noun = ""
    resource_kind = ""  # ARN suffix: <user ARN>/<resource_kind>/<id>
    operation = ""  # the IAM call that lists them

    def __init__(self, snapshot: Snapshot, user_name: str, user_arn: str, detail: dict | None,
                 failure: Failure | None = None, failed_operation: str = ""):
        self.snapshot = snapshot
        # A user newer than the credential report is listed by several calls; the record names the one that failed.
        self._failed_operation = failed_operation or self.operation
        self.user_name = user_name
        self.user_arn = user_arn
        self._detail = detail
        self._failure = failure
        self.id: str = detail[self.id_field] if detail is not None else UNAVAILABLE

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.user_name}/{self.id}>"

    @property
    def resource(self) -> str:
        return f"{self.user_arn}/{self.resource_kind}/{self.id}"

    @property
    def detail(self) -> dict:
        if self._detail is None:
            failure = self._failure or Failure("Unknown", "")
            raise SourceUnavailable(
                f"{self._failed_operation} failed for user {self.user_name}, so its {self.noun}s cannot be evaluated: "
                f"{failure.describe()}"
            )
        return self._detail

    @property
    def status(self) -> str:
        status: str = self.detail["Status"]
        return status

    @property
    def active(self) -> bool:
        status = self.status
        if status not in ("Active", "Inactive"):
            raise BadData(f"{self.operation} gave {self.noun} {self.id} of user {self.user_name} "
                          f"an unexpected Status {status!r}.")
        return status == "Active"

    def _timestamp(self, field: str) -> datetime:
        value = self.detail.get(field)
        if isinstance(value, str):
            try:
                return parse_timestamp(value)
            except ValueError:
                pass
        raise BadData(f"{self.operation} gave {self.noun} {self.id} of user {self.user_name} "
                      f"no readable {field} (found {value!r}).")


class AccessKey(UserCredential):
    source = "access_keys"
    field = "AccessKeys"
    id_field = "AccessKeyId"
    noun = "access key"
    resource_kind = "access-key"
    operation = "ListAccessKeys"

    @property
    def created(self) -> datetime:
        return self._timestamp("CreateDate")

    @property
    def report_slot(self) -> int | None:
        """The credential report slot (1 or 2) this key was matched to at collection, if any."""
        return self.detail.get("ReportSlot")

    def _report_row(self) -> CredentialRow:
        user = self.snapshot.users.get(self.user_name)
        if user is None:
            raise BadData(f"User {self.user_name} of access key {self.id} is not in the snapshot.")
        return user.credentials

    def _last_used_record(self) -> dict:
        """The key's GetAccessKeyLastUsed record; raises when the lookup failed."""
        failure = failure_of(self.detail.get("LastUsed"))
        if failure is not None:
            raise SourceUnavailable(
                f"GetAccessKeyLastUsed failed for access key {self.id} of user {self.user_name}: {failure.describe()}")
        record: dict = self.detail["LastUsed"]
        return record

    @property
    def last_used(self) -> datetime | None:
        """When the key last signed a request; None if never (or not since IAM began tracking in 2015)."""
        slot = self.report_slot
        if slot is not None:
            return self._report_row().date(f"access_key_{slot}_last_used_date")
        record = self._last_used_record()
        if not record.get("LastUsedDate"):
            return None
        try:
            return parse_timestamp(record["LastUsedDate"])
        except ValueError:
            raise BadData(f"GetAccessKeyLastUsed gave access key {self.id} of user {self.user_name} an unreadable "
                          f"LastUsedDate {record['LastUsedDate']!r}.") from None

    @property
    def last_used_where(self) -> str:
        """'s3 in eu-west-1' (evidence only), or '' when unknown."""
        slot = self.report_slot
        if slot is not None:
            row = self._report_row()
            service, region = (row.text(f"access_key_{slot}_last_used_{part}") for part in ("service", "region"))
        else:
            record = self._last_used_record()
            service, region = record.get("ServiceName", ""), record.get("Region", "")
        known = [v for v in (service, region) if v and v not in ("N/A", "not_supported")]
        return " in ".join(known)

    @property
    def last_used_from(self) -> str:
        """Where the last-use date comes from, for the evidence."""
        if self.report_slot is not None:
            return f"credential report slot {self.report_slot}"
        return "GetAccessKeyLastUsed"


class SigningCertificate(UserCredential):
    source = "signing_certificates"
    field = "Certificates"
    id_field = "CertificateId"
    noun = "signing certificate"
    resource_kind = "signing-certificate"
    operation = "ListSigningCertificates"

    @property
    def uploaded(self) -> datetime:
        return self._timestamp("UploadDate")


Credential = TypeVar("Credential", bound=UserCredential)


def _of_user(snapshot: Snapshot, kind: type[Credential], name: str) -> list[Credential]:
    """One user's listed credentials, or one unavailable stand-in when the listing failed."""
    record = snapshot.data(kind.source).get("users", {}).get(name)
    if record is None:
        return []  # not listed: the credential report shows no such credential for the user
    failure = failure_of(record)
    if failure is not None:
        fields = record if isinstance(record, dict) else {}
        return [kind(snapshot, name, str(fields.get("UserArn", "")), None, failure, str(fields.get("Operation", "")))]
    return [kind(snapshot, name, record["UserArn"], detail) for detail in record.get(kind.field, [])]


def _items(snapshot: Snapshot, kind: type[Credential]) -> dict[str, Credential]:
    """Credentials of the snapshot's users: a user the credential report still lists after its deletion has none."""
    names = [name for name in snapshot.data(kind.source).get("users", {}) if name in snapshot.users]
    return {f"{c.user_name}/{c.id}": c for name in names for c in _of_user(snapshot, kind, name)}


def access_keys(snapshot: Snapshot) -> dict[str, AccessKey]:
    """Every IAM user access key (active and inactive), keyed ``<user>/<AccessKeyId>``."""
    return _items(snapshot, AccessKey)


def signing_certificates(snapshot: Snapshot) -> dict[str, SigningCertificate]:
    """Every IAM user X.509 signing certificate, keyed ``<user>/<CertificateId>``."""
    return _items(snapshot, SigningCertificate)


def user_access_keys(snapshot: Snapshot, user_name: str) -> list[AccessKey]:
    """One user's access keys of any status (none when the credential report shows no key slot).

    Raises SourceUnavailable when this user's keys could not be listed.
    """
    keys = _of_user(snapshot, AccessKey, user_name)
    return [key for key in keys if key.detail]  # .detail raises for the stand-in of a failed listing
