"""One typed record per check item: what the audit knows about it, and what every report reads.

The static fields are written once at collection (``fixtures.gate``), the finding, remediation and
evidence once when the check raises its finding (the same module's makereport wrapper). The record
reaches the controller (and JUnit) as the report's ``user_properties``, so it crosses pytest-xdist:
the codec below writes one readable, named property per field (one ``compliance`` property per
reference, the evidence as JSON) and reads them back. The controller adds what only the reports
tell: the outcome and the message people read.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Iterable

import pytest

from iam_compliance.controls import Reference

OUTCOMES = ("failed", "error", "waived", "passed", "skipped")

# Properties of one value each; "compliance" repeats, once per reference.
STATIC_PROPERTIES = ("check_id", "resource", "region", "severity", "title", "headline", "variant", "waiver")
RESULT_PROPERTIES = ("finding", "remediation", "evidence")


@dataclass
class ItemRecord:
    nodeid: str
    check_id: str
    severity: str
    resource: str  # the ARN, or the account id for account-wide checks
    title: str = ""  # the check docstring's first line: the requirement
    headline: str = ""  # the failure phrased as a finding: "Root user has no MFA"
    region: str | None = None  # for regional items (ACM certificates, analyzers, ...); None for global ones
    references: tuple[Reference, ...] = ()
    variant: str | None = None  # what tells apart items of one check on one resource (part of the finding id)
    waiver: str | None = None  # the governing waiver's "path:line", or "path:line expired on DATE"
    # Written when the check raises a finding (failed or waived):
    finding: str = ""  # the sentence people read
    remediation: str = ""
    evidence: dict[str, Any] | None = None
    # Decided on the controller from the reports:
    outcome: str = "passed"  # one of OUTCOMES
    message: str = ""  # what the item says: finding with its fix line, error, skip reason or waiver

    @property
    def finding_id(self) -> str:
        """Stable across runs: the check and the resource, plus the variant for checks that test one
        resource several ways (e.g. one item per password character class)."""
        return f"{self.check_id}:{self.resource}" + (f"#{self.variant}" if self.variant else "")

    @property
    def compliance(self) -> list[str]:
        """The references as JUnit and findings.json write them: ``<framework>:<requirement>``."""
        return [str(reference) for reference in self.references]

    @property
    def entity(self) -> str:
        """The parametrization id: the entity's name (or the account id for account-wide checks)."""
        return self.nodeid.rsplit("[", 1)[-1].rstrip("]") if self.nodeid.endswith("]") else self.resource

    @property
    def statement(self) -> str:
        """The findings.json ``finding`` text: the finding sentence (failed, waived), why the item could
        not be evaluated (error) or why it does not apply (skipped); empty when passed."""
        if self.outcome in ("failed", "waived"):
            return self.finding
        return self.message if self.outcome in ("error", "skipped") else ""

    def static_properties(self) -> list[tuple[str, str]]:
        """The collection-time fields as user properties."""
        props = [(name, value) for name in STATIC_PROPERTIES if (value := getattr(self, name))]
        return props + [("compliance", reference) for reference in self.compliance]

    def result_properties(self) -> list[tuple[str, str]]:
        """The finding's fields as user properties (none for an item without a finding)."""
        props = [(name, getattr(self, name)) for name in ("finding", "remediation") if getattr(self, name)]
        if self.evidence:
            props.append(("evidence", json.dumps(self.evidence, sort_keys=True, default=str)))
        return props

    @classmethod
    def from_properties(cls, nodeid: str, properties: Iterable[tuple[str, Any]]) -> ItemRecord | None:
        """The record in a report's user properties, or None for an item that is not a check."""
        values: dict[str, str] = {}
        references = []
        for name, value in properties:
            if name == "compliance":
                references.append(Reference.parse(value))
            elif name in STATIC_PROPERTIES or name in RESULT_PROPERTIES:
                values[name] = value
        if "check_id" not in values:
            return None
        evidence = values.get("evidence")
        return cls(
            nodeid=nodeid, check_id=values["check_id"], severity=values.get("severity", ""),
            resource=values.get("resource", ""), title=values.get("title", ""),
            headline=values.get("headline", ""), region=values.get("region"),
            references=tuple(references), variant=values.get("variant"), waiver=values.get("waiver"),
            finding=values.get("finding", ""), remediation=values.get("remediation", ""),
            evidence=json.loads(evidence) if evidence else None,
        )

    @classmethod
    def from_report(cls, report: pytest.TestReport) -> ItemRecord | None:
        """The record a report carries, with this phase's outcome and message; None when not a check."""
        record = cls.from_properties(report.nodeid, report.user_properties)
        if record is not None:
            record.outcome = phase_outcome(report) or record.outcome
            record.message = message_of(report)
        return record


def is_check_report(report: pytest.TestReport) -> bool:
    return any(name == "check_id" for name, _ in report.user_properties)


def phase_outcome(report: pytest.TestReport) -> str | None:
    """This phase's contribution to the item's outcome, or None when it adds nothing."""
    if hasattr(report, "wasxfail"):
        return "waived" if report.skipped else "failed"
    if report.failed:
        return "failed" if report.when == "call" else "error"
    if report.skipped:
        return "skipped"
    if report.when == "call":
        return "passed"
    return None


def longrepr_text(report: pytest.TestReport) -> str:
    """The finding or error text: str() of the longrepr, not longreprtext, which under xdist
    starts with the worker's platform line."""
    if report.longrepr is None:
        return ""
    if isinstance(report.longrepr, tuple):  # a skip: (path, line, "Skipped: reason")
        return str(report.longrepr[2]).removeprefix("Skipped: ")
    return str(report.longrepr).strip()


def message_of(report: pytest.TestReport) -> str:
    """What the item says: the finding (with its Fix line), the error, the skip reason, or for a
    waived finding the finding followed by the waiver."""
    if hasattr(report, "wasxfail"):
        finding = longrepr_text(report) if report.skipped else ""
        return f"{finding}\nWaived: {report.wasxfail}" if finding else f"Waived: {report.wasxfail}"
    return longrepr_text(report)


RECORD_KEY = pytest.StashKey[ItemRecord]()  # on each check item, from collection on (controller and workers)

