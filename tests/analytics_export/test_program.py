"""Layer 4: ``__main__.py`` under Pulumi mocks, run as ``pulumi up`` runs it.

Each scenario runs once, in its own subprocess (dev/support/program_harness.py), and is shared by the
tests that look at it. What this proves: the resources, their wire inputs and the resource options
the program sends to the engine, the stack outputs, and that bad config stops the program before any
resource is registered. What it cannot prove: what AWS or the Pulumi engine then do with them
(layer 5 judges the policies; ``retain_on_delete`` is observed as the ``retainOnDelete`` flag of
each ``RegisterResourceRequest``, not by running ``pulumi destroy``).
"""

from __future__ import annotations

import functools
import json
import textwrap

import pytest

from analytics_export.config_keys import project_keys
from analytics_export.policies import tls_only_bucket_policy, trust_policy, write_policy
from dev.support.expectations import expected_trust_policy
from dev.support.program_harness import (
    MOCK_ACCOUNT,
    OUTPUT_TYPE,
    UNKNOWN,
    ProgramRun,
    decode_provider_blob,
    fake_generated_external_id,
    fake_global_external_id,
    fake_output_id,
    run_program,
)
from dev.support.testing import ORG_ID

pytestmark = pytest.mark.layer4

ORG = ORG_ID
API_KEY_MARKER = "bmv-API-KEY-MARKER-6f1d2c"
KMS_KEY = "arn:aws:kms:eu-central-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
ROLE_NAME = "bitmovin-analytics-export-dev"
DEFAULT_BUCKET = f"bitmovin-analytics-dev-{MOCK_ACCOUNT}"
COMPONENT = "bitmovin-analytics-export:index:BitmovinAnalyticsExport"
BUCKET = "aws:s3/bucket:Bucket"
PUBLIC_ACCESS_BLOCK = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
OWNERSHIP = "aws:s3/bucketOwnershipControls:BucketOwnershipControls"
ENCRYPTION = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
VERSIONING = "aws:s3/bucketVersioning:BucketVersioning"
LIFECYCLE = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
BUCKET_TYPES = {BUCKET, PUBLIC_ACCESS_BLOCK, OWNERSHIP, ENCRYPTION, VERSIONING, LIFECYCLE, BUCKET_POLICY}
STACK_OUTPUT_NAMES = {
    "outputId",
    "externalId",
    "externalIdMode",
    "roleArn",
    "roleName",
    "bucketName",
    "bucketArn",
    "region",
    "tenantOrgId",
    "exportPrefix",
}

BASE = {"aws:region": "eu-central-1", "bitmovin:apiKey": API_KEY_MARKER}
SCENARIOS: dict[str, dict] = {
    "dev": {**BASE, "bitmovin:tenantOrgId": ORG, "exportPrefix": "analytics/"},
    "kms_retention": {**BASE, "exportPrefix": "analytics/", "kmsKeyArn": KMS_KEY, "retentionDays": "30"},
    "retention_no_prefix": {**BASE, "retentionDays": "7"},
    "byo": {**BASE, "existingBucketName": "customer-bucket", "exportPrefix": "bitmovin/"},
    "no_retain": {**BASE, "retainBucketOnDestroy": "false"},
    "custom": {**BASE, "externalIdMode": "CUSTOM", "externalId": "my-external-id-42"},
    "generated": {**BASE, "externalIdMode": "GENERATED"},
    "named": {
        **BASE,
        "bucketName": "acme-bitmovin-exports",
        "roleName": "AcmeBitmovinWriter",
        "outputName": "Acme analytics",
        "outputDescription": "Exports of the Acme player",
        "objectOwnership": "BucketOwnerPreferred",
    },
    # Every default exactly as the CLI injects it from Pulumi.yaml.
    # What the CLI injects for every key declared in Pulumi.yaml that the stack does not set.
    "cli_defaults": {
        **BASE,
        **{
            name: str(key.default).lower() if key.type == "boolean" else str(key.default)
            for name, key in project_keys().items()
        },
    },
}
SECRET_KEYS: dict[str, tuple[str, ...]] = {"custom_secret": ("bitmovin:apiKey", "externalId")}
SCENARIOS["custom_secret"] = SCENARIOS["custom"]


