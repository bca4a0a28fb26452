"""Account-level sources: the SAML identity providers people can federate through, and the security contact."""

from __future__ import annotations

from botocore.exceptions import ClientError

from iam_compliance.collection.aws import AwsContext
from iam_compliance.collection.declaration import DataSource


def saml_providers(ctx: AwsContext) -> list[dict]:
    """ARNs of the account's SAML providers (ListSAMLProviders is not paginated)."""
    providers = ctx.client("iam").list_saml_providers().get("SAMLProviderList", [])
    return sorted(({"Arn": p["Arn"]} for p in providers), key=lambda p: p["Arn"])


def security_contact(ctx: AwsContext) -> dict:
    """Whether a SECURITY alternate contact is registered; the contact's personal details are not kept."""
    try:
        contact = ctx.client("account").get_alternate_contact(AlternateContactType="SECURITY")["AlternateContact"]
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "ResourceNotFoundException":  # the account's answer for "none"
            return {"registered": False}
        raise
    return {"registered": True, "title": contact.get("Title")}


DECLARATIONS = [
    DataSource("saml_providers", saml_providers, "The account's SAML identity providers (ARNs only).",
               actions=("iam:ListSAMLProviders",)),
    DataSource("security_contact", security_contact, "Whether a SECURITY alternate contact is registered.",
               actions=("account:GetAlternateContact",)),
]
