"""Activity: what IAM's service-last-accessed jobs say each user and role used, and when; and the dated events
(created, set, uploaded, used) of each user's credentials, which decide whether a user is inactive.

Read from the source ``service_last_accessed``: ``{"enabled": true, "entities": {arn: entry}}`` where an
entry is ``{"status": "ok", "job_completed": ..., "services": [...]}`` or ``{"status": "error", "error":
{"code": ..., "message": ...}}``; a run without the jobs stores ``{"enabled": false, "reason": ...}``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from iam_compliance.model.iam import CREDENTIAL_SLOTS, BadData, CannotEvaluate, CredentialRow, Principal, Snapshot
from iam_compliance.model.principals import per_snapshot
from iam_compliance.timeutil import parse_timestamp

SOURCE = "service_last_accessed"


@dataclass(frozen=True)
class ServiceUse:
    """One service the principal's policies allow, as its service-last-accessed job reports it."""

    principal: Principal
    detail: dict[str, Any]

    @property
    def namespace(self) -> str:
        return str(self.detail.get("ServiceNamespace", ""))

    @property
    def last_authenticated(self) -> datetime | None:
        """The last authenticated use; None when not used in IAM's tracking period."""
        value = self.detail.get("LastAuthenticated")
        if value is None:
            return None
        try:
            return parse_timestamp(value)
        except (TypeError, ValueError):
            raise BadData(
                f"Service last accessed for {self.principal.kind} {self.principal.name} has LastAuthenticated "
                f"{value!r} for service {self.detail.get('ServiceNamespace')!r}, which is not a timestamp."
            ) from None


class ServiceActivity:
    """The service-last-accessed data of one snapshot (reading it needs the source to have been collected)."""

    def __init__(self, snapshot: Snapshot):
        data = snapshot.data(SOURCE)
        if not isinstance(data, dict):
            raise BadData(f"The {SOURCE} data in the snapshot is not an object.")
        self._data: dict[str, Any] = data

    @property
    def enabled(self) -> bool:
        return bool(self._data.get("enabled", True))

    @property
    def disabled_reason(self) -> str:
        """Why the jobs did not run in this collection."""
        return str(self._data.get("reason") or "service-last-accessed data was not collected in this run.")

    def services(self, principal: Principal) -> list[ServiceUse]:
        """The services IAM lists for the principal; CannotEvaluate when its job did not succeed."""
        entry = self._data.get("entities", {}).get(principal.arn)
        if entry is None:
            raise BadData(
                f"The service-last-accessed data has no entry for {principal.kind} {principal.name} "
                f"({principal.arn}); it was probably created during collection: re-run the audit."
            )
        if entry.get("status") != "ok":
            error = entry.get("error") or {}
            raise CannotEvaluate(
                f"Service last accessed for {principal.kind} {principal.name} could not be read: "
                f"{error.get('code', 'Unknown')}: {error.get('message', '')}"
            )
        return [ServiceUse(principal, detail) for detail in entry.get("services", [])]


@per_snapshot
def service_activity(snapshot: Snapshot) -> ServiceActivity:
    return ServiceActivity(snapshot)


@dataclass(frozen=True)
class CredentialEvent:
    """Something a user's credentials record: created, set, uploaded or used, and when."""

    what: str  # "access key 1 created", "console sign-in"
    when: datetime


def user_credential_events(credentials: CredentialRow) -> list[CredentialEvent]:
    """Every dated event of a user's credential report row, latest first.

    The user's creation, its console password set (password_last_changed) and used, each access key created
    (access_key_N_last_rotated) and used, and each signing certificate uploaded (cert_N_last_rotated). N/A,
    no_information and not_supported are no event.
    """
    columns: list[tuple[str, str]] = [
        ("user_creation_time", "user created"),
        (CredentialRow.PASSWORD_LAST_CHANGED, "console password set"),
        (CredentialRow.PASSWORD_LAST_USED, "console sign-in"),
    ]
    for slot in CREDENTIAL_SLOTS:
        columns += [
            (CredentialRow.slot_column("access_key", slot, "last_rotated"), f"access key {slot} created"),
            (f"access_key_{slot}_last_used_date", f"access key {slot} used"),
            (CredentialRow.slot_column("cert", slot, "last_rotated"), f"signing certificate {slot} uploaded"),
        ]
    events = [CredentialEvent(what, when) for column, what in columns if (when := credentials.date(column))]
    return sorted(events, key=lambda event: event.when, reverse=True)
