"""The Glue crawler's role: trusted by Glue only, reading only the export prefix (pure functions).

Values from the export stack's outputs are checked before they reach a policy: a bucket name or
prefix with wildcards or path tricks would widen what the crawler may read.
"""

from __future__ import annotations

import re
from typing import Any

POLICY_VERSION = "2012-10-17"
GLUE_SERVICE = "glue.amazonaws.com"
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_PREFIX = re.compile(r"^([A-Za-z0-9!_.'()-]+/)*$")
_STACK = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
_DATABASE = re.compile(r"^[a-z0-9_]{1,255}$")
_KMS_KEY = re.compile(r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/[A-Za-z0-9-]+$")
CATALOG_ACTIONS = (
    "glue:GetDatabase",
    "glue:GetTable",
    "glue:GetTables",
    "glue:CreateTable",
    "glue:UpdateTable",
    "glue:GetPartition",
    "glue:GetPartitions",
    "glue:BatchGetPartition",
    "glue:CreatePartition",
    "glue:BatchCreatePartition",
    "glue:UpdatePartition",
    "glue:BatchUpdatePartition",
)
LOG_ACTIONS = ("logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents")
EXCLUDED_FOLDERS = ("verify/**",)
"""Glue exclude patterns, relative to the crawled prefix: the test exports of ``python -m verify --export``."""


def export_stack_name(value: str | None) -> str:
    """``<organization>/<project>/<stack>``; anything else is refused with the command that fixes it."""
    if value and _STACK.match(value.strip()):
        return value.strip()
    raise ValueError(
        f"exportStack must be <organization>/<project>/<stack>, got {value!r}; set it with "
        "`pulumi config set exportStack my-org/bitmovin-analytics-export/acme-prod`"
    )


def database_name(configured: str | None, stack: str) -> str:
    """The configured Glue database name, or ``bitmovin_analytics_<stack>`` made valid."""
    name = configured or "bitmovin_analytics_" + re.sub(r"[^a-z0-9_]", "_", stack.lower())
    if not _DATABASE.match(name):
        raise ValueError(
            f"databaseName must be 1-255 lowercase letters, digits or '_', got {name!r}; set it with "
            "`pulumi config set databaseName bitmovin_analytics`"
        )
    return name


def kms_key_arn(value: str | None) -> str | None:
    """None when not set; otherwise a KMS key ARN (an alias or a wildcard would widen the grant)."""
    if not value:
        return None
    if not _KMS_KEY.match(value):
        raise ValueError(
            f"kmsKeyArn must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>), got {value!r}; "
            "set it with `pulumi config set kmsKeyArn <key ARN>`"
        )
    return value


def checked_bucket(bucket: Any) -> str:
    if not isinstance(bucket, str) or not _BUCKET.match(bucket) or ".." in bucket:
        raise ValueError(f"the export stack's bucketName output is not an S3 bucket name: {bucket!r}")
    return bucket


def checked_prefix(prefix: Any) -> str:
    """'' (whole bucket) or segments ending with '/': no wildcards, no leading '/', no '..'."""
    if (
        not isinstance(prefix, str)
        or not _PREFIX.match(prefix)
        or "/../" in f"/{prefix}"
        or "/./" in f"/{prefix}"
    ):
        raise ValueError(f"the export stack's exportPrefix output is not a plain key prefix: {prefix!r}")
    return prefix


def trust_policy(account_id: str) -> dict[str, Any]:
    """Only AWS Glue, and only on behalf of this account (confused-deputy guard)."""
    return {
        "Version": POLICY_VERSION,
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": GLUE_SERVICE},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
            }
        ],
    }


def crawler_policy(
    partition: str,
    region: str,
    account_id: str,
    bucket: str,
    prefix: str,
    database: str,
    kms_key_arn: str | None = None,
) -> dict[str, Any]:
    """Read objects under ``prefix`` of ``bucket``, write only ``database`` in the Glue catalog, log.

    A scoped-down ``AWSGlueServiceRole``: no other bucket, no object outside the prefix, no write
    to S3, no other database. ``s3:GetBucketLocation`` has no ``s3:prefix`` key, hence its own statement.
    """
    bucket, prefix = checked_bucket(bucket), checked_prefix(prefix)
    bucket_arn = f"arn:{partition}:s3:::{bucket}"
    glue = f"arn:{partition}:glue:{region}:{account_id}"
    logs = f"arn:{partition}:logs:{region}:{account_id}:log-group:/aws-glue/crawlers"
    list_statement: dict[str, Any] = {
        "Sid": "ListExportPrefix",
        "Effect": "Allow",
        "Action": "s3:ListBucket",
        "Resource": bucket_arn,
    }
    if prefix:
        list_statement["Condition"] = {"StringLike": {"s3:prefix": [f"{prefix}*"]}}
    statements: list[dict[str, Any]] = [
        {
            "Sid": "FindBucketRegion",
            "Effect": "Allow",
            "Action": "s3:GetBucketLocation",
            "Resource": bucket_arn,
        },
        list_statement,
        {
            "Sid": "ReadExports",
            "Effect": "Allow",
            "Action": "s3:GetObject",
            "Resource": f"{bucket_arn}/{prefix}*",
        },
        {
            "Sid": "CatalogTheExports",
            "Effect": "Allow",
            "Action": list(CATALOG_ACTIONS),
            "Resource": [f"{glue}:catalog", f"{glue}:database/{database}", f"{glue}:table/{database}/*"],
        },
        {
            "Sid": "CrawlerLogs",
            "Effect": "Allow",
            "Action": list(LOG_ACTIONS),
            "Resource": [logs, f"{logs}:log-stream:*"],
        },
    ]
    if kms_key_arn:
        statements.append(
            {
                "Sid": "DecryptExports",
                "Effect": "Allow",
                "Action": "kms:Decrypt",
                "Resource": kms_key_arn,
                "Condition": {"StringEquals": {"kms:ViaService": f"s3.{region}.amazonaws.com"}},
            }
        )
    return {"Version": POLICY_VERSION, "Statement": statements}
