"""Demo users for the credential checks: a service user in the middle of a key rotation, and a new hire.

The service user's new key was created an hour ago, after the credential report the audit reads (the
demo's report is two hours old, and AWS serves a report for four): the report does not show the key,
so its last use comes from GetAccessKeyLastUsed. The new hire's user was created after the report
too: its password and MFA device come from per-user calls.
"""

from __future__ import annotations

from iam_compliance.simulated.moto_account.builder import Key, MotoAccount

REPORT_AGE_HOURS = 2  # the credential report the audit reads was generated this long ago
NEW_KEY_AGE_DAYS = 1 / 24  # svc-payments' new key: an hour old, newer than the report
NEW_USER_AGE_DAYS = 1 / 24  # new-hire: created an hour ago, after the report


def seed(account: MotoAccount, arns: dict[str, str]) -> None:
    # The old key was deactivated after the switch to the new one and awaits deletion within the grace
    # period; a legacy signing certificate is already disabled.
    account.user("svc-payments", age_days=600, groups=["deployers"],
                 keys=[Key(age_days=20, last_used_days=6, active=False),
                       Key(age_days=NEW_KEY_AGE_DAYS, last_used_days=0)],
                 signing_certificates=[(400, False)])
    # Created after the report, with a console password and a virtual MFA device.
    account.user("new-hire", age_days=NEW_USER_AGE_DAYS, password=True, mfa="virtual")
