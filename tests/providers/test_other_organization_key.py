"""Layer 2: a key of another organization never makes a live output look deleted.

Without ``bitmovin:tenantOrgId`` a request acts in the API key's own organization, and Bitmovin
answers 404 for an output of another organization exactly as for a deleted one. So create records
the key's account (``api_key_account_id``, from ``GET /account/information``); refresh and destroy
believe a 404 only from a key of that account, and refuse (naming the fix) otherwise. The emulator
models two organizations with a key each (``home_orgs``); by default a key's account follows its home
organization (``EmulatorOptions.account_id``). Engine-level proof: tests/engine/test_engine_other_organization.py.
"""

from __future__ import annotations

import pytest
from pulumi.dynamic import Config, ConfigureRequest

from bitmovin_api.errors import BitmovinApiError
from dev.support.provider_factory import configured_provider
from dev.support.testing import BUCKET, ORG_ID, OTHER_ORG_ID, ROLE_ARN
from providers.analytics_output import TYPE_TOKEN, AnalyticsS3RoleBasedOutputProvider
from providers.errors import CreateFailedError, OrganizationError
from providers.organization import ACCOUNT_KEY
from providers.output_reference import AnalyticsOutputReferenceProvider

pytestmark = [pytest.mark.layer2, pytest.mark.usefixtures("no_bitmovin_env")]

KEY_A = "org-a-key-4c1e9d"  # its own organization is ORG_ID
KEY_A_ROTATED = "org-a-rotated-key-77b0"  # another key of the same account
KEY_B = "org-b-key-0f3a62"  # its own organization is OTHER_ORG_ID


@pytest.fixture
def orgs(emulator):
    """The emulator with two organizations, A (two keys of one account) and B (one key)."""
    emulator.options.api_keys = {KEY_A, KEY_A_ROTATED, KEY_B}
    emulator.options.home_orgs = {KEY_A: ORG_ID, KEY_A_ROTATED: ORG_ID, KEY_B: OTHER_ORG_ID}
    return emulator


def provider(emulator, key: str) -> AnalyticsS3RoleBasedOutputProvider:
    """A fresh provider process's provider, configured with ``key``."""
    return configured_provider(emulator.base_url, key, maxRetries="0")


def reference_provider(emulator, key: str) -> AnalyticsOutputReferenceProvider:
    configured = AnalyticsOutputReferenceProvider()
    config = {"bitmovin:apiUrl": emulator.base_url, "bitmovin:apiKey": key, "bitmovin:maxRetries": "0"}
    configured.configure(ConfigureRequest(Config(config, "bitmovin-analytics-export")))
    return configured


def create(emulator, key: str = KEY_A, name: str = "output", **inputs):
    """An output created through the provider without a tenant: in ``key``'s own organization."""
    made = provider(emulator, key)
    checked = made.check(
        {},
        {
            "bucket_name": BUCKET,
            "role_arn": ROLE_ARN,
            "creation_key": f"p/s//{TYPE_TOKEN}::{name}",
            **inputs,
        },
    )
    assert checked.failures == []
    return made.create(checked.inputs)


def routes(emulator) -> list[tuple[str | None, int | None]]:
    return [(record.route, record.status) for record in emulator.requests]


def assert_refused_naming_the_fix(text: str, recorded: str, current: str) -> None:
    assert 'is not treated as "output deleted"' in text
    assert f"Bitmovin account {recorded}" in text
    assert f"belongs to account {current}" in text
    assert "bitmovin:tenantOrgId" in text
    assert "bitmovin:apiKey" in text
    assert "`pulumi config set --secret bitmovin:apiKey`" in text
    assert "pulumi state delete" in text
    for key in (KEY_A, KEY_A_ROTATED, KEY_B):
        assert key not in text


