"""The requirements of each framework a check may reference: their names, and which can be automated.

The reports resolve every reference through this table (a reference with no entry is shown by id alone),
score each framework per requirement, and list the requirements no check can decide, with why.
"""

from __future__ import annotations

from dataclasses import dataclass

from iam_compliance.controls import Reference


@dataclass(frozen=True)
class Requirement:
    framework: str  # a FRAMEWORK_TABLE key: "cis-v5.0"
    id: str  # "1.4"
    title: str  # the requirement as the framework names it
    automated: bool = True  # False: needs a person, or data IAM does not hold
    reason: str = ""  # why it is not automated
    retired: bool = False  # withdrawn by its publisher (e.g. Security Hub IAM.20)


REQUIREMENTS: tuple[Requirement, ...] = ()


def requirements(framework: str) -> list[Requirement]:
    """The framework's requirements in its own order."""
    return [r for r in REQUIREMENTS if r.framework == framework]


def requirement(reference: Reference) -> Requirement | None:
    return next((r for r in REQUIREMENTS if r.framework == reference.framework and r.id == reference.requirement), None)
