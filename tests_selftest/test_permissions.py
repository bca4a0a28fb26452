"""The collector's IAM policy is generated from the sources' declarations, and collecting proves it exact."""

from __future__ import annotations

import collections
import threading
from typing import Any

import boto3
import pytest

from iam_compliance.collection import permissions
from iam_compliance.collection.aws import CollectOptions
from iam_compliance.collection.collector import DECLARATIONS
from iam_compliance.collection.sources import activity as sources_activity
from iam_compliance.simulated.demo import collect_demo

# AWS allows sts:GetCallerIdentity to every identity: a policy need not (and cannot usefully) grant it.
NEEDS_NO_PERMISSION = {"sts:GetCallerIdentity"}


def test_docs_policy_file_is_the_generated_policy():
    assert permissions.POLICY_FILE.read_text(encoding="utf-8") == permissions.policy_json(), (
        "regenerate with: python -m iam_compliance.collection.permissions --write")


def test_readme_holds_the_generated_policy():
    readme = permissions.README.read_text(encoding="utf-8")
    assert permissions.readme_block() in readme, "regenerate with: python -m iam_compliance.collection.permissions --write"
    assert permissions.with_readme_block(readme) == readme


def test_policy_is_one_sorted_statement_of_every_declared_action():
    statement, = permissions.policy()["Statement"]
    declared = [action for source in DECLARATIONS for action in source.actions]
    assert statement["Action"] == sorted(set(declared))
    assert statement["Resource"] == "*" and statement["Effect"] == "Allow" and statement["Sid"]
    assert all(action.count(":") == 1 and " " not in action for action in declared)


def iam_action(model: Any) -> str:
    """The IAM action an API operation is authorized as: signing name (elbv2 -> elasticloadbalancing,
    accessanalyzer -> access-analyzer), else endpoint prefix, then the operation name."""
    service = model.service_model
    prefix = service.signing_name or service.endpoint_prefix
    return f"{prefix}:{model.name}"


def record_actions(session: boto3.Session, actions: collections.Counter) -> None:
    lock = threading.Lock()  # regional sources call from a thread pool

    def record(model: Any, **_: Any) -> None:
        with lock:
            actions[iam_action(model)] += 1

    session.events.register("before-call.*.*", record)


@pytest.fixture
def fast_polling(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sources_activity, "POLLING", sources_activity.Polling(first_wait=0.01, max_wait=0.05))


@pytest.mark.slow
def test_collecting_the_demo_calls_exactly_the_declared_actions(fast_polling):
    """Every option on: service activity, and every enabled region (so ec2:DescribeRegions)."""
    options = CollectOptions(service_activity=True, regions=None)
    recorded: collections.Counter = collections.Counter()
    doc = collect_demo(options, observe=lambda session: record_actions(session, recorded))
    failed = {name: source["error"] for name, source in doc["sources"].items() if source["status"] != "ok"}
    assert not failed
    assert doc["sources"]["regions"]["data"]["selected_by"] == "ec2:DescribeRegions"
    declared = set(permissions.actions(DECLARATIONS))
    used = set(recorded) - NEEDS_NO_PERMISSION
    assert sorted(used - declared) == [], "the collector calls actions no source declares"
    assert sorted(declared - used) == [], "declared actions the demo never exercises"
