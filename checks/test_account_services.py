"""Account-level IAM services and governance (catalogue section I)."""

from __future__ import annotations

from iam_compliance.controls import Finding, control, not_applicable
from iam_compliance.model.iam import Account, Principal
from iam_compliance.model.principals import is_approved
from iam_compliance.model.regional import EXTERNAL_ACCESS_TYPES, RegionAnalyzers
from iam_compliance.settings import Settings


def _first(names: list[str], shown: int = 20) -> str:
    """A readable list for a finding; the evidence keeps every name."""
    more = f" and {len(names) - shown} more" if len(names) > shown else ""
    return ", ".join(names[:shown]) + more


def _analyzer_list(analyzers: list[dict]) -> str:
    return ", ".join(f"{a.get('name')} ({a.get('type')}, {a.get('status')})" for a in analyzers)


@control(
    "access_analyzer_enabled", severity="medium", sources=["access_analyzers"],
    headline="Region has no active external access analyzer",
    refs={"cis-v5.0": "1.19", "cis-v3.0": "1.20", "security-hub": "IAM.28"},
    remediation="Create an external access analyzer in the region: "
                "aws accessanalyzer create-analyzer --analyzer-name external-access --type ACCOUNT --region <region>",
)
def test_access_analyzer_enabled(region_analyzers: RegionAnalyzers) -> None:
    """IAM Access Analyzer has an active external access analyzer in every region.

    One item per audited region. Passes when ListAnalyzers shows at least one analyzer of an
    external access type (ACCOUNT or ORGANIZATION) with status ACTIVE; unused-access and
    internal-access analyzers do not count, nor do analyzers that are CREATING, DISABLED or FAILED.

    Severity: medium here, high in Security Hub (IAM.28). A missing analyzer grants nobody access:
    it leaves external access to the account's resources unreported, so the risk is late detection,
    not exposure; the checks that find such access directly (trust policies) carry the higher ratings.
    """
    if region_analyzers.active_external:
        return
    region = region_analyzers.region
    others = (f"it has only {_analyzer_list(region_analyzers.analyzers)}" if region_analyzers.analyzers
              else "it has no analyzer at all")
    raise Finding(
        f"Region {region} has no active external access analyzer ({' or '.join(EXTERNAL_ACCESS_TYPES)} type); "
        f"{others}, so resources shared outside the account there go unnoticed.",
        evidence={"region": region, "analyzers": region_analyzers.analyzers},
        remediation="aws accessanalyzer create-analyzer --analyzer-name external-access --type ACCOUNT "
                    f"--region {region}",
    )


@control(
    "iam_users_managed_centrally", severity="low",
    headline="IAM users keep console passwords beside federation",
    sources=["saml_providers", "authorization_details", "credential_report"],
    refs={"cis-v5.0": "1.20", "cis-v3.0": "1.21"},
    remediation="Give people access through the identity provider (IAM Identity Center or a SAML role) and remove "
                "the IAM users' console passwords (aws iam delete-login-profile --user-name <name>); list "
                "break-glass users in users.console_users_allowed.",
)
def test_iam_users_managed_centrally(account: Account, settings: Settings) -> None:
    """People sign in through federation, not as IAM users, once the account has an identity provider.

    CIS treats this as a manual control; this is its automatable proxy. People federate through a
    SAML provider (ListSAMLProviders) or IAM Identity Center (its roles under
    /aws-reserved/sso.amazonaws.com/); OIDC providers are left out because they mostly serve
    workloads (CI, Kubernetes). Fails when such federation exists and IAM users still have console
    passwords (credential report), except those listed in ``users.console_users_allowed`` (names,
    ``user/name`` or ARNs, globs allowed). Passes when there is no federation: IAM alone cannot
    tell which account should federate.
    """
    snapshot = account.snapshot
    providers = [p["Arn"].rsplit("/", 1)[-1] for p in snapshot.data("saml_providers")]
    sso_roles = [role.name for role in snapshot.roles.values() if role.sso_reserved]
    federation = [f"SAML provider {name}" for name in providers] + (["IAM Identity Center"] if sso_roles else [])
    if not federation:
        return
    allowed = settings.users.console_users_allowed
    console_users = [user for user in snapshot.users.values() if user.credentials.password_enabled]
    people = [user.name for user in console_users if not is_approved(user, allowed)]
    if people:
        raise Finding(
            f"Account {account.id} federates people through {', '.join(federation)}, yet {len(people)} IAM "
            f"user{'' if len(people) == 1 else 's'} still sign{'s' if len(people) == 1 else ''} in with a console "
            f"password: {_first(people)} (allowed break-glass users: {', '.join(allowed) or 'none'}).",
            evidence={"federation": federation, "console_users": people, "allowed": list(allowed)},
        )


@control(
    "iam_entities_tagged", severity="low", sources=["authorization_details"],
    headline="User or role lacks a required tag",
    refs={"security-hub": ("IAM.24", "IAM.25")},
    remediation="Tag the user or role: aws iam tag-user --user-name <name> --tags Key=<key>,Value=<value> "
                "(aws iam tag-role --role-name <name> for roles).",
)
def test_iam_entities_tagged(iam_user_or_role: Principal, settings: Settings) -> None:
    """IAM users and roles carry every tag key of tags.required_keys ({tags.required_keys}).

    Fails when a tag key of ``tags.required_keys`` is missing from the user or role (GAAD Tags;
    keys compare case-sensitively, as Security Hub's requiredTagKeys do; an empty value counts as
    present). Service-linked roles are excluded. With no required keys configured (the default)
    every item is not applicable.
    """
    required = settings.tags.required_keys
    if not required:
        not_applicable("no tag keys are required (tags.required_keys is empty).")
    missing = [key for key in required if key not in iam_user_or_role.tags]
    if missing:
        kind = iam_user_or_role.kind
        raise Finding(
            f"{kind.capitalize()} {iam_user_or_role.name} lacks the required tag{'' if len(missing) == 1 else 's'} "
            f"{', '.join(missing)} (it has: {', '.join(sorted(iam_user_or_role.tags)) or 'no tags'}).",
            evidence={"missing": missing, "tags": iam_user_or_role.tags},
            remediation=f"aws iam tag-{kind} --{kind}-name {iam_user_or_role.name} --tags "
                        + " ".join(f"Key={key},Value=<value>" for key in missing),
        )


@control(
    "security_contact_registered", severity="medium", sources=["security_contact"],
    headline="No security contact registered",
    refs={"cis-v5.0": "1.2", "cis-v3.0": "1.2", "security-hub": "Account.1"},
    remediation="aws account put-alternate-contact --alternate-contact-type SECURITY --name <team> --title <title> "
                "--email-address <security mailbox> --phone-number <phone>",
)
def test_security_contact_registered(account: Account) -> None:
    """A security alternate contact is registered for the account.

    AWS sends security notifications to it. Read with account:GetAlternateContact
    (AlternateContactType SECURITY): ResourceNotFoundException means none is registered.
    """
    if not account.snapshot.data("security_contact").get("registered"):
        raise Finding(
            f"Account {account.id} has no security alternate contact: AWS security notices reach only the root "
            "email address.",
            evidence={"registered": False},
        )
