"""Self-tests for the service-last-accessed source and the moto operations behind it."""

from __future__ import annotations

import logging
import socket
from dataclasses import replace
from typing import Any

import pytest
from botocore.awsrequest import AWSResponse

from iam_compliance.snapshot import document as snapshot_file
from iam_compliance.collection.sources import activity as sources_activity
from iam_compliance.collection.aws import CollectOptions
from iam_compliance.collection.collector import SOURCES, collect
from iam_compliance.simulated.moto_account import MotoAccount, moto_gaps
from tests_selftest.harness import SELFTEST_OPTIONS, audit_snapshot, count_calls, moto_session

ACTIVITY_SOURCES = [SOURCES["authorization_details"], SOURCES["service_last_accessed"]]
WITH_ACTIVITY = replace(SELFTEST_OPTIONS, service_activity=True)
JOB_CALLS = ("GenerateServiceLastAccessedDetails", "GetServiceLastAccessedDetails")
CHECKS = ("user_no_unused_service_permissions", "role_no_unused_service_permissions")


@pytest.fixture(autouse=True)
def fast_polling(monkeypatch: pytest.MonkeyPatch) -> None:
    """Production waits a second before the first poll; moto's jobs need no time."""
    monkeypatch.setattr(sources_activity, "POLLING", sources_activity.Polling(first_wait=0.01, max_wait=0.05))


def collect_activity(options: CollectOptions = WITH_ACTIVITY, deny_arn: str | None = None) -> tuple[dict, Any]:
    """Run only the two sources this one needs; returns the snapshot and the calls made."""
    session = moto_session()
    calls = count_calls(session)
    if deny_arn:
        deny_generate_for(session, deny_arn)
    return collect(session, options, sources=ACTIVITY_SOURCES), calls


def deny_generate_for(session: Any, arn: str) -> None:
    """GenerateServiceLastAccessedDetails answers AccessDenied for this one ARN, as an SCP or boundary would."""

    def respond(model: Any, params: dict, **_: Any) -> tuple[AWSResponse, dict] | None:
        if model.name != "GenerateServiceLastAccessedDetails" or params.get("body", {}).get("Arn") != arn:
            return None
        message = f"User: arn:aws:iam::123456789012:user/auditor is not authorized to perform: {model.name} on {arn}"
        return AWSResponse("https://iam.amazonaws.com/", 403, {}, None), {"Error": {"Code": "AccessDenied",
                                                                                   "Message": message}}

    session.events.register("before-call.iam.GenerateServiceLastAccessedDetails", respond)


def activity(doc: dict) -> dict:
    return doc["sources"]["service_last_accessed"]


def seed_entities(aws: MotoAccount, users: int, roles: int) -> None:
    for n in range(users):
        aws.user(f"user-{n}")
        aws.service_activity(f"user-{n}", {"s3": n, "ec2": None})
    for n in range(roles):
        aws.role(f"role-{n}")
        aws.service_activity(f"role-{n}", {"sqs": 100 + n})


def test_jobs_are_started_first_then_polled_within_the_call_budget(aws):
    seed_entities(aws, users=6, roles=4)
    aws.role("AWSServiceRoleForSupport", path="/aws-service-role/support.amazonaws.com/")
    doc, calls = collect_activity()
    source = activity(doc)
    assert source["status"] == "ok"
    entities = source["data"]["entities"]
    assert sorted(entities) == sorted([aws.arn("user", f"user-{n}") for n in range(6)]
                                      + [aws.arn("role", f"role-{n}") for n in range(4)])
    assert calls["GenerateServiceLastAccessedDetails"] == 10  # none for the service-linked role
    # moto reports the batch IN_PROGRESS on the first poll: the job started last is polled twice.
    assert calls["GetServiceLastAccessedDetails"] == 11
    per_entity = (calls["GetAccountAuthorizationDetails"] + sum(calls[c] for c in JOB_CALLS)) / len(entities)
    assert per_entity <= 2.5, dict(calls)
    user = entities[aws.arn("user", "user-3")]
    assert user["status"] == "ok"
    assert [s["ServiceNamespace"] for s in user["services"]] == ["ec2", "s3"]
    assert "LastAuthenticated" not in user["services"][0]
    assert user["services"][1]["LastAuthenticated"].startswith(aws.ago(3).date().isoformat())
    assert snapshot_file.validate(doc) == []


def test_result_pages_are_followed(aws, monkeypatch):
    monkeypatch.setattr(sources_activity, "POLLING", sources_activity.Polling(first_wait=0.01, page_size=2))
    aws.user("busy")
    aws.service_activity("busy", {"s3": 1, "ec2": 2, "sqs": 3, "sns": None, "lambda": 5})
    doc, calls = collect_activity()
    services = activity(doc)["data"]["entities"][aws.arn("user", "busy")]["services"]
    assert [s["ServiceNamespace"] for s in services] == ["ec2", "lambda", "s3", "sns", "sqs"]
    assert calls["GetServiceLastAccessedDetails"] == 2 + 2  # IN_PROGRESS, then 3 pages of 2


