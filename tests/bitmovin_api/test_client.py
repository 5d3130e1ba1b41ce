"""Layer 2: the Bitmovin client against the local emulator over real HTTP."""

from __future__ import annotations

import re
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import requests
from urllib3.exceptions import MaxRetryError, ResponseError

from bitmovin_api.client import OUTPUTS_PATH, BitmovinClient
from bitmovin_api.errors import BitmovinApiError, error_from_exception
from bitmovin_api.http_policy import HttpPolicy
from dev.bitmovin_emulator.options import DEFAULT_ORG_ID
from dev.support import REPO_ROOT
from dev.support.testing import ORG_ID, OTHER_ORG_ID, RecordingClock

pytestmark = pytest.mark.layer2

KEY = "client-test-key-5b1e"
ROLE = "arn:aws:iam::123456789012:role/bitmovin-analytics"
FAST = HttpPolicy(
    connect_timeout=2, read_timeout=2, max_retries=2, retry_budget_seconds=3, backoff_factor=0.01
)


def client_for(emulator, org=None, key=KEY, http=FAST):
    return BitmovinClient(key, base_url=emulator.base_url, tenant_org_id=org, http=http)


def assert_key_hidden(error: BitmovinApiError, key: str = KEY) -> None:
    assert key not in str(error)
    assert key not in repr(error)
    assert key not in repr(error.__dict__)


def test_create_get_custom_data_delete_round_trip(emulator):
    client = client_for(emulator, ORG_ID)
    created = client.create_output(
        {
            "bucketName": "acme-analytics",
            "roleArn": ROLE,
            "externalIdMode": "GLOBAL",
            "name": "n",
            "customData": {"team": "video"},
            "acl": [{"permission": "PRIVATE"}],
        }
    )
    assert created["externalId"] == emulator.outputs.global_external_id(ORG_ID)
    assert emulator.outputs.get(created["id"], ORG_ID) is not None
    fetched = client.get_output(created["id"])
    assert fetched["id"] == created["id"]
    assert fetched["bucketName"] == "acme-analytics"
    assert client.get_custom_data(created["id"])["customData"] == {"team": "video"}
    assert client.delete_output(created["id"]) == created["id"]
    assert emulator.outputs.get(created["id"], ORG_ID) is None
    assert [r.route for r in emulator.requests] == ["create", "get", "custom_data", "delete"]


def test_headers_and_body_sent(emulator):
    client_for(emulator, ORG_ID).create_output({"bucketName": "b-b-b", "roleArn": ROLE})
    record = emulator.requests[0]
    headers = {k.lower(): v for k, v in record.headers.items()}
    assert headers["x-api-key"] == "[secret]"
    assert headers["x-tenant-org-id"] == ORG_ID
    assert headers["content-type"] == "application/json"
    assert headers["x-api-client"] == "bitmovin-analytics-export"
    assert re.fullmatch(r"\d+\.\d+\.\d+", headers["x-api-client-version"])
    assert record.body == {"bucketName": "b-b-b", "roleArn": ROLE, "type": "S3_ROLE_BASED"}


def test_no_org_header_without_an_organization(emulator):
    client_for(emulator).list_outputs()
    assert "x-tenant-org-id" not in {k.lower() for k in emulator.requests[0].headers}


def test_paging_iterates_more_than_100_outputs(emulator):
    for index in range(230):
        emulator.outputs.create({"bucketName": "b-b-b", "roleArn": ROLE, "name": f"out-{index:03d}"})
    names = [item["name"] for item in client_for(emulator).iter_outputs()]
    assert sorted(names) == [f"out-{index:03d}" for index in range(230)]
    assert [r.query.get("offset") for r in emulator.requests] == ["0", "100", "200"]
    assert all(r.query.get("limit") == "100" for r in emulator.requests)


def test_list_page_and_name_filter(emulator):
    for name in ("alpha", "beta", "alphabet"):
        emulator.outputs.create({"bucketName": "b-b-b", "roleArn": ROLE, "name": name})
    client = client_for(emulator)
    page = client.list_outputs(offset=1, limit=1)
    assert (page["totalCount"], page["offset"], page["limit"], len(page["items"])) == (3, 1, 1, 1)
    assert {item["name"] for item in client.iter_outputs(name="alpha")} <= {"alpha", "alphabet"}
    with pytest.raises(ValueError, match="limit"):
        client.list_outputs(limit=101)


def test_validation_error_carries_fields_code_and_request_id(emulator):
    with pytest.raises(BitmovinApiError) as caught:
        client_for(emulator).create_output({"externalIdMode": "SOMETIMES"})
    error = caught.value
    assert error.status == 400
    assert isinstance(error.code, int)
    assert error.message
    assert set(error.rejected_fields) >= {"bucketName", "roleArn", "externalIdMode"}
    assert error.request_id
    assert "bucketName" in str(error)
    assert error.outcome_unknown is False
    assert_key_hidden(error)


