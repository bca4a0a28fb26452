"""A live audit through AWS_ENDPOINT_URL (moto's ThreadedMotoServer) finds what --demo finds."""

from __future__ import annotations

import logging
import re

import pytest

from iam_compliance.simulated.demo import DEMO_RANDOM_SEED, seed_demo
from iam_compliance.simulated.demo.regional import DEMO_REGIONS
from fixtures.session import DEMO_SETTINGS
from iam_compliance.simulated.moto_account import MotoAccount, moto_gaps
from tests_selftest.harness import junit_outcomes, run_pytest

pytestmark = pytest.mark.slow

# Generated identifiers (access key ids, certificate ids) differ between two seedings of the same account.
GENERATED_ID = re.compile(r"\b(AKIA|ASIA|APKA)?[A-Z0-9]{20,}\b")

CREDENTIALS = {"AWS_ACCESS_KEY_ID": "live-test", "AWS_SECRET_ACCESS_KEY": "live-test", "AWS_DEFAULT_REGION": "us-east-1"}


def findings(junit_path) -> list[tuple[str, str, str]]:
    cases = junit_outcomes(junit_path)
    return sorted(
        (GENERATED_ID.sub("<id>", name), outcome, GENERATED_ID.sub("<id>", props["resource"][0]))
        for name, (outcome, props) in cases.items()
    )


@pytest.fixture
def moto_server(monkeypatch):
    from moto.moto_api._internal.models import moto_api_backend
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.CRITICAL)
    moto_api_backend.reset()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    with moto_gaps():
        server.start()
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        for name, value in {**CREDENTIALS, "AWS_ENDPOINT_URL": endpoint}.items():
            monkeypatch.setenv(name, value)
        try:
            yield endpoint
        finally:
            server.stop()
            moto_api_backend.reset()


def test_live_audit_through_an_endpoint_matches_the_demo(moto_server, tmp_path):
    from moto.moto_api._internal import mock_random

    mock_random.seed(DEMO_RANDOM_SEED)
    seed_demo(MotoAccount())
    live = run_pytest("checks", "--reports-dir", str(tmp_path / "live"), "-p", "no:cacheprovider",
                      "--regions", ",".join(DEMO_REGIONS), "--config", str(DEMO_SETTINGS),
                      env={**CREDENTIALS, "AWS_ENDPOINT_URL": moto_server})
    demo = run_pytest("checks", "--demo", "--reports-dir", str(tmp_path / "demo"), "-p", "no:cacheprovider")
    assert live.returncode == demo.returncode == 1, live.stdout[-3000:] + live.stderr
    live_findings, demo_findings = findings(tmp_path / "live" / "junit.xml"), findings(tmp_path / "demo" / "junit.xml")
    assert len(live_findings) > 50
    assert live_findings == demo_findings