def test_turned_off_records_a_decision_and_makes_no_calls(aws):
    aws.user("bob")
    doc, calls = collect_activity(SELFTEST_OPTIONS)
    assert activity(doc) == {"status": "ok", "data": {
        "enabled": False, "reason": sources_activity.DISABLED_REASON, "entities": {}}}
    assert not any(calls[c] for c in JOB_CALLS)
    assert snapshot_file.validate(doc) == []


def test_access_denied_for_one_arn_errors_only_that_entity(aws, pytester, tmp_path):
    aws.user("denied", age_days=400)
    aws.user("readable", age_days=400)
    aws.service_activity("readable", {"s3": 1})
    aws.role("readable-role", age_days=400)
    doc, _ = collect_activity(deny_arn=aws.arn("user", "denied"))
    entities = activity(doc)["data"]["entities"]
    assert entities[aws.arn("user", "denied")]["status"] == "error"
    assert entities[aws.arn("user", "denied")]["error"]["code"] == "AccessDenied"
    assert entities[aws.arn("user", "readable")]["status"] == "ok"
    result = audit_snapshot(pytester, tmp_path, doc, CHECKS)
    assert result.outcome("user_no_unused_service_permissions", "denied") == "error"
    assert result.message("user_no_unused_service_permissions", "denied").startswith(
        "Could not evaluate: Service last accessed for user denied could not be read: AccessDenied: "
        "User: arn:aws:iam::123456789012:user/auditor is not authorized to perform"
    )
    assert result.outcome("user_no_unused_service_permissions", "readable") == "passed"
    assert result.outcome("role_no_unused_service_permissions", "readable-role") == "passed"


def test_every_entity_failing_fails_the_source(aws, audit):
    aws.user("bob", age_days=400)
    aws.role("app", age_days=400)
    result = audit(*CHECKS, options=WITH_ACTIVITY, failures={"GenerateServiceLastAccessedDetails": "AccessDenied"})
    source = result.snapshot["sources"]["service_last_accessed"]
    assert source["status"] == "error"
    assert source["error"]["code"] == "AccessDenied"
    assert "could not be read for any of the 2 users and roles" in source["error"]["message"]
    for check_id, entity in zip(CHECKS, ("bob", "app")):
        assert result.outcome(check_id, entity) == "error"
        assert result.message(check_id, entity).startswith(
            "Data source 'service_last_accessed' could not be read: AccessDenied: Service-last-accessed data could "
            "not be read for any of the 2 users and roles"
        )


def test_failed_authorization_details_fails_the_source(aws):
    aws.user("bob")
    session = moto_session()
    session.events.register(
        "before-call.iam.GetAccountAuthorizationDetails",
        lambda **_: (AWSResponse("https://iam.amazonaws.com/", 403, {}, None),
                     {"Error": {"Code": "AccessDenied", "Message": "no GAAD"}}),
    )
    source = activity(collect(session, WITH_ACTIVITY, sources=ACTIVITY_SOURCES))
    assert source == {"status": "error", "error": {"code": "DependencyUnavailable", "message": (
        "this source is built from source 'authorization_details', which could not be read (AccessDenied: no GAAD)")}}


def test_unfinished_jobs_time_out_with_a_clear_error(aws, monkeypatch):
    monkeypatch.setattr(sources_activity, "POLLING", sources_activity.Polling(first_wait=0.01, timeout=0))
    aws.user("bob")
    source = activity(collect_activity()[0])
    assert source["status"] == "error"
    assert source["error"]["code"] == "Timeout"
    assert "when the 0-second limit for this source ran out" in source["error"]["message"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_moto_operations_work_in_server_mode(monkeypatch):
    """The handlers are class-level, so a ThreadedMotoServer in this process serves them too."""
    from moto.moto_api._internal.models import moto_api_backend
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.CRITICAL)
    port = free_port()
    for name in ("HTTPS_PROXY", "HTTP_PROXY", "https_proxy", "http_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{port}")
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        with moto_gaps():
            aws = MotoAccount()
            aws.user("bob")
            aws.service_activity("bob", {"s3": 2})
            doc, calls = collect_activity()
    finally:
        server.stop()
        moto_api_backend.reset()
    entry = activity(doc)["data"]["entities"][aws.arn("user", "bob")]
    assert [s["ServiceNamespace"] for s in entry["services"]] == ["s3"]
    assert calls["GetServiceLastAccessedDetails"] == 2

