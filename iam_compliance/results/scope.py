"""What a run evaluated and how it ended: the scope and status every report states.

A report may never claim more than was evaluated. The scope records which checks were selected (and
by which ``-k``/``-m`` expression), which regions and options were in force and which settings, with
those that differ from the defaults marked. The status says whether the run is a complete audit of
the catalogue, a partial one, or a run that did not finish; the verdict every format prints (HTML
banner, terminal, findings.json) is derived from both here, in one place.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any

import pytest


class RunStatus(str, Enum):
    COMPLETE = "complete"  # every check of the catalogue ran to the end
    PARTIAL = "partial"  # only part of the catalogue was selected (-k, -m, a file or node id)
    INTERRUPTED = "interrupted"  # Ctrl-C, -x/--maxfail or a signal stopped the run
    INTERNAL_ERROR = "internal error"  # the suite itself failed; nothing it says can be relied on

    @property
    def finished(self) -> bool:
        """True when every selected item ran: the run's results may serve as a baseline."""
        return self in (RunStatus.COMPLETE, RunStatus.PARTIAL)


@dataclass(frozen=True)
class SettingInForce:
    key: str  # "password_policy.min_length"
    value: Any
    default: Any

    @property
    def differs(self) -> bool:
        return bool(self.value != self.default)


@dataclass(frozen=True)
class RunScope:
    checks_selected: tuple[str, ...]  # check ids with at least one selected item, sorted
    checks_total: int  # checks in the catalogue
    selection: str = ""  # the -k / -m expressions and path arguments that narrowed the run, "" for none
    regions: tuple[str, ...] = ()
    options: dict[str, str] = field(default_factory=dict)  # audit options in force: "service activity": "off"
    settings: tuple[SettingInForce, ...] = ()
    simulated: bool = False  # the built-in demo account, not a real one

    @property
    def partial(self) -> bool:
        return len(self.checks_selected) < self.checks_total

    def settings_changed(self) -> list[SettingInForce]:
        return [s for s in self.settings if s.differs]


SCOPE_KEY = pytest.StashKey[RunScope]()
STATUS_KEY = pytest.StashKey[RunStatus]()


@dataclass(frozen=True)
class Verdict:
    state: str  # "good", "bad", "unknown" or "incomplete": the banner's colour
    title: str  # "Not compliant: 158 findings"
    text: str  # what qualifies it: "in 31 of 53 controls; partial audit: ..."


def plural(count: int, word: str) -> str:
    return f"{count:,} {word}{'' if count == 1 else 's'}"


def verdict(status: RunStatus, scope: RunScope | None, *, findings: int, errors: int, evaluated: int,
            failing_controls: int, controls_run: int, unreadable_sources: int) -> Verdict:
    """The one verdict of a run, for every format: never "Compliant" for a run that evaluated nothing,
    only part of the catalogue, or did not finish."""
    if status is RunStatus.INTERNAL_ERROR:
        return Verdict("incomplete", "Incomplete: internal error",
                       "the audit stopped on an error of the suite itself; these results are not a verdict")
    if status is RunStatus.INTERRUPTED:
        return Verdict("incomplete", "Incomplete: interrupted",
                       f"the run was stopped after {plural(evaluated, 'evaluated item')}; these results are not a verdict")
    qualifiers = []
    if findings:
        state, title = "bad", f"Not compliant: {plural(findings, 'finding')}"
        qualifiers.append(f"in {failing_controls} of {plural(controls_run, 'control')} run")
    elif evaluated == 0:
        state, title = "unknown", "Nothing evaluated"
        qualifiers.append("no item was evaluated, so this run says nothing about compliance")
    elif errors or unreadable_sources:
        state, title = "unknown", "Not fully evaluated"
        qualifiers.append("no findings, but some items could not be evaluated")
    elif scope is not None and scope.partial:
        state, title = "unknown", "No findings in a partial audit"
        qualifiers.append("every evaluated item passed")
    else:
        state, title = "good", "Compliant"
        qualifiers.append("every evaluated item passed")
    if errors:
        qualifiers.append(f"{plural(errors, 'item')} could not be evaluated")
    if scope is not None and scope.partial:
        qualifiers.append(f"partial audit: {scope.checks_selected.__len__()} of {scope.checks_total} controls"
                          + (f" selected by {scope.selection}" if scope.selection else ""))
    return Verdict(state, title, "; ".join(qualifiers))
