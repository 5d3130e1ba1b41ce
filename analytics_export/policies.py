"""IAM and S3 policy documents as plain dicts.

Pure functions, no Pulumi: tests judge the exact text, and the component serializes the result with
``json.dumps`` inside ``Output.apply`` (not ``aws.iam.get_policy_document``, which is a provider invoke
that mocks cannot answer faithfully).
"""

from __future__ import annotations

import re
from typing import Any

from providers import validation as rules

POLICY_VERSION = "2012-10-17"

# The AWS user Bitmovin's exporter runs as; it assumes the customer's role with an external ID.
BITMOVIN_ACCOUNT_ID = "630681592166"
BITMOVIN_PRINCIPAL = f"arn:aws:iam::{BITMOVIN_ACCOUNT_ID}:user/bitmovinCustomerS3Access"

# What Bitmovin documents as the minimum for Analytics exports (docs/aws-iam.md).
BUCKET_LOCATION_ACTIONS = ("s3:GetBucketLocation",)
LIST_ACTIONS = ("s3:ListBucket",)
WRITE_ACTIONS = ("s3:PutObject", "s3:PutObjectAcl")
# SSE-KMS uploads need GenerateDataKey; multipart uploads also Decrypt (docs/aws-iam.md).
KMS_ACTIONS = ("kms:GenerateDataKey", "kms:Decrypt")

# ACLs (docs/hardening.md): with BucketOwnerPreferred ACLs take effect, and Block Public Access stops
# only grants to the public, so the role may set only the canned ACLs an exporter needs, and never
# name a grantee. These are every ACL condition key S3 defines for PutObject and PutObjectAcl.
ACL_CONDITION_KEY = "s3:x-amz-acl"
ALLOWED_CANNED_ACLS = ("private", "bucket-owner-full-control")
GRANT_CONDITION_KEYS = (
    "s3:x-amz-grant-full-control",
    "s3:x-amz-grant-read",
    "s3:x-amz-grant-read-acp",
    "s3:x-amz-grant-write",
    "s3:x-amz-grant-write-acp",
)
# KMS (docs/hardening.md): the key may be used only by S3, in the bucket's region, for this bucket.
VIA_SERVICE_KEY = "kms:ViaService"
S3_ARN_CONTEXT_KEY = "kms:EncryptionContext:aws:s3:arn"


def _require(problem: str | None, what: str) -> None:
    if problem:
        raise ValueError(f"{what} {problem}")


def _check_partition(partition: str) -> None:
    if not isinstance(partition, str) or partition not in rules.SUPPORTED_PARTITIONS:
        raise ValueError(
            f"partition {partition!r} is not one of the AWS partitions {', '.join(rules.SUPPORTED_PARTITIONS)}"
        )


arn_partition = rules.arn_partition


def bucket_arn(partition: str, bucket: str) -> str:
    _check_partition(partition)
    _require(rules.bucket_name_problem(bucket), "bucket name")
    return f"arn:{partition}:s3:::{bucket}"


def objects_arn(partition: str, bucket: str, prefix: str) -> str:
    """Every object key under ``prefix`` (the whole bucket for ``""``)."""
    _require(rules.export_prefix_problem(prefix), "export prefix")
    return f"{bucket_arn(partition, bucket)}/{prefix}*"


def role_arn(partition: str, account_id: str, role_name: str) -> str:
    """The ARN IAM gives a role created with this name and the default path ``/``."""
    _check_partition(partition)
    if not isinstance(account_id, str) or not re.fullmatch(r"[0-9]{12}", account_id):
        raise ValueError(f"account id {account_id!r} is not a 12-digit AWS account id")
    _require(rules.role_name_problem(role_name), "role name")
    return f"arn:{partition}:iam::{account_id}:role/{role_name}"


def trust_policy(external_id: str, principal_arn: str = BITMOVIN_PRINCIPAL) -> dict[str, Any]:
    """Only ``principal_arn``, and only when it presents ``external_id``, may assume the role.

    An empty or malformed external ID raises: a trust policy without the condition would let any
    Bitmovin customer's exports write into this bucket (the confused-deputy problem).
    """
    _require(rules.external_id_problem(external_id), "external ID")
    _require(rules.principal_arn_problem(principal_arn), "trusted principal")
    return {
        "Version": POLICY_VERSION,
        "Statement": [
            {
                "Sid": "BitmovinAnalyticsAssumeRole",
                "Effect": "Allow",
                "Principal": {"AWS": principal_arn},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"sts:ExternalId": external_id}},
            }
        ],
    }


