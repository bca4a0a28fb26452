"""Lying or hanging services end the collection of their source with a named error, never an endless run.

Faults are injected through botocore's ``before-call`` event (as ``harness.fail_operations`` does):
the handler answers in place of the service, with pages whose markers never end or repeat.
"""

from __future__ import annotations

import itertools
import socket
import threading
import time
from typing import Any, Callable, Iterator

import pytest
from botocore.awsrequest import AWSResponse

from iam_compliance.collection import paging
from iam_compliance.collection.aws import AwsContext, CollectOptions
from iam_compliance.collection.collector import SOURCES, collect
from iam_compliance.collection.errors import CollectionError
from iam_compliance.collection.sources import activity as sources_activity
from tests_selftest.harness import SELFTEST_OPTIONS, count_calls, moto_session

EMPTY_GAAD_PAGE = {"UserDetailList": [], "GroupDetailList": [], "RoleDetailList": [], "Policies": []}


def answer(session: Any, operation: str, pages: Callable[[dict], dict]) -> None:
    """Make ``operation`` answer with ``pages(params)`` instead of calling the service."""

    def respond(model: Any, params: dict, **_: Any) -> tuple[AWSResponse, dict] | None:
        if model.name != operation:
            return None
        return AWSResponse("https://iam.amazonaws.com/", 200, {}, None), pages(params.get("body", params))

    session.events.register("before-call.*.*", respond)


def markers(values: Iterator[str]) -> Callable[[dict], dict]:
    return lambda params: {**EMPTY_GAAD_PAGE, "IsTruncated": True, "Marker": next(values)}


def gaad_only(session: Any) -> dict:
    return collect(session, SELFTEST_OPTIONS, sources=[SOURCES["authorization_details"]])["sources"][
        "authorization_details"]


def test_a_marker_that_never_ends_stops_at_the_page_ceiling(aws, monkeypatch):
    """GAAD returning a new marker forever made thousands of calls; now the source fails at the ceiling."""
    monkeypatch.setattr(paging, "MAX_PAGES", 40)
    session = moto_session()
    calls = count_calls(session)
    answer(session, "GetAccountAuthorizationDetails", markers(f"m{n}" for n in itertools.count()))
    started = time.monotonic()
    source = gaad_only(session)
    assert time.monotonic() - started < 10
    assert calls["GetAccountAuthorizationDetails"] == 40
    assert source == {"status": "error", "error": {"code": "PaginationCeiling", "message": (
        "iam:GetAccountAuthorizationDetails still had more pages after 40, the most one call may take: "
        "reading stopped")}}


@pytest.mark.parametrize("sequence", [["a", "b", "c", "a"], ["a", "a"]], ids=["cycle", "same-marker-again"])
def test_a_repeated_marker_fails_the_source(aws, sequence):
    session = moto_session()
    calls = count_calls(session)
    answer(session, "GetAccountAuthorizationDetails", markers(iter(sequence + ["never-read"])))
    source = gaad_only(session)
    assert calls["GetAccountAuthorizationDetails"] == len(sequence)
    assert source["status"] == "error" and source["error"]["code"] == "PaginationLoop"
    assert source["error"]["message"] == (
        f"iam:GetAccountAuthorizationDetails returned a pagination marker it had already returned "
        f"(page {len(sequence)}): the service repeats its pages, so reading stopped")


def test_the_page_ceiling_is_documented_and_generous():
    assert paging.MAX_PAGES == 1000
    assert "MAX_PAGES" in (paging.__doc__ or "") or "ceiling" in (paging.__doc__ or "")


