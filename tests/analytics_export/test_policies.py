"""Layer 1: the policy documents, exactly, and the names they are built from."""

from __future__ import annotations

import json
import re

import pytest

from analytics_export import naming, policies
from analytics_export.policies import (
    BITMOVIN_PRINCIPAL,
    tls_only_bucket_policy,
    trust_policy,
    write_policy,
)
from dev.support.expectations import expected_trust_policy
from dev.support.testing import BUCKET, EXTERNAL_ID, KMS_KEY_ARN
from providers import validation as rules

pytestmark = pytest.mark.layer1


# -- trust policy ---------------------------------------------------------------------------------


def test_trust_policy_is_exactly_bitmovin_with_external_id():
    assert trust_policy(EXTERNAL_ID) == expected_trust_policy(EXTERNAL_ID)


def test_trust_policy_principal_override():
    principal = "arn:aws-cn:iam::123456789012:user/bitmovin"
    statement = trust_policy(EXTERNAL_ID, principal)["Statement"][0]
    assert statement["Principal"] == {"AWS": principal}


@pytest.mark.parametrize("external_id", ["", None, "x", "has space", "a" * 1225, "semi;colon"])
def test_trust_policy_refuses_missing_or_malformed_external_id(external_id):
    with pytest.raises(ValueError, match="external ID"):
        trust_policy(external_id)


@pytest.mark.parametrize(
    "principal",
    [
        "*",
        "arn:aws:iam::630681592166:root",
        "630681592166",
        "arn:aws:iam::63068159216:user/x",
        "arn:aws:sts::630681592166:assumed-role/x/y",
        "arn:aws:iam::630681592166:group/x",
    ],
)
def test_trust_policy_refuses_anything_but_one_user_or_role(principal):
    with pytest.raises(ValueError, match="trusted principal"):
        trust_policy(EXTERNAL_ID, principal)


@pytest.mark.parametrize(
    "principal",
    [
        BITMOVIN_PRINCIPAL,
        "arn:aws:iam::123456789012:role/path/to/role",
        "arn:aws-us-gov:iam::123456789012:user/bitmovin",
    ],
)
def test_principal_arn_problem_accepts_users_and_roles(principal):
    assert rules.principal_arn_problem(principal) is None


# -- write policy ---------------------------------------------------------------------------------


NO_GRANTS = {
    "s3:x-amz-grant-full-control": "true",
    "s3:x-amz-grant-read": "true",
    "s3:x-amz-grant-read-acp": "true",
    "s3:x-amz-grant-write": "true",
    "s3:x-amz-grant-write-acp": "true",
}
CANNED = ["private", "bucket-owner-full-control"]


def test_write_policy_with_prefix_exact():
    assert write_policy("aws", BUCKET, "analytics/") == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "FindBucketRegion",
                "Effect": "Allow",
                "Action": ["s3:GetBucketLocation"],
                "Resource": "arn:aws:s3:::acme-analytics",
            },
            {
                "Sid": "ListExportPrefix",
                "Effect": "Allow",
                "Action": ["s3:ListBucket"],
                "Resource": "arn:aws:s3:::acme-analytics",
                "Condition": {"StringLike": {"s3:prefix": ["analytics/*"]}},
            },
            {
                "Sid": "WriteExports",
                "Effect": "Allow",
                "Action": ["s3:PutObject"],
                "Resource": "arn:aws:s3:::acme-analytics/analytics/*",
                "Condition": {
                    "StringEqualsIfExists": {"s3:x-amz-acl": CANNED},
                    "Null": NO_GRANTS,
                },
            },
            {
                "Sid": "SetCannedExportAcl",
                "Effect": "Allow",
                "Action": ["s3:PutObjectAcl"],
                "Resource": "arn:aws:s3:::acme-analytics/analytics/*",
                "Condition": {
                    "StringEquals": {"s3:x-amz-acl": CANNED},
                    "Null": NO_GRANTS,
                },
            },
        ],
    }


def test_write_policy_without_prefix_covers_bucket_and_lists_unconditionally():
    statements = {s["Sid"]: s for s in write_policy("aws", BUCKET, "")["Statement"]}
    assert set(statements) == {"FindBucketRegion", "ListExportPrefix", "WriteExports", "SetCannedExportAcl"}
    assert "Condition" not in statements["ListExportPrefix"]
    assert "Condition" not in statements["FindBucketRegion"]
    assert statements["WriteExports"]["Resource"] == "arn:aws:s3:::acme-analytics/*"
    assert statements["SetCannedExportAcl"]["Resource"] == "arn:aws:s3:::acme-analytics/*"


def test_write_policy_nested_prefix():
    statements = {s["Sid"]: s for s in write_policy("aws", BUCKET, "exports/bitmovin/")["Statement"]}
    assert statements["WriteExports"]["Resource"] == "arn:aws:s3:::acme-analytics/exports/bitmovin/*"
    assert statements["ListExportPrefix"]["Condition"] == {
        "StringLike": {"s3:prefix": ["exports/bitmovin/*"]}
    }


