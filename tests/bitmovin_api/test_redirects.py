"""Layer 2: a redirect never carries the API key anywhere.

The configured API (the emulator, or a bare redirector) answers 3xx pointing at a second local
server that records every connection. ``requests`` would follow and re-send ``X-Api-Key`` (it strips
only ``Authorization`` across hosts; the control test below shows the leak is real), so the client
must not follow at all: the second server receives nothing, and the error names where the redirect
pointed without user info, query or the key. Host-level proof: tests/providers/test_host_hardening.py.
"""

from __future__ import annotations

import pytest
import requests
import urllib3
from pulumi.dynamic import Config, ConfigureRequest

from bitmovin_api.client import BitmovinClient
from bitmovin_api.errors import BitmovinApiError
from bitmovin_api.http_policy import HttpPolicy
from bitmovin_api.http_session import build_retry
from dev.support.sink_server import Redirector
from providers.analytics_output import AnalyticsS3RoleBasedOutputProvider
from providers.create_reconciler import CreateFailedError

pytestmark = pytest.mark.layer2

KEY = "redirect-test-key-9a3e71"
ROLE = "arn:aws:iam::123456789012:role/bitmovin-analytics-export"
STATE = {"bucket_name": "acme-analytics", "role_arn": ROLE, "external_id_mode": "GLOBAL"}
FAST = HttpPolicy(max_retries=2, backoff_factor=0, backoff_jitter=0, retry_budget_seconds=5)
REDIRECTS = [301, 302, 303, 307, 308]


def provider_for(base_url: str) -> AnalyticsS3RoleBasedOutputProvider:
    provider = AnalyticsS3RoleBasedOutputProvider()
    config = {"bitmovin:apiUrl": base_url, "bitmovin:apiKey": KEY, "bitmovin:maxRetries": "2"}
    provider.configure(ConfigureRequest(Config(config, "bitmovin-analytics-export")))
    return provider


def test_control_plain_requests_would_deliver_the_key_to_the_redirect_target(sink):
    """Proves the sink detects the leak this module guards against."""
    with Redirector(status=302, location=f"{sink.url}/collect") as redirector:
        requests.get(f"{redirector.url}/v1/x", headers={"X-Api-Key": KEY}, timeout=5)
    assert [r.headers.get("X-Api-Key") for r in sink.requests] == [KEY]


@pytest.mark.parametrize("status", REDIRECTS)
@pytest.mark.parametrize("operation", ["get", "delete", "list", "create"])
def test_client_never_follows_a_redirect(emulator, sink, status, operation):
    seeded = emulator.outputs.create({"bucketName": "b", "roleArn": ROLE})
    emulator.fail(operation, status, headers={"Location": f"{sink.url}/v1/stolen"})
    client = BitmovinClient(KEY, base_url=emulator.base_url, http=FAST)
    calls = {
        "get": lambda: client.get_output(seeded["id"]),
        "delete": lambda: client.delete_output(seeded["id"]),
        "list": lambda: client.list_outputs(),
        "create": lambda: client.create_output({"bucketName": "b", "roleArn": ROLE}),
    }
    with pytest.raises(BitmovinApiError) as raised:
        calls[operation]()
    error = raised.value
    assert error.status == status
    assert f"HTTP {status} redirect to '{sink.url}/v1/stolen'" in str(error)
    assert "not followed" in str(error)
    assert "bitmovin:apiUrl" in str(error)
    assert error.outcome_unknown is (status == 303)
    assert not error.not_found
    assert (sink.connections, sink.requests) == (0, [])
    assert len(emulator.requests) == 1  # not retried either