def test_service_last_accessed_repeating_a_marker_is_detected(aws, monkeypatch):
    monkeypatch.setattr(sources_activity, "POLLING", sources_activity.Polling(first_wait=0.01, max_wait=0.05))
    aws.user("bob")
    aws.service_activity("bob", {"s3": 1})
    session = moto_session()
    calls = count_calls(session)
    answer(session, "GetServiceLastAccessedDetails", lambda params: {
        "JobStatus": "COMPLETED", "JobCompletionDate": "2026-01-01T00:00:00Z",
        "JobCreationDate": "2026-01-01T00:00:00Z",
        "ServicesLastAccessed": [], "IsTruncated": True, "Marker": "same-marker"})
    options = CollectOptions(regions=("us-east-1",), service_activity=True)
    doc = collect(session, options, sources=[SOURCES["authorization_details"], SOURCES["service_last_accessed"]])
    source = doc["sources"]["service_last_accessed"]
    assert calls["GetServiceLastAccessedDetails"] == 2  # the first page, then the same marker again
    assert source["status"] == "error" and source["error"]["code"] == "PaginationLoop"
    assert ("iam:GetServiceLastAccessedDetails returned a pagination marker it had already returned (page 2)"
            in source["error"]["message"])


def test_the_collection_deadline_fails_the_sources_still_unread(aws):
    session = moto_session()

    def slow(model: Any, **_: Any) -> None:
        if model.name == "GetAccountAuthorizationDetails":
            time.sleep(1.2)  # after its answer: the call itself was made in time

    session.events.register("after-call.*.*", slow)
    options = CollectOptions(regions=("us-east-1",), service_activity=False, deadline=1.0)
    doc = collect(session, options)
    assert doc["sources"]["authorization_details"]["status"] == "ok"  # it started before the deadline
    late = doc["sources"]["account_summary"]
    assert late == {"status": "error", "error": {"code": "CollectionDeadline", "message": (
        "the collection's 1-second deadline (collection.deadline_seconds) passed before this call")}}
    assert all(doc["sources"][name]["status"] == "error" for name in ("password_policy", "virtual_mfa_devices"))


def test_service_activity_has_its_own_deadline(aws, monkeypatch):
    monkeypatch.setattr(sources_activity, "POLLING", sources_activity.Polling(first_wait=0.05, max_wait=0.05))
    aws.user("bob")
    session = moto_session()
    answer(session, "GetServiceLastAccessedDetails", lambda params: {
        "JobStatus": "IN_PROGRESS", "JobCreationDate": "2026-01-01T00:00:00Z", "ServicesLastAccessed": []})
    options = CollectOptions(regions=("us-east-1",), service_activity=True, service_activity_timeout=0.3)
    started = time.monotonic()
    doc = collect(session, options, sources=[SOURCES["authorization_details"], SOURCES["service_last_accessed"]])
    assert time.monotonic() - started < 5
    source = doc["sources"]["service_last_accessed"]
    assert source["status"] == "error" and source["error"]["code"] == "Timeout"
    assert "had not finished when the 0-second limit for this source ran out" in source["error"]["message"]


def test_timeouts_come_from_the_options(aws):
    ctx = AwsContext(session=moto_session(), options=CollectOptions(connect_timeout=3, read_timeout=7))
    config = ctx.client("iam").meta.config
    assert (config.connect_timeout, config.read_timeout) == (3, 7)
    assert config.retries["mode"] == "adaptive"


@pytest.fixture
def silent_endpoint() -> Iterator[str]:
    """An endpoint that accepts connections and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}"
    stop.set()
    thread.join()
    for connection in accepted:
        connection.close()
    server.close()


def test_a_hanging_endpoint_ends_at_the_deadline_not_after_every_retry(silent_endpoint, monkeypatch):
    """Each attempt ends at the read timeout; no retry starts after the collection's deadline."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", silent_endpoint)
    options = CollectOptions(regions=("us-east-1",), service_activity=False, read_timeout=0.2, connect_timeout=0.2,
                             deadline=1.0)
    started = time.monotonic()
    with pytest.raises(CollectionError) as error:
        collect(moto_session(), options)
    assert time.monotonic() - started < 6  # the deadline, one read timeout and at most one backoff
    assert "sts:GetCallerIdentity failed: CollectionDeadline: the collection's 1-second deadline" in str(error.value)