@functools.cache
def scenario(name: str) -> ProgramRun:
    run = run_program(SCENARIOS[name], secret_keys=SECRET_KEYS.get(name, ("bitmovin:apiKey",)))
    assert run.ok, f"{name}: {run.error_type}: {run.error}\n{run.stderr}"
    return run


def policy(registration, key: str = "policy") -> dict:
    return json.loads(registration.inputs[key])


# -- shape ---------------------------------------------------------------------------------------------


def test_default_stack_registers_exactly_these_resources():
    run = scenario("dev")
    assert sorted(r.type for r in run.resources) == sorted(
        [
            COMPONENT,
            BUCKET,
            PUBLIC_ACCESS_BLOCK,
            OWNERSHIP,
            ENCRYPTION,
            VERSIONING,
            BUCKET_POLICY,
            OUTPUT_TYPE,
            ROLE,
            ROLE_POLICY,
        ]
    )


def test_children_are_parented_to_the_component():
    run = scenario("dev")
    component = run.one(COMPONENT)
    assert component.name == "analytics-export"
    assert component.parent.endswith("::pulumi:pulumi:Stack::bitmovin-analytics-export-dev")
    for registration in run.resources:
        if registration is not component:
            assert registration.parent == component.urn, registration.name


def test_only_the_expected_invokes_are_made():
    tokens = {call["token"] for call in scenario("dev").calls}
    assert tokens == {
        "aws:index/getCallerIdentity:getCallerIdentity",
        "aws:index/getPartition:getPartition",
        "aws:index/getRegion:getRegion",
    }


# -- bucket -----------------------------------------------------------------------------------------


def test_bucket_name_is_explicit_and_never_force_destroyed():
    bucket = scenario("dev").one(BUCKET)
    assert bucket.inputs["bucket"] == DEFAULT_BUCKET
    assert bucket.inputs["forceDestroy"] is False
    assert "bucketPrefix" not in bucket.inputs
    assert bucket.inputs["tags"]["pulumi-stack"] == "dev"


def test_public_access_block_blocks_everything():
    block = scenario("dev").one(PUBLIC_ACCESS_BLOCK)
    assert block.inputs == {
        "bucket": DEFAULT_BUCKET,
        "blockPublicAcls": True,
        "blockPublicPolicy": True,
        "ignorePublicAcls": True,
        "restrictPublicBuckets": True,
    }


def test_object_ownership_enforced_by_default_and_preferred_on_request():
    assert scenario("dev").one(OWNERSHIP).inputs == {
        "bucket": DEFAULT_BUCKET,
        "rule": {"objectOwnership": "BucketOwnerEnforced"},
    }
    assert scenario("named").one(OWNERSHIP).inputs["rule"] == {"objectOwnership": "BucketOwnerPreferred"}


def test_sse_s3_by_default():
    assert scenario("dev").one(ENCRYPTION).inputs == {
        "bucket": DEFAULT_BUCKET,
        "rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}],
    }


def test_sse_kms_with_bucket_key():
    assert scenario("kms_retention").one(ENCRYPTION).inputs["rules"] == [
        {
            "applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": KMS_KEY},
            "bucketKeyEnabled": True,
        }
    ]


def test_versioning_enabled():
    assert scenario("dev").one(VERSIONING).inputs == {
        "bucket": DEFAULT_BUCKET,
        "versioningConfiguration": {"status": "Enabled"},
    }


def test_tls_only_bucket_policy_after_public_access_block():
    run = scenario("dev")
    bucket_policy = run.one(BUCKET_POLICY)
    assert bucket_policy.inputs["bucket"] == DEFAULT_BUCKET
    assert policy(bucket_policy) == tls_only_bucket_policy("aws", DEFAULT_BUCKET)
    assert run.one(PUBLIC_ACCESS_BLOCK).urn in bucket_policy.options["dependencies"]


