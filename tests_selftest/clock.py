"""Collect at an exact instant: the collector's clock pinned to the simulated account's ``now``.

The builder backdates entities relative to ``aws.now``; with the collector's ``collected_at`` pinned to the
same instant, an entity seeded "exactly 90 days" old is exactly 90 x 24 h old in the snapshot, so the
boundary self-tests (exactly N days, N days + 1 s, N days - 1 s) test the convention itself.
"""

from __future__ import annotations

from datetime import timezone

import pytest

from iam_compliance.simulated.moto_account import MotoAccount

SECOND = 1 / 86400  # one second, in days


def pin_collection_clock(monkeypatch: pytest.MonkeyPatch, aws: MotoAccount) -> None:
    from iam_compliance.collection import collector

    monkeypatch.setattr(collector, "utc_now", lambda: aws.now.replace(tzinfo=timezone.utc))


@pytest.fixture(autouse=True)
def exact_collection_clock(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Imported by a test module: every test there that seeds ``aws`` collects at ``aws.now`` exactly."""
    if "aws" in request.fixturenames:
        pin_collection_clock(monkeypatch, request.getfixturevalue("aws"))
