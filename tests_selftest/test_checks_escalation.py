"""Self-tests for the privilege escalation checks, through moto and the real collector."""

from iam_compliance.analysis.escalation import METHODS, OWN_GROUP, POLICY
from iam_compliance.simulated.moto_account.builder import ACCOUNT_TRUST, allow, service_trust

ACCOUNT = "123456789012"
OWN_KEYS = allow("iam:CreateAccessKey", "arn:aws:iam::*:user/${aws:username}")


def document(*statements: dict) -> dict:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def seed(aws) -> None:
    admin = aws.aws_policy("AdministratorAccess")
    aws.role("ec2-admin", trust=service_trust("ec2.amazonaws.com"), managed=[admin])
    aws.role("lambda-worker", trust=service_trust("lambda.amazonaws.com"), managed=[admin])
    aws.user("launcher", inline={"launch": document(
        {"Effect": "Allow", "Action": "iam:PassRole", "Resource": f"arn:aws:iam::{ACCOUNT}:role/ec2-admin"},
        {"Effect": "Allow", "Action": "ec2:RunInstances", "Resource": "*"})})
    aws.user("launcher-elsewhere", inline={"launch": document(  # PassRole scoped to a role EC2 cannot take
        {"Effect": "Allow", "Action": "iam:PassRole", "Resource": f"arn:aws:iam::{ACCOUNT}:role/lambda-worker"},
        {"Effect": "Allow", "Action": "ec2:RunInstances", "Resource": "*"})})
    versioning = aws.policy("versioning", allow(["iam:CreatePolicyVersion", "s3:GetObject"],
                                                f"arn:aws:iam::{ACCOUNT}:policy/versioning"))
    aws.user("versioner", managed=[versioning])
    aws.user("key-maker", inline={"keys": allow("iam:CreateAccessKey", "arn:aws:iam::*:user/*")})
    aws.user("self-keys", inline={"own-keys": OWN_KEYS})
    aws.user("no-pass", inline={"launch-and-keys": document(
        {"Effect": "Allow", "Action": ["iam:PassRole", "ec2:RunInstances", "iam:CreateAccessKey"], "Resource": "*"},
        {"Effect": "Deny", "Action": "iam:PassRole", "Resource": "*"})})
    aws.user("root-like", managed=[admin])
    aws.role("bounded-dev", inline={"iam": allow("iam:*")}, boundary=aws.policy("s3-boundary", allow("s3:*")))


