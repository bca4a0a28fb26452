"""Read-only views over a snapshot: the account, users, roles, groups, policies and certificates.

Reading a value from a data source that could not be collected raises ``SourceUnavailable``;
a value that cannot be interpreted raises ``BadData``. Both mean "could not evaluate" and turn
the check into an ERROR, never a PASS.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any, Iterator, Literal

from iam_compliance.settings import CharacterClassName
from iam_compliance.snapshot.credential_report import (
    ROOT_USER, Reconciliation, reconcile, row_from_calls, with_listed_credentials,
)
from iam_compliance.snapshot.failures import failure_of
from iam_compliance.timeutil import parse_timestamp

SPECIAL_VALUES = {"N/A", "no_information", "not_supported"}
CREDENTIAL_SLOTS = (1, 2)  # the credential report has two columns of each kind per credential type
SlotKind = Literal["access_key", "cert"]  # access keys and X.509 signing certificates


class CannotEvaluate(Exception):
    """The check cannot be evaluated from the snapshot; reported as an ERROR with this message."""


class SourceUnavailable(CannotEvaluate):
    pass


class BadData(CannotEvaluate):
    pass


@dataclass(frozen=True)
class Unavailable:
    """Stands in for entities that could not be listed (a failed source or region); the item ERRORs."""

    message: str
    resource: str


@dataclass(frozen=True)
class SourceStatus:
    name: str
    ok: bool
    code: str = ""
    message: str = ""

    def describe(self) -> str:
        return f"Data source '{self.name}' could not be read: {self.code}: {self.message}"


@dataclass(frozen=True)
class CredentialUse:
    """A last use the credential report records: the console password or access key ``slot``."""

    column: str  # the credential report column it was read from, e.g. access_key_1_last_used_date
    slot: int | None  # None: the console password
    when: datetime

    @property
    def credential(self) -> str:
        """'console sign-in' or 'access key 1'."""
        return "console sign-in" if self.slot is None else f"access key {self.slot}"


def report_source(generated_at: Any) -> str:
    """'the credential report generated at 2026-05-01 10:00 UTC' (AWS serves one for up to 4 hours)."""
    try:
        return f"the credential report generated at {parse_timestamp(str(generated_at)):%Y-%m-%d %H:%M} UTC"
    except ValueError:
        return f"the credential report (generation time unreadable: {generated_at!r})"


LIVE_SOURCE = "per-user IAM calls made during the audit (the user is newer than the credential report)"


class CredentialRow:
    """One credential report row with typed access; special values come back as None.

    The row's column names live here: checks ask for a credential's slot, dates and uses, not for columns.
    """

    PASSWORD_LAST_USED = "password_last_used"
    PASSWORD_LAST_CHANGED = "password_last_changed"

    def __init__(self, row: dict[str, str], generated_at: str | None = None, source: str = ""):
        self.raw = row
        self.generated_at = generated_at
        # Where the row comes from, for sentences: "the credential report generated at 2026-05-01 10:00 UTC".
        self.source = source or report_source(generated_at)

    @property
    def user(self) -> str:
        return self.raw["user"]

    def text(self, column: str) -> str:
        if column not in self.raw:
            raise BadData(f"The credential report has no column '{column}'.")
        value = self.raw[column]
        if not isinstance(value, str):
            raise BadData(f"Credential report column '{column}' for {self.user} is not text: {value!r}.")
        return value.strip()

    def flag(self, column: str) -> bool | None:
        """true/false in any case; None for not_supported / N/A."""
        value = self.text(column)
        if value.lower() in ("true", "false"):
            return value.lower() == "true"
        if value in SPECIAL_VALUES:
            return None
        raise BadData(f"Credential report column '{column}' for {self.user} has unexpected value {value!r}.")

    def date(self, column: str) -> datetime | None:
        """A timestamp; None for N/A, no_information and not_supported."""
        value = self.text(column)
        if value in SPECIAL_VALUES or value == "":
            return None
        try:
            return parse_timestamp(value)
        except ValueError:
            raise BadData(
                f"Credential report column '{column}' for {self.user} has unexpected value {value!r}."
            ) from None

    def required_date(self, column: str, why: str) -> datetime:
        """A date the report must hold here (``why`` says why); its absence is unreadable data, never a pass."""
        value = self.date(column)
        if value is None:
            raise BadData(f"Credential report column '{column}' for {self.user} has no date "
                          f"(found {self.text(column)!r}) although {why}.")
        return value

    @property
    def password_enabled(self) -> bool:
        return bool(self.flag("password_enabled"))

    @property
    def mfa_active(self) -> bool:
        return bool(self.flag("mfa_active"))

    @property
    def created(self) -> datetime:
        return self.required_date("user_creation_time", "every user has a creation time")

    @property
    def password_last_used(self) -> datetime | None:
        return self.date(self.PASSWORD_LAST_USED)

    def password_last_changed(self, why: str) -> datetime:
        return self.required_date(self.PASSWORD_LAST_CHANGED, why)

    @staticmethod
    def slot_column(kind: SlotKind, slot: int, field: Literal["active", "last_rotated"]) -> str:
        """``access_key_1_active``, ``cert_2_last_rotated``: the column of one credential slot."""
        return f"{kind}_{slot}_{field}"

    def active(self, kind: SlotKind, slot: int) -> bool:
        return bool(self.flag(self.slot_column(kind, slot, "active")))

    def holds(self, kind: SlotKind, slot: int) -> bool:
        """The slot holds a credential: active, or inactive with its creation date. ``*_active`` false with
        ``*_last_rotated`` N/A is an empty slot, not an inactive credential."""
        return self.active(kind, slot) or self.date(self.slot_column(kind, slot, "last_rotated")) is not None

    def active_slots(self, kind: SlotKind) -> list[int]:
        return [slot for slot in CREDENTIAL_SLOTS if self.active(kind, slot)]

    @property
    def active_access_key_slots(self) -> list[int]:
        return self.active_slots("access_key")

    def last_rotated(self, kind: SlotKind, slot: int, why: str) -> datetime:
        """When the credential in the slot was created (keys) or uploaded (certificates); ``why`` it must exist."""
        return self.required_date(self.slot_column(kind, slot, "last_rotated"), why)

    def access_key_last_used(self, slot: int) -> datetime | None:
        return self.date(f"access_key_{slot}_last_used_date")

    def last_uses(self) -> list[CredentialUse]:
        """The recorded last uses of the console password and of each access key, in that order."""
        columns: list[tuple[str, int | None]] = [(self.PASSWORD_LAST_USED, None)]
        columns += [(f"access_key_{slot}_last_used_date", slot) for slot in CREDENTIAL_SLOTS]
        return [CredentialUse(column, slot, when) for column, slot in columns if (when := self.date(column))]


def _policy_document(value: Any, where: str) -> dict:
    """A decoded policy document; anything else is unreadable data, never "no statements"."""
    if not isinstance(value, dict):
        raise BadData(f"The policy document of {where} is not a JSON object: {str(value)[:80]!r}.")
    return value


class Principal:
    """Common parts of users, groups and roles as GetAccountAuthorizationDetails describes them."""

    kind = "principal"
    inline_field = ""

    def __init__(self, snapshot: "Snapshot", name: str, detail: dict | None):
        self.snapshot = snapshot
        self.name = name
        self._detail = detail

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}>"

    @property
    def detail(self) -> dict:
        if self._detail is None:
            self.snapshot.require("authorization_details")
            raise BadData(f"{self.kind} {self.name} is not in GetAccountAuthorizationDetails.")
        return self._detail

    @property
    def arn(self) -> str:
        return str(self.detail["Arn"])

    @property
    def resource(self) -> str:
        return self.arn

    @property
    def path(self) -> str:
        return str(self.detail.get("Path", "/"))

    @property
    def created(self) -> datetime:
        return parse_timestamp(self.detail["CreateDate"])

    @property
    def inline_policies(self) -> dict[str, dict]:
        return {
            p["PolicyName"]: _policy_document(p.get("PolicyDocument"), f"{self.kind} {self.name} inline policy {p['PolicyName']}")
            for p in self.detail.get(self.inline_field, [])
        }

    @property
    def attached_policy_arns(self) -> list[str]:
        return [p["PolicyArn"] for p in self.detail.get("AttachedManagedPolicies", [])]

    @property
    def tags(self) -> dict[str, str]:
        return {t["Key"]: t.get("Value", "") for t in self.detail.get("Tags", [])}


class User(Principal):
    kind = "user"
    inline_field = "UserPolicyList"

    def __init__(self, snapshot: "Snapshot", name: str, detail: dict | None, row: dict | None):
        super().__init__(snapshot, name, detail)
        self._row = row

    @property
    def arn(self) -> str:
        if self._detail is not None:
            return str(self._detail["Arn"])
        return self.credentials.text("arn")

    @cached_property
    def credentials(self) -> CredentialRow:
        """The user's credential report row, brought up to date with the keys, signing certificates and virtual
        MFA devices listed during the audit; for a user the report lacks, the row its per-user calls give."""
        report = self.snapshot.data("credential_report")
        if self._row is not None:
            row = with_listed_credentials(self._row, self._listed("access_keys", "AccessKeys"),
                                          self._listed("signing_certificates", "Certificates"), self._virtual_mfa)
            return CredentialRow(row, report.get("generated_at"))
        when = report_source(report.get("generated_at"))
        if self._detail is None:
            raise BadData(f"{when[0].upper()}{when[1:]} has no row for user {self.name}.")
        record = self.snapshot.data("unreported_users").get("users", {}).get(self.name)
        if record is None:
            raise BadData(f"{when[0].upper()}{when[1:]} has no row for user {self.name} (created after it was "
                          "generated), and the snapshot holds no per-user calls for it; re-run the audit.")
        failure = failure_of(record)
        if failure is not None:
            operation = record.get("Operation") if isinstance(record, dict) else None
            raise SourceUnavailable(
                f"{when[0].upper()}{when[1:]} has no row for user {self.name} (created after it was generated), "
                f"and {operation or 'a per-user call'} for its credentials failed: {failure.describe()}")
        return CredentialRow(row_from_calls(self._detail, record), report.get("generated_at"), LIVE_SOURCE)

    def _listed(self, source: str, field: str) -> list[dict] | None:
        """This user's credentials as ``source`` listed them during the audit; None when not listed or not readable."""
        if not self.snapshot.status(source).ok:
            return None
        entry = self.snapshot.data(source).get("users", {}).get(self.name)
        if entry is None or failure_of(entry) is not None:
            return None
        listed: list[dict] = entry.get(field, [])
        return listed

    @property
    def _virtual_mfa(self) -> bool:
        """A virtual MFA device is assigned to the user now (ListVirtualMFADevices is read during the audit)."""
        return self.name in self.snapshot.virtual_mfa_users

    @property
    def group_names(self) -> list[str]:
        return list(self.detail.get("GroupList", []))


