"""Settings: defaults from iam-compliance.yaml, overrides by file and --set, and clear errors."""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import get_args

import pytest
import yaml

from iam_compliance.model.iam import CHARACTER_CLASSES
from iam_compliance.settings import (
    DEFAULTS_PATH, SCHEMA, CharacterClassName, Choice, Settings, SettingsError, load_settings,
)
from tests_selftest.harness import ROOT, run_pytest


def test_defaults_are_the_catalogue_values():
    settings = load_settings()
    assert settings.password_policy.min_length == 14
    assert settings.password_policy.reuse_prevention == 24
    assert settings.users.unused_access_key_days == 45
    assert settings.admins.minimum == 2 and settings.admins.maximum == 3
    assert DEFAULTS_PATH.name == "iam-compliance.yaml"


def test_file_and_assignments_override_in_order(tmp_path):
    override = tmp_path / "mine.yaml"
    override.write_text("users:\n  unused_password_days: 30\n  inactivity_days: 60\n")
    settings = load_settings(override, ["users.inactivity_days=120", "password_policy.character_classes=[symbols]"])
    assert settings.users.unused_password_days == 30
    assert settings.users.inactivity_days == 120
    assert settings.password_policy.character_classes == ["symbols"]
    assert settings.as_dict()["users"]["inactivity_days"] == 120


def test_schema_and_defaults_file_agree():
    defaults = yaml.safe_load(DEFAULTS_PATH.read_text())
    assert {section: set(values) for section, values in defaults.items()} == {
        section: set(rules) for section, rules in SCHEMA.items()}
    assert set(get_args(CharacterClassName)) == set(CHARACTER_CLASSES)


def test_settings_are_typed():
    settings = load_settings(None, ["root.password_last_changed=2025-01-31", "collection.regions=[eu-west-1]"])
    assert isinstance(settings, Settings)
    assert settings.root.password_last_changed == date(2025, 1, 31)
    assert settings.collection.regions == ["eu-west-1"]
    stamped = load_settings(None, ["root.password_last_changed=2025-01-31T10:00:00"]).root.password_last_changed
    assert stamped == datetime(2025, 1, 31, 10, tzinfo=timezone.utc)
    classes = load_settings(None, ["password_policy.character_classes=[symbols, numbers, symbols]"])
    assert classes.password_policy.character_classes == ["symbols", "numbers"]


# One message per kind of bad value: the origin, the key, what is allowed and the value given.
BAD_VALUES = [
    # type
    ("users.inactivity_days=ninety", "--set users.inactivity_days=ninety: users.inactivity_days must be a whole "
                                     "number from 0 to 36500 (days), not 'ninety'."),
    ("users.inactivity_days=true", "users.inactivity_days must be a whole number from 0 to 36500 (days), not True."),
    ("roles.exclude_sso_roles=yes please", "roles.exclude_sso_roles must be true or false, not 'yes please'."),
    ("password_policy.min_length=null", "password_policy.min_length must be a whole number from 6 to 128, not None."),
    # enumeration
    ("users.mfa_scope=everyone", "--set users.mfa_scope=everyone: users.mfa_scope must be one of console, all, "
                                 "not 'everyone'."),
    ("users.access_key_count_mode=lenient", "users.access_key_count_mode must be one of cis, strict, not 'lenient'."),
    ("root.mfa_rule=cis-v4", "root.mfa_rule must be one of cis-v5, cis-v3, not 'cis-v4'."),
    ("policies.full_admin_scope=nist", "policies.full_admin_scope must be one of cis, securityhub, not 'nist'."),
    ("admins.scope=everyone", "admins.scope must be one of users, users_and_human_roles, not 'everyone'."),
    ("password_policy.character_classes=[numbers, digits]",
     "password_policy.character_classes must be a list of uppercase, lowercase, numbers, symbols "
     "(e.g. [uppercase]; [] for none), not ['numbers', 'digits']."),
    # range
    ("users.unused_access_key_days=-1", "users.unused_access_key_days must be a whole number from 0 to 36500 (days), "
                                        "not -1."),
    ("admins.minimum=0", "admins.minimum must be a whole number from 1 to 36500, not 0."),
    ("password_policy.reuse_prevention=25", "password_policy.reuse_prevention must be a whole number from 0 to 24, "
                                            "not 25."),
    ("admins.maximum=1", "admins.maximum (1) must be at least admins.minimum (2)."),
    # dates
    ("root.password_last_changed=last-tuesday", "root.password_last_changed must be a date as YYYY-MM-DD "
                                                "(e.g. 2025-01-31), or null (not attested), not 'last-tuesday'."),
    ("root.password_last_changed=20250131", "root.password_last_changed must be a date as YYYY-MM-DD "
                                            "(e.g. 2025-01-31), or null (not attested), not 20250131."),
    ("root.password_last_changed=2999-01-01", "root.password_last_changed must be a date that has passed"),
    ("root.password_last_changed=2025-13-45", "month must be in 1..12"),
    # a string where a list is expected
    ("collection.regions=eu-west-1", "collection.regions must be a list of text, e.g. [eu-west-1, us-east-1], "
                                     "or null (every region enabled in the account), not 'eu-west-1'."),
    ("collection.regions=[]", "collection.regions must be a list of text"),
    ("tags.required_keys=owner", "tags.required_keys must be a list of text, e.g. [owner, cost-center] "
                                 "([] for none), not 'owner'."),
    ("admins.approved=[alice, 7]", "admins.approved must be a list of text"),
    # unknown keys
    ("users.nonsense=1", "--set users.nonsense=1: unknown setting 'users.nonsense' (the users settings are "
                         "inactivity_days, "),
    ("nosection.x=1", "unknown settings section 'nosection' (known: collection, root, "),
    ("inactivity_days", "expected section.key=value"),
]


