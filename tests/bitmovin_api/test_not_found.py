"""Layer 2: only a not-found the Bitmovin outputs API confirms means "output gone".

``pulumi refresh`` drops an output from the state when ``read`` reports it gone, and ``destroy``
reports success when ``delete`` finds it already gone. A gateway, a wrong base URL or another API
version also answer 404; that must fail, naming the URL, and leave the output tracked. A 404 counts
as gone only if it is a Bitmovin ERROR envelope *and* listing the outputs of the same organization
at the same base URL succeeds (one extra request, only on the not-found path), and, without
``X-Tenant-Org-Id``, the key belongs to the account state records (``api_key_account_id``: one more
request per provider process; tests/providers/test_other_organization_key.py).
Host-level proof: tests/providers/test_host_hardening.py.
"""

from __future__ import annotations

import pytest
from pulumi.dynamic import Config, ConfigureRequest

from bitmovin_api.client import BitmovinClient
from bitmovin_api.errors import BitmovinApiError
from bitmovin_api.http_policy import HttpPolicy
from dev.bitmovin_emulator import EmulatorOptions
from providers.analytics_output import AnalyticsS3RoleBasedOutputProvider

pytestmark = pytest.mark.layer2

KEY = "not-found-test-key-5b20"
ROLE = "arn:aws:iam::123456789012:role/bitmovin-analytics-export"
# State as create records it: without a tenant, the key's account names the output's organization.
STATE = {
    "bucket_name": "acme-analytics",
    "role_arn": ROLE,
    "external_id_mode": "GLOBAL",
    "api_key_account_id": EmulatorOptions().account_id(KEY),
}
FAST = HttpPolicy(max_retries=1, backoff_factor=0, backoff_jitter=0, retry_budget_seconds=5)
MISSING = "cb90b80c-8867-4e3b-8479-174aa2843f62"

# How something that is not the outputs API answers 404 (fault body, content type).
GATEWAY_404S = {
    "html": ("<html><body><h1>404 Not Found</h1>nginx</body></html>", "text/html"),
    "gateway-json": ({"message": "Not Found"}, None),
    "empty": ("", "text/plain"),
    "envelope-without-code": ({"status": "ERROR", "data": {"message": "Not found"}}, None),
    "success-envelope": ({"status": "SUCCESS", "data": {"result": {}}}, None),
}


def provider_for(base_url: str) -> AnalyticsS3RoleBasedOutputProvider:
    provider = AnalyticsS3RoleBasedOutputProvider()
    config = {"bitmovin:apiUrl": base_url, "bitmovin:apiKey": KEY, "bitmovin:maxRetries": "1"}
    provider.configure(ConfigureRequest(Config(config, "bitmovin-analytics-export")))
    return provider


def seed(emulator) -> dict:
    return emulator.outputs.create({"bucketName": STATE["bucket_name"], "roleArn": ROLE})


def test_a_deleted_output_is_gone_after_one_confirming_list(emulator):
    provider = provider_for(emulator.base_url)
    read = provider.read(MISSING, STATE)
    assert (read.id, read.outs) == (None, {})
    provider.delete(MISSING, STATE)  # already gone: success
    assert [(r.method, r.route, r.status) for r in emulator.requests] == [
        ("GET", "get", 404),
        ("GET", "account_information", 200),  # the key's account: once per provider process
        ("GET", "list", 200),
        ("DELETE", "delete", 404),
        ("GET", "list", 200),
    ]
    assert emulator.requests[2].query == {"offset": "0", "limit": "1"}


def test_an_existing_output_still_costs_one_request(emulator):
    existing = seed(emulator)
    provider = provider_for(emulator.base_url)
    assert provider.read(existing["id"], STATE).id == existing["id"]
    provider.delete(existing["id"], STATE)
    assert [(r.route, r.status) for r in emulator.requests] == [("get", 200), ("delete", 200)]


