"""Self-test helpers for the regional sources: audits over two regions, one of which may fail."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable

import boto3
import pytest
from botocore.awsrequest import AWSResponse

from iam_compliance.collection.aws import CollectOptions
from iam_compliance.collection.collector import collect
from tests_selftest.harness import Audit, audit_snapshot, moto_session

# Two regions keep each audit fast; the default (every enabled region) is measured once in test_collect_regional.
REGIONS = ("eu-west-1", "us-east-1")
TWO_REGIONS = CollectOptions(service_activity=False, regions=REGIONS)


def fail_in_region(session: boto3.Session, region: str, operation: str, code: str = "AccessDenied") -> None:
    """Make one API operation fail with an AWS error code, in one region only."""

    def respond(model: Any, context: dict | None = None, **_: Any) -> tuple[AWSResponse, dict] | None:
        if model.name != operation or (context or {}).get("client_region") != region:
            return None
        message = f"not authorized to perform {operation} in {region}"
        return AWSResponse(f"https://{region}.amazonaws.com/", 403, {}, None), {"Error": {"Code": code, "Message": message}}

    session.events.register("before-call.*.*", respond)


def audit_failing_region(
    pytester: pytest.Pytester, tmp_path: Path, check_ids: Iterable[str], region: str, operation: str,
    options: CollectOptions = TWO_REGIONS,
) -> Audit:
    """Collect the seeded account with ``operation`` denied in ``region``, then run the checks."""
    session = moto_session()
    fail_in_region(session, region, operation)
    return audit_snapshot(pytester, tmp_path, collect(session, options), check_ids)
