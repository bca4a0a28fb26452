"""Waivers: accepted risks, read from a YAML file and matched to check items by check id and resource.

File format::

    waivers:
      - check_id: user_console_mfa_enabled
        resource: arn:aws:iam::123456789012:user/break-glass-*   # fnmatch glob, case-sensitive
        reason: Break-glass users keep their MFA device in the safe (SEC-1234).
        approver: security-lead@example.com
        expires: 2027-03-31                                     # last day the waiver applies (UTC)

Two optional fields make a broad waiver explicit:

- ``scope: all`` is required when the glob's last part (the resource's name) is only wildcards,
  such as ``"*"`` or ``arn:aws:iam::123456789012:user/*``: the waiver then covers every resource
  of the check (or every one under that path), and has to say so.
- ``long_term: true`` is required when ``expires`` is further from the run than
  ``waivers.max_horizon_days`` (a setting, one year by default).

A waiver must name a check that exists; a misspelt check id is an error that names the closest ones.
The file is read within bounds: a regular file of at most a megabyte, no YAML aliases, shallow nesting.

Every problem in the file is reported with the file name and line, because a waiver that silently
fails to load would turn an accepted risk back into a failing build, or worse, hide a typo.
"""

from __future__ import annotations

import difflib
import fnmatch
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Collection, Iterable, Mapping

import pytest
import yaml

from iam_compliance.jsonio import InputFileError
from iam_compliance.settings import BoundedSafeLoader, read_yaml_text

REQUIRED_FIELDS = ("check_id", "resource", "reason", "approver", "expires")
OPTIONAL_FIELDS = ("scope", "long_term")
FIELDS = REQUIRED_FIELDS + OPTIONAL_FIELDS
FIELD_LIST = "check_id, resource, reason, approver and expires (and optionally scope: all, long_term: true)"
SCOPE_ALL = "all"
DEFAULT_MAX_HORIZON_DAYS = 365
CHECK_ID = re.compile(r"[a-z][a-z0-9_]*")
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")

# Status of a waiver after a run, in the order the terminal lists them.
APPLIED = "applied"          # covers at least one current finding
STALE = "stale"              # every resource it matches is compliant now: remove it
EXPIRED = "expired"          # past its expiry date: not applied, the findings count again
UNMATCHED = "unmatched"      # matched no check item in this run (misspelt, deleted, or not selected)
UNVERIFIED = "unverified"    # its resources could not be evaluated (errors), so it is neither used nor stale
STATUSES = (APPLIED, STALE, EXPIRED, UNMATCHED, UNVERIFIED)

WAIVERS_KEY = pytest.StashKey[list["Waiver"]]()  # the run's waivers, on the controller and every worker
WAIVER_DATE_KEY = pytest.StashKey[date]()  # the day they are judged by, the same in every process
ITEM_WAIVER_KEY = pytest.StashKey["Waiver"]()  # on a check item: the waiver that governs it


class WaiverError(Exception):
    """The waivers file cannot be read or an entry is invalid; the message names the file and line."""


@dataclass(frozen=True)
class Waiver:
    check_id: str
    resource: str
    reason: str
    approver: str
    expires: date
    source: str  # "path:line" of the entry, for people to find it
    scope: str = ""  # "all" when the glob covers every resource of the check
    long_term: bool = False  # expires beyond the maximum horizon, on purpose

    def matches(self, check_id: str, resource: str, variant: str | None = None) -> bool:
        """The glob matches the resource (every variant of it) or "resource#variant" (that one only)."""
        if check_id != self.check_id:
            return False
        return fnmatch.fnmatchcase(resource, self.resource) or (
            variant is not None and fnmatch.fnmatchcase(f"{resource}#{variant}", self.resource))

    def expired(self, today: date) -> bool:
        """A waiver applies up to and including its expiry date."""
        return today > self.expires

    def describe(self) -> str:
        return (f"Waived until {self.expires.isoformat()} by {self.approver}: {self.reason} "
                f"(waiver {self.source})")

    def as_dict(self) -> dict[str, Any]:
        return {"check_id": self.check_id, "resource": self.resource, "reason": self.reason,
                "approver": self.approver, "expires": self.expires.isoformat(), "source": self.source,
                "scope": self.scope, "long_term": self.long_term}

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> "Waiver":
        """The inverse of as_dict (how xdist workers receive the controller's waivers)."""
        return cls(check_id=values["check_id"], resource=values["resource"], reason=values["reason"],
                   approver=values["approver"], expires=date.fromisoformat(values["expires"]), source=values["source"],
                   scope=values.get("scope", ""), long_term=bool(values.get("long_term", False)))