@pytest.mark.parametrize("shape", sorted(GATEWAY_404S))
@pytest.mark.parametrize("operation", ["read", "delete"])
def test_a_404_that_is_not_a_bitmovin_error_fails_and_keeps_the_output(emulator, shape, operation):
    existing = seed(emulator)
    body, content_type = GATEWAY_404S[shape]
    emulator.fail("*", 404, body=body, content_type=content_type, times=None)
    provider = provider_for(emulator.base_url)
    call = provider.read if operation == "read" else provider.delete
    with pytest.raises(BitmovinApiError) as raised:
        call(existing["id"], STATE)
    text = str(raised.value)
    method = "GET" if operation == "read" else "DELETE"
    assert (
        f"HTTP 404 from {method} {emulator.base_url}/analytics/outputs/s3-role-based/{existing['id']}" in text
    )
    assert 'is not treated as "output deleted"' in text
    assert "not a Bitmovin error envelope" in text
    assert "bitmovin:apiUrl" in text
    assert "pulumi state delete" in text
    assert KEY not in text
    assert not raised.value.not_found
    assert emulator.outputs.get(existing["id"]) is not None
    assert len(emulator.requests) == 1  # nothing to confirm: no extra request


@pytest.mark.parametrize("list_answer", ["html-404", "envelope-404", "503", "not-a-page"])
@pytest.mark.parametrize("operation", ["read", "delete"])
def test_a_bitmovin_404_whose_confirmation_fails_keeps_the_output(emulator, list_answer, operation):
    existing = seed(emulator)
    emulator.fail("get", 404, times=None)  # the emulator's ERROR envelope
    emulator.fail("delete", 404, times=None)
    if list_answer == "html-404":
        emulator.fail("list", 404, body="<html>Not Found</html>", content_type="text/html", times=None)
    elif list_answer == "envelope-404":
        emulator.fail("list", 404, times=None)
    elif list_answer == "503":
        emulator.fail("list", 503, times=None)
    else:
        emulator.fail("list", 200, body={"status": "SUCCESS", "data": {"result": {"id": "x"}}}, times=None)
    provider = provider_for(emulator.base_url)
    call = provider.read if operation == "read" else provider.delete
    with pytest.raises(BitmovinApiError, match='is not treated as "output deleted": listing the outputs'):
        call(existing["id"], STATE)
    assert emulator.outputs.get(existing["id"]) is not None
    assert emulator.requests.count(route="list") >= 1


@pytest.mark.parametrize("prefix", ["/gateway/v1", "/v1/v1"])
def test_a_wrong_base_path_that_looks_valid_is_never_taken_for_gone(emulator, prefix):
    """The URL rule accepts any path ending in /v1 (for gateways); the confirmation catches the rest."""
    existing = seed(emulator)
    root = emulator.base_url.removesuffix("/v1")
    provider = provider_for(root + prefix)
    with pytest.raises(BitmovinApiError) as raised:
        provider.read(existing["id"], STATE)
    assert f"{root}{prefix}/analytics/outputs/s3-role-based/{existing['id']}" in str(raised.value)
    with pytest.raises(BitmovinApiError):
        provider.delete(existing["id"], STATE)
    assert emulator.outputs.get(existing["id"]) is not None
    # The emulator answers unknown paths with a Bitmovin 404 envelope, so each 404 was checked and refused:
    # the key's account cannot be read at that address either.
    assert [(r.method, r.status) for r in emulator.requests] == [
        ("GET", 404),  # the output
        ("GET", 404),  # the key's account, to compare with the state's
        ("DELETE", 404),
        ("GET", 404),
    ]


def test_client_find_output_and_delete_if_exists(emulator):
    existing = seed(emulator)
    client = BitmovinClient(KEY, base_url=emulator.base_url, http=FAST)
    holder = STATE["api_key_account_id"]
    assert client.find_output(existing["id"], holder_account=holder)["id"] == existing["id"]
    assert client.delete_output_if_exists(existing["id"], holder_account=holder) is True
    assert client.delete_output_if_exists(existing["id"], holder_account=holder) is False
    assert client.find_output(existing["id"], holder_account=holder) is None
    emulator.fail("get", 403, times=None)
    with pytest.raises(BitmovinApiError) as raised:
        client.find_output(existing["id"])
    assert raised.value.status == 403
