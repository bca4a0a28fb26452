"""Self-test harness: seed moto, run the real collector, then run the real checks on the snapshot."""

from __future__ import annotations

import collections
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping

import boto3
import botocore.loaders
import botocore.session
import pytest
from botocore.awsrequest import AWSResponse

from iam_compliance.snapshot import document as snapshot_file
from iam_compliance.collection.aws import CollectOptions
from iam_compliance.collection.collector import collect
from iam_compliance.results.log import ResultLog
from iam_compliance.results.record import ItemRecord

ROOT = Path(__file__).resolve().parent.parent
# One region and no service-activity jobs unless a test asks for them: every collection stays well under a second.
SELFTEST_OPTIONS = CollectOptions(service_activity=False, regions=("us-east-1",))


# One loader for every session: botocore then parses each service model once per test process, not per test.
_MODEL_LOADER = botocore.loaders.create_loader()


def moto_session() -> boto3.Session:
    core = botocore.session.get_session()
    core.register_component("data_loader", _MODEL_LOADER)
    return boto3.Session(
        botocore_session=core, aws_access_key_id="selftest", aws_secret_access_key="selftest", region_name="us-east-1",
    )


def fail_operations(session: boto3.Session, failures: Mapping[str, str]) -> None:
    """Make the named API operations (e.g. ``GenerateCredentialReport``) fail with the given AWS error code."""

    def respond(model: Any, **_: Any) -> tuple[AWSResponse, dict] | None:
        code = failures.get(model.name)
        if code is None:
            return None
        message = f"User: arn:aws:iam::123456789012:user/auditor is not authorized to perform: {model.name}"
        return AWSResponse("https://iam.amazonaws.com/", 403, {}, None), {"Error": {"Code": code, "Message": message}}

    session.events.register("before-call.*.*", respond)


def count_calls(session: boto3.Session) -> collections.Counter:
    """API calls made through the session, by operation (retries not counted)."""
    calls: collections.Counter = collections.Counter()
    lock = threading.Lock()  # some sources call from a thread pool

    def count(model: Any, **_: Any) -> None:
        with lock:
            calls[model.name] += 1

    session.events.register("before-call.*.*", count)
    return calls


def collect_snapshot(
    failures: Mapping[str, str] = {}, options: CollectOptions = SELFTEST_OPTIONS,
) -> dict:
    session = moto_session()
    if failures:
        fail_operations(session, failures)
    return collect(session, options)


def check_selector(check_ids: Iterable[str]) -> str:
    """An exact -m expression (-k would match user_mfa_enabled inside admin_user_mfa_enabled)."""
    return " or ".join(f"control(id='{check_id}')" for check_id in check_ids)


@dataclass
class Audit:
    snapshot: dict
    path: Path
    results: ResultLog
    exit_code: int

    def item(self, check_id: str, entity: str) -> ItemRecord:
        matches = [i for i in self.results.items.values() if i.check_id == check_id and i.nodeid.endswith(f"[{entity}]")]
        if len(matches) != 1:
            known = sorted(i.nodeid for i in self.results.items.values() if i.check_id == check_id)
            raise AssertionError(f"expected one item {check_id}[{entity}], found {len(matches)} among {known}")
        return matches[0]

    def outcome(self, check_id: str, entity: str) -> str:
        return self.item(check_id, entity).outcome

    def message(self, check_id: str, entity: str) -> str:
        return self.item(check_id, entity).message

    def entities(self, check_id: str) -> list[str]:
        return sorted(i.nodeid.rsplit("[", 1)[-1].rstrip("]") for i in self.results.items.values() if i.check_id == check_id)


def run_checks(pytester: pytest.Pytester, snapshot_path: Path, *args: str) -> tuple[ResultLog, int]:
    """Run ``pytest checks --snapshot PATH ARGS`` in-process and collect one result per item."""
    reports_dir = snapshot_path.parent / "reports"
    recorder = pytester.inline_run(
        str(ROOT / "checks"), "-c", str(ROOT / "pytest.ini"), "--rootdir", str(ROOT),
        "--snapshot", str(snapshot_path), "--reports-dir", str(reports_dir), "-p", "no:cacheprovider", "-q", *args,
    )
    results = ResultLog()
    # A usage error stops pytest before any hook recording starts: there are no reports then.
    for report in recorder.getreports("pytest_runtest_logreport") if hasattr(recorder, "getreports") else []:
        results.record(report)
    return results, int(recorder.ret)


def audit_snapshot(
    pytester: pytest.Pytester, tmp_path: Path, doc: dict, check_ids: Iterable[str] = (), args: Iterable[str] = (),
) -> Audit:
    path = snapshot_file.save(doc, tmp_path / "snapshot.json")
    selector = ["-m", check_selector(check_ids)] if check_ids else []
    results, code = run_checks(pytester, path, *selector, *args)
    return Audit(doc, path, results, code)




def run_pytest(*args: str, env: Mapping[str, str] | None = None, timeout: float = 300):
    """Run pytest in a subprocess from the repository root, as a user would."""
    import os
    import subprocess
    import sys

    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PYTEST_"))}
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "pytest", *args], cwd=ROOT, env=full_env, capture_output=True, text=True, timeout=timeout,
    )


def junit_outcomes(path: Path) -> dict[str, tuple[str, dict[str, list[str]]]]:
    """nodeid-like key -> (outcome, properties) from a JUnit XML file."""
    import xml.etree.ElementTree as ET

    outcomes = {}
    for case in ET.parse(path).getroot().iter("testcase"):
        outcome = "passed"
        for tag in ("failure", "error", "skipped"):
            if case.find(tag) is not None:
                outcome = tag
        props: dict[str, list[str]] = {}
        for prop in case.iter("property"):
            props.setdefault(prop.get("name"), []).append(prop.get("value"))
        outcomes[f"{case.get('classname')}::{case.get('name')}"] = (outcome, props)
    return outcomes


def mask_report_time(text: str) -> str:
    """A sentence with its credential report generation time left out, for comparing with expected text."""
    return re.sub(r"the credential report generated at \d{4}-\d\d-\d\d \d\d:\d\d UTC", "the credential report", text)
