"""Layer 2: the provider's lifecycle methods against the local emulator over real HTTP."""

from __future__ import annotations

import pytest

from bitmovin_api.errors import BitmovinApiError
from dev.support.provider_factory import configured_provider
from dev.support.testing import ORG_ID, OTHER_ORG_ID, ROLE_ARN
from providers.analytics_output import TYPE_TOKEN, InPlaceUpdateError, ProviderConfigError
from providers.create_reconciler import CreateFailedError
from providers.output_model import CREATION_TOKEN_KEY

pytestmark = [pytest.mark.layer2, pytest.mark.usefixtures("no_bitmovin_env")]

KEY = "provider-test-key-91d4"


def configured(emulator, key=KEY, **settings):
    """These tests inject no faults: few, quick retries."""
    return configured_provider(emulator.base_url, key, maxRetries="1", retryBudgetSeconds="2", **settings)


def checked(provider, **inputs):
    result = provider.check(
        {}, {"bucket_name": "acme-analytics", "role_arn": ROLE_ARN, **inputs, "__provider": "p"}
    )
    assert result.failures == []
    return result.inputs


def test_create_read_delete_with_the_fewest_requests(emulator):
    provider = configured(emulator)
    inputs = checked(provider, tenant_org_id=ORG_ID, name="export", custom_data={"team": "video"})
    assert len(emulator.requests) == 0

    created = provider.create(inputs)
    # One look for an output an interrupted create of this resource left, then one POST.
    assert [(r.route, r.method) for r in emulator.requests] == [("list", "GET"), ("create", "POST")]
    stored = emulator.outputs.get(created.id, ORG_ID)
    assert stored["bucketName"] == "acme-analytics"
    assert stored["customData"]["team"] == "video"
    assert created.outs["external_id"] == emulator.outputs.global_external_id(ORG_ID)
    assert created.outs["custom_data"] == {"team": "video"}
    assert CREATION_TOKEN_KEY not in str(created.outs)
    assert created.outs["created_at"]

    emulator.requests.clear()
    read = provider.read(created.id, created.outs)
    assert emulator.requests.count() == 1
    assert read.id == created.id
    assert read.outs == created.outs
    assert provider.diff(created.id, read.outs, inputs).changes is False
    assert provider.diff(created.id, read.outs, read.inputs).changes is False

    emulator.requests.clear()
    provider.delete(created.id, read.outs)
    assert emulator.requests.count() == 1
    assert emulator.outputs.get(created.id, ORG_ID) is None


@pytest.mark.parametrize(
    "switches",
    [
        {"echo_role_arn": False},
        {"echo_custom_data": True},
        {"echo_acl": False, "echo_type": False},
        {"create_status": 200, "delete_body": "full"},
    ],
)
def test_lifecycle_holds_whatever_the_api_echoes(emulator, switches):
    for name, value in switches.items():
        setattr(emulator.options, name, value)
    provider = configured(emulator)
    inputs = checked(provider, custom_data={"k": "v"})
    created = provider.create(inputs)
    assert created.outs["role_arn"] == ROLE_ARN
    assert created.outs["custom_data"] == {"k": "v"}
    read = provider.read(created.id, created.outs)
    assert read.outs == created.outs
    assert provider.diff(created.id, read.outs, inputs).changes is False
    provider.delete(created.id, read.outs)
    assert len(emulator.outputs) == 0


def test_external_id_modes(emulator):
    provider = configured(emulator)
    generated = [
        provider.create(
            checked(provider, external_id_mode="GENERATED", creation_key=f"p/s//{TYPE_TOKEN}::output-{n}")
        ).outs["external_id"]
        for n in range(2)
    ]
    assert generated[0] != generated[1]
    custom = provider.create(checked(provider, external_id_mode="CUSTOM", external_id="my-external-id-1"))
    assert custom.outs["external_id"] == "my-external-id-1"


def test_refresh_after_out_of_band_delete_drops_the_resource(emulator):
    provider = configured(emulator)
    created = provider.create(checked(provider, tenant_org_id=ORG_ID))
    emulator.outputs.delete(created.id, ORG_ID)
    read = provider.read(created.id, created.outs)
    assert read.id is None
    assert read.outs == {}


