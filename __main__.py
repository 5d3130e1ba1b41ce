"""Pulumi program: one Bitmovin Analytics export (bucket, output, role) per stack.

Reads and validates the stack config first, so a bad value stops the run before any resource is
registered, then creates the component and exports the stack outputs that other stacks consume
through ``pulumi.StackReference`` (names are a contract; see README).

The Bitmovin API key (``bitmovin:apiKey``) is never read here: the dynamic provider reads it.
"""

import pulumi

from analytics_export.component import BitmovinAnalyticsExport
from analytics_export.settings import ConfigError, load_settings

try:
    settings = load_settings()
except ConfigError as error:
    raise pulumi.RunError(str(error)) from None

# The validated settings are the component's arguments (ExportSettings derives from them).
export = BitmovinAnalyticsExport("analytics-export", settings)

# externalId is not a credential (AWS: it prevents the confused deputy, it is not a secret), so it is a
# plain output; it becomes secret only if externalId was set with `pulumi config set --secret`.
pulumi.export("outputId", export.output_id)
external_id = (
    pulumi.Output.secret(export.external_id) if settings.external_id_is_secret else export.external_id
)
pulumi.export("externalId", external_id)
pulumi.export("externalIdMode", export.external_id_mode)
pulumi.export("roleArn", export.role_arn)
pulumi.export("roleName", export.role_name)
pulumi.export("bucketName", export.bucket_name)
pulumi.export("bucketArn", export.bucket_arn)
pulumi.export("region", export.region)
pulumi.export("tenantOrgId", export.tenant_org_id)  # "" = the API key's own organization
pulumi.export("exportPrefix", export.export_prefix)
