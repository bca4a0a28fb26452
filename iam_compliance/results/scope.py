"""What a run evaluated and how it ended: the scope and status every report states.

A report may never claim more than was evaluated. The scope records which checks were selected (and
by which ``-k``/``-m`` expression), which regions and options were in force and which settings, with
those that differ from the defaults marked. The status says whether the run is a complete audit of
the catalogue, a partial one, or a run that did not finish; the verdict every format prints (HTML
banner, terminal, findings.json) is derived from both here, in one place.
"""

from __future__ import annotations

import inspect
import re
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Callable, Iterable, Mapping

import pytest

from iam_compliance.results.log import ResultLog
from iam_compliance.settings import Settings


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
    # The settings each selected check reads ("password_policy.min_length"), for drift's comparability.
    check_settings: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # The part of the selection that narrows items within a check (-k, node ids, --lf, --deselect), "" for none:
    # an item missing from such a run was not looked at, its resource may still exist.
    item_selection: str = ""

    @property
    def partial(self) -> bool:
        """Fewer checks than the catalogue, or items narrowed by -k, -m, node ids, --lf or --deselect."""
        return len(self.checks_selected) < self.checks_total or bool(self.selection)

    def settings_changed(self) -> list[SettingInForce]:
        return [s for s in self.settings if s.differs]

    def settings_of(self, check_id: str) -> dict[str, Any]:
        """The values in force of the settings one check reads."""
        values = {s.key: s.value for s in self.settings}
        return {key: values.get(key) for key in self.check_settings.get(check_id, ())}

    def describe(self) -> str:
        """One line for the terminal and JUnit: "53 of 53 controls; regions ...; settings changed: ..."."""
        parts = [f"{len(self.checks_selected)} of {plural(self.checks_total, 'control')}"
                 + (f" selected by {self.selection}" if self.selection else "")]
        parts.append("regions " + (", ".join(self.regions) if self.regions else "none"))
        # the input files (snapshot, waivers, baseline) have their own lines; here only what shapes the rules
        parts += [f"{name} {value}" for name, value in self.options.items() if name not in ("data", "waivers", "baseline")]
        changed = self.settings_changed()
        parts.append("settings changed from the defaults: " + (
            ", ".join(f"{s.key}={_shown(s.value)} (default {_shown(s.default)})" for s in changed) if changed
            else "none"))
        return "; ".join(parts)

    def as_dict(self) -> dict[str, Any]:
        """The scope as findings.json records it (``scope``)."""
        return {
            "checks_selected": list(self.checks_selected),
            "checks_total": self.checks_total,
            "selection": self.selection,
            "item_selection": self.item_selection,
            "regions": list(self.regions),
            "options": dict(self.options),
            "simulated": self.simulated,
            "settings": [{"key": s.key, "value": _json_value(s.value), "default": _json_value(s.default),
                          "differs": s.differs} for s in self.settings],
            "check_settings": {check: {key: _json_value(value) for key, value in self.settings_of(check).items()}
                               for check in self.checks_selected},
        }


def _json_value(value: Any) -> Any:
    """Settings as JSON: dates as YYYY-MM-DD, lists as lists."""
    if isinstance(value, (list, tuple)):
        return [_json_value(v) for v in value]
    return value.isoformat() if hasattr(value, "isoformat") else value


def _shown(value: Any) -> str:
    value = _json_value(value)
    return "[" + ", ".join(map(str, value)) + "]" if isinstance(value, list) else str(value)


def settings_in_force(settings: Settings, defaults: Settings) -> tuple[SettingInForce, ...]:
    """Every setting, ``section.key``, with its value in force and its default."""
    now, before = settings.as_dict(), defaults.as_dict()
    return tuple(SettingInForce(f"{section}.{key}", value, before[section][key])
                 for section, values in now.items() for key, value in values.items())


_SETTING_READ = re.compile(r"\bsettings\.([a-z_]+)\.([a-z_]+)")


def settings_read(functions: Iterable[Callable[..., Any]], known: Iterable[str]) -> tuple[str, ...]:
    """The settings (``section.key``) read by these functions and the project functions they call, found
    in their source text. ``known`` is every setting, so that a stray match is never reported."""
    wanted, found, seen = set(known), set(), set()
    pending = list(functions)
    while pending:
        function = pending.pop()
        if id(function) in seen or not (getattr(function, "__module__", "") or "").startswith(
                ("checks", "iam_compliance")):
            continue
        seen.add(id(function))
        try:
            source = inspect.getsource(function)
        except (OSError, TypeError):
            continue
        found |= {f"{a}.{b}" for a, b in _SETTING_READ.findall(source)} & wanted
        module_globals = getattr(function, "__globals__", {})
        for name in getattr(getattr(function, "__code__", None), "co_names", ()):
            called = module_globals.get(name)
            if inspect.isfunction(called):
                pending.append(called)
    return tuple(sorted(found))


def run_status(exit_status: int, *, stopped_early: bool, partial: bool) -> RunStatus:
    """How the run ended, from pytest's exit status before the audit's gate rewrites it.

    2 is an interrupt (Ctrl-C, a check module that does not import), 3 an internal error; -x or
    --maxfail stopping the run early is an interruption too: items after it were never evaluated.
    """
    if exit_status == pytest.ExitCode.INTERNAL_ERROR:
        return RunStatus.INTERNAL_ERROR
    if exit_status == pytest.ExitCode.INTERRUPTED or stopped_early:
        return RunStatus.INTERRUPTED
    if exit_status not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED, pytest.ExitCode.NO_TESTS_COLLECTED):
        return RunStatus.INTERNAL_ERROR  # a usage error mid-run: nothing it says is a verdict
    return RunStatus.PARTIAL if partial else RunStatus.COMPLETE


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


def run_verdict(status: RunStatus, scope: RunScope | None, log: ResultLog, unreadable_sources: int) -> Verdict:
    """The verdict of a run from its result log: what the terminal, JUnit and findings.json state."""
    controls = log.controls()
    return verdict(
        status, scope,
        findings=log.count("failed"), errors=log.count("error"),
        evaluated=sum(control.evaluated for control in controls),
        failing_controls=sum(1 for control in controls if control.counts["failed"]),
        controls_run=len(controls), unreadable_sources=unreadable_sources,
    )
