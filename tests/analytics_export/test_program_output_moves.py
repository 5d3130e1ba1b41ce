"""Layer 4: the reference to ``existingOutputId`` is aliased to the output the stack would own.

That alias is what lets the engine hand a stack's own output to the reference provider instead of
deleting it when the stack switches to ``existingOutputId`` (``analytics_export.output_child``; the
moves themselves run through the real engine in tests/engine/test_output_moves.py).
"""

from __future__ import annotations

import pytest

from dev.support.program_harness import OUTPUT_TYPE, REFERENCE_TYPE, run_program
from dev.support.testing import ORG_ID

pytestmark = pytest.mark.layer4

OUTPUT_ID = "cb90b80c-8867-4e3b-8479-174aa2843f62"
BASE = {"aws:region": "eu-central-1", "bitmovin:apiKey": "MARKER-KEY", "bitmovin:tenantOrgId": ORG_ID}
EXISTING = {
    f"{ORG_ID}/{OUTPUT_ID}": {
        "bucketName": "acme-hand-made-exports",
        "roleArn": "arn:aws:iam::123456789012:role/bitmovin-hand-made",
        "externalId": "5e0b7c1e-1f5a-4f0e-9d2b-0a7d1c3e5f70",
        "externalIdMode": "GLOBAL",
    }
}


def test_the_reference_is_aliased_to_the_owned_output_under_the_same_component():
    owned = run_program(BASE, secret_keys=("bitmovin:apiKey",)).one(OUTPUT_TYPE)
    referenced = run_program(
        {**BASE, "existingOutputId": OUTPUT_ID}, secret_keys=("bitmovin:apiKey",), existing_outputs=EXISTING
    ).one(REFERENCE_TYPE)

    assert referenced.parent == owned.parent  # the component, in both runs
    (alias,) = referenced.options["aliases"]
    # An empty parentUrn (and no noParent) means "the resource's own parent", the component: the
    # alias names the owned output's URN.
    assert alias == {"spec": {"name": owned.name, "type": owned.type, "parentUrn": ""}}


def test_the_owned_output_carries_no_alias():
    owned = run_program(BASE, secret_keys=("bitmovin:apiKey",)).one(OUTPUT_TYPE)
    assert owned.options["aliases"] == []