@pytest.mark.parametrize("body_style", ["envelope", "gateway"])
def test_unauthorized_explains_which_config_to_check(emulator, body_style):
    emulator.options.api_keys = {"the-right-key"}
    emulator.options.unauthorized_body = body_style
    with pytest.raises(BitmovinApiError) as caught:
        client_for(emulator).get_output("whatever")
    error = caught.value
    assert error.status == 401
    assert "bitmovin:apiKey" in str(error)
    assert_key_hidden(error)


def test_forbidden_organization_names_tenant_org_config(emulator):
    emulator.options.org_access = {KEY: [ORG_ID]}
    with pytest.raises(BitmovinApiError) as caught:
        client_for(emulator, OTHER_ORG_ID).list_outputs()
    assert caught.value.status == 403
    assert "bitmovin:tenantOrgId" in str(caught.value)
    assert_key_hidden(caught.value)


def test_output_of_another_organization_is_not_found(emulator):
    created = client_for(emulator, ORG_ID).create_output({"bucketName": "b-b-b", "roleArn": ROLE})
    with pytest.raises(BitmovinApiError) as caught:
        client_for(emulator, OTHER_ORG_ID).get_output(created["id"])
    assert caught.value.not_found
    with pytest.raises(BitmovinApiError) as caught:
        client_for(emulator).delete_output(created["id"])
    assert caught.value.not_found
    assert emulator.outputs.get(created["id"], ORG_ID) is not None


def test_unknown_id_is_not_found(emulator):
    with pytest.raises(BitmovinApiError) as caught:
        client_for(emulator).get_output("cb90b80c-8867-4e3b-8479-174aa2843f62")
    assert caught.value.status == 404
    assert caught.value.not_found
    assert_key_hidden(caught.value)


def test_method_not_allowed_is_a_readable_error(emulator):
    # The client offers no update; speaking PUT through its transport shows how a 405 reads.
    with pytest.raises(BitmovinApiError) as caught:
        client_for(emulator)._call("PUT", f"{OUTPUTS_PATH}/some-id", json={})
    assert caught.value.status == 405
    assert "405" in str(caught.value)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"message": "Invalid authentication credentials"}, "Invalid authentication credentials"),
        ("<html><body><h1>502 Bad Gateway</h1></body></html>", "Bad Gateway"),
        ("upstream connect error", "upstream connect error"),
    ],
)
def test_bodies_that_are_not_the_envelope_still_read_well(emulator, body, expected):
    emulator.fail("create", 502, body=body)
    with pytest.raises(BitmovinApiError) as caught:
        client_for(emulator).create_output({"bucketName": "b-b-b", "roleArn": ROLE})
    error = caught.value
    assert error.status == 502
    assert expected in str(error)
    assert "<html" not in str(error)
    assert error.outcome_unknown is True
    assert_key_hidden(error)


def test_success_without_envelope_is_an_error(emulator):
    emulator.fail("get", 200, body={"unexpected": True})
    with pytest.raises(BitmovinApiError, match="envelope"):
        client_for(emulator).get_output("x")


def test_read_timeout_is_explicit_and_marks_outcome_unknown(emulator):
    emulator.delay("create", 1.5, when="after")
    settings = HttpPolicy(connect_timeout=1, read_timeout=0.3, max_retries=0)
    with pytest.raises(BitmovinApiError) as caught:
        client_for(emulator, http=settings).create_output({"bucketName": "b-b-b", "roleArn": ROLE})
    assert "timed out" in str(caught.value)
    assert caught.value.outcome_unknown is True
    assert_key_hidden(caught.value)


def test_connection_refused_is_known_not_to_have_reached_the_server():
    client = BitmovinClient(KEY, base_url="http://127.0.0.1:9/v1", http=HttpPolicy(max_retries=0))
    with pytest.raises(BitmovinApiError) as caught:
        client.create_output({"bucketName": "b-b-b", "roleArn": ROLE})
    assert caught.value.outcome_unknown is False
    assert_key_hidden(caught.value)


def test_repr_of_client_hides_the_key(emulator):
    assert KEY not in repr(client_for(emulator))


def test_only_the_analytics_outputs_endpoint_is_ever_called(emulator):
    client = client_for(emulator, ORG_ID)
    created = client.create_output({"bucketName": "b-b-b", "roleArn": ROLE})
    client.get_output(created["id"])
    client.get_custom_data(created["id"])
    list(client.iter_outputs())
    client.delete_output(created["id"])
    assert {
        r.path.split("/v1", 1)[1].split("/")[1:4] == ["analytics", "outputs", "s3-role-based"]
        for r in emulator.requests
    } == {True}
    source = "\n".join(
        p.read_text() for package in ("providers", "bitmovin_api") for p in (REPO_ROOT / package).glob("*.py")
    )
    assert "/encoding/" not in source


def test_ids_cannot_change_the_path(emulator):
    with pytest.raises(ValueError, match="invalid output id"):
        client_for(emulator).get_output("../encoding/outputs")
    assert len(emulator.requests) == 0


def test_default_organization_is_used_without_header(emulator):
    created = client_for(emulator).create_output({"bucketName": "b-b-b", "roleArn": ROLE})
    assert emulator.outputs.get(created["id"], DEFAULT_ORG_ID) is not None


