"""Layer 2: what a create takes over, by creation token or by ``adopt_output_id``, against the emulator.

The creation token is a hash anyone who can create outputs in the organization can compute, and an
adopted output was made by someone else: either is taken over only if every field it returns is what
the inputs describe (issue 22, items 1 and 2). A create's look-up costs at most three requests
whatever the organization holds (item 10).
"""

from __future__ import annotations

import pytest

from dev.support.provider_factory import configured_provider
from dev.support.testing import ROLE_ARN
from providers import analytics_output
from providers import output_model as model
from providers.analytics_output import TYPE_TOKEN, AdoptionError

pytestmark = [pytest.mark.layer2, pytest.mark.usefixtures("no_bitmovin_env")]

KEY = "takeover-test-key-3c7a"
RESOURCE_KEY = f"project/stack//{TYPE_TOKEN}::analytics-output"
FOREIGN_ROLE = "arn:aws:iam::210987654321:role/planted-by-someone-else"
CUSTOM_EXTERNAL_ID = "chosen-by-the-planter-0b1c"
BASE = {"bucket_name": "acme-analytics", "role_arn": ROLE_ARN, "name": "export", "description": "exports"}


def configured(emulator):
    return configured_provider(emulator.base_url, KEY, maxRetries="1", retryBudgetSeconds="2")


def checked(provider, olds=None, **inputs):
    result = provider.check(olds or {}, {**BASE, **inputs, "__provider": "p"})
    assert result.failures == []
    return result.inputs


def plant(emulator, inputs, **fields):
    """An output as this resource's create would send it (same token, tagged name, bucket), changed by
    ``fields``: what anyone who can create outputs in the organization can make."""
    body = model.api_body(inputs, model.creation_token(inputs))
    return emulator.outputs.create({**body, "type": "S3_ROLE_BASED", **fields})


@pytest.mark.parametrize("echo_role_arn", [True, False], ids=["role-echoed", "role-not-echoed"])
def test_a_planted_output_with_the_token_and_another_role_is_refused(emulator, echo_role_arn):
    emulator.options.echo_role_arn = echo_role_arn
    provider = configured(emulator)
    inputs = checked(provider, creation_key=RESOURCE_KEY)
    planted = plant(
        emulator, inputs, roleArn=FOREIGN_ROLE, externalIdMode="CUSTOM", externalId=CUSTOM_EXTERNAL_ID
    )
    with pytest.raises(AdoptionError) as refused:
        provider.create(inputs)
    message = str(refused.value)
    assert planted["id"] in message
    assert "external_id_mode is 'CUSTOM', not 'GLOBAL'" in message
    assert ("role_arn is " in message) is echo_role_arn
    assert "delete it in the Bitmovin dashboard or API" in message
    assert CUSTOM_EXTERNAL_ID not in message
    assert emulator.requests.count(route="create") == 0
    assert [output["id"] for output in emulator.outputs.list()] == [planted["id"]]
    assert emulator.requests.count() <= 3


CUSTOM = {"external_id_mode": "CUSTOM", "external_id": "ours-1f2e3d4c"}


@pytest.mark.parametrize(
    ("inputs", "planted", "field"),
    [
        ({}, {"bucketName": "someone-elses-bucket"}, "bucket_name"),
        ({}, {"roleArn": FOREIGN_ROLE}, "role_arn"),
        ({}, {"externalIdMode": "GENERATED"}, "external_id_mode"),
        (CUSTOM, {"externalId": CUSTOM_EXTERNAL_ID}, "external_id"),
        ({}, {"description": "planted"}, "description"),
        ({"cloud_region": "EU_WEST_1"}, {"cloudRegion": "US_EAST_1"}, "cloud_region"),
        ({"signature_version": "S3_V4"}, {"signatureVersion": "S3_V2"}, "signature_version"),
        ({"md5_meta_tag": "md5"}, {"md5MetaTag": "other"}, "md5_meta_tag"),
        ({}, {"acl": [{"permission": "PUBLIC_READ"}]}, "acl"),
    ],
)
def test_any_field_of_a_token_match_that_differs_refuses_the_take_over(emulator, inputs, planted, field):
    provider = configured(emulator)
    wanted = checked(provider, creation_key=RESOURCE_KEY, **inputs)
    plant(emulator, wanted, **planted)
    with pytest.raises(AdoptionError, match=rf"carries this resource's creation token .*{field}"):
        provider.create(wanted)
    assert emulator.requests.count(route="create") == 0


def test_a_token_match_without_the_identifying_fields_is_refused(emulator):
    provider = configured(emulator)
    inputs = checked(provider, creation_key=RESOURCE_KEY)
    body = model.api_body(inputs, model.creation_token(inputs))
    emulator.outputs.create({"name": body["name"], "customData": body["customData"]})
    with pytest.raises(AdoptionError, match="bucket_name is not in the API's answer"):
        provider.create(inputs)


def test_an_exact_copy_left_by_an_interrupted_create_is_still_taken_over(emulator):
    provider = configured(emulator)
    inputs = checked(provider, creation_key=RESOURCE_KEY, **CUSTOM)
    left = plant(emulator, inputs)
    emulator.requests.clear()
    taken = provider.create(inputs)
    assert taken.id == left["id"]
    assert [r.route for r in emulator.requests] == ["account_information", "list", "custom_data"]
    assert taken.outs["name"] == "export"  # the user's name; Bitmovin's carries the token's tag


