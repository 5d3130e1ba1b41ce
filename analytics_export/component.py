"""``BitmovinAnalyticsExport``: bucket + Bitmovin Analytics output + the role Bitmovin assumes.

Order of creation breaks the role/output cycle (as Databricks, Confluent and Snowflake integrations do):

1. the role ARN is computed from the account, the partition and a fixed role name;
2. the Bitmovin output is created with that ARN and returns ``external_id``;
3. the role is created with exactly that name, trusting only Bitmovin's principal with that
   external ID; its write policy is attached once the bucket's security settings exist.

Usable from any Pulumi Python program::

    from analytics_export import BitmovinAnalyticsExport, BitmovinAnalyticsExportArgs

    export = BitmovinAnalyticsExport("analytics", BitmovinAnalyticsExportArgs(export_prefix="analytics/"))
    pulumi.export("roleArn", export.role_arn)
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from analytics_export import naming, policies
from analytics_export.settings import (
    CUSTOM,
    GLOBAL,
    OBJECT_OWNERSHIPS,
    OWNERSHIP_ENFORCED,
    ExportSettings,
)
from providers import validation as rules
from providers.analytics_output import AnalyticsS3RoleBasedOutput

COMPONENT_TYPE = "bitmovin-analytics-export:index:BitmovinAnalyticsExport"
MAX_SESSION_DURATION_SECONDS = 3600
ROLE_POLICY_NAME = "bitmovin-analytics-export-write"
LIFECYCLE_RULE_ID = "expire-bitmovin-analytics-exports"
NONCURRENT_VERSION_DAYS = 7  # an overwritten or expired export stays recoverable this long
ABORT_MULTIPART_DAYS = 7
OUTPUT_ACL: list[dict[str, str]] = [{"permission": "PRIVATE"}]


@dataclass(frozen=True, kw_only=True)
class BitmovinAnalyticsExportArgs:
    """Inputs of :class:`BitmovinAnalyticsExport`; every field has a secure default.

    Fields that shape policies (prefix, KMS key, principal, role name) are plain values so that they
    are validated here, when the program runs, and not halfway through a deployment.
    """

    role_name: str | None = None
    """IAM role name; default ``bitmovin-analytics-export-<stack>``."""
    bucket_name: pulumi.Input[str] | None = None
    """Bucket to create; default ``bitmovin-analytics-<stack>-<account id>``."""
    existing_bucket_name: pulumi.Input[str] | None = None
    """Export into this bucket instead; then no bucket resources are created."""
    export_prefix: str = ""
    external_id_mode: str = GLOBAL
    external_id: pulumi.Input[str] | None = None
    """Only with ``external_id_mode="CUSTOM"``."""
    tenant_org_id: pulumi.Input[str] | None = None
    object_ownership: str = OWNERSHIP_ENFORCED
    kms_key_arn: str | None = None
    retention_days: int | None = None
    retain_bucket_on_destroy: bool = True
    output_name: pulumi.Input[str] | None = None
    output_description: pulumi.Input[str] | None = None
    custom_data: Mapping[str, str] = field(default_factory=dict)
    """Merged into the output's custom data after ``managedBy``/``project``/``stack``."""
    bitmovin_principal_arn: str = policies.BITMOVIN_PRINCIPAL
    tags: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        problems = self.problems()
        if problems:
            raise ValueError("Invalid BitmovinAnalyticsExportArgs: " + "; ".join(problems))

    def problems(self) -> list[str]:
        """Every bad plain value; ``Output`` values are checked by AWS and the provider instead."""
        found: list[str] = []

        def rule(name: str, problem: str | None) -> None:
            if problem:
                found.append(f"{name} {problem}")

        if self.role_name is not None:
            rule("role_name", rules.role_name_problem(self.role_name))
        for name in ("bucket_name", "existing_bucket_name"):
            value = getattr(self, name)
            if isinstance(value, str):
                rule(name, rules.bucket_name_problem(value))
        rule("export_prefix", rules.export_prefix_problem(self.export_prefix))
        rule("external_id_mode", rules.enum_problem(self.external_id_mode, rules.EXTERNAL_ID_MODES))
        if self.external_id_mode == CUSTOM and self.external_id is None:
            found.append("external_id is required with external_id_mode CUSTOM")
        if self.external_id_mode != CUSTOM and self.external_id is not None:
            found.append("external_id can only be set with external_id_mode CUSTOM")
        if isinstance(self.external_id, str):
            rule("external_id", rules.external_id_problem(self.external_id))
        if isinstance(self.tenant_org_id, str) and self.tenant_org_id:
            rule("tenant_org_id", rules.tenant_org_id_problem(self.tenant_org_id))
        rule("object_ownership", rules.enum_problem(self.object_ownership, OBJECT_OWNERSHIPS))
        if self.kms_key_arn is not None:
            rule("kms_key_arn", rules.kms_key_arn_problem(self.kms_key_arn))
        if self.retention_days is not None and (
            isinstance(self.retention_days, bool)
            or not isinstance(self.retention_days, int)
            or self.retention_days < 1
        ):
            found.append(
                f"retention_days must be a positive whole number of days, got {self.retention_days!r}"
            )
        rule("bitmovin_principal_arn", policies.principal_arn_problem(self.bitmovin_principal_arn))
        if self.existing_bucket_name is not None:
            conflicts = [
                name
                for name, value in (
                    ("bucket_name", self.bucket_name is not None),
                    ("kms_key_arn", self.kms_key_arn is not None),
                    ("retention_days", self.retention_days is not None),
                    ("object_ownership", self.object_ownership != OWNERSHIP_ENFORCED),
                    ("retain_bucket_on_destroy", not self.retain_bucket_on_destroy),
                )
                if value
            ]
            if conflicts:
                found.append(f"existing_bucket_name cannot be combined with {', '.join(conflicts)}")
        if "managedBy" in self.custom_data:
            found.append("custom_data key 'managedBy' is reserved")
        return found

    @classmethod
    def from_settings(cls, settings: ExportSettings) -> BitmovinAnalyticsExportArgs:
        """The component inputs for a validated stack config (external ID kept secret if it was)."""
        external_id: pulumi.Input[str] | None = settings.external_id
        if external_id is not None and settings.external_id_is_secret:
            external_id = pulumi.Output.secret(external_id)
        return cls(
            role_name=settings.role_name,
            bucket_name=settings.bucket_name,
            existing_bucket_name=settings.existing_bucket_name,
            export_prefix=settings.export_prefix,
            external_id_mode=settings.external_id_mode,
            external_id=external_id,
            tenant_org_id=settings.tenant_org_id,
            object_ownership=settings.object_ownership,
            kms_key_arn=settings.kms_key_arn,
            retention_days=settings.retention_days,
            retain_bucket_on_destroy=settings.retain_bucket_on_destroy,
            output_name=settings.output_name,
            bitmovin_principal_arn=settings.bitmovin_principal_arn,
            custom_data={"project": settings.project, "stack": settings.stack},
            tags={"pulumi-project": settings.project, "pulumi-stack": settings.stack},
        )


