"""Layer 3: where the API key may go and when an output counts as gone, in the real provider host.

Every test drives ``python -m pulumi.dynamic`` over gRPC (dev/support/host_harness.py) with the
``__provider`` a program really serializes, configured as the engine configures it, against the
local emulator and a recording sink (dev/support/sink_server.py) that must stay untouched.

- Redirects are never followed: Create, Read (refresh) and Delete (destroy) fail, the redirect
  target receives not even a connection, and the error names the target without the key.
- A ``bitmovin:apiUrl`` that is not exactly https (or http to loopback), has user info, a query or
  no ``/v1`` path is a check failure naming the key, and no request leaves.
- Only a not-found confirmed by the outputs API drops an output from the state (Read) or counts as
  deleted (Delete); gateway 404s and wrong base paths fail, naming the URL.
- The key reaches the provider in ``Configure`` (the engine hands dynamic providers the whole stack
  config, secrets wrapped) and appears in no reply, error or host output.
"""

from __future__ import annotations

import base64
from typing import Any

import grpc
import pytest

from dev.bitmovin_emulator import EmulatorOptions
from dev.support.host_harness import (
    API_KEY_CONFIG,
    API_URL_CONFIG,
    PROJECT,
    HostCallError,
    ProviderHost,
    SerializedResource,
    without_provider,
)
from dev.support.testing import ORG_ID

pytestmark = pytest.mark.layer3

API_KEY = "HOST-HARDENING-KEY-2c81f0"
OTHER_SECRET = "EXTERNAL-ID-SECRET-77e1d3"
PROGRAM_ARGS: dict[str, Any] = {
    "bucket_name": "acme-analytics-export",
    "role_arn": "arn:aws:iam::123456789012:role/bitmovin-analytics-export",
    "name": "acme analytics export",
}


# The providers conftest's program, host and api fixtures read these.
PROGRAM_RESOURCES = (("export", PROGRAM_ARGS),)
HOST_CONFIG = {"bitmovin:maxRetries": "1"}


def tracked(host: ProviderHost, api, program: SerializedResource) -> tuple[dict, dict, str]:
    """An output that exists in Bitmovin and in the state: (inputs, outputs, id)."""
    checked = host.check(program.inputs)
    created = host.create(checked.inputs)
    api.requests.clear()
    return checked.inputs, created.properties, created.id


def key_free(*texts: str) -> bool:
    return all(API_KEY not in text for text in texts)


# -- 4. redirects ---------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [302, 307, 308])
def test_host_never_follows_a_redirect_and_keeps_the_output(host, api, program, sink, status):
    inputs, outputs, output_id = tracked(host, api, program)
    api.fail("*", status, headers={"Location": f"{sink.url}/v1/collect?X-Api-Key={API_KEY}"}, times=None)
    errors = []
    for call in (
        lambda: host.create(inputs, name="second"),
        lambda: host.read(output_id, outputs, inputs),  # pulumi refresh
        lambda: host.delete(output_id, outputs),  # pulumi destroy
    ):
        with pytest.raises(HostCallError) as raised:
            call()
        assert raised.value.code == grpc.StatusCode.UNKNOWN
        errors.append(raised.value.details)
    assert all(f"HTTP {status} redirect to '{sink.url}/v1/collect' (query removed)" in e for e in errors)
    assert "Nothing was created" in errors[0]
    assert all("bitmovin:apiUrl" in e for e in errors)
    assert key_free(*errors, host.stdout, host.stderr)
    assert (sink.connections, sink.requests) == (0, [])
    # one each, never retried; create stops at its look for an earlier output, before any POST
    assert [r.route for r in api.requests] == ["list", "get", "delete"]
    assert api.outputs.get(output_id) is not None
    assert len(api.outputs) == 1


# -- 5. bitmovin:apiUrl ----------------------------------------------------------------------------

BAD_URLS = {
    "userinfo-to-loopback": "http://localhost@127.0.0.1:{port}/v1",
    "userinfo-to-remote": "http://localhost@evil.example/v1",
    "localhost-lookalike": "http://localhost.evil.example/v1",
    "loopback-ip-lookalike": "http://127.0.0.1.evil.example/v1",
    "ipv6-lookalike": "http://[::1].evil.example:{port}/v1",
    "key-in-query": "http://127.0.0.1:{port}/v1?X-Api-Key=" + API_KEY,
    "no-version-path": "http://127.0.0.1:{port}",
    "other-version": "http://127.0.0.1:{port}/v2",
}