def test_no_lifecycle_without_retention():
    assert LIFECYCLE not in scenario("dev").types


def test_lifecycle_under_the_prefix():
    run = scenario("kms_retention")
    lifecycle = run.one(LIFECYCLE)
    assert lifecycle.inputs == {
        "bucket": DEFAULT_BUCKET,
        "rules": [
            {
                "id": "expire-bitmovin-analytics-exports",
                "status": "Enabled",
                "filter": {"prefix": "analytics/"},
                "expiration": {"days": 30},
                "noncurrentVersionExpiration": {"noncurrentDays": 7},
                "abortIncompleteMultipartUpload": {"daysAfterInitiation": 7},
            }
        ],
    }
    assert run.one(VERSIONING).urn in lifecycle.options["dependencies"]
    assert lifecycle.options["retainOnDelete"] is True


def test_lifecycle_without_prefix_covers_the_bucket():
    rule = scenario("retention_no_prefix").one(LIFECYCLE).inputs["rules"][0]
    assert rule["filter"] == {"prefix": ""}
    assert rule["expiration"] == {"days": 7}


# -- retention on destroy -----------------------------------------------------------------------------


def test_bucket_and_its_settings_are_retained_on_destroy_by_default():
    """retainOnDelete=True reaches the engine for the bucket and every side resource; protect is unset,
    so `pulumi destroy` succeeds and leaves them (engine behaviour itself not exercised here)."""
    run = scenario("dev")
    for registration in run.resources:
        if registration.type in BUCKET_TYPES:
            assert registration.options["retainOnDelete"] is True, registration.type
        else:
            assert registration.options["retainOnDelete"] in (None, False), registration.type
        assert registration.options["protect"] in (None, False), registration.type


def test_retain_can_be_switched_off():
    run = scenario("no_retain")
    for registration in run.resources:
        if registration.type in BUCKET_TYPES:
            assert registration.options["retainOnDelete"] is False, registration.type
    assert run.one(BUCKET).inputs["forceDestroy"] is False  # a non-empty bucket still fails to delete


# -- role and policies ------------------------------------------------------------------------------


def test_trust_policy_exact():
    run = scenario("dev")
    role = run.one(ROLE)
    assert policy(role, "assumeRolePolicy") == expected_trust_policy(fake_global_external_id(ORG))


def test_role_settings_and_dependency_on_the_output():
    run = scenario("dev")
    role = run.one(ROLE)
    assert role.inputs["name"] == ROLE_NAME
    assert role.inputs["maxSessionDuration"] == 3600
    assert "namePrefix" not in role.inputs
    assert "path" not in role.inputs
    assert role.options["deleteBeforeReplace"] is True
    assert run.one(OUTPUT_TYPE).urn in role.options["dependencies"]
    assert set(role.inputs) == {"name", "assumeRolePolicy", "maxSessionDuration", "description", "tags"}


NO_GRANT_HEADERS = {
    f"s3:x-amz-grant-{grant}": "true" for grant in ("full-control", "read", "read-acp", "write", "write-acp")
}


