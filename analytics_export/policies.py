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

_PARTITION = re.compile(r"^aws(-[a-z]+)*$")


def _require(problem: str | None, what: str) -> None:
    if problem:
        raise ValueError(f"{what} {problem}")


def _check_partition(partition: str) -> None:
    if not isinstance(partition, str) or not _PARTITION.match(partition):
        raise ValueError(f"partition {partition!r} is not an AWS partition such as 'aws' or 'aws-cn'")


def arn_partition(arn: str) -> str:
    """``arn:aws-cn:iam::...`` -> ``aws-cn``."""
    return arn.split(":", 2)[1]


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
    if not isinstance(account_id, str) or not re.fullmatch(r"\d{12}", account_id):
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


def write_policy(partition: str, bucket: str, prefix: str, kms_key_arn: str | None = None) -> dict[str, Any]:
    """What Bitmovin needs to write exports under ``prefix``, and nothing else.

    ``s3:ListBucket`` is limited to keys under the prefix when there is one; ``s3:GetBucketLocation``
    has no ``s3:prefix`` context key, so it gets its own unconditioned statement. With a customer
    managed KMS key, only that key may be used.
    """
    bucket_resource = bucket_arn(partition, bucket)
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
            "Sid": "WriteExports",
            "Effect": "Allow",
            "Action": list(WRITE_ACTIONS),
            "Resource": objects_arn(partition, bucket, prefix),
        },
    ]
    if prefix:
        statements[1]["Condition"] = {"StringLike": {"s3:prefix": [f"{prefix}*"]}}
    if kms_key_arn is not None:
        _require(rules.kms_key_arn_problem(kms_key_arn), "KMS key")
        if arn_partition(kms_key_arn) != partition:
            raise ValueError(f"KMS key {kms_key_arn} is not in partition {partition}")
        statements.append(
            {
                "Sid": "UseExportEncryptionKey",
                "Effect": "Allow",
                "Action": list(KMS_ACTIONS),
                "Resource": kms_key_arn,
            }
        )
    return {"Version": POLICY_VERSION, "Statement": statements}


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
