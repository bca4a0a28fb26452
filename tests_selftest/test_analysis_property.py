"""Property: the engine agrees with a brute-force evaluator on random small policies.

The brute force below is written from AWS's evaluation rules, independently of the engine: for every concrete
action of a small universe and a few concrete resources it decides allow / deny per statement (explicit Deny wins;
an identity Allow is needed; a boundary, when set, must allow too; a condition makes an Allow "only when" and a
Deny "maybe"). The engine must give the same answer for each request and the same administrator verdict.
"""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from hypothesis import HealthCheck, given, settings, strategies as st
from hypothesis.configuration import set_hypothesis_home_dir

from iam_compliance.analysis.actions import ActionCatalogue
from iam_compliance.analysis.administrators import admin_verdict
from iam_compliance.analysis.effective import (
    BOUNDARY, INLINE, Permissions, PolicyInput, PolicySource, PrincipalInfo, permissions,
)
from iam_compliance.analysis.matching import disjoint, includes

# Hypothesis keeps caches in ./.hypothesis by default; the self-tests leave nothing behind in the work tree.
set_hypothesis_home_dir(str(Path(tempfile.gettempdir()) / "iam-compliance-hypothesis"))

ACTIONS = ["a:Get", "a:Put", "a:List", "b:Get", "b:Run", "c:Delete"]
CATALOGUE = ActionCatalogue(ACTIONS)
# Every resource pattern below matches at least one of these; the last two no non-universal pattern matches.
RESOURCES = ["arn:aws:s3:::b1", "arn:aws:s3:::b2/k", "arn:aws:iam::1:user/u", "arn:aws:iam::1:user/vv",
             "arn:aws:lambda:us-east-1:9:function:fresh", "arn:aws-cn:ec2:cn-north-1:9:instance/i-1"]
ACTION_PATTERNS = ["*", "a:*", "b:*", "a:Get", "*:Get", "?:Put", "a:*t", "b:Run", "A:LIST", "c:*", "*:*e*"]
RESOURCE_PATTERNS = ["*", "arn:*", "arn:aws:s3:::b1", "arn:aws:s3:::b*", "arn:aws:s3:::*", "arn:aws:iam::1:user/?",
                     "arn:aws:iam::*:user/u", "arn:aws:iam::1:user/*"]
CONDITIONS = [None, {"Bool": {"aws:MultiFactorAuthPresent": "true"}}, {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}]
WHO = PrincipalInfo("user", "u", "arn:aws:iam::1:user/u", "1")


def statement_strategy(allow_notresource: bool) -> st.SearchStrategy[dict]:
    @st.composite
    def build(draw: st.DrawFn) -> dict:
        statement: dict = {"Effect": draw(st.sampled_from(["Allow", "Deny"]))}
        statement["NotAction" if draw(st.booleans()) else "Action"] = draw(
            st.lists(st.sampled_from(ACTION_PATTERNS), min_size=1, max_size=3))
        not_resource = allow_notresource and draw(st.integers(0, 3)) == 0
        statement["NotResource" if not_resource else "Resource"] = draw(
            st.lists(st.sampled_from(RESOURCE_PATTERNS), min_size=1, max_size=2))
        condition = draw(st.sampled_from(CONDITIONS))
        if condition:
            statement["Condition"] = condition
        return statement
    return build()


def policies(allow_notresource: bool) -> st.SearchStrategy[list[list[dict]]]:
    return st.lists(st.lists(statement_strategy(allow_notresource), min_size=1, max_size=3), min_size=1, max_size=3)


# --- the brute force ----------------------------------------------------------------------------


@lru_cache(maxsize=None)
def glob(pattern: str, value: str, ignore_case: bool) -> bool:
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value, re.IGNORECASE if ignore_case else 0) is not None


def applies(statement: dict, action: str, resource: str) -> bool:
    if "Action" in statement:
        action_hit = any(glob(p, action, True) for p in statement["Action"])
    else:
        action_hit = not any(glob(p, action, True) for p in statement["NotAction"])
    if "Resource" in statement:
        resource_hit = any(glob(p, resource, False) for p in statement["Resource"])
    else:
        resource_hit = not any(glob(p, resource, False) for p in statement["NotResource"])
    return action_hit and resource_hit


@dataclass
class Brute:
    allowed: bool
    conditional: bool
    maybe_denied: bool