def test_read_and_delete_address_the_organization_in_state(emulator):
    provider = configured(emulator, tenantOrgId=OTHER_ORG_ID)
    created = provider.create(checked(provider, tenant_org_id=ORG_ID))
    emulator.requests.clear()
    assert provider.read(created.id, created.outs).id == created.id
    provider.delete(created.id, created.outs)
    assert [r.headers.get("X-Tenant-Org-Id") for r in emulator.requests] == [ORG_ID, ORG_ID]
    assert emulator.outputs.get(created.id, ORG_ID) is None


def test_delete_of_an_already_deleted_output_succeeds(emulator):
    provider = configured(emulator)
    created = provider.create(checked(provider))
    provider.delete(created.id, created.outs)
    provider.delete(created.id, created.outs)
    assert [r.status for r in emulator.requests.filter(route="delete")] == [200, 404]


def test_update_is_safe_if_ever_reached(emulator):
    provider = configured(emulator)
    inputs = checked(provider)
    created = provider.create(inputs)
    emulator.requests.clear()
    same = provider.update(created.id, {**created.outs, "__provider": "p"}, inputs)
    assert same.outs == created.outs
    with pytest.raises(InPlaceUpdateError, match="bucket_name"):
        provider.update(created.id, created.outs, {**inputs, "bucket_name": "other-bucket"})
    assert len(emulator.requests) == 0


def test_api_errors_surface_with_status_code_and_message(emulator):
    emulator.options.validate_role_arn = True
    provider = configured(emulator)
    with pytest.raises(CreateFailedError) as caught:
        provider.create(
            {"bucket_name": "acme-analytics", "role_arn": "not-an-arn", "external_id_mode": "GLOBAL"}
        )
    text = str(caught.value)
    assert "Nothing was created" in text
    assert "HTTP 400" in text
    assert "roleArn" in text
    assert len(emulator.outputs) == 0


def test_read_error_other_than_not_found_is_raised(emulator):
    provider = configured(emulator)
    created = provider.create(checked(provider))
    emulator.options.api_keys = {"another-key"}
    with pytest.raises(BitmovinApiError) as caught:
        provider.read(created.id, created.outs)
    assert caught.value.status == 401
    assert "bitmovin:apiKey" in str(caught.value)
    assert KEY not in str(caught.value)


def test_missing_key_fails_before_any_request(emulator):
    provider = configured(emulator, key=None)
    inputs = {"bucket_name": "acme-analytics", "role_arn": ROLE_ARN, "external_id_mode": "GLOBAL"}
    for call in (
        lambda: provider.create(inputs),
        lambda: provider.read("x", inputs),
        lambda: provider.delete("x", inputs),
    ):
        with pytest.raises(ProviderConfigError, match="pulumi config set --secret bitmovin:apiKey"):
            call()
    assert len(emulator.requests) == 0


def test_environment_key_is_the_fallback(emulator, monkeypatch):
    monkeypatch.setenv("BITMOVIN_API_KEY", "env-key-0c2a")
    monkeypatch.setenv("BITMOVIN_API_URL", emulator.base_url)
    provider = configured_provider(None, None)
    created = provider.create(checked(provider))
    assert emulator.outputs.find(created.id) is not None


def test_config_key_wins_over_environment(emulator, monkeypatch):
    monkeypatch.setenv("BITMOVIN_API_KEY", "env-key-unused")
    emulator.options.api_keys = {KEY}
    provider = configured(emulator)
    assert provider.create(checked(provider)).id


def test_adopt_takes_over_an_existing_output_with_one_get(emulator):
    existing = emulator.outputs.create(
        {
            "bucketName": "acme-analytics",
            "roleArn": ROLE_ARN,
            "externalIdMode": "GLOBAL",
            "externalId": "ext-1",
        },
        ORG_ID,
    )
    provider = configured(emulator)
    inputs = checked(provider, tenant_org_id=ORG_ID, adopt_output_id=existing["id"])
    adopted = provider.create(inputs)
    assert adopted.id == existing["id"]
    assert adopted.outs["external_id"] == existing["externalId"]
    assert "adopt_output_id" not in adopted.outs
    assert [(r.method, r.route) for r in emulator.requests] == [("GET", "get")]
    assert len(emulator.outputs.list(ORG_ID)) == 1
    # Removing the adoption hint later is not a change.
    assert provider.diff(adopted.id, adopted.outs, checked(provider, tenant_org_id=ORG_ID)).changes is False


