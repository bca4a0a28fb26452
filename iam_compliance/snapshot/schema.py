"""The snapshot's JSON Schema, checked by ``jsonschema`` when a snapshot is loaded.

The rule that keeps a damaged snapshot from passing: every container a check reads is **required**
wherever its source (or region, or user) says ``"status": "ok"``. A missing list never reads as
"none": the snapshot is refused and the run stops with the JSON path of the problem.

Beyond what JSON Schema expresses, two rules are checked with the schema's help:

- ``pastEvent`` (a keyword of this schema): a timestamp of something that had happened when the data
  was read (a creation, a last use, a report's generation) may not be later than ``collected_at``
  plus ``CLOCK_TOLERANCE``, since every age is measured from ``collected_at``.
- Coverage (``coverage_problems``): every region the ``regions`` source selected has an entry in each
  regional source, and every user whose credential report row shows an active access key or signing
  certificate has an entry in ``access_keys`` or ``signing_certificates``.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Iterator

from jsonschema import Draft202012Validator, ValidationError, validators

from iam_compliance.timeutil import parse_timestamp

# Data is read after collected_at (the collection's start); the longest collection takes far less than this.
CLOCK_TOLERANCE = timedelta(days=1)

TEXT = {"type": "string"}
NONEMPTY_TEXT = {"type": "string", "minLength": 1}
PAST = {"pastEvent": True}  # a timestamp (or a word such as "N/A"), not later than collected_at
OBJECT_LIST = {"type": "array", "items": {"type": "object"}}


def obj(required: dict[str, Any] | None = None, optional: dict[str, Any] | None = None) -> dict[str, Any]:
    """An object with these required and optional properties (others allowed: AWS adds fields)."""
    required = required or {}
    return {"type": "object", "required": sorted(required), "properties": {**(optional or {}), **required}}


def entry(ok: dict[str, Any], error_fields: dict[str, Any] | None = None,
          ok_optional: dict[str, Any] | None = None) -> dict[str, Any]:
    """``{"status": "ok", ...ok}`` or ``{"status": "error", "error": {...}}`` (iam_compliance.snapshot.failures)."""
    return {
        "type": "object", "required": ["status"],
        "properties": {"status": {"enum": ["ok", "error"]}},
        "allOf": [
            {"if": {"properties": {"status": {"const": "ok"}}}, "then": obj(ok, ok_optional)},
            {"if": {"properties": {"status": {"const": "error"}}},
             "then": obj({"error": ERROR, **(error_fields or {})})},
        ],
    }


# Recorded errors carry no control characters (iam_compliance.snapshot.failures strips them): a snapshot
# whose errors do was not written by the collector, and could put escape sequences on a terminal.
PRINTABLE = {"type": "string", "pattern": r"^[^\x00-\x1f\x7f-\x9f]*$"}
ERROR = obj({"code": PRINTABLE, "message": PRINTABLE})


def per_region(data: dict[str, Any]) -> dict[str, Any]:
    return obj({"regions": {"type": "object", "additionalProperties": entry({"data": data})}})


def per_user(field: str, item: dict[str, Any]) -> dict[str, Any]:
    credentials = {"type": "array", "items": item}
    return obj({"users": {"type": "object", "additionalProperties": entry(
        {"UserArn": NONEMPTY_TEXT, field: credentials}, {"UserArn": TEXT})}})


def entities(name_field: str, lists: tuple[str, ...], extra: dict[str, Any] | None = None,
             optional: dict[str, Any] | None = None) -> dict[str, Any]:
    """GAAD entities: the name, ARN and every list required; inline policies must be policy documents."""
    return {"type": "array", "items": obj(
        {name_field: NONEMPTY_TEXT, "Arn": NONEMPTY_TEXT,
         **{name: INLINE if name.endswith("PolicyList") else {"type": "array"} for name in lists}, **(extra or {})},
        {"CreateDate": PAST, **(optional or {})})}


# A policy document as IAM accepts it: a missing Statement or Effect would read as "grants nothing".
TEXT_OR_LIST = {"type": ["string", "array"], "items": TEXT}
STATEMENT = {
    "type": "object", "required": ["Effect"],
    "properties": {
        "Effect": {"enum": ["Allow", "Deny"]},
        **{name: TEXT_OR_LIST for name in ("Action", "NotAction", "Resource", "NotResource")},
        "Principal": {"type": ["string", "object"]}, "NotPrincipal": {"type": ["string", "object"]},
        "Condition": {"type": "object", "additionalProperties": {"type": "object"}},
    },
    "anyOf": [{"required": ["Action"]}, {"required": ["NotAction"]}],
}
POLICY_DOCUMENT = {
    "type": "object", "required": ["Statement"],
    "properties": {"Version": TEXT, "Statement": {
        "type": ["array", "object"], "if": {"type": "array"}, "then": {"items": STATEMENT}, "else": STATEMENT}},
}
# A trust policy says who may assume the role: a statement without a principal would read as "nobody".
TRUST_STATEMENT = {**STATEMENT, "allOf": [{"anyOf": [{"required": ["Principal"]}, {"required": ["NotPrincipal"]}]}]}
TRUST_DOCUMENT = {**POLICY_DOCUMENT, "properties": {"Version": TEXT, "Statement": {
    "type": ["array", "object"], "if": {"type": "array"}, "then": {"items": TRUST_STATEMENT}, "else": TRUST_STATEMENT}}}
INLINE = {"type": "array", "items": {"type": "object", "properties": {"PolicyDocument": POLICY_DOCUMENT}}}
REPORT_DATE_COLUMNS = (
    "user_creation_time", "password_last_used", "password_last_changed",
    *(f"access_key_{n}_{what}" for n in (1, 2) for what in ("last_rotated", "last_used_date")),
    *(f"cert_{n}_last_rotated" for n in (1, 2)),
)

SOURCES: dict[str, dict[str, Any]] = {
    "authorization_details": obj({
        "users": entities("UserName", ("UserPolicyList", "GroupList", "AttachedManagedPolicies", "Tags")),
        "groups": entities("GroupName", ("GroupPolicyList", "AttachedManagedPolicies")),
        "roles": entities("RoleName", ("RolePolicyList", "AttachedManagedPolicies", "Tags"),
                          {"AssumeRolePolicyDocument": TRUST_DOCUMENT},
                          {"RoleLastUsed": obj(optional={"LastUsedDate": PAST})}),
        "policies": {"type": "array", "items": obj(
            {"Arn": NONEMPTY_TEXT, "PolicyVersionList": {"type": "array", "items": obj(
                optional={"Document": POLICY_DOCUMENT})},
             "AttachmentCount": {"type": "integer", "minimum": 0}},
            {"CreateDate": PAST, "UpdateDate": PAST})},
    }),
    "credential_report": obj({
        "generated_at": {"type": "string", **PAST},
        "rows": {"type": "array", "minItems": 1, "items": obj(
            {"user": NONEMPTY_TEXT, "arn": NONEMPTY_TEXT}, {column: PAST for column in REPORT_DATE_COLUMNS})},
    }),
    "account_summary": {"type": "object", "additionalProperties": {"type": "integer"}},
    "password_policy": obj({"policy": {"type": ["object", "null"]}}),
    "virtual_mfa_devices": {"type": "array", "items": obj(
        {"SerialNumber": NONEMPTY_TEXT}, {"EnableDate": PAST, "User": obj({"Arn": NONEMPTY_TEXT})})},
    "server_certificates": {"type": "array", "items": obj(
        {"ServerCertificateName": NONEMPTY_TEXT, "Arn": NONEMPTY_TEXT, "Expiration": TEXT}, {"UploadDate": PAST})},
    "saml_providers": {"type": "array", "items": obj({"Arn": NONEMPTY_TEXT})},
    "security_contact": obj({"registered": {"type": "boolean"}}),
    "regions": obj({"regions": {"type": "array", "items": NONEMPTY_TEXT}, "selected_by": TEXT}),
    "load_balancers": per_region(obj({
        "classic": {"type": "array", "items": obj({"LoadBalancerName": NONEMPTY_TEXT, "Listeners": OBJECT_LIST})},
        "v2": {"type": "array", "items": obj({"LoadBalancerName": NONEMPTY_TEXT, "Listeners": {
            "type": "array", "items": obj({"ListenerArn": NONEMPTY_TEXT, "Certificates": OBJECT_LIST})}})},
    })),
    "acm_certificates": per_region({"type": "array", "items": obj({"CertificateArn": NONEMPTY_TEXT})}),
    "access_analyzers": per_region({"type": "array", "items": obj(
        {"arn": NONEMPTY_TEXT, "name": NONEMPTY_TEXT}, {"createdAt": PAST})}),
    "access_keys": per_user("AccessKeys", obj(
        {"AccessKeyId": NONEMPTY_TEXT, "Status": TEXT, "CreateDate": PAST},
        {"LastUsed": entry({}, ok_optional={"LastUsedDate": PAST}), "ReportSlot": {"enum": [1, 2]}})),
    "signing_certificates": per_user("Certificates", obj(
        {"CertificateId": NONEMPTY_TEXT, "Status": TEXT, "UploadDate": PAST})),
    "service_last_accessed": {
        **obj({"enabled": {"type": "boolean"}, "entities": {"type": "object", "additionalProperties": entry(
            {"services": {"type": "array", "items": obj({"ServiceNamespace": NONEMPTY_TEXT},
                                                        {"LastAuthenticated": PAST})}},
        )}}),
        "if": {"properties": {"enabled": {"const": False}}},
        "then": obj({"reason": NONEMPTY_TEXT}),
    },
}
REGIONAL_SOURCES = ("load_balancers", "acm_certificates", "access_analyzers")

SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["schema_version", "generator", "account_id", "partition", "caller_arn", "collected_at", "sources"],
    "properties": {
        "schema_version": {"type": "integer"},
        "generator": TEXT,
        "account_id": {"type": "string", "pattern": r"^\d{12}$"},
        "partition": {"enum": ["aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b", "aws-iso-e", "aws-iso-f",
                               "aws-eusc"]},
        "caller_arn": NONEMPTY_TEXT,
        "collected_at": {"type": "string", "timestamp": True},
        "demo": {"type": "boolean"},
        "sources": {"type": "object", "properties": {name: entry({"data": data}) for name, data in SOURCES.items()},
                    "additionalProperties": entry({"data": {}})},
    },
}


def _timestamp_of(text: Any) -> datetime | None:
    if not isinstance(text, str):
        return None
    try:
        return parse_timestamp(text)
    except ValueError:
        return None  # "N/A", "no_information", "not_supported": words the model reads itself


def _timestamp(validator: Any, wanted: bool, instance: Any, schema: dict) -> Iterator[ValidationError]:
    if wanted and isinstance(instance, str) and _timestamp_of(instance) is None:
        yield ValidationError(f"{instance!r} is not an ISO 8601 timestamp")


def validator_for(collected_at: datetime | None) -> Any:
    """A validator of SCHEMA in which ``pastEvent`` timestamps are checked against ``collected_at``."""

    def past_event(validator: Any, wanted: bool, instance: Any, schema: dict) -> Iterator[ValidationError]:
        when = _timestamp_of(instance) if wanted else None
        if when is not None and collected_at is not None and when > collected_at + CLOCK_TOLERANCE:
            yield ValidationError(
                f"{instance!r} is later than collected_at ({collected_at.isoformat()}): ages measured from "
                "collected_at would be negative")

    cls = validators.extend(Draft202012Validator, {"pastEvent": past_event, "timestamp": _timestamp})
    return cls(SCHEMA)


def json_path(parts: Any) -> str:
    """``$.sources.access_keys.data.users`` from jsonschema's path deque."""
    path = "$"
    for part in parts:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if str(part).isidentifier()
                                                             or "-" in str(part) else f"[{str(part)!r}]")
    return path


