"""A bounded pool for the per-entity calls that remain (access keys, signing certificates, service activity).

Account-wide calls cost the same whatever the size of the account; what grows with it is one call
(or job) per user or role. Those run ``WORKERS`` at a time: enough to hide the network round trip,
few enough that IAM's request rate is not exceeded, and throttling that still happens is absorbed by
the clients' adaptive retry mode (``iam_compliance.collection.aws``). Results keep the input order,
and each finished call advances the terminal progress line.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Callable, Sequence, TypeVar

from iam_compliance.collection import progress

T = TypeVar("T")
R = TypeVar("R")

WORKERS = 8  # IAM allows about 20 requests a second per account for most read APIs; 8 in flight stays near it


def map_bounded(fetch: Callable[[T], R], entities: Sequence[T], workers: int = WORKERS) -> list[R]:
    """``[fetch(e) for e in entities]``, at most ``workers`` calls at a time, in the same order.

    ``fetch`` records its own per-entity failures; an exception it raises stops the whole map, as
    the sequential loop would.
    """
    if not entities:
        return []
    line = progress.for_entities(len(entities))

    def counted(entity: T) -> R:
        result = fetch(entity)
        line.advance()
        return result

    try:
        if workers <= 1 or len(entities) == 1:
            return [counted(entity) for entity in entities]
        with ThreadPoolExecutor(max_workers=min(workers, len(entities)), thread_name_prefix="iam-entity") as pool:
            return list(pool.map(counted, entities))
    finally:
        line.finish()
