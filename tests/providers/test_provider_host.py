"""Layer 3: the provider inside the real dynamic-provider host, driven over gRPC like the engine does.

Every test talks to ``python -m pulumi.dynamic`` (started by ``dev.support.host_harness`` from the project
root, without PYTHONPATH) and the host talks to the local Bitmovin emulator over real HTTP. The
``__provider`` string is the one ``AnalyticsS3RoleBasedOutput`` serializes in a program.

API requests are counted in the emulator's request log, per engine operation.
"""

from __future__ import annotations

import base64
from typing import Any

import grpc
import pytest

from dev.support import REPO_ROOT
from dev.support.host_harness import (
    API_KEY_CONFIG,
    API_URL_CONFIG,
    PROVIDER_KEY,
    RESOURCE_TYPE,
    UNKNOWN,
    CheckOutcome,
    CreateOutcome,
    HostCallError,
    ProviderHost,
    serialize_resources,
    without_provider,
)
from dev.support.testing import ORG_ID

pytestmark = pytest.mark.layer3

API_KEY = "SECRET-KEY-7f3a9c"
ENV_API_KEY = "ENV-KEY-31d8e2"
STACK_CONFIG = {"aws:region": "eu-west-1", "bitmovin-analytics-export:bucketName": "acme-analytics-export"}

PROGRAM_ARGS: dict[str, Any] = {
    "bucket_name": "acme-analytics-export",
    "role_arn": "arn:aws:iam::123456789012:role/bitmovin-analytics-export",
    "name": "acme analytics export",
    "description": "Analytics export for the acme stack",
    "custom_data": {"team": "video"},
}

# -- fixtures ------------------------------------------------------------------------------------


# The providers conftest's programs, program, host and api fixtures read these: what a program
# registers (one output in the key's org, one in a tenant org) and the host's stack config.
PROGRAM_RESOURCES = (
    ("export", PROGRAM_ARGS),
    ("tenant-export", {**PROGRAM_ARGS, "tenant_org_id": ORG_ID}),
)
HOST_CONFIG = STACK_CONFIG


def deploy(host: ProviderHost, inputs: dict[str, Any]) -> tuple[CheckOutcome, CreateOutcome]:
    """Check then Create, as ``pulumi up`` does for a new resource."""
    checked = host.check(inputs)
    assert checked.failures == []
    return checked, host.create(checked.inputs)


def header(record: Any, name: str) -> str | None:
    return next((v for k, v in record.headers.items() if k.lower() == name.lower()), None)


# -- protocol ------------------------------------------------------------------------------------


def test_host_speaks_the_engine_protocol(host: ProviderHost):
    assert host.port_line.isdigit()
    assert int(host.port_line) == host.port
    assert host.get_plugin_info() == "0.1.0"
    with pytest.raises(HostCallError) as raised:
        host.handshake()
    assert raised.value.code == grpc.StatusCode.UNIMPLEMENTED  # the engine falls back to Configure


def test_configure_reply_tells_the_engine_to_strip_secrets_and_skip_create_in_preview(host: ProviderHost):
    configure = host.transcript[0]
    assert configure.method == "Configure"
    assert configure.request[API_KEY_CONFIG] == {
        "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270",
        "value": API_KEY,
    }
    reply = configure.response
    assert reply.accept_secrets is False  # so the engine sends __provider and inputs unwrapped
    assert reply.supports_preview is False  # so the engine never calls Create/Update in preview
    assert reply.accept_resources is False
    assert reply.accept_outputs is False


# -- the serialized provider ---------------------------------------------------------------------


def test_serialized_provider_is_small_stable_and_secret_in_the_program(programs, program):
    again = serialize_resources(("export", PROGRAM_ARGS))[0]  # a second program run
    provider = program.provider
    assert program.type == RESOURCE_TYPE
    assert program.provider_was_secret  # the program wraps __provider as a secret
    assert len(provider) <= 200
    assert again.provider == provider
    assert programs["tenant-export"].provider == provider  # the same for every resource
    decoded = base64.b64decode(provider)
    assert b"providers.analytics_output" in decoded  # pickled by reference
    assert b"AnalyticsS3RoleBasedOutputProvider" in decoded


# -- preview -------------------------------------------------------------------------------------


