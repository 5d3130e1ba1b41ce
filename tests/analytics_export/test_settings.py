"""Layer 1: every stack-config rule, the defaults, and their agreement with Pulumi.yaml."""

from __future__ import annotations

import dataclasses
import json
import shlex

import pytest
import yaml

from analytics_export import naming
from analytics_export.config_keys import (
    KEY_RULES,
    KEYS,
    PROJECT_KEYS,
    REGION_CONFIG,
    SPEC_OF_KEY,
    order_problems,
    project_keys,
)
from analytics_export.policies import BITMOVIN_PRINCIPAL
from analytics_export.settings import (
    ConfigError,
    ExportSettings,
    raw_config,
    settings_from_config,
)
from dev.support import REPO_ROOT
from dev.support.testing import ORG_ID
from providers.provider_config import TENANT_ORG_ID_CONFIG
from providers.validation import ExternalIdMode, ObjectOwnership

pytestmark = pytest.mark.layer1

PROJECT = "bitmovin-analytics-export"
ORG = ORG_ID
KMS_KEY = "arn:aws:kms:eu-central-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def load(raw: dict, stack: str = "dev", **kwargs) -> ExportSettings:
    return settings_from_config(raw, project=PROJECT, stack=stack, **kwargs)


def problems(raw: dict, stack: str = "dev") -> dict[str, list[str]]:
    """key -> [full message lines]; fails the test if the config is accepted."""
    with pytest.raises(ConfigError) as caught:
        load(raw, stack)
    found: dict[str, list[str]] = {}
    for problem in caught.value.problems:
        found.setdefault(problem.key, []).append(str(problem))
    return found


def only_problem(raw: dict, key: str) -> str:
    found = problems(raw)
    assert list(found) == [key], found
    assert len(found[key]) == 1, found[key]
    return found[key][0]


def pulumi_yaml() -> dict:
    return yaml.safe_load((REPO_ROOT / "Pulumi.yaml").read_text())


# -- defaults ------------------------------------------------------------------------------------


def test_empty_config_gives_secure_defaults():
    settings = load({})
    assert settings == ExportSettings(
        project=PROJECT,
        stack="dev",
        region=None,
        tenant_org_id=None,
        external_id_mode="GLOBAL",
        external_id=None,
        bucket_name=None,
        existing_bucket_name=None,
        role_name="bitmovin-analytics-export-dev",
        export_prefix="",
        object_ownership="BucketOwnerEnforced",
        kms_key_arn=None,
        retention_days=None,
        retain_bucket_on_destroy=True,
        output_name="bitmovin-analytics-export-dev",
        bitmovin_principal_arn=BITMOVIN_PRINCIPAL,
        external_id_is_secret=False,
    )
    assert settings.creates_bucket


def test_settings_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        load({}).export_prefix = "x/"  # type: ignore[misc]


def test_project_keys_are_read_from_pulumi_yaml():
    declared = pulumi_yaml()["config"]
    assert list(PROJECT_KEYS) == list(declared)
    for name, schema in declared.items():
        key = PROJECT_KEYS[name]
        assert (key.type, key.default) == (schema["type"], schema["default"]), name
        assert key.description, name
        assert ":" not in name, "schemas are only valid for project keys"


def test_every_declared_key_has_exactly_one_rule():
    ruled = [key for key, _rule in KEY_RULES]
    assert len(ruled) == len(set(ruled))
    assert set(ruled) == set(PROJECT_KEYS) | {REGION_CONFIG, TENANT_ORG_ID_CONFIG}


@pytest.mark.parametrize(
    ("block", "complaint"),
    [
        ({"k": {"type": "string"}}, "needs a type"),
        ({"k": {"default": ""}}, "needs a type"),
        ({"k": {"type": "list", "default": []}}, "needs a type"),
        ({"k": {"type": "integer", "default": "0"}}, "is not of type integer"),
    ],
)
def test_a_pulumi_yaml_key_the_program_cannot_use_is_refused(tmp_path, block, complaint):
    path = tmp_path / "Pulumi.yaml"
    path.write_text(yaml.safe_dump({"name": "x", "config": block}))
    with pytest.raises(ValueError, match=complaint):
        project_keys(path)


def test_cli_injected_defaults_mean_the_same_as_no_config():
    """The CLI passes every declared default to the program as a string; nothing may change."""
    injected = {name: str(schema["default"]).lower() if schema["type"] == "boolean" else str(schema["default"])
                for name, schema in pulumi_yaml()["config"].items()}  # fmt: skip
    assert load(injected) == load({})
    assert load({name: schema["default"] for name, schema in pulumi_yaml()["config"].items()}) == load({})


def test_pulumi_yaml_runtime_and_template():
    project = pulumi_yaml()
    assert project["name"] == PROJECT
    assert project["runtime"] == {"name": "python", "options": {"toolchain": "pip", "virtualenv": "venv"}}
    assert project["description"]
    template = project["template"]["config"]
    assert template["bitmovin:apiKey"]["secret"] is True
    assert "default" not in template["bitmovin:apiKey"]
    assert {"aws:region", "bitmovin:apiKey", "bitmovin:tenantOrgId"} <= set(template)
    assert all(set(entry) <= {"description", "default", "secret"} for entry in template.values())


