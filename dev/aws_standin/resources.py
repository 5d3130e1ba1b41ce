"""Create, Read, Update and Delete of each served resource against moto through boto3.

Outputs are the checked inputs plus what AWS computes; ``read`` builds them from what moto holds (None:
the resource is gone), so ``pulumi refresh`` sees drift. Each function follows the terraform-provider-aws
file ``schema.RESOURCES`` cites for it (IDs: the bucket name, the role name, ``role:policy``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from dev.aws_standin.aws import Aws, error_code

State = dict[str, Any]
_GONE = {
    "NoSuchBucket",
    "404",
    "NoSuchEntity",
    "NoSuchPublicAccessBlockConfiguration",
    "OwnershipControlsNotFoundError",
    "ServerSideEncryptionConfigurationNotFoundError",
    "NoSuchLifecycleConfiguration",
    "NoSuchBucketPolicy",
}


def _missing(call: Callable[[], Any]) -> Any:
    """``call()``, or None when AWS says the thing is not there."""
    try:
        return call()
    except ClientError as error:
        if error_code(error) in _GONE:
            return None
        raise


def _json_as_stored(stored: Any, actual: str | dict[str, Any]) -> str:
    """The stored policy string when AWS holds the same document (terraform's PolicyToSet)."""
    document = json.loads(actual) if isinstance(actual, str) else actual
    if isinstance(stored, str):
        try:
            if json.loads(stored) == document:
                return stored
        except ValueError:
            pass
    return json.dumps(document)


def _tags(pairs: list[dict[str, str]] | None) -> dict[str, str]:
    return {pair["Key"]: pair["Value"] for pair in pairs or []}


def _tag_list(tags: Mapping[str, str] | None) -> list[dict[str, str]]:
    return [{"Key": key, "Value": value} for key, value in sorted((tags or {}).items())]


# -- aws:s3/bucket:Bucket ------------------------------------------------------------------------


def _bucket_put_tags(aws: Aws, bucket: str, tags: Mapping[str, str] | None) -> None:
    if tags:
        aws.s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": _tag_list(tags)})
    else:
        aws.s3.delete_bucket_tagging(Bucket=bucket)


def _bucket_outputs(aws: Aws, inputs: Mapping[str, Any], tags: Mapping[str, str]) -> State:
    bucket = inputs["bucket"]
    return {
        "bucket": bucket,
        "forceDestroy": bool(inputs.get("forceDestroy")),
        "tags": dict(tags),
        "tagsAll": dict(tags),
        "arn": f"arn:{aws.partition}:s3:::{bucket}",
        "region": aws.config.region,
    }


def bucket_create(aws: Aws, inputs: Mapping[str, Any]) -> tuple[str, State]:
    bucket = inputs["bucket"]
    extra = {}
    if aws.config.region != "us-east-1":
        extra["CreateBucketConfiguration"] = {"LocationConstraint": aws.config.region}
    aws.s3.create_bucket(Bucket=bucket, **extra)
    if inputs.get("tags"):
        _bucket_put_tags(aws, bucket, inputs["tags"])
    return bucket, _bucket_outputs(aws, inputs, inputs.get("tags") or {})


def bucket_read(aws: Aws, bucket: str, olds: Mapping[str, Any]) -> State | None:
    if _missing(lambda: aws.s3.head_bucket(Bucket=bucket)) is None:
        return None
    tagging = _no_tags(lambda: aws.s3.get_bucket_tagging(Bucket=bucket))
    # NoSuchTagSet: a bucket without tags.
    tags = _tags(tagging["TagSet"]) if tagging else {}
    return _bucket_outputs(aws, {**olds, "bucket": bucket}, tags)


def _no_tags(call: Callable[[], Any]) -> Any:
    try:
        return call()
    except ClientError as error:
        if error_code(error) == "NoSuchTagSet":
            return None
        raise


def bucket_update(aws: Aws, bucket: str, olds: Mapping[str, Any], news: Mapping[str, Any]) -> State:
    if (olds.get("tags") or {}) != (news.get("tags") or {}):
        _bucket_put_tags(aws, bucket, news.get("tags"))
    return _bucket_outputs(aws, news, news.get("tags") or {})


def bucket_delete(aws: Aws, bucket: str, olds: Mapping[str, Any]) -> None:
    if olds.get("forceDestroy"):
        pages = aws.s3.get_paginator("list_object_versions").paginate(Bucket=bucket)
        for page in pages:
            for item in page.get("Versions", []) + page.get("DeleteMarkers", []):
                aws.s3.delete_object(Bucket=bucket, Key=item["Key"], VersionId=item["VersionId"])
    aws.s3.delete_bucket(Bucket=bucket)  # BucketNotEmpty without forceDestroy, as terraform's


# -- bucket side resources: ID = the bucket name -------------------------------------------------


def _pab_put(aws: Aws, inputs: Mapping[str, Any]) -> None:
    aws.s3.put_public_access_block(
        Bucket=inputs["bucket"],
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": bool(inputs.get("blockPublicAcls")),
            "BlockPublicPolicy": bool(inputs.get("blockPublicPolicy")),
            "IgnorePublicAcls": bool(inputs.get("ignorePublicAcls")),
            "RestrictPublicBuckets": bool(inputs.get("restrictPublicBuckets")),
        },
    )


