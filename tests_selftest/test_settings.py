"""Settings: defaults from iam-compliance.yaml, overrides by file and --set, and clear errors."""

from __future__ import annotations

import pytest

from iam_compliance.settings import DEFAULTS_PATH, SettingsError, load_settings


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


@pytest.mark.parametrize(("assignment", "message"), [
    ("users.nonsense=1", "unknown setting 'users.nonsense'"),
    ("nosection.x=1", "unknown settings section 'nosection'"),
    ("users.inactivity_days=ninety", "users.inactivity_days must be a whole number, not 'ninety'"),
    ("users.inactivity_days=true", "must be a whole number, not True"),
    ("admins.maximum=1", "admins.maximum must be at least admins.minimum"),
    ("inactivity_days", "expected section.key=value"),
    ("password_policy.min_length=null", "cannot be null"),
    ("root.password_last_changed=2025-13-45", "month must be in 1..12"),
])
def test_bad_assignments_are_clear_errors(assignment, message):
    with pytest.raises(SettingsError, match=message.replace("(", r"\(").replace("[", r"\[")):
        load_settings(None, [assignment])


def test_bad_settings_file_names_the_file(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("users: [unclosed\n")
    with pytest.raises(SettingsError, match=f"Settings file {bad} is not valid YAML"):
        load_settings(bad)
    bad.write_text("- just\n- a list\n")
    with pytest.raises(SettingsError, match="must map section names"):
        load_settings(bad)


def test_bad_setting_is_a_usage_error_for_the_audit(pytester, tmp_path):
    from iam_compliance.snapshot import document as snapshot_file
    from tests_selftest.harness import run_checks
    from tests_selftest.test_snapshot import VALID

    path = snapshot_file.save(VALID, tmp_path / "s.json")
    results, code = run_checks(pytester, path, "--set", "users.inactivity_days=soon")
    assert code == pytest.ExitCode.USAGE_ERROR and not results.items
