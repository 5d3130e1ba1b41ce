"""Layer 1: the reference's ``diff`` and ``update`` when the engine hands it an output the stack owns.

The component aliases its reference to its owned output (``analytics_export.output_child``), so a
stack that sets ``existingOutputId`` after creating or adopting its output reaches the reference
provider with that output's state and id. Naming the same output keeps it (an update); anything else
is refused offline, before the engine could delete the owned output. Through the engine:
tests/engine/test_output_moves.py.
"""

from __future__ import annotations

import pytest
from pulumi.dynamic import Config, ConfigureRequest
from pulumi.output import Unknown

from dev.support.testing import ORG_ID, OTHER_ORG_ID
from providers.errors import OutputSwitchError
from providers.output_reference import AnalyticsOutputReferenceProvider, owned_output_state
from providers.provider_config import API_KEY_CONFIG

pytestmark = pytest.mark.layer1

OWNED_ID = "cb90b80c-8867-4e3b-8479-174aa2843f62"
OTHER_ID = "0f8fad5b-d9cb-469f-a165-70867728950e"
# The state an AnalyticsS3RoleBasedOutput leaves (outputs, as the engine passes them to diff).
OWNED_STATE = {
    "bucket_name": "acme-exports",
    "role_arn": "arn:aws:iam::123456789012:role/bitmovin-analytics-export-prod",
    "external_id_mode": "GLOBAL",
    "external_id": "5e0b7c1e-1f5a-4f0e-9d2b-0a7d1c3e5f70",
    "name": "acme-prod",
    "acl": [{"permission": "PRIVATE"}],
    "tenant_org_id": ORG_ID,
    "__provider": "pickled AnalyticsS3RoleBasedOutputProvider",
}
REFERENCE_STATE = {"output_id": OWNED_ID, "tenant_org_id": ORG_ID, "bucket_name": "acme-exports"}


@pytest.fixture
def provider(monkeypatch):
    monkeypatch.delenv("BITMOVIN_API_KEY", raising=False)
    configured = AnalyticsOutputReferenceProvider()
    configured.configure(
        ConfigureRequest(Config({API_KEY_CONFIG: "switch-key"}, "bitmovin-analytics-export"))
    )
    return configured


def test_only_an_owned_output_s_state_counts_as_owned():
    assert owned_output_state(OWNED_STATE)
    assert not owned_output_state(REFERENCE_STATE)
    assert not owned_output_state({})


def test_the_same_output_in_the_same_organization_is_taken_over_in_place(provider):
    result = provider.diff(OWNED_ID, OWNED_STATE, {"output_id": OWNED_ID, "tenant_org_id": ORG_ID})
    assert result.changes is True
    assert result.replaces == []  # a replacement would delete the output through its own provider


@pytest.mark.parametrize(
    ("news", "named"),
    [
        ({"output_id": OTHER_ID, "tenant_org_id": ORG_ID}, f"another output, {OTHER_ID}"),
        (
            {"output_id": OWNED_ID, "tenant_org_id": OTHER_ORG_ID},
            f"output {OWNED_ID} in organization {OTHER_ORG_ID}",
        ),
        ({"output_id": OWNED_ID}, f"output {OWNED_ID} in the API key's own organization"),
        ({"output_id": Unknown(), "tenant_org_id": ORG_ID}, "an output not known before `pulumi up` runs"),
    ],
)
def test_any_other_switch_is_refused_with_the_fixes(provider, news, named):
    with pytest.raises(OutputSwitchError) as refused:
        provider.diff(OWNED_ID, OWNED_STATE, news)
    message = str(refused.value)
    assert f"existingOutputId names {named}" in message
    assert (
        f"this stack owns Bitmovin Analytics output {OWNED_ID} (name 'acme-prod', bucket 'acme-exports')"
        in message
    )
    assert "would delete it" in message
    assert "`pulumi config rm existingOutputId`" in message
    assert f"`pulumi config set existingOutputId {OWNED_ID}`" in message


def test_update_refuses_another_output_before_any_request(provider):
    with pytest.raises(OutputSwitchError):
        provider.update(OWNED_ID, OWNED_STATE, {"output_id": OTHER_ID, "tenant_org_id": ORG_ID})


def test_a_reference_s_own_state_diffs_as_before(provider):
    same = provider.diff(OWNED_ID, REFERENCE_STATE, {"output_id": OWNED_ID, "tenant_org_id": ORG_ID})
    assert same.changes is False
    other = provider.diff(OWNED_ID, REFERENCE_STATE, {"output_id": OTHER_ID, "tenant_org_id": ORG_ID})
    assert other.replaces == ["output_id"]
