"""What a check can be parametrized over: entity kinds listed from the snapshot (fixture name -> how to
list them), and parameter kinds listed from the settings (e.g. the password character classes).

Entities carry the item's resource; parameters are plain text that tells items of one resource apart
(they become part of the finding id, e.g. ``#character_class=symbols``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from iam_compliance.model import credentials as model_credentials, regional as model_regional
from iam_compliance.model.iam import CHARACTER_CLASSES, Snapshot
from iam_compliance.model.principals import all_policies, principals
from iam_compliance.settings import Settings


@dataclass(frozen=True)
class EntityKind:
    fixture: str
    noun: str  # plural, for "The account has no ..."
    sources: tuple[str, ...]  # any one of them readable is enough to list the entities
    list_entities: Callable[[Snapshot], dict[str, Any]]  # test id -> entity, in a stable order


ENTITY_KINDS: dict[str, EntityKind] = {}


def register(kind: EntityKind) -> EntityKind:
    ENTITY_KINDS[kind.fixture] = kind
    return kind


register(EntityKind("account", "accounts", (), lambda s: {s.account_id: s.account}))
register(EntityKind("iam_user", "IAM users", ("authorization_details", "credential_report"), lambda s: s.users))
register(EntityKind("iam_group", "IAM groups", ("authorization_details",), lambda s: s.groups))
register(EntityKind(
    "iam_role", "IAM roles (service-linked roles excluded)", ("authorization_details",),
    lambda s: {name: role for name, role in s.roles.items() if not role.service_linked},
))
register(EntityKind("managed_policy", "managed policies", ("authorization_details",), lambda s: s.managed_policies))
register(EntityKind(
    "server_certificate", "IAM server certificates", ("server_certificates",), lambda s: s.server_certificates,
))
register(EntityKind("access_key", "IAM user access keys", ("access_keys",), model_credentials.access_keys))
register(EntityKind(
    "signing_certificate", "IAM user signing certificates", ("signing_certificates",),
    model_credentials.signing_certificates,
))
register(EntityKind(
    "iam_principal", "IAM users, groups and roles (service-linked roles excluded)", ("authorization_details",),
    principals,
))
register(EntityKind("iam_policy", "managed and inline policies", ("authorization_details",), all_policies))
register(EntityKind(
    "elb_certificate", "HTTPS/SSL/TLS load balancer listeners in the audited regions", ("load_balancers",),
    model_regional.load_balancer_certificates,
))
register(EntityKind(
    "acm_certificate", "ACM certificates in the audited regions", ("acm_certificates",), model_regional.acm_certificates,
))
register(EntityKind("region_analyzers", "audited regions", ("access_analyzers",), model_regional.region_analyzers))
register(EntityKind(
    "iam_user_or_role", "IAM users and roles (service-linked roles excluded)", ("authorization_details",),
    lambda s: {key: p for key, p in principals(s).items() if p.kind in ("user", "role")},
))


@dataclass(frozen=True)
class ParameterValue:
    value: str  # the item's test id and parameter value
    compliance: tuple[tuple[str, str], ...] = ()  # (framework, requirement) this value maps to, besides the check's


@dataclass(frozen=True)
class ParameterKind:
    fixture: str
    list_values: Callable[[Settings], list[ParameterValue]]  # in the order configured
    none_reason: str  # why the check is not applicable when there is no value


PARAMETER_KINDS: dict[str, ParameterKind] = {}


def register_parameter(kind: ParameterKind) -> ParameterKind:
    PARAMETER_KINDS[kind.fixture] = kind
    return kind


register_parameter(ParameterKind(
    "character_class",
    lambda settings: [ParameterValue(name, (("security-hub", CHARACTER_CLASSES[name].security_hub),))
                      for name in settings.password_policy.character_classes],
    "password_policy.character_classes is empty, so no character class is required.",
))
