"""Would AWS let this principal assume the role? A small, pure evaluator of role trust policies.

Two places need the answer and neither can ask AWS for it: the IAM policy simulator ignores trust
policies for ``sts:Assume*`` actions (aws/aws-cli#10314), and moto does not enforce cross-account trust
at all. This module decides one ``sts:AssumeRole`` request (a principal ARN, an optional external ID)
against a trust policy, following the IAM evaluation rules that matter for it (docs/export-tasks.md,
"Trust policy evaluation"):

- an explicit ``Deny`` that applies wins; otherwise at least one ``Allow`` must apply;
- ``Principal``: ``"*"``, the exact principal ARN, or its account (``<id>`` or ``arn:…:root``);
  wildcards inside an ARN never match (IAM refuses to store them);
- ``Action``/``NotAction`` with ``*``/``?`` wildcards, case-insensitive;
- ``Condition``: the string, ARN, ``Bool`` and ``Null`` operators with ``…IfExists``, on the context keys
  ``sts:ExternalId``, ``aws:PrincipalArn``, ``aws:PrincipalAccount``, ``aws:PrincipalType`` and
  ``aws:SecureTransport`` (always ``true``: STS endpoints accept only HTTPS). A key
  missing from the request fails a positive operator and satisfies a negated one. Any other operator
  is *unsupported*: the statement is treated as not applying for Allow and as applying for Deny, and
  the reason says so (the safe direction for both).

The result carries a readable reason, which the emulator reports as its trust diagnosis and the
verify command prints.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

ASSUME_ROLE = "sts:AssumeRole"
EXTERNAL_ID_KEY = "sts:ExternalId"

_ARN = re.compile(
    r"^arn:(?P<partition>aws(?:-[a-z]+)*):iam::(?P<account>\d{12}):(?P<kind>[a-z-]+)/(?P<name>.+)$"
)
_POSITIVE_STRING = {
    "stringequals": lambda value, pattern: value == pattern,
    "stringequalsignorecase": lambda value, pattern: value.lower() == pattern.lower(),
    "stringlike": lambda value, pattern: _wildcard(pattern).fullmatch(value) is not None,
    "arnequals": lambda value, pattern: value == pattern,
    "arnlike": lambda value, pattern: _wildcard(pattern).fullmatch(value) is not None,
    "bool": lambda value, pattern: value.lower() == pattern.lower(),
}
_NEGATED = {
    "stringnotequals": "stringequals",
    "stringnotequalsignorecase": "stringequalsignorecase",
    "stringnotlike": "stringlike",
    "arnnotequals": "arnequals",
    "arnnotlike": "arnlike",
}


@dataclass(frozen=True)
class AssumeRoleRequest:
    """One ``sts:AssumeRole`` call as IAM sees it."""

    principal_arn: str
    external_id: str | None = None
    action: str = ASSUME_ROLE

    def context(self) -> dict[str, str]:
        """Request context keys (lower-case names, as IAM compares key names case-insensitively)."""
        values = {"aws:principalarn": self.principal_arn, "aws:securetransport": "true"}
        match = _ARN.match(self.principal_arn)
        if match:
            values["aws:principalaccount"] = match["account"]
            values["aws:principaltype"] = {"user": "User", "role": "AssumedRole"}.get(match["kind"], "")
        if self.external_id is not None:
            values[EXTERNAL_ID_KEY.lower()] = self.external_id
        return values


@dataclass(frozen=True)
class TrustDecision:
    """``allowed`` plus why, in words a user can act on."""

    allowed: bool
    reason: str


def parse_policy(document: Any) -> dict[str, Any]:
    """A policy as a dict, from a dict, JSON text, or the URL-encoded JSON the raw IAM API returns."""
    if isinstance(document, Mapping):
        return dict(document)
    if isinstance(document, str):
        text = document.strip()
        if text.startswith("%7B") or text.startswith("%7b"):
            text = unquote(text)
        parsed = json.loads(text)
        if isinstance(parsed, dict):
            return parsed
    raise ValueError("a policy document must be a JSON object")


def statements(policy: Mapping[str, Any]) -> list[dict[str, Any]]:
    """``Statement`` as a list (IAM also accepts a single object)."""
    raw = policy.get("Statement", [])
    items = [raw] if isinstance(raw, Mapping) else list(raw) if isinstance(raw, list) else []
    return [dict(item) for item in items if isinstance(item, Mapping)]


def evaluate_assume_role(policy_document: Any, request: AssumeRoleRequest) -> TrustDecision:
    """Decide ``request`` against a role trust policy (see the module docstring for the rules)."""
    try:
        policy = parse_policy(policy_document)
    except (ValueError, TypeError) as error:
        return TrustDecision(False, f"the trust policy is not valid JSON ({error})")
    context = request.context()
    allowed_by: str | None = None
    misses: list[str] = []
    for index, statement in enumerate(statements(policy)):
        label = _label(statement, index)
        effect = statement.get("Effect")
        applies, why = _applies(statement, request, context, deny=effect == "Deny")
        if effect == "Deny" and applies:
            return TrustDecision(False, f"{label} explicitly denies it{': ' + why if why else ''}")
        if effect == "Allow":
            if applies and allowed_by is None:
                allowed_by = label
            elif not applies:
                misses.append(f"{label}: {why}")
    if allowed_by is not None:
        return TrustDecision(True, f"{allowed_by} allows {request.principal_arn} to {request.action}")
    if not misses:
        return TrustDecision(False, "the trust policy has no Allow statement")
    return TrustDecision(False, "no statement allows it; " + "; ".join(misses))


def _label(statement: Mapping[str, Any], index: int) -> str:
    sid = statement.get("Sid")
    return f"statement {index + 1}" + (f" ({sid})" if sid else "")


def _applies(
    statement: Mapping[str, Any], request: AssumeRoleRequest, context: Mapping[str, str], *, deny: bool
) -> tuple[bool, str]:
    """Whether the statement matches the request, and if not (or only partly) why."""
    if "NotAction" in statement:
        if _any_action_matches(statement["NotAction"], request.action):
            return False, f"NotAction excludes {request.action}"
    elif not _any_action_matches(statement.get("Action", []), request.action):
        return False, f"Action {_show(statement.get('Action'))} does not include {request.action}"
    if "NotPrincipal" in statement:
        if _principal_matches(statement["NotPrincipal"], request.principal_arn):
            return False, f"NotPrincipal excludes {request.principal_arn}"
    elif not _principal_matches(statement.get("Principal"), request.principal_arn):
        return False, f"Principal {_show(statement.get('Principal'))} is not {request.principal_arn}"
    condition = statement.get("Condition") or {}
    if not isinstance(condition, Mapping):
        return False, "Condition is not an object"
    for operator, keys in condition.items():
        holds, why = _condition_holds(str(operator), keys, context)
        if holds is None:
            # Unsupported operator: assume the worst for the decision being made.
            return deny, why
        if not holds:
            return False, why
    return True, ""


def _any_action_matches(actions: Any, action: str) -> bool:
    return any(_wildcard(pattern, ignore_case=True).fullmatch(action) for pattern in _strings(actions))


def _principal_matches(principal: Any, principal_arn: str) -> bool:
    if principal == "*":
        return True
    if not isinstance(principal, Mapping):
        return False
    match = _ARN.match(principal_arn)
    for candidate in _strings(principal.get("AWS", [])):
        if candidate in ("*", principal_arn):
            return True
        if match and candidate in (
            match["account"],
            f"arn:{match['partition']}:iam::{match['account']}:root",
        ):
            return True
    return False


def _condition_holds(operator: str, keys: Any, context: Mapping[str, str]) -> tuple[bool | None, str]:
    """``(True|False, why)`` for a supported operator, ``(None, why)`` for an unsupported one."""
    name = operator.lower()
    if_exists = name.endswith("ifexists")
    base = name.removesuffix("ifexists")
    if not isinstance(keys, Mapping):
        return False, f"Condition {operator} is not an object"
    for key, expected in keys.items():
        wanted = _strings(expected)
        actual = context.get(str(key).lower())
        if base == "null" and not if_exists:
            is_null = actual is None
            if not any((value.lower() == "true") == is_null for value in wanted):
                return (
                    False,
                    f"Null {key} = {_show(expected)} but {key} is {'absent' if is_null else 'present'}",
                )
            continue
        if base in _POSITIVE_STRING:
            test, negated = _POSITIVE_STRING[base], False
        elif base in _NEGATED:
            test, negated = _POSITIVE_STRING[_NEGATED[base]], True
        else:
            return None, f"condition operator {operator} is not supported by this evaluator"
        if actual is None:
            if if_exists or negated:
                continue
            return False, f"{operator} requires {key} in {_show(wanted)}, the request has no {key}"
        matched = any(test(actual, pattern) for pattern in wanted)
        if matched == negated:
            requirement = "not in" if negated else "in"
            return (
                False,
                f"{operator} requires {key} {requirement} {_show(wanted)}, the request has {actual!r}",
            )
    return True, ""


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, Iterable) and not isinstance(value, Mapping):
        return [str(item) for item in value]
    return [] if value is None else [str(value)]


def _wildcard(pattern: str, *, ignore_case: bool = False) -> re.Pattern[str]:
    """IAM wildcards: ``*`` any run of characters, ``?`` one character; nothing else is special."""
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(regex, re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL)


def _show(value: Any) -> str:
    return json.dumps(value, sort_keys=True) if not isinstance(value, str) else repr(value)
