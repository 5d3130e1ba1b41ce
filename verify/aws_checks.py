"""AWS side, read-only: the role, its trust and write policies, then the bucket and the supplementary checks.

Core checks (a refusal of verify's own read is a ✗ naming the permission to grant): the role
(``iam:GetRole``), its trust policy judged by ``verify.trust``, its permission policies compared with
``analytics_export.policies.write_policy`` (``iam:ListRolePolicies``, ``iam:GetRolePolicy``,
``iam:ListAttachedRolePolicies``), and the bucket's settings (``verify.bucket_checks``). Supplementary,
reported as not checked when the endpoint or the credentials cannot run them: ``verify.simulation`` and
``verify.analyzer_checks``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import NoCredentialsError

from analytics_export.policies import write_policy
from verify.trust_evaluation import parse_policy

from .analyzer_checks import PolicyDocument, analyzer_checks
from .aws_clients import AWS_ERRORS, CONNECTION_FIX, SECTION, AwsClients, aws_error, denied
from .bucket_checks import bucket_checks
from .checklist import Check, failed, passed, skipped
from .diagnosis import Facts
from .policy_diff import policy_differences, summary
from .policy_text import canonical
from .simulation import simulate_role
from .stack import Deployment
from .trust import TrustJudgement, judge_trust_policy

NO_CREDENTIALS = "not checked: no AWS credentials (see above)"
CREDENTIALS_FIX = (
    "give verify credentials of the AWS account that owns the bucket: AWS_PROFILE=<profile> (after "
    "`aws sso login --profile <profile>` for SSO), or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY; "
    "`aws sts get-caller-identity` shows which credentials are found"
)


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
        self.no_credentials: str | None = None  # botocore's message when no credentials were found

    def run(self) -> list[Check]:
        checks = self.role_and_trust()
        checks += self.permission_policies()
        checks += self.simulation()
        checks += self.bucket_settings()
        checks += self.policy_validation()
        if self.no_credentials is not None:
            # Every AWS check failed for the same reason (before any request was sent): say it once.
            root = failed("aws.credentials", SECTION, "AWS credentials", self.no_credentials, CREDENTIALS_FIX)
            return [root, *(skipped(c.id, c.section, c.title, NO_CREDENTIALS) for c in checks)]
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
            if isinstance(error, NoCredentialsError):
                self.no_credentials = f"{code}: {message}"
            if code == "NoSuchEntity":
                fix = "run `pulumi up --refresh` to create the role again"
            elif denied(code):
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
        expected = write_policy(d.partition, d.bucket_name, d.export_prefix, d.kms_key_arn, region=d.region)
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
            problems.append(self._write_policy_difference(expected))
        extra = sorted(set(self.inline_policies) - set(matching[:1]))
        if extra and matching:
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

    def _write_policy_difference(self, expected: dict[str, Any]) -> str:
        """What was expected and how the closest inline policy differs from it."""
        d = self.deployment
        where = f"s3://{d.bucket_name}/{d.export_prefix}" + (
            f" with KMS key {d.kms_key_arn}" if d.kms_key_arn else ""
        )
        if not self.inline_policies:
            shape = "; ".join(summary(statement) for statement in expected["Statement"])
            return (
                f"the role has no inline policy; expected one granting Bitmovin's writes to {where}: {shape}"
            )
        differences = {
            name: policy_differences(expected, document) for name, document in self.inline_policies.items()
        }
        closest = min(sorted(differences), key=lambda name: len(differences[name]))
        others = sorted(set(self.inline_policies) - {closest})
        text = (
            f"no inline policy is the program's write policy for {where}; {closest} differs: "
            + " | ".join(differences[closest])
        )
        return text + (f"; other inline policies: {', '.join(others)}" if others else "")

    def simulation(self) -> list[Check]:
        return [simulate_role(self.clients.iam, self.deployment)]

    def bucket_settings(self) -> list[Check]:
        checks, self.bucket_policy = bucket_checks(self.clients.s3, self.deployment)
        return checks

    def policy_validation(self) -> list[Check]:
        documents = []
        if self.role is not None:
            trust = parse_policy(self.role.get("AssumeRolePolicyDocument"))
            documents.append(
                PolicyDocument("trust policy", trust, "RESOURCE_POLICY", "AWS::IAM::AssumeRolePolicyDocument")
            )
            for name, document in sorted(self.inline_policies.items()):
                documents.append(PolicyDocument(f"role policy {name}", document, "IDENTITY_POLICY", None))
        if self.bucket_policy is not None:
            documents.append(
                PolicyDocument("bucket policy", self.bucket_policy, "RESOURCE_POLICY", "AWS::S3::Bucket")
            )
        return analyzer_checks(self.clients.accessanalyzer, documents, paid_checks=self.paid_checks)
