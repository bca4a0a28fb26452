"""Odd credential report values: read correctly where AWS documents them, a clear ERROR where not."""

from __future__ import annotations

import copy
import csv
import io
from datetime import datetime, timezone
from typing import Any, Callable

import pytest

from iam_compliance.collection.aws import CollectOptions
from iam_compliance.collection.collector import collect
from iam_compliance.model.iam import BadData, CredentialRow
from iam_compliance.snapshot.credential_report import reconcile
from iam_compliance.simulated.moto_account import Key
from tests_selftest.harness import audit_snapshot, collect_snapshot, moto_session


@pytest.mark.parametrize("value, expected", [
    ("true", True), ("TRUE", True), ("True", True), (" true ", True),
    ("false", False), ("FALSE", False),
    ("not_supported", None), ("N/A", None),
])
def test_flags_are_read_case_insensitively_and_special_values_are_none(value, expected):
    assert CredentialRow({"user": "bob", "mfa_active": value}).flag("mfa_active") is expected


@pytest.mark.parametrize("value", ["N/A", "no_information", "not_supported", ""])
def test_special_date_values_mean_no_date(value):
    assert CredentialRow({"user": "bob", "password_last_used": value}).date("password_last_used") is None


@pytest.mark.parametrize("value", ["2015-04-16T15:14:00+00:00", "2015-04-16T15:14:00Z", "2015-04-16T17:14:00+02:00"])
def test_dates_with_any_offset_are_utc(value):
    parsed = CredentialRow({"user": "bob", "password_last_used": value}).date("password_last_used")
    assert parsed == datetime(2015, 4, 16, 15, 14, tzinfo=timezone.utc)


@pytest.mark.parametrize("column, value", [
    ("password_last_used", "yesterday"), ("password_last_used", "2024-13-45T00:00:00+00:00"),
    ("access_key_1_last_used_date", "none"),
])
def test_garbage_date_names_the_column_and_the_user(column, value):
    with pytest.raises(BadData) as raised:
        CredentialRow({"user": "bob", column: value}).date(column)
    assert str(raised.value) == f"Credential report column '{column}' for bob has unexpected value {value!r}."


def test_garbage_flag_names_the_column_and_the_user():
    with pytest.raises(BadData, match=r"^Credential report column 'password_enabled' for bob has unexpected value 'yes'\.$"):
        CredentialRow({"user": "bob", "password_enabled": "yes"}).flag("password_enabled")


def test_not_supported_password_flag_reads_as_no_password():
    assert CredentialRow({"user": "bob", "password_enabled": "not_supported"}).password_enabled is False


# --- through the checks ------------------------------------------------------------------------------------------


def edited_snapshot(aws, edit: Callable[[dict[str, dict[str, str]]], None]) -> dict:
    """A collected snapshot whose credential report rows (by user) were changed by ``edit``."""
    aws.generate_credential_report()
    doc = copy.deepcopy(collect_snapshot())
    edit({row["user"]: row for row in doc["sources"]["credential_report"]["data"]["rows"]})
    return doc


def test_upper_case_booleans_are_evaluated(aws, pytester, tmp_path):
    aws.user("shouting", password=True, password_last_used_days=1)

    def shout(rows):
        rows["shouting"].update(password_enabled="TRUE", mfa_active="FALSE")

    result = audit_snapshot(pytester, tmp_path, edited_snapshot(aws, shout),
                            ["user_console_mfa_enabled", "user_console_password_used"])
    assert result.outcome("user_console_mfa_enabled", "shouting") == "failed"
    assert result.outcome("user_console_password_used", "shouting") == "passed"


def test_garbage_dates_are_errors_naming_column_and_user(aws, pytester, tmp_path):
    aws.user("bob", age_days=300, password=True, password_last_used_days=1, keys=[Key(age_days=200, last_used_days=1)])
    aws.user("carol", age_days=300, password=True, password_last_used_days=1)

    def garble(rows):
        rows["bob"]["password_last_used"] = "yesterday"
        rows["carol"]["user_creation_time"] = "N/A"

    result = audit_snapshot(pytester, tmp_path, edited_snapshot(aws, garble),
                            ["user_console_password_used", "user_has_recent_activity"])
    for check in ("user_console_password_used", "user_has_recent_activity"):
        assert result.outcome(check, "bob") == "error"
        assert result.message(check, "bob") == (
            "Could not evaluate: Credential report column 'password_last_used' for bob has unexpected value 'yesterday'."
        )
    assert result.outcome("user_has_recent_activity", "carol") == "error"
    assert result.message("user_has_recent_activity", "carol") == (
        "Could not evaluate: Credential report column 'user_creation_time' for carol has no date (found 'N/A') "
        "although every user has a creation time."
    )
    assert result.outcome("user_console_password_used", "carol") == "passed"


def test_password_without_change_date_is_an_error(aws, pytester, tmp_path):
    aws.user("dave", password=True)

    def drop(rows):
        rows["dave"]["password_last_changed"] = "N/A"

    result = audit_snapshot(pytester, tmp_path, edited_snapshot(aws, drop), ["user_console_password_used"])
    assert result.outcome("user_console_password_used", "dave") == "error"
    assert result.message("user_console_password_used", "dave") == (
        "Could not evaluate: Credential report column 'password_last_changed' for dave has no date (found 'N/A') "
        "although password_enabled is true."
    )


