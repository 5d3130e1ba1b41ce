"""An independent model of how IAM evaluates one identity-based policy, for the conditions moto ignores.

Written from the IAM User Guide, not from this project's code (sources in docs/hardening.md):

* "Policy evaluation logic": an explicit Deny wins, then any Allow, else the request is implicitly
  denied;
* "IAM JSON policy elements: Resource": ``*`` matches any run of characters (also none), ``?`` any
  one character, in every ARN segment, case-sensitively; actions match case-insensitively;
* "IAM policy elements: Variables and tags": ``${*}``, ``${?}`` and ``${$}`` stand for a literal
  ``*``, ``?`` and ``$``; any other ``${key}`` is replaced by the request's value of that key, and a
  key missing from the request makes the element match nothing;
* "IAM JSON policy elements: Condition operators": all operators and keys of a ``Condition`` must
  hold (AND), any one value of a key may match (OR); a key missing from the request fails a
  positive operator, passes a negated one, passes any ``...IfExists`` operator; ``Null: "true"``
  means the key is absent.

* "IAM JSON policy elements: Condition operators", ``Bool`` and ``Arn*``: ``Bool`` compares ``true`` /
  ``false``; ``ArnEquals`` and ``ArnLike`` both match each of the six colon-separated parts of an ARN
  with ``*``/``?`` wildcards, case-sensitively;
* "IAM JSON policy elements: Principal": ``"*"`` (or ``{"AWS": "*"}``) is everyone; an IAM ARN is that
  principal; an account ID or ``arn:...:iam::<account>:root`` is every principal of that account;
* "Cross-account policy evaluation logic": a role is assumed only if the caller's identity policies
  allow ``sts:AssumeRole`` on it *and* its trust policy allows the caller;
* which IAM action an S3 API call needs (:data:`S3_OPERATION_ACTIONS`): the "Permissions" section of
  each operation in the Amazon S3 API Reference, e.g. ListObjectsV2 needs ``s3:ListBucket`` (there
  is no action ``s3:ListObjectsV2``), with the condition keys S3 passes for it (``s3:prefix``,
  ``s3:delimiter``, the ACL headers). Sources and the moto gaps this replaces: docs/iam-model.md.

Only the operators, principals and S3 operations this project's tests use are modelled; any other
raises, so the model never judges what it does not know. moto's evaluator is no substitute: it ignores
every operator except ``StringEquals``, never passes S3 or KMS condition keys, and which action it
checks for an S3 call changed between releases (5.2.6 checks ListObjectsV2 as ``s3:ListObjectsV2``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any, Literal

Decision = Literal["allow", "explicit-deny", "implicit-deny"]

_LITERAL_VARIABLES = {"${*}": "*", "${?}": "?", "${$}": "$"}
_VARIABLE = re.compile(r"\$\{([^}]*)\}")


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def wildcard_match(pattern: str, value: str, *, ignore_case: bool = False) -> bool:
    """IAM's ``*``/``?`` matching; every other character is literal."""
    parts = []
    for char in pattern:
        parts.append(".*" if char == "*" else "." if char == "?" else re.escape(char))
    flags = re.DOTALL | (re.IGNORECASE if ignore_case else 0)
    return re.fullmatch("".join(parts), value, flags) is not None


def _resource_matches(pattern: str, resource: str, context: Mapping[str, str]) -> bool:
    """Substitute policy variables, keeping the literal ones literal, then match with wildcards."""
    pieces: list[tuple[str, bool]] = []  # (text, is_literal)
    position = 0
    for found in _VARIABLE.finditer(pattern):
        pieces.append((pattern[position : found.start()], False))
        token = found.group(0)
        if token in _LITERAL_VARIABLES:
            pieces.append((_LITERAL_VARIABLES[token], True))
        else:
            value = _context_value(context, found.group(1))
            if value is None:
                return False
            pieces.append((value, True))
        position = found.end()
    pieces.append((pattern[position:], False))
    regex = "".join(
        re.escape(text)
        if literal
        else "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in text)
        for text, literal in pieces
    )
    return re.fullmatch(regex, resource, re.DOTALL) is not None


def _context_value(context: Mapping[str, str], key: str) -> str | None:
    """Condition key names are case-insensitive."""
    for name, value in context.items():
        if name.lower() == key.lower():
            return value
    return None