def trust_policy_json(external_id: str | None, partition: str, principal_arn: str) -> str:
    """The role's trust policy; refuses to trust without an external ID or across partitions."""
    if not external_id:
        raise ValueError(
            "the Bitmovin output returned no external_id; refusing to create a role that Bitmovin could "
            "assume on behalf of any of its customers"
        )
    if policies.arn_partition(principal_arn) != partition:
        raise ValueError(
            f"the trusted principal {principal_arn} is not in this account's partition {partition}; set "
            "bitmovinPrincipalArn to the principal Bitmovin uses in that partition"
        )
    return json.dumps(policies.trust_policy(external_id, principal_arn))


def _same_arn(arns: Sequence[str]) -> str:
    actual, promised = arns
    if actual != promised:
        raise ValueError(
            f"the role was created as {actual} but the Bitmovin output was given {promised}; "
            "Bitmovin would fail to assume it"
        )
    return actual


class BitmovinAnalyticsExport(pulumi.ComponentResource):
    """A secure S3 bucket (or an existing one), a Bitmovin Analytics output and its IAM role.

    Children: ``bucket`` and its side resources (only when a bucket is created), ``output``,
    ``role``, ``role_policy``. Typed outputs: see the annotations below.
    """

    output_id: pulumi.Output[str]
    external_id: pulumi.Output[str]
    external_id_mode: pulumi.Output[str]
    role_arn: pulumi.Output[str]
    role_name: pulumi.Output[str]
    bucket_name: pulumi.Output[str]
    bucket_arn: pulumi.Output[str]
    region: pulumi.Output[str]
    tenant_org_id: pulumi.Output[str]
    """Empty string when the API key's own organization is used."""
    export_prefix: pulumi.Output[str]

    bucket: aws.s3.Bucket | None
    bucket_resources: list[pulumi.CustomResource]
    output: AnalyticsS3RoleBasedOutput
    role: aws.iam.Role
    role_policy: aws.iam.RolePolicy

    def __init__(
        self,
        name: str,
        args: BitmovinAnalyticsExportArgs | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(COMPONENT_TYPE, name, None, opts)
        args = args or BitmovinAnalyticsExportArgs()
        project, stack = pulumi.get_project(), pulumi.get_stack()
        pulumi.ResourceOptions(parent=self)
        invoke = pulumi.InvokeOptions(parent=self)

        identity = aws.get_caller_identity_output(opts=invoke)
        partition = aws.get_partition_output(opts=invoke).partition
        account_id = identity.account_id
        region = aws.get_region_output(opts=invoke).region
        role_name = args.role_name or naming.default_role_name(stack)
        promised_role_arn = pulumi.Output.all(partition, account_id).apply(
            lambda values: policies.role_arn(values[0], values[1], role_name)
        )
        tags = {"managed-by": "pulumi", "purpose": "bitmovin-analytics-export", **args.tags}

        # -- Bucket ------------------------------------------------------------------------------------
        self.bucket = None
        self.bucket_resources = []
        if args.existing_bucket_name is not None:
            bucket_name = pulumi.Output.from_input(args.existing_bucket_name)
            bucket_arn = pulumi.Output.all(partition, bucket_name).apply(
                lambda v: policies.bucket_arn(v[0], v[1])
            )
        else:
            wanted = (
                pulumi.Output.from_input(args.bucket_name)
                if args.bucket_name is not None
                else account_id.apply(lambda account: naming.default_bucket_name(stack, account))
            )
            self.bucket = self._create_bucket(name, wanted, partition, args, tags)
            bucket_name, bucket_arn = self.bucket.bucket, self.bucket.arn

        # -- Bitmovin output (needs the role ARN, yields the external ID) ----------------------------
        self.output = AnalyticsS3RoleBasedOutput(
            f"{name}-output",
            pulumi.ResourceOptions(parent=self),
            bucket_name=bucket_name,
            role_arn=promised_role_arn,
            external_id_mode=args.external_id_mode,
            external_id=args.external_id if args.external_id_mode == CUSTOM else None,
            acl=[dict(entry) for entry in OUTPUT_ACL],
            name=args.output_name or naming.default_output_name(project, stack),
            description=args.output_description
            or pulumi.Output.concat(
                "Bitmovin Analytics exports to s3://",
                bucket_name,
                "/",
                args.export_prefix,
                f" (Pulumi stack {project}/{stack})",
            ),
            custom_data={"managedBy": "pulumi", **args.custom_data},
            tenant_org_id=args.tenant_org_id or None,
        )

        # -- Role Bitmovin assumes -------------------------------------------------------------------
        principal = args.bitmovin_principal_arn
        self.role = aws.iam.Role(
            f"{name}-role",
            name=role_name,
            description="Assumed by Bitmovin Analytics to write exports (managed by Pulumi)",
            assume_role_policy=pulumi.Output.all(self.output.external_id, partition).apply(
                lambda values: trust_policy_json(values[0], values[1], principal)
            ),
            max_session_duration=MAX_SESSION_DURATION_SECONDS,
            tags=tags,
            # The name is fixed (the output already points at it): a replacement must free it first.
            opts=pulumi.ResourceOptions(parent=self, delete_before_replace=True),
        )
        prefix, kms_key_arn = args.export_prefix, args.kms_key_arn
        self.role_policy = aws.iam.RolePolicy(
            f"{name}-write",
            role=self.role.id,
            name=ROLE_POLICY_NAME,
            policy=pulumi.Output.all(partition, bucket_name).apply(
                lambda values: json.dumps(policies.write_policy(values[0], values[1], prefix, kms_key_arn))
            ),
            # Bitmovin can write only once encryption, ownership and the TLS policy are in place.
            opts=pulumi.ResourceOptions(parent=self, depends_on=self.bucket_resources),
        )

        # -- Outputs -------------------------------------------------------------------------------
        self.output_id = self.output.id
        self.external_id = self.output.external_id
        self.external_id_mode = self.output.external_id_mode
        self.role_arn = pulumi.Output.all(self.role.arn, promised_role_arn).apply(_same_arn)
        self.role_name = self.role.name
        self.bucket_name = bucket_name
        self.bucket_arn = bucket_arn
        self.region = region
        # From the input, not the output's state, so that it is known in previews too.
        self.tenant_org_id = pulumi.Output.from_input(args.tenant_org_id or "")
        self.export_prefix = pulumi.Output.from_input(args.export_prefix)
        self.register_outputs(
            {
                "outputId": self.output_id,
                "externalId": self.external_id,
                "externalIdMode": self.external_id_mode,
                "roleArn": self.role_arn,
                "roleName": self.role_name,
                "bucketName": self.bucket_name,
                "bucketArn": self.bucket_arn,
                "region": self.region,
                "tenantOrgId": self.tenant_org_id,
                "exportPrefix": self.export_prefix,
            }
        )

    def _create_bucket(
        self,
        name: str,
        bucket_name: pulumi.Output[str],
        partition: pulumi.Output[str],
        args: BitmovinAnalyticsExportArgs,
        tags: Mapping[str, str],
    ) -> aws.s3.Bucket:
        """The bucket and its security settings, all retained on destroy when asked to.

        Deleting a side resource on destroy would weaken the bucket that stays behind (public access
        block removed, ownership back to ObjectWriter, TLS policy gone), so they share the bucket's
        ``retain_on_delete``. ``protect`` is not set: ``pulumi destroy`` succeeds and leaves them.
        """
        retain = args.retain_bucket_on_destroy
        keep = pulumi.ResourceOptions(parent=self, retain_on_delete=retain)
        bucket = aws.s3.Bucket(
            f"{name}-bucket", bucket=bucket_name, force_destroy=False, tags=dict(tags), opts=keep
        )
        public_access_block = aws.s3.BucketPublicAccessBlock(
            f"{name}-public-access-block",
            bucket=bucket.id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            opts=keep,
        )
        ownership = aws.s3.BucketOwnershipControls(
            f"{name}-ownership",
            bucket=bucket.id,
            rule=aws.s3.BucketOwnershipControlsRuleArgs(object_ownership=args.object_ownership),
            opts=keep,
        )
        if args.kms_key_arn is not None:
            encryption_default = (
                aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
                    sse_algorithm="aws:kms", kms_master_key_id=args.kms_key_arn
                )
            )
            encryption_rule = aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
                apply_server_side_encryption_by_default=encryption_default, bucket_key_enabled=True
            )
        else:
            encryption_rule = aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
                apply_server_side_encryption_by_default=aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
                    sse_algorithm="AES256"
                )
            )
        encryption = aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-encryption", bucket=bucket.id, rules=[encryption_rule], opts=keep
        )
        versioning = aws.s3.BucketVersioning(
            f"{name}-versioning",
            bucket=bucket.id,
            versioning_configuration=aws.s3.BucketVersioningVersioningConfigurationArgs(status="Enabled"),
            opts=keep,
        )
        tls_only = aws.s3.BucketPolicy(
            f"{name}-tls-only",
            bucket=bucket.id,
            policy=pulumi.Output.all(partition, bucket.bucket).apply(
                lambda values: json.dumps(policies.tls_only_bucket_policy(values[0], values[1]))
            ),
            # Concurrent PutBucketPolicy and PutPublicAccessBlock fail with OperationAborted.
            opts=pulumi.ResourceOptions.merge(keep, pulumi.ResourceOptions(depends_on=[public_access_block])),
        )
        self.bucket_resources = [bucket, public_access_block, ownership, encryption, versioning, tls_only]
        if args.retention_days is not None:
            lifecycle = aws.s3.BucketLifecycleConfiguration(
                f"{name}-retention",
                bucket=bucket.id,
                rules=[
                    aws.s3.BucketLifecycleConfigurationRuleArgs(
                        id=LIFECYCLE_RULE_ID,
                        status="Enabled",
                        filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=args.export_prefix),
                        expiration=aws.s3.BucketLifecycleConfigurationRuleExpirationArgs(
                            days=args.retention_days
                        ),
                        noncurrent_version_expiration=aws.s3.BucketLifecycleConfigurationRuleNoncurrentVersionExpirationArgs(
                            noncurrent_days=NONCURRENT_VERSION_DAYS
                        ),
                        abort_incomplete_multipart_upload=aws.s3.BucketLifecycleConfigurationRuleAbortIncompleteMultipartUploadArgs(
                            days_after_initiation=ABORT_MULTIPART_DAYS
                        ),
                    )
                ],
                # Noncurrent-version rules need versioning to be configured first.
                opts=pulumi.ResourceOptions.merge(keep, pulumi.ResourceOptions(depends_on=[versioning])),
            )
            self.bucket_resources.append(lifecycle)
        return bucket
