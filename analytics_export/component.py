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

from analytics_export import naming, output_child, policies
from analytics_export.args import RESERVED_CUSTOM_DATA_KEY, BitmovinAnalyticsExportArgs
from analytics_export.stack_outputs import STACK_OUTPUTS
from providers import validation as rules
from providers.analytics_output import AnalyticsS3RoleBasedOutput
from providers.output_reference import AnalyticsOutputReference

__all__ = ["BitmovinAnalyticsExport", "BitmovinAnalyticsExportArgs"]

COMPONENT_TYPE = "bitmovin-analytics-export:index:BitmovinAnalyticsExport"
MAX_SESSION_DURATION_SECONDS = 3600
ROLE_POLICY_NAME = "bitmovin-analytics-export-write"
LIFECYCLE_RULE_ID = "expire-bitmovin-analytics-exports"
NONCURRENT_VERSION_DAYS = 7  # an overwritten or expired export stays recoverable this long
ABORT_MULTIPART_DAYS = 7


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


@dataclass(frozen=True)
class _Account:
    """Where the stack deploys, known only at deploy time."""

    account_id: pulumi.Output[str]
    partition: pulumi.Output[str]
    region: pulumi.Output[str]


@dataclass(frozen=True)
class _RoleIdentity:
    """The name, path and ARN the role must have, so that its ARN is the one the output stores."""

    name: pulumi.Output[str]
    path: pulumi.Output[str]
    arn: pulumi.Output[str]


def _role_of_existing_output(
    output: AnalyticsOutputReference, role_name: str | None, account: _Account
) -> _RoleIdentity:
    """The role an existing output points at, checked against this stack's account and ``roleName``."""
    checked = pulumi.Output.all(
        output.output_id, output.role_arn, account.partition, account.account_id
    ).apply(lambda values: referenced_role_arn(values[0], values[1], role_name, values[2], values[3]))
    parts = checked.apply(rules.parse_role_arn)
    return _RoleIdentity(name=parts.apply(lambda p: p[3]), path=parts.apply(lambda p: p[2]), arn=checked)


def referenced_role_arn(
    output_id: str, role_arn: str | None, role_name: str | None, partition: str, account_id: str
) -> str:
    """The ARN of the role to create for an existing output; raises before the role is created.

    The public schema marks ``roleArn`` write-only, so the API may not return it: then ``roleName``
    names the role. When it is returned, it must be a role of this account that ``roleName`` (if
    set) agrees with, or Bitmovin would assume a role this stack does not manage.
    """
    if not role_arn:
        if role_name is None:
            raise ValueError(
                f"Bitmovin output {output_id} (existingOutputId) does not return its roleArn, so the role "
                "to create is unknown: set the name of the role the output was created with, "
                "`pulumi config set roleName '<role name>'`"
            )
        return policies.role_arn(partition, account_id, role_name)
    arn_partition, arn_account, _path, arn_name = rules.parse_role_arn(role_arn)
    if (arn_partition, arn_account) != (partition, account_id):
        raise ValueError(
            f"Bitmovin output {output_id} (existingOutputId) points at {role_arn}, a role of account "
            f"{arn_account} ({arn_partition}), but this stack deploys to account {account_id} ({partition}); "
            "run the stack with credentials of the account that owns the role"
        )
    if role_name is not None and role_name != arn_name:
        raise ValueError(
            f"Bitmovin output {output_id} (existingOutputId) points at role {arn_name}, but roleName is "
            f"{role_name}: remove it with `pulumi config rm roleName`"
        )
    return role_arn


@dataclass(frozen=True)
class _Bucket:
    """The export bucket's name and ARN, and the resources that secure it (none for an existing bucket)."""

    name: pulumi.Output[str]
    arn: pulumi.Output[str]
    bucket: aws.s3.Bucket | None = None
    resources: list[pulumi.CustomResource] = field(default_factory=list)


