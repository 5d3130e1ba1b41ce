"""What the stand-in serves: pulumi-aws v7 tokens and property names, and which changes replace.

Only the properties the program sets or reads are declared; any other input fails ``check``. Each
``ForceNew`` flag copies terraform-provider-aws's schema of that resource (pulumi-aws is bridged from
it; ``source`` names the file), and tests/aws_standin/test_fidelity.py holds every token and name
against the installed ``pulumi_aws`` SDK.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

TF = "hashicorp/terraform-provider-aws: internal/service/"


@dataclass(frozen=True)
class Prop:
    """One property: its wire type, whether the program may set it, and whether a change replaces."""

    kind: str  # string | bool | int | map (of strings) | json (a policy document string) | object | list
    input: bool = True  # False: computed only, an input of that name fails check
    force_new: bool = False
    required: bool = False
    default: Any = None  # applied by check, as terraform's schema Default is
    fields: Mapping[str, Prop] = field(default_factory=dict)  # of an object, or of a list's objects


@dataclass(frozen=True)
class ResourceSpec:
    token: str
    props: Mapping[str, Prop]
    source: str  # the terraform-provider-aws file whose schema marks ForceNew

    def inputs(self) -> dict[str, Prop]:
        return {name: prop for name, prop in self.props.items() if prop.input}


def _obj(*, required: bool = False, **fields: Prop) -> Prop:
    return Prop("object", required=required, fields=fields)


def _list(**fields: Prop) -> Prop:
    return Prop("list", required=True, fields=fields)


_STR, _BOOL, _INT = Prop("string"), Prop("bool"), Prop("int")
_BUCKET = Prop("string", force_new=True, required=True)
_COMPUTED = Prop("string", input=False)
_REGION = Prop("string", input=False)  # v7's per-resource region: set to the provider's, never an input here

RESOURCES: dict[str, ResourceSpec] = {
    spec.token: spec
    for spec in (
        ResourceSpec(
            "aws:s3/bucket:Bucket",
            {
                "bucket": Prop("string", force_new=True, required=True),
                "forceDestroy": Prop("bool", default=False),
                "tags": Prop("map"),
                "tagsAll": Prop("map", input=False),
                "arn": _COMPUTED,
                "region": _REGION,
            },
            TF + "s3/bucket.go",
        ),
        ResourceSpec(
            "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
            {
                "bucket": _BUCKET,
                "blockPublicAcls": Prop("bool", default=False),
                "blockPublicPolicy": Prop("bool", default=False),
                "ignorePublicAcls": Prop("bool", default=False),
                "restrictPublicBuckets": Prop("bool", default=False),
                "region": _REGION,
            },
            TF + "s3/bucket_public_access_block.go",
        ),
        ResourceSpec(
            "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
            {"bucket": _BUCKET, "rule": _obj(objectOwnership=_STR, required=True), "region": _REGION},
            TF + "s3/bucket_ownership_controls.go",
        ),
        ResourceSpec(
            "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
            {
                "bucket": _BUCKET,
                "rules": _list(
                    applyServerSideEncryptionByDefault=_obj(sseAlgorithm=_STR, kmsMasterKeyId=_STR),
                    bucketKeyEnabled=_BOOL,
                ),
                "region": _REGION,
            },
            TF + "s3/bucket_server_side_encryption_configuration.go",
        ),
        ResourceSpec(
            "aws:s3/bucketVersioning:BucketVersioning",
            {
                "bucket": _BUCKET,
                "versioningConfiguration": _obj(status=_STR, required=True),
                "region": _REGION,
            },
            TF + "s3/bucket_versioning.go",
        ),
        ResourceSpec(
            "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
            {
                "bucket": _BUCKET,
                "rules": _list(
                    id=_STR,
                    status=_STR,
                    filter=_obj(prefix=_STR),
                    expiration=_obj(days=_INT),
                    noncurrentVersionExpiration=_obj(noncurrentDays=_INT),
                    abortIncompleteMultipartUpload=_obj(daysAfterInitiation=_INT),
                ),
                "region": _REGION,
            },
            TF + "s3/bucket_lifecycle_configuration.go",
        ),
        ResourceSpec(
            "aws:s3/bucketPolicy:BucketPolicy",
            {"bucket": _BUCKET, "policy": Prop("json", required=True), "region": _REGION},
            TF + "s3/bucket_policy.go",
        ),
        ResourceSpec(
            "aws:iam/role:Role",
            {
                "name": Prop("string", force_new=True, required=True),
                "path": Prop("string", force_new=True, default="/"),
                "description": _STR,
                "assumeRolePolicy": Prop("json", required=True),
                "maxSessionDuration": Prop("int", default=3600),
                "forceDetachPolicies": Prop("bool", default=False),
                "tags": Prop("map"),
                "tagsAll": Prop("map", input=False),
                "arn": _COMPUTED,
                "uniqueId": _COMPUTED,
                "createDate": _COMPUTED,
            },
            TF + "iam/role.go",
        ),
        ResourceSpec(
            "aws:iam/rolePolicy:RolePolicy",
            {
                "role": Prop("string", force_new=True, required=True),
                "name": Prop("string", force_new=True, required=True),
                "policy": Prop("json", required=True),
            },
            TF + "iam/role_policy.go",
        ),
    )
}
