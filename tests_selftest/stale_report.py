"""A credential report as AWS serves it hours after generating it: captured now, served after IAM has changed.

AWS reuses a report for up to 4 hours. ``capture`` takes the report moto writes for the seeded account
now (root row included); the test then changes IAM (deletes a user, creates one, deletes a root key)
and ``collect_with`` runs the real collector with GetCredentialReport answering the captured report,
stamped with the time it was captured at, ``hours_ago`` before the audit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Mapping

from iam_compliance.collection.collector import collect
from iam_compliance.simulated.moto_account import MotoAccount
from tests_selftest.harness import SELFTEST_OPTIONS, fail_operations, moto_session


@dataclass(frozen=True)
class CapturedReport:
    content: bytes
    generated: datetime  # aware UTC


def capture(aws: MotoAccount, hours_ago: float = 3) -> CapturedReport:
    """The account's credential report as it is now, to be served as generated ``hours_ago`` before the audit."""
    aws.generate_credential_report()
    content = aws.iam.get_credential_report()["Content"]
    generated = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(hours=hours_ago)
    return CapturedReport(content, generated)


def collect_with(report: CapturedReport, failures: Mapping[str, str] = {}) -> tuple[dict, dict[str, int]]:
    """The real collector's snapshot with ``report`` served by GetCredentialReport, and the calls it made."""
    session = moto_session()

    def serve(parsed: dict, **_: Any) -> None:
        parsed["Content"] = report.content
        parsed["GeneratedTime"] = report.generated

    session.events.register("after-call.iam.GetCredentialReport", serve)
    calls: dict[str, int] = {}

    def count(model: Any, **_: Any) -> None:
        calls[model.name] = calls.get(model.name, 0) + 1

    session.events.register("before-call.iam.*", count)  # before fail_operations, which answers the call
    if failures:
        fail_operations(session, failures)
    return collect(session, SELFTEST_OPTIONS), calls