class Group(Principal):
    kind = "group"
    inline_field = "GroupPolicyList"

    @property
    def member_names(self) -> list[str]:
        return self.snapshot.group_members.get(self.name, [])


class Role(Principal):
    kind = "role"
    inline_field = "RolePolicyList"

    @property
    def service_linked(self) -> bool:
        return self.path.startswith("/aws-service-role/")

    @property
    def sso_reserved(self) -> bool:
        """Created and managed by IAM Identity Center for a permission set."""
        return self.path.startswith("/aws-reserved/sso.amazonaws.com/")

    @property
    def trust_policy(self) -> dict:
        return _policy_document(self.detail.get("AssumeRolePolicyDocument"), f"role {self.name} trust policy")

    @property
    def last_used(self) -> datetime | None:
        value = (self.detail.get("RoleLastUsed") or {}).get("LastUsedDate")
        return parse_timestamp(value) if value else None


class ManagedPolicy:
    def __init__(self, snapshot: "Snapshot", detail: dict):
        self.snapshot = snapshot
        self.detail = detail
        self.arn: str = detail["Arn"]
        self.name: str = detail.get("PolicyName") or self.arn.rsplit("/", 1)[-1]
        self.aws_managed = self.arn.startswith(f"arn:{snapshot.partition}:iam::aws:policy/")

    @property
    def key(self) -> str:
        return f"aws/{self.name}" if self.aws_managed else self.name

    @property
    def resource(self) -> str:
        return self.arn

    @property
    def attachment_count(self) -> int:
        return int(self.detail.get("AttachmentCount", 0))

    @property
    def default_version(self) -> tuple[str, dict]:
        """(version id, document) of the version IAM enforces: the default one, never another."""
        for version in self.detail.get("PolicyVersionList", []):
            if version.get("IsDefaultVersion"):
                document = _policy_document(version.get("Document"), f"managed policy {self.arn}")
                return str(version.get("VersionId") or self.detail.get("DefaultVersionId") or ""), document
        raise BadData(f"Managed policy {self.arn} has no default version in the snapshot.")

    @property
    def default_document(self) -> dict:
        return self.default_version[1]


