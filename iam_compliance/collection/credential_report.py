"""Fetching the IAM credential report: generate, poll with backoff, then parse (snapshot.credential_report)."""

from __future__ import annotations

import time
from typing import Any, Callable

from botocore.exceptions import ClientError

from iam_compliance.collection.errors import CollectionTimeout
from iam_compliance.snapshot.credential_report import parse

NOT_READY_CODES = {"ReportInProgress", "ReportNotPresent", "ReportExpired"}


def fetch(
    iam: Any,
    timeout: float,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> dict:
    """Generate the report (AWS reuses one younger than 4 hours), wait for it, and parse it."""
    deadline = clock() + timeout
    delay = 0.25
    while True:
        if iam.generate_credential_report()["State"] == "COMPLETE":
            try:
                response = iam.get_credential_report()
                break
            except ClientError as exc:
                if exc.response["Error"]["Code"] not in NOT_READY_CODES:
                    raise
        if clock() + delay > deadline:
            raise CollectionTimeout(f"the credential report was not ready after {timeout:.0f} s")
        sleep(delay)
        delay = min(delay * 2, 8.0)
    return {"generated_at": response["GeneratedTime"], "rows": parse(response["Content"])}
