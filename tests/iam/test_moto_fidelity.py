"""Layer 5: canaries on moto's own authorizer, which no other test relies on.

Every other test that needs an IAM decision takes it from dev/support/iam_model.py
(dev/support/model_authorizer.py; docs/iam-model.md). These pin what moto itself decides where it is
not AWS-faithful, so that a moto release changing it is named here, in one line, instead of showing
up as cryptic failures elsewhere or going unnoticed.
"""

from __future__ import annotations

import json
from importlib.metadata import version

import boto3
import pytest
from moto.core.authorization import enable_iam_authentication

from analytics_export.policies import trust_policy, write_policy
from dev.support.testing import BUCKET, EXTERNAL_ID, allowed, assume_role_user, assumed_s3_client

pytestmark = pytest.mark.layer5

REGION = "eu-central-1"


def lists_with_only(action: str) -> bool:
    """Does moto let a user allowed nothing but ``action`` on the bucket call ListObjectsV2?"""
    iam = boto3.client("iam")
    name = action.replace(":", "-")
    iam.create_user(UserName=name)
    policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": action, "Resource": "*"}]}
    iam.put_user_policy(UserName=name, PolicyName="list", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    s3 = boto3.client(
        "s3",
        region_name=REGION,
        aws_access_key_id=key["AccessKeyId"],
        aws_secret_access_key=key["SecretAccessKey"],
        aws_session_token=None,
    )
    with enable_iam_authentication():
        return allowed(lambda: s3.list_objects_v2(Bucket=BUCKET))


def test_moto_checks_list_objects_v2_as_s3_list_bucket(aws):
    """AWS: ListObjectsV2 needs s3:ListBucket (S3 API Reference, ListObjectsV2, "Permissions"); there
    is no action s3:ListObjectsV2. moto 5.2.5 agrees; 5.2.6 checks the API's name instead."""
    boto3.client("s3").create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
    decided = {action: lists_with_only(action) for action in ("s3:ListBucket", "s3:ListObjectsV2")}
    if decided == {"s3:ListBucket": False, "s3:ListObjectsV2": True}:
        pytest.fail(
            f"moto {version('moto')} evaluates ListObjectsV2 as s3:ListObjectsV2; AWS uses s3:ListBucket",
            pytrace=False,
        )
    assert decided == {"s3:ListBucket": True, "s3:ListObjectsV2": False}


def test_moto_does_not_evaluate_s3_acl_condition_keys(aws):
    """Why the ACL refusals are judged by dev/support/iam_model.py: moto allows a grant that the
    policy's conditions refuse on AWS. If this fails, moto learned the condition keys."""
    s3, iam = boto3.client("s3", region_name=REGION), boto3.client("iam")
    s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
    keys = assume_role_user(iam, "bitmovin-stand-in")
    account = boto3.client("sts").get_caller_identity()["Account"]
    trust = trust_policy(EXTERNAL_ID, f"arn:aws:iam::{account}:user/bitmovin-stand-in")
    role = iam.create_role(RoleName="writer", AssumeRolePolicyDocument=json.dumps(trust))["Role"]
    document = json.dumps(write_policy("aws", BUCKET, "analytics/"))
    iam.put_role_policy(RoleName="writer", PolicyName="write", PolicyDocument=document)
    with enable_iam_authentication():
        writer = assumed_s3_client(
            keys, REGION, RoleArn=role["Arn"], RoleSessionName="export", ExternalId=EXTERNAL_ID
        )
        assert allowed(
            lambda: writer.put_object(
                Bucket=BUCKET, Key="analytics/x.csv", Body=b"x", GrantRead='id="0123456789abcdef"'
            )
        )