def _pab_read(aws: Aws, bucket: str, olds: Mapping[str, Any]) -> State | None:
    found = _missing(lambda: aws.s3.get_public_access_block(Bucket=bucket))
    if found is None:
        return None
    block = found["PublicAccessBlockConfiguration"]
    return {
        "bucket": bucket,
        "blockPublicAcls": block.get("BlockPublicAcls", False),
        "blockPublicPolicy": block.get("BlockPublicPolicy", False),
        "ignorePublicAcls": block.get("IgnorePublicAcls", False),
        "restrictPublicBuckets": block.get("RestrictPublicBuckets", False),
    }


def _ownership_put(aws: Aws, inputs: Mapping[str, Any]) -> None:
    rule = {"ObjectOwnership": inputs["rule"]["objectOwnership"]}
    aws.s3.put_bucket_ownership_controls(Bucket=inputs["bucket"], OwnershipControls={"Rules": [rule]})


def _ownership_read(aws: Aws, bucket: str, olds: Mapping[str, Any]) -> State | None:
    found = _missing(lambda: aws.s3.get_bucket_ownership_controls(Bucket=bucket))
    if found is None:
        return None
    (rule,) = found["OwnershipControls"]["Rules"]
    return {"bucket": bucket, "rule": {"objectOwnership": rule["ObjectOwnership"]}}


def _encryption_put(aws: Aws, inputs: Mapping[str, Any]) -> None:
    rules = []
    for rule in inputs["rules"]:
        default = rule.get("applyServerSideEncryptionByDefault") or {}
        aws_rule: dict[str, Any] = {
            "ApplyServerSideEncryptionByDefault": {
                "SSEAlgorithm": default["sseAlgorithm"],
                **({"KMSMasterKeyID": default["kmsMasterKeyId"]} if default.get("kmsMasterKeyId") else {}),
            }
        }
        if "bucketKeyEnabled" in rule:
            aws_rule["BucketKeyEnabled"] = bool(rule["bucketKeyEnabled"])
        rules.append(aws_rule)
    aws.s3.put_bucket_encryption(Bucket=inputs["bucket"], ServerSideEncryptionConfiguration={"Rules": rules})