def test_write_policy_kms_adds_only_that_key_through_s3_for_this_bucket():
    statements = write_policy("aws", BUCKET, "analytics/", KMS_KEY_ARN, region="eu-central-1")["Statement"]
    assert statements[-1] == {
        "Sid": "UseExportEncryptionKeyThroughS3",
        "Effect": "Allow",
        "Action": ["kms:GenerateDataKey", "kms:Decrypt"],
        "Resource": KMS_KEY_ARN,
        "Condition": {
            "StringEquals": {"kms:ViaService": "s3.eu-central-1.amazonaws.com"},
            "StringLike": {
                "kms:EncryptionContext:aws:s3:arn": [
                    "arn:aws:s3:::acme-analytics",
                    "arn:aws:s3:::acme-analytics/analytics/*",
                ]
            },
        },
    }
    assert statements[:-1] == write_policy("aws", BUCKET, "analytics/")["Statement"]


@pytest.mark.parametrize(
    ("partition", "region", "service"),
    [
        ("aws", "us-east-1", "s3.us-east-1.amazonaws.com"),
        ("aws-cn", "cn-north-1", "s3.cn-north-1.amazonaws.com.cn"),
        ("aws-cn", "cn-northwest-1", "s3.cn-northwest-1.amazonaws.com.cn"),
        ("aws-us-gov", "us-gov-west-1", "s3.us-gov-west-1.amazonaws.com"),
    ],
)
def test_kms_via_service_uses_the_partition_dns_suffix(partition, region, service):
    key = f"arn:{partition}:kms:{region}:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    statement = write_policy(partition, BUCKET, "", key, region=region)["Statement"][-1]
    assert statement["Condition"]["StringEquals"] == {"kms:ViaService": service}
    assert statement["Condition"]["StringLike"]["kms:EncryptionContext:aws:s3:arn"][0] == (
        f"arn:{partition}:s3:::{BUCKET}"
    )


def test_write_policy_grants_nothing_else():
    """The complete action set, every resource scoped, no wildcards, no Principal, only Allow."""
    for prefix, kms in (("", None), ("analytics/", None), ("analytics/", KMS_KEY_ARN)):
        document = write_policy("aws", BUCKET, prefix, kms, region="eu-central-1")
        actions = {action for statement in document["Statement"] for action in statement["Action"]}
        expected = {"s3:GetBucketLocation", "s3:ListBucket", "s3:PutObject", "s3:PutObjectAcl"}
        assert actions == (expected | {"kms:GenerateDataKey", "kms:Decrypt"} if kms else expected)
        for statement in document["Statement"]:
            assert statement["Effect"] == "Allow"
            assert "Principal" not in statement
            assert "NotAction" not in statement
            assert "NotResource" not in statement
            assert statement["Resource"] not in ("*", "arn:aws:s3:::*")
            assert all("*" not in action for action in statement["Action"])
            if set(statement["Action"]) & {"s3:PutObject", "s3:PutObjectAcl"}:
                assert statement["Condition"]["Null"] == NO_GRANTS
            if "kms:Decrypt" in statement["Action"]:
                assert set(statement["Condition"]) == {"StringEquals", "StringLike"}


def test_write_policy_other_partition():
    statements = write_policy("aws-cn", BUCKET, "a/")["Statement"]
    assert statements[0]["Resource"] == "arn:aws-cn:s3:::acme-analytics"
    assert statements[2]["Resource"] == "arn:aws-cn:s3:::acme-analytics/a/*"


@pytest.mark.parametrize(
    ("partition", "bucket", "prefix", "kms", "region", "match"),
    [
        ("aws", "Bad_Bucket", "", None, None, "bucket name"),
        ("aws", BUCKET, "/analytics/", None, None, "export prefix"),
        ("aws", BUCKET, "analytics", None, None, "export prefix"),
        ("aws", BUCKET, "a*/", None, None, "wildcard"),
        ("aws", BUCKET, "a?/", None, None, "wildcard"),
        ("aws", BUCKET, "${aws:username}/", None, None, "policy variable"),
        ("aws", BUCKET, "a/../", None, None, "'..' segment"),
        ("aws", BUCKET, "", "alias/aws/s3", "eu-central-1", "KMS key"),
        ("aws-cn", BUCKET, "", KMS_KEY_ARN, "eu-central-1", "partition"),
        ("aws", BUCKET, "", KMS_KEY_ARN, None, "region is needed"),
        ("aws", BUCKET, "", KMS_KEY_ARN, "eu-west-1", "bucket's region"),
        ("aws", BUCKET, "", KMS_KEY_ARN, "Frankfurt", "region"),
        ("AWS", BUCKET, "", None, None, "partition"),
        ("aws-iso", BUCKET, "", None, None, "partition"),
        ("", BUCKET, "", None, None, "partition"),
    ],
)
def test_write_policy_rejects_bad_inputs(partition, bucket, prefix, kms, region, match):
    with pytest.raises(ValueError, match=re.escape(match)):
        write_policy(partition, bucket, prefix, kms, region=region)


