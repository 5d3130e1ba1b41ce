"""AWS side, read-only: the role, its trust and write policies, the bucket's security settings.

Core checks (a refusal of verify's own read is a ✗ naming the permission to grant): the role
(``iam:GetRole``), its trust policy judged by ``verify.trust``, its permission policies compared with
``analytics_export.policies.write_policy`` (``iam:ListRolePolicies``, ``iam:GetRolePolicy``,
``iam:ListAttachedRolePolicies``), and unless the stack uses ``existingBucketName`` the bucket's public
access block, object ownership, default encryption and TLS-only policy.

Supplementary checks (marked not checked when the endpoint or the credentials cannot run them): the IAM policy simulator
on the role (``iam:SimulatePrincipalPolicy``: the four documented actions allowed under the prefix,
writes elsewhere, reads and deletes denied) and IAM Access Analyzer ``ValidatePolicy`` on the trust
policy (``RESOURCE_POLICY`` + ``AWS::IAM::AssumeRolePolicyDocument``), the write policy
(``IDENTITY_POLICY``) and the bucket policy (``RESOURCE_POLICY`` + ``AWS::S3::Bucket``). With
``paid_checks``, Access Analyzer ``CheckNoPublicAccess`` on the trust and bucket policies (a charge
per call, docs/verify.md).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from botocore.parsers import ResponseParserError

from analytics_export.policies import tls_only_bucket_policy, write_policy
from analytics_export.trust_evaluation import parse_policy, statements

from .checklist import Check, Figures, failed, passed, skipped
from .diagnosis import Facts
from .stack import Deployment
from .trust import TrustJudgement, judge_trust_policy

SECTION = "AWS (read-only)"
PROBE_KEY = "verify/bitmovin-verify-probe.csv"
OUTSIDE_KEY = "bitmovin-verify-outside-the-prefix/probe.csv"
BLOCKING_FINDINGS = ("ERROR", "SECURITY_WARNING")
# What a boto3 call raises when AWS refuses or cannot be reached (an endpoint that does not implement an
# API, such as a local emulator, answers with a page botocore cannot parse).
AWS_ERRORS = (ClientError, BotoCoreError, ResponseParserError)
CONNECTION_FIX = "check the AWS credentials (AWS_PROFILE, ...), region and endpoint, then run verify again"


@dataclass
class AwsClients:
    iam: Any
    s3: Any
    accessanalyzer: Any


def make_clients(
    session: Any, deployment: Deployment, endpoint_url: str | None, figures: Figures
) -> AwsClients:
    """boto3 clients for the stack's region that count every HTTP attempt in ``figures``."""
    # Standard retries; the number of attempts follows AWS_MAX_ATTEMPTS / the profile (default 3).
    config = Config(retries={"mode": "standard"}, connect_timeout=5, read_timeout=20)

    def client(service: str) -> Any:
        made = session.client(
            service, region_name=deployment.region, endpoint_url=endpoint_url, config=config
        )
        made.meta.events.register("before-send", _counter(figures, service))
        return made

    return AwsClients(client("iam"), client("s3"), client("accessanalyzer"))


def _counter(figures: Figures, service: str) -> Callable[..., None]:
    def count(event_name: str = "", **_: Any) -> None:
        figures.count(f"aws:{service}:{event_name.rsplit('.', 1)[-1]}")

    return count


def aws_error(error: Exception) -> tuple[str, str]:
    """``(code, message)`` of a boto3 failure."""
    if isinstance(error, ClientError):
        details = error.response.get("Error", {})
        code, message = str(details.get("Code") or "Unknown"), str(details.get("Message") or error)
        if message.lstrip().startswith("<"):
            message = "the endpoint answered with an HTML page (API not implemented?)"
        return code, message
    if isinstance(error, ResponseParserError):
        return "UnparsableResponse", "the endpoint's answer is not an AWS response (API not implemented?)"
    return type(error).__name__, str(error)


def _denied(code: str) -> bool:
    return code in ("AccessDenied", "AccessDeniedException", "UnauthorizedOperation")


