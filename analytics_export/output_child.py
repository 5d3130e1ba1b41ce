"""The component's Bitmovin output child: its names, and the reference aliased to the owned output.

The component registers its output as ``<name>-output``, an ``AnalyticsS3RoleBasedOutput`` the stack
owns (created or adopted), or, with ``existingOutputId``, as ``<name>-existing-output``, an
``AnalyticsOutputReference``. Without an alias the engine sees two unrelated resources when a stack
switches from the first to the second: it creates the reference and deletes the owned output, which
may be the very output the reference names. With the reference aliased to the owned output, the
engine hands the owned output's state and id to the reference provider's ``diff``, which keeps the
output when the reference names it and refuses any other switch before anything is deleted
(``providers.output_reference``; docs/stack-config.md, "Moving between owned, adopted and referenced").

No ``pulumi_aws`` here: the provider-only engine project (tests/engine_project) registers its
children through this module, so the engine tests run the product's names and alias.
"""

from __future__ import annotations

import pulumi

from providers.analytics_output import TYPE_TOKEN as OWNED_OUTPUT_TYPE
from providers.output_reference import AnalyticsOutputReference


def owned_output_name(name: str) -> str:
    """The resource name of the output the component creates or adopts."""
    return f"{name}-output"


def reference_name(name: str) -> str:
    """The resource name of the reference the component registers for ``existingOutputId``."""
    return f"{name}-existing-output"


def reference_aliases(name: str) -> list[pulumi.Alias]:
    """The reference's aliases: the owned output under the same parent (the component).

    Harmless when no such output is in the state (a stack that always referenced its output): the
    engine matches an alias only to a resource the state holds. Never to be removed as a finished
    migration: any stack may still own its output when it switches.
    """
    return [pulumi.Alias(name=owned_output_name(name), type_=OWNED_OUTPUT_TYPE)]


def reference(
    name: str, parent: pulumi.Resource, output_id: pulumi.Input[str], tenant_org_id: str | None
) -> AnalyticsOutputReference:
    """The reference to ``existingOutputId``, the owned output's successor under the same parent."""
    return AnalyticsOutputReference(
        reference_name(name),
        pulumi.ResourceOptions(parent=parent, aliases=reference_aliases(name)),
        output_id=output_id,
        tenant_org_id=tenant_org_id or None,
    )