def run_date() -> date:
    """Waivers expire on the real calendar (UTC), not at the snapshot's collected_at: an approval ends on
    its date whatever data is being replayed."""
    return datetime.now(timezone.utc).date()


def _line(node: yaml.Node) -> int:
    return node.start_mark.line + 1


def _text(path: Path, field: str, node: yaml.Node) -> str:
    if not isinstance(node, yaml.ScalarNode) or node.tag == "tag:yaml.org,2002:null" or not node.value.strip():
        raise WaiverError(f"{path}, line {_line(node)}: {field} must be a non-empty text value.")
    return str(node.value).strip()


def _entry(path: Path, node: yaml.Node) -> Waiver:
    where = f"{path}, line {_line(node)}"
    if not isinstance(node, yaml.MappingNode):
        raise WaiverError(f"{where}: each waiver must be a mapping with the fields {FIELD_LIST}.")
    values: dict[str, str] = {}
    for key_node, value_node in node.value:
        key = key_node.value if isinstance(key_node, yaml.ScalarNode) else ""
        if key not in FIELDS:
            raise WaiverError(f"{path}, line {_line(key_node)}: unknown field {key!r} "
                              f"(a waiver has exactly {FIELD_LIST}).")
        if key in values:
            raise WaiverError(f"{path}, line {_line(key_node)}: field {key!r} appears twice in one waiver.")
        values[key] = _text(path, key, value_node)
        if key == "check_id" and not CHECK_ID.fullmatch(values[key]):
            raise WaiverError(f"{path}, line {_line(value_node)}: check_id {values[key]!r} is not a check id "
                              "(lower-case letters, digits and underscores, e.g. user_console_mfa_enabled).")
        if key == "expires":
            values[key] = _iso_date(path, value_node, values[key])
        if key == "scope" and values[key] != SCOPE_ALL:
            raise WaiverError(f"{path}, line {_line(value_node)}: scope must be 'all' (or left out), "
                              f"not {values[key]!r}.")
        if key == "long_term" and values[key] not in ("true", "false"):
            raise WaiverError(f"{path}, line {_line(value_node)}: long_term must be true or false, "
                              f"not {values[key]!r}.")
    missing = [field for field in REQUIRED_FIELDS if field not in values]
    if missing:
        raise WaiverError(f"{where}: waiver has no {', '.join(missing)} (every waiver needs "
                          "check_id, resource, reason, approver and expires).")
    waiver = Waiver(
        check_id=values["check_id"], resource=values["resource"], reason=values["reason"],
        approver=values["approver"], expires=date.fromisoformat(values["expires"]), source=f"{path}:{_line(node)}",
        scope=values.get("scope", ""), long_term=values.get("long_term") == "true",
    )
    if covers_every_resource(waiver.resource) and waiver.scope != SCOPE_ALL:
        raise WaiverError(f"{where}: resource {waiver.resource!r} covers every resource of {waiver.check_id} "
                          "(its name part is only wildcards); name the resources, or add 'scope: all' to say so.")
    return waiver


def covers_every_resource(glob: str) -> bool:
    """True when the glob's last part, the resource's name, is only wildcards: ``*``, ``...:user/*``, ``*#*``."""
    name = re.split(r"[/:]", glob.split("#", 1)[0])[-1]
    return not name.strip("*?")


def _check_horizon(path: Path, waiver: Waiver, today: date, max_horizon_days: int) -> None:
    try:
        horizon = today + timedelta(days=max_horizon_days)
    except OverflowError:
        horizon = date.max
    if waiver.expires > horizon and not waiver.long_term:
        raise WaiverError(
            f"{path}, line {waiver.source.rsplit(':', 1)[1]}: expires {waiver.expires.isoformat()} is more than "
            f"{max_horizon_days} days away (waivers.max_horizon_days; the latest is {horizon.isoformat()}); "
            "choose an earlier date, or add 'long_term: true' to say the risk is accepted for longer.")


def _check_known(path: Path, waiver: Waiver, known_checks: Collection[str]) -> None:
    if waiver.check_id in known_checks:
        return
    closest = difflib.get_close_matches(waiver.check_id, sorted(known_checks), n=3, cutoff=0.6)
    hint = (f"did you mean {', '.join(closest)}?" if closest
            else "no check id is close; README.md's Checks section lists every check")
    raise WaiverError(f"{path}, line {waiver.source.rsplit(':', 1)[1]}: check_id {waiver.check_id!r} is not a check "
                      f"of this suite ({hint}).")


def _iso_date(path: Path, node: yaml.Node, text: str) -> str:
    try:
        if ISO_DATE.fullmatch(text):
            return date.fromisoformat(text).isoformat()
    except ValueError:
        pass
    raise WaiverError(f"{path}, line {_line(node)}: expires {text!r} is not a date in the form YYYY-MM-DD.")


