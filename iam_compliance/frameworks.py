"""The frameworks a check may reference, and their requirements: names, which can be automated, which are retired.

The reports resolve every reference through this table, score each framework per requirement, and list
the requirements no check decides, with why. A self-test asserts that every reference a check declares
resolves here and that every automated requirement of CIS v5.0 section 1 is mapped by a check.

Sources: the CIS AWS Foundations Benchmark v5.0.0 and v3.0.0 section 1 ("Identity and Access
Management"; v5.0.0 dropped v3.0.0's 1.3 security questions and renumbered, so its section 1 ends at
1.21), the AWS Security Hub CSPM control reference (IAM, Account and ACM controls, with their severities),
and the practices of the product brief, named after the catalogue rows that implement them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, NamedTuple

SEVERITIES = ("critical", "high", "medium", "low", "informational")


@dataclass(frozen=True)
class Framework:
    key: str  # what ``refs`` and the reports use: "cis-v5.0"
    keyword: str  # the marker keyword added to each mapped check: ``-m cis_v5``
    label: str  # the short name the reports show before a requirement: "CIS v5.0 1.4"
    name: str  # the full name


# The one table of frameworks a check may reference.
FRAMEWORK_TABLE: dict[str, Framework] = {f.key: f for f in (
    Framework("seed", "seed", "Practice", "Product brief practice"),
    Framework("cis-v5.0", "cis_v5", "CIS v5.0", "CIS AWS Foundations Benchmark v5.0.0"),
    Framework("cis-v3.0", "cis_v3", "CIS v3.0", "CIS AWS Foundations Benchmark v3.0.0"),
    Framework("security-hub", "security_hub", "Security Hub", "AWS Security Hub CSPM"),
    # Other tools' checks, for controls that no benchmark covers.
    Framework("prowler", "prowler", "Prowler", "Prowler check"),
    Framework("scoutsuite", "scoutsuite", "ScoutSuite", "ScoutSuite rule"),
    Framework("steampipe", "steampipe", "Steampipe", "Steampipe AWS Compliance control"),
    # AWS's own recommendation where no benchmark or tool has a control: the IAM User Guide page, by its file name.
    Framework("aws-iam-guide", "aws_iam_guide", "IAM User Guide", "AWS IAM User Guide recommendation"),
)}


class Reference(NamedTuple):
    """One compliance reference of a check: a framework key and a requirement id."""

    framework: str
    requirement: str

    def __str__(self) -> str:
        return f"{self.framework}:{self.requirement}"

    @classmethod
    def parse(cls, text: str) -> "Reference":
        """The inverse of str(): ``cis-v5.0:1.4``."""
        framework, _, requirement = text.partition(":")
        return cls(framework, requirement)

    @property
    def label(self) -> str:
        known = FRAMEWORK_TABLE.get(self.framework)
        return known.label if known else self.framework


@dataclass(frozen=True)
class Requirement:
    framework: str  # a FRAMEWORK_TABLE key: "cis-v5.0"
    id: str  # "1.4"
    title: str  # the requirement as the framework names it
    automated: bool = True  # False: no check of this suite decides it (needs a person, or data outside IAM)
    reason: str = ""  # why it is not automated; for a retired requirement, what replaced it
    retired: bool = False  # withdrawn by its publisher (e.g. Security Hub IAM.20): shown, never scored as current
    severity: str = ""  # the publisher's own severity, where it gives one (Security Hub)
    glossary: str = ""  # a short explanation for readers who have not seen the framework (the brief's practices)

    @property
    def reference(self) -> Reference:
        return Reference(self.framework, self.id)


def _cis(framework: str, rows: Iterable[tuple[str, str, str]]) -> list[Requirement]:
    """CIS rows: (id, title, why not automated or "")."""
    return [Requirement(framework, rid, title, automated=not why, reason=why) for rid, title, why in rows]


CONTACT_DETAILS = ("Only the account's contact details can show whether they reach more than one person and are "
                   "current; that is a person's judgement (the Billing console's Account page).")
SECURITY_QUESTIONS = "Security questions exist only in the console, and no API reads them."
INSTANCE_ROLES = ("Decided by EC2 data (DescribeInstances: IamInstanceProfile on each instance), which this IAM suite "
                  "does not collect.")

CIS_V5 = _cis("cis-v5.0", (
    ("1.1", "Maintain current contact details", CONTACT_DETAILS),
    ("1.2", "Ensure security contact information is registered", ""),
    ("1.3", "Ensure no 'root' user account access key exists", ""),
    ("1.4", "Ensure MFA is enabled for the 'root' user account", ""),
    ("1.5", "Ensure hardware MFA is enabled for the 'root' user account", ""),
    ("1.6", "Eliminate use of the 'root' user for administrative and daily tasks", ""),
    ("1.7", "Ensure IAM password policy requires minimum length of 14 or greater", ""),
    ("1.8", "Ensure IAM password policy prevents password reuse", ""),
    ("1.9", "Ensure multi-factor authentication (MFA) is enabled for all IAM users that have a console password", ""),
    ("1.10", "Do not create access keys during initial setup for IAM users with a console password", ""),
    ("1.11", "Ensure credentials unused for 45 days or more are disabled", ""),
    ("1.12", "Ensure there is only one active access key for any single IAM user", ""),
    ("1.13", "Ensure access keys are rotated every 90 days or less", ""),
    ("1.14", "Ensure IAM users receive permissions only through groups", ""),
    ("1.15", 'Ensure IAM policies that allow full "*:*" administrative privileges are not attached', ""),
    ("1.16", "Ensure a support role has been created to manage incidents with AWS Support", ""),
    ("1.17", "Ensure IAM instance roles are used for AWS resource access from instances", INSTANCE_ROLES),
    ("1.18", "Ensure that all expired SSL/TLS certificates stored in AWS IAM are removed", ""),
    ("1.19", "Ensure that IAM External Access Analyzer is enabled for all regions", ""),
    ("1.20", "Ensure IAM users are managed centrally via identity federation or AWS Organizations for "
             "multi-account environments", ""),
    ("1.21", "Ensure access to AWSCloudShellFullAccess is restricted", ""),
))

CIS_V3 = _cis("cis-v3.0", (
    ("1.1", "Maintain current contact details", CONTACT_DETAILS),
    ("1.2", "Ensure security contact information is registered", ""),
    ("1.3", "Ensure security questions are registered in the AWS account", SECURITY_QUESTIONS),
    ("1.4", "Ensure no 'root' user account access key exists", ""),
    ("1.5", "Ensure MFA is enabled for the 'root' user account", ""),
    ("1.6", "Ensure hardware MFA is enabled for the 'root' user account", ""),
    ("1.7", "Eliminate use of the 'root' user for administrative and daily tasks", ""),
    ("1.8", "Ensure IAM password policy requires minimum length of 14 or greater", ""),
    ("1.9", "Ensure IAM password policy prevents password reuse", ""),
    ("1.10", "Ensure multi-factor authentication (MFA) is enabled for all IAM users that have a console password", ""),
    ("1.11", "Do not setup access keys during initial user setup for all IAM users that have a console password", ""),
    ("1.12", "Ensure credentials unused for 45 days or greater are disabled", ""),
    ("1.13", "Ensure there is only one active access key available for any single IAM user", ""),
    ("1.14", "Ensure access keys are rotated every 90 days or less", ""),
    ("1.15", "Ensure IAM Users Receive Permissions Only Through Groups", ""),
    ("1.16", 'Ensure IAM policies that allow full "*:*" administrative privileges are not attached', ""),
    ("1.17", "Ensure a support role has been created to manage incidents with AWS Support", ""),
    ("1.18", "Ensure IAM instance roles are used for AWS resource access from instances", INSTANCE_ROLES),
    ("1.19", "Ensure that all the expired SSL/TLS certificates stored in AWS IAM are removed", ""),
    ("1.20", "Ensure that IAM Access analyzer is enabled for all regions", ""),
    ("1.21", "Ensure IAM users are managed centrally via identity federation or AWS Organizations for "
             "multi-account environments", ""),
    ("1.22", "Ensure access to AWSCloudShellFullAccess is restricted", ""),
))


def _sh(rid: str, title: str, severity: str, why: str = "", retired: bool = False) -> Requirement:
    return Requirement("security-hub", rid, title, automated=not why, reason=why, retired=retired, severity=severity)


SECURITY_HUB = [
    _sh("Account.1", "Security contact information should be provided for an AWS account", "medium"),
    _sh("ACM.1", "Imported and ACM-issued certificates should be renewed after a specified time period", "medium"),
    _sh("IAM.1", 'IAM policies should not allow full "*" administrative privileges', "high"),
    _sh("IAM.2", "IAM users should not have IAM policies attached", "low"),
    _sh("IAM.3", "IAM users' access keys should be rotated every 90 days or less", "medium"),
    _sh("IAM.4", "IAM root user access key should not exist", "critical"),
    _sh("IAM.5", "MFA should be enabled for all IAM users that have a console password", "medium"),
    _sh("IAM.6", "Hardware MFA should be enabled for the root user", "critical"),
    _sh("IAM.7", "Password policies for IAM users should have strong configurations", "medium"),
    _sh("IAM.8", "Unused IAM user credentials should be removed", "medium",
        "The 90-day variant of IAM.22: the unused-credential checks apply users.unused_password_days and "
        "users.unused_access_key_days (45 by default, as IAM.22 and CIS); a 45-day finding does not mean IAM.8 fails."),
    _sh("IAM.9", "MFA should be enabled for the root user", "critical"),
    _sh("IAM.10", "Password policies for IAM users should have strong configurations (PCI DSS)", "medium",
        "PCI DSS's fixed values (length 7, reuse 4, expiry 90 days, no symbols) are not assessed as one control; "
        "the password_policy_* checks assess each setting against the thresholds configured."),
    _sh("IAM.11", "Ensure IAM password policy requires at least one uppercase letter", "medium"),
    _sh("IAM.12", "Ensure IAM password policy requires at least one lowercase letter", "medium"),
    _sh("IAM.13", "Ensure IAM password policy requires at least one symbol", "medium"),
    _sh("IAM.14", "Ensure IAM password policy requires at least one number", "medium"),
    _sh("IAM.15", "Ensure IAM password policy requires minimum password length of 14 or greater", "medium"),
    _sh("IAM.16", "Ensure IAM password policy prevents password reuse", "low"),
    _sh("IAM.17", "Ensure IAM password policy expires passwords within 90 days or less", "low"),
    _sh("IAM.18", "Ensure a support role has been created to manage incidents with AWS Support", "low"),
    _sh("IAM.19", "MFA should be enabled for all IAM users", "medium"),
    Requirement("security-hub", "IAM.20", "Avoid the use of the root user", severity="low", retired=True,
                reason="Retired by AWS (it was a CloudWatch metric-filter check); root_not_recently_used decides "
                       "the same question from the credential report, as CIS v5.0 1.6 asks."),
    _sh("IAM.21", "IAM customer managed policies that you create should not allow wildcard actions for services",
        "low"),
    _sh("IAM.22", "IAM user credentials unused for 45 days should be removed", "medium"),
    _sh("IAM.23", "IAM Access Analyzer analyzers should be tagged", "low",
        "Needs the tags of each analyzer, which the collector does not read; tagging is an organisation's own "
        "convention (iam_entities_tagged covers users and roles)."),
    _sh("IAM.24", "IAM roles should be tagged", "low"),
    _sh("IAM.25", "IAM users should be tagged", "low"),
    _sh("IAM.26", "Expired SSL/TLS certificates managed in IAM should be removed", "medium"),
    _sh("IAM.27", "IAM identities should not have the AWSCloudShellFullAccess policy attached", "medium"),
    _sh("IAM.28", "IAM Access Analyzer external access analyzer should be enabled", "high"),
]


def _practice(number: int, name: str, glossary: str) -> Requirement:
    return Requirement("seed", str(number), name, glossary=glossary)


# The product brief's 23 IAM practices, named after the catalogue rows that implement them.
SEED_PRACTICES = [
    _practice(1, "No root access keys",
              "The root user has no access keys: they cannot be limited by any policy and open the whole account."),
    _practice(2, "Root access keys rotated",
              "A root access key that still exists was created recently (root.access_key_max_age_days)."),
    _practice(3, "No root signing certificates",
              "The root user has no X.509 signing certificates, long-lived credentials for legacy SOAP APIs."),
    _practice(4, "Root signing certificates rotated",
              "A root signing certificate that still exists was uploaded recently "
              "(root.signing_certificate_max_age_days)."),
    _practice(5, "Root user MFA",
              "The root user signs in with a second factor (MFA), so a stolen password alone is not enough."),
    _practice(6, "Root password rotated",
              "The root password was changed recently (root.password_max_age_days); no API shows the date, so it "
              "is attested in root.password_last_changed."),
    _practice(7, "Minimum number of administrators",
              "At least admins.minimum people can administer the account, so losing one does not lock it out."),
    _practice(8, "Maximum number of administrators",
              "At most admins.maximum people can administer the account: every administrator is a target."),
    _practice(9, "Inactive users removed",
              "IAM users with no sign-in and no access-key use for users.inactivity_days are deleted."),
    _practice(10, "User MFA",
              "IAM users sign in with MFA: every user with a console password, and with users.mfa_scope: all "
              "every user."),
    _practice(11, "Access keys rotated",
              "Active access keys are replaced at least every users.access_key_max_age_days days."),
    _practice(12, "Signing certificates rotated",
              "Active X.509 signing certificates of IAM users are replaced at least every "
              "users.signing_certificate_max_age_days days."),
    _practice(13, "Unused access keys disabled, inactive keys deleted",
              "An active key unused for users.unused_access_key_days is deactivated, and a deactivated key is "
              "deleted after users.inactive_access_key_grace_days."),
    _practice(14, "Unused console passwords disabled",
              "A console password unused for users.unused_password_days is removed (the login profile deleted)."),
    _practice(15, "Users use the services they are granted",
              "Users are not granted services they have not used for service_activity.unused_days "
              "(IAM's service last accessed data)."),
    _practice(16, "No inline policies on users",
              "Users get no inline policies: permissions live in managed policies attached to groups."),
    _practice(17, "At most one access key per user",
              "Each IAM user has at most one access key (active keys under users.access_key_count_mode: cis, "
              "any key under strict)."),
    _practice(18, "Inactive roles removed",
              "Roles not assumed for roles.inactivity_days are deleted."),
    _practice(19, "Roles use the services they are granted",
              "Roles are not granted services they have not used for service_activity.unused_days."),
    _practice(20, "No inline policies on roles",
              "Roles get no inline policies: permissions live in managed policies that can be reviewed and reused."),
    _practice(21, "Empty groups removed",
              "Groups without members are deleted, so that nobody is added to a forgotten group's permissions."),
    _practice(22, "Load balancer certificates renewed",
              "Certificates presented by load balancer listeners are renewed at least "
              "certificates.min_days_to_expiry days before they expire."),
    _practice(23, "Strong password policy",
              "The account has a custom password policy: minimum length, reuse prevention, required character "
              "classes and expiry as configured under password_policy."),
]


def _tool(framework: str, rid: str, title: str) -> Requirement:
    return Requirement(framework, rid, title)


# Other tools' checks and AWS guide pages that checks cite where no benchmark has a control.
OTHER_SOURCES = [
    _tool("prowler", "iam_administrator_access_with_mfa", "IAM group members granted AdministratorAccess have MFA "
                                                          "enabled"),
    _tool("prowler", "iam_user_administrator_access_policy", "IAM user does not have AdministratorAccess policy "
                                                             "attached"),
    _tool("prowler", "iam_group_administrator_access_policy", "IAM group does not have AdministratorAccess policy "
                                                              "attached"),
    _tool("prowler", "iam_role_administratoraccess_policy", "IAM role does not have AdministratorAccess policy "
                                                            "attached"),
    _tool("prowler", "iam_policy_allows_privilege_escalation", "Customer managed IAM policy does not allow actions "
                                                               "that can lead to privilege escalation"),
    _tool("prowler", "iam_inline_policy_allows_privilege_escalation", "IAM inline policy does not allow privilege "
                                                                      "escalation"),
    _tool("prowler", "iam_role_cross_service_confused_deputy_prevention", "IAM service role prevents cross-service "
                                                                          "confused deputy attack"),
    _tool("scoutsuite", "iam-assume-role-policy-allows-all", "AssumeRole Policy Allows All Principals"),
    _tool("scoutsuite", "iam-assume-role-lacks-external-id-and-mfa", "Cross-Account AssumeRole Policy Lacks External "
                                                                     "ID and MFA"),
    _tool("scoutsuite", "iam-group-with-inline-policies", "Group with Inline Policies"),
    _tool("steampipe", "iam_user_with_administrator_access_mfa_enabled", "IAM administrator users should have MFA "
                                                                         "enabled"),
    _tool("steampipe", "iam_group_user_role_no_inline_policies", "IAM groups, users, and roles should not have any "
                                                                 "inline policies"),
    _tool("aws-iam-guide", "id_roles_create_for-user_externalid", "Access to AWS accounts owned by third parties "
                                                                  "(external ID)"),
    _tool("aws-iam-guide", "confused-deputy", "The confused deputy problem"),
    _tool("aws-iam-guide", "id_roles_create_for-idp_saml", "Create a role for SAML 2.0 federation"),
    _tool("aws-iam-guide", "id_roles_create_for-idp_oidc", "Create a role for OpenID Connect federation"),
]

REQUIREMENTS: tuple[Requirement, ...] = (*SEED_PRACTICES, *CIS_V5, *CIS_V3, *SECURITY_HUB, *OTHER_SOURCES)
_BY_REFERENCE: dict[Reference, Requirement] = {r.reference: r for r in REQUIREMENTS}


def requirements(framework: str) -> list[Requirement]:
    """The framework's requirements in its own order."""
    return [r for r in REQUIREMENTS if r.framework == framework]


def requirement(reference: Reference) -> Requirement | None:
    return _BY_REFERENCE.get(Reference(*reference))


def described(reference: Reference) -> str:
    """A reference as a reader needs it: ``CIS v5.0 1.4: Ensure MFA is enabled for the 'root' user account``,
    ``Practice 5: Root user MFA``, with ``(retired)`` for a withdrawn requirement; by id alone when unknown."""
    found = requirement(reference)
    text = f"{reference.label} {reference.requirement}"
    if found is None:
        return text
    return f"{text}: {found.title}" + (" (retired)" if found.retired else "")


def security_hub_severity(references: Iterable[Reference]) -> str:
    """The highest severity Security Hub gives the current (not retired) controls among ``references``; ""
    when none is mapped."""
    found = [r.severity for r in map(requirement, references)
             if r is not None and r.framework == "security-hub" and not r.retired and r.severity in SEVERITIES]
    return min(found, key=SEVERITIES.index) if found else ""