def _encryption_read(aws: Aws, bucket: str, olds: Mapping[str, Any]) -> State | None:
    found = _missing(lambda: aws.s3.get_bucket_encryption(Bucket=bucket))
    if found is None:
        return None
    rules = []
    for rule in found["ServerSideEncryptionConfiguration"]["Rules"]:
        default = rule.get("ApplyServerSideEncryptionByDefault", {})
        by_default = {"sseAlgorithm": default.get("SSEAlgorithm")}
        if default.get("KMSMasterKeyID"):
            by_default["kmsMasterKeyId"] = default["KMSMasterKeyID"]
        rules.append(
            {
                "applyServerSideEncryptionByDefault": by_default,
                "bucketKeyEnabled": rule.get("BucketKeyEnabled", False),
            }
        )
    return {"bucket": bucket, "rules": rules}


def _versioning_put(aws: Aws, inputs: Mapping[str, Any]) -> None:
    status = inputs["versioningConfiguration"]["status"]
    aws.s3.put_bucket_versioning(Bucket=inputs["bucket"], VersioningConfiguration={"Status": status})


def _versioning_read(aws: Aws, bucket: str, olds: Mapping[str, Any]) -> State | None:
    if _missing(lambda: aws.s3.head_bucket(Bucket=bucket)) is None:
        return None
    status = aws.s3.get_bucket_versioning(Bucket=bucket).get("Status", "Disabled")
    return {"bucket": bucket, "versioningConfiguration": {"status": status}}


def _versioning_delete(aws: Aws, bucket: str) -> None:
    # terraform's delete suspends versioning: a bucket cannot go back to unversioned.
    if aws.s3.get_bucket_versioning(Bucket=bucket).get("Status") == "Enabled":
        aws.s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Suspended"})


_LIFECYCLE_FIELDS = (  # (pulumi name, AWS name, {pulumi field: AWS field})
    ("expiration", "Expiration", {"days": "Days"}),
    ("noncurrentVersionExpiration", "NoncurrentVersionExpiration", {"noncurrentDays": "NoncurrentDays"}),
    (
        "abortIncompleteMultipartUpload",
        "AbortIncompleteMultipartUpload",
        {"daysAfterInitiation": "DaysAfterInitiation"},
    ),
)


def _lifecycle_put(aws: Aws, inputs: Mapping[str, Any]) -> None:
    rules = []
    for rule in inputs["rules"]:
        aws_rule: dict[str, Any] = {"ID": rule["id"], "Status": rule["status"]}
        aws_rule["Filter"] = {"Prefix": (rule.get("filter") or {}).get("prefix") or ""}
        for name, aws_name, fields in _LIFECYCLE_FIELDS:
            if rule.get(name):
                aws_rule[aws_name] = {fields[key]: int(value) for key, value in rule[name].items()}
        rules.append(aws_rule)
    aws.s3.put_bucket_lifecycle_configuration(
        Bucket=inputs["bucket"], LifecycleConfiguration={"Rules": rules}
    )


def _lifecycle_read(aws: Aws, bucket: str, olds: Mapping[str, Any]) -> State | None:
    found = _missing(lambda: aws.s3.get_bucket_lifecycle_configuration(Bucket=bucket))
    if found is None:
        return None
    rules = []
    for aws_rule in found["Rules"]:
        rule: dict[str, Any] = {"id": aws_rule["ID"], "status": aws_rule["Status"]}
        rule["filter"] = {"prefix": (aws_rule.get("Filter") or {}).get("Prefix", "")}
        for name, aws_name, fields in _LIFECYCLE_FIELDS:
            if aws_rule.get(aws_name):
                rule[name] = {key: aws_rule[aws_name][aws_key] for key, aws_key in fields.items()}
        rules.append(rule)
    return {"bucket": bucket, "rules": rules}


def _policy_put(aws: Aws, inputs: Mapping[str, Any]) -> None:
    aws.s3.put_bucket_policy(Bucket=inputs["bucket"], Policy=inputs["policy"])


def _policy_read(aws: Aws, bucket: str, olds: Mapping[str, Any]) -> State | None:
    found = _missing(lambda: aws.s3.get_bucket_policy(Bucket=bucket))
    if found is None:
        return None
    return {"bucket": bucket, "policy": _json_as_stored(olds.get("policy"), found["Policy"])}


