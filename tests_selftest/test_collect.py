"""The collector against moto: account-wide calls, pagination, credential report, error recording."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from iam_compliance.collection import credential_report
from iam_compliance.collection.collector import DECLARATIONS, SOURCES, collect
from iam_compliance.collection.declaration import DataSource, DeclarationError, ordered
from iam_compliance.collection.errors import CollectionError, CollectionTimeout
from iam_compliance.simulated.moto_account import Key
from tests_selftest.harness import SELFTEST_OPTIONS, count_calls, fail_operations, moto_session



def seed_users(aws, count: int) -> None:
    if "staff" not in aws.backend.groups:
        aws.group("staff")
    start = len(aws.backend.users)
    for n in range(start, start + count):
        aws.user(f"user-{n:04d}", password=n % 2 == 0, mfa="virtual" if n % 3 == 0 else None, groups=["staff"],
                 inline={"p": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:Get*",
                                                                        "Resource": "*"}]}} if n % 5 == 0 else {})


def calls_for(aws, users: int) -> dict:
    seed_users(aws, users)
    aws.generate_credential_report()
    session = moto_session()
    calls = count_calls(session)
    doc = collect(session, SELFTEST_OPTIONS)
    assert all(s["status"] == "ok" for s in doc["sources"].values()), doc["sources"]
    return dict(calls)


def test_api_calls_do_not_grow_with_the_number_of_users(aws):
    """10 and 300 users cost the same calls: only pagination could add any (moto does not paginate GAAD)."""
    small = calls_for(aws, 10)
    large = calls_for(aws, 290)  # the same account, grown to 300 users
    assert large == small
    assert max(small.values()) <= 2, small  # at most a second credential-report poll; nothing per user


def test_snapshot_records_identity_and_sorted_entities(aws):
    for name in ("zed", "Alice", "bob"):
        aws.user(name, tags={"b": "2", "a": "1"})
    aws.generate_credential_report()
    doc = collect(moto_session(), SELFTEST_OPTIONS)
    assert doc["schema_version"] == 3
    assert doc["account_id"] == "123456789012" and doc["partition"] == "aws"
    assert doc["caller_arn"].startswith("arn:aws:")
    users = doc["sources"]["authorization_details"]["data"]["users"]
    assert [u["UserName"] for u in users] == ["Alice", "bob", "zed"]
    assert [t["Key"] for t in users[0]["Tags"]] == ["a", "b"]
    rows = doc["sources"]["credential_report"]["data"]["rows"]
    assert [r["user"] for r in rows] == ["<root_account>", "Alice", "bob", "zed"]  # root first, as AWS writes it


def test_missing_password_policy_is_a_fact_not_an_error(aws):
    doc = collect(moto_session(), SELFTEST_OPTIONS)
    assert doc["sources"]["password_policy"] == {"status": "ok", "data": {"policy": None}}


def test_failed_source_records_the_aws_error_and_others_still_collect(aws):
    aws.user("alice")
    session = moto_session()
    fail_operations(session, {"GetAccountAuthorizationDetails": "AccessDenied"})
    doc = collect(session, SELFTEST_OPTIONS)
    failed = doc["sources"]["authorization_details"]
    assert failed["status"] == "error"
    assert failed["error"]["code"] == "AccessDenied"
    assert "not authorized to perform: GetAccountAuthorizationDetails" in failed["error"]["message"]
    assert doc["sources"]["credential_report"]["status"] == "ok"


def test_no_account_identity_is_a_clear_collection_error(aws):
    session = moto_session()
    fail_operations(session, {"GetCallerIdentity": "InvalidClientTokenId"})
    with pytest.raises(CollectionError, match=r"sts:GetCallerIdentity failed: InvalidClientTokenId.*--demo"):
        collect(session, SELFTEST_OPTIONS)


def test_virtual_mfa_seeds_are_never_stored(aws):
    aws.user("alice", mfa="virtual")
    doc = collect(moto_session(), SELFTEST_OPTIONS)
    device = doc["sources"]["virtual_mfa_devices"]["data"][0]
    assert set(device) <= {"SerialNumber", "EnableDate", "User"}
    assert "Base32StringSeed" not in str(doc) and "QRCodePNG" not in str(doc)


def test_key_dates_reach_the_credential_report(aws):
    aws.user("carol", keys=[Key(age_days=100, last_used_days=7)])
    aws.generate_credential_report()
    doc = collect(moto_session(), SELFTEST_OPTIONS)
    row = next(r for r in doc["sources"]["credential_report"]["data"]["rows"] if r["user"] == "carol")
    assert row["access_key_1_active"] == "true"
    assert row["access_key_1_last_used_date"] != "N/A"


class FakeIam:
    """A credential report API that needs `ready_after` generate calls, or raises the given errors."""

    def __init__(self, ready_after: int = 1, get_errors: list[str] | None = None):
        self.ready_after = ready_after
        self.generate_calls = 0
        self.get_errors = list(get_errors or [])

    def generate_credential_report(self) -> dict:
        self.generate_calls += 1
        return {"State": "COMPLETE" if self.generate_calls >= self.ready_after else "STARTED"}

    def get_credential_report(self) -> dict:
        if self.get_errors:
            code = self.get_errors.pop(0)
            raise ClientError({"Error": {"Code": code, "Message": code}}, "GetCredentialReport")
        return {"GeneratedTime": "2026-01-01T00:00:00Z", "Content": b"user,arn\nbob,arn:aws:iam::1:user/bob\n"}


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def __call__(self) -> float:
        return self.now


def test_credential_report_polls_with_exponential_backoff():
    clock, iam = FakeClock(), FakeIam(ready_after=5)
    report = credential_report.fetch(iam, timeout=60, sleep=clock.sleep, clock=clock)
    assert clock.sleeps == [0.25, 0.5, 1.0, 2.0]
    assert report["rows"] == [{"user": "bob", "arn": "arn:aws:iam::1:user/bob"}]


def test_credential_report_retries_when_not_ready_yet():
    clock, iam = FakeClock(), FakeIam(get_errors=["ReportInProgress"])
    credential_report.fetch(iam, timeout=60, sleep=clock.sleep, clock=clock)
    assert iam.generate_calls == 2


def test_credential_report_times_out():
    clock, iam = FakeClock(), FakeIam(ready_after=10**6)
    with pytest.raises(CollectionTimeout, match="not ready after 20 s"):
        credential_report.fetch(iam, timeout=20, sleep=clock.sleep, clock=clock)
    assert max(clock.sleeps) <= 8.0


def test_credential_report_other_errors_propagate():
    with pytest.raises(ClientError):
        credential_report.fetch(FakeIam(get_errors=["AccessDenied"]), timeout=20, sleep=lambda s: None)


def test_credential_report_parsing_puts_root_first_and_keeps_unknown_columns():
    content = (
        "user,arn,password_enabled,new_column\n"
        "zoe,arn:aws:iam::1:user/zoe,TRUE,x\n"
        "<root_account>,arn:aws:iam::1:root,not_supported,y\n"
        "Ünïcode,arn:aws:iam::1:user/u,false,\n"
    ).encode()
    rows = credential_report.parse(content)
    assert [r["user"] for r in rows] == ["<root_account>", "zoe", "Ünïcode"]
    assert rows[1]["new_column"] == "x" and rows[2]["new_column"] == ""


def test_credential_report_without_user_column_is_rejected():
    with pytest.raises(ValueError, match="no column user"):
        credential_report.parse(b"name,arn\nbob,x\n")


# --- declarations: reading order, cycles, unknown and undeclared dependencies -----------------


def declared(name: str, *reads: str, fetch: Any = None) -> DataSource:
    return DataSource(name, fetch or (lambda ctx: name), f"test source {name}", actions=(f"test:{name}",), reads=reads)


def test_sources_are_read_after_what_they_read_otherwise_in_declaration_order():
    sources = [declared("d", "c"), declared("a"), declared("c", "b"), declared("b"), declared("e")]
    assert [s.name for s in ordered(sources)] == ["a", "b", "c", "d", "e"]
    assert [s.name for s in ordered([declared("x"), declared("y")])] == ["x", "y"]


def test_every_declared_source_is_read_after_its_dependencies():
    position = {source.name: index for index, source in enumerate(DECLARATIONS)}
    assert all(position[read] < position[source.name] for source in DECLARATIONS for read in source.reads)
    assert list(SOURCES) == [source.name for source in DECLARATIONS]


def test_a_cycle_is_refused_naming_it():
    with pytest.raises(DeclarationError, match=r"cycle: b -> c -> b"):
        ordered([declared("a"), declared("b", "c"), declared("c", "b"), declared("d", "b")])
    with pytest.raises(DeclarationError, match=r"cycle: s -> s"):
        ordered([declared("s", "s")])


def test_an_unknown_dependency_is_refused():
    with pytest.raises(DeclarationError, match=r"data source 'a' reads 'missing', which is not declared"):
        ordered([declared("a", "missing")])
    with pytest.raises(DeclarationError, match=r"declared twice"):
        ordered([declared("a"), declared("a")])


def test_a_source_can_read_only_what_it_declares(aws):
    sneaky = declared("sneaky", fetch=lambda ctx: ctx.dependency("honest"))
    built_on = declared("built_on", "honest", fetch=lambda ctx: ctx.dependency("honest") + "+")
    sources = collect(moto_session(), SELFTEST_OPTIONS, sources=[declared("honest"), sneaky, built_on])["sources"]
    assert sources["built_on"] == {"status": "ok", "data": "honest+"}
    assert sources["sneaky"] == {"status": "error", "error": {"code": "UndeclaredDependency", "message": (
        "data source 'sneaky' reads source 'honest' without declaring it in its reads")}}


def test_a_failed_dependency_fails_its_dependents_naming_it_and_its_error(aws):
    def broken(ctx: Any) -> Any:
        raise CollectionTimeout("not ready in time")

    sources = collect(moto_session(), SELFTEST_OPTIONS, sources=[
        declared("base", fetch=broken), declared("derived", "base", fetch=lambda ctx: ctx.dependency("base"))])["sources"]
    assert sources["derived"] == {"status": "error", "error": {"code": "DependencyUnavailable", "message": (
        "this source is built from source 'base', which could not be read (Timeout: not ready in time)")}}