# -- transport failures: each says what happened, tested against real sockets ----------------------


def _closed_port() -> int:
    """A port nothing listens on: bound once, then closed."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def _listener_that_never_accepts() -> Iterator[int]:
    """A port whose accept queue is full, so a new connect hangs until the connect timeout."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(0)
    port = server.getsockname()[1]
    fillers = []
    for _ in range(3):
        filler = socket.socket()
        filler.setblocking(False)
        filler.connect_ex(("127.0.0.1", port))
        fillers.append(filler)
    try:
        yield port
    finally:
        for sock in [*fillers, server]:
            sock.close()


@contextmanager
def _server_that_is_not_tls() -> Iterator[int]:
    """Answers every connection with plain text, as an HTTP server does to a TLS client hello."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    server.settimeout(0.1)  # accept() wakes up this often to see `stop` (close() does not wake it)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with conn:
                conn.recv(4096)
                conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1]
    finally:
        stop.set()
        server.close()
        thread.join(5)


def _failure(base_url: str, http: HttpPolicy) -> BitmovinApiError:
    with pytest.raises(BitmovinApiError) as caught:
        BitmovinClient(KEY, base_url=base_url, http=http).list_outputs()
    assert_key_hidden(caught.value)
    return caught.value


NO_RETRY = HttpPolicy(connect_timeout=0.5, read_timeout=0.3, max_retries=0)


@pytest.mark.parametrize("retries", [0, 2])
def test_a_refused_connection_is_reported_as_refused_not_as_a_timeout(retries):
    """urllib3 2's NewConnectionError is a subclass of ConnectTimeoutError; a refusal is no timeout."""
    http = HttpPolicy(max_retries=retries, backoff_factor=0.01, clock=RecordingClock())
    error = _failure(f"http://127.0.0.1:{_closed_port()}/v1", http)
    assert error.summary.startswith("connection refused: check `bitmovin:apiUrl`")
    assert "timed out" not in error.summary.split("(")[0]
    assert error.outcome_unknown is False


def test_a_host_that_does_not_resolve_is_reported_as_a_dns_failure():
    error = _failure("https://no-such-host.invalid/v1", NO_RETRY)  # .invalid never resolves (RFC 6761)
    assert error.summary.startswith("DNS lookup failed")
    assert "bitmovin:apiUrl" in error.summary
    assert "timed out" not in error.summary.split("(")[0]
    assert error.outcome_unknown is False


def test_a_connect_that_hangs_is_reported_as_a_connect_timeout():
    with _listener_that_never_accepts() as port:
        error = _failure(f"http://127.0.0.1:{port}/v1", NO_RETRY)
    assert error.summary.startswith("timed out connecting")
    assert "bitmovin:connectTimeoutSeconds" in error.summary
    assert error.outcome_unknown is False


@pytest.mark.parametrize("retries", [0, 1])
def test_an_answer_that_is_late_is_reported_as_a_read_timeout(emulator, retries):
    emulator.delay("list", 1.5, times=None)
    http = HttpPolicy(connect_timeout=1, read_timeout=0.3, max_retries=retries, clock=RecordingClock())
    error = _failure(emulator.base_url, http)
    assert error.summary.startswith("timed out waiting for the answer")
    assert "bitmovin:readTimeoutSeconds" in error.summary
    assert error.outcome_unknown is True


@pytest.mark.parametrize("retries", [0, 2])
def test_a_dropped_connection_is_reported_as_dropped(emulator, retries):
    emulator.drop_connection("list", times=None)
    http = HttpPolicy(max_retries=retries, backoff_factor=0.01, clock=RecordingClock())
    error = _failure(emulator.base_url, http)
    assert error.summary.startswith("connection dropped")
    assert "timed out" not in error.summary
    assert error.outcome_unknown is True
    assert len(emulator.requests) == retries + 1


def test_a_tls_handshake_failure_is_reported_as_a_tls_error():
    with _server_that_is_not_tls() as port:
        error = _failure(f"https://127.0.0.1:{port}/v1", NO_RETRY)
    assert error.summary.startswith("TLS/SSL error")
    assert "bitmovin:apiUrl" in error.summary


def test_a_proxy_that_cannot_be_reached_is_reported_as_a_proxy_error(monkeypatch):
    proxy = f"http://127.0.0.1:{_closed_port()}"
    for name in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.setenv(name, proxy)
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    error = _failure("https://api.example.com/v1", NO_RETRY)
    assert error.summary.startswith("proxy error")
    assert "connection refused" not in error.summary.split("(")[0]


def test_retries_that_ran_out_on_error_answers_are_reported_as_too_many_retries():
    # Not reachable through this client's session (it returns the last answer instead), but requests
    # raises it for a Retry with raise_on_status; the summary must still say what happened.
    cause = MaxRetryError(None, "/v1/analytics/outputs", ResponseError("too many 503 error responses"))
    error = error_from_exception("GET", "/analytics/outputs", requests.exceptions.RetryError(cause))
    assert error.summary.startswith("too many retries")