def canonical(document: Any) -> str:
    """A policy as comparable text: single values as lists, lists sorted, keys sorted."""

    def normalize(value: Any, key: str = "") -> Any:
        if isinstance(value, dict):
            return {k: normalize(v, k) for k, v in sorted(value.items())}
        if isinstance(value, list):
            return sorted((normalize(v) for v in value), key=lambda item: json.dumps(item, sort_keys=True))
        if key in ("Action", "NotAction", "Resource", "NotResource") and isinstance(value, str):
            return [value]
        return value

    policy = parse_policy(document)
    body = {**policy, "Statement": [normalize(statement) for statement in statements(policy)]}
    return json.dumps(normalize(body), sort_keys=True)


class AwsInspection:
    """Runs the AWS checks once and keeps what the Bitmovin checks and the export diagnosis need."""

    def __init__(
        self,
        clients: AwsClients,
        deployment: Deployment,
        *,
        paid_checks: bool = False,
        now: datetime | None = None,
    ) -> None:
        self.clients = clients
        self.deployment = deployment
        self.paid_checks = paid_checks
        self.now = now or datetime.now(UTC)
        self.role: dict[str, Any] | None = None
        self.trust: TrustJudgement | None = None
        self.write_policy_ok: bool | None = None
        self.inline_policies: dict[str, dict[str, Any]] = {}
        self.bucket_policy: dict[str, Any] | None = None

    def run(self) -> list[Check]:
        checks = self.role_and_trust()
        checks += self.permission_policies()
        checks += self.simulation()
        checks += self.bucket_settings()
        checks += self.policy_validation()
        return checks

    def facts(self) -> Facts:
        """What the export diagnosis needs."""
        created = self.role.get("CreateDate") if self.role else None
        age = (self.now - created).total_seconds() if isinstance(created, datetime) else None
        return Facts(
            trust_ok=self.trust.ok if self.trust else None,
            trust_problem="; ".join(self.trust.problems) if self.trust and self.trust.problems else None,
            write_policy_ok=self.write_policy_ok,
            role_age_seconds=age,
            object_ownership=None if self.deployment.existing_bucket else self.deployment.object_ownership,
            external_id=self.deployment.external_id,
        )

    # -- role ------------------------------------------------------------------------------------

    def role_and_trust(self) -> list[Check]:
        d = self.deployment
        role_title = f"role {d.role_name} exists"
        trust_title = "trust policy admits only Bitmovin, with the external ID"
        try:
            self.role = self.clients.iam.get_role(RoleName=d.role_name)["Role"]
        except AWS_ERRORS as error:
            code, message = aws_error(error)
            if code == "NoSuchEntity":
                fix = "run `pulumi up --refresh` to create the role again"
            elif _denied(code):
                fix = "the credentials running verify need iam:GetRole on the role (docs/verify.md)"
            else:
                fix = CONNECTION_FIX
            return [
                failed("aws.role", SECTION, role_title, f"{code}: {message}", fix),
                skipped("aws.trust_policy", SECTION, trust_title, "the role could not be read"),
            ]
        arn = self.role.get("Arn")
        if arn != d.role_arn:
            role_check = failed(
                "aws.role",
                SECTION,
                role_title,
                f"its ARN is {arn}, the stack has {d.role_arn}",
                "run `pulumi up --refresh`",
            )
        else:
            role_check = passed("aws.role", SECTION, role_title, str(arn))
        self.trust = judge_trust_policy(
            self.role.get("AssumeRolePolicyDocument"), d.principal_arn, d.external_id
        )
        if self.trust.ok:
            trust_check = passed(
                "aws.trust_policy",
                SECTION,
                trust_title,
                f"{d.principal_arn}, sts:AssumeRole, StringEquals sts:ExternalId = {d.external_id}",
            )
        else:
            trust_check = failed(
                "aws.trust_policy",
                SECTION,
                trust_title,
                "; ".join(self.trust.problems),
                "run `pulumi up --refresh` to restore the trust policy the program writes "
                f"(only {d.principal_arn}, sts:AssumeRole, sts:ExternalId {d.external_id})",
            )
        return [role_check, trust_check]

    def permission_policies(self) -> list[Check]:
        d = self.deployment
        title = "role permissions are exactly the program's write policy"
        if self.role is None:
            return [skipped("aws.write_policy", SECTION, title, "the role could not be read")]
        expected = write_policy(d.partition, d.bucket_name, d.export_prefix, d.kms_key_arn)
        iam = self.clients.iam
        try:
            names = iam.list_role_policies(RoleName=d.role_name)["PolicyNames"]
            self.inline_policies = {
                name: parse_policy(
                    iam.get_role_policy(RoleName=d.role_name, PolicyName=name)["PolicyDocument"]
                )
                for name in names
            }
            attached = [
                p["PolicyArn"]
                for p in iam.list_attached_role_policies(RoleName=d.role_name)["AttachedPolicies"]
            ]
        except AWS_ERRORS as error:
            code, message = aws_error(error)
            return [
                failed(
                    "aws.write_policy",
                    SECTION,
                    title,
                    f"{code}: {message}",
                    "the credentials running verify need iam:ListRolePolicies, iam:GetRolePolicy and "
                    "iam:ListAttachedRolePolicies (docs/verify.md)",
                )
            ]
        matching = [
            name for name, doc in self.inline_policies.items() if canonical(doc) == canonical(expected)
        ]
        problems = []
        if not matching:
            problems.append(
                f"no inline policy equals write_policy(bucket {d.bucket_name}, prefix {d.export_prefix!r})"
                + (f"; found {', '.join(sorted(self.inline_policies))}" if self.inline_policies else "")
            )
        extra = sorted(set(self.inline_policies) - set(matching[:1]))
        if extra:
            problems.append(f"other inline policies: {', '.join(extra)}")
        if attached:
            problems.append(f"attached managed policies: {', '.join(attached)}")
        self.write_policy_ok = not problems
        if problems:
            return [
                failed(
                    "aws.write_policy",
                    SECTION,
                    title,
                    "; ".join(problems),
                    "run `pulumi up` to restore the write policy, and remove policies this stack does not manage",
                )
            ]
        where = f"s3://{d.bucket_name}/{d.export_prefix}" + (" + KMS key" if d.kms_key_arn else "")
        return [passed("aws.write_policy", SECTION, title, f"{matching[0]} ({where})")]

    def simulation(self) -> list[Check]:
        d = self.deployment
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
            expected.update(
                {(action, d.kms_key_arn): True for action in ("kms:GenerateDataKey", "kms:Decrypt")}
            )
        decisions: dict[tuple[str, str], str] = {}
        try:
            paginator = self.clients.iam.get_paginator("simulate_principal_policy")
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
                        decisions[(result["EvalActionName"], result["EvalResourceName"])] = result[
                            "EvalDecision"
                        ]
        except AWS_ERRORS as error:
            code, message = aws_error(error)
            fix = (
                "grant iam:SimulatePrincipalPolicy on the role to the credentials running verify"
                if _denied(code)
                else ""
            )
            return [
                skipped("aws.simulation", SECTION, title, f"not available ({code}: {message[:160]})", fix)
            ]
        wrong = []
        for (action, resource), allowed in expected.items():
            decision = decisions.get((action, resource), "missing")
            if (decision == "allowed") != allowed:
                wrong.append(
                    f"{action} on {resource}: {decision}, expected {'allowed' if allowed else 'denied'}"
                )
        if wrong:
            return [
                failed(
                    "aws.simulation",
                    SECTION,
                    title,
                    "; ".join(wrong),
                    "run `pulumi up` to restore the write policy; look for permission boundaries or other policies",
                )
            ]
        return [
            passed(
                "aws.simulation",
                SECTION,
                title,
                f"{sum(expected.values())} allowed, {len(expected) - sum(expected.values())} denied as expected",
            )
        ]

    # -- bucket ----------------------------------------------------------------------------------

    def bucket_settings(self) -> list[Check]:
        d = self.deployment
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
            ]
        s3 = self.clients.s3
        probes: list[Callable[[], tuple[bool, str]]] = [
            lambda: self._public_access_block(s3.get_public_access_block(Bucket=d.bucket_name)),
            lambda: self._ownership(s3.get_bucket_ownership_controls(Bucket=d.bucket_name)),
            lambda: self._encryption(s3.get_bucket_encryption(Bucket=d.bucket_name)),
            lambda: self._tls_only(s3.get_bucket_policy(Bucket=d.bucket_name)),
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
                if _denied(code):
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
        return checks

    @staticmethod
    def _public_access_block(answer: dict[str, Any]) -> tuple[bool, str]:
        config = answer.get("PublicAccessBlockConfiguration", {})
        names = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
        off = [name for name in names if config.get(name) is not True]
        return (not off, "all four settings on" if not off else f"off: {', '.join(off)}")

    def _ownership(self, answer: dict[str, Any]) -> tuple[bool, str]:
        rules = answer.get("OwnershipControls", {}).get("Rules", [])
        found = rules[0].get("ObjectOwnership") if rules else None
        expected = self.deployment.object_ownership
        return (
            found == expected,
            str(found) if found == expected else f"{found}, the stack configures {expected}",
        )

    def _encryption(self, answer: dict[str, Any]) -> tuple[bool, str]:
        rules = answer.get("ServerSideEncryptionConfiguration", {}).get("Rules", [])
        default = rules[0].get("ApplyServerSideEncryptionByDefault", {}) if rules else {}
        algorithm, key = default.get("SSEAlgorithm"), default.get("KMSMasterKeyID")
        wanted_key = self.deployment.kms_key_arn
        if wanted_key is None:
            ok = algorithm == "AES256"
            return (ok, "AES256 (SSE-S3)" if ok else f"{algorithm}, the stack configures AES256 (SSE-S3)")
        key_ok = isinstance(key, str) and (
            key == wanted_key or wanted_key.endswith("/" + key.rsplit("/", 1)[-1])
        )
        ok = algorithm == "aws:kms" and key_ok
        return (
            ok,
            f"aws:kms with {key}"
            if ok
            else f"{algorithm} with {key}, the stack configures aws:kms with {wanted_key}",
        )

    def _tls_only(self, answer: dict[str, Any]) -> tuple[bool, str]:
        self.bucket_policy = parse_policy(answer["Policy"])
        reference = tls_only_bucket_policy(self.deployment.partition, self.deployment.bucket_name)[
            "Statement"
        ][0]
        wanted = canonical({"Statement": [{k: v for k, v in reference.items() if k != "Sid"}]})
        for statement in statements(self.bucket_policy):
            if canonical({"Statement": [{k: v for k, v in statement.items() if k != "Sid"}]}) == wanted:
                return True, f"statement {statement.get('Sid') or '(no Sid)'}"
        return (
            False,
            "no statement denies s3:* on the bucket and its objects when aws:SecureTransport is false",
        )

    # -- Access Analyzer -------------------------------------------------------------------------

    def policy_validation(self) -> list[Check]:
        title = "IAM Access Analyzer policy validation"
        documents: list[tuple[str, dict[str, Any], str, str | None]] = []
        if self.role is not None:
            documents.append(
                (
                    "trust policy",
                    parse_policy(self.role.get("AssumeRolePolicyDocument")),
                    "RESOURCE_POLICY",
                    "AWS::IAM::AssumeRolePolicyDocument",
                )
            )
            for name, document in sorted(self.inline_policies.items()):
                documents.append((f"role policy {name}", document, "IDENTITY_POLICY", None))
        if self.bucket_policy is not None:
            documents.append(("bucket policy", self.bucket_policy, "RESOURCE_POLICY", "AWS::S3::Bucket"))
        if not documents:
            return [skipped("aws.access_analyzer", SECTION, title, "no policy could be read")]
        analyzer = self.clients.accessanalyzer
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
            code, message = aws_error(error)
            fix = (
                "grant access-analyzer:ValidatePolicy to the credentials running verify"
                if _denied(code)
                else ""
            )
            checks = [
                skipped(
                    "aws.access_analyzer", SECTION, title, f"not available ({code}: {message[:160]})", fix
                )
            ]
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
        if self.paid_checks:
            checks.append(self._no_public_access(documents))
        return checks

    def _no_public_access(self, documents: list[tuple[str, dict[str, Any], str, str | None]]) -> Check:
        title = "IAM Access Analyzer CheckNoPublicAccess (paid check)"
        public = []
        try:
            for label, document, policy_type, resource_type in documents:
                if policy_type != "RESOURCE_POLICY" or resource_type is None:
                    continue
                answer = self.clients.accessanalyzer.check_no_public_access(
                    policyDocument=json.dumps(document), resourceType=resource_type
                )
                if answer.get("result") != "PASS":
                    public.append(f"{label}: {answer.get('message')}")
        except AWS_ERRORS as error:
            code, message = aws_error(error)
            fix = (
                "grant access-analyzer:CheckNoPublicAccess to the credentials running verify"
                if _denied(code)
                else ""
            )
            return skipped(
                "aws.no_public_access", SECTION, title, f"not available ({code}: {message[:160]})", fix
            )
        if public:
            return failed(
                "aws.no_public_access", SECTION, title, "; ".join(public), "run `pulumi up --refresh`"
            )
        return passed("aws.no_public_access", SECTION, title, "no public access")
