"""moto as AWS's API and identity store, ``dev/support/iam_model.py`` as the judge of every IAM decision.

moto's own authorizer is not AWS-faithful (docs/iam-model.md): it ignores most condition operators and
every S3 and KMS condition key, and which action it checks for an S3 call changed between releases
(5.2.5 checks ListObjectsV2 as ``s3:ListBucket``, as AWS does; 5.2.6 as ``s3:ListObjectsV2``, which
AWS does not have). While :func:`model_authorization` is active, each request moto authorizes (with
IAM enforcement on) is decided by the model instead; moto still authenticates the caller (access
key, signature, session token), keeps the users, roles and policies, and serves the API:

- the caller's identity policies are the ones moto stores for it (inline and attached, of the user or
  of the assumed role);
- S3: which operation the HTTP request is (:func:`s3_operation`, from the S3 API Reference's request
  syntax) and what that operation needs (``iam_model.s3_authorizations``: action, resource and the
  condition keys ``s3:prefix``, ``s3:x-amz-acl``, ...);
- IAM and STS: the action is the API operation's name (IAM's and STS's actions are named after their
  operations) on the resource moto determines (the role's ARN for role operations and AssumeRole,
  otherwise ``*``);
- ``sts:AssumeRole`` also needs the role's trust policy to allow the caller, with ``sts:ExternalId``
  when sent; the role is looked up in its own account (moto skips cross-account trust);
- bucket policies, which moto consults for object calls (even with enforcement off), are judged by
  the model too, with ``aws:SecureTransport`` as :attr:`Judge.secure_transport`.

Every decision is recorded in :attr:`Judge.decisions`, so a test can show that the model decided.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from dev.support import iam_model

# Parameters that select an S3 subresource, by (method, bucket-level?) -> {parameter: operation}.
_SUBRESOURCES: dict[tuple[str, bool], dict[str, str]] = {
    ("GET", True): {
        "location": "GetBucketLocation",
        "versions": "ListObjectVersions",
        "publicAccessBlock": "GetPublicAccessBlock",
        "ownershipControls": "GetBucketOwnershipControls",
        "encryption": "GetBucketEncryption",
        "policy": "GetBucketPolicy",
        "versioning": "GetBucketVersioning",
        "lifecycle": "GetBucketLifecycleConfiguration",
        "tagging": "GetBucketTagging",
    },
    ("PUT", True): {
        "publicAccessBlock": "PutPublicAccessBlock",
        "ownershipControls": "PutBucketOwnershipControls",
        "encryption": "PutBucketEncryption",
        "policy": "PutBucketPolicy",
        "versioning": "PutBucketVersioning",
        "lifecycle": "PutBucketLifecycleConfiguration",
        "tagging": "PutBucketTagging",
    },
    ("DELETE", True): {"policy": "DeleteBucketPolicy"},
    ("GET", False): {"acl": "GetObjectAcl"},
    ("PUT", False): {"acl": "PutObjectAcl"},
}
# Without a subresource parameter.
_PLAIN = {
    ("PUT", True): "CreateBucket",
    ("DELETE", True): "DeleteBucket",
    ("HEAD", True): "HeadBucket",
    ("GET", False): "GetObject",
    ("HEAD", False): "HeadObject",
    ("PUT", False): "PutObject",
    ("DELETE", False): "DeleteObject",
}
# Request parameters that select no subresource (listing options, SDK hints, versions).
_OPTIONS = {
    "list-type",
    "prefix",
    "delimiter",
    "max-keys",
    "continuation-token",
    "encoding-type",
    "fetch-owner",
    "start-after",
    "marker",
    "x-id",
    "versionId",
}


def s3_operation(method: str, bucket: str | None, key: str | None, query: Mapping[str, str]) -> str:
    """The S3 API operation an HTTP request is (each operation's "Request Syntax" in the S3 API
    Reference), for the operations :data:`iam_model.S3_OPERATION_ACTIONS` knows; any other raises."""
    method = method.upper()
    if bucket is None:
        if method == "GET":
            return "ListBuckets"
        raise NotImplementedError(f"{method} / is not an S3 operation the model knows")
    on_bucket = key is None
    subresources = _SUBRESOURCES.get((method, on_bucket), {})
    selected = [subresources[name] for name in query if name in subresources]
    unknown = sorted(name for name in query if name not in subresources and name not in _OPTIONS)
    if unknown or len(selected) > 1:
        raise NotImplementedError(
            f"S3 {method} with {unknown or selected} is not an operation the model knows"
        )
    if selected:
        return selected[0]
    if on_bucket and method == "GET":
        return "ListObjectsV2" if query.get("list-type") == "2" else "ListObjects"
    if (method, on_bucket) not in _PLAIN:
        raise NotImplementedError(f"S3 {method} on a {'bucket' if on_bucket else 'key'} is not modelled")
    return _PLAIN[(method, on_bucket)]


@dataclass(frozen=True)
class Decision:
    """One authorization the model decided for moto."""

    principal: str
    action: str
    resource: str
    context: Mapping[str, str]
    allowed: bool


@dataclass
class Judge:
    """The model's seat in moto: ``secure_transport`` is what ``aws:SecureTransport`` says."""

    secure_transport: bool
    decisions: list[Decision] = field(default_factory=list)

    def context(self, keys: Mapping[str, str]) -> dict[str, str]:
        secure = self.secure_transport or _TLS_VIEWS[0] > 0
        return {"aws:SecureTransport": "true" if secure else "false", **keys}


_JUDGES: list[Judge] = []
_TLS_VIEWS = [0]  # how many tls_client_view() are active (in any thread)