# -- bucket policy ---------------------------------------------------------------------------------


def test_tls_only_bucket_policy_exact():
    assert tls_only_bucket_policy("aws", BUCKET) == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": ["arn:aws:s3:::acme-analytics", "arn:aws:s3:::acme-analytics/*"],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }
        ],
    }


def test_tls_only_bucket_policy_rejects_bad_bucket():
    with pytest.raises(ValueError, match="bucket name"):
        tls_only_bucket_policy("aws", "UPPER")


def test_documents_are_json_serializable_and_stable():
    for document in (
        trust_policy(EXTERNAL_ID),
        write_policy("aws", BUCKET, "a/", KMS_KEY_ARN, region="eu-central-1"),
        tls_only_bucket_policy("aws", BUCKET),
    ):
        text = json.dumps(document)
        assert json.loads(text) == document
        assert json.dumps(document) == text


# -- ARNs ------------------------------------------------------------------------------------------


def test_arn_helpers():
    assert policies.bucket_arn("aws", BUCKET) == "arn:aws:s3:::acme-analytics"
    assert policies.objects_arn("aws", BUCKET, "") == "arn:aws:s3:::acme-analytics/*"
    assert policies.objects_arn("aws", BUCKET, "x/y/") == "arn:aws:s3:::acme-analytics/x/y/*"
    assert policies.role_arn("aws", "123456789012", "r") == "arn:aws:iam::123456789012:role/r"
    assert policies.role_arn("aws-us-gov", "123456789012", "r") == "arn:aws-us-gov:iam::123456789012:role/r"
    assert policies.arn_partition("arn:aws-cn:iam::123456789012:user/x") == "aws-cn"


@pytest.mark.parametrize(
    ("account", "role", "match"),
    [
        ("12345", "r", "account id"),
        ("123456789012", "", "role name"),
        ("123456789012", "a" * 65, "role name"),
    ],
)
def test_role_arn_rejects_bad_inputs(account, role, match):
    with pytest.raises(ValueError, match=match):
        policies.role_arn("aws", account, role)


# -- default names -----------------------------------------------------------------------------------


def test_default_names_for_a_plain_stack():
    assert naming.default_bucket_name("dev", "123456789012") == "bitmovin-analytics-dev-123456789012"
    assert naming.default_role_name("dev") == "bitmovin-analytics-export-dev"
    assert naming.default_output_name("bitmovin-analytics-export", "dev") == "bitmovin-analytics-export-dev"


@pytest.mark.parametrize(
    "stack",
    [
        "dev",
        "Prod",
        "prod.eu_west",
        "a" * 100,
        "A_B.C-D" * 10,
        "---",
        "x",
        "org-7f3c0b1e-5d2a-4c8e-9b6f-0a1b2c3d4e5f-production",
    ],
)
def test_default_names_are_always_valid_and_stable(stack):
    bucket = naming.default_bucket_name(stack, "123456789012")
    role = naming.default_role_name(stack)
    assert rules.bucket_name_problem(bucket) is None, bucket
    assert len(bucket) <= 63
    assert bucket.endswith("-123456789012")
    assert rules.role_name_problem(role) is None, role
    assert len(role) <= 64
    assert naming.default_bucket_name(stack, "123456789012") == bucket
    assert naming.default_role_name(stack) == role


def test_default_names_keep_rewritten_stacks_apart():
    assert naming.default_role_name("Dev") != naming.default_role_name("dev")
    assert naming.default_bucket_name("Dev", "123456789012") != naming.default_bucket_name(
        "dev", "123456789012"
    )
    long_a, long_b = "x" * 80 + "a", "x" * 80 + "b"
    assert naming.default_role_name(long_a) != naming.default_role_name(long_b)
    assert naming.default_bucket_name(long_a, "123456789012") != naming.default_bucket_name(
        long_b, "123456789012"
    )


def test_stack_slug_budget_is_enforced():
    with pytest.raises(ValueError, match="budget"):
        naming.stack_slug("dev", 3)


# -- the component's guards around the trust policy -----------------------------------------------------


def test_trust_policy_json_guards():
    from analytics_export.component import _same_arn, trust_policy_json

    assert json.loads(trust_policy_json(EXTERNAL_ID, "aws", BITMOVIN_PRINCIPAL)) == trust_policy(EXTERNAL_ID)
    with pytest.raises(ValueError, match="no external_id"):
        trust_policy_json(None, "aws", BITMOVIN_PRINCIPAL)
    with pytest.raises(ValueError, match="bitmovinPrincipalArn"):
        trust_policy_json(EXTERNAL_ID, "aws-cn", BITMOVIN_PRINCIPAL)
    assert _same_arn(["arn:aws:iam::1:role/a", "arn:aws:iam::1:role/a"]) == "arn:aws:iam::1:role/a"
    with pytest.raises(ValueError, match="Bitmovin would fail to assume it"):
        _same_arn(["arn:aws:iam::1:role/a", "arn:aws:iam::1:role/b"])
