"""Layer 1: stack config problems never show a secret value (the pure part of
tests/analytics_export/test_program_secrets.py, with the edge cases that are cheap to enumerate here)."""

from __future__ import annotations

import pytest

from analytics_export.settings import ConfigError, api_key_storage_problems, settings_from_config

pytestmark = pytest.mark.layer1

PROJECT = "bitmovin-analytics-export"


def problems(raw: dict, secret_keys: set[str]) -> str:
    with pytest.raises(ConfigError) as raised:
        settings_from_config(raw, project=PROJECT, stack="dev", secret_keys=frozenset(secret_keys))
    return str(raised.value)


@pytest.mark.parametrize("secret_key", ["externalID", f"{PROJECT}:externalID"])
def test_misspelled_secret_key_bare_or_namespaced(secret_key):
    text = problems({secret_key: "s3cr3t-value-1"}, {secret_key})
    assert "s3cr3t-value-1" not in text
    bare = secret_key.removeprefix(f"{PROJECT}:")
    assert (
        f"pulumi config get {bare} | pulumi config set --secret externalId && pulumi config rm {bare}" in text
    )


def test_misspelled_key_whose_name_needs_quoting_is_quoted_in_the_fix():
    text = problems({"external ID": "s3cr3t-value-2"}, {"external ID"})
    assert "pulumi config get 'external ID' | pulumi config set --secret externalId && " in text
    assert "pulumi config rm 'external ID'`" in text
    assert "s3cr3t-value-2" not in text


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("retentionDays", "xy"),  # shorter than a masked piece: masked as a whole word
        ("retentionDays", "tab\there"),  # shown escaped by repr
        ("roleName", "Role Name With Spaces And Secret"),
        ("exportPrefix", "/Secret-Prefix"),  # the suggestion 'Secret-Prefix/' derives from it
        ("bucketName", "Secret_Bucket_Name"),  # the suggestion 'secret-bucket-name' lowercases it
    ],
)
def test_secret_values_and_what_derives_from_them_are_masked(key, value):
    text = problems({key: value}, {key})
    assert "[secret]" in text
    assert value not in text
    assert repr(value)[1:-1] not in text
    assert value.lower().strip("/").replace("_", "-") not in text.lower()
    assert f"Fix: `pulumi config set --secret {key}`" in text  # the CLI asks for the value


def test_plain_values_are_still_shown():
    text = problems({"bucketName": "Plain_Bucket"}, set())
    assert "'Plain_Bucket' is not a valid S3 bucket name" in text
    assert "pulumi config set bucketName plain-bucket" in text


def test_plaintext_api_key_is_a_problem_only_when_set_and_not_secret():
    assert api_key_storage_problems(configured=False, secret=False) == []
    assert api_key_storage_problems(configured=True, secret=True) == []
    [problem] = api_key_storage_problems(configured=True, secret=False)
    assert problem.key == "bitmovin:apiKey"
    assert problem.fix == "pulumi config get bitmovin:apiKey | pulumi config set --secret bitmovin:apiKey"