def _first(errors: Iterator[ValidationError]) -> ValidationError | None:
    """The error at the shallowest, then first, path: the first problem a reader meets in the file."""
    found = sorted(errors, key=lambda e: (len(e.absolute_path), [str(p) for p in e.absolute_path]))
    return found[0] if found else None


def _message(error: ValidationError) -> str:
    value: Any = error.validator_value
    instance: Any = error.instance
    if error.validator == "required":
        missing = next((name for name in value if name not in instance), None)
        return f"{json_path([*error.absolute_path, missing])} is missing"
    if error.validator == "pattern" and value == PRINTABLE["pattern"]:
        return f"{json_path(error.absolute_path)} contains control characters"
    if error.validator == "anyOf" and all(len(alt.get("required", ())) == 1 for alt in value):
        names = " or ".join(alt["required"][0] for alt in value)
        return f"{json_path(error.absolute_path)} has no {names}"
    text = error.message if len(error.message) <= 160 else f"{error.message[:160]}..."
    return f"{json_path(error.absolute_path)}: {text}"


def schema_problem(doc: Any) -> str | None:
    """The first place where ``doc`` breaks the schema, as ``$.json.path is missing`` / ``$.path: why``."""
    collected_at = _timestamp_of(doc.get("collected_at")) if isinstance(doc, dict) else None
    error = _first(validator_for(collected_at).iter_errors(doc))
    return None if error is None else _message(error)