def _entries(path: Path, text: str) -> list[yaml.Node]:
    try:
        root = yaml.compose(text, Loader=BoundedSafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = f", line {mark.line + 1}" if mark else ""
        raise WaiverError(f"{path}{line}: not valid YAML: {exc.problem or exc}.") from None
    except yaml.YAMLError as exc:
        raise WaiverError(f"{path}: not valid YAML: {exc}.") from None
    if root is None:
        return []
    waivers = None
    if isinstance(root, yaml.MappingNode):
        keys = {key.value: value for key, value in root.value if isinstance(key, yaml.ScalarNode)}
        waivers = keys.get("waivers")
        if len(root.value) != 1 or waivers is None:
            raise WaiverError(f"{path}, line {_line(root)}: the file must have one top-level key, 'waivers'.")
    if waivers is None or not isinstance(waivers, (yaml.SequenceNode, yaml.ScalarNode)):
        raise WaiverError(f"{path}, line {_line(root)}: expected 'waivers:' followed by a list of waivers.")
    if isinstance(waivers, yaml.ScalarNode):
        if waivers.tag != "tag:yaml.org,2002:null":
            raise WaiverError(f"{path}, line {_line(waivers)}: 'waivers' must be a list of waivers.")
        return []
    return list(waivers.value)


def load_waivers(
    path: Path, known_checks: Collection[str] | None = None, today: date | None = None,
    max_horizon_days: int = DEFAULT_MAX_HORIZON_DAYS,
) -> list[Waiver]:
    """Read and validate a waivers file; raises WaiverError naming the file and line of the first problem.

    ``known_checks``: every check id of the suite (None: not checked); ``today``: the run date the
    horizon counts from (default: ``run_date()``).
    """
    try:
        text = read_yaml_text(path, "waivers file")
    except InputFileError as exc:
        raise WaiverError(str(exc)) from None
    today = today or run_date()
    waivers: list[Waiver] = []
    seen: dict[tuple[str, str], Waiver] = {}
    for node in _entries(path, text):
        waiver = _entry(path, node)
        if known_checks is not None:
            _check_known(path, waiver, known_checks)
        _check_horizon(path, waiver, today, max_horizon_days)
        first = seen.setdefault((waiver.check_id, waiver.resource), waiver)
        if first is not waiver:
            raise WaiverError(f"{path}, line {_line(node)}: duplicate waiver for {waiver.check_id} on "
                              f"{waiver.resource} (first at line {first.source.rsplit(':', 1)[1]}).")
        waivers.append(waiver)
    return waivers


def governing_waiver(
    waivers: Iterable[Waiver], check_id: str, resource: str, variant: str | None, today: date,
) -> Waiver | None:
    """The waiver that decides an item: the first unexpired match in file order, else the first expired one
    (which does not apply, but the item says so)."""
    found = [waiver for waiver in waivers if waiver.matches(check_id, resource, variant)]
    active = [waiver for waiver in found if not waiver.expired(today)]
    return (active or found)[0] if found else None


@dataclass(frozen=True)
class WaiverStatus:
    waiver: Waiver
    status: str  # one of STATUSES
    items: tuple[Mapping[str, Any], ...]  # the findings.json records it matched in this run

    def count(self, outcome: str) -> int:
        return sum(1 for record in self.items if record["outcome"] == outcome)

    def explain(self) -> str:
        return {
            APPLIED: f"covers {self.count('waived')} finding(s)",
            STALE: f"the {len(self.items)} item(s) it matches are compliant now: remove the waiver",
            EXPIRED: f"expired on {self.waiver.expires.isoformat()}; {self.count('failed')} finding(s) count again",
            UNMATCHED: "matched no check item in this run (misspelt, resource deleted, or check not selected)",
            UNVERIFIED: f"the {len(self.items)} item(s) it matches could not be evaluated",
        }[self.status]


def waiver_statuses(waivers: Iterable[Waiver], records: Iterable[Mapping[str, Any]], today: date) -> list[WaiverStatus]:
    """Decide each waiver's status from the items it matched, as the controller saw them."""
    records = list(records)
    statuses = []
    for waiver in waivers:
        matched = tuple(r for r in records if waiver.matches(r["check_id"], r["resource"], r["variant"]))
        outcomes = {r["outcome"] for r in matched}
        if waiver.expired(today):
            status = EXPIRED
        elif not matched:
            status = UNMATCHED
        elif "waived" in outcomes:
            status = APPLIED
        elif outcomes <= {"passed", "skipped"}:
            status = STALE
        else:
            status = UNVERIFIED
        statuses.append(WaiverStatus(waiver, status, matched))
    return statuses