def test_preview_of_a_new_output_with_unknown_role_arn(host: ProviderHost, api, program):
    news = {**program.inputs, "role_arn": UNKNOWN}
    checked = host.check(news)
    assert checked.failures == []
    assert checked.inputs["role_arn"] == UNKNOWN  # echoed, not validated
    assert checked.inputs["bucket_name"] == PROGRAM_ARGS["bucket_name"]
    assert checked.inputs[PROVIDER_KEY] == program.provider
    # Create is not called in preview (supportsPreview=False); Check made no request.
    assert len(api.requests) == 0


def test_preview_of_an_existing_output_with_unknown_inputs(host: ProviderHost, api, program):
    checked, created = deploy(host, program.inputs)
    api.requests.clear()
    news = {**program.inputs, "role_arn": UNKNOWN, "tenant_org_id": UNKNOWN}
    rechecked = host.check(news, olds=checked.inputs)
    assert rechecked.failures == []
    assert rechecked.inputs["role_arn"] == UNKNOWN
    assert rechecked.inputs["tenant_org_id"] == UNKNOWN
    diff = host.diff(created.id, created.properties, rechecked.inputs, old_inputs=checked.inputs)
    assert diff.changes == "SOME"
    assert diff.replaces == ["role_arn", "tenant_org_id"]  # a possible change of either replaces
    assert diff.delete_before_replace is False
    assert len(api.requests) == 0


# -- lifecycle -----------------------------------------------------------------------------------


def test_create_then_refresh_without_drift(host: ProviderHost, api, program):
    checked, created = deploy(host, program.inputs)
    assert created.id
    stored = api.outputs.get(created.id)
    assert stored["bucketName"] == PROGRAM_ARGS["bucket_name"]
    assert stored["roleArn"] == PROGRAM_ARGS["role_arn"]
    assert stored["externalIdMode"] == "GLOBAL"
    assert stored["customData"]["team"] == "video"
    assert created.properties["external_id"] == stored["externalId"]
    assert created.properties["created_at"] == stored["createdAt"]
    assert "pulumiCreationToken" not in created.properties["custom_data"]
    assert created.properties[PROVIDER_KEY] == program.provider
    assert header(api.requests[0], "X-Tenant-Org-Id") is None

    read = host.read(created.id, created.properties, checked.inputs)
    assert read.id == created.id
    assert read.properties == created.properties
    assert read.inputs is not None
    assert without_provider(read.inputs) == without_provider(checked.inputs)

    # The next `pulumi up`: Check against the refreshed inputs, Diff against the refreshed state.
    rechecked = host.check(program.inputs, olds=read.inputs)
    diff = host.diff(read.id, read.properties, rechecked.inputs, old_inputs=read.inputs)
    assert diff.changes == "NONE"
    assert diff.replaces == []
    assert [(r.route, r.status) for r in api.requests] == [("list", 200), ("create", 201), ("get", 200)]


def test_refresh_after_out_of_band_delete_drops_the_output(host: ProviderHost, api, program):
    checked, created = deploy(host, program.inputs)
    assert api.outputs.delete(created.id) is not None  # deleted in the dashboard
    api.requests.clear()
    read = host.read(created.id, created.properties, checked.inputs)
    assert read.id == ""  # the engine removes it from state
    assert without_provider(read.properties) == {}
    # One list request confirms that the 404 came from the outputs API (tests/providers/test_host_hardening.py).
    assert [(r.route, r.status) for r in api.requests] == [("get", 404), ("list", 200)]


def test_input_change_replaces_create_before_delete(host: ProviderHost, api, program):
    checked, old = deploy(host, program.inputs)
    api.requests.clear()
    news = {**program.inputs, "bucket_name": "acme-analytics-export-2"}
    rechecked = host.check(news, olds=checked.inputs)
    diff = host.diff(old.id, old.properties, rechecked.inputs, old_inputs=checked.inputs)
    assert diff.changes == "SOME"
    assert diff.replaces == ["bucket_name"]
    assert diff.delete_before_replace is False
    new = host.create(rechecked.inputs, name="export")  # create the replacement first ...
    host.delete(old.id, old.properties)  # ... then delete the old one
    assert new.id != old.id
    assert [o["id"] for o in api.outputs.list()] == [new.id]
    assert api.outputs.get(new.id)["bucketName"] == "acme-analytics-export-2"
    assert [r.route for r in api.requests] == ["list", "create", "delete"]


