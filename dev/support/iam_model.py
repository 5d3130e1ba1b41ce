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

Only the operators this project's policies use are modelled; any other raises, so the model never
judges what it does not know. moto's evaluator is no substitute: it ignores every operator except
``StringEquals`` and never passes S3 or KMS condition keys (docs/hardening.md).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
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


def _string_op(operator: str) -> tuple[bool, bool, bool]:
    """(like, negated, if_exists) for a String* operator."""
    if_exists = operator.endswith("IfExists")
    base = operator.removesuffix("IfExists")
    known = {"StringEquals": (False, False), "StringNotEquals": (False, True)}
    known |= {"StringLike": (True, False), "StringNotLike": (True, True)}
    if base not in known:
        raise NotImplementedError(f"the model does not know the condition operator {operator}")
    like, negated = known[base]
    return like, negated, if_exists


def _condition_holds(operator: str, key: str, values: Any, context: Mapping[str, str]) -> bool:
    actual = _context_value(context, key)
    if operator == "Null":
        (wanted,) = _as_list(values)
        return (actual is None) == (str(wanted).lower() == "true")
    like, negated, if_exists = _string_op(operator)
    if actual is None:
        return if_exists or negated
    matched = any(
        wildcard_match(str(value), actual) if like else str(value) == actual for value in _as_list(values)
    )
    return not matched if negated else matched


def _statement_applies(
    statement: Mapping[str, Any], action: str, resource: str, context: Mapping[str, str]
) -> bool:
    if "NotAction" in statement or "NotResource" in statement or "Principal" in statement:
        raise NotImplementedError("the model covers identity policies with Action and Resource only")
    if not any(wildcard_match(a, action, ignore_case=True) for a in _as_list(statement["Action"])):
        return False
    if not any(_resource_matches(r, resource, context) for r in _as_list(statement["Resource"])):
        return False
    return all(
        _condition_holds(operator, key, values, context)
        for operator, block in statement.get("Condition", {}).items()
        for key, values in block.items()
    )


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
        if all(
            _condition_holds(operator, key, values, claims)
            for operator, block in statement.get("Condition", {}).items()
            for key, values in block.items()
        ):
            applying.append(statement)
    if any(s["Effect"] == "Deny" for s in applying):
        return False
    return any(s["Effect"] == "Allow" for s in applying)
