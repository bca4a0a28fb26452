"""Build an IAM account state in moto: users, groups, roles, policies, root, certificates.

Entities are created through the IAM API (boto3 against moto) and then backdated in moto's
backend, so ages are exact: ``age_days=91`` means created 91 days before the builder's ``now``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Iterable, Mapping

import boto3
from moto.core import DEFAULT_ACCOUNT_ID
from moto.iam.models import AccessKeyLastUsed, AWSManagedPolicy, iam_backends

from iam_compliance.simulated.moto_account import activity
from iam_compliance.simulated.moto_account.certs import self_signed
from iam_compliance.simulated.moto_account.gaps import REPORT_TIMES, ROOTS, RootState
from iam_compliance.simulated.moto_account.regional import RegionalResources

ACCOUNT_TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{DEFAULT_ACCOUNT_ID}:root"}, "Action": "sts:AssumeRole"}
]}


def service_trust(service: str) -> dict:
    return {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}
    ]}


def allow(actions: str | list[str], resources: str | list[str] = "*", **extra: Any) -> dict:
    """A one-statement policy document."""
    return {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": actions, "Resource": resources, **extra}]}


@dataclass
class Key:
    """An access key: its age, when it was last used (None: never) and whether it is active."""

    age_days: float = 10
    last_used_days: float | None = None
    active: bool = True
    service: str = "s3"
    region: str = "us-east-1"


@dataclass
class Root:
    """The root user: moto has none, so this state is served by the gap patches."""

    age_days: int = 1500
    password: bool = True
    password_last_used_days: int | None = None
    mfa: str | None = None  # None, "virtual" or "hardware"
    keys: list[Key] = field(default_factory=list)
    certificates: list[tuple[int, bool]] = field(default_factory=list)  # (age in days, active)


class MotoAccount(RegionalResources):
    """Seeds one account inside an active ``mock_aws()`` (or ThreadedMotoServer) with ``moto_gaps()``."""

    def __init__(self, account_id: str = DEFAULT_ACCOUNT_ID, region: str = "us-east-1", now: datetime | None = None):
        self.account_id = account_id
        self.region = region
        # Naive UTC as moto stores it, in whole seconds as the snapshot's collected_at is: otherwise
        # collected_at can fall before ``now`` and an entity seeded exactly N days old looks N-1 days old.
        self.now = (now or datetime.now(timezone.utc)).replace(tzinfo=None, microsecond=0)
        self.iam = boto3.client(
            "iam", region_name=region, aws_access_key_id="seed", aws_secret_access_key="seed",
        )
        self.backend = iam_backends[account_id]["global"]

    def at(self, days_ago: float) -> datetime:
        return self.now - timedelta(days=days_ago)

    def ago(self, days: float | None) -> datetime | None:
        """The time ``days`` ago; None stays None (never)."""
        return None if days is None else self.at(days)

    def arn(self, kind: str, name: str) -> str:
        return f"arn:aws:iam::{self.account_id}:{kind}/{name}"

    # --- policies -------------------------------------------------------------------------

    def policy(self, name: str, document: Mapping, *, path: str = "/", description: str = "") -> str:
        response = self.iam.create_policy(
            PolicyName=name, Path=path, PolicyDocument=json.dumps(document), Description=description
        )
        arn: str = response["Policy"]["Arn"]
        return arn

    def policy_version(self, arn: str, document: Mapping, *, default: bool = False) -> None:
        self.iam.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(document), SetAsDefault=default)

    def aws_policy(self, name: str) -> str:
        """Load one AWS-managed policy (loading all 1,485 costs a second per backend)."""
        arn = f"arn:aws:iam::aws:policy/{name}"
        if arn not in self.backend.managed_policies:
            from moto.iam.aws_managed_policies import aws_managed_policies_data

            data = json.loads(aws_managed_policies_data)[name]
            policy = AWSManagedPolicy.from_data(name, self.account_id, self.region, data)
            self.backend.aws_managed_policies.append(policy)
            self.backend.managed_policies[policy.arn] = policy
        return arn

    # --- principals -----------------------------------------------------------------------

    def group(self, name: str, *, inline: Mapping[str, Mapping] = {}, managed: Iterable[str] = (),
              age_days: int = 400, path: str = "/") -> None:
        self.iam.create_group(GroupName=name, Path=path)
        for policy_name, document in inline.items():
            self.iam.put_group_policy(GroupName=name, PolicyName=policy_name, PolicyDocument=json.dumps(document))
        for arn in managed:
            self.iam.attach_group_policy(GroupName=name, PolicyArn=arn)
        self.backend.groups[name].create_date = self.at(age_days)

    def user(
        self,
        name: str,
        *,
        age_days: float = 400,
        password: bool = False,
        password_last_used_days: int | None = None,
        password_changed_days: int | None = None,
        mfa: str | None = None,
        keys: Iterable[Key] = (),
        signing_certificates: Iterable[tuple[int, bool]] = (),
        groups: Iterable[str] = (),
        inline: Mapping[str, Mapping] = {},
        managed: Iterable[str] = (),
        tags: Mapping[str, str] = {},
        path: str = "/",
    ) -> None:
        self.iam.create_user(
            UserName=name, Path=path, **({"Tags": [{"Key": k, "Value": v} for k, v in tags.items()]} if tags else {})
        )
        user = self.backend.users[name]
        user.create_date = self.at(age_days)
        if password:
            self.iam.create_login_profile(UserName=name, Password="Demo-password-1!")
            setattr(user, "password_last_used", self.ago(password_last_used_days))  # moto types it as always None
            # Not a moto attribute: the credential report gap patch reads it.
            setattr(user, "password_last_changed",
                    self.at(password_changed_days if password_changed_days is not None else age_days))
        if mfa:
            self._enable_mfa(name, mfa)
        for key in keys:
            created = self.iam.create_access_key(UserName=name)["AccessKey"]["AccessKeyId"]
            self._backdate_key(self.backend.access_keys[created], key)
        for age, active in signing_certificates:
            body, _ = self_signed(f"{name}-signing", self.at(age), self.now + timedelta(days=365))
            cert_id = self.iam.upload_signing_certificate(UserName=name, CertificateBody=body)["Certificate"]["CertificateId"]
            user.signing_certificates[cert_id].upload_date = self.at(age)
            if not active:
                self.iam.update_signing_certificate(UserName=name, CertificateId=cert_id, Status="Inactive")
        for group in groups:
            self.iam.add_user_to_group(GroupName=group, UserName=name)
        for policy_name, document in inline.items():
            self.iam.put_user_policy(UserName=name, PolicyName=policy_name, PolicyDocument=json.dumps(document))
        for arn in managed:
            self.iam.attach_user_policy(UserName=name, PolicyArn=arn)

    def _enable_mfa(self, user_name: str, kind: str) -> None:
        if kind == "virtual":
            serial = self.iam.create_virtual_mfa_device(VirtualMFADeviceName=user_name)["VirtualMFADevice"]["SerialNumber"]
        else:
            serial = f"GAHT{abs(hash(user_name)) % 10**8:08d}"
        self.iam.enable_mfa_device(
            UserName=user_name, SerialNumber=serial, AuthenticationCode1="123456", AuthenticationCode2="654321"
        )

    def _backdate_key(self, access_key: Any, key: Key) -> None:
        access_key.create_date = self.at(key.age_days)
        access_key.status = "Active" if key.active else "Inactive"
        if key.last_used_days is not None:
            access_key.last_used = AccessKeyLastUsed(self.at(key.last_used_days), key.service, key.region)

    def role(
        self,
        name: str,
        *,
        trust: Mapping | None = None,
        path: str = "/",
        age_days: int = 400,
        last_used_days: int | None = None,
        last_used_region: str = "us-east-1",
        inline: Mapping[str, Mapping] = {},
        managed: Iterable[str] = (),
        description: str = "",
        tags: Mapping[str, str] = {},
        boundary: str | None = None,
    ) -> None:
        kwargs: dict[str, Any] = {"Description": description} if description else {}
        if tags:
            kwargs["Tags"] = [{"Key": k, "Value": v} for k, v in tags.items()]
        if boundary:
            kwargs["PermissionsBoundary"] = boundary
        self.iam.create_role(RoleName=name, Path=path, AssumeRolePolicyDocument=json.dumps(trust or ACCOUNT_TRUST), **kwargs)
        for policy_name, document in inline.items():
            self.iam.put_role_policy(RoleName=name, PolicyName=policy_name, PolicyDocument=json.dumps(document))
        for arn in managed:
            self.iam.attach_role_policy(RoleName=name, PolicyArn=arn)
        role = self.backend.get_role(name)
        role.create_date = self.at(age_days)
        if last_used_days is not None:
            role.last_used = self.at(last_used_days)
            setattr(role, "last_used_region", last_used_region)  # moto types it as always None

    def service_activity(self, entity: str, services: Mapping[str, int | None] = {}, *,
                         failure: str | None = None) -> None:
        """What service-last-accessed jobs report for a user or role (name or ARN): namespace -> days
        since last authenticated (None: never in the tracking period); ``failure`` makes its jobs FAIL."""
        if not entity.startswith("arn:"):
            principals: list[Any] = [*self.backend.users.values(), *self.backend.roles.values()]
            arns = [principal.arn for principal in principals if principal.name == entity]
            if len(arns) != 1:
                raise ValueError(f"{entity!r} names {len(arns)} users and roles; pass the ARN instead.")
            entity = arns[0]
        activity.seed(entity, {namespace: self.ago(days) for namespace, days in services.items()}, failure)

    # --- account-wide ---------------------------------------------------------------------

    def root(self, root: Root) -> None:
        state = RootState(
            created=self.at(root.age_days),
            password=root.password,
            password_last_used=self.ago(root.password_last_used_days),
            mfa=root.mfa is not None,
            access_keys=[
                {"active": k.active, "created": self.ago(k.age_days), "last_used": self.ago(k.last_used_days),
                 "service": k.service, "region": k.region}
                for k in root.keys
            ],
            signing_certificates=[{"active": active, "uploaded": self.ago(age)} for age, active in root.certificates],
        )
        ROOTS[self.account_id] = state
        if root.mfa == "virtual":
            device = self.iam.create_virtual_mfa_device(VirtualMFADeviceName="root-account-mfa-device")
            virtual = self.backend.virtual_mfa_devices[device["VirtualMFADevice"]["SerialNumber"]]
            virtual.enable_date = self.now
            setattr(virtual, "user", _RootPrincipal(self.account_id, self.at(root.age_days)))  # moto expects a User

    def password_policy(self, **fields: Any) -> None:
        self.iam.update_account_password_policy(**fields)

    def server_certificate(self, name: str, *, expires_in_days: int, age_days: int = 300, path: str = "/") -> str:
        body, key = self_signed(f"{name}.example.com", self.at(age_days), self.now + timedelta(days=expires_in_days))
        response = self.iam.upload_server_certificate(
            ServerCertificateName=name, CertificateBody=body, PrivateKey=key, Path=path
        )
        # Not a moto attribute: the server-certificate gap patch reads it.
        setattr(self.backend.get_server_certificate(name), "upload_date", self.at(age_days))
        arn: str = response["ServerCertificateMetadata"]["Arn"]
        return arn

    def generate_credential_report(self, hours_ago: float | None = None) -> None:
        """AWS keeps a report for 4 hours; generating it up front spares the collector a poll.

        With ``hours_ago`` the report is the one AWS generated that long ago and still serves: access
        keys and users created since are missing from it.
        """
        self.iam.generate_credential_report()
        if hours_ago is not None:
            REPORT_TIMES[self.account_id] = self.now - timedelta(hours=hours_ago)


@dataclass
class _RootPrincipal:
    """What moto serializes as the User of a virtual MFA device assigned to root."""

    account_id: str
    create_date: datetime
    path: str = "/"
    name: str | None = None
    password_last_used: datetime | None = None

    @property
    def id(self) -> str:
        return self.account_id

    @property
    def arn(self) -> str:
        return f"arn:aws:iam::{self.account_id}:root"
