"""The stack outputs, declared once: the component registers them, ``__main__.py`` exports them and
``verify`` reads them back.

Their names are a contract (other stacks read them through ``pulumi.StackReference``; see the
CHANGELOG). Pure data: ``verify`` imports it without Pulumi resources.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class StackOutput:
    """One stack output: its name, the component attribute it comes from, and what verify needs."""

    name: str  # the stack output's name (contract)
    attribute: str  # of ``BitmovinAnalyticsExport`` (a ``pulumi.Output[str]``) and of verify's ``Deployment``
    required: bool = False  # verify cannot check a stack without it
    secret_if: str | None = None  # the ``ExportSettings`` flag that makes it a secret output


# In the order they are exported. externalId is not a credential (AWS: it prevents the confused
# deputy, it is not a secret), so it is a plain output unless it was set with `pulumi config set --secret`.
STACK_OUTPUTS: tuple[StackOutput, ...] = (
    StackOutput("outputId", "output_id", required=True),
    StackOutput("externalId", "external_id", required=True, secret_if="external_id_is_secret"),
    StackOutput("externalIdMode", "external_id_mode"),
    StackOutput("roleArn", "role_arn", required=True),
    StackOutput("roleName", "role_name"),
    StackOutput("bucketName", "bucket_name", required=True),
    StackOutput("bucketArn", "bucket_arn"),
    StackOutput("region", "region", required=True),
    StackOutput("tenantOrgId", "tenant_org_id"),  # "" = the API key's own organization
    StackOutput("exportPrefix", "export_prefix"),
)
REQUIRED_OUTPUTS: tuple[str, ...] = tuple(output.name for output in STACK_OUTPUTS if output.required)