def test_permission_policy_exact():
    run = scenario("dev")
    role_policy = run.one(ROLE_POLICY)
    assert role_policy.inputs["role"] == ROLE_NAME
    assert role_policy.inputs["name"] == "bitmovin-analytics-export-write"
    assert policy(role_policy) == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "FindBucketRegion",
                "Effect": "Allow",
                "Action": ["s3:GetBucketLocation"],
                "Resource": f"arn:aws:s3:::{DEFAULT_BUCKET}",
            },
            {
                "Sid": "ListExportPrefix",
                "Effect": "Allow",
                "Action": ["s3:ListBucket"],
                "Resource": f"arn:aws:s3:::{DEFAULT_BUCKET}",
                "Condition": {"StringLike": {"s3:prefix": ["analytics/*"]}},
            },
            {
                "Sid": "WriteExports",
                "Effect": "Allow",
                "Action": ["s3:PutObject"],
                "Resource": f"arn:aws:s3:::{DEFAULT_BUCKET}/analytics/*",
                "Condition": {
                    "StringEqualsIfExists": {"s3:x-amz-acl": ["private", "bucket-owner-full-control"]},
                    "Null": NO_GRANT_HEADERS,
                },
            },
            {
                "Sid": "SetCannedExportAcl",
                "Effect": "Allow",
                "Action": ["s3:PutObjectAcl"],
                "Resource": f"arn:aws:s3:::{DEFAULT_BUCKET}/analytics/*",
                "Condition": {
                    "StringEquals": {"s3:x-amz-acl": ["private", "bucket-owner-full-control"]},
                    "Null": NO_GRANT_HEADERS,
                },
            },
        ],
    }


def test_permission_policy_waits_for_the_bucket_security_settings():
    run = scenario("dev")
    dependencies = set(run.one(ROLE_POLICY).options["dependencies"])
    for type_ in (BUCKET, PUBLIC_ACCESS_BLOCK, OWNERSHIP, ENCRYPTION, VERSIONING, BUCKET_POLICY):
        assert run.one(type_).urn in dependencies, type_


def test_kms_permission_only_with_kms():
    kms_statement = policy(scenario("kms_retention").one(ROLE_POLICY))["Statement"][-1]
    assert kms_statement["Resource"] == KMS_KEY
    assert kms_statement["Condition"]["StringEquals"] == {"kms:ViaService": "s3.eu-central-1.amazonaws.com"}
    assert policy(scenario("kms_retention").one(ROLE_POLICY)) == write_policy(
        "aws", DEFAULT_BUCKET, "analytics/", KMS_KEY, region="eu-central-1"
    )
    assert not any(
        action.startswith("kms:")
        for s in policy(scenario("dev").one(ROLE_POLICY))["Statement"]
        for action in s["Action"]
    )


def test_no_prefix_means_whole_bucket():
    document = policy(scenario("generated").one(ROLE_POLICY))
    assert document == write_policy("aws", DEFAULT_BUCKET, "")
    assert document["Statement"][2]["Resource"] == f"arn:aws:s3:::{DEFAULT_BUCKET}/*"


# -- the Bitmovin output and the ARN handshake ----------------------------------------------------------


def test_role_arn_given_to_the_output_is_the_role_that_is_created():
    run = scenario("dev")
    output, role = run.one(OUTPUT_TYPE), run.one(ROLE)
    expected = f"arn:aws:iam::{MOCK_ACCOUNT}:role/{ROLE_NAME}"
    assert output.inputs["role_arn"] == expected
    assert role.inputs["name"] == ROLE_NAME
    assert role.outputs["arn"] == expected  # the mock builds the ARN from the name, as IAM does
    assert run.stack_outputs["roleArn"] == expected


def test_output_inputs():
    output = scenario("dev").one(OUTPUT_TYPE)
    assert output.name == "analytics-export-output"
    plain = {key: value for key, value in output.inputs.items() if key != "__provider"}
    assert plain == {
        "bucket_name": DEFAULT_BUCKET,
        "role_arn": f"arn:aws:iam::{MOCK_ACCOUNT}:role/{ROLE_NAME}",
        "external_id_mode": "GLOBAL",
        "acl": [{"permission": "PRIVATE"}],
        "name": "bitmovin-analytics-export-dev",
        # The parts of the URN, from which the provider derives the output's creation token.
        "creation_key": "bitmovin-analytics-export/dev/bitmovin-analytics-export:index:BitmovinAnalyticsExport::"
        "analytics-export/pulumi-python:dynamic/bitmovin:AnalyticsS3RoleBasedOutput::analytics-export-output",
        "description": f"Bitmovin Analytics exports to s3://{DEFAULT_BUCKET}/analytics/ "
        "(Pulumi stack bitmovin-analytics-export/dev)",
        "custom_data": {"managedBy": "pulumi", "project": "bitmovin-analytics-export", "stack": "dev"},
        "tenant_org_id": ORG,
    }
    assert output.options["secretInputs"] == ["__provider"]
    assert output.custom


