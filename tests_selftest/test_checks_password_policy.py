"""Self-tests for the account password policy checks, audited with the real collector against moto."""

from __future__ import annotations


from moto.core import DEFAULT_ACCOUNT_ID as ACCOUNT

from tests_selftest.harness import audit_snapshot, collect_snapshot

POLICY_CHECKS = (
    "password_policy_exists", "password_policy_min_length", "password_policy_reuse_prevention",
    "password_policy_character_class", "password_policy_max_age",
)
CLASSES = ("uppercase", "lowercase", "numbers", "symbols")
AT_THRESHOLDS = dict(
    MinimumPasswordLength=14, PasswordReusePrevention=24, MaxPasswordAge=90, RequireUppercaseCharacters=True,
    RequireLowercaseCharacters=True, RequireNumbers=True, RequireSymbols=True,
)


def klass(name: str) -> str:
    return f"{name}-{ACCOUNT}"


def test_policy_exactly_at_thresholds(aws, audit):
    aws.password_policy(**AT_THRESHOLDS)
    result = audit(*POLICY_CHECKS)
    assert result.outcome("password_policy_exists", ACCOUNT) == "passed"
    assert result.outcome("password_policy_min_length", ACCOUNT) == "passed"
    assert result.outcome("password_policy_reuse_prevention", ACCOUNT) == "passed"
    assert result.outcome("password_policy_max_age", ACCOUNT) == "passed"
    for name in CLASSES:
        assert result.outcome("password_policy_character_class", klass(name)) == "passed"


def test_stricter_policy_passes(aws, audit):
    aws.password_policy(MinimumPasswordLength=32, PasswordReusePrevention=24, MaxPasswordAge=30,
                        RequireUppercaseCharacters=True)
    result = audit("password_policy_min_length", "password_policy_max_age")
    assert result.outcome("password_policy_min_length", ACCOUNT) == "passed"
    assert result.outcome("password_policy_max_age", ACCOUNT) == "passed"


def test_policy_just_below_thresholds(aws, audit):
    aws.password_policy(MinimumPasswordLength=13, PasswordReusePrevention=23, MaxPasswordAge=91,
                        RequireUppercaseCharacters=True, RequireNumbers=True, AllowUsersToChangePassword=True)
    result = audit(*POLICY_CHECKS)
    assert result.outcome("password_policy_exists", ACCOUNT) == "passed"

    assert result.outcome("password_policy_min_length", ACCOUNT) == "failed"
    # The fix keeps the rest of the policy: update-account-password-policy replaces all of it.
    assert result.message("password_policy_min_length", ACCOUNT) == (
        f"Account {ACCOUNT}'s password policy allows passwords of 13 characters; at least 14 is required.\n"
        "Fix: aws iam update-account-password-policy --minimum-password-length 14 --require-numbers "
        "--require-uppercase-characters --allow-users-to-change-password --max-password-age 91 "
        "--password-reuse-prevention 23"
    )
    assert result.outcome("password_policy_reuse_prevention", ACCOUNT) == "failed"
    assert result.message("password_policy_reuse_prevention", ACCOUNT).startswith(
        f"Account {ACCOUNT}'s password policy remembers only the last 23 passwords; "
        "at least the last 24 must be remembered.\nFix: "
    )
    assert result.outcome("password_policy_max_age", ACCOUNT) == "failed"
    assert result.message("password_policy_max_age", ACCOUNT).startswith(
        f"Account {ACCOUNT}'s password policy expires passwords after 91 days; at most 90 is required.\n"
        "Fix: aws iam update-account-password-policy --minimum-password-length 13 --require-numbers "
        "--require-uppercase-characters --allow-users-to-change-password --max-password-age 90 "
        "--password-reuse-prevention 23"
    )
    assert result.outcome("password_policy_character_class", klass("uppercase")) == "passed"
    assert result.outcome("password_policy_character_class", klass("numbers")) == "passed"
    assert result.outcome("password_policy_character_class", klass("lowercase")) == "failed"
    assert result.message("password_policy_character_class", klass("lowercase")).startswith(
        f"Account {ACCOUNT}'s password policy does not require a lowercase letter (a-z) "
        "(RequireLowercaseCharacters is false).\nFix: aws iam update-account-password-policy "
        "--minimum-password-length 13 --require-numbers --require-uppercase-characters --require-lowercase-characters"
    )
    assert result.outcome("password_policy_character_class", klass("symbols")) == "failed"
    assert "does not require a symbol such as ! @ # $ % (RequireSymbols is false)" in result.message(
        "password_policy_character_class", klass("symbols"))


def test_policy_without_reuse_prevention_or_expiry(aws, audit):
    aws.password_policy(MinimumPasswordLength=14)
    result = audit("password_policy_reuse_prevention", "password_policy_max_age")
    assert result.outcome("password_policy_reuse_prevention", ACCOUNT) == "failed"
    assert result.message("password_policy_reuse_prevention", ACCOUNT).startswith(
        f"Account {ACCOUNT}'s password policy does not prevent password reuse; at least the last 24 must be remembered."
    )
    assert result.outcome("password_policy_max_age", ACCOUNT) == "failed"
    assert result.message("password_policy_max_age", ACCOUNT).startswith(
        f"Account {ACCOUNT}'s password policy never expires passwords; expiry within 90 days is required.\n"
        "Fix: aws iam update-account-password-policy --minimum-password-length 14 --max-password-age 90"
    )