def brute(identity: list[list[dict]], boundary: list[dict] | None, action: str, resource: str) -> Brute:
    statements = [s for policy in identity for s in policy]
    denies = [s for s in statements + (boundary or []) if s["Effect"] == "Deny" and applies(s, action, resource)]
    if any("Condition" not in s for s in denies):
        return Brute(False, False, False)
    allows = [s for s in statements if s["Effect"] == "Allow" and applies(s, action, resource)]
    bounds = [s for s in boundary if s["Effect"] == "Allow" and applies(s, action, resource)] if boundary is not None else None
    if not allows or bounds == []:
        return Brute(False, False, False)
    conditional = all("Condition" in s for s in allows) or (bounds is not None and all("Condition" in s for s in bounds))
    return Brute(True, conditional, bool(denies))


def build(identity: list[list[dict]], boundary: list[dict] | None) -> Permissions:
    inputs = [PolicyInput(PolicySource(INLINE, f"p{i}"), {"Version": "2012-10-17", "Statement": p})
              for i, p in enumerate(identity)]
    bound = PolicyInput(PolicySource(BOUNDARY, "b", "arn:aws:iam::1:policy/b"),
                        {"Version": "2012-10-17", "Statement": boundary}) if boundary is not None else None
    return permissions(WHO, inputs, bound, CATALOGUE)


SETTINGS = settings(max_examples=100, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(policies(allow_notresource=True), st.none() | st.lists(statement_strategy(True), min_size=1, max_size=3))
def test_each_request_matches_brute_force(identity: list[list[dict]], boundary: list[dict] | None) -> None:
    engine = build(identity, boundary)
    for action in ACTIONS:
        for resource in RESOURCES:
            expected = brute(identity, boundary, action, resource)
            decision = engine.decide(action, resource)
            assert decision.allowed == expected.allowed, (action, resource, decision.explain())
            if expected.allowed:
                assert bool(decision.conditional_keys) == expected.conditional, (action, resource, decision.explain())
                assert bool(decision.may_be_denied_under) == expected.maybe_denied, (action, resource)


@SETTINGS
@given(policies(allow_notresource=False), st.none() | st.lists(statement_strategy(False), min_size=1, max_size=3))
def test_admin_verdict_matches_brute_force(identity: list[list[dict]], boundary: list[dict] | None) -> None:
    # Allow+NotResource is left out here: whether Resource and NotResource patterns together cover every ARN is
    # not something a few sample resources can decide (the engine proves it or says "not admin"); see below.
    results = [brute(identity, boundary, a, r) for a in ACTIONS for r in RESOURCES]
    verdict = admin_verdict(build(identity, boundary))
    assert verdict.is_admin == all(r.allowed for r in results), verdict.explanation
    if verdict.is_admin:
        conditional = any(r.conditional or r.maybe_denied for r in results)
        assert bool(verdict.conditional_keys) == conditional, verdict.explanation


@SETTINGS
@given(policies(allow_notresource=True), st.none() | st.lists(statement_strategy(True), min_size=1, max_size=3))
def test_admin_verdict_never_overstates(identity: list[list[dict]], boundary: list[dict] | None) -> None:
    if admin_verdict(build(identity, boundary)).is_admin:
        assert all(brute(identity, boundary, a, r).allowed for a in ACTIONS for r in RESOURCES)


PATTERN_PARTS = ["a", "b", ":", "/", "*", "?"]


@SETTINGS
@given(st.lists(st.sampled_from(PATTERN_PARTS), max_size=6).map("".join),
       st.lists(st.sampled_from(PATTERN_PARTS), max_size=6).map("".join),
       st.lists(st.text(alphabet="ab:/x", max_size=4), min_size=7, max_size=7))
def test_pattern_relations_are_sound(outer: str, inner: str, fillers: list[str]) -> None:
    # Values the inner pattern matches: each wildcard filled from the drawn strings ("?" with one character).
    values = []
    for shift in range(len(fillers)):
        parts, k = [], shift
        for c in inner:
            if c == "*":
                parts.append(fillers[k % len(fillers)])
                k += 1
            elif c == "?":
                parts.append((fillers[k % len(fillers)] or "x")[:1])
                k += 1
            else:
                parts.append(c)
        values.append("".join(parts))
    if includes(outer, inner):
        assert all(glob(outer, v, False) for v in values), (outer, inner, values)
    if disjoint(outer, inner):
        assert not any(glob(outer, v, False) for v in values), (outer, inner, values)
