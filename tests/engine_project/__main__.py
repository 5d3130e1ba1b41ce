"""Both dynamic resources, as the component creates them, and nothing of AWS.

With ``componentName`` set (and ``analytics_export/`` copied beside it), the output is instead the
component's child, registered through ``analytics_export.output_child`` as the component registers
it: the owned output (adopted with ``adoptOutputId``), or the reference to ``existingOutputId``.
"""

import pulumi

from providers.analytics_output import AnalyticsS3RoleBasedOutput
from providers.output_reference import AnalyticsOutputReference

config = pulumi.Config()


def component_output(name: str) -> pulumi.Output[str]:
    """The component's output child with its real names, parent type and alias; its id."""
    from analytics_export import output_child
    from analytics_export.component import COMPONENT_TYPE

    component = pulumi.ComponentResource(COMPONENT_TYPE, name)
    if existing := config.get("existingOutputId"):
        child = output_child.reference(name, component, existing, None)
    else:
        child = AnalyticsS3RoleBasedOutput(
            output_child.owned_output_name(name),
            pulumi.ResourceOptions(parent=component),
            bucket_name=config.require("bucketName"),
            role_arn=config.require("roleArn"),
            external_id_mode="GLOBAL",
            name=config.require("outputName"),
            adopt_output_id=config.get("adoptOutputId") or None,
        )
    component.register_outputs({})
    return child.id


def top_level_outputs() -> None:
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


if component_name := config.get("componentName"):
    pulumi.export("outputId", component_output(component_name))
else:
    top_level_outputs()

# A secret output, as the real program's externalId is with CUSTOM mode (tests/engine/test_verify_pulumi_cli.py).
if secret_value := config.get("secretValue"):
    pulumi.export("secretValue", pulumi.Output.secret(secret_value))