# -- adopt_output_id ---------------------------------------------------------------------------------


def test_adopt_refuses_an_output_whose_description_differs(emulator):
    """A field the stack would replace on the next ``up``: adopting it would only postpone its deletion."""
    existing = emulator.outputs.create(
        {"bucketName": "acme-analytics", "roleArn": ROLE_ARN, "externalIdMode": "GLOBAL", "name": "export"}
        | {"description": "made by hand"}
    )
    provider = configured(emulator)
    with pytest.raises(AdoptionError) as refused:
        provider.create(checked(provider, adopt_output_id=existing["id"]))
    assert "description is 'made by hand', not 'exports'" in str(refused.value)
    assert "pulumi config rm adoptOutputId" in str(refused.value)


def test_adopt_refuses_another_custom_external_id_without_quoting_either(emulator):
    existing = emulator.outputs.create(
        {"bucketName": "acme-analytics", "roleArn": ROLE_ARN, "name": "export", "description": "exports"}
        | {"externalIdMode": "CUSTOM", "externalId": CUSTOM_EXTERNAL_ID}
    )
    provider = configured(emulator)
    with pytest.raises(AdoptionError) as refused:
        provider.create(checked(provider, adopt_output_id=existing["id"], **CUSTOM))
    assert "external_id differs" in str(refused.value)
    assert CUSTOM_EXTERNAL_ID not in str(refused.value)
    assert CUSTOM["external_id"] not in str(refused.value)


def adopted_state(emulator, provider):
    existing = emulator.outputs.create(
        {"bucketName": "acme-analytics", "roleArn": ROLE_ARN, "externalIdMode": "GLOBAL"}
        | {"name": "export", "description": "exports"}
    )
    inputs = checked(provider, creation_key=RESOURCE_KEY, adopt_output_id=existing["id"])
    adopted = provider.create(inputs)
    assert adopted.id == existing["id"]
    return existing, inputs, adopted


def test_a_replacement_with_adopt_output_id_still_set_creates_a_new_output(emulator):
    """Issue 22 item 1: the replacement's create must not re-adopt the output it replaces."""
    provider = configured(emulator)
    existing, inputs, adopted = adopted_state(emulator, provider)
    analytics_output._taken_over.clear()  # the later `up` runs in a new provider process
    news = {"creation_key": RESOURCE_KEY, "adopt_output_id": existing["id"], "description": "new"}
    assert provider.diff(adopted.id, adopted.outs, checked(provider, olds=inputs, **news)).replaces == [
        "description"
    ]
    # As the engine does for a replacement: check again without old inputs, then create.
    successor = provider.create(checked(provider, **news))
    provider.delete(adopted.id, adopted.outs)  # the engine deletes the replaced output afterwards
    assert successor.id != existing["id"]
    assert [output["id"] for output in emulator.outputs.list()] == [successor.id]


def test_a_delete_in_the_process_that_adopted_the_output_keeps_it(emulator):
    """Whatever a create handed the engine, the same run never deletes."""
    provider = configured(emulator)
    existing, _, adopted = adopted_state(emulator, provider)
    emulator.requests.clear()
    provider.delete(existing["id"], adopted.outs)
    assert len(emulator.requests) == 0
    assert emulator.outputs.get(existing["id"]) is not None


# -- cost of the look-up (item 10) -------------------------------------------------------------------


@pytest.mark.parametrize("name_filter", ["exact", "substring"])
@pytest.mark.parametrize("leftover", [False, True], ids=["new", "left-by-a-killed-create"])
def test_a_create_costs_at_most_three_requests_whatever_the_organization_holds(
    emulator, name_filter, leftover
):
    """1,000 outputs named like ours or containing our name; the look-up reads one page and one output."""
    emulator.options.name_filter = name_filter
    provider = configured(emulator)
    inputs = checked(provider, creation_key=RESOURCE_KEY)
    same = {"bucketName": "acme-analytics", "roleArn": ROLE_ARN, "externalIdMode": "GLOBAL"}
    emulator.outputs.create_many(
        [{**same, "name": "export"}] * 500 + [{**same, "name": f"{n}-export-{n}"} for n in range(500)]
    )
    left = plant(emulator, inputs) if leftover else None
    emulator.requests.clear()
    created = provider.create(inputs)
    routes = [r.route for r in emulator.requests]
    if leftover:
        assert created.id == left["id"]
        assert routes == ["account_information", "list", "custom_data"]
    else:
        assert routes == ["account_information", "list", "create"]
    assert len(emulator.outputs) == 1001


def test_names_planted_around_the_tagged_one_cost_one_page_and_never_stop_the_create(emulator):
    """Only someone who computed the tag can name outputs so that a substring filter returns them:
    the look-up still reads one page and the create goes ahead (docs/bitmovin-api.md)."""
    emulator.options.name_filter = "substring"
    provider = configured(emulator)
    inputs = checked(provider, creation_key=RESOURCE_KEY)
    sent = model.api_body(inputs, model.creation_token(inputs))["name"]
    same = {"bucketName": "acme-analytics", "roleArn": ROLE_ARN, "externalIdMode": "GLOBAL"}
    emulator.outputs.create_many([{**same, "name": f"{n} {sent}"} for n in range(1000)])
    emulator.requests.clear()
    created = provider.create(inputs)
    assert [r.route for r in emulator.requests] == ["account_information", "list", "create"]
    assert emulator.outputs.get(created.id)["name"] == sent