@pytest.mark.parametrize(("assignment", "message"), BAD_VALUES, ids=[a for a, _ in BAD_VALUES])
def test_bad_values_are_clear_errors(assignment, message):
    with pytest.raises(SettingsError) as raised:
        load_settings(None, [assignment])
    assert message in str(raised.value)
    assert "\n" not in str(raised.value)


def test_every_choice_lists_its_words():
    choices = {f"{section}.{key}": rule.words for section, rules in SCHEMA.items()
               for key, rule in rules.items() if isinstance(rule, Choice)}
    assert choices == {
        "root.mfa_rule": ("cis-v5", "cis-v3"), "admins.scope": ("users", "users_and_human_roles"),
        "users.access_key_count_mode": ("cis", "strict"), "users.mfa_scope": ("console", "all"),
        "policies.full_admin_scope": ("cis", "securityhub"),
    }


def test_bad_value_in_a_file_names_the_file(tmp_path):
    mine = tmp_path / "mine.yaml"
    mine.write_text("collection:\n  regions: eu-west-1\n")
    with pytest.raises(SettingsError, match=f"^{mine}: collection.regions must be a list of text"):
        load_settings(mine)


def test_bad_settings_file_names_the_file(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("users: [unclosed\n")
    with pytest.raises(SettingsError, match=f"Settings file {bad} is not valid YAML"):
        load_settings(bad)
    bad.write_text("- just\n- a list\n")
    with pytest.raises(SettingsError, match="must map section names"):
        load_settings(bad)


@pytest.mark.parametrize(("assignment", "message"), [
    ("users.inactivity_days=soon", "users.inactivity_days must be a whole number from 0 to 36500 (days), not 'soon'."),
    ("users.mfa_scope=everyone", "users.mfa_scope must be one of console, all, not 'everyone'."),
    ("admins.minimum=-2", "admins.minimum must be a whole number from 1 to 36500, not -2."),
    ("collection.regions=eu-west-1", "collection.regions must be a list of text"),
    ("users.nonsense=1", "unknown setting 'users.nonsense'"),
])
def test_bad_setting_is_a_usage_error_before_anything_runs(pytester, tmp_path, assignment, message):
    """Exit 4 with one line naming the setting, before the snapshot is even read (it does not exist here)."""
    result = pytester.runpytest(
        str(ROOT / "checks"), "-c", str(ROOT / "pytest.ini"), "--rootdir", str(ROOT), "-p", "no:cacheprovider",
        "--snapshot", str(tmp_path / "absent.json"), "--reports-dir", str(tmp_path / "reports"), "--set", assignment,
    )
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    errors = [line for line in result.errlines if line.strip()]
    assert len(errors) == 1 and errors[0].startswith(f"ERROR: --set {assignment}: ") and message in errors[0]
    assert "Traceback" not in result.stdout.str() + result.stderr.str()
    assert "collected" not in result.stdout.str() and not (tmp_path / "reports").exists()


def test_bad_setting_stops_the_demo_with_one_line_and_no_traceback(tmp_path):
    run = run_pytest("checks", "--demo", "--reports-dir", str(tmp_path), "-p", "no:cacheprovider",
                     "--set", "users.mfa_scope=everyone")
    assert run.returncode == pytest.ExitCode.USAGE_ERROR
    assert run.stderr.strip() == (
        "ERROR: --set users.mfa_scope=everyone: users.mfa_scope must be one of console, all, not 'everyone'.")
    assert "Traceback" not in run.stdout + run.stderr and "could not evaluate" not in run.stdout.lower()
    assert not (tmp_path / "snapshot.json").exists()


# --- hostile files ------------------------------------------------------------------------------------------

BILLION_LAUGHS = """\
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
"""


@pytest.mark.parametrize(("text", "problem"), [
    (BILLION_LAUGHS, "aliases (*name) are not allowed in this file; write the value out"),
    ("users:\n  x: " + "[" * 50 + "]" * 50 + "\n", "values are nested more than 16 levels deep"),
])
def test_hostile_settings_files_are_one_clear_error(tmp_path, text, problem):
    path = tmp_path / "hostile.yaml"
    path.write_text(text)
    with pytest.raises(SettingsError) as error:
        load_settings(path)
    assert str(error.value).startswith(f"Settings file {path} is not valid YAML: ") and problem in str(error.value)
    assert "\n" not in str(error.value)


def test_a_huge_number_in_a_settings_file_is_out_of_range_in_one_short_line(tmp_path):
    path = tmp_path / "hostile.yaml"
    path.write_text("users:\n  inactivity_days: " + "9" * 4300 + "\n")
    with pytest.raises(SettingsError) as error:
        load_settings(path)
    assert str(error.value) == (f"{path}: users.inactivity_days must be a whole number from 0 to 36500 (days), "
                                f"not {'9' * 40}... (4,300 characters).")


def test_a_large_whole_number_is_out_of_range_not_a_crash():
    with pytest.raises(SettingsError, match=r"must be a whole number from 0 to 36500 \(days\), not 10{30}\."):
        load_settings(None, ["users.inactivity_days=1" + "0" * 30])


@pytest.mark.parametrize("kind", ["fifo", "directory", "oversized"])
def test_special_and_oversized_settings_files_are_refused(tmp_path, kind):
    import os

    path = tmp_path / "settings.yaml"
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "directory":
        path.mkdir()
    else:
        path.write_text("# padding\n" * 200_000)
    with pytest.raises(SettingsError) as error:
        load_settings(path)
    expected = {"fifo": "it is not a regular file (a named pipe).", "directory": "it is not a regular file (a directory).",
                "oversized": "bytes, more than the 1,048,576-byte limit for a settings file."}[kind]
    assert str(error.value).startswith(f"Cannot read settings file {path}: ") and str(error.value).endswith(expected)


@pytest.mark.parametrize("text", ["collection:\n  regions: eu-west-1\n", "tags:\n  required_keys: owner\n",
                                  "admins:\n  approved: break-glass\n"])
def test_a_string_is_never_split_into_characters(tmp_path, text):
    path = tmp_path / "mine.yaml"
    path.write_text(text)
    with pytest.raises(SettingsError, match="must be a list of"):
        load_settings(path)


def test_collection_limits_are_settings_with_sane_defaults():
    collection = load_settings().collection
    assert (collection.connect_timeout_seconds, collection.read_timeout_seconds) == (10, 30)
    assert (collection.deadline_seconds, collection.service_activity_timeout_seconds) == (3600, 600)
    assert load_settings().waivers.max_horizon_days == 365


def test_a_billion_laughs_config_is_a_usage_error_in_a_second(pytester, tmp_path):
    path = tmp_path / "laughs.yaml"
    path.write_text(BILLION_LAUGHS)
    result = pytester.runpytest(
        str(ROOT / "checks"), "-c", str(ROOT / "pytest.ini"), "--rootdir", str(ROOT), "-p", "no:cacheprovider",
        "--snapshot", str(tmp_path / "absent.json"), "--reports-dir", str(tmp_path / "reports"), "--config", str(path),
    )
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    [error] = [line for line in result.errlines if line.strip()]
    assert error == (f"ERROR: Settings file {path} is not valid YAML: line 2, column 8: aliases (*name) are not "
                     "allowed in this file; write the value out")