@pytest.mark.parametrize(
    ("location", "shown", "hidden"),
    [
        (
            "http://user:pw@HOST/v1/x?X-Api-Key=" + KEY + "#f",
            "'http://HOST/v1/x' (user info removed, query removed, fragment removed)",
            "pw@",
        ),
        ("/elsewhere?token=abc", "'EMU/elsewhere' (query removed)", "token=abc"),
        ("http://HOST/" + KEY + "/x", "'http://HOST/[secret]/x'", KEY),
        ("http://HOST/k%3D" + KEY, "'http://HOST/k%3D[secret]'", KEY),
    ],
    ids=["userinfo-query-fragment", "relative", "key-in-path", "key-percent-encoded"],
)
def test_the_error_says_where_without_credentials_or_the_key(emulator, sink, location, shown, hidden):
    host = f"127.0.0.1:{sink.port}"
    emulator.fail("get", 302, headers={"Location": location.replace("HOST", host)})
    client = BitmovinClient(KEY, base_url=emulator.base_url, http=FAST)
    with pytest.raises(BitmovinApiError) as raised:
        client.get_output("cb90b80c-8867-4e3b-8479-174aa2843f62")
    text = str(raised.value)
    emulator_root = emulator.base_url.removesuffix("/v1")
    assert shown.replace("HOST", host).replace("EMU", emulator_root) in text
    assert hidden not in text
    assert KEY not in text
    assert KEY not in repr(raised.value)
    assert (sink.connections, sink.requests) == (0, [])


def test_a_server_echoing_the_key_in_its_error_never_gets_it_printed(emulator):
    body = {
        "status": "ERROR",
        "requestId": KEY,
        "data": {
            "code": 1000,
            "message": f"bad key {KEY}",
            "developerMessage": f"got X-Api-Key={KEY}",
            "details": [{"field": "x", "text": KEY}],
        },
    }
    emulator.fail("get", 400, body=body)
    client = BitmovinClient(KEY, base_url=emulator.base_url, http=FAST)
    with pytest.raises(BitmovinApiError) as raised:
        client.get_output("cb90b80c-8867-4e3b-8479-174aa2843f62")
    assert "bad key [secret]" in str(raised.value)
    assert KEY not in str(raised.value) + repr(raised.value) + repr(raised.value.__dict__)


@pytest.mark.parametrize("status", [302, 307])
def test_provider_lifecycle_fails_on_a_redirect_and_keeps_track_of_the_output(emulator, sink, status):
    """Create reports that nothing was created; refresh and destroy fail instead of losing the output."""
    existing = emulator.outputs.create({"bucketName": STATE["bucket_name"], "roleArn": ROLE})
    emulator.fail("*", status, headers={"Location": f"{sink.url}/v1"}, times=None)
    provider = provider_for(emulator.base_url)
    with pytest.raises(CreateFailedError, match=r"^Nothing was created: .*redirect"):
        provider.create(provider.check({}, dict(STATE)).inputs)
    with pytest.raises(BitmovinApiError, match="redirect"):
        provider.read(existing["id"], STATE)
    with pytest.raises(BitmovinApiError, match="redirect"):
        provider.delete(existing["id"], STATE)
    assert emulator.outputs.get(existing["id"]) is not None
    # create stops at its first request, the key's account, before any POST
    assert [r.route for r in emulator.requests] == ["account_information", "get", "delete"]
    assert (sink.connections, sink.requests) == (0, [])


def test_redirect_from_a_server_that_is_not_the_api(sink):
    """A bare redirector at bitmovin:apiUrl (e.g. http -> elsewhere) gets one request, the target none."""
    with Redirector(status=301, location=f"{sink.url}/v1/analytics/outputs/s3-role-based") as redirector:
        provider = provider_for(f"{redirector.url}/v1")
        with pytest.raises(BitmovinApiError, match="HTTP 301 redirect"):
            provider.read("cb90b80c-8867-4e3b-8479-174aa2843f62", STATE)
        assert [r.method for r in redirector.requests] == ["GET"]
        assert redirector.requests[0].headers["X-Api-Key"] == KEY  # the configured server, and only it
    assert (sink.connections, sink.requests) == (0, [])


def test_the_retry_policy_follows_no_redirect_either(sink):
    """urllib3 follows redirects itself when a pool manager is asked to; our Retry allows none."""
    retry = build_retry(FAST)
    assert (retry.redirect, retry.raise_on_redirect) == (0, False)
    with Redirector(status=307, location=f"{sink.url}/v1") as redirector:
        response = urllib3.PoolManager(retries=retry).request(
            "GET", f"{redirector.url}/v1", headers={"X-Api-Key": KEY}
        )
    assert response.status == 307
    assert (sink.connections, sink.requests) == (0, [])