@pytest.mark.parametrize("case", sorted(BAD_URLS))
def test_bad_api_url_is_a_check_failure_and_no_request_leaves(emulator, program, sink, case):
    url = BAD_URLS[case].format(port=sink.port)
    with ProviderHost.start(provider=program.provider) as host:
        host.configure({API_URL_CONFIG: url}, secrets={API_KEY_CONFIG: API_KEY})
        checked = host.check(program.inputs)
        details = []
        for call in (
            lambda: host.create(checked.inputs),
            lambda: host.read("cb90b80c-8867-4e3b-8479-174aa2843f62", checked.inputs, checked.inputs),
            lambda: host.delete("cb90b80c-8867-4e3b-8479-174aa2843f62", checked.inputs),
        ):
            with pytest.raises(HostCallError) as raised:
                call()
            details.append(raised.value.details)
    [(prop, reason)] = checked.failures
    assert prop == ""
    assert reason.startswith("bitmovin:apiUrl (or BITMOVIN_API_URL) ")
    assert "pulumi config set bitmovin:apiUrl https://api.bitmovin.com/v1" in reason
    assert all("ProviderConfigError" in d and "bitmovin:apiUrl" in d for d in details)
    assert key_free(reason, *details, host.stdout, host.stderr)
    assert (sink.connections, sink.requests) == (0, [])
    assert len(emulator.requests) == 0


def test_bad_api_url_from_the_environment_is_refused_too(emulator, program, sink):
    env = {"BITMOVIN_API_URL": f"http://localhost@127.0.0.1:{sink.port}/v1", "BITMOVIN_API_KEY": API_KEY}
    with ProviderHost.start(env=env, provider=program.provider) as host:
        host.configure({})
        [(_, reason)] = host.check(program.inputs).failures
    assert "must not contain user info" in reason
    assert (sink.connections, sink.requests) == (0, [])


# -- 8. what counts as gone ------------------------------------------------------------------------

GATEWAY_404S = {
    "html": ("<html><body><h1>404 Not Found</h1></body></html>", "text/html"),
    "gateway-json": ({"message": "Not Found"}, None),
}


@pytest.mark.parametrize("shape", sorted(GATEWAY_404S))
def test_refresh_and_destroy_never_take_a_gateway_404_for_gone(host, api, program, shape):
    inputs, outputs, output_id = tracked(host, api, program)
    body, content_type = GATEWAY_404S[shape]
    api.fail("*", 404, body=body, content_type=content_type, times=None)
    errors = []
    for call in (lambda: host.read(output_id, outputs, inputs), lambda: host.delete(output_id, outputs)):
        with pytest.raises(HostCallError) as raised:
            call()
        errors.append(raised.value.details)
    url = f"{api.base_url}/analytics/outputs/s3-role-based/{output_id}"
    assert f'HTTP 404 from GET {url} is not treated as "output deleted"' in errors[0]
    assert f'HTTP 404 from DELETE {url} is not treated as "output deleted"' in errors[1]
    assert all("not a Bitmovin error envelope" in e and "bitmovin:apiUrl" in e for e in errors)
    assert key_free(*errors, host.stdout, host.stderr)
    assert [(r.route, r.status) for r in api.requests] == [("get", 404), ("delete", 404)]
    assert api.outputs.get(output_id) is not None


def test_a_wrong_base_path_never_drops_or_deletes_an_output(emulator, program):
    """A gateway-style prefix passes the URL rule (it ends in /v1); the confirmation catches it (here
    the key's account, which cannot be read at that address either)."""
    emulator.options.api_keys = {API_KEY}
    existing = emulator.outputs.create(
        {"bucketName": PROGRAM_ARGS["bucket_name"], "roleArn": PROGRAM_ARGS["role_arn"]}
    )
    wrong = emulator.base_url.removesuffix("/v1") + "/gateway/v1"
    with ProviderHost.start(provider=program.provider) as host:
        host.configure({API_URL_CONFIG: wrong}, secrets={API_KEY_CONFIG: API_KEY})
        checked = host.check(program.inputs)
        assert checked.failures == []
        state = {
            **checked.inputs,
            "created_at": existing["createdAt"],
            "modified_at": existing["modifiedAt"],
            "api_key_account_id": EmulatorOptions().account_id(API_KEY),
        }
        with pytest.raises(HostCallError) as read:
            host.read(existing["id"], state, checked.inputs)
        with pytest.raises(HostCallError) as delete:
            host.delete(existing["id"], state)
    assert f"{wrong}/analytics/outputs/s3-role-based/{existing['id']}" in read.value.details
    assert "the API key's account could not be read" in read.value.details
    assert 'is not treated as "output deleted"' in delete.value.details
    assert emulator.outputs.get(existing["id"]) is not None
    assert [(r.method, r.status) for r in emulator.requests] == [
        ("GET", 404),
        ("GET", 404),
        ("DELETE", 404),
        ("GET", 404),
    ]


