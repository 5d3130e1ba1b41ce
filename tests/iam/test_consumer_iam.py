"""Layer 5: what the consumer example's crawler role may do, judged offline.

parliament lints the crawler's permission policy (it knows the Glue, S3, logs and KMS actions and
their resource types); moto's validators check the syntax of both policies. Which S3 reads the policy
allows is shown end to end: moto serves the API after a real AssumeRole by a same-account stand-in
(the real role trusts only Glue, which moto cannot play), and dev/support/iam_model.py decides every
authorization with AWS's action for each S3 call and its condition keys
(dev/support/model_authorizer.py), so the ``s3:prefix`` limit on listing is proven too; it is also
asserted on the policy's structure.
"""

from __future__ import annotations

import importlib.util
import json
from typing import Any

import boto3
import parliament
import pytest
from moto.iam.policy_validation import IAMPolicyDocumentValidator, IAMTrustPolicyDocumentValidator

from dev.support.model_authorizer import enforced_by_model
from dev.support.program_harness import CONSUMER_DIR
from dev.support.testing import BUCKET, KMS_KEY_ARN, allowed, assume_role_user, assumed_s3_client

pytestmark = pytest.mark.layer5

REGION = "eu-central-1"
OTHER_BUCKET = "someone-elses-bucket"
ACCOUNT = "123456789012"
DATABASE = "bitmovin_analytics_acme_prod"


def access_module() -> Any:
    spec = importlib.util.spec_from_file_location("crawler_access", CONSUMER_DIR / "crawler_access.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


access = access_module()


def policy(prefix: str, kms: str | None = None, account: str = ACCOUNT) -> dict[str, Any]:
    return access.crawler_policy("aws", REGION, account, BUCKET, prefix, DATABASE, kms)


def findings(document: dict[str, Any]) -> list[tuple[str, Any]]:
    return [(f.issue, f.detail) for f in parliament.analyze_policy_string(json.dumps(document)).findings]


@pytest.mark.parametrize(("prefix", "kms"), [("analytics/", None), ("", None), ("a/b/", KMS_KEY_ARN)])
def test_crawler_policy_passes_parliament_and_moto_validation(prefix, kms):
    document = policy(prefix, kms)
    assert findings(document) == []
    IAMPolicyDocumentValidator(json.dumps(document)).validate()


def test_parliament_knows_the_glue_actions():
    """A misspelt Glue action is flagged, so 'no findings' above covers the catalog statement."""
    document = policy("analytics/")
    document["Statement"][3]["Action"] = ["glue:CreateTabel"]
    assert "UNKNOWN_ACTION" in {issue for issue, _ in findings(document)}


def test_trust_policy_is_valid_and_trusts_only_glue_for_this_account():
    trust = access.trust_policy(ACCOUNT)
    IAMTrustPolicyDocumentValidator(json.dumps(trust)).validate()
    (statement,) = trust["Statement"]
    assert statement["Principal"] == {"Service": "glue.amazonaws.com"}
    assert statement["Action"] == "sts:AssumeRole"
    assert statement["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT}}


def test_listing_is_limited_to_the_prefix_and_nothing_is_writable():
    document = policy("analytics/")
    s3 = [s for s in document["Statement"] if str(s["Action"]).startswith("s3:")]
    listing = next(s for s in s3 if s["Action"] == "s3:ListBucket")
    assert listing["Condition"] == {"StringLike": {"s3:prefix": ["analytics/*"]}}
    actions = {
        a
        for s in document["Statement"]
        for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
    }
    assert not {a for a in actions if a.startswith("s3:") and not a.startswith(("s3:Get", "s3:List"))}
    assert not {a for a in actions if a.startswith("glue:Delete") or a.startswith("glue:BatchDelete")}
    glue = next(s for s in document["Statement"] if s["Sid"] == "CatalogTheExports")
    assert all(DATABASE in resource or resource.endswith(":catalog") for resource in glue["Resource"])


@pytest.mark.parametrize("bucket", ["*", "acme-*", "a", "acme..x", "Acme", "acme/../x"])
def test_hostile_bucket_names_never_reach_a_policy(bucket):
    with pytest.raises(ValueError, match="bucketName output is not an S3 bucket name"):
        access.crawler_policy("aws", REGION, ACCOUNT, bucket, "analytics/", DATABASE)


@pytest.mark.parametrize(
    "prefix", ["*", "analytics/*", "/analytics/", "analytics", "../", "a/./b/", "a//", "a?/"]
)
def test_hostile_prefixes_never_reach_a_policy(prefix):
    with pytest.raises(ValueError, match="exportPrefix output is not a plain key prefix"):
        access.crawler_policy("aws", REGION, ACCOUNT, BUCKET, prefix, DATABASE)


# -- moto: what the assumed role may read ----------------------------------------------------------------


KEYS = ("analytics/2025/01/x.csv", "elsewhere/x.csv", "analytics-evil/x.csv")


def crawler_s3_client(prefix: str) -> Any:
    """Buckets with objects, then an S3 client acting as the crawler role (same-account stand-in)."""
    iam, s3 = boto3.client("iam"), boto3.client("s3", region_name=REGION)
    account = boto3.client("sts").get_caller_identity()["Account"]
    for name in (BUCKET, OTHER_BUCKET):
        s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION})
        for key in KEYS:
            s3.put_object(Bucket=name, Key=key, Body=b"date,impressions\n2025-01-01,1\n")
    keys = assume_role_user(iam, "glue-stand-in")
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{account}:user/glue-stand-in"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    role = iam.create_role(RoleName="crawler", AssumeRolePolicyDocument=json.dumps(trust))["Role"]
    iam.put_role_policy(
        RoleName="crawler", PolicyName="read", PolicyDocument=json.dumps(policy(prefix, account=account))
    )
    return keys, role["Arn"]


