"""Demo users for the credential checks: a service user in the middle of a key rotation."""

from __future__ import annotations

from iam_compliance.simulated.moto_account.builder import Key, MotoAccount


def seed(account: MotoAccount, arns: dict[str, str]) -> None:
    # The old key was deactivated after the switch to the new one and awaits deletion within the grace
    # period; a legacy signing certificate is already disabled.
    account.user("svc-payments", age_days=600, groups=["deployers"],
                 keys=[Key(age_days=20, last_used_days=6, active=False), Key(age_days=5, last_used_days=0)],
                 signing_certificates=[(400, False)])
