"""The bucket's security settings, as the stack configures them (core checks).

Public access block (all four on), object ownership (``objectOwnership``), default encryption (AES256,
or ``aws:kms`` with ``kmsKeyArn``) and the TLS-only bucket policy of
``analytics_export.policies.tls_only_bucket_policy``. Not judged with ``existingBucketName``: the stack
does not manage that bucket.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError

from analytics_export.policies import tls_only_bucket_policy
from verify.trust_evaluation import parse_policy, statements

from .aws_clients import AWS_ERRORS, CONNECTION_FIX, SECTION, aws_error, denied
from .checklist import Check, failed, passed, skipped
from .policy_text import canonical
from .stack import Deployment


def bucket_checks(s3: Any, d: Deployment) -> tuple[list[Check], dict[str, Any] | None]:
    """Four lines, and the bucket policy when it could be read (for Access Analyzer)."""
    ids_titles = [
        ("aws.public_access_block", "bucket public access block"),
        ("aws.object_ownership", "bucket object ownership as configured"),
        ("aws.encryption", "bucket default encryption as configured"),
        ("aws.tls_only", "bucket policy denies requests without TLS"),
    ]
    if d.existing_bucket:
        return [
            skipped(
                id_,
                SECTION,
                title,
                "existingBucketName: this stack does not manage the bucket's settings",
            )
            for id_, title in ids_titles
        ], None
    policy: dict[str, Any] = {}
    probes: list[Callable[[], tuple[bool, str]]] = [
        lambda: _public_access_block(s3.get_public_access_block(Bucket=d.bucket_name)),
        lambda: _ownership(d, s3.get_bucket_ownership_controls(Bucket=d.bucket_name)),
        lambda: _encryption(d, s3.get_bucket_encryption(Bucket=d.bucket_name)),
        lambda: _tls_only(d, policy, s3.get_bucket_policy(Bucket=d.bucket_name)),
    ]
    permissions = [
        "s3:GetBucketPublicAccessBlock",
        "s3:GetBucketOwnershipControls",
        "s3:GetEncryptionConfiguration",
        "s3:GetBucketPolicy",
    ]
    absent = {
        "NoSuchPublicAccessBlockConfiguration": "no public access block is set",
        "OwnershipControlsNotFoundError": "no object ownership is set (ACLs follow ObjectWriter)",
        "ServerSideEncryptionConfigurationNotFoundError": "no default encryption is set",
        "NoSuchBucketPolicy": "the bucket has no policy",
    }
    checks = []
    for (id_, title), probe, permission in zip(ids_titles, probes, permissions, strict=True):
        try:
            ok, detail = probe()
        except AWS_ERRORS as error:
            code, message = aws_error(error)
            if denied(code):
                checks.append(
                    failed(
                        id_,
                        SECTION,
                        title,
                        f"{code}: {message}",
                        f"the credentials running verify need {permission} (docs/verify.md)",
                    )
                )
                continue
            if not isinstance(error, ClientError):  # no answer from AWS: nothing was learned
                checks.append(failed(id_, SECTION, title, f"{code}: {message}", CONNECTION_FIX))
                continue
            ok, detail = False, absent.get(code, f"{code}: {message}")
        if ok:
            checks.append(passed(id_, SECTION, title, detail))
        else:
            checks.append(
                failed(
                    id_,
                    SECTION,
                    title,
                    detail,
                    "run `pulumi up --refresh` to restore the bucket's settings",
                )
            )
    return checks, policy or None


def _public_access_block(answer: dict[str, Any]) -> tuple[bool, str]:
    config = answer.get("PublicAccessBlockConfiguration", {})
    names = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
    off = [name for name in names if config.get(name) is not True]
    return (not off, "all four settings on" if not off else f"off: {', '.join(off)}")


def _ownership(d: Deployment, answer: dict[str, Any]) -> tuple[bool, str]:
    rules = answer.get("OwnershipControls", {}).get("Rules", [])
    found = rules[0].get("ObjectOwnership") if rules else None
    expected = d.object_ownership
    return (
        found == expected,
        str(found) if found == expected else f"{found}, the stack configures {expected}",
    )


def _encryption(d: Deployment, answer: dict[str, Any]) -> tuple[bool, str]:
    rules = answer.get("ServerSideEncryptionConfiguration", {}).get("Rules", [])
    default = rules[0].get("ApplyServerSideEncryptionByDefault", {}) if rules else {}
    algorithm, key = default.get("SSEAlgorithm"), default.get("KMSMasterKeyID")
    wanted_key = d.kms_key_arn
    if wanted_key is None:
        ok = algorithm == "AES256"
        return (ok, "AES256 (SSE-S3)" if ok else f"{algorithm}, the stack configures AES256 (SSE-S3)")
    key_ok = isinstance(key, str) and (key == wanted_key or wanted_key.endswith("/" + key.rsplit("/", 1)[-1]))
    ok = algorithm == "aws:kms" and key_ok
    return (
        ok,
        f"aws:kms with {key}"
        if ok
        else f"{algorithm} with {key}, the stack configures aws:kms with {wanted_key}",
    )


def _tls_only(d: Deployment, policy: dict[str, Any], answer: dict[str, Any]) -> tuple[bool, str]:
    policy.update(parse_policy(answer["Policy"]))
    reference = tls_only_bucket_policy(d.partition, d.bucket_name)["Statement"][0]
    wanted = canonical({"Statement": [{k: v for k, v in reference.items() if k != "Sid"}]})
    for statement in statements(policy):
        if canonical({"Statement": [{k: v for k, v in statement.items() if k != "Sid"}]}) == wanted:
            return True, f"statement {statement.get('Sid') or '(no Sid)'}"
    return (
        False,
        "no statement denies s3:* on the bucket and its objects when aws:SecureTransport is false",
    )
