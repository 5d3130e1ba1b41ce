"""Layer 1: the output reference's pinned names, and its offline ``check`` and ``diff``.

``providers.output_reference.AnalyticsOutputReferenceProvider`` is pickled by reference into every
stack that references an output, and its type token is part of every URN: moving or renaming either
breaks ``refresh`` and ``destroy`` of those stacks.
"""

from __future__ import annotations

import base64
import pickle
import pickletools

import pytest
from pulumi.dynamic import Config, ConfigureRequest
from pulumi.dynamic.dynamic import serialize_provider
from pulumi.output import Unknown

from dev.support.testing import ORG_ID
from providers.output_reference import AnalyticsOutputReference, AnalyticsOutputReferenceProvider
from providers.provider_config import API_KEY_CONFIG

pytestmark = pytest.mark.layer1

PINNED_MODULE = "providers.output_reference"
PINNED_PROVIDER = "AnalyticsOutputReferenceProvider"
PINNED_TYPE_TOKEN = "pulumi-python:dynamic/bitmovin:AnalyticsOutputReference"
OUTPUT_ID = "cb90b80c-8867-4e3b-8479-174aa2843f62"
OTHER_OUTPUT_ID = "0f8fad5b-d9cb-469f-a165-70867728950e"


@pytest.fixture
def provider(monkeypatch):
    monkeypatch.delenv("BITMOVIN_API_KEY", raising=False)
    monkeypatch.delenv("BITMOVIN_API_URL", raising=False)
    configured = AnalyticsOutputReferenceProvider()
    configured.configure(
        ConfigureRequest(Config({API_KEY_CONFIG: "reference-key"}, "bitmovin-analytics-export"))
    )
    return configured


def test_provider_class_is_pickled_by_reference_under_the_pinned_path():
    serialized = serialize_provider(AnalyticsOutputReferenceProvider())
    strings = [a for _op, a, _pos in pickletools.genops(base64.b64decode(serialized)) if isinstance(a, str)]
    assert strings == [PINNED_MODULE, PINNED_PROVIDER]
    assert isinstance(pickle.loads(base64.b64decode(serialized)), AnalyticsOutputReferenceProvider)  # noqa: S301


def test_resource_type_token_is_pinned():
    assert "pulumi-python:" + AnalyticsOutputReference._resource_type_name == PINNED_TYPE_TOKEN


def test_serialized_provider_carries_no_configuration(provider):
    serialized = serialize_provider(provider)
    assert serialized == serialize_provider(AnalyticsOutputReferenceProvider())
    assert b"reference-key" not in base64.b64decode(serialized)
    assert len(serialized) <= 200


def test_check_accepts_uuids_and_drops_an_empty_organization(provider):
    result = provider.check({}, {"output_id": OUTPUT_ID, "tenant_org_id": "", "__provider": "p"})
    assert result.failures == []
    assert result.inputs == {"output_id": OUTPUT_ID}


@pytest.mark.parametrize(
    ("news", "field", "words"),
    [
        ({}, "output_id", "is required"),
        ({"output_id": "my-output"}, "output_id", "is not a Bitmovin output id"),
        (
            {"output_id": OUTPUT_ID, "tenant_org_id": "acme"},
            "tenant_org_id",
            "is not a Bitmovin organization id",
        ),
    ],
)
def test_check_names_the_bad_input(provider, news, field, words):
    failures = provider.check({}, news).failures
    assert [(f.property, words in f.reason) for f in failures] == [(field, True)]


def test_check_tolerates_unknown_values_in_preview(provider):
    result = provider.check({}, {"output_id": Unknown(), "tenant_org_id": Unknown()})
    assert result.failures == []


def test_check_reports_a_missing_api_key_before_anything_is_read(monkeypatch):
    monkeypatch.delenv("BITMOVIN_API_KEY", raising=False)
    failures = AnalyticsOutputReferenceProvider().check({}, {"output_id": OUTPUT_ID}).failures
    assert len(failures) == 1
    assert "bitmovin:apiKey" in failures[0].reason


def test_diff_without_changes(provider):
    state = {"output_id": OUTPUT_ID, "tenant_org_id": ORG_ID, "bucket_name": "b", "external_id": "e"}
    result = provider.diff(OUTPUT_ID, state, {"output_id": OUTPUT_ID, "tenant_org_id": ORG_ID})
    assert result.changes is False
    assert result.replaces == []


@pytest.mark.parametrize(
    ("news", "replaced"),
    [
        ({"output_id": OTHER_OUTPUT_ID, "tenant_org_id": ORG_ID}, ["output_id"]),
        ({"output_id": OUTPUT_ID}, ["tenant_org_id"]),
        ({"output_id": Unknown(), "tenant_org_id": ORG_ID}, ["output_id"]),
    ],
)
def test_another_output_or_organization_replaces_the_reference(provider, news, replaced):
    state = {"output_id": OUTPUT_ID, "tenant_org_id": ORG_ID, "bucket_name": "b", "external_id": "e"}
    result = provider.diff(OUTPUT_ID, state, news)
    assert result.changes is True
    assert result.replaces == replaced
    assert result.delete_before_replace is False


def test_update_keeps_the_state(provider):
    olds = {"output_id": OUTPUT_ID, "bucket_name": "b", "external_id": "e", "__provider": "p"}
    assert provider.update(OUTPUT_ID, olds, {"output_id": OUTPUT_ID}).outs == {
        "output_id": OUTPUT_ID,
        "bucket_name": "b",
        "external_id": "e",
    }