class ServerCertificate:
    def __init__(self, snapshot: "Snapshot", detail: dict):
        self.snapshot = snapshot
        self.detail = detail
        self.name: str = detail["ServerCertificateName"]
        self.arn: str = detail["Arn"]

    @property
    def resource(self) -> str:
        return self.arn

    @property
    def expiration(self) -> datetime:
        return parse_timestamp(self.detail["Expiration"])


@dataclass(frozen=True)
class CharacterClass:
    """A character class a password policy can require (the names of ``password_policy.character_classes``)."""

    name: CharacterClassName
    field: str  # GetAccountPasswordPolicy field
    requirement: str  # "every password must contain ..."
    security_hub: str  # the Security Hub control that requires this class


CHARACTER_CLASSES: dict[str, CharacterClass] = {c.name: c for c in (
    CharacterClass("uppercase", "RequireUppercaseCharacters", "an uppercase letter (A-Z)", "IAM.11"),
    CharacterClass("lowercase", "RequireLowercaseCharacters", "a lowercase letter (a-z)", "IAM.12"),
    CharacterClass("numbers", "RequireNumbers", "a number (0-9)", "IAM.14"),
    CharacterClass("symbols", "RequireSymbols", "a symbol such as ! @ # $ %", "IAM.13"),
)}