def test_output_name_and_description_come_from_the_stack_config():
    """What adopting a hand-made output needs: its name and description set to match it."""
    output = scenario("named").one(OUTPUT_TYPE)
    assert output.inputs["name"] == "Acme analytics"
    assert output.inputs["description"] == "Exports of the Acme player"


def test_custom_external_id_flows_into_output_and_trust_policy():
    run = scenario("custom")
    assert run.one(OUTPUT_TYPE).inputs["external_id"] == "my-external-id-42"
    assert run.one(OUTPUT_TYPE).inputs["external_id_mode"] == "CUSTOM"
    assert policy(run.one(ROLE), "assumeRolePolicy") == trust_policy("my-external-id-42")
    assert run.stack_outputs["externalId"] == "my-external-id-42"
    assert "externalId" not in run.secret_outputs


def test_secret_custom_external_id_stays_secret():
    run = scenario("custom_secret")
    assert "external_id" in run.one(OUTPUT_TYPE).options["secretInputs"]
    assert "externalId" in run.secret_outputs
    assert run.stack_outputs["externalId"] == "my-external-id-42"


def test_generated_external_id():
    run = scenario("generated")
    external_id = fake_generated_external_id("analytics-export-output")
    assert "external_id" not in run.one(OUTPUT_TYPE).inputs
    assert policy(run.one(ROLE), "assumeRolePolicy") == trust_policy(external_id)
    assert run.stack_outputs["externalIdMode"] == "GENERATED"


def test_explicit_names():
    run = scenario("named")
    assert run.one(BUCKET).inputs["bucket"] == "acme-bitmovin-exports"
    assert run.one(ROLE).inputs["name"] == "AcmeBitmovinWriter"
    assert run.one(OUTPUT_TYPE).inputs["name"] == "Acme analytics"
    assert run.one(OUTPUT_TYPE).inputs["role_arn"] == f"arn:aws:iam::{MOCK_ACCOUNT}:role/AcmeBitmovinWriter"
    assert "tenant_org_id" not in run.one(OUTPUT_TYPE).inputs


def test_cli_injected_defaults_change_nothing():
    with_defaults, without = scenario("cli_defaults"), scenario("generated")
    strip = {"external_id_mode", "__provider"}
    assert {k: v for k, v in with_defaults.one(OUTPUT_TYPE).inputs.items() if k not in strip} == {
        k: v for k, v in without.one(OUTPUT_TYPE).inputs.items() if k not in strip
    }
    assert len(with_defaults.resources) == len(without.resources)
    assert with_defaults.one(BUCKET).options["retainOnDelete"] is True


# -- bring your own bucket ---------------------------------------------------------------------------


def test_existing_bucket_creates_no_bucket_resources():
    run = scenario("byo")
    assert not [r.type for r in run.resources if r.type.startswith("aws:s3")]
    assert run.types == {COMPONENT, OUTPUT_TYPE, ROLE, ROLE_POLICY}
    assert run.one(OUTPUT_TYPE).inputs["bucket_name"] == "customer-bucket"
    assert policy(run.one(ROLE_POLICY)) == write_policy("aws", "customer-bucket", "bitmovin/")
    assert run.one(ROLE_POLICY).options["dependencies"] == [run.one(ROLE).urn]
    assert run.stack_outputs["bucketName"] == "customer-bucket"
    assert run.stack_outputs["bucketArn"] == "arn:aws:s3:::customer-bucket"
    assert all(r.options["retainOnDelete"] in (None, False) for r in run.resources)


# -- stack outputs ------------------------------------------------------------------------------------


