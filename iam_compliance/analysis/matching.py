"""Relations between resource patterns, and Allow statements that only together cover every resource.

``Allow Action "*" Resource "arn:aws:s3:::*"`` plus ``Allow Action "*" NotResource "arn:aws:s3:::*"`` grant
every action on every resource, though neither statement does alone. Whether a union of patterns covers every
ARN is answered *soundly*: a union is reported only when it provably covers everything; a union the tests
below cannot prove is left out (the principal is then judged on its single statements, as before).

- ``includes(outer, inner)``: every value ``inner`` matches, ``outer`` matches too;
- ``disjoint(a, b)``: no value matches both.

Both read ``*`` (any run) and ``?`` (one character) as in IAM resource patterns; matching is case-sensitive.
Patterns holding a policy variable (``${...}``) depend on the holder and take no part.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Generic, Sequence, TypeVar

from iam_compliance.analysis.actions import ActionSet

Member = TypeVar("Member")


@lru_cache(maxsize=4096)
def includes(outer: str, inner: str) -> bool:
    """Whether ``outer`` matches every value ``inner`` matches (sound: True only when that is certain).

    Each part of ``inner`` must be absorbed by ``outer``: a literal by the same literal or a wildcard, ``?`` by
    ``?`` or ``*``, and ``*`` only by ``*``.
    """
    if outer == "*" or outer == inner:
        return True
    rows, cols = len(outer), len(inner)
    # able[j]: outer[i:] covers inner[j:], computed for i from the end.
    able = [False] * cols + [True]
    for i in range(rows - 1, -1, -1):
        token = outer[i]
        nxt = able
        able = [False] * (cols + 1)
        if token == "*":
            able[cols] = nxt[cols]
            for j in range(cols - 1, -1, -1):
                able[j] = nxt[j] or able[j + 1]
        else:
            for j in range(cols - 1, -1, -1):
                part = inner[j]
                if part == "*":
                    continue
                if token == "?" or (part != "?" and part == token):
                    able[j] = nxt[j + 1]
    return able[0]


def _literal_clash(a: str, b: str) -> bool:
    """From the start: two literals differ before either pattern reaches a ``*``, or one ends and the other needs more."""
    for x, y in zip(a, b):
        if x == "*" or y == "*":
            return False
        if x != y and x != "?" and y != "?":
            return True
    if len(a) == len(b):
        return False
    longer = a if len(a) > len(b) else b
    return longer[min(len(a), len(b))] != "*"


def disjoint(a: str, b: str) -> bool:
    """Whether no value matches both patterns (sound: True only when that is certain)."""
    if a == "*" or b == "*":
        return False
    return _literal_clash(a, b) or _literal_clash(a[::-1], b[::-1])


@dataclass(frozen=True)
class Part(Generic[Member]):
    """An Allow statement that applies to some resources: its actions and its Resource or NotResource patterns."""

    member: Member
    actions: ActionSet
    patterns: tuple[str, ...]
    not_resource: bool


@dataclass(frozen=True)
class Union(Generic[Member]):
    """Statements that together apply to every resource for ``actions``."""

    actions: ActionSet
    members: tuple[Member, ...]


def usable(patterns: Sequence[str]) -> bool:
    """Patterns that mean the same for every holder (no policy variable)."""
    return not any("${" in p for p in patterns)


def unions(parts: Sequence[Part[Member]]) -> list[Union[Member]]:
    """For each NotResource statement, the actions for which other statements fill every resource it leaves out.

    A value the NotResource statement excludes matches one of its patterns ``n``; ``n`` is filled for an action
    when a Resource statement with that action has a pattern including ``n``, or another NotResource statement
    with that action has only patterns disjoint from ``n`` (so it applies to everything ``n`` matches).
    """
    found: list[Union[Member]] = []
    for index, part in enumerate(parts):
        if not part.not_resource or not part.actions:
            continue
        actions = part.actions
        members = [part.member]
        for excluded in part.patterns:
            filled = 0
            for other_index, other in enumerate(parts):
                if other_index == index or not other.actions & actions:
                    continue
                if other.not_resource:
                    fills = all(disjoint(excluded, pattern) for pattern in other.patterns)
                else:
                    fills = any(includes(pattern, excluded) for pattern in other.patterns)
                if fills:
                    filled |= other.actions
                    if other.member not in members:
                        members.append(other.member)
            actions &= filled
            if not actions:
                break
        if actions:
            kept = tuple(m for m in members if any(q.member == m and q.actions & actions for q in parts))
            found.append(Union(actions, kept))
    return found