def _arn_match(pattern: str, value: str) -> bool:
    """``ArnLike``/``ArnEquals``: each of the six colon-separated parts matched on its own."""
    wanted, actual = pattern.split(":", 5), value.split(":", 5)
    return len(wanted) == len(actual) == 6 and all(map(wildcard_match, wanted, actual))


# base operator -> (does one policy value match the request's value?, negated)
_OPERATORS: dict[str, tuple[Any, bool]] = {
    "StringEquals": (lambda wanted, actual: wanted == actual, False),
    "StringNotEquals": (lambda wanted, actual: wanted == actual, True),
    "StringLike": (wildcard_match, False),
    "StringNotLike": (wildcard_match, True),
    "Bool": (lambda wanted, actual: wanted.lower() == actual.lower(), False),
    "ArnEquals": (_arn_match, False),
    "ArnLike": (_arn_match, False),
    "ArnNotEquals": (_arn_match, True),
    "ArnNotLike": (_arn_match, True),
}


def _operator(operator: str) -> tuple[Any, bool, bool]:
    """(matcher, negated, if_exists) for a modelled condition operator."""
    if_exists = operator.endswith("IfExists")
    base = operator.removesuffix("IfExists")
    if base not in _OPERATORS:
        raise NotImplementedError(f"the model does not know the condition operator {operator}")
    matcher, negated = _OPERATORS[base]
    return matcher, negated, if_exists


def _condition_holds(operator: str, key: str, values: Any, context: Mapping[str, str]) -> bool:
    actual = _context_value(context, key)
    if operator == "Null":
        (wanted,) = _as_list(values)
        return (actual is None) == (str(wanted).lower() == "true")
    matcher, negated, if_exists = _operator(operator)
    if actual is None:
        return if_exists or negated
    matched = any(matcher(str(value), actual) for value in _as_list(values))
    return not matched if negated else matched


def _conditions_hold(statement: Mapping[str, Any], context: Mapping[str, str]) -> bool:
    return all(
        _condition_holds(operator, key, values, context)
        for operator, block in statement.get("Condition", {}).items()
        for key, values in block.items()
    )


def _statement_applies(
    statement: Mapping[str, Any], action: str, resource: str, context: Mapping[str, str]
) -> bool:
    if "NotAction" in statement or "NotResource" in statement or "Principal" in statement:
        raise NotImplementedError("the model covers identity policies with Action and Resource only")
    if not any(wildcard_match(a, action, ignore_case=True) for a in _as_list(statement["Action"])):
        return False
    if not any(_resource_matches(r, resource, context) for r in _as_list(statement["Resource"])):
        return False
    return _conditions_hold(statement, context)


def evaluate(
    policy: Mapping[str, Any], action: str, resource: str, context: Mapping[str, str] | None = None
) -> Decision:
    """The decision for one request against one identity-based policy (no SCPs, no boundaries)."""
    if policy.get("Version") != "2012-10-17":
        raise NotImplementedError("only policy language version 2012-10-17 has policy variables")
    context = dict(context or {})
    applying = [s for s in _as_list(policy["Statement"]) if _statement_applies(s, action, resource, context)]
    if any(s["Effect"] == "Deny" for s in applying):
        return "explicit-deny"
    return "allow" if any(s["Effect"] == "Allow" for s in applying) else "implicit-deny"


def allowed(
    policy: Mapping[str, Any], action: str, resource: str, context: Mapping[str, str] | None = None
) -> bool:
    return evaluate(policy, action, resource, context) == "allow"


def evaluate_identity(
    policies: Iterable[Mapping[str, Any]],
    action: str,
    resource: str,
    context: Mapping[str, str] | None = None,
) -> Decision:
    """The decision of all identity policies of one principal together: a Deny in any wins, then an
    Allow in any ("Policy evaluation logic")."""
    decisions = {evaluate(policy, action, resource, context) for policy in policies}
    for decision in ("explicit-deny", "allow"):
        if decision in decisions:
            return decision  # type: ignore[return-value]
    return "implicit-deny"


def _principal_matches(element: Any, principal_arn: str | None) -> bool:
    """A ``Principal`` element against the caller's ARN (IAM user or role, or an assumed-role session);
    ``None``: the caller is unknown, so only a statement for everyone can be judged."""
    if element == "*" or element == {"AWS": "*"}:
        return True
    if not isinstance(element, Mapping) or set(element) - {"AWS"}:
        raise NotImplementedError(f"the model knows only AWS principals, not {element!r}")
    if principal_arn is None:
        raise NotImplementedError(f"the caller is unknown, so the principal {element!r} cannot be judged")
    account = principal_arn.split(":")[4]
    for named in _as_list(element["AWS"]):
        if named in ("*", principal_arn, account) or named.endswith(f":iam::{account}:root"):
            return True
    return False


