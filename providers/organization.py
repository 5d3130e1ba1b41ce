"""What state records of the organization that holds an output, for both resources.

A request acts in the organization ``tenant_org_id`` names (``X-Tenant-Org-Id``) or, without one, in
the own organization of the Bitmovin account the API key belongs to. The Bitmovin API answers a
request for another organization's output with the same 404 as for a deleted output, so state must
say where the output is: ``tenant_org_id`` when it is set, otherwise the key's account, recorded as
``api_key_account_id`` at create. ``BitmovinClient.confirm_gone`` then believes a 404 only from a key
of that account. State of an earlier release has no account: a refresh that finds the output
records it; until then a 404 is never taken for "deleted".
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from providers.errors import OrganizationError

if TYPE_CHECKING:
    from bitmovin_api.client import BitmovinClient

# A computed output of both resources (never an input, so never a reason to replace).
ACCOUNT_KEY = "api_key_account_id"


def recorded_account(state: Mapping[str, Any]) -> str | None:
    """The account state records for the output, or None (a tenant is set, or an earlier release)."""
    value = state.get(ACCOUNT_KEY)
    return value if isinstance(value, str) and value else None


def created_account(client: BitmovinClient, tenant_org_id: str | None) -> dict[str, str]:
    """At create, before anything is created: the key's account when no tenant is set (one request
    per provider process), nothing with a tenant (the header pins the organization)."""
    if tenant_org_id:
        return {}
    from bitmovin_api.errors import BitmovinApiError  # with the client: check never needs it

    try:
        return {ACCOUNT_KEY: client.key_account_id()}
    except BitmovinApiError as error:
        failure = error
    raise OrganizationError(
        f"Nothing was created: the API key's Bitmovin account could not be read ({failure}). Without "
        "bitmovin:tenantOrgId the output goes to the key's own organization, and the state must record "
        "which one, so that a key of another organization can never make the output look deleted. "
        "Set the organization explicitly (`pulumi config set bitmovin:tenantOrgId '<organization UUID>'`), "
        "or check bitmovin:apiKey."
    )


def refreshed_account(
    client: BitmovinClient, tenant_org_id: str | None, state: Mapping[str, Any]
) -> dict[str, str]:
    """At a read that found the output: what state records, or for state of an earlier release the
    key's account (the key sees the output, so its own organization holds it). If the account cannot
    be read, nothing is recorded and the refresh still succeeds: a later 404 stays refused."""
    if tenant_org_id:
        return {}
    recorded = recorded_account(state)
    if recorded is not None:
        return {ACCOUNT_KEY: recorded}
    from bitmovin_api.errors import BitmovinApiError

    try:
        return {ACCOUNT_KEY: client.key_account_id()}
    except BitmovinApiError:
        return {}