class BitmovinAnalyticsExport(pulumi.ComponentResource):
    """A secure S3 bucket (or an existing one), a Bitmovin Analytics output and its IAM role.

    Children: ``bucket`` and its side resources (only when a bucket is created), ``output``,
    ``role``, ``role_policy``. Typed outputs: one attribute per ``stack_outputs.STACK_OUTPUTS``.
    """

    # The typed stack outputs (``STACK_OUTPUTS``; ``tenant_org_id`` is "" for the API key's own
    # organization), then the children. Assigned first: the annotations below are added to it.
    __annotations__ = {output.attribute: "pulumi.Output[str]" for output in STACK_OUTPUTS}

    bucket: aws.s3.Bucket | None
    bucket_resources: list[pulumi.CustomResource]
    output: AnalyticsS3RoleBasedOutput | AnalyticsOutputReference
    """The output this stack created, or (with ``existing_output_id``) the one it only reads."""
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
        tags = {
            "managed-by": "pulumi",
            "purpose": "bitmovin-analytics-export",
            "pulumi-project": project,
            "pulumi-stack": stack,
            **args.tags,
        }
        account = self._account()
        if args.existing_output_id is not None:
            self.output = self._existing_output(name, args)
            role = _role_of_existing_output(self.output, args.role_name, account)
            role_name, role_path, promised_role_arn = role.name, role.path, role.arn
            bucket = self._existing_bucket(self.output.bucket_name, account)
        else:
            role_name, role_path = args.role_name or naming.default_role_name(stack), None
            promised_role_arn = pulumi.Output.all(account.partition, account.account_id).apply(
                lambda values: policies.role_arn(values[0], values[1], role_name)
            )
            bucket = self._bucket(name, args, account, tags, stack)
            self.output = self._output(name, args, bucket, promised_role_arn, project, stack)
        self.role = self._role(name, role_name, role_path, args.bitmovin_principal_arn, account, tags)
        self.role_policy = self._role_policy(name, args, bucket, account)
        self.bucket, self.bucket_resources = bucket.bucket, bucket.resources

        self.output_id = self.output.id
        self.external_id = self.output.external_id
        self.external_id_mode = self.output.external_id_mode.apply(lambda mode: mode or "")
        self.role_arn = pulumi.Output.all(self.role.arn, promised_role_arn).apply(_same_arn)
        self.role_name = self.role.name
        self.bucket_name = bucket.name
        self.bucket_arn = bucket.arn
        self.region = account.region
        # From the input, not the output's state, so that it is known in previews too.
        self.tenant_org_id = pulumi.Output.from_input(args.tenant_org_id or "")
        self.export_prefix = pulumi.Output.from_input(args.export_prefix)
        self.register_outputs({output.name: getattr(self, output.attribute) for output in STACK_OUTPUTS})

    # -- steps, in the order the engine creates what they return --------------------------------

    def _account(self) -> _Account:
        invoke = pulumi.InvokeOptions(parent=self)
        return _Account(
            account_id=aws.get_caller_identity_output(opts=invoke).account_id,
            partition=aws.get_partition_output(opts=invoke).partition,
            region=aws.get_region_output(opts=invoke).region,
        )

    def _bucket(
        self,
        name: str,
        args: BitmovinAnalyticsExportArgs,
        account: _Account,
        tags: Mapping[str, str],
        stack: str,
    ) -> _Bucket:
        """The existing bucket, or a new one with its security settings."""
        if args.existing_bucket_name is not None:
            return self._existing_bucket(args.existing_bucket_name, account)
        wanted = (
            pulumi.Output.from_input(args.bucket_name)
            if args.bucket_name is not None
            else account.account_id.apply(lambda account_id: naming.default_bucket_name(stack, account_id))
        )
        bucket, resources = self._secure_bucket(name, wanted, account.partition, args, tags)
        return _Bucket(name=bucket.bucket, arn=bucket.arn, bucket=bucket, resources=resources)

    def _existing_bucket(self, bucket_name: pulumi.Input[str], account: _Account) -> _Bucket:
        """A bucket this stack does not manage: only its name and ARN."""
        name = pulumi.Output.from_input(bucket_name)
        arn = pulumi.Output.all(account.partition, name).apply(lambda v: policies.bucket_arn(v[0], v[1]))
        return _Bucket(name=name, arn=arn)

    def _existing_output(self, name: str, args: BitmovinAnalyticsExportArgs) -> AnalyticsOutputReference:
        """The output someone else created: one GET, never changed or deleted by this stack.

        Aliased to the owned output, so that switching a stack's own output to ``existingOutputId``
        keeps it (same id) or is refused (another id) instead of deleting it (``output_child``).
        """
        return output_child.reference(name, self, args.existing_output_id, args.tenant_org_id)

    def _output(
        self,
        name: str,
        args: BitmovinAnalyticsExportArgs,
        bucket: _Bucket,
        role_arn: pulumi.Output[str],
        project: str,
        stack: str,
    ) -> AnalyticsS3RoleBasedOutput:
        """The Bitmovin output: needs the (computed) role ARN, yields the external ID."""
        external_id = args.external_id if args.external_id_mode == rules.ExternalIdMode.CUSTOM else None
        if external_id is not None and args.external_id_is_secret:
            external_id = pulumi.Output.secret(external_id)
        description = args.output_description or pulumi.Output.concat(
            "Bitmovin Analytics exports to s3://",
            bucket.name,
            "/",
            args.export_prefix,
            f" (Pulumi stack {project}/{stack})",
        )
        return AnalyticsS3RoleBasedOutput(
            output_child.owned_output_name(name),
            pulumi.ResourceOptions(parent=self),
            bucket_name=bucket.name,
            role_arn=role_arn,
            external_id_mode=args.external_id_mode,
            external_id=external_id,
            acl=[dict(entry) for entry in rules.PRIVATE_ACL],
            name=args.output_name or naming.default_output_name(project, stack),
            description=description,
            custom_data={
                RESERVED_CUSTOM_DATA_KEY: "pulumi",
                "project": project,
                "stack": stack,
                **args.custom_data,
            },
            tenant_org_id=args.tenant_org_id or None,
            # Read by create only, never compared: adopting does not cause a diff on later runs.
            adopt_output_id=args.adopt_output_id,
        )

    def _role(
        self,
        name: str,
        role_name: pulumi.Input[str],
        role_path: pulumi.Input[str] | None,
        principal: str,
        account: _Account,
        tags: Mapping[str, str],
    ) -> aws.iam.Role:
        """The role Bitmovin assumes, trusting only its principal with the output's external ID."""
        return aws.iam.Role(
            f"{name}-role",
            name=role_name,
            path=role_path,
            description="Assumed by Bitmovin Analytics to write exports (managed by Pulumi)",
            assume_role_policy=pulumi.Output.all(self.output.external_id, account.partition).apply(
                lambda values: trust_policy_json(values[0], values[1], principal)
            ),
            max_session_duration=MAX_SESSION_DURATION_SECONDS,
            tags=dict(tags),
            # The name is fixed (the output already points at it): a replacement must free it first.
            opts=pulumi.ResourceOptions(parent=self, delete_before_replace=True),
        )

    def _role_policy(
        self, name: str, args: BitmovinAnalyticsExportArgs, bucket: _Bucket, account: _Account
    ) -> aws.iam.RolePolicy:
        """Write access under the prefix, attached once the bucket's security settings exist."""
        prefix, kms_key_arn = args.export_prefix, args.kms_key_arn
        return aws.iam.RolePolicy(
            f"{name}-write",
            role=self.role.id,
            name=ROLE_POLICY_NAME,
            policy=pulumi.Output.all(account.partition, bucket.name, account.region).apply(
                lambda v: json.dumps(policies.write_policy(v[0], v[1], prefix, kms_key_arn, region=v[2]))
            ),
            # Bitmovin can write only once encryption, ownership and the TLS policy are in place.
            opts=pulumi.ResourceOptions(parent=self, depends_on=bucket.resources),
        )

    def _secure_bucket(
        self,
        name: str,
        bucket_name: pulumi.Output[str],
        partition: pulumi.Output[str],
        args: BitmovinAnalyticsExportArgs,
        tags: Mapping[str, str],
    ) -> tuple[aws.s3.Bucket, list[pulumi.CustomResource]]:
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
        encryption = aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-encryption", bucket=bucket.id, rules=[_encryption_rule(args.kms_key_arn)], opts=keep
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
        resources: list[pulumi.CustomResource] = [
            bucket,
            public_access_block,
            ownership,
            encryption,
            versioning,
            tls_only,
        ]
        if args.retention_days is not None:
            lifecycle = aws.s3.BucketLifecycleConfiguration(
                f"{name}-retention",
                bucket=bucket.id,
                rules=[_retention_rule(args.export_prefix, args.retention_days)],
                # Noncurrent-version rules need versioning to be configured first.
                opts=pulumi.ResourceOptions.merge(keep, pulumi.ResourceOptions(depends_on=[versioning])),
            )
            resources.append(lifecycle)
        return bucket, resources