def test_dev_stack_is_valid_and_holds_no_api_key():
    text = (REPO_ROOT / "Pulumi.dev.yaml").read_text()
    stack_config = yaml.safe_load(text)["config"]
    assert not any(key.endswith("apiKey") for key in stack_config)
    assert "pulumi config set --secret bitmovin:apiKey" in text
    settings = load(stack_config, stack="dev")
    assert settings.region == "eu-central-1"
    assert settings.tenant_org_id is None  # the API key's own organization, until one is set
    assert settings.export_prefix == "analytics/"
    assert settings.role_name == "bitmovin-analytics-export-dev"


# -- external ID ---------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["GLOBAL", "GENERATED"])
def test_bitmovin_generated_modes(mode):
    settings = load({"externalIdMode": mode})
    assert settings.external_id_mode == mode
    assert settings.external_id is None


def test_custom_mode_with_external_id():
    settings = load({"externalIdMode": "CUSTOM", "externalId": "my-ext-id-123"})
    assert (settings.external_id_mode, settings.external_id) == ("CUSTOM", "my-ext-id-123")


@pytest.mark.parametrize("mode", ["global", "RANDOM", "Custom"])
def test_unknown_mode(mode):
    message = only_problem({"externalIdMode": mode}, "externalIdMode")
    assert "pulumi config set externalIdMode GLOBAL" in message


def test_custom_mode_requires_external_id():
    message = only_problem({"externalIdMode": "CUSTOM"}, "externalId")
    assert "is required with externalIdMode CUSTOM" in message
    assert "pulumi config set externalId" in message
    assert "pulumi config set externalIdMode GLOBAL" in message


def test_external_id_without_custom_mode():
    message = only_problem({"externalId": "abc123"}, "externalId")
    assert "`pulumi config rm externalId`" in message
    assert "pulumi config set externalIdMode CUSTOM" in message


@pytest.mark.parametrize("external_id", ["x", "with space", "semi;colon", "a" * 1225])
def test_malformed_custom_external_id(external_id):
    message = only_problem({"externalIdMode": "CUSTOM", "externalId": external_id}, "externalId")
    assert "2 to 1224 characters" in message


def test_secret_external_id_is_remembered():
    raw = {"externalIdMode": "CUSTOM", f"{PROJECT}:externalId": "secret-ish-id"}
    assert load(raw, secret_keys=frozenset({f"{PROJECT}:externalId"})).external_id_is_secret
    assert not load(raw).external_id_is_secret


# -- tenant, region ---------------------------------------------------------------------------------


def test_tenant_org_id():
    assert load({"bitmovin:tenantOrgId": ORG}).tenant_org_id == ORG
    assert load({"bitmovin:tenantOrgId": ""}).tenant_org_id is None
    message = only_problem({"bitmovin:tenantOrgId": "acme"}, "bitmovin:tenantOrgId")
    assert "pulumi config set bitmovin:tenantOrgId" in message
    assert "pulumi config rm bitmovin:tenantOrgId" in message


def test_region():
    assert load({"aws:region": "eu-central-1"}).region == "eu-central-1"
    assert load({"aws:region": "ap-southeast-2"}).region == "ap-southeast-2"
    message = only_problem({"aws:region": "Frankfurt"}, "aws:region")
    assert "pulumi config set aws:region eu-central-1" in message


# -- bucket ------------------------------------------------------------------------------------------


def test_bucket_name():
    assert load({"bucketName": "acme-analytics"}).bucket_name == "acme-analytics"
    assert load({"bucketName": ""}).bucket_name is None  # derived at deploy time from the account


@pytest.mark.parametrize(
    ("value", "suggestion"),
    [("Acme_Analytics", "acme-analytics"), ("ab", None), ("192.168.1.1", None), ("a..b", "a.b")],
)
def test_bad_bucket_name(value, suggestion):
    message = only_problem({"bucketName": value}, "bucketName")
    assert "pulumi config set bucketName" in message
    if suggestion:
        assert f"pulumi config set bucketName {suggestion}`" in message


def test_existing_bucket():
    settings = load({"existingBucketName": "customer-bucket", "exportPrefix": "bitmovin/"})
    assert settings.existing_bucket_name == "customer-bucket"
    assert settings.bucket_name is None
    assert not settings.creates_bucket


def test_existing_bucket_must_be_a_valid_name():
    message = only_problem({"existingBucketName": "Customer Bucket"}, "existingBucketName")
    assert "pulumi config set existingBucketName customer-bucket" in message


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("bucketName", "other-bucket"),
        ("kmsKeyArn", KMS_KEY),
        ("retentionDays", "30"),
        ("objectOwnership", "BucketOwnerPreferred"),
        ("retainBucketOnDestroy", "false"),
    ],
)
def test_existing_bucket_conflicts(key, value):
    message = only_problem({"existingBucketName": "customer-bucket", key: value}, key)
    assert "cannot be combined with existingBucketName" in message
    assert f"`pulumi config rm {key}`" in message


def test_existing_bucket_with_every_conflict_lists_them_all():
    found = problems(
        {
            "existingBucketName": "customer-bucket",
            "bucketName": "b-b-b",
            "kmsKeyArn": KMS_KEY,
            "retentionDays": "30",
            "objectOwnership": "BucketOwnerPreferred",
        }
    )
    assert set(found) == {"bucketName", "kmsKeyArn", "retentionDays", "objectOwnership"}