def evaluate_resource_policy(
    policy: Mapping[str, Any],
    principal_arn: str | None,
    action: str,
    resource: str,
    context: Mapping[str, str] | None = None,
) -> Decision:
    """A resource-based policy (a bucket policy) for one request: statements name a ``Principal``."""
    if policy.get("Version") != "2012-10-17":
        raise NotImplementedError("only policy language version 2012-10-17")
    context = dict(context or {})
    applying = []
    for statement in _as_list(policy["Statement"]):
        if "NotPrincipal" in statement or "NotAction" in statement or "NotResource" in statement:
            raise NotImplementedError("the model covers Principal, Action and Resource only")
        if not _principal_matches(statement.get("Principal"), principal_arn):
            continue
        without_principal = {k: v for k, v in statement.items() if k != "Principal"}
        if _statement_applies(without_principal, action, resource, context):
            applying.append(statement)
    if any(s["Effect"] == "Deny" for s in applying):
        return "explicit-deny"
    return "allow" if any(s["Effect"] == "Allow" for s in applying) else "implicit-deny"


def trust_allows(trust: Mapping[str, Any], principal_arn: str, context: Mapping[str, str]) -> bool:
    """Does this role trust policy let ``principal_arn`` call ``sts:AssumeRole`` with ``context``
    (``sts:ExternalId`` when the caller sends one)? Trust statements have no ``Resource``."""
    if trust.get("Version") != "2012-10-17":
        raise NotImplementedError("only policy language version 2012-10-17")
    applying = []
    for statement in _as_list(trust["Statement"]):
        if "NotAction" in statement or "NotPrincipal" in statement or "Resource" in statement:
            raise NotImplementedError("the model covers trust statements with Principal and Action only")
        if not any(
            wildcard_match(a, "sts:AssumeRole", ignore_case=True) for a in _as_list(statement["Action"])
        ):
            continue
        if _principal_matches(statement.get("Principal"), principal_arn) and _conditions_hold(
            statement, context
        ):
            applying.append(statement)
    if any(s["Effect"] == "Deny" for s in applying):
        return False
    return any(s["Effect"] == "Allow" for s in applying)


def put_object_allowed(policy: Mapping[str, Any], object_arn: str, headers: Mapping[str, str]) -> bool:
    """A PUT Object: ``s3:PutObject``, and also ``s3:PutObjectAcl`` when it carries any ACL header
    (Amazon S3 API Reference, PutObject, "Permissions"). ``headers`` are the request's ACL headers
    by header name, e.g. ``{"x-amz-acl": "private"}``; each becomes the ``s3:<header>`` key."""
    context = {f"s3:{name.lower()}": value for name, value in headers.items()}
    if not allowed(policy, "s3:PutObject", object_arn, context):
        return False
    return not context or allowed(policy, "s3:PutObjectAcl", object_arn, context)


def web_identity_allowed(trust: Mapping[str, Any], provider_arn: str, claims: Mapping[str, str]) -> bool:
    """Would ``sts:AssumeRoleWithWebIdentity`` with a token from ``provider_arn`` carrying ``claims``
    pass this role trust policy? ``claims`` are condition keys as IAM names them
    (``token.actions.githubusercontent.com:sub``); a claim IAM does not pass is simply absent, which
    fails a positive operator. Same rules as ``evaluate``: Deny wins, then any Allow."""
    if trust.get("Version") != "2012-10-17":
        raise NotImplementedError("only policy language version 2012-10-17")
    applying = []
    for statement in _as_list(trust["Statement"]):
        if "NotAction" in statement or "NotPrincipal" in statement:
            raise NotImplementedError("the model covers Principal and Action only")
        federated = _as_list(statement.get("Principal", {}).get("Federated", []))
        if provider_arn not in federated:
            continue
        if not any(
            wildcard_match(a, "sts:AssumeRoleWithWebIdentity", ignore_case=True)
            for a in _as_list(statement["Action"])
        ):
            continue
        if _conditions_hold(statement, claims):
            applying.append(statement)
    if any(s["Effect"] == "Deny" for s in applying):
        return False
    return any(s["Effect"] == "Allow" for s in applying)


