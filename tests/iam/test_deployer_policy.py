"""Layer 5: docs/deployer-policy.json allows what the program manages through pulumi-aws, and no more.

What the program manages comes from the program itself, run under mocks (dev/support/program_harness.py):
its resource types, the bucket and role names it gives them, and the invokes it makes. Each
pulumi-aws type maps to the IAM actions its create, refresh (read), update and delete call
(:data:`ACTIONS_BY_TYPE`, from terraform-provider-aws's ``aws_s3_bucket``/``aws_iam_role`` code and
the S3 and IAM service authorization references; docs/real-accounts.md says what was checked). The
project's IAM evaluator (dev/support/iam_model.py) then judges every needed request against the policy,
and the broader ones it must refuse; parliament checks that every action exists and fits its
resource.

What this cannot prove: that a future pulumi-aws calls no further API (a new read shows up as an
AccessDenied on refresh, and the mapping below must then grow with the policy).
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import parliament
import pytest

from analytics_export import naming
from dev.support.iam_model import allowed, evaluate
from dev.support.program_harness import MOCK_ACCOUNT, ProgramRun, run_program

pytestmark = pytest.mark.layer5

POLICY_FILE = Path(__file__).resolve().parents[2] / "docs" / "deployer-policy.json"
ACCOUNT_PLACEHOLDER = "ACCOUNT_ID"
PREFIX = "analytics/"

BUCKET = "aws:s3/bucket:Bucket"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
BUCKET_READS = (
    # aws_s3_bucket's read: HeadBucket (s3:ListBucket) and one Get per bucket setting it reports.
    "s3:ListBucket",
    "s3:GetBucketTagging",
    "s3:GetBucketPolicy",
    "s3:GetBucketAcl",
    "s3:GetBucketCORS",
    "s3:GetBucketWebsite",
    "s3:GetBucketVersioning",
    "s3:GetAccelerateConfiguration",
    "s3:GetBucketRequestPayment",
    "s3:GetBucketLogging",
    "s3:GetLifecycleConfiguration",
    "s3:GetReplicationConfiguration",
    "s3:GetEncryptionConfiguration",
    "s3:GetBucketObjectLockConfiguration",
)
# Per pulumi-aws type: the actions of create, read, update and delete. Side resources' deletes
# (DeletePublicAccessBlock, DeleteBucketEncryption, ...) are authorized by their Put action.
ACTIONS_BY_TYPE: dict[str, tuple[str, ...]] = {
    BUCKET: ("s3:CreateBucket", "s3:DeleteBucket", "s3:PutBucketTagging", *BUCKET_READS),
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": (
        "s3:PutBucketPublicAccessBlock",
        "s3:GetBucketPublicAccessBlock",
    ),
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": (
        "s3:PutBucketOwnershipControls",
        "s3:GetBucketOwnershipControls",
    ),
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": (
        "s3:PutEncryptionConfiguration",
        "s3:GetEncryptionConfiguration",
    ),
    "aws:s3/bucketVersioning:BucketVersioning": ("s3:PutBucketVersioning", "s3:GetBucketVersioning"),
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": (
        "s3:PutLifecycleConfiguration",
        "s3:GetLifecycleConfiguration",
    ),
    "aws:s3/bucketPolicy:BucketPolicy": ("s3:PutBucketPolicy", "s3:GetBucketPolicy", "s3:DeleteBucketPolicy"),
    ROLE: (
        "iam:CreateRole",
        "iam:TagRole",  # CreateRole with tags needs it too
        "iam:GetRole",  # tags come with the role
        "iam:ListRolePolicies",
        "iam:ListAttachedRolePolicies",
        "iam:UpdateRole",
        "iam:UpdateRoleDescription",
        "iam:UpdateAssumeRolePolicy",
        "iam:UntagRole",
        "iam:ListInstanceProfilesForRole",  # delete detaches instance profiles first
        "iam:DeleteRole",
    ),
    ROLE_POLICY: ("iam:PutRolePolicy", "iam:GetRolePolicy", "iam:DeleteRolePolicy"),
}
# Invokes that reach AWS (getPartition and getRegion are answered by the provider itself).
ACTIONS_BY_INVOKE = {"aws:index/getCallerIdentity:getCallerIdentity": ("sts:GetCallerIdentity",)}
LOCAL_INVOKES = {"aws:index/getPartition:getPartition", "aws:index/getRegion:getRegion"}
PROJECT_TYPE_PREFIXES = ("pulumi-python:dynamic/", "bitmovin-analytics-export:")


def load_policy(account: str = MOCK_ACCOUNT) -> dict[str, Any]:
    return json.loads(POLICY_FILE.read_text().replace(ACCOUNT_PLACEHOLDER, account))


@functools.cache
def program_run() -> ProgramRun:
    """Every AWS resource type the program can create: a bucket with retention and a KMS key."""
    config = {
        "aws:region": "eu-central-1",
        "exportPrefix": PREFIX,
        "retentionDays": "30",
        "kmsKeyArn": f"arn:aws:kms:eu-central-1:{MOCK_ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        "retainBucketOnDestroy": "false",
    }
    run = run_program(config)
    assert run.ok, run.error
    return run


def needed_requests(run: ProgramRun) -> list[tuple[str, str]]:
    """(action, resource ARN) for everything pulumi-aws does with what the program registered."""
    requests: list[tuple[str, str]] = []
    for registration in run.resources:
        if registration.type.startswith(PROJECT_TYPE_PREFIXES):
            continue  # the component and the dynamic resources call Bitmovin, not AWS
        assert registration.type in ACTIONS_BY_TYPE, (
            f"the program now creates {registration.type}: add its actions here and to docs/deployer-policy.json"
        )
        if registration.type.startswith("aws:s3/"):
            name = registration.inputs["bucket"]
            arn = f"arn:aws:s3:::{name}"
        elif registration.type == ROLE:
            arn = registration.outputs["arn"]
        else:  # the role policy names its role by the role's id, its name
            arn = f"arn:aws:iam::{MOCK_ACCOUNT}:role/{registration.inputs['role']}"
        requests += [(action, arn) for action in ACTIONS_BY_TYPE[registration.type]]
    for call in run.calls:
        if call["token"] in LOCAL_INVOKES:
            continue
        assert call["token"] in ACTIONS_BY_INVOKE, f"the program now invokes {call['token']}"
        requests += [(action, "*") for action in ACTIONS_BY_INVOKE[call["token"]]]
    return requests


def all_actions(policy: dict[str, Any]) -> set[str]:
    actions: set[str] = set()
    for statement in policy["Statement"]:
        value = statement["Action"]
        actions |= {value} if isinstance(value, str) else set(value)
    return actions


def test_the_program_creates_the_default_names_the_policy_is_scoped_to():
    run = program_run()
    assert run.one(BUCKET).inputs["bucket"] == f"bitmovin-analytics-dev-{MOCK_ACCOUNT}"
    assert run.one(ROLE).outputs["arn"] == f"arn:aws:iam::{MOCK_ACCOUNT}:role/bitmovin-analytics-export-dev"
    assert set(ACTIONS_BY_TYPE) == {
        r.type for r in run.resources if not r.type.startswith(PROJECT_TYPE_PREFIXES)
    }


def test_the_policy_allows_every_request_pulumi_aws_makes_for_the_program():
    policy = load_policy()
    refused = [
        (action, arn) for action, arn in needed_requests(program_run()) if not allowed(policy, action, arn)
    ]
    assert refused == []


def test_the_policy_has_no_action_the_program_does_not_need():
    needed = {action for action, _ in needed_requests(program_run())}
    assert all_actions(load_policy()) == needed


def test_no_wildcard_action_and_a_wildcard_resource_only_where_iam_has_no_resource():
    for statement in load_policy()["Statement"]:
        actions = [statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"]
        assert statement["Effect"] == "Allow", statement["Sid"]
        assert "NotAction" not in statement, statement["Sid"]
        assert "NotResource" not in statement, statement["Sid"]
        assert not any("*" in action or "?" in action for action in actions), statement["Sid"]
        if statement["Resource"] == "*":
            assert actions == ["sts:GetCallerIdentity"], statement["Sid"]


BUCKET_ARN = f"arn:aws:s3:::bitmovin-analytics-dev-{MOCK_ACCOUNT}"
ROLE_ARN = f"arn:aws:iam::{MOCK_ACCOUNT}:role/bitmovin-analytics-export-dev"
BROADER = {
    "another bucket": ("s3:PutBucketPolicy", "arn:aws:s3:::someone-elses-bucket"),
    "another account's default bucket": (
        "s3:DeleteBucket",
        "arn:aws:s3:::bitmovin-analytics-dev-999999999999",
    ),
    "a custom bucket name": ("s3:CreateBucket", "arn:aws:s3:::acme-bitmovin-exports"),
    "another role": ("iam:PutRolePolicy", f"arn:aws:iam::{MOCK_ACCOUNT}:role/OrganizationAccountAccessRole"),
    "a role in another path": (
        "iam:CreateRole",
        f"arn:aws:iam::{MOCK_ACCOUNT}:role/admin/bitmovin-analytics-export-x",
    ),
    "a role of another account": (
        "iam:CreateRole",
        "arn:aws:iam::999999999999:role/bitmovin-analytics-export-dev",
    ),
    "reading exported data": ("s3:GetObject", f"{BUCKET_ARN}/{PREFIX}2026-01-01-00-00.csv"),
    "writing into the bucket": ("s3:PutObject", f"{BUCKET_ARN}/{PREFIX}2026-01-01-00-00.csv"),
    "deleting exported data": ("s3:DeleteObject", f"{BUCKET_ARN}/{PREFIX}2026-01-01-00-00.csv"),
    "deleting old versions": ("s3:DeleteObjectVersion", f"{BUCKET_ARN}/{PREFIX}2026-01-01-00-00.csv"),
    "setting a bucket ACL": ("s3:PutBucketAcl", BUCKET_ARN),
    "passing the role": ("iam:PassRole", ROLE_ARN),
    "attaching a managed policy": ("iam:AttachRolePolicy", ROLE_ARN),
    "a permissions boundary off": ("iam:DeleteRolePermissionsBoundary", ROLE_ARN),
    "assuming the role": ("sts:AssumeRole", ROLE_ARN),
    "creating a user": ("iam:CreateUser", f"arn:aws:iam::{MOCK_ACCOUNT}:user/anyone"),
    "creating an access key": ("iam:CreateAccessKey", f"arn:aws:iam::{MOCK_ACCOUNT}:user/anyone"),
    "creating a managed policy": ("iam:CreatePolicy", f"arn:aws:iam::{MOCK_ACCOUNT}:policy/anything"),
    "using the KMS key": ("kms:Decrypt", f"arn:aws:kms:eu-central-1:{MOCK_ACCOUNT}:key/1234abcd"),
    "anything at all": ("ec2:RunInstances", "*"),
}


@pytest.mark.parametrize("case", sorted(BROADER))
def test_the_policy_refuses_what_is_broader(case):
    action, resource = BROADER[case]
    assert evaluate(load_policy(), action, resource) == "implicit-deny"


def test_the_policy_covers_the_default_names_of_any_stack():
    policy = load_policy("210987654321")
    for stack in ("acme-prod", "globex", "a-very-long-stack-name-that-gets-shortened-with-a-hash-x"):
        bucket = f"arn:aws:s3:::{naming.default_bucket_name(stack, '210987654321')}"
        role = f"arn:aws:iam::210987654321:role/{naming.default_role_name(stack)}"
        assert allowed(policy, "s3:CreateBucket", bucket), bucket
        assert allowed(policy, "iam:CreateRole", role), role


def parliament_findings(policy: dict[str, Any]) -> list[tuple[str, Any]]:
    return [(f.issue, f.detail) for f in parliament.analyze_policy_string(json.dumps(policy)).findings]


def test_parliament_knows_every_action_and_its_resource():
    """The only findings are the ones docs/real-accounts.md explains: whoever may write the bucket
    policy or its lifecycle rules could use them to read or delete objects."""
    issues = {issue for issue, _ in parliament_findings(load_policy())}
    assert issues == {"RESOURCE_POLICY_PRIVILEGE_ESCALATION"}


def test_parliament_would_catch_a_misspelt_action_or_a_wrong_resource():
    policy = load_policy()
    statements = {statement["Sid"]: statement for statement in policy["Statement"]}
    statements["CreateAndDeleteExportBuckets"]["Action"] = ["s3:CreateBuckets"]
    statements["ManageExportRoles"]["Resource"] = "arn:aws:s3:::bitmovin-analytics-*"
    issues = {issue for issue, _ in parliament_findings(policy)}
    assert {"UNKNOWN_ACTION", "RESOURCE_MISMATCH"} <= issues
