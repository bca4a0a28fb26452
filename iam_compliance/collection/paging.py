"""Pagination for the collector: every page of a boto3 paginator, with the page size the API allows."""

from __future__ import annotations

from typing import Any

# IAM list calls accept up to 1,000 items a page (their default is 100): fewer calls on large accounts.
IAM_PAGE_SIZE = 1000
# Elastic Load Balancing's Describe* calls accept at most 400 items a page.
ELB_PAGE_SIZE = 400


def pages(client: Any, operation: str, page_size: int | None = None, **kwargs: Any) -> list[dict]:
    """Every page of ``operation``; ``page_size`` None leaves the service's default."""
    config = {"PaginationConfig": {"PageSize": page_size}} if page_size else {}
    return list(client.get_paginator(operation).paginate(**config, **kwargs))


def items(client: Any, operation: str, key: str, page_size: int | None = None, **kwargs: Any) -> list[dict]:
    """The ``key`` list of every page of ``operation``, concatenated."""
    return [item for page in pages(client, operation, page_size, **kwargs) for item in page.get(key, [])]