# --- odd values reaching the collector ----------------------------------------------------------------------------


def rewrite_report(edit: Callable[[list[dict[str, str]]], list[dict[str, str]]]) -> Callable[..., None]:
    """An after-call handler that rewrites the GetCredentialReport CSV as AWS could have sent it."""

    def handler(parsed: dict, **_: Any) -> None:
        reader = csv.DictReader(io.StringIO(parsed["Content"].decode()))
        rows = edit(list(reader))
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=reader.fieldnames, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        parsed["Content"] = out.getvalue().encode()

    return handler


def collect_rewritten(aws, edit: Callable[[list[dict[str, str]]], list[dict[str, str]]]) -> tuple[dict, list[str]]:
    """Collect with the report rewritten; also the operations called per key (GetAccessKeyLastUsed)."""
    aws.generate_credential_report()
    session = moto_session()
    session.events.register("after-call.iam.GetCredentialReport", rewrite_report(edit))
    lookups: list[str] = []
    session.events.register("before-parameter-build.iam.GetAccessKeyLastUsed",
                            lambda params, **_: lookups.append(params["AccessKeyId"]))
    return collect(session, CollectOptions(service_activity=False)), lookups


def test_unreadable_key_date_in_the_report_falls_back_to_the_key_api(aws, pytester, tmp_path):
    aws.user("erin", keys=[Key(age_days=100, last_used_days=60)])

    def garble(rows):
        for row in rows:
            row.update(access_key_1_active="TRUE", access_key_1_last_rotated="sometime")
        return rows

    doc, lookups = collect_rewritten(aws, garble)
    key_id = aws.backend.users["erin"].access_keys[0].access_key_id
    assert lookups == [key_id]
    result = audit_snapshot(pytester, tmp_path, doc, ["user_unused_access_key_disabled", "user_access_key_rotated"])
    item = f"erin/{key_id}"
    assert result.outcome("user_access_key_rotated", item) == "failed"
    assert result.outcome("user_unused_access_key_disabled", item) == "failed"
    assert result.message("user_unused_access_key_disabled", item).startswith(
        f"Access key {key_id} of user erin is active but was last used 60 days ago on {aws.ago(60):%Y-%m-%d}, "
        "s3 in us-east-1 (GetAccessKeyLastUsed);"
    )


def test_user_newer_than_the_report_still_has_its_keys_listed(aws, pytester, tmp_path):
    aws.user("old-hand", keys=[Key(age_days=10)])
    aws.user("newcomer", password=True, keys=[Key(age_days=0)])
    doc, lookups = collect_rewritten(aws, lambda rows: [row for row in rows if row["user"] != "newcomer"])
    key_id = aws.backend.users["newcomer"].access_keys[0].access_key_id
    assert lookups == [key_id]  # once, by the per-user calls for the user the report lacks
    result = audit_snapshot(pytester, tmp_path, doc, ["user_access_key_rotated", "user_console_password_used"])
    assert result.outcome("user_access_key_rotated", f"newcomer/{key_id}") == "passed"
    # Its password comes from GetLoginProfile: created with the user, 400 days ago, and never used.
    assert result.outcome("user_console_password_used", "newcomer") == "failed"
    assert result.message("user_console_password_used", "newcomer").startswith("User newcomer ")


# --- empty slots and reconciliation with IAM -----------------------------------------------------------------------


@pytest.mark.parametrize("active, rotated, holds", [
    ("false", "N/A", False), ("false", "", False), ("FALSE", "2024-01-01T00:00:00+00:00", True),
    ("true", "2024-01-01T00:00:00+00:00", True),
])
def test_a_slot_holds_a_credential_unless_inactive_without_a_date(active, rotated, holds):
    row = CredentialRow({"user": "bob", "access_key_2_active": active, "access_key_2_last_rotated": rotated})
    assert row.holds("access_key", 2) is holds


def test_reconcile_matches_rows_to_iam_users_by_name_and_creation_time():
    def row(name: str, created: str) -> dict[str, str]:
        return {"user": name, "arn": f"arn:aws:iam::123456789012:user/{name}", "user_creation_time": created}

    rows = [row("<root_account>", "2015-01-01T00:00:00+00:00"), row("kept", "2020-01-01T00:00:00+00:00"),
            row("gone", "2020-01-01T00:00:00+00:00"), row("reused", "2020-01-01T00:00:00+00:00"),
            row("odd", "not a date")]
    users = [{"UserName": "kept", "Arn": "a1", "CreateDate": "2020-01-01T00:00:00.600000+00:00"},
             {"UserName": "reused", "Arn": "a2", "CreateDate": "2026-01-01T00:00:00Z"},
             {"UserName": "new", "Arn": "a3", "CreateDate": "2026-01-01T00:00:00Z"},
             {"UserName": "odd", "Arn": "a4", "CreateDate": "2020-01-01T00:00:00Z"}]
    reconciled = reconcile(rows, users)
    assert sorted(reconciled.reported) == ["kept", "odd"]  # an unreadable time is the row's own error, later
    assert sorted(reconciled.unreported) == ["new", "reused"]
    assert reconciled.stale == ["gone", "reused"]