class Account:
    def __init__(self, snapshot: "Snapshot"):
        self.snapshot = snapshot
        self.id = snapshot.account_id
        self.partition = snapshot.partition

    def __repr__(self) -> str:
        return f"<Account {self.id}>"

    @property
    def resource(self) -> str:
        return self.id

    @property
    def summary(self) -> dict[str, int]:
        summary: dict[str, int] = self.snapshot.data("account_summary")
        return summary

    def summary_value(self, key: str) -> int:
        value = self.summary.get(key)
        if not isinstance(value, int) or isinstance(value, bool):
            raise BadData(f"GetAccountSummary has no integer '{key}' (found {value!r}).")
        return value

    @property
    def password_policy(self) -> dict | None:
        """The custom password policy, or None when the AWS default applies."""
        policy: dict | None = self.snapshot.data("password_policy").get("policy")
        return policy

    @property
    def root_credentials(self) -> CredentialRow:
        report = self.snapshot.data("credential_report")
        for row in report.get("rows", []):
            if row.get("user") == ROOT_USER:
                return CredentialRow(row, report.get("generated_at"))
        raise BadData("The credential report has no <root_account> row.")


class Snapshot:
    """The whole snapshot document with lazily built entity views."""

    def __init__(self, doc: dict, path: str | None = None, sha256: str | None = None):
        self.doc = doc
        self.path = path
        self.sha256 = sha256
        self.account_id: str = doc["account_id"]
        self.partition: str = doc["partition"]
        self.caller_arn: str = doc["caller_arn"]
        self.collected_at: datetime = parse_timestamp(doc["collected_at"])

    def status(self, name: str) -> SourceStatus:
        source = self.doc["sources"].get(name)
        if source is None:
            return SourceStatus(name, False, "NotCollected", "this snapshot does not contain the source")
        failure = failure_of(source)
        if failure is None:
            return SourceStatus(name, True)
        return SourceStatus(name, False, failure.code, failure.message)

    def require(self, name: str) -> None:
        status = self.status(name)
        if not status.ok:
            raise SourceUnavailable(status.describe())

    def data(self, name: str) -> Any:
        self.require(name)
        return self.doc["sources"][name]["data"]

    def failed_sources(self) -> list[SourceStatus]:
        return [self.status(name) for name in sorted(self.doc["sources"]) if not self.status(name).ok]

    def _gaad(self, key: str) -> list[dict]:
        return self.data("authorization_details").get(key, []) if self.status("authorization_details").ok else []

    @cached_property
    def account(self) -> Account:
        return Account(self)

    @cached_property
    def credential_reconciliation(self) -> Reconciliation | None:
        """Which IAM users the credential report describes, lacks, or lists after their deletion.

        None when the report could not be read; without GetAccountAuthorizationDetails the report's rows are
        all the users there are.
        """
        if not self.status("credential_report").ok:
            return None
        rows = [r for r in self.data("credential_report").get("rows", []) if r.get("user") != ROOT_USER]
        if not self.status("authorization_details").ok:
            return Reconciliation({r["user"]: r for r in rows}, {}, [])
        return reconcile(rows, self._gaad("users"))

    @property
    def credential_report_generated_at(self) -> datetime | None:
        """When AWS generated the credential report the snapshot holds (it serves one for up to 4 hours)."""
        if not self.status("credential_report").ok:
            return None
        try:
            return parse_timestamp(str(self.data("credential_report").get("generated_at")))
        except ValueError:
            return None

    @property
    def credential_report_stale_users(self) -> list[str]:
        """Users in the credential report but no longer in IAM (deleted, or re-created, after it was generated).

        They are left out of every check: the report still lists them only because AWS serves it for 4 hours.
        """
        reconciled = self.credential_reconciliation
        return reconciled.stale if reconciled is not None else []

    @property
    def credential_report_unreported_users(self) -> list[str]:
        """Users the credential report lacks (created after it): their credentials come from per-user calls."""
        reconciled = self.credential_reconciliation
        return sorted(reconciled.unreported) if reconciled is not None else []

    @cached_property
    def virtual_mfa_users(self) -> frozenset[str]:
        """Names of the users a virtual MFA device is assigned to; none when ListVirtualMFADevices was not read."""
        if not self.status("virtual_mfa_devices").ok:
            return frozenset()
        devices = self.data("virtual_mfa_devices")
        if not isinstance(devices, list):
            return frozenset()
        return frozenset(str(user["UserName"]) for d in devices if isinstance(d, dict)
                         and isinstance(user := d.get("User"), dict) and user.get("UserName"))

    @property
    def credential_report_summary(self) -> str:
        """One line for report headers: when the credential report was generated and how it was reconciled."""
        if not self.status("credential_report").ok:
            return self.status("credential_report").describe()
        parts = [report_source(self.data("credential_report").get("generated_at")).removeprefix("the credential report ")]
        if self.credential_report_stale_users:
            parts.append("left out, no longer in IAM: " + ", ".join(self.credential_report_stale_users))
        if self.credential_report_unreported_users:
            parts.append("newer than the report, read through per-user calls: "
                         + ", ".join(self.credential_report_unreported_users))
        return "; ".join(parts)

    @cached_property
    def users(self) -> dict[str, User]:
        """The IAM users (GetAccountAuthorizationDetails) with the report row that describes each, by name.

        Report rows of users no longer in IAM are left out (``credential_report_stale_users``). Without
        GetAccountAuthorizationDetails the users are the report's rows; without the report, GAAD's users.
        """
        details = {u["UserName"]: u for u in self._gaad("users")}
        reconciled = self.credential_reconciliation
        rows = reconciled.reported if reconciled is not None else {}
        names = sorted(set(details) | set(rows))
        return {n: User(self, n, details.get(n), rows.get(n)) for n in names}

    @cached_property
    def groups(self) -> dict[str, Group]:
        return {g["GroupName"]: Group(self, g["GroupName"], g) for g in self._gaad("groups")}

    @cached_property
    def group_members(self) -> dict[str, list[str]]:
        """GAAD groups carry no member list: invert each user's GroupList."""
        members: dict[str, list[str]] = {}
        for user in self._gaad("users"):
            for group in user.get("GroupList", []):
                members.setdefault(group, []).append(user["UserName"])
        return members

    @cached_property
    def roles(self) -> dict[str, Role]:
        return {r["RoleName"]: Role(self, r["RoleName"], r) for r in self._gaad("roles")}

    @cached_property
    def managed_policies(self) -> dict[str, ManagedPolicy]:
        policies = (ManagedPolicy(self, p) for p in self._gaad("policies"))
        return {p.key: p for p in sorted(policies, key=lambda p: p.key)}

    @cached_property
    def server_certificates(self) -> dict[str, ServerCertificate]:
        if not self.status("server_certificates").ok:
            return {}
        certs = (ServerCertificate(self, c) for c in self.data("server_certificates"))
        return {c.name: c for c in certs}

    def iter_principals(self) -> Iterator[Principal]:
        yield from self.users.values()
        yield from self.groups.values()
        yield from self.roles.values()
