"""Pagination for the collector: every page of a boto3 paginator, with the page size the API allows.

A service that lies about its pages must not hold the run: reading stops, and the source fails with
a ``PaginationFault`` naming the call, when

- a pagination marker comes back that this call has already sent (a loop: the same page again), or
- one call has given ``MAX_PAGES`` pages. At 1,000 IAM entities a page that is a million entities, far
  beyond any account's quotas; at the smallest page sizes used (400 load balancers, 100 ACM
  certificates) still far beyond any region's.
"""

from __future__ import annotations

from typing import Any, Iterator

from botocore.exceptions import PaginationError

# IAM list calls accept up to 1,000 items a page (their default is 100): fewer calls on large accounts.
IAM_PAGE_SIZE = 1000
# Elastic Load Balancing's Describe* calls accept at most 400 items a page.
ELB_PAGE_SIZE = 400
# The most pages one paginated call may take before the source is marked failed.
MAX_PAGES = 1000
# Where the services put the marker of the next page in a response.
MARKER_FIELDS = ("Marker", "NextMarker", "NextToken", "nextToken")


class PaginationFault(Exception):
    """A paginated call repeated a marker or went past the page ceiling; the source is recorded as failed."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


def next_marker(page: dict) -> str | None:
    for name in MARKER_FIELDS:
        value = page.get(name)
        if value:
            return str(value)
    return None


class MarkerGuard:
    """Follows the markers of one paginated call and raises PaginationFault on a loop or past ``max_pages``."""

    def __init__(self, operation: str, max_pages: int | None = None):
        self.operation = operation
        self.max_pages = MAX_PAGES if max_pages is None else max_pages
        self.pages = 0
        self.seen: set[str] = set()

    def follow(self, marker: str | None) -> None:
        """Record one page whose response carried ``marker`` (None: the last page)."""
        self.pages += 1
        if marker is None:
            return
        if marker in self.seen:
            raise PaginationFault("PaginationLoop", (
                f"{self.operation} returned a pagination marker it had already returned (page {self.pages}): "
                "the service repeats its pages, so reading stopped"))
        self.seen.add(marker)
        if self.pages >= self.max_pages:
            raise PaginationFault("PaginationCeiling", (
                f"{self.operation} still had more pages after {self.max_pages:,}, the most one call may take: "
                "reading stopped"))


def _operation_name(client: Any, operation: str) -> str:
    try:
        return f"{client.meta.service_model.service_name}:{client.meta.method_to_api_mapping[operation]}"
    except (AttributeError, KeyError):
        return operation


def iter_pages(client: Any, operation: str, page_size: int | None = None, **kwargs: Any) -> Iterator[dict]:
    """Every page of ``operation``, guarded by MarkerGuard; ``page_size`` None leaves the service's default."""
    config = {"PaginationConfig": {"PageSize": page_size}} if page_size else {}
    guard = MarkerGuard(_operation_name(client, operation))
    try:
        for page in client.get_paginator(operation).paginate(**config, **kwargs):
            guard.follow(next_marker(page))
            yield page
    except PaginationError as exc:  # botocore's own check: the same marker twice in a row
        raise PaginationFault("PaginationLoop", (
            f"{guard.operation} returned the same pagination marker twice (page {guard.pages + 1}): "
            f"{exc}")) from None


def pages(client: Any, operation: str, page_size: int | None = None, **kwargs: Any) -> list[dict]:
    """Every page of ``operation``; ``page_size`` None leaves the service's default."""
    return list(iter_pages(client, operation, page_size, **kwargs))


def items(client: Any, operation: str, key: str, page_size: int | None = None, **kwargs: Any) -> list[dict]:
    """The ``key`` list of every page of ``operation``, concatenated."""
    return [item for page in pages(client, operation, page_size, **kwargs) for item in page.get(key, [])]