def test_stack_outputs_contract():
    run = scenario("dev")
    assert run.stack_outputs == {
        "outputId": fake_output_id("analytics-export-output"),
        "externalId": fake_global_external_id(ORG),
        "externalIdMode": "GLOBAL",
        "roleArn": f"arn:aws:iam::{MOCK_ACCOUNT}:role/{ROLE_NAME}",
        "roleName": ROLE_NAME,
        "bucketName": DEFAULT_BUCKET,
        "bucketArn": f"arn:aws:s3:::{DEFAULT_BUCKET}",
        "region": "eu-central-1",
        "tenantOrgId": ORG,
        "exportPrefix": "analytics/",
    }
    assert run.secret_outputs == []


def test_tenant_org_id_is_an_empty_string_when_unset():
    run = scenario("generated")
    assert set(run.stack_outputs) == STACK_OUTPUT_NAMES
    assert run.stack_outputs["tenantOrgId"] == ""
    assert run.stack_outputs["exportPrefix"] == ""


def test_component_registers_the_same_outputs():
    run = scenario("dev")
    assert run.one(COMPONENT).registered_outputs == run.stack_outputs


# -- the API key ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["dev", "kms_retention", "byo", "custom"])
def test_api_key_never_reaches_resources_outputs_or_invokes(name):
    run = scenario(name)
    assert API_KEY_MARKER not in run.everything_json()
    assert API_KEY_MARKER.encode() not in decode_provider_blob(run.one(OUTPUT_TYPE))
    assert API_KEY_MARKER not in run.stdout
    assert "bitmovin:apiKey" not in run.config_reads


def test_program_reads_only_its_own_keys():
    reads = set(scenario("dev").config_reads)
    assert reads <= {
        f"bitmovin-analytics-export:{key}" for key in SCENARIOS["cli_defaults"] if ":" not in key
    } | {
        "aws:region",
        "bitmovin:tenantOrgId",
    }
    assert "aws:region" in reads
    assert "bitmovin:tenantOrgId" in reads


# -- bad config: fail before any resource -------------------------------------------------------------

BAD_CONFIGS = {
    "prefix": ({"exportPrefix": "/analytics"}, ["exportPrefix"], "pulumi config set exportPrefix analytics/"),
    "custom_without_id": ({"externalIdMode": "CUSTOM"}, ["externalId"], "pulumi config set externalId"),
    "byo_conflict": (
        {"existingBucketName": "customer-bucket", "kmsKeyArn": KMS_KEY, "retentionDays": "30"},
        ["kmsKeyArn", "retentionDays"],
        "pulumi config rm kmsKeyArn",
    ),
    "object_writer": (
        {"objectOwnership": "ObjectWriter"},
        ["objectOwnership"],
        "pulumi config set objectOwnership",
    ),
    "typo": ({"exportPrefx": "analytics/"}, ["exportPrefx"], "pulumi config set exportPrefix analytics/"),
    "tenant": (
        {"bitmovin:tenantOrgId": "acme"},
        ["bitmovin:tenantOrgId"],
        "pulumi config set bitmovin:tenantOrgId",
    ),
    "many": (
        {"bucketName": "Bad_Name", "roleName": "r" * 80, "retentionDays": "-1", "aws:region": "cn-north-1"},
        ["bucketName", "roleName", "retentionDays", "bitmovinPrincipalArn"],
        "pulumi config set bucketName bad-name",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_CONFIGS))
def test_bad_config_stops_before_any_resource(case):
    config, keys, fix = BAD_CONFIGS[case]
    run = run_program({**BASE, **config}, secret_keys=("bitmovin:apiKey",))
    assert run.error_type == "RunError", run.error
    assert run.resources == []
    assert run.calls == []
    assert run.error.startswith("Invalid stack configuration")
    for key in keys:
        assert f"  - {key}: " in run.error
    assert fix in run.error
    assert run.error.count("Fix: `pulumi config ") == len(run.error.splitlines()) - 1
    assert API_KEY_MARKER not in run.error


# -- other partitions ------------------------------------------------------------------------------------


