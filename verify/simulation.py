"""IAM policy simulator on the role (``iam:SimulatePrincipalPolicy``), a supplementary check.

The four actions Bitmovin documents must be allowed under the prefix (``s3:ListBucket`` with an
``s3:prefix`` there), and with SSE-KMS the two KMS actions on the key; writes outside the prefix and in
another bucket, reads and deletes must be denied. The simulator says nothing about the trust policy
(aws/aws-cli#10314); ``verify.trust`` judges that.
"""

from __future__ import annotations

from typing import Any

from .aws_clients import AWS_ERRORS, SECTION, unavailable
from .checklist import Check, failed, passed
from .stack import Deployment

PROBE_KEY = "verify/bitmovin-verify-probe.csv"
OUTSIDE_KEY = "bitmovin-verify-outside-the-prefix/probe.csv"


def simulate_role(iam: Any, d: Deployment) -> Check:
    """One line: the simulator's decisions for the documented actions inside and outside the prefix."""
    title = "IAM policy simulator: the role can write only under the prefix"
    bucket = d.bucket_arn
    inside = f"{bucket}/{d.export_prefix}{PROBE_KEY}"
    outside = [f"arn:{d.partition}:s3:::{d.bucket_name}-not-this-bucket/{d.export_prefix}{PROBE_KEY}"]
    if d.export_prefix:
        outside.append(f"{bucket}/{OUTSIDE_KEY}")
    prefix_context = [
        {
            "ContextKeyName": "s3:prefix",
            "ContextKeyValues": [f"{d.export_prefix}verify/"],
            "ContextKeyType": "string",
        }
    ]
    # One simulation per resource group: (actions, resources, context entries).
    groups: list[tuple[list[str], list[str], list[dict[str, Any]]]] = [
        (["s3:GetBucketLocation", "s3:ListBucket"], [bucket], prefix_context),
        (["s3:PutObject", "s3:PutObjectAcl", "s3:GetObject", "s3:DeleteObject"], [inside], []),
        (["s3:PutObject"], outside, []),
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
        groups.append((["kms:GenerateDataKey", "kms:Decrypt"], [d.kms_key_arn], []))
        expected.update({(action, d.kms_key_arn): True for action in ("kms:GenerateDataKey", "kms:Decrypt")})
    decisions: dict[tuple[str, str], str] = {}
    try:
        paginator = iam.get_paginator("simulate_principal_policy")
        for actions, resources, context in groups:
            arguments: dict[str, Any] = {
                "PolicySourceArn": d.role_arn,
                "ActionNames": actions,
                "ResourceArns": resources,
            }
            if context:
                arguments["ContextEntries"] = context
            for page in paginator.paginate(**arguments):
                for result in page["EvaluationResults"]:
                    decisions[(result["EvalActionName"], result["EvalResourceName"])] = result["EvalDecision"]
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
