"""Layer 1: the provider's check and diff, which must be pure (no network) and free of spurious changes."""

from __future__ import annotations

import pytest
from pulumi.output import Unknown
from pulumi.runtime.rpc import UNKNOWN

from dev.support.provider_factory import configured_provider
from dev.support.testing import ORG_ID, ROLE_ARN
from providers import output_model as model

pytestmark = [pytest.mark.layer1, pytest.mark.usefixtures("no_bitmovin_env")]

GOOD = {"bucket_name": "acme-analytics", "role_arn": ROLE_ARN}


@pytest.fixture
def provider():
    """A configured provider whose only possible network target is an unroutable URL."""
    return configured_provider("http://127.0.0.1:9/v1", "k")


def test_check_fills_defaults(provider):
    result = provider.check({}, {**GOOD, "__provider": "x"})
    assert result.failures == []
    assert result.inputs == {**GOOD, "external_id_mode": "GLOBAL", "acl": [{"permission": "PRIVATE"}]}


def test_check_reports_every_bad_field_at_once(provider):
    news = {
        "bucket_name": "Bad_Bucket",
        "role_arn": "arn:aws:iam::123:user/x",
        "external_id_mode": "global",
        "acl": [{"permission": "PUBLIC"}],
        "custom_data": "not a mapping",
        "tenant_org_id": "acme",
        "cloud_region": "eu-west-1",
        "signature_version": "V4",
        "md5_meta_tag": "has space",
    }
    failures = {f.property: f.reason for f in provider.check({}, news).failures}
    assert set(failures) == set(news)
    assert "lowercase" in failures["bucket_name"]
    assert "arn:aws:iam::<12-digit account id>:role/<role name>" in failures["role_arn"]
    assert "GLOBAL, GENERATED, CUSTOM" in failures["external_id_mode"]
    assert "UUID" in failures["tenant_org_id"]


@pytest.mark.parametrize(
    ("extra", "field", "words"),
    [
        (
            {"external_id_mode": "GLOBAL", "external_id": "my-id-123"},
            "external_id",
            "only be set with external_id_mode CUSTOM",
        ),
        ({"external_id_mode": "CUSTOM"}, "external_id", "required with external_id_mode CUSTOM"),
        ({"custom_data": {"pulumiCreationToken": "x"}}, "custom_data", "reserved"),
        ({"name": "n" * 300}, "name", "at most 255"),
    ],
)
def test_check_cross_field_rules(provider, extra, field, words):
    failures = provider.check({}, {**GOOD, **extra}).failures
    assert [(f.property, words in f.reason) for f in failures] == [(field, True)]


def test_check_requires_bucket_and_role(provider):
    failures = {f.property for f in provider.check({}, {}).failures}
    assert failures == {"bucket_name", "role_arn"}


def test_check_tolerates_unknowns_during_preview(provider):
    news = {"bucket_name": Unknown(), "role_arn": UNKNOWN, "external_id_mode": "GLOBAL"}
    result = provider.check({}, news)
    assert result.failures == []
    assert result.inputs["role_arn"] == UNKNOWN


def test_check_without_api_key_names_the_config_key():
    failures = configured_provider(None, None).check({}, GOOD).failures
    assert len(failures) == 1
    assert "pulumi config set --secret bitmovin:apiKey" in failures[0].reason


def test_check_reports_bad_http_settings():
    reasons = [
        f.reason for f in configured_provider(None, "k", readTimeoutSeconds="soon").check({}, GOOD).failures
    ]
    assert len(reasons) == 1
    assert "bitmovin:readTimeoutSeconds" in reasons[0]
    assert "pulumi config set bitmovin:readTimeoutSeconds" in reasons[0]


def _provider_with_stack_config(config: dict) -> object:
    """A provider configured as the engine does it: with the whole stack config, every namespace."""
    from pulumi.dynamic import Config, ConfigureRequest

    from providers.analytics_output import AnalyticsS3RoleBasedOutputProvider

    provider = AnalyticsS3RoleBasedOutputProvider()
    provider.configure(ConfigureRequest(Config({"bitmovin:apiKey": "k", **config}, "consumer-project")))
    return provider


OTHER_NAMESPACES = {
    "aws:region": "eu-central-1",
    "aws:tenantOrgID": "x",
    "consumer-project:exportPrefix": "analytics/",
    "consumer-project:tenantOrgID": "x",
    "bitmovin:tenantOrgId": "9c1d2e3f-4a5b-4c6d-8e7f-8091a2b3c4d5",
    "bitmovin:readTimeoutSeconds": "20",
}


@pytest.mark.parametrize(
    ("typo", "meant"),
    [
        ("bitmovin:tenantOrgID", "bitmovin:tenantOrgId"),
        ("bitmovin:tenant_org_id", "bitmovin:tenantOrgId"),
        ("bitmovin:apiURL", "bitmovin:apiUrl"),
        ("bitmovin:readTimeoutSecond", "bitmovin:readTimeoutSeconds"),
        ("bitmovin:apikey", "bitmovin:apiKey"),
    ],
)
def test_check_refuses_a_bitmovin_key_nothing_reads_and_never_shows_its_value(typo, meant):
    value = "9c1d2e3f-4a5b-4c6d-8e7f-8091a2b3c4d5" if "org" in typo.lower() else "value-7d1e"
    # Only the bitmovin: namespace is ours: the other keys of the whole stack config are no typos.
    failures = _provider_with_stack_config({typo: value, **OTHER_NAMESPACES}).check({}, GOOD).failures
    assert len(failures) == 1
    reason = failures[0].reason
    assert typo in reason
    assert f"did you mean `{meant}`?" in reason
    # The provider cannot tell a secret from a plain value: the value is moved as a secret, never shown
    # nor on a command line.
    assert value not in reason
    assert (
        f"`pulumi config get {typo} | pulumi config set --secret {meant} && pulumi config rm {typo}`"
        in reason
    )