def _encryption_rule(kms_key_arn: str | None) -> aws.s3.BucketServerSideEncryptionConfigurationRuleArgs:
    """SSE-KMS with a bucket key for a customer-managed key, SSE-S3 otherwise."""
    if kms_key_arn is None:
        default = aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
            sse_algorithm="AES256"
        )
        return aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
            apply_server_side_encryption_by_default=default
        )
    default = aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
        sse_algorithm="aws:kms", kms_master_key_id=kms_key_arn
    )
    return aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
        apply_server_side_encryption_by_default=default, bucket_key_enabled=True
    )


def _retention_rule(prefix: str, days: int) -> aws.s3.BucketLifecycleConfigurationRuleArgs:
    """Expire exports under the prefix; keep overwritten versions a week; drop stale uploads."""
    return aws.s3.BucketLifecycleConfigurationRuleArgs(
        id=LIFECYCLE_RULE_ID,
        status="Enabled",
        filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=prefix),
        expiration=aws.s3.BucketLifecycleConfigurationRuleExpirationArgs(days=days),
        noncurrent_version_expiration=aws.s3.BucketLifecycleConfigurationRuleNoncurrentVersionExpirationArgs(
            noncurrent_days=NONCURRENT_VERSION_DAYS
        ),
        abort_incomplete_multipart_upload=aws.s3.BucketLifecycleConfigurationRuleAbortIncompleteMultipartUploadArgs(
            days_after_initiation=ABORT_MULTIPART_DAYS
        ),
    )