@dataclass(frozen=True)
class _BucketSide:
    """A bucket side resource: put on create and update, read back, removed on delete."""

    put: Callable[[Aws, Mapping[str, Any]], None]
    read_state: Callable[[Aws, str, Mapping[str, Any]], State | None]
    remove: Callable[[Aws, str], None]

    def create(self, aws: Aws, inputs: Mapping[str, Any]) -> tuple[str, State]:
        self.put(aws, inputs)
        return inputs["bucket"], {**inputs, "region": aws.config.region}

    def read(self, aws: Aws, resource_id: str, olds: Mapping[str, Any]) -> State | None:
        state = self.read_state(aws, resource_id, olds)
        return None if state is None else {**state, "region": aws.config.region}

    def update(self, aws: Aws, resource_id: str, olds: Mapping[str, Any], news: Mapping[str, Any]) -> State:
        self.put(aws, news)
        return {**news, "region": aws.config.region}

    def delete(self, aws: Aws, resource_id: str, olds: Mapping[str, Any]) -> None:
        try:
            self.remove(aws, resource_id)
        except ClientError as error:
            if error_code(error) != "NoSuchBucket":
                raise


# -- aws:iam/role:Role ---------------------------------------------------------------------------


def _role_outputs(role: Mapping[str, Any], olds: Mapping[str, Any]) -> State:
    tags = _tags(role.get("Tags"))
    return {
        "name": role["RoleName"],
        "path": role["Path"],
        "description": role.get("Description", ""),
        "assumeRolePolicy": _json_as_stored(olds.get("assumeRolePolicy"), role["AssumeRolePolicyDocument"]),
        "maxSessionDuration": role.get("MaxSessionDuration", 3600),
        "forceDetachPolicies": bool(olds.get("forceDetachPolicies")),
        "tags": tags,
        "tagsAll": tags,
        "arn": role["Arn"],
        "uniqueId": role["RoleId"],
        "createDate": role["CreateDate"].strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def role_create(aws: Aws, inputs: Mapping[str, Any]) -> tuple[str, State]:
    optional = {"Description": inputs["description"]} if inputs.get("description") else {}
    if inputs.get("tags"):
        optional["Tags"] = _tag_list(inputs["tags"])
    role = aws.iam.create_role(
        RoleName=inputs["name"],
        Path=inputs.get("path") or "/",
        AssumeRolePolicyDocument=inputs["assumeRolePolicy"],
        MaxSessionDuration=int(inputs.get("maxSessionDuration") or 3600),
        **optional,
    )["Role"]
    return role["RoleName"], role_read(aws, role["RoleName"], inputs) or {}


def role_read(aws: Aws, name: str, olds: Mapping[str, Any]) -> State | None:
    found = _missing(lambda: aws.iam.get_role(RoleName=name))
    return None if found is None else _role_outputs(found["Role"], olds)


def role_update(aws: Aws, name: str, olds: Mapping[str, Any], news: Mapping[str, Any]) -> State:
    if json.loads(olds.get("assumeRolePolicy") or "null") != json.loads(news["assumeRolePolicy"]):
        aws.iam.update_assume_role_policy(RoleName=name, PolicyDocument=news["assumeRolePolicy"])
    if (olds.get("description") or "") != (news.get("description") or ""):
        aws.iam.update_role_description(RoleName=name, Description=news.get("description") or "")
    if int(olds.get("maxSessionDuration") or 3600) != int(news.get("maxSessionDuration") or 3600):
        aws.iam.update_role(RoleName=name, MaxSessionDuration=int(news["maxSessionDuration"]))
    old_tags, new_tags = olds.get("tags") or {}, news.get("tags") or {}
    removed = sorted(set(old_tags) - set(new_tags))
    if removed:
        aws.iam.untag_role(RoleName=name, TagKeys=removed)
    if new_tags != old_tags and new_tags:
        aws.iam.tag_role(RoleName=name, Tags=_tag_list(new_tags))
    return role_read(aws, name, news) or {}


def role_delete(aws: Aws, name: str, olds: Mapping[str, Any]) -> None:
    if olds.get("forceDetachPolicies"):
        for policy in aws.iam.list_role_policies(RoleName=name)["PolicyNames"]:
            aws.iam.delete_role_policy(RoleName=name, PolicyName=policy)
        for attached in aws.iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]:
            aws.iam.detach_role_policy(RoleName=name, PolicyArn=attached["PolicyArn"])
    if _missing(lambda: aws.iam.delete_role(RoleName=name)) is None:
        return  # already gone, as terraform treats NoSuchEntity