def test_create_records_the_key_s_account_once_per_provider_process(orgs):
    made = provider(orgs, KEY_A)
    inputs = {"bucket_name": BUCKET, "role_arn": ROLE_ARN}
    first = made.create(made.check({}, {**inputs, "name": "one"}).inputs)
    second = made.create(made.check({}, {**inputs, "name": "two"}).inputs)

    account_a = orgs.options.account_id(KEY_A)
    assert first.outs[ACCOUNT_KEY] == second.outs[ACCOUNT_KEY] == account_a
    assert account_a != orgs.options.account_id(KEY_B)
    # The account is read before anything is created, once per provider process.
    assert [route for route, _ in routes(orgs)] == ["account_information", "list", "create", "list", "create"]
    assert "X-Tenant-Org-Id" not in orgs.requests[0].headers
    # The reply lists the account's API keys with their values: none of it reaches the state.
    assert KEY_A not in repr(first.outs)
    assert orgs.outputs.get(first.id, ORG_ID) is not None


def test_with_a_tenant_nothing_more_is_read_or_recorded(orgs):
    created = create(orgs, tenant_org_id=ORG_ID)
    assert ACCOUNT_KEY not in created.outs
    assert [route for route, _ in routes(orgs)] == ["list", "create"]


@pytest.mark.parametrize(("operation", "route"), [("read", "get"), ("delete", "delete")])
def test_refresh_or_destroy_with_another_organization_s_key_fails_and_keeps_the_output(
    orgs, operation, route
):
    created = create(orgs)
    orgs.requests.clear()

    with pytest.raises(BitmovinApiError) as raised:
        getattr(provider(orgs, KEY_B), operation)(created.id, created.outs)

    assert_refused_naming_the_fix(
        str(raised.value), orgs.options.account_id(KEY_A), orgs.options.account_id(KEY_B)
    )
    assert routes(orgs) == [(route, 404), ("account_information", 200)]
    assert orgs.outputs.get(created.id, ORG_ID) is not None
    # The key that created it still reads it, with one request.
    orgs.requests.clear()
    assert provider(orgs, KEY_A).read(created.id, created.outs).outs == created.outs
    assert routes(orgs) == [("get", 200)]


def test_another_key_of_the_same_account_reads_deletes_and_sees_gone_as_gone(orgs):
    created = create(orgs)
    rotated = provider(orgs, KEY_A_ROTATED)
    orgs.requests.clear()
    assert rotated.read(created.id, created.outs).id == created.id
    rotated.delete(created.id, created.outs)
    assert orgs.outputs.get(created.id, ORG_ID) is None
    # Now really gone: both believe the 404 (the account checked once, the list confirming each).
    assert rotated.read(created.id, created.outs).id is None
    rotated.delete(created.id, created.outs)
    assert routes(orgs) == [
        ("get", 200),
        ("delete", 200),
        ("get", 404),
        ("account_information", 200),
        ("list", 200),
        ("delete", 404),
        ("list", 200),
    ]


def test_two_accounts_in_one_organization_are_still_refused(orgs):
    """Whether a key's own organization follows from its account alone is INFERRED (contract U12):
    if two accounts ever shared one, a genuine 404 from the other account's key is refused, never the
    reverse (a live output dropped)."""
    orgs.options.home_orgs = {KEY_A: ORG_ID, KEY_B: ORG_ID}
    orgs.options.accounts = {KEY_A: "1b0c7a52-account-a", KEY_B: "9e4d1f03-account-b"}
    created = create(orgs)
    orgs.outputs.delete(created.id, ORG_ID)
    with pytest.raises(BitmovinApiError, match="belongs to account 9e4d1f03-account-b"):
        provider(orgs, KEY_B).read(created.id, created.outs)


def previous_release_state(outs: dict) -> dict:
    """State as the previous release wrote it: no account recorded."""
    return {key: value for key, value in outs.items() if key != ACCOUNT_KEY}


