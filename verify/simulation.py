"""IAM policy simulator on the role (``iam:SimulatePrincipalPolicy``), a supplementary check.

The four actions Bitmovin documents must be allowed under the prefix, and with SSE-KMS the two KMS
actions on the key; writes outside the prefix and in another bucket, reads and deletes must be denied.
The simulator says nothing about the trust policy (aws/aws-cli#10314); ``verify.trust`` judges that.

The simulator takes a condition key's value only from the request's ``ContextEntries``; a key not sent
is absent, so a condition that requires it fails (docs/verify.md, "The simulator's condition keys"). Each
simulation therefore carries the keys S3 passes when Bitmovin writes an export: ``s3:prefix`` for the
listing, ``s3:x-amz-acl`` for the PUT and its ACL, ``kms:ViaService`` and the ``aws:s3:arn`` encryption
context for the key, and ``aws:SecureTransport``. The key names are AWS's (Service Authorization
Reference), written here rather than taken from the program's policy, so a wrong key there shows.
"""

from __future__ import annotations

from typing import Any

from providers.validation import SUPPORTED_PARTITIONS

from .aws_clients import AWS_ERRORS, SECTION, unavailable
from .checklist import Check, failed, passed
from .stack import Deployment

PROBE_KEY = "verify/bitmovin-verify-probe.csv"
OUTSIDE_KEY = "bitmovin-verify-outside-the-prefix/probe.csv"
EXPORT_ACL = "bucket-owner-full-control"
"""The canned ACL an export upload may carry (the program allows it and ``private``)."""


def _entry(name: str, value: str, kind: str = "string") -> dict[str, Any]:
    return {"ContextKeyName": name, "ContextKeyValues": [value], "ContextKeyType": kind}


def s3_context(d: Deployment) -> dict[str, list[dict[str, Any]]]:
    """The context entries S3 passes for each kind of request an export makes, by kind."""
    tls = _entry("aws:SecureTransport", "true", "boolean")
    contexts = {
        "bucket": [tls, _entry("s3:prefix", f"{d.export_prefix}verify/")],
        "objects": [tls, _entry("s3:x-amz-acl", EXPORT_ACL)],
    }
    if d.kms_key_arn:
        # S3 calls KMS on the caller's behalf from its regional endpoint; with S3 Bucket Keys (which the
        # program enables) the encryption context is the bucket's ARN.
        contexts["kms"] = [
            tls,
            _entry("kms:ViaService", f"s3.{d.region}.{SUPPORTED_PARTITIONS[d.partition]}"),
            _entry("kms:EncryptionContext:aws:s3:arn", d.bucket_arn),
        ]
    return contexts


def _per_resource(result: dict[str, Any]) -> list[tuple[str | None, str]]:
    """(resource ARN, decision) pairs of one action's result. IAM now puts an ARN template in the
    top-level ``EvalResourceName`` and each resource's decision in ``ResourceSpecificResults`` (IAM API
    Reference, EvaluationResult); an answer without them (older shape) names the resource at the top."""
    specific = result.get("ResourceSpecificResults")
    if specific:
        return [(item["EvalResourceName"], item["EvalResourceDecision"]) for item in specific]
    return [(result.get("EvalResourceName"), result["EvalDecision"])]


def simulate_role(iam: Any, d: Deployment) -> Check:
    """One line: the simulator's decisions for the documented actions inside and outside the prefix."""
    title = "IAM policy simulator: the role can write only under the prefix"
    bucket = d.bucket_arn
    inside = f"{bucket}/{d.export_prefix}{PROBE_KEY}"
    outside = [f"arn:{d.partition}:s3:::{d.bucket_name}-not-this-bucket/{d.export_prefix}{PROBE_KEY}"]
    if d.export_prefix:
        outside.append(f"{bucket}/{OUTSIDE_KEY}")
    context = s3_context(d)
    # One simulation per resource group: (actions, resources, context entries). Writes outside carry the
    # same keys as writes inside, so they are denied for where they go, not for a missing key.
    groups: list[tuple[list[str], list[str], list[dict[str, Any]]]] = [
        (["s3:GetBucketLocation", "s3:ListBucket"], [bucket], context["bucket"]),
        (
            ["s3:PutObject", "s3:PutObjectAcl", "s3:GetObject", "s3:DeleteObject"],
            [inside],
            context["objects"],
        ),
        (["s3:PutObject"], outside, context["objects"]),
    ]
    expected = {
        ("s3:GetBucketLocation", bucket): True,
        ("s3:ListBucket", bucket): True,
        ("s3:PutObject", inside): True,
        ("s3:PutObjectAcl", inside): True,
        ("s3:GetObject", inside): False,
        ("s3:DeleteObject", inside): False,
        **{("s3:PutObject", resource): False for resource in outside},
    }
    if d.kms_key_arn:
        groups.append((["kms:GenerateDataKey", "kms:Decrypt"], [d.kms_key_arn], context["kms"]))
        expected.update({(action, d.kms_key_arn): True for action in ("kms:GenerateDataKey", "kms:Decrypt")})
    decisions: dict[tuple[str, str], str] = {}
    try:
        paginator = iam.get_paginator("simulate_principal_policy")
        for actions, resources, entries in groups:
            pages = paginator.paginate(
                PolicySourceArn=d.role_arn,
                ActionNames=actions,
                ResourceArns=resources,
                ContextEntries=entries,
            )
            for page in pages:
                for result in page["EvaluationResults"]:
                    for resource, decision in _per_resource(result):
                        decisions[(result["EvalActionName"], resource)] = decision
    except AWS_ERRORS as error:
        return unavailable("aws.simulation", SECTION, title, error, "iam:SimulatePrincipalPolicy on the role")
    wrong = []
    for (action, resource), allowed in expected.items():
        decision = decisions.get((action, resource), "missing")
        if (decision == "allowed") != allowed:
            wrong.append(f"{action} on {resource}: {decision}, expected {'allowed' if allowed else 'denied'}")
    if wrong:
        return failed(
            "aws.simulation",
            SECTION,
            title,
            "; ".join(wrong),
            "run `pulumi up` to restore the write policy; look for permission boundaries or other policies",
        )
    allowed_count = sum(expected.values())
    return passed(
        "aws.simulation",
        SECTION,
        title,
        f"{allowed_count} allowed, {len(expected) - allowed_count} denied as expected",
    )