def test_principal_no_privilege_escalation(aws, audit):
    seed(aws)
    result = audit("principal_no_privilege_escalation")

    assert result.outcome("principal_no_privilege_escalation", "user/launcher") == "failed"
    assert result.message("principal_no_privilege_escalation", "user/launcher").startswith(
        "User launcher can make itself an administrator by 1 method: Launch an EC2 instance with a more privileged "
        f"role and read its credentials (iam_pass_role_ec2): iam:PassRole on arn:aws:iam::{ACCOUNT}:role/ec2-admin "
        f'(inline policy launch, statement 1: Allow Action "iam:PassRole" on Resource '
        f'"arn:aws:iam::{ACCOUNT}:role/ec2-admin"); ec2:RunInstances on '
    ), result.message("principal_no_privilege_escalation", "user/launcher")
    assert "Fix: aws iam delete-user-policy --user-name launcher --policy-name launch" in result.message(
        "principal_no_privilege_escalation", "user/launcher")
    assert result.outcome("principal_no_privilege_escalation", "user/launcher-elsewhere") == "passed"
    assert result.outcome("principal_no_privilege_escalation", "user/versioner") == "failed"
    assert result.message("principal_no_privilege_escalation", "user/versioner").startswith(
        "User versioner can make itself an administrator by 1 method: Create a new default version of a managed "
        f"policy (iam_create_policy_version): iam:CreatePolicyVersion on arn:aws:iam::{ACCOUNT}:policy/versioning "
        f"(managed policy versioning (arn:aws:iam::{ACCOUNT}:policy/versioning, version v1), statement 1: "
    ), result.message("principal_no_privilege_escalation", "user/versioner")
    assert (f"Fix: aws iam detach-user-policy --user-name versioner --policy-arn "
            f"arn:aws:iam::{ACCOUNT}:policy/versioning") in result.message("principal_no_privilege_escalation", "user/versioner")
    assert result.outcome("principal_no_privilege_escalation", "user/key-maker") == "failed"
    assert "Create an access key for another user (iam_create_access_key): iam:CreateAccessKey on " \
        f"arn:aws:iam::{ACCOUNT}:user/" in result.message("principal_no_privilege_escalation", "user/key-maker")
    assert result.outcome("principal_no_privilege_escalation", "user/self-keys") == "passed"  # ${aws:username}: its own keys only
    assert result.outcome("principal_no_privilege_escalation", "user/no-pass") == "failed"  # keys of others; the Deny closes PassRole
    message = result.message("principal_no_privilege_escalation", "user/no-pass")
    assert "(iam_create_access_key)" in message and "(iam_pass_role_ec2)" not in message.split("Closed by")[0]
    assert ("Closed by a Deny or the boundary: iam_pass_role_ec2 (iam:PassRole: explicitly denied by inline policy "
            'launch-and-keys, statement 2: Deny Action "iam:PassRole" on Resource "*")') in message, message
    assert result.outcome("principal_no_privilege_escalation", "user/root-like") == "skipped"
    assert result.message("principal_no_privilege_escalation", "user/root-like").startswith(
        "Not applicable: user root-like is already an administrator (managed policy AdministratorAccess")
    assert result.outcome("principal_no_privilege_escalation", "role/bounded-dev") == "passed"  # the boundary allows only s3


def test_policy_no_privilege_escalation(aws, audit):
    seed(aws)
    aws.policy("launch-any", allow(["iam:PassRole", "ec2:RunInstances"]))  # unattached: whoever gets it
    aws.policy("own-keys", OWN_KEYS)
    aws.policy("everything", allow("*"))
    result = audit("policy_no_privilege_escalation")

    assert result.outcome("policy_no_privilege_escalation", "launch-any") == "failed"
    assert result.message("policy_no_privilege_escalation", "launch-any").startswith(
        "Managed policy launch-any (default version v1) lets whoever holds it make itself an administrator by "
        "1 method: Launch an EC2 instance with a more privileged role and read its credentials (iam_pass_role_ec2): "
        "iam:PassRole on "), result.message("policy_no_privilege_escalation", "launch-any")
    assert "Held by: nothing (unattached).\nFix: aws iam create-policy-version --policy-arn " \
        f"arn:aws:iam::{ACCOUNT}:policy/launch-any --policy-document file://narrower.json --set-as-default" in \
        result.message("policy_no_privilege_escalation", "launch-any")
    assert result.outcome("policy_no_privilege_escalation", "versioning") == "failed"
    assert result.outcome("policy_no_privilege_escalation", "user/key-maker/keys") == "failed"
    assert "Held by: user key-maker.\nFix: aws iam put-user-policy --user-name key-maker --policy-name keys " \
        "--policy-document file://narrower.json (or aws iam delete-user-policy --user-name key-maker " \
        "--policy-name keys)" in result.message("policy_no_privilege_escalation", "user/key-maker/keys")
    assert result.outcome("policy_no_privilege_escalation", "own-keys") == "passed"
    # Judged alone, the policy cannot know that lambda-worker trusts only Lambda: whoever holds it elsewhere might
    # pass a role of that name to EC2. The principal check, which sees the account's roles, passes launcher-elsewhere.
    assert result.outcome("policy_no_privilege_escalation", "user/launcher-elsewhere/launch") == "failed"
    assert result.outcome("policy_no_privilege_escalation", "everything") == "skipped"
    assert result.outcome("policy_no_privilege_escalation", "aws/AdministratorAccess") == "skipped"
    assert result.outcome("policy_no_privilege_escalation", "s3-boundary") == "skipped"


