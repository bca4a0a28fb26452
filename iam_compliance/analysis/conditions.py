"""Condition blocks evaluated three ways: true, false, or unknown (depends on keys the analysis cannot see).

An audit does not know the request (MFA, source IP, time), so most conditions are *unknown*: the grant
holds only when they hold, and the keys are reported. A few keys are known for a given question — e.g.
``iam:PassedToService`` when asking whether a role can be passed to EC2 — and are evaluated for real, so
a PassRole limited to another service does not count.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence, Union

from iam_compliance.analysis.documents import Condition
from iam_compliance.analysis.patterns import wildcard_match

ContextValue = Union[str, Sequence[str]]
Context = Mapping[str, ContextValue]  # condition key (lower case) -> value(s) known for the request


@dataclass(frozen=True)
class Outcome:
    value: bool | None  # None: unknown
    unknown_keys: frozenset[str] = frozenset()


TRUE = Outcome(True)
FALSE = Outcome(False)


def _positive_match(base: str, policy_value: str, request_value: str) -> bool | None:
    """Whether one request value matches one policy value under the (positive form of the) operator."""
    if base in ("StringEquals", "StringNotEquals", "ArnEquals", "ArnNotEquals", "BinaryEquals"):
        if base.startswith("Arn"):
            return wildcard_match(policy_value, request_value)
        return policy_value == request_value
    if base in ("StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase"):
        return policy_value.lower() == request_value.lower()
    if base in ("StringLike", "StringNotLike", "ArnLike", "ArnNotLike"):
        return wildcard_match(policy_value, request_value)
    if base == "Bool":
        return policy_value.lower() == request_value.lower()
    return None  # numeric, date and IP comparisons: not needed for the questions asked here


def _one(condition: Condition, context: Context) -> Outcome:
    key = condition.key.lower()
    if key not in context:
        return Outcome(None, frozenset({condition.key}))
    raw = context[key]
    request = [raw] if isinstance(raw, str) else list(raw)
    base = condition.base_operator
    if base == "Null":
        # "Null": "true" asks for the key to be absent; it is present here.
        return TRUE if all(v.lower() == "false" for v in condition.values) else FALSE
    matches = []
    for value in request:
        results = [_positive_match(base, p, value) for p in condition.values]
        if any(r is None for r in results):
            return Outcome(None, frozenset({condition.key}))
        matched = any(results)
        matches.append(not matched if condition.negated else matched)
    if condition.set_prefix == "ForAllValues":
        return TRUE if all(matches) else FALSE
    return TRUE if any(matches) else FALSE


def evaluate(conditions: Sequence[Condition], context: Context) -> Outcome:
    """All tests must hold (AND across operators and keys; OR across a key's values, inside ``_one``)."""
    unknown: set[str] = set()
    for condition in conditions:
        outcome = _one(condition, context)
        if outcome.value is False:
            return FALSE
        if outcome.value is None:
            unknown |= outcome.unknown_keys
    return Outcome(None, frozenset(unknown)) if unknown else TRUE
