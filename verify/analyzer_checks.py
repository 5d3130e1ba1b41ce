"""IAM Access Analyzer policy checks, supplementary.

``ValidatePolicy`` (free): the trust policy as ``RESOURCE_POLICY`` with ``AWS::IAM::AssumeRolePolicyDocument``,
the role's inline policies as ``IDENTITY_POLICY``, the bucket policy as ``RESOURCE_POLICY`` with
``AWS::S3::Bucket`` (docs/verify.md cites where AWS documents these types); any ``ERROR`` or
``SECURITY_WARNING`` finding fails. ``CheckNoPublicAccess`` on the two resource policies is a custom
policy check that AWS charges for, so it runs only with ``--paid-checks``.
"""

from __future__ import annotations

import json
from typing import Any, NamedTuple

from .aws_clients import AWS_ERRORS, SECTION, unavailable
from .checklist import Check, failed, passed, skipped

BLOCKING_FINDINGS = ("ERROR", "SECURITY_WARNING")


class PolicyDocument(NamedTuple):
    """One policy to validate: a label for the checklist, the document, its Access Analyzer types."""

    label: str
    document: dict[str, Any]
    policy_type: str
    resource_type: str | None


def analyzer_checks(analyzer: Any, documents: list[PolicyDocument], *, paid_checks: bool) -> list[Check]:
    """``ValidatePolicy`` on every document; with ``paid_checks`` also ``CheckNoPublicAccess``."""
    title = "IAM Access Analyzer policy validation"
    if not documents:
        return [skipped("aws.access_analyzer", SECTION, title, "no policy could be read")]
    blocking, notes = [], 0
    try:
        for label, document, policy_type, resource_type in documents:
            arguments: dict[str, Any] = {
                "policyDocument": json.dumps(document),
                "policyType": policy_type,
            }
            if resource_type:
                arguments["validatePolicyResourceType"] = resource_type
            for page in analyzer.get_paginator("validate_policy").paginate(**arguments):
                for finding in page.get("findings", []):
                    if finding.get("findingType") in BLOCKING_FINDINGS:
                        blocking.append(
                            f"{label}: {finding.get('findingType')} {finding.get('issueCode')}: "
                            f"{finding.get('findingDetails')}"
                        )
                    else:
                        notes += 1
    except AWS_ERRORS as error:
        checks = [unavailable("aws.access_analyzer", SECTION, title, error, "access-analyzer:ValidatePolicy")]
    else:
        if blocking:
            checks = [
                failed(
                    "aws.access_analyzer",
                    SECTION,
                    title,
                    "; ".join(blocking),
                    "run `pulumi up --refresh` to restore the policies the program writes",
                )
            ]
        else:
            extra = f" ({notes} warnings/suggestions)" if notes else ""
            detail = f"{len(documents)} policies, no errors or security warnings{extra}"
            checks = [passed("aws.access_analyzer", SECTION, title, detail)]
    if paid_checks:
        checks.append(_no_public_access(analyzer, documents))
    return checks


def _no_public_access(analyzer: Any, documents: list[PolicyDocument]) -> Check:
    title = "IAM Access Analyzer CheckNoPublicAccess (paid check)"
    public = []
    try:
        for label, document, policy_type, resource_type in documents:
            if policy_type != "RESOURCE_POLICY" or resource_type is None:
                continue
            answer = analyzer.check_no_public_access(
                policyDocument=json.dumps(document), resourceType=resource_type
            )
            if answer.get("result") != "PASS":
                public.append(f"{label}: {answer.get('message')}")
    except AWS_ERRORS as error:
        return unavailable(
            "aws.no_public_access", SECTION, title, error, "access-analyzer:CheckNoPublicAccess"
        )
    if public:
        return failed("aws.no_public_access", SECTION, title, "; ".join(public), "run `pulumi up --refresh`")
    return passed("aws.no_public_access", SECTION, title, "no public access")
