"""Scores as auditors count them: each control's state, and each framework requirement's status.

A control is failing (at least one finding), could not be evaluated (errors, no finding), clean
(everything it evaluated passed or is waived) or not applicable (nothing to evaluate). A framework
requirement is decided by the controls that reference it: not met when one fails, could not be
evaluated when one errs, met when all of them ran and are clean or not applicable. A requirement no
check decides is "not automated" (with the framework table's reason); one whose checks were left
out of a partial run is "not in scope", never met.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterable, Mapping

from iam_compliance.controls import FRAMEWORK_TABLE, CheckFacts, Reference
from iam_compliance.frameworks import Requirement, requirement as find_requirement, requirements
from iam_compliance.results.log import ControlSummary

# Control states, worst first, with the words the report uses.
FAILING, ERROR, CLEAN, NOT_APPLICABLE, NOT_RUN = "failing", "error", "clean", "not-applicable", "not-run"
CONTROL_STATE_WORDS = {FAILING: "Failing", ERROR: "Could not evaluate", CLEAN: "Clean",
                       NOT_APPLICABLE: "Not applicable", NOT_RUN: "Not in this run"}

# Requirement statuses, in the order the report counts them.
MET, NOT_MET, UNKNOWN, SETTINGS_CHANGED, NOT_AUTOMATED, NOT_IN_SCOPE, RETIRED = (
    "met", "not-met", "error", "settings-changed", "not-automated", "not-in-scope", "retired")
STATUS_WORDS = {MET: "Met", NOT_MET: "Not met", UNKNOWN: "Could not evaluate",
                SETTINGS_CHANGED: "Not verified (settings changed)", NOT_AUTOMATED: "Not automated",
                NOT_IN_SCOPE: "Not in this run", RETIRED: "Retired"}

# The frameworks scored per requirement, and what their scope is called.
SCORED = {"cis-v5.0": "CIS v5.0 IAM section", "cis-v3.0": "CIS v3.0 IAM section",
          "security-hub": "Security Hub IAM controls", "seed": "Seed practices"}


def control_state(control: ControlSummary) -> str:
    if control.counts["failed"]:
        return FAILING
    if control.counts["error"]:
        return ERROR
    if control.evaluated:
        return CLEAN
    return NOT_APPLICABLE


@dataclass(frozen=True)
class RequirementRow:
    id: str
    title: str  # "" when the framework table has no entry for it
    glossary: str  # what the requirement means, for frameworks readers may not know (the brief's practices)
    status: str  # one of STATUS_WORDS
    reason: str  # why not automated, or what decided a status other than met / not met
    controls: tuple[tuple[str, str], ...]  # (check id, control state) of every check that references it

    @property
    def status_words(self) -> str:
        return STATUS_WORDS[self.status]


@dataclass
class FrameworkScore:
    key: str
    scope: str  # "CIS v5.0 IAM section"
    name: str  # "CIS AWS Foundations Benchmark v5.0.0"
    rows: list[RequirementRow] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for row in self.rows if row.status == status)

    @property
    def total(self) -> int:
        """Requirements that are in force: retired ones are listed but not counted."""
        return len(self.rows) - self.count(RETIRED)

    @property
    def sentence(self) -> str:
        """"CIS v5.0 IAM section: 14 of 21 requirements met", with what the rest are."""
        rest = [f"{self.count(s):,} {STATUS_WORDS[s].lower()}"
                for s in (NOT_MET, UNKNOWN, SETTINGS_CHANGED, NOT_IN_SCOPE, NOT_AUTOMATED)
                if self.count(s)]
        text = f"{self.scope}: {self.count(MET):,} of {self.total:,} requirement{'s' if self.total != 1 else ''} met"
        return text + (f" ({', '.join(rest)})" if rest else "")


def _natural(identifier: str) -> list:
    """1.2 before 1.10, IAM.3 before IAM.21."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", identifier)]


def _status(entry: Requirement | None, states: dict[str, str], waived: set[str]) -> tuple[str, str]:
    if entry is not None and entry.retired:
        return RETIRED, entry.reason or "withdrawn by its publisher"
    if not states:
        if entry is not None and not entry.automated:
            return NOT_AUTOMATED, entry.reason
        return NOT_AUTOMATED, "no check of this suite decides it"
    run = {check: state for check, state in states.items() if state != NOT_RUN}
    if FAILING in run.values():
        return NOT_MET, ""
    if ERROR in run.values():
        return UNKNOWN, "a deciding check could not evaluate some items"
    if len(run) < len(states):
        left_out = sorted(check for check, state in states.items() if state == NOT_RUN)
        return NOT_IN_SCOPE, f"not selected in this run: {', '.join(left_out)}"
    if all(state == NOT_APPLICABLE for state in run.values()):
        return MET, "nothing to evaluate: no resource the checks apply to"
    accepted = sorted(check for check in run if check in waived)
    return MET, f"with accepted risks: waived findings in {', '.join(accepted)}" if accepted else ""


def framework_score(key: str, catalogue: Iterable[CheckFacts], controls_run: Iterable[ControlSummary],
                    changed: Mapping[str, list[str]] | None = None) -> FrameworkScore:
    """The framework's requirements with their status, from the table and the references of every check.

    ``changed`` maps a check to the settings it read that differ from the defaults: a requirement those
    checks would meet is not verified, since the framework's own threshold was not the one applied.
    """
    changed = changed or {}
    controls_run = list(controls_run)
    states = {c.check_id: control_state(c) for c in controls_run}
    waived = {c.check_id for c in controls_run if c.counts["waived"]}
    deciding: dict[str, dict[str, str]] = {}
    for facts in catalogue:
        for reference in facts.references:
            if reference.framework == key:
                deciding.setdefault(reference.requirement, {})[facts.check_id] = states.get(facts.check_id, NOT_RUN)
    known = requirements(key)
    ids = [r.id for r in known] + sorted((i for i in deciding if i not in {r.id for r in known}), key=_natural)
    framework = FRAMEWORK_TABLE.get(key)
    score = FrameworkScore(key, SCORED.get(key, framework.label if framework else key), framework.name if framework else key)
    for identifier in ids:
        entry = find_requirement(Reference(key, identifier))
        checks = deciding.get(identifier, {})
        status, reason = _status(entry, checks, waived)
        relaxed = sorted({key for check in checks for key in changed.get(check, [])})
        if status == MET and relaxed:
            status, reason = SETTINGS_CHANGED, f"checked with settings changed from the defaults: {', '.join(relaxed)}"
        score.rows.append(RequirementRow(identifier, entry.title if entry else "", entry.glossary if entry else "",
                                         status, reason,
                                         tuple(sorted(checks.items()))))
    return score


def framework_scores(catalogue: Iterable[CheckFacts], controls_run: Iterable[ControlSummary],
                     changed: Mapping[str, list[str]] | None = None) -> list[FrameworkScore]:
    catalogue, controls_run = list(catalogue), list(controls_run)
    scores = [framework_score(key, catalogue, controls_run, changed) for key in SCORED]
    return [score for score in scores if score.rows]


def catalogue_of(controls_run: Iterable[ControlSummary]) -> list[CheckFacts]:
    """The checks as the run saw them, when the whole catalogue is not at hand."""
    return [CheckFacts(c.check_id, c.severity, c.title, c.references, c.headline) for c in controls_run]