# -- aws:iam/rolePolicy:RolePolicy: ID = role:name -----------------------------------------------


def role_policy_create(aws: Aws, inputs: Mapping[str, Any]) -> tuple[str, State]:
    aws.iam.put_role_policy(
        RoleName=inputs["role"], PolicyName=inputs["name"], PolicyDocument=inputs["policy"]
    )
    return f"{inputs['role']}:{inputs['name']}", dict(inputs)


def role_policy_read(aws: Aws, resource_id: str, olds: Mapping[str, Any]) -> State | None:
    role, _, name = resource_id.partition(":")
    found = _missing(lambda: aws.iam.get_role_policy(RoleName=role, PolicyName=name))
    if found is None:
        return None
    return {
        "role": role,
        "name": name,
        "policy": _json_as_stored(olds.get("policy"), found["PolicyDocument"]),
    }


def role_policy_update(aws: Aws, resource_id: str, olds: Mapping[str, Any], news: Mapping[str, Any]) -> State:
    return role_policy_create(aws, news)[1]


def role_policy_delete(aws: Aws, resource_id: str, olds: Mapping[str, Any]) -> None:
    role, _, name = resource_id.partition(":")
    _missing(lambda: aws.iam.delete_role_policy(RoleName=role, PolicyName=name))


@dataclass(frozen=True)
class Operations:
    create: Callable[[Aws, Mapping[str, Any]], tuple[str, State]]
    read: Callable[[Aws, str, Mapping[str, Any]], State | None]
    update: Callable[[Aws, str, Mapping[str, Any], Mapping[str, Any]], State]
    delete: Callable[[Aws, str, Mapping[str, Any]], None]


def _side(put: Any, read: Any, remove: Any) -> Operations:
    side = _BucketSide(put, read, remove)
    return Operations(side.create, side.read, side.update, side.delete)


OPERATIONS: dict[str, Operations] = {
    "aws:s3/bucket:Bucket": Operations(bucket_create, bucket_read, bucket_update, bucket_delete),
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": _side(
        _pab_put, _pab_read, lambda aws, bucket: aws.s3.delete_public_access_block(Bucket=bucket)
    ),
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": _side(
        _ownership_put,
        _ownership_read,
        lambda aws, bucket: aws.s3.delete_bucket_ownership_controls(Bucket=bucket),
    ),
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": _side(
        _encryption_put, _encryption_read, lambda aws, bucket: aws.s3.delete_bucket_encryption(Bucket=bucket)
    ),
    "aws:s3/bucketVersioning:BucketVersioning": _side(_versioning_put, _versioning_read, _versioning_delete),
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": _side(
        _lifecycle_put, _lifecycle_read, lambda aws, bucket: aws.s3.delete_bucket_lifecycle(Bucket=bucket)
    ),
    "aws:s3/bucketPolicy:BucketPolicy": _side(
        _policy_put, _policy_read, lambda aws, bucket: aws.s3.delete_bucket_policy(Bucket=bucket)
    ),
    "aws:iam/role:Role": Operations(role_create, role_read, role_update, role_delete),
    "aws:iam/rolePolicy:RolePolicy": Operations(
        role_policy_create, role_policy_read, role_policy_update, role_policy_delete
    ),
}