def test_no_custom_policy(aws, audit):
    result = audit(*POLICY_CHECKS)
    recommended = (
        "Fix: aws iam update-account-password-policy --minimum-password-length 14 --require-symbols "
        "--require-numbers --require-uppercase-characters --require-lowercase-characters "
        "--allow-users-to-change-password --max-password-age 90 --password-reuse-prevention 24"
    )
    default = f"Account {ACCOUNT} has no custom password policy, so the AWS default applies: "
    assert result.outcome("password_policy_exists", ACCOUNT) == "failed"
    assert result.message("password_policy_exists", ACCOUNT) == (
        default + "passwords of at least 8 characters from three of the four character classes, never expiring, "
        "with no reuse prevention.\n" + recommended
    )
    assert result.outcome("password_policy_min_length", ACCOUNT) == "failed"
    assert result.message("password_policy_min_length", ACCOUNT) == (
        default + "a minimum length of 8; at least 14 is required.\n" + recommended
    )
    assert result.outcome("password_policy_reuse_prevention", ACCOUNT) == "failed"
    assert result.message("password_policy_reuse_prevention", ACCOUNT).startswith(
        default + "any earlier password can be reused; the last 24 must be remembered."
    )
    assert result.outcome("password_policy_max_age", ACCOUNT) == "failed"
    assert result.message("password_policy_max_age", ACCOUNT).startswith(
        default + "passwords never expire; expiry within 90 days is required."
    )
    for name in CLASSES:
        assert result.outcome("password_policy_character_class", klass(name)) == "failed"
    assert result.message("password_policy_character_class", klass("numbers")).startswith(
        default + "no single character class is required (any three of four); every password must contain a number (0-9)."
    )


def test_thresholds_are_settings(aws, audit):
    aws.password_policy(MinimumPasswordLength=10, PasswordReusePrevention=5, MaxPasswordAge=180)
    args = ["--set", "password_policy.min_length=10", "--set", "password_policy.reuse_prevention=5",
            "--set", "password_policy.max_age_days=180", "--set", "password_policy.character_classes=[symbols]"]
    result = audit(*POLICY_CHECKS, args=args)
    assert result.outcome("password_policy_min_length", ACCOUNT) == "passed"
    assert result.outcome("password_policy_reuse_prevention", ACCOUNT) == "passed"
    assert result.outcome("password_policy_max_age", ACCOUNT) == "passed"
    assert result.entities("password_policy_character_class") == [klass("symbols")]


def test_character_classes_map_to_their_security_hub_controls(aws, audit):
    aws.password_policy(**AT_THRESHOLDS)
    result = audit("password_policy_character_class")
    controls = {name: set(result.item("password_policy_character_class", klass(name)).compliance) for name in CLASSES}
    assert controls == {
        name: {"security-hub:IAM.7", f"security-hub:{hub}", "seed:23"}
        for name, hub in (("uppercase", "IAM.11"), ("lowercase", "IAM.12"), ("numbers", "IAM.14"), ("symbols", "IAM.13"))
    }


def test_character_class_settings(aws, audit):
    aws.password_policy(**AT_THRESHOLDS)
    result = audit("password_policy_character_class", args=["--set", "password_policy.character_classes=[]"])
    assert result.outcome("password_policy_character_class", f"none-{ACCOUNT}") == "skipped"
    assert result.message("password_policy_character_class", f"none-{ACCOUNT}") == (
        "Not applicable: password_policy.character_classes is empty, so no character class is required."
    )

    result = audit("password_policy_character_class",
                   args=["--set", "password_policy.character_classes=[numbers, symbols, numbers]"])
    assert result.entities("password_policy_character_class") == [klass("numbers"), klass("symbols")]
    assert result.outcome("password_policy_character_class", klass("numbers")) == "passed"


def test_password_checks_fail_closed(aws, audit):
    aws.password_policy(**AT_THRESHOLDS)
    result = audit(*POLICY_CHECKS, failures={"GetAccountPasswordPolicy": "AccessDenied"})
    for check_id, entity in [(c, ACCOUNT) for c in POLICY_CHECKS if c != "password_policy_character_class"] + [
            ("password_policy_character_class", klass(name)) for name in CLASSES]:
        assert result.outcome(check_id, entity) == "error"
        assert "Data source 'password_policy' could not be read: AccessDenied" in result.message(check_id, entity)


def test_malformed_policy_values_are_errors(aws, pytester, tmp_path):
    aws.password_policy(**AT_THRESHOLDS)
    doc = collect_snapshot()
    doc["sources"]["password_policy"]["data"]["policy"].update(MinimumPasswordLength="14", RequireSymbols="yes")
    result = audit_snapshot(pytester, tmp_path, doc, ["password_policy_min_length", "password_policy_character_class"])
    assert result.outcome("password_policy_min_length", ACCOUNT) == "error"
    assert result.message("password_policy_min_length", ACCOUNT) == (
        "Could not evaluate: The password policy's MinimumPasswordLength is not a whole number: '14'."
    )
    assert result.outcome("password_policy_character_class", klass("symbols")) == "error"
    assert result.message("password_policy_character_class", klass("symbols")) == (
        "Could not evaluate: The password policy's RequireSymbols is not true or false: 'yes'."
    )
