"""Run one Pulumi operation over every stack of this project (one stack per Bitmovin organization).

``python -m fleet preview`` previews every deployable stack in parallel through the Pulumi
Automation API and ends with a table per organization. ``fleet.stacks`` (stack discovery and the
local-only rule) has no Pulumi dependency, so CI can derive its matrix from it cheaply.
"""