def _ok_data(doc: dict, name: str) -> Any:
    source = doc["sources"].get(name)
    return source["data"] if isinstance(source, dict) and source.get("status") == "ok" else None


def coverage_problem(doc: dict) -> str | None:
    """The first result missing from a schema-valid snapshot: a region, or a user with an active credential."""
    selected = _ok_data(doc, "regions")
    for name in REGIONAL_SOURCES:
        data = _ok_data(doc, name)
        if selected is None or data is None:
            continue
        for region in selected["regions"]:
            if region not in data["regions"]:
                return (f"$.sources.{name}.data.regions has no entry for region {region}, which the regions "
                        "source selected")
    report = _ok_data(doc, "credential_report")
    details = _ok_data(doc, "authorization_details")
    # Rows of users deleted since the report was generated are left out of the audit, so need no entry.
    current = {user.get("UserName") for user in details.get("users", [])} if details is not None else None
    for name, column in (("access_keys", "access_key"), ("signing_certificates", "cert")):
        listed = _ok_data(doc, name)
        if report is None or listed is None:
            continue
        for row in report["rows"]:
            active = any(str(row.get(f"{column}_{n}_active", "")).lower() == "true" for n in (1, 2))
            if current is not None and row["user"] not in current:
                continue
            if active and row["user"] not in listed["users"] and row["user"] != "<root_account>":
                return (f"$.sources.{name}.data.users has no entry for user {row['user']}, whose credential "
                        f"report row shows an active {column.replace('_', ' ')}")
    return None