@contextmanager
def tls_client_view() -> Iterator[None]:
    """Every judge, active now or later, judges requests as from a client that uses TLS."""
    _TLS_VIEWS[0] += 1
    try:
        yield
    finally:
        _TLS_VIEWS[0] -= 1


def active_judge() -> Judge:
    """The innermost :func:`model_authorization` in effect."""
    if not _JUDGES:
        raise RuntimeError("no model_authorization() is active: moto would judge by itself")
    return _JUDGES[-1]


def _document(policy: Any) -> dict[str, Any]:
    """A policy moto stores (managed policy object, inline document, or its dict) as a document."""
    from moto.iam.models import Policy

    if isinstance(policy, Policy):
        return json.loads(next(v.document for v in policy.versions if v.is_default))
    return json.loads(policy if isinstance(policy, str) else policy["policy_document"])


def _needed(request: Any, resource: str) -> list[tuple[str, str, dict[str, str]]]:
    """(action, resource, condition keys) the request needs, by the model's rules."""
    service = request._service
    if service == "s3":
        partition = resource.split(":")[1]
        bucket, _, key = resource.split(":::", 1)[1].partition("/")
        parts = urlsplit(request._path)
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        operation = s3_operation(request._method, None if bucket == "*" else bucket, key or None, query)
        headers = {str(name): str(value) for name, value in request._headers.items()}
        return iam_model.s3_authorizations(operation, bucket, key or None, query, headers, partition)
    if service in ("iam", "sts"):
        keys = {}
        if request._action == "sts:AssumeRole" and "ExternalId" in request._data:
            keys["sts:ExternalId"] = _first(request._data["ExternalId"])
        return [(request._action, resource, keys)]
    raise NotImplementedError(f"the model does not judge {service} requests")


def _first(value: Any) -> str:
    return str(value[0] if isinstance(value, list) else value)


def _trusted(request: Any, role_arn: str, principal: str, context: Mapping[str, str]) -> bool:
    """The role's trust policy, from the role's own account."""
    from moto.iam.models import iam_backends

    account, partition = role_arn.split(":")[4], role_arn.split(":")[1]
    role = iam_backends[account][partition].get_role_by_arn(role_arn)
    return iam_model.trust_allows(json.loads(role.assume_role_policy_document), principal, context)


def _check_action_permitted(request: Any, resource: str) -> None:
    """Replaces moto's ``IAMRequestBase.check_action_permitted`` while a judge is active."""
    if request._action == "sts:GetCallerIdentity":
        return  # "No permissions are required to perform this operation" (GetCallerIdentity)
    judge = active_judge()
    principal = request._access_key.arn
    policies = [_document(policy) for policy in request._access_key.collect_policies()]
    for action, target, keys in _needed(request, resource):
        context = judge.context(keys)
        allowed = iam_model.evaluate_identity(policies, action, target, context) == "allow"
        if allowed and action == "sts:AssumeRole":
            allowed = _trusted(request, target, principal, context)
        judge.decisions.append(Decision(principal, action, target, keys, allowed))
        if not allowed:
            request._raise_access_denied()


# moto names the bucket-policy action after the HTTP method; HEAD Object needs s3:GetObject.
_BUCKET_POLICY_ACTIONS = {"s3:HeadObject": "s3:GetObject"}


def _bucket_permission(bucket: Any, action: str, resource: str) -> Any:
    """Replaces moto's ``FakeBucket.get_permission``: the bucket policy for an object call, for a
    caller moto does not name (so only statements for everyone can be judged)."""
    from moto.iam.access_control import PermissionResult

    if bucket.policy is None:
        return PermissionResult.NEUTRAL
    judge = active_judge()
    action = _BUCKET_POLICY_ACTIONS.get(action, action)
    policy = json.loads(bucket.policy.decode() if isinstance(bucket.policy, bytes) else bucket.policy)
    decision = iam_model.evaluate_resource_policy(policy, None, action, resource, judge.context({}))
    judge.decisions.append(Decision("(bucket policy)", action, resource, {}, decision == "allow"))
    return {
        "explicit-deny": PermissionResult.DENIED,
        "allow": PermissionResult.PERMITTED,
    }.get(decision, PermissionResult.NEUTRAL)


@contextmanager
def model_authorization(*, secure_transport: bool = True) -> Iterator[Judge]:
    """While active, the model decides every authorization moto makes (see the module docstring).
    ``secure_transport``: in-process moto is reached over ``https://`` URLs, a moto server over plain
    HTTP; :func:`tls_client_view` makes every judge see TLS."""
    from moto.iam.access_control import IAMRequestBase
    from moto.s3.models import FakeBucket

    judge = Judge(secure_transport)
    saved = IAMRequestBase.check_action_permitted, FakeBucket.get_permission
    IAMRequestBase.check_action_permitted = _check_action_permitted  # type: ignore[method-assign]
    FakeBucket.get_permission = _bucket_permission  # type: ignore[method-assign]
    _JUDGES.append(judge)
    try:
        yield judge
    finally:
        _JUDGES.remove(judge)
        IAMRequestBase.check_action_permitted, FakeBucket.get_permission = saved  # type: ignore[method-assign]


@contextmanager
def enforced_by_model(*, secure_transport: bool = True) -> Iterator[Judge]:
    """In-process moto with IAM enforcement on, every decision taken by the model."""
    from moto.core.authorization import enable_iam_authentication

    with enable_iam_authentication(), model_authorization(secure_transport=secure_transport) as judge:
        yield judge