def write_policy(
    partition: str, bucket: str, prefix: str, kms_key_arn: str | None = None, region: str | None = None
) -> dict[str, Any]:
    """What Bitmovin needs to write exports under ``prefix``, and nothing else.

    ``s3:ListBucket`` is limited to keys under the prefix when there is one; ``s3:GetBucketLocation``
    has no ``s3:prefix`` context key, so it gets its own unconditioned statement. Objects may carry no
    ACL or one of :data:`ALLOWED_CANNED_ACLS`, never a grant. With a customer managed KMS key
    (``region`` is then the bucket's region), only S3 may use that key, only for this bucket.
    """
    bucket_resource = bucket_arn(partition, bucket)
    objects = objects_arn(partition, bucket, prefix)
    no_grants = {key: "true" for key in GRANT_CONDITION_KEYS}
    statements: list[dict[str, Any]] = [
        {
            "Sid": "FindBucketRegion",
            "Effect": "Allow",
            "Action": list(BUCKET_LOCATION_ACTIONS),
            "Resource": bucket_resource,
        },
        {
            "Sid": "ListExportPrefix",
            "Effect": "Allow",
            "Action": list(LIST_ACTIONS),
            "Resource": bucket_resource,
        },
        {
            # A PUT without x-amz-acl must work, so the canned ACL is checked only if present.
            "Sid": "WriteExports",
            "Effect": "Allow",
            "Action": ["s3:PutObject"],
            "Resource": objects,
            "Condition": {
                "StringEqualsIfExists": {ACL_CONDITION_KEY: list(ALLOWED_CANNED_ACLS)},
                "Null": no_grants,
            },
        },
        {
            # PutObjectAcl may also carry an ACL in its XML body, which no condition key shows: so
            # x-amz-acl is required here, and a body ACL is refused.
            "Sid": "SetCannedExportAcl",
            "Effect": "Allow",
            "Action": ["s3:PutObjectAcl"],
            "Resource": objects,
            "Condition": {
                "StringEquals": {ACL_CONDITION_KEY: list(ALLOWED_CANNED_ACLS)},
                "Null": dict(no_grants),
            },
        },
    ]
    if prefix:
        statements[1]["Condition"] = {"StringLike": {"s3:prefix": [f"{prefix}*"]}}
    if kms_key_arn is not None:
        statements.append(_kms_statement(partition, bucket_resource, objects, kms_key_arn, region))
    return {"Version": POLICY_VERSION, "Statement": statements}


def _kms_statement(
    partition: str, bucket_resource: str, objects: str, kms_key_arn: str, region: str | None
) -> dict[str, Any]:
    """The key, used only by S3 in the bucket's region, for this bucket.

    S3 Bucket Keys (enabled by this project) make S3 call KMS with the *bucket* ARN as encryption
    context; without them (e.g. a PUT that turns the bucket key off) it is the object ARN. So the
    bucket ARN and the ARNs of objects under the prefix are allowed, nothing else.
    """
    _require(rules.kms_key_arn_problem(kms_key_arn), "KMS key")
    if region is None:
        raise ValueError("the bucket's region is needed to scope the KMS key to S3 (kms:ViaService)")
    _require(rules.region_problem(region), "region")
    if arn_partition(kms_key_arn) != partition:
        raise ValueError(f"KMS key {kms_key_arn} is not in partition {partition}")
    _require(rules.kms_key_location_problem(kms_key_arn, region), "KMS key")
    return {
        "Sid": "UseExportEncryptionKeyThroughS3",
        "Effect": "Allow",
        "Action": list(KMS_ACTIONS),
        "Resource": kms_key_arn,
        "Condition": {
            "StringEquals": {VIA_SERVICE_KEY: f"s3.{region}.{rules.SUPPORTED_PARTITIONS[partition]}"},
            "StringLike": {S3_ARN_CONTEXT_KEY: [bucket_resource, objects]},
        },
    }


def tls_only_bucket_policy(partition: str, bucket: str) -> dict[str, Any]:
    """Deny every request that does not use TLS (CIS AWS Foundations 2.1.1)."""
    resource = bucket_arn(partition, bucket)
    return {
        "Version": POLICY_VERSION,
        "Statement": [
            {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": [resource, f"{resource}/*"],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }
        ],
    }