def test_state_of_the_previous_release_refreshes_with_the_right_key_and_records_the_account(orgs):
    created = create(orgs)
    old = previous_release_state(created.outs)
    made = provider(orgs, KEY_A)
    orgs.requests.clear()

    read = made.read(created.id, old)

    assert read.outs == created.outs  # the account is recorded now
    assert routes(orgs) == [("get", 200), ("account_information", 200)]
    # The new computed field is never a change of inputs: no diff, no replacement.
    assert made.diff(created.id, old, read.inputs).changes is False
    assert made.diff(created.id, read.outs, read.inputs).changes is False
    # Once recorded, a refresh costs one request again.
    orgs.requests.clear()
    assert provider(orgs, KEY_A).read(created.id, read.outs).outs == created.outs
    assert routes(orgs) == [("get", 200)]


def test_state_of_the_previous_release_never_takes_a_404_for_gone(orgs):
    created = create(orgs)
    old = previous_release_state(created.outs)
    other = provider(orgs, KEY_B)
    orgs.requests.clear()

    with pytest.raises(BitmovinApiError) as read:
        other.read(created.id, old)
    with pytest.raises(BitmovinApiError) as delete:
        other.delete(created.id, old)

    for raised in (read, delete):
        text = str(raised.value)
        assert "the state does not record which organization holds the output" in text
        assert "bitmovin:tenantOrgId" in text
        assert "bitmovin:apiKey" in text
        assert "pulumi state delete" in text
        assert KEY_B not in text
    assert routes(orgs) == [("get", 404), ("delete", 404)]
    assert orgs.outputs.get(created.id, ORG_ID) is not None


def test_the_account_is_read_before_anything_is_created_and_a_failure_creates_nothing(orgs):
    orgs.fail("account_information", 403)
    with pytest.raises(OrganizationError) as raised:
        create(orgs)
    assert isinstance(raised.value, CreateFailedError)
    text = str(raised.value)
    assert text.startswith("Nothing was created")
    assert "`pulumi config set bitmovin:tenantOrgId '<organization UUID>'`" in text
    assert KEY_A not in text
    assert routes(orgs) == [("account_information", 403)]
    assert len(orgs.outputs) == 0


@pytest.mark.parametrize(
    "result",
    [
        {},
        {"id": None},
        {"id": {"nested": "x"}},
        {"id": "../../outputs"},
        {"id": "a" * 65},
        {"id": "has space", "apiKeys": [{"value": KEY_A}]},
    ],
    ids=["no-id", "null", "object", "path", "too-long", "space"],
)
def test_an_account_reply_without_a_usable_id_creates_nothing(orgs, result):
    orgs.fail("account_information", 200, body={"status": "SUCCESS", "data": {"result": result}})
    with pytest.raises(OrganizationError, match="the reply names no account id") as raised:
        create(orgs)
    assert KEY_A not in str(raised.value)
    assert len(orgs.outputs) == 0


def test_a_reference_records_the_account_and_refuses_another_organization_s_404(orgs):
    existing = orgs.outputs.create(
        {"bucketName": "hand-made", "roleArn": ROLE_ARN, "externalIdMode": "GLOBAL"}, ORG_ID
    )
    created = reference_provider(orgs, KEY_A).create({"output_id": existing["id"]})
    assert created.outs[ACCOUNT_KEY] == orgs.options.account_id(KEY_A)
    assert [route for route, _ in routes(orgs)] == ["get", "account_information"]

    orgs.requests.clear()
    with pytest.raises(BitmovinApiError) as raised:
        reference_provider(orgs, KEY_B).read(existing["id"], created.outs)
    assert_refused_naming_the_fix(
        str(raised.value), orgs.options.account_id(KEY_A), orgs.options.account_id(KEY_B)
    )
    assert routes(orgs) == [("get", 404), ("account_information", 200)]

    # State of the previous release: the right key records the account, another key is refused.
    old = previous_release_state(created.outs)
    orgs.requests.clear()
    assert reference_provider(orgs, KEY_A).read(existing["id"], old).outs == created.outs
    with pytest.raises(BitmovinApiError, match="does not record which organization"):
        reference_provider(orgs, KEY_B).read(existing["id"], old)
    assert orgs.outputs.get(existing["id"], ORG_ID) is not None
    assert orgs.requests.count(method="DELETE") == 0