def test_adopt_refuses_an_output_that_contradicts_the_inputs(emulator):
    existing = emulator.outputs.create(
        {"bucketName": "other-bucket", "roleArn": ROLE_ARN, "externalIdMode": "GLOBAL"}
    )
    provider = configured(emulator)
    with pytest.raises(Exception, match="cannot be adopted: bucket_name is 'other-bucket'"):
        provider.create(checked(provider, adopt_output_id=existing["id"]))
    assert emulator.requests.count(route="create") == 0


def test_adopt_of_a_missing_output_fails_with_not_found(emulator):
    provider = configured(emulator)
    with pytest.raises(BitmovinApiError) as caught:
        provider.create(checked(provider, adopt_output_id="cb90b80c-8867-4e3b-8479-174aa2843f62"))
    assert caught.value.not_found
    assert emulator.requests.count(route="create") == 0


def test_adopt_id_must_be_an_output_id(emulator):
    provider = configured(emulator)
    failures = provider.check(
        {}, {"bucket_name": "acme-analytics", "role_arn": ROLE_ARN, "adopt_output_id": "../x"}
    ).failures
    assert [f.property for f in failures] == ["adopt_output_id"]


RESOURCE_KEY = f"project/stack//{TYPE_TOKEN}::analytics-output"


def test_a_create_of_the_same_resource_takes_over_the_output_an_interrupted_one_left(emulator):
    first_process, second_process = configured(emulator), configured(emulator)
    inputs = checked(first_process, name="export", creation_key=RESOURCE_KEY)
    orphan = first_process.create(inputs)  # its process "died": the state never learnt of it

    emulator.requests.clear()
    again = second_process.create(checked(second_process, name="export", creation_key=RESOURCE_KEY))
    assert again.id == orphan.id
    assert again.outs == orphan.outs
    assert "create" not in [r.route for r in emulator.requests]
    assert len(emulator.outputs) == 1


@pytest.mark.parametrize(
    "other",
    [
        {"name": "export", "creation_key": RESOURCE_KEY.replace("analytics-output", "other-output")},
        {"name": "export", "creation_key": RESOURCE_KEY.replace("/stack/", "/other-stack/")},
        {"name": "renamed", "creation_key": KEY},
        {"name": "export", "creation_key": KEY, "tenant_org_id": ORG_ID},
    ],
    ids=["other-resource", "other-stack", "changed-input", "other-organization"],
)
def test_another_resource_or_changed_inputs_never_take_an_output_over(emulator, other):
    provider = configured(emulator)
    first = provider.create(checked(provider, name="export", creation_key=RESOURCE_KEY))
    second = provider.create(checked(provider, **other))
    assert second.id != first.id
    assert emulator.outputs.find(first.id) is not None
    assert emulator.outputs.find(second.id) is not None


def test_callers_without_a_resource_key_get_a_fresh_output_each_time(emulator):
    provider = configured(emulator)
    ids = {provider.create(checked(provider, name="export")).id for _ in range(2)}
    assert len(ids) == 2


def test_a_replacement_that_took_its_predecessor_over_does_not_delete_it(emulator):
    """``pulumi up --replace`` with unchanged inputs: create finds the live output by its token, and the
    replacement's delete of the old resource, in the same provider process, must keep it."""
    provider = configured(emulator)
    live = provider.create(checked(provider, name="export", creation_key=RESOURCE_KEY))
    successor = provider.create(checked(provider, name="export", creation_key=RESOURCE_KEY))
    assert successor.id == live.id
    emulator.requests.clear()
    provider.delete(live.id, live.outs)
    assert len(emulator.requests) == 0
    assert emulator.outputs.get(live.id) is not None