def test_delete_and_delete_of_an_already_deleted_output(host: ProviderHost, api, program):
    _, created = deploy(host, program.inputs)
    api.requests.clear()
    host.delete(created.id, created.properties)
    assert len(api.outputs) == 0
    host.delete(created.id, created.properties)  # already gone (confirmed by a list): success
    assert [(r.route, r.status) for r in api.requests] == [("delete", 200), ("delete", 404), ("list", 200)]


def test_update_rpc_is_a_no_op_without_changes_and_refuses_changes(host: ProviderHost, api, program):
    checked, created = deploy(host, program.inputs)
    api.requests.clear()
    outs = host.update(created.id, created.properties, checked.inputs, old_inputs=checked.inputs)
    assert outs == created.properties
    changed = {**checked.inputs, "description": "changed"}
    with pytest.raises(HostCallError) as raised:
        host.update(created.id, created.properties, changed, old_inputs=checked.inputs)
    assert raised.value.code == grpc.StatusCode.UNKNOWN
    assert "InPlaceUpdateError" in raised.value.details
    assert "cannot be updated in place (changed: description)" in raised.value.details
    assert len(api.requests) == 0
    assert api.outputs.get(created.id)["description"] == PROGRAM_ARGS["description"]


# -- check failures ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("override", "prop", "reason"),
    [
        ({"bucket_name": "Acme_Bucket"}, "bucket_name", "not a valid S3 bucket name"),
        ({"role_arn": "arn:aws:iam::123:user/x"}, "role_arn", "is not an IAM role ARN"),
        ({"external_id": "my-external-id"}, "external_id", "can only be set with external_id_mode CUSTOM"),
        (
            {"external_id_mode": "GLOBAL", "external_id": "my-external-id"},
            "external_id",
            "with GLOBAL Bitmovin generates it",
        ),
        ({"tenant_org_id": "acme"}, "tenant_org_id", "is not a Bitmovin organization id"),
    ],
)
def test_check_failures_name_the_property(host: ProviderHost, api, program, override, prop, reason):
    checked = host.check({**program.inputs, **override})
    assert [p for p, _ in checked.failures] == [prop]
    assert reason in checked.failures[0][1]
    assert len(api.requests) == 0


def test_check_reports_every_bad_input_at_once(host: ProviderHost, api, program):
    news = {**program.inputs, "bucket_name": "x", "role_arn": "nope", "external_id": "abc"}
    checked = host.check(news)
    assert sorted(p for p, _ in checked.failures) == ["bucket_name", "external_id", "role_arn"]
    assert all(reason for _, reason in checked.failures)
    assert len(api.requests) == 0


# -- API key sources -----------------------------------------------------------------------------


def test_api_key_from_the_environment_when_config_has_none(emulator, program):
    emulator.options.api_keys = {ENV_API_KEY}
    env = {"BITMOVIN_API_KEY": ENV_API_KEY, "BITMOVIN_API_URL": emulator.base_url}
    with ProviderHost.start(env=env, provider=program.provider) as host:
        host.configure(STACK_CONFIG)
        _, created = deploy(host, program.inputs)
        host.delete(created.id, created.properties)
    assert [(r.route, r.status) for r in emulator.requests] == [
        ("account_information", 200),
        ("list", 200),
        ("create", 201),
        ("delete", 200),
    ]


def test_no_api_key_fails_clearly_without_requests(emulator, program):
    with ProviderHost.start(env={"BITMOVIN_API_URL": emulator.base_url}, provider=program.provider) as host:
        host.configure(STACK_CONFIG)
        checked = host.check(program.inputs)
        assert [p for p, _ in checked.failures] == [""]
        assert API_KEY_CONFIG in checked.failures[0][1]
        for call in (
            lambda: host.create(checked.inputs),
            lambda: host.read("some-id", checked.inputs, checked.inputs),
            lambda: host.delete("some-id", checked.inputs),
        ):
            with pytest.raises(HostCallError) as raised:
                call()
            assert raised.value.code == grpc.StatusCode.UNKNOWN
            assert "ProviderConfigError" in raised.value.details
            assert API_KEY_CONFIG in raised.value.details
    assert len(emulator.requests) == 0


