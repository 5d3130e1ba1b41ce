"""Layer 3: a planted output carrying the resource's creation token, refused inside the real
dynamic-provider host as the engine drives it (issue 22, item 2)."""

from __future__ import annotations

from typing import Any

import grpc
import pytest

from dev.support.host_harness import HostCallError, ProviderHost
from providers import output_model as model

pytestmark = pytest.mark.layer3

API_KEY = "takeover-host-key-5d90"
PROGRAM_RESOURCES = (
    (
        "export",
        {
            "bucket_name": "acme-analytics-export",
            "role_arn": "arn:aws:iam::123456789012:role/bitmovin-analytics-export",
            "name": "acme analytics export",
        },
    ),
)
FOREIGN_ROLE = "arn:aws:iam::210987654321:role/planted"
PLANTED_EXTERNAL_ID = "planted-external-id-6e1f"


def test_a_planted_output_with_the_token_is_refused_in_the_host(host: ProviderHost, api, program):
    checked = host.check(program.inputs)
    assert checked.failures == []
    inputs: dict[str, Any] = model.with_defaults(checked.inputs)
    body = model.api_body(inputs, model.creation_token(inputs))  # what anyone can compute
    planted = api.outputs.create(
        {**body, "roleArn": FOREIGN_ROLE, "externalIdMode": "CUSTOM", "externalId": PLANTED_EXTERNAL_ID}
    )
    with pytest.raises(HostCallError) as refused:
        host.create(checked.inputs)
    assert refused.value.code == grpc.StatusCode.UNKNOWN
    assert planted["id"] in refused.value.details
    assert "role_arn is 'arn:aws:iam::210987654321:role/planted'" in refused.value.details
    assert "external_id_mode is 'CUSTOM', not 'GLOBAL'" in refused.value.details
    assert PLANTED_EXTERNAL_ID not in refused.value.details
    assert API_KEY not in refused.value.details
    assert [record.route for record in api.requests] == ["account_information", "list", "custom_data"]
    assert [output["id"] for output in api.outputs.list()] == [planted["id"]]
