"""IAM wildcard patterns over resources and condition values, and policy variables.

``*`` matches any run of characters and ``?`` one character; everything else is literal. Resource ARNs
are matched case-sensitively (IAM does), action names are not (see ``actions``). Policy variables
(``${aws:username}``) are substituted only in ``2012-10-17`` documents; a variable the analysis cannot
know makes that element match nothing, which is how IAM treats a variable missing from the request.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Mapping

# "Every resource": a pattern matching each of these ARNs in some partition (e.g. "*", "arn:*", "arn:aws:*:*:*:*").
_SAMPLE_ARNS = (
    "arn:{p}:s3:::bucket/key",
    "arn:{p}:iam::123456789012:user/name",
    "arn:{p}:ec2:us-east-1:123456789012:instance/i-0123456789abcdef0",
    "arn:{p}:lambda:us-east-1:123456789012:function:name",
)
_PARTITIONS = ("aws", "aws-cn", "aws-us-gov")
_VARIABLE = re.compile(r"\$\{([^}]*)\}")
UNRESOLVED = "\x00unresolved\x00"  # can never occur in an ARN, so an element holding it matches nothing


@lru_cache(maxsize=8192)
def _regex(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    body = "".join({"*": ".*", "?": "."}.get(c) or re.escape(c) for c in pattern)
    return re.compile(body, (re.IGNORECASE if ignore_case else 0) | re.DOTALL)


def _star_match(parts: list[str], value: str) -> bool:
    """Match a pattern with ``*`` only, split on ``*``: leftmost placement of each middle part is enough."""
    first, last = parts[0], parts[-1]
    if len(value) < len(first) + len(last) or not value.startswith(first) or not value.endswith(last):
        return False
    position, end = len(first), len(value) - len(last)
    for part in parts[1:-1]:
        found = value.find(part, position, end)
        if found < 0:
            return False
        position = found + len(part)
    return True


def wildcard_match(pattern: str, value: str, *, ignore_case: bool = False) -> bool:
    if pattern == "*":
        return True
    if ignore_case:
        pattern, value = pattern.lower(), value.lower()
    if "?" in pattern:
        return _regex(pattern, False).fullmatch(value) is not None
    if "*" not in pattern:
        return pattern == value
    return _star_match(pattern.split("*"), value)


@lru_cache(maxsize=8192)
def matches_every_resource(pattern: str, partition: str | None = None) -> bool:
    """``*``, or a pattern such as ``arn:*`` or ``arn:aws:*:*:*:*`` that matches every ARN of a partition.

    With ``partition`` (the account's), that partition's: ``arn:aws-cn:*`` is no resource of an ``aws`` account.
    Without, any partition (the literal reading of a document whose holder is unknown)."""
    if pattern == "*":
        return True
    if "*" not in pattern:
        return False
    # The sample ARNs of a partition share only "arn:<partition>:", so a pattern whose literal start goes past or
    # against that matches none of them together (the quick answer for nearly every scoped resource).
    head = pattern[: min(i for i in (pattern.find("*"), pattern.find("?"), len(pattern)) if i >= 0)]
    partitions = (partition,) if partition else _PARTITIONS
    if not any(f"arn:{p}:".startswith(head) for p in partitions):
        return False
    return any(all(wildcard_match(pattern, arn.format(p=p)) for arn in _SAMPLE_ARNS) for p in partitions)


def substitute(pattern: str, variables: Mapping[str, str]) -> str:
    """Replace ``${key}`` (key case-insensitive; ``${key, 'default'}`` honoured) with its value.

    ``${*}``, ``${?}`` and ``${$}`` stand for those characters; they come back bare and so act as wildcards
    again (rare, and errs towards matching). An unknown key without a default gives ``UNRESOLVED``.
    """
    if "${" not in pattern:
        return pattern

    def replace(match: re.Match[str]) -> str:
        inner = match.group(1)
        if inner in ("*", "?", "$"):
            return inner
        key, comma, default = inner.partition(",")
        value = variables.get(key.strip().lower())
        if value is not None:
            return value
        if comma:
            return default.strip().strip("'")
        return UNRESOLVED

    return _VARIABLE.sub(replace, pattern)


def instantiate(pattern: str, filler: str = "x") -> str:
    """A concrete value the pattern matches: each wildcard replaced by ``filler`` (``?`` by one character)."""
    return pattern.replace("*", filler).replace("?", filler[:1] or "x")