def test_existing_bucket_tolerates_declared_defaults():
    """The CLI injects objectOwnership=BucketOwnerEnforced etc.; those are not conflicts."""
    settings = load(
        {
            "existingBucketName": "customer-bucket",
            "objectOwnership": "BucketOwnerEnforced",
            "retainBucketOnDestroy": "true",
            "retentionDays": "0",
            "bucketName": "",
            "kmsKeyArn": "",
        }
    )
    assert settings.existing_bucket_name == "customer-bucket"


@pytest.mark.parametrize("ownership", ["BucketOwnerEnforced", "BucketOwnerPreferred"])
def test_object_ownership(ownership):
    assert load({"objectOwnership": ownership}).object_ownership == ownership


def test_object_writer_is_rejected_with_reason():
    message = only_problem({"objectOwnership": "ObjectWriter"}, "objectOwnership")
    assert "re-enables ACLs" in message
    assert "BucketOwnerPreferred if exports fail with AccessControlListNotSupported" in message
    assert "pulumi config set objectOwnership BucketOwnerEnforced" in message


def test_unknown_object_ownership():
    message = only_problem({"objectOwnership": "bucketownerenforced"}, "objectOwnership")
    assert "case-sensitive" in message


def test_kms_key():
    assert load({"kmsKeyArn": KMS_KEY}).kms_key_arn == KMS_KEY
    assert load({"kmsKeyArn": KMS_KEY, "aws:region": "eu-central-1"}).kms_key_arn == KMS_KEY


@pytest.mark.parametrize(
    "value",
    ["alias/aws/s3", "1234abcd-12ab-34cd-56ef-1234567890ab", "arn:aws:kms:eu-central-1:123456789012:alias/x"],
)
def test_kms_key_must_be_a_key_arn(value):
    message = only_problem({"kmsKeyArn": value}, "kmsKeyArn")
    assert "pulumi config set kmsKeyArn" in message
    assert "pulumi config rm kmsKeyArn" in message


def test_kms_key_must_be_in_the_bucket_region():
    message = only_problem({"kmsKeyArn": KMS_KEY, "aws:region": "us-east-1"}, "kmsKeyArn")
    assert "bucket's region" in message
    assert "arn:aws:kms:us-east-1:" in message


@pytest.mark.parametrize(
    ("value", "days"), [("30", 30), (7, 7), ("0", None), (0, None), ("", None), ("+5", 5)]
)
def test_retention_days(value, days):
    assert load({"retentionDays": value}).retention_days == days


@pytest.mark.parametrize("value", ["-1", "thirty", "1.5", True])
def test_bad_retention_days(value):
    message = only_problem({"retentionDays": value}, "retentionDays")
    assert "pulumi config set retentionDays" in message


@pytest.mark.parametrize(
    ("value", "expected"), [("false", False), ("False", False), ("true", True), (False, False)]
)
def test_retain_bucket_on_destroy(value, expected):
    assert load({"retainBucketOnDestroy": value}).retain_bucket_on_destroy is expected


def test_bad_retain_bucket_on_destroy():
    message = only_problem({"retainBucketOnDestroy": "yes"}, "retainBucketOnDestroy")
    assert "pulumi config set retainBucketOnDestroy true" in message


# -- role, prefix, output, principal ---------------------------------------------------------------


def test_role_name():
    assert load({"roleName": "my-role"}).role_name == "my-role"
    assert load({}, stack="Production.EU").role_name == naming.default_role_name("Production.EU")


@pytest.mark.parametrize("value", ["a" * 65, "has space", "slash/role"])
def test_bad_role_name(value):
    message = only_problem({"roleName": value}, "roleName")
    assert "pulumi config set roleName" in message


@pytest.mark.parametrize("prefix", ["", "analytics/", "a/b/c/", "bitmovin-exports_2024/"])
def test_export_prefix(prefix):
    assert load({"exportPrefix": prefix}).export_prefix == prefix


NO_FAITHFUL_PREFIX = "'<literal folder>/'"  # a placeholder: no value the user meant is known


@pytest.mark.parametrize(
    ("prefix", "fix"),
    [
        ("analytics", "analytics/"),
        ("/analytics/", "analytics/"),
        ("/analytics", "analytics/"),
        ("a//b/", "a/b/"),
        ("./a/", "a/"),
        ("analytics/\n", "analytics/"),
        # Dropping or replacing a character that carries meaning would be a guess: no suggestion.
        ("with space/", NO_FAITHFUL_PREFIX),
        ("a*/", NO_FAITHFUL_PREFIX),
        ("exports/?/", NO_FAITHFUL_PREFIX),
        ("${aws:username}/", NO_FAITHFUL_PREFIX),
        ("a/../b/", NO_FAITHFUL_PREFIX),
        ("analytiké/", NO_FAITHFUL_PREFIX),
        ("*/", NO_FAITHFUL_PREFIX),
    ],
)
def test_bad_export_prefix(prefix, fix):
    message = only_problem({"exportPrefix": prefix}, "exportPrefix")
    assert f"`pulumi config set exportPrefix {fix}`" in message


def test_output_name():
    assert load({"outputName": "Acme exports"}).output_name == "Acme exports"
    message = only_problem({"outputName": "x" * 256}, "outputName")
    assert "at most 255" in message


def test_output_description():
    assert load({}).output_description is None  # the component derives it from the bucket and prefix
    assert load({"outputDescription": "Acme player exports"}).output_description == "Acme player exports"
    message = only_problem({"outputDescription": "two\nlines"}, "outputDescription")
    assert "`pulumi config set outputDescription 'two lines'`" in message
    assert "at most 1024" in only_problem({"outputDescription": "d" * 1025}, "outputDescription")