def _method_users(aws) -> dict[str, tuple[str, str]]:
    """For every method a user can hold: a user granted exactly its actions, and one granted all but the last need.

    Returns method id -> (name of the user that can escalate, name of the user that cannot by this method).
    """
    admin = aws.aws_policy("AdministratorAccess")
    services = sorted({need.passed_to for method in METHODS for need in method.needs if need.passed_to})
    for service in services:  # a more privileged role each PassRole method could hand to its service
        aws.role(f"admin-for-{service.split('.')[0]}", trust=service_trust(service), managed=[admin])
    aws.role("assumable-admin", trust=ACCOUNT_TRUST, managed=[admin])
    aws.group("power", managed=[admin])
    users = {}
    for index, method in enumerate(m for m in METHODS if "user" in m.holders and not m.only_with_boundary):
        actions = [need.actions[0] for need in method.needs]
        found, missing = f"esc-{index}", f"esc-{index}-partial"
        groups = ["esc-members"] if any(need.relation == OWN_GROUP for need in method.needs) else []
        partial = actions[:-1] or ["iam:GetUser"]  # without its last need the method is out of reach
        if any(need.resource == POLICY for need in method.needs):  # rewrites a policy the user holds
            aws.user(found, managed=[aws.policy(f"method-{index}", allow(actions))], groups=groups)
            aws.user(missing, managed=[aws.policy(f"method-{index}-partial", allow(partial))], groups=groups)
        else:
            aws.user(found, inline={"method": allow(actions)}, groups=groups)
            aws.user(missing, inline={"method": allow(partial)}, groups=groups)
        users[method.id] = (found, missing)
    return users


def test_every_escalation_method_is_found_and_not_found_through_the_collector(aws, audit):
    aws.group("esc-members")
    users = _method_users(aws)
    result = audit("principal_no_privilege_escalation")

    for method_id, (found, missing) in users.items():
        assert result.outcome("principal_no_privilege_escalation", f"user/{found}") == "failed", method_id
        assert f"({method_id})" in result.message("principal_no_privilege_escalation", f"user/{found}"), method_id
        assert f"({method_id})" not in result.message("principal_no_privilege_escalation", f"user/{missing}"), \
            method_id


def test_role_and_boundary_methods_are_found_and_not_found_through_the_collector(aws, audit):
    """Methods only a role holds (its own policies), and removing or replacing its own permissions boundary."""
    admin = aws.aws_policy("AdministratorAccess")
    narrow = aws.policy("s3-only-boundary", allow("s3:*"))
    roles = {}
    for index, method in enumerate(m for m in METHODS if "role" in m.holders and "user" not in m.holders):
        actions = [need.actions[0] for need in method.needs]
        aws.role(f"esc-role-{index}", trust=ACCOUNT_TRUST, inline={"method": allow(actions)})
        aws.role(f"esc-role-{index}-partial", trust=ACCOUNT_TRUST, inline={"method": allow("iam:GetRole")})
        roles[method.id] = (f"esc-role-{index}", f"esc-role-{index}-partial")
    for index, method in enumerate(m for m in METHODS if m.only_with_boundary):
        role_action = next(a for a in method.needs[0].actions if "Role" in a)
        # Administrator by its policies, held to S3 by a boundary that still lets it change that boundary:
        # removing or replacing the boundary makes it an administrator. Without that action it cannot.
        loose = aws.policy(f"s3-and-boundary-{index}", allow(["s3:*", role_action]))
        aws.role(f"bounded-{index}", trust=ACCOUNT_TRUST, managed=[admin], boundary=loose)
        aws.role(f"bounded-{index}-partial", trust=ACCOUNT_TRUST, managed=[admin], boundary=narrow)
        roles[method.id] = (f"bounded-{index}", f"bounded-{index}-partial")
    result = audit("principal_no_privilege_escalation")

    for method_id, (found, missing) in roles.items():
        assert result.outcome("principal_no_privilege_escalation", f"role/{found}") == "failed", method_id
        assert f"({method_id})" in result.message("principal_no_privilege_escalation", f"role/{found}"), method_id
        assert f"({method_id})" not in result.message("principal_no_privilege_escalation", f"role/{missing}"), \
            method_id