def as_role(keys: dict[str, str], role_arn: str) -> Any:
    return assumed_s3_client(keys, REGION, RoleArn=role_arn, RoleSessionName="crawler")


def probe(s3: Any) -> dict[str, bool]:
    return {
        "get under prefix": allowed(lambda: s3.get_object(Bucket=BUCKET, Key=KEYS[0])),
        "get outside prefix": allowed(lambda: s3.get_object(Bucket=BUCKET, Key=KEYS[1])),
        "get lookalike prefix": allowed(lambda: s3.get_object(Bucket=BUCKET, Key=KEYS[2])),
        "get other bucket": allowed(lambda: s3.get_object(Bucket=OTHER_BUCKET, Key=KEYS[0])),
        "put under prefix": allowed(lambda: s3.put_object(Bucket=BUCKET, Key="analytics/new.csv", Body=b"x")),
        "delete under prefix": allowed(lambda: s3.delete_object(Bucket=BUCKET, Key=KEYS[0])),
        "bucket location": allowed(lambda: s3.get_bucket_location(Bucket=BUCKET)),
        "list prefix": allowed(lambda: s3.list_objects_v2(Bucket=BUCKET, Prefix="analytics/")),
        "list outside prefix": allowed(lambda: s3.list_objects_v2(Bucket=BUCKET, Prefix="elsewhere/")),
        "list other bucket": allowed(lambda: s3.list_objects_v2(Bucket=OTHER_BUCKET)),
        "change bucket policy": allowed(lambda: s3.put_bucket_policy(Bucket=BUCKET, Policy="{}")),
    }


def test_assumed_crawler_role_reads_only_under_the_prefix(aws):
    keys, role_arn = crawler_s3_client("analytics/")
    with enforced_by_model():
        assert probe(as_role(keys, role_arn)) == {
            "get under prefix": True,
            "get outside prefix": False,
            "get lookalike prefix": False,
            "get other bucket": False,
            "put under prefix": False,
            "delete under prefix": False,
            "bucket location": True,
            "list prefix": True,
            "list outside prefix": False,
            "list other bucket": False,
            "change bucket policy": False,
        }


def test_without_a_prefix_the_role_reads_its_bucket_only(aws):
    keys, role_arn = crawler_s3_client("")
    with enforced_by_model():
        result = probe(as_role(keys, role_arn))
    assert result["get outside prefix"]
    assert result["list outside prefix"]
    assert result["get lookalike prefix"]
    assert not result["get other bucket"]
    assert not result["put under prefix"]
    assert not result["list other bucket"]
