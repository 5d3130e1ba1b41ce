"""Both dynamic resources, as the component creates them, and nothing of AWS."""

import pulumi

from providers.analytics_output import AnalyticsS3RoleBasedOutput
from providers.output_reference import AnalyticsOutputReference

config = pulumi.Config()
output = AnalyticsS3RoleBasedOutput(
    "analytics-output",
    bucket_name=config.require("bucketName"),
    role_arn=config.require("roleArn"),
    external_id_mode="GLOBAL",
    name=config.require("outputName"),
    description=config.get("outputDescription") or None,
    adopt_output_id=config.get("adoptOutputId") or None,
)
pulumi.export("outputId", output.id)
pulumi.export("externalId", output.external_id)

if reference_id := config.get("referenceOutputId"):
    reference = AnalyticsOutputReference("existing-output", output_id=reference_id)
    pulumi.export("referenceBucketName", reference.bucket_name)

# A secret output, as the real program's externalId is with CUSTOM mode (tests/engine/test_verify_pulumi_cli.py).
if secret_value := config.get("secretValue"):
    pulumi.export("secretValue", pulumi.Output.secret(secret_value))
