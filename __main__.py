"""Pulumi program: one Bitmovin Analytics export (bucket, output, role) per stack.

Reads and validates the stack config first, so a bad value stops the run before any resource is
registered, then creates the component and exports the stack outputs that other stacks consume
through ``pulumi.StackReference`` (declared in ``analytics_export.stack_outputs``; the names are a
contract, see README).

The Bitmovin API key (``bitmovin:apiKey``) is never read here: the dynamic provider reads it.
"""

import pulumi

from analytics_export.component import BitmovinAnalyticsExport
from analytics_export.settings import ConfigError, load_settings
from analytics_export.stack_outputs import STACK_OUTPUTS

try:
    settings = load_settings()
except ConfigError as error:
    raise pulumi.RunError(str(error)) from None

# The validated settings are the component's arguments (ExportSettings derives from them).
export = BitmovinAnalyticsExport("analytics-export", settings)

for output in STACK_OUTPUTS:
    value = getattr(export, output.attribute)
    secret = output.secret_if is not None and getattr(settings, output.secret_if)
    pulumi.export(output.name, pulumi.Output.secret(value) if secret else value)
