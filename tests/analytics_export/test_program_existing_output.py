"""Layer 4: ``existingOutputId``: the program reads an existing output and never creates or deletes one.

The program runs under ``pulumi.runtime.set_mocks``; the mocks stand in for the reference provider's
single GET (``dev/support/program_harness.py``). The provider itself is proven against the emulator
(layer 2, ``test_output_reference``) and in the real host (layer 3, ``test_output_reference_host``).
"""

from __future__ import annotations

import json

import pytest

from dev.support.expectations import expected_trust_policy
from dev.support.program_harness import MOCK_ACCOUNT, OUTPUT_TYPE, REFERENCE_TYPE, run_program
from dev.support.testing import ORG_ID, OTHER_ORG_ID

pytestmark = pytest.mark.layer4

OUTPUT_ID = "cb90b80c-8867-4e3b-8479-174aa2843f62"
EXTERNAL_ID = "5e0b7c1e-1f5a-4f0e-9d2b-0a7d1c3e5f70"
BUCKET_NAME = "acme-hand-made-exports"
ROLE_ARN = f"arn:aws:iam::{MOCK_ACCOUNT}:role/bitmovin-hand-made"
BASE = {
    "aws:region": "eu-central-1",
    "bitmovin:apiKey": "MARKER-KEY",
    "bitmovin:tenantOrgId": ORG_ID,
    "existingOutputId": OUTPUT_ID,
    "exportPrefix": "analytics/",
}
ROLE, ROLE_POLICY = "aws:iam/role:Role", "aws:iam/rolePolicy:RolePolicy"


def existing(**fields: str | None) -> dict[str, dict]:
    """The output as the fake API returns it, in the stack's organization."""
    output = {
        "bucketName": BUCKET_NAME,
        "roleArn": ROLE_ARN,
        "externalId": EXTERNAL_ID,
        "externalIdMode": "GLOBAL",
        **fields,
    }
    return {f"{ORG_ID}/{OUTPUT_ID}": {k: v for k, v in output.items() if v is not None}}


def run(config: dict | None = None, outputs: dict | None = None, **kwargs):
    return run_program(
        {**BASE, **(config or {})},
        secret_keys=("bitmovin:apiKey",),
        existing_outputs=existing() if outputs is None else outputs,
        **kwargs,
    )


def test_references_the_output_and_creates_only_the_role_it_names():
    result = run()
    assert result.ok, result.error
    assert result.types == {
        "bitmovin-analytics-export:index:BitmovinAnalyticsExport",
        REFERENCE_TYPE,
        ROLE,
        ROLE_POLICY,
    }
    assert result.of_type(OUTPUT_TYPE) == []  # nothing is created in Bitmovin
    reference = result.one(REFERENCE_TYPE)
    assert reference.inputs["output_id"] == OUTPUT_ID
    assert reference.inputs["tenant_org_id"] == ORG_ID
    role = result.one(ROLE)
    assert role.inputs["name"] == "bitmovin-hand-made"
    assert role.inputs["path"] == "/"
    assert json.loads(role.inputs["assumeRolePolicy"]) == expected_trust_policy(EXTERNAL_ID)
    write = json.loads(result.one(ROLE_POLICY).inputs["policy"])
    resources = json.dumps([statement["Resource"] for statement in write["Statement"]])
    assert f"arn:aws:s3:::{BUCKET_NAME}/analytics/*" in resources
    assert result.stack_outputs == {
        "outputId": OUTPUT_ID,
        "externalId": EXTERNAL_ID,
        "externalIdMode": "GLOBAL",
        "roleArn": ROLE_ARN,
        "roleName": "bitmovin-hand-made",
        "bucketName": BUCKET_NAME,
        "bucketArn": f"arn:aws:s3:::{BUCKET_NAME}",
        "region": "eu-central-1",
        "tenantOrgId": ORG_ID,
        "exportPrefix": "analytics/",
    }


def test_a_role_path_in_the_outputs_role_arn_is_kept():
    arn = f"arn:aws:iam::{MOCK_ACCOUNT}:role/exports/bitmovin-hand-made"
    result = run(outputs=existing(roleArn=arn))
    assert result.ok, result.error
    assert (result.one(ROLE).inputs["name"], result.one(ROLE).inputs["path"]) == (
        "bitmovin-hand-made",
        "/exports/",
    )
    assert result.stack_outputs["roleArn"] == arn


def test_without_a_returned_role_arn_role_name_names_the_role():
    result = run({"roleName": "writer-by-hand"}, outputs=existing(roleArn=None))
    assert result.ok, result.error
    assert result.one(ROLE).inputs["name"] == "writer-by-hand"
    assert result.stack_outputs["roleArn"] == f"arn:aws:iam::{MOCK_ACCOUNT}:role/writer-by-hand"


def test_without_a_returned_role_arn_and_without_role_name_nothing_is_created():
    result = run(outputs=existing(roleArn=None))
    assert not result.ok
    assert "does not return its roleArn" in result.error
    assert "pulumi config set roleName" in result.error
    assert result.of_type(ROLE) == []
    assert result.of_type(ROLE_POLICY) == []


@pytest.mark.parametrize(
    ("role_arn", "role_name", "complaint"),
    [
        ("arn:aws:iam::999999999999:role/bitmovin-hand-made", None, "this stack deploys to account"),
        (ROLE_ARN, "another-role", "pulumi config rm roleName"),
    ],
)
def test_a_role_arn_that_contradicts_the_stack_creates_no_role(role_arn, role_name, complaint):
    config = {"roleName": role_name} if role_name else {}
    result = run(config, outputs=existing(roleArn=role_arn))
    assert not result.ok
    assert complaint in result.error
    assert result.of_type(ROLE) == []
    assert result.of_type(ROLE_POLICY) == []


@pytest.mark.parametrize(
    "outputs",
    [
        pytest.param({}, id="missing"),
        pytest.param(
            {f"{OTHER_ORG_ID}/{OUTPUT_ID}": existing()[f"{ORG_ID}/{OUTPUT_ID}"]}, id="in-another-organization"
        ),
    ],
)
def test_an_output_not_found_in_the_stacks_organization_fails_before_anything_is_created(outputs):
    result = run(outputs=outputs)
    assert not result.ok
    assert "was not found" in result.error
    assert result.types <= {"bitmovin-analytics-export:index:BitmovinAnalyticsExport", REFERENCE_TYPE}


def test_preview_makes_no_decision_it_cannot_make_yet():
    result = run(preview=True)
    assert result.ok, result.error
    assert result.of_type(OUTPUT_TYPE) == []
    assert len(result.of_type(ROLE)) == 1


@pytest.mark.parametrize(
    "conflicting",
    [
        {"bucketName": "acme-new-bucket"},
        {"existingBucketName": "acme-other-bucket"},
        {"externalIdMode": "GENERATED"},
        {"outputName": "renamed"},
        {"retentionDays": "30"},
        {"retainBucketOnDestroy": "false"},
    ],
)
def test_settings_the_existing_output_fixes_are_refused_before_any_resource(conflicting):
    result = run(conflicting)
    assert not result.ok
    (key,) = conflicting
    assert f"{key}: cannot be combined with existingOutputId" in result.error
    assert f"pulumi config rm {key}" in result.error
    assert result.resources == []
    assert result.calls == []
