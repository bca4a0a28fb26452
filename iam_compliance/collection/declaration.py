"""A data source, declared once: its name, how it is fetched, what it is built from and which IAM actions it calls.

Each module of ``iam_compliance.collection.sources`` declares its sources in a ``DECLARATIONS``
list. From these the collector builds its registry and the order it reads the sources in
(``ordered``), and ``iam_compliance.collection.permissions`` the least-privilege IAM policy.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterable

from iam_compliance.collection.aws import AwsContext

Fetch = Callable[[AwsContext], Any]


@dataclass(frozen=True)
class DataSource:
    name: str
    fetch: Fetch
    description: str  # one line
    actions: tuple[str, ...]  # every IAM action fetch may call, e.g. "iam:GetAccountAuthorizationDetails"
    reads: tuple[str, ...] = ()  # the sources it is built from; read first, reachable through ctx.dependency
    # How a dependent source names this one when it could not be read: "<as_dependency>, which could not be read (...)".
    as_dependency: str = ""

    def __post_init__(self) -> None:
        if not self.as_dependency:
            object.__setattr__(self, "as_dependency", f"this source is built from source '{self.name}'")


class DeclarationError(Exception):
    """The declared sources cannot be read in any order: a duplicate name, an unknown dependency or a cycle."""


def ordered(declarations: Iterable[DataSource]) -> list[DataSource]:
    """The sources in reading order: each after the sources it reads, otherwise in declaration order."""
    by_name: dict[str, DataSource] = {}
    for source in declarations:
        if source.name in by_name:
            raise DeclarationError(f"data source '{source.name}' is declared twice")
        by_name[source.name] = source
    for source in by_name.values():
        unknown = [name for name in source.reads if name not in by_name]
        if unknown:
            raise DeclarationError(
                f"data source '{source.name}' reads {', '.join(repr(n) for n in unknown)}, which is not declared")
    placed: dict[str, DataSource] = {}
    while len(placed) < len(by_name):
        ready = next((s for s in by_name.values() if s.name not in placed and all(r in placed for r in s.reads)), None)
        if ready is None:
            raise DeclarationError(f"data sources depend on each other in a cycle: {_cycle(by_name, set(placed))}")
        placed[ready.name] = ready
    return list(placed.values())


def _cycle(by_name: dict[str, DataSource], placed: set[str]) -> str:
    """One cycle among the sources that could not be placed, as ``a -> b -> a``."""
    path: list[str] = []
    name = next(n for n in by_name if n not in placed)
    while name not in path:
        path.append(name)
        name = next(r for r in by_name[name].reads if r not in placed)
    return " -> ".join([*path[path.index(name):], name])