def test_principal_override():
    principal = "arn:aws-cn:iam::123456789012:user/bitmovin"
    assert (
        load({"bitmovinPrincipalArn": principal, "aws:region": "cn-north-1"}).bitmovin_principal_arn
        == principal
    )


@pytest.mark.parametrize("value", ["*", "arn:aws:iam::630681592166:root", "630681592166"])
def test_bad_principal(value):
    message = only_problem({"bitmovinPrincipalArn": value}, "bitmovinPrincipalArn")
    assert f"pulumi config set bitmovinPrincipalArn {BITMOVIN_PRINCIPAL}" in message


def test_principal_partition_must_match_region():
    message = only_problem({"aws:region": "cn-north-1"}, "bitmovinPrincipalArn")
    assert "aws-cn" in message


# -- unknown keys, namespaces, the API key ------------------------------------------------------------


def test_typo_is_reported_with_the_right_key():
    message = only_problem({"exportPrefx": "analytics/"}, "exportPrefx")
    assert "did you mean exportPrefix?" in message
    assert "pulumi config rm exportPrefx && pulumi config set exportPrefix analytics/" in message


def test_case_typo_is_reported():
    message = only_problem({"bucketname": "acme-analytics"}, "bucketname")
    assert "did you mean bucketName?" in message


@pytest.mark.parametrize("key", ["acl", "aclPermission"])
def test_acl_knob_is_refused_with_reason(key):
    message = only_problem({key: "PUBLIC_READ"}, key)
    assert "PRIVATE" in message
    assert "blocks all public access" in message


def test_api_key_in_project_namespace_is_refused():
    message = only_problem({f"{PROJECT}:apiKey": "k"}, "apiKey")
    assert "secret" in message


def test_other_namespaces_are_ignored_and_the_api_key_is_never_kept():
    settings = load({"bitmovin:apiKey": "MARKER-API-KEY", "bitmovin:apiUrl": "https://x", "aws:profile": "p"})
    assert "MARKER-API-KEY" not in repr(settings)
    assert settings == load({})


def test_namespaced_project_keys():
    assert load({f"{PROJECT}:exportPrefix": "a/"}).export_prefix == "a/"


def test_non_string_value_for_a_string_key():
    message = only_problem({"bucketName": 12345}, "bucketName")
    assert "must be a string" in message


# -- error reporting ---------------------------------------------------------------------------------


def test_every_bad_key_is_reported_at_once_with_a_runnable_fix():
    raw = {
        "aws:region": "EU",
        "bitmovin:tenantOrgId": "acme",
        "externalIdMode": "CUSTOM",
        "bucketName": "Bad_Bucket",
        "roleName": "r" * 70,
        "exportPrefix": "/x",
        "objectOwnership": "ObjectWriter",
        "kmsKeyArn": "alias/x",
        "retentionDays": "-2",
        "retainBucketOnDestroy": "perhaps",
        "outputName": "o" * 300,
        "bitmovinPrincipalArn": "*",
        "exportPrefx": "a/",
    }
    with pytest.raises(ConfigError) as caught:
        load(raw)
    error = caught.value
    expected = {
        "aws:region",
        "bitmovin:tenantOrgId",
        "externalId",
        "bucketName",
        "roleName",
        "exportPrefix",
        "objectOwnership",
        "kmsKeyArn",
        "retentionDays",
        "retainBucketOnDestroy",
        "outputName",
        "bitmovinPrincipalArn",
        "exportPrefx",
    }
    assert set(error.keys) == expected
    text = str(error)
    assert text.startswith(f"Invalid stack configuration ({len(error.problems)} problems):")
    for problem in error.problems:
        assert problem.key in str(problem)
        assert problem.fix.startswith(("pulumi config set ", "pulumi config rm "))
        assert str(problem) in text
        for command in problem.fix.split(" && "):
            words = shlex.split(command)
            assert words[:3] in (["pulumi", "config", "set"], ["pulumi", "config", "rm"])
            key = words[3]
            assert key == problem.key or ":" in key or key in PROJECT_KEYS


# -- reading from the running program ----------------------------------------------------------------


def test_raw_config_reads_project_keys_and_typos_but_never_the_api_key(monkeypatch):
    import pulumi.runtime

    monkeypatch.setenv(
        "PULUMI_CONFIG",
        json.dumps(
            {
                f"{PROJECT}:exportPrefix": "analytics/",
                f"{PROJECT}:exportPrefx": "typo/",
                f"{PROJECT}:externalId": "abc",
                "bitmovin:apiKey": "MARKER-API-KEY",
                "bitmovin:tenantOrgId": ORG,
                "aws:region": "eu-central-1",
                "aws:profile": "ignored",
            }
        ),
    )
    monkeypatch.setenv("PULUMI_CONFIG_SECRET_KEYS", json.dumps(["bitmovin:apiKey", f"{PROJECT}:externalId"]))
    pulumi.runtime.set_all_config({}, [])
    raw, secrets = raw_config(PROJECT)
    assert raw == {
        f"{PROJECT}:exportPrefix": "analytics/",
        f"{PROJECT}:exportPrefx": "typo/",
        f"{PROJECT}:externalId": "abc",
        "bitmovin:tenantOrgId": ORG,
        "aws:region": "eu-central-1",
    }
    assert secrets == {f"{PROJECT}:externalId"}


