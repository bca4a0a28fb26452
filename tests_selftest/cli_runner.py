"""Run a finding's fix against moto: each ``aws <service> <command> --param value`` line becomes the boto3 call
botocore's service model defines, so a line runs only if AWS's own API model accepts it.

Operation names are ``xform_name(operation, "-")`` and parameters the ``--kebab-case`` of the input members;
values are parsed by shape type (string, integer, boolean flags, lists, JSON or shorthand structures,
``file://`` and ``fileb://``). The parameters are validated by botocore before the call.

Also understood: the list-then-delete loop ``for id in $(aws ... --query 'Q' --output text); do aws ... "$id";
done`` (JMESPath ``--query``, as the CLI applies it), the global options ``--region``, ``--query`` and
``--output``, and the AWS CLI's own options of ``create-virtual-mfa-device`` (``--outfile``,
``--bootstrap-method``, which write the QR code and are not API parameters). A line that is neither a command
nor a loop is a step for people (a sentence): it is returned, never run.

Where moto is more lenient than IAM, the runner enforces IAM's rule before the call, so an incomplete
sequence fails here as it would in AWS: DeleteUser needs the login profile, access keys, signing
certificates, SSH public keys, MFA devices, inline and attached policies and group memberships gone;
DeleteGroup needs no members and no policies; and every write to an IAM Identity Center or service-linked
role fails with UnmodifiableEntity (except DeleteServiceLinkedRole).
"""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import boto3
import jmespath
from botocore import xform_name
from botocore.exceptions import ClientError
from botocore.model import OperationModel, Shape
from botocore.validate import ParamValidator

LOOP = re.compile(r"^for (\w+) in \$\((aws .+)\); do (aws .+) \"\$\1\"; done$")
PLACEHOLDER = re.compile(r"<[^<>]+>")
GLOBAL_OPTIONS = {"--region", "--query", "--output"}
CLI_ONLY_OPTIONS = {"create-virtual-mfa-device": {"--outfile", "--bootstrap-method"}}
# moto implements no service-specific credentials: an account it simulates has none, so their listing is empty.
MOTO_EMPTY_LISTINGS = {("iam", "ListServiceSpecificCredentials"): {"ServiceSpecificCredentials": []}}
AWS_OWNED_PATHS = ("/aws-reserved/sso.amazonaws.com/", "/aws-service-role/")


class RejectedFix(AssertionError):
    """The line is not one AWS would accept (unknown command or parameter, bad value, or an AWS error)."""


@dataclass
class FixRun:
    """What running a fix did: the API calls made and the lines left to people."""

    calls: list[str] = field(default_factory=list)
    for_people: list[str] = field(default_factory=list)


