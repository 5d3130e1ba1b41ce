"""Layer 1: the names pickled into every stack's state stay where existing stacks expect them.

The provider class is pickled by reference (module path + class name) into ``__provider``, and
the type token is part of every URN. Moving or renaming either breaks ``refresh`` and
``destroy`` of stacks created earlier, so this test fails before such a change can land.
"""

from __future__ import annotations

import base64
import pickle
import pickletools

import pytest
from pulumi.dynamic.dynamic import serialize_provider

from providers.analytics_output import AnalyticsS3RoleBasedOutput, AnalyticsS3RoleBasedOutputProvider
from providers.output_reference import AnalyticsOutputReference
from providers.provider_config import API_KEY_CONFIG

pytestmark = pytest.mark.layer1

PINNED_MODULE = "providers.analytics_output"
PINNED_PROVIDER = "AnalyticsS3RoleBasedOutputProvider"
PINNED_TYPE_TOKEN = "pulumi-python:dynamic/bitmovin:AnalyticsS3RoleBasedOutput"


def _strings_in_pickle(serialized: str) -> list[str]:
    """Every string in the pickle: for a by-reference class, just its module and name."""
    return [
        arg for _op, arg, _pos in pickletools.genops(base64.b64decode(serialized)) if isinstance(arg, str)
    ]


def test_provider_class_is_pickled_by_reference_under_the_pinned_path():
    serialized = serialize_provider(AnalyticsS3RoleBasedOutputProvider())
    strings = _strings_in_pickle(serialized)
    assert strings == [PINNED_MODULE, PINNED_PROVIDER]
    assert AnalyticsS3RoleBasedOutputProvider.__module__ == PINNED_MODULE
    assert AnalyticsS3RoleBasedOutputProvider.__qualname__ == PINNED_PROVIDER


def test_pickle_written_by_an_older_stack_still_loads():
    # The exact bytes a stack created with this provider holds in state today.
    stored = "gASVSwAAAAAAAACMGnByb3ZpZGVycy5hbmFseXRpY3Nfb3V0cHV0lIwiQW5hbHl0aWNzUzNSb2xlQmFzZWRPdXRwdXRQcm92aWRlcpSTlCmBlH2UYi4="
    provider = pickle.loads(base64.b64decode(stored))  # noqa: S301 - our own constant, the contract under test
    assert isinstance(provider, AnalyticsS3RoleBasedOutputProvider)
    assert serialize_provider(provider) == stored


def test_resource_type_token_is_pinned():
    # The SDK registers dynamic resources as "pulumi-python:" + this name.
    assert "pulumi-python:" + AnalyticsS3RoleBasedOutput._resource_type_name == PINNED_TYPE_TOKEN


def test_serialized_provider_is_small_and_carries_no_configuration():
    provider = AnalyticsS3RoleBasedOutputProvider()
    before = serialize_provider(provider)
    from pulumi.dynamic import Config, ConfigureRequest

    provider.configure(ConfigureRequest(Config({API_KEY_CONFIG: "KEY-MUST-NOT-PICKLE"}, "p")))
    after = serialize_provider(provider)
    assert after == before
    assert len(after) <= 200
    assert b"KEY-MUST-NOT-PICKLE" not in base64.b64decode(after)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (
            lambda: AnalyticsS3RoleBasedOutput("o", bucket_name="b", role_arn="r", bucket="typo"),
            "AnalyticsS3RoleBasedOutput got unexpected keyword argument(s): bucket",
        ),
        (
            lambda: AnalyticsS3RoleBasedOutput("o", bucket_name="b"),
            "AnalyticsS3RoleBasedOutput is missing required keyword argument(s): role_arn",
        ),
        (
            lambda: AnalyticsOutputReference("r", output_id="x", tenant="y"),
            "AnalyticsOutputReference got unexpected keyword argument(s): tenant",
        ),
        (
            lambda: AnalyticsOutputReference("r", tenant_org_id="y"),
            "AnalyticsOutputReference is missing required keyword argument(s): output_id",
        ),
    ],
)
def test_the_resources_check_their_keyword_arguments_like_a_signature(make, message):
    """The inputs are declared once (``output_model.FIELDS``, ``output_reference.ATTRIBUTES``) and taken
    as ``**inputs``: a misspelt or missing argument still fails at once, before anything registers."""
    with pytest.raises(TypeError) as raised:
        make()
    assert str(raised.value) == message
