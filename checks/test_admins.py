"""Administrator controls (catalogue section C): how many admins there are, and who may be one.

The admin definition (fixtures/admins.py, README "Who counts as an administrator"): AWS-managed
AdministratorAccess, or an Allow of ``*`` on ``*`` in any identity policy's default version, voided by
a non-admin permissions boundary or an unconditioned Deny of everything; settings ``admins.*``.
"""

from __future__ import annotations

from iam_compliance.analysis.admins import AdminVerdict, admins, evaluate_admin, is_approved, uncounted_admin_roles
from iam_compliance.controls import Finding, control, not_applicable
from iam_compliance.model.iam import Account, Group, Principal, User
from iam_compliance.analysis.policy import AdminRules
from iam_compliance.model.principals import detach_command, principal_id
from iam_compliance.settings import Settings


def _listed(verdicts: list[AdminVerdict]) -> str:
    return "; ".join(f"{principal_id(v.principal)} through {v.how()}" for v in verdicts) or "none"


def _admin_evidence(verdicts: list[AdminVerdict], account: Account, settings: Settings) -> dict:
    rules = AdminRules.from_settings(settings.admins)
    return {
        "admins": {principal_id(v.principal): v.how() for v in verdicts},
        "scope": settings.admins.scope,
        "admin_roles_not_counted": uncounted_admin_roles(account.snapshot, rules, settings.admins.scope),
    }


def _counted_admins(account: Account, settings: Settings) -> list[AdminVerdict]:
    return admins(account.snapshot, AdminRules.from_settings(settings.admins), settings.admins.scope)


@control(
    "admin_count_minimum", severity="low", sources=["authorization_details"],
    refs={"seed": 7},
    remediation="Give a second, named person administrator access (e.g. aws iam add-user-to-group "
                "--group-name <admin group> --user-name <user>) or create a break-glass role for emergencies.",
)
def test_admin_count_minimum(account: Account, settings: Settings) -> None:
    """The account has at least the minimum number of administrators (admins.minimum, default 2).

    One administrator is a single point of failure: if that person leaves or loses their MFA device,
    nobody can administer the account without the root user. Counted: IAM users and, under
    ``admins.scope: users_and_human_roles`` (default), roles people can assume (SAML/OIDC federation,
    IAM Identity Center, AWS principals). Service-linked and service-only roles are not counted.
    """
    minimum = settings.admins.minimum
    verdicts = _counted_admins(account, settings)
    if len(verdicts) < minimum:
        count = f"{len(verdicts)} administrator{'' if len(verdicts) == 1 else 's'}" if verdicts else "no administrator"
        raise Finding(
            f"Account {account.id} has {count} (counting {settings.admins.scope.replace('_', ' ')}); at least "
            f"{minimum} are required so that losing one does not leave the account without an administrator. "
            f"Admins: {_listed(verdicts)}.",
            evidence={**_admin_evidence(verdicts, account, settings), "minimum": minimum},
        )


@control(
    "admin_count_maximum", severity="medium", sources=["authorization_details"],
    refs={"seed": 8},
    remediation="Remove administrator access from everyone who does not need it: detach AdministratorAccess or "
                "the `*` policy, or remove the user from the admin group (aws iam remove-user-from-group).",
)
def test_admin_count_maximum(account: Account, settings: Settings) -> None:
    """The account has at most the maximum number of administrators (admins.maximum, default 3).

    Every administrator can do anything, including erasing the audit trail; the fewer, the smaller the
    blast radius of one stolen credential. The finding lists each admin and how it is one (group,
    inline or managed policy). Counted as in admin_count_minimum; admin roles that are not counted
    (machine identities) are listed in the evidence.
    """
    maximum = settings.admins.maximum
    verdicts = _counted_admins(account, settings)
    if len(verdicts) > maximum:
        raise Finding(
            f"Account {account.id} has {len(verdicts)} administrators (counting "
            f"{settings.admins.scope.replace('_', ' ')}); at most {maximum} are allowed. Admins: {_listed(verdicts)}.",
            evidence={**_admin_evidence(verdicts, account, settings), "maximum": maximum},
        )


@control(
    "admin_user_mfa_enabled", severity="high", sources=["authorization_details", "credential_report"],
    refs={"prowler": "iam_administrator_access_with_mfa",
          "steampipe": "iam_user_with_administrator_access_mfa_enabled"},
    remediation="Assign an MFA device to the administrator (aws iam create-virtual-mfa-device, then "
                "aws iam enable-mfa-device), or remove its administrator access.",
)
def test_admin_user_mfa_enabled(iam_user: User, settings: Settings) -> None:
    """Every administrator IAM user has MFA enabled.

    Read from the credential report's mfa_active. Applies to admins by the suite's definition
    (including admin rights inherited from groups); other users are not applicable. An admin without
    a console password still needs MFA: its access keys can be used to create one.
    """
    verdict = evaluate_admin(iam_user, AdminRules.from_settings(settings.admins))
    if not verdict.is_admin:
        reason = f" ({verdict.cancelled_by})" if verdict.cancelled_by else ""
        not_applicable(f"user {iam_user.name} is not an administrator{reason}.")
    credentials = iam_user.credentials
    if not credentials.mfa_active:
        keys = len(credentials.active_access_key_slots)
        access = "a console password" if credentials.password_enabled else "no console password"
        raise Finding(
            f"Administrator {iam_user.name} has no MFA device (credential report mfa_active=false; the user has "
            f"{access} and {keys} active access key{'' if keys == 1 else 's'}). "
            f"It is an administrator through {verdict.how()}.",
            evidence={"mfa_active": False, "admin_through": [r.describe() for r in verdict.reasons]},
            remediation=f"aws iam enable-mfa-device --user-name {iam_user.name} --serial-number <device-arn> "
                        "--authentication-code1 <code> --authentication-code2 <code>",
        )


@control(
    "principal_no_administrator_access", severity="high", sources=["authorization_details"],
    refs={"prowler": ("iam_user_administrator_access_policy", "iam_group_administrator_access_policy",
                      "iam_role_administratoraccess_policy")},
    remediation="Detach the administrator policy (aws iam detach-user-policy / detach-group-policy / "
                "detach-role-policy), or list the principal in admins.approved if it is a sanctioned admin.",
)
def test_principal_no_administrator_access(iam_principal: Principal, settings: Settings) -> None:
    """Users, groups and roles hold no administrator policy unless approved in admins.approved.

    Each principal is judged on its own inline and attached policies: a group's admin policy fails
    the group's item, not each member's. ``admins.approved`` takes names, ``kind/name`` or ARNs,
    with ``*`` globs (e.g. ``role/AWSReservedSSO_AdministratorAccess_*``). Service-linked roles are
    excluded; roles only AWS services can assume are included (an admin Lambda is a real risk).
    """
    verdict = evaluate_admin(iam_principal, AdminRules.from_settings(settings.admins), own_only=True)
    if not verdict.is_admin or is_approved(iam_principal, settings.admins.approved):
        return
    what = f"{iam_principal.kind.capitalize()} {iam_principal.name}"
    if isinstance(iam_principal, Group):
        members = iam_principal.member_names
        what += f" (members: {', '.join(members) if members else 'none'})"
    first = verdict.reasons[0].source
    raise Finding(
        f"{what} holds administrator access through {verdict.how()}, and is not listed in admins.approved.",
        evidence={"admin_through": [r.describe() for r in verdict.reasons], "approved": list(settings.admins.approved)},
        remediation=detach_command(iam_principal, first.arn, "" if first.arn else first.name)
        + " (or add it to admins.approved)",
    )