def test_wrong_api_key_surfaces_http_401_with_a_hint(host: ProviderHost, api, program):
    existing = api.outputs.create(
        {"bucketName": "acme-analytics-export", "roleArn": PROGRAM_ARGS["role_arn"]}
    )
    api.options.api_keys = {"another-key"}
    checked = host.check(program.inputs)
    state = {**checked.inputs, "created_at": existing["createdAt"], "modified_at": existing["modifiedAt"]}
    for call in (
        lambda: host.create(checked.inputs),
        lambda: host.read(existing["id"], state, checked.inputs),  # not "gone": state is kept
        lambda: host.delete(existing["id"], state),  # not "already deleted"
    ):
        with pytest.raises(HostCallError) as raised:
            call()
        assert raised.value.code == grpc.StatusCode.UNKNOWN
        assert "HTTP 401" in raised.value.details
        assert API_KEY_CONFIG in raised.value.details
        assert API_KEY not in raised.value.details
    assert "Nothing was created" in host.transcript[-3].error
    # (the key's account is read once per provider process, so whether it shows here depends on order)
    sent = [(r.route, r.status) for r in api.requests if r.route != "account_information"]
    assert sent == [("list", 401), ("get", 401), ("delete", 401)]
    assert api.outputs.get(existing["id"]) is not None


def test_create_whose_response_was_lost_adopts_the_output(host: ProviderHost, api, program):
    """The POST took effect but the connection dropped: the host finds the output, no duplicate."""
    api.drop_connection("create", when="after")
    _, created = deploy(host, program.inputs)
    assert [o["id"] for o in api.outputs.list()] == [created.id]
    assert created.properties["bucket_name"] == PROGRAM_ARGS["bucket_name"]
    # (without tenantOrgId the key's account is read once per provider process: order-dependent here)
    assert [(r.route, r.status) for r in api.requests if r.route != "account_information"] == [
        ("list", 200),  # the look for an output an interrupted earlier create left: none
        ("create", None),
        ("list", 200),  # the list item is the output: no GET follows
        ("custom_data", 200),
    ]


# -- tenant organization -------------------------------------------------------------------------


def test_tenant_org_is_used_for_create_read_and_delete(host: ProviderHost, api, programs):
    tenant = programs["tenant-export"]
    checked, created = deploy(host, tenant.inputs)
    assert api.outputs.get(created.id, ORG_ID) is not None
    assert api.outputs.get(created.id) is None  # not in the key's own organization
    assert created.properties["tenant_org_id"] == ORG_ID
    read = host.read(created.id, created.properties, checked.inputs)
    assert read.id == created.id
    assert read.inputs["tenant_org_id"] == ORG_ID
    host.delete(read.id, read.properties)
    assert api.outputs.find(created.id) is None
    assert [(r.route, header(r, "X-Tenant-Org-Id")) for r in api.requests] == [
        ("list", ORG_ID),
        ("create", ORG_ID),
        ("get", ORG_ID),
        ("delete", ORG_ID),
    ]


# -- figures -------------------------------------------------------------------------------------


def test_api_requests_per_operation(host: ProviderHost, api, program):
    counts: dict[str, int] = {}

    def measure(operation: str, call: Any) -> Any:
        api.requests.clear()
        result = call()
        counts[operation] = len(api.requests)
        return result

    checked = measure("Check", lambda: host.check(program.inputs))
    created = measure("Create", lambda: host.create(checked.inputs))
    read = measure("Read", lambda: host.read(created.id, created.properties, checked.inputs))
    measure("Diff", lambda: host.diff(read.id, read.properties, checked.inputs))
    measure("Update", lambda: host.update(read.id, read.properties, checked.inputs))
    measure("Delete", lambda: host.delete(read.id, read.properties))
    print(f"API requests per operation: {counts}; host start-up {host.startup_seconds:.2f} s")
    # Create: one look for an output an interrupted create of the same resource left, one POST.
    assert counts == {"Check": 0, "Create": 2, "Read": 1, "Diff": 0, "Update": 0, "Delete": 1}


# -- secret hygiene ------------------------------------------------------------------------------