# -- component args ------------------------------------------------------------------------------------


def test_settings_are_the_component_args():
    from analytics_export.component import BitmovinAnalyticsExportArgs

    settings = load(
        {
            "exportPrefix": "analytics/",
            "kmsKeyArn": KMS_KEY,
            "retentionDays": "30",
            "bitmovin:tenantOrgId": ORG,
            "externalIdMode": "CUSTOM",
            "externalId": "ext-id-1",
            "roleName": "writer",
            "bucketName": "acme-analytics",
        }
    )
    assert isinstance(settings, BitmovinAnalyticsExportArgs)
    assert settings.problems() == []
    assert (settings.role_name, settings.bucket_name, settings.existing_bucket_name) == (
        "writer",
        "acme-analytics",
        None,
    )
    assert (settings.export_prefix, settings.kms_key_arn, settings.retention_days) == (
        "analytics/",
        KMS_KEY,
        30,
    )
    assert (settings.external_id_mode, settings.external_id, settings.tenant_org_id) == (
        "CUSTOM",
        "ext-id-1",
        ORG,
    )
    assert settings.retain_bucket_on_destroy is True
    assert settings.output_name == "bitmovin-analytics-export-dev"
    assert settings.bitmovin_principal_arn == BITMOVIN_PRINCIPAL


def test_component_args_defaults_are_valid():
    from analytics_export.component import BitmovinAnalyticsExportArgs

    args = BitmovinAnalyticsExportArgs()
    assert args.problems() == []
    assert (args.external_id_mode, args.object_ownership, args.export_prefix) == (
        "GLOBAL",
        "BucketOwnerEnforced",
        "",
    )


def test_component_args_report_every_problem():
    from analytics_export.component import BitmovinAnalyticsExportArgs

    with pytest.raises(ValueError, match="Invalid BitmovinAnalyticsExportArgs") as caught:
        BitmovinAnalyticsExportArgs(
            role_name="r" * 65,
            bucket_name="Bad_Bucket",
            export_prefix="/x",
            external_id_mode="CUSTOM",
            object_ownership="ObjectWriter",
            kms_key_arn="alias/x",
            retention_days=0,
            bitmovin_principal_arn="*",
            custom_data={"managedBy": "me"},
        )
    message = str(caught.value)
    for name in (
        "role_name",
        "bucket_name",
        "export_prefix",
        "external_id is required",
        "object_ownership",
        "kms_key_arn",
        "retention_days",
        "bitmovin_principal_arn",
        "managedBy",
    ):
        assert name in message, name


def test_component_args_existing_bucket_conflicts():
    from analytics_export.component import BitmovinAnalyticsExportArgs

    with pytest.raises(
        ValueError, match="existing_bucket_name cannot be combined with bucket_name, kms_key_arn"
    ):
        BitmovinAnalyticsExportArgs(existing_bucket_name="b-b-b", bucket_name="c-c-c", kms_key_arn=KMS_KEY)
    with pytest.raises(ValueError, match="external_id can only be set with external_id_mode CUSTOM"):
        BitmovinAnalyticsExportArgs(external_id="abc")


@pytest.mark.parametrize(
    ("field", "value", "complaint"),
    [
        ("export_prefix", "a*/", "wildcard"),
        ("export_prefix", "a/../", "'..' segment"),
        ("retention_days", 100_000, "from 1 to 36500 days"),
        ("output_name", "acme\nprod", "U+000A (line feed) at position 5"),
        ("output_description", "exports\x1b[2J", "U+001B (escape)"),
        ("custom_data", {"team": "video\r"}, "U+000D (carriage return)"),
        ("retention_days", 0, "from 1 to"),
        ("bucket_name", "acme-exports-an", "account regional namespace"),
        ("tenant_org_id", "3FA85F64-5717-4562-B3FC-2C963F66AFA6", "3fa85f64-5717-4562-b3fc-2c963f66afa6"),
        ("role_name", "r\u00f4le", "ASCII"),
        ("kms_key_arn", KMS_KEY.replace("arn:aws:", "arn:aws-cn:"), "partition"),
    ],
)
def test_component_args_refuse_what_aws_refuses(field, value, complaint):
    """The component's own arguments share the rules with the stack config (docs/hardening.md)."""
    from analytics_export.args import BitmovinAnalyticsExportArgs

    with pytest.raises(ValueError, match="Invalid BitmovinAnalyticsExportArgs") as caught:
        BitmovinAnalyticsExportArgs(**{field: value})
    assert field in str(caught.value)
    assert complaint in str(caught.value)


# -- existingOutputId -------------------------------------------------------------------------------

EXISTING_OUTPUT = "cb90b80c-8867-4e3b-8479-174aa2843f62"


def test_existing_output_leaves_role_and_output_names_to_the_output():
    settings = load({"existingOutputId": EXISTING_OUTPUT, "exportPrefix": "analytics/"})
    assert settings.existing_output_id == EXISTING_OUTPUT
    assert (settings.role_name, settings.output_name, settings.bucket_name) == (None, None, None)
    assert settings.creates_bucket  # no existingBucketName: the component takes the output's bucket


def test_existing_output_keeps_an_explicit_role_name():
    assert load({"existingOutputId": EXISTING_OUTPUT, "roleName": "writer"}).role_name == "writer"