def test_requests_per_read_and_delete(host, api, program):
    """Existing output: 1 request each (unchanged). Gone: 1 more, the confirming list."""
    counts: dict[str, list[tuple[str, int | None]]] = {}
    inputs, outputs, output_id = tracked(host, api, program)

    def measure(label: str, call: Any) -> Any:
        api.requests.clear()
        result = call()
        counts[label] = [(r.route, r.status) for r in api.requests]
        return result

    kept = measure("read existing", lambda: host.read(output_id, outputs, inputs))
    measure("delete existing", lambda: host.delete(output_id, outputs))
    gone = measure("read gone", lambda: host.read(output_id, outputs, inputs))
    measure("delete gone", lambda: host.delete(output_id, outputs))
    print(f"API requests: {counts}")
    assert kept.id == output_id
    assert (gone.id, without_provider(gone.properties)) == ("", {})
    assert counts == {
        "read existing": [("get", 200)],
        "delete existing": [("delete", 200)],
        "read gone": [("get", 404), ("list", 200)],
        "delete gone": [("delete", 404), ("list", 200)],
    }


# -- 7. where the key is ---------------------------------------------------------------------------


def test_configure_gets_the_whole_stack_config_and_the_key_goes_nowhere_else(emulator, program):
    """As the engine does for dynamic providers (GetPackageConfig): every key, namespaced, secrets
    wrapped. The provider uses only bitmovin:*; no secret of the stack appears in any reply."""
    emulator.options.api_keys = {API_KEY}
    config = {
        "aws:region": "eu-central-1",
        f"{PROJECT}:exportPrefix": "analytics/",
        f"{PROJECT}:externalIdMode": "GLOBAL",
        "bitmovin:tenantOrgId": ORG_ID,
        API_URL_CONFIG: emulator.base_url,
    }
    secrets = {API_KEY_CONFIG: API_KEY, f"{PROJECT}:someOtherSecret": OTHER_SECRET}
    with ProviderHost.start(provider=program.provider) as host:
        host.configure(config, secrets=secrets)
        checked = host.check(program.inputs)
        created = host.create(checked.inputs)
        read = host.read(created.id, created.properties, checked.inputs)
        host.delete(read.id, read.properties)
        host.delete(read.id, read.properties)
    configure, *calls = host.transcript
    assert configure.request[API_KEY_CONFIG]["value"] == API_KEY  # secret-wrapped, as in the engine's state
    assert [c.method for c in calls] == ["Check", "Create", "Read", "Delete", "Delete"]
    texts = [repr((c.request, c.response, c.error)) for c in calls]
    texts += [
        host.stdout,
        host.stderr,
        program.provider,
        base64.b64decode(program.provider).decode("latin-1"),
    ]
    assert [t for t in texts if API_KEY in t or OTHER_SECRET in t] == []
    # The output lives in the key's own organization: bitmovin:tenantOrgId is the program's setting,
    # read by the program and passed as an input, never taken from the provider's copy of the config.
    assert "X-Tenant-Org-Id" not in emulator.requests[0].headers
    assert emulator.requests[0].headers["X-Api-Key"] != API_KEY  # the request log redacts it


def test_a_stale_key_recorded_in_state_fails_refresh_with_the_way_out(host, api, program):
    """refresh/destroy configure the provider from the config recorded by the last `pulumi up`: a
    rotated key gives 401, which must not count as gone and must say how to recover."""
    inputs, outputs, output_id = tracked(host, api, program)
    api.options.api_keys = {"the-rotated-key"}
    with pytest.raises(HostCallError) as raised:
        host.read(output_id, outputs, inputs)
    details = raised.value.details
    assert "HTTP 401" in details
    assert "run `pulumi up` first or add `--run-program`" in details
    assert key_free(details)
    assert api.outputs.get(output_id) is not None
