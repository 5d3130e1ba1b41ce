"""Layer 2: a pull-request preview runs without any Bitmovin key, and that tolerance stops at ``check``.

The preview workflow gives pull-request code no ``BITMOVIN_API_KEY`` and sets
``BITMOVIN_PREVIEW_WITHOUT_KEY=true``. A preview calls only ``check`` and ``diff`` (no request), so
``check`` must not fail for the missing key then; every call that talks to Bitmovin (create, read,
delete) must still refuse before any request, with or without the variable, and any other
configuration problem (an unusable key, a bad URL) must still fail ``check``.
"""

from __future__ import annotations

import pytest
from pulumi.dynamic import Config, ConfigureRequest

from dev.support.provider_factory import PROJECT, configured_provider
from dev.support.testing import ORG_ID, ROLE_ARN
from providers.output_reference import AnalyticsOutputReferenceProvider
from providers.provider_base import ProviderConfigError
from providers.provider_config import MISSING_API_KEY, PREVIEW_WITHOUT_KEY_ENV

pytestmark = [pytest.mark.layer2, pytest.mark.usefixtures("no_bitmovin_env")]

OUTPUT_INPUTS = {"bucket_name": "acme-analytics", "role_arn": ROLE_ARN, "external_id_mode": "GLOBAL"}
REFERENCE_INPUTS = {"output_id": "0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9", "tenant_org_id": ORG_ID}


def output_provider(api_url, key=None, **settings):
    return configured_provider(api_url, key, maxRetries="0", **settings)


def reference_provider(api_url, key=None):
    config = {"bitmovin:apiUrl": api_url, "bitmovin:maxRetries": "0"}
    if key is not None:
        config["bitmovin:apiKey"] = key
    provider = AnalyticsOutputReferenceProvider()
    provider.configure(ConfigureRequest(Config(config, PROJECT)))
    return provider


PROVIDERS = [
    pytest.param(output_provider, OUTPUT_INPUTS, id="output"),
    pytest.param(reference_provider, REFERENCE_INPUTS, id="reference"),
]


def config_failures(provider, inputs):
    return [f.reason for f in provider.check({}, dict(inputs)).failures if f.property == ""]


@pytest.mark.parametrize(("make", "inputs"), PROVIDERS)
def test_a_preview_without_key_passes_check(make, inputs, monkeypatch, emulator):
    monkeypatch.setenv(PREVIEW_WITHOUT_KEY_ENV, "true")
    provider = make(emulator.base_url)
    assert config_failures(provider, inputs) == []
    assert len(emulator.requests) == 0


@pytest.mark.parametrize("value", [None, "", "false", "1", "yes", "TRUE", " true"])
@pytest.mark.parametrize(("make", "inputs"), PROVIDERS)
def test_without_the_exact_flag_a_missing_key_still_fails_check(make, inputs, value, monkeypatch, emulator):
    if value is None:
        monkeypatch.delenv(PREVIEW_WITHOUT_KEY_ENV, raising=False)
    else:
        monkeypatch.setenv(PREVIEW_WITHOUT_KEY_ENV, value)
    assert config_failures(make(emulator.base_url), inputs) == [MISSING_API_KEY]


@pytest.mark.parametrize(("make", "inputs"), PROVIDERS)
def test_the_flag_tolerates_only_a_missing_key(make, inputs, monkeypatch):
    monkeypatch.setenv(PREVIEW_WITHOUT_KEY_ENV, "true")
    unusable_key = config_failures(make("http://127.0.0.1:9/v1", "has space"), inputs)
    assert len(unusable_key) == 1
    assert "contains spaces" in unusable_key[0]
    bad_url = config_failures(make("ftp://api.bitmovin.com/v1"), inputs)
    assert len(bad_url) == 1
    assert "bitmovin:apiUrl" in bad_url[0]


@pytest.mark.parametrize("flag", ["true", None])
def test_every_call_that_talks_to_bitmovin_refuses_without_key(flag, monkeypatch, emulator):
    if flag is None:
        monkeypatch.delenv(PREVIEW_WITHOUT_KEY_ENV, raising=False)
    else:
        monkeypatch.setenv(PREVIEW_WITHOUT_KEY_ENV, flag)
    output = output_provider(emulator.base_url)
    reference = reference_provider(emulator.base_url)
    calls = {
        "output create": lambda: output.create(dict(OUTPUT_INPUTS)),
        "output read": lambda: output.read("x", dict(OUTPUT_INPUTS)),
        "output delete": lambda: output.delete("x", dict(OUTPUT_INPUTS)),
        "reference create": lambda: reference.create(dict(REFERENCE_INPUTS)),
        "reference read": lambda: reference.read(REFERENCE_INPUTS["output_id"], dict(REFERENCE_INPUTS)),
    }
    for name, call in calls.items():
        with pytest.raises(ProviderConfigError, match="pulumi config set --secret bitmovin:apiKey"):
            call()
        assert len(emulator.requests) == 0, name