def test_existing_output_in_a_non_canonical_form_suggests_the_canonical_one():
    message = only_problem({"existingOutputId": EXISTING_OUTPUT.upper()}, "existingOutputId")
    assert f"pulumi config set existingOutputId {EXISTING_OUTPUT}" in message


@pytest.mark.parametrize(
    "key",
    ["bucketName", "existingBucketName", "externalIdMode", "outputName", "kmsKeyArn", "objectOwnership"],
)
def test_existing_output_refuses_what_the_output_already_fixes(key):
    values = {
        "bucketName": "acme-new",
        "existingBucketName": "acme-old",
        "externalIdMode": "GENERATED",
        "outputName": "renamed",
        "kmsKeyArn": KMS_KEY,
        "objectOwnership": "BucketOwnerPreferred",
    }
    found = problems({"existingOutputId": EXISTING_OUTPUT, key: values[key]})
    assert any("cannot be combined with existingOutputId" in line for line in found[key])
    assert any(f"pulumi config rm {key}" in line for line in found[key])


# -- adoptOutputId ----------------------------------------------------------------------------------


def _fixed(raw: dict, fix: str) -> dict:
    """``raw`` after running ``fix`` (one ``pulumi config set`` or ``rm`` command)."""
    words = shlex.split(fix)
    assert words[:2] == ["pulumi", "config"], fix
    if words[2] == "rm":
        return {key: value for key, value in raw.items() if key != words[3]}
    assert words[2] == "set", fix
    assert len(words) == 5, fix
    return {**raw, words[3]: words[4]}


def test_adopt_output_id_reaches_the_component_args():
    from analytics_export.args import BitmovinAnalyticsExportArgs

    settings = load({"adoptOutputId": EXISTING_OUTPUT})
    assert settings.adopt_output_id == EXISTING_OUTPUT
    assert settings.existing_output_id is None
    assert settings.output_name == "bitmovin-analytics-export-dev"  # an adopted output is one we would create
    assert load({}).adopt_output_id is None
    assert BitmovinAnalyticsExportArgs(adopt_output_id=EXISTING_OUTPUT).adopt_output_id == EXISTING_OUTPUT


@pytest.mark.parametrize("value", ["my-output", EXISTING_OUTPUT.upper(), "{" + EXISTING_OUTPUT + "}"])
def test_a_bad_adopt_output_id_is_refused_with_a_fix_that_passes(value):
    message = only_problem({"adoptOutputId": value}, "adoptOutputId")
    assert message.startswith("adoptOutputId: ")
    with pytest.raises(ConfigError) as caught:
        load({"adoptOutputId": value})
    [problem] = caught.value.problems
    if "<" not in problem.fix:  # a placeholder is for the user to fill in
        assert load(_fixed({"adoptOutputId": value}, problem.fix)).adopt_output_id == EXISTING_OUTPUT


def test_adopt_output_id_is_refused_in_the_component_args():
    from analytics_export.args import BitmovinAnalyticsExportArgs
    from analytics_export.errors import ArgsError

    with pytest.raises(ArgsError, match=r"adopt_output_id .*not a Bitmovin output id"):
        BitmovinAnalyticsExportArgs(adopt_output_id="my-output")


def test_adopting_and_referencing_an_output_cannot_be_combined():
    from analytics_export.args import BitmovinAnalyticsExportArgs

    raw = {"adoptOutputId": EXISTING_OUTPUT, "existingOutputId": EXISTING_OUTPUT}
    message = only_problem(raw, "existingOutputId")
    assert "cannot be combined with adoptOutputId" in message
    assert "Fix: `pulumi config rm existingOutputId`" in message
    assert load(_fixed(raw, "pulumi config rm existingOutputId")).adopt_output_id == EXISTING_OUTPUT
    with pytest.raises(ValueError, match="adopt_output_id cannot be combined with existing_output_id"):
        BitmovinAnalyticsExportArgs(adopt_output_id=EXISTING_OUTPUT, existing_output_id=EXISTING_OUTPUT)


# -- the key table -------------------------------------------------------------------------------------


def test_every_rule_reads_only_keys_that_come_before_it():
    assert order_problems(KEYS) == []
    assert order_problems(
        tuple(reversed(KEYS))
    )  # the check can fail: kmsKeyArn would read aws:region too early
    for spec in KEYS:
        assert set(spec.conflicts) <= set(SPEC_OF_KEY) - {spec.key}, spec.key


def test_pulumi_yaml_names_every_conflict_of_a_key():
    for spec in KEYS:
        if spec.conflicts:
            description = " ".join(spec.declared.description.split())
            assert all(key in description for key in spec.conflicts), spec.key


def test_fleet_spells_the_provider_keys_as_the_provider_does():
    """fleet/stacks.py runs in CI without the project's packages, so it spells the names again."""
    from fleet import stacks
    from providers import provider_config

    assert stacks.API_URL_CONFIG == provider_config.API_URL_CONFIG
    assert stacks.TENANT_ORG_ID_CONFIG == provider_config.TENANT_ORG_ID_CONFIG


def test_settings_are_validated_once(monkeypatch):
    """settings_from_config applies every rule; the args' own check would only repeat it."""
    from analytics_export.args import BitmovinAnalyticsExportArgs

    def repeated(self):
        raise AssertionError("validated a second time")

    monkeypatch.setattr(BitmovinAnalyticsExportArgs, "problems", repeated)
    assert load({"externalIdMode": "CUSTOM", "externalId": "ext-id-1"}).external_id == "ext-id-1"


