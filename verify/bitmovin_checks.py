"""Bitmovin side: the output exists in the organization, points at this bucket and role, and its external
ID is the one the deployed trust policy requires. One ``GET`` of the output."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bitmovin_api.client import BitmovinClient
from bitmovin_api.errors import BitmovinApiError

from .checklist import Check, failed, passed, skipped
from .stack import Deployment

SECTION = "Bitmovin"
KEY_FIX = (
    "with --stack, set the stack's key: `pulumi config set --secret bitmovin:apiKey` (it prompts for the "
    "key); or set BITMOVIN_API_KEY without typing it into a command: "
    "`read -rs BITMOVIN_API_KEY && export BITMOVIN_API_KEY`"
)


@dataclass
class OutputLookup:
    """The output as the API returns it, or why it could not be read."""

    output: dict[str, Any] | None
    error: BitmovinApiError | None = None


def fetch_output(client: BitmovinClient, deployment: Deployment) -> OutputLookup:
    try:
        return OutputLookup(client.get_output(deployment.output_id))
    except BitmovinApiError as error:
        return OutputLookup(None, error)


def bitmovin_checks(
    deployment: Deployment, lookup: OutputLookup | None, trust_external_ids: list[str] | None
) -> list[Check]:
    """The three Bitmovin lines; ``lookup`` None means no API key was available."""
    org = deployment.tenant_org_id or "the API key's own organization"
    exists_title = f"output {deployment.output_id} exists in {org}"
    if lookup is None:
        return [failed("bitmovin.output_exists", SECTION, exists_title, "no Bitmovin API key", KEY_FIX)]
    if lookup.output is None:
        error = lookup.error
        status = error.status if error else None
        if status == 404:
            fix = "the output was deleted outside Pulumi: run `pulumi up --refresh` to create it again"
        elif status == 401:
            fix = KEY_FIX
        elif status == 403:
            fix = "the key's user must be a member of the organization in the stack output tenantOrgId"
        else:
            fix = "check bitmovin:apiUrl / BITMOVIN_API_URL and the network, then run verify again"
        return [failed("bitmovin.output_exists", SECTION, exists_title, str(error), fix)]
    output = lookup.output
    return [
        passed("bitmovin.output_exists", SECTION, exists_title),
        _target_check(deployment, output),
        _external_id_check(deployment, output, trust_external_ids),
    ]


def _target_check(deployment: Deployment, output: dict[str, Any]) -> Check:
    """The output names this stack's bucket and (when the API returns it) role."""
    target_title = "output points at this bucket and role"
    wrong = []
    if output.get("bucketName") != deployment.bucket_name:
        wrong.append(f"bucket {output.get('bucketName')!r}, the stack has {deployment.bucket_name!r}")
    role = output.get("roleArn")
    if role is not None and role != deployment.role_arn:
        wrong.append(f"role {role!r}, the stack has {deployment.role_arn!r}")
    if wrong:
        return failed(
            "bitmovin.output_target",
            SECTION,
            target_title,
            "; ".join(wrong),
            "run `pulumi up --refresh`: the output is replaced to match the stack",
        )
    seen = f"s3://{deployment.bucket_name}" + (f", {role}" if role else " (the API did not return roleArn)")
    return passed("bitmovin.output_target", SECTION, target_title, seen)


def _external_id_check(
    deployment: Deployment, output: dict[str, Any], trust_external_ids: list[str] | None
) -> Check:
    """The output's external ID is the stack's and the only one the trust policy requires."""
    id_title = "external ID: output, stack and trust policy agree"
    output_id_value = output.get("externalId")
    if output_id_value != deployment.external_id:
        return failed(
            "bitmovin.external_id",
            SECTION,
            id_title,
            f"the output has {output_id_value!r}, the stack output externalId is {deployment.external_id!r}",
            "run `pulumi up --refresh` so the stack and the trust policy follow the output",
        )
    if trust_external_ids is None:
        return skipped(
            "bitmovin.external_id",
            SECTION,
            id_title,
            f"{output_id_value} (output and stack agree; the trust policy could not be read, see AWS)",
        )
    if trust_external_ids != [output_id_value]:
        return failed(
            "bitmovin.external_id",
            SECTION,
            id_title,
            f"the output has {output_id_value}, the trust policy requires "
            f"{', '.join(trust_external_ids) or 'no external ID'}",
            "run `pulumi up --refresh` so the trust policy requires the output's external ID",
        )
    return passed("bitmovin.external_id", SECTION, id_title, str(output_id_value))