def test_china_partition_with_principal_override():
    principal = "arn:aws-cn:iam::123456789012:user/bitmovin-exports"
    run = run_program(
        {"aws:region": "cn-north-1", "bitmovinPrincipalArn": principal, "exportPrefix": "a/"},
        partition="aws-cn",
    )
    assert run.ok, run.error
    bucket = f"bitmovin-analytics-dev-{MOCK_ACCOUNT}"
    assert run.one(OUTPUT_TYPE).inputs["role_arn"] == f"arn:aws-cn:iam::{MOCK_ACCOUNT}:role/{ROLE_NAME}"
    assert policy(run.one(ROLE), "assumeRolePolicy")["Statement"][0]["Principal"] == {"AWS": principal}
    assert policy(run.one(ROLE_POLICY)) == write_policy("aws-cn", bucket, "a/")
    assert policy(run.one(BUCKET_POLICY)) == tls_only_bucket_policy("aws-cn", bucket)


def test_partition_mismatch_found_at_deploy_time_creates_no_role():
    """Without aws:region the config cannot know the partition; the trust policy apply refuses."""
    run = run_program({}, partition="aws-cn")
    assert not run.ok
    assert "bitmovinPrincipalArn" in run.error
    assert ROLE not in run.types
    assert ROLE_POLICY not in run.types


# -- preview ----------------------------------------------------------------------------------------------


def test_preview_shows_the_trust_policy_as_computed():
    """In a preview the output is not created, so its external ID and the trust policy are unknown;
    everything else, including the permission policy and the role ARN, is already known."""
    run = run_program({**BASE, "exportPrefix": "analytics/"}, secret_keys=("bitmovin:apiKey",), preview=True)
    assert run.ok, run.error
    assert run.one(ROLE).inputs["assumeRolePolicy"] == UNKNOWN
    assert run.one(OUTPUT_TYPE).inputs["role_arn"] == f"arn:aws:iam::{MOCK_ACCOUNT}:role/{ROLE_NAME}"
    assert policy(run.one(ROLE_POLICY)) == write_policy("aws", DEFAULT_BUCKET, "analytics/")
    assert run.stack_outputs["externalId"] == UNKNOWN
    assert run.stack_outputs["roleArn"] == f"arn:aws:iam::{MOCK_ACCOUNT}:role/{ROLE_NAME}"
    assert run.stack_outputs["tenantOrgId"] == ""


# -- the component from another program ----------------------------------------------------------------


def test_component_is_usable_from_another_program(tmp_path):
    program = tmp_path / "other_program.py"
    program.write_text(
        textwrap.dedent(
            """
            import pulumi
            from analytics_export import BitmovinAnalyticsExport, BitmovinAnalyticsExportArgs

            first = BitmovinAnalyticsExport("first")
            second = BitmovinAnalyticsExport(
                "second",
                BitmovinAnalyticsExportArgs(
                    role_name="second-writer",
                    existing_bucket_name=first.bucket_name,
                    export_prefix="second/",
                    external_id_mode="GENERATED",
                ),
            )
            pulumi.export("first", first.role_arn)
            pulumi.export("second", second.role_arn)
            """
        )
    )
    run = run_program({"aws:region": "eu-central-1"}, stack="staging", program=program)
    assert run.ok, run.error
    assert len(run.of_type(COMPONENT)) == 2
    assert len(run.of_type(BUCKET)) == 1
    roles = {r.inputs["name"] for r in run.of_type(ROLE)}
    assert roles == {"bitmovin-analytics-export-staging", "second-writer"}
    assert run.stack_outputs == {
        "first": f"arn:aws:iam::{MOCK_ACCOUNT}:role/bitmovin-analytics-export-staging",
        "second": f"arn:aws:iam::{MOCK_ACCOUNT}:role/second-writer",
    }
    second_policy = next(r for r in run.of_type(ROLE_POLICY) if r.inputs["role"] == "second-writer")
    assert policy(second_policy) == write_policy(
        "aws", f"bitmovin-analytics-staging-{MOCK_ACCOUNT}", "second/"
    )