def test_closed_sets_are_string_enums_with_the_same_values():
    settings = load(
        {"externalIdMode": "CUSTOM", "externalId": "ext-id-1", "objectOwnership": "BucketOwnerPreferred"}
    )
    assert settings.external_id_mode is ExternalIdMode.CUSTOM
    assert settings.external_id_mode == "CUSTOM"
    assert settings.object_ownership is ObjectOwnership.BUCKET_OWNER_PREFERRED
    assert f"{settings.object_ownership}" == "BucketOwnerPreferred"
    assert [str(mode) for mode in ExternalIdMode] == ["GLOBAL", "GENERATED", "CUSTOM"]


# -- the bitmovin: namespace is this project's: a key nothing reads is a typo ---------------------


def _problem_of(raw: dict, key: str, secret_keys: frozenset[str] = frozenset()):
    with pytest.raises(ConfigError) as caught:
        load(raw, secret_keys=secret_keys)
    found = [problem for problem in caught.value.problems if problem.key == key]
    assert len(found) == 1, caught.value.problems
    return found[0]


def _moved(fix: str, typo: str, meant: str) -> str | None:
    """The value the fix shows as it moves it from ``typo`` to ``meant`` (it must remove the typo and set
    ``meant``); None for a value moved unseen, through a pipe."""
    if fix == f"pulumi config get {typo} | pulumi config set {meant} && pulumi config rm {typo}":
        return None
    remove, _, add = fix.partition(" && ")
    assert shlex.split(remove) == ["pulumi", "config", "rm", typo]
    words = shlex.split(add)
    assert words[:3] == ["pulumi", "config", "set"]
    assert words[-2] == meant
    return words[-1]


@pytest.mark.parametrize(
    ("typo", "meant", "value"),
    [
        ("bitmovin:tenantOrgID", "bitmovin:tenantOrgId", ORG_ID),
        ("bitmovin:tenant_org_id", "bitmovin:tenantOrgId", ORG_ID),
        ("bitmovin:TenantOrgId", "bitmovin:tenantOrgId", ORG_ID),
        ("bitmovin:apiURL", "bitmovin:apiUrl", "https://api.bitmovin.com/v1"),
        ("bitmovin:api_url", "bitmovin:apiUrl", "https://api.bitmovin.com/v1"),
        ("bitmovin:readTimeoutSecond", "bitmovin:readTimeoutSeconds", "45"),
        ("bitmovin:maxretries", "bitmovin:maxRetries", "3"),
        ("bitmovin:connectTimeout", "bitmovin:connectTimeoutSeconds", "5"),
    ],
)
def test_a_bitmovin_key_nothing_reads_stops_the_run_and_its_fix_moves_the_value(typo, meant, value):
    problem = _problem_of({typo: value}, typo)
    assert f"did you mean `{meant}`?" in problem.reason
    assert _moved(problem.fix, typo, meant) == value
    # Once moved, the value is read where it belongs.
    if meant == TENANT_ORG_ID_CONFIG:
        assert load({meant: value}).tenant_org_id == value


@pytest.mark.parametrize(
    "typo", ["bitmovin:apikey", "bitmovin:api_key", "bitmovin:apiKEY", "bitmovin:ApiKey"]
)
@pytest.mark.parametrize("secret", [False, True])
def test_a_key_that_looks_like_the_api_key_is_moved_as_a_secret_and_its_value_never_shown(typo, secret):
    value = "bmv-key-7f3a9c2e41d8"
    problem = _problem_of({typo: value}, typo, frozenset({typo}) if secret else frozenset())
    assert "did you mean `bitmovin:apiKey`?" in problem.reason
    assert value not in str(problem)
    assert value[:6] not in str(problem)
    # moved as a secret, never shown nor on a command line: get | set --secret, then rm
    assert problem.fix == (
        f"pulumi config get {typo} | pulumi config set --secret bitmovin:apiKey && pulumi config rm {typo}"
    )
    assert ("plain text" in problem.reason) is not secret


@pytest.mark.parametrize("value", [f"{ORG_ID}\n", "acme\x1b[31m", "x" * 300, "not-an-org"])
def test_a_moved_value_is_shown_only_when_it_is_printable_and_valid_where_it_goes(value):
    problem = _problem_of({"bitmovin:tenantOrgID": value}, "bitmovin:tenantOrgID")
    moved = _moved(problem.fix, "bitmovin:tenantOrgID", TENANT_ORG_ID_CONFIG)
    assert moved is None or moved == rules_canonical(value)  # shown only when valid, else moved unseen
    assert all(char.isprintable() for char in str(problem))


def rules_canonical(value: str) -> str | None:
    from providers.validation import canonical_uuid

    return canonical_uuid(value.strip())


def test_a_secret_misspelt_bitmovin_key_is_moved_without_showing_it():
    problem = _problem_of(
        {"bitmovin:tenantOrgID": ORG_ID}, "bitmovin:tenantOrgID", frozenset({"bitmovin:tenantOrgID"})
    )
    assert ORG_ID not in str(problem)
    assert problem.fix == (
        "pulumi config get bitmovin:tenantOrgID | pulumi config set --secret bitmovin:tenantOrgId && "
        "pulumi config rm bitmovin:tenantOrgID"
    )