def test_check_names_a_bad_api_url_once():
    reasons = [
        f.reason for f in configured_provider("https://api.bitmovin.com", "k").check({}, GOOD).failures
    ]
    assert len(reasons) == 1
    assert reasons[0].count("got") <= 1
    assert "pulumi config set bitmovin:apiUrl https://api.bitmovin.com/v1" in reasons[0]


def _state(**overrides):
    """State as create() leaves it for GOOD inputs in GLOBAL mode."""
    state = {
        **GOOD,
        "external_id_mode": "GLOBAL",
        "external_id": "0b7ad2b4-9d9b-4a53-b1a5-8c4e1f0f3c11",
        "acl": [{"permission": "PRIVATE"}],
        "created_at": "2026-11-27T10:00:00Z",
        "modified_at": "2026-11-27T10:00:00Z",
        "__provider": "old-provider",
    }
    return {**state, **overrides}


def test_diff_equal_inputs_is_no_change(provider):
    news = provider.check({}, {**GOOD, "__provider": "new-provider"}).inputs
    result = provider.diff("id", _state(), news)
    assert result.changes is False
    assert result.replaces == []


def test_diff_ignores_server_generated_external_id_and_acl_scope(provider):
    news = provider.check({}, {**GOOD, "acl": [{"permission": "PRIVATE"}]}).inputs
    state = _state(acl=[{"permission": "PRIVATE", "scope": "ignored"}], tenant_org_id="")
    assert provider.diff("id", state, news).changes is False


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("bucket_name", "other-bucket"),
        ("role_arn", "arn:aws:iam::123456789012:role/other"),
        ("external_id_mode", "GENERATED"),
        ("acl", [{"permission": "PUBLIC_READ"}]),
        ("name", "renamed"),
        ("description", "new words"),
        ("custom_data", {"team": "video"}),
        ("tenant_org_id", ORG_ID),
        ("cloud_region", "EU_WEST_1"),
        ("signature_version", "S3_V4"),
        ("md5_meta_tag", "md5"),
    ],
)
def test_diff_any_input_change_is_a_replacement(provider, key, value):
    news = provider.check({}, {**GOOD, key: value}).inputs
    result = provider.diff("id", _state(), news)
    assert result.changes is True
    assert result.replaces == [key]
    assert key not in result.stables


def test_diff_custom_external_id_change_is_a_replacement(provider):
    state = _state(external_id_mode="CUSTOM", external_id="first-id")
    news = provider.check({}, {**GOOD, "external_id_mode": "CUSTOM", "external_id": "second-id"}).inputs
    assert provider.diff("id", state, news).replaces == ["external_id"]


def test_diff_unknown_input_counts_as_possible_replacement(provider):
    news = {**provider.check({}, GOOD).inputs, "bucket_name": Unknown()}
    assert provider.diff("id", _state(), news).replaces == ["bucket_name"]


def test_outputs_strip_the_creation_token_and_keep_unechoed_fields():
    inputs = model.with_defaults({**GOOD, "custom_data": {"team": "video"}})
    api = {
        "id": "o1",
        "bucketName": "acme-analytics",
        "externalId": "e",
        "externalIdMode": "GLOBAL",
        "customData": {"team": "video", model.CREATION_TOKEN_KEY: "t"},
        "createdAt": "c",
        "modifiedAt": "m",
    }
    outputs = model.outputs_from(inputs, api)
    assert outputs["custom_data"] == {"team": "video"}
    assert outputs["role_arn"] == ROLE_ARN  # not echoed by the API: kept from state
    assert outputs["external_id"] == "e"
    assert model.changed_inputs(outputs, inputs) == []


def test_api_body_maps_to_camel_case_and_adds_the_token():
    inputs = model.with_defaults({**GOOD, "md5_meta_tag": "md5", "tenant_org_id": ORG_ID})
    body = model.api_body(inputs, "tok")
    assert body == {
        "bucketName": "acme-analytics",
        "roleArn": ROLE_ARN,
        "externalIdMode": "GLOBAL",
        "acl": [{"permission": "PRIVATE"}],
        "md5MetaTag": "md5",
        "name": model.name_tag("tok"),  # no name given: the token's tag alone
        "customData": {model.CREATION_TOKEN_KEY: "tok"},
    }


def test_api_defaults_the_user_did_not_set_never_become_changes():
    inputs = model.with_defaults(GOOD)
    api = {
        "id": "o1",
        "bucketName": "acme-analytics",
        "externalId": "e",
        "signatureVersion": "S3_V4",
        "cloudRegion": "EU_WEST_1",
        "acl": [],
        "createdAt": "c",
        "modifiedAt": "m",
    }
    outputs = model.outputs_from(inputs, api)
    assert "signature_version" not in outputs
    assert "cloud_region" not in outputs
    assert outputs["acl"] == [{"permission": "PRIVATE"}]
    assert model.changed_inputs(outputs, inputs) == []


def test_acl_scope_is_refused_because_bitmovin_ignores_it(provider):
    failures = provider.check({}, {**GOOD, "acl": [{"permission": "PRIVATE", "scope": "x"}]}).failures
    assert [f.property for f in failures] == ["acl"]
    assert "scope" in failures[0].reason