# The IAM action each S3 API operation needs: the "Permissions" section of the operation's page in the
# Amazon S3 API Reference (https://docs.aws.amazon.com/AmazonS3/latest/API/API_<Operation>.html), for
# general purpose buckets. Several operations share one action, and an action is rarely named after
# its operation: ListObjectsV2 and HeadBucket need s3:ListBucket, GetBucketEncryption
# s3:GetEncryptionConfiguration. Only the operations this project's tests call are listed.
S3_OPERATION_ACTIONS: dict[str, str] = {
    "ListBuckets": "s3:ListAllMyBuckets",
    "CreateBucket": "s3:CreateBucket",
    "DeleteBucket": "s3:DeleteBucket",
    "HeadBucket": "s3:ListBucket",
    "ListObjects": "s3:ListBucket",
    "ListObjectsV2": "s3:ListBucket",
    "ListObjectVersions": "s3:ListBucketVersions",
    "GetBucketLocation": "s3:GetBucketLocation",
    "GetBucketPolicy": "s3:GetBucketPolicy",
    "PutBucketPolicy": "s3:PutBucketPolicy",
    "DeleteBucketPolicy": "s3:DeleteBucketPolicy",
    "GetPublicAccessBlock": "s3:GetBucketPublicAccessBlock",
    "PutPublicAccessBlock": "s3:PutBucketPublicAccessBlock",
    "GetBucketOwnershipControls": "s3:GetBucketOwnershipControls",
    "PutBucketOwnershipControls": "s3:PutBucketOwnershipControls",
    "GetBucketEncryption": "s3:GetEncryptionConfiguration",
    "PutBucketEncryption": "s3:PutEncryptionConfiguration",
    "GetBucketVersioning": "s3:GetBucketVersioning",
    "PutBucketVersioning": "s3:PutBucketVersioning",
    "GetBucketLifecycleConfiguration": "s3:GetLifecycleConfiguration",
    "PutBucketLifecycleConfiguration": "s3:PutLifecycleConfiguration",
    "GetBucketTagging": "s3:GetBucketTagging",
    "PutBucketTagging": "s3:PutBucketTagging",
    "GetObject": "s3:GetObject",
    "HeadObject": "s3:GetObject",
    "PutObject": "s3:PutObject",
    "PutObjectAcl": "s3:PutObjectAcl",
    "GetObjectAcl": "s3:GetObjectAcl",
    "DeleteObject": "s3:DeleteObject",
}
_LIST_KEYS = {"prefix": "s3:prefix", "delimiter": "s3:delimiter", "max-keys": "s3:max-keys"}
_ACL_HEADERS = ("x-amz-acl", "x-amz-grant-")


def s3_authorizations(
    operation: str,
    bucket: str | None,
    key: str | None = None,
    query: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
    partition: str = "aws",
) -> list[tuple[str, str, dict[str, str]]]:
    """What AWS authorizes for one S3 call, as (action, resource, S3 condition keys); every one must be
    allowed. Listing passes ``s3:prefix``/``s3:delimiter``/``s3:max-keys`` when the request has the
    parameter ("Amazon S3 condition key examples"); a PUT Object or PUT Object ACL passes each ACL
    header as ``s3:<header>``, and a PUT Object with one also needs ``s3:PutObjectAcl`` (PutObject,
    "Permissions")."""
    if operation not in S3_OPERATION_ACTIONS:
        raise NotImplementedError(f"the model does not know which action S3 {operation} needs")
    action = S3_OPERATION_ACTIONS[operation]
    if operation == "ListBuckets":
        return [(action, "*", {})]
    resource = f"arn:{partition}:s3:::{bucket}" + (f"/{key}" if key is not None else "")
    context: dict[str, str] = {}
    if operation in ("ListObjects", "ListObjectsV2", "ListObjectVersions"):
        context = {name: (query or {})[param] for param, name in _LIST_KEYS.items() if param in (query or {})}
    if operation in ("PutObject", "PutObjectAcl"):
        lowered = {name.lower(): value for name, value in (headers or {}).items()}
        context = {f"s3:{name}": value for name, value in lowered.items() if name.startswith(_ACL_HEADERS)}
    needed = [(action, resource, context)]
    if operation == "PutObject" and context:
        needed.append(("s3:PutObjectAcl", resource, context))
    return needed