def test_a_bitmovin_key_without_any_close_key_is_refused_and_the_known_keys_listed():
    problem = _problem_of({"bitmovin:region": "eu-central-1"}, "bitmovin:region")
    assert problem.fix == "pulumi config rm bitmovin:region"
    assert "bitmovin:tenantOrgId" in problem.reason


def test_only_the_bitmovin_namespace_is_this_projects():
    with pytest.raises(ConfigError) as caught:
        load(
            {
                "aws:region": "eu-central-1",
                "aws:profile": "x",
                "other:tenantOrgID": ORG_ID,
                "bitmovin:orgId": "x",
            }
        )
    assert caught.value.keys == ["bitmovin:orgId"]


@pytest.mark.parametrize(
    ("key", "value", "meant"),
    [
        ("roleName", "bitmovin-writer\n", "bitmovin-writer"),  # a YAML block scalar's newline
        ("roleName", "bitmovin-r\u00f4le", "bitmovin-role"),  # the accent, not the letter, is the mistake
        ("roleName", "r" * 70, naming.default_role_name("dev")),  # no truncation: the default
        ("outputName", "n" * 300, naming.default_output_name(PROJECT, "dev")),  # no 255-character command
        ("exportPrefix", "analytics/\n", "analytics/"),
    ],
)
def test_a_suggestion_undoes_the_mistake_and_never_mangles_the_value(key, value, meant):
    problem = _problem_of({key: value}, key)
    assert shlex.split(problem.fix) == ["pulumi", "config", "set", key, meant]
    assert load({key: meant})  # and it is valid
    assert "analytics//" not in problem.reason


@pytest.mark.parametrize(
    ("key", "meant", "value"),
    [
        ("tenantOrgId", "bitmovin:tenantOrgId", ORG_ID),
        ("tenant_org_id", "bitmovin:tenantOrgId", ORG_ID),
        (f"{PROJECT}:tenantOrgId", "bitmovin:tenantOrgId", ORG_ID),
        ("apiUrl", "bitmovin:apiUrl", "https://api.bitmovin.com/v1"),
        ("region", "aws:region", "eu-west-1"),
    ],
)
def test_a_provider_key_set_in_the_project_namespace_is_pointed_to_its_namespace_and_moved(key, meant, value):
    bare = key.removeprefix(f"{PROJECT}:")
    problem = _problem_of({key: value}, bare)
    assert f"did you mean `{meant}`?" in problem.reason
    assert _moved(problem.fix, bare, meant) == value


def test_an_api_key_set_in_the_project_namespace_is_moved_as_a_secret_without_its_value():
    problem = _problem_of({"apiKey": "bmv-key-7f3a9c2e41d8"}, "apiKey")
    assert "bmv-key" not in str(problem)
    assert problem.fix == (
        "pulumi config get apiKey | pulumi config set --secret bitmovin:apiKey && pulumi config rm apiKey"
    )


def test_raw_config_reads_misspelt_bitmovin_keys_but_never_a_value_that_may_be_the_api_key(monkeypatch):
    import pulumi.runtime

    monkeypatch.setenv(
        "PULUMI_CONFIG",
        json.dumps(
            {
                "bitmovin:tenantOrgID": ORG_ID,
                "bitmovin:apikey": "MARKER-API-KEY",
                "aws:region": "eu-central-1",
            }
        ),
    )
    monkeypatch.setenv("PULUMI_CONFIG_SECRET_KEYS", json.dumps([]))
    pulumi.runtime.set_all_config({}, [])
    raw, _secrets = raw_config(PROJECT)
    assert raw["bitmovin:tenantOrgID"] == ORG_ID
    assert "bitmovin:apikey" in raw
    assert "MARKER-API-KEY" not in repr(raw)
    with pytest.raises(ConfigError) as caught:
        load(raw)
    assert {"bitmovin:tenantOrgID", "bitmovin:apikey"} <= set(caught.value.keys)


# -- the API documentation's example organization ------------------------------------------------

EXAMPLE_ORG = "3fa85f64-5717-4562-b3fc-2c963f66afa6"  # the id the Bitmovin API reference shows


@pytest.mark.parametrize(
    "spelling", [EXAMPLE_ORG, EXAMPLE_ORG.upper(), "{" + EXAMPLE_ORG + "}", EXAMPLE_ORG.replace("-", "")]
)
def test_the_api_documentations_example_organization_is_refused(spelling):
    problem = _problem_of({TENANT_ORG_ID_CONFIG: spelling}, TENANT_ORG_ID_CONFIG)
    assert "example" in problem.reason
    assert f"pulumi config rm {TENANT_ORG_ID_CONFIG}" in problem.reason  # or leave it unset
    assert EXAMPLE_ORG not in problem.fix


def test_the_example_organization_is_not_moved_from_a_misspelt_key():
    problem = _problem_of({"bitmovin:tenantOrgID": EXAMPLE_ORG}, "bitmovin:tenantOrgID")
    assert EXAMPLE_ORG not in problem.fix


def test_the_dev_stack_names_no_placeholder_organization():
    stack_config = yaml.safe_load((REPO_ROOT / "Pulumi.dev.yaml").read_text())["config"]
    assert TENANT_ORG_ID_CONFIG not in stack_config
    assert EXAMPLE_ORG not in (REPO_ROOT / "Pulumi.dev.yaml").read_text()