def test_api_key_never_leaves_the_provider(emulator, program):
    """The key reaches the host only through Configure; it is in no input, output, error or log."""
    emulator.options.api_keys = {API_KEY}
    with ProviderHost.start(provider=program.provider) as host:
        host.configure({**STACK_CONFIG, API_URL_CONFIG: emulator.base_url}, secrets={API_KEY_CONFIG: API_KEY})
        checked, created = deploy(host, program.inputs)
        host.check({**program.inputs, "role_arn": UNKNOWN}, olds=checked.inputs)
        read = host.read(created.id, created.properties, checked.inputs)
        host.diff(read.id, read.properties, checked.inputs, old_inputs=read.inputs)
        host.update(read.id, read.properties, checked.inputs)
        with pytest.raises(HostCallError):
            host.update(read.id, read.properties, {**checked.inputs, "name": "other"})
        host.delete(read.id, read.properties)
        host.delete(read.id, read.properties)
        emulator.options.api_keys = {"another-key"}
        for call in (lambda: host.create(checked.inputs), lambda: host.read(read.id, read.properties)):
            with pytest.raises(HostCallError):
                call()
    calls = host.transcript[1:]  # everything after Configure, the one place the key belongs
    assert [c.method for c in calls].count("Create") == 2
    assert sum(c.error is not None for c in calls) == 3
    texts = {
        "__provider": program.provider,
        "__provider (decoded)": base64.b64decode(program.provider).decode("latin-1"),
        "program inputs": repr(program.inputs),
        "host stdout": host.stdout,
        "host stderr": host.stderr,
        **{f"{c.method} #{i}": repr((c.request, c.response, c.error)) for i, c in enumerate(calls)},
    }
    leaks = [where for where, text in texts.items() if API_KEY in text]
    assert leaks == []


def test_api_key_with_a_trailing_newline_is_trimmed(emulator, program):
    key = API_KEY + "\r\n"  # e.g. `export BITMOVIN_API_KEY=$(cat key.txt)` with a CRLF file
    emulator.options.api_keys = {API_KEY}
    with ProviderHost.start(env={"BITMOVIN_API_URL": emulator.base_url}, provider=program.provider) as host:
        host.configure({API_URL_CONFIG: emulator.base_url}, secrets={API_KEY_CONFIG: key})
        created = host.create(host.check(program.inputs).inputs)
    assert emulator.outputs.find(created.id) is not None


def test_malformed_api_key_is_rejected_at_check_and_never_echoed(emulator, program):
    key = API_KEY[:6] + " \x07" + API_KEY[6:]  # a control character inside the key
    with ProviderHost.start(env={"BITMOVIN_API_URL": emulator.base_url}, provider=program.provider) as host:
        host.configure({API_URL_CONFIG: emulator.base_url}, secrets={API_KEY_CONFIG: key})
        checked = host.check(program.inputs)
        with pytest.raises(HostCallError) as raised:
            host.create(checked.inputs)
    reasons = [reason for _property, reason in checked.failures]
    assert len(reasons) == 1
    assert "bitmovin:apiKey" in reasons[0]
    assert "bitmovin:apiKey" in raised.value.details
    assert len(emulator.requests) == 0
    for text in (*reasons, raised.value.details, host.stdout, host.stderr):
        assert API_KEY[:6] not in text
        assert API_KEY[6:] not in text


# -- working directory ---------------------------------------------------------------------------


def test_host_outside_the_project_directory_cannot_import_the_provider(tmp_path, emulator, program):
    """Why `pulumi` must run from the project directory: the engine sets no PYTHONPATH."""
    with ProviderHost.start(cwd=tmp_path, provider=program.provider) as host:
        host.configure({API_URL_CONFIG: emulator.base_url}, secrets={API_KEY_CONFIG: API_KEY})
        with pytest.raises(HostCallError) as raised:
            host.check(program.inputs)
    assert raised.value.code == grpc.StatusCode.UNKNOWN
    assert "ModuleNotFoundError: No module named 'providers'" in raised.value.details
    # Only the import path is at fault: the same host finds the provider with PYTHONPATH.
    with ProviderHost.start(
        cwd=tmp_path, env={"PYTHONPATH": str(REPO_ROOT)}, provider=program.provider
    ) as host:
        host.configure({API_URL_CONFIG: emulator.base_url}, secrets={API_KEY_CONFIG: API_KEY})
        assert host.check(program.inputs).failures == []
    assert len(emulator.requests) == 0
