"""Fixtures for the self-tests: a simulated account and a runner for the real collector and checks."""

from __future__ import annotations

from pathlib import Path
from typing import Iterable, Mapping

import pytest

from iam_compliance.collection.aws import CollectOptions
from iam_compliance.simulated.demo import offline_environment
from iam_compliance.simulated.moto_account import MotoAccount, moto_gaps
from tests_selftest.harness import SELFTEST_OPTIONS, Audit, audit_snapshot, collect_snapshot


@pytest.fixture
def aws() -> MotoAccount:
    """An empty simulated account (moto plus the IAM parts moto lacks); no request leaves the process."""
    from moto import mock_aws

    with offline_environment(), mock_aws(), moto_gaps():
        yield MotoAccount()


@pytest.fixture
def audit(aws: MotoAccount, pytester: pytest.Pytester, tmp_path: Path):
    """``audit("check_id", ...)`` collects the seeded account with the real collector and runs those checks."""

    def run(
        *check_ids: str,
        args: Iterable[str] = (),
        failures: Mapping[str, str] = {},
        options: CollectOptions = SELFTEST_OPTIONS,
    ) -> Audit:
        aws.generate_credential_report()
        doc = collect_snapshot(failures, options)
        return audit_snapshot(pytester, tmp_path, doc, check_ids, args)

    return run