@dataclass
class CliRunner:
    session: boto3.Session
    files: Path  # where file:// paths are read from
    placeholders: Mapping[str, str] = field(default_factory=dict)  # "<first code>" -> "123456"

    def run(self, fix: str) -> FixRun:
        done = FixRun()
        for line in fix.splitlines():
            line = line.strip()
            if line.startswith("for "):
                self._loop(line, done)
            elif line.startswith("aws "):
                self._command(line, done)
            elif line:
                done.for_people.append(line)
        return done

    # --- lines ------------------------------------------------------------------------------------------

    def _loop(self, line: str, done: FixRun) -> None:
        match = LOOP.match(line)
        if match is None:
            raise RejectedFix(f"not a list-then-delete loop the runner knows: {line}")
        listed = self._command(match.group(2), done)
        for value in listed if isinstance(listed, list) else [listed]:
            if value is not None:
                self._command(f"{match.group(3)} {shlex.quote(str(value))}", done)

    def _command(self, line: str, done: FixRun) -> Any:
        line = PLACEHOLDER.sub(self._placeholder, line)
        words = shlex.split(line)
        if len(words) < 3 or words[0] != "aws":
            raise RejectedFix(f"not an AWS CLI command: {line}")
        service, command, args = words[1], words[2], words[3:]
        region, query = "us-east-1", None
        client = self.session.client(service, region_name=region)
        model = client.meta.service_model
        names = {xform_name(name, "-"): name for name in model.operation_names}
        if command not in names:
            raise RejectedFix(f"{service} has no command {command}: {line}")
        operation = model.operation_model(names[command])
        params, options = self._parameters(operation, command, args, line)
        if "--region" in options:
            client = self.session.client(service, region_name=options["--region"])
        query = options.get("--query")
        report = ParamValidator().validate(params, operation.input_shape)
        if report.has_errors():
            raise RejectedFix(f"{line}\n{report.generate_report()}")
        self._enforce_iam_rules(service, operation.name, params)
        done.calls.append(line)
        missing = MOTO_EMPTY_LISTINGS.get((service, operation.name))
        if missing is not None:
            response: Any = missing
        else:
            try:
                response = getattr(client, xform_name(operation.name))(**params)
            except ClientError as exc:
                raise RejectedFix(f"AWS refused {line}: {exc}") from exc
        return jmespath.search(query, response) if query else response

    def _placeholder(self, match: re.Match) -> str:
        if match.group(0) not in self.placeholders:
            raise RejectedFix(f"the test gives no value for placeholder {match.group(0)}")
        return self.placeholders[match.group(0)]

    # --- parameters -------------------------------------------------------------------------------------

    def _parameters(self, operation: OperationModel, command: str, args: list[str],
                    line: str) -> tuple[dict, dict[str, str]]:
        shape = operation.input_shape
        members = {xform_name(name, "-"): name for name in (shape.members if shape else {})}
        params: dict[str, Any] = {}
        options: dict[str, str] = {}
        i = 0
        while i < len(args):
            flag = args[i]
            if not flag.startswith("--"):
                raise RejectedFix(f"unexpected value {flag!r}: {line}")
            name = flag[2:]
            values = []
            i += 1
            while i < len(args) and not args[i].startswith("--"):
                values.append(args[i])
                i += 1
            if flag in GLOBAL_OPTIONS or flag in CLI_ONLY_OPTIONS.get(command, ()):
                if len(values) != 1:
                    raise RejectedFix(f"{flag} takes one value: {line}")
                options[flag] = values[0]
                continue
            negated = name.startswith("no-") and name[3:] in members
            key = name[3:] if negated else name
            if key not in members or shape is None:
                raise RejectedFix(f"{command} has no parameter {flag}: {line}")
            member = shape.members[members[key]]
            params[members[key]] = self._value(member, values, negated, flag, line)
        if "--bootstrap-method" in options and options["--bootstrap-method"] not in ("QRCodePNG", "Base32StringSeed"):
            raise RejectedFix(f"--bootstrap-method must be QRCodePNG or Base32StringSeed: {line}")
        return params, options

    def _value(self, shape: Shape, values: list[str], negated: bool, flag: str, line: str) -> Any:
        kind = shape.type_name
        if kind == "boolean":
            if values:
                raise RejectedFix(f"{flag} is a flag and takes no value: {line}")
            return not negated
        if kind == "list":
            member = shape.member  # type: ignore[attr-defined]
            if len(values) == 1 and values[0].lstrip().startswith("["):
                return json.loads(values[0])
            return [self._scalar(member, value, flag, line) for value in values]
        if len(values) != 1:
            raise RejectedFix(f"{flag} takes one value, got {values}: {line}")
        return self._scalar(shape, values[0], flag, line)

    def _scalar(self, shape: Shape, value: str, flag: str, line: str) -> Any:
        kind = shape.type_name
        if value.startswith("file://"):
            value = (self.files / value[len("file://"):]).read_text(encoding="utf-8")
        elif value.startswith("fileb://"):
            return (self.files / value[len("fileb://"):]).read_bytes()
        try:
            if kind == "string":
                return value
            if kind in ("integer", "long"):
                return int(value)
            if kind in ("structure", "map"):
                if value.lstrip().startswith("{"):
                    return json.loads(value)
                return dict(pair.split("=", 1) for pair in value.split(","))  # shorthand Key=Value,...
            if kind == "timestamp":
                return value
            if kind == "blob":
                return value.encode()
        except ValueError as exc:
            raise RejectedFix(f"{flag} needs a {kind}, got {value!r}: {line}") from exc
        raise RejectedFix(f"{flag} has shape type {kind}, which the runner does not parse: {line}")

    # --- IAM's rules where moto is lenient --------------------------------------------------------------

    def _enforce_iam_rules(self, service: str, operation: str, params: dict) -> None:
        if service != "iam":
            return
        iam = self.session.client("iam")
        role = params.get("RoleName")
        if role and operation not in ("CreateRole", "DeleteServiceLinkedRole") \
                and not operation.startswith(("Get", "List")):
            path = iam.get_role(RoleName=role)["Role"]["Path"]
            if path.startswith(AWS_OWNED_PATHS):
                raise RejectedFix(f"AWS refused {operation} on role {role}: UnmodifiableEntity "
                                  f"(the role's path is {path}).")
        if operation == "DeleteUser":
            self._no_conflict(f"user {params['UserName']}", _user_leftovers(iam, params["UserName"]))
        if operation == "DeleteGroup":
            name = params["GroupName"]
            self._no_conflict(f"group {name}", {
                "members": [u["UserName"] for u in iam.get_group(GroupName=name)["Users"]],
                "inline policies": iam.list_group_policies(GroupName=name)["PolicyNames"],
                "attached policies": [p["PolicyArn"] for p in
                                      iam.list_attached_group_policies(GroupName=name)["AttachedPolicies"]],
            })

    @staticmethod
    def _no_conflict(what: str, leftovers: dict[str, list]) -> None:
        left = {kind: items for kind, items in leftovers.items() if items}
        if left:
            raise RejectedFix(f"AWS refused to delete {what}: DeleteConflict, it still has {left}")


def _user_leftovers(iam: Any, name: str) -> dict[str, list]:
    try:
        iam.get_login_profile(UserName=name)
        profile = ["login profile"]
    except ClientError:
        profile = []
    return {
        "login profile": profile,
        "access keys": [k["AccessKeyId"] for k in iam.list_access_keys(UserName=name)["AccessKeyMetadata"]],
        "signing certificates": [c["CertificateId"] for c in
                                 iam.list_signing_certificates(UserName=name)["Certificates"]],
        "SSH public keys": [k["SSHPublicKeyId"] for k in iam.list_ssh_public_keys(UserName=name)["SSHPublicKeys"]],
        "MFA devices": [d["SerialNumber"] for d in iam.list_mfa_devices(UserName=name)["MFADevices"]],
        "inline policies": iam.list_user_policies(UserName=name)["PolicyNames"],
        "attached policies": [p["PolicyArn"] for p in iam.list_attached_user_policies(UserName=name)["AttachedPolicies"]],
        "groups": [g["GroupName"] for g in iam.list_groups_for_user(UserName=name)["Groups"]],
    }
